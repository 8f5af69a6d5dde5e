//! `opsdesk report` against figures computed independently, straight from the events.

mod common;

use chrono::{TimeZone, Utc};
use common::Env;

#[test]
fn the_report_agrees_with_the_timeline() {
    let env = Env::empty();
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().expect("time");
    opsdesk::seed::seed(&env.db, &opsdesk::seed::SeedOptions::new(800, now)).expect("seed");
    let r = env.json(&["report"]);
    // Independently: every ticket, the open ones, and creation → last resolve from events.
    let conn = rusqlite::Connection::open(&env.db).expect("open");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM tickets", [], |x| x.get(0))
        .expect("n");
    let open: i64 = conn
        .query_row("SELECT count(*) FROM tickets WHERE is_open = 1", [], |x| x.get(0))
        .expect("open");
    let mut spans: Vec<i64> = conn
        .prepare(
            "SELECT max(e.at) - t.created_at FROM tickets t JOIN events e ON e.ticket_id = t.id \
             WHERE e.kind = 'transition' AND e.field = 'resolve' GROUP BY t.id",
        )
        .expect("prepare")
        .query_map([], |x| x.get(0))
        .expect("query")
        .map(|x| x.expect("row"))
        .collect();
    spans.sort_unstable();
    let median_ms = if spans.len() % 2 == 1 {
        spans[spans.len() / 2] as f64
    } else {
        (spans[spans.len() / 2 - 1] + spans[spans.len() / 2]) as f64 / 2.0
    };
    assert_eq!(r["all"]["tickets"], n);
    assert_eq!(r["all"]["open"], open);
    assert_eq!(r["all"]["mttr"]["count"], spans.len());
    let median_h = r["all"]["mttr"]["median_hours"].as_f64().expect("median");
    assert!(
        (median_h - median_ms / 3_600_000.0).abs() < 0.01,
        "{median_h} vs {}",
        median_ms / 3_600_000.0
    );
    assert!(r.get("since").is_some_and(serde_json::Value::is_null));
    // Grouped by kind, the groups add up to the whole.
    let by = env.json(&["report", "--by", "kind"]);
    let sum: i64 = by["groups"]
        .as_object()
        .expect("groups")
        .values()
        .map(|g| g["tickets"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(sum, n);
    // By team: the teams of the desk, each with its own count.
    let teams = env.json(&["report", "--by", "team"]);
    let groups = teams["groups"].as_object().expect("groups");
    let mut stmt = conn
        .prepare("SELECT coalesce(team, '(none)'), count(*) FROM tickets GROUP BY 1")
        .expect("prepare");
    let want: Vec<(String, i64)> = stmt
        .query_map([], |x| Ok((x.get(0)?, x.get(1)?)))
        .expect("query")
        .map(|x| x.expect("row"))
        .collect();
    assert_eq!(groups.len(), want.len());
    for (team, count) in want {
        assert_eq!(groups[&team]["tickets"], count, "{team}");
    }
    // A period: only tickets created in it.
    let recent = env.json(&["report", "--since", "2026-11-01T00:00:00Z"]);
    let in_period: i64 = conn
        .query_row(
            "SELECT count(*) FROM tickets WHERE created_at >= ?1",
            [Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
                .single()
                .expect("t")
                .timestamp_millis()],
            |x| x.get(0),
        )
        .expect("count");
    assert_eq!(recent["all"]["tickets"], in_period);
    let text = env.ok(&["report", "--by", "priority"]);
    assert!(text.starts_with(&format!("tickets            {n} (")), "{text}");
    assert!(text.contains("\nP1\n  tickets"), "{text}");
    assert!(
        env.fails(&["report", "--since", "2026-12-01", "--until", "2026-11-01"], 1)
            .contains("--until must be after --since")
    );
    assert!(
        env.fails(&["report", "--by", "mood"], 2)
            .contains("invalid value 'mood'")
    );
}
