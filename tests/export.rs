//! Export and back: a desk exported as JSON lines and restored into a new desk gives the
//! same tickets, timelines, CIs, clocks and report; CSV export for spreadsheets; bad files
//! are refused whole.

mod common;

use common::Env;

fn seeded(env: &Env) {
    let now = chrono::Utc::now();
    common::seed(&env.db, opsdesk::seed::SeedOptions::new(400, now));
}

fn clocks(db: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT kind, number, tto_phase, tto_due_at, tto_left, ttr_phase, ttr_due_at, ttr_left, \
             first_assigned_at, resolved_at, resolves, reopens, reassignments FROM tickets ORDER BY kind, number",
        )
        .expect("prepare");
    stmt.query_map([], |r| {
        Ok((0..13)
            .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i)))
            .collect::<Vec<_>>()
            .join(" "))
    })
    .expect("rows")
    .map(|r| r.expect("row"))
    .collect()
}

#[test]
fn exporting_then_restoring_gives_the_same_desk() {
    let source = Env::empty();
    seeded(&source);
    let export = source.ok(&["export"]);
    assert_eq!(export.lines().count(), 401, "400 tickets and the end line");
    let file = source.dir.path().join("desk.jsonl");
    std::fs::write(&file, &export).expect("write");

    let target = Env::new();
    let f = file.display().to_string();
    let restored = target.json(&["import", &f]);
    assert_eq!(
        (restored["created"].as_u64(), restored["unchanged"].as_u64()),
        (Some(400), Some(0))
    );
    assert_eq!(
        target.ok(&["export"]),
        export,
        "the same tickets and timelines, line for line"
    );
    let (theirs, ours) = (clocks(&source.db), clocks(&target.db));
    let differ: Vec<_> = theirs.iter().zip(&ours).filter(|(a, b)| a != b).take(3).collect();
    assert!(differ.is_empty(), "the same clocks and KPI milestones: {differ:#?}");
    let report = |env: &Env| {
        let mut r = env.json(&["report", "--until", "2100-01-01"]);
        r["all"]["backlog"] = serde_json::Value::Null; // ages move with the clock
        r
    };
    assert_eq!(report(&target), report(&source));
    let hits = target.json(&["search", "slow"]);
    assert!(
        hits.as_array().is_some_and(|h| !h.is_empty()),
        "restored tickets are searchable"
    );

    let again = target.json(&["import", &f]);
    assert_eq!(
        (again["created"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(400))
    );
}

#[test]
fn a_restore_into_a_desk_with_those_numbers_renumbers() {
    let source = Env::new();
    source.ok(&["new", "incident", "--title", "Printer on fire"]);
    let file = source.dir.path().join("one.jsonl");
    std::fs::write(&file, source.ok(&["export"])).expect("write");
    let target = Env::new();
    target.ok(&["new", "incident", "--title", "Already here"]);
    let out = target.ok(&["import", &file.display().to_string()]);
    assert!(out.contains("INC-1 is INC-2 here"), "{out}");
    assert_eq!(target.json(&["show", "INC-2"])["title"], "Printer on fire");
}

#[test]
fn csv_export_has_a_row_per_ticket_with_every_field() {
    let env = Env::new();
    env.ok(&[
        "new",
        "incident",
        "--title",
        "Disk, full \"again\"",
        "--impact",
        "1",
        "--urgency",
        "2",
    ]);
    env.ok(&["new", "request", "--title", "Laptop"]);
    let only = env.ok(&["export", "--format", "csv", "--kind", "incident"]);
    let mut r = csv::Reader::from_reader(only.as_bytes());
    let header = r.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    assert_eq!(rows.len(), 1);
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    assert_eq!(&rows[0][col("id")], "INC-1");
    assert_eq!(&rows[0][col("title")], "Disk, full \"again\"");
    assert_eq!(&rows[0][col("priority")], "2");
    assert!(header.iter().any(|h| h == "resolution_code"));
    let all = env.ok(&["export", "--format", "csv"]);
    assert_eq!(all.lines().count(), 3);
}

#[test]
fn a_bad_export_is_refused_whole_and_writes_nothing() {
    let source = Env::new();
    source.ok(&["new", "incident", "--title", "one"]);
    source.ok(&["new", "incident", "--title", "two"]);
    let export = source.ok(&["export"]);
    let target = Env::new();
    let before = target.snapshot();
    let bad = target.dir.path().join("bad.jsonl");
    let cases = [
        (
            export.replacen("\"state\":\"new\"", "\"state\":\"nowhere\"", 1),
            "state `nowhere`",
        ),
        (
            export.replacen("\"field\":\"state\"", "\"field\":\"state\",\"extra\":1", 1),
            "not an opsdesk export line",
        ),
        (
            format!("{export}{{\"format\":\"other/9\"}}\n"),
            "bad.jsonl:4: there is more after the export's end line",
        ),
        (
            export.lines().take(1).collect::<Vec<_>>().join("\n") + "\n",
            "is cut short: 1 record and no end line",
        ),
        (
            export.lines().take(2).collect::<Vec<_>>().join("\n") + "\n",
            "is cut short: 2 records and no end line",
        ),
        (
            export.replacen("\"title\":\"one\"", "\"title\":\"won\"", 1),
            "their digest differs from its end line",
        ),
        (
            export.replacen("\"records\":2", "\"records\":3", 1),
            "its end line counts 3 records but 2 came before it",
        ),
        (
            export.replacen("opsdesk-export/1", "opsdesk-export/9", 1),
            "is not opsdesk-export/1",
        ),
        ("not json\n".to_string(), "bad.jsonl:1"),
    ];
    for (text, message) in cases {
        std::fs::write(&bad, text).expect("write");
        let err = target.fails(&["import", &bad.display().to_string()], 1);
        assert!(err.contains(message), "{message}: {err}");
        assert_eq!(target.snapshot(), before, "nothing written for {message}");
    }
    let file = target.dir.path().join("ok.jsonl");
    std::fs::write(&file, &export).expect("write");
    let err = target.fails_as("bob", &["import", &file.display().to_string()], 1);
    assert!(err.contains("needs the admin role"), "{err}");
    let dry = target.json(&["import", &file.display().to_string(), "--dry-run"]);
    assert_eq!(dry["created"], 2);
    assert_eq!(target.snapshot(), before, "a dry run writes nothing");
}

/// The watchers of a ticket come back with it: they are what its timeline's watch and
/// unwatch events say.
#[test]
fn a_restored_ticket_keeps_its_watchers() {
    let source = Env::new();
    source.ok(&[
        "new",
        "request",
        "--title",
        "New laptop",
        "--requester",
        "ana@example.com",
    ]);
    source.ok(&["watch", "REQ-1", "boss@example.com"]);
    source.ok(&["watch", "REQ-1", "it-lead@example.com"]);
    source.ok(&["unwatch", "REQ-1", "boss@example.com"]);
    let file = source.dir.path().join("desk.jsonl");
    std::fs::write(&file, source.ok(&["export"])).expect("write");
    let target = Env::new();
    target.ok(&["import", &file.display().to_string()]);
    let v = target.json(&["show", "REQ-1"]);
    assert_eq!(v["watchers"], serde_json::json!(["it-lead@example.com"]), "{v}");
}
