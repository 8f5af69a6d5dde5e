//! `opsdesk import` on real data: an excerpt of the ServiceNow incident event log (UCI
//! Machine Learning Repository; Amaral, Fantinato, Peres 2018; CC BY 4.0 — see
//! tests/fixtures/README.md), checked against figures computed here straight from the file.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use common::Env;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/servicenow-incident-events-excerpt.csv")
}

fn mapping() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/mappings/servicenow-incident-events.toml")
        .display()
        .to_string()
}

fn import(env: &Env, file: &Path, extra: &[&str]) -> serde_json::Value {
    let file = file.display().to_string();
    let mapping = mapping();
    let mut args = vec!["import", file.as_str(), "--mapping", mapping.as_str()];
    args.extend_from_slice(extra);
    env.json(&args)
}

type Record = BTreeMap<String, String>;

/// Each incident's rows in the order of its history (sys_mod_count, then time), read with
/// the csv crate.
fn histories(file: &Path) -> BTreeMap<String, Vec<Record>> {
    let mut r = csv::Reader::from_path(file).expect("fixture");
    let header = r.headers().expect("header").clone();
    let mut out: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.expect("record");
        let row: Record = header
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.into(), v.into()))
            .collect();
        out.entry(row["number"].clone()).or_default().push(row);
    }
    for rows in out.values_mut() {
        rows.sort_by_key(|r| {
            (
                r["sys_mod_count"].parse::<i64>().expect("count"),
                time(&r["sys_updated_at"]),
            )
        });
    }
    out
}

fn time(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%d/%m/%Y %H:%M").expect("time")
}

#[test]
fn the_servicenow_excerpt_imports_with_the_figures_of_the_file() {
    let env = Env::new();
    let r = import(&env, &fixture(), &[]);
    let histories = histories(&fixture());
    let finals: BTreeMap<&String, &Record> = histories.iter().map(|(k, rows)| (k, &rows[rows.len() - 1])).collect();
    assert_eq!(r["rows"], 1990);
    assert_eq!(r["records"], finals.len());
    assert_eq!(r["created"], finals.len());
    // The junk state rows are listed with their line and the value, not fatal.
    let rejected = r["rejected"].as_array().expect("rejected");
    let junk: Vec<&serde_json::Value> = rejected
        .iter()
        .filter(|x| x["reason"].as_str().is_some_and(|s| s.contains("`-100`")))
        .collect();
    assert_eq!(junk.len(), 5, "{rejected:?}");
    assert!(
        junk[0]["reason"]
            .as_str()
            .is_some_and(|s| s.starts_with("fields.state `-100` is not one of the mapped values"))
    );
    assert!(junk.iter().all(|x| x["line"].as_u64().is_some_and(|l| l > 1)));
    // An incident reopened after it was closed: the lifecycle has no move out of closed.
    assert!(rejected.iter().any(|x| x["key"] == "INC0001894"
        && x["reason"] == "no move of the incident lifecycle leads from `closed` to `assigned`"));
    // The KPIs against the file: all closed; opened → resolved over those with resolved_at.
    let report = env.json(&["report"]);
    assert_eq!(report["all"]["tickets"], finals.len());
    assert_eq!(report["all"]["open"], 0);
    // Opened → resolved as the source stamped them, over those it stamped.
    let mut spans: Vec<f64> = finals
        .values()
        .filter(|f| f["resolved_at"] != "?")
        .map(|f| (time(&f["resolved_at"]) - time(&f["opened_at"])).num_seconds() as f64 / 3600.0)
        .collect();
    spans.sort_by(f64::total_cmp);
    let n = spans.len();
    let median = if n % 2 == 1 {
        spans[n / 2]
    } else {
        (spans[n / 2 - 1] + spans[n / 2]) / 2.0
    };
    let mttr = &report["all"]["mttr"];
    assert_eq!(mttr["count"], n);
    let got = mttr["median_hours"].as_f64().expect("median");
    assert!((got - median).abs() < 0.01, "median {got} h, the file says {median} h");
    // Opened → closed, the case duration papers on this log publish: the source's closed_at.
    let mut spans: Vec<f64> = finals
        .values()
        .filter(|f| f["incident_state"] == "Closed" && f["closed_at"] != "?")
        .map(|f| (time(&f["closed_at"]) - time(&f["opened_at"])).num_seconds() as f64 / 3600.0)
        .collect();
    spans.sort_by(f64::total_cmp);
    let (n, mean) = (spans.len(), spans.iter().sum::<f64>() / spans.len() as f64);
    let lead = &report["all"]["time_to_close"];
    assert_eq!(lead["count"], n);
    let got = lead["mean_hours"].as_f64().expect("mean");
    assert!((got - mean).abs() < 0.01, "mean {got} h, the file says {mean} h");
    assert!(
        report["all"]["resolved_to_closed"]["count"]
            .as_u64()
            .is_some_and(|c| c > 0)
    );
    // The ticket remembers where it came from and its timeline says so.
    let hits = env.json(&["search", "INC0000045"]);
    let id = hits[0]["id"]
        .as_str()
        .expect("found by its ServiceNow number")
        .to_string();
    let t = env.json(&["show", &id]);
    let events = t["timeline"].as_array().expect("timeline");
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "imported" && e["new"] == "INC0000045")
    );
    assert_eq!(t["state"], "closed");
}

#[test]
fn a_second_import_changes_nothing_and_a_dry_run_writes_nothing() {
    let env = Env::new();
    let before = env.snapshot();
    let dry = import(&env, &fixture(), &["--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["created"], 294);
    assert_eq!(env.snapshot(), before, "a dry run writes nothing");
    import(&env, &fixture(), &[]);
    let once = env.snapshot();
    let again = import(&env, &fixture(), &[]);
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(again["unchanged"], 294);
    assert_eq!(again["events"], 0);
    assert_eq!(env.snapshot(), once, "a second run changes nothing");
    let text = env.ok(&["import", &fixture().display().to_string(), "--mapping", &mapping()]);
    assert!(text.contains("nothing new"), "{text}");
}

/// The timeline of every ticket, without event ids (which depend on the order of writing).
fn timelines(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT t.kind, t.number, t.state, t.version, t.assignee, t.priority, t.first_assigned_at, t.resolved_at, \
             t.resolves, t.reopens, e.at, e.actor, e.kind, e.field, e.old, e.new, e.note \
             FROM events e JOIN tickets t ON t.id = e.ticket_id ORDER BY t.id, e.id",
        )
        .expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
            .collect::<Result<Vec<_>, _>>()
            .map(|c| c.join("|"))
    })
    .expect("query")
    .map(|r| r.expect("row"))
    .collect()
}

#[test]
fn an_import_cut_short_resumes_to_the_same_desk() {
    // The first part of the file ends in the middle of an incident's history: the second run
    // replays only the rows after the ones already taken.
    let text = std::fs::read_to_string(fixture()).expect("fixture");
    let lines: Vec<&str> = text.lines().collect();
    let cut = 1000;
    let (key_at_cut, next_key) = (&lines[cut][..10], &lines[cut + 1][..10]);
    assert_eq!(key_at_cut, next_key, "the cut falls inside one incident's rows");
    let env = Env::new();
    // The same name as the whole file: the timeline notes which file a ticket came from.
    let part_dir = env.dir.path().join("part");
    std::fs::create_dir(&part_dir).expect("dir");
    let part = part_dir.join("servicenow-incident-events-excerpt.csv");
    std::fs::write(&part, lines[..=cut].join("\n") + "\n").expect("write");
    import(&env, &part, &[]);
    let resumed = import(&env, &fixture(), &[]);
    assert_eq!(resumed["updated"], 1, "only the incident cut in two has rows left");
    let whole = Env::new();
    import(&whole, &fixture(), &[]);
    assert_eq!(timelines(&env.db), timelines(&whole.db));
    clocks_are_what_the_timelines_give(&env.db);
    clocks_are_what_the_timelines_give(&whole.db);
}

/// The SLA clocks an import wrote with each ticket are the ones the desk works out from
/// the ticket's timeline: working them all out again changes no row.
fn clocks_are_what_the_timelines_give(db: &Path) {
    let policy = opsdesk::domain::Policy::shipped();
    let mut store = opsdesk::store::Store::open(db).expect("open");
    let changed = store
        .write(|tx| -> Result<usize, opsdesk::store::StoreError> {
            let ids: Vec<i64> = tx.query_map("SELECT id FROM tickets", (), |r| r.get(0))?;
            assert!(ids.len() > 100, "{} tickets", ids.len());
            opsdesk::store::sla::refresh_rows(tx, &policy.sla, &policy.lifecycles, &ids)
        })
        .expect("refresh");
    assert_eq!(changed, 0, "tickets whose clocks the import got wrong");
}

#[test]
fn json_lines_snapshots_update_what_changed() {
    let env = Env::new();
    let mapping = env.dir.path().join("m.toml");
    std::fs::write(
        &mapping,
        r#"source = "tracker"
kind = "request"
key = "id"
[time]
created = "opened"
[people]
create = true
[fields]
title = "subject"
team = "queue"
state = { column = "status", values = { open = "new", doing = "assigned", done = "resolved" } }
assignee = "owner"
resolution_note = { value = "Done in the old tracker" }
"#,
    )
    .expect("mapping");
    let file = env.dir.path().join("t.jsonl");
    std::fs::write(
        &file,
        "{\"id\": 1, \"subject\": \"New laptop\", \"queue\": \"it\", \"status\": \"open\", \"opened\": \"2026-01-05T09:00:00Z\"}\n\
         {\"id\": 2, \"subject\": \"VPN access\", \"queue\": \"net\", \"status\": \"done\", \"owner\": \"Sam Hill\", \"opened\": \"2026-01-06T09:00:00Z\"}\n",
    )
    .expect("file");
    let m = mapping.display().to_string();
    let f = file.display().to_string();
    let first = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(first["created"], 2);
    assert_eq!(first["people_added"], 1);
    let t = env.json(&["show", "REQ-2"]);
    assert_eq!(t["state"], "resolved");
    assert_eq!(t["assignee"], "sam-hill");
    // A later snapshot of the same records: only what changed is written, as the rules say.
    std::fs::write(
        &file,
        "{\"id\": 1, \"subject\": \"New laptop\", \"queue\": \"hardware\", \"status\": \"doing\", \"owner\": \"Sam Hill\", \"opened\": \"2026-01-05T09:00:00Z\"}\n\
         {\"id\": 2, \"subject\": \"VPN access\", \"queue\": \"net\", \"status\": \"done\", \"owner\": \"Sam Hill\", \"opened\": \"2026-01-06T09:00:00Z\"}\n",
    )
    .expect("file");
    let second = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(
        (second["updated"].as_u64(), second["unchanged"].as_u64()),
        (Some(1), Some(1))
    );
    let t = env.json(&["show", "REQ-1"]);
    assert_eq!(t["state"], "assigned");
    assert_eq!(t["fields"]["team"], "hardware");
}

#[test]
fn bad_imports_are_refused_and_write_nothing() {
    let env = Env::new();
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    let before = env.snapshot();
    let f = fixture().display().to_string();
    let err = env.fails(&["import", &f, "--mapping", "/nope/m.toml"], 1);
    assert!(err.contains("cannot read /nope/m.toml"), "{err}");
    let bad = env.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "source = \"x\"\nkind = \"incident\"\nkey = \"number\"\n[fields]\ntitle = \"short_description\"\n",
    )
    .expect("write");
    let b = bad.display().to_string();
    let err = env.fails(&["import", &f, "--mapping", &b], 1);
    assert!(err.contains("the header has no column `short_description`"), "{err}");
    std::fs::write(
        &bad,
        "source = \"x\"\nkind = \"incident\"\nkey = \"number\"\n[fields]\ntitle = 7\n",
    )
    .expect("write");
    let err = env.fails(&["import", &f, "--mapping", &b], 1);
    assert!(err.contains("bad.toml") && err.contains("line 5"), "{err}");
    let err = env.fails(&["import", "/nope/x.csv", "--mapping", &mapping()], 1);
    assert!(err.contains("cannot read /nope/x.csv"), "{err}");
    let err = env.fails_as("bob", &["import", &f, "--mapping", &mapping()], 1);
    assert!(
        err.contains("bob may not import tickets: that needs the admin role"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
}
