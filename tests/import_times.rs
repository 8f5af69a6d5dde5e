//! Importing other tools' exports exactly: times are values (read at the edge to UTC, the
//! cell's offset first, then the mapping's zone, and compared as instants), lines are the
//! file's lines, and refusals name what the reader knows.

mod common;

use common::Env;

fn write(env: &Env, name: &str, text: &str) -> String {
    let path = env.dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn an_offset_in_the_data_is_used_with_a_custom_format() {
    let env = Env::new();
    let m = write(
        &env,
        "m.toml",
        r#"source = "old desk"
kind = "incident"
key = "id"
[time]
created = "opened"
formats = ["%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%d %H:%M:%S"]
zone = "America/New_York"
[fields]
title = "subject"
"#,
    );
    let f = write(
        &env,
        "t.csv",
        "id,subject,opened\n1,Mail down,2010-01-13 08:40:25+02:00\n2,VPN slow,2010-01-13 08:40:25\n",
    );
    let out = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(out["created"], 2, "{out}");
    assert_eq!(
        env.json(&["show", "INC-1"])["created_at"],
        "2010-01-13T06:40:25Z",
        "the cell's offset"
    );
    assert_eq!(
        env.json(&["show", "INC-2"])["created_at"],
        "2010-01-13T13:40:25Z",
        "the mapping's zone"
    );
}

#[test]
fn a_snapshot_saying_the_same_instant_differently_changes_nothing() {
    let env = Env::new();
    let m = write(
        &env,
        "m.toml",
        r#"source = "old cab"
kind = "change"
key = "id"
[fields]
title = "subject"
planned_start = "start"
planned_end = "end"
"#,
    );
    let f = write(
        &env,
        "c.jsonl",
        "{\"id\": 7, \"subject\": \"Patch db\", \"start\": \"2013-11-12T09:13:00.000+01:00\", \"end\": \"2013-11-12T10:13:00+01:00\"}\n",
    );
    let first = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(first["created"], 1, "{first}");
    assert_eq!(
        env.json(&["show", "CHG-1"])["fields"]["planned_start"],
        "2013-11-12T08:13:00Z"
    );
    let before = env.snapshot();
    // The same instants as the desk writes them, and as the source wrote them: no edit.
    for text in [
        "{\"id\": 7, \"subject\": \"Patch db\", \"start\": \"2013-11-12T09:13:00.000+01:00\", \"end\": \"2013-11-12T10:13:00+01:00\"}\n",
        "{\"id\": 7, \"subject\": \"Patch db\", \"start\": \"2013-11-12T08:13:00Z\", \"end\": \"2013-11-12T09:13:00Z\"}\n",
    ] {
        std::fs::write(&f, text).expect("write");
        let again = env.json(&["import", &f, "--mapping", &m]);
        assert_eq!(
            (again["unchanged"].as_u64(), again["rejected"].as_array().map(Vec::len)),
            (Some(1), Some(0)),
            "{again}"
        );
    }
    assert_eq!(env.snapshot(), before, "nothing written");
}

#[test]
fn a_local_time_the_clocks_skipped_is_a_row_level_refusal() {
    let env = Env::new();
    let m = write(
        &env,
        "m.toml",
        r#"source = "old desk"
kind = "incident"
key = "id"
[time]
created = "opened"
formats = ["%Y-%m-%d %H:%M"]
zone = "Europe/Berlin"
[fields]
title = "subject"
"#,
    );
    let f = write(
        &env,
        "t.csv",
        "id,subject,opened\n1,Spring,2021-03-28 02:30\n2,Autumn,2021-10-31 02:30\n",
    );
    let out = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(out["created"], 1, "{out}");
    let refused = out["rejected"].to_string();
    assert!(refused.contains("never happened in Europe/Berlin"), "{refused}");
    // The doubled hour is read as its first pass (summer time, UTC+2).
    assert_eq!(env.json(&["show", "INC-1"])["created_at"], "2021-10-31T00:30:00Z");
}

#[test]
fn a_refusal_names_a_ticket_being_created_by_its_source_key_not_inc_0() {
    let env = Env::new();
    let m = write(
        &env,
        "m.toml",
        r#"source = "x"
kind = "incident"
key = "id"
event_log = true
[time]
at = "at"
[fields]
title = "subject"
state = { column = "st", values = { gone = "cancelled" } }
"#,
    );
    let f = write(
        &env,
        "t.csv",
        "id,subject,st,at\r\nX1,Mail,gone,2026-01-01T00:00:00Z\r\nX1,Mail again,gone,2026-01-02T00:00:00Z\r\n",
    );
    let out = env.json(&["import", &f, "--mapping", &m]);
    let rejected = &out["rejected"][0];
    assert_eq!(rejected["line"], 3, "a CRLF file's line: {out}");
    let reason = rejected["reason"].as_str().unwrap_or("");
    assert!(reason.starts_with("the new incident for `X1` is cancelled"), "{reason}");
    assert!(!reason.contains("INC-0"), "{reason}");
}

#[test]
fn a_dry_run_counts_each_new_ci_and_person_once_however_many_batches() {
    let env = Env::new();
    let m = write(
        &env,
        "m.toml",
        r#"source = "x"
kind = "incident"
key = "id"
cis = "ci"
[people]
create = true
[fields]
title = "subject"
assignee = "owner"
"#,
    );
    // More records than one batch holds, all on the same three CIs and two people.
    let mut text = String::from("id,subject,ci,owner\n");
    for i in 0..2_500 {
        text.push_str(&format!("{i},Case {i},web-{},pat{}\n", i % 3, i % 2));
    }
    let f = write(&env, "t.csv", &text);
    let dry = env.json(&["import", &f, "--mapping", &m, "--dry-run"]);
    assert_eq!(
        (dry["cis_added"].as_u64(), dry["people_added"].as_u64()),
        (Some(3), Some(2)),
        "{dry}"
    );
    let real = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(
        (real["cis_added"].as_u64(), real["people_added"].as_u64()),
        (Some(3), Some(2)),
        "{real}"
    );
}

const CHANGE_MAPPING: &str = r#"source = "old cab"
kind = "change"
key = "id"
cis = "ci"
[fields]
title = "subject"
change_type = "type"
state = { column = "status", values = { New = "new", Scheduled = "scheduled", Implement = "implement" } }
implementation_plan = "plan"
planned_start = "from"
planned_end = "to"
actual_start = "began"
"#;

#[test]
fn a_change_leaves_new_in_one_pass_with_its_ci_type_and_actual_start() {
    let env = Env::new();
    let m = write(&env, "m.toml", CHANGE_MAPPING);
    let f = write(
        &env,
        "c.csv",
        "id,subject,type,status,plan,from,to,began,ci\n\
         C1,Patch db,standard,Implement,apt upgrade,2024-05-01T22:00:00Z,2024-05-01T23:00:00Z,2024-05-01T22:07:00Z,db-1\n",
    );
    let out = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(out["rejected"].as_array().map(Vec::len), Some(0), "{out}");
    let v = env.json(&["show", "CHG-1"]);
    assert_eq!(v["state"], "implement");
    assert_eq!(v["fields"]["change_type"], "standard");
    assert_eq!(v["cis"][0]["name"], "db-1");
    assert_eq!(
        v["fields"]["actual_start"], "2024-05-01T22:07:00Z",
        "the source's, not the move's"
    );
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
}

#[test]
fn a_row_not_taken_writes_nothing_not_even_its_ticket() {
    let env = Env::new();
    let m = write(&env, "m.toml", CHANGE_MAPPING);
    // Scheduled needs a plan and a window: this row has neither.
    let f = write(
        &env,
        "c.csv",
        "id,subject,type,status,plan,from,to,began,ci\nC1,Patch db,standard,Scheduled,,,,,db-1\n",
    );
    let before = env.snapshot();
    let out = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(out["rejected"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(out["created"], 0, "{out}");
    assert_eq!(env.snapshot(), before, "nothing of the row was written");
}

#[test]
fn imported_history_shows_on_the_calendar_with_its_conflicts_when_asked() {
    let env = Env::new();
    let m = write(
        &env,
        "m.toml",
        &CHANGE_MAPPING
            .replace(
                "Implement = \"implement\"",
                "Implement = \"implement\", Closed = \"closed\"",
            )
            .replace(
                "[fields]\n",
                "[fields]\nclose_code = { value = \"successful\" }\nreview_note = { value = \"done\" }\n",
            ),
    );
    let f = write(
        &env,
        "c.csv",
        "id,subject,type,status,plan,from,to,began,ci\n\
         C1,Patch db,standard,Closed,apt upgrade,2015-05-01T22:00:00Z,2015-05-02T02:00:00Z,,db-1\n\
         C2,Resize db,standard,Closed,grow volume,2015-05-02T00:00:00Z,2015-05-02T01:00:00Z,,db-1\n",
    );
    let out = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(out["rejected"].as_array().map(Vec::len), Some(0), "{out}");
    let range = ["change", "calendar", "--from", "2015-05-01", "--to", "2015-05-31"];
    let live = env.json(&range);
    assert_eq!(
        live.as_array().map(Vec::len),
        Some(0),
        "the forward schedule is what is to come: {live}"
    );
    let mut args = range.to_vec();
    args.push("--include-closed");
    let history = env.json(&args);
    let rows = history.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{history}");
    assert_eq!(rows[0]["conflicts"], serde_json::json!(["CHG-2"]));
    assert_eq!(rows[1]["conflicts"], serde_json::json!(["CHG-1"]));
}
