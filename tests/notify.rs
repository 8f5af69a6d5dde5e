//! Notifications: the mail the desk's policy sends by itself (created, assigned, mention,
//! resolved, closed, breach), from its templates, to whom it names but never to the operator
//! who acts; several to one address as one digest; a rate limit per address; templates that
//! cannot render refused when the policy is applied, naming file, line and key.

mod common;

use common::Env;
#[allow(unused_imports)]
use common::engine::Engine;
use common::smtp::{Received, Sink};

const DESK: &str = "Help desk <help@example.com>";

fn set_up(env: &Env, sink: &Sink) {
    env.ok(&["mail", "setup", "--smtp", &sink.url(), "--from", DESK]);
}

fn operators(env: &Env) {
    env.ok(&[
        "operator",
        "add",
        "bob",
        "--role",
        "agent",
        "--email",
        "bob@example.com",
    ]);
    env.ok(&[
        "operator",
        "add",
        "carol",
        "--role",
        "agent",
        "--email",
        "carol@example.com",
    ]);
    env.ok(&["operator", "email", "alice", "alice@example.com"]);
}

fn sent(env: &Env) -> String {
    env.ok(&["mail", "send"])
}

fn to_and_subject(m: &Received) -> (String, String) {
    (m.to.join(","), m.header("Subject").unwrap_or_default())
}

common::engine::on_both_engines! {
    /// Each event mails whom the shipped policy names, from its template; the operator who acts
    /// is never mailed about it (assigning oneself, mentioning oneself, resolving one's own
    /// request).
    fn each_event_mails_whom_the_policy_names_and_never_the_operator_who_acts(engine) {
        let env = engine.desk();
        let sink = Sink::start();
        operators(&env);
        set_up(&env, &sink);
        env.ok(&[
            "new",
            "request",
            "--title",
            "New laptop",
            "--requester",
            "ana@example.com",
        ]);
        env.ok(&["watch", "REQ-1", "boss@example.com"]);
        env.ok(&["assign", "REQ-1", "bob"]);
        env.ok_as(
            "bob",
            &["comment", "REQ-1", "@carol can you order it? cc @bob, @nobody."],
        );
        env.ok_as(
            "bob",
            &[
                "move",
                "REQ-1",
                "resolve",
                "--field",
                "resolution_note=Ordered and delivered",
            ],
        );
        // bob files his own request and takes it: no mail to him about either.
        env.ok_as(
            "bob",
            &["new", "request", "--title", "Second screen", "--requester", "bob"],
        );
        env.ok_as("bob", &["assign", "REQ-2", "bob"]);
        env.ok_as("bob", &["comment", "REQ-2", "note to self @bob"]);
        // ana's acknowledgement and her resolution waited together: they go as one digest.
        let out = sent(&env);
        assert!(
            out.contains("4 sent, 0 to try again, 0 failed for good; 0 waiting"),
            "{out}"
        );
        let got = sink.wait_for(4);
        let mut seen: Vec<(String, String)> = got.iter().map(to_and_subject).collect();
        seen.sort();
        let want = [
            ("ana@example.com", "2 updates from the desk: [REQ-1]"),
            ("bob@example.com", "[REQ-1] assigned to you: New laptop"),
            ("boss@example.com", "[REQ-1] resolved: New laptop"),
            ("carol@example.com", "[REQ-1] bob mentioned you: New laptop"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(seen, want);
        let ana: Vec<&Received> = got.iter().filter(|m| m.to == ["ana@example.com"]).collect();
        assert_eq!(ana.len(), 1, "{seen:?}");
        let digest = ana[0];
        assert_eq!(
            digest.header("Subject").as_deref(),
            Some("2 updates from the desk: [REQ-1]")
        );
        let body = digest.body();
        assert!(body.contains("== [REQ-1] New laptop =="), "{body}");
        assert!(body.contains("== [REQ-1] resolved: New laptop =="), "{body}");
        assert!(body.contains("Ordered and delivered"), "{body}");
        assert!(body.contains("answer this message and REQ-1 is reopened"), "{body}");
        for m in &got {
            assert_eq!(m.header("Auto-Submitted").as_deref(), Some("auto-generated"), "{m:?}");
        }
        let mention = got.iter().find(|m| m.to == ["carol@example.com"]).expect("carol");
        assert!(
            mention.body().contains("@carol can you order it?"),
            "{}",
            mention.body()
        );
        assert!(
            !got.iter().any(|m| m.to == ["alice@example.com"]),
            "alice did nothing to hear of"
        );
        // The timeline names each notification with its recipient.
        let timeline = env.json(&["show", "REQ-1"])["timeline"].clone();
        let mails: Vec<(String, String)> = timeline
            .as_array()
            .expect("timeline")
            .iter()
            .filter(|e| e["kind"] == "mail")
            .map(|e| {
                (
                    e["note"].as_str().unwrap_or_default().to_string(),
                    e["new"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert_eq!(
            mails,
            [
                ("created", "ana@example.com"),
                ("assigned", "bob@example.com"),
                ("mention", "carol@example.com"),
                ("resolved", "ana@example.com"),
                ("resolved", "boss@example.com"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }
}

common::engine::on_both_engines! {
    /// A bulk resolve: one digest per recipient, not one mail per ticket.
    fn a_bulk_resolve_sends_one_digest_per_recipient(engine) {
        let env = engine.desk();
        let sink = Sink::start();
        for (title, who) in [
            ("VPN 1", "ana@example.com"),
            ("VPN 2", "ana@example.com"),
            ("VPN 3", "ana@example.com"),
            ("VPN 4", "ben@example.com"),
            ("VPN 5", "ben@example.com"),
        ] {
            env.ok(&["new", "request", "--title", title, "--requester", who]);
            let id = format!("REQ-{}", &title[4..]);
            env.ok(&["assign", &id, "alice"]);
        }
        set_up(&env, &sink);
        for n in 1..=5 {
            env.ok(&[
                "move",
                &format!("REQ-{n}"),
                "resolve",
                "--field",
                "resolution_note=Fixed",
            ]);
        }
        let out = sent(&env);
        assert!(
            out.contains("2 sent, 0 to try again, 0 failed for good; 0 waiting"),
            "{out}"
        );
        let got = sink.wait_for(2);
        assert_eq!(got.len(), 2);
        let ana = got.iter().find(|m| m.to == ["ana@example.com"]).expect("ana");
        assert_eq!(
            ana.header("Subject").as_deref(),
            Some("3 updates from the desk: [REQ-1] [REQ-2] [REQ-3]")
        );
        let ben = got.iter().find(|m| m.to == ["ben@example.com"]).expect("ben");
        assert_eq!(
            ben.header("Subject").as_deref(),
            Some("2 updates from the desk: [REQ-4] [REQ-5]")
        );
        let queue = env.json(&["mail", "queue", "--all"]);
        let ana_id = ana.header("Message-ID").expect("id");
        let in_digest = queue
            .as_array()
            .expect("queue")
            .iter()
            .filter(|m| m["digest_id"].as_str().map(|d| format!("<{d}>")) == Some(ana_id.clone()))
            .count();
        assert_eq!(in_digest, 3);
        assert!(sent(&env).starts_with("0 sent"));
        assert_eq!(sink.messages().len(), 2);
    }
}

common::engine::on_both_engines! {
    /// Beyond `rate_per_hour` mails an hour to one address, the rest wait (with why) until the
    /// hour has passed, and then go as one.
    fn the_rate_limit_holds_the_rest_back_with_its_reason(engine) {
        let env = engine.desk();
        env.apply_policy(&[("rate_per_hour = 10", "rate_per_hour = 2")]);
        let sink = Sink::start();
        for n in 1..=4 {
            env.ok(&[
                "new",
                "request",
                "--title",
                &format!("Badge {n}"),
                "--requester",
                "ana@example.com",
            ]);
            env.ok(&["assign", &format!("REQ-{n}"), "alice"]);
        }
        set_up(&env, &sink);
        for n in 1..=2 {
            env.ok(&[
                "move",
                &format!("REQ-{n}"),
                "resolve",
                "--field",
                "resolution_note=Done",
            ]);
            assert!(sent(&env).contains("1 sent"));
        }
        for n in 3..=4 {
            env.ok(&[
                "move",
                &format!("REQ-{n}"),
                "resolve",
                "--field",
                "resolution_note=Done",
            ]);
        }
        let out = sent(&env);
        assert!(
            out.contains("0 sent, 0 to try again, 0 failed for good; 2 waiting"),
            "{out}"
        );
        assert!(out.contains("2 held back by the rate limit"), "{out}");
        assert_eq!(sink.messages().len(), 2);
        let queue = env.json(&["mail", "queue"]);
        let all = env.json(&["mail", "queue", "--all"]);
        let first_sent = all[0]["sent_at"].as_str().expect("sent_at").to_string();
        for m in queue.as_array().expect("queue") {
            assert_eq!(m["state"], "queued");
            assert_eq!(m["tries"], 0, "a hold is not a try");
            assert!(
                m["last_error"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("ana@example.com had 2 mails from the desk in the last hour")),
                "{m}"
            );
            let next = chrono::DateTime::parse_from_rfc3339(m["next_at"].as_str().expect("next")).expect("time");
            let first = chrono::DateTime::parse_from_rfc3339(&first_sent).expect("time");
            assert_eq!(
                next - first,
                chrono::Duration::hours(1),
                "held until an hour after the first"
            );
        }
    }
}

common::engine::on_both_engines! {
    /// `notify preview` shows the mail and its recipients and writes nothing; a template that
    /// cannot render, a syntax error and an unknown audience are refused when the policy is
    /// applied, naming the file, the line and the key.
    fn templates_are_previewed_and_bad_ones_refused_with_file_line_and_key(engine) {
        let env = engine.desk();
        operators(&env);
        env.ok(&[
            "new",
            "request",
            "--title",
            "Desk phone",
            "--requester",
            "ana@example.com",
        ]);
        env.ok(&["assign", "REQ-1", "bob"]);
        let out = env.ok(&["notify", "preview", "REQ-1", "assigned"]);
        assert!(
            out.starts_with(
                "To: bob@example.com\nSubject: [REQ-1] assigned to you: Desk phone\n\nalice assigned REQ-1 to you"
            ),
            "{out}"
        );
        let out = env.ok_as("bob", &["notify", "preview", "REQ-1", "assigned"]);
        assert!(out.starts_with("To: (nobody"), "bob is not told of his own: {out}");
        let before = env.json(&["show", "REQ-1"])["timeline"].as_array().map(Vec::len);
        let out = env.ok(&["notify", "preview", "REQ-1", "mention", "--text", "@carol look"]);
        assert!(out.starts_with("To: carol@example.com\n"), "{out}");
        assert_eq!(
            env.json(&["show", "REQ-1"])["timeline"].as_array().map(Vec::len),
            before
        );
        let err = env.fails(&["notify", "preview", "REQ-1", "reopened"], 2);
        assert!(err.contains("`reopened` is not an event the desk notifies of"), "{err}");

        let cases = [
            (
                (
                    "subject = \"[{{ id }}] resolved: {{ title }}\"",
                    "subject = \"[{{ id }}] resolved: {{ titel }}\"",
                ),
                "subject = \"[{{ id }}] resolved: {{ titel }}\"",
                "key `notify.resolved.subject`: undefined value",
            ),
            (
                ("{{ actor }} wrote on {{ id }}:", "{{ actor }} wrote on {% if %}:"),
                "{{ actor }} wrote on {% if %}:",
                "key `notify.mention.body`: syntax error",
            ),
            (
                (
                    "to = [\"assignee\", \"team\"]\nsubject = \"[{{ id }}] SLA",
                    "to = [\"the team\"]\nsubject = \"[{{ id }}] SLA",
                ),
                "to = [\"the team\"]",
                "key `notify.breach.to`: `the team` is none of requester, watchers, assignee, team, mentioned, nor a mail address",
            ),
        ];
        for ((from, to), line_text, why) in cases {
            let text = common::policy_with(&[(from, to)]);
            let line = text.lines().position(|l| l.contains(line_text)).expect("line") + 1;
            let file = env.dir.path().join("policy.toml");
            std::fs::write(&file, &text).expect("write");
            let err = env.fails(&["policy", "apply", &file.display().to_string()], 1);
            let at = format!("{}:{line}: {why}", file.display());
            assert!(err.contains(&at), "want {at}\ngot {err}");
        }
    }
}

/// An SLA clock that passes its target mails the assignee (the sweep acts, not an operator),
/// once; the clock at risk mails nobody.
#[test]
fn a_breach_mails_the_assignee_once() {
    use opsdesk::config::Config;
    use opsdesk::desk::Desk;
    use opsdesk::domain::rules::Draft;
    use opsdesk::domain::{Kind, Role};
    let dir = tempfile::tempdir().expect("dir");
    let sink = Sink::start();
    let (mut desk, _) = Desk::create(
        dir.path().join("d.db"),
        "alice",
        Config::default(),
        opsdesk::store::Sharing::Private,
    )
    .expect("desk");
    desk.add_operator("bob", &[Role::Agent], Some("bob@example.com"))
        .expect("bob");
    desk.mail_setup(&sink.url(), DESK, true).expect("setup");
    let draft = Draft {
        title: "Payments down".into(),
        impact: Some(1),
        urgency: Some(1),
        ..Draft::default()
    };
    let id = desk.create_ticket(Kind::Incident, draft, &[]).expect("create").id;
    desk.assign(id, Some("bob"), None, None).expect("assign");
    let breached = |desk: &mut Desk| {
        desk.ticket_mail(id)
            .expect("mail")
            .into_iter()
            .filter(|m| m.kind == "breach")
            .collect::<Vec<_>>()
    };
    let now = chrono::Utc::now();
    desk.sweep(now + chrono::Duration::minutes(5)).expect("sweep");
    assert!(breached(&mut desk).is_empty(), "at 5 minutes nothing is breached");
    desk.sweep(now + chrono::Duration::hours(5)).expect("sweep");
    desk.sweep(now + chrono::Duration::hours(6)).expect("sweep again");
    let mails = breached(&mut desk);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].recipient, "bob@example.com");
    assert_eq!(mails[0].subject, "[INC-1] SLA breached: Payments down");
    assert!(
        mails[0].body.contains("The time to resolve target of INC-1"),
        "{}",
        mails[0].body
    );
}

common::engine::on_both_engines! {
    /// A breach mails the assignee and the address `[notify.teams]` gives the ticket's team; a
    /// ticket of a team it does not name mails the assignee alone. A team's address that is
    /// not one is refused, naming file, line and key.
    fn a_breach_mails_the_holder_and_their_team(engine) {
        use opsdesk::config::Config;
        use opsdesk::desk::Desk;
        let env = engine.desk();
        let sink = Sink::start();
        operators(&env);
        set_up(&env, &sink);
        let commented = "# [notify.teams]\n# network = \"netops@example.com\"\n";
        env.apply_policy(&[(commented, "[notify.teams]\nNetwork = \"netops@example.com\"\n")]);
        for team in ["network", "facilities"] {
            env.ok(&["new", "incident", "--title", "Core switch down", "--impact", "1", "--urgency", "1", "--team", team]);
        }
        env.ok(&["assign", "INC-1", "bob"]);
        env.ok(&["assign", "INC-2", "bob"]);
        let mut desk = Desk::open(&env.db, "alice", Config::default()).expect("open");
        desk.sweep(chrono::Utc::now() + chrono::Duration::hours(5)).expect("sweep");
        let breached = |desk: &mut Desk, id: &str| {
            let id = id.parse().expect("id");
            let mut to: Vec<String> = desk
                .ticket_mail(id)
                .expect("mail")
                .into_iter()
                .filter(|m| m.kind == "breach")
                .map(|m| m.recipient)
                .collect();
            to.sort();
            to
        };
        assert_eq!(breached(&mut desk, "INC-1"), ["bob@example.com", "netops@example.com"]);
        assert_eq!(breached(&mut desk, "INC-2"), ["bob@example.com"]);
        let file = env.dir.path().join("policy.toml");
        let text = common::policy_with(&[(commented, "[notify.teams]\nnetwork = \"netops at example\"\n")]);
        std::fs::write(&file, &text).expect("write");
        let line = text.lines().position(|l| l.starts_with("network = ")).expect("line") + 1;
        let err = env.fails(&["policy", "apply", &file.display().to_string()], 1);
        let at = format!(
            "{}:{line}: key `notify.teams.network`: `netops at example` is not a mail address",
            file.display()
        );
        assert!(err.contains(&at), "want {at}\ngot {err}");
    }
}
