//! Change enablement end to end: freeze windows, emergency overrides, conflicts at submit.

mod common;

use common::Env;
use serde_json::Value;

fn json(env: &Env, args: &[&str]) -> Value {
    env.json(args)
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

/// Submits change `id` as bob for the window; returns what it printed on stderr.
fn submit(env: &Env, id: &str, from: &str, to: &str) -> String {
    let out = env
        .cmd_as("bob")
        .args([
            "move",
            id,
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
            &format!("planned_start={from}"),
            "-f",
            &format!("planned_end={to}"),
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// A change by bob on `ci`, submitted for the window, waiting for the CAB.
fn change(env: &Env, ty: &str, ci: &str, from: &str, to: &str) -> String {
    let id = env
        .ok_as("bob", &["new", "change", "--type", ty, "--title", "patch", "--ci", ci])
        .trim()
        .to_string();
    submit(env, &id, from, to);
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
    let err = submit(&env, &id, "2026-12-01T03:00:00Z", "2026-12-01T05:00:00Z");
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
    let err = submit(&env, &touching, "2026-12-01T04:00:00Z", "2026-12-01T05:00:00Z");
    assert!(!err.contains(&format!("conflicts with {first}")), "{err}");
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

#[test]
fn the_forward_schedule_shows_conflicts_and_freezes() {
    let env = desk();
    env.ok(&[
        "freeze",
        "add",
        "sale",
        "--from",
        "2026-12-01T00:00:00Z",
        "--to",
        "2026-12-02T00:00:00Z",
        "--ci",
        "shop",
    ]);
    let a = change(&env, "normal", "shop", "2026-12-01T02:00:00Z", "2026-12-01T04:00:00Z");
    let b = change(&env, "normal", "db", "2026-12-01T03:00:00Z", "2026-12-01T05:00:00Z");
    let c = change(
        &env,
        "normal",
        "printer",
        "2026-12-03T03:00:00Z",
        "2026-12-03T05:00:00Z",
    );
    let _not_submitted = env.ok_as("bob", &["new", "change", "--title", "draft", "--ci", "db"]);
    let s = json(
        &env,
        &[
            "change",
            "calendar",
            "--from",
            "2026-11-30T00:00:00Z",
            "--to",
            "2026-12-31T00:00:00Z",
        ],
    );
    let rows = s.as_array().expect("rows");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap_or("")).collect();
    assert_eq!(
        ids,
        vec![a.as_str(), b.as_str(), c.as_str()],
        "by start; new changes are not on the schedule"
    );
    assert_eq!(rows[0]["conflicts"], serde_json::json!([b]));
    assert_eq!(rows[1]["conflicts"], serde_json::json!([a]));
    assert_eq!(rows[2]["conflicts"], serde_json::json!([]));
    assert_eq!(rows[0]["freezes"], serde_json::json!(["sale"]));
    assert_eq!(
        rows[1]["freezes"],
        serde_json::json!(["sale"]),
        "the shop depends on db"
    );
    assert_eq!(rows[0]["cis"], serde_json::json!(["shop"]));
    let text = env.ok(&[
        "change",
        "calendar",
        "--from",
        "2026-11-30T00:00:00Z",
        "--to",
        "2026-12-31T00:00:00Z",
    ]);
    assert!(text.contains(&format!("CONFLICT with {b}")), "{text}");
    assert!(text.contains("FREEZE sale"), "{text}");
    assert!(
        env.fails(&["change", "calendar", "--from", "2026-12-31", "--to", "2026-12-01"], 1)
            .contains("--to must be after --from")
    );
    assert!(
        env.fails(&["change", "calendar", "--from", "someday"], 1)
            .contains("is not a date")
    );
}

#[test]
fn the_schedule_as_icalendar_parses_back() {
    let env = desk();
    let a = change(&env, "normal", "shop", "2026-12-01T02:00:00Z", "2026-12-01T04:00:00Z");
    // A long title with characters iCalendar must escape, to be folded and unescaped again.
    env.ok_as(
        "bob",
        &[
            "edit",
            &a,
            "--field",
            "title=Patch; restart, verify \\ and then a much longer description of what happens next é",
        ],
    );
    let b = change(&env, "emergency", "db", "2026-12-01T03:00:00Z", "2026-12-01T05:00:00Z");
    let ics = env.ok(&[
        "change",
        "calendar",
        "--from",
        "2026-11-30T00:00:00Z",
        "--to",
        "2026-12-31T00:00:00Z",
        "--ics",
    ]);
    assert!(ics.contains("\r\n"), "CRLF line endings");
    assert!(ics.split("\r\n").all(|l| l.len() <= 75), "folded at 75 octets");
    let unfolded = icalendar::parser::unfold(&ics);
    let cal = icalendar::parser::read_calendar(&unfolded).expect("parses as iCalendar");
    let events: Vec<_> = cal.components.iter().filter(|c| c.name == "VEVENT").collect();
    assert_eq!(events.len(), 2);
    let prop = |e: &icalendar::parser::Component, name: &str| {
        e.find_prop(name).map(|p| p.val.as_str().to_string()).expect(name)
    };
    assert!(prop(events[0], "UID").starts_with(&format!("{a}-")));
    assert!(prop(events[0], "UID").ends_with("@opsdesk"));
    assert_ne!(prop(events[0], "UID"), prop(events[1], "UID"));
    assert_eq!(prop(events[0], "DTSTART"), "20261201T020000Z");
    assert_eq!(prop(events[0], "DTEND"), "20261201T040000Z");
    assert!(prop(events[0], "DTSTAMP").ends_with('Z'));
    // The independent parser undoes our escaping: the title comes back exactly.
    assert_eq!(
        prop(events[0], "SUMMARY"),
        format!("{a} Patch; restart, verify \\ and then a much longer description of what happens next é")
    );
    assert!(prop(events[0], "DESCRIPTION").contains(&format!("Conflicts with {b}")));
    assert_eq!(
        prop(events[1], "STATUS"),
        "TENTATIVE",
        "an emergency change waiting for approval"
    );
}

#[test]
fn a_change_outside_its_cis_maintenance_window_is_flagged_not_refused() {
    let env = desk();
    let out = env.ok(&["ci", "maintenance", "db", "sun 02:00-06:00 Europe/Berlin"]);
    assert_eq!(
        out, "db maintenance: Sun 02:00-06:00 Europe/Berlin\n",
        "stored in its normal form"
    );
    assert!(
        env.ok(&["ci", "show", "db"])
            .contains("maintenance: Sun 02:00-06:00 Europe/Berlin")
    );
    // Sunday 2026-12-06 01:00-03:00 UTC is 02:00-04:00 in Berlin: inside.
    let inside = change(&env, "normal", "db", "2026-12-06T01:00:00Z", "2026-12-06T03:00:00Z");
    // Monday: outside. Submitting works, and says so.
    let id = env
        .ok_as("bob", &["new", "change", "--title", "weekday patch", "--ci", "db"])
        .trim()
        .to_string();
    let err = submit(&env, &id, "2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z");
    assert!(
        err.contains("is outside the maintenance window of db (Sun 02:00-06:00 Europe/Berlin)"),
        "{err}"
    );
    let s = json(
        &env,
        &[
            "change",
            "calendar",
            "--from",
            "2026-12-01T00:00:00Z",
            "--to",
            "2026-12-31T00:00:00Z",
        ],
    );
    let flags = |id: &str| {
        s.as_array().expect("rows").iter().find(|r| r["id"] == id).expect("row")["outside_maintenance"].clone()
    };
    assert_eq!(flags(&inside), serde_json::json!([]));
    assert_eq!(flags(&id), serde_json::json!(["db"]));
    // Bad specs are refused with the form expected; --clear removes them.
    let before = env.snapshot();
    assert!(
        env.fails(&["ci", "maintenance", "db", "sometimes"], 1)
            .contains("is not a maintenance window: write DAYS HH:MM-HH:MM ZONE")
    );
    assert!(
        env.fails(&["ci", "maintenance", "db", "Sun 02:00-06:00 Mars/Base"], 1)
            .contains("`Mars/Base` is not a time zone name")
    );
    assert!(
        env.fails(&["ci", "maintenance", "nope", "Sun 02:00-06:00 UTC"], 1)
            .contains("no CI named `nope`")
    );
    assert_eq!(env.snapshot(), before);
    assert_eq!(
        env.ok(&["ci", "maintenance", "db", "--clear"]),
        "db has no maintenance window\n"
    );
}

#[test]
fn a_change_that_began_long_before_the_range_is_on_its_calendar_with_its_conflicts() {
    let env = desk();
    // Planned over four months, from long before the asked range.
    let long = change(&env, "normal", "db", "2026-06-01T00:00:00Z", "2026-10-01T00:00:00Z");
    let short = change(&env, "normal", "db", "2026-09-10T01:00:00Z", "2026-09-10T03:00:00Z");
    let s = json(
        &env,
        &[
            "change",
            "calendar",
            "--from",
            "2026-09-01T00:00:00Z",
            "--to",
            "2026-09-30T00:00:00Z",
        ],
    );
    let rows = s.as_array().expect("rows");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap_or("")).collect();
    assert_eq!(ids, vec![long.as_str(), short.as_str()], "{s}");
    assert_eq!(rows[0]["conflicts"], serde_json::json!([short]));
    assert_eq!(rows[1]["conflicts"], serde_json::json!([long]));
    // Ending exactly where the range starts is not overlapping it.
    let s = json(
        &env,
        &[
            "change",
            "calendar",
            "--from",
            "2026-10-01T00:00:00Z",
            "--to",
            "2026-10-31T00:00:00Z",
        ],
    );
    assert_eq!(s.as_array().map(Vec::len), Some(0), "{s}");
}

#[test]
fn a_change_planned_as_it_is_opened_sets_how_far_back_the_calendar_looks() {
    let env = desk();
    // Planned over four months as it is opened (the ticket's insert, not a later update).
    let long = env
        .ok_as(
            "bob",
            &[
                "new",
                "change",
                "--title",
                "migrate",
                "--ci",
                "db",
                "-f",
                "planned_start=2026-06-01T00:00:00Z",
                "-f",
                "planned_end=2026-10-01T00:00:00Z",
            ],
        )
        .trim()
        .to_string();
    let span = || -> f64 {
        let conn = rusqlite::Connection::open(&env.db).expect("open");
        conn.query_row("SELECT longest FROM change_span", [], |r| r.get(0))
            .expect("span")
    };
    assert!((span() - 122.0).abs() < 1e-6, "{}", span());
    // The calendar looks back that far for changes that overlap a range.
    let conn = rusqlite::Connection::open(&env.db).expect("open");
    let back = opsdesk::store::tickets::longest_window(&opsdesk::store::Tx::lite(&conn)).expect("look-back");
    assert_eq!(
        back,
        chrono::Duration::days(122) + chrono::Duration::seconds(1),
        "{long}"
    );
}
