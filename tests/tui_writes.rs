//! The terminal desk writes, and reads what is slow, off its UI thread: while another
//! connection holds the desk's write lock, a move or a form waits on the writer thread with
//! a spinner in the footer, and every key is still answered at once; then the lock is let go
//! and the write lands. The CMDB pane shows that it is reading until its tree is in.

mod common;

use std::time::{Duration, Instant};

use common::tui::*;
use opsdesk::tui::app::Mode;
use opsdesk::tui::input::handle_key;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Another process holding the desk's write lock (as `BEGIN IMMEDIATE` in sqlite3 would).
fn hold_the_lock(dir: &tempfile::TempDir) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(dir.path().join("desk.db")).expect("open");
    c.execute_batch("BEGIN IMMEDIATE").expect("lock");
    c
}

/// Presses a key without waiting for writes, as the event loop does, and draws the frame
/// that answers it; returns how long that took.
fn press(app: &mut opsdesk::tui::app::App, code: KeyCode) -> Duration {
    let started = Instant::now();
    handle_key(app, KeyEvent::new(code, KeyModifiers::NONE));
    app.poll_background();
    let _ = screen(app, 80, 24);
    started.elapsed()
}

#[test]
fn keys_are_answered_within_a_frame_while_a_move_waits_for_the_lock() {
    let (dir, mut app) = fresh();
    for t in ["db down", "disk full", "vpn flaps", "mail slow", "dns errors"] {
        add_incident(&mut app, t, None);
    }
    let target = app.queue.selected_row().expect("a row").row.id;
    let lock = hold_the_lock(&dir);

    // Assign to me: the write goes to the writer thread, which waits for the lock.
    let sent = press(&mut app, KeyCode::Char('a'));
    let footer = screen(&app, 80, 24);
    assert!(footer.contains("saving: assigned to you"), "{footer}");
    assert!(app.writing().is_some());

    // Meanwhile the queue answers every key; a key that waited for the lock would take the
    // store's busy timeout (10 s).
    let mut times = vec![sent];
    for _ in 0..4 {
        times.push(press(&mut app, KeyCode::Char('j')));
    }
    for _ in 0..4 {
        times.push(press(&mut app, KeyCode::Char('k')));
    }
    times.push(press(&mut app, KeyCode::Char('/')));
    times.push(press(&mut app, KeyCode::Char('d')));
    times.push(press(&mut app, KeyCode::Esc));
    times.sort();
    let median = times[times.len() / 2];
    assert!(
        median <= Duration::from_millis(16),
        "median key {median:?} while the lock is held: {times:?}"
    );
    assert!(
        times[times.len() - 1] < Duration::from_secs(2),
        "a key waited for the lock: {times:?}"
    );
    assert!(
        app.writing().is_some(),
        "the write cannot have landed while the lock is held"
    );
    let seen = other(&dir, "bob").ticket(target).expect("t").ticket;
    assert_eq!(seen.assignee, None, "nothing is written while the lock is held");

    drop(lock);
    app.finish_writes();
    assert!(app.writing().is_none());
    let now = other(&dir, "bob").ticket(target).expect("t").ticket;
    assert_eq!(now.assignee.as_deref(), Some("alice"));
    let status = app.status.as_ref().expect("said");
    assert!(!status.error && status.text.contains("assigned to you"), "{status:?}");
    let footer = screen(&app, 80, 24);
    assert!(!footer.contains("saving:"), "{footer}");
}

#[test]
fn a_comment_waiting_for_the_lock_is_kept_as_a_draft_until_the_desk_takes_it() {
    let (dir, mut app) = fresh();
    let id = add_incident(&mut app, "printer on fire", None);
    let lock = hold_the_lock(&dir);

    press(&mut app, KeyCode::Char('c'));
    assert!(matches!(app.mode, Mode::Form(_)), "{:?}", app.status);
    for ch in "smoke seen on floor 2".chars() {
        press(&mut app, KeyCode::Char(ch));
    }
    let started = Instant::now();
    handle_key(&mut app, KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the submit waited for the lock"
    );
    assert!(app.mode.is_normal(), "the form gives way while the desk takes it");
    let drafts = dir.path().join("drafts");
    let kept = || std::fs::read_dir(&drafts).map(|d| d.count()).unwrap_or(0);
    assert_eq!(kept(), 1, "what was typed is on disk while the write waits");

    drop(lock);
    app.finish_writes();
    let view = app.desk.ticket(id).expect("t");
    let said = serde_json::to_string(&view.timeline).expect("json");
    assert!(said.contains("smoke seen on floor 2"), "{said}");
    assert_eq!(kept(), 0, "the draft goes once the desk has the comment");
}

#[test]
fn the_cmdb_pane_is_read_off_the_ui_thread_and_shown_when_in() {
    let (_d, mut app) = seeded();
    handle_key(&mut app, KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE));
    assert!(app.cmdb.is_none(), "the key did not read the tree itself");
    let s = screen(&app, 80, 24);
    assert!(s.contains("reading the CMDB…"), "{s}");
    app.finish_loads();
    let s = screen(&app, 80, 24);
    assert!(s.contains("CMDB ·") && !s.contains("reading the CMDB"), "{s}");
}

/// A desk with enough open tickets that the first page is not all of them, their clocks
/// running, paused and stopped.
fn larger_desk() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("desk.db");
    let mut opts = opsdesk::seed::SeedOptions::new(1_500, fixed_now());
    opts.done_share = 0.5;
    opsdesk::seed::seed(&path, &opts).expect("seed");
    (dir, path)
}

#[test]
fn the_queue_opens_on_its_first_page_and_the_rest_follows_in_the_same_order() {
    let (_dir, path) = larger_desk();
    let open = |p: &std::path::Path| {
        let desk = opsdesk::desk::Desk::open(p, "alice", opsdesk::config::Config::default()).expect("open");
        opsdesk::tui::app::App::new(desk, opsdesk::tui::keymap::Keymap::builtin(), fixed_now()).expect("app")
    };
    let mut app = open(&path);
    assert!(app.queue.loading);
    let first: Vec<_> = app.queue.window(0, usize::MAX).map(|r| r.row.id).collect();
    assert_eq!(first.len(), 200, "one page is read before the first frame");
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("… open · reading the queue") && s.contains("200 of …"),
        "{s}"
    );

    app.finish_loads();
    assert!(!app.queue.loading);
    let all: Vec<_> = app.queue.window(0, usize::MAX).map(|r| r.row.id).collect();
    assert!(all.len() > 200, "{} open", all.len());
    assert_eq!(
        &all[..200],
        &first[..],
        "the first page is the whole queue's first 200, in its order"
    );
    let s = screen(&app, 120, 40);
    assert!(s.contains(&format!("{} open · ", all.len())), "{s}");
    let clocks: std::collections::BTreeSet<String> = app
        .queue
        .all_rows()
        .iter()
        .filter_map(|r| r.clock().map(|c| c.phase.name().to_string()))
        .collect();
    assert!(clocks.len() >= 2, "the desk has running and paused clocks: {clocks:?}");
}

#[test]
fn back_from_the_closed_view_the_open_rows_come_back_as_they_were_kept() {
    let (dir, mut app) = seeded();
    let before = app.queue.len();
    let closed = app.queue.views.iter().position(|v| v.closed).expect("a closed view");
    for _ in 0..closed {
        key(&mut app, KeyCode::Char(']'));
    }
    assert!(app.queue.view().closed);
    // Another operator opens a ticket meanwhile; the kept open rows follow the desk.
    let draft = opsdesk::domain::rules::Draft {
        title: "opened while closed tickets showed".into(),
        ..Default::default()
    };
    other(&dir, "bob")
        .create_ticket(opsdesk::domain::Kind::Incident, draft, &[])
        .expect("create");
    app.reload().expect("reload");
    let views = app.queue.views.len();
    for _ in closed..views {
        key(&mut app, KeyCode::Char(']'));
    }
    assert_eq!(app.queue.view_index(), 0);
    assert_eq!(app.queue.len(), before + 1);
    assert!(
        app.queue
            .window(0, usize::MAX)
            .any(|r| r.row.title == "opened while closed tickets showed")
    );
}

#[test]
fn what_others_write_is_read_off_the_ui_thread_and_shown_when_it_has_come() {
    let (dir, mut app) = fresh();
    let first = add_incident(&mut app, "printer jams", None);
    select(&mut app, first);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.detail.id(), Some(first));
    let shown = app.detail.version();
    // In another terminal, a comment on the ticket open here, and another ticket.
    let mut elsewhere = other(&dir, "alice");
    elsewhere.comment(first, "toner replaced", false).expect("comment");
    let draft = opsdesk::domain::rules::Draft {
        title: "scanner too".into(),
        ..Default::default()
    };
    elsewhere
        .create_ticket(opsdesk::domain::Kind::Incident, draft, &[])
        .expect("create");
    // The tick only starts the read: nothing is read or merged on this thread.
    app.tick(chrono::Utc::now()).expect("tick");
    assert_eq!(app.queue.total(), 1);
    assert_eq!(app.detail.version(), shown);
    // Once it has come, the queue and the open ticket show both.
    app.finish_loads();
    assert_eq!(app.queue.total(), 2);
    assert_eq!(app.detail.id(), Some(first));
    assert!(
        app.detail.version() > shown,
        "{:?} after {shown:?}",
        app.detail.version()
    );
    assert!(screen(&app, 100, 30).contains("toner replaced"));
}

/// A busy desk changes every second, and rarely its CMDB: the tree on screen is read again
/// after each change, but built again (22,000 items at a million tickets, two at once while
/// the new one is made) only when what it shows changed; the CI under the cursor is read
/// again either way.
#[test]
fn the_cmdb_tree_is_built_again_only_when_the_cmdb_changed() {
    let (dir, mut app) = seeded();
    key(&mut app, KeyCode::Char('3'));
    let tree = |app: &opsdesk::tui::app::App| app.cmdb.as_ref().expect("the tree is in").items.as_ptr();
    let built = tree(&app);
    let selected = app.cmdb.as_ref().and_then(|m| m.selected.as_ref()).map(|s| s.ci.rowid);
    assert!(selected.is_some(), "the first CI is selected");

    // Elsewhere, a comment: the desk changed, its CMDB did not.
    let ticket = app.queue.window(0, 1).next().expect("a ticket").row.id;
    let mut elsewhere = other(&dir, "alice");
    elsewhere.comment(ticket, "still failing", false).expect("comment");
    app.tick(fixed_now()).expect("tick");
    app.finish_loads();
    assert_eq!(tree(&app), built, "the same graph is not built into a tree again");
    let again = app.cmdb.as_ref().and_then(|m| m.selected.as_ref()).map(|s| s.ci.rowid);
    assert_eq!(
        again, selected,
        "what is shown of the CI under the cursor is read again"
    );

    // Elsewhere, a new CI: the tree is built again and holds it.
    elsewhere
        .add_ci("print-server-9", "server", None, None, None, &[])
        .expect("add a CI");
    app.tick(fixed_now()).expect("tick");
    app.finish_loads();
    assert_ne!(tree(&app), built, "a changed CMDB is built into a new tree");
    let model = app.cmdb.as_ref().expect("tree");
    assert!(model.cis.values().any(|c| c.name == "print-server-9"));
}
