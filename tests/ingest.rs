//! `opsdesk ingest alertmanager` through the real binary, with webhook payloads in the format
//! Alertmanager documents (tests/fixtures/README.md).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::Env;
use proptest::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).expect("fixture")
}

/// Runs `opsdesk ingest WHAT` as `user` with `input` on stdin; returns (exit code, stdout, stderr).
fn run_with_stdin(env: &Env, user: &str, args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_opsdesk"))
        .env_clear()
        .envs(common::clock_env())
        .env("OPSDESK_CONFIG_DIR", env.config_dir())
        .env("OPSDESK_USER", user)
        .env("OPSDESK_DB", &env.db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // Written from another thread: a refused input may be closed before it is all read.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ingest(env: &Env, input: &[u8], json: bool) -> (i32, String, String) {
    let args: &[&str] = if json {
        &["ingest", "alertmanager", "--json"]
    } else {
        &["ingest", "alertmanager"]
    };
    run_with_stdin(env, "alertmanager", args, input)
}

fn taken(env: &Env, input: &str) -> Value {
    let (code, out, err) = ingest(env, input.as_bytes(), true);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("json")
}

fn desk_with_db01() -> Env {
    let env = Env::new();
    env.ok(&["ci", "add", "db-01", "--class", "server"]);
    env
}

#[test]
fn a_firing_payload_opens_an_incident_per_alert_with_labels_mapped() {
    let env = desk_with_db01();
    let r = taken(&env, &fixture("alertmanager-firing.json"));
    assert_eq!((r["alerts"].as_u64(), r["opened"].as_u64()), (Some(2), Some(2)));
    let inc = env.json(&["show", "INC-1"]);
    assert_eq!(inc["title"], "Instance db-01:9100 down");
    // severity=critical → impact 1, urgency 1 → P1; instance db-01:9100 names the CI db-01.
    assert_eq!(
        (
            inc["impact"].as_u64(),
            inc["urgency"].as_u64(),
            inc["priority"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(inc["cis"][0]["name"], "db-01");
    assert_eq!(inc["requester"], "alertmanager");
    let description = inc["description"].as_str().expect("description");
    assert!(
        description.starts_with("db-01:9100 of job node has been down for more than 5 minutes."),
        "{description}"
    );
    assert!(description.contains("  instance=db-01:9100\n") && description.contains("Fingerprint: 6f1b7c2d9e3a4b50"));
    assert_eq!(inc["alerts"][0]["fingerprint"], "6f1b7c2d9e3a4b50");
    assert_eq!(inc["alerts"][0]["occurrences"], 1);
    // web-03 is not a CI of this desk: the incident opens without one.
    let other = env.json(&["show", "INC-2"]);
    assert_eq!(other["cis"], serde_json::json!([]));
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
}

#[test]
fn the_same_alert_again_counts_an_occurrence_and_its_end_adds_a_note() {
    let env = desk_with_db01();
    taken(&env, &fixture("alertmanager-firing.json"));
    let again = taken(&env, &fixture("alertmanager-firing.json"));
    assert_eq!(
        (again["opened"].as_u64(), again["occurrences"].as_u64()),
        (Some(0), Some(2))
    );
    let before = env.json(&["show", "INC-1"]);
    assert_eq!(before["alerts"][0]["occurrences"], 2);
    let r = taken(&env, &fixture("alertmanager-resolved.json"));
    assert_eq!(r["outcomes"][0]["action"], "noted");
    let inc = env.json(&["show", "INC-1"]);
    assert_eq!(
        inc["state"], "new",
        "without `resolve = true` the incident stays as it is"
    );
    assert_eq!(inc["alerts"][0]["status"], "resolved");
    let last = inc["timeline"]
        .as_array()
        .expect("timeline")
        .last()
        .expect("event")
        .clone();
    assert_eq!(last["kind"], "work_note");
    assert_eq!(last["comment"], "Alert InstanceDown resolved at 2026-11-23T09:20:30Z.");
    // The text output says the same.
    let (code, out, _) = ingest(&env, fixture("alertmanager-resolved.json").as_bytes(), false);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "INC-1: InstanceDown resolved (work note added)\n1 alert: 0 opened, 0 occurrences, 0 resolved\n"
    );
}

#[test]
fn with_resolve_configured_a_resolved_alert_resolves_its_incident() {
    let env = desk_with_db01();
    env.apply_policy(&[("resolve = false", "resolve = true")]);
    taken(&env, &fixture("alertmanager-firing.json"));
    let r = taken(&env, &fixture("alertmanager-resolved.json"));
    assert_eq!(
        (r["resolved"].as_u64(), r["outcomes"][0]["action"].as_str()),
        (Some(1), Some("resolved"))
    );
    let inc = env.json(&["show", "INC-1"]);
    assert_eq!(inc["state"], "resolved");
    assert_eq!(inc["fields"]["resolution_code"], "fixed");
    assert_eq!(
        inc["fields"]["resolution_note"],
        "Alert InstanceDown resolved at 2026-11-23T09:20:30Z."
    );
    // Firing again after that opens a new incident: the old one is no longer open.
    let r = taken(&env, &fixture("alertmanager-firing.json"));
    assert_eq!(r["outcomes"][0]["ticket"], "INC-3");
    assert_eq!(r["outcomes"][1]["action"], "occurrence");
}

#[test]
fn a_thousand_repeats_of_one_alert_make_one_incident_that_counts_them() {
    let env = desk_with_db01();
    let one: Value = serde_json::from_str(&fixture("alertmanager-firing.json")).expect("json");
    let mut single = one.clone();
    single["alerts"] = serde_json::json!([one["alerts"][0].clone()]);
    let line = serde_json::to_string(&single).expect("line");
    let input = vec![line; 1000].join("\n");
    let r = taken(&env, &input);
    assert_eq!(
        (r["payloads"].as_u64(), r["opened"].as_u64(), r["occurrences"].as_u64()),
        (Some(1000), Some(1), Some(999))
    );
    let list = env.json(&["list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(env.json(&["show", "INC-1"])["alerts"][0]["occurrences"], 1000);
}

#[test]
fn malformed_payloads_are_refused_whole_and_write_nothing() {
    let env = desk_with_db01();
    let firing = fixture("alertmanager-firing.json");
    let before = env.snapshot();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            Vec::new(),
            "standard input: no payload: expected Alertmanager's webhook JSON",
        ),
        (
            firing.as_bytes()[..firing.len() / 2].to_vec(),
            "standard input: not an Alertmanager payload: line ",
        ),
        (
            b"<html>502 Bad Gateway</html>".to_vec(),
            "standard input: not an Alertmanager payload: line 1, column 1",
        ),
        (
            firing.replace("\"version\": \"4\"", "\"version\": \"3\"").into_bytes(),
            "version `3`: opsdesk reads Alertmanager's webhook version 4",
        ),
        (
            firing
                .replace(
                    "\"status\": \"firing\",\n      \"labels\"",
                    "\"status\": \"burning\",\n      \"labels\"",
                )
                .into_bytes(),
            "unknown variant `burning`",
        ),
        // One good payload, then a broken one: neither is taken.
        (
            format!("{firing}\n{{\"version\": \"4\", \"status\": \"firing\"}}").into_bytes(),
            "missing field `alerts`",
        ),
        (vec![b' '; 16 * 1024 * 1024 + 2], "at most 16777216 are taken"),
        (
            vec![0xff, 0xfe, b'{'],
            "standard input: not an Alertmanager payload: line 1, column 1",
        ),
    ];
    for (input, expected) in cases {
        let (code, out, err) = ingest(&env, &input, false);
        assert_eq!(code, 1, "{expected}: {err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.starts_with("opsdesk: standard input: "), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
        assert_eq!(env.snapshot(), before, "a refused payload wrote: {expected}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Payloads cut anywhere, or with bytes changed, never panic: they are taken or refused
    /// with a message (the parser alone: the binary runs the same code).
    #[test]
    fn cut_and_mangled_payloads_never_panic(cut in any::<usize>(), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4)) {
        let mut bytes = fixture("alertmanager-firing.json").into_bytes();
        let cut = cut % (bytes.len() + 1);
        bytes.truncate(cut);
        for (at, b) in flips {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = b;
            }
        }
        if let Err(e) = opsdesk::ingest::alertmanager::parse(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

fn mail(env: &Env, name: &str) -> (i32, String, String) {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mail")
            .join(name),
    )
    .expect("fixture");
    ingest_mail(env, &bytes)
}

fn ingest_mail(env: &Env, input: &[u8]) -> (i32, String, String) {
    run_with_stdin(env, "mail", &["ingest", "mail"], input)
}

#[test]
fn mail_opens_requests_and_replies_become_comments() {
    let env = Env::new();
    let (code, out, err) = mail(&env, "multipart.eml");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "REQ-1 opened for Ana Lima <ana.lima@example.com>\n");
    let req = env.json(&["show", "REQ-1"]);
    assert_eq!(req["title"], "VPN drops every hour");
    assert_eq!(req["requester"], "ana.lima@example.com");
    let description = req["description"].as_str().expect("description");
    assert!(
        description.starts_with("Hello,\n\nsince this morning my VPN drops every hour, on the hour."),
        "{description}"
    );
    assert!(
        !description.contains("<p>"),
        "the plain part is taken, not the HTML: {description}"
    );
    let notes: Vec<&Value> = req["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "work_note")
        .collect();
    assert_eq!(
        notes[0]["comment"],
        "Attachments from Ana Lima <ana.lima@example.com>: vpn-client.log (1 kB)"
    );

    // HTML only: its text, without the markup.
    assert_eq!(mail(&env, "html-only.eml").0, 0);
    let html = env.json(&["show", "REQ-2"]);
    let text = html["description"].as_str().expect("description");
    assert!(
        text.starts_with("Alert\nThe badge reader at door 3 has not answered since 09:55.\nBuilding: North"),
        "{text}"
    );
    assert!(
        !text.contains("<p>") && !text.contains("<b>") && !text.contains("color:red"),
        "{text}"
    );

    // ISO-8859-1, headers (RFC 2047) and body.
    assert_eq!(mail(&env, "latin1.eml").0, 0);
    let latin = env.json(&["show", "REQ-3"]);
    assert_eq!(latin["title"], "Impresora de la señora Peña");
    assert!(
        latin["description"].as_str().is_some_and(
            |d| d.starts_with("La impresora del despacho de la señora Peña no imprime: ¿pueden revisarla?")
        )
    );

    // A reply naming [REQ-1] is a comment on it, from its sender.
    let (code, out, _) = mail(&env, "reply.eml");
    assert_eq!(
        (code, out.as_str()),
        (0, "REQ-1: comment from Ana Lima <ana.lima@example.com>\n")
    );
    let req = env.json(&["show", "REQ-1"]);
    let last = req["timeline"]
        .as_array()
        .expect("timeline")
        .last()
        .expect("event")
        .clone();
    assert_eq!(last["kind"], "comment");
    assert_eq!(
        last["comment"],
        "From Ana Lima <ana.lima@example.com>:\n\nIt happened again at 11:00.\n\n> Could you send the client log?"
    );

    // The same message again (a mailer's retry) is taken once.
    let before = env.snapshot();
    let (code, out, _) = mail(&env, "multipart.eml");
    assert_eq!(
        (code, out.as_str()),
        (0, "REQ-1: this message was taken before; nothing changed\n")
    );
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.json(&["audit", "verify"])["intact"], true);
}

#[test]
fn mail_can_open_incidents_instead() {
    let env = Env::new();
    env.apply_policy(&[("kind = \"request\"", "kind = \"incident\"")]);
    let (code, out, err) = mail(&env, "html-only.eml");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "INC-1 opened for Facilities Bot <facilities@example.com>\n");
}

#[test]
fn what_is_not_mail_is_refused_and_nothing_written() {
    let env = Env::new();
    let before = env.snapshot();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            Vec::new(),
            "standard input: no message: expected one mail message (RFC 5322)",
        ),
        (
            b"Subject: no sender\n\nhello\n".to_vec(),
            "standard input: not a mail message: it has no From address",
        ),
        (
            b"From: a@example.com\n\n".to_vec(),
            "standard input: not a mail message: it has neither a subject nor any text",
        ),
        (
            (0..4096u32).map(|i| (i * 7 % 251) as u8).collect(),
            "standard input: not a mail message",
        ),
        (vec![b'x'; 25 * 1024 * 1024 + 1], "at most 26214400 are taken"),
    ];
    for (input, expected) in cases {
        let (code, out, err) = ingest_mail(&env, &input);
        assert_eq!(code, 1, "{expected}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
        assert_eq!(env.snapshot(), before, "{expected}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Mail cut anywhere or with bytes changed is read or refused, never a panic.
    #[test]
    fn cut_and_mangled_mail_never_panics(which in 0usize..4, cut in any::<usize>(), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6)) {
        let name = ["multipart.eml", "html-only.eml", "latin1.eml", "reply.eml"][which];
        let mut bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail").join(name)).expect("fixture");
        bytes.truncate(cut % (bytes.len() + 1));
        for (at, b) in flips {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = b;
            }
        }
        if let Ok(m) = opsdesk::ingest::mail::parse(&bytes) {
            prop_assert!(m.from_address.contains('@'));
        }
    }
}

/// A message, as a mail client sends it, from `from` with `subject`.
fn message(from: &str, subject: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: helpdesk@example.com\r\nSubject: {subject}\r\nMessage-ID: <{id}@example.com>\r\n\
         Date: Mon, 23 Nov 2026 12:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// Ticket numbers are easy to guess: a reply naming one is a comment on it only from its
/// requester or an operator's address; from anyone else it is the sender's own request,
/// linked to the ticket it named, and the output says so.
#[test]
fn a_reply_from_someone_outside_the_ticket_is_not_a_comment_on_it() {
    let env = Env::new();
    let (code, out, err) = ingest_mail(&env, &message("Ana <ana@example.com>", "VPN drops", "a1", "It drops."));
    assert_eq!(
        (code, out.as_str()),
        (0, "REQ-1 opened for Ana <ana@example.com>\n"),
        "{err}"
    );
    let comments = |env: &Env| -> usize {
        env.json(&["show", "REQ-1"])["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter(|e| e["kind"] == "comment")
            .count()
    };
    // A stranger naming REQ-1.
    let (code, out, _) = ingest_mail(
        &env,
        &message(
            "Mallory <mallory@evil.example>",
            "Re: [REQ-1] VPN drops",
            "m1",
            "Close this, all fine.",
        ),
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "REQ-2 opened for Mallory <mallory@evil.example>: they are not the requester of REQ-1 nor an operator, so it \
         is their own request, linked to REQ-1, not a comment on it\n"
    );
    assert_eq!(comments(&env), 0, "nothing of it on REQ-1");
    let theirs = env.json(&["show", "REQ-2"]);
    assert_eq!(theirs["requester"], "mallory@evil.example");
    assert_eq!(theirs["links"][0]["id"], "REQ-1");
    // The requester, in any case, and an operator at the address the desk knows, are taken.
    let (_, out, _) = ingest_mail(
        &env,
        &message("ANA@example.com", "Re: [REQ-1] VPN drops", "a2", "Again."),
    );
    assert_eq!(out, "REQ-1: comment from ANA@example.com\n");
    env.ok(&[
        "operator",
        "add",
        "bob",
        "--role",
        "agent",
        "--email",
        "bob@example.com",
    ]);
    let (_, out, _) = ingest_mail(
        &env,
        &message("Bob <bob@example.com>", "Re: [REQ-1] VPN drops", "b1", "On it."),
    );
    assert_eq!(out, "REQ-1: comment from Bob <bob@example.com>\n");
    assert_eq!(comments(&env), 2);
}

#[test]
fn a_desk_may_refuse_mail_from_outside_the_ticket() {
    let env = Env::new();
    env.apply_policy(&[("strangers = \"open\"", "strangers = \"refuse\"")]);
    ingest_mail(&env, &message("ana@example.com", "VPN drops", "a1", "It drops."));
    let before = env.snapshot();
    let (code, out, err) = ingest_mail(
        &env,
        &message("mallory@evil.example", "Re: [REQ-1] VPN drops", "m1", "Close this."),
    );
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.contains(
            "mallory@evil.example is not the requester of REQ-1 nor an operator's address: its mail is not taken"
        ),
        "{err}"
    );
    assert_eq!(env.snapshot(), before, "nothing written");
}

/// An automatic message — RFC 3834's `Auto-Submitted`, `Precedence: bulk/junk/list`,
/// `X-Autoreply`, a bounce from MAILER-DAEMON or postmaster, an empty Return-Path — never
/// opens a ticket, never becomes a comment and is never answered: it is taken (exit 0, so the
/// mailer does not bounce it back) and dropped, with the reason. `Auto-Submitted: no` is a
/// person's mail.
#[test]
fn automatic_mail_opens_nothing_and_is_dropped_with_its_reason() {
    let env = Env::new();
    let (code, out, err) = ingest_mail(&env, &message("ana@example.com", "VPN drops", "a1", "It drops."));
    assert_eq!((code, out.as_str()), (0, "REQ-1 opened for ana@example.com\n"), "{err}");
    let with = |headers: &str, from: &str, subject: &str, id: &str| -> Vec<u8> {
        format!(
            "{headers}From: {from}\r\nTo: helpdesk@example.com\r\nSubject: {subject}\r\nMessage-ID: <{id}@example.com>\r\n\
             Content-Type: text/plain\r\n\r\nI am out of the office until Monday.\r\n"
        )
        .into_bytes()
    };
    let cases = [
        (
            "Auto-Submitted: auto-replied\r\n",
            "ana@example.com",
            "Auto-Submitted: auto-replied",
        ),
        (
            "Auto-Submitted: Auto-Generated; owner-email=\"it@example.com\"\r\n",
            "ana@example.com",
            "Auto-Submitted: auto-generated",
        ),
        ("Precedence: bulk\r\n", "ana@example.com", "Precedence: bulk"),
        ("Precedence: JUNK\r\n", "ana@example.com", "Precedence: junk"),
        ("Precedence: list\r\n", "ana@example.com", "Precedence: list"),
        ("X-Autoreply: yes\r\n", "ana@example.com", "X-Autoreply"),
        ("X-Autorespond: yes\r\n", "ana@example.com", "X-Autorespond"),
        (
            "",
            "MAILER-DAEMON@mx.example.com",
            "sent by MAILER-DAEMON@mx.example.com",
        ),
        (
            "",
            "Mail Delivery <Postmaster@example.com>",
            "sent by Postmaster@example.com",
        ),
        ("Return-Path: <>\r\n", "ana@example.com", "an empty Return-Path"),
    ];
    for (i, (headers, from, why)) in cases.iter().enumerate() {
        // A reply naming the ticket, and a new subject: neither is taken.
        for (j, subject) in ["Re: [REQ-1] VPN drops", "Out of office"].iter().enumerate() {
            let (code, out, err) = ingest_mail(&env, &with(headers, from, subject, &format!("auto{i}-{j}")));
            assert_eq!(
                (code, out.as_str()),
                (
                    0,
                    format!("ignored: an automatic message ({why}): no ticket opened or changed, nothing answered\n")
                        .as_str()
                ),
                "{headers}{from}: {err}"
            );
        }
    }
    let (_, out, _) = run_with_stdin(
        &env,
        "mail",
        &["ingest", "mail", "--json"],
        &with("Precedence: bulk\r\n", "ana@example.com", "Out of office", "auto-json"),
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["action"]["ignored"]["why"], "Precedence: bulk", "{json}");
    assert!(json.get("ticket").is_none(), "{json}");
    // Nothing was written: one ticket, no comment on it.
    let timeline = |env: &Env| {
        env.json(&["show", "REQ-1"])["timeline"]
            .as_array()
            .expect("timeline")
            .len()
    };
    let before = timeline(&env);
    assert_eq!(env.json(&["list"]).as_array().map(Vec::len), Some(1));
    // A person's mail says so, and is a comment as ever.
    let (code, out, err) = ingest_mail(
        &env,
        &with(
            "Auto-Submitted: no\r\n",
            "ana@example.com",
            "Re: [REQ-1] VPN drops",
            "person",
        ),
    );
    assert_eq!(
        (code, out.as_str()),
        (0, "REQ-1: comment from ana@example.com\n"),
        "{err}"
    );
    assert_eq!(timeline(&env), before + 1);
}
