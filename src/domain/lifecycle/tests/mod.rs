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

mod change;
mod fields;
mod file;
