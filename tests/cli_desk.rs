//! The desk as a whole from the command line: operators, files, first use, help, demo, CI
//! impact and backup.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::Env;
use serde_json::Value;

fn json(env: &Env, args: &[&str]) -> Value {
    env.json(args)
}

#[test]
fn operators_register_on_first_action_and_the_creator_is_admin() {
    let env = Env::new();
    env.ok_as("bob", &["new", "request", "--title", "access to wiki"]);
    let ops = json(&env, &["operator", "list"]);
    let account = env.account();
    let mut want = vec![
        serde_json::json!({"name": "alice", "roles": ["agent", "admin"]}),
        serde_json::json!({"name": "bob", "roles": ["agent"]}),
        serde_json::json!({"name": account, "roles": ["agent", "admin"]}),
    ];
    want.sort_by_key(|o| o["name"].as_str().map(str::to_lowercase));
    assert_eq!(
        ops,
        serde_json::Value::Array(want),
        "the account that made the desk, alice for whom, and bob"
    );
    // Reading does not register anyone.
    env.ok_as("eve", &["list"]);
    assert_eq!(json(&env, &["operator", "list"]).as_array().map(Vec::len), Some(3));
    env.ok(&["operator", "grant", "bob", "--role", "cab", "--role", "admin"]);
    env.ok(&["operator", "grant", "bob", "--role", "admin", "--revoke"]);
    let bob = json(&env, &["operator", "list"])
        .as_array()
        .and_then(|a| a.iter().find(|o| o["name"] == "bob").cloned())
        .expect("bob");
    assert_eq!(bob["roles"], serde_json::json!(["agent", "cab"]));
    assert!(
        env.fails(&["operator", "grant", "alice", "--role", "admin", "--revoke"], 1)
            .contains("cannot revoke their own admin")
    );
}

#[test]
fn desk_files_are_private_unless_shared() {
    let env = Env::empty();
    env.ok(&["init"]);
    let mode = std::fs::metadata(&env.db).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let shared = Env::empty();
    let out = shared.ok(&["init", "--shared"]);
    assert!(out.contains("0660, shared with its group"), "{out}");
    let mode = std::fs::metadata(&shared.db).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o660);
    // Init again changes nothing.
    assert!(env.ok(&["init"]).contains("is a desk already; nothing changed"));
}

#[test]
fn the_default_desk_is_created_on_first_use() {
    let env = Env::empty();
    let out = env
        .cmd()
        .env_remove("OPSDESK_DB")
        .args(["new", "incident", "--title", "first"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("created your desk at"));
    let default = env.dir.path().join("data").join("desk.db");
    assert!(default.exists());
    let paths = env.cmd().env_remove("OPSDESK_DB").arg("paths").output().expect("run");
    assert!(String::from_utf8_lossy(&paths.stdout).contains(&default.display().to_string()));
    // With no command at all, opsdesk opens the desk and shows its queue.
    let out = env.cmd().env_remove("OPSDESK_DB").output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("INC-1"));
}

#[test]
fn an_empty_desk_says_what_to_do_next() {
    let env = Env::new();
    let out = env.ok(&[]);
    assert!(out.contains("No open tickets. To begin:"), "{out}");
}

#[test]
fn every_command_has_help_with_examples() {
    let env = Env::new();
    let commands: &[&[&str]] = &[
        &[],
        &["init"],
        &["new"],
        &["list"],
        &["show"],
        &["move"],
        &["assign"],
        &["comment"],
        &["edit"],
        &["link"],
        &["search"],
        &["ci", "add"],
        &["ci", "relate"],
        &["ci", "show"],
        &["ci", "list"],
        &["ci", "impact"],
        &["ci", "maintenance"],
        &["freeze", "add"],
        &["freeze", "list"],
        &["change", "calendar"],
        &["known-errors"],
        &["backup"],
        &["report"],
        &["operator", "add"],
        &["operator", "grant"],
        &["operator", "list"],
        &["paths"],
        &["demo"],
    ];
    for cmd in commands {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = env.ok(&args);
        assert!(out.contains("Example"), "opsdesk {cmd:?} --help has no example:\n{out}");
    }
    let v = env.ok(&["--version"]);
    assert!(v.starts_with("opsdesk "), "{v}");
}

#[test]
fn a_comment_can_come_from_stdin_and_json_keeps_raw_text() {
    let env = Env::new();
    env.ok(&["new", "incident", "--title", "tab\there \u{1b}[31mred"]);
    let out = env
        .cmd()
        .args(["comment", "INC-1", "-"])
        .write_stdin("line one\nline two\n")
        .output()
        .expect("run");
    assert!(out.status.success());
    let v = json(&env, &["show", "INC-1"]);
    assert_eq!(v["title"], "tab\there \u{1b}[31mred");
    let comment = v["timeline"]
        .as_array()
        .expect("t")
        .iter()
        .find(|e| e["kind"] == "comment")
        .expect("comment");
    assert_eq!(comment["comment"], "line one\nline two");
    let text = env.ok(&["show", "INC-1"]);
    assert!(!text.contains('\u{1b}'), "human output must not carry escapes");
    assert!(text.contains("line two"));
}

#[test]
fn without_user_variables_the_account_of_the_process_acts() {
    let env = Env::empty();
    let out = env.cmd().env_remove("OPSDESK_USER").arg("init").output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ops = env.ok(&["operator", "list", "--json"]);
    let ops: serde_json::Value = serde_json::from_str(&ops).expect("json");
    let name = ops[0]["name"].as_str().expect("an operator");
    assert!(
        !name.is_empty() && name != "alice",
        "the OS account became the admin: {name}"
    );
}

#[test]
fn the_demo_desk_shows_everything_off() {
    let env = Env::empty();
    let out = env
        .cmd()
        .env_remove("OPSDESK_DB")
        .args(["demo", "--db"])
        .arg(&env.db)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("open it with: opsdesk --db"));
    let conn = rusqlite::Connection::open(&env.db).expect("open");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(count("SELECT count(*) FROM tickets"), 300);
    assert_eq!(count("SELECT count(DISTINCT kind) FROM tickets"), 4);
    assert!(
        count("SELECT count(DISTINCT state) FROM tickets") >= 12,
        "tickets in all kinds of states"
    );
    assert!(count("SELECT count(*) FROM tickets WHERE is_open = 1") >= 60);
    assert!(count("SELECT count(*) FROM tickets WHERE kind = 'problem' AND state = 'known_error'") >= 1);
    assert!(count("SELECT count(*) FROM cis WHERE class = 'business_service'") >= 5);
    assert!(count("SELECT count(DISTINCT class) FROM cis") >= 6);
    // Changes across the weeks around now, on whatever day of the month the demo is made:
    // some planned in the last two weeks and some in the next two.
    let window = |from_days: i64, to_days: i64| -> i64 {
        let at = |d: i64| {
            (chrono::Utc::now() + chrono::Duration::days(d)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        conn.query_row(
            "SELECT count(*) FROM tickets WHERE kind = 'change' AND planned_start >= ?1 AND planned_start < ?2",
            [at(from_days), at(to_days)],
            |r| r.get(0),
        )
        .expect("changes")
    };
    let (before, after) = (window(-14, 0), window(0, 15));
    assert!(
        before >= 3 && after >= 3,
        "{before} changes in the last two weeks, {after} in the next two"
    );
    // Some open incidents and requests are past their SLA: a P1/P2 open for more than a day.
    let day_ago = chrono::Utc::now().timestamp_millis() - 86_400_000;
    let breached: i64 = conn
        .query_row(
            "SELECT count(*) FROM tickets WHERE is_open = 1 AND kind IN ('incident', 'request') AND priority <= 2 AND created_at < ?1",
            [day_ago],
            |r| r.get(0),
        )
        .expect("breached");
    assert!(breached >= 1);
    // Never over an existing desk.
    let again = env
        .cmd()
        .env_remove("OPSDESK_DB")
        .args(["demo", "--db"])
        .arg(&env.db)
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}

#[test]
fn ci_impact_both_ways_with_paths_and_cycles() {
    let env = Env::new();
    for (name, class) in [
        ("shop", "business_service"),
        ("api", "application"),
        ("vm", "virtual_machine"),
        ("cluster", "cluster"),
        ("cache", "application"),
    ] {
        env.ok(&["ci", "add", name, "--class", class]);
    }
    env.ok(&["ci", "relate", "shop", "depends_on", "api"]);
    env.ok(&["ci", "relate", "api", "runs_on", "vm"]);
    env.ok(&["ci", "relate", "vm", "part_of", "cluster"]);
    env.ok(&["ci", "relate", "api", "depends_on", "cache"]);
    env.ok(&["ci", "relate", "cache", "depends_on", "api"]); // a cycle
    let up = json(&env, &["ci", "impact", "cluster"]);
    let reached: Vec<(String, u64)> = up["reached"]
        .as_array()
        .expect("reached")
        .iter()
        .map(|r| {
            (
                r["ci"].as_str().unwrap_or("").to_string(),
                r["depth"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(&reached[..2], &[("vm".to_string(), 1), ("api".to_string(), 2)][..]);
    assert!(reached.contains(&("cache".to_string(), 3)));
    assert!(reached.contains(&("shop".to_string(), 3)));
    assert_eq!(up["services"], serde_json::json!(["shop"]));
    let shop = up["reached"]
        .as_array()
        .expect("r")
        .iter()
        .find(|r| r["ci"] == "shop")
        .expect("shop");
    assert_eq!(shop["path"], serde_json::json!(["cluster", "vm", "api", "shop"]));
    assert_eq!(up["cycles"], serde_json::json!([["api", "cache", "api"]]));
    let down = json(&env, &["ci", "impact", "shop", "--direction", "down"]);
    let names: Vec<&str> = down["reached"]
        .as_array()
        .expect("r")
        .iter()
        .map(|r| r["ci"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, vec!["api", "vm", "cache", "cluster"], "by depth, then as added");
    let text = env.ok(&["ci", "impact", "cluster"]);
    assert!(text.contains("If cluster fails, it impacts 4 CI(s):"), "{text}");
    assert!(text.contains("Business services hit: shop"), "{text}");
    assert!(text.contains("Cycle: api → cache → api"), "{text}");
    assert!(env.fails(&["ci", "impact", "nope"], 1).contains("no CI named `nope`"));
}

#[test]
fn an_incident_on_a_ci_a_service_needs_is_offered_impact_1() {
    let env = Env::new();
    env.ok(&["ci", "add", "shop", "--class", "business_service"]);
    env.ok(&["ci", "add", "db", "--class", "database"]);
    env.ok(&["ci", "add", "printer", "--class", "server"]);
    env.ok(&["ci", "relate", "shop", "depends_on", "db"]);
    let out = env
        .cmd()
        .args(["new", "incident", "--title", "db slow", "--ci", "db"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("impact 1 (high): business service shop depends on db"));
    assert_eq!(json(&env, &["show", "INC-1"])["impact"], 1);
    assert_eq!(
        json(&env, &["show", "INC-1"])["impacted_services"],
        serde_json::json!(["shop"])
    );
    assert!(env.ok(&["show", "INC-1"]).contains("Business services impacted: shop"));
    // Not when the operator chose, nor for a CI no service needs.
    env.ok(&["new", "incident", "--title", "db blip", "--ci", "db", "--impact", "3"]);
    assert_eq!(json(&env, &["show", "INC-2"])["impact"], 3);
    env.ok(&["new", "incident", "--title", "paper jam", "--ci", "printer"]);
    assert_eq!(json(&env, &["show", "INC-3"])["impact"], 3);
}

#[test]
fn backup_from_the_command_line() {
    let env = Env::new();
    env.ok(&["new", "incident", "--title", "keep me"]);
    let copy = env.dir.path().join("copy.db");
    let out = env.ok(&["backup", copy.to_str().expect("utf-8 path")]);
    assert!(out.starts_with("backed up "), "{out}");
    let restored = env
        .cmd()
        .env("OPSDESK_DB", &copy)
        .args(["show", "INC-1", "--json"])
        .output()
        .expect("run");
    assert!(restored.status.success());
    assert!(String::from_utf8_lossy(&restored.stdout).contains("keep me"));
    let err = env.fails(&["backup", copy.to_str().expect("utf-8 path")], 1);
    assert!(err.contains("cannot create the backup"), "{err}");
}
