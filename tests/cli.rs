//! The CLI's main flows against the real binary.

mod common;

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
