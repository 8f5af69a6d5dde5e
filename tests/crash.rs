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

/// What an import wrote, as the desk names it: its export (tickets by number, their fields,
/// timelines and comments), who was seen, the import keys and the settings, without the
/// moments that are not the file's (when each person was first seen by this desk, and the
/// desk's own creation). A file's row ids are compared too; a server's are not: a sequence
/// does not give back the ids a killed transaction took, so the rerun's rows may start past
/// a gap.
fn imported(env: &Env) -> String {
    let mut out = env.ok(&["export"]);
    for sql in [
        "SELECT name, roles, email FROM operators ORDER BY 1",
        "SELECT k.source, k.key, t.kind, t.number, k.last_order FROM import_keys k \
         JOIN tickets t ON t.id = k.ticket_id ORDER BY 1, 2",
        "SELECT * FROM meta WHERE key NOT IN ('created_at', 'created_by') ORDER BY 1",
    ] {
        out.push_str(&env.lines(sql));
    }
    if !env.on_a_server() {
        // The tables the queries above do not give already, row for row.
        let named = ["operators", "import_keys", "meta", "desk_events"];
        let rows = common::engine::TABLES.iter().filter(|t| !named.contains(t));
        for table in rows {
            out.push_str(&format!(
                "[{table}]\n{}",
                env.lines(&format!("SELECT * FROM {table} ORDER BY 1"))
            ));
        }
    }
    out
}

common::engine::on_both_engines! {
    /// On a file and on a server alike.
    fn an_import_killed_at_random_moments_resumes_to_the_desk_of_a_whole_one(engine) {
        let whole = engine.desk();
        let file = big_file(whole.dir.path());
        let started = Instant::now();
        assert!(import_command(&whole, &file).status().expect("import").success());
        let took = started.elapsed();
        let expected = imported(&whole);
        let tickets = whole.number("SELECT count(*) FROM tickets");
        assert_eq!(tickets, 2940);

        let mut rng = fastrand::Rng::with_seed(6);
        let mut killed = 0;
        let mut tries = 0;
        while killed < 5 {
            tries += 1;
            assert!(tries <= 20, "the import kept finishing before the kill");
            let env = engine.desk();
            // A moment anywhere in the run, the very start included.
            let at = took.mul_f64(rng.f64() * 0.9);
            let mut child = import_command(&env, &file).spawn().expect("spawn");
            std::thread::sleep(at);
            if child.try_wait().expect("try_wait").is_some() {
                continue;
            }
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
            env.settle();
            killed += 1;
            env.assert_sound();
            let partial = env.number("SELECT count(*) FROM tickets");
            eprintln!("killed at {at:?}: {partial} of {tickets} incidents were in");
            assert!(import_command(&env, &file).status().expect("rerun").success());
            env.assert_sound();
            assert!(
                imported(&env) == expected,
                "the desk after a kill at {at:?} and a rerun differs from a whole import's"
            );
            assert_eq!(env.json(&["audit", "verify"])["intact"], true);
        }
    }
}

/// A desk with INC-1 assigned to alice, open in a terminal at INC-1's pend form with the
/// reason typed: one ctrl-s from writing the move.
fn at_the_pend_form(env: Env, trial: usize) -> (Env, Tmux, u32) {
    env.ok(&["new", "incident", "--title", "Printer on fire"]);
    env.ok(&["assign", "INC-1"]);
    let tmux = Tmux {
        socket: format!(
            "opsdesk-crash-{}-{trial}-{}",
            std::process::id(),
            env.dir.path().file_name().expect("a temp dir's name").to_string_lossy()
        ),
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
fn inc1(env: &Env) -> (String, i64, Vec<String>) {
    let ticket = env.rows("SELECT state, version FROM tickets WHERE number = 1");
    let [state, version] = &ticket[0][..] else {
        panic!("INC-1: {ticket:?}")
    };
    let events = env
        .rows("SELECT kind || ' ' || coalesce(field, '') || ' ' || coalesce(new, '') FROM events ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone().expect("event"))
        .collect();
    let version = version.as_deref().and_then(|v| v.parse().ok()).expect("version");
    (state.clone().expect("state"), version, events)
}

common::engine::on_both_engines! {
    /// On a file and on a server alike.
    fn the_desk_in_a_terminal_killed_as_a_move_is_written_keeps_all_of_it_or_none(engine) {
        let mut rng = fastrand::Rng::with_seed(9);
        let mut outcomes = Vec::new();
        for trial in 0..6 {
            let (env, tmux, pid) = at_the_pend_form(engine.desk(), trial);
            let (state, version, events) = inc1(&env);
            assert_eq!(state, "assigned");
            // Within a few frames of the ctrl-s: before the key is read, while the move is being
            // written, or just after.
            let at = Duration::from_micros(rng.u64(0..15_000));
            tmux.send(&["C-s"]);
            std::thread::sleep(at);
            kill_and_reap(pid);
            env.settle();
            env.assert_sound();
            assert_eq!(env.json(&["audit", "verify"])["intact"], true);
            let after = inc1(&env);
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
}

#[test]
fn the_desk_in_a_terminal_killed_while_its_move_waits_for_the_lock_writes_nothing() {
    let (env, tmux, pid) = at_the_pend_form(Env::new(), 100);
    let before = env.snapshot();
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
    env.assert_sound();
    assert_eq!(env.snapshot(), before, "a move cut short left traces");
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
}
