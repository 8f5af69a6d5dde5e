//! Actions on tickets: create, move, assign, edit, comment, link; and reading them back.

use crate::store::Tx;
use chrono::Utc;
use serde::Serialize;

use super::{Desk, DeskError, Result, Who, actor_among_operators, desk_actor, local_offset, short_time};
use crate::domain::rules::{self, Context, Draft, Outcome};
use crate::domain::sla::History;
use crate::domain::{Actor, Kind, Policy, Ticket, TicketId};
use crate::store::cmdb::{self as store_cmdb, Ci};
use crate::store::operators as store_ops;
use crate::store::tickets::{self as store_tickets, NewEvent, Stored};

#[derive(Debug, Clone, Serialize)]
pub struct Created {
    pub id: TicketId,
    /// Its row, which links, alerts and mail point at.
    #[serde(skip)]
    pub rowid: i64,
    pub ticket: Ticket,
    /// What the desk decided for the operator and why (e.g. the impact it offered).
    pub notes: Vec<String>,
}

pub(super) fn load(tx: &Tx, id: TicketId) -> Result<Stored> {
    store_tickets::get(tx, id)?.ok_or(DeskError::NoTicket(id))
}

pub(super) fn ci_by_name(tx: &Tx, name: &str) -> Result<Ci> {
    store_cmdb::get(tx, name.trim())?.ok_or_else(|| DeskError::NoCi(name.trim().to_string()))
}

/// Refuses a write against a version other than the one the caller saw.
fn check_version(tx: &Tx, stored: &Stored, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(v) if v != stored.ticket.version => {
            let (by, at) = store_tickets::last_change(tx, stored.rowid)?
                .unwrap_or_else(|| ("someone".into(), stored.ticket.updated_at));
            Err(DeskError::Conflict {
                id: stored.ticket.id,
                by,
                at: short_time(at),
            })
        }
        _ => Ok(()),
    }
}

/// How one ticket relates to another when linked: incident → problem is `caused_by`,
/// problem → change is `fixed_by`, anything else `related`. Returns (from, to, relation)
/// with the pair turned round where that reads better.
fn link_relation(a: Kind, b: Kind) -> (bool, &'static str) {
    match (a, b) {
        (Kind::Incident, Kind::Problem) | (Kind::Problem, Kind::Change) => {
            (false, if a == Kind::Incident { "caused_by" } else { "fixed_by" })
        }
        (Kind::Problem, Kind::Incident) => (true, "caused_by"),
        (Kind::Change, Kind::Problem) => (true, "fixed_by"),
        _ => (false, "related"),
    }
}

/// The freeze windows a change's window falls in after `out`, for moves that have a freeze
/// rule; empty otherwise.
fn freezes_for(tx: &Tx, lifecycles: &crate::domain::Lifecycles, stored: &Stored, out: &Outcome) -> Result<Vec<String>> {
    use crate::domain::lifecycle::FreezeRule;
    let Some((name, _, _)) = &out.transition else {
        return Ok(Vec::new());
    };
    let rule = lifecycles
        .get(stored.ticket.kind)
        .find(&stored.ticket, name)
        .map(|t| t.freeze);
    if rule.is_none_or(|r| r == FreezeRule::Ignore) {
        return Ok(Vec::new());
    }
    let Some(planned) = planned(tx, stored.rowid, &out.ticket)? else {
        return Ok(Vec::new());
    };
    let freezes = crate::store::changes::freezes(tx)?;
    let edges = store_cmdb::edges(tx)?;
    Ok(crate::domain::schedule::freezes_hit(&planned, &freezes, &edges)
        .into_iter()
        .map(|f| f.name.clone())
        .collect())
}

/// A change as the schedule sees it, if it has a window.
fn planned(tx: &Tx, rowid: i64, t: &Ticket) -> Result<Option<crate::domain::schedule::Planned>> {
    let utc = chrono::Offset::fix(&Utc);
    let (Some(start), Some(end)) = (
        t.fields.get("planned_start").and_then(|s| rules::parse_time(s, utc)),
        t.fields.get("planned_end").and_then(|s| rules::parse_time(s, utc)),
    ) else {
        return Ok(None);
    };
    Ok(Some(crate::domain::schedule::Planned {
        id: t.id,
        window: crate::domain::schedule::Window { start, end },
        cis: crate::store::changes::ci_ids(tx, rowid)?,
    }))
}

/// After a change is submitted, scheduled or approved: the changes it now conflicts with.
fn schedule_notes(tx: &Tx, stored: &Stored, out: &Outcome) -> Result<Vec<String>> {
    use crate::domain::schedule::{LIVE_STATES, Why};
    if out.ticket.kind != Kind::Change || !LIVE_STATES.contains(&out.ticket.state.as_str()) {
        return Ok(Vec::new());
    }
    let Some(me) = planned(tx, stored.rowid, &out.ticket)? else {
        return Ok(Vec::new());
    };
    let others = crate::store::changes::live_between(tx, me.window.start, me.window.end)?;
    let edges = store_cmdb::edges(tx)?;
    let names = store_cmdb::names(tx)?;
    let name = |id: i64| {
        names
            .get(&id)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let mut notes: Vec<String> = crate::domain::schedule::conflicts_of(&me, &others, &edges)
        .into_iter()
        .map(|c| match c.why {
            Why::SameCi { ci } => format!("conflicts with {}: both change {} in the same window", c.b, name(ci)),
            Why::Linked { depends, on } => {
                format!(
                    "conflicts with {}: {} depends on {}, and their windows overlap",
                    c.b,
                    name(depends),
                    name(on)
                )
            }
        })
        .collect();
    let specs = crate::store::changes::maintenance(tx)?;
    for ci in super::changes::outside_maintenance(&me.window, &me.cis, &specs) {
        let windows = specs.get(&ci).map(|s| s.join("; ")).unwrap_or_default();
        notes.push(format!("is outside the maintenance window of {} ({windows})", name(ci)));
    }
    Ok(notes)
}

impl Desk {
    pub(super) fn operator_names(tx: &Tx) -> Result<Vec<String>> {
        Ok(store_ops::list(tx)?.into_iter().map(|o| o.name).collect())
    }

    /// Opens a ticket; `cis` are linked to it in the same transaction. An incident raised on a
    /// CI that a business service depends on, with no impact given, is given impact 1 (high),
    /// and the note says which service.
    pub fn create_ticket(&mut self, kind: Kind, draft: Draft, cis: &[String]) -> Result<Created> {
        let created = self.write(|tx, policy, who| {
            let now = Utc::now();
            let created = create_in(tx, policy, who, kind, draft, cis, now)?;
            super::notify::after_create(tx, policy, who, &created, now)?;
            Ok(created)
        })?;
        if self.has_hooks() {
            let h = super::hooks::Happened::new(
                crate::hooks::HookEvent::Created,
                &created.ticket,
                &self.who.name,
                self.place(),
            );
            self.fire(vec![h]);
        }
        Ok(created)
    }

    /// Writes what a domain decision produced, if the ticket is still at the version it was
    /// read at: the ticket with its milestones and SLA clocks (worked out from its `moves`
    /// before this one and this one) in one statement, then its events.
    #[allow(clippy::too_many_arguments)] // one call site, each a different part of the move
    fn commit(
        tx: &Tx,
        lifecycles: &crate::domain::Lifecycles,
        policy: &crate::domain::sla::Policy,
        stored: &Stored,
        mut moves: store_tickets::Moves,
        out: &Outcome,
        actor: &Actor,
        open: bool,
    ) -> Result<()> {
        if out.transition.is_none() && out.changes.is_empty() {
            return Ok(());
        }
        let lifecycle = lifecycles.get(out.ticket.kind);
        let mut m = stored.milestones;
        m.observe(lifecycle, out);
        // Times as the timeline keeps them (to the millisecond), so that the clocks are the
        // ones a recompute from the stored timeline gives.
        let stored_time = |t| crate::store::from_millis(crate::store::to_millis(t));
        if let Some((_, from, to)) = &out.transition {
            moves.push((stored_time(out.ticket.updated_at), from.clone(), to.clone()));
        }
        let t = &out.ticket;
        let first_assigned = m.first_assigned.map(stored_time);
        let history = History::of_moves(
            t.kind,
            t.priority,
            stored_time(t.created_at),
            &t.state,
            moves,
            first_assigned,
        );
        let derived = store_tickets::Derived {
            milestones: &m,
            clocks: &policy.clocks(lifecycle, &history),
            sla_flags: stored.sla_flags,
        };
        if !store_tickets::update_with(tx, stored.rowid, t, stored.ticket.version, open, Some(derived))? {
            let (by, at) =
                store_tickets::last_change(tx, stored.rowid)?.unwrap_or_else(|| ("someone".into(), Utc::now()));
            return Err(DeskError::Conflict {
                id: stored.ticket.id,
                by,
                at: short_time(at),
            });
        }
        store_tickets::record_outcome(tx, stored.rowid, out, actor)?;
        Ok(())
    }

    /// Runs one decision on one ticket inside one IMMEDIATE transaction.
    fn act(&mut self, id: TicketId, expected: Option<i64>, decide: impl Decide) -> Result<Outcome> {
        let out = self.write(|tx, policy, who| act_in(tx, policy, who, id, expected, decide))?;
        if self.has_hooks() {
            self.fire(super::hooks::Happened::of_outcome(&out, &self.who.name, self.place()));
        }
        Ok(out)
    }

    /// Takes transition `name` with field values and a note.
    pub fn transition(
        &mut self,
        id: TicketId,
        name: &str,
        fields: &[(String, String)],
        note: Option<&str>,
        expected: Option<i64>,
    ) -> Result<Outcome> {
        self.act(id, expected, |l, _, t, ctx| {
            rules::apply_transition(l, t, name, fields, note, ctx)
        })
    }

    /// Assigns to `who`, or to the acting operator.
    pub fn assign(
        &mut self,
        id: TicketId,
        who: Option<&str>,
        note: Option<&str>,
        expected: Option<i64>,
    ) -> Result<Outcome> {
        self.act(id, expected, |l, _, t, ctx| rules::assign(l, t, who, note, ctx))
    }

    /// Edits fields; returns an outcome with no changes when nothing differs (nothing is written).
    pub fn edit(
        &mut self,
        id: TicketId,
        fields: &[(String, String)],
        note: Option<&str>,
        expected: Option<i64>,
    ) -> Result<Outcome> {
        self.act(id, expected, |l, m, t, ctx| rules::edit(l, m, t, fields, note, ctx))
    }

    /// Adds a comment (or, `internal`, a work note). Final tickets take comments too.
    pub fn comment(&mut self, id: TicketId, text: &str, internal: bool) -> Result<i64> {
        self.write(|tx, policy, who| {
            let now = Utc::now();
            let event = comment_in(tx, who, id, text, internal, now)?;
            super::notify::after_comment(tx, policy, who, id, text, now)?;
            Ok(event)
        })
    }

    /// Leaves a ticket with nobody holding it (its state stays).
    pub fn unassign(&mut self, id: TicketId, note: Option<&str>, expected: Option<i64>) -> Result<Outcome> {
        self.act(id, expected, |l, _, t, ctx| rules::unassign(l, t, note, ctx))
    }

    /// Removes the link between two tickets, with an event on both. False if not linked.
    pub fn unlink_tickets(&mut self, a: TicketId, b: TicketId) -> Result<bool> {
        self.write(|tx, _, who| {
            let now = Utc::now();
            let (sa, sb) = (load(tx, a)?, load(tx, b)?);
            let actor = desk_actor(tx, who, now)?;
            if !store_tickets::unlink(tx, sa.rowid, sb.rowid)? {
                return Ok(false);
            }
            for (this, other) in [(&sa, &sb), (&sb, &sa)] {
                let other_id = other.ticket.id.to_string();
                let e = NewEvent {
                    kind: "unlink",
                    old: Some(&other_id),
                    version: Some(this.ticket.version + 1),
                    ..NewEvent::default()
                };
                store_tickets::touch(tx, this.rowid, now, this.ticket.version)?;
                store_tickets::append_event(tx, this.rowid, now, &actor, &e)?;
            }
            Ok(true)
        })
    }

    /// Removes a CI from a ticket. False if it was not linked.
    pub fn unlink_ci(&mut self, id: TicketId, ci: &str) -> Result<bool> {
        self.write(|tx, _, who| {
            let now = Utc::now();
            let stored = load(tx, id)?;
            let ci = ci_by_name(tx, ci)?;
            let actor = desk_actor(tx, who, now)?;
            if !store_cmdb::unlink_ticket(tx, stored.rowid, ci.rowid)? {
                return Ok(false);
            }
            let e = NewEvent {
                kind: "ci_unlink",
                old: Some(&ci.name),
                version: Some(stored.ticket.version + 1),
                ..NewEvent::default()
            };
            store_tickets::touch(tx, stored.rowid, now, stored.ticket.version)?;
            store_tickets::append_event(tx, stored.rowid, now, &actor, &e)?;
            Ok(true)
        })
    }

    /// Links two tickets; the relation follows from their kinds. False if already linked.
    pub fn link_tickets(&mut self, a: TicketId, b: TicketId) -> Result<bool> {
        self.write(|tx, _, who| link_in(tx, who, a, b, Utc::now()))
    }

    /// Links a ticket to a CI. False if already linked.
    pub fn link_ci(&mut self, id: TicketId, ci: &str) -> Result<bool> {
        self.write(|tx, _, who| {
            let now = Utc::now();
            let stored = load(tx, id)?;
            let ci = ci_by_name(tx, ci)?;
            let actor = desk_actor(tx, who, now)?;
            if !store_cmdb::link_ticket(tx, stored.rowid, ci.rowid)? {
                return Ok(false);
            }
            let e = NewEvent {
                kind: "ci_link",
                new: Some(&ci.name),
                version: Some(stored.ticket.version + 1),
                ..NewEvent::default()
            };
            store_tickets::touch(tx, stored.rowid, now, stored.ticket.version)?;
            store_tickets::append_event(tx, stored.rowid, now, &actor, &e)?;
            Ok(true)
        })
    }
}

/// Opens a ticket inside a write transaction (see [`Desk::create_ticket`]).
pub(super) fn create_in(
    tx: &Tx,
    policy: &Policy,
    who: &Who,
    kind: Kind,
    mut draft: Draft,
    cis: &[String],
    now: chrono::DateTime<Utc>,
) -> Result<Created> {
    let lifecycles = &policy.lifecycles;
    let matrix = &policy.matrix;
    let (actor, operators) = actor_among_operators(tx, who, now)?;
    let parties = crate::domain::Parties::default();
    let ctx = Context {
        actor: &actor,
        now,
        operators: &operators,
        linked_cis: cis.len(),
        local_offset: local_offset(),
        frozen_by: &[],
        parties: &parties,
    };
    let linked: Vec<Ci> = cis.iter().map(|n| ci_by_name(tx, n)).collect::<Result<_>>()?;
    let mut notes = Vec::new();
    if kind == Kind::Incident && draft.impact.is_none() && !linked.is_empty() {
        let classes = store_cmdb::names(tx)?;
        let edges = store_cmdb::edges(tx)?;
        let is_service = |id: i64| classes.get(&id).is_some_and(|(_, class)| class == "business_service");
        let hit = linked.iter().find_map(|ci| {
            crate::domain::cmdb::impacted_services(&edges, ci.rowid, is_service)
                .first()
                .map(|(service, _, _)| {
                    (
                        ci.name.clone(),
                        classes.get(service).map(|(n, _)| n.clone()).unwrap_or_default(),
                    )
                })
        });
        if let Some((ci, service)) = hit {
            draft.impact = Some(1);
            notes.push(format!("impact 1 (high): business service {service} depends on {ci}"));
        }
    }
    let ticket = rules::create(kind, draft, lifecycles, matrix, &ctx)?;
    let open = lifecycles.get(kind).is_open(&ticket.state);
    let (rowid, id) = store_tickets::insert(tx, &ticket, open)?;
    crate::store::sla::refresh(tx, &policy.sla, lifecycles, rowid, rowid)?;
    let snapshot = store_tickets::snapshot_of(&ticket);
    let created = NewEvent {
        kind: "created",
        field: Some("state"),
        new: Some(&ticket.state),
        note: Some(&ticket.title),
        version: Some(ticket.version),
        snapshot: Some(&snapshot),
        ..NewEvent::default()
    };
    store_tickets::append_event(tx, rowid, now, &actor, &created)?;
    for ci in &linked {
        if store_cmdb::link_ticket(tx, rowid, ci.rowid)? {
            let e = NewEvent {
                kind: "ci_link",
                new: Some(&ci.name),
                version: Some(ticket.version),
                ..NewEvent::default()
            };
            store_tickets::append_event(tx, rowid, now, &actor, &e)?;
        }
    }
    let mut ticket = ticket;
    ticket.id = id;
    Ok(Created {
        id,
        rowid,
        ticket,
        notes,
    })
}

/// A decision on one ticket: the domain's answer to a move, an assignment or an edit.
pub(super) trait Decide:
    Fn(&crate::domain::Lifecycles, &crate::domain::Matrix, &Ticket, &Context) -> Result<Outcome, crate::domain::Refusal>
{
}

impl<F> Decide for F where
    F: Fn(
        &crate::domain::Lifecycles,
        &crate::domain::Matrix,
        &Ticket,
        &Context,
    ) -> Result<Outcome, crate::domain::Refusal>
{
}

/// Runs one decision on one ticket inside a write transaction (see `Desk::act`).
pub(super) fn act_in(
    tx: &Tx,
    policy: &Policy,
    who: &Who,
    id: TicketId,
    expected: Option<i64>,
    decide: impl Decide,
) -> Result<Outcome> {
    let now = Utc::now();
    let (stored, cis) = store_tickets::get_with_ci_count(tx, id)?.ok_or(DeskError::NoTicket(id))?;
    check_version(tx, &stored, expected)?;
    let (actor, operators) = actor_among_operators(tx, who, now)?;
    let initial = policy.lifecycles.get(id.kind).initial().to_string();
    let (parties, moves) = store_tickets::parties_and_moves(tx, stored.rowid, &initial)?;
    let ctx = Context {
        actor: &actor,
        now,
        operators: &operators,
        linked_cis: cis,
        local_offset: local_offset(),
        frozen_by: &[],
        parties: &parties,
    };
    let mut out = decide(&policy.lifecycles, &policy.matrix, &stored.ticket, &ctx)?;
    // A move with a freeze rule is decided again knowing the freezes its window
    // (as it will be after the move) falls in.
    let frozen = freezes_for(tx, &policy.lifecycles, &stored, &out)?;
    if !frozen.is_empty() {
        let ctx = Context {
            frozen_by: &frozen,
            ..ctx.clone()
        };
        out = decide(&policy.lifecycles, &policy.matrix, &stored.ticket, &ctx)?;
    }
    super::family::refuse_ending_a_parent(tx, policy, stored.rowid, &out)?;
    let open = policy.lifecycles.get(out.ticket.kind).is_open(&out.ticket.state);
    Desk::commit(tx, &policy.lifecycles, &policy.sla, &stored, moves, &out, &actor, open)?;
    for name in &out.overrides {
        let e = NewEvent {
            kind: "freeze_override",
            field: Some(name),
            note: Some("approved in a freeze window"),
            version: Some(out.ticket.version),
            ..NewEvent::default()
        };
        store_tickets::append_event(tx, stored.rowid, now, &actor, &e)?;
    }
    out.notes = schedule_notes(tx, &stored, &out)?;
    super::notify::after_move(tx, policy, who, stored.rowid, &out, now)?;
    super::family::resolve_children(tx, policy, who, stored.rowid, &mut out)?;
    Ok(out)
}

/// Links two tickets inside a write transaction (see [`Desk::link_tickets`]).
pub(super) fn link_in(tx: &Tx, who: &Who, a: TicketId, b: TicketId, now: chrono::DateTime<Utc>) -> Result<bool> {
    if a == b {
        return Err(DeskError::Invalid(format!("{a} cannot be linked to itself")));
    }
    let (sa, sb) = (load(tx, a)?, load(tx, b)?);
    let actor = desk_actor(tx, who, now)?;
    let (swap, relation) = link_relation(a.kind, b.kind);
    let (from, to) = if swap { (&sb, &sa) } else { (&sa, &sb) };
    if !store_tickets::link(tx, from.rowid, to.rowid, relation, now)? {
        return Ok(false);
    }
    for (this, other) in [(&sa, &sb), (&sb, &sa)] {
        let other_id = other.ticket.id.to_string();
        let rel = if std::ptr::eq(this, from) {
            relation.to_string()
        } else {
            match relation {
                "caused_by" => "causes".into(),
                "fixed_by" => "fixes".into(),
                r => r.to_string(),
            }
        };
        let e = NewEvent {
            kind: "link",
            field: Some(&rel),
            new: Some(&other_id),
            version: Some(this.ticket.version + 1),
            ..NewEvent::default()
        };
        store_tickets::touch(tx, this.rowid, now, this.ticket.version)?;
        store_tickets::append_event(tx, this.rowid, now, &actor, &e)?;
    }
    Ok(true)
}

/// Adds a comment or work note inside a write transaction (see [`Desk::comment`]).
pub(super) fn comment_in(
    tx: &Tx,
    who: &Who,
    id: TicketId,
    text: &str,
    internal: bool,
    now: chrono::DateTime<Utc>,
) -> Result<i64> {
    let body = text.trim_end();
    if body.trim().is_empty() {
        return Err(DeskError::Invalid("the comment is empty".into()));
    }
    let stored = load(tx, id)?;
    let actor = desk_actor(tx, who, now)?;
    let comment_id = store_tickets::add_comment(tx, stored.rowid, now, &actor.name, body, internal)?;
    let e = NewEvent {
        kind: if internal { "work_note" } else { "comment" },
        comment_id: Some(comment_id),
        version: Some(stored.ticket.version + 1),
        ..NewEvent::default()
    };
    store_tickets::touch(tx, stored.rowid, now, stored.ticket.version)?;
    Ok(store_tickets::append_event(tx, stored.rowid, now, &actor, &e)?)
}

#[cfg(test)]
mod tests {
    use super::{Desk, link_relation, load};
    use crate::config::Config;
    use crate::domain::Kind;
    use crate::domain::rules::Draft;
    use crate::store::Sharing;

    /// A move writes the clocks it works out itself, in the statement that writes the ticket:
    /// after every kind of move they are the clocks a full recompute from the timeline gives.
    #[test]
    fn a_move_stores_the_clocks_the_timeline_gives() {
        let dir = tempfile::tempdir().expect("dir");
        let (mut desk, _) =
            Desk::create(dir.path().join("d.db"), "alice", Config::default(), Sharing::Private).expect("desk");
        let draft = Draft {
            title: "Payments down".into(),
            impact: Some(1),
            urgency: Some(1),
            ..Draft::default()
        };
        let id = desk.create_ticket(Kind::Incident, draft, &[]).expect("create").id;
        let f = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        let recomputed = |desk: &mut Desk, after: &str| {
            let changed = desk
                .write(|tx, policy, _| {
                    let rowid = load(tx, id)?.rowid;
                    Ok(crate::store::sla::refresh(
                        tx,
                        &policy.sla,
                        &policy.lifecycles,
                        rowid,
                        rowid,
                    )?)
                })
                .expect("recompute");
            assert_eq!(changed, 0, "a recompute changed the clocks stored by {after}");
        };
        desk.assign(id, None, None, None).expect("assign");
        recomputed(&mut desk, "assign");
        desk.transition(id, "pend", &f("pending_reason", "awaiting_vendor"), None, None)
            .expect("pend");
        recomputed(&mut desk, "pend");
        desk.transition(id, "resume", &[], None, None).expect("resume");
        recomputed(&mut desk, "resume");
        desk.edit(id, &f("impact", "3"), Some("one shop"), None).expect("edit");
        recomputed(&mut desk, "edit");
        let mut resolve = f("resolution_code", "fixed");
        resolve.extend(f("resolution_note", "restarted"));
        desk.transition(id, "resolve", &resolve, None, None).expect("resolve");
        recomputed(&mut desk, "resolve");
        desk.transition(id, "reopen", &[], Some("still down"), None)
            .expect("reopen");
        recomputed(&mut desk, "reopen");
        let clocks = desk.ticket(id).expect("view").sla;
        assert!(clocks.resolve.is_some(), "{clocks:?}");
    }

    #[test]
    fn link_relations_follow_the_kinds() {
        assert_eq!(link_relation(Kind::Incident, Kind::Problem), (false, "caused_by"));
        assert_eq!(link_relation(Kind::Problem, Kind::Incident), (true, "caused_by"));
        assert_eq!(link_relation(Kind::Problem, Kind::Change), (false, "fixed_by"));
        assert_eq!(link_relation(Kind::Change, Kind::Problem), (true, "fixed_by"));
        assert_eq!(link_relation(Kind::Incident, Kind::Incident), (false, "related"));
    }
}
