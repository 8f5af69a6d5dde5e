//! The inbox in the terminal desk: what another operator gave me, a comment naming me, a
//! breach on a ticket I hold; the header's count of unread items; enter opens the ticket and
//! marks its items read, esc comes back; `m` read/unread, `M` all read, `u` unread only.

mod common;

use chrono::Duration;
use common::tui::*;
use opsdesk::desk::Desk;
use opsdesk::domain::rules::Draft;
use opsdesk::domain::{Kind, Role, TicketId};
use opsdesk::tui::app::{App, Pane};
use ratatui::crossterm::event::KeyCode;

fn incident(desk: &mut Desk, title: &str, level: u8) -> TicketId {
    let draft = Draft {
        title: title.into(),
        impact: Some(level),
        urgency: Some(level),
        ..Draft::default()
    };
    desk.create_ticket(Kind::Incident, draft, &[]).expect("create").id
}

fn unread(app: &App) -> Vec<(String, String)> {
    app.inbox
        .data
        .items
        .iter()
        .filter(|i| !i.read)
        .map(|i| (i.reason.clone(), i.ticket.to_string()))
        .collect()
}

#[test]
fn the_inbox_holds_what_others_gave_me_my_mentions_and_my_breaches() {
    let (dir, mut app) = fresh();
    app.desk.add_operator("bob", &[Role::Agent], None).expect("bob");
    let mut bob = other(&dir, "bob");
    // bob gives alice a ticket and names her in a comment; he names himself too (no item).
    let mail = incident(&mut bob, "Mail server down", 3);
    bob.assign(mail, Some("alice"), None, None).expect("assign");
    bob.comment(mail, "@alice can you look at the disk? cc @bob", false)
        .expect("comment");
    // Alice takes a P1 herself (no item), and misses its resolution clock.
    let db = incident(&mut app.desk, "Database unreachable", 1);
    let created = app.desk.ticket(db).expect("ticket").ticket.created_at;
    app.desk.assign(db, Some("alice"), None, None).expect("assign");
    app.reload().expect("reload");
    assert!(screen(&app, 80, 24).contains("· inbox 2"), "{}", screen(&app, 80, 24));
    tick(&mut app, created + Duration::hours(5));
    app.reload().expect("reload");
    assert!(screen(&app, 80, 24).contains("· inbox 3"));

    keys(&mut app, "6");
    assert_eq!(app.pane, Pane::Inbox);
    assert_eq!(
        unread(&app),
        [
            ("breach".into(), db.to_string()),
            ("mention".into(), mail.to_string()),
            ("assigned".into(), mail.to_string())
        ]
    );
    // The ages from a fixed distance after the events, so the screen is the same every run.
    app.now = created + Duration::minutes(6 * 60 + 30);
    insta::assert_snapshot!("inbox_80x24", screen(&app, 80, 24));
    let narrow = screen(&app, 60, 16);
    assert!(narrow.contains("@alice can you look"), "{narrow}");

    // enter on the mention: the ticket opens and both of its items are read; esc comes back.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane, Pane::Detail);
    assert_eq!(app.detail.id(), Some(mail));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.pane, Pane::Inbox);
    assert_eq!(unread(&app), [("breach".into(), db.to_string())]);
    assert!(screen(&app, 80, 24).contains("· inbox 1"));
    // m: unread again, and read again.
    keys(&mut app, "m");
    assert_eq!(unread(&app).len(), 2, "the selection stays on the mention");
    keys(&mut app, "m");
    assert_eq!(unread(&app).len(), 1);
    // u: only the unread; M: all read, and the header's count goes.
    keys(&mut app, "u");
    assert_eq!(app.inbox.data.items.len(), 1);
    keys(&mut app, "M");
    assert!(app.inbox.data.items.is_empty());
    let s = screen(&app, 80, 24);
    assert!(s.contains("Nothing unread."), "{s}");
    assert!(!s.contains("· inbox"), "{s}");
    keys(&mut app, "u");
    assert_eq!(app.inbox.data.items.len(), 3);
    assert!(app.inbox.data.items.iter().all(|i| i.read));
    // bob's inbox holds nothing of his own doing.
    assert!(bob.inbox(false).expect("inbox").items.is_empty());
}

#[test]
fn another_operators_write_shows_in_the_header_and_the_open_inbox() {
    let (dir, mut app) = fresh();
    app.desk.add_operator("bob", &[Role::Agent], None).expect("bob");
    keys(&mut app, "6");
    let s = screen(&app, 80, 24);
    assert!(s.contains("Nothing yet."), "{s}");
    let mut bob = other(&dir, "bob");
    let id = incident(&mut bob, "Printer jam", 3);
    bob.assign(id, Some("alice"), None, None).expect("assign");
    assert!(app.pick_up_changes().expect("changes"), "the TUI sees bob's commit");
    app.finish_loads();
    assert_eq!(unread(&app), [("assigned".into(), id.to_string())]);
    let s = screen(&app, 80, 24);
    assert!(s.contains("· inbox 1") && s.contains("Printer jam"), "{s}");
    // Every key of the inbox, and the global ones, fit the 80×24 help.
    keys(&mut app, "?");
    let help = screen(&app, 80, 24);
    for (_, entries) in app.keymap.help(opsdesk::tui::action::Layer::Inbox) {
        for (_, what) in entries {
            let shown: String = what.chars().take(8).collect();
            assert!(help.contains(&shown), "{what:?} is not on the 80×24 help:\n{help}");
        }
    }
}
