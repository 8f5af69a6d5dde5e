//! Mail (issue 19): a bulk resolve of 1,000 requests with the desk's notifications on (each
//! resolve writes its notification to the outbox with an event in the timeline), beside the
//! same resolve on a desk that sends no mail; and 1,000 queued replies delivered to an SMTP
//! sink on 127.0.0.1.
//!
//!     cargo bench --bench mail

#[path = "../tests/common/smtp.rs"]
#[allow(dead_code)]
mod smtp;

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::domain::rules::Draft;
use opsdesk::domain::{Kind, TicketId};
use opsdesk::store::Sharing;

const TICKETS: usize = 1_000;

/// A desk of `TICKETS` assigned requests, each from its own requester, made once in `dir`;
/// with mail set up through `sink` when one is given.
fn template(dir: &Path, name: &str, sink: Option<&str>) -> PathBuf {
    let path = dir.join(name);
    let (mut desk, _) = Desk::create(&path, "alice", Config::default(), Sharing::Private).expect("desk");
    for n in 0..TICKETS {
        let draft = Draft {
            title: format!("Badge {n} does not open the door"),
            requester: Some(format!("user{n}@example.com")),
            ..Draft::default()
        };
        let id = desk.create_ticket(Kind::Request, draft, &[]).expect("create").id;
        desk.assign(id, Some("alice"), None, None).expect("assign");
    }
    if let Some(url) = sink {
        desk.mail_setup(url, "Help desk <help@example.com>", true)
            .expect("mail setup");
    }
    path
}

/// A copy of `template` to write on (each iteration starts from the same desk).
fn copy_of(template: &Path, dir: &Path, n: usize) -> Desk {
    let to = dir.join(format!("run-{n}.db"));
    let _ = std::fs::remove_file(&to);
    std::fs::copy(template, &to).expect("copy");
    Desk::open(&to, "alice", Config::default()).expect("open")
}

fn resolve_all(desk: &mut Desk) {
    let fields = [("resolution_note".to_string(), "New badge printed".to_string())];
    for n in 1..=TICKETS as u64 {
        desk.transition(TicketId::new(Kind::Request, n), "resolve", &fields, None, None)
            .expect("resolve");
    }
}

fn mail(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("dir");
    let sink = smtp::Sink::start();
    let off = template(dir.path(), "off.db", None);
    let on = template(dir.path(), "on.db", Some(&sink.url()));
    let mut g = c.benchmark_group("mail");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let mut run = 0;
    for (name, t) in [
        ("bulk resolve 1000 without notifications", &off),
        ("bulk resolve 1000 with notifications", &on),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    run += 1;
                    copy_of(t, dir.path(), run)
                },
                |mut desk| resolve_all(&mut desk),
                BatchSize::PerIteration,
            )
        });
    }
    // 1,000 replies waiting, each to its own requester (replies are never put in digests).
    let queued = {
        let mut desk = copy_of(&on, dir.path(), 0);
        for n in 1..=TICKETS as u64 {
            desk.reply(
                TicketId::new(Kind::Request, n),
                "Your new badge is at the front desk.",
                false,
            )
            .expect("reply");
        }
        dir.path().join("run-0.db")
    };
    g.bench_function("send 1000 queued mails to a local SMTP sink", |b| {
        b.iter_batched(
            || {
                run += 1;
                copy_of(&queued, dir.path(), run)
            },
            |mut desk| {
                let d = desk.deliver(None, true).expect("deliver");
                assert_eq!(d.sent, TICKETS, "{:?}", d.stopped);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, mail);
criterion_main!(benches);
