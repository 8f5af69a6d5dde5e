//! The seeder writes only what the product itself could have written.

mod common;

use chrono::{TimeZone, Utc};
use opsdesk::domain::{Kind, Lifecycles};
use opsdesk::seed::{SeedOptions, seed};

#[test]
fn a_seeded_desk_is_consistent_with_the_lifecycles() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("seeded.db");
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).single().expect("time");
    let report = seed(&path, &SeedOptions::new(1_500, now)).expect("seed");
    assert_eq!(report.tickets, 1_500);
    assert!(report.events > 3 * report.tickets, "{report:?}");
    assert!(report.cis > 50 && report.comments > 100, "{report:?}");
    assert!(
        seed(&path, &SeedOptions::new(10, now)).is_err(),
        "an existing desk is never overwritten"
    );

    let conn = rusqlite::Connection::open(&path).expect("open");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
    // The indexes dropped while seeding are all back, exactly as a new desk has them.
    let fresh = dir.path().join("fresh.db");
    opsdesk::store::Store::create(&fresh, opsdesk::store::Sharing::Private).expect("fresh desk");
    let indexes = |c: &rusqlite::Connection| -> Vec<(String, Option<String>)> {
        c.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY name")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    let want = indexes(&rusqlite::Connection::open(&fresh).expect("open fresh"));
    assert!(want.iter().any(|(n, _)| n == "tickets_report"));
    assert_eq!(indexes(&conn), want);
    let lifecycles = Lifecycles::builtin();
    let mut stmt = conn
        .prepare("SELECT id, kind, state, is_open, version FROM tickets")
        .expect("prepare");
    let rows: Vec<(i64, String, String, bool, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    let mut kinds_seen = std::collections::BTreeSet::new();
    let mut open = 0;
    for (id, kind, state, is_open, version) in &rows {
        let kind: Kind = kind.parse().expect("kind");
        kinds_seen.insert(kind);
        let lifecycle = lifecycles.get(kind);
        assert!(lifecycle.has_state(state), "{kind} in unknown state {state}");
        assert_eq!(*is_open, lifecycle.is_open(state), "{kind} {state}");
        open += i64::from(*is_open);
        // One version per action: creation, each transition, each comment.
        let actions: i64 = conn
            .query_row(
                "SELECT 1 + count(*) FILTER (WHERE kind IN ('transition', 'comment', 'work_note')) FROM events WHERE ticket_id = ?1",
                [id],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(*version, actions, "ticket {id}");
        let last_state: Option<String> = conn
            .query_row(
                "SELECT new FROM events WHERE ticket_id = ?1 AND kind IN ('created', 'transition') ORDER BY id DESC LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .expect("last");
        assert_eq!(
            last_state.as_deref(),
            Some(state.as_str()),
            "the timeline ends where the ticket is"
        );
    }
    assert_eq!(kinds_seen.len(), 4);
    assert!(
        open > 0 && open < rows.len() as i64 / 2,
        "most of a year-old desk is finished: {open} open"
    );
    let changes_without_ci: i64 = conn
        .query_row(
            "SELECT count(*) FROM tickets t WHERE kind = 'change' AND state NOT IN ('new', 'cancelled') \
             AND NOT EXISTS (SELECT 1 FROM ticket_cis c WHERE c.ticket_id = t.id)",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(changes_without_ci, 0);
    let approvals_by_requester: i64 = conn
        .query_row(
            "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id \
             WHERE e.kind = 'transition' AND e.field = 'approve' AND e.actor = t.requester",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(approvals_by_requester, 0, "segregation of duties holds in seeded data");
    // The search index was built at the end of the load and its triggers restored.
    let hits: i64 = conn
        .query_row(
            "SELECT count(*) FROM ticket_search WHERE ticket_search MATCH 'slow'",
            [],
            |r| r.get(0),
        )
        .expect("search");
    assert!(hits > 0);
    let triggers: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'ticket_search_%'",
            [],
            |r| r.get(0),
        )
        .expect("triggers");
    assert_eq!(triggers, 3);
}

/// The SLA clocks the seeder works out from each life are the ones the desk works out from
/// the written timeline.
#[test]
fn seeded_sla_clocks_match_the_timeline() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("seeded.db");
    // A time with sub-millisecond digits, as a real clock gives.
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).single().expect("time")
        + chrono::Duration::nanoseconds(123_456_789);
    seed(&path, &SeedOptions::new(800, now)).expect("seed");
    let clocks = |conn: &rusqlite::Connection| -> Vec<String> {
        let mut stmt = conn
            .prepare(
                "SELECT id, tto_phase, tto_risk_at, tto_due_at, tto_left, ttr_phase, ttr_risk_at, ttr_due_at, \
                 ttr_left, sla_next FROM tickets ORDER BY id",
            )
            .expect("prepare");
        stmt.query_map([], |r| {
            Ok((0..10)
                .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i)))
                .collect::<Vec<_>>()
                .join(" "))
        })
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
    };
    let conn = rusqlite::Connection::open(&path).expect("open");
    let seeded = clocks(&conn);
    let with_clocks = seeded.iter().filter(|r| r.contains("Text(\"running\")")).count();
    assert!(with_clocks > 10, "some open tickets have running clocks");
    conn.execute("DELETE FROM meta WHERE key = 'sla_policy'", [])
        .expect("forget");
    conn.execute(
        "UPDATE tickets SET tto_phase = NULL, ttr_phase = NULL, tto_risk_at = NULL, ttr_risk_at = NULL, \
         tto_due_at = NULL, ttr_due_at = NULL, tto_left = NULL, ttr_left = NULL, sla_next = NULL",
        [],
    )
    .expect("wipe");
    // Opening the desk finds no policy recorded and works every clock out again.
    opsdesk::desk::Desk::open(&path, "ana", opsdesk::config::Config::default()).expect("open desk");
    assert_eq!(clocks(&conn), seeded);
}

/// The seeder builds the tickets' indexes after the load; every one of them must have
/// statistics then, or the planner (seeing figures for some indexes only) served the queue's
/// first page from the wrong index and sorted every open ticket.
#[test]
fn a_seeded_desk_has_statistics_for_every_index_and_pages_the_queue_by_its_index() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("desk.db");
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 30, 0).single().expect("time");
    opsdesk::seed::seed(&path, &opsdesk::seed::SeedOptions::new(3_000, now)).expect("seed");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let names = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    let mut indexes = names("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets'");
    let mut analysed = names("SELECT idx FROM sqlite_stat1 WHERE tbl = 'tickets'");
    indexes.sort();
    analysed.sort();
    assert_eq!(analysed, indexes);
    let plan = common::query_plan(
        &conn,
        "SELECT * FROM tickets WHERE is_open = 1 ORDER BY priority, created_at, id LIMIT 50",
        [],
    );
    assert!(
        plan.contains("tickets_open_queue") && !plan.contains("TEMP B-TREE"),
        "{plan}"
    );
}

/// The seeder writes a new desk with its journal in memory (each page written once, not to a
/// log and again to the file); the desk it leaves must be whole and back in WAL mode, so the
/// operators who open it read while others write.
#[test]
fn a_seeded_desk_is_whole_and_left_in_wal_mode() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("desk.db");
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 30, 0).single().expect("time");
    opsdesk::seed::seed(&path, &SeedOptions::new(2_000, now)).expect("seed");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let pragma = |sql: &str| -> String { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(pragma("PRAGMA journal_mode"), "wal");
    assert_eq!(pragma("PRAGMA integrity_check"), "ok");
    let events: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("events");
    assert!(events > 2_000, "{events} events");
}

/// The demo is made around the `now` it is given, whatever day that is: on the first of a
/// month and on the last, late at night, there are changes planned on both sides of it.
#[test]
fn the_demo_desk_has_changes_around_now_on_any_day() {
    for now in [
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 30, 0),
        Utc.with_ymd_and_hms(2027, 3, 31, 23, 30, 0),
    ] {
        let now = now.single().expect("time");
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("demo.db");
        seed(&path, &SeedOptions::demo(now)).expect("seed");
        let conn = rusqlite::Connection::open(&path).expect("open");
        let at = |days: i64| opsdesk::domain::rules::format_time(now + chrono::Duration::days(days));
        let count = |from: i64, to: i64| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM tickets WHERE kind = 'change' AND planned_start >= ?1 AND planned_start < ?2",
                [at(from), at(to)],
                |r| r.get(0),
            )
            .expect("count")
        };
        let (before, after) = (count(-14, 0), count(0, 15));
        assert!(before >= 3 && after >= 3, "at {now}: {before} before, {after} after");
        let newest: i64 = conn
            .query_row("SELECT max(created_at) FROM tickets", [], |r| r.get(0))
            .expect("newest");
        assert!(newest <= now.timestamp_millis(), "nothing is created after now");
    }
}
