//! The desk's promised speeds, on a seeded desk (default 1,000,000 tickets), on SQLite and,
//! when `OPSDESK_BENCH_PG` names a server, on the same desk copied to PostgreSQL, side by
//! side in one run (each benchmark's id ends in `sqlite` or `postgres`).
//!
//!     cargo bench --bench desk
//!     cargo bench --bench desk -- report
//!     OPSDESK_BENCH_TICKETS=100000 cargo bench --bench desk
//!     OPSDESK_BENCH_PG=postgresql://postgres@127.0.0.1:5432 cargo bench --bench desk
//!
//! The desk is built once by the seeder into target/bench-desks/ (and copied once into the
//! server's database `opsdesk_bench_N`) and reused by later runs.

mod common;

use std::time::Duration;

use chrono::Offset;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::domain::rules::Draft;
use opsdesk::domain::{Kind, TicketId};
use opsdesk::store::tickets::Filter;

fn benches(c: &mut Criterion) {
    let n = common::size(1_000_000);
    let path = common::bench_desk(n);
    let mut desks: Vec<(&str, Desk)> = common::bench_places(n)
        .into_iter()
        .map(|(engine, place)| {
            (
                engine,
                Desk::open(place, "alice", Config::default()).expect("open bench desk"),
            )
        })
        .collect();

    let mut g = c.benchmark_group("queue");
    let filter = Filter {
        open_only: true,
        limit: 50,
        ..Filter::default()
    };
    for (engine, desk) in &mut desks {
        g.bench_function(BenchmarkId::new("first_page_open_by_priority_and_age", *engine), |b| {
            b.iter(|| {
                let page = desk.list(&filter).expect("list");
                assert_eq!(page.len(), 50);
                page
            })
        });
    }
    // The same page asked of SQLite directly, every column as SQLite gives it: what the desk's
    // layers (query building, a read transaction, rows into tickets) cost on top.
    let direct = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open directly");
    g.bench_function("first_page_direct_sql", |b| {
        b.iter(|| {
            let mut stmt = direct
                .prepare_cached("SELECT * FROM tickets WHERE is_open = 1 ORDER BY priority, created_at, id LIMIT 50")
                .expect("prepare");
            let n = stmt.column_count();
            let page: Vec<Vec<rusqlite::types::Value>> = stmt
                .query_map([], |r| (0..n).map(|i| r.get(i)).collect())
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            assert_eq!(page.len(), 50);
            page
        })
    });
    g.finish();

    // A move on a ticket as they are: each sample's ticket is new and assigned (not timed), then
    // pended. (Moving one ticket back and forth for every sample grew its timeline to thousands
    // of events, and a move reads its ticket's transitions again to keep the SLA clocks.)
    let mut g = c.benchmark_group("write");
    let pend = vec![("pending_reason".to_string(), "awaiting_vendor".to_string())];
    for (engine, desk) in &mut desks {
        g.bench_function(BenchmarkId::new("transition_with_event_committed", *engine), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let draft = Draft {
                        title: "benchmark ticket".into(),
                        ..Draft::default()
                    };
                    let id: TicketId = desk.create_ticket(Kind::Incident, draft, &[]).expect("create").id;
                    desk.assign(id, None, None, None).expect("assign");
                    let t = std::time::Instant::now();
                    desk.transition(id, "pend", &pend, None, None).expect("transition");
                    total += t.elapsed();
                }
                total
            })
        });
    }
    g.finish();

    // A whole report reads every ticket: ten samples are plenty at most a second each.
    let mut g = c.benchmark_group("report");
    g.sample_size(10).measurement_time(Duration::from_secs(13));
    for (engine, desk) in &mut desks {
        g.bench_function(BenchmarkId::new("whole_desk", *engine), |b| {
            b.iter(|| {
                let r = desk
                    .report(None, chrono::Utc::now(), None, None, chrono::Utc::now())
                    .expect("report");
                assert!(r.all.tickets > 0);
                r
            })
        });
        g.bench_function(BenchmarkId::new("dashboard_30_days", *engine), |b| {
            let zone = chrono::Utc.fix();
            b.iter(|| desk.dashboard(30, chrono::Utc::now(), zone).expect("dashboard"))
        });
    }
    g.finish();

    // The whole timeline's hash chain, walked and checked (`opsdesk audit verify`).
    let mut g = c.benchmark_group("audit");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for (engine, desk) in &mut desks {
        g.bench_function(BenchmarkId::new("verify_whole_chain", *engine), |b| {
            b.iter(|| {
                let a = desk.audit(None).expect("audit");
                assert!(a.intact);
                a
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("search");
    for (name, query) in [
        ("two_words", "database timeout"),
        ("one_common_word", "slow"),
        ("rare_word", "garbled"),
    ] {
        for (engine, desk) in &mut desks {
            g.bench_function(BenchmarkId::new(name, *engine), |b| {
                b.iter(|| {
                    let hits = desk.search(query, 50).expect("search");
                    assert!(!hits.is_empty());
                    hits
                })
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = desk;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(desk);
