//! `[[hooks]]`: commands run after writes, with the ticket in `OPSDESK_*` variables and never
//! through a shell string; one that fails or overruns is reported and noted in the timeline,
//! and the write stands; the terminal desk never waits for one.

mod common;

use std::path::Path;

use common::Env;
use opsdesk::desk::Desk;
use opsdesk::domain::Kind;
use opsdesk::domain::rules::Draft;

/// A hook script that appends what it was told to `log`.
fn recorder(dir: &Path, log: &Path) -> String {
    let script = dir.join("record.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s|%s|%s|%s|%s|%s\\n' \"$OPSDESK_EVENT\" \"$OPSDESK_ID\" \"$OPSDESK_TITLE\" \"$OPSDESK_TRANSITION\" \"$OPSDESK_ASSIGNEE\" \"$OPSDESK_PRIORITY\" >> '{}'\n",
            log.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    script.display().to_string()
}

#[test]
fn hooks_get_the_ticket_in_variables_and_no_shell_reads_them() {
    let env = Env::new();
    let log = env.dir.path().join("hooks.log");
    let script = recorder(env.dir.path(), &log);
    env.write_config(&format!(
        "[[hooks]]\non = [\"created\", \"transition\", \"assigned\"]\ncommand = [\"{script}\"]\n"
    ));
    let pwned = env.dir.path().join("pwned");
    let title = format!("Mail down $(touch {}) `touch {}`", pwned.display(), pwned.display());
    env.ok(&["new", "incident", "--title", &title, "--impact", "1", "--urgency", "1"]);
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    env.ok(&["assign", "INC-1", "bob"]);
    env.ok_as(
        "bob",
        &["move", "INC-1", "pend", "-f", "pending_reason=awaiting_vendor"],
    );
    // The command line waits for its hooks before it exits: the log is whole now.
    let text = std::fs::read_to_string(&log).expect("the hook ran");
    assert_eq!(
        text,
        format!(
            "created|INC-1|{title}|||P1\n\
             transition|INC-1|{title}|assign|bob|P1\n\
             assigned|INC-1|{title}||bob|P1\n\
             transition|INC-1|{title}|pend|bob|P1\n"
        )
    );
    assert!(!pwned.exists(), "the title was run as shell code");
}

#[test]
fn a_failing_or_slow_hook_is_reported_and_noted_and_the_write_stands() {
    let env = Env::new();
    env.write_config(
        "[[hooks]]\non = [\"created\"]\ncommand = [\"sh\", \"-c\", \"echo no route to chat >&2; exit 3\"]\n\n\
         [[hooks]]\non = [\"created\"]\ncommand = [\"sleep\", \"30\"]\ntimeout = 1\n",
    );
    let out = env
        .cmd()
        .args(["new", "incident", "--title", "Printer"])
        .output()
        .expect("run");
    assert!(out.status.success(), "a failing hook does not fail the write");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "INC-1\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("opsdesk: hook `sh` on created of INC-1 failed: `sh` failed (exit status: 3): no route to chat"),
        "{err}"
    );
    assert!(
        err.contains(
            "opsdesk: hook `sleep` on created of INC-1 failed: `sleep` did not finish within 1 s and was stopped"
        ),
        "{err}"
    );
    let v = env.json(&["show", "INC-1"]);
    assert_eq!(v["title"], "Printer");
    let notes: Vec<String> = v["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "work_note")
        .map(|e| e["comment"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("hook `sh` on created of INC-1 failed")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("hook `sleep` on created of INC-1 failed")),
        "{notes:?}"
    );
}

/// In the terminal desk (the desk in-process) a write returns at once: the hook here waits
/// until a file appears that the test makes only after the write returned. Had the write
/// waited for its hook, the hook would have given up after 10 s and said so.
#[test]
fn a_write_never_waits_for_its_hook() {
    let env = Env::new();
    let gate = env.dir.path().join("gate");
    let log = env.dir.path().join("log");
    let script = format!(
        "for i in $(seq 1 200); do if [ -e '{}' ]; then echo saw-the-gate > '{}'; exit 0; fi; sleep 0.05; done; echo gave-up > '{}'",
        gate.display(),
        log.display(),
        log.display()
    );
    let config = common::config_with(
        env.dir.path(),
        &format!("[[hooks]]\non = [\"created\"]\ncommand = [\"sh\", \"-c\", {script:?}]\ntimeout = 30\n"),
    );
    let mut desk = Desk::open(&env.db, "alice", config).expect("open");
    let draft = Draft {
        title: "Badge reader offline".into(),
        ..Draft::default()
    };
    desk.create_ticket(Kind::Incident, draft, &[]).expect("create");
    std::fs::write(&gate, "").expect("gate");
    assert!(opsdesk::hooks::wait_all().is_empty());
    assert_eq!(std::fs::read_to_string(&log).expect("log"), "saw-the-gate\n");
}

#[test]
fn sla_escalations_run_the_at_risk_and_breached_hooks() {
    let env = Env::new();
    let log = env.dir.path().join("hooks.log");
    let script = recorder(env.dir.path(), &log);
    let config = common::config_with(
        env.dir.path(),
        &format!("[[hooks]]\non = [\"at_risk\", \"breached\"]\ncommand = [\"{script}\"]\n"),
    );
    let mut desk = Desk::open(&env.db, "alice", config).expect("open");
    let draft = Draft {
        title: "VPN drops".into(),
        impact: Some(1),
        urgency: Some(1),
        ..Draft::default()
    };
    desk.create_ticket(Kind::Incident, draft, &[]).expect("create");
    // A month on, both clocks of a P1 incident have gone past 75 % and 100 %.
    let later = chrono::Utc::now() + chrono::Duration::days(30);
    let escalations = desk.sweep(later).expect("sweep");
    assert_eq!(escalations.len(), 4);
    assert!(opsdesk::hooks::wait_all().is_empty());
    let lines: Vec<String> = std::fs::read_to_string(&log)
        .expect("log")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        lines,
        vec![
            "at_risk|INC-1|VPN drops|||P1",
            "breached|INC-1|VPN drops|||P1",
            "at_risk|INC-1|VPN drops|||P1",
            "breached|INC-1|VPN drops|||P1",
        ]
    );
}
