//! The change calendar in the terminal desk: the schedule's history on `H`, and the flags a
//! change carries (a window longer than the desk's `changes.long_window`).

mod common;

use common::tui::*;
use opsdesk::domain::Kind;

/// A standard change on `db-1`, scheduled from `start` to `end`.
fn scheduled(app: &mut opsdesk::tui::app::App, title: &str, start: String, end: String) -> opsdesk::domain::TicketId {
    if app.desk.ci("db-1").is_err() {
        app.desk.add_ci("db-1", "database", None, None, None, &[]).expect("ci");
    }
    let draft = opsdesk::domain::rules::Draft {
        title: title.into(),
        change_type: Some(opsdesk::domain::ChangeType::Standard),
        ..Default::default()
    };
    let id = app
        .desk
        .create_ticket(Kind::Change, draft, &["db-1".into()])
        .expect("change")
        .id;
    let f = |k: &str, v: String| (k.to_string(), v);
    app.desk
        .transition(
            id,
            "schedule",
            &[
                f("implementation_plan", "apt".into()),
                f("planned_start", start),
                f("planned_end", end),
            ],
            None,
            None,
        )
        .expect("schedule");
    id
}

#[test]
fn the_calendar_shows_closed_changes_on_h() {
    let (_d, mut app) = fresh();
    let (day, zone) = (app.now.with_timezone(&app.zone).date_naive(), app.zone);
    let at = |h: u32| {
        chrono::TimeZone::from_local_datetime(&zone, &day.and_hms_opt(h, 0, 0).expect("time"))
            .single()
            .expect("time")
            .with_timezone(&chrono::Utc)
            .to_rfc3339()
    };
    let id = scheduled(&mut app, "Patch db", at(1), at(2));
    let f = |k: &str, v: String| (k.to_string(), v);
    app.desk.transition(id, "start", &[], None, None).expect("start");
    app.desk
        .transition(id, "complete", &[f("close_code", "successful".into())], None, None)
        .expect("complete");
    app.desk
        .transition(id, "close", &[f("review_note", "fine".into())], None, None)
        .expect("close");
    keys(&mut app, "4");
    assert!(
        !screen(&app, 100, 24).contains("Patch db"),
        "closed changes are history"
    );
    keys(&mut app, "H");
    assert!(screen(&app, 100, 24).contains("Patch db"), "H shows them");
}

#[test]
fn the_calendar_flags_a_window_longer_than_the_desk_allows() {
    let (_d, mut app) = fresh();
    // Begun an hour ago and running 40 days (so on today's agenda at any hour): over the
    // policy's 31.
    let start = app.now - chrono::Duration::hours(1);
    scheduled(
        &mut app,
        "Migrate storage",
        start.to_rfc3339(),
        (start + chrono::Duration::days(40)).to_rfc3339(),
    );
    keys(&mut app, "4");
    let s = screen(&app, 100, 24);
    assert!(s.contains("CHG-1") && s.contains("Migrate"), "{s}");
    assert!(s.contains("long window: 40 days"), "{s}");
}
