//! Problem management: known errors, suggestions on incidents, resolving a problem's incidents.

mod common;

use common::Env;
use serde_json::Value;

fn json(env: &Env, args: &[&str]) -> Value {
    env.json(args)
}

/// PRB-1 is a known error about VPN tunnels; INC-1..3 are incidents, two about the VPN.
fn desk() -> Env {
    let env = Env::new();
    env.ok(&["new", "problem", "--title", "VPN tunnel drops under load"]);
    env.ok(&["assign", "PRB-1"]);
    env.ok(&[
        "move",
        "PRB-1",
        "record_known_error",
        "-f",
        "root_cause=MTU mismatch on the concentrator",
        "-f",
        "workaround=Lower the client MTU to 1400",
    ]);
    env.ok(&["new", "problem", "--title", "Printer spooler leaks memory"]);
    env.ok(&["assign", "PRB-2"]);
    env.ok(&[
        "move",
        "PRB-2",
        "record_known_error",
        "-f",
        "root_cause=Driver bug",
        "-f",
        "workaround=Restart the spooler nightly",
    ]);
    env.ok(&["new", "incident", "--title", "VPN tunnel drops every few minutes"]);
    env.ok(&["new", "incident", "--title", "Tunnel drops for the Berlin office VPN"]);
    env.ok(&["new", "incident", "--title", "Outlook asks for the password again"]);
    env
}

#[test]
fn known_errors_are_searchable() {
    let env = desk();
    let all = json(&env, &["known-errors"]);
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let vpn = json(&env, &["known-errors", "mtu", "vpn"]);
    assert_eq!(vpn[0]["id"], "PRB-1");
    assert_eq!(vpn[0]["workaround"], "Lower the client MTU to 1400");
    let text = env.ok(&["known-errors", "spooler"]);
    assert!(
        text.starts_with("PRB-2 [known_error] Printer spooler leaks memory"),
        "{text}"
    );
    assert!(text.contains("workaround: Restart the spooler nightly"));
    assert_eq!(env.ok(&["known-errors", "qqqzzz"]), "no known errors\n");
}

#[test]
fn an_incident_is_shown_with_known_errors_and_possible_duplicates() {
    let env = desk();
    let v = json(&env, &["show", "INC-1"]);
    let known: Vec<&str> = v["suggestions"]["known_errors"]
        .as_array()
        .expect("k")
        .iter()
        .map(|k| k["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(known, vec!["PRB-1"]);
    let similar: Vec<&str> = v["suggestions"]["similar"]
        .as_array()
        .expect("s")
        .iter()
        .map(|t| t["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        similar,
        vec!["INC-2"],
        "the other VPN incident; not itself, not the Outlook one"
    );
    let text = env.ok(&["show", "INC-1"]);
    assert!(text.contains("Known errors that may apply:\n  PRB-1 VPN tunnel drops under load — workaround: Lower the client MTU to 1400"), "{text}");
    assert!(
        text.contains("Possible duplicates (open incidents):\n  INC-2 [new]"),
        "{text}"
    );
    // Nothing is suggested for the unrelated incident; problems get no suggestions block.
    let outlook = json(&env, &["show", "INC-3"]);
    assert_eq!(outlook["suggestions"]["known_errors"], serde_json::json!([]));
    assert!(json(&env, &["show", "PRB-1"]).get("suggestions").is_none());
}

#[test]
fn resolving_a_problem_can_resolve_its_open_incidents_each_with_its_own_event() {
    let env = desk();
    env.ok(&["link", "INC-1", "PRB-1"]);
    env.ok(&["link", "INC-2", "PRB-1"]);
    env.ok(&[
        "move",
        "INC-2",
        "resolve",
        "-f",
        "resolution_code=workaround",
        "-f",
        "resolution_note=MTU lowered",
    ]);
    env.ok(&["link", "INC-3", "PRB-2"]);
    // Without the flag: a hint naming the open incidents, and nothing else changes.
    let out = env
        .cmd()
        .args(["move", "PRB-2", "resolve", "-f", "resolution_note=New driver"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PRB-2 has 1 open incident(s): INC-3"));
    assert_eq!(json(&env, &["show", "INC-3"])["state"], "new");
    // With it: the open ones are resolved, the already resolved one is left alone.
    let out = env
        .cmd()
        .args([
            "move",
            "PRB-1",
            "resolve",
            "-f",
            "resolution_note=Concentrator MTU fixed",
            "--resolve-incidents",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("INC-1 resolved with PRB-1"));
    let inc = json(&env, &["show", "INC-1"]);
    assert_eq!(inc["state"], "resolved");
    assert_eq!(
        inc["fields"]["resolution_note"],
        "Resolved with PRB-1: Concentrator MTU fixed"
    );
    let moves = inc["timeline"]
        .as_array()
        .expect("t")
        .iter()
        .filter(|e| e["field"] == "resolve")
        .count();
    assert_eq!(moves, 1, "its own resolve event");
    assert_eq!(
        json(&env, &["show", "INC-2"])["fields"]["resolution_note"],
        "MTU lowered"
    );
    let err = env.fails(&["move", "INC-3", "assign", "--resolve-incidents"], 2);
    assert!(
        err.contains("--resolve-incidents goes with `resolve` on a problem"),
        "{err}"
    );
}
