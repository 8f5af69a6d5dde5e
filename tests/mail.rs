//! Mail out, over real SMTP to a sink on 127.0.0.1: public replies threaded with the mail
//! they answer, watchers, the requester's answer back in as a comment, auto-responders that
//! never start a loop, a server down then up, a refused recipient, a crash between the
//! commit and the delivery.

mod common;

use common::Env;
#[allow(unused_imports)]
use common::engine::Engine;
use common::smtp::{Mode, Sink, free_port};

const DESK: &str = "Help desk <help@example.com>";

fn ingest(env: &Env, mail: &str) -> String {
    let out = env
        .cmd_as("mail")
        .args(["ingest", "mail"])
        .write_stdin(mail.replace('\n', "\r\n"))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn set_up(env: &Env, url: &str) {
    let out = env.ok(&["mail", "setup", "--smtp", url, "--from", DESK]);
    assert!(
        out.starts_with("the desk's mail goes through smtp://127.0.0.1:"),
        "{out}"
    );
}

fn timeline_kinds(env: &Env, id: &str) -> Vec<serde_json::Value> {
    let v = env.json(&["show", id]);
    v["timeline"].as_array().expect("timeline").clone()
}

common::engine::on_both_engines! {
    /// The whole loop: mail in opens a request; a public reply goes out to the requester
    /// threaded under her message; her answer from a mail client that dropped the subject's tag
    /// comes back as a comment on the same ticket; her out-of-office reply is never answered, so
    /// there is no loop; a resolved ticket she answers reopens; a Cc'd colleague watches it and
    /// hears the next reply; `comment` is never sent.
    fn mail_in_reply_out_and_the_answer_back_in_on_the_same_ticket(engine) {
        let env = engine.desk();
        let sink = Sink::start();
        set_up(&env, &sink.url());
        let out = ingest(
            &env,
            "From: Ana Lima <ana@example.com>\nTo: help@example.com\nCc: Boss <boss@example.com>, help@example.com\n\
             Subject: Laptop will not boot\nMessage-ID: <first@mail.example.com>\n\
             Content-Type: text/plain\n\nIt shows a black screen.\n",
        );
        assert_eq!(out, "REQ-1 opened for Ana Lima <ana@example.com>\n");
        // The Cc (not the desk's own address) watches it.
        assert_eq!(
            env.json(&["show", "REQ-1"])["watchers"],
            serde_json::json!(["boss@example.com"])
        );

        // The acknowledgement, with the ticket's id, is the desk's own (automatic) mail, threaded
        // under hers; it goes to the requester alone.
        let sent = env.ok(&["mail", "send"]);
        assert!(sent.contains("1 sent"), "{sent}");
        let ack = sink.wait_for(1)[0].clone();
        assert_eq!(ack.to, ["ana@example.com"]);
        assert_eq!(ack.header("Auto-Submitted").as_deref(), Some("auto-generated"));
        assert_eq!(ack.header("Subject").as_deref(), Some("[REQ-1] Laptop will not boot"));
        assert_eq!(ack.header("In-Reply-To").as_deref(), Some("<first@mail.example.com>"));
        assert!(
            ack.body().contains("your request is with the desk as REQ-1"),
            "{}",
            ack.body()
        );
        let ack_id = ack.header("Message-ID").expect("Message-ID");

        // A comment and a work note are never sent.
        env.ok(&["comment", "REQ-1", "looked at it"]);
        env.ok(&["comment", "REQ-1", "--work-note", "internal only"]);
        assert_eq!(
            env.ok(&["mail", "send"]),
            "0 sent, 0 to try again, 0 failed for good; 0 waiting\n"
        );
        assert_eq!(sink.messages().len(), 1);

        let out = env.ok(&["reply", "REQ-1", "Please hold the power button for 30 s."]);
        assert!(out.starts_with("REQ-1: reply added\n"), "{out}");
        assert_eq!(out.matches(": sent").count(), 2, "{out}");
        let got = sink.wait_for(3);
        let to_ana = got[1..].iter().find(|m| m.to == ["ana@example.com"]).expect("to ana");
        assert!(got.iter().any(|m| m.to == ["boss@example.com"]), "{got:?}");
        assert_eq!(to_ana.from, "help@example.com");
        assert_eq!(
            to_ana.header("Subject").as_deref(),
            Some("[REQ-1] Laptop will not boot")
        );
        assert_eq!(
            to_ana.header("In-Reply-To").as_deref(),
            Some("<first@mail.example.com>")
        );
        assert_eq!(
            to_ana.header("References"),
            Some(format!("<first@mail.example.com> {ack_id}"))
        );
        assert_eq!(to_ana.header("X-Auto-Response-Suppress").as_deref(), Some("All"));
        assert_eq!(
            to_ana.header("Auto-Submitted"),
            None,
            "a person's reply is not automatic"
        );
        assert!(
            to_ana.body().contains("Please hold the power button for 30 s."),
            "{}",
            to_ana.body()
        );
        let reply_id = to_ana.header("Message-ID").expect("Message-ID");
        assert!(reply_id.ends_with("@example.com>"), "{reply_id}");

        // The timeline has the reply, and each mail with its recipient and Message-ID.
        let timeline = timeline_kinds(&env, "REQ-1");
        let mails: Vec<_> = timeline
            .iter()
            .filter(|e| e["kind"] == "mail" && e["note"] == "reply")
            .collect();
        assert_eq!(mails.len(), 2, "{timeline:?}");
        let bare = reply_id.trim_matches(|c| c == '<' || c == '>');
        assert!(
            mails
                .iter()
                .any(|e| e["field"] == bare && e["new"] == "ana@example.com"),
            "{mails:?}"
        );

        // Ana answers from her mail client, which dropped the tag from the subject.
        let answer = format!(
            "From: Ana Lima <ana@example.com>\nTo: help@example.com\nSubject: Re: Laptop will not boot\n\
             Message-ID: <second@mail.example.com>\nIn-Reply-To: {reply_id}\nReferences: <first@mail.example.com> {reply_id}\n\
             Content-Type: text/plain\n\nThat worked, thanks!\n"
        );
        assert_eq!(
            ingest(&env, &answer),
            "REQ-1: comment from Ana Lima <ana@example.com>\n"
        );
        assert_eq!(env.json(&["list"]).as_array().map(Vec::len), Some(1));

        // Her auto-responder answers our reply: it is dropped, and nothing is sent back, however
        // often it answers.
        for round in 0..3 {
            let ooo = format!(
                "From: ana@example.com\nTo: help@example.com\nSubject: Out of office: [REQ-1] Laptop will not boot\n\
                 Auto-Submitted: auto-replied\nMessage-ID: <ooo{round}@mail.example.com>\nIn-Reply-To: {reply_id}\n\
                 Content-Type: text/plain\n\nI am away until Monday.\n"
            );
            assert!(ingest(&env, &ooo).starts_with("ignored: an automatic message (Auto-Submitted: auto-replied)"));
            let sent = env.ok(&["mail", "send"]);
            assert!(sent.starts_with("0 sent"), "{sent}");
        }
        assert_eq!(sink.messages().len(), 3, "no mail answered the auto-responder");
        // Our own mail coming back (a copy to the desk's mailbox) is not taken either.
        let echo = format!(
            "From: {DESK}\nTo: help@example.com\nSubject: [REQ-1] Laptop will not boot\nMessage-ID: {reply_id}\n\
             Content-Type: text/plain\n\necho\n"
        );
        assert!(ingest(&env, &echo).starts_with("ignored: an automatic message (a message this desk sent)"));

        // Resolved, then answered by its requester: it reopens.
        env.ok(&["assign", "REQ-1", "alice"]);
        env.ok(&["move", "REQ-1", "resolve", "--field", "resolution_note=Power reset"]);
        let again = "From: ana@example.com\nTo: help@example.com\nSubject: Re: [REQ-1] Laptop will not boot\n\
                     Message-ID: <third@mail.example.com>\nContent-Type: text/plain\n\nIt is black again.\n";
        assert_eq!(ingest(&env, again), "REQ-1: comment from ana@example.com\n");
        assert_eq!(env.json(&["show", "REQ-1"])["state"], "assigned");

        // The watcher's answer is a comment too (not a request of their own).
        let boss = "From: boss@example.com\nTo: help@example.com\nSubject: Re: [REQ-1] Laptop will not boot\n\
                    Message-ID: <boss1@mail.example.com>\nContent-Type: text/plain\n\nPlease hurry.\n";
        assert_eq!(ingest(&env, boss), "REQ-1: comment from boss@example.com\n");

        // The second reply answers the newest mail taken in, and lists the thread.
        env.ok(&["unwatch", "REQ-1", "boss@example.com"]);
        env.ok(&["reply", "REQ-1", "A new one is on its way."]);
        let got = sink.wait_for(4);
        let last = &got[3];
        assert_eq!(last.to, ["ana@example.com"], "the watcher was removed");
        assert_eq!(last.header("In-Reply-To").as_deref(), Some("<boss1@mail.example.com>"));
        let refs = last.header("References").expect("References");
        assert!(
            refs.starts_with("<first@mail.example.com>") && refs.contains(&reply_id),
            "{refs}"
        );
    }
}

common::engine::on_both_engines! {
    /// A reply is refused, with nothing written, when the desk sends no mail or the ticket has no
    /// one to mail; the operator who replies is never mailed about their own reply.
    fn a_reply_needs_a_transport_and_someone_to_mail_and_never_mails_its_author(engine) {
        let env = engine.desk();
        env.ok(&["new", "incident", "--title", "Printer jam", "--requester", "carol"]);
        let err = env.fails(&["reply", "INC-1", "On it"], 1);
        assert!(
            err.contains("the desk sends no mail yet: an admin sets it up with `opsdesk mail setup"),
            "{err}"
        );
        let sink = Sink::start();
        set_up(&env, &sink.url());
        let err = env.fails(&["reply", "INC-1", "On it"], 1);
        assert!(
            err.contains("INC-1 has no one to mail: its requester `carol` has no mail address"),
            "{err}"
        );
        // alice watches it, with her address: she is still not mailed about her own reply.
        env.ok(&["operator", "email", "alice", "alice@example.com"]);
        env.ok(&["watch", "INC-1", "alice"]);
        let err = env.fails(&["reply", "INC-1", "On it"], 1);
        assert!(err.contains("has no one to mail"), "{err}");
        let before = timeline_kinds(&env, "INC-1").len();
        // Bad watchers are refused.
        for bad in ["not an address@", "nobody"] {
            let err = env.fails(&["watch", "INC-1", bad], 1);
            assert!(
                err.contains("is not a mail address") || err.contains("is neither a mail address"),
                "{err}"
            );
        }
        let err = env.fails(&["unwatch", "INC-1", "dave@example.com"], 1);
        assert!(err.contains("dave@example.com does not watch INC-1"), "{err}");
        assert_eq!(timeline_kinds(&env, "INC-1").len(), before, "nothing written");
        // carol becomes an operator with an address: the reply goes to her alone.
        env.ok(&[
            "operator",
            "add",
            "carol",
            "--role",
            "agent",
            "--email",
            "carol@example.com",
        ]);
        env.ok(&["reply", "INC-1", "On it"]);
        let got = sink.wait_for(1);
        assert_eq!(got[0].to, ["carol@example.com"]);
        assert_eq!(got.len(), 1);
        // Setting up mail is an admin's act.
        env.ok(&["operator", "add", "bob", "--role", "agent"]);
        let err = env.fails_as(
            "bob",
            &["mail", "setup", "--smtp", "smtp://127.0.0.1:1", "--from", DESK],
            1,
        );
        assert!(
            err.contains("bob may not set up the desk's mail: that needs the admin role"),
            "{err}"
        );
        for (url, why) in [
            ("http://mail.example.com", "is not a mail transport opsdesk speaks"),
            ("sendmail:sendmail", "absolute path"),
            (
                "smtp://mail.example.com?tls=none",
                "is not a setting of an SMTP transport",
            ),
        ] {
            let err = env.fails(&["mail", "setup", "--smtp", url, "--from", DESK], 1);
            assert!(err.contains(why), "{url}: {err}");
        }
        let err = env.fails(
            &["mail", "setup", "--smtp", "smtp://h:25", "--from", "not an address"],
            1,
        );
        assert!(err.contains("is not a mail address to send from"), "{err}");
        // The password never shows.
        env.ok(&[
            "mail",
            "setup",
            "--smtp",
            "smtp://desk:s3cret@127.0.0.1:1",
            "--from",
            DESK, "--no-check"]);
        let shown = env.ok(&["mail", "show"]);
        assert!(shown.contains("transport  smtp://desk:***@127.0.0.1:1\n"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}

common::engine::on_both_engines! {
    /// The server is down: the reply is kept in the outbox with why; once the server is up,
    /// `mail send` delivers it once, and a second run sends nothing.
    fn a_reply_waits_while_the_server_is_down_and_goes_once_it_is_up(engine) {
        let env = engine.desk();
        let port = free_port();
        // Made before the desk sends mail: no acknowledgement waits.
        env.ok(&[
            "new",
            "request",
            "--title",
            "New badge",
            "--requester",
            "ana@example.com",
        ]);
        // Nothing listens yet: set up with --no-check, after a refusal that names why.
        let url = format!("smtp://127.0.0.1:{port}?timeout=20");
        let err = env.fails(&["mail", "setup", "--smtp", &url, "--from", DESK], 1);
        assert!(
            err.contains(&format!("smtp://127.0.0.1:{port} cannot be used: 127.0.0.1:{port}: Connection error"))
                && err.contains("nothing was set (`--no-check` sets it anyway)"),
            "{err}"
        );
        assert!(env.ok(&["mail", "show"]).starts_with("the desk sends no mail"));
        env.ok(&["mail", "setup", "--smtp", &url, "--from", DESK, "--no-check"]);
        let out = env.ok(&["reply", "REQ-1", "It is printed."]);
        assert!(out.contains("to ana@example.com <"), "{out}");
        assert!(out.contains("waits in the outbox (tried again later): "), "{out}");
        let queue = env.ok(&["mail", "queue"]);
        assert!(
            queue.starts_with("REQ-1     queued  to ana@example.com — [REQ-1] New badge: tried 1 time"),
            "{queue}"
        );
        let sent = env.ok(&["mail", "send"]);
        assert!(
            sent.contains("0 sent, 1 to try again, 0 failed for good; 1 waiting"),
            "{sent}"
        );
        assert!(sent.contains("stopped: the server could not be reached"), "{sent}");

        let sink = Sink::on(port);
        let sent = env.ok(&["mail", "send"]);
        assert!(
            sent.contains("1 sent, 0 to try again, 0 failed for good; 0 waiting"),
            "{sent}"
        );
        assert_eq!(sink.wait_for(1).len(), 1);
        let sent = env.ok(&["mail", "send"]);
        assert!(sent.starts_with("0 sent"), "{sent}");
        assert_eq!(sink.messages().len(), 1, "sent once");
        assert_eq!(env.ok(&["mail", "queue"]), "the outbox is empty\n");
        let all = env.json(&["mail", "queue", "--all"]);
        assert_eq!(all[0]["state"], "sent");
        assert_eq!(
            all[0]["tries"], 3,
            "tried by the reply, the run while down, the run once up"
        );
    }
}

common::engine::on_both_engines! {
    /// A recipient the server refuses for good: the mail is not tried again, the others go, and
    /// a work note on the ticket says which and why.
    fn a_refused_recipient_fails_for_good_and_a_work_note_says_so(engine) {
        let env = engine.desk();
        let sink = Sink::start();
        sink.refuse("gone@example.com");
        // Made before the desk sends mail: no acknowledgement waits.
        env.ok(&[
            "new",
            "request",
            "--title",
            "VPN access",
            "--requester",
            "gone@example.com",
        ]);
        set_up(&env, &sink.url());
        env.ok(&["watch", "REQ-1", "ana@example.com"]);
        let out = env.ok(&["reply", "REQ-1", "Granted."]);
        assert!(out.contains("to gone@example.com <"), "{out}");
        assert!(out.contains(": failed: "), "{out}");
        assert!(out.contains("no such mailbox"), "{out}");
        let got = sink.wait_for(1);
        assert_eq!(got[0].to, ["ana@example.com"]);
        let timeline = timeline_kinds(&env, "REQ-1");
        let note = timeline
            .iter()
            .find(|e| e["kind"] == "work_note")
            .expect("a work note on the failure");
        let text = note["comment"].as_str().expect("text");
        assert!(
            text.starts_with("Mail to gone@example.com could not be delivered and will not be sent again: "),
            "{text}"
        );
        let sent = env.ok(&["mail", "send"]);
        assert!(sent.starts_with("0 sent"), "{sent}");
        let queue = env.ok(&["mail", "queue"]);
        assert!(
            queue.contains("failed  to gone@example.com — [REQ-1] VPN access: failed for good: "),
            "{queue}"
        );
    }
}

common::engine::on_both_engines! {
    /// Killed (kill -9) while it delivers, after the reply was committed: the next run delivers
    /// the mail, with the Message-ID the timeline recorded, once.
    fn a_reply_killed_before_its_mail_went_is_delivered_by_the_next_run_once(engine) {
        let env = engine.desk();
        let sink = Sink::start();
        // Made before the desk sends mail: no acknowledgement waits.
        env.ok(&["new", "request", "--title", "Monitor", "--requester", "ana@example.com"]);
        set_up(&env, &sink.url());
        // The setup's check was the first connection; the server says nothing from now on.
        sink.set_mode(Mode::Silent);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_opsdesk"))
            .env_clear()
            .envs(common::clock_env())
            .env("OPSDESK_CONFIG_DIR", env.config_dir())
            .env("OPSDESK_USER", "alice")
            .env("OPSDESK_DB", &env.db)
            .args(["reply", "REQ-1", "It is on your desk."])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // It committed and is talking to the server (which says nothing): kill it there.
        sink.wait_connections(2);
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
        let timeline = timeline_kinds(&env, "REQ-1");
        let mail = timeline
            .iter()
            .find(|e| e["kind"] == "mail")
            .expect("the mail is in the timeline");
        let id = mail["field"].as_str().expect("Message-ID").to_string();
        assert_eq!(env.json(&["mail", "queue"])[0]["state"], "sending");

        sink.set_mode(Mode::Accept);
        let sent = env.ok(&["mail", "send"]);
        assert!(sent.contains("1 sent"), "{sent}");
        let got = sink.wait_for(1);
        assert_eq!(got[0].header("Message-ID"), Some(format!("<{id}>")));
        let sent = env.ok(&["mail", "send"]);
        assert!(sent.starts_with("0 sent"), "{sent}");
        assert_eq!(sink.messages().len(), 1);
    }
}

/// A sendmail-compatible command is a transport too: it is given the message on standard
/// input and the envelope as arguments; one that fails keeps the mail in the outbox with why.
#[test]
fn a_sendmail_command_takes_the_mail_and_one_that_fails_keeps_it() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.ok(&[
        "new",
        "request",
        "--title",
        "Door badge",
        "--requester",
        "ana@example.com",
    ]);
    let dir = env.dir.path();
    let script = dir.join("fake-sendmail");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ -e {fail} ]; then /bin/cat > /dev/null; echo 'no route' >&2; exit 75; fi\nprintf '%s\\n' \"$@\" > {args}\n/bin/cat > {msg}\n",
            fail = dir.join("fail").display(),
            args = dir.join("args").display(),
            msg = dir.join("message").display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let err = env.fails(
        &[
            "mail",
            "setup",
            "--smtp",
            "sendmail:/nonexistent/sendmail",
            "--from",
            DESK,
        ],
        1,
    );
    assert!(err.contains("sendmail:/nonexistent/sendmail cannot be used"), "{err}");
    env.ok(&[
        "mail",
        "setup",
        "--smtp",
        &format!("sendmail:{}", script.display()),
        "--from",
        DESK,
    ]);
    let out = env.ok(&["reply", "REQ-1", "It is ready."]);
    assert!(out.contains(": sent"), "{out}");
    let args = std::fs::read_to_string(dir.join("args")).expect("args");
    assert!(
        args.contains("help@example.com") && args.contains("ana@example.com"),
        "{args}"
    );
    let message = std::fs::read_to_string(dir.join("message")).expect("message");
    assert!(message.contains("Subject: [REQ-1] Door badge"), "{message}");
    assert!(message.contains("It is ready."), "{message}");
    std::fs::write(dir.join("fail"), "").expect("fail");
    let out = env.ok(&["reply", "REQ-1", "Still there."]);
    assert!(
        out.contains("waits in the outbox (tried again later)") && out.contains("no route"),
        "{out}"
    );
    assert_eq!(env.json(&["mail", "queue"]).as_array().map(Vec::len), Some(1));
}
