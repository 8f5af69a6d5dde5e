//! Changes: the normal, standard and emergency paths, and who may approve.

use super::*;

// ---- change ------------------------------------------------------------------------------

const PLAN: &[(&str, &str)] = &[
    ("risk", "low"),
    ("implementation_plan", "patch and reboot"),
    ("backout_plan", "restore snapshot"),
    ("planned_start", "2026-12-01 02:00"),
    ("planned_end", "2026-12-01 04:00"),
];

fn cab(name: &str) -> Actor {
    actor(name, &[Role::Agent, Role::Cab])
}

#[test]
fn normal_change_full_path() {
    let o = ops();
    let c = change(ChangeType::Normal, "new");
    let c = go(&c, "submit", PLAN, None).expect("submit");
    assert_eq!(c.state, "assess");
    assert_eq!(c.get("planned_start").as_deref(), Some("2026-12-01T02:00:00Z"));
    let c = go(&c, "request_approval", &[], None).expect("request approval");
    assert_eq!(c.state, "authorize");
    let c = go_as(&cab("bob"), &o, 1, &c, "approve", &[], Some("looks safe")).expect("approve");
    assert_eq!(c.state, "scheduled");
    let c = go(&c, "start", &[], None).expect("start");
    assert_eq!(c.state, "implement");
    assert_eq!(c.get("actual_start").as_deref(), Some("2026-11-22T14:02:00Z"));
    assert!(matches!(go(&c, "complete", &[], None), Err(Refusal::Missing { .. })));
    let c = go(&c, "complete", &[("close_code", "successful")], None).expect("complete");
    assert_eq!(c.state, "review");
    assert_eq!(c.get("actual_end").as_deref(), Some("2026-11-22T14:02:00Z"));
    assert!(matches!(go(&c, "close", &[], None), Err(Refusal::Missing { .. })));
    assert_eq!(
        state_after(&c, "close", &[("review_note", "went well")], None),
        "closed"
    );
}

#[test]
fn normal_change_submit_needs_every_plan_field_and_a_ci() {
    let c = change(ChangeType::Normal, "new");
    match go(&c, "submit", &[("risk", "low")], None) {
        Err(Refusal::Missing { fields, .. }) => assert_eq!(
            fields,
            vec!["implementation_plan", "backout_plan", "planned_start", "planned_end"]
        ),
        other => panic!("{other:?}"),
    }
    let o = ops();
    let r = go_as(&actor("alice", &[Role::Agent]), &o, 0, &c, "submit", PLAN, None);
    assert_eq!(
        r,
        Err(Refusal::NeedsCi {
            id: c.id,
            transition: "submit".into()
        })
    );
}

#[test]
fn a_plan_field_already_on_the_ticket_satisfies_submit() {
    let mut c = change(ChangeType::Normal, "new");
    for (k, v) in &PLAN[1..] {
        let v = if k.starts_with("planned") {
            format!("{}:00Z", v.replace(' ', "T"))
        } else {
            v.to_string()
        };
        c.fields.insert(k.to_string(), v);
    }
    assert_eq!(state_after(&c, "submit", &[("risk", "high")], None), "assess");
}

#[test]
fn a_window_that_ends_before_it_starts_is_refused() {
    let c = change(ChangeType::Normal, "new");
    let mut plan = PLAN.to_vec();
    plan[4] = ("planned_end", "2026-12-01 01:00");
    assert!(matches!(
        go(&c, "submit", &plan, None),
        Err(Refusal::WindowBackwards { .. })
    ));
    plan[4] = ("planned_end", "next tuesday");
    assert!(matches!(go(&c, "submit", &plan, None), Err(Refusal::BadValue { .. })));
}

#[test]
fn approve_needs_the_cab_role_and_someone_other_than_the_requester() {
    let o = ops();
    let c = change(ChangeType::Normal, "authorize"); // requested by carol
    let err = go_as(&actor("bob", &[Role::Agent]), &o, 1, &c, "approve", &[], Some("ok")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`approve` on CHG-7 needs the `cab` role, which bob does not have"
    );
    let err = go_as(&cab("carol"), &o, 1, &c, "approve", &[], Some("ok")).unwrap_err();
    assert!(matches!(err, Refusal::PartyMayNot { .. }));
    assert!(matches!(
        go_as(&cab("bob"), &o, 1, &c, "approve", &[], None),
        Err(Refusal::Missing { .. })
    ));
    assert_eq!(
        go_as(&cab("bob"), &o, 1, &c, "approve", &[], Some("ok")).map(|t| t.state),
        Ok("scheduled".into())
    );
}

#[test]
fn reject_needs_cab_and_a_note_and_returns_to_new() {
    let o = ops();
    for ty in [ChangeType::Normal, ChangeType::Emergency] {
        let c = change(ty, "authorize");
        assert!(matches!(
            go_as(&actor("bob", &[Role::Agent]), &o, 1, &c, "reject", &[], Some("no")),
            Err(Refusal::NeedsRole { .. })
        ));
        assert!(matches!(
            go_as(&cab("bob"), &o, 1, &c, "reject", &[], None),
            Err(Refusal::Missing { .. })
        ));
        // The CAB member who requested it may still send it back.
        assert_eq!(
            go_as(&cab("carol"), &o, 1, &c, "reject", &[], Some("rework")).map(|t| t.state),
            Ok("new".into())
        );
    }
}

#[test]
fn standard_change_is_scheduled_without_approval() {
    let c = change(ChangeType::Standard, "new");
    let plan = &[
        ("implementation_plan", "rotate certs"),
        ("planned_start", "2026-12-02 01:00"),
        ("planned_end", "2026-12-02 01:30"),
    ];
    assert!(matches!(
        go(&c, "submit", PLAN, None),
        Err(Refusal::UnknownTransition { .. })
    ));
    let o = ops();
    assert!(matches!(
        go_as(&actor("alice", &[]), &o, 0, &c, "schedule", plan, None),
        Err(Refusal::NeedsCi { .. })
    ));
    let c = go(&c, "schedule", plan, None).expect("schedule");
    assert_eq!(c.state, "scheduled");
    let c = go(&c, "start", &[], None).expect("start");
    let c = go(&c, "complete", &[("close_code", "failed")], None).expect("complete");
    assert_eq!(
        state_after(&c, "close", &[("review_note", "cert chain wrong")], None),
        "closed"
    );
}

#[test]
fn emergency_change_goes_straight_to_authorize() {
    let o = ops();
    let c = change(ChangeType::Emergency, "new");
    assert!(matches!(
        go(&c, "schedule", PLAN, None),
        Err(Refusal::UnknownTransition { .. })
    ));
    let c = go(&c, "submit", PLAN, None).expect("submit");
    assert_eq!(c.state, "authorize");
    assert!(matches!(
        go(&c, "request_approval", &[], None),
        Err(Refusal::UnknownTransition { .. })
    ));
    assert!(matches!(
        go_as(&cab("carol"), &o, 1, &c, "approve", &[], Some("go")),
        Err(Refusal::PartyMayNot { .. })
    ));
    let c = go_as(&cab("bob"), &o, 1, &c, "approve", &[], Some("go")).expect("approve");
    assert_eq!(c.state, "scheduled");
}

#[test]
fn change_cancel_from_every_live_state() {
    for from in ["new", "assess", "authorize", "scheduled"] {
        let c = change(ChangeType::Normal, from);
        assert!(matches!(go(&c, "cancel", &[], None), Err(Refusal::Missing { .. })));
        assert_eq!(state_after(&c, "cancel", &[], Some("not needed")), "cancelled");
    }
    assert!(matches!(
        go(&change(ChangeType::Normal, "implement"), "cancel", &[], Some("x")),
        Err(Refusal::NotFromHere { .. })
    ));
}

#[test]
fn allowed_transitions_ask_the_guards() {
    let l = Lifecycles::builtin();
    let c = change(ChangeType::Normal, "authorize");
    let names = |a: &Actor| -> Vec<String> {
        l.get(Kind::Change)
            .allowed_transitions(&c, a, &NO_PARTIES)
            .iter()
            .map(|t| t.name.clone())
            .collect()
    };
    assert_eq!(names(&actor("bob", &[Role::Agent])), vec!["cancel"]);
    assert_eq!(names(&cab("bob")), vec!["approve", "reject", "cancel"]);
    assert_eq!(names(&cab("carol")), vec!["reject", "cancel"]);
}

/// Nobody approves their own change, whoever they name as its requester: not who raised it,
/// and not who submitted it or asked for its approval.
#[test]
fn approve_needs_someone_other_than_whoever_raised_or_submitted_it() {
    let l = Lifecycles::builtin();
    let o = ops();
    let c = change(ChangeType::Normal, "authorize"); // requested by carol
    let approve = |a: &Actor, parties: &Parties| {
        let ctx = Context {
            parties,
            ..ctx(a, &o, 1)
        };
        rules::apply_transition(&l, &c, "approve", &[], Some("ok"), &ctx)
    };
    let raised = Parties {
        raised: vec!["bob".into()],
        submitted: vec!["dave".into(), "alice".into()],
    };
    for (who, was) in [("bob", "raised"), ("dave", "submitted"), ("Alice", "submitted")] {
        let err = approve(&cab(who), &raised).expect_err(who);
        assert_eq!(
            err.to_string(),
            format!("{who} {was} CHG-7 and may not `approve` it: someone else must")
        );
        let names: Vec<String> = l
            .get(Kind::Change)
            .allowed_transitions(&c, &cab(who), &raised)
            .iter()
            .map(|t| t.name.clone())
            .collect();
        assert!(
            !names.contains(&"approve".to_string()),
            "not offered to {who}: {names:?}"
        );
    }
    assert_eq!(
        approve(&cab("eve"), &raised).map(|o| o.ticket.state),
        Ok("scheduled".to_string())
    );
    // The same for requests.
    let r = ticket(Kind::Request, "awaiting_approval", "zed");
    let dave = cab("dave");
    let ctx = Context {
        parties: &raised,
        ..ctx(&dave, &o, 0)
    };
    assert!(matches!(
        rules::apply_transition(&l, &r, "approve", &[], None, &ctx),
        Err(Refusal::PartyMayNot { .. })
    ));
}
