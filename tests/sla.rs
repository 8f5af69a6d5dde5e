//! SLA clocks kept on the desk as tickets move, escalations recorded once, the escalation
//! command with the ticket in its environment, and a policy change recomputing the clocks.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Env, config_with};
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::domain::rules::Draft;
use opsdesk::domain::sla::Phase;
use opsdesk::domain::{Kind, TicketId};
use opsdesk::store::Sharing;

fn p1(desk: &mut Desk) -> (TicketId, DateTime<Utc>) {
    let draft = Draft {
        title: "Payments down".into(),
        impact: Some(1),
        urgency: Some(1),
        ..Default::default()
    };
    let c = desk.create_ticket(Kind::Incident, draft, &[]).expect("create");
    (c.id, desk.ticket(c.id).expect("view").ticket.created_at)
}

fn f(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn clocks_follow_the_timeline_as_the_ticket_moves() {
    let dir = tempfile::tempdir().expect("dir");
    let (mut desk, _) =
        Desk::create(dir.path().join("d.db"), "alice", Config::default(), Sharing::Private).expect("desk");
    let (id, created) = p1(&mut desk);
    let v = desk.ticket(id).expect("view");
    let own = v.sla.own.expect("time to own");
    assert_eq!(
        (own.phase, own.due_at),
        (Phase::Running, Some(created + Duration::minutes(15)))
    );
    assert_eq!(v.sla.resolve.and_then(|r| r.due_at), Some(created + Duration::hours(4)));

    desk.assign(id, None, None, None).expect("assign");
    let own = desk.ticket(id).expect("view").sla.own.expect("tto");
    assert_eq!((own.phase, own.met()), (Phase::Stopped, Some(true)));

    desk.transition(id, "pend", &[f("pending_reason", "awaiting_vendor")], None, None)
        .expect("pend");
    let r = desk.ticket(id).expect("view").sla.resolve.expect("ttr");
    assert_eq!((r.phase, r.due_at), (Phase::Paused, None), "pending stops the clock");
    assert!(r.left > Duration::hours(3) && r.left <= Duration::hours(4));

    desk.transition(id, "resume", &[], None, None).expect("resume");
    let r = desk.ticket(id).expect("view").sla.resolve.expect("ttr");
    assert_eq!(r.phase, Phase::Running);
    assert!(r.due_at.is_some_and(|d| d >= created + Duration::hours(4)));

    // Lowering the impact makes it P3: the clock is worked out again from creation on the
    // business calendar, so it is due days later, not hours.
    desk.edit(id, &[f("impact", "3")], Some("only one shop affected"), None)
        .expect("edit");
    let r = desk.ticket(id).expect("view").sla.resolve.expect("ttr");
    assert!(r.due_at.is_some_and(|d| d > created + Duration::hours(24)), "{r:?}");

    desk.transition(
        id,
        "resolve",
        &[f("resolution_code", "fixed"), f("resolution_note", "Restarted")],
        None,
        None,
    )
    .expect("resolve");
    let r = desk.ticket(id).expect("view").sla.resolve.expect("ttr");
    assert_eq!((r.phase, r.met()), (Phase::Stopped, Some(true)));
    let report = desk
        .report(None, Utc::now() + Duration::minutes(1), None, None, Utc::now())
        .expect("report");
    assert_eq!(
        (report.all.sla_resolve_met, report.all.sla_own_met),
        (Some(100.0), Some(100.0))
    );
}

#[test]
fn escalations_are_recorded_once_and_the_command_gets_the_ticket_in_its_environment() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("escalations.txt");
    let script = format!(
        "printf '%s|%s|%s|%s|%s\\n' \"$OPSDESK_ID\" \"$OPSDESK_SLA_CLOCK\" \"$OPSDESK_SLA_LEVEL\" \"$OPSDESK_PRIORITY\" \"$OPSDESK_TITLE\" >> '{}'",
        out.display()
    );
    let text = format!("[sla]\ncommand = [\"/bin/sh\", \"-c\", {}]\n", toml_string(&script));
    let config = config_with(dir.path(), &text);
    let (mut desk, _) = Desk::create(dir.path().join("d.db"), "alice", config, Sharing::Private).expect("desk");
    let (id, created) = p1(&mut desk);

    let none = desk.sweep_and_escalate(created + Duration::minutes(5)).expect("sweep");
    assert!(none.escalations.is_empty());
    let first = desk.sweep_and_escalate(created + Duration::minutes(12)).expect("sweep");
    let seen: Vec<_> = first.escalations.iter().map(|e| (e.clock, e.level)).collect();
    assert_eq!(seen, [("tto", "at_risk")]);
    let again = desk.sweep_and_escalate(created + Duration::minutes(12)).expect("sweep");
    assert!(again.escalations.is_empty(), "recorded once");
    let later = desk.sweep_and_escalate(created + Duration::hours(5)).expect("sweep");
    let seen: Vec<_> = later.escalations.iter().map(|e| (e.clock, e.level)).collect();
    assert_eq!(seen, [("tto", "breached"), ("ttr", "at_risk"), ("ttr", "breached")]);
    assert!(
        desk.sweep_and_escalate(created + Duration::days(30))
            .expect("sweep")
            .escalations
            .is_empty()
    );

    let lines = std::fs::read_to_string(&out).expect("the command ran");
    assert_eq!(
        lines.lines().collect::<Vec<_>>(),
        [
            "INC-1|tto|at_risk|P1|Payments down",
            "INC-1|tto|breached|P1|Payments down",
            "INC-1|ttr|at_risk|P1|Payments down",
            "INC-1|ttr|breached|P1|Payments down",
        ]
    );
    let events: Vec<_> = desk
        .ticket(id)
        .expect("view")
        .timeline
        .into_iter()
        .filter(|e| e.kind == "sla")
        .map(|e| (e.actor, e.field, e.new, e.at))
        .collect();
    assert_eq!(events.len(), 4);
    assert_eq!(
        events[0],
        (
            "sla".to_string(),
            Some("tto".to_string()),
            Some("at_risk".to_string()),
            created + Duration::seconds(675)
        ),
        "recorded at the moment it crossed"
    );
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn a_failing_or_hanging_command_is_noted_and_shown_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().expect("dir");
    let config = config_with(
        dir.path(),
        "[sla]\ncommand = [\"/bin/sh\", \"-c\", \"echo 'pager: no route to host' >&2; exit 7\"]\n",
    );
    let (mut desk, _) = Desk::create(dir.path().join("d.db"), "alice", config, Sharing::Private).expect("desk");
    let (id, created) = p1(&mut desk);
    let report = desk
        .sweep_and_escalate(created + Duration::hours(5))
        .expect("the sweep itself succeeds");
    assert_eq!(report.escalations.len(), 4);
    assert_eq!(report.failures.len(), 4);
    assert!(
        report.failures[0].1.contains("no route to host"),
        "{:?}",
        report.failures
    );
    let failed: Vec<_> = desk
        .ticket(id)
        .expect("view")
        .timeline
        .into_iter()
        .filter(|e| e.kind == "escalation_failed")
        .collect();
    assert_eq!(failed.len(), 4);
    assert!(failed[0].note.as_deref().is_some_and(|n| n.contains("exit status: 7")));
    assert!(
        desk.sweep_and_escalate(created + Duration::hours(6))
            .expect("sweep")
            .escalations
            .is_empty()
    );

    // A command that hangs is stopped at the configured limit.
    let config = config_with(
        dir.path(),
        "[sla]\ncommand = [\"/bin/sh\", \"-c\", \"exec sleep 60\"]\ntimeout = 1\n",
    );
    let (mut desk, _) = Desk::create(dir.path().join("e.db"), "alice", config, Sharing::Private).expect("desk");
    let (_, created) = p1(&mut desk);
    let report = desk.sweep_and_escalate(created + Duration::minutes(12)).expect("sweep");
    assert_eq!(report.failures.len(), 1);
    assert!(report.failures[0].1.contains("was stopped"), "{:?}", report.failures);
}

#[test]
fn a_new_policy_recomputes_every_stored_clock() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("d.db");
    let (mut desk, _) = Desk::create(&db, "alice", Config::default(), Sharing::Private).expect("desk");
    let draft = Draft {
        title: "Printer".into(),
        impact: Some(2),
        urgency: Some(2),
        ..Default::default()
    };
    let c = desk.create_ticket(Kind::Incident, draft, &[]).expect("create");
    assert_eq!(c.ticket.priority, 3);
    let policy = common::policy_with(&[(
        "[sla]\n",
        "[sla]\n[[sla.targets]]\nkind = \"incident\"\npriority = 3\nresolve = \"90m\"\ncalendar = \"24x7\"\n",
    )]);
    let change = desk.apply_policy(&policy, "policy.toml").expect("apply");
    assert_eq!((change.version, change.tickets_refreshed), (2, 1));
    let v = desk.ticket(c.id).expect("view");
    assert_eq!(
        v.sla.resolve.and_then(|r| r.due_at),
        Some(v.ticket.created_at + Duration::minutes(90))
    );
    assert_eq!(v.sla.own, None, "this target has no time to own");
}

#[test]
fn the_cli_sweep_records_escalations_once_and_reports_a_failing_command() {
    let env = Env::new();
    env.write_config("[sla]\ncommand = [\"/bin/sh\", \"-c\", \"echo \\\"cannot page $OPSDESK_ID\\\" >&2; exit 1\"]\n");
    let mapping = env.dir.path().join("m.toml");
    std::fs::write(
        &mapping,
        "source = \"old\"\nkind = \"incident\"\nkey = \"id\"\n[time]\ncreated = \"opened\"\n[fields]\ntitle = \"subject\"\nimpact = { value = \"1\" }\nurgency = { value = \"1\" }\n",
    )
    .expect("mapping");
    let file = env.dir.path().join("t.jsonl");
    let opened = (Utc::now() - Duration::days(2)).to_rfc3339();
    std::fs::write(
        &file,
        format!("{{\"id\": 1, \"subject\": \"Disk full\", \"opened\": \"{opened}\"}}\n"),
    )
    .expect("file");
    env.ok(&[
        "import",
        &file.display().to_string(),
        "--mapping",
        &mapping.display().to_string(),
    ]);
    let out = env.cmd().args(["sla", "sweep"]).output().expect("run");
    assert!(out.status.success(), "a failing command does not fail the sweep");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("INC-1 time to resolve breached — Disk full"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("escalation command for INC-1 failed") && stderr.contains("cannot page INC-1"),
        "{stderr}"
    );
    assert_eq!(env.ok(&["sla", "sweep"]), "no escalation due\n");
    let t = env.json(&["show", "INC-1"]);
    assert_eq!(t["sla"]["resolve"]["phase"], "running");
    let kinds: Vec<&str> = t["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"sla") && kinds.contains(&"escalation_failed"),
        "{kinds:?}"
    );
}
