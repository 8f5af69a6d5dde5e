//! Hostile text: whatever a ticket says — escape sequences, clipboard writes, bidi overrides,
//! zero-width characters, 100 KB of it — is shown inert by the CLI and the terminal desk, and
//! kept raw (correctly escaped) in JSON, on a desk in a file and on a server alike.

mod common;

/// Everything a terminal would obey instead of show.
const ATTACKS: &[(&str, &str)] = &[
    ("CSI clear screen", "\u{1b}[2J"),
    ("CSI colour", "\u{1b}[31m"),
    ("OSC 52 clipboard write", "\u{1b}]52;c;ZXZpbA==\u{7}"),
    ("OSC 8 hyperlink", "\u{1b}]8;;https://evil.example\u{1b}\\"),
    ("8-bit CSI", "\u{9b}2J"),
    ("bell", "\u{7}"),
    ("carriage return overwrite", "\rINC-999 resolved"),
    ("backspace", "\u{8}\u{8}"),
    ("right-to-left override", "\u{202E}exe.txt"),
    ("left-to-right isolate", "\u{2066}x\u{2069}"),
    ("zero-width space", "a\u{200B}b"),
    ("zero-width joiner", "a\u{200D}b"),
    ("byte order mark", "\u{FEFF}"),
];

/// What must never reach the terminal.
fn obeyed(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200D}' | '\u{FEFF}')
}

fn title() -> String {
    let mut t = String::from("evil");
    for (_, a) in ATTACKS {
        t.push(' ');
        t.push_str(a);
    }
    t
}

/// A comment of ~100 KB, every attack many times over, ending in a marker.
fn big_comment() -> String {
    let mut c = String::new();
    while c.len() < 100_000 {
        for (name, a) in ATTACKS {
            c.push_str(name);
            c.push_str(": ");
            c.push_str(a);
            c.push('\n');
        }
    }
    c.push_str("the end");
    c
}

common::engine::on_both_engines! {
    fn the_cli_prints_hostile_text_inert_and_json_keeps_it_raw(engine) {
        let env = engine.desk();
        let title = title();
        env.ok(&["new", "incident", "--title", &title]);
        let comment = big_comment();
        let out = env
            .cmd()
            .args(["comment", "INC-1", "-"])
            .write_stdin(comment.clone())
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        for args in [
            &["show", "INC-1"][..],
            &["list"],
            &["list", "--open"],
            &["search", "evil"],
        ] {
            let text = env.ok(args);
            assert!(text.contains("evil"), "{args:?}: {text}");
            if let Some(c) = text.chars().find(|c| obeyed(*c)) {
                panic!("{args:?} printed {:?}", c);
            }
        }
        assert!(
            env.ok(&["show", "INC-1"]).contains("the end"),
            "a long comment is shown whole"
        );
        let v = env.json(&["show", "INC-1"]);
        assert_eq!(v["title"], title.as_str(), "JSON keeps the title as typed");
        let kept = v["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .find(|e| e["kind"] == "comment")
            .and_then(|e| e["comment"].as_str())
            .expect("comment");
        assert_eq!(kept, comment, "JSON keeps all 100 KB as typed");
        // The JSON text itself escapes every control character.
        let raw = env.ok(&["show", "INC-1", "--json"]);
        assert!(
            !raw.chars().any(obeyed),
            "JSON printed on a terminal must not carry them raw"
        );
        // Listings, short (the index's order) and long (read in the table's order), alike.
        for args in [&["list", "--json"][..], &["list", "--limit", "5000", "--json"]] {
            let raw = env.ok(args);
            assert!(!raw.chars().any(obeyed), "{args:?} must not carry them raw");
            let v: serde_json::Value = serde_json::from_str(&raw).expect("parses");
            assert_eq!(v[0]["title"], title.as_str(), "{args:?} keeps the title as typed");
        }
        // The inbox shows the title, and a mention made of the attacks, inert too.
        env.ok(&["operator", "add", "bob", "--role", "agent"]);
        env.ok_as("bob", &["assign", "INC-1", "alice"]);
        env.ok_as("bob", &["comment", "INC-1", &format!("@alice {title}")]);
        let text = env.ok(&["inbox"]);
        assert!(text.contains("evil") && text.contains("mention"), "{text}");
        if let Some(c) = text.chars().find(|c| obeyed(*c)) {
            panic!("inbox printed {c:?}");
        }
        let v = env.json(&["inbox"]);
        assert_eq!(v["items"][0]["note"], format!("@alice {title}").as_str(), "JSON keeps it as typed");
    }
}

/// What no human output may carry, by this test's own reckoning (not the sanitiser's): bytes
/// below 0x20 other than newline and tab, DEL and the C1 controls, bidi controls, zero-width
/// and other format characters, the soft hyphen, the line and paragraph separators, and tag
/// characters.
fn forbidden(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\n' && c != '\t')
        || (0x7F..=0x9F).contains(&u)
        || matches!(u,
            0xAD | 0x061C | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
            | 0xFEFF | 0xFFF9..=0xFFFB | 0xE0000..=0xE007F)
}

/// Every attack once more, with what the first test did not try.
fn nastier() -> String {
    let mut t = title();
    for a in [
        "soft\u{AD}hyphen",
        "tag\u{E0041}\u{E0042}s",
        "line\u{2028}sep",
        "para\u{2029}sep",
        "del\u{7F}",
    ] {
        t.push(' ');
        t.push_str(a);
    }
    t
}

common::engine::on_both_engines! {
    /// A desk restored from an export made of hostile text, with every command that prints for
    /// people run over it: nothing a terminal would obey or that reorders or hides text reaches
    /// standard output.
    fn every_human_output_over_a_desk_restored_from_a_hostile_export_is_inert(engine) {
        let source = engine.desk();
        let evil = nastier();
        for (name, class) in [("db", "database"), ("shop", "business_service")] {
            source.ok(&["ci", "add", name, "--class", class]);
        }
        source.ok(&["ci", "relate", "shop", "depends_on", "db"]);
        source.ok(&[
            "new",
            "incident",
            "--title",
            &evil,
            "--description",
            &evil,
            "--ci",
            "db",
        ]);
        source.ok(&[
            "edit",
            "INC-1",
            "--field",
            &format!("category={evil}"),
            "--field",
            &format!("team={evil}"),
        ]);
        source.ok(&["comment", "INC-1", &evil]);
        source.ok(&["comment", "INC-1", "--work-note", &evil]);
        source.ok(&[
            "move",
            "INC-1",
            "resolve",
            "-f",
            "resolution_code=fixed",
            "-f",
            &format!("resolution_note={evil}"),
        ]);
        source.ok(&["new", "problem", "--title", &evil]);
        source.ok(&["assign", "PRB-1"]);
        source.ok(&[
            "move",
            "PRB-1",
            "record_known_error",
            "-f",
            &format!("root_cause={evil}"),
            "-f",
            &format!("workaround={evil}"),
        ]);
        source.ok(&["link", "INC-1", "PRB-1"]);
        source.ok(&["new", "change", "--title", &evil, "--ci", "db"]);
        source.ok(&[
            "move",
            "CHG-1",
            "submit",
            "-f",
            "risk=low",
            "-f",
            &format!("implementation_plan={evil}"),
            "-f",
            &format!("backout_plan={evil}"),
            "-f",
            "planned_start=2026-12-22T02:00:00Z",
            "-f",
            "planned_end=2026-12-22T04:00:00Z",
        ]);
        let file = source.dir.path().join("hostile.jsonl");
        std::fs::write(&file, source.ok(&["export"])).expect("export");
        let f = file.display().to_string();

        let env = engine.desk();
        env.ok(&["import", &f]);
        env.ok(&[
            "freeze",
            "add",
            "year-end",
            "--from",
            "2026-12-20",
            "--to",
            "2027-01-04",
        ]);
        let human: Vec<Vec<&str>> = vec![
            vec!["list"],
            vec!["list", "--open"],
            vec!["show", "INC-1"],
            vec!["show", "PRB-1"],
            vec!["show", "CHG-1"],
            vec!["search", "evil"],
            vec!["known-errors", "evil"],
            vec!["ci", "list"],
            vec!["ci", "show", "db"],
            vec!["ci", "impact", "db"],
            vec!["change", "calendar", "--from", "2026-12-01", "--to", "2026-12-31"],
            vec!["freeze", "list"],
            vec!["operator", "list"],
            vec!["operator", "whoami"],
            vec!["report"],
            vec!["report", "--by", "team"],
            vec!["report", "--by", "category", "--daily"],
            vec!["sla", "sweep"],
            vec!["audit", "verify"],
            vec!["export", "--format", "csv"],
            vec!["export"],
            vec!["policy", "show"],
            vec!["policy", "log", "--diff"],
            vec!["paths"],
            vec![],
        ];
        for args in &human {
            let out = env.cmd().args(args).output().expect("run");
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).expect("UTF-8");
            if let Some(c) = text.chars().find(|c| forbidden(*c)) {
                panic!("{args:?} printed U+{:04X}", c as u32);
            }
        }
        let shown = env.ok(&["show", "INC-1"]);
        assert!(shown.contains("evil"), "{shown}");
        // iCalendar ends its lines with CR LF, and nothing else.
        let ics = env.ok(&[
            "change",
            "calendar",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-31",
            "--ics",
        ]);
        assert!(!ics.replace("\r\n", "\n").chars().any(forbidden), "{ics:?}");
    }
}

common::engine::on_both_engines! {
    /// What a crafted export may not bring in: names and values are held to the rules the CLI
    /// holds typed ones to, and a refused file writes nothing.
    fn a_crafted_export_cannot_bring_in_names_the_cli_refuses(engine) {
        let source = engine.desk();
        source.ok(&["ci", "add", "db", "--class", "database"]);
        source.ok(&["new", "incident", "--title", "x", "--ci", "db"]);
        let export = source.ok(&["export"]);
        let record = export.lines().next().expect("record").to_string();
        let env = engine.desk();
        let before = env.snapshot();
        for (from, to, said) in [
            (
                "\"name\":\"db\"",
                "\"name\":\"db\\u001b]52;c;ZXZpbA==\\u0007\"",
                "is not a CI name",
            ),
            ("\"name\":\"db\"", "\"name\":\"d\\u200bb\"", "is not a CI name"),
            (
                "\"class\":\"database\"",
                "\"class\":\"data\\u202ebase\"",
                "unknown CI class",
            ),
            (
                "\"requester\":\"alice\"",
                "\"requester\":\"al\\u202eice\"",
                "is not a name opsdesk shows as it is",
            ),
            (
                "\"actor\":\"alice\"",
                "\"actor\":\"al\\u200bice\"",
                "is not a name opsdesk shows as it is",
            ),
        ] {
            assert!(record.contains(from), "{from} in {record}");
            let crafted = record.replacen(from, to, 1) + "\n";
            let digest = sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), crafted.as_bytes()));
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let text =
                format!("{crafted}{{\"format\":\"opsdesk-export/1\",\"end\":true,\"records\":1,\"sha256\":\"{hex}\"}}\n");
            let file = env.dir.path().join("crafted.jsonl");
            std::fs::write(&file, text).expect("write");
            let err = env.fails(&["import", &file.display().to_string()], 1);
            assert!(err.contains(said), "{to}: {err}");
            assert_eq!(env.snapshot(), before, "{to}: nothing written");
        }
        // Typed ones are refused the same way.
        for args in [
            vec!["ci", "add", "d\u{200B}b", "--class", "database"],
            vec![
                "ci",
                "add",
                "db2",
                "--class",
                "database",
                "--attr",
                "engine=pg\u{1b}[2J",
            ],
            vec![
                "freeze",
                "add",
                "year\u{202E}end",
                "--from",
                "2026-12-20",
                "--to",
                "2027-01-04",
            ],
        ] {
            env.fails(&args, 1);
            assert_eq!(env.snapshot(), before, "{args:?}");
        }
        // A policy cannot name a value a terminal would obey.
        let policy = common::policy_with(&[(
            "risk = [\"low\", \"medium\", \"high\"]",
            "risk = [\"low\", \"medium\", \"\\u001b]52;c;ZXZpbA==\\u0007\\u001b[2J\"]",
        )]);
        let file = env.dir.path().join("policy.toml");
        std::fs::write(&file, policy).expect("write");
        let err = env.fails(&["policy", "apply", &file.display().to_string()], 1);
        assert!(
            err.contains("cannot be a value of `risk`: use one word of 1-64 printable characters"),
            "{err}"
        );
        assert!(!err.chars().any(forbidden), "the refusal itself is inert: {err:?}");
    }
}

common::engine::on_both_engines! {
    /// CSV for spreadsheets: a cell a spreadsheet would run as a formula starts with `'`.
    fn csv_cells_that_a_spreadsheet_would_run_are_neutralised(engine) {
        let env = engine.desk();
        let formulas = ["=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3", "@HYPERLINK(\"http://evil\")"];
        for f in formulas {
            env.ok(&["new", "incident", "--title", &format!("x{f}")]);
            let id = env.ok(&["new", "request", "--title", "placeholder"]).trim().to_string();
            env.ok(&["edit", &id, "--field", &format!("category={f}")]);
        }
        // A title that is a formula, as a mail subject can set one.
        let mail = "From: x@example.com\r\nSubject: =HYPERLINK(\"http://evil\")\r\nMessage-ID: <f@x>\r\n\r\nhi\r\n";
        env.cmd_as("mail")
            .args(["ingest", "mail"])
            .write_stdin(mail)
            .assert()
            .success();
        let csv_text = env.ok(&["export", "--format", "csv"]);
        let mut r = csv::Reader::from_reader(csv_text.as_bytes());
        let header = r.headers().expect("header").clone();
        let category = header.iter().position(|h| h == "category").expect("category");
        let title = header.iter().position(|h| h == "title").expect("title");
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
        assert!(
            rows.iter().any(|r| &r[title] == "'=HYPERLINK(\"http://evil\")"),
            "{csv_text}"
        );
        let cells: Vec<String> = rows
            .iter()
            .map(|x| x[category].to_string())
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(cells.len(), formulas.len());
        for (cell, f) in cells.iter().zip(formulas) {
            assert_eq!(cell, &format!("'{f}"), "{f}");
        }
    }
}
