//! Change enablement end to end: freeze windows, emergency overrides, conflicts at submit.

mod common;

use common::Env;
use serde_json::Value;

fn json(env: &Env, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    serde_json::from_str(&env.ok(&args)).expect("valid JSON")
}

/// alice (admin) and carol (cab); bob requests changes on db, which shop depends on.
fn desk() -> Env {
    let env = Env::new();
    env.ok(&["operator", "add", "carol", "--role", "agent", "--role", "cab"]);
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    env.ok(&["ci", "add", "shop", "--class", "business_service"]);
    env.ok(&["ci", "add", "db", "--class", "database"]);
    env.ok(&["ci", "add", "printer", "--class", "server"]);
    env.ok(&["ci", "relate", "shop", "depends_on", "db"]);
    env
}

/// A change by bob on `ci`, submitted for the window, waiting for the CAB.
fn change(env: &Env, ty: &str, ci: &str, from: &str, to: &str) -> String {
    let id = env
        .ok_as("bob", &["new", "change", "--type", ty, "--title", "patch", "--ci", ci])
        .trim()
        .to_string();
    let window = [
        "-f",
        "risk=low",
        "-f",
        "implementation_plan=apply",
        "-f",
        "backout_plan=restore",
        "-f",
        &format!("planned_start={from}"),
        "-f",
        &format!("planned_end={to}"),
    ];
    let mut args = vec!["move", id.as_str(), "submit"];
    args.extend_from_slice(&window);
    let out = env.cmd_as("bob").args(&args).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    if ty == "normal" {
        env.ok_as("bob", &["move", &id, "request_approval"]);
    }
    id
}

#[test]
fn a_freeze_refuses_approving_a_normal_change_in_it() {
    let env = desk();
    env.ok(&[
        "freeze",
        "add",
        "year-end",
        "--from",
        "2026-12-20T00:00:00Z",
        "--to",
        "2027-01-04T00:00:00Z",
    ]);
    let id = change(&env, "normal", "db", "2026-12-22T02:00:00Z", "2026-12-22T04:00:00Z");
    let before = env.snapshot();
    let err = env.fails_as("carol", &["move", &id, "approve", "--note", "ok"], 1);
    assert!(
        err.contains(&format!(
            "{id} cannot `approve`: its window falls in freeze window year-end"
        )),
        "{err}"
    );
    assert_eq!(env.snapshot(), before, "nothing written");
    // Outside the freeze it is approved.
    let later = change(&env, "normal", "db", "2027-01-05T02:00:00Z", "2027-01-05T04:00:00Z");
    env.ok_as("carol", &["move", &later, "approve", "--note", "ok"]);
    assert_eq!(json(&env, &["show", &later])["state"], "scheduled");
}

#[test]
fn a_freeze_limited_to_a_service_covers_what_it_depends_on_only() {
    let env = desk();
    env.ok(&[
        "freeze",
        "add",
        "shop-sale",
        "--from",
        "2026-11-27T00:00:00Z",
        "--to",
        "2026-11-30T00:00:00Z",
        "--ci",
        "shop",
    ]);
    let on_db = change(&env, "normal", "db", "2026-11-28T02:00:00Z", "2026-11-28T03:00:00Z");
    let on_printer = change(
        &env,
        "normal",
        "printer",
        "2026-11-28T02:00:00Z",
        "2026-11-28T03:00:00Z",
    );
    assert!(
        env.fails_as("carol", &["move", &on_db, "approve", "--note", "x"], 1)
            .contains("shop-sale")
    );
    env.ok_as("carol", &["move", &on_printer, "approve", "--note", "x"]);
}

#[test]
fn a_standard_change_cannot_be_scheduled_into_a_freeze() {
    let env = desk();
    env.ok(&[
        "freeze",
        "add",
        "year-end",
        "--from",
        "2026-12-20T00:00:00Z",
        "--to",
        "2027-01-04T00:00:00Z",
    ]);
    let id = env.ok_as(
        "bob",
        &[
            "new",
            "change",
            "--type",
            "standard",
            "--title",
            "rotate certs",
            "--ci",
            "printer",
        ],
    );
    let id = id.trim();
    let err = env.fails_as(
        "bob",
        &[
            "move",
            id,
            "schedule",
            "-f",
            "implementation_plan=certbot",
            "-f",
            "planned_start=2026-12-24T01:00:00Z",
            "-f",
            "planned_end=2026-12-24T02:00:00Z",
        ],
        1,
    );
    assert!(err.contains("freeze window year-end"), "{err}");
    env.ok_as(
        "bob",
        &[
            "move",
            id,
            "schedule",
            "-f",
            "implementation_plan=certbot",
            "-f",
            "planned_start=2027-01-10T01:00:00Z",
            "-f",
            "planned_end=2027-01-10T02:00:00Z",
        ],
    );
}

#[test]
fn an_emergency_change_is_approved_in_a_freeze_and_the_override_recorded() {
    let env = desk();
    env.ok(&[
        "freeze",
        "add",
        "year-end",
        "--from",
        "2026-12-20T00:00:00Z",
        "--to",
        "2027-01-04T00:00:00Z",
    ]);
    let id = change(&env, "emergency", "db", "2026-12-22T02:00:00Z", "2026-12-22T03:00:00Z");
    let out = env
        .cmd_as("carol")
        .args(["move", &id, "approve", "--note", "outage"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("freeze window year-end overridden"));
    let v = json(&env, &["show", &id]);
    assert_eq!(v["state"], "scheduled");
    let ev = v["timeline"]
        .as_array()
        .expect("t")
        .iter()
        .find(|e| e["kind"] == "freeze_override")
        .expect("recorded");
    assert_eq!(ev["field"], "year-end");
    assert_eq!(ev["actor"], "carol");
}

#[test]
fn conflicts_are_shown_at_submit_and_approve() {
    let env = desk();
    let first = change(&env, "normal", "shop", "2026-12-01T02:00:00Z", "2026-12-01T04:00:00Z");
    // A second change on the database the shop depends on, overlapping.
    let id = env
        .ok_as("bob", &["new", "change", "--title", "db patch", "--ci", "db"])
        .trim()
        .to_string();
    let out = env
        .cmd_as("bob")
        .args([
            "move",
            &id,
            "submit",
            "-f",
            "risk=low",
            "-f",
            "implementation_plan=a",
            "-f",
            "backout_plan=b",
        ])
        .args([
            "-f",
            "planned_start=2026-12-01T03:00:00Z",
            "-f",
            "planned_end=2026-12-01T05:00:00Z",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("conflicts with {first}: shop depends on db")),
        "{err}"
    );
    env.ok_as("bob", &["move", &id, "request_approval"]);
    let out = env
        .cmd_as("carol")
        .args(["move", &id, "approve", "--note", "ok"])
        .output()
        .expect("run");
    assert!(out.status.success(), "conflicts are shown, not refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("conflicts with {first}")));
    // A change starting when the first ends does not conflict.
    let touching = env
        .ok_as("bob", &["new", "change", "--title", "after", "--ci", "shop"])
        .trim()
        .to_string();
    let out = env
        .cmd_as("bob")
        .args([
            "move",
            &touching,
            "submit",
            "-f",
            "risk=low",
            "-f",
            "implementation_plan=a",
            "-f",
            "backout_plan=b",
        ])
        .args([
            "-f",
            "planned_start=2026-12-01T04:00:00Z",
            "-f",
            "planned_end=2026-12-01T05:00:00Z",
        ])
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&format!("conflicts with {first}")));
}

#[test]
fn freeze_windows_are_managed_by_cab_or_admin_and_checked() {
    let env = desk();
    let before = env.snapshot();
    assert!(
        env.fails_as(
            "bob",
            &["freeze", "add", "x", "--from", "2026-12-01", "--to", "2026-12-02"],
            1
        )
        .contains("needs the cab or admin role")
    );
    assert!(
        env.fails(&["freeze", "add", "x", "--from", "2026-12-02", "--to", "2026-12-01"], 1)
            .contains("ends before it starts")
    );
    assert!(
        env.fails(&["freeze", "add", "x", "--from", "soon", "--to", "2026-12-01"], 1)
            .contains("--from `soon` is not a time")
    );
    assert!(
        env.fails(
            &[
                "freeze",
                "add",
                "x",
                "--from",
                "2026-12-01",
                "--to",
                "2026-12-02",
                "--ci",
                "nope"
            ],
            1
        )
        .contains("no CI named `nope`")
    );
    assert_eq!(env.snapshot(), before);
    env.ok_as(
        "carol",
        &[
            "freeze",
            "add",
            "x",
            "--from",
            "2026-12-01T00:00:00Z",
            "--to",
            "2026-12-02T00:00:00Z",
            "--ci",
            "shop",
        ],
    );
    assert!(
        env.fails(&["freeze", "add", "X", "--from", "2026-12-01", "--to", "2026-12-02"], 1)
            .contains("exists already")
    );
    let list = json(&env, &["freeze", "list"]);
    assert_eq!(list[0]["name"], "x");
    assert_eq!(list[0]["cis"], serde_json::json!(["shop"]));
    assert!(env.ok(&["freeze", "list"]).contains("shop"));
}
