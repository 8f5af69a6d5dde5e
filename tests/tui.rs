//! The terminal desk on ratatui's TestBackend: each screen as a snapshot, and the main flows
//! driven by keys with the result checked in the store.

mod common;

use chrono::Utc;
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::domain::{Kind, TicketId};
use opsdesk::tui::app::{Mode, Pane};
use ratatui::crossterm::event::KeyCode;

use common::tui::*;

#[test]
fn queue_at_80x24() {
    let (_d, app) = seeded();
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn queue_and_detail_side_by_side_at_140x30() {
    let (_d, mut app) = seeded();
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "1");
    assert_eq!(
        app.pane,
        Pane::Queue,
        "1 goes back to the queue; the detail stays beside it"
    );
    // The incident's suggestions, found off the UI thread, have joined it.
    app.wait_for_background();
    insta::assert_snapshot!(screen(&app, 140, 30));
}

#[test]
fn detail_full_screen_below_120_columns() {
    let (_d, mut app) = seeded();
    keys(&mut app, "jj");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane, Pane::Detail);
    app.wait_for_background();
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn transition_picker_lists_only_allowed_moves() {
    let (_d, mut app) = seeded();
    // The first incident in the queue.
    while app
        .queue
        .selected_row()
        .is_some_and(|r| r.row.id.kind != Kind::Incident)
    {
        key(&mut app, KeyCode::Down);
    }
    keys(&mut app, "t");
    assert!(matches!(app.mode, Mode::Pick(_)));
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn help_is_generated_from_the_keymap() {
    let (_d, mut app) = seeded();
    keys(&mut app, "?");
    let s = screen(&app, 100, 30);
    assert!(s.contains("move through the lifecycle"));
    insta::assert_snapshot!(s);
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);
    // Every binding fits an 80×24 terminal.
    keys(&mut app, "?");
    let small = screen(&app, 80, 24);
    for (_, entries) in app.keymap.help(opsdesk::tui::action::Layer::Queue) {
        for (_, what) in entries {
            let shown: String = what.chars().take(8).collect();
            assert!(small.contains(&shown), "{what:?} is not on the 80×24 help:\n{small}");
        }
    }
}

#[test]
fn too_small_is_a_message_not_a_panic() {
    let (_d, app) = seeded();
    insta::assert_snapshot!(screen(&app, 50, 12));
    for (w, h) in [(1, 1), (59, 16), (60, 15), (10, 40)] {
        let s = screen(&app, w, h);
        if w >= 20 && h >= 2 {
            assert!(s.contains("Terminal too small"), "{w}x{h}:\n{s}");
        }
    }
    let s = screen(&app, 60, 16);
    assert!(!s.contains("too small"));
}

#[test]
fn an_empty_desk_greets_with_what_to_do() {
    let (_d, app) = fresh();
    let s = screen(&app, 80, 24);
    assert!(
        s.contains("Your desk is empty. Press n to open the first ticket."),
        "{s}"
    );
    assert!(s.contains("0 open · 0 at risk · 0 breached"), "{s}");
}

#[test]
fn an_incident_from_new_to_closed_by_keys() {
    let (_d, mut app) = fresh();
    // n: new ticket form (kind incident is preselected).
    keys(&mut app, "n");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "Printer on fire");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Right); // impact 2
    key(&mut app, KeyCode::Right); // impact 1
    ctrl(&mut app, 's');
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);
    let id = TicketId::new(Kind::Incident, 1);
    assert_eq!(app.queue.selected_row().map(|r| r.row.id), Some(id));
    // Work it from its detail pane, which stays on the ticket whatever the queue shows.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane, Pane::Detail);
    // a: assign to me.
    keys(&mut app, "a");
    assert_eq!(
        app.desk.ticket(id).expect("t").ticket.assignee.as_deref(),
        Some("alice")
    );
    // p: pend, with a reason from the pick-list.
    keys(&mut app, "p");
    assert!(matches!(app.mode, Mode::Form(_)));
    keys(&mut app, "awaiting_v"); // a letter jumps through the choices: awaiting_vendor
    ctrl(&mut app, 's');
    let t = app.desk.ticket(id).expect("t").ticket;
    assert_eq!(t.state, "pending");
    assert_eq!(t.get("pending_reason").as_deref(), Some("awaiting_vendor"));
    // t, then pick resume.
    keys(&mut app, "t");
    keys(&mut app, "r");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.desk.ticket(id).expect("t").ticket.state, "assigned");
    // r: resolve asks for the code and the note.
    keys(&mut app, "r");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "Replaced the fuser");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.desk.ticket(id).expect("t").ticket.state,
        "assigned",
        "enter in a note is a new line"
    );
    ctrl(&mut app, 's');
    let t = app.desk.ticket(id).expect("t").ticket;
    assert_eq!(
        (t.state.as_str(), t.get("resolution_code").as_deref()),
        ("resolved", Some("fixed"))
    );
    // Resolved tickets leave the open queue for the recently closed view.
    assert_eq!(app.queue.len(), 0);
    keys(&mut app, "1"); // views belong to the queue
    key(&mut app, KeyCode::Char('['));
    assert_eq!(app.queue.view().name, "recently closed");
    assert_eq!(app.queue.selected_row().map(|r| r.row.id), Some(id));
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "t");
    keys(&mut app, "c");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Confirm(_)), "closing asks first");
    keys(&mut app, "y");
    let v = app.desk.ticket(id).expect("t");
    assert_eq!(v.ticket.state, "closed");
    let moves: Vec<String> = v
        .timeline
        .iter()
        .filter(|e| e.kind == "transition")
        .filter_map(|e| e.field.clone())
        .collect();
    assert_eq!(moves, vec!["assign", "pend", "resume", "resolve", "close"]);
}

#[test]
fn a_refused_submit_keeps_the_form_and_what_was_typed() {
    let (_d, mut app) = fresh();
    add_incident(&mut app, "x", None);
    keys(&mut app, "t");
    keys(&mut app, "c"); // cancel needs a note
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Form(_)));
    keys(&mut app, "   ");
    ctrl(&mut app, 's');
    let Mode::Form(form) = &app.mode else {
        panic!("the form closed: {:?}", app.status)
    };
    assert_eq!(form.error.as_deref(), Some("`cancel` needs note"));
    assert_eq!(form.values()[0].1, "   ", "what was typed is still there");
    let s = screen(&app, 80, 24);
    assert!(s.contains("✗ `cancel` needs note"), "{s}");
    assert!(s.contains("▶ note:"), "{s}");
    keys(&mut app, "duplicate of INC-0");
    ctrl(&mut app, 's');
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);
    assert_eq!(
        app.desk
            .ticket(TicketId::new(Kind::Incident, 1))
            .expect("t")
            .ticket
            .state,
        "cancelled"
    );
}

#[test]
fn filter_narrows_the_queue_as_you_type() {
    let (_d, mut app) = seeded();
    let all = app.queue.len();
    keys(&mut app, "/");
    assert!(matches!(app.mode, Mode::Filter), "{:?}", app.status);
    keys(&mut app, "vpn");
    let n = app.queue.len();
    assert!(n > 0 && n < all, "{n} of {all}");
    assert!(app.queue.window(0, n).all(|r| {
        format!("{} {:?} {:?}", r.row.title, r.row.ci, r.row.assignee)
            .to_lowercase()
            .contains('v')
    }));
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);
    assert_eq!(app.queue.len(), n, "enter keeps the filter");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.queue.len(), all, "esc clears it");
}

#[test]
fn views_and_bulk_assign_by_marks() {
    let (_d, mut app) = seeded();
    key(&mut app, KeyCode::Char(']'));
    key(&mut app, KeyCode::Char(']'));
    assert_eq!(app.queue.view().name, "unassigned");
    let before = app.queue.len();
    assert!(before >= 2);
    let first_two: Vec<TicketId> = app.queue.window(0, 2).map(|r| r.row.id).collect();
    keys(&mut app, "  "); // mark two
    keys(&mut app, "a");
    assert!(screen(&app, 80, 24).contains("Assign 2 tickets to you?"));
    keys(&mut app, "y");
    for id in &first_two {
        let t = app.desk.ticket(*id).expect("t").ticket;
        assert_eq!(t.assignee.as_deref(), Some("alice"), "{id}");
    }
    assert_eq!(app.queue.len(), before - 2, "they left the unassigned view");
    assert!(app.queue.marks.is_empty());
}

#[test]
fn another_operators_write_shows_up_and_keeps_the_selection() {
    let (dir, mut app) = fresh();
    for t in ["first", "second"] {
        add_incident(&mut app, t, None);
    }
    key(&mut app, KeyCode::Down);
    let selected = app.queue.selected_row().map(|r| r.row.id);
    // A form in progress is not disturbed either.
    keys(&mut app, "c");
    keys(&mut app, "half a thought");
    let mut bob = Desk::open(dir.path().join("desk.db"), "bob", Config::default()).expect("bob");
    bob.create_ticket(
        Kind::Incident,
        opsdesk::domain::rules::Draft {
            title: "bob's".into(),
            impact: Some(1),
            urgency: Some(1),
            ..Default::default()
        },
        &[],
    )
    .expect("bob writes");
    tick(&mut app, Utc::now());
    assert_eq!(app.queue.total(), 3);
    assert_eq!(app.queue.selected_row().map(|r| r.row.id), selected);
    let Mode::Form(form) = &app.mode else {
        panic!("the form was lost")
    };
    assert_eq!(form.values()[0].1, "half a thought");
}

#[test]
fn hostile_title_and_100_kb_comment_in_the_detail() {
    let (_d, mut app) = fresh();
    let title =
        "evil \u{1b}]52;c;ZXZpbA==\u{7} \u{1b}[2J \u{9b}31m \u{202E}exe.txt \u{2066}a\u{2069} z\u{200B}w\u{FEFF}";
    add_incident(&mut app, title, None);
    let mut comment = String::new();
    while comment.len() < 100_000 {
        comment.push_str("\u{1b}[31mred\u{1b}[0m \u{202E}gnp.exe\u{200B} \u{1b}]8;;http://x\u{1b}\\link\r\n");
    }
    let id = app.queue.selected_row().map(|r| r.row.id).expect("the incident");
    app.desk.comment(id, &comment, false).expect("comment");
    app.reload().expect("reload");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app, 80, 24);
    assert!(
        !s.chars()
            .any(|c| c.is_control() && c != '\n' || matches!(c, '\u{202E}' | '\u{2066}' | '\u{200B}' | '\u{FEFF}')),
        "{s}"
    );
    // Times and ids differ per run; the shape of what is drawn is what matters.
    let shape: String = s
        .lines()
        .filter(|l| l.contains("evil") || l.contains("red") || l.contains("gnp"))
        .take(4)
        .map(|l| l.split('│').nth(1).unwrap_or(l).trim_end().to_string() + "\n")
        .collect();
    insta::assert_snapshot!("hostile_detail", shape);
}

#[test]
fn hostile_text_is_drawn_inert() {
    let (_d, mut app) = fresh();
    let title = "evil \u{1b}]52;c;ZXZpbA==\u{7} \u{1b}[2J\u{202E}txt.exe\u{200B}";
    add_incident(&mut app, title, None);
    for s in [screen(&app, 80, 24), {
        key(&mut app, KeyCode::Enter);
        screen(&app, 80, 24)
    }] {
        assert!(
            !s.contains('\u{1b}') && !s.contains('\u{7}') && !s.contains('\u{202E}') && !s.contains('\u{200B}'),
            "{s}"
        );
        assert!(s.contains("evil"));
    }
}

#[test]
fn a_view_of_closed_tickets_is_read_off_the_ui_thread() {
    use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
    let (_d, mut app) = seeded();
    let header = |app: &opsdesk::tui::app::App| screen(app, 80, 24).lines().next().unwrap_or("").to_string();
    let open = header(&app);
    let press = |app: &mut opsdesk::tui::app::App| {
        opsdesk::tui::input::handle_key(app, KeyEvent::new(KeyCode::Char(']'), KeyModifiers::NONE))
    };
    while app.queue.view().name != "recently closed" {
        press(&mut app);
    }
    // The key is answered before the rows are read (nothing here takes them in yet): the
    // view says so, and the header goes on counting the open queue.
    let s = screen(&app, 80, 24);
    assert!(s.contains("Reading the tickets of this view"), "{s}");
    assert_eq!(header(&app), open);
    app.finish_loads();
    assert!(!screen(&app, 80, 24).contains("Reading the tickets"));
    let closed = app.desk.queue_recently_closed(7).expect("closed");
    assert_eq!(app.queue.len(), closed.len());
    // Back to the open views: the open rows come back from aside, with nothing to read.
    while app.queue.view().closed {
        press(&mut app);
    }
    assert!(!app.queue.reading && !app.queue.loading);
    assert_eq!(app.queue.len(), app.desk.queue_open().expect("open").len());
}

/// The open queue beyond its first page is read off the UI thread with its CI names (given
/// after the rows, each row made its filter text again, 40 ms on the UI thread at a million
/// tickets): every row has its first CI once the read is in, and the filter finds rows by it.
#[test]
fn the_queue_read_off_the_ui_thread_comes_with_its_ci_names() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("desk.db");
    opsdesk::seed::seed(&path, &opsdesk::seed::SeedOptions::new(10_000, fixed_now())).expect("seed");
    let mut desk = Desk::open(&path, "alice", Config::default()).expect("open");
    let cis: std::collections::HashMap<i64, String> = desk.open_ci_names().expect("cis").into_iter().collect();
    let mut app = opsdesk::tui::app::App::new(desk, opsdesk::tui::keymap::Keymap::builtin(), fixed_now()).expect("app");
    // The whole queue taken in, and nothing else waited for.
    app.finish_loads();
    let rows = app.queue.all_rows();
    assert!(
        rows.len() > 400 && cis.len() > 300,
        "more than a first page: {} rows, {} with a CI",
        rows.len(),
        cis.len()
    );
    for r in rows {
        assert_eq!(r.row.ci.as_ref(), cis.get(&r.row.rowid), "{}", r.row.id);
    }
    let (rowid, ci) = cis.iter().max_by_key(|(rowid, _)| **rowid).expect("a CI");
    keys(&mut app, &format!("/{ci}"));
    app.wait_for_background();
    assert!(
        (0..app.queue.len()).any(|i| app.queue.window(i, 1).any(|r| r.row.rowid == *rowid)),
        "the filter {ci:?} finds the ticket it is the CI of"
    );
}
