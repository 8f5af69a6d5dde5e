//! Many operators at once: 8 processes of the real binary each make 200 changes on one desk
//! (transitions, assignments, comments), half of them on 4 tickets they all share. Every write
//! that reads a ticket first says which version it saw (`--expect-version`, as the TUI does), so
//! conflicts happen and are retried. At the end the timeline holds exactly what the processes
//! were told was written, each ticket's version counts its changes, the file is sound and the
//! hash chain holds. It runs on a desk in a file and on a desk on a PostgreSQL server.

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Env;
use serde_json::Value;
use wait_timeout::ChildExt;

const WORKERS: usize = 8;
const OPS: usize = 200;
const SHARED: usize = 4;

/// One timeline event as the command that wrote it reported it: ticket, actor, kind, field,
/// old, new.
type Reported = (String, String, String, Option<String>, Option<String>, Option<String>);

enum Ran {
    Done(Value),
    Conflict,
}

/// Runs opsdesk as `user`; a conflict is expected, any other failure fails the test.
fn run(env: &Env, user: &str, args: &[&str]) -> Ran {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("opsdesk"))
        .env_clear()
        .envs(common::clock_env())
        .env("OPSDESK_CONFIG_DIR", env.config_dir())
        .env("OPSDESK_DATA_DIR", env.dir.path().join("data"))
        .env("OPSDESK_USER", user)
        .env("OPSDESK_DB", &env.db)
        .args(args)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn opsdesk");
    // A writer that waits longer than this is stuck, not busy (busy_timeout is 10 s).
    if child.wait_timeout(Duration::from_secs(30)).expect("wait").is_none() {
        let _ = child.kill();
        panic!("opsdesk {args:?} as {user} hung for 30 s");
    }
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Ran::Done(serde_json::from_slice(&out.stdout).expect("JSON")),
        Some(1) if stderr.contains(" was changed by ") && stderr.contains("reload") => Ran::Conflict,
        code => panic!("opsdesk {args:?} as {user}: unexplained exit {code:?}: {stderr}"),
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// What a move or an assignment reported: its transition, then one event per changed field.
fn outcome_events(id: &str, user: &str, v: &Value) -> Vec<Reported> {
    let mut events = Vec::new();
    if let Some(t) = v["transition"].as_object() {
        events.push((
            id.to_string(),
            user.to_string(),
            "transition".to_string(),
            text(&t["name"]),
            text(&t["from"]),
            text(&t["to"]),
        ));
    }
    for c in v["changes"].as_array().expect("changes") {
        events.push((
            id.to_string(),
            user.to_string(),
            "field".to_string(),
            text(&c["field"]),
            text(&c["old"]),
            text(&c["new"]),
        ));
    }
    events
}

#[derive(Default)]
struct Tally {
    reported: Vec<Reported>,
    /// Successful changes per ticket.
    changes: BTreeMap<String, i64>,
    conflicts: usize,
}

fn worker(env: &Env, me: usize) -> Tally {
    let user = format!("w{me}");
    let own = format!("INC-{}", SHARED + 1 + me);
    let mut tally = Tally::default();
    for op in 0..OPS {
        let id = if op % 2 == 0 {
            format!("INC-{}", 1 + (op / 2 + me) % SHARED)
        } else {
            own.clone()
        };
        let mut tries = 0;
        let events = loop {
            tries += 1;
            assert!(tries <= 100, "{user} could not change {id} in 100 tries");
            let reported = match (op + me) % 3 {
                0 => {
                    let body = format!("{user} note {op}");
                    match run(env, &user, &["comment", &id, &body]) {
                        Ran::Done(v) => {
                            assert_eq!(v["id"], id.as_str());
                            let event = (id.clone(), user.clone(), "comment".into(), None, None, Some(body));
                            Some(vec![event])
                        }
                        Ran::Conflict => None,
                    }
                }
                kind => {
                    let Ran::Done(seen) = run(env, &user, &["show", &id]) else {
                        panic!("show never conflicts")
                    };
                    let version = seen["version"].as_i64().expect("version").to_string();
                    let args: Vec<String> = if kind == 1 {
                        // Pass it on to someone who does not hold it.
                        let holder = seen["assignee"].as_str().unwrap_or_default().to_string();
                        let to = (1..WORKERS)
                            .map(|k| format!("w{}", (me + op + k) % WORKERS))
                            .find(|w| *w != holder)
                            .expect("someone else");
                        vec!["assign".into(), id.clone(), to]
                    } else {
                        match seen["state"].as_str() {
                            Some("assigned") => vec![
                                "move".into(),
                                id.clone(),
                                "pend".into(),
                                "-f".into(),
                                "pending_reason=awaiting_caller".into(),
                            ],
                            Some("pending") => vec!["move".into(), id.clone(), "resume".into()],
                            other => panic!("{id} is {other:?}, which no worker moves it to"),
                        }
                    };
                    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
                    args.extend(["--expect-version", &version]);
                    match run(env, &user, &args) {
                        Ran::Done(v) => Some(outcome_events(&id, &user, &v)),
                        Ran::Conflict => None,
                    }
                }
            };
            match reported {
                Some(events) => break events,
                None => tally.conflicts += 1,
            }
        };
        assert!(!events.is_empty(), "{user}'s change {op} on {id} reported no event");
        *tally.changes.entry(id).or_default() += 1;
        tally.reported.extend(events);
    }
    tally
}

common::engine::on_both_engines! {
    /// On a file and on a server alike.
    fn eight_operators_two_hundred_changes_each_nothing_lost(engine) {
        let env = engine.desk();
        for w in 0..WORKERS {
            env.ok(&["operator", "add", &format!("w{w}"), "--role", "agent"]);
        }
        for n in 1..=SHARED + WORKERS {
            env.ok(&["new", "incident", "--title", &format!("ticket {n}")]);
            env.ok(&["assign", &format!("INC-{n}"), "w0"]);
        }
        let version = |id: &str| -> i64 {
            let number: i64 = id.trim_start_matches("INC-").parse().expect("number");
            env.number(&format!(
                "SELECT version FROM tickets WHERE kind = 'incident' AND number = {number}"
            ))
        };
        let ids: Vec<String> = (1..=SHARED + WORKERS).map(|n| format!("INC-{n}")).collect();
        let before: BTreeMap<String, i64> = ids.iter().map(|id| (id.clone(), version(id))).collect();
        let first_event = env.number("SELECT max(id) FROM events");

        let tallies: Vec<Tally> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..WORKERS)
                .map(|me| {
                    s.spawn({
                        let env = &env;
                        move || worker(env, me)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("worker")).collect()
        });

        let conflicts: usize = tallies.iter().map(|t| t.conflicts).sum();
        eprintln!("{} changes, {conflicts} conflicts retried", WORKERS * OPS);
        assert!(
            conflicts > 0,
            "the shared tickets never conflicted: the test does not test contention"
        );

        // Each ticket's version went up once per change.
        for id in &ids {
            let changes: i64 = tallies.iter().map(|t| t.changes.get(id).copied().unwrap_or(0)).sum();
            assert_eq!(version(id), before[id] + changes, "{id}");
        }

        // The timeline since the start holds exactly what the processes were told was written.
        let mut timeline: Vec<Reported> = env
            .rows(&format!(
                "SELECT t.number, e.actor, e.kind, e.field, e.old, e.new, c.body \
                 FROM events e JOIN tickets t ON t.id = e.ticket_id \
                 LEFT JOIN comments c ON c.id = e.comment_id WHERE e.id > {first_event}"
            ))
            .into_iter()
            .map(|r| {
                let cell = |i: usize| r[i].clone();
                let id = format!("INC-{}", cell(0).expect("number"));
                let (actor, kind) = (cell(1).expect("actor"), cell(2).expect("kind"));
                if kind == "comment" {
                    (id, actor, kind, None, None, cell(6))
                } else {
                    (id, actor, kind, cell(3), cell(4), cell(5))
                }
            })
            .collect();
        let mut reported: Vec<Reported> = tallies.into_iter().flat_map(|t| t.reported).collect();
        timeline.sort();
        reported.sort();
        assert_eq!(
            timeline.len(),
            reported.len(),
            "events in the timeline against events reported"
        );
        assert_eq!(timeline, reported);

        env.assert_sound();
        let audit = env.json(&["audit", "verify"]);
        assert_eq!(audit["intact"], true, "{audit}");
    }
}
