//! Hostile and malformed input never panics: bounded property tests (proptest, a fixed number
//! of cases, so CI's time is bounded) over the lifecycle loader, the config file, import
//! mappings and rows, field values and the queue's filter. Inputs are near misses of real
//! files — the shipped ones with lines cut, doubled and spliced with TOML's own punctuation
//! and any Unicode — because that is where parsers meet what they did not expect.

use std::cell::RefCell;
use std::path::Path;

use opsdesk::config::{Config, Paths};
use opsdesk::desk::{Desk, DeskError};
use opsdesk::domain::lifecycle::Lifecycles;
use opsdesk::domain::rules::Draft;
use opsdesk::domain::{Kind, TicketId};
use opsdesk::import::mapping::Mapping;
use opsdesk::store::Sharing;
use proptest::prelude::*;
use proptest::test_runner::Config as Cases;

const LIFECYCLES: &str = include_str!("../assets/lifecycles.toml");
const MAPPING: &str = include_str!("../assets/mappings/servicenow-incident-events.toml");
const EVENTS: &str = include_str!("fixtures/servicenow-incident-events-excerpt.csv");

const CONFIG: &str = r#"user = "alice"
mouse = false

[priority]
matrix = [[1, 2, 3], [2, 3, 4], [3, 4, 5]]

[keys]
"ctrl-x" = "quit"
x = "none"

[[views]]
name = "hot"
kind = "incident"
priority = [1, 2]
assignee = "me"

[sla]
command = ["page", "--now"]
timeout = 5

[sla.calendars.business]
zone = "Europe/Paris"
monday = "09:00-17:00"
friday = "09:00-16:00"
holidays = ["2026-12-25"]

[[sla.targets]]
kind = ["incident"]
priority = [1, 2]
own = "15m"
resolve = "4h"
calendar = "24x7"
"#;

/// Text a parser may not expect: TOML's and CSV's own punctuation, numbers at the edges,
/// escapes, controls, or anything at all.
fn splice() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "[",
            "]",
            "[[",
            "]]",
            "=",
            "\"",
            "'",
            "'''",
            "\"\"\"",
            "{",
            "}",
            ",",
            "\n",
            "\r\n",
            "#",
            ".",
            "\\",
            "\\u0000",
            "-1",
            "0",
            "1e999",
            "-0",
            "nan",
            "inf",
            "9223372036854775808",
            "true",
            "[]",
            "{}",
            "\u{202e}",
            "\u{0}",
            "\u{1b}[2J",
            "\u{feff}",
            "\"\",",
            ",,,,",
            "\"\n\"",
        ])
        .prop_map(str::to_string),
        "\\PC{0,12}",
        any::<String>(),
    ]
}

/// One edit of a text: cut a range, put something in, double a line or drop one.
#[derive(Debug, Clone)]
enum Edit {
    Cut(usize, usize),
    Put(usize, String),
    DoubleLine(usize),
    DropLine(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, n)| Edit::Cut(at, n)),
        (any::<usize>(), splice()).prop_map(|(at, s)| Edit::Put(at, s)),
        any::<usize>().prop_map(Edit::DoubleLine),
        any::<usize>().prop_map(Edit::DropLine),
    ];
    prop::collection::vec(edit, 1..6)
}

fn boundary(s: &str, at: usize) -> usize {
    let mut at = at % (s.len() + 1);
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    for e in edits {
        match e {
            Edit::Cut(at, n) => {
                let a = boundary(&s, *at);
                let b = boundary(&s, a + n);
                if b > a {
                    s.replace_range(a..b, "");
                }
            }
            Edit::Put(at, t) => {
                let a = boundary(&s, *at);
                s.insert_str(a, t);
            }
            Edit::DoubleLine(i) | Edit::DropLine(i) => {
                let mut lines: Vec<&str> = s.lines().collect();
                if lines.is_empty() {
                    continue;
                }
                let i = i % lines.len();
                if matches!(e, Edit::DoubleLine(_)) {
                    lines.insert(i, lines[i]);
                } else {
                    lines.remove(i);
                }
                s = lines.join("\n") + "\n";
            }
        }
    }
    s
}

fn line_count(s: &str) -> usize {
    s.lines().count() + 1
}

proptest! {
    #![proptest_config(Cases::with_cases(400))]

    #[test]
    fn the_lifecycle_loader_never_panics(edits in edits()) {
        let text = apply(LIFECYCLES, &edits);
        if let Err(e) = Lifecycles::load(&text, "lifecycles.toml") {
            prop_assert!(e.line <= line_count(&text), "{e}");
            prop_assert!(!e.message.is_empty());
        }
    }

    /// The desk's policy, as an admin edits what `policy show` printed: a refusal names a line
    /// of the file; whatever parses is a whole policy.
    #[test]
    fn the_policy_loader_never_panics(edits in edits()) {
        let text = apply(opsdesk::domain::Policy::shipped_source(), &edits);
        match opsdesk::domain::Policy::parse(&text, "policy.toml") {
            Ok(p) => prop_assert_eq!(p.source, text),
            Err(e) => {
                prop_assert!(e.line <= line_count(&text), "{e}");
                prop_assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn the_lifecycle_loader_takes_any_text(text in any::<String>()) {
        let _ = Lifecycles::load(&text, "lifecycles.toml");
    }

    #[test]
    fn the_mapping_loader_never_panics(edits in edits()) {
        let text = apply(MAPPING, &edits);
        let _ = Mapping::parse(&text, "mapping.toml", &Lifecycles::builtin());
    }

    #[test]
    fn field_values_typed_on_the_command_line_never_panic(arg in "\\PC{0,40}") {
        let _ = opsdesk::cli::key_value(&arg);
    }
}

proptest! {
    #![proptest_config(Cases::with_cases(250))]

    /// config.toml (and a lifecycles.toml beside it) near misses: an error names this file and
    /// a line inside it; a file that loads gives a usable configuration.
    #[test]
    fn the_config_loader_never_panics(edits in edits(), lifecycle_edits in prop::option::of(edits())) {
        let dir = tempfile::tempdir().expect("dir");
        let paths = Paths { data_dir: dir.path().into(), config_dir: dir.path().join("config") };
        std::fs::create_dir_all(&paths.config_dir).expect("dir");
        let text = apply(CONFIG, &edits);
        std::fs::write(paths.config_file(), &text).expect("write");
        let lifecycles = lifecycle_edits.map(|e| apply(LIFECYCLES, &e));
        if let Some(l) = &lifecycles {
            std::fs::write(paths.lifecycle_file(), l).expect("write");
        }
        match Config::load(&paths) {
            Ok(config) => prop_assert!(!config.views.is_empty()),
            Err(e) => {
                let (file, lines) = if e.file == paths.config_file().display().to_string() {
                    ("config", line_count(&text))
                } else {
                    prop_assert_eq!(&e.file, &paths.lifecycle_file().display().to_string());
                    ("lifecycles", lifecycles.as_deref().map_or(0, line_count))
                };
                prop_assert!(e.line <= lines, "{} {}", file, e);
                prop_assert!(!e.message.is_empty());
            }
        }
    }
}

/// A fresh desk in a temporary folder, with alice as its admin.
fn desk(dir: &Path) -> Desk {
    Desk::create(dir.join("desk.db"), "alice", Config::default(), Sharing::Private)
        .expect("create")
        .0
}

/// A refusal names what is wrong; a storage error here would be a bug.
fn explained(e: &DeskError) -> bool {
    !matches!(e, DeskError::Store(_)) && !e.to_string().is_empty()
}

fn integrity(desk: &Desk) -> String {
    desk.store()
        .sqlite()
        .expect("a desk file")
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

proptest! {
    #![proptest_config(Cases::with_cases(48))]

    /// Rows of the ServiceNow excerpt, cut and spliced: each import ends in a report or a
    /// clear error, and the desk stays sound either way.
    #[test]
    fn import_rows_never_panic(edits in edits(), take in 2usize..120) {
        let dir = tempfile::tempdir().expect("dir");
        let head: Vec<&str> = EVENTS.lines().take(take).collect();
        let file = dir.path().join("events.csv");
        std::fs::write(&file, apply(&(head.join("\n") + "\n"), &edits)).expect("write");
        let mut desk = desk(dir.path());
        let mapping = Mapping::parse(MAPPING, "mapping.toml", &desk.policy().expect("policy").lifecycles).expect("the shipped mapping");
        if let Err(e) = desk.import(&file, &mapping, false, &mut |_, _| {}) {
            prop_assert!(explained(&e), "{e}");
        }
        prop_assert_eq!(integrity(&desk), "ok");
    }

    /// JSON lines given to `import` without a mapping (a restore), near misses of an export.
    #[test]
    fn restore_lines_never_panic(edits in edits()) {
        let dir = tempfile::tempdir().expect("dir");
        let mut source = desk(&dir.path().join("a"));
        let draft = Draft { title: "Mail down".into(), impact: Some(1), urgency: Some(2), ..Draft::default() };
        let id = source.create_ticket(Kind::Incident, draft, &[]).expect("create").ticket.id;
        source.comment(id, "looking", false).expect("comment");
        let mut out = Vec::new();
        source.export(opsdesk::desk::ExportFormat::Jsonl, None, &mut out).expect("export");
        let file = dir.path().join("desk.jsonl");
        std::fs::write(&file, apply(&String::from_utf8_lossy(&out), &edits)).expect("write");
        let mut target = desk(&dir.path().join("b"));
        if let Err(e) = target.restore(&file, false) {
            prop_assert!(explained(&e), "{e}");
        }
        prop_assert_eq!(integrity(&target), "ok");
    }
}

thread_local! {
    static DESK: RefCell<Option<(tempfile::TempDir, Desk)>> = const { RefCell::new(None) };
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "impact",
            "urgency",
            "priority",
            "assignee",
            "state",
            "title",
            "description",
            "category",
            "pending_reason",
            "resolution_code",
            "resolution_note",
            "requester",
            "change_type",
            "risk",
            "planned_start",
            "planned_end",
            "close_code",
            "team",
            "version",
            "id",
            "",
        ])
        .prop_map(str::to_string),
        "\\PC{0,10}",
    ]
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1",
            "0",
            "6",
            "-1",
            "255",
            "256",
            "99999999999999999999",
            "alice",
            "nobody",
            "",
            " ",
            "2026-12-01",
            "2026-02-30",
            "2026-12-01 25:00",
            "9999-12-31T23:59:59Z",
            "fixed",
            "awaiting_caller",
            "low",
            "emergency",
            "\u{1b}]52;c;aGk=\u{7}",
            "\u{202e}evil",
        ])
        .prop_map(str::to_string),
        "\\PC{0,30}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(Cases::with_cases(300))]

    /// `--field NAME=VALUE` values on create, edit and every move: taken, or refused with a
    /// reason and nothing written.
    #[test]
    fn field_values_are_taken_or_refused_cleanly(
        fields in prop::collection::vec((field_name(), field_value()), 1..4),
        transition in prop::sample::select(vec!["assign", "pend", "resume", "resolve", "close", "cancel", "reopen", "approve", "nonsense"]),
        kind in prop::sample::select(vec![Kind::Incident, Kind::Request, Kind::Problem, Kind::Change]),
    ) {
        DESK.with(|cell| -> Result<(), TestCaseError> {
            let mut cell = cell.borrow_mut();
            let (_, desk) = cell.get_or_insert_with(|| {
                let dir = tempfile::tempdir().expect("dir");
                let desk = desk(dir.path());
                (dir, desk)
            });
            let draft = Draft { title: "fuzzed".into(), fields: fields.clone(), ..Draft::default() };
            let id = match desk.create_ticket(kind, draft, &[]) {
                Ok(c) => c.ticket.id,
                Err(e) => {
                    prop_assert!(explained(&e), "{e}");
                    let plain = Draft { title: "plain".into(), ..Draft::default() };
                    desk.create_ticket(kind, plain, &[]).expect("a plain ticket").ticket.id
                }
            };
            let version = |desk: &mut Desk, id: TicketId| desk.ticket(id).expect("ticket").ticket.version;
            let before = version(desk, id);
            match desk.edit(id, &fields, None, None) {
                Ok(out) => prop_assert_eq!(version(desk, id), before + i64::from(!out.changes.is_empty())),
                Err(e) => {
                    prop_assert!(explained(&e), "{e}");
                    prop_assert_eq!(version(desk, id), before, "a refused edit wrote: {}", e);
                }
            }
            let before = version(desk, id);
            if let Err(e) = desk.transition(id, transition, &fields, Some("fuzz"), None) {
                prop_assert!(explained(&e), "{e}");
                prop_assert_eq!(version(desk, id), before, "a refused move wrote: {}", e);
            }
            Ok(())
        })?;
    }
}
