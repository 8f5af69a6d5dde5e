use super::*;
use chrono::{Datelike, TimeZone};

fn t(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).single().expect("time")
}

fn incident(created: DateTime<Utc>, assigned: Option<u32>, resolved: Option<u32>) -> Facts<'static> {
    Facts {
        kind: Some(Kind::Incident),
        priority: 2,
        open: resolved.is_none(),
        created,
        milestones: Milestones {
            first_assigned: assigned.map(|h| created + Duration::hours(h.into())),
            resolved: resolved.map(|h| created + Duration::hours(h.into())),
            resolves: u32::from(resolved.is_some()),
            ..Milestones::default()
        },
        // P2: owned within 30 minutes, resolved within 8 hours (as the store works out).
        own_met: assigned.map(|h| h == 0),
        resolve_met: resolved.map(|h| h <= 8),
        ..Facts::default()
    }
}

#[test]
fn means_and_medians() {
    let f = vec![
        incident(t(2, 0), Some(1), Some(2)),
        incident(t(2, 0), Some(3), Some(4)),
        incident(t(2, 0), Some(2), Some(30)),
    ];
    let k = compute(&f, t(23, 0));
    assert_eq!(
        k.mtta,
        Stat {
            count: 3,
            mean_hours: Some(2.0),
            median_hours: Some(2.0)
        }
    );
    assert_eq!(
        k.mttr,
        Stat {
            count: 3,
            mean_hours: Some(12.0),
            median_hours: Some(4.0)
        }
    );
    let even = compute(&f[..2], t(23, 0));
    assert_eq!(even.mttr.median_hours, Some(3.0), "the middle two averaged");
    assert_eq!(compute(&[], t(23, 0)).mttr, Stat::default());
}

#[test]
fn sla_compliance_reopen_and_first_time_fix() {
    // P2: 8 hours around the clock.
    let mut reopened = incident(t(2, 0), Some(1), Some(7));
    reopened.milestones.reopens = 1;
    reopened.milestones.resolves = 2;
    let mut passed_on = incident(t(2, 0), Some(1), Some(5));
    passed_on.milestones.reassignments = 1;
    let f = vec![
        incident(t(2, 0), Some(1), Some(7)),
        incident(t(2, 0), Some(0), Some(9)),
        reopened,
        passed_on,
    ];
    let k = compute(&f, t(23, 0));
    assert_eq!(k.sla_resolve_met, Some(75.0));
    assert_eq!(k.sla_own_met, Some(25.0));
    assert_eq!(k.reopen_rate, Some(25.0));
    assert_eq!(k.first_time_fix_rate, Some(50.0));
}

#[test]
fn backlog_by_age_and_priority() {
    let f = vec![
        incident(t(22, 12), None, None),
        incident(t(1, 0), None, None),
        incident(t(20, 0), Some(1), None),
    ];
    let k = compute(&f, t(23, 0));
    assert_eq!(k.open, 3);
    assert_eq!(k.backlog["<1d"]["P2"], 1);
    assert_eq!(k.backlog["7-30d"]["P2"], 1);
    assert_eq!(k.backlog["3-7d"]["P2"], 1);
}

#[test]
fn two_halves_merged_equal_one_pass() {
    let tag = [CiTag {
        id: 7,
        name: "db".into(),
    }];
    let mut f: Vec<Facts> = (0..9u32)
        .map(|i| incident(t(1 + i, i), (i % 3 > 0).then_some(i), (i % 2 == 0).then_some(2 * i)))
        .collect();
    f[1].cis = &tag;
    f[6].cis = &tag;
    f[4].label = Some("network");
    f[4].milestones.reopens = 1;
    let now = t(23, 0);
    let mut whole = Tallies::new(Some(GroupBy::Ci));
    let (mut a, mut b) = (Tallies::new(Some(GroupBy::Ci)), Tallies::new(Some(GroupBy::Ci)));
    for (i, x) in f.iter().enumerate() {
        whole.add(x, now);
        if i < 4 { a.add(x, now) } else { b.add(x, now) }
    }
    a.merge(b);
    assert_eq!(a.finish(), whole.finish());
}

#[test]
fn ages_fall_in_their_buckets_at_the_edges() {
    let h = Duration::hours;
    let got: Vec<&str> = [
        h(-1),
        h(0),
        h(23),
        h(24),
        h(71),
        h(72),
        h(167),
        h(168),
        h(719),
        h(720),
        h(99_999),
    ]
    .into_iter()
    .map(|a| AGE_BUCKETS[age_index(a)])
    .collect();
    assert_eq!(
        got,
        [
            "<1d", "<1d", "<1d", "1-3d", "1-3d", "3-7d", "3-7d", "7-30d", "7-30d", ">30d", ">30d"
        ]
    );
    let mut b = Backlog::default();
    b.add(1, h(2));
    b.add(1, h(800));
    b.add(9, h(30));
    assert_eq!(b.open, 3);
    assert_eq!(b.counts[0][0], 1);
    assert_eq!(b.counts[4][0], 1);
    assert_eq!(b.counts[1][4], 1, "an unknown priority counts as P5");
    assert_eq!(b.of_priority(1), 2);
}

#[test]
fn per_day_fills_every_day_and_drops_days_outside() {
    let d = |n: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, n).expect("day");
    let days = per_day(d(20), d(23), [d(20), d(20), d(22), d(19), d(24)], [d(21), d(23), d(23)]);
    let got: Vec<(u32, usize, usize)> = days.iter().map(|x| (x.day.day(), x.opened, x.resolved)).collect();
    assert_eq!(got, vec![(20, 2, 0), (21, 0, 1), (22, 1, 0), (23, 0, 2)]);
    assert!(
        per_day(d(23), d(20), [d(21)], []).is_empty(),
        "an empty span has no days"
    );
}

#[test]
fn changes_and_cis() {
    let change = |ty: &'static str, code: Option<&'static str>| Facts {
        kind: Some(Kind::Change),
        change_type: Some(ty),
        close_code: code,
        ..Facts::default()
    };
    let tag = |id, name: &str| CiTag { id, name: name.into() };
    let both = [tag(1, "db"), tag(2, "shop")];
    let mut on_db = incident(t(2, 0), None, Some(1));
    on_db.cis = &both;
    let mut on_db2 = on_db.clone();
    on_db2.cis = &both[..1];
    let f = vec![
        change("normal", Some("successful")),
        change("normal", Some("successful_with_issues")),
        change("emergency", Some("backed_out")),
        change("standard", None),
        on_db,
        on_db2,
    ];
    let k = compute(&f, t(23, 0));
    assert_eq!(k.change_success_rate, Some(66.7));
    assert_eq!(k.emergency_change_share, Some(25.0));
    assert_eq!(k.top_cis, vec![("db".to_string(), 2), ("shop".to_string(), 1)]);
    let by_ci = grouped(&f, GroupBy::Ci, t(23, 0));
    assert_eq!(by_ci["db"].tickets, 2);
    assert_eq!(by_ci["(none)"].tickets, 4);
    assert_eq!(grouped(&f, GroupBy::Kind, t(23, 0))["change"].tickets, 4);
}

#[test]
fn time_to_close_and_the_wait_after_resolving() {
    // Resolved after 4 h and closed 24 h later; resolved after 2 h and closed 2 h later;
    // cancelled (closed, never resolved) after 10 h; resolved and still waiting.
    let mut a = incident(t(2, 0), Some(1), Some(4));
    a.milestones.closed = Some(t(3, 4));
    let mut b = incident(t(2, 0), Some(1), Some(2));
    b.milestones.closed = Some(t(2, 4));
    let mut c = incident(t(2, 0), None, None);
    c.milestones.closed = Some(t(2, 10));
    let d = incident(t(2, 0), Some(1), Some(3));
    let k = compute(&[a, b, c, d], t(23, 0));
    assert_eq!(
        k.time_to_close,
        Stat {
            count: 3,
            mean_hours: Some(14.0),
            median_hours: Some(10.0)
        }
    );
    assert_eq!(
        k.resolved_to_closed,
        Stat {
            count: 2,
            mean_hours: Some(13.0),
            median_hours: Some(13.0)
        }
    );
    assert_eq!(k.mttr.count, 3, "MTTR counts the resolved, closed or not");
}

#[test]
fn closing_is_the_last_move_into_a_final_state() {
    let lifecycles = crate::domain::Lifecycles::builtin();
    let lc = lifecycles.get(Kind::Incident);
    let mv = |name: &str, from: &str, to: &str| (name.to_string(), from.to_string(), to.to_string());
    let mut m = Milestones::default();
    m.observe_move(
        lc,
        Kind::Incident,
        t(2, 1),
        Some(&mv("resolve", "assigned", "resolved")),
        &[],
    );
    assert_eq!(m.closed, None, "resolved is not closed");
    m.observe_move(
        lc,
        Kind::Incident,
        t(3, 1),
        Some(&mv("close", "resolved", "closed")),
        &[],
    );
    assert_eq!(m.closed, Some(t(3, 1)));
    // History imported as the source recorded it may reopen a closed ticket.
    m.observe_move(
        lc,
        Kind::Incident,
        t(4, 1),
        Some(&mv("reopen", "closed", "assigned")),
        &[],
    );
    assert_eq!(m.closed, None, "open again");
    m.observe_move(
        lc,
        Kind::Incident,
        t(5, 1),
        Some(&mv("cancel", "assigned", "cancelled")),
        &[],
    );
    assert_eq!(m.closed, Some(t(5, 1)));
    let changes = lifecycles.get(Kind::Change);
    let mut c = Milestones::default();
    c.observe_move(
        changes,
        Kind::Change,
        t(6, 1),
        Some(&mv("close", "review", "closed")),
        &[],
    );
    assert_eq!(c.closed, Some(t(6, 1)), "a change closes too");
}
