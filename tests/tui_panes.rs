//! The CMDB, calendar and dashboard panes, the palette, the mouse, config views and keys,
//! and the flows on marked tickets, on ratatui's TestBackend.

mod common;

use chrono::{Datelike, Offset, Utc};
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::domain::{Kind, TicketId};
use opsdesk::store::Sharing;
use opsdesk::tui::app::{App, Mode, Pane};
use opsdesk::tui::keymap::Keymap;
use ratatui::crossterm::event::KeyCode;

use common::tui::*;

#[test]
fn cmdb_tree_find_a_ci_and_jump_to_its_tickets_and_back() {
    let (_d, mut app) = seeded();
    keys(&mut app, "3");
    assert_eq!(app.pane, Pane::Cmdb);
    insta::assert_snapshot!("cmdb_tree", screen(&app, 100, 30));
    // Fold a service open with l, and find a CI by a fuzzy name.
    keys(&mut app, "l");
    keys(&mut app, "/");
    keys(&mut app, "email-db");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app, 100, 30);
    let sel = app
        .cmdb
        .as_ref()
        .and_then(|m| m.selected.as_ref())
        .expect("a CI is selected");
    assert_eq!(sel.ci.name, "email-db");
    assert!(s.contains("If it fails, these services are hit"), "{s}");
    assert!(s.contains("its failure hits"), "{s}");
    assert!(s.contains("email (email-db ←"), "the path up to the service: {s}");
    let expected = sel.open_tickets.len();
    // enter: the queue narrowed to its open tickets; esc: back to the tree.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane, Pane::Queue);
    assert_eq!(app.queue.len(), expected);
    assert!(screen(&app, 100, 30).contains("CI email-db"));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.pane, Pane::Cmdb);
    assert!(app.queue.only().is_none());
    assert_eq!(
        app.cmdb
            .as_ref()
            .and_then(|m| m.selected.as_ref())
            .map(|s| s.ci.name.clone()),
        Some("email-db".into())
    );
}

#[test]
fn change_calendar_month_agenda_and_opening_a_change() {
    let (_d, mut app) = seeded();
    keys(&mut app, "4");
    assert_eq!(app.pane, Pane::Calendar);
    // Walk back to a month with changes and pick a day that has one.
    let mut tries = 0;
    while app.calendar.as_ref().is_some_and(|c| c.busy_days().is_empty()) && tries < 12 {
        key(&mut app, KeyCode::PageUp);
        tries += 1;
    }
    let cal = app.calendar.as_ref().expect("calendar");
    let day = *cal.busy_days().first().expect("a month with changes");
    let steps = (day - cal.day).num_days();
    for _ in 0..steps.abs() {
        key(
            &mut app,
            if steps > 0 {
                KeyCode::Char('l')
            } else {
                KeyCode::Char('h')
            },
        );
    }
    let cal = app.calendar.as_ref().expect("calendar");
    assert_eq!(cal.day, day);
    let change = cal
        .selected_change()
        .map(|c| c.id)
        .expect("the day's agenda has a change");
    insta::assert_snapshot!("calendar", screen(&app, 100, 24));
    keys(&mut app, " ");
    assert!(app.calendar.as_ref().is_some_and(|c| c.week));
    assert!(screen(&app, 100, 24).contains("week of"));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane, Pane::Detail);
    assert_eq!(app.detail.id(), Some(change));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.pane, Pane::Calendar, "esc goes back to the calendar");
}

#[test]
fn the_palette_runs_any_action_by_name() {
    let (_d, mut app) = fresh();
    add_incident(&mut app, "x", None);
    keys(&mut app, ":");
    keys(&mut app, "assign to me");
    let s = screen(&app, 80, 24);
    assert!(s.contains(" run "), "{s}");
    assert!(s.contains("assign to me"), "{s}");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);
    assert_eq!(
        app.desk
            .ticket(TicketId::new(Kind::Incident, 1))
            .expect("t")
            .ticket
            .assignee
            .as_deref(),
        Some("alice")
    );
    keys(&mut app, ":");
    keys(&mut app, "zzzzqqq");
    assert!(screen(&app, 80, 24).contains("no action matches"));
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);
}

#[test]
fn a_click_selects_a_row_and_a_second_click_opens_it() {
    let (_d, mut app) = seeded();
    screen(&app, 80, 24);
    // Rows start below the header line (0), the border (1) and the column titles (2).
    app.click(20, 5);
    assert_eq!(app.queue.selected(), 2);
    assert_eq!(app.pane, Pane::Queue);
    app.click(20, 5);
    assert_eq!(app.pane, Pane::Detail);
    // A click outside any row does nothing.
    let (_d2, mut other) = seeded();
    screen(&other, 80, 24);
    other.click(20, 23);
    assert_eq!(other.queue.selected(), 0);
}

#[test]
fn views_defined_in_config_follow_the_built_in_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("desk.db");
    opsdesk::seed::seed(&path, &opsdesk::seed::SeedOptions::new(60, fixed_now())).expect("seed");
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir).expect("dir");
    std::fs::write(
        config_dir.join("config.toml"),
        "[[views]]\nname = \"urgent incidents\"\nkind = \"incident\"\npriority = [1, 2]\n",
    )
    .expect("write");
    let paths = opsdesk::config::Paths {
        data_dir: dir.path().into(),
        config_dir,
    };
    let config = Config::load(&paths).expect("config");
    let desk = Desk::open(&path, "alice", config).expect("open");
    let mut app = App::new(desk, Keymap::builtin(), fixed_now()).expect("app");
    app.wait_for_background();
    key(&mut app, KeyCode::Char('['));
    assert_eq!(app.queue.view().name, "urgent incidents");
    assert!(!app.queue.is_empty());
    assert!(
        app.queue
            .window(0, 100)
            .all(|r| r.row.id.kind == Kind::Incident && r.row.priority <= 2)
    );
    assert!(screen(&app, 80, 24).contains("urgent incidents"));
}

#[test]
fn the_transition_form_asks_exactly_what_the_move_needs() {
    let (_d, mut app) = seeded();
    while app
        .queue
        .selected_row()
        .is_some_and(|r| r.row.id.kind != Kind::Incident)
    {
        key(&mut app, KeyCode::Down);
    }
    keys(&mut app, "r");
    let Mode::Form(form) = &app.mode else {
        panic!("no form: {:?}", app.status)
    };
    let names: Vec<String> = form.values().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, vec!["resolution_code", "resolution_note"]);
    insta::assert_snapshot!("resolve_form", screen(&app, 80, 24));
}

#[test]
fn sla_countdowns_tick_with_the_clock() {
    let (_d, mut app) = fresh();
    add_incident(&mut app, "down", Some(1));
    let created = app.queue.selected_row().map(|r| r.row.created_at).expect("row");
    tick(&mut app, created + chrono::Duration::minutes(5));
    assert!(screen(&app, 80, 24).contains(" 10m "), "unowned: 15 minutes to own");
    keys(&mut app, "a");
    tick(&mut app, created + chrono::Duration::minutes(30));
    assert!(screen(&app, 80, 24).contains("3h30m"), "owned: P1 has 4 h to resolve");
    tick(
        &mut app,
        created + chrono::Duration::hours(3) + chrono::Duration::minutes(10),
    );
    let s = screen(&app, 80, 24);
    assert!(s.contains("risk 50m"), "{s}");
    assert!(s.contains("1 at risk"), "{s}");
    assert!(
        s.contains("SLA: INC-1 time to resolve at risk"),
        "the escalation is announced: {s}"
    );
    tick(&mut app, created + chrono::Duration::hours(5));
    let s = screen(&app, 80, 24);
    assert!(s.contains("late 1h00m") && s.contains("1 breached"), "{s}");
    let id = TicketId::new(Kind::Incident, 1);
    let escalations = app
        .desk
        .ticket(id)
        .expect("t")
        .timeline
        .iter()
        .filter(|e| e.kind == "sla")
        .count();
    assert_eq!(escalations, 2, "at risk and breached, once each");
}

#[test]
fn a_failing_escalation_command_is_shown_and_the_desk_goes_on() {
    let dir = tempfile::tempdir().expect("dir");
    let config = common::config_with(
        dir.path(),
        "[sla]\ncommand = [\"/bin/sh\", \"-c\", \"echo pager down >&2; exit 2\"]\n",
    );
    let (desk, _) = Desk::create(dir.path().join("desk.db"), "alice", config, Sharing::Private).expect("create");
    let mut app = App::new(desk, Keymap::builtin(), Utc::now()).expect("app");
    add_incident(&mut app, "down", Some(1));
    let created = app.queue.selected_row().map(|r| r.row.created_at).expect("row");
    tick(&mut app, created + chrono::Duration::minutes(20));
    app.wait_for_escalations().expect("escalations");
    let s = screen(&app, 100, 24);
    assert!(s.contains("escalation command for INC-1 failed"), "{s}");
    let id = TicketId::new(Kind::Incident, 1);
    let noted = app
        .desk
        .ticket(id)
        .expect("t")
        .timeline
        .iter()
        .filter(|e| e.kind == "escalation_failed")
        .count();
    assert_eq!(noted, 2, "time to own at risk and breached");
    keys(&mut app, "a");
    assert_eq!(
        app.desk.ticket(id).expect("t").ticket.assignee.as_deref(),
        Some("alice"),
        "the desk still works"
    );
}

#[test]
fn keys_from_config_override_the_defaults() {
    let dir = tempfile::tempdir().expect("dir");
    let config = common::config_with(
        dir.path(),
        "mouse = false\n[keys]\nx = \"assign_to_me\"\na = \"none\"\n",
    );
    assert!(!config.mouse);
    let (desk, _) =
        Desk::create(dir.path().join("desk.db"), "alice", config.clone(), Sharing::Private).expect("create");
    let mut app = App::new(desk, Keymap::with_overrides(&config.keys).expect("keys"), Utc::now()).expect("app");
    add_incident(&mut app, "x", None);
    let id = TicketId::new(Kind::Incident, 1);
    keys(&mut app, "a");
    assert_eq!(app.desk.ticket(id).expect("t").ticket.assignee, None, "a is unbound");
    keys(&mut app, "x");
    assert_eq!(
        app.desk.ticket(id).expect("t").ticket.assignee.as_deref(),
        Some("alice")
    );
    let mut help = app;
    keys(&mut help, "?");
    assert!(screen(&help, 100, 30).contains("x assign to me"));
}

#[test]
fn bulk_comment_on_marked_tickets() {
    let (_d, mut app) = seeded();
    let ids: Vec<TicketId> = app.queue.window(0, 3).map(|r| r.row.id).collect();
    keys(&mut app, "   "); // mark three
    keys(&mut app, "c");
    keys(&mut app, "Checked all three after the outage");
    ctrl(&mut app, 's');
    assert!(screen(&app, 80, 24).contains("on 3 tickets?"));
    keys(&mut app, "y");
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);
    for id in ids {
        let v = app.desk.ticket(id).expect("t");
        assert!(
            v.timeline
                .iter()
                .any(|e| e.comment.as_deref() == Some("Checked all three after the outage")),
            "{id}"
        );
    }
}

#[test]
fn a_move_applies_to_every_marked_ticket() {
    let (_d, mut app) = fresh();
    for t in ["dup one", "dup two", "keep"] {
        add_incident(&mut app, t, None);
    }
    keys(&mut app, "  "); // mark the first two
    keys(&mut app, "t");
    keys(&mut app, "c"); // cancel
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "duplicate of INC-3");
    ctrl(&mut app, 's');
    keys(&mut app, "y");
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.status);
    let state = |app: &mut App, n| {
        app.desk
            .ticket(TicketId::new(Kind::Incident, n))
            .expect("t")
            .ticket
            .state
    };
    assert_eq!(
        (state(&mut app, 1), state(&mut app, 2), state(&mut app, 3)),
        ("cancelled".into(), "cancelled".into(), "new".into())
    );
}

#[test]
fn the_calendar_highlights_conflicts_and_freezes() {
    let (dir, mut app) = fresh();
    let mut desk = Desk::open(dir.path().join("desk.db"), "alice", Config::default()).expect("desk");
    desk.add_ci("db", "database", None, None, None, &[]).expect("ci");
    desk.add_operator("carol", &[opsdesk::domain::Role::Cab], None)
        .expect("op");
    let month = app.now.with_timezone(&app.zone).date_naive();
    let day = chrono::NaiveDate::from_ymd_opt(month.year(), month.month(), 10).expect("day");
    desk.add_freeze("audit", &format!("{day}T00:00:00Z"), &format!("{day}T23:00:00Z"), &[])
        .expect("freeze");
    for n in 0..2 {
        let id = desk
            .create_ticket(
                Kind::Change,
                opsdesk::domain::rules::Draft {
                    title: format!("patch {n}"),
                    ..Default::default()
                },
                &["db".into()],
            )
            .expect("change")
            .id;
        let f = |k: &str, v: String| (k.to_string(), v);
        desk.transition(
            id,
            "submit",
            &[
                f("risk", "low".into()),
                f("implementation_plan", "a".into()),
                f("backout_plan", "b".into()),
                f("planned_start", format!("{day}T0{}:00:00Z", 2 + n)),
                f("planned_end", format!("{day}T0{}:00:00Z", 4 + n)),
            ],
            None,
            None,
        )
        .expect("submit");
    }
    app.zone = chrono::Utc.fix();
    keys(&mut app, "4");
    let today = app.calendar.as_ref().expect("cal").day;
    let steps = (day - today).num_days();
    for _ in 0..steps.abs() {
        key(
            &mut app,
            if steps > 0 {
                KeyCode::Char('l')
            } else {
                KeyCode::Char('h')
            },
        );
    }
    let cal = app.calendar.as_ref().expect("cal");
    assert_eq!(cal.conflict_days(), vec![day]);
    let s = screen(&app, 110, 24);
    assert!(s.contains("⚠ CONFLICT with CHG-2 · FREEZE audit"), "{s}");
    assert!(s.contains("⚠ CONFLICT with CHG-1 · FREEZE audit"), "{s}");
}

#[test]
fn an_incident_shows_known_errors_and_resolving_its_problem_offers_to_resolve_it() {
    let (_d, mut app) = fresh();
    let f = |k: &str, v: &str| (k.to_string(), v.to_string());
    let draft = |t: &str| opsdesk::domain::rules::Draft {
        title: t.into(),
        ..Default::default()
    };
    let prb = app
        .desk
        .create_ticket(Kind::Problem, draft("VPN tunnel drops under load"), &[])
        .expect("p")
        .id;
    app.desk.assign(prb, None, None, None).expect("assign");
    app.desk
        .transition(
            prb,
            "record_known_error",
            &[f("root_cause", "MTU"), f("workaround", "Lower the MTU to 1400")],
            None,
            None,
        )
        .expect("known error");
    let inc = app
        .desk
        .create_ticket(Kind::Incident, draft("VPN tunnel drops again"), &[])
        .expect("i")
        .id;
    app.desk.link_tickets(inc, prb).expect("link");
    app.reload().expect("reload");
    // The incident's detail names the known error and its workaround.
    select(&mut app, inc);
    key(&mut app, KeyCode::Enter);
    // The detail is there at once; the search for suggestions runs off the UI thread and
    // joins it when done (nothing was taken in yet: the key did not wait for it).
    assert!(screen(&app, 100, 40).contains("VPN tunnel drops again"));
    assert!(
        app.detail.suggestions.known_errors.is_empty(),
        "not computed on the UI thread"
    );
    app.wait_for_background();
    let s = screen(&app, 100, 40);
    assert!(s.contains("Known errors that may apply"), "{s}");
    assert!(s.contains("workaround: Lower the MTU to 1400"), "{s}");
    // Resolve the problem from its detail: the desk asks about the incident.
    key(&mut app, KeyCode::Esc);
    select(&mut app, prb);
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "r");
    keys(&mut app, "MTU raised on the concentrator");
    ctrl(&mut app, 's');
    assert!(matches!(app.mode, Mode::Confirm(_)), "{:?}", app.status);
    assert!(screen(&app, 80, 24).contains("Resolve its 1 open incident(s) too?"));
    keys(&mut app, "y");
    let t = app.desk.ticket(inc).expect("t").ticket;
    assert_eq!(t.state, "resolved");
    assert_eq!(
        t.get("resolution_note").as_deref(),
        Some("Resolved with PRB-1: MTU raised on the concentrator")
    );
}

#[test]
fn dashboard_shows_the_period_and_the_backlog_now() {
    let (_d, mut app) = seeded();
    keys(&mut app, "5");
    assert_eq!(app.pane, Pane::Dashboard);
    app.wait_for_background();
    let shown = app.dashboard.data.clone().expect("the dashboard was read");
    assert_eq!((shown.days, shown.daily.len()), (30, 30), "30 days, today included");
    // The same figures as the report over the same period.
    let report = app
        .desk
        .report(
            Some(shown.since),
            shown.until,
            None,
            Some(chrono::Utc.fix()),
            fixed_now(),
        )
        .expect("report");
    assert_eq!(shown.kpis, report.all);
    assert_eq!(Some(shown.daily.clone()), report.daily);
    let open = app.desk.queue_open().expect("queue").len();
    assert_eq!(shown.backlog.open, open, "every open ticket, whenever opened");
    insta::assert_snapshot!("dashboard", screen(&app, 80, 24));
    let small = screen(&app, 60, 16);
    assert!(
        small.contains("open now   19"),
        "the smallest desk still shows the figures:\n{small}"
    );

    keys(&mut app, "]");
    app.wait_for_background();
    let longer = app.dashboard.data.clone().expect("read again");
    assert_eq!((longer.days, longer.daily.len()), (90, 90));
    assert!(longer.kpis.tickets >= shown.kpis.tickets);
    keys(&mut app, "[[");
    app.wait_for_background();
    assert_eq!(app.dashboard.data.as_ref().map(|d| d.days), Some(7));
    // Past midnight the period moves on by a day without anyone writing.
    let until = app.dashboard.data.as_ref().map(|d| d.until).expect("read");
    tick(&mut app, until + chrono::Duration::minutes(1));
    app.wait_for_background();
    assert_eq!(
        app.dashboard.data.as_ref().map(|d| d.until),
        Some(until + chrono::Duration::days(1))
    );
    // Nothing to move through: keys that move elsewhere leave the pane as it is.
    keys(&mut app, "jkg");
    assert_eq!(app.pane, Pane::Dashboard);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.pane, Pane::Queue);
}

thread_local! {
    static SEEDED: std::cell::RefCell<Option<(tempfile::TempDir, App)>> = const { std::cell::RefCell::new(None) };
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(200))]

    /// Whatever is typed into the queue's filter (nucleo's syntax `^ $ ! '` included, any
    /// Unicode, controls), the queue narrows without a panic and every screen size draws.
    #[test]
    fn the_queue_filter_takes_anything_typed(text in proptest::prop_oneof![
        "[\\^$!' |a-zA-Z0-9-]{0,12}",
        "\\PC{0,16}",
        proptest::prelude::any::<String>(),
    ]) {
        SEEDED.with(|cell| {
            let mut cell = cell.borrow_mut();
            let (_, app) = cell.get_or_insert_with(seeded);
            let all = app.queue.total();
            key(app, KeyCode::Esc);
            keys(app, "/");
            for c in text.chars() {
                key(app, KeyCode::Char(c));
            }
            assert!(app.queue.len() <= all);
            for (w, h) in [(80, 24), (20, 6), (200, 50)] {
                let _ = screen(app, w, h);
            }
            key(app, KeyCode::Backspace);
            key(app, KeyCode::Esc);
        });
    }
}
