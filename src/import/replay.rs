//! Replaying one source record (all the rows that share a key) through the lifecycle rules.
//! Pure: the rows, the existing ticket and the people known come in; the ticket, its events
//! and the rows that could not be taken come out. Nothing here bypasses a rule: a state the
//! source reached is reached by the moves the lifecycle allows, each with the fields it needs.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use chrono::{DateTime, Offset, Utc};

use super::mapping::{Mapping, TimeError};
use crate::domain::kpi::Milestones;
use crate::domain::lifecycle::{Lifecycle, Lifecycles, Transition};
use crate::domain::operator::{Actor, Role, valid_operator_name};
use crate::domain::priority::Matrix;
use crate::domain::rules::{self, Context, Draft, FieldChange, Outcome};
use crate::domain::ticket::{FieldType, NOTE, Ticket, field_spec};

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
    pub reason: String,
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
    fn ensure(&mut self, name: &str, create: bool) -> Result<Rc<Actor>, String> {
        if let Some(a) = self.actor(name) {
            return Ok(Rc::clone(a));
        }
        if !create {
            return Err(format!(
                "`{name}` is not an operator of this desk (set people.create = true to add the people a file names)"
            ));
        }
        valid_operator_name(name)?;
        let a = Rc::new(Actor::new(name, &[Role::Agent]));
        self.names.push(name.to_string());
        self.actors.insert(name.to_lowercase(), Rc::clone(&a));
        self.added.push(name.to_string());
        Ok(a)
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

const PRIORITY_NOTE: &str = "priority as the source gives it";

impl Replayer<'_> {
    fn cell_time(&self, row: &Row, slot: Option<usize>) -> Result<Option<DateTime<Utc>>, String> {
        let Some(slot) = slot else { return Ok(None) };
        match row.cells.get(slot).and_then(Option::as_deref) {
            None => Ok(None),
            Some(v) => self
                .mapping
                .time(v)
                .map(Some)
                .map_err(|e| self.time_error(&self.mapping.columns[slot], v, e)),
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

    fn order_of(&self, row: &Row, position: usize) -> Result<i64, String> {
        match self.mapping.order {
            None => Ok(position as i64),
            Some(slot) => {
                let v = row.cells.get(slot).and_then(Option::as_deref).unwrap_or("");
                v.trim().parse().map_err(|_| {
                    format!(
                        "{} `{v}` is not a whole number to order the rows by",
                        self.mapping.columns[slot]
                    )
                })
            }
        }
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
        let reject = |rejected: &mut Vec<Rejected>, line: u64, reason: String| {
            rejected.push(Rejected {
                line,
                key: key.to_string(),
                reason,
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
            match step {
                Ok(()) => {}
                Err(reason) if created => {
                    // The ticket this run is creating has no number yet: the desk's rules
                    // call it `INC-0`; the reader knows it by its key in the source.
                    let unnumbered = format!("{}-0", m.kind.prefix());
                    let named = format!("the new {} for `{key}`", m.kind.name());
                    reject(rejected, row.line, reason.replace(&unnumbered, &named))
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

    /// Applies one row. On `Err` nothing of this row is kept.
    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        row: &Row,
        final_resolution: bool,
        lifecycle: &Lifecycle,
        ticket: &mut Option<Ticket>,
        milestones: &mut Milestones,
        linked: &mut Vec<String>,
        clock: &mut Option<DateTime<Utc>>,
        people: &mut People,
        entries: &mut Vec<Entry>,
    ) -> Result<(), String> {
        let m = self.mapping;
        // Every value first: a row with one value that cannot be mapped is not taken at all.
        let mut values: HashMap<&str, Option<String>> = HashMap::new();
        let state_first = m
            .fields
            .get_key_value("state")
            .into_iter()
            .chain(m.fields.iter().filter(|(n, _)| *n != "state"));
        for (name, v) in state_first {
            let mut value = v.get(&row.cells).map_err(|e| e.to_string())?;
            // Times are values: read at the edge (the cell's offset, else the mapping's
            // zone) and kept as the desk keeps them, so a row that says the same instant in
            // another form is the same, not an edit.
            if let (Some(text), Some(spec)) = (&value, field_spec(name))
                && spec.ty == FieldType::Time
            {
                let t = self.mapping.time(text).map_err(|e| self.time_error(name, text, e))?;
                value = Some(rules::format_time(t));
            }
            values.insert(name.as_str(), value);
        }
        let actor_name = match &m.actor {
            Some(v) => v.get(&row.cells).map_err(|e| e.to_string())?,
            None => None,
        };
        let row_time = self.cell_time(row, m.at)?;
        if m.at.is_some() && row_time.is_none() {
            return Err(format!(
                "{} is missing: the row has no time",
                m.columns[m.at.unwrap_or(0)]
            ));
        }
        let actor = match &actor_name {
            Some(n) => people.ensure(n, m.create_people)?,
            None => Rc::clone(&self.importer),
        };
        if let Some(Some(a)) = values.get("assignee") {
            people.ensure(a, m.create_people)?;
        }
        let opened_at = self.cell_time(row, m.created)?;
        let at = row_time.or(opened_at).unwrap_or(self.now);
        let at = clock.map_or(at, |c| c.max(at));
        let mut staged: Vec<Entry> = Vec::new();
        let mut t = match ticket.take() {
            Some(t) => t,
            None => {
                let created_at = opened_at.unwrap_or(at);
                let opener = match &m.opener {
                    Some(v) => match v.get(&row.cells).map_err(|e| e.to_string())? {
                        Some(n) => people.ensure(&n, m.create_people)?,
                        None => actor.clone(),
                    },
                    None => actor.clone(),
                };
                let t = self.create(&values, &opener, created_at, people)?;
                staged.push(Entry::Created {
                    at: created_at,
                    actor: opener.name.clone(),
                    snapshot: crate::store::tickets::snapshot_of(&t),
                });
                staged.push(Entry::Imported {
                    at: created_at,
                    actor: self.importer.name.clone(),
                });
                t
            }
        };
        let before = t.clone();
        let linked_before = linked.clone();
        let outcome = self.changes(
            row,
            &values,
            &actor,
            at,
            final_resolution,
            lifecycle,
            &mut t,
            linked,
            people,
        );
        match outcome {
            Ok(mut moves) => {
                for e in &moves {
                    if let Entry::Moved {
                        at,
                        transition,
                        changes,
                        ..
                    } = e
                    {
                        milestones.observe_move(lifecycle, t.kind, *at, transition.as_ref(), changes);
                    }
                }
                staged.append(&mut moves);
                *clock = Some(clock.map_or(at, |c| c.max(at)).max(t.updated_at));
                entries.append(&mut staged);
                *ticket = Some(t);
                Ok(())
            }
            Err(e) => {
                // Nothing of this row is kept, not even the ticket it would have created: a
                // later row of the same key may create it.
                *linked = linked_before;
                if staged.is_empty() {
                    *ticket = Some(before);
                }
                Err(e)
            }
        }
    }

    fn ctx<'a>(&self, actor: &'a Actor, now: DateTime<Utc>, people: &'a People, cis: usize) -> Context<'a> {
        Context {
            actor,
            now,
            operators: &people.names,
            linked_cis: cis,
            local_offset: Utc.fix(),
            frozen_by: &[],
            // History taken from another tool: the requester rule holds, but who raised and
            // submitted it there is not known here.
            parties: &crate::domain::lifecycle::NO_PARTIES,
        }
    }

    fn create(
        &self,
        values: &HashMap<&str, Option<String>>,
        opener: &Actor,
        at: DateTime<Utc>,
        people: &People,
    ) -> Result<Ticket, String> {
        let get = |f: &str| values.get(f).cloned().flatten();
        let level = |f: &str| get(f).and_then(|v| v.trim().parse::<u8>().ok());
        let mut fields = Vec::new();
        for name in values.keys() {
            let Some(spec) = field_spec(name) else { continue };
            if spec.editable
                && !matches!(*name, "title" | "description" | "impact" | "urgency" | "requester")
                && let Some(v) = get(name)
            {
                fields.push((name.to_string(), v));
            }
        }
        fields.sort();
        let draft = Draft {
            title: get("title").unwrap_or_default(),
            description: get("description").unwrap_or_default(),
            impact: level("impact"),
            urgency: level("urgency"),
            requester: get("requester"),
            // Standard, normal or emergency, when the source says (a column or a value).
            change_type: match get("change_type") {
                Some(v) => Some(
                    v.trim()
                        .parse::<crate::domain::ChangeType>()
                        .map_err(|e| format!("change_type: {e}"))?,
                ),
                None => None,
            },
            fields,
        };
        let ctx = self.ctx(opener, at, people, 0);
        rules::create(self.mapping.kind, draft, self.lifecycles, self.matrix, &ctx).map_err(|e| e.to_string())
    }

    /// The edits, moves, assignment and CI links one row asks for, decided on `t`.
    #[allow(clippy::too_many_arguments)]
    fn changes(
        &self,
        row: &Row,
        values: &HashMap<&str, Option<String>>,
        actor: &Actor,
        at: DateTime<Utc>,
        final_resolution: bool,
        lifecycle: &Lifecycle,
        t: &mut Ticket,
        linked: &mut Vec<String>,
        people: &People,
    ) -> Result<Vec<Entry>, String> {
        let m = self.mapping;
        let get = |f: &str| values.get(f).cloned().flatten();
        let mut out = Vec::new();
        let push = |t: &mut Ticket, o: Outcome, out: &mut Vec<Entry>| {
            let Outcome {
                ticket,
                transition,
                changes,
                note,
                ..
            } = o;
            *t = ticket;
            if transition.is_some() || !changes.is_empty() {
                out.push(Entry::Moved {
                    actor: actor.name.clone(),
                    at: t.updated_at,
                    transition,
                    changes,
                    note,
                });
            }
        };
        let ctx = self.ctx(actor, at, people, linked.len());
        // 1. Fields a person edits.
        let mut edits: Vec<(String, String)> = Vec::new();
        let mut names: Vec<&&str> = values.keys().collect();
        names.sort();
        for name in names {
            let Some(spec) = field_spec(name) else { continue };
            if !spec.editable {
                continue;
            }
            if let Some(v) = get(name) {
                let same = match spec.ty {
                    FieldType::Level => t.get(name).as_deref() == Some(v.trim()),
                    _ => t.get(name).as_deref().unwrap_or("") == v.trim(),
                };
                if !same {
                    edits.push((name.to_string(), v));
                }
            }
        }
        if !edits.is_empty() {
            let o = rules::edit(self.lifecycles, self.matrix, t, &edits, None, &ctx).map_err(|e| e.to_string())?;
            push(t, o, &mut out);
        }
        if let Some(p) = get("priority").filter(|p| p.trim() != t.priority.to_string()) {
            let inputs = [("priority".to_string(), p)];
            let o = rules::edit(self.lifecycles, self.matrix, t, &inputs, Some(PRIORITY_NOTE), &ctx)
                .map_err(|e| e.to_string())?;
            push(t, o, &mut out);
        }
        // 2. Configuration items, before the moves: a change is submitted only with one.
        if let Some(v) = &m.cis
            && let Some(ci) = v.get(&row.cells).map_err(|e| e.to_string())?
            && !linked.iter().any(|c| c.eq_ignore_ascii_case(&ci))
        {
            crate::domain::cmdb::check_ci_name(&ci)?;
            linked.push(ci.clone());
            out.push(Entry::CiLink {
                at: at.max(t.updated_at),
                actor: actor.name.clone(),
                ci,
            });
        }
        // 3. The state, through the moves that lead there.
        if let Some(target) = get("state").filter(|s| *s != t.state) {
            let path = path(lifecycle, t, actor, &target).ok_or_else(|| {
                format!(
                    "no move of the {} lifecycle leads from `{}` to `{target}`",
                    m.kind, t.state
                )
            })?;
            for tr in path {
                let mut inputs = Vec::new();
                for f in &tr.requires {
                    if f == NOTE {
                        continue;
                    }
                    if let Some(v) = get(f) {
                        inputs.push((f.clone(), v));
                    }
                }
                let note = if tr.requires.iter().any(|f| f == NOTE) {
                    match &m.note {
                        Some(n) => n.get(&row.cells).map_err(|e| e.to_string())?,
                        None => Some(format!("imported from {}", m.source)),
                    }
                } else {
                    None
                };
                let mut when = at;
                if lifecycle.is_resolved(&tr.to) && final_resolution {
                    when = when.max(self.cell_time(row, m.resolved)?.unwrap_or(when));
                } else if lifecycle.is_final(&tr.to) {
                    when = when.max(self.cell_time(row, m.closed)?.unwrap_or(when));
                }
                // A move that stamps the actual window (implement, review) happened when the
                // source says the work started or ended, if the row says.
                for stamp in ["actual_start", "actual_end"] {
                    if matches!(tr.set.get(stamp), Some(crate::domain::lifecycle::Value::Now))
                        && let Some(v) = get(stamp)
                        && let Ok(t) = DateTime::parse_from_rfc3339(&v)
                    {
                        when = t.with_timezone(&Utc);
                    }
                }
                let when = when.max(t.updated_at);
                let ctx = self.ctx(actor, when, people, linked.len());
                let mut o = rules::apply_transition(self.lifecycles, t, &tr.name, &inputs, note.as_deref(), &ctx)
                    .map_err(|e| e.to_string())?;
                // The stamp is the source's even where the timeline could not place the move
                // that early (a ticket the source opened after its work began).
                for stamp in ["actual_start", "actual_end"] {
                    if matches!(tr.set.get(stamp), Some(crate::domain::lifecycle::Value::Now))
                        && let Some(v) = get(stamp)
                    {
                        o.ticket.fields.insert(stamp.to_string(), v.clone());
                        for c in o.changes.iter_mut().filter(|c| c.field == stamp) {
                            c.new = Some(v.clone());
                        }
                    }
                }
                push(t, o, &mut out);
            }
        }
        // 4. The assignee, where assigning does not move the ticket.
        if let Some(a) = get("assignee").filter(|a| !t.assignee.as_deref().is_some_and(|b| b.eq_ignore_ascii_case(a))) {
            let stays = match lifecycle.find(t, "assign") {
                Some(tr) => tr.to == t.state,
                None => !lifecycle.knows(t, "assign") && !lifecycle.is_final(&t.state),
            };
            if stays {
                let ctx = self.ctx(actor, at.max(t.updated_at), people, linked.len());
                let o = rules::assign(self.lifecycles, t, Some(&a), None, &ctx).map_err(|e| e.to_string())?;
                push(t, o, &mut out);
            }
        }
        Ok(out)
    }
}

/// The shortest run of moves this actor may take from the ticket's state to `target`,
/// never passing through a final state on the way.
fn path<'l>(lifecycle: &'l Lifecycle, ticket: &Ticket, actor: &Actor, target: &str) -> Option<Vec<&'l Transition>> {
    let mut came: HashMap<String, (String, &'l Transition)> = HashMap::new();
    let mut queue = VecDeque::from([ticket.state.clone()]);
    let mut probe = ticket.clone();
    while let Some(state) = queue.pop_front() {
        if state == target {
            let mut out = Vec::new();
            let mut at = state;
            while let Some((prev, tr)) = came.get(&at) {
                out.push(*tr);
                at = prev.clone();
            }
            out.reverse();
            return Some(out);
        }
        if lifecycle.is_final(&state) && state != ticket.state {
            continue;
        }
        probe.state = state.clone();
        for tr in lifecycle.allowed_transitions(&probe, actor, &crate::domain::lifecycle::NO_PARTIES) {
            if tr.to != ticket.state && !came.contains_key(&tr.to) {
                came.insert(tr.to.clone(), (state.clone(), tr));
                queue.push_back(tr.to.clone());
            }
        }
    }
    None
}
