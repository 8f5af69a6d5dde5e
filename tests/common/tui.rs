//! Driving the terminal desk on ratatui's TestBackend: desks to open it on, keys, and the
//! screen as text.

use chrono::{DateTime, Offset, TimeZone, Utc};
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::domain::{Kind, TicketId};
use opsdesk::store::Sharing;
use opsdesk::tui::app::App;
use opsdesk::tui::input::handle_key;
use opsdesk::tui::keymap::Keymap;
use opsdesk::tui::theme::Theme;
use opsdesk::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub const THEME: Theme = Theme::plain();

pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 30, 0).single().expect("time")
}

/// A seeded desk of 60 tickets with fixed times, so every screen is the same on every run.
pub fn seeded() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("desk.db");
    let mut opts = opsdesk::seed::SeedOptions::new(60, fixed_now());
    opts.done_share = 0.5;
    opsdesk::seed::seed(&path, &opts).expect("seed");
    let desk = Desk::open(&path, "alice", Config::default()).expect("open");
    let mut app = App::new(desk, Keymap::builtin(), fixed_now()).expect("app");
    app.wait_for_background();
    // Times on screen are read in UTC here, whatever the machine's zone.
    app.zone = chrono::Utc.fix();
    (dir, app)
}

/// A new empty desk, acted on at the real time, with drafts kept in its folder.
pub fn fresh() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("desk.db");
    let (desk, _) = Desk::create(&path, "alice", Config::default(), Sharing::Private).expect("create");
    let mut app = App::new(desk, Keymap::builtin(), Utc::now()).expect("app");
    app.drafts = Some(opsdesk::tui::drafts::Drafts::new(
        dir.path().join("drafts"),
        &(&path).into(),
    ));
    app.wait_for_background();
    (dir, app)
}

/// Another operator's desk on the same file (as a second terminal would open it).
pub fn other(dir: &tempfile::TempDir, who: &str) -> Desk {
    Desk::open(dir.path().join("desk.db"), who, Config::default()).expect("open")
}

/// Opens an incident through the desk (as another tool would) and brings the queue up to date.
pub fn add_incident(app: &mut App, title: &str, level: Option<u8>) -> TicketId {
    let draft = opsdesk::domain::rules::Draft {
        title: title.into(),
        impact: level,
        urgency: level,
        ..Default::default()
    };
    let id = app.desk.create_ticket(Kind::Incident, draft, &[]).expect("create").id;
    app.reload().expect("reload");
    id
}

/// Selects `id` in the queue, from the top; fails the test if it is not shown.
pub fn select(app: &mut App, id: TicketId) {
    key(app, KeyCode::Char('g'));
    for _ in 0..app.queue.len() {
        if app.queue.selected_row().is_some_and(|r| r.row.id == id) {
            return;
        }
        key(app, KeyCode::Down);
    }
    assert_eq!(
        app.queue.selected_row().map(|r| r.row.id),
        Some(id),
        "{id} is not in the queue"
    );
}

pub fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| ui::draw(f, app, &THEME)).expect("draw");
    t.backend().to_string()
}

/// Presses a key and waits for any write it sent to be answered (the terminal desk writes
/// on its writer thread; a test reads the outcome after it).
pub fn key(app: &mut App, code: KeyCode) {
    handle_key(app, KeyEvent::new(code, KeyModifiers::NONE));
    app.finish_loads();
}

pub fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub fn ctrl(app: &mut App, c: char) {
    handle_key(app, KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    app.finish_loads();
}

pub fn with(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    handle_key(app, KeyEvent::new(code, modifiers));
    app.finish_loads();
}

/// The once-a-second tick at `at`, waiting for the SLA sweep it sends to the writer.
pub fn tick(app: &mut App, at: DateTime<Utc>) {
    app.tick(at).expect("tick");
    app.finish_loads();
}
