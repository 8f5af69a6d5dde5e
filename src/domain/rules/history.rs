//! History taken from another tool as it was recorded: a move the desk's lifecycle has no way
//! to make (a ticket reopened after it was closed, a step the file's people may not take here)
//! is written as one `as_recorded` move, in the open, rather than dropped or forced through.

use chrono::{DateTime, Utc};

use super::{FieldChange, Outcome, Refusal};
use crate::domain::lifecycle::Lifecycle;
use crate::domain::ticket::Ticket;

/// The name the timeline gives a move taken as the source recorded it.
pub const AS_RECORDED: &str = "as_recorded";

/// The ticket moved straight to `to` at `at`, with `note` saying why, taking the values the
/// source gives for fields that moves set (a close code, the actual window): `to` must be a
/// state of the lifecycle, and nothing else of the ticket changes.
pub fn as_recorded(
    lifecycle: &Lifecycle,
    ticket: &Ticket,
    to: &str,
    fields: &[(String, String)],
    note: &str,
    at: DateTime<Utc>,
) -> Result<Outcome, Refusal> {
    if !lifecycle.has_state(to) {
        return Err(Refusal::BadValue {
            field: "state".into(),
            value: to.into(),
            expected: format!("a state of {}: {}", ticket.kind, lifecycle.states.join(", ")),
        });
    }
    let mut after = ticket.clone();
    let mut changes = Vec::new();
    for (field, value) in fields {
        let old = after.fields.insert(field.clone(), value.clone());
        if old.as_deref() != Some(value) {
            changes.push(FieldChange {
                field: field.clone(),
                old,
                new: Some(value.clone()),
            });
        }
    }
    after.state = to.to_string();
    after.updated_at = at.max(ticket.updated_at);
    after.version = ticket.version + 1;
    Ok(Outcome {
        ticket: after,
        transition: Some((AS_RECORDED.into(), ticket.state.clone(), to.to_string())),
        changes,
        note: Some(note.to_string()),
        overrides: Vec::new(),
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Lifecycles;
    use crate::domain::ticket::Kind;

    #[test]
    fn a_closed_ticket_reopens_as_recorded_and_nothing_else_changes() {
        let lifecycles = Lifecycles::builtin();
        let lc = lifecycles.get(Kind::Incident);
        let created = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 1, 9, 0, 0)
            .single()
            .expect("time");
        let t = Ticket {
            id: crate::domain::ticket::TicketId::new(Kind::Incident, 7),
            kind: Kind::Incident,
            state: "closed".into(),
            title: "Mail down".into(),
            description: String::new(),
            impact: 2,
            urgency: 2,
            priority: 3,
            requester: "alice".into(),
            assignee: None,
            fields: Default::default(),
            created_at: created,
            updated_at: created,
            version: 4,
        };
        let at = t.updated_at + chrono::Duration::hours(1);
        let o = as_recorded(lc, &t, "assigned", &[], "as the source recorded it", at).expect("moves");
        assert_eq!(o.ticket.state, "assigned");
        assert_eq!(o.ticket.version, 5);
        assert_eq!(o.ticket.updated_at, at);
        assert_eq!(
            o.transition,
            Some(("as_recorded".into(), "closed".into(), "assigned".into()))
        );
        assert!(o.changes.is_empty());
        let e = as_recorded(lc, &t, "working", &[], "x", at).expect_err("no such state");
        assert!(e.to_string().contains("state cannot be `working`"), "{e}");
        // The fields moves set come with it, as changes.
        let fields = [("resolution_code".to_string(), "fixed".to_string())];
        let o = as_recorded(lc, &t, "resolved", &fields, "as recorded", at).expect("moves");
        assert_eq!(
            o.ticket.fields.get("resolution_code").map(String::as_str),
            Some("fixed")
        );
        assert_eq!(o.changes.len(), 1);
        assert_eq!(o.changes[0].old, None);
    }
}
