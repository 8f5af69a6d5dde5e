//! Applying the lifecycle to a ticket: create, move, edit. Pure: the desk passes in the facts
//! (who acts, when, which operators exist, how many CIs are linked) and writes what comes out.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::Serialize;

use super::lifecycle::{Lifecycle, Lifecycles, Parties, Transition, Value};
use super::operator::Actor;
use super::priority::{LEVELS, Matrix};
use super::ticket::{ChangeType, FieldType, Kind, NOTE, Ticket, TicketId, field_spec};

/// Why an action is not taken. Each says what to do instead where there is something to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{id} is {state}: a {state} ticket takes comments but no transition or edit")]
    Final { id: TicketId, state: String },
    #[error("`{name}` is not a transition of {what}{}", legal_list(.legal, .state))]
    UnknownTransition {
        name: String,
        what: String,
        state: String,
        legal: Vec<String>,
    },
    #[error("{id} cannot `{name}` from `{state}`{}", legal_list(.legal, .state))]
    NotFromHere {
        id: TicketId,
        name: String,
        state: String,
        legal: Vec<String>,
    },
    #[error("`{transition}` on {id} needs the `{role}` role, which {actor} does not have")]
    NeedsRole {
        id: TicketId,
        transition: String,
        role: String,
        actor: String,
    },
    #[error("{actor} {was} {id} and may not `{transition}` it: someone else must")]
    PartyMayNot {
        id: TicketId,
        transition: String,
        actor: String,
        /// `is the requester of`, `raised` or `submitted`.
        was: String,
    },
    #[error("`{transition}` on {id} needs at least one linked CI")]
    NeedsCi { id: TicketId, transition: String },
    #[error("`{action}` needs {}", .fields.join(", "))]
    Missing { action: String, fields: Vec<String> },
    #[error("{field} cannot be `{value}`: {expected}")]
    BadValue {
        field: String,
        value: String,
        expected: String,
    },
    #[error("unknown field `{0}`")]
    UnknownField(String),
    #[error("a {kind} has no field `{field}`")]
    FieldNotForKind { kind: Kind, field: String },
    #[error("`{field}` is not edited directly: {hint}")]
    NotEditable { field: String, hint: String },
    #[error("`{field}` is not set by `{transition}`; change it with edit")]
    NotSetByTransition { field: String, transition: String },
    #[error("unknown operator `{0}`")]
    UnknownOperator(String),
    #[error("planned_end ({end}) must be after planned_start ({start})")]
    WindowBackwards { start: String, end: String },
    #[error("the title is empty")]
    EmptyTitle,
    #[error("overriding the priority needs a note saying why")]
    OverrideNeedsNote,
    #[error(
        "{id} cannot `{transition}`: its window falls in freeze window {}; only an emergency change may be approved in a freeze",
        .freezes.join(", ")
    )]
    Frozen {
        id: TicketId,
        transition: String,
        freezes: Vec<String>,
    },
}

fn legal_list(legal: &[String], state: &str) -> String {
    if legal.is_empty() {
        format!("; nothing may be done from `{state}` by this operator")
    } else {
        format!("; from `{state}` you may: {}", legal.join(", "))
    }
}

/// Facts the rules need from outside the ticket.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
    /// The operators of the desk, to check an assignee.
    pub operators: &'a [String],
    /// How many CIs the ticket links to now.
    pub linked_cis: usize,
    /// The zone in which a time typed without an offset is read.
    pub local_offset: FixedOffset,
    /// The freeze windows the change's window (after the move) falls in, by name.
    pub frozen_by: &'a [String],
    /// Who raised and submitted the ticket (see [`Parties`]).
    pub parties: &'a Parties,
}

/// One field that a write changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// What a move or an edit does: the ticket after it and what changed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ticket: Ticket,
    /// `Some((transition, from, to))` for a move.
    pub transition: Option<(String, String, String)>,
    pub changes: Vec<FieldChange>,
    pub note: Option<String>,
    /// Freeze windows this move overrode (an emergency change approved in a freeze).
    pub overrides: Vec<String>,
    /// What the desk wants the operator to know about the result (e.g. schedule conflicts).
    pub notes: Vec<String>,
}

/// A ticket as it is asked for, before it has an id.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub title: String,
    pub description: String,
    pub impact: Option<u8>,
    pub urgency: Option<u8>,
    pub requester: Option<String>,
    pub change_type: Option<ChangeType>,
    /// Any other editable field, by name.
    pub fields: Vec<(String, String)>,
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} → {}",
            self.field,
            self.old.as_deref().unwrap_or("∅"),
            self.new.as_deref().unwrap_or("∅")
        )
    }
}

/// Impact and urgency default to medium/low when not given: 3 × 3 would bury a real
/// outage, 1 × 1 would page someone for a typo. ITIL desks commonly start at 3 (low) for both.
pub const DEFAULT_LEVEL: u8 = 3;

/// Builds a new ticket in its lifecycle's first state. The id number is filled in by the store.
pub fn create(
    kind: Kind,
    draft: Draft,
    lifecycles: &Lifecycles,
    matrix: &Matrix,
    ctx: &Context,
) -> Result<Ticket, Refusal> {
    let title = draft.title.trim().to_string();
    if title.is_empty() {
        return Err(Refusal::EmptyTitle);
    }
    let impact = check_level("impact", draft.impact.unwrap_or(DEFAULT_LEVEL))?;
    let urgency = check_level("urgency", draft.urgency.unwrap_or(DEFAULT_LEVEL))?;
    let lifecycle = lifecycles.get(kind);
    let mut ticket = Ticket {
        id: TicketId::new(kind, 0),
        kind,
        state: lifecycle.initial().to_string(),
        title,
        description: draft.description,
        impact,
        urgency,
        priority: matrix.priority(impact, urgency).unwrap_or(5),
        requester: draft.requester.unwrap_or_else(|| ctx.actor.name.clone()),
        assignee: None,
        fields: BTreeMap::new(),
        created_at: ctx.now,
        updated_at: ctx.now,
        version: 1,
    };
    match (kind, draft.change_type) {
        (Kind::Change, t) => {
            let t = t.unwrap_or(ChangeType::Normal);
            ticket.fields.insert("change_type".into(), t.name().into());
        }
        (_, Some(_)) => {
            return Err(Refusal::FieldNotForKind {
                kind,
                field: "change_type".into(),
            });
        }
        (_, None) => {}
    }
    for (name, value) in draft.fields {
        let spec = editable_spec(kind, &name)?;
        let value = normalize(lifecycles, ctx, spec.name, &value)?;
        ticket.put(spec.name, value);
    }
    check_window(&ticket)?;
    Ok(ticket)
}

fn check_level(field: &str, level: u8) -> Result<u8, Refusal> {
    if LEVELS.contains(&level) {
        Ok(level)
    } else {
        Err(Refusal::BadValue {
            field: field.into(),
            value: level.to_string(),
            expected: "expected 1 (high), 2 (medium) or 3 (low)".into(),
        })
    }
}

fn editable_spec(kind: Kind, name: &str) -> Result<&'static super::ticket::FieldSpec, Refusal> {
    let spec = field_spec(name).ok_or_else(|| Refusal::UnknownField(name.to_string()))?;
    if !spec.applies_to(kind) {
        return Err(Refusal::FieldNotForKind {
            kind,
            field: name.into(),
        });
    }
    if !spec.editable {
        let hint = match name {
            "assignee" => "use assign".to_string(),
            "priority" => "it follows impact × urgency".to_string(),
            "change_type" => "it is chosen when the change is created".to_string(),
            _ => "it is set by the transition that needs it".to_string(),
        };
        return Err(Refusal::NotEditable {
            field: name.into(),
            hint,
        });
    }
    Ok(spec)
}

/// Checks a typed value for a field and puts it in the form the desk stores.
/// An empty value clears the field.
pub fn normalize(lifecycles: &Lifecycles, ctx: &Context, field: &str, value: &str) -> Result<Option<String>, Refusal> {
    let value = value.trim();
    let spec = field_spec(field).ok_or_else(|| Refusal::UnknownField(field.to_string()))?;
    if value.is_empty() {
        return Ok(None);
    }
    let bad = |expected: String| Refusal::BadValue {
        field: field.into(),
        value: value.into(),
        expected,
    };
    Ok(Some(match spec.ty {
        FieldType::Text | FieldType::LongText => value.to_string(),
        FieldType::Level => {
            let n: u8 = value
                .parse()
                .map_err(|_| bad("expected 1 (high), 2 (medium) or 3 (low)".into()))?;
            check_level(field, n)?.to_string()
        }
        FieldType::Operator => ctx
            .operators
            .iter()
            .find(|o| o.eq_ignore_ascii_case(value))
            .cloned()
            .ok_or_else(|| Refusal::UnknownOperator(value.into()))?,
        FieldType::Enum => {
            let allowed = lifecycles.values(field).unwrap_or(&[]);
            allowed
                .iter()
                .find(|v| v.eq_ignore_ascii_case(value))
                .cloned()
                .ok_or_else(|| bad(format!("expected one of {}", allowed.join(", "))))?
        }
        FieldType::Time => format_time(
            parse_time(value, ctx.local_offset)
                .ok_or_else(|| bad("expected a time such as 2026-12-01 02:00 or 2026-12-01T02:00:00Z".into()))?,
        ),
    }))
}

/// Whether a field value read back from a file (a restored export) is one the CLI would
/// have taken for a ticket of `kind`: a field of that kind, a value of its type (an operator
/// field holds an operator name; a time is RFC 3339).
pub fn check_stored(lifecycles: &Lifecycles, kind: Kind, field: &str, value: &str) -> Result<(), Refusal> {
    let spec = field_spec(field).ok_or_else(|| Refusal::UnknownField(field.to_string()))?;
    if spec.kinds.is_some_and(|ks| !ks.contains(&kind)) {
        return Err(Refusal::FieldNotForKind {
            kind,
            field: field.into(),
        });
    }
    let bad = |expected: &str| Refusal::BadValue {
        field: field.into(),
        value: crate::text::inert(value, false),
        expected: expected.into(),
    };
    match spec.ty {
        FieldType::Operator if crate::domain::operator::valid_operator_name(value).is_err() => {
            Err(bad("an operator's name"))
        }
        FieldType::Time if DateTime::parse_from_rfc3339(value).is_err() => Err(bad("an RFC 3339 time")),
        FieldType::Enum if !lifecycles.values(field).unwrap_or(&[]).iter().any(|v| v == value) => Err(bad(&format!(
            "one of {}",
            lifecycles.values(field).unwrap_or(&[]).join(", ")
        ))),
        FieldType::Level if !matches!(value, "1" | "2" | "3") => Err(bad("1, 2 or 3")),
        _ => Ok(()),
    }
}

/// Reads RFC 3339 (`2026-12-01T02:00:00+01:00`), or a date and time without offset
/// (`2026-12-01 02:00`, read in `local`), or a bare date (midnight in `local`).
pub fn parse_time(s: &str, local: FixedOffset) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    local
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Times are kept as RFC 3339 in UTC to the second, so they sort as text.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn check_window(ticket: &Ticket) -> Result<(), Refusal> {
    if let (Some(start), Some(end)) = (ticket.fields.get("planned_start"), ticket.fields.get("planned_end")) {
        // Both are normalized RFC 3339 UTC, so text order is time order.
        if end <= start {
            return Err(Refusal::WindowBackwards {
                start: start.clone(),
                end: end.clone(),
            });
        }
    }
    Ok(())
}

fn resolve_value(v: &Value, ctx: &Context) -> String {
    match v {
        Value::Actor => ctx.actor.name.clone(),
        Value::Now => format_time(ctx.now),
        Value::Literal(s) => s.clone(),
    }
}

fn diff(before: &Ticket, after: &Ticket, fields: impl IntoIterator<Item = String>) -> Vec<FieldChange> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for f in fields {
        if seen.contains(&f) {
            continue;
        }
        let (old, new) = (before.get(&f), after.get(&f));
        if old != new {
            out.push(FieldChange {
                field: f.clone(),
                old,
                new,
            });
        }
        seen.push(f);
    }
    out
}

/// The names of the transitions this actor may take now, for messages and pick-lists.
pub fn legal_names(lifecycle: &Lifecycle, ticket: &Ticket, actor: &Actor, parties: &Parties) -> Vec<String> {
    lifecycle
        .allowed_transitions(ticket, actor, parties)
        .into_iter()
        .map(|t| t.name.clone())
        .collect()
}

/// Applies transition `name` with the given field values (and note) to a ticket.
pub fn apply_transition(
    lifecycles: &Lifecycles,
    ticket: &Ticket,
    name: &str,
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
    let legal = || legal_names(lifecycle, ticket, ctx.actor, ctx.parties);
    let transition: &Transition = match lifecycle.find(ticket, name) {
        Some(t) => t,
        None if lifecycle.knows(ticket, name) => {
            return Err(Refusal::NotFromHere {
                id: ticket.id,
                name: name.into(),
                state: ticket.state.clone(),
                legal: legal(),
            });
        }
        None => {
            let what = match ticket.change_type() {
                Some(t) => format!("a {t} change"),
                None if ticket.kind == Kind::Incident => "an incident".to_string(),
                None => format!("a {}", ticket.kind),
            };
            return Err(Refusal::UnknownTransition {
                name: name.into(),
                what,
                state: ticket.state.clone(),
                legal: legal(),
            });
        }
    };
    if let Some(role) = transition.role
        && !ctx.actor.has(role)
    {
        return Err(Refusal::NeedsRole {
            id: ticket.id,
            transition: name.into(),
            role: role.to_string(),
            actor: ctx.actor.name.clone(),
        });
    }
    if transition.not_requester
        && let Some(was) = ctx.parties.excludes(ticket, ctx.actor)
    {
        return Err(Refusal::PartyMayNot {
            id: ticket.id,
            transition: name.into(),
            actor: ctx.actor.name.clone(),
            was: was.to_string(),
        });
    }
    let mut note = note.map(str::trim).filter(|n| !n.is_empty()).map(String::from);
    let mut after = ticket.clone();
    let mut touched = Vec::new();
    for (field, value) in inputs {
        if field == NOTE {
            note = Some(value.trim().to_string()).filter(|n| !n.is_empty());
            continue;
        }
        if field_spec(field).is_none() {
            return Err(Refusal::UnknownField(field.clone()));
        }
        if !transition.requires.contains(field) {
            return Err(Refusal::NotSetByTransition {
                field: field.clone(),
                transition: name.into(),
            });
        }
        let v = normalize(lifecycles, ctx, field, value)?;
        after.put(field, v);
        touched.push(field.clone());
    }
    for (field, v) in &transition.defaults {
        if !touched.contains(field) {
            let v = normalize(lifecycles, ctx, field, &resolve_value(v, ctx))?;
            after.put(field, v);
            touched.push(field.clone());
        }
    }
    for (field, v) in &transition.fill {
        if after.get(field).is_none() {
            let v = normalize(lifecycles, ctx, field, &resolve_value(v, ctx))?;
            after.put(field, v);
            touched.push(field.clone());
        }
    }
    for (field, v) in &transition.set {
        after.put(field, Some(resolve_value(v, ctx)));
        touched.push(field.clone());
    }
    let missing: Vec<String> = transition
        .requires
        .iter()
        .filter(|f| {
            if *f == NOTE {
                note.is_none()
            } else {
                after.get(f).is_none()
            }
        })
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::Missing {
            action: name.into(),
            fields: missing,
        });
    }
    if transition.needs_ci && ctx.linked_cis == 0 {
        return Err(Refusal::NeedsCi {
            id: ticket.id,
            transition: name.into(),
        });
    }
    check_window(&after)?;
    let mut overrides = Vec::new();
    if !ctx.frozen_by.is_empty() {
        match transition.freeze {
            super::lifecycle::FreezeRule::Ignore => {}
            super::lifecycle::FreezeRule::Refuse => {
                return Err(Refusal::Frozen {
                    id: ticket.id,
                    transition: name.into(),
                    freezes: ctx.frozen_by.to_vec(),
                });
            }
            super::lifecycle::FreezeRule::Override => overrides = ctx.frozen_by.to_vec(),
        }
    }
    after.state = transition.to.clone();
    after.updated_at = ctx.now;
    after.version = ticket.version + 1;
    let changes = diff(ticket, &after, touched);
    Ok(Outcome {
        ticket: after,
        transition: Some((name.into(), ticket.state.clone(), transition.to.clone())),
        changes,
        note,
        overrides,
        notes: Vec::new(),
    })
}

mod change;
mod history;
pub use change::{assign, edit, unassign};
pub use history::{AS_RECORDED, as_recorded};
