//! The real binary in a real terminal (tmux) where the terminal itself matters: a bracketed
//! paste, a resize below the minimum with keys typed blind, and a console's TERM.

mod common;

use std::path::{Path, PathBuf};

use common::tmux::{Tmux, opsdesk};

/// A desk with three incidents, open in tmux at 80x24 with `term` as TERM.
fn desk_in_tmux(name: &str, term: &str) -> (tempfile::TempDir, PathBuf, Tmux) {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("desk.db");
    opsdesk(&db, &["init"]);
    for t in ["Mail down", "VPN slow", "Printer jam"] {
        opsdesk(&db, &["new", "incident", "--title", t]);
    }
    let tmux = Tmux {
        socket: format!("opsdesk-{name}-{}", std::process::id()),
    };
    let command = format!(
        "env OPSDESK_DB='{}' OPSDESK_USER=alice OPSDESK_CONFIG_DIR='{}' OPSDESK_DATA_DIR='{}' TERM={term} '{}'",
        db.display(),
        dir.path().join("config").display(),
        dir.path().join("data").display(),
        env!("CARGO_BIN_EXE_opsdesk")
    );
    let started = tmux.run(&["new-session", "-d", "-s", "desk", "-x", "80", "-y", "24", &command]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    tmux.wait_for("INC-3");
    (dir, db, tmux)
}

fn show(db: &Path, id: &str) -> serde_json::Value {
    serde_json::from_str(&opsdesk(db, &["show", id, "--json"])).expect("json")
}

#[test]
fn a_bracketed_paste_is_one_comment_and_no_keys() {
    let (_dir, db, tmux) = desk_in_tmux("paste", "xterm-256color");
    // Outside a field a paste does nothing (read as keys, `a` would take INC-1).
    assert!(tmux.run(&["set-buffer", "-b", "keys", "a"]).status.success());
    assert!(
        tmux.run(&["paste-buffer", "-p", "-b", "keys", "-t", "desk"])
            .status
            .success()
    );
    tmux.send(&["c"]);
    tmux.wait_for("comment on");
    // Every line of it would be a key if it were read as keys: a, A, t, q…
    let log = "kernel: eth0 link down\na\nAt\nq\nkernel: eth0 link up";
    assert!(tmux.run(&["set-buffer", "-b", "log", log]).status.success());
    assert!(
        tmux.run(&["paste-buffer", "-p", "-b", "log", "-t", "desk"])
            .status
            .success()
    );
    tmux.wait_for("kernel: eth0 link up");
    tmux.send(&["C-s"]);
    tmux.wait_for("comment added");
    let v = show(&db, "INC-1");
    let comment = v["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|e| e["kind"] == "comment")
        .expect("the comment");
    assert_eq!(comment["comment"], log);
    for id in ["INC-1", "INC-2", "INC-3"] {
        assert_eq!(show(&db, id)["assignee"], serde_json::Value::Null, "{id}");
    }
    assert!(
        tmux.run(&["has-session", "-t", "desk"]).status.success(),
        "q in the paste did not quit"
    );
}

#[test]
fn keys_typed_behind_the_too_small_screen_do_nothing() {
    let (_dir, db, tmux) = desk_in_tmux("small", "xterm-256color");
    assert!(
        tmux.run(&["resize-window", "-t", "desk", "-x", "50", "-y", "12"])
            .status
            .success()
    );
    tmux.wait_for("Terminal too small");
    tmux.type_text("cTyped blind");
    tmux.send(&["C-s"]);
    tmux.type_text("a");
    assert!(
        tmux.run(&["resize-window", "-t", "desk", "-x", "80", "-y", "24"])
            .status
            .success()
    );
    let s = tmux.wait_for("INC-3");
    assert!(!s.contains("comment on") && !s.contains("Typed blind"), "{s}");
    let v = show(&db, "INC-1");
    assert!(
        v["timeline"]
            .as_array()
            .expect("t")
            .iter()
            .all(|e| e["kind"] != "comment")
    );
    assert_eq!(v["assignee"], serde_json::Value::Null);
}

#[test]
fn a_console_gets_ascii_and_no_bright_colours() {
    let (_dir, _db, tmux) = desk_in_tmux("linux", "linux");
    let s = tmux.wait_for("+-");
    assert!(s.is_ascii(), "non-ASCII on a console:\n{s}");
    // What the program wrote, with its escapes: only the eight basic colours.
    let raw = String::from_utf8_lossy(&tmux.run(&["capture-pane", "-p", "-e", "-t", "desk"]).stdout).to_string();
    for bright in 8..=255 {
        assert!(
            !raw.contains(&format!("38;5;{bright}m")),
            "colour {bright} on a console"
        );
    }
}

#[test]
fn the_first_run_says_it_created_the_desk() {
    let dir = tempfile::tempdir().expect("dir");
    let tmux = Tmux {
        socket: format!("opsdesk-first-{}", std::process::id()),
    };
    let command = format!(
        "env -u OPSDESK_DB OPSDESK_USER=alice OPSDESK_CONFIG_DIR='{}' OPSDESK_DATA_DIR='{}' TERM=xterm-256color '{}'",
        dir.path().join("config").display(),
        dir.path().join("data").display(),
        env!("CARGO_BIN_EXE_opsdesk")
    );
    let started = tmux.run(&["new-session", "-d", "-s", "desk", "-x", "100", "-y", "24", &command]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let s = tmux.wait_for("created your desk at");
    assert!(s.contains("Your desk is empty"), "{s}");
    assert!(dir.path().join("data").join("desk.db").exists());
}
