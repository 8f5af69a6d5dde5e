//! `opsdesk export` and its way back: every ticket with its whole timeline as JSON lines
//! (or the tickets alone as CSV, for spreadsheets), and restoring such a file into a desk
//! verbatim, without a mapping.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Desk, DeskError, Result, desk_actor};
use crate::domain::kpi::Milestones;
use crate::domain::rules::FieldChange;
use crate::domain::{Kind, Role, Ticket, TicketId};
use crate::store::cmdb::{self as store_cmdb, Ci};
use crate::store::tickets::{self as store_tickets, NewEvent};
use crate::store::{self, imports};

/// What the first field of every exported line says.
pub const FORMAT: &str = "opsdesk-export/1";
/// The import source name restored tickets are keyed under (a second restore skips them).
const SOURCE: &str = "opsdesk-export";

/// One ticket as exported: its fields, its CIs and its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exported {
    pub format: String,
    pub id: String,
    pub kind: Kind,
    pub state: String,
    pub title: String,
    pub description: String,
    pub impact: u8,
    pub urgency: u8,
    pub priority: u8,
    pub requester: String,
    pub assignee: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub cis: Vec<ExportedCi>,
    pub timeline: Vec<ExportedEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedCi {
    pub name: String,
    pub class: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub note: Option<String>,
    /// The text of a comment or work note.
    pub comment: Option<String>,
}

/// The formats `opsdesk export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// What a restore did.
#[derive(Debug, Clone, Default, Serialize)]
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

/// The CSV header: the common fields, then every optional field of ITIL.md.
fn csv_header() -> Vec<&'static str> {
    let mut h = vec![
        "id",
        "kind",
        "state",
        "title",
        "description",
        "impact",
        "urgency",
        "priority",
        "requester",
        "assignee",
        "created_at",
        "updated_at",
        "version",
        "cis",
    ];
    let rest: Vec<&'static str> = crate::domain::ticket::FIELDS
        .iter()
        .map(|f| f.name)
        .filter(|f| !h.contains(f))
        .collect();
    h.extend(rest);
    h
}

impl Desk {
    /// Writes every ticket (of `kind`, if given) to `out`, oldest first. Returns how many.
    pub fn export(&mut self, format: ExportFormat, kind: Option<Kind>, out: &mut dyn Write) -> Result<usize> {
        let io = |e: std::io::Error| DeskError::Invalid(format!("cannot write the export: {e}"));
        let csv_err = |e: csv::Error| DeskError::Invalid(format!("cannot write the export: {e}"));
        let csv = format == ExportFormat::Csv;
        let header = csv_header();
        // One CSV record, quoted as CSV needs.
        let csv_line = |fields: &[String]| -> Result<Vec<u8>> {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(fields).map_err(csv_err)?;
            w.into_inner()
                .map_err(|e| DeskError::Invalid(format!("cannot write the export: {e}")))
        };
        if csv {
            let names: Vec<String> = header.iter().map(|h| h.to_string()).collect();
            out.write_all(&csv_line(&names)?).map_err(io)?;
        }
        let mut count = 0;
        self.store.read(|tx| {
            let rowids: Vec<i64> = {
                let mut stmt = tx.prepare("SELECT id FROM tickets WHERE ?1 IS NULL OR kind = ?1 ORDER BY id")?;
                let rows = stmt.query_map([kind.map(Kind::name)], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for rowid in rowids {
                let Some(stored) = store_tickets::get_by_rowid(tx, rowid)? else {
                    continue;
                };
                let t = stored.ticket;
                let cis = store_cmdb::of_ticket(tx, rowid)?;
                if csv {
                    let names: Vec<&str> = cis.iter().map(|c| c.name.as_str()).collect();
                    let row: Vec<String> = header
                        .iter()
                        .map(|h| match *h {
                            "id" => t.id.to_string(),
                            "kind" => t.kind.name().to_string(),
                            "created_at" => crate::domain::rules::format_time(t.created_at),
                            "updated_at" => crate::domain::rules::format_time(t.updated_at),
                            "version" => t.version.to_string(),
                            "cis" => names.join(";"),
                            other => t.get(other).unwrap_or_default(),
                        })
                        .collect();
                    out.write_all(&csv_line(&row)?).map_err(io)?;
                } else {
                    let timeline = store_tickets::timeline(tx, rowid)?
                        .into_iter()
                        .map(|e| ExportedEvent {
                            at: e.at,
                            actor: e.actor,
                            kind: e.kind,
                            field: e.field,
                            old: e.old,
                            new: e.new,
                            note: e.note,
                            comment: e.comment,
                        })
                        .collect();
                    let record = Exported {
                        format: FORMAT.into(),
                        id: t.id.to_string(),
                        kind: t.kind,
                        state: t.state,
                        title: t.title,
                        description: t.description,
                        impact: t.impact,
                        urgency: t.urgency,
                        priority: t.priority,
                        requester: t.requester,
                        assignee: t.assignee,
                        fields: t.fields,
                        created_at: t.created_at,
                        updated_at: t.updated_at,
                        version: t.version,
                        cis: cis
                            .into_iter()
                            .map(|c| ExportedCi {
                                name: c.name,
                                class: c.class,
                            })
                            .collect(),
                        timeline,
                    };
                    let line = serde_json::to_string(&record)
                        .map_err(|e| DeskError::Invalid(format!("cannot write the export: {e}")))?;
                    out.write_all(crate::text::json_safe(line).as_bytes()).map_err(io)?;
                    out.write_all(b"\n").map_err(io)?;
                }
                count += 1;
            }
            Ok::<_, DeskError>(())
        })?;
        out.flush().map_err(io)?;
        Ok(count)
    }

    /// Restores an export made by [`Desk::export`] (JSON lines): each ticket with its
    /// number, fields, CIs and timeline as they were. Every line is read and checked
    /// against the lifecycles before anything is written; a bad line refuses the file.
    /// Tickets restored before (from any export of the same tickets) are skipped; a number
    /// the desk already uses goes to the next free one. Needs the admin role.
    pub fn restore(&mut self, file: &Path, dry_run: bool) -> Result<RestoreReport> {
        let shown = file.display().to_string();
        let reader = std::fs::File::open(file).map_err(|e| DeskError::Invalid(format!("cannot read {shown}: {e}")))?;
        let mut records = Vec::new();
        for (i, line) in std::io::BufReader::new(reader).lines().enumerate() {
            let line = line.map_err(|e| DeskError::Invalid(format!("cannot read {shown}: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let at = |m: String| DeskError::Invalid(format!("{shown}:{}: {m}", i + 1));
            let r: Exported =
                serde_json::from_str(&line).map_err(|e| at(format!("not an opsdesk export line: {e}")))?;
            if r.format != FORMAT {
                return Err(at(format!("format `{}` is not {FORMAT}", r.format)));
            }
            self.check_exported(&r).map_err(at)?;
            records.push(r);
        }
        let mut report = RestoreReport {
            file: shown,
            dry_run,
            records: records.len(),
            ..RestoreReport::default()
        };
        let user = self.user.clone();
        let (policy, lifecycles) = (self.config.sla.policy.clone(), self.config.lifecycles.clone());
        let work = |tx: &rusqlite::Transaction| -> Result<()> {
            let actor = desk_actor(tx, &user, Utc::now())?;
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
                    };
                    store_tickets::append_event(tx, rowid, e.at, &e.actor, &ev)?;
                    report.events += 1;
                }
                imports::set_key(tx, SOURCE, &r.id, rowid, 0)?;
                written.push(rowid);
                report.created += 1;
            }
            store::search::index_tickets(tx, &written)?;
            store::sla::refresh_rows(tx, &policy, &lifecycles, &written)?;
            Ok(())
        };
        if dry_run {
            self.store.rehearse(work)?;
        } else {
            self.store.write(work)?;
        }
        Ok(report)
    }

    /// A restored ticket must be one this desk's lifecycles could hold: a known state, and
    /// every transition of its timeline one of its lifecycle's moves.
    fn check_exported(&self, r: &Exported) -> std::result::Result<(), String> {
        let lifecycle = self.config.lifecycles.get(r.kind);
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
        Ok(())
    }
}
