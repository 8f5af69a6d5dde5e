//! `opsdesk report` against figures computed independently, straight from the events.

mod common;

use chrono::{TimeZone, Utc};
use common::Env;

#[test]
fn the_report_agrees_with_the_timeline() {
    let env = Env::empty();
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().expect("time");
    common::seed(&env.db, opsdesk::seed::SeedOptions::new(800, now));
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
    // Opened → closed: the last move into the final state each closed ticket is in.
    let closed: Vec<i64> = conn
        .prepare(
            "SELECT max(e.at) - t.created_at FROM tickets t JOIN events e ON e.ticket_id = t.id \
             WHERE e.kind = 'transition' AND e.new = t.state AND t.state IN ('closed', 'cancelled', 'rejected') \
             GROUP BY t.id",
        )
        .expect("prepare")
        .query_map([], |x| x.get(0))
        .expect("query")
        .map(|x| x.expect("row"))
        .collect();
    assert!(!closed.is_empty(), "the seeded desk closes tickets");
    assert_eq!(r["all"]["time_to_close"]["count"], closed.len());
    let mean_h = closed.iter().sum::<i64>() as f64 / closed.len() as f64 / 3_600_000.0;
    let got = r["all"]["time_to_close"]["mean_hours"].as_f64().expect("mean");
    assert!((got - mean_h).abs() < 0.01, "{got} vs {mean_h}");
    let text = env.ok(&["report"]);
    assert!(text.contains("time to close      median "), "{text}");
    assert!(text.contains("resolved to closed "), "{text}");
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

/// Tickets per UTC day from the events themselves: created, and last resolved.
fn per_utc_day(
    conn: &rusqlite::Connection,
    sql: &str,
    since: i64,
    until: i64,
) -> std::collections::BTreeMap<String, i64> {
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map([since, until], |x| Ok((x.get(0)?, x.get(1)?)))
        .expect("query")
        .map(|x| x.expect("row"))
        .collect()
}

#[test]
fn opened_and_resolved_per_day_and_the_dashboard_agree_with_the_timeline() {
    use chrono::Offset;
    let env = Env::empty();
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().expect("time");
    common::seed(&env.db, opsdesk::seed::SeedOptions::new(800, now));
    let conn = rusqlite::Connection::open(&env.db).expect("open");
    let mut desk = opsdesk::desk::Desk::open(&env.db, "alice", opsdesk::config::Config::default()).expect("desk");
    let d = desk.dashboard(30, now, Utc.fix()).expect("dashboard");
    let since = Utc.with_ymd_and_hms(2026, 10, 22, 0, 0, 0).single().expect("since");
    let midnight = Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).single().expect("until");
    assert_eq!((d.since, d.until, d.daily.len()), (since, midnight, 30));
    let (lo, hi) = (since.timestamp_millis(), midnight.timestamp_millis());
    let day = "strftime('%Y-%m-%d', {} / 1000, 'unixepoch')";
    let opened = per_utc_day(
        &conn,
        &format!(
            "SELECT {}, count(*) FROM tickets WHERE created_at >= ?1 AND created_at < ?2 GROUP BY 1",
            day.replace("{}", "created_at")
        ),
        lo,
        hi,
    );
    // Resolved on the day of the last resolve, whenever the ticket was opened.
    let resolved = per_utc_day(
        &conn,
        &format!(
            "SELECT {}, count(*) FROM (SELECT max(at) AS at FROM events \
             WHERE kind = 'transition' AND field = 'resolve' GROUP BY ticket_id) \
             WHERE at >= ?1 AND at < ?2 GROUP BY 1",
            day.replace("{}", "at")
        ),
        lo,
        hi,
    );
    for x in &d.daily {
        let key = x.day.to_string();
        assert_eq!(x.opened as i64, opened.get(&key).copied().unwrap_or(0), "opened {key}");
        assert_eq!(
            x.resolved as i64,
            resolved.get(&key).copied().unwrap_or(0),
            "resolved {key}"
        );
    }
    let early: i64 = conn
        .query_row(
            "SELECT count(*) FROM tickets WHERE created_at < ?1 AND resolved_at >= ?1",
            [lo],
            |x| x.get(0),
        )
        .expect("early");
    assert!(early > 0, "the seed resolves some older tickets in the period");
    assert!(d.daily.iter().map(|x| x.resolved).sum::<usize>() as i64 >= early);
    // The backlog is every open ticket now, by age and priority.
    let mut stmt = conn
        .prepare("SELECT priority, count(*) FROM tickets WHERE is_open = 1 GROUP BY 1")
        .expect("prepare");
    let by_priority: Vec<(u8, i64)> = stmt
        .query_map([], |x| Ok((x.get(0)?, x.get(1)?)))
        .expect("query")
        .map(|x| x.expect("row"))
        .collect();
    for (p, n) in by_priority {
        assert_eq!(d.backlog.of_priority(p) as i64, n, "P{p}");
    }
    let old: i64 = conn
        .query_row(
            "SELECT count(*) FROM tickets WHERE is_open = 1 AND created_at <= ?1",
            [now.timestamp_millis() - 720 * 3_600_000],
            |x| x.get(0),
        )
        .expect("old");
    assert_eq!(
        d.backlog.counts[4].iter().sum::<usize>() as i64,
        old,
        "open 30 days or more"
    );
    // The CLI's twin: `report --daily` over the same period counts every ticket of it.
    let r = env.json(&["report", "--daily", "--since", "2026-11-01T00:00:00Z"]);
    let days = r["daily"].as_array().expect("daily");
    let sum: i64 = days.iter().map(|x| x["opened"].as_i64().unwrap_or(-1)).sum();
    assert_eq!(r["all"]["tickets"], sum);
    assert!(days.len() >= 20, "every day from Nov 1 to today: {}", days.len());
    let text = env.ok(&["report", "--daily", "--since", "2026-11-01"]);
    assert!(text.contains("\nday          opened  resolved\n"), "{text}");
    assert!(env.json(&["report"]).get("daily").is_none(), "only when asked for");
}
