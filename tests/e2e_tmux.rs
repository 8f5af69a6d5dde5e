//! The real binary in a real terminal (tmux, 80×24): an incident from new to closed by keys,
//! checked afterwards with `opsdesk show --json`. `.ci/run` installs tmux when it is missing.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::tmux::{Tmux, opsdesk};

#[test]
fn an_incident_from_new_to_closed_in_a_real_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    let db: PathBuf = dir.path().join("desk.db");
    opsdesk(&db, &["init"]);
    let tmux = Tmux {
        socket: format!("opsdesk-e2e-{}", std::process::id()),
    };
    // An "editor" that writes a comment the way a person would in vi, then quits.
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Written in the editor\\nsecond line\\n' > \"$1\"\n",
    )
    .expect("editor");
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let command = format!(
        "env -u VISUAL EDITOR='{}' OPSDESK_DB='{}' OPSDESK_USER=alice OPSDESK_CONFIG_DIR='{}' OPSDESK_DATA_DIR='{}' TERM=xterm-256color '{}'",
        editor.display(),
        db.display(),
        dir.path().join("config").display(),
        dir.path().join("data").display(),
        env!("CARGO_BIN_EXE_opsdesk")
    );
    let started = tmux.run(&["new-session", "-d", "-s", "desk", "-x", "80", "-y", "24", &command]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    tmux.wait_for("Your desk is empty");

    // n: the new-ticket form; the kind is incident already.
    tmux.send(&["n"]);
    tmux.wait_for("new ticket");
    tmux.send(&["Tab"]);
    tmux.type_text("Printer on fire");
    tmux.send(&["C-s"]);
    tmux.wait_for("INC-1 created");
    // Into the detail pane, then assign to me, pend, resume, resolve, close.
    tmux.send(&["Enter"]);
    tmux.wait_for("Timeline");
    tmux.send(&["a"]);
    tmux.wait_for("assigned to you");
    // c, then ctrl-e: the comment is written in $EDITOR and comes back into the form.
    tmux.send(&["c"]);
    tmux.wait_for("comment on INC-1");
    tmux.send(&["C-e"]);
    tmux.wait_for("second line");
    tmux.send(&["C-s"]);
    tmux.wait_for("comment added");
    tmux.send(&["p"]);
    tmux.wait_for("pend INC-1");
    tmux.type_text("awaiting_c");
    tmux.send(&["C-s"]);
    tmux.wait_for("pend → pending");
    tmux.send(&["t"]);
    tmux.wait_for("move INC-1");
    tmux.send(&["r", "Enter"]);
    tmux.wait_for("resume → assigned");
    tmux.send(&["r"]);
    tmux.wait_for("resolve INC-1");
    tmux.send(&["Tab"]);
    tmux.type_text("Replaced the fuser unit");
    tmux.send(&["C-s"]);
    tmux.wait_for("resolve → resolved");
    tmux.send(&["t"]);
    tmux.wait_for("move INC-1");
    tmux.send(&["c", "Enter"]);
    tmux.wait_for("close INC-1 → closed?");
    tmux.send(&["y"]);
    let s = tmux.wait_for("close → closed");
    assert!(!s.contains("panicked"), "{s}");
    // The dashboard counts it: opened and resolved today, owned, nothing open.
    tmux.send(&["Escape"]);
    // Back on the queue before the next key: an escape and a key sent together read as alt-key.
    tmux.wait_for("all open");
    tmux.send(&["5"]);
    tmux.wait_for("opened     1 · resolved 1");
    tmux.wait_for("open now   0 (P1–P5: 0 0 0 0 0)");
    tmux.send(&["q"]);
    // The program ends and the pane closes with it; the session is gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.run(&["has-session", "-t", "desk"]).status.success() {
        assert!(Instant::now() < deadline, "opsdesk did not quit:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(20));
    }

    let v: serde_json::Value = serde_json::from_str(&opsdesk(&db, &["show", "INC-1", "--json"])).expect("json");
    assert_eq!(v["state"], "closed");
    assert_eq!(v["title"], "Printer on fire");
    assert_eq!(v["assignee"], "alice");
    assert_eq!(v["fields"]["pending_reason"], "awaiting_caller");
    assert_eq!(v["fields"]["resolution_code"], "fixed");
    assert_eq!(v["fields"]["resolution_note"], "Replaced the fuser unit");
    let comment = v["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|e| e["kind"] == "comment")
        .expect("comment");
    assert_eq!(comment["comment"], "Written in the editor\nsecond line");
}

#[test]
fn a_panic_gives_the_terminal_back_before_printing() {
    let dir = tempfile::tempdir().expect("dir");
    let db: PathBuf = dir.path().join("desk.db");
    opsdesk(&db, &["init"]);
    let tmux = Tmux {
        socket: format!("opsdesk-panic-{}", std::process::id()),
    };
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "desk",
        "-x",
        "80",
        "-y",
        "24",
        "env PS1='$ ' bash --norc --noprofile",
    ]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    tmux.wait_for("$");
    let line = format!(
        "echo before-opsdesk; RUST_BACKTRACE=0 OPSDESK_DEBUG_PANIC=1 OPSDESK_DB='{}' OPSDESK_USER=alice OPSDESK_CONFIG_DIR='{}' '{}'; stty -a | grep -ow -- '-\\?icanon'; echo done-$((40+2))",
        db.display(),
        dir.path().join("config").display(),
        env!("CARGO_BIN_EXE_opsdesk")
    );
    tmux.type_text(&line);
    tmux.send(&["Enter"]);
    // The marker is computed by the shell, so it appears only once everything has run.
    let s = tmux.wait_for("done-42");
    // The message is on the normal screen, after what the shell showed before (the alternate
    // screen was left), and the terminal is back in line mode.
    assert!(s.contains("deliberate panic"), "{s}");
    assert!(s.contains("before-opsdesk"), "the shell's screen is back: {s}");
    assert!(!s.contains("-icanon"), "raw mode was left on: {s}");
}

/// Another operator's write reaches an open terminal desk: the header counts the inbox's
/// unread item, `6` shows it, enter opens its ticket and marks it read, esc comes back.
#[test]
fn a_ticket_given_by_another_operator_arrives_in_the_open_inbox() {
    let dir = tempfile::tempdir().expect("dir");
    let db: PathBuf = dir.path().join("desk.db");
    opsdesk(&db, &["init"]);
    opsdesk(&db, &["operator", "add", "bob", "--role", "agent"]);
    let shown = db.display().to_string();
    let tmux = Tmux::start_desk(
        "inbox",
        &shown,
        dir.path(),
        "OPSDESK_USER=alice TERM=xterm-256color",
        (80, 24),
    );
    tmux.wait_for("Your desk is empty");
    let as_bob = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdesk"))
            .args(args)
            .env("OPSDESK_DB", &db)
            .env("OPSDESK_USER", "bob")
            .output()
            .expect("run opsdesk");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    as_bob(&["new", "incident", "--title", "Badge reader dead"]);
    as_bob(&["assign", "INC-1", "alice"]);
    tmux.wait_for("· inbox 1");
    tmux.send(&["6"]);
    tmux.wait_for("assigned INC-1");
    tmux.send(&["Enter"]);
    tmux.wait_for("Timeline");
    tmux.send(&["Escape"]);
    let s = tmux.wait_for("0 unread · showing all");
    assert!(!s.contains("· inbox 1"), "{s}");
    tmux.send(&["q"]);
    let v: serde_json::Value = serde_json::from_str(&opsdesk(&db, &["inbox", "--all", "--json"])).expect("json");
    assert_eq!(v["items"][0]["read"], true, "{v}");
    assert_eq!(v["unread"], 0);
}
