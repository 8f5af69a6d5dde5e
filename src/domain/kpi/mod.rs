//! KPIs of ITIL.md, from facts read off each ticket's timeline: MTTA and MTTR (means and
//! medians), SLA compliance, backlog by age and priority, reopen and first-time-fix rates,
//! change success and emergency share, incidents per CI.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::lifecycle::Lifecycle;
use super::rules::{FieldChange, Outcome};
use super::ticket::Kind;

/// The moments of a ticket's timeline the KPIs are made of, kept on the ticket's row as each
/// move is written, so that a report reads one row per ticket instead of every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Milestones {
    /// When it first got an assignee.
    pub first_assigned: Option<DateTime<Utc>>,
    /// When it last moved into a resolved state (a reopened ticket is resolved when it is
    /// resolved for good). `None` for a change: its "resolved" state is its review.
    pub resolved: Option<DateTime<Utc>>,
    pub resolves: u32,
    pub reopens: u32,
    /// Times the assignee went from one person to another.
    pub reassignments: u32,
    /// When it last moved into a final state (closed, cancelled, …); `None` while it is not
    /// in one. Time to close (lead time) counts to it.
    pub closed: Option<DateTime<Utc>>,
}

impl Milestones {
    /// Takes in one move or edit, at the time the outcome carries.
    pub fn observe(&mut self, lifecycle: &Lifecycle, out: &Outcome) {
        self.observe_move(
            lifecycle,
            out.ticket.kind,
            out.ticket.updated_at,
            out.transition.as_ref(),
            &out.changes,
        );
    }

    /// Takes in a move (`transition`: name, from, to) and the fields it changed, made at `at`.
    pub fn observe_move(
        &mut self,
        lifecycle: &Lifecycle,
        kind: Kind,
        at: DateTime<Utc>,
        transition: Option<&(String, String, String)>,
        changes: &[FieldChange],
    ) {
        if let Some((_, from, to)) = transition {
            match (lifecycle.is_final(from), lifecycle.is_final(to)) {
                (false, true) => self.closed = Some(at),
                (true, false) => self.closed = None,
                _ => {}
            }
        }
        if let Some((_, from, to)) = transition
            && kind != Kind::Change
        {
            let (was, is) = (lifecycle.is_resolved(from), lifecycle.is_resolved(to));
            if is && !was {
                self.resolves += 1;
                self.resolved = Some(at);
            }
            // Out of a resolved state, or (history imported as recorded) out of a final one.
            if (was || lifecycle.is_final(from)) && lifecycle.is_open(to) {
                self.reopens += 1;
            }
        }
        for c in changes.iter().filter(|c| c.field == "assignee") {
            match (&c.old, &c.new) {
                (None, Some(_)) => {
                    self.first_assigned.get_or_insert(at);
                }
                (Some(a), Some(b)) if a != b => self.reassignments += 1,
                _ => {}
            }
        }
    }
}

/// A CI a ticket is on, as a report counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiTag {
    pub id: i64,
    pub name: std::sync::Arc<str>,
}

/// What the timeline says about one ticket (its text borrowed from where it was read).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts<'a> {
    pub kind: Option<Kind>,
    pub priority: u8,
    pub open: bool,
    pub created: DateTime<Utc>,
    pub milestones: Milestones,
    /// The team, assignee or category when a report is grouped by one (only that one is read).
    pub label: Option<&'a str>,
    pub cis: &'a [CiTag],
    pub change_type: Option<&'a str>,
    pub close_code: Option<&'a str>,
    /// The verdicts of the SLA clocks once stopped (`None`: no target, or still counting).
    pub own_met: Option<bool>,
    pub resolve_met: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Stat {
    pub count: usize,
    pub mean_hours: Option<f64>,
    pub median_hours: Option<f64>,
}

/// Mean and median of spans in whole seconds (the median found in linear time: a report
/// over a million tickets need not sort them).
fn stat(mut spans: Vec<i64>) -> Stat {
    if spans.is_empty() {
        return Stat::default();
    }
    let hours = |s: i64| s as f64 / 3600.0;
    let n = spans.len();
    let mean = spans.iter().map(|s| *s as f64).sum::<f64>() / 3600.0 / n as f64;
    let (below, mid, _) = spans.select_nth_unstable(n / 2);
    let mid = *mid;
    let median = if n % 2 == 1 {
        hours(mid)
    } else {
        // The middle two: the largest of the lower half, and the middle one.
        let lower = below.iter().copied().max().unwrap_or(mid);
        (hours(lower) + hours(mid)) / 2.0
    };
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Stat {
        count: n,
        mean_hours: Some(round(mean)),
        median_hours: Some(round(median)),
    }
}

/// A share in percent with one decimal, or `None` out of nothing.
fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Kpis {
    pub tickets: usize,
    pub open: usize,
    pub by_kind: BTreeMap<String, usize>,
    /// Creation to first assignment.
    pub mtta: Stat,
    /// Creation to (final) resolution.
    pub mttr: Stat,
    /// Creation to closing (a final state): the lead time, or case duration, others publish.
    pub time_to_close: Stat,
    /// Resolution to closing, of the tickets that were resolved and then closed.
    pub resolved_to_closed: Stat,
    /// Of the resolved tickets with a time-to-resolve target: % resolved within it.
    pub sla_resolve_met: Option<f64>,
    /// Of the owned tickets with a time-to-own target: % owned within it.
    pub sla_own_met: Option<f64>,
    /// Open tickets by age bucket (`<1d`, `1-3d`, `3-7d`, `7-30d`, `>30d`) and priority.
    pub backlog: BTreeMap<String, BTreeMap<String, usize>>,
    pub reopen_rate: Option<f64>,
    /// Resolved once, by the first person assigned, never reopened.
    pub first_time_fix_rate: Option<f64>,
    pub change_success_rate: Option<f64>,
    pub emergency_change_share: Option<f64>,
    /// CIs with the most incidents, most first (at most ten).
    pub top_cis: Vec<(String, usize)>,
}

/// The ages a backlog is counted by, youngest first.
pub const AGE_BUCKETS: [&str; 5] = ["<1d", "1-3d", "3-7d", "7-30d", ">30d"];
/// Where each bucket but the last ends, in hours of age.
const AGE_LIMITS: [i64; 4] = [24, 72, 168, 720];

/// Which of [`AGE_BUCKETS`] a ticket of this age is in.
pub fn age_index(age: Duration) -> usize {
    let h = age.num_hours();
    AGE_LIMITS
        .iter()
        .position(|limit| h < *limit)
        .unwrap_or(AGE_LIMITS.len())
}

/// The open tickets now, by age bucket and priority.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Backlog {
    pub open: usize,
    /// `counts[age][priority - 1]`, ages as in [`AGE_BUCKETS`], priorities 1 to 5.
    pub counts: [[usize; 5]; 5],
}

impl Backlog {
    /// Counts one open ticket of this priority (1–5; others count as 5) and age.
    pub fn add(&mut self, priority: u8, age: Duration) {
        self.open += 1;
        let p = usize::from(priority.clamp(1, 5)) - 1;
        self.counts[age_index(age)][p] += 1;
    }

    /// Open tickets of one priority, whatever their age.
    pub fn of_priority(&self, priority: u8) -> usize {
        let p = usize::from(priority.clamp(1, 5)) - 1;
        self.counts.iter().map(|row| row[p]).sum()
    }
}

/// Tickets opened and resolved on one day (in the reader's zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Day {
    pub day: chrono::NaiveDate,
    pub opened: usize,
    pub resolved: usize,
}

/// One [`Day`] for every day from `first` to `last`, counting the given creation and
/// resolution days (days outside are left out).
pub fn per_day(
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
    opened: impl IntoIterator<Item = chrono::NaiveDate>,
    resolved: impl IntoIterator<Item = chrono::NaiveDate>,
) -> Vec<Day> {
    let mut days: Vec<Day> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|day| Day {
            day,
            opened: 0,
            resolved: 0,
        })
        .collect();
    let slot = |d: chrono::NaiveDate| usize::try_from((d - first).num_days()).ok();
    for d in opened {
        if let Some(day) = slot(d).and_then(|i| days.get_mut(i)) {
            day.opened += 1;
        }
    }
    for d in resolved {
        if let Some(day) = slot(d).and_then(|i| days.get_mut(i)) {
            day.resolved += 1;
        }
    }
    days
}

/// KPIs taken in one ticket at a time: a report over a million tickets never holds them
/// all, only the spans its medians need.
#[derive(Debug, Default)]
pub struct Tally {
    tickets: usize,
    open: usize,
    /// By [`Kind::ALL`]'s order, and last those of no known kind.
    by_kind: [usize; Kind::ALL.len() + 1],
    /// Open tickets by [`AGE_BUCKETS`] and priority.
    backlog: BTreeMap<(usize, u8), usize>,
    /// Seconds from creation to first assignment, and to resolution.
    mtta: Vec<i64>,
    mttr: Vec<i64>,
    /// Seconds from creation to closing, and from resolution to closing.
    to_close: Vec<i64>,
    resolved_to_closed: Vec<i64>,
    with_sla: usize,
    met: usize,
    owned_with_sla: usize,
    owned_met: usize,
    resolved: usize,
    reopened: usize,
    first_time: usize,
    completed: usize,
    successful: usize,
    changes: usize,
    emergency: usize,
    /// Incidents per CI, indexed by the CI's id (ids are small and dense).
    per_ci: Vec<(Option<std::sync::Arc<str>>, usize)>,
}

impl Tally {
    /// Takes in one ticket, at `now` (for the ages of the backlog).
    pub fn add(&mut self, f: &Facts, now: DateTime<Utc>) {
        self.tickets += 1;
        let kind = f
            .kind
            .and_then(|k| Kind::ALL.iter().position(|x| *x == k))
            .unwrap_or(Kind::ALL.len());
        self.by_kind[kind] += 1;
        if f.open {
            self.open += 1;
            *self
                .backlog
                .entry((age_index(now - f.created), f.priority))
                .or_default() += 1;
        }
        let m = &f.milestones;
        let since_created = |t: DateTime<Utc>| (t.timestamp_millis() - f.created.timestamp_millis()).max(0) / 1000;
        if let Some(a) = m.first_assigned {
            self.mtta.push(since_created(a));
            if let Some(ok) = f.own_met {
                self.owned_with_sla += 1;
                self.owned_met += usize::from(ok);
            }
        }
        if m.resolves > 0 {
            self.resolved += 1;
            self.reopened += usize::from(m.reopens > 0);
            self.first_time += usize::from(m.reopens == 0 && m.resolves == 1 && m.reassignments == 0);
        }
        if let Some(r) = m.resolved {
            self.mttr.push(since_created(r));
            if let Some(ok) = f.resolve_met {
                self.with_sla += 1;
                self.met += usize::from(ok);
            }
        }
        if let Some(c) = m.closed {
            self.to_close.push(since_created(c));
            if let Some(r) = m.resolved.filter(|r| *r <= c) {
                self.resolved_to_closed
                    .push((c.timestamp_millis() - r.timestamp_millis()) / 1000);
            }
        }
        if f.kind == Some(Kind::Incident) {
            for ci in f.cis {
                self.count_ci(ci.id, &ci.name, 1);
            }
        }
        if f.kind == Some(Kind::Change) {
            self.changes += 1;
            self.emergency += usize::from(f.change_type == Some("emergency"));
            if let Some(code) = f.close_code {
                self.completed += 1;
                self.successful += usize::from(code.starts_with("successful"));
            }
        }
    }

    /// Takes in another tally's tickets (of another part of the same period).
    pub fn merge(&mut self, other: Tally) {
        self.tickets += other.tickets;
        self.open += other.open;
        for (mine, theirs) in self.by_kind.iter_mut().zip(other.by_kind) {
            *mine += theirs;
        }
        for (key, n) in other.backlog {
            *self.backlog.entry(key).or_default() += n;
        }
        self.mtta.extend(other.mtta);
        self.mttr.extend(other.mttr);
        self.to_close.extend(other.to_close);
        self.resolved_to_closed.extend(other.resolved_to_closed);
        self.with_sla += other.with_sla;
        self.met += other.met;
        self.owned_with_sla += other.owned_with_sla;
        self.owned_met += other.owned_met;
        self.resolved += other.resolved;
        self.reopened += other.reopened;
        self.first_time += other.first_time;
        self.completed += other.completed;
        self.successful += other.successful;
        self.changes += other.changes;
        self.emergency += other.emergency;
        for (id, (name, n)) in other.per_ci.into_iter().enumerate() {
            if let Some(name) = name {
                self.count_ci(id as i64, &name, n);
            }
        }
    }

    fn count_ci(&mut self, id: i64, name: &std::sync::Arc<str>, n: usize) {
        let Ok(i) = usize::try_from(id) else { return };
        if self.per_ci.len() <= i {
            self.per_ci.resize(i + 1, (None, 0));
        }
        let slot = &mut self.per_ci[i];
        slot.0.get_or_insert_with(|| name.clone());
        slot.1 += n;
    }

    pub fn finish(self) -> Kpis {
        let mut backlog: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for ((bucket, p), n) in self.backlog {
            backlog
                .entry(AGE_BUCKETS[bucket].to_string())
                .or_default()
                .insert(format!("P{p}"), n);
        }
        let mut top: Vec<(String, usize)> = self
            .per_ci
            .into_iter()
            .filter_map(|(c, n)| Some((c?.to_string(), n)))
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(10);
        Kpis {
            tickets: self.tickets,
            open: self.open,
            by_kind: Kind::ALL
                .iter()
                .map(|k| k.name())
                .chain(["unknown"])
                .zip(self.by_kind)
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k.to_string(), n))
                .collect(),
            mtta: stat(self.mtta),
            mttr: stat(self.mttr),
            time_to_close: stat(self.to_close),
            resolved_to_closed: stat(self.resolved_to_closed),
            sla_resolve_met: percent(self.met, self.with_sla),
            sla_own_met: percent(self.owned_met, self.owned_with_sla),
            backlog,
            reopen_rate: percent(self.reopened, self.resolved),
            first_time_fix_rate: percent(self.first_time, self.resolved),
            change_success_rate: percent(self.successful, self.completed),
            emergency_change_share: percent(self.emergency, self.changes),
            top_cis: top,
        }
    }
}

/// The KPIs of a set of tickets, at `now` (for the ages of the backlog).
pub fn compute(facts: &[Facts], now: DateTime<Utc>) -> Kpis {
    let mut t = Tally::default();
    for f in facts {
        t.add(f, now);
    }
    t.finish()
}

/// A whole report as it is taken in: all tickets, and per group when grouped.
#[derive(Debug, Default)]
pub struct Tallies {
    pub all: Tally,
    groups: Option<(GroupBy, HashMap<String, Tally>)>,
}

impl Tallies {
    pub fn new(by: Option<GroupBy>) -> Tallies {
        Tallies {
            all: Tally::default(),
            groups: by.map(|b| (b, HashMap::new())),
        }
    }

    pub fn add(&mut self, f: &Facts, now: DateTime<Utc>) {
        self.all.add(f, now);
        if let Some((by, groups)) = &mut self.groups {
            for key in group_keys(f, *by) {
                groups.entry(key).or_default().add(f, now);
            }
        }
    }

    /// Takes in the tallies of another part of the same period, grouped the same way.
    pub fn merge(&mut self, other: Tallies) {
        self.all.merge(other.all);
        if let (Some((_, mine)), Some((_, theirs))) = (&mut self.groups, other.groups) {
            for (key, t) in theirs {
                mine.entry(key).or_default().merge(t);
            }
        }
    }

    pub fn finish(self) -> (Kpis, Option<BTreeMap<String, Kpis>>) {
        let groups = self
            .groups
            .map(|(_, g)| g.into_iter().map(|(k, t)| (k, t.finish())).collect());
        (self.all.finish(), groups)
    }
}

/// The groups a ticket counts in; a ticket on several CIs counts in each.
fn group_keys(f: &Facts, by: GroupBy) -> Vec<String> {
    let none = || "(none)".to_string();
    match by {
        GroupBy::Team | GroupBy::Assignee | GroupBy::Category => vec![f.label.map_or_else(none, str::to_string)],
        GroupBy::Priority => vec![format!("P{}", f.priority)],
        GroupBy::Kind => vec![f.kind.map_or_else(none, |k| k.name().to_string())],
        GroupBy::Ci if f.cis.is_empty() => vec![none()],
        GroupBy::Ci => f.cis.iter().map(|c| c.name.to_string()).collect(),
    }
}

/// What a report can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Team,
    Assignee,
    Category,
    Priority,
    Ci,
    Kind,
}

impl GroupBy {
    /// The ticket column a grouping reads into [`Facts::label`], if it needs one.
    pub fn label_column(self) -> Option<&'static str> {
        match self {
            GroupBy::Team => Some("team"),
            GroupBy::Assignee => Some("assignee"),
            GroupBy::Category => Some("category"),
            GroupBy::Priority | GroupBy::Ci | GroupBy::Kind => None,
        }
    }
}

/// The KPIs per group; a ticket on several CIs counts in each.
pub fn grouped(facts: &[Facts], by: GroupBy, now: DateTime<Utc>) -> BTreeMap<String, Kpis> {
    let mut t = Tallies::new(Some(by));
    for f in facts {
        t.add(f, now);
    }
    t.finish().1.unwrap_or_default()
}

#[cfg(test)]
mod tests;
