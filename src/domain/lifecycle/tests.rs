//! Every transition and guard of ITIL.md, and every way a lifecycle file can be wrong.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::*;
use crate::domain::priority::Matrix;
use crate::domain::rules::{self, Context, Draft, Refusal};
use crate::domain::ticket::TicketId;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 14, 2, 0)
        .single()
        .expect("fixed time")
}

fn ops() -> Vec<String> {
    ["alice", "bob", "carol", "dave"].map(String::from).to_vec()
}

fn actor(name: &str, roles: &[Role]) -> Actor {
    Actor::new(name, roles)
}

fn ctx<'a>(actor: &'a Actor, operators: &'a [String], cis: usize) -> Context<'a> {
    Context {
        actor,
        now: now(),
        operators,
        linked_cis: cis,
        local_offset: FixedOffset::east_opt(0).expect("utc"),
        frozen_by: &[],
        parties: &NO_PARTIES,
    }
}

fn ticket(kind: Kind, state: &str, requester: &str) -> Ticket {
    let mut t = Ticket {
        id: TicketId::new(kind, 7),
        kind,
        state: state.into(),
        title: "printer on fire".into(),
        description: String::new(),
        impact: 2,
        urgency: 2,
        priority: 3,
        requester: requester.into(),
        assignee: None,
        fields: BTreeMap::new(),
        created_at: now(),
        updated_at: now(),
        version: 1,
    };
    if kind == Kind::Change {
        t.fields.insert("change_type".into(), "normal".into());
    }
    t
}

fn change(ty: ChangeType, state: &str) -> Ticket {
    let mut t = ticket(Kind::Change, state, "carol");
    t.fields.insert("change_type".into(), ty.name().into());
    t
}

fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Takes a transition as `alice` (agent) and returns the new state.
fn go(t: &Ticket, name: &str, inputs: &[(&str, &str)], note: Option<&str>) -> Result<Ticket, Refusal> {
    let a = actor("alice", &[Role::Agent]);
    let o = ops();
    go_as(&a, &o, 1, t, name, inputs, note)
}

fn go_as(
    a: &Actor,
    o: &[String],
    cis: usize,
    t: &Ticket,
    name: &str,
    inputs: &[(&str, &str)],
    note: Option<&str>,
) -> Result<Ticket, Refusal> {
    let l = Lifecycles::builtin();
    rules::apply_transition(&l, t, name, &f(inputs), note, &ctx(a, o, cis)).map(|o| o.ticket)
}

fn state_after(t: &Ticket, name: &str, inputs: &[(&str, &str)], note: Option<&str>) -> String {
    match go(t, name, inputs, note) {
        Ok(t) => t.state,
        Err(e) => panic!("{name} from {} refused: {e}", t.state),
    }
}

#[test]
fn the_shipped_file_loads() {
    let l = Lifecycles::load(DEFAULT_SOURCE, "lifecycles.toml").expect("shipped lifecycles are valid");
    assert_eq!(l.get(Kind::Incident).initial(), "new");
    assert_eq!(l.get(Kind::Request).states.len(), 9);
    assert_eq!(l.get(Kind::Change).final_states, vec!["closed", "cancelled"]);
    assert_eq!(l.values("risk").map(<[String]>::len), Some(3));
}

// ---- incident ----------------------------------------------------------------------------

#[test]
fn incident_assign_from_new_assigned_and_pending_defaults_to_the_actor() {
    for from in ["new", "assigned", "pending"] {
        let t = go(&ticket(Kind::Incident, from, "zed"), "assign", &[], None).expect("assign");
        assert_eq!(t.state, "assigned");
        assert_eq!(t.assignee.as_deref(), Some("alice"));
    }
    let t = go(
        &ticket(Kind::Incident, "new", "zed"),
        "assign",
        &[("assignee", "BOB")],
        None,
    )
    .expect("assign bob");
    assert_eq!(
        t.assignee.as_deref(),
        Some("bob"),
        "operator names are matched without case"
    );
}

#[test]
fn incident_assign_to_an_unknown_operator_is_refused() {
    let r = go(
        &ticket(Kind::Incident, "new", "zed"),
        "assign",
        &[("assignee", "mallory")],
        None,
    );
    assert_eq!(r, Err(Refusal::UnknownOperator("mallory".into())));
}

#[test]
fn incident_pend_needs_a_listed_pending_reason() {
    let t = ticket(Kind::Incident, "assigned", "zed");
    assert_eq!(
        go(&t, "pend", &[], None),
        Err(Refusal::Missing {
            action: "pend".into(),
            fields: vec!["pending_reason".into()]
        })
    );
    let bad = go(&t, "pend", &[("pending_reason", "lunch")], None).unwrap_err();
    assert!(bad.to_string().contains("expected one of awaiting_caller"), "{bad}");
    let t = go(&t, "pend", &[("pending_reason", "awaiting_vendor")], None).expect("pend");
    assert_eq!(t.state, "pending");
    assert_eq!(t.get("pending_reason").as_deref(), Some("awaiting_vendor"));
}

#[test]
fn incident_pend_is_only_from_assigned() {
    let r = go(
        &ticket(Kind::Incident, "new", "zed"),
        "pend",
        &[("pending_reason", "awaiting_caller")],
        None,
    );
    match r {
        Err(Refusal::NotFromHere { legal, .. }) => assert_eq!(legal, vec!["assign", "resolve", "cancel"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn incident_resume_returns_to_assigned() {
    assert_eq!(
        state_after(&ticket(Kind::Incident, "pending", "zed"), "resume", &[], None),
        "assigned"
    );
}

#[test]
fn incident_resolve_needs_code_and_note_and_assigns_an_unassigned_ticket_to_the_actor() {
    let t = ticket(Kind::Incident, "new", "zed");
    match go(&t, "resolve", &[("resolution_code", "fixed")], None) {
        Err(Refusal::Missing { fields, .. }) => assert_eq!(fields, vec!["resolution_note"]),
        other => panic!("{other:?}"),
    }
    for from in ["new", "assigned", "pending"] {
        let mut t = ticket(Kind::Incident, from, "zed");
        if from != "new" {
            t.assignee = Some("bob".into());
        }
        let done = go(
            &t,
            "resolve",
            &[("resolution_code", "fixed"), ("resolution_note", "rebooted")],
            None,
        )
        .expect("resolve");
        assert_eq!(done.state, "resolved");
        let expected = if from == "new" { "alice" } else { "bob" };
        assert_eq!(done.assignee.as_deref(), Some(expected), "from {from}");
    }
}

#[test]
fn incident_reopen_needs_a_note() {
    let t = ticket(Kind::Incident, "resolved", "zed");
    assert!(matches!(go(&t, "reopen", &[], None), Err(Refusal::Missing { .. })));
    assert!(matches!(
        go(&t, "reopen", &[], Some("   ")),
        Err(Refusal::Missing { .. })
    ));
    assert_eq!(state_after(&t, "reopen", &[], Some("still broken")), "assigned");
}

#[test]
fn incident_close_from_resolved_only() {
    assert_eq!(
        state_after(&ticket(Kind::Incident, "resolved", "zed"), "close", &[], None),
        "closed"
    );
    assert!(matches!(
        go(&ticket(Kind::Incident, "assigned", "zed"), "close", &[], None),
        Err(Refusal::NotFromHere { .. })
    ));
}

#[test]
fn incident_cancel_needs_a_note() {
    for from in ["new", "assigned", "pending"] {
        let t = ticket(Kind::Incident, from, "zed");
        assert!(matches!(go(&t, "cancel", &[], None), Err(Refusal::Missing { .. })));
        assert_eq!(state_after(&t, "cancel", &[], Some("duplicate call")), "cancelled");
    }
}

#[test]
fn final_states_take_no_transition_and_offer_none() {
    let l = Lifecycles::builtin();
    let a = actor("alice", &[Role::Agent, Role::Cab, Role::Admin]);
    for (kind, state) in [
        (Kind::Incident, "closed"),
        (Kind::Incident, "cancelled"),
        (Kind::Request, "rejected"),
        (Kind::Problem, "closed"),
        (Kind::Change, "closed"),
    ] {
        let t = ticket(kind, state, "zed");
        assert!(l.get(kind).allowed_transitions(&t, &a, &NO_PARTIES).is_empty());
        let err = go(&t, "reopen", &[], Some("x")).unwrap_err();
        assert_eq!(
            err,
            Refusal::Final {
                id: t.id,
                state: state.into()
            }
        );
        assert!(err.to_string().contains("takes comments but no transition"));
    }
}

#[test]
fn unknown_transition_lists_the_legal_ones() {
    let err = go(&ticket(Kind::Incident, "assigned", "zed"), "fly", &[], None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`fly` is not a transition of an incident; from `assigned` you may: assign, pend, resolve, cancel"
    );
}

#[test]
fn a_field_the_transition_does_not_set_is_refused() {
    let err = go(
        &ticket(Kind::Incident, "pending", "zed"),
        "resume",
        &[("title", "x")],
        None,
    );
    assert!(matches!(err, Err(Refusal::NotSetByTransition { .. })));
}

#[test]
fn a_transition_records_what_changed() {
    let l = Lifecycles::builtin();
    let a = actor("alice", &[Role::Agent]);
    let o = ops();
    let t = ticket(Kind::Incident, "new", "zed");
    let out = rules::apply_transition(&l, &t, "assign", &[], None, &ctx(&a, &o, 0)).expect("assign");
    assert_eq!(out.transition, Some(("assign".into(), "new".into(), "assigned".into())));
    assert_eq!(out.changes.len(), 1);
    assert_eq!(out.changes[0].field, "assignee");
    assert_eq!(out.changes[0].new.as_deref(), Some("alice"));
    assert_eq!(out.ticket.version, 2);
}

// ---- request -----------------------------------------------------------------------------

#[test]
fn request_approval_path() {
    let t = ticket(Kind::Request, "new", "zed");
    let t = go(&t, "submit_for_approval", &[], None).expect("submit");
    assert_eq!(t.state, "awaiting_approval");
    assert_eq!(state_after(&t, "approve", &[], None), "approved");
    let approved = go(&t, "approve", &[], None).expect("approve");
    assert_eq!(state_after(&approved, "assign", &[], None), "assigned");
}

#[test]
fn request_the_requester_may_not_approve_or_reject() {
    let t = ticket(Kind::Request, "awaiting_approval", "alice");
    assert!(matches!(go(&t, "approve", &[], None), Err(Refusal::PartyMayNot { .. })));
    assert!(matches!(
        go(&t, "reject", &[], Some("no")),
        Err(Refusal::PartyMayNot { .. })
    ));
    let err = go(&t, "approve", &[], None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "alice is the requester of REQ-7 and may not `approve` it: someone else must"
    );
    // Nor is it offered to her.
    let l = Lifecycles::builtin();
    let names: Vec<_> = l
        .get(Kind::Request)
        .allowed_transitions(&t, &actor("Alice", &[Role::Agent]), &NO_PARTIES)
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(names, vec!["cancel"]);
}

#[test]
fn request_reject_needs_a_note() {
    let t = ticket(Kind::Request, "awaiting_approval", "zed");
    assert!(matches!(go(&t, "reject", &[], None), Err(Refusal::Missing { .. })));
    assert_eq!(state_after(&t, "reject", &[], Some("not budgeted")), "rejected");
}

#[test]
fn request_work_pend_resume_resolve_reopen_close_cancel() {
    let assigned = ticket(Kind::Request, "assigned", "zed");
    assert_eq!(
        state_after(&assigned, "pend", &[("pending_reason", "awaiting_caller")], None),
        "pending"
    );
    assert_eq!(
        state_after(&ticket(Kind::Request, "pending", "zed"), "resume", &[], None),
        "assigned"
    );
    assert!(matches!(
        go(&assigned, "resolve", &[], None),
        Err(Refusal::Missing { .. })
    ));
    assert_eq!(
        state_after(&assigned, "resolve", &[("resolution_note", "done")], None),
        "resolved"
    );
    assert_eq!(
        state_after(
            &ticket(Kind::Request, "pending", "zed"),
            "resolve",
            &[("resolution_note", "done")],
            None
        ),
        "resolved"
    );
    // A request must be worked before it is resolved.
    assert!(matches!(
        go(
            &ticket(Kind::Request, "new", "zed"),
            "resolve",
            &[("resolution_note", "x")],
            None
        ),
        Err(Refusal::NotFromHere { .. })
    ));
    let resolved = ticket(Kind::Request, "resolved", "zed");
    assert_eq!(state_after(&resolved, "reopen", &[], Some("not done")), "assigned");
    assert_eq!(state_after(&resolved, "close", &[], None), "closed");
    for from in ["new", "awaiting_approval", "approved", "assigned", "pending"] {
        assert_eq!(
            state_after(&ticket(Kind::Request, from, "zed"), "cancel", &[], Some("withdrawn")),
            "cancelled"
        );
    }
    // A request is not assigned while it waits for approval.
    assert!(matches!(
        go(&ticket(Kind::Request, "awaiting_approval", "zed"), "assign", &[], None),
        Err(Refusal::NotFromHere { .. })
    ));
}

// ---- problem -----------------------------------------------------------------------------

#[test]
fn problem_lifecycle() {
    let p = ticket(Kind::Problem, "new", "zed");
    let p = go(&p, "assign", &[], None).expect("assign");
    assert_eq!(p.state, "assigned");
    match go(&p, "record_known_error", &[("root_cause", "bad cable")], None) {
        Err(Refusal::Missing { fields, .. }) => assert_eq!(fields, vec!["workaround"]),
        other => panic!("{other:?}"),
    }
    let ke = go(
        &p,
        "record_known_error",
        &[("root_cause", "bad cable"), ("workaround", "wiggle it")],
        None,
    )
    .expect("known error");
    assert_eq!(ke.state, "known_error");
    assert_eq!(ke.get("workaround").as_deref(), Some("wiggle it"));
    assert_eq!(
        state_after(&ke, "resolve", &[("resolution_note", "cable replaced")], None),
        "resolved"
    );
    assert_eq!(
        state_after(&p, "resolve", &[("resolution_note", "gone")], None),
        "resolved"
    );
    let r = ticket(Kind::Problem, "resolved", "zed");
    assert_eq!(state_after(&r, "reopen", &[], Some("back")), "assigned");
    assert_eq!(state_after(&r, "close", &[], None), "closed");
    for from in ["new", "assigned"] {
        assert_eq!(
            state_after(&ticket(Kind::Problem, from, "zed"), "cancel", &[], Some("dup")),
            "cancelled"
        );
    }
    assert!(matches!(
        go(&ticket(Kind::Problem, "known_error", "zed"), "cancel", &[], Some("x")),
        Err(Refusal::NotFromHere { .. })
    ));
}

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

// ---- the lifecycle file ------------------------------------------------------------------

fn load_err(src: &str) -> LifecycleError {
    match Lifecycles::load(src, "my.toml") {
        Ok(_) => panic!("loaded a bad file:\n{src}"),
        Err(e) => e,
    }
}

/// The shipped file with one replacement, to make each mistake in context.
fn broken(from: &str, to: &str) -> String {
    assert!(DEFAULT_SOURCE.contains(from), "{from:?} not in the shipped file");
    DEFAULT_SOURCE.replacen(from, to, 1)
}

fn line_of(src: &str, needle: &str) -> usize {
    let at = src.find(needle).expect("needle present");
    src[..at].matches('\n').count() + 1
}

#[test]
fn unknown_state_is_named_with_its_line() {
    let src = broken(
        "name = \"resume\"\nfrom = [\"pending\"]",
        "name = \"resume\"\nfrom = [\"paused\"]",
    );
    let e = load_err(&src);
    assert_eq!(e.file, "my.toml");
    assert_eq!(e.line, line_of(&src, "[\"paused\"]"));
    assert!(
        e.message
            .starts_with("unknown state `paused` in transition `resume` of `incident`"),
        "{e}"
    );
    assert_eq!(e.to_string().split(':').next(), Some("my.toml"));
}

#[test]
fn unknown_target_state_is_refused() {
    let e = load_err(&broken("to = \"pending\"", "to = \"waiting\""));
    assert!(e.message.contains("unknown state `waiting`"), "{e}");
}

#[test]
fn unreachable_state_is_refused() {
    let src = broken(
        "states = [\"new\", \"assigned\", \"known_error\"",
        "states = [\"new\", \"limbo\", \"assigned\", \"known_error\"",
    );
    let e = load_err(&src);
    assert_eq!(e.message, "state `limbo` of `problem` cannot be reached from `new`");
    assert_eq!(e.line, line_of(&src, "\"limbo\""));
}

#[test]
fn duplicate_state_is_refused() {
    let e = load_err(&broken(
        "\"pending\", \"resolved\", \"closed\", \"cancelled\"]",
        "\"pending\", \"pending\", \"resolved\", \"closed\", \"cancelled\"]",
    ));
    assert_eq!(e.message, "duplicate state `pending` in `incident`");
}

#[test]
fn duplicate_transition_name_is_refused() {
    let src = broken("name = \"resume\"", "name = \"pend\"");
    let e = load_err(&src);
    assert_eq!(e.message, "duplicate transition `pend` in `incident`");
    assert_eq!(e.line, line_of(&src, "name = \"pend\"\nfrom = [\"pending\"]"));
}

#[test]
fn same_name_for_different_change_types_is_allowed_but_not_for_overlapping_ones() {
    assert!(Lifecycles::load(DEFAULT_SOURCE, "x").is_ok());
    let e = load_err(&broken(
        "types = [\"emergency\"]\nfrom = [\"new\"]",
        "types = [\"emergency\", \"normal\"]\nfrom = [\"new\"]",
    ));
    assert_eq!(e.message, "duplicate transition `submit` in `change`");
}

#[test]
fn no_final_state_is_refused() {
    let e = load_err(&broken(
        "final = [\"closed\", \"cancelled\"]\nresolved = [\"resolved\"]\n\n[[problem",
        "final = []\nresolved = [\"resolved\"]\n\n[[problem",
    ));
    assert_eq!(e.message, "`problem` has no final state: list at least one in `final`");
    let e = load_err(&broken("final = [\"closed\", \"rejected\", \"cancelled\"]\n", ""));
    assert!(e.message.contains("`request` has no final state"), "{e}");
}

#[test]
fn a_transition_from_a_final_state_is_refused() {
    let src = broken(
        "name = \"reopen\"\nfrom = [\"resolved\"]",
        "name = \"reopen\"\nfrom = [\"resolved\", \"closed\"]",
    );
    let e = load_err(&src);
    assert_eq!(
        e.message,
        "transition `reopen` of `incident` leaves final state `closed`: a final state takes no transition"
    );
    assert_eq!(e.line, line_of(&src, "\"resolved\", \"closed\"]"));
}

#[test]
fn other_mistakes_are_named_too() {
    let cases = [
        (
            broken("requires = [\"pending_reason\"]", "requires = [\"mood\"]"),
            "unknown field `mood`",
        ),
        (
            broken("requires = [\"pending_reason\"]", "requires = [\"risk\"]"),
            "which a incident does not have",
        ),
        (broken("role = \"cab\"", "role = \"boss\""), "unknown role `boss`"),
        (
            broken("types = [\"normal\"]", "types = [\"urgent\"]"),
            "unknown change type `urgent`",
        ),
        (
            broken(
                "defaults = { assignee = \"$actor\" }",
                "defaults = { assignee = \"$someone\" }",
            ),
            "unknown value `$someone`",
        ),
        (broken("[fields]\n", "colour = 1\n[fields]\n"), "unknown field `colour`"),
        (
            broken("[incident]\nstates", "[incident]\nstate"),
            "unknown field `state`, expected one of `states`",
        ),
        (broken("needs_ci = true\n\n", "needs_ci = \"yes\"\n\n"), "invalid type"),
        (broken("[problem]", "[problem"), "unclosed table"),
        (
            broken("[fields]\n", "[fields]\nmood = [\"happy\"]\n"),
            "`mood` is not an enumerated field",
        ),
        (
            broken(
                "types = [\"standard\", \"normal\", \"emergency\"]",
                "types = [\"standard\", \"normal\"]",
            ),
            "for `emergency` changes, which `types` does not list",
        ),
    ];
    for (src, expected) in cases {
        let e = Lifecycles::load(&src, "my.toml").map(|_| ()).expect_err(expected);
        assert!(e.message.contains(expected), "expected {expected:?}, got {e}");
        assert!(e.line >= 1);
    }
}

#[test]
fn a_missing_kind_is_refused() {
    let cut = DEFAULT_SOURCE.find("# ----").map(|i| {
        let rest = &DEFAULT_SOURCE[i..];
        let end = rest[4..].find("# ----").map_or(rest.len(), |j| j + 4);
        DEFAULT_SOURCE.replacen(&rest[..end], "", 1)
    });
    let e = load_err(&cut.expect("sections"));
    assert_eq!(e.message, "no lifecycle for `incident`: add a [incident] table");
}

#[test]
fn milestones_follow_assignment_resolution_and_reopening() {
    use crate::domain::kpi::Milestones;
    let l = Lifecycles::builtin();
    let lifecycle = l.get(Kind::Incident);
    let a = actor("alice", &[Role::Agent]);
    let o = ops();
    let mut m = Milestones::default();
    let mut t = ticket(Kind::Incident, "new", "zed");
    type Step<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<&'a str>, i64);
    let steps: [Step; 6] = [
        ("assign", &[("assignee", "bob")], None, 1),
        ("assign", &[("assignee", "carol")], None, 2),
        (
            "resolve",
            &[("resolution_code", "fixed"), ("resolution_note", "rebooted")],
            None,
            3,
        ),
        ("reopen", &[], Some("back again"), 4),
        (
            "resolve",
            &[("resolution_code", "fixed"), ("resolution_note", "replaced")],
            None,
            5,
        ),
        ("close", &[], None, 6),
    ];
    for (name, inputs, note, hour) in steps {
        let c = Context {
            now: now() + chrono::Duration::hours(hour),
            ..ctx(&a, &o, 1)
        };
        let out = rules::apply_transition(&l, &t, name, &f(inputs), note, &c).expect(name);
        m.observe(lifecycle, &out);
        t = out.ticket;
    }
    assert_eq!(m.first_assigned, Some(now() + chrono::Duration::hours(1)));
    assert_eq!(
        m.resolved,
        Some(now() + chrono::Duration::hours(5)),
        "the last resolve counts"
    );
    assert_eq!((m.resolves, m.reopens, m.reassignments), (2, 1, 1));
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
