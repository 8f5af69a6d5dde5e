//! One desk, one set of rules: the desk's policy is the desk's, whatever an operator's own
//! files say; identity is the OS account's; acting as someone else is an admin's act and is
//! recorded; nobody approves their own change.

mod common;

use common::Env;

/// A desk where alice is admin, carol and dave are cab, bob is an agent, and db is a CI.
fn desk() -> Env {
    let env = Env::new();
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    env.ok(&["operator", "add", "carol", "--role", "agent", "--role", "cab"]);
    env.ok(&["operator", "add", "dave", "--role", "agent", "--role", "cab"]);
    env.ok(&["ci", "add", "db", "--class", "database"]);
    env
}

const PLAN: [&str; 10] = [
    "-f",
    "risk=low",
    "-f",
    "implementation_plan=a",
    "-f",
    "backout_plan=b",
    "-f",
    "planned_start=2026-12-22T02:00:00Z",
    "-f",
    "planned_end=2026-12-22T04:00:00Z",
];

/// Makes the OS account running the tests a plain agent of the desk (alice takes its admin
/// role away), so that it is in the place of any operator who is not an admin.
fn demote_the_account(env: &Env) -> String {
    let account = env.account();
    env.ok(&["operator", "grant", &account, "--role", "admin", "--revoke"]);
    account
}

/// A lifecycles.toml, in an operator's own config folder, in which anyone may approve.
fn permissive_lifecycles(dir: &std::path::Path) {
    let shipped = include_str!("../assets/lifecycles.toml");
    let open = shipped
        .replace("role = \"cab\"\n", "")
        .replace("not_requester = true\n", "");
    assert_ne!(open, shipped);
    std::fs::create_dir_all(dir).expect("dir");
    std::fs::write(dir.join("lifecycles.toml"), open).expect("write");
}

#[test]
fn self_approval_is_refused_by_the_desks_policy_whatever_the_operators_config_holds() {
    let env = desk();
    let account = demote_the_account(&env);
    let mine = env.dir.path().join("mine");
    permissive_lifecycles(&mine);
    let as_me = |args: &[&str]| {
        env.cmd_self()
            .env("OPSDESK_CONFIG_DIR", &mine)
            .args(args)
            .output()
            .expect("run")
    };
    let out = as_me(&["new", "change", "--title", "patch", "--ci", "db"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut submit = vec!["move", "CHG-1", "submit"];
    submit.extend(PLAN);
    assert!(as_me(&submit).status.success());
    assert!(as_me(&["move", "CHG-1", "request_approval"]).status.success());
    let before = env.snapshot();
    let out = as_me(&["move", "CHG-1", "approve", "--note", "mine"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "`approve` on CHG-1 needs the `cab` role, which {account} does not have"
        )),
        "{err}"
    );
    assert_eq!(env.snapshot(), before, "nothing written");
}

#[test]
fn a_cab_member_cannot_raise_a_change_for_someone_else_and_approve_it_alone() {
    let env = desk();
    let id = env
        .ok_as(
            "carol",
            &["new", "change", "--title", "patch", "--ci", "db", "--requester", "bob"],
        )
        .trim()
        .to_string();
    let mut submit = vec!["move", id.as_str(), "submit"];
    submit.extend(PLAN);
    env.ok_as("carol", &submit);
    env.ok_as("dave", &["move", &id, "request_approval"]);
    for (who, was) in [
        ("carol", "raised"),
        ("dave", "submitted"),
        ("bob", "is the requester of"),
    ] {
        let err = env.fails_as(who, &["move", &id, "approve", "--note", "ok"], 1);
        let want = if who == "bob" {
            "needs the `cab` role".to_string()
        } else {
            format!("{who} {was} {id} and may not `approve` it: someone else must")
        };
        assert!(err.contains(&want), "{who}: {err}");
        let offered = env.json_as(who, &["show", &id])["allowed"].clone();
        assert!(
            !offered.as_array().expect("moves").iter().any(|m| m == "approve"),
            "{who}: {offered}"
        );
    }
    // Someone who had no hand in it may.
    env.ok(&["operator", "grant", "alice", "--role", "cab"]);
    assert_eq!(
        env.ok(&["move", &id, "approve", "--note", "ok"]),
        format!("{id}: approve: authorize → scheduled\n")
    );
}

#[test]
fn only_an_admin_acts_as_someone_else_and_the_timeline_records_both() {
    let env = desk();
    let account = env.account();
    env.ok_as("bob", &["new", "incident", "--title", "printer"]);
    let timeline = env.json(&["show", "INC-1"])["timeline"].clone();
    assert_eq!(
        (timeline[0]["actor"].as_str(), timeline[0]["via"].as_str()),
        (Some("bob"), Some(account.as_str()))
    );
    assert!(env.ok(&["show", "INC-1"]).contains(&format!("{account} as bob")));

    demote_the_account(&env);
    let before = env.snapshot();
    let refused = format!("{account} may not act as bob: only an admin of this desk acts as another operator");
    // OPSDESK_USER, --user and config.toml's `user` alike.
    assert!(env.fails_as("bob", &["comment", "INC-1", "x"], 1).contains(&refused));
    let out = env
        .cmd_self()
        .args(["--user", "bob", "comment", "INC-1", "x"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&refused));
    env.write_config("user = \"bob\"\n");
    let out = env.cmd_self().args(["comment", "INC-1", "x"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&refused));
    assert_eq!(env.snapshot(), before, "nothing written");
    // As itself it works, as itself.
    env.write_config("");
    env.ok_self(&["comment", "INC-1", "on it"]);
    let t: serde_json::Value = serde_json::from_str(&env.ok_self(&["show", "INC-1", "--json"])).expect("json");
    let last = t["timeline"].as_array().and_then(|t| t.last().cloned()).expect("event");
    assert_eq!(
        (last["actor"].as_str(), last.get("via")),
        (Some(account.as_str()), None)
    );
}

#[test]
fn role_grants_are_entries_of_the_audited_trail() {
    let env = desk();
    let trail = |env: &Env| {
        env.json(&["audit", "verify"])["trail"]["events"]
            .as_i64()
            .expect("trail")
    };
    let before = trail(&env);
    env.ok(&["operator", "grant", "bob", "--role", "cab"]);
    env.ok(&["operator", "grant", "bob", "--role", "cab", "--revoke"]);
    assert_eq!(trail(&env), before + 2);
    let err = env.fails_as("bob", &["operator", "grant", "bob", "--role", "admin"], 1);
    assert!(
        err.contains("bob may not change roles: that needs the admin role"),
        "{err}"
    );
    assert_eq!(trail(&env), before + 2, "a refused grant is no entry");
}

/// Two operators whose own config.toml says different things of SLAs see the same clocks,
/// and opening the desk writes nothing, whoever opens it.
#[test]
fn operators_with_different_personal_configs_see_the_same_clocks_and_open_writes_nothing() {
    let env = desk();
    env.ok(&["new", "incident", "--title", "down", "--impact", "1", "--urgency", "1"]);
    env.ok(&["new", "request", "--title", "access", "--impact", "3", "--urgency", "3"]);
    let strict = env.dir.path().join("strict");
    let lax = env.dir.path().join("lax");
    for (dir, resolve) in [(&strict, "1m"), (&lax, "90d")] {
        std::fs::create_dir_all(dir).expect("dir");
        let text = format!(
            "[[sla.targets]]\nkind = [\"incident\", \"request\"]\npriority = [1, 2, 3, 4, 5]\nresolve = \"{resolve}\"\ncalendar = \"24x7\"\n"
        );
        std::fs::write(dir.join("config.toml"), text).expect("config");
    }
    let before = env.snapshot();
    let show = |dir: &std::path::Path, who: &str, id: &str| -> serde_json::Value {
        let out = env
            .cmd_as(who)
            .env("OPSDESK_CONFIG_DIR", dir)
            .args(["show", id, "--json"])
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")["sla"].clone()
    };
    for id in ["INC-1", "REQ-1"] {
        assert_eq!(show(&strict, "bob", id), show(&lax, "carol", id), "{id}");
    }
    env.cmd_as("bob")
        .env("OPSDESK_CONFIG_DIR", &strict)
        .arg("list")
        .assert()
        .success();
    env.cmd_as("carol")
        .env("OPSDESK_CONFIG_DIR", &lax)
        .arg("list")
        .assert()
        .success();
    assert_eq!(env.snapshot(), before, "opening and reading wrote nothing");
}

#[test]
fn an_admin_changes_the_policy_for_everyone_and_every_version_is_kept() {
    let env = desk();
    env.ok(&["new", "incident", "--title", "x"]);
    env.ok(&["assign", "INC-1"]);
    assert!(
        env.fails(&["move", "INC-1", "close"], 1)
            .contains("cannot `close` from `assigned`")
    );
    let file = env.dir.path().join("policy.toml");
    let text = common::policy_with(&[
        (
            "name = \"close\"\nfrom = [\"resolved\"]\nto = \"closed\"",
            "name = \"close\"\nfrom = [\"assigned\", \"resolved\"]\nto = \"closed\"",
        ),
        (
            "matrix = [[1, 2, 3], [2, 3, 4], [3, 4, 5]]",
            "matrix = [[1, 1, 2], [2, 2, 3], [4, 5, 5]]",
        ),
    ]);
    std::fs::write(&file, &text).expect("write");
    let f = file.display().to_string();
    // An agent may look, not change.
    let diff = env.ok_as("bob", &["policy", "diff", &f]);
    assert!(
        diff.contains("-from = [\"resolved\"]") && diff.contains("+from = [\"assigned\", \"resolved\"]"),
        "{diff}"
    );
    let before = env.snapshot();
    let err = env.fails_as("bob", &["policy", "apply", &f], 1);
    assert!(
        err.contains("bob may not change the desk's policy: that needs the admin role"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
    let out = env.ok(&["policy", "apply", &f]);
    assert!(out.starts_with("the desk's policy is now version 2"), "{out}");
    assert!(
        env.fails(&["policy", "apply", &f], 1)
            .contains("is the desk's policy already (version 2)")
    );
    // Every operator works by it now, whatever their own folder holds.
    env.ok_as(
        "bob",
        &["new", "incident", "--title", "y", "--impact", "1", "--urgency", "2"],
    );
    assert_eq!(env.json(&["show", "INC-2"])["priority"], 1, "the desk's new matrix");
    assert_eq!(
        env.ok_as("carol", &["move", "INC-1", "close"]),
        "INC-1: close: assigned → closed\n"
    );
    assert_eq!(env.ok(&["policy", "show"]), text);
    let log = env.json(&["policy", "log"]);
    assert_eq!(log.as_array().map(Vec::len), Some(2));
    assert_eq!(
        (log[1]["version"].as_i64(), log[1]["author"].as_str()),
        (Some(2), Some("alice"))
    );
    assert!(
        log[1]["diff"]
            .as_str()
            .expect("diff")
            .contains("+matrix = [[1, 1, 2], [2, 2, 3], [4, 5, 5]]")
    );
    assert!(
        env.ok(&["policy", "show", "--version", "1"])
            .contains("matrix = [[1, 2, 3], [2, 3, 4], [3, 4, 5]]")
    );
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
}

#[test]
fn a_policy_that_drops_a_state_tickets_are_in_is_refused() {
    let env = desk();
    env.ok(&["new", "incident", "--title", "x"]);
    env.ok(&["assign", "INC-1"]);
    env.ok(&["move", "INC-1", "pend", "-f", "pending_reason=awaiting_caller"]);
    let text = common::policy_with(&[
        (
            "states = [\"new\", \"assigned\", \"pending\", \"resolved\", \"closed\", \"cancelled\"]\nfinal = [\"closed\", \"cancelled\"]\nresolved = [\"resolved\"]\npaused = [\"pending\"]",
            "states = [\"new\", \"assigned\", \"resolved\", \"closed\", \"cancelled\"]\nfinal = [\"closed\", \"cancelled\"]\nresolved = [\"resolved\"]",
        ),
        (
            "[[lifecycles.incident.transition]]\nname = \"pend\"\nfrom = [\"assigned\"]\nto = \"pending\"\nrequires = [\"pending_reason\"]\n\n[[lifecycles.incident.transition]]\nname = \"resume\"\nfrom = [\"pending\"]\nto = \"assigned\"\n",
            "",
        ),
        (
            "from = [\"new\", \"assigned\", \"pending\"]\nto = \"assigned\"",
            "from = [\"new\", \"assigned\"]\nto = \"assigned\"",
        ),
        (
            "from = [\"new\", \"assigned\", \"pending\"]\nto = \"resolved\"",
            "from = [\"new\", \"assigned\"]\nto = \"resolved\"",
        ),
        (
            "from = [\"new\", \"assigned\", \"pending\"]\nto = \"cancelled\"",
            "from = [\"new\", \"assigned\"]\nto = \"cancelled\"",
        ),
    ]);
    let file = env.dir.path().join("policy.toml");
    std::fs::write(&file, text).expect("write");
    let before = env.snapshot();
    let err = env.fails(&["policy", "apply", &file.display().to_string()], 1);
    assert!(
        err.contains("the new policy has no state `pending` for incidents, and 1 incident is in it"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
}

/// A desk from before desks kept their own policy keeps its behaviour: its first policy is
/// what its opener's files said, with a message; another operator's files then change nothing.
#[test]
fn an_upgraded_desk_adopts_the_rules_its_operators_files_held() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v11.db");
    let account = opsdesk::cli::os_account();
    {
        let conn = opsdesk::store::create_at_version(&path, 11).expect("v11 desk");
        conn.execute("INSERT INTO operators VALUES (?1, 'admin,agent', 0)", [&account])
            .expect("operator");
    }
    let env = Env { db: path.clone(), dir };
    env.write_config(
        "[priority]\nmatrix = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]\n\n[sla]\ncommand = [\"true\"]\n\n[[sla.targets]]\nkind = \"incident\"\npriority = [1]\nresolve = \"90m\"\ncalendar = \"24x7\"\n",
    );
    let out = env
        .cmd_self()
        .args(["new", "incident", "--title", "x", "--impact", "3", "--urgency", "3"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the desk keeps its own rules now: its policy (version 1) was made from"),
        "{err}"
    );
    assert!(
        err.contains("config.toml [priority]") && err.contains("config.toml [sla]"),
        "{err}"
    );
    let t: serde_json::Value = serde_json::from_str(&env.ok_self(&["show", "INC-1", "--json"])).expect("json");
    assert_eq!(t["priority"], 1, "the matrix it had");
    let policy = env.ok_self(&["policy", "show"]);
    assert!(
        policy.contains("resolve = \"90m\"") && !policy.contains("command"),
        "{policy}"
    );
    // Someone else's files hold other rules: they are named, and not read.
    let other = env.dir.path().join("other");
    std::fs::create_dir_all(&other).expect("dir");
    std::fs::write(
        other.join("config.toml"),
        "[priority]\nmatrix = [[5, 5, 5], [5, 5, 5], [5, 5, 5]]\n",
    )
    .expect("write");
    let out = env
        .cmd_self()
        .env("OPSDESK_CONFIG_DIR", &other)
        .args(["new", "incident", "--title", "y"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("are the desk's policy now and are not read"));
    let t: serde_json::Value = serde_json::from_str(&env.ok_self(&["show", "INC-2", "--json"])).expect("json");
    assert_eq!(t["priority"], 1);
    let v: serde_json::Value = serde_json::from_str(&env.ok_self(&["audit", "verify", "--json"])).expect("json");
    assert_eq!(v["intact"], true, "{v}");
}
