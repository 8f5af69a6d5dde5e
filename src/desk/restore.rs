//! Restoring an `opsdesk export` (JSON lines) into a desk verbatim, without a mapping: each
//! ticket with its number, fields, CIs and timeline as they were. The file is read whole and
//! checked before anything is written — every line against the desk's lifecycles and the
//! rules the CLI applies to names and values, and the export's last line (its record count
//! and digest) against what came before, so an export cut short is refused, not restored as
//! if it were complete.

use crate::store::Tx;
use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::export::{Exported, FORMAT, Trailer};
use super::{Desk, DeskError, Result, desk_actor};
use crate::domain::kpi::Milestones;
use crate::domain::rules::FieldChange;
use crate::domain::{Lifecycles, Role, Ticket, TicketId};
use crate::import::bounded;
use crate::store::cmdb::{self as store_cmdb, Ci};
use crate::store::tickets::{self as store_tickets, By, NewEvent};
use crate::store::{self, imports};

/// The import source name restored tickets are keyed under (a second restore skips them).
const SOURCE: &str = "opsdesk-export";

/// What a restore did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RestoreReport {
    pub file: String,
    pub dry_run: bool,
    pub records: usize,
    pub created: usize,
    /// Already restored by an earlier run.
    pub unchanged: usize,
    /// Restored under another number because the desk already had a ticket by theirs.
    pub renumbered: Vec<(String, String)>,
    pub events: usize,
    pub cis_added: usize,
}

/// A line of an export: a ticket, or the end.
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    End(Trailer),
    Record(Box<Exported>),
}

/// Reads and checks a whole export: its records, once its end line vouches for all of them.
fn read_export(file: &Path, lifecycles: &Lifecycles) -> Result<Vec<Exported>> {
    let shown = file.display().to_string();
    let f = std::fs::File::open(file).map_err(|e| DeskError::Invalid(format!("cannot read {shown}: {e}")))?;
    let mut reader = std::io::BufReader::new(f);
    let mut records = Vec::new();
    let mut digest = Sha256::new();
    let mut end = None;
    let mut buf = Vec::new();
    let mut n = 0u64;
    while bounded::read_line(&mut reader, &mut buf, bounded::MAX_EXPORT_LINE, n + 1)
        .map_err(|e| DeskError::Invalid(format!("{shown}: {e}")))?
    {
        n += 1;
        let at = |m: String| DeskError::Invalid(format!("{shown}:{n}: {m}"));
        let text = std::str::from_utf8(&buf).map_err(|_| at("not UTF-8 text: not an opsdesk export".into()))?;
        if text.trim().is_empty() {
            continue;
        }
        if end.is_some() {
            return Err(at(
                "there is more after the export's end line: this is not one whole export".into(),
            ));
        }
        match serde_json::from_str::<Line>(text.trim_end_matches(['\n', '\r']))
            .map_err(|e| at(format!("not an opsdesk export line: {e}")))?
        {
            Line::End(t) => end = Some(t),
            Line::Record(r) => {
                if r.format != FORMAT {
                    return Err(at(format!("format `{}` is not {FORMAT}", r.format)));
                }
                check_exported(lifecycles, &r).map_err(at)?;
                // The digest is of the lines as exported, which end in "\n".
                digest.update(text.trim_end_matches(['\n', '\r']).as_bytes());
                digest.update(b"\n");
                records.push(*r);
            }
        }
    }
    let found = records.len();
    let Some(end) = end else {
        return Err(DeskError::Invalid(format!(
            "{shown} is cut short: {found} record{} and no end line (an export ends with a line that counts its \
             records); nothing was restored — export again",
            if found == 1 { "" } else { "s" }
        )));
    };
    if end.format != FORMAT || !end.end || end.records != found {
        return Err(DeskError::Invalid(format!(
            "{shown}: its end line counts {} records but {found} came before it; nothing was restored",
            end.records
        )));
    }
    if crate::store::chain::hex(&digest.finalize()) != end.sha256.to_ascii_lowercase() {
        return Err(DeskError::Invalid(format!(
            "{shown}: its records are not the ones exported (their digest differs from its end line); nothing was restored"
        )));
    }
    Ok(records)
}

impl Desk {
    /// Restores an export made by [`Desk::export`] (JSON lines): each ticket with its
    /// number, fields, CIs and timeline as they were. Every line is read and checked
    /// against the lifecycles before anything is written; a bad line refuses the file.
    /// Tickets restored before (from any export of the same tickets) are skipped; a number
    /// the desk already uses goes to the next free one. Needs the admin role.
    pub fn restore(&mut self, file: &Path, dry_run: bool) -> Result<RestoreReport> {
        let shown = file.display().to_string();
        let policy = self.policy()?;
        let records = read_export(file, &policy.lifecycles)?;
        let mut report = RestoreReport {
            file: shown,
            dry_run,
            records: records.len(),
            ..RestoreReport::default()
        };
        let who = self.who.clone();
        let lifecycles = &policy.lifecycles;
        let work = |tx: &Tx| -> Result<()> {
            let actor = desk_actor(tx, &who, Utc::now())?;
            if !actor.has(Role::Admin) {
                return Err(DeskError::NeedsAdmin {
                    actor: actor.name,
                    what: "restore an export".into(),
                });
            }
            store::search::pause_index(tx)?;
            let done = imports::keys(tx, SOURCE)?;
            let mut written = Vec::new();
            for r in &records {
                if done.contains_key(&r.id) {
                    report.unchanged += 1;
                    continue;
                }
                let id: TicketId = r.id.parse().map_err(|e| DeskError::Invalid(format!("{e}")))?;
                let mut number = i64::try_from(id.number).unwrap_or(i64::MAX);
                if store_tickets::get(tx, id)?.is_some() {
                    number = store_tickets::max_number(tx, r.kind)? + 1;
                    report
                        .renumbered
                        .push((r.id.clone(), TicketId::new(r.kind, number as u64).to_string()));
                }
                let lifecycle = lifecycles.get(r.kind);
                let mut m = Milestones::default();
                for e in &r.timeline {
                    match (e.kind.as_str(), &e.field) {
                        ("transition", Some(name)) => {
                            let t = (
                                name.clone(),
                                e.old.clone().unwrap_or_default(),
                                e.new.clone().unwrap_or_default(),
                            );
                            m.observe_move(lifecycle, r.kind, e.at, Some(&t), &[]);
                        }
                        ("field", Some(field)) => {
                            let c = FieldChange {
                                field: field.clone(),
                                old: e.old.clone(),
                                new: e.new.clone(),
                            };
                            m.observe_move(lifecycle, r.kind, e.at, None, &[c]);
                        }
                        _ => {}
                    }
                }
                if r.assignee.is_some() && m.first_assigned.is_none() {
                    m.first_assigned = Some(r.created_at);
                }
                let ticket = Ticket {
                    id: TicketId::new(r.kind, number as u64),
                    kind: r.kind,
                    state: r.state.clone(),
                    title: r.title.clone(),
                    description: r.description.clone(),
                    impact: r.impact,
                    urgency: r.urgency,
                    priority: r.priority,
                    requester: r.requester.clone(),
                    assignee: r.assignee.clone(),
                    fields: r.fields.clone(),
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                    version: r.version,
                };
                let open = lifecycle.is_open(&r.state);
                let (rowid, _) = store_tickets::insert_numbered(tx, &ticket, number, open, &m, &Default::default())?;
                for ci in &r.cis {
                    let ci_rowid = match store_cmdb::get(tx, &ci.name)? {
                        Some(c) => c.rowid,
                        None => {
                            report.cis_added += 1;
                            let new = Ci {
                                rowid: 0,
                                name: ci.name.clone(),
                                class: ci.class.clone(),
                                status: "live".into(),
                                owner_team: None,
                                environment: None,
                                attrs: BTreeMap::new(),
                            };
                            store_cmdb::insert(tx, &new, r.created_at)?
                        }
                    };
                    store_cmdb::link_ticket(tx, rowid, ci_rowid)?;
                }
                let mut replayable = false;
                for e in &r.timeline {
                    let comment_id = match (e.kind.as_str(), &e.comment) {
                        ("comment" | "work_note", Some(body)) => Some(store_tickets::add_comment(
                            tx,
                            rowid,
                            e.at,
                            &e.actor,
                            body,
                            e.kind == "work_note",
                        )?),
                        _ => None,
                    };
                    let ev = NewEvent {
                        kind: &e.kind,
                        field: e.field.as_deref(),
                        old: e.old.as_deref(),
                        new: e.new.as_deref(),
                        note: e.note.as_deref(),
                        comment_id,
                        version: Some(r.version),
                        snapshot: e.snapshot.as_deref(),
                    };
                    let by = By {
                        name: &e.actor,
                        via: e.via.as_deref(),
                    };
                    replayable |= e.snapshot.is_some();
                    store_tickets::append_event(tx, rowid, e.at, by, &ev)?;
                    report.events += 1;
                    // The watchers are what the timeline's watch and unwatch say.
                    match (e.kind.as_str(), e.new.as_deref(), e.old.as_deref()) {
                        ("watch", Some(w), _) => {
                            store::mail::watch(tx, rowid, w, e.at)?;
                        }
                        ("unwatch", _, Some(w)) => {
                            store::mail::unwatch(tx, rowid, w)?;
                        }
                        _ => {}
                    }
                }
                if !replayable {
                    // An export from before replays began: the desk vouches for it as restored.
                    let snapshot = store_tickets::snapshot_of(&ticket);
                    let e = NewEvent {
                        kind: "baseline",
                        note: Some("state recorded for the audit when the ticket was restored"),
                        version: Some(r.version),
                        snapshot: Some(&snapshot),
                        ..NewEvent::default()
                    };
                    store_tickets::append_event(tx, rowid, Utc::now(), &actor, &e)?;
                }
                imports::set_key(tx, SOURCE, &r.id, rowid, 0)?;
                written.push(rowid);
                report.created += 1;
            }
            store::search::index_tickets(tx, &written)?;
            store::sla::refresh_rows(tx, &policy.sla, lifecycles, &written)?;
            Ok(())
        };
        if dry_run {
            self.store.rehearse(work)?;
        } else {
            self.store.write(work)?;
        }
        Ok(report)
    }
}

/// A restored ticket must be one this desk's lifecycles could hold: a known state, and
/// every transition of its timeline one of its lifecycle's moves.
fn check_exported(lifecycles: &Lifecycles, r: &Exported) -> std::result::Result<(), String> {
    let lifecycle = lifecycles.get(r.kind);
    if !lifecycle.has_state(&r.state) {
        return Err(format!(
            "{}: state `{}` is not a state of {}",
            r.id,
            r.state,
            r.kind.name()
        ));
    }
    let id: TicketId = r.id.parse().map_err(|e| format!("{e}"))?;
    if id.kind != r.kind {
        return Err(format!("{}: id does not match kind {}", r.id, r.kind.name()));
    }
    for e in r.timeline.iter().filter(|e| e.kind == "transition") {
        let (name, from, to) = (
            e.field.as_deref().unwrap_or(""),
            e.old.as_deref().unwrap_or(""),
            e.new.as_deref().unwrap_or(""),
        );
        let known = lifecycle
            .transitions
            .iter()
            .any(|t| t.name == name && t.to == to && t.from.iter().any(|f| f == from));
        if !known {
            return Err(format!(
                "{}: `{name}` from {from} to {to} is not a move of the {} lifecycle",
                r.id,
                r.kind.name()
            ));
        }
    }
    if !(1..=3).contains(&r.impact) || !(1..=3).contains(&r.urgency) || !(1..=5).contains(&r.priority) {
        return Err(format!("{}: impact, urgency or priority out of range", r.id));
    }
    // Names and values by the rules the CLI applies when they are typed.
    for ci in &r.cis {
        crate::domain::cmdb::check_ci_name(&ci.name).map_err(|e| format!("{}: {e}", r.id))?;
        crate::domain::cmdb::check_class(&ci.class).map_err(|e| format!("{}: {e}", r.id))?;
    }
    // The people it names: requester, assignee, and who acted in its timeline.
    let actors = r.timeline.iter().flat_map(|e| std::iter::once(&e.actor).chain(&e.via));
    for who in std::iter::once(&r.requester).chain(&r.assignee).chain(actors) {
        if !crate::text::printable_name(who) {
            return Err(format!(
                "{}: `{}` is not a name opsdesk shows as it is",
                r.id,
                crate::text::inert(who, false)
            ));
        }
    }
    for (field, value) in &r.fields {
        crate::domain::rules::check_stored(lifecycles, r.kind, field, value).map_err(|e| format!("{}: {e}", r.id))?;
    }
    if r.title.trim().is_empty() {
        return Err(format!("{}: the title is empty", r.id));
    }
    Ok(())
}
