//! Replaying one source record (all the rows that share a key) through the lifecycle rules.
//! Pure: the rows, the existing ticket and the people known come in; the ticket, its events
//! and the rows that could not be taken come out. Nothing here bypasses a rule: a state the
//! source reached is reached by the moves the lifecycle allows, each with the fields it needs
//! (or, where the mapping says `history = "as-recorded"`, as the source recorded it, in the
//! open: an `as_recorded` move in the timeline).

use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, Utc};

use super::mapping::{Mapping, TimeError};
use crate::domain::kpi::Milestones;
use crate::domain::lifecycle::Lifecycles;
use crate::domain::operator::{Actor, Role, valid_operator_name};
use crate::domain::priority::Matrix;
use crate::domain::rules::FieldChange;
use crate::domain::ticket::Ticket;

/// One row of the file: its line and the cells the mapping reads (`None`: missing).
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<Option<String>>,
}

/// A row not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub line: u64,
    pub key: String,
    pub cause: Cause,
    pub reason: String,
}

/// Why rows are not taken, as an import's summary counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Not a record at all: bad CSV or JSON, the wrong number of cells.
    Unreadable,
    /// The key column is empty.
    NoKey,
    /// The order column holds no number or time.
    Order,
    /// A value its table does not map.
    Unmapped,
    /// A time that is not one (or never happened in the zone).
    Time,
    /// A person who is not an operator, or whose name cannot be one.
    Person,
    /// A CI name or class the CMDB does not take.
    Ci,
    /// No move of the lifecycle leads to the state the row gives.
    NoMove,
    /// A rule of the desk refused the row (a guard, a required field, a window).
    Refused,
}

impl Cause {
    /// The cause as the summary names it.
    pub fn describe(self) -> &'static str {
        match self {
            Cause::Unreadable => "not a readable record",
            Cause::NoKey => "no key",
            Cause::Order => "no order",
            Cause::Unmapped => "a value the mapping does not map",
            Cause::Time => "not a time",
            Cause::Person => "not a person of the desk",
            Cause::Ci => "not a CI the CMDB takes",
            Cause::NoMove => "no move leads to the state",
            Cause::Refused => "refused by a rule",
        }
    }
}

/// Why one row is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub cause: Cause,
    pub reason: String,
}

impl Refusal {
    pub fn new(cause: Cause, reason: impl Into<String>) -> Refusal {
        Refusal {
            cause,
            reason: reason.into(),
        }
    }
    pub(super) fn rule(e: impl std::fmt::Display) -> Refusal {
        Refusal::new(Cause::Refused, e.to_string())
    }
}

impl From<super::mapping::Unmapped> for Refusal {
    fn from(e: super::mapping::Unmapped) -> Refusal {
        Refusal::new(Cause::Unmapped, e.to_string())
    }
}

/// The operators of the desk, and those the import adds.
#[derive(Debug, Default)]
pub struct People {
    names: Vec<String>,
    /// By lower-case name.
    actors: HashMap<String, Rc<Actor>>,
    /// Names added by this import, not yet written.
    pub added: Vec<String>,
}

impl People {
    pub fn new(known: impl IntoIterator<Item = (String, Vec<Role>)>) -> People {
        let mut p = People::default();
        for (name, roles) in known {
            p.names.push(name.clone());
            p.actors.insert(name.to_lowercase(), Rc::new(Actor::new(name, &roles)));
        }
        p
    }

    fn actor(&self, name: &str) -> Option<&Rc<Actor>> {
        // Names made from a file's people are lower case already: no allocation then.
        self.actors.get(name).or_else(|| self.actors.get(&name.to_lowercase()))
    }

    /// The operator of this name, added as an agent when the mapping allows it.
    fn ensure(&mut self, name: &str, create: bool) -> Result<Rc<Actor>, Refusal> {
        if let Some(a) = self.actor(name) {
            return Ok(Rc::clone(a));
        }
        if !create {
            return Err(Refusal::new(
                Cause::Person,
                format!(
                    "`{name}` is not an operator of this desk (set people.create = true to add the people a file names)"
                ),
            ));
        }
        valid_operator_name(name).map_err(|m| Refusal::new(Cause::Person, m))?;
        let a = Rc::new(Actor::new(name, &[Role::Agent]));
        self.names.push(name.to_string());
        self.actors.insert(name.to_lowercase(), Rc::clone(&a));
        self.added.push(name.to_string());
        Ok(a)
    }

    /// How many people this batch has added so far: what [`People::forget_since`] goes back to.
    fn mark(&self) -> usize {
        self.added.len()
    }

    /// Forgets the people added since `mark` (a row that was not taken added them).
    fn forget_since(&mut self, mark: usize) {
        for name in self.added.drain(mark..) {
            self.names.retain(|n| n != &name);
            self.actors.remove(&name.to_lowercase());
        }
    }
}

/// What goes into the timeline, in order.
#[derive(Debug, Clone)]
pub enum Entry {
    Created {
        at: DateTime<Utc>,
        actor: String,
        /// The ticket's state, assignee, requester and priority as created (what a replay of
        /// its timeline starts from).
        snapshot: String,
    },
    /// Where the ticket came from: the source and its key there.
    Imported { at: DateTime<Utc>, actor: String },
    /// A move or an edit: the outcome without the ticket it produced.
    Moved {
        actor: String,
        at: DateTime<Utc>,
        transition: Option<(String, String, String)>,
        changes: Vec<FieldChange>,
        note: Option<String>,
    },
    CiLink {
        at: DateTime<Utc>,
        actor: String,
        ci: String,
        /// Its class, if the desk has no CI of that name yet.
        class: String,
    },
    /// A relation between two CIs, each created with its class if the desk has none of that
    /// name.
    Relate {
        at: DateTime<Utc>,
        from: (String, String),
        relation: crate::domain::cmdb::Relation,
        to: (String, String),
    },
}

/// A ticket already imported from this source.
#[derive(Debug, Clone)]
pub struct Existing {
    pub ticket: Ticket,
    pub milestones: Milestones,
    pub last_order: i64,
    pub cis: Vec<String>,
}

/// The result of replaying one record.
#[derive(Debug, Clone)]
pub struct Replayed {
    pub ticket: Ticket,
    pub milestones: Milestones,
    pub entries: Vec<Entry>,
    pub last_order: i64,
}

/// What replaying needs besides the rows.
pub struct Replayer<'a> {
    pub mapping: &'a Mapping,
    pub lifecycles: &'a Lifecycles,
    pub matrix: &'a Matrix,
    /// Who runs the import: the actor when the file names nobody.
    pub importer: Rc<Actor>,
    /// When the import runs: the time of rows that carry none.
    pub now: DateTime<Utc>,
}

impl Replayer<'_> {
    fn cell_time(&self, row: &Row, slot: Option<usize>) -> Result<Option<DateTime<Utc>>, Refusal> {
        let Some(slot) = slot else { return Ok(None) };
        match row.cells.get(slot).and_then(Option::as_deref) {
            None => Ok(None),
            Some(v) => self
                .mapping
                .time(v)
                .map(Some)
                .map_err(|e| Refusal::new(Cause::Time, self.time_error(&self.mapping.columns[slot], v, e))),
        }
    }

    /// Why `v` (in `what`) is not a time the mapping reads.
    fn time_error(&self, what: &str, v: &str, e: TimeError) -> String {
        match e {
            TimeError::NotATime => format!(
                "{what} `{v}` is not a time in the mapping's formats ({})",
                if self.mapping.formats.is_empty() {
                    "RFC 3339".to_string()
                } else {
                    self.mapping.formats.join(", ")
                }
            ),
            TimeError::Skipped(zone) => format!(
                "{what} `{v}` never happened in {zone}: the clocks skipped it (give the offset, or the time after the change)"
            ),
        }
    }

    /// Where a row goes in its record's history: the order column's number, or its time in
    /// milliseconds, or (with no order column) its place in the file.
    fn order_of(&self, row: &Row, position: usize) -> Result<i64, Refusal> {
        let m = self.mapping;
        let Some(slot) = m.order else {
            return Ok(position as i64);
        };
        let v = row.cells.get(slot).and_then(Option::as_deref).unwrap_or("");
        if m.order_by_time {
            return m.time(v).map(|t| t.timestamp_millis()).map_err(|e| {
                Refusal::new(
                    Cause::Order,
                    format!("{} (to order the rows by)", self.time_error(&m.columns[slot], v, e)),
                )
            });
        }
        v.trim().parse().map_err(|_| {
            Refusal::new(
                Cause::Order,
                format!("{} `{v}` is not a whole number to order the rows by", m.columns[slot]),
            )
        })
    }

    /// Replays `rows` (all of one key, in file order) onto `existing` or a new ticket. Returns
    /// `None` when nothing is to be written; rows not taken are pushed to `rejected`.
    pub fn replay(
        &self,
        key: &str,
        rows: &[Row],
        existing: Option<Existing>,
        people: &mut People,
        rejected: &mut Vec<Rejected>,
    ) -> Option<Replayed> {
        let m = self.mapping;
        let lifecycle = self.lifecycles.get(m.kind);
        let reject = |rejected: &mut Vec<Rejected>, line: u64, r: Refusal| {
            rejected.push(Rejected {
                line,
                key: key.to_string(),
                cause: r.cause,
                reason: r.reason,
            })
        };
        // Order the rows (rows of equal order by their time, then as in the file); in an
        // event log, rows already replayed are skipped.
        let mut ordered: Vec<(i64, &Row)> = Vec::with_capacity(rows.len());
        let mut times = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            match self.order_of(row, i) {
                Ok(o) => {
                    times.push(self.cell_time(row, m.at).ok().flatten());
                    ordered.push((o, row));
                }
                Err(e) => reject(rejected, row.line, e),
            }
        }
        let mut index: Vec<usize> = (0..ordered.len()).collect();
        index.sort_by_key(|&i| (ordered[i].0, times[i], i));
        let mut ordered: Vec<(i64, &Row)> = index.into_iter().map(|i| ordered[i]).collect();
        let last_done = existing.as_ref().filter(|_| m.event_log).map(|e| e.last_order);
        if let Some(done) = last_done {
            ordered.retain(|(o, _)| *o > done);
        }
        let last_order = ordered
            .last()
            .map(|(o, _)| *o)
            .or(existing.as_ref().map(|e| e.last_order))
            .unwrap_or(0);
        // Which rows leave the ticket open afterwards: a resolve is final only if none does.
        let targets: Vec<Option<String>> = ordered
            .iter()
            .map(|(_, r)| m.fields.get("state").and_then(|v| v.get(&r.cells).ok().flatten()))
            .collect();
        let mut open_after = vec![false; ordered.len()];
        let mut seen_open = false;
        for i in (0..ordered.len()).rev() {
            open_after[i] = seen_open;
            if targets[i].as_deref().is_some_and(|s| lifecycle.is_open(s)) {
                seen_open = true;
            }
        }
        let created = existing.is_none();
        let (mut ticket, mut milestones, mut linked) = match existing {
            Some(e) => (Some(e.ticket), e.milestones, e.cis),
            None => (None, Milestones::default(), Vec::new()),
        };
        let mut entries = Vec::new();
        let mut clock = ticket.as_ref().map(|t| t.updated_at);
        for (i, (_, row)) in ordered.iter().enumerate() {
            let mark = people.mark();
            let step = self.row(
                row,
                !open_after[i],
                lifecycle,
                &mut ticket,
                &mut milestones,
                &mut linked,
                &mut clock,
                people,
                &mut entries,
            );
            if step.is_err() {
                // Nobody a refused row named becomes an operator.
                people.forget_since(mark);
            }
            match step {
                Ok(()) => {}
                Err(mut r) if created => {
                    // The ticket this run is creating has no number yet: the desk's rules
                    // call it `INC-0`; the reader knows it by its key in the source.
                    let unnumbered = format!("{}-0", m.kind.prefix());
                    let named = format!("the new {} for `{key}`", m.kind.name());
                    r.reason = r.reason.replace(&unnumbered, &named);
                    reject(rejected, row.line, r)
                }
                Err(reason) => reject(rejected, row.line, reason),
            }
        }
        let ticket = ticket?;
        // The source's own resolution stamp is the resolution time (MTTR counts from it): a
        // ticket the source resolved without one counts as resolved, at a time nobody knows.
        if let (Some(slot), Some((_, row))) = (m.resolved, ordered.last())
            && milestones.resolves > 0
            && !lifecycle.is_open(&ticket.state)
        {
            milestones.resolved = match row.cells.get(slot).and_then(Option::as_deref) {
                Some(v) => m.time(v).ok().or(milestones.resolved),
                None => None,
            };
        }
        // Likewise the source's closing stamp is when it closed (time to close counts to it).
        if let (Some(slot), Some((_, row))) = (m.closed, ordered.last())
            && milestones.closed.is_some()
            && let Some(v) = row.cells.get(slot).and_then(Option::as_deref)
            && let Ok(at) = m.time(v)
        {
            milestones.closed = Some(at);
        }
        if entries.is_empty() && !created {
            return None;
        }
        Some(Replayed {
            ticket,
            milestones,
            entries,
            last_order,
        })
    }
}

mod moves;
mod row;
