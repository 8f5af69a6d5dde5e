//! Changing a ticket outside its lifecycle moves: editing fields, assigning, unassigning.

use super::*;

/// Edits fields of a ticket that is not final. Impact or urgency recompute the priority;
/// a priority override is taken only with a note.
pub fn edit(
    lifecycles: &Lifecycles,
    matrix: &Matrix,
    ticket: &Ticket,
    inputs: &[(String, String)],
    note: Option<&str>,
    ctx: &Context,
) -> Result<Outcome, Refusal> {
    let lifecycle = lifecycles.get(ticket.kind);
    if lifecycle.is_final(&ticket.state) {
        return Err(Refusal::Final {
            id: ticket.id,
            state: ticket.state.clone(),
        });
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty()).map(String::from);
    let mut after = ticket.clone();
    let mut touched = Vec::new();
    let mut priority_override = None;
    for (field, value) in inputs {
        if field == "priority" {
            let p: u8 = value
                .trim()
                .parse()
                .ok()
                .filter(|p| (1..=5).contains(p))
                .ok_or_else(|| Refusal::BadValue {
                    field: "priority".into(),
                    value: value.clone(),
                    expected: "expected 1 to 5".into(),
                })?;
            if note.is_none() {
                return Err(Refusal::OverrideNeedsNote);
            }
            priority_override = Some(p);
            continue;
        }
        let spec = editable_spec(ticket.kind, field)?;
        if spec.name == "title" && value.trim().is_empty() {
            return Err(Refusal::EmptyTitle);
        }
        let v = normalize(lifecycles, ctx, spec.name, value)?;
        after.put(spec.name, v);
        touched.push(spec.name.to_string());
    }
    if touched.iter().any(|f| f == "impact" || f == "urgency") {
        after.priority = matrix.priority(after.impact, after.urgency).unwrap_or(after.priority);
    }
    if let Some(p) = priority_override {
        after.priority = p;
    }
    touched.push("priority".into());
    check_window(&after)?;
    let changes = diff(ticket, &after, touched);
    if !changes.is_empty() {
        after.updated_at = ctx.now;
        after.version = ticket.version + 1;
    }
    Ok(Outcome {
        ticket: after,
        transition: None,
        changes,
        note,
        overrides: Vec::new(),
        notes: Vec::new(),
    })
}

/// Unassigning leaves a ticket that is not final with nobody holding it; its state stays.
pub fn unassign(
    lifecycles: &Lifecycles,
    ticket: &Ticket,
    note: Option<&str>,
    ctx: &Context,
) -> Result<Outcome, Refusal> {
    if lifecycles.get(ticket.kind).is_final(&ticket.state) {
        return Err(Refusal::Final {
            id: ticket.id,
            state: ticket.state.clone(),
        });
    }
    let mut after = ticket.clone();
    after.assignee = None;
    Ok(assignee_changed(ticket, after, note, ctx))
}

/// The outcome of setting the assignee outside a move: a new version when it changed.
fn assignee_changed(ticket: &Ticket, mut after: Ticket, note: Option<&str>, ctx: &Context) -> Outcome {
    let changes = diff(ticket, &after, ["assignee".to_string()]);
    if !changes.is_empty() {
        after.updated_at = ctx.now;
        after.version = ticket.version + 1;
    }
    Outcome {
        ticket: after,
        transition: None,
        changes,
        note: note.map(String::from),
        overrides: Vec::new(),
        notes: Vec::new(),
    }
}

/// Assigning is the `assign` transition where the lifecycle has one from this state, and
/// otherwise (a change, a ticket being resolved) a plain change of the assignee.
pub fn assign(
    lifecycles: &Lifecycles,
    ticket: &Ticket,
    assignee: Option<&str>,
    note: Option<&str>,
    ctx: &Context,
) -> Result<Outcome, Refusal> {
    let lifecycle = lifecycles.get(ticket.kind);
    let who = assignee.map_or_else(|| ctx.actor.name.clone(), str::to_string);
    if lifecycle.find(ticket, "assign").is_some() {
        let inputs = [("assignee".to_string(), who)];
        return apply_transition(lifecycles, ticket, "assign", &inputs, note, ctx);
    }
    if lifecycle.is_final(&ticket.state) {
        return Err(Refusal::Final {
            id: ticket.id,
            state: ticket.state.clone(),
        });
    }
    if lifecycle.knows(ticket, "assign") {
        // The lifecycle has an assign step, just not from here: say so rather than
        // quietly changing the assignee behind the workflow's back.
        return apply_transition(lifecycles, ticket, "assign", &[], note, ctx);
    }
    let mut after = ticket.clone();
    let v = normalize(lifecycles, ctx, "assignee", &who)?;
    after.put("assignee", v);
    Ok(assignee_changed(ticket, after, note, ctx))
}
