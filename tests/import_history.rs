//! What real exports hold, said by the mapping: history the lifecycle forbids (as recorded),
//! event logs ordered by a time, values from the first of two columns, CI classes and
//! relations from columns, the time of each step, zero-length and long windows, the roles an
//! import needs, and what was not taken counted by why.

mod common;

use common::Env;

fn write(env: &Env, name: &str, text: &str) -> String {
    let path = env.dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

const EVENTS: &str = r#"source = "old desk"
kind = "incident"
key = "id"
event_log = true
order = { time = "at" }
[time]
at = "at"
[people]
create = true
actor = "by"
[fields]
title = "subject"
state = { column = "status", values = { New = "new", Active = "assigned", Resolved = "resolved", Closed = "closed" } }
assignee = { columns = ["assigned_to", "resolved_by"] }
resolution_code = { value = "fixed" }
resolution_note = { value = "fixed at the source" }
"#;

/// Reopened after closing, in a file whose rows are not in time order.
const REOPENED: &str = "id,subject,status,assigned_to,resolved_by,by,at\n\
    1,Mail down,Closed,,ann,ann,2020-01-03T10:00:00Z\n\
    1,Mail down,New,,,ann,2020-01-01T09:00:00Z\n\
    1,Mail down,Active,bob,,ann,2020-01-01T10:00:00Z\n\
    1,Mail down,Resolved,,carol,bob,2020-01-02T10:00:00Z\n\
    1,Mail down,Active,bob,,bob,2020-01-04T10:00:00Z\n\
    1,Mail down,Resolved,,bob,bob,2020-01-05T10:00:00Z\n\
    1,Mail down,Closed,,bob,bob,2020-01-06T10:00:00Z\n";

#[test]
fn history_the_lifecycle_forbids_is_refused_by_rule_or_kept_as_recorded() {
    // By the rules: the reopen after closing is not taken, and counted by why.
    let env = Env::new();
    let m = write(&env, "m.toml", EVENTS);
    let f = write(&env, "e.csv", REOPENED);
    let text = env.ok(&["import", &f, "--mapping", &m, "--dry-run"]);
    assert!(
        text.contains("2 rows not taken: 2 no move leads to the state\n"),
        "{text}"
    );
    let out = env.json(&["import", &f, "--mapping", &m]);
    // The reopen (line 6) and the resolve after it (line 7); the last close is where it is.
    assert_eq!(out["not_taken"]["no_move"], 2, "{out}");
    let rejected = out["rejected"].as_array().expect("rejected");
    assert_eq!(rejected[0]["line"], 6, "{out}");
    assert_eq!(rejected[1]["line"], 7, "{out}");
    assert_eq!(rejected[0]["cause"], "no_move");
    // As recorded: the whole history, the reopen an `as_recorded` move that says so.
    let env = Env::new();
    let m = write(&env, "m.toml", &format!("history = \"as-recorded\"\n{EVENTS}"));
    let f = write(&env, "e.csv", REOPENED);
    let out = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(out["rejected"].as_array().map(Vec::len), Some(0), "{out}");
    let t = env.json(&["show", "INC-1"]);
    assert_eq!(t["state"], "closed");
    let moves: Vec<(String, String, String)> = t["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "transition")
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
            (s("field"), s("old"), s("at"))
        })
        .collect();
    let names: Vec<&str> = moves.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(names, ["assign", "resolve", "close", "as_recorded", "resolve", "close"]);
    assert_eq!(moves[3].1, "closed");
    assert_eq!(moves[3].2, "2020-01-04T10:00:00Z", "ordered by the time column");
    let reopen = t["timeline"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["field"] == "as_recorded"))
        .expect("as recorded");
    assert!(
        reopen["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("as old desk recorded it (no move of the incident lifecycle")),
        "{reopen}"
    );
    // The first of two columns that has a value: bob assigned, then the resolver column.
    assert_eq!(t["assignee"], "bob");
    // It counts as reopened, and closes when it last closed.
    let r = env.json(&["report"]);
    assert_eq!(r["all"]["reopen_rate"], 100.0, "{r}");
    assert_eq!(r["all"]["time_to_close"]["mean_hours"], 121.0, "{r}");
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
    // A second run changes nothing.
    let again = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(again["updated"], 0, "{again}");
    assert_eq!(again["created"], 0, "{again}");
}

#[test]
fn a_row_whose_order_time_is_not_a_time_is_counted_and_names_the_column() {
    let env = Env::new();
    let m = write(&env, "m.toml", EVENTS);
    let f = write(
        &env,
        "e.csv",
        "id,subject,status,assigned_to,resolved_by,by,at\n1,Mail down,New,,,ann,yesterday\n",
    );
    let out = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(out["not_taken"]["order"], 1, "{out}");
    let reason = out["rejected"][0]["reason"].as_str().unwrap_or("");
    assert!(reason.starts_with("at `yesterday` is not a time"), "{reason}");
    assert!(reason.ends_with("(to order the rows by)"), "{reason}");
}

#[test]
fn a_refused_row_adds_nobody_to_the_desk() {
    let env = Env::new();
    let m = write(&env, "m.toml", EVENTS);
    // dave acts only on a row that is refused: `Bogus` is not a state the mapping maps.
    let f = write(
        &env,
        "e.csv",
        "id,subject,status,assigned_to,resolved_by,by,at\n\
         1,Mail down,New,,,ann,2020-01-01T09:00:00Z\n\
         1,Mail down,Bogus,,,dave,2020-01-01T10:00:00Z\n",
    );
    let out = env.json(&["import", &f, "--mapping", &m]);
    assert_eq!(out["not_taken"]["unmapped"], 1, "{out}");
    assert_eq!(out["people_added"], 1, "ann, not dave: {out}");
    let ops = env.ok(&["operator", "list"]);
    assert!(ops.contains("ann") && !ops.contains("dave"), "{ops}");
}

const CHANGES: &str = r#"source = "old cab"
kind = "change"
key = "id"
cis = "ci"
ci_class = { column = "ci_type", values = { Server = "server", DB = "database", App = "application" } }
[[relations]]
relation = "runs_on"
to = "host"
class = { value = "server" }
[time]
created = "submitted"
zero_window = "30m"
[time.moves]
submit = "submitted"
approve = "approved"
[fields]
title = "subject"
requester = { value = "dana" }
change_type = { value = "normal" }
risk = { value = "low" }
state = { column = "status", values = { New = "new", Scheduled = "scheduled" } }
implementation_plan = "plan"
backout_plan = "plan"
planned_start = "from"
planned_end = "to"
"#;

#[test]
fn a_change_log_says_its_cis_classes_relations_steps_and_windows() {
    let env = Env::new();
    // Approving a normal change needs the cab role, and someone who did not ask for it.
    env.ok(&["operator", "add", "carl", "--role", "admin", "--role", "cab"]);
    let m = write(&env, "m.toml", CHANGES);
    let f = write(
        &env,
        "c.csv",
        "id,subject,status,plan,from,to,ci,ci_type,host,submitted,approved\n\
         C1,Patch db,Scheduled,apt upgrade,2024-05-01T22:00:00Z,2024-05-01T22:00:00Z,orders-db,DB,db-host-1,2024-04-20T08:00:00Z,2024-04-22T15:30:00Z\n\
         C2,Move app,Scheduled,redeploy,2024-05-01T00:00:00Z,2024-08-01T00:00:00Z,orders-app,App,app-host-1,,\n",
    );
    let out = env.json_as("carl", &["import", &f, "--mapping", &m]);
    assert_eq!(out["rejected"].as_array().map(Vec::len), Some(0), "{out}");
    assert_eq!(out["relations_added"], 2, "{out}");
    assert_eq!(out["cis_added"], 4, "{out}");
    // The class from the column; the host a server, as the relation says.
    assert_eq!(env.json(&["ci", "show", "orders-db"])["class"], "database");
    let app = env.json(&["ci", "show", "orders-app"]);
    assert_eq!(app["class"], "application");
    assert!(app.to_string().contains("app-host-1"), "{app}");
    assert_eq!(env.json(&["ci", "show", "db-host-1"])["class"], "server");
    // Each step when the source says it happened.
    let c1 = env.json(&["show", "CHG-1"]);
    let at = |name: &str| {
        c1["timeline"]
            .as_array()
            .and_then(|es| es.iter().find(|e| e["kind"] == "transition" && e["field"] == name))
            .map(|e| e["at"].clone())
    };
    assert_eq!(at("submit"), Some("2024-04-20T08:00:00Z".into()));
    assert_eq!(at("approve"), Some("2024-04-22T15:30:00Z".into()));
    // A zero-length window is as long as the mapping says.
    assert_eq!(c1["fields"]["planned_end"], "2024-05-01T22:30:00Z");
    // A three-month window is flagged, at import and on the calendar.
    assert_eq!(out["long_windows"][0]["key"], "C2", "{out}");
    assert_eq!(out["long_windows"][0]["days"], 92.0, "{out}");
    let cal = env.json(&["change", "calendar", "--from", "2024-05-01", "--to", "2024-05-31"]);
    let c2 = cal
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == "CHG-2"))
        .expect("on the calendar");
    assert_eq!(c2["long"], true, "{cal}");
    let text = env.ok(&["change", "calendar", "--from", "2024-05-01", "--to", "2024-05-31"]);
    assert!(text.contains("long window: 92 days"), "{text}");
}

#[test]
fn an_import_says_the_roles_it_needs_before_it_reads_a_row() {
    let env = Env::new();
    let m = write(&env, "m.toml", CHANGES);
    // alice is an admin without the cab role: told before anything is read (the file is not
    // even there), and the import refuses no one for it.
    let missing = env.dir.path().join("nowhere.csv").display().to_string();
    let out = env
        .cmd()
        .args(["import", &missing, "--mapping", &m])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("this import needs: admin (to import tickets); cab (`approve`, for a normal change to reach `scheduled`, by someone other than its requester)"),
        "{err}"
    );
    assert!(err.contains("warning: alice does not hold the cab role"), "{err}");
    assert!(err.contains("cannot read"), "{err}");
    // As recorded, an admin is enough.
    let m = write(&env, "m2.toml", &format!("history = \"as-recorded\"\n{CHANGES}"));
    let f = write(
        &env,
        "c.csv",
        "id,subject,status,plan,from,to,ci,ci_type,host,submitted,approved\n\
         C1,Patch db,Scheduled,apt upgrade,2024-05-01T22:00:00Z,2024-05-01T23:00:00Z,orders-db,DB,db-host-1,,\n",
    );
    let report = env.json(&["import", &f, "--mapping", &m]);
    let roles: Vec<&str> = report["roles_needed"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["role"].as_str())
        .collect();
    assert_eq!(roles, ["admin"], "{report}");
    assert_eq!(report["rejected"].as_array().map(Vec::len), Some(0), "{report}");
    let t = env.json(&["show", "CHG-1"]);
    assert_eq!(t["state"], "scheduled");
    // A bob who is no admin is refused before a row is read, and nothing is written.
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    let before = env.snapshot();
    let e = env.fails_as("bob", &["import", &f, "--mapping", &m], 1);
    assert!(e.contains("import tickets"), "{e}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn the_shipped_generic_change_log_mapping_migrates_a_change_log() {
    let env = Env::new();
    let m = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/mappings/generic-change-log.toml");
    let f = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/generic-change-log.csv");
    let out = env.json(&["import", f, "--mapping", m]);
    // CR-104 names a class the mapping does not know: its row is not taken, and said why.
    assert_eq!(out["created"], 4, "{out}");
    assert_eq!(out["not_taken"]["unmapped"], 1, "{out}");
    assert_eq!(out["rejected"][0]["line"], 7, "{out}");
    let roles: Vec<&str> = out["roles_needed"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["role"].as_str())
        .collect();
    assert_eq!(roles, ["admin"], "history as recorded needs no cab: {out}");
    assert_eq!(out["long_windows"][0]["key"], "CR-103", "{out}");
    // The change on two CIs, closed when the log says, with its actual window.
    let c = env.json(&["show", "CHG-1"]);
    assert_eq!(c["state"], "closed");
    let cis: Vec<&str> = c["cis"]
        .as_array()
        .expect("cis")
        .iter()
        .filter_map(|x| x["name"].as_str())
        .collect();
    assert_eq!(cis, ["orders-db", "orders-host"]);
    assert_eq!(c["fields"]["actual_start"], "2019-03-09T22:05:00Z");
    assert_eq!(c["fields"]["close_code"], "successful");
    assert_eq!(env.json(&["ci", "show", "orders-db"])["class"], "database");
    assert_eq!(env.json(&["ci", "show", "orders"])["class"], "business_service");
    // The zero-length window of CR-101 is an hour long.
    assert_eq!(
        env.json(&["show", "CHG-2"])["fields"]["planned_end"],
        "2019-03-10T00:00:00Z"
    );
    assert_eq!(env.json(&["show", "CHG-3"])["state"], "cancelled");
    // The schedule's history, with the conflict on orders-host.
    let history = env.json(&[
        "change",
        "calendar",
        "--from",
        "2019-03-01",
        "--to",
        "2019-03-31",
        "--include-closed",
    ]);
    let ids: Vec<&str> = history
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, ["CHG-1", "CHG-2"], "{history}");
    assert_eq!(history[0]["conflicts"], serde_json::json!(["CHG-2"]));
    // What a migrating team checks: the change figures.
    let r = env.json(&["report"]);
    assert_eq!(r["all"]["by_kind"]["change"], 4, "{r}");
    assert_eq!(r["all"]["change_success_rate"], 50.0, "one successful, one failed: {r}");
    assert_eq!(r["all"]["time_to_close"]["count"], 3, "{r}");
    // Again: nothing changes.
    let before = env.snapshot();
    let again = env.json(&["import", f, "--mapping", m]);
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
}

#[test]
fn the_readmes_migration_summary_is_what_a_dry_run_prints() {
    let env = Env::new();
    let readme = include_str!("../README.md");
    let start = readme
        .find("$ opsdesk import changes.csv")
        .expect("the README shows a dry run");
    let block: Vec<&str> = readme[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("```"))
        .map(str::trim)
        .collect();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("changes.csv");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/generic-change-log.csv"),
        &file,
    )
    .expect("copy");
    let m = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/mappings/generic-change-log.toml");
    let out = env
        .cmd()
        .current_dir(dir.path())
        .args(["import", "changes.csv", "-m", m, "--dry-run"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let printed: Vec<&str> = printed.lines().map(str::trim).collect();
    assert_eq!(printed.len(), block.len(), "{printed:#?}");
    for (got, shown) in printed.iter().zip(&block) {
        // The README shortens the last line with `…)`.
        let shown = shown.strip_suffix("…)").unwrap_or(shown);
        assert!(
            got.starts_with(shown),
            "the README shows {shown:?}, a dry run prints {got:?}"
        );
    }
}
