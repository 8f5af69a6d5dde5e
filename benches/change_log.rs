//! A real-sized change log migrated: 30,000 change × CI rows (10,000 changes on 10,000 CIs
//! over ten years, synthetic, of the shape of real exports: three CIs a change, one window in
//! twenty of zero length, one in a hundred longer than a month, most closed) imported through
//! the shipped generic change-log mapping into a new desk; then the change calendar over the
//! whole ten years, closed changes and their conflicts included.
//!
//!     cargo bench --bench change_log

use std::fmt::Write;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::import::mapping::Mapping;
use opsdesk::store::Sharing;

const CHANGES: usize = 10_000;
const CIS: usize = 10_000;
const SERVICES: usize = 200;

/// The synthetic log, in the columns of assets/mappings/generic-change-log.toml.
fn synthetic_log() -> String {
    let mut rng = fastrand::Rng::with_seed(16);
    let first = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).single().expect("start");
    let span = 10 * 365 * 24 * 60;
    let classes = [
        "Server",
        "Virtual Machine",
        "Database",
        "Application",
        "Network",
        "Storage",
    ];
    let mut out = String::from(
        "change_id,title,type,state,ci,ci_class,service,requested_by,opened_at,planned_start,planned_end,\
         actual_start,actual_end,closed_at,close_code,risk,plan,backout\n",
    );
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    for c in 0..CHANGES {
        let start = first + chrono::Duration::minutes(rng.i64(0..span));
        let length = match rng.u32(0..100) {
            0..5 => chrono::Duration::zero(),
            5 => chrono::Duration::days(rng.i64(32..200)),
            _ => chrono::Duration::minutes(rng.i64(30..480)),
        };
        let opened = start - chrono::Duration::days(rng.i64(1..14));
        let (state, code, actual, closed) = match rng.u32(0..100) {
            0..85 => (
                "Closed",
                ["Successful", "Successful", "Successful", "Failed", "Backed out"][rng.usize(0..5)],
                true,
                Some(start + length + chrono::Duration::days(rng.i64(1..20))),
            ),
            85..95 => ("Cancelled", "", false, Some(start - chrono::Duration::hours(1))),
            _ => (["Scheduled", "Implement", "Review"][rng.usize(0..3)], "", false, None),
        };
        let kind = ["Standard", "Normal", "Normal", "Emergency"][rng.usize(0..4)];
        let requester = format!("Requester {}", rng.u32(0..300));
        for _ in 0..3 {
            let ci = rng.usize(0..CIS);
            let _ = writeln!(
                out,
                "CR{c:05},Change {c} on ci-{ci},{kind},{state},ci-{ci},{},svc-{},{requester},{},{},{},{},{},{},{code},Low,,",
                classes[ci % classes.len()],
                ci % SERVICES,
                fmt(opened),
                fmt(start),
                fmt(start + length),
                if actual {
                    fmt(start + chrono::Duration::minutes(5))
                } else {
                    String::new()
                },
                if actual { fmt(start + length) } else { String::new() },
                closed.map(fmt).unwrap_or_default(),
            );
        }
    }
    out
}

fn migrate(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("changes.csv");
    std::fs::write(&file, synthetic_log()).expect("write the log");
    let mapping = Mapping::parse(
        include_str!("../assets/mappings/generic-change-log.toml"),
        "generic-change-log.toml",
        &opsdesk::domain::Lifecycles::builtin(),
    )
    .expect("the shipped mapping");
    let new_desk = |path: &std::path::Path| {
        Desk::create(path, "importer", Config::default(), Sharing::Private)
            .expect("desk")
            .0
    };
    let mut g = c.benchmark_group("change_log");
    g.sample_size(10).measurement_time(Duration::from_secs(40));
    g.bench_function("30000_rows_on_10000_cis_into_a_new_desk", |b| {
        b.iter_batched(
            || {
                let d = tempfile::tempdir().expect("dir");
                let desk = new_desk(&d.path().join("desk.db"));
                (d, desk)
            },
            |(d, mut desk)| {
                let report = desk.import(&file, &mapping, false, &mut |_, _| {}).expect("import");
                assert_eq!(report.created, CHANGES, "{:?}", report.rejected.first());
                (d, desk)
            },
            BatchSize::PerIteration,
        )
    });
    // The calendar over the ten years of that history.
    let mut desk = new_desk(&dir.path().join("history.db"));
    desk.import(&file, &mapping, false, &mut |_, _| {}).expect("import");
    let from = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).single().expect("from");
    let to = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().expect("to");
    g.bench_function("calendar_over_ten_years_with_closed_changes", |b| {
        b.iter(|| {
            let rows = desk.schedule(from, to, true).expect("schedule");
            assert!(rows.len() > 8_000, "{}", rows.len());
            rows.len()
        })
    });
    g.finish();
}

criterion_group!(change_log, migrate);
criterion_main!(change_log);
