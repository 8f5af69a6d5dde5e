//! `opsdesk import`: records of another tool, replayed through the lifecycle rules and
//! written in batches. Each batch is one transaction that also records how far each key was
//! replayed, so a second run changes nothing and a run cut short resumes where it stopped.

use std::collections::HashMap;
use std::path::Path;

use chrono::Utc;
use rusqlite::Transaction;
use serde::Serialize;

use super::{Desk, DeskError, Result, desk_actor};
use crate::domain::Role;
use crate::import::mapping::Mapping;
use crate::import::replay::{Entry, Existing, People, Rejected, Replayed, Replayer};
use crate::import::{self, Records};
use crate::store::cmdb::{self as store_cmdb, Ci};
use crate::store::imports as store_imports;
use crate::store::tickets::{self as store_tickets, NewEvent};
use crate::store::{self, operators as store_ops};

/// Keys per transaction: small enough that other operators wait a fraction of a second for
/// the write lock, large enough that the commit's fsync is not the cost.
pub const BATCH: usize = 1_000;

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub source: String,
    pub dry_run: bool,
    pub rows: usize,
    /// Distinct keys in the file.
    pub records: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub events: usize,
    pub people_added: usize,
    pub cis_added: usize,
    pub rejected: Vec<Rejected>,
}

impl Desk {
    /// Imports `file` as `mapping` says. `progress` hears (rows done, rows in all) after each
    /// batch. With `dry_run`, every batch is rolled back: the report says what would happen.
    pub fn import(
        &mut self,
        file: &Path,
        mapping: &Mapping,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportReport> {
        let records = import::read(file, mapping).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let Records { groups, rows, rejected } = records;
        let mut report = ImportReport {
            file: file.display().to_string(),
            source: mapping.source.clone(),
            dry_run,
            rows,
            records: groups.len(),
            rejected,
            ..ImportReport::default()
        };
        let user = self.user.clone();
        let (importer, known, keys) = self.store.write(|tx| {
            let actor = desk_actor(tx, &user, Utc::now())?;
            if !actor.has(Role::Admin) {
                return Err(DeskError::NeedsAdmin {
                    actor: actor.name,
                    what: "import tickets".into(),
                });
            }
            let known: Vec<(String, Vec<Role>)> = store_ops::list(tx)?.into_iter().map(|o| (o.name, o.roles)).collect();
            Ok((actor, known, store_imports::keys(tx, &mapping.source)?))
        })?;
        let mut people = People::new(known);
        let replayer = Replayer {
            mapping,
            lifecycles: &self.config.lifecycles,
            matrix: &self.config.matrix,
            importer,
            now: Utc::now(),
        };
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut done = rows - groups.iter().map(|(_, r)| r.len()).sum::<usize>();
        progress(done, rows);
        for batch in groups.chunks(BATCH) {
            let work = |tx: &Transaction| -> Result<BatchCount> {
                // The search index is brought up to date once for the batch, in this same
                // transaction (see search::index_tickets).
                store::search::pause_index(tx)?;
                let mut count = BatchCount::default();
                let mut next = HashMap::new();
                for (key, rows) in batch {
                    let existing = match keys.get(key) {
                        Some(&(rowid, last_order)) => load_existing(tx, rowid, last_order)?,
                        None => None,
                    };
                    let rowid = existing.as_ref().map(|(r, _)| *r);
                    let replayed =
                        replayer.replay(key, rows, existing.map(|(_, e)| e), &mut people, &mut count.rejected);
                    for name in people.added.drain(..) {
                        store_ops::insert(tx, &name, &[Role::Agent], replayer.now)?;
                        count.people_added += 1;
                    }
                    match replayed {
                        None if rowid.is_some() => count.unchanged += 1,
                        None => {}
                        Some(r) => {
                            let write = Write {
                                source: &mapping.source,
                                key,
                                file: &file_name,
                                ci_class: &mapping.ci_class,
                            };
                            write.replayed(tx, &self.config.lifecycles, rowid, r, &mut next, &mut count)?;
                        }
                    }
                }
                store::search::index_tickets(tx, &count.written)?;
                Ok(count)
            };
            let count = if dry_run {
                self.store.rehearse(work)?
            } else {
                self.store.write(work)?
            };
            report.add(count);
            done += batch.iter().map(|(_, r)| r.len()).sum::<usize>();
            progress(done, rows);
        }
        report.rejected.sort_by_key(|r| r.line);
        Ok(report)
    }
}

#[derive(Default)]
struct BatchCount {
    created: usize,
    updated: usize,
    unchanged: usize,
    events: usize,
    people_added: usize,
    cis_added: usize,
    rejected: Vec<Rejected>,
    /// Row ids of the tickets written, for the search index.
    written: Vec<i64>,
}

impl ImportReport {
    fn add(&mut self, c: BatchCount) {
        self.created += c.created;
        self.updated += c.updated;
        self.unchanged += c.unchanged;
        self.events += c.events;
        self.people_added += c.people_added;
        self.cis_added += c.cis_added;
        self.rejected.extend(c.rejected);
    }
}

fn load_existing(tx: &Transaction, rowid: i64, last_order: i64) -> Result<Option<(i64, Existing)>> {
    let Some(stored) = store_tickets::get_by_rowid(tx, rowid)? else {
        return Ok(None);
    };
    let cis = store_cmdb::of_ticket(tx, rowid)?.into_iter().map(|c| c.name).collect();
    Ok(Some((
        rowid,
        Existing {
            ticket: stored.ticket,
            milestones: stored.milestones,
            last_order,
            cis,
        },
    )))
}

/// Where the records being written come from.
struct Write<'a> {
    source: &'a str,
    key: &'a str,
    file: &'a str,
    ci_class: &'a str,
}

impl Write<'_> {
    fn replayed(
        &self,
        tx: &Transaction,
        lifecycles: &crate::domain::Lifecycles,
        rowid: Option<i64>,
        r: Replayed,
        next: &mut HashMap<&'static str, i64>,
        count: &mut BatchCount,
    ) -> Result<()> {
        let kind = r.ticket.kind;
        let open = lifecycles.get(kind).is_open(&r.ticket.state);
        let rowid = match rowid {
            Some(rowid) => {
                let stored = store_tickets::get_by_rowid(tx, rowid)?
                    .ok_or_else(|| DeskError::Invalid(format!("the ticket imported as {} is gone", self.key)))?;
                if !store_tickets::update(tx, rowid, &r.ticket, stored.ticket.version, open)? {
                    return Err(DeskError::Invalid(format!(
                        "{} changed during the import",
                        stored.ticket.id
                    )));
                }
                store_tickets::set_milestones(tx, rowid, &r.milestones)?;
                count.updated += 1;
                rowid
            }
            None => {
                let n = match next.get(kind.name()) {
                    Some(n) => *n,
                    None => store_imports::max_number(tx, kind.name())?,
                } + 1;
                next.insert(kind.name(), n);
                let (rowid, _) = store_tickets::insert_numbered(tx, &r.ticket, n, open, &r.milestones)?;
                count.created += 1;
                rowid
            }
        };
        for entry in &r.entries {
            match entry {
                Entry::Created { at, actor } => {
                    let e = NewEvent {
                        kind: "created",
                        field: Some("state"),
                        new: Some(lifecycles.get(kind).initial()),
                        note: Some(&r.ticket.title),
                        ..NewEvent::default()
                    };
                    store_tickets::append_event(tx, rowid, *at, actor, &e)?;
                    count.events += 1;
                }
                Entry::Imported { at, actor } => {
                    let note = format!("imported from {}", self.file);
                    let e = NewEvent {
                        kind: "imported",
                        field: Some(self.source),
                        new: Some(self.key),
                        note: Some(&note),
                        ..NewEvent::default()
                    };
                    store_tickets::append_event(tx, rowid, *at, actor, &e)?;
                    count.events += 1;
                }
                Entry::Moved { actor, out } => {
                    store_tickets::record_outcome(tx, rowid, out, actor)?;
                    count.events += usize::from(out.transition.is_some()) + out.changes.len();
                }
                Entry::CiLink { at, actor, ci } => {
                    let ci_row = match store_cmdb::get(tx, ci)? {
                        Some(c) => c.rowid,
                        None => {
                            let new = Ci {
                                rowid: 0,
                                name: ci.clone(),
                                class: self.ci_class.to_string(),
                                status: "live".into(),
                                owner_team: None,
                                environment: None,
                                attrs: Default::default(),
                            };
                            count.cis_added += 1;
                            store_cmdb::insert(tx, &new, *at)?
                        }
                    };
                    if store_cmdb::link_ticket(tx, rowid, ci_row)? {
                        let e = NewEvent {
                            kind: "ci_link",
                            new: Some(ci),
                            ..NewEvent::default()
                        };
                        store_tickets::append_event(tx, rowid, *at, actor, &e)?;
                        count.events += 1;
                    }
                }
            }
        }
        store_imports::set_key(tx, self.source, self.key, rowid, r.last_order)?;
        count.written.push(rowid);
        Ok(())
    }
}
