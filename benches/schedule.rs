//! The change schedule and the CMDB at scale, on synthetic data made here:
//! conflict detection over 20,000 changes on 10,000 CIs, impact analysis of one CI in a
//! 10,000-CI graph, and the calendar pane drawing a month that holds 2,000 changes.
//!
//!     cargo bench --bench schedule

use std::time::Duration;

use chrono::{Datelike, NaiveDate, Offset, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use opsdesk::domain::cmdb::{self, Direction, Edge, Relation};
use opsdesk::domain::schedule::{self, Planned, Window};
use opsdesk::domain::{Kind, TicketId};
use opsdesk::store::tickets::ChangeWindow;
use opsdesk::tui::calendar::CalendarModel;
use opsdesk::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CIS: i64 = 10_000;

/// A layered CMDB of 10,000 CIs: 200 services depend on 2 of 2,000 applications each; each
/// application depends on a database and runs on a VM (4,000 of them); VMs are part of 100
/// clusters; 1,700 more CIs (network gear) are connected to clusters.
fn cmdb() -> Vec<Edge> {
    let mut rng = fastrand::Rng::with_seed(1);
    let mut edges = Vec::new();
    let (services, apps, dbs, vms, clusters) = (0..200, 200..2_200, 2_200..4_200, 4_200..8_200, 8_200..8_300);
    for s in services {
        for _ in 0..2 {
            edges.push(Edge {
                from: s,
                relation: Relation::DependsOn,
                to: rng.i64(apps.clone()),
            });
        }
    }
    for a in apps.clone() {
        edges.push(Edge {
            from: a,
            relation: Relation::DependsOn,
            to: rng.i64(dbs.clone()),
        });
        edges.push(Edge {
            from: a,
            relation: Relation::RunsOn,
            to: rng.i64(vms.clone()),
        });
    }
    for v in vms {
        edges.push(Edge {
            from: v,
            relation: Relation::PartOf,
            to: rng.i64(clusters.clone()),
        });
    }
    for n in 8_300..CIS {
        edges.push(Edge {
            from: n,
            relation: Relation::ConnectedTo,
            to: rng.i64(clusters.clone()),
        });
    }
    edges
}

/// 20,000 changes over a year, 1 to 4 hours each, on one or two random CIs.
fn changes() -> Vec<Planned> {
    let mut rng = fastrand::Rng::with_seed(2);
    let year = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time");
    (0..20_000u64)
        .map(|n| {
            let start = year + chrono::Duration::minutes(rng.i64(0..365 * 24 * 60));
            let cis = (0..rng.usize(1..=2)).map(|_| rng.i64(0..CIS)).collect();
            Planned {
                id: TicketId::new(Kind::Change, n + 1),
                window: Window {
                    start,
                    end: start + chrono::Duration::hours(rng.i64(1..=4)),
                },
                cis,
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let edges = cmdb();
    let planned = changes();
    let mut g = c.benchmark_group("schedule");
    g.bench_function("conflicts_20000_changes_10000_cis", |b| {
        b.iter(|| schedule::conflicts(&planned, &edges))
    });
    // A cluster: what fails if it does (VMs, applications, services), with paths and cycles.
    g.bench_function("impact_of_one_ci_10000_cis", |b| {
        b.iter(|| {
            let a = cmdb::analyse(&edges, 8_250, Direction::Up);
            let paths = cmdb::Paths::new(8_250, &a.reached);
            a.reached.iter().map(|r| paths.path(r.ci).len()).sum::<usize>()
        })
    });
    g.finish();

    // The calendar pane with 2,000 changes in one month.
    let mut rng = fastrand::Rng::with_seed(3);
    let month = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().expect("time");
    let windows: Vec<ChangeWindow> = (0..2_000u64)
        .map(|n| {
            let start = month + chrono::Duration::minutes(rng.i64(0..30 * 24 * 60));
            ChangeWindow {
                id: TicketId::new(Kind::Change, n + 1),
                title: format!("Patch host-{n} to the current release"),
                state: "scheduled".into(),
                change_type: Some("normal".into()),
                risk: Some("low".into()),
                assignee: None,
                start,
                end: start + chrono::Duration::hours(2),
            }
        })
        .collect();
    let mut cal = CalendarModel::new(NaiveDate::from_ymd_opt(2026, 12, 15).expect("day"), Utc.fix());
    cal.set_changes(windows);
    cal.week = true;
    assert_eq!(cal.day.month(), 12);
    let theme = Theme::full();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let keymap = opsdesk::tui::keymap::Keymap::builtin();
    let mut g = c.benchmark_group("tui");
    g.bench_function("calendar_month_with_2000_changes", |b| {
        b.iter(|| {
            term.draw(|f| opsdesk::tui::panes::calendar::draw(f, f.area(), &keymap, &cal, &theme))
                .map(|_| ())
                .expect("draw")
        })
    });
    g.finish();
}

criterion_group! {
    name = schedule;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(schedule);
