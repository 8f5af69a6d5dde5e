//! Crashes: `kill -9` at random moments leaves a desk that is whole. A bulk import killed
//! mid-run and run again gives the desk an uninterrupted import gives; the terminal desk
//! killed just as a move is submitted leaves the move either all there or not at all.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Env;
use common::tmux::Tmux;

fn mapping() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/mappings/servicenow-incident-events.toml")
        .display()
        .to_string()
}

/// The ServiceNow excerpt ten times over, each copy under other incident numbers: 19,900 rows,
/// 2,940 incidents, three batches of the import (see tests/fixtures/README.md for the data).
fn big_file(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/servicenow-incident-events-excerpt.csv");
    let text = std::fs::read_to_string(fixture).expect("fixture");
    let mut lines = text.lines();
    let mut out = lines.next().expect("header").to_string() + "\n";
    let rows: Vec<&str> = lines.collect();
    for copy in 0..10 {
        for row in &rows {
            let rest = row.strip_prefix("INC0").expect("an incident number");
            out.push_str(&format!("INC{copy}{rest}\n"));
        }
    }
    let path = dir.join("events.csv");
    std::fs::write(&path, out).expect("write");
    path
}

fn import_command(env: &Env, file: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsdesk"));
    c.env_clear()
        .envs(common::clock_env())
        .env("OPSDESK_CONFIG_DIR", env.config_dir())
        .env("OPSDESK_USER", "alice")
        .env("OPSDESK_DB", &env.db)
        .arg("import")
        .arg(file)
        .arg("--mapping")
        .arg(mapping())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// What an import wrote: the desk's snapshot without the moments that are not the file's
/// (when each person was first seen by this desk, and the desk's own creation, which the
/// desk's trail records too).
fn imported(db: &Path) -> String {
    let snapshot = common::snapshot(db);
    let before_trail = snapshot.split("[desk_events]").next().unwrap_or_default().to_string();
    before_trail
        .lines()
        .filter(|l| !l.starts_with("Text(\"created_at\")") && !l.starts_with("Text(\"created_by\")"))
        .map(|l| {
            // operators: name|roles|created_at|email
            let cells: Vec<&str> = l.split('|').collect();
            if cells.len() == 4 && cells[1].starts_with("Text(\"") && cells[2].starts_with("Integer(") {
                format!("{}|{}|{}", cells[0], cells[1], cells[3])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_import_killed_at_random_moments_resumes_to_the_desk_of_a_whole_one() {
    let whole = Env::new();
    let file = big_file(whole.dir.path());
    let started = Instant::now();
    assert!(import_command(&whole, &file).status().expect("import").success());
    let took = started.elapsed();
    let expected = imported(&whole.db);
    let tickets = count(&whole.db, "SELECT count(*) FROM tickets");
    assert_eq!(tickets, 2940);

    let mut rng = fastrand::Rng::with_seed(6);
    let mut killed = 0;
    let mut tries = 0;
    while killed < 5 {
        tries += 1;
        assert!(tries <= 20, "the import kept finishing before the kill");
        let env = Env::new();
        // A moment anywhere in the run, the very start included.
        let at = took.mul_f64(rng.f64() * 0.9);
        let mut child = import_command(&env, &file).spawn().expect("spawn");
        std::thread::sleep(at);
        if child.try_wait().expect("try_wait").is_some() {
            continue;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        killed += 1;
        assert_eq!(integrity(&env.db), "ok", "after a kill at {at:?}");
        let partial = count(&env.db, "SELECT count(*) FROM tickets");
        eprintln!("killed at {at:?}: {partial} of {tickets} incidents were in");
        assert!(import_command(&env, &file).status().expect("rerun").success());
        assert_eq!(integrity(&env.db), "ok");
        assert!(
            imported(&env.db) == expected,
            "the desk after a kill at {at:?} and a rerun differs from a whole import's"
        );
        assert_eq!(env.json(&["audit", "verify"])["intact"], true);
    }
}

/// A desk with INC-1 assigned to alice, open in a terminal at INC-1's pend form with the
/// reason typed: one ctrl-s from writing the move.
fn at_the_pend_form(trial: usize) -> (Env, Tmux, u32) {
    let env = Env::new();
    env.ok(&["new", "incident", "--title", "Printer on fire"]);
    env.ok(&["assign", "INC-1"]);
    let tmux = Tmux {
        socket: format!("opsdesk-crash-{}-{trial}", std::process::id()),
    };
    let command = format!(
        "env OPSDESK_DB='{}' OPSDESK_USER=alice OPSDESK_CONFIG_DIR='{}' TERM=xterm-256color '{}'",
        env.db.display(),
        env.config_dir().display(),
        env!("CARGO_BIN_EXE_opsdesk")
    );
    let started = tmux.run(&["new-session", "-d", "-s", "desk", "-x", "80", "-y", "24", &command]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    tmux.wait_for("INC-1");
    tmux.send(&["Enter"]);
    tmux.wait_for("Timeline");
    tmux.send(&["p"]);
    tmux.wait_for("pend INC-1");
    tmux.type_text("awaiting_c");
    tmux.wait_for("awaiting_c");
    let pid = String::from_utf8_lossy(&tmux.run(&["display-message", "-p", "-t", "desk", "#{pane_pid}"]).stdout)
        .trim()
        .parse()
        .expect("the pane's pid");
    (env, tmux, pid)
}

fn kill_and_reap(pid: u32) {
    assert!(
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .expect("kill")
            .success()
    );
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    // tmux reaps its pane's process; wait until it is gone.
    while proc.exists() {
        assert!(Instant::now() < deadline, "opsdesk {pid} outlived kill -9");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// INC-1's state, version and timeline.
fn inc1(db: &Path) -> (String, i64, Vec<String>) {
    let conn = rusqlite::Connection::open(db).expect("open");
    let (state, version) = conn
        .query_row("SELECT state, version FROM tickets WHERE number = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("INC-1");
    let mut stmt = conn
        .prepare("SELECT kind || ' ' || coalesce(field, '') || ' ' || coalesce(new, '') FROM events ORDER BY id")
        .expect("prepare");
    let events = stmt
        .query_map([], |r| r.get(0))
        .expect("events")
        .collect::<Result<_, _>>()
        .expect("rows");
    (state, version, events)
}

#[test]
fn the_desk_in_a_terminal_killed_as_a_move_is_written_keeps_all_of_it_or_none() {
    let mut rng = fastrand::Rng::with_seed(9);
    let mut outcomes = Vec::new();
    for trial in 0..6 {
        let (env, tmux, pid) = at_the_pend_form(trial);
        let (state, version, events) = inc1(&env.db);
        assert_eq!(state, "assigned");
        // Within a few frames of the ctrl-s: before the key is read, while the move is being
        // written, or just after.
        let at = Duration::from_micros(rng.u64(0..15_000));
        tmux.send(&["C-s"]);
        std::thread::sleep(at);
        kill_and_reap(pid);
        assert_eq!(integrity(&env.db), "ok");
        assert_eq!(env.json(&["audit", "verify"])["intact"], true);
        let after = inc1(&env.db);
        let moved = after.0 == "pending";
        if moved {
            let mut all = events.clone();
            all.extend([
                "transition pend pending".to_string(),
                "field pending_reason awaiting_caller".to_string(),
            ]);
            assert_eq!(
                after,
                ("pending".to_string(), version + 1, all),
                "a move written in part"
            );
        } else {
            assert_eq!(after, (state, version, events), "a move not written left traces");
        }
        outcomes.push((at, moved));
    }
    eprintln!("kills after ctrl-s (delay, move written): {outcomes:?}");
}

#[test]
fn the_desk_in_a_terminal_killed_while_its_move_waits_for_the_lock_writes_nothing() {
    let (env, tmux, pid) = at_the_pend_form(100);
    let before = common::snapshot(&env.db);
    // Another writer holds the desk: the move waits (busy_timeout) for it.
    let mut other = rusqlite::Connection::open(&env.db).expect("open");
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .expect("hold the write lock");
    tmux.send(&["C-s"]);
    // The move goes to the desk's writer thread, which waits (in SQLite's busy handler, the
    // only place the desk sleeps) for the lock; the screen says it is saving meanwhile.
    tmux.wait_for("saving:");
    let sleeping = || {
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|t| {
                std::fs::read_to_string(t.path().join("wchan"))
                    .unwrap_or_default()
                    .contains("nanosleep")
            })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sleeping() {
        assert!(Instant::now() < deadline, "the move never waited for the lock");
        std::thread::sleep(Duration::from_millis(1));
    }
    kill_and_reap(pid);
    tx.rollback().expect("release");
    assert_eq!(integrity(&env.db), "ok");
    assert_eq!(common::snapshot(&env.db), before, "a move cut short left traces");
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
}
