//! Editing, creating and assigning outside the lifecycle moves.

use super::*;

// ---- edit, create, assign ----------------------------------------------------------------

#[test]
fn edit_recomputes_priority_from_impact_and_urgency() {
    let l = Lifecycles::builtin();
    let a = actor("alice", &[Role::Agent]);
    let o = ops();
    let t = ticket(Kind::Incident, "assigned", "zed");
    let out = rules::edit(
        &l,
        &Matrix::default(),
        &t,
        &f(&[("impact", "1"), ("urgency", "1")]),
        None,
        &ctx(&a, &o, 0),
    )
    .expect("edit");
    assert_eq!(out.ticket.priority, 1);
    let fields: Vec<_> = out.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["impact", "urgency", "priority"]);
    let err = rules::edit(
        &l,
        &Matrix::default(),
        &t,
        &f(&[("impact", "7")]),
        None,
        &ctx(&a, &o, 0),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "impact cannot be `7`: expected 1 (high), 2 (medium) or 3 (low)"
    );
}

#[test]
fn edit_refuses_final_tickets_derived_fields_and_fields_of_other_kinds() {
    let l = Lifecycles::builtin();
    let m = Matrix::default();
    let a = actor("alice", &[Role::Agent]);
    let o = ops();
    let c = ctx(&a, &o, 0);
    let closed = ticket(Kind::Incident, "closed", "zed");
    assert!(matches!(
        rules::edit(&l, &m, &closed, &f(&[("title", "x")]), None, &c),
        Err(Refusal::Final { .. })
    ));
    let t = ticket(Kind::Incident, "new", "zed");
    assert!(matches!(
        rules::edit(&l, &m, &t, &f(&[("risk", "low")]), None, &c),
        Err(Refusal::FieldNotForKind { .. })
    ));
    assert!(matches!(
        rules::edit(&l, &m, &t, &f(&[("state", "closed")]), None, &c),
        Err(Refusal::UnknownField(_))
    ));
    assert!(matches!(
        rules::edit(&l, &m, &t, &f(&[("assignee", "bob")]), None, &c),
        Err(Refusal::NotEditable { .. })
    ));
    assert!(matches!(
        rules::edit(&l, &m, &t, &f(&[("title", " ")]), None, &c),
        Err(Refusal::EmptyTitle)
    ));
    assert_eq!(
        rules::edit(&l, &m, &t, &f(&[("priority", "1")]), None, &c),
        Err(Refusal::OverrideNeedsNote)
    );
    let out = rules::edit(&l, &m, &t, &f(&[("priority", "1")]), Some("CEO's laptop"), &c).expect("override");
    assert_eq!(out.ticket.priority, 1);
}

#[test]
fn create_starts_in_the_first_state_with_derived_priority() {
    let l = Lifecycles::builtin();
    let a = actor("alice", &[Role::Agent]);
    let o = ops();
    let c = ctx(&a, &o, 0);
    let draft = Draft {
        title: "  mail is down ".into(),
        impact: Some(1),
        urgency: Some(2),
        ..Draft::default()
    };
    let t = rules::create(Kind::Incident, draft, &l, &Matrix::default(), &c).expect("create");
    assert_eq!(
        (t.state.as_str(), t.priority, t.title.as_str()),
        ("new", 2, "mail is down")
    );
    assert_eq!(t.requester, "alice");
    let chg = rules::create(
        Kind::Change,
        Draft {
            title: "x".into(),
            ..Draft::default()
        },
        &l,
        &Matrix::default(),
        &c,
    )
    .expect("change");
    assert_eq!(chg.change_type(), Some(ChangeType::Normal));
    let bad = Draft {
        title: "x".into(),
        impact: Some(7),
        ..Draft::default()
    };
    assert!(rules::create(Kind::Incident, bad, &l, &Matrix::default(), &c).is_err());
    let bad = Draft {
        title: "x".into(),
        change_type: Some(ChangeType::Emergency),
        ..Draft::default()
    };
    assert!(matches!(
        rules::create(Kind::Incident, bad, &l, &Matrix::default(), &c),
        Err(Refusal::FieldNotForKind { .. })
    ));
    let empty = Draft {
        title: " ".into(),
        ..Draft::default()
    };
    assert_eq!(
        rules::create(Kind::Problem, empty, &l, &Matrix::default(), &c),
        Err(Refusal::EmptyTitle)
    );
}

#[test]
fn assign_on_a_change_sets_the_assignee_without_a_transition() {
    let l = Lifecycles::builtin();
    let a = actor("alice", &[Role::Agent]);
    let o = ops();
    let c = change(ChangeType::Normal, "assess");
    let out = rules::assign(&l, &c, Some("bob"), None, &ctx(&a, &o, 1)).expect("assign");
    assert_eq!(
        (out.ticket.state.as_str(), out.ticket.assignee.as_deref()),
        ("assess", Some("bob"))
    );
    assert!(out.transition.is_none());
    let resolved = ticket(Kind::Incident, "resolved", "zed");
    assert!(matches!(
        rules::assign(&l, &resolved, None, None, &ctx(&a, &o, 0)),
        Err(Refusal::NotFromHere { .. })
    ));
}

#[test]
fn times_are_read_in_the_given_offset_and_kept_in_utc() {
    let plus2 = FixedOffset::east_opt(2 * 3600).expect("offset");
    let t = rules::parse_time("2026-12-01 02:00", plus2).expect("parse");
    assert_eq!(rules::format_time(t), "2026-12-01T00:00:00Z");
    let t = rules::parse_time("2026-12-01T02:00:00-05:00", plus2).expect("parse");
    assert_eq!(rules::format_time(t), "2026-12-01T07:00:00Z");
    assert!(rules::parse_time("soon", plus2).is_none());
}
