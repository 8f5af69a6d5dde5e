//! The terminal desk in real hands: what an on-call day with it found, each as a test on
//! ratatui's TestBackend. Nothing typed is lost, keys do what the screen shows, bulk means
//! every marked ticket, any ticket is reachable by id.

mod common;

use common::tui::*;
use opsdesk::domain::{Kind, TicketId};
use opsdesk::tui::app::{App, Mode, Pane};
use opsdesk::tui::input::handle_paste;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

fn form(app: &App) -> &opsdesk::tui::widgets::form::Form<opsdesk::tui::app::Purpose> {
    match &app.mode {
        Mode::Form(f) => f,
        other => panic!("no form open: {other:?} {:?}", app.status),
    }
}

fn inc(n: u64) -> TicketId {
    TicketId::new(Kind::Incident, n)
}

#[test]
fn a_multi_line_paste_is_text_in_the_field_and_never_keys() {
    let (_d, mut app) = fresh();
    for t in ["one", "two", "three"] {
        add_incident(&mut app, t, None);
    }
    let before = app.desk.ticket(inc(2)).expect("t").ticket.version;
    // Outside a field a paste does nothing: not a letter of it is read as a key.
    handle_paste(&mut app, "a\nt\nAj\nq");
    assert!(app.mode.is_normal() && !app.quit);
    assert_eq!(app.desk.ticket(inc(1)).expect("t").ticket.assignee, None);
    // In a comment it is the comment, whole.
    keys(&mut app, "c");
    let log = "kernel: eth0 link down\na\nA\nt 2\nkernel: eth0 link up";
    handle_paste(&mut app, log);
    assert_eq!(form(&app).get("text"), log);
    ctrl(&mut app, 's');
    let v = app.desk.ticket(inc(1)).expect("t");
    assert!(v.timeline.iter().any(|e| e.comment.as_deref() == Some(log)));
    for n in 1..=3 {
        assert_eq!(app.desk.ticket(inc(n)).expect("t").ticket.assignee, None, "INC-{n}");
    }
    assert_eq!(app.desk.ticket(inc(2)).expect("t").ticket.version, before);
    // In a one-line field the lines become one.
    keys(&mut app, "n");
    key(&mut app, KeyCode::Tab);
    handle_paste(&mut app, "db1\r\ndown");
    assert_eq!(form(&app).get("title"), "db1 down");
}

#[test]
fn a_change_raised_in_the_tui_has_its_ci_type_requester_category_and_team() {
    let (dir, mut app) = fresh();
    app.desk
        .add_ci("db-primary", "database", None, None, None, &[])
        .expect("ci");
    app.desk.add_ci("web-1", "server", None, None, None, &[]).expect("ci");
    other(&dir, "alice")
        .add_operator("bob", &[opsdesk::domain::Role::Agent], None)
        .expect("bob");
    keys(&mut app, "n");
    keys(&mut app, "c"); // kind: change
    assert_eq!(form(&app).get("kind"), "change");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "Grow the db volume");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "db-p");
    assert!(
        screen(&app, 80, 24).contains("db-primary"),
        "a suggestion from the CMDB"
    );
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(form(&app).get("cis"), "db-primary, ");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "e"); // emergency
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "bob");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "storage");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "dba");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "The volume is 91% full.");
    key(&mut app, KeyCode::Enter); // a new line in the description, not a ticket
    assert!(
        matches!(app.mode, Mode::Form(_)),
        "enter in a description files nothing"
    );
    keys(&mut app, "Grow it by 200 GB.");
    ctrl(&mut app, 's');
    assert!(app.mode.is_normal(), "{:?}", app.status);
    let v = app.desk.ticket(TicketId::new(Kind::Change, 1)).expect("change");
    assert_eq!(
        v.cis.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["db-primary"]
    );
    assert_eq!(v.ticket.description, "The volume is 91% full.\nGrow it by 200 GB.");
    assert_eq!(v.ticket.requester, "bob");
    assert_eq!(v.ticket.get("change_type").as_deref(), Some("emergency"));
    assert_eq!(v.ticket.get("category").as_deref(), Some("storage"));
    assert_eq!(v.ticket.get("team").as_deref(), Some("dba"));
    // Linked to a CI, it is no dead end: submit is among its moves.
    assert!(
        app.desk
            .offers(v.ticket.id)
            .expect("offers")
            .iter()
            .any(|o| o.name == "submit")
    );
}

#[test]
fn link_unlink_and_unassign_by_keys() {
    let (_d, mut app) = fresh();
    app.desk.add_ci("mx-1", "server", None, None, None, &[]).expect("ci");
    add_incident(&mut app, "mail down", None);
    add_incident(&mut app, "mail slow", None);
    select(&mut app, inc(1));
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "L");
    keys(&mut app, "mx-1");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "INC-2");
    ctrl(&mut app, 's');
    assert!(app.mode.is_normal(), "{:?}", app.status);
    let v = app.desk.ticket(inc(1)).expect("t");
    assert_eq!(v.cis.len(), 1);
    assert_eq!(v.links.len(), 1);
    // Enter follows the chosen link; esc comes back.
    keys(&mut app, "]");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.detail.id(), Some(inc(2)));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.detail.id(), Some(inc(1)));
    assert_eq!(app.pane, Pane::Detail);
    // D: pick what to unlink.
    keys(&mut app, "D");
    assert!(screen(&app, 80, 24).contains("CI mx-1"));
    key(&mut app, KeyCode::Enter);
    assert!(app.desk.ticket(inc(1)).expect("t").cis.is_empty());
    // U unassigns, after asking.
    keys(&mut app, "a");
    keys(&mut app, "U");
    assert!(screen(&app, 80, 24).contains("Unassign INC-1?"));
    keys(&mut app, "y");
    assert_eq!(app.desk.ticket(inc(1)).expect("t").ticket.assignee, None);
}

#[test]
fn a_conflict_keeps_the_text_and_ctrl_r_shows_theirs_beside_mine() {
    let (dir, mut app) = fresh();
    add_incident(&mut app, "printer jam", None);
    other(&dir, "alice")
        .add_operator("bob", &[opsdesk::domain::Role::Agent], None)
        .expect("bob");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "e");
    // Mine: the description (the last field) and the team.
    with(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT);
    for _ in 0..20 {
        if form(&app).focus == form(&app).fields.len() - 1 {
            break;
        }
        key(&mut app, KeyCode::Tab);
    }
    keys(&mut app, "Tray 2 jams on A3.");
    // Theirs, meanwhile: the title and the team.
    let mut bob = other(&dir, "bob");
    bob.edit(inc(1), &[("title".into(), "printer jam on floor 3".into())], None, None)
        .expect("bob edits");
    ctrl(&mut app, 's');
    let f = form(&app);
    let error = f.error.clone().unwrap_or_default();
    assert!(
        error.contains("was changed by bob") && error.contains("ctrl-r"),
        "{error}"
    );
    assert_eq!(f.get("description"), "Tray 2 jams on A3.", "the refusal keeps the text");
    ctrl(&mut app, 'r');
    let f = form(&app);
    assert_eq!(f.get("description"), "Tray 2 jams on A3.", "mine is kept");
    assert_eq!(
        f.get("title"),
        "printer jam on floor 3",
        "theirs comes in where I typed nothing"
    );
    assert!(
        f.notice.as_deref().unwrap_or("").contains("bob changed title"),
        "{:?}",
        f.notice
    );
    assert!(screen(&app, 80, 24).contains("* title:"), "the changed field is marked");
    ctrl(&mut app, 's');
    assert!(app.mode.is_normal(), "{:?}", app.status);
    let t = app.desk.ticket(inc(1)).expect("t").ticket;
    assert_eq!(
        (t.title.as_str(), t.description.as_str()),
        ("printer jam on floor 3", "Tray 2 jams on A3.")
    );
    // Both changed one field: after ctrl-r mine stays, and theirs is said under it.
    keys(&mut app, "e");
    keys(&mut app, " (mine)");
    bob.edit(inc(1), &[("title".into(), "theirs".into())], None, None)
        .expect("bob");
    ctrl(&mut app, 'r');
    let f = form(&app);
    assert_eq!(f.get("title"), "printer jam on floor 3 (mine)");
    assert!(
        f.fields[0].note.as_deref().unwrap_or("").contains("“theirs”"),
        "{:?}",
        f.fields[0].note
    );
}

#[test]
fn esc_asks_before_throwing_away_what_was_typed() {
    let (_d, mut app) = fresh();
    add_incident(&mut app, "x", None);
    keys(&mut app, "c");
    key(&mut app, KeyCode::Esc);
    assert!(app.mode.is_normal(), "an empty form closes at once");
    keys(&mut app, "c");
    keys(&mut app, "half a thought");
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Confirm(_)));
    assert!(screen(&app, 80, 24).contains("Discard what you typed"));
    keys(&mut app, "n");
    assert_eq!(form(&app).get("text"), "half a thought", "no goes back to the text");
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "y");
    assert!(app.mode.is_normal());
    keys(&mut app, "c");
    assert_eq!(form(&app).get("text"), "", "discarded, draft and all");
}

#[test]
fn a_draft_survives_a_crash_and_is_offered_back() {
    let (dir, mut app) = fresh();
    add_incident(&mut app, "x", None);
    keys(&mut app, "w");
    keys(&mut app, "Vendor case 4411, waiting on");
    let drafts = app.drafts.clone();
    drop(app); // the terminal is gone: no quit, no save
    let desk = other(&dir, "alice");
    let mut app = App::new(desk, opsdesk::tui::keymap::Keymap::builtin(), chrono::Utc::now()).expect("app");
    app.drafts = drafts;
    keys(&mut app, "c");
    assert_eq!(
        form(&app).get("text"),
        "",
        "a comment is another form than the work note"
    );
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "w");
    assert_eq!(form(&app).get("text"), "Vendor case 4411, waiting on");
    assert!(form(&app).notice.as_deref().unwrap_or("").contains("draft"));
    keys(&mut app, " the part");
    ctrl(&mut app, 's');
    assert!(app.mode.is_normal(), "{:?}", app.status);
    keys(&mut app, "w");
    assert_eq!(form(&app).get("text"), "", "taken by the desk, the draft is gone");
}

#[test]
fn assign_to_me_asks_when_someone_else_holds_the_ticket() {
    let (dir, mut app) = fresh();
    add_incident(&mut app, "x", None);
    other(&dir, "alice")
        .add_operator("bob", &[opsdesk::domain::Role::Agent], None)
        .expect("bob");
    other(&dir, "bob")
        .assign(inc(1), None, None, None)
        .expect("bob takes it");
    app.reload().expect("reload");
    keys(&mut app, "a");
    assert!(screen(&app, 80, 24).contains("INC-1 is held by bob"));
    keys(&mut app, "n");
    assert_eq!(
        app.desk.ticket(inc(1)).expect("t").ticket.assignee.as_deref(),
        Some("bob")
    );
    keys(&mut app, "a");
    keys(&mut app, "y");
    assert_eq!(
        app.desk.ticket(inc(1)).expect("t").ticket.assignee.as_deref(),
        Some("alice")
    );
}

#[test]
fn keys_act_only_on_the_pane_on_screen() {
    let (_d, mut app) = seeded();
    let row = |app: &App| app.queue.selected_row().map(|r| r.row.id);
    let first = row(&app);
    keys(&mut app, "3"); // the CMDB tree
    assert_eq!(app.visible_pane(), Pane::Cmdb);
    ctrl(&mut app, 'd');
    keys(&mut app, " ");
    assert_eq!(row(&app), first, "ctrl-d in the tree leaves the queue alone");
    assert!(app.queue.marks.is_empty(), "space in the tree marks no ticket");
    // G in the detail scrolls its timeline; the queue stays where it was.
    keys(&mut app, "1");
    key(&mut app, KeyCode::Enter);
    screen(&app, 80, 16);
    keys(&mut app, "G");
    assert_eq!(row(&app), first);
    assert!(app.detail.scroll > 0, "the timeline scrolled");
    // Behind the too-small screen only quit is read.
    screen(&app, 50, 12);
    keys(&mut app, "cx");
    assert!(app.mode.is_normal(), "no form opened behind the message");
    keys(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn bulk_t_offers_only_the_moves_open_on_every_marked_ticket() {
    let (_d, mut app) = fresh();
    add_incident(&mut app, "new one", None);
    add_incident(&mut app, "owned one", None);
    app.desk.assign(inc(2), None, None, None).expect("assign");
    app.reload().expect("reload");
    keys(&mut app, "  ");
    keys(&mut app, "t");
    let Mode::Pick(p) = &app.mode else {
        panic!("no picker: {:?}", app.status)
    };
    let names: Vec<String> = p
        .entries
        .iter()
        .map(|e| e.label.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    let common: Vec<String> = {
        let a: Vec<String> = app
            .desk
            .offers(inc(1))
            .expect("o")
            .into_iter()
            .map(|o| o.name)
            .collect();
        let b: Vec<String> = app
            .desk
            .offers(inc(2))
            .expect("o")
            .into_iter()
            .map(|o| o.name)
            .collect();
        a.into_iter().filter(|n| b.contains(n)).collect()
    };
    assert_eq!(names, common);
    assert!(!names.contains(&"pend".to_string()), "pend is not open on a new ticket");
    assert!(p.title.contains("2 tickets"), "{}", p.title);
}

#[test]
fn any_ticket_by_id_from_any_pane_closed_ones_too() {
    let (_d, mut app) = fresh();
    add_incident(&mut app, "old and closed", None);
    app.desk
        .transition(inc(1), "cancel", &[], Some("dup"), None)
        .expect("cancel");
    add_incident(&mut app, "open", None);
    keys(&mut app, "3");
    keys(&mut app, ":");
    keys(&mut app, "inc-1");
    assert!(screen(&app, 80, 24).contains("open INC-1"));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane, Pane::Detail);
    assert_eq!(
        app.detail.view.as_ref().map(|d| d.ticket.state.as_str()),
        Some("cancelled")
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.visible_pane(), Pane::Cmdb, "esc goes back where it came from");
}

#[test]
fn the_other_operator_is_visible_in_the_detail() {
    let (dir, mut app) = fresh();
    add_incident(&mut app, "x", None);
    other(&dir, "alice")
        .add_operator("bob", &[opsdesk::domain::Role::Agent], None)
        .expect("bob");
    key(&mut app, KeyCode::Enter);
    let mut bob = other(&dir, "bob");
    bob.comment(inc(1), "on it", false).expect("comment");
    bob.edit(inc(1), &[("title".into(), "y".into())], None, None)
        .expect("edit");
    tick(&mut app, chrono::Utc::now());
    let s = screen(&app, 80, 24);
    assert!(s.contains("bob commented and changed title just now"), "{s}");
    // The changed field itself stands out (underlined: readable without colour).
    let title_underlined = |app: &App| {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).expect("terminal");
        t.draw(|f| opsdesk::tui::ui::draw(f, app, &THEME)).expect("draw");
        let buf = t.backend().buffer().clone();
        (0..24)
            .any(|y| buf[(1, y)].symbol() == "y" && buf[(1, y)].modifier.contains(ratatui::style::Modifier::UNDERLINED))
    };
    assert!(title_underlined(&app));
    keys(&mut app, "j");
    assert!(!screen(&app, 80, 24).contains("bob commented"), "looked at, it goes");
    assert!(!title_underlined(&app));
}

#[test]
fn the_header_counts_the_whole_desk_in_every_view() {
    let (_d, mut app) = seeded();
    let open = screen(&app, 80, 24).lines().next().unwrap_or("").to_string();
    while app.queue.view().name != "recently closed" {
        keys(&mut app, "]");
    }
    let closed = screen(&app, 80, 24).lines().next().unwrap_or("").to_string();
    assert_eq!(closed, open);
    assert!(!closed.contains(" 0 open"), "{closed}");
}

#[test]
fn the_detail_reads_like_the_cli_oldest_first_with_times_on_demand() {
    let (_d, mut app) = fresh();
    add_incident(&mut app, "x", None);
    app.desk.assign(inc(1), None, None, None).expect("assign");
    app.desk
        .transition(
            inc(1),
            "pend",
            &[("pending_reason".into(), "awaiting_caller".into())],
            None,
            None,
        )
        .expect("pend");
    app.desk.transition(inc(1), "resume", &[], None, None).expect("resume");
    app.reload().expect("reload");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app, 100, 40);
    assert!(s.contains("opened just now"), "{s}");
    assert!(!s.contains("pending reason"), "not once it resumed: {s}");
    let created = s.find("created in new").expect("created");
    let resumed = s.find("resume: pending → assigned").expect("resume");
    assert!(created < resumed, "oldest first, as `opsdesk show`");
    keys(&mut app, "T");
    // The last event's own clock time, as the detail writes it (not the time of this check).
    let last = app
        .detail
        .view
        .as_ref()
        .and_then(|v| v.timeline.last())
        .map(|e| e.at)
        .expect("event");
    let at = opsdesk::present::short_time(last, app.now, app.zone);
    assert!(screen(&app, 100, 40).contains(&at), "clock times on T: {at}");
}

#[test]
fn a_ci_counts_the_open_tickets_below_it() {
    let (_d, mut app) = fresh();
    app.desk
        .add_ci("shop", "business_service", None, None, None, &[])
        .expect("ci");
    app.desk
        .add_ci("shop-db", "database", None, None, None, &[])
        .expect("ci");
    app.desk
        .relate_cis("shop", opsdesk::domain::cmdb::Relation::DependsOn, "shop-db")
        .expect("relate");
    let draft = opsdesk::domain::rules::Draft {
        title: "db slow".into(),
        ..Default::default()
    };
    app.desk
        .create_ticket(Kind::Incident, draft, &["shop-db".into()])
        .expect("t");
    keys(&mut app, "3");
    let s = screen(&app, 100, 30);
    assert!(s.contains("Open tickets on it or below it (1)"), "{s}");
}

#[test]
fn every_pane_reads_at_60x16_80x24_and_120x40() {
    let (_d, mut app) = seeded();
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "1");
    for (pane, key_) in [
        ("queue", "1"),
        ("detail", "2"),
        ("cmdb", "3"),
        ("calendar", "4"),
        ("dashboard", "5"),
    ] {
        keys(&mut app, key_);
        app.wait_for_background();
        for (w, h) in [(60, 16), (80, 24), (120, 40)] {
            let s = screen(&app, w, h);
            assert!(!s.contains("Terminal too small"), "{pane} {w}x{h}");
            insta::assert_snapshot!(format!("{pane}_{w}x{h}"), s);
        }
    }
    keys(&mut app, "1");
    keys(&mut app, "n");
    for (w, h) in [(60, 16), (80, 24)] {
        let s = screen(&app, w, h);
        assert!(s.contains("▶ kind:") && s.contains("ctrl-s save"), "{s}");
        insta::assert_snapshot!(format!("new_ticket_form_{w}x{h}"), s);
    }
    key(&mut app, KeyCode::F(1));
    let s = screen(&app, 80, 24);
    assert!(s.contains("form keys") && s.contains("reload, keep my text"), "{s}");
}

#[test]
fn hints_titles_and_help_follow_rebound_keys_in_every_layer() {
    use opsdesk::tui::keymap::{Keymap, UserBinding};
    let bind = |layer: &str, key: &str, action: &str| UserBinding {
        layer: Some(layer.into()),
        key: key.into(),
        action: action.into(),
    };
    let (_d, mut app) = seeded();
    app.keymap = Keymap::with_overrides(&[
        bind("queue", "t", "none"),
        bind("queue", "m", "transition"),
        bind("cmdb", "/", "none"),
        bind("cmdb", "f", "find"),
        bind("form", "ctrl-s", "none"),
        bind("form", "ctrl-o", "submit"),
    ])
    .expect("keys");
    let s = screen(&app, 80, 24);
    assert!(
        s.contains("m move through the lifecycle") && !s.contains("t move"),
        "{s}"
    );
    keys(&mut app, "t");
    assert!(app.mode.is_normal(), "t is unbound in the queue");
    keys(&mut app, "3");
    let s = screen(&app, 100, 30);
    assert!(s.contains("f find") && !s.contains("/ find"), "{s}");
    keys(&mut app, "1c");
    let s = screen(&app, 80, 24);
    assert!(s.contains("ctrl-o save") && !s.contains("ctrl-s save"), "{s}");
    keys(&mut app, "noted");
    ctrl(&mut app, 's');
    assert!(matches!(app.mode, Mode::Form(_)), "ctrl-s no longer saves");
    ctrl(&mut app, 'o');
    assert!(app.mode.is_normal(), "{:?}", app.status);
}

#[test]
fn an_sla_breach_at_start_is_said_as_a_warning_not_a_success() {
    let (_d, mut app) = fresh();
    let id = add_incident(&mut app, "down", Some(1));
    let created = app.desk.ticket(id).expect("t").ticket.created_at;
    tick(&mut app, created + chrono::Duration::hours(5));
    let s = screen(&app, 80, 24);
    let status = s.lines().last().unwrap_or("");
    assert!(status.contains("✗ SLA: INC-1"), "{status}");
    assert!(app.status.as_ref().is_some_and(|st| st.error));
}

#[test]
fn a_whole_marked_queue_gets_one_short_question() {
    let (_d, mut app) = seeded();
    ctrl(&mut app, 'a');
    let n = app.queue.marks.len();
    assert!(n > 5);
    keys(&mut app, "a");
    let s = screen(&app, 80, 24);
    assert!(s.contains(&format!("Assign {n} tickets to you?")), "{s}");
    assert!(s.contains("more held by others"), "the list is cut to fit: {s}");
    keys(&mut app, "n");
    assert!(app.mode.is_normal());
    keys(&mut app, "t");
    // The moves open on every marked ticket, whatever their kinds: the picker or a clear no.
    assert!(
        matches!(app.mode, Mode::Pick(_))
            || app
                .status
                .as_ref()
                .is_some_and(|s| s.text.contains("no move is open on all")),
        "{:?}",
        app.status
    );
}
