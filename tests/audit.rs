//! Tamper evidence: the timeline's hash chain and `opsdesk audit verify`, against rows edited
//! by hand with the real `sqlite3` shell (.ci/run installs it).

mod common;

use std::process::Command;

use common::Env;

/// A desk with every kind of event: created, transitions, fields, comments, work notes, links.
fn busy_desk() -> Env {
    let env = Env::new();
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    env.ok(&["ci", "add", "mail-01", "--class", "server"]);
    env.ok(&[
        "new",
        "incident",
        "--title",
        "Mail down",
        "--impact",
        "1",
        "--urgency",
        "1",
        "--ci",
        "mail-01",
    ]);
    env.ok(&["new", "problem", "--title", "Postfix queue fills"]);
    env.ok(&["assign", "INC-1", "bob"]);
    env.ok_as("bob", &["comment", "INC-1", "looking at the queue"]);
    env.ok_as("bob", &["comment", "INC-1", "--work-note", "disk at 99 %"]);
    env.ok(&["link", "INC-1", "PRB-1"]);
    env.ok(&["edit", "INC-1", "--field", "category=mail"]);
    env.ok_as(
        "bob",
        &[
            "move",
            "INC-1",
            "resolve",
            "-f",
            "resolution_code=fixed",
            "-f",
            "resolution_note=purged",
        ],
    );
    env
}

/// Runs SQL on the desk with the sqlite3 shell, as someone tampering by hand would.
fn sqlite3(env: &Env, sql: &str) {
    let out = Command::new("sqlite3")
        .arg(&env.db)
        .arg(sql)
        .output()
        .expect("the sqlite3 shell is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn count(env: &Env, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(&env.db).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

#[test]
fn a_healthy_desk_verifies_and_prints_its_head() {
    let env = busy_desk();
    let events = count(&env, "SELECT count(*) FROM events");
    assert!(events >= 10, "the desk has {events} events");
    let v = env.json(&["audit", "verify"]);
    assert_eq!(v["intact"], true);
    assert_eq!(v["events"], events);
    let last = count(&env, "SELECT max(id) FROM events");
    assert_eq!(v["head"]["event"], last);
    let stored: String = rusqlite::Connection::open(&env.db)
        .expect("open")
        .query_row("SELECT lower(hex(hash)) FROM events WHERE id = ?1", [last], |r| {
            r.get(0)
        })
        .expect("head");
    assert_eq!(v["head"]["hash"], stored.as_str());
    let text = env.ok(&["audit", "verify"]);
    let trail = &v["trail"];
    assert_eq!(
        text,
        format!(
            "timeline intact: {events} events chained\nhead: event #{last} {stored}\n\
             desk trail intact: {} entries chained\ndesk head: entry #{} {}\n\
             2 tickets agree with their timelines\n",
            trail["events"],
            trail["head"]["event"],
            trail["head"]["hash"].as_str().expect("hash")
        )
    );
    // Every event is chained: none without a hash, all different.
    assert_eq!(
        count(&env, "SELECT count(DISTINCT hash) FROM events WHERE length(hash) = 32"),
        events
    );
    // The head noted now is still found after more work.
    env.ok(&["comment", "INC-1", "thanks"]);
    let later = env.ok(&["audit", "verify", "--expect", &stored]);
    assert!(later.ends_with("the expected head is in the chain\n"), "{later}");
}

#[test]
fn an_empty_desk_verifies() {
    let env = Env::new();
    let text = env.ok(&["audit", "verify"]);
    assert!(
        text.starts_with("timeline intact: no events yet\ndesk trail intact: "),
        "{text}"
    );
    assert!(text.ends_with("0 tickets agree with their timelines\n"), "{text}");
}

#[test]
fn an_event_edited_by_hand_is_named() {
    let env = busy_desk();
    let victim = count(
        &env,
        "SELECT id FROM events WHERE kind = 'transition' AND field = 'resolve'",
    );
    sqlite3(
        &env,
        &format!("DROP TRIGGER events_append_only_update; UPDATE events SET actor = 'alice' WHERE id = {victim};"),
    );
    let err = env.fails(&["audit", "verify"], 1);
    assert!(
        err.contains(&format!("broken at event #{victim} (INC-1, transition by alice at")),
        "{err}"
    );
    assert!(
        err.contains(&format!("the {} events before it are intact", victim - 1)),
        "{err}"
    );
    // --json says the same on stdout, and still exits 1.
    let out = env.cmd().args(["audit", "verify", "--json"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["intact"], false);
    assert_eq!(v["broken"]["event"], victim);
    assert_eq!(v["broken"]["ticket"], "INC-1");
    assert!(v.get("head").is_none());
}

#[test]
fn a_comment_edited_by_hand_breaks_the_event_that_records_it() {
    let env = busy_desk();
    let event = count(&env, "SELECT id FROM events WHERE kind = 'work_note'");
    sqlite3(
        &env,
        "DROP TRIGGER comments_append_only_update; UPDATE comments SET body = 'all fine' WHERE internal = 1;",
    );
    let err = env.fails(&["audit", "verify"], 1);
    assert!(
        err.contains(&format!("broken at event #{event} (INC-1, work_note by bob")),
        "{err}"
    );
}

#[test]
fn a_removed_event_is_named_by_the_one_after_it() {
    let env = busy_desk();
    let victim = count(&env, "SELECT id FROM events WHERE kind = 'comment'");
    sqlite3(
        &env,
        &format!("DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE id = {victim};"),
    );
    let err = env.fails(&["audit", "verify"], 1);
    assert!(
        err.contains(&format!("broken at event #{}", victim + 1))
            && err.contains(&format!("(event #{victim} is missing)")),
        "{err}"
    );
}

#[test]
fn a_forged_event_and_a_rewritten_hash_are_caught() {
    let env = busy_desk();
    let next = count(&env, "SELECT max(id) + 1 FROM events");
    // A forged event with a plausible hash (the previous one's, copied).
    sqlite3(
        &env,
        &format!(
            "INSERT INTO events (id, ticket_id, at, actor, kind, field, old, new, hash) \
             SELECT {next}, ticket_id, at, 'bob', 'transition', 'close', 'resolved', 'closed', hash \
             FROM events WHERE id = {next} - 1;"
        ),
    );
    let err = env.fails(&["audit", "verify"], 1);
    assert!(
        err.contains(&format!("broken at event #{next} (INC-1, transition by bob")),
        "{err}"
    );

    // Re-hashing one event by hand moves the break to the event after it.
    let env = busy_desk();
    sqlite3(
        &env,
        "DROP TRIGGER events_append_only_update; \
         UPDATE events SET hash = (SELECT hash FROM events WHERE id = 1) WHERE id = 2;",
    );
    let err = env.fails(&["audit", "verify"], 1);
    assert!(err.contains("broken at event #2 "), "{err}");
}

#[test]
fn removing_the_newest_events_is_caught_by_an_earlier_head() {
    let env = busy_desk();
    let v = env.json(&["audit", "verify"]);
    let head = v["head"]["hash"].as_str().expect("head").to_string();
    let last = v["head"]["event"].as_i64().expect("id");
    sqlite3(
        &env,
        &format!("DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE id = {last};"),
    );
    // The shorter chain still holds by itself...
    env.ok(&["audit", "verify"]);
    // ...but not against the head noted before.
    let err = env.fails(&["audit", "verify", "--expect", &head], 1);
    assert!(err.contains(&format!("none has the hash {head}")), "{err}");
    // A malformed head is refused as such.
    let err = env.fails(&["audit", "verify", "--expect", "abc"], 1);
    assert!(err.contains("`abc` is not a chain hash"), "{err}");
}

#[test]
fn a_desk_from_before_the_chain_is_chained_when_upgraded() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v8.db");
    {
        let conn = opsdesk::store::create_at_version(&path, 8).expect("v8 desk");
        conn.execute_batch(
            "INSERT INTO operators VALUES ('alice', 'admin,agent', 0);
             INSERT INTO tickets (id, kind, number, state, is_open, title, impact, urgency, priority, requester, created_at, updated_at, version)
             VALUES (1, 'incident', 1, 'assigned', 1, 'Mail down', 2, 2, 3, 'alice', 0, 20, 3);
             INSERT INTO comments (id, ticket_id, at, author, body, internal) VALUES (1, 1, 20, 'alice', 'on it', 0);
             INSERT INTO events (ticket_id, at, actor, kind, field, old, new, comment_id) VALUES
                (1, 0, 'alice', 'created', 'state', NULL, 'new', NULL),
                (1, 10, 'alice', 'transition', 'assign', 'new', 'assigned', NULL),
                (1, 20, 'alice', 'comment', NULL, NULL, NULL, 1);",
        )
        .expect("v8 data");
    }
    let env = Env { db: path.clone(), dir };
    let v: serde_json::Value = serde_json::from_str(&env.ok_self(&["audit", "verify", "--json"])).expect("json");
    assert_eq!(
        (v["intact"].as_bool(), v["events"].as_i64()),
        (Some(true), Some(4)),
        "its three events and the baseline the upgrade recorded"
    );
    // The guard against changing events is back after the upgrade.
    let conn = rusqlite::Connection::open(&path).expect("open");
    let err = conn
        .execute("UPDATE events SET actor = 'bob' WHERE id = 1", [])
        .expect_err("append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
    // New events chain on from the upgraded ones.
    env.ok_self(&["comment", "INC-1", "fixed"]);
    let v: serde_json::Value = serde_json::from_str(&env.ok_self(&["audit", "verify", "--json"])).expect("json");
    assert_eq!(v["events"], 5, "three, the upgrade's baseline, and the comment");
}

/// An event put in by hand below the first id is walked, and named as out of place, even
/// when its hash is a valid link to the genesis (it then breaks the next one), and with
/// --expect of the head noted before.
#[test]
fn an_event_inserted_with_id_0_or_below_is_caught() {
    for id in [0, -5] {
        let env = busy_desk();
        let head = env.json(&["audit", "verify"])["head"]["hash"]
            .as_str()
            .expect("head")
            .to_string();
        sqlite3(
            &env,
            &format!(
                "INSERT INTO events (id, ticket_id, at, actor, kind, field, old, new, hash) \
                 SELECT {id}, ticket_id, at, 'mallory', 'transition', 'close', 'resolved', 'closed', hash \
                 FROM events WHERE id = 1;"
            ),
        );
        for args in [vec!["audit", "verify"], vec!["audit", "verify", "--expect", &head]] {
            let err = env.fails(&args, 1);
            assert!(
                err.contains(&format!("broken at event #{id} (INC-1, transition by mallory"))
                    && err.contains(&format!("never gave #{id} (it expected #1 here)")),
                "{id}: {err}"
            );
        }
        let out = env.cmd().args(["audit", "verify", "--json"]).output().expect("run");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            (v["broken"]["event"].as_i64(), v["broken"]["flaw"].as_str()),
            (Some(id), Some("out_of_place"))
        );
    }
}

/// The ticket row is current state, not chained: the replay of its timeline names a state,
/// requester, assignee, priority or version changed by hand, with its ticket and field.
#[test]
fn a_ticket_row_edited_by_hand_is_named_with_its_field() {
    let cases = [
        (
            "state = 'closed'",
            "INC-1 state: `closed` in the desk, `resolved` by its history",
        ),
        (
            "requester = 'mallory'",
            "INC-1 requester: `mallory` in the desk, `alice` by its history",
        ),
        (
            "assignee = 'mallory'",
            "INC-1 assignee: `mallory` in the desk, `bob` by its history",
        ),
        ("priority = 5", "INC-1 priority: `5` in the desk, `1` by its history"),
        ("version = version + 3", "INC-1 version: `"),
    ];
    for (set, said) in cases {
        let env = busy_desk();
        sqlite3(
            &env,
            &format!("UPDATE tickets SET {set} WHERE kind = 'incident' AND number = 1;"),
        );
        let err = env.fails(&["audit", "verify"], 1);
        assert!(err.contains(said), "{set}: {err}");
        assert!(err.contains("changed outside opsdesk"), "{err}");
    }
    // A ticket row with no timeline at all, and a comment no event records (through SQLite
    // itself: the shell here may be older than the full-text index the insert updates).
    let env = busy_desk();
    rusqlite::Connection::open(&env.db)
        .expect("open")
        .execute_batch(
            "INSERT INTO tickets (kind, number, state, is_open, title, impact, urgency, priority, requester, \
         created_at, updated_at, version) VALUES ('incident', 9, 'new', 1, 'forged', 3, 3, 5, 'x', 0, 0, 1); \
         INSERT INTO comments (ticket_id, at, author, body) VALUES (1, 0, 'mallory', 'all fine');",
        )
        .expect("forged rows");
    let err = env.fails(&["audit", "verify"], 1);
    assert!(
        err.contains("tickets with no timeline at all (put in outside opsdesk): INC-9"),
        "{err}"
    );
    assert!(err.contains("comments that no event records"), "{err}");
}

/// Roles are given in the desk's trail: a role granted by hand in the operators table is
/// named, and so is the trail itself changed by hand.
#[test]
fn a_role_granted_by_hand_and_a_trail_edited_by_hand_are_caught() {
    let env = busy_desk();
    sqlite3(
        &env,
        "UPDATE operators SET roles = 'admin,agent,cab' WHERE name = 'bob';",
    );
    let err = env.fails(&["audit", "verify"], 1);
    assert!(
        err.contains("operator bob roles: `admin,agent,cab` in the desk, `agent` by its history"),
        "{err}"
    );
    let env = busy_desk();
    sqlite3(
        &env,
        "DROP TRIGGER desk_events_append_only_update; \
         UPDATE desk_events SET new = 'admin,agent' WHERE kind = 'operator_added' AND subject = 'bob';",
    );
    let err = env.fails(&["audit", "verify"], 1);
    assert!(
        err.contains("the desk's trail (policy, operators, roles) is broken at entry #")
            && err.contains("operator_added by"),
        "{err}"
    );
}
