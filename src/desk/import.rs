//! `opsdesk import`: records of another tool, replayed through the lifecycle rules and
//! written in batches. Each batch is one transaction that also records how far each key was
//! replayed, so a second run changes nothing and a run cut short resumes where it stopped.

use crate::store::Tx;
use std::collections::HashMap;
use std::path::Path;

use chrono::Utc;
use serde::Serialize;

use super::{Desk, DeskError, Result, desk_actor};
use crate::domain::Role;
use crate::import::mapping::{Mapping, NeededRole};
use crate::import::replay::{Cause, Entry, Existing, People, Rejected, Replayed, Replayer};
use crate::import::{self, Records};
use crate::store::cmdb::{self as store_cmdb, Ci};
use crate::store::imports as store_imports;
use crate::store::tickets::{self as store_tickets, NewEvent};
use crate::store::{self, operators as store_ops};

/// Keys per transaction: small enough that other operators wait a fraction of a second for
/// the write lock (about 0.2 s for 5,000 one-row tickets here), large enough that commits are
/// not the cost: each writes every page the batch touched to the log, and the same index pages
/// again and again in small batches (1,000 wrote 1.2 GB for a 110 MB desk, 5,000 wrote 0.5 GB
/// and took a sixth less time).
pub const BATCH: usize = 5_000;

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
    pub relations_added: usize,
    /// The roles the import needs (known from the mapping before a row is read), and what
    /// the importer lacks of them.
    pub roles_needed: Vec<NeededRole>,
    pub warnings: Vec<String>,
    /// Rows not taken, counted by why.
    pub not_taken: std::collections::BTreeMap<Cause, usize>,
    pub rejected: Vec<Rejected>,
    /// Changes whose planned window is longer than the desk's `changes.long_window`.
    pub long_windows: Vec<LongWindow>,
    /// The people and CIs counted as added: a dry run rolls each batch back, so a later
    /// batch adds them again and must not count them twice.
    #[serde(skip)]
    added: std::collections::HashSet<String>,
}

/// A change imported with a planned window longer than the desk flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LongWindow {
    pub key: String,
    pub days: f64,
}

impl Desk {
    /// The roles an import by this mapping needs, and a sentence for each the operator
    /// running it lacks: known before a row is read.
    pub fn import_roles(&mut self, mapping: &Mapping) -> Result<(Vec<NeededRole>, Vec<String>)> {
        let policy = self.policy()?;
        let needed = mapping.roles_needed(&policy.lifecycles);
        let who = self.who.clone();
        let actor = self.store.read(|tx| desk_actor(tx, &who, Utc::now()))?;
        let lacking = crate::import::mapping::lacking(&needed, &actor);
        Ok((needed, lacking))
    }

    /// Imports `file` as `mapping` says. `progress` hears (rows done, rows in all) after each
    /// batch. With `dry_run`, every batch is rolled back: the report says what would happen.
    pub fn import(
        &mut self,
        file: &Path,
        mapping: &Mapping,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportReport> {
        // Who imports, and what the import needs, known (and refused if the importer is no
        // admin) before a row is read.
        let who = self.who.clone();
        let policy = self.policy()?;
        let importer_by = self.who.clone();
        let (importer, known, keys) = self.store.write(|tx| {
            let actor = desk_actor(tx, &who, Utc::now())?;
            if !actor.has(Role::Admin) {
                return Err(DeskError::NeedsAdmin {
                    actor: actor.name,
                    what: "import tickets".into(),
                });
            }
            let known: Vec<(String, Vec<Role>)> = store_ops::list(tx)?.into_iter().map(|o| (o.name, o.roles)).collect();
            Ok((actor, known, store_imports::keys(tx, &mapping.source)?))
        })?;
        let roles_needed = mapping.roles_needed(&policy.lifecycles);
        let warnings = crate::import::mapping::lacking(&roles_needed, &importer);
        let records = import::read(file, mapping).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let Records { groups, rows, rejected } = records;
        let mut report = ImportReport {
            file: file.display().to_string(),
            source: mapping.source.clone(),
            dry_run,
            rows,
            records: groups.len(),
            rejected,
            roles_needed,
            warnings,
            ..ImportReport::default()
        };
        let long_window = policy.changes.long_window;
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut done = rows - groups.iter().map(|(_, r)| r.len()).sum::<usize>();
        progress(done, rows);
        let now = Utc::now();
        let lifecycles = &policy.lifecycles;
        let matrix = &policy.matrix;
        let path = self.store.place().clone();
        self.store.begin_large_writes()?;
        let store = &mut self.store;
        // One core replays the next batch (pure work, plus reading the tickets earlier imports
        // made, on a connection of its own) while the other writes the last one.
        let replayed = std::thread::scope(|scope| -> Result<()> {
            let (send, receive) = std::sync::mpsc::sync_channel::<Result<Replays>>(2);
            let groups = &groups;
            let keys = &keys;
            scope.spawn(move || {
                let replay_all = || -> Result<()> {
                    let mut reader = crate::store::Store::open(&path)?;
                    let mut people = People::new(known);
                    let replayer = Replayer {
                        mapping,
                        lifecycles,
                        matrix,
                        importer: std::rc::Rc::new(importer),
                        now,
                    };
                    for batch in groups.chunks(BATCH) {
                        let mut out = Replays::default();
                        reader.read(|tx| -> Result<()> {
                            for (key, rows) in batch {
                                let existing = match keys.get(key) {
                                    Some(&(rowid, last_order)) => load_existing(tx, rowid, last_order)?,
                                    None => None,
                                };
                                let base = existing.as_ref().map(|(r, e)| (*r, e.ticket.version));
                                let was_long = existing.as_ref().is_some_and(|(_, e)| is_long(&e.ticket, long_window));
                                let replayed = replayer.replay(
                                    key,
                                    rows,
                                    existing.map(|(_, e)| e),
                                    &mut people,
                                    &mut out.rejected,
                                );
                                if let Some(r) = replayed
                                    .as_ref()
                                    .filter(|r| !was_long && is_long(&r.ticket, long_window))
                                {
                                    out.long.push(LongWindow {
                                        key: key.clone(),
                                        days: window_days(&r.ticket).unwrap_or(0.0),
                                    });
                                }
                                out.items.push((key.clone(), base, replayed));
                            }
                            Ok(())
                        })?;
                        out.people = std::mem::take(&mut people.added);
                        out.rows = batch.iter().map(|(_, r)| r.len()).sum();
                        if send.send(Ok(out)).is_err() {
                            return Ok(());
                        }
                    }
                    Ok(())
                };
                if let Err(e) = replay_all() {
                    let _ = send.send(Err(e));
                }
            });
            for replays in receive {
                let replays = replays?;
                let work = |tx: &Tx| -> Result<BatchCount> {
                    // The search index is brought up to date once for the batch, in this same
                    // transaction (see search::index_tickets).
                    store::search::pause_index(tx)?;
                    let mut count = BatchCount::default();
                    for name in &replays.people {
                        store_ops::insert(tx, name, &[Role::Agent], now, importer_by.by())?;
                        count.new_people.push(name.clone());
                    }
                    let mut next = HashMap::new();
                    for (key, base, replayed) in &replays.items {
                        match replayed {
                            None if base.is_some() => count.unchanged += 1,
                            None => {}
                            Some(r) => {
                                let write = Write {
                                    source: &mapping.source,
                                    key,
                                    file: &file_name,
                                    sla: &policy.sla,
                                };
                                write.replayed(tx, lifecycles, *base, r, &mut next, &mut count)?;
                            }
                        }
                    }
                    store::search::index_tickets(tx, &count.written)?;
                    store::sla::refresh_rows(tx, &policy.sla, lifecycles, &count.grown)?;
                    Ok(count)
                };
                let count = if dry_run {
                    store.rehearse(work)?
                } else {
                    store.write(work)?
                };
                report.add(count);
                report.rejected.extend(replays.rejected);
                report.long_windows.extend(replays.long);
                done += replays.rows;
                progress(done, rows);
            }
            Ok(())
        });
        self.store.end_large_writes()?;
        replayed?;
        report.rejected.sort_by_key(|r| r.line);
        for r in &report.rejected {
            *report.not_taken.entry(r.cause).or_default() += 1;
        }
        Ok(report)
    }
}

/// A ticket an earlier import made: its row id and the version the replay read.
type Base = (i64, i64);

/// One batch replayed: per key, the ticket it already is (row id and the version read) and
/// what replaying made of it.
#[derive(Default)]
struct Replays {
    items: Vec<(String, Option<Base>, Option<Replayed>)>,
    people: Vec<String>,
    rejected: Vec<Rejected>,
    long: Vec<LongWindow>,
    rows: usize,
}

/// The planned window of a change, in days.
fn window_days(t: &crate::domain::Ticket) -> Option<f64> {
    let time = |f: &str| {
        t.fields
            .get(f)
            .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
    };
    let (start, end) = (time("planned_start")?, time("planned_end")?);
    Some(((end - start).num_minutes() as f64 / 1440.0 * 10.0).round() / 10.0)
}

fn is_long(t: &crate::domain::Ticket, limit: chrono::Duration) -> bool {
    window_days(t).is_some_and(|d| d * 1440.0 > limit.num_minutes() as f64)
}

#[derive(Default)]
struct BatchCount {
    created: usize,
    updated: usize,
    unchanged: usize,
    events: usize,
    new_people: Vec<String>,
    new_cis: Vec<String>,
    new_relations: Vec<String>,
    rejected: Vec<Rejected>,
    /// Row ids of the tickets written, for the search index.
    written: Vec<i64>,
    /// Row ids of tickets that were on the desk before: their SLA clocks are worked out
    /// again from their whole timeline (a new ticket's are written with it).
    grown: Vec<i64>,
}

impl ImportReport {
    fn add(&mut self, c: BatchCount) {
        self.created += c.created;
        self.updated += c.updated;
        self.unchanged += c.unchanged;
        self.events += c.events;
        for p in c.new_people {
            if self.added.insert(format!("person {p}")) {
                self.people_added += 1;
            }
        }
        for ci in c.new_cis {
            if self.added.insert(format!("ci {ci}")) {
                self.cis_added += 1;
            }
        }
        for r in c.new_relations {
            if self.added.insert(format!("relation {r}")) {
                self.relations_added += 1;
            }
        }
        self.rejected.extend(c.rejected);
    }
}

fn load_existing(tx: &Tx, rowid: i64, last_order: i64) -> Result<Option<(i64, Existing)>> {
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
    sla: &'a crate::domain::sla::Policy,
}

impl Write<'_> {
    fn replayed(
        &self,
        tx: &Tx,
        lifecycles: &crate::domain::Lifecycles,
        base: Option<Base>,
        r: &Replayed,
        next: &mut HashMap<&'static str, i64>,
        count: &mut BatchCount,
    ) -> Result<()> {
        let kind = r.ticket.kind;
        let open = lifecycles.get(kind).is_open(&r.ticket.state);
        // A record that only names relations between CIs (a second run of a snapshot, say)
        // leaves its ticket as it is.
        if base.is_some() && r.entries.iter().all(|e| matches!(e, Entry::Relate { .. })) {
            for e in &r.entries {
                self.entry(tx, lifecycles, 0, r, e, count)?;
            }
            count.unchanged += 1;
            return Ok(());
        }
        let rowid = match base {
            Some((rowid, version)) => {
                // Written only if nobody changed the ticket since the replay read it.
                if !store_tickets::update(tx, rowid, &r.ticket, version, open)? {
                    return Err(DeskError::Invalid(format!(
                        "{} (imported as {}) was changed while the import ran: run it again",
                        r.ticket.id, self.key
                    )));
                }
                store_tickets::set_milestones(tx, rowid, &r.milestones)?;
                count.updated += 1;
                count.grown.push(rowid);
                rowid
            }
            None => {
                let n = match next.get(kind.name()) {
                    Some(n) => *n,
                    None => store_tickets::max_number(tx, kind)?,
                } + 1;
                next.insert(kind.name(), n);
                let clocks = self.clocks(lifecycles, r);
                let (rowid, _) = store_tickets::insert_numbered(tx, &r.ticket, n, open, &r.milestones, &clocks)?;
                count.created += 1;
                rowid
            }
        };
        for entry in &r.entries {
            self.entry(tx, lifecycles, rowid, r, entry, count)?;
        }
        store_imports::set_key(tx, self.source, self.key, rowid, r.last_order)?;
        count.written.push(rowid);
        Ok(())
    }
    /// The SLA clocks of a ticket new to the desk, from its replayed moves as
    /// `store::sla::refresh` works them out from its timeline (a test holds the two to the
    /// same clocks): written with the ticket, it needs no refresh after the batch.
    fn clocks(&self, lifecycles: &crate::domain::Lifecycles, r: &Replayed) -> crate::domain::sla::Clocks {
        use chrono::SubsecRound;
        // Times as the desk keeps them, to the millisecond.
        let ms = |t: chrono::DateTime<Utc>| t.trunc_subsecs(3);
        let moves = r
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Moved {
                    at,
                    transition: Some((_, from, to)),
                    ..
                } => Some((ms(*at), from.clone(), to.clone())),
                _ => None,
            })
            .collect();
        let t = &r.ticket;
        let history = crate::domain::sla::History::of_moves(
            t.kind,
            t.priority,
            ms(t.created_at),
            &t.state,
            moves,
            r.milestones.first_assigned.map(ms),
        );
        self.sla.clocks(lifecycles.get(t.kind), &history)
    }

    /// Writes one entry of a record's timeline (or a relation between CIs) for ticket `rowid`.
    fn entry(
        &self,
        tx: &Tx,
        lifecycles: &crate::domain::Lifecycles,
        rowid: i64,
        r: &Replayed,
        entry: &Entry,
        count: &mut BatchCount,
    ) -> Result<()> {
        let kind = r.ticket.kind;
        match entry {
            Entry::Created { at, actor, snapshot } => {
                let e = NewEvent {
                    kind: "created",
                    field: Some("state"),
                    new: Some(lifecycles.get(kind).initial()),
                    note: Some(&r.ticket.title),
                    version: Some(r.ticket.version),
                    snapshot: Some(snapshot),
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
                    version: Some(r.ticket.version),
                    ..NewEvent::default()
                };
                store_tickets::append_event(tx, rowid, *at, actor, &e)?;
                count.events += 1;
            }
            Entry::Moved {
                actor,
                at,
                transition,
                changes,
                note,
            } => {
                let m = store_tickets::Moved {
                    at: *at,
                    transition: transition.as_ref(),
                    changes,
                    note: note.as_deref(),
                    // What the import writes ends at the version its row holds.
                    version: Some(r.ticket.version),
                };
                store_tickets::record_moved(tx, rowid, &m, actor)?;
                count.events += usize::from(transition.is_some()) + changes.len();
            }
            Entry::Relate { at, from, relation, to } => {
                let a = ensure_ci(tx, &from.0, &from.1, *at, count)?;
                let b = ensure_ci(tx, &to.0, &to.1, *at, count)?;
                if store_cmdb::relate(tx, a, *relation, b)? {
                    count
                        .new_relations
                        .push(format!("{} {relation} {}", from.0.to_lowercase(), to.0.to_lowercase()));
                }
            }
            Entry::CiLink { at, actor, ci, class } => {
                let ci_row = ensure_ci(tx, ci, class, *at, count)?;
                if store_cmdb::link_ticket(tx, rowid, ci_row)? {
                    let e = NewEvent {
                        kind: "ci_link",
                        new: Some(ci),
                        version: Some(r.ticket.version),
                        ..NewEvent::default()
                    };
                    store_tickets::append_event(tx, rowid, *at, actor, &e)?;
                    count.events += 1;
                }
            }
        }
        Ok(())
    }
}

/// The CI of this name, created with `class` if the desk has none.
fn ensure_ci(tx: &Tx, name: &str, class: &str, at: chrono::DateTime<Utc>, count: &mut BatchCount) -> Result<i64> {
    if let Some(c) = store_cmdb::get(tx, name)? {
        return Ok(c.rowid);
    }
    let new = Ci {
        rowid: 0,
        name: name.to_string(),
        class: class.to_string(),
        status: "live".into(),
        owner_team: None,
        environment: None,
        attrs: Default::default(),
    };
    count.new_cis.push(name.to_lowercase());
    Ok(store_cmdb::insert(tx, &new, at)?)
}
