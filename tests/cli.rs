//! The CLI's main flows against the real binary.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::Env;
use serde_json::Value;

fn json(env: &Env, args: &[&str]) -> Value {
    env.json(args)
}

#[test]
fn ids_count_per_kind_and_are_case_insensitive() {
    let env = Env::new();
    assert_eq!(env.ok(&["new", "incident", "--title", "a"]), "INC-1\n");
    assert_eq!(env.ok(&["new", "incident", "--title", "b"]), "INC-2\n");
    assert_eq!(env.ok(&["new", "request", "--title", "c"]), "REQ-1\n");
    assert_eq!(env.ok(&["new", "problem", "--title", "d"]), "PRB-1\n");
    assert_eq!(env.ok(&["new", "change", "--title", "e"]), "CHG-1\n");
    let v = json(&env, &["show", "inc-2"]);
    assert_eq!(v["id"], "INC-2");
    assert_eq!(v["title"], "b");
}

#[test]
fn incident_from_new_to_closed_with_its_timeline() {
    let env = Env::new();
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    env.ok(&[
        "new",
        "incident",
        "--title",
        "VPN drops",
        "--impact",
        "1",
        "--urgency",
        "2",
    ]);
    let v = json(&env, &["show", "INC-1"]);
    assert_eq!((v["state"].as_str(), v["priority"].as_u64()), (Some("new"), Some(2)));
    assert_eq!(v["allowed"], serde_json::json!(["assign", "resolve", "cancel"]));
    env.ok(&["assign", "INC-1", "bob"]);
    env.ok_as(
        "bob",
        &["move", "INC-1", "pend", "-f", "pending_reason=awaiting_vendor"],
    );
    env.ok_as("bob", &["comment", "INC-1", "vendor case 4411"]);
    env.ok_as("bob", &["move", "INC-1", "resume"]);
    env.ok_as(
        "bob",
        &[
            "move",
            "INC-1",
            "resolve",
            "-f",
            "resolution_code=workaround",
            "-f",
            "resolution_note=split tunnel",
        ],
    );
    env.ok(&["move", "INC-1", "reopen", "--note", "drops again"]);
    env.ok_as(
        "bob",
        &[
            "move",
            "INC-1",
            "resolve",
            "-f",
            "resolution_code=fixed",
            "-f",
            "resolution_note=firmware 7.2",
        ],
    );
    let out = env.ok(&["move", "INC-1", "close"]);
    assert_eq!(out, "INC-1: close: resolved → closed\n");
    let v = json(&env, &["show", "INC-1"]);
    assert_eq!(v["state"], "closed");
    assert_eq!(v["open"], false);
    assert_eq!(v["allowed"], serde_json::json!([]));
    let kinds: Vec<&str> = v["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "transition").count(), 7);
    assert_eq!(kinds[0], "created");
    assert!(kinds.contains(&"comment"));
    let reopen = v["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|e| e["field"] == "reopen")
        .expect("reopen event");
    assert_eq!(reopen["note"], "drops again");
    assert_eq!(reopen["actor"], "alice");
    // Every action counted once: created + assign + pend + comment + resume + resolve + reopen + resolve + close.
    assert_eq!(v["version"], 9);
    let text = env.ok(&["show", "INC-1"]);
    assert!(text.contains("comment: vendor case 4411"), "{text}");
    assert!(text.contains("Next: nothing (comments only)"), "{text}");
}

#[test]
fn normal_change_needs_a_cab_member_who_did_not_ask_for_it() {
    let env = Env::new();
    env.ok(&["operator", "add", "carol", "--role", "agent", "--role", "cab"]);
    env.ok(&["ci", "add", "db-01", "--class", "database"]);
    env.ok_as(
        "carol",
        &["new", "change", "--title", "Upgrade Postgres", "--ci", "db-01"],
    );
    env.ok_as(
        "carol",
        &[
            "move",
            "CHG-1",
            "submit",
            "-f",
            "risk=medium",
            "-f",
            "implementation_plan=pg_upgrade",
            "-f",
            "backout_plan=restore",
            "-f",
            "planned_start=2026-12-01T02:00:00Z",
            "-f",
            "planned_end=2026-12-01T04:00:00Z",
        ],
    );
    env.ok_as("carol", &["move", "CHG-1", "request_approval"]);
    let err = env.fails_as("carol", &["move", "CHG-1", "approve", "--note", "mine"], 1);
    assert!(
        err.contains("carol is the requester of CHG-1 and may not `approve` it"),
        "{err}"
    );
    env.ok(&["operator", "add", "dave", "--role", "agent"]);
    let err = env.fails_as("dave", &["move", "CHG-1", "approve", "--note", "ok"], 1);
    assert!(err.contains("needs the `cab` role, which dave does not have"), "{err}");
    env.ok(&["operator", "grant", "dave", "--role", "cab"]);
    env.ok_as("dave", &["move", "CHG-1", "approve", "--note", "CAB 2026-11-20"]);
    let v = json(&env, &["show", "CHG-1"]);
    assert_eq!(v["state"], "scheduled");
    assert_eq!(
        v["planned_start"],
        serde_json::Value::Null,
        "fields are nested under `fields`"
    );
    assert_eq!(v["fields"]["planned_start"], "2026-12-01T02:00:00Z");
    assert_eq!(v["fields"]["change_type"], "normal");
}

#[test]
fn a_stale_version_is_refused_with_who_and_when() {
    let env = Env::new();
    env.ok(&["new", "incident", "--title", "Printer jam"]);
    let v = json(&env, &["show", "INC-1"]);
    let seen = v["version"].as_i64().expect("version").to_string();
    env.ok_as("bob", &["comment", "INC-1", "I'm on it"]);
    let before = env.snapshot();
    let err = env.fails(&["assign", "INC-1", "--expect-version", &seen], 1);
    let re = regex_lite(&err);
    assert!(re, "unexpected message: {err}");
    assert_eq!(env.snapshot(), before, "a refused write applies nothing");
    let now = json(&env, &["show", "INC-1"])["version"]
        .as_i64()
        .expect("version")
        .to_string();
    env.ok(&["assign", "INC-1", "--expect-version", &now]);
}

/// "INC-1 was changed by bob at HH:MM — reload"
fn regex_lite(err: &str) -> bool {
    let Some(rest) = err.trim().strip_prefix("opsdesk: INC-1 was changed by bob at ") else {
        return false;
    };
    let Some(time) = rest.strip_suffix(" — reload") else {
        return false;
    };
    time.len() == 5 && time.as_bytes()[2] == b':' && time.chars().filter(char::is_ascii_digit).count() == 4
}

#[test]
fn list_filters_and_orders_by_priority_then_age() {
    let env = Env::new();
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    env.ok(&["ci", "add", "web-01", "--class", "server"]);
    env.ok(&["new", "incident", "--title", "low", "--impact", "3", "--urgency", "3"]);
    env.ok(&[
        "new",
        "incident",
        "--title",
        "critical",
        "--impact",
        "1",
        "--urgency",
        "1",
        "--ci",
        "web-01",
    ]);
    env.ok(&[
        "new",
        "request",
        "--title",
        "moderate",
        "--impact",
        "2",
        "--urgency",
        "2",
    ]);
    env.ok(&[
        "new",
        "incident",
        "--title",
        "critical too",
        "--impact",
        "1",
        "--urgency",
        "1",
    ]);
    env.ok(&["assign", "INC-2", "bob"]);
    env.ok(&[
        "move",
        "INC-3",
        "resolve",
        "-f",
        "resolution_code=fixed",
        "-f",
        "resolution_note=x",
    ]);
    let ids = |args: &[&str]| -> Vec<String> {
        json(&env, args)
            .as_array()
            .expect("array")
            .iter()
            .map(|t| t["id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(ids(&["list"]), vec!["INC-2", "INC-3", "REQ-1", "INC-1"]);
    assert_eq!(ids(&["list", "--open"]), vec!["INC-2", "REQ-1", "INC-1"]);
    assert_eq!(ids(&["list", "--kind", "incident", "--open"]), vec!["INC-2", "INC-1"]);
    assert_eq!(ids(&["list", "--assignee", "BOB"]), vec!["INC-2"]);
    assert_eq!(ids(&["list", "--unassigned", "--open"]), vec!["REQ-1", "INC-1"]);
    assert_eq!(ids(&["list", "--mine"]), vec!["INC-3"]);
    assert_eq!(ids(&["list", "--priority", "1"]), vec!["INC-2", "INC-3"]);
    assert_eq!(ids(&["list", "--state", "resolved"]), vec!["INC-3"]);
    assert_eq!(ids(&["list", "--ci", "web-01"]), vec!["INC-2"]);
    assert_eq!(ids(&["list", "--limit", "1"]), vec!["INC-2"]);
    let text = env.ok(&["list", "--open"]);
    assert!(text.starts_with("ID "), "{text}");
    assert!(text.contains("INC-2      P1  assigned          bob"), "{text}");
}

#[test]
fn search_ranks_titles_above_comments_and_finds_comment_text() {
    let env = Env::new();
    env.ok(&["new", "incident", "--title", "Outlook crashes on start"]);
    env.ok(&[
        "new",
        "incident",
        "--title",
        "Slow wifi",
        "--description",
        "outlook is slow too",
    ]);
    env.ok(&["new", "request", "--title", "New monitor"]);
    env.ok(&["comment", "REQ-1", "user also mentions outlook once"]);
    let hits = json(&env, &["search", "outlook"]);
    let ids: Vec<&str> = hits
        .as_array()
        .expect("array")
        .iter()
        .map(|h| h["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, vec!["INC-1", "INC-2", "REQ-1"]);
    // A word typed with `*` matches as a prefix; a renamed title is found under its new words only.
    assert_eq!(json(&env, &["search", "monit*"])[0]["id"], "REQ-1");
    assert_eq!(json(&env, &["search", "monit"]).as_array().map(Vec::len), Some(0));
    env.ok(&["edit", "REQ-1", "--field", "title=Docking station"]);
    assert_eq!(json(&env, &["search", "monitor"]).as_array().map(Vec::len), Some(0));
    assert_eq!(json(&env, &["search", "docking"])[0]["id"], "REQ-1");
    // Query syntax typed by a person is just text.
    env.ok(&["search", "\"outlook", "AND", "(crash"]);
    assert_eq!(json(&env, &["search", "inc-2"])[0]["id"], "INC-2");
}

#[test]
fn edit_recomputes_priority_and_records_each_field() {
    let env = Env::new();
    env.ok(&["new", "incident", "--title", "Slow", "--impact", "3", "--urgency", "3"]);
    let out = env.ok(&[
        "edit",
        "INC-1",
        "--field",
        "impact=1",
        "--field",
        "urgency=2",
        "--field",
        "category=network",
    ]);
    assert!(out.contains("priority: 5 → 2"), "{out}");
    let v = json(&env, &["show", "INC-1"]);
    assert_eq!(v["priority"], 2);
    assert_eq!(v["fields"]["category"], "network");
    let fields: Vec<&str> = v["timeline"]
        .as_array()
        .expect("t")
        .iter()
        .filter(|e| e["kind"] == "field")
        .map(|e| e["field"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(fields, vec!["impact", "urgency", "category", "priority"]);
    let out = env.ok(&["edit", "INC-1", "--field", "priority=1", "--note", "CEO presenting"]);
    assert!(out.contains("priority: 2 → 1"), "{out}");
    assert_eq!(
        env.ok(&["edit", "INC-1", "--field", "category=network"]),
        "INC-1: nothing to change\n"
    );
}

#[test]
fn links_between_tickets_read_both_ways() {
    let env = Env::new();
    env.ok(&["new", "incident", "--title", "Mail down"]);
    env.ok(&["new", "problem", "--title", "Postfix queue fills"]);
    env.ok(&["new", "change", "--title", "Bigger queue disk"]);
    env.ok(&["link", "PRB-1", "INC-1"]);
    env.ok(&["link", "PRB-1", "CHG-1"]);
    assert!(env.ok(&["link", "INC-1", "PRB-1"]).contains("linked to PRB-1 already"));
    let inc = json(&env, &["show", "INC-1"]);
    assert_eq!(inc["links"][0]["id"], "PRB-1");
    assert_eq!(inc["links"][0]["relation"], "caused_by");
    let prb = json(&env, &["show", "PRB-1"]);
    let rels: Vec<(&str, &str)> = prb["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| (l["id"].as_str().unwrap_or(""), l["relation"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(rels, vec![("INC-1", "causes"), ("CHG-1", "fixed_by")]);
    assert!(
        env.fails(&["link", "INC-1", "INC-1"], 1)
            .contains("cannot be linked to itself")
    );
}

#[test]
fn unlink_removes_a_link_with_an_event_on_both_and_audit_stays_intact() {
    let env = Env::new();
    env.ok(&["new", "incident", "--title", "Mail down"]);
    env.ok(&["new", "problem", "--title", "Postfix queue fills"]);
    env.ok(&["ci", "add", "mx-1", "--class", "server"]);
    env.ok(&["link", "INC-1", "PRB-1"]);
    env.ok(&["link", "INC-1", "--ci", "mx-1"]);
    assert_eq!(env.ok(&["unlink", "INC-1", "PRB-1"]), "INC-1 unlinked from PRB-1\n");
    assert_eq!(env.ok(&["unlink", "PRB-1", "INC-1"]), "PRB-1 was not linked to INC-1\n");
    assert_eq!(
        env.ok(&["unlink", "INC-1", "--ci", "mx-1"]),
        "INC-1 unlinked from CI mx-1\n"
    );
    let inc = json(&env, &["show", "INC-1"]);
    assert_eq!(inc["links"].as_array().map(Vec::len), Some(0));
    assert_eq!(inc["cis"].as_array().map(Vec::len), Some(0));
    let kinds: Vec<&str> = inc["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"unlink") && kinds.contains(&"ci_unlink"), "{kinds:?}");
    let prb = json(&env, &["show", "PRB-1"]);
    assert!(
        prb["timeline"]
            .as_array()
            .expect("t")
            .iter()
            .any(|e| e["kind"] == "unlink")
    );
    assert!(env.fails(&["unlink", "INC-1", "--ci", "nope"], 1).contains("nope"));
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
}

#[test]
fn unassign_leaves_nobody_holding_the_ticket() {
    let env = Env::new();
    env.ok(&["new", "incident", "--title", "Mail down"]);
    env.ok(&["assign", "INC-1"]);
    let version = json(&env, &["show", "INC-1"])["version"].as_i64().expect("version");
    let out = env.ok(&["unassign", "INC-1", "--expect-version", &version.to_string()]);
    assert!(out.contains("assignee"), "{out}");
    let inc = json(&env, &["show", "INC-1"]);
    assert_eq!(inc["assignee"], serde_json::Value::Null);
    assert_eq!(inc["state"], "assigned", "the state stays");
    // A stale version is refused and nothing is written.
    env.ok(&["assign", "INC-1"]);
    let before = env.snapshot();
    assert!(
        env.fails(&["unassign", "INC-1", "--expect-version", "1"], 1)
            .contains("changed")
    );
    assert_eq!(env.snapshot(), before);
    env.ok(&["new", "incident", "--title", "closed one"]);
    env.ok(&["move", "INC-2", "cancel", "--note", "dup"]);
    assert!(env.fails(&["unassign", "INC-2"], 1).contains("cancelled"));
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
}

#[test]
fn cmdb_relations_impacted_services_and_open_tickets() {
    let env = Env::new();
    for (name, class) in [
        ("shop", "business_service"),
        ("shop-api", "application"),
        ("vm-17", "virtual_machine"),
        ("cluster-a", "cluster"),
        ("billing", "business_service"),
    ] {
        env.ok(&["ci", "add", name, "--class", class]);
    }
    env.ok(&[
        "ci",
        "add",
        "db-01",
        "--class",
        "database",
        "--attr",
        "engine=postgres",
        "--env",
        "prod",
    ]);
    env.ok(&["ci", "relate", "shop", "depends_on", "shop-api"]);
    env.ok(&["ci", "relate", "shop-api", "runs_on", "vm-17"]);
    env.ok(&["ci", "relate", "vm-17", "part_of", "cluster-a"]);
    env.ok(&["ci", "relate", "billing", "depends_on", "db-01"]);
    env.ok(&["ci", "relate", "db-01", "connected_to", "cluster-a"]);
    env.ok(&["new", "incident", "--title", "cluster node down", "--ci", "cluster-a"]);
    let v = json(&env, &["ci", "show", "cluster-a"]);
    let services: Vec<&str> = v["impacted_services"]
        .as_array()
        .expect("s")
        .iter()
        .map(|s| s["ci"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(services, vec!["shop"], "connected_to carries no impact");
    assert_eq!(
        v["impacted_services"][0]["path"],
        serde_json::json!(["cluster-a", "vm-17", "shop-api", "shop"])
    );
    assert_eq!(v["impacted_services"][0]["depth"], 3);
    assert_eq!(v["open_tickets"][0]["id"], "INC-1");
    assert_eq!(v["relations_in"][0]["ci"], "db-01");
    let list = json(&env, &["ci", "list", "--class", "business_service"]);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let db = json(&env, &["ci", "show", "DB-01"]);
    assert_eq!(db["attrs"]["engine"], "postgres");
    let text = env.ok(&["ci", "show", "cluster-a"]);
    assert!(
        text.contains("shop (depth 3: cluster-a ← vm-17 ← shop-api ← shop)"),
        "{text}"
    );
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
