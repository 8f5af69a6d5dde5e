//! Parent and child incidents (issue 20): child incidents link to the incident that stands
//! for them all (`opsdesk link CHILD --parent ID`); resolving the parent resolves its open
//! children, each with its own move and events, in the parent's transaction; a parent cannot
//! close while a child is open.

use chrono::Utc;

use super::tickets::{act_in, load};
use super::{Desk, DeskError, Result, Who, desk_actor};
use crate::domain::rules::{self, Outcome};
use crate::domain::{Kind, Policy, TicketId};
use crate::store::Tx;
use crate::store::tickets::{self as store_tickets, NewEvent};

impl Desk {
    /// Links incident `child` under incident `parent`. False if it is there already. One
    /// level only: a parent is no one's child, and a child has one parent.
    pub fn link_parent(&mut self, child: TicketId, parent: TicketId) -> Result<bool> {
        self.write(|tx, _, who| {
            let now = Utc::now();
            if child == parent {
                return Err(DeskError::Invalid(format!("{child} cannot be its own parent")));
            }
            for id in [child, parent] {
                if id.kind != Kind::Incident {
                    return Err(DeskError::Invalid(format!(
                        "{id} is not an incident: parents and children are incidents (link a problem or change without --parent)"
                    )));
                }
            }
            let (c, p) = (load(tx, child)?, load(tx, parent)?);
            match store_tickets::family(tx, c.rowid)? {
                (Some(had), _) if had == parent => return Ok(false),
                (Some(had), _) => {
                    return Err(DeskError::Invalid(format!(
                        "{child} is a child of {had} already (`opsdesk unlink {child} {had}` first)"
                    )));
                }
                (None, true) => {
                    return Err(DeskError::Invalid(format!(
                        "{child} is a parent itself: its children would be two levels down (link them to {parent} instead)"
                    )));
                }
                (None, false) => {}
            }
            if let (Some(grand), _) = store_tickets::family(tx, p.rowid)? {
                return Err(DeskError::Invalid(format!(
                    "{parent} is a child of {grand}: link {child} to {grand} instead"
                )));
            }
            let actor = desk_actor(tx, who, now)?;
            if !store_tickets::link(tx, c.rowid, p.rowid, "child_of", now)? {
                return Err(DeskError::Invalid(format!(
                    "{child} and {parent} are linked already (`opsdesk unlink {child} {parent}` first)"
                )));
            }
            for (this, rel, other) in [(&c, "child_of", parent), (&p, "parent_of", child)] {
                let other = other.to_string();
                let e = NewEvent {
                    kind: "link",
                    field: Some(rel),
                    new: Some(&other),
                    version: Some(this.ticket.version + 1),
                    ..NewEvent::default()
                };
                store_tickets::touch(tx, this.rowid, now, this.ticket.version)?;
                store_tickets::append_event(tx, this.rowid, now, &actor, &e)?;
            }
            Ok(true)
        })
    }
}

/// Refuses a move that would close (end) a parent while any of its children is open.
pub(super) fn refuse_ending_a_parent(tx: &Tx, policy: &Policy, rowid: i64, out: &Outcome) -> Result<()> {
    let Some((_, _, to)) = &out.transition else {
        return Ok(());
    };
    if out.ticket.kind != Kind::Incident || !policy.lifecycles.get(Kind::Incident).is_final(to) {
        return Ok(());
    }
    let open = store_tickets::open_children(tx, rowid)?;
    if open.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = open.iter().map(ToString::to_string).collect();
    Err(DeskError::Invalid(format!(
        "{} cannot be {to} while its child incidents are open: {} (resolve {} to resolve them with it)",
        out.ticket.id,
        ids.join(", "),
        out.ticket.id
    )))
}

/// A parent just resolved: each open child is resolved with it (its own move, with the
/// parent's resolution), in the same transaction. A child its lifecycle does not let resolve
/// from where it is stays open, and the outcome's notes say so.
pub(super) fn resolve_children(tx: &Tx, policy: &Policy, who: &Who, rowid: i64, out: &mut Outcome) -> Result<()> {
    let Some((_, from, to)) = &out.transition else {
        return Ok(());
    };
    let lifecycle = policy.lifecycles.get(Kind::Incident);
    if out.ticket.kind != Kind::Incident || from == to || !lifecycle.is_resolved(to) {
        return Ok(());
    }
    let parent = out.ticket.id;
    let code = out
        .ticket
        .fields
        .get("resolution_code")
        .cloned()
        .unwrap_or_else(|| "fixed".into());
    let note = format!(
        "Resolved with {parent}: {}",
        out.ticket
            .fields
            .get("resolution_note")
            .cloned()
            .unwrap_or_else(|| out.ticket.title.clone())
    );
    let fields = [
        ("resolution_code".to_string(), code),
        ("resolution_note".to_string(), note),
    ];
    for child in store_tickets::open_children(tx, rowid)? {
        let moved = act_in(tx, policy, who, child, None, |l, _, t, ctx| {
            rules::apply_transition(l, t, "resolve", &fields, None, ctx)
        });
        out.notes.push(match moved {
            Ok(_) => format!("resolved its child {child} with it"),
            Err(e) => format!("left its child {child} open: {e}"),
        });
    }
    Ok(())
}
