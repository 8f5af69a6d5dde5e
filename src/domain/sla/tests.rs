use super::*;
use crate::domain::Lifecycles;
use chrono::TimeZone;
use proptest::prelude::*;

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    // November 2026: the 20th is a Friday, the 23rd a Monday.
    Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).single().expect("time")
}

fn history(kind: Kind, priority: u8, created: DateTime<Utc>, moves: &[(DateTime<Utc>, &str)]) -> History {
    History {
        kind,
        priority,
        created,
        first_state: "new".into(),
        moves: moves.iter().map(|(t, s)| (*t, s.to_string())).collect(),
        first_assigned: None,
    }
}

fn clocks(h: &History) -> Clocks {
    Policy::default().clocks(Lifecycles::builtin().get(h.kind), h)
}

fn resolve(h: &History) -> Clock {
    clocks(h).resolve.expect("a resolve clock")
}

#[test]
fn p1_and_p2_run_around_the_clock() {
    let c = clocks(&history(Kind::Incident, 1, at(20, 22, 0), &[]));
    let r = c.resolve.expect("ttr");
    assert_eq!(
        (r.phase, r.due_at, r.risk_at),
        (Phase::Running, Some(at(21, 2, 0)), Some(at(21, 1, 0)))
    );
    let o = c.own.expect("tto");
    assert_eq!(o.due_at, Some(at(20, 22, 15)));
    assert_eq!(
        resolve(&history(Kind::Incident, 2, at(20, 22, 0), &[])).due_at,
        Some(at(21, 6, 0))
    );
}

#[test]
fn business_days_skip_nights_and_weekends() {
    // Friday 15:00 + 3 business days of 8 h: Fri 2 h, Mon 8, Tue 8, Wed 6 → Wed 15:00.
    assert_eq!(
        resolve(&history(Kind::Incident, 3, at(20, 15, 0), &[])).due_at,
        Some(at(25, 15, 0))
    );
    // Created on Saturday: the clock starts on Monday 09:00; 2 h to own.
    let own = clocks(&history(Kind::Request, 3, at(21, 12, 0), &[])).own.expect("tto");
    assert_eq!(own.due_at, Some(at(23, 11, 0)));
    assert_eq!(own.risk_at, Some(at(23, 10, 30)));
}

#[test]
fn a_pending_ticket_stops_its_clock_and_resuming_continues_it() {
    // P3 from Monday 10:00; pending from 16:00 (6 h spent) to Wednesday 11:00; 18 h left:
    // Wednesday 6 h, Thursday 8 h, Friday 4 h → Friday 13:00.
    let moves = [(at(23, 10, 30), "assigned"), (at(23, 16, 0), "pending")];
    let paused = resolve(&history(Kind::Incident, 3, at(23, 10, 0), &moves));
    assert_eq!(
        (paused.phase, paused.left, paused.due_at),
        (Phase::Paused, Duration::hours(18), None)
    );
    assert_eq!(
        paused.left_at(at(30, 0, 0)),
        Duration::hours(18),
        "a paused clock does not move"
    );
    let mut moves = moves.to_vec();
    moves.push((at(25, 11, 0), "assigned"));
    let resumed = resolve(&history(Kind::Incident, 3, at(23, 10, 0), &moves));
    assert_eq!((resumed.phase, resumed.due_at), (Phase::Running, Some(at(27, 13, 0))));
    // At risk at 75 % (18 h of 24): 12 h after resuming: Wednesday 6 h, Thursday 6 h.
    assert_eq!(resumed.risk_at, Some(at(26, 15, 0)));
}

#[test]
fn a_change_of_priority_recomputes_from_creation() {
    let moves = [(at(23, 10, 30), "assigned")];
    let p4 = resolve(&history(Kind::Incident, 4, at(23, 10, 0), &moves));
    let p1 = resolve(&history(Kind::Incident, 1, at(23, 10, 0), &moves));
    assert_eq!(p4.due_at, Some(at(30, 10, 0)));
    assert_eq!(p1.due_at, Some(at(23, 14, 0)));
}

#[test]
fn resolving_stops_the_clock_with_a_verdict_and_reopening_resumes_it() {
    let on_time = [(at(23, 11, 0), "resolved")];
    let c = resolve(&history(Kind::Incident, 1, at(23, 10, 0), &on_time));
    assert_eq!(
        (c.phase, c.met(), c.left),
        (Phase::Stopped, Some(true), Duration::hours(3))
    );
    assert_eq!(c.standing(at(30, 0, 0)), Standing::OnTrack);
    let late = [(at(23, 15, 0), "resolved")];
    let c = resolve(&history(Kind::Incident, 1, at(23, 10, 0), &late));
    assert_eq!((c.met(), c.due_at), (Some(false), Some(at(23, 14, 0))));
    assert_eq!(c.standing(at(23, 15, 0)), Standing::Breached);
    // Reopened a day later: 3 h were left, so it is due 3 h after the reopening.
    let reopened = [(at(23, 11, 0), "resolved"), (at(24, 11, 0), "assigned")];
    let c = resolve(&history(Kind::Incident, 1, at(23, 10, 0), &reopened));
    assert_eq!(
        (c.phase, c.due_at, c.met()),
        (Phase::Running, Some(at(24, 14, 0)), None)
    );
}

#[test]
fn time_to_own_stops_at_the_first_assignment() {
    let mut h = history(Kind::Incident, 1, at(23, 10, 0), &[(at(23, 10, 20), "assigned")]);
    h.first_assigned = Some(at(23, 10, 20));
    let own = clocks(&h).own.expect("tto");
    assert_eq!(
        (own.phase, own.met(), own.due_at),
        (Phase::Stopped, Some(false), Some(at(23, 10, 15)))
    );
    h.first_assigned = Some(at(23, 10, 0));
    let own = clocks(&h).own.expect("tto");
    assert_eq!((own.met(), own.left), (Some(true), Duration::minutes(15)));
    // A request awaiting approval does not spend its time to own.
    let mut h = history(Kind::Request, 1, at(23, 10, 0), &[(at(23, 10, 5), "awaiting_approval")]);
    let own = clocks(&h).own.expect("tto");
    assert_eq!((own.phase, own.left), (Phase::Paused, Duration::minutes(10)));
    h.moves.push((at(23, 12, 0), "approved".into()));
    assert_eq!(clocks(&h).own.expect("tto").due_at, Some(at(23, 12, 10)));
    // Cancelled before anyone owned it: stopped, with the verdict of the time spent.
    let h = history(Kind::Incident, 2, at(23, 10, 0), &[(at(23, 10, 5), "cancelled")]);
    assert_eq!(clocks(&h).own.expect("tto").met(), Some(true));
}

#[test]
fn problems_and_changes_have_no_clocks_by_default() {
    assert_eq!(
        clocks(&history(Kind::Problem, 1, at(23, 10, 0), &[])),
        Clocks::default()
    );
    assert_eq!(clocks(&history(Kind::Change, 1, at(23, 10, 0), &[])), Clocks::default());
}

#[test]
fn the_watched_clock_is_time_to_own_until_owned() {
    let mut h = history(Kind::Incident, 1, at(23, 10, 0), &[]);
    assert_eq!(clocks(&h).watched().and_then(|c| c.due_at), Some(at(23, 10, 15)));
    h.moves.push((at(23, 10, 5), "assigned".into()));
    h.first_assigned = Some(at(23, 10, 5));
    assert_eq!(clocks(&h).watched().and_then(|c| c.due_at), Some(at(23, 14, 0)));
}

#[test]
fn crossings_are_the_unrecorded_thresholds_of_running_clocks() {
    let c = clocks(&history(Kind::Incident, 1, at(23, 10, 0), &[]));
    let all: Vec<_> = c.crossings(0).iter().map(|x| (x.clock, x.level(), x.at)).collect();
    assert_eq!(
        all,
        [
            ("tto", "at_risk", at(23, 10, 11) + Duration::seconds(15)),
            ("tto", "breached", at(23, 10, 15)),
            ("ttr", "at_risk", at(23, 13, 0)),
            ("ttr", "breached", at(23, 14, 0)),
        ]
    );
    assert_eq!(c.next_escalation(OWN_AT_RISK | OWN_BREACHED), Some(at(23, 13, 0)));
    assert_eq!(c.next_escalation(15), None);
    // A paused clock escalates nothing.
    let c = clocks(&history(
        Kind::Incident,
        1,
        at(23, 10, 0),
        &[(at(23, 10, 1), "assigned"), (at(23, 10, 2), "pending")],
    ));
    assert!(c.resolve.is_some_and(|r| r.phase == Phase::Paused));
    assert_eq!(c.crossings(OWN_AT_RISK | OWN_BREACHED), []);
}

#[test]
fn spans_and_openings_read_or_say_why_not() {
    let day = Duration::hours(8);
    assert_eq!(parse_span("15m", day), Ok(Duration::minutes(15)));
    assert_eq!(parse_span("1h30m", day), Ok(Duration::minutes(90)));
    assert_eq!(parse_span("3bd", day), Ok(Duration::hours(24)));
    assert_eq!(parse_span("2d", day), Ok(Duration::hours(48)));
    for bad in ["", "4", "h", "4x", "-1h", "0m", "1.5h"] {
        assert!(parse_span(bad, day).is_err(), "{bad:?}");
    }
    assert!(parse_opening("09:00-17:30").is_ok());
    for bad in ["9-17", "17:00-09:00", "09:00", "25:00-26:00"] {
        assert!(parse_opening(bad).is_err(), "{bad:?}");
    }
    assert!(business_calendar("Mars/Olympus", [None; 7], &[]).is_err());
    assert!(business_calendar("UTC", [None; 7], &["25 Dec".into()]).is_err());
}

#[test]
fn countdowns_read_short() {
    assert_eq!(countdown(Duration::minutes(45)), "45m");
    assert_eq!(countdown(Duration::minutes(133)), "2h13m");
    assert_eq!(countdown(Duration::hours(76)), "3d4h");
    assert_eq!(countdown(Duration::minutes(-65)), "-1h05m");
    assert_eq!(countdown(Duration::hours(24 * 361 + 5)), "361d");
}

/// Office hours in zones with clock changes both ways, with holidays.
fn any_hours() -> impl Strategy<Value = Hours> {
    let office = |zone: &str, holidays: &[&str]| {
        let day = Some("09:00-17:00");
        let holidays: Vec<String> = holidays.iter().map(|s| s.to_string()).collect();
        Hours::Business(business_calendar(zone, [day, day, day, day, day, None, None], &holidays).expect("calendar"))
    };
    prop_oneof![
        Just(Hours::Always),
        Just(office("Europe/Berlin", &["2026-12-25", "2026-12-28", "2027-01-01"])),
        Just(office("America/New_York", &["2026-11-26", "2027-07-05"])),
        Just(office("Australia/Sydney", &[])),
    ]
}

/// A history: alternating running and pending spans of up to three days each, from a
/// time in 2026-2027 (so across clock changes in spring and autumn).
fn any_life() -> impl Strategy<Value = (DateTime<Utc>, Vec<i64>)> {
    (
        0i64..(2 * 365 * 24 * 60),
        prop::collection::vec(1i64..(3 * 24 * 60), 0..12),
    )
        .prop_map(|(start, spans)| {
            (
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("t") + Duration::minutes(start),
                spans,
            )
        })
}

fn policy_on(hours: Hours) -> Policy {
    let mut p = Policy::default();
    p.calendars.insert(BUSINESS.into(), hours);
    for t in p.targets.values_mut() {
        t.calendar = BUSINESS.into();
    }
    p
}

/// The moves of a life: running and pending in turn, starting assigned.
fn moves_of(start: DateTime<Utc>, spans: &[i64]) -> Vec<(DateTime<Utc>, String)> {
    let mut t = start;
    let mut out = vec![(start, "assigned".to_string())];
    for (i, m) in spans.iter().enumerate() {
        t += Duration::minutes(*m);
        out.push((t, if i % 2 == 0 { "pending" } else { "assigned" }.to_string()));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The time spent is the working time of the running spans only, however the pauses
    /// fall across nights, weekends, holidays and clock changes; a running clock is due
    /// when what was left has been worked from the last resume.
    #[test]
    fn pauses_take_nothing_from_the_clock(hours in any_hours(), (start, spans) in any_life(), p in 1u8..=5) {
        let moves = moves_of(start, &spans);
        let h = History { kind: Kind::Incident, priority: p, created: start, first_state: "new".into(), moves: moves.clone(), first_assigned: Some(start) };
        let policy = policy_on(hours.clone());
        let work = policy.targets[&(Kind::Incident, p)].resolve.expect("target");
        let c = policy.clocks(Lifecycles::builtin().get(Kind::Incident), &h).resolve.expect("clock");
        let spent: Duration = moves.windows(2).filter(|w| w[0].1 == "assigned").map(|w| hours.between(w[0].0, w[1].0)).sum();
        prop_assert_eq!(c.left, work - spent);
        let (last_at, last) = moves.last().expect("a move");
        if last == "assigned" {
            prop_assert_eq!(c.phase, Phase::Running);
            if spent < work {
                prop_assert_eq!(c.due_at, Some(hours.add(*last_at, work - spent)));
            }
        } else {
            prop_assert_eq!(c.phase, Phase::Paused);
        }
        if spent >= work {
            let due = c.due_at.expect("breached in the past");
            prop_assert!(due <= *last_at);
        }
    }

    /// A pause that lies wholly in closed hours changes nothing, and neither do moves
    /// between two running states.
    #[test]
    fn closed_hour_pauses_and_running_moves_change_nothing(hours in any_hours(), (start, spans) in any_life()) {
        let lifecycles = Lifecycles::builtin();
        let lifecycle = lifecycles.get(Kind::Incident);
        let policy = policy_on(hours.clone());
        let base = History { kind: Kind::Incident, priority: 3, created: start, first_state: "new".into(), moves: vec![], first_assigned: None };
        let plain = policy.clocks(lifecycle, &base).resolve.expect("clock");
        let mut with_moves = base.clone();
        with_moves.moves = spans.iter().scan(start, |t, m| { *t += Duration::minutes(*m); Some((*t, "assigned".to_string())) }).collect();
        prop_assert_eq!(policy.clocks(lifecycle, &with_moves).resolve.expect("clock").due_at, plain.due_at);
        // Pending from a closed moment to the next opening (a night, a weekend, a holiday).
        let closed = (1..72).map(|h| start + Duration::hours(h)).find(|t| hours.add(*t, Duration::zero()) > *t);
        if let Some(closed) = closed {
            let mut paused = base.clone();
            paused.moves = vec![(closed, "pending".into()), (hours.add(closed, Duration::zero()), "assigned".into())];
            prop_assert_eq!(policy.clocks(lifecycle, &paused).resolve.expect("clock").due_at, plain.due_at);
        }
    }
}
