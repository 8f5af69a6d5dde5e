//! Replies in the terminal desk: `R` is a reply (mailed), `c` a comment and `w` a work note
//! (never mailed); a reply shows its recipients, subject and text and waits for a yes
//! before anything is written; no means back to the form with the text kept; the mail goes
//! from the postman's thread after the commit, to a real SMTP sink.

mod common;

use common::smtp::Sink;
use common::tui::*;
use opsdesk::domain::Kind;
use opsdesk::domain::rules::Draft;
use opsdesk::tui::app::{App, Mode};
use ratatui::crossterm::event::KeyCode;

fn request(app: &mut App, requester: &str) -> opsdesk::domain::TicketId {
    let draft = Draft {
        title: "Laptop will not boot".into(),
        requester: Some(requester.into()),
        ..Draft::default()
    };
    let id = app.desk.create_ticket(Kind::Request, draft, &[]).expect("create").id;
    app.reload().expect("reload");
    select(app, id);
    // Replies are written from the ticket's detail, where its thread is read.
    key(app, KeyCode::Enter);
    id
}

#[test]
fn a_reply_shows_whom_it_mails_and_goes_only_once_confirmed() {
    let (_d, mut app) = fresh();
    // Before the desk sends mail, a reply is refused and the text stays in the form.
    let id = request(&mut app, "ana@example.com");
    keys(&mut app, "R");
    keys(&mut app, "Hold the power button");
    ctrl(&mut app, 's');
    assert!(matches!(app.mode, Mode::Form(_)), "{:?}", app.status);
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("the desk sends no mail yet"), "{shown}");
    assert!(shown.contains("Hold the power button"), "{shown}");
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "y");

    let sink = Sink::start();
    app.desk
        .mail_setup(&sink.url(), "Help desk <help@example.com>", true)
        .expect("setup");
    // A comment and a work note are not mailed.
    keys(&mut app, "c");
    keys(&mut app, "looked at it");
    ctrl(&mut app, 's');
    keys(&mut app, "w");
    keys(&mut app, "internal");
    ctrl(&mut app, 's');
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);

    keys(&mut app, "R");
    assert!(screen(&app, 100, 30).contains("reply on REQ-1 (mailed to its requester and watchers)"));
    keys(&mut app, "Hold the power button for 30 s");
    ctrl(&mut app, 's');
    let asked = screen(&app, 100, 30);
    assert!(asked.contains("Mail this reply to ana@example.com?"), "{asked}");
    assert!(asked.contains("Subject: [REQ-1] Laptop will not boot"), "{asked}");
    assert!(asked.contains("Hold the power button for 30 s"), "{asked}");
    let before = app.desk.ticket(id).expect("view").timeline.len();
    // No: back to the form, nothing written, the text kept.
    keys(&mut app, "n");
    assert!(matches!(app.mode, Mode::Form(_)));
    assert!(screen(&app, 100, 30).contains("Hold the power button for 30 s"));
    assert_eq!(app.desk.ticket(id).expect("view").timeline.len(), before);
    ctrl(&mut app, 's');
    keys(&mut app, "y");
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);
    let got = sink.wait_for(1);
    assert_eq!(got[0].to, ["ana@example.com"]);
    assert!(got[0].body().contains("Hold the power button for 30 s"));
    let v = app.desk.ticket(id).expect("view");
    let kinds: Vec<&str> = v.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "mail").count(),
        1,
        "one mail, the reply's: {kinds:?}"
    );
    assert_eq!(sink.messages().len(), 1, "the comment and the work note went nowhere");
}
