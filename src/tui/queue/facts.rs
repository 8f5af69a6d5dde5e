//! What the views and the header's counts ask of each row, kept apart from the rows in a few
//! bytes each. A row is a few hundred bytes with its texts elsewhere on the heap; asking
//! every one of a million-ticket desk's 77,000 open rows whether a view shows it walked
//! some 30 MB and most of a view switch's time. The facts are a small array in the rows'
//! order, with states and assignees as numbers; they travel with the rows' orders (built
//! off the UI thread with them, kept aside with them, patched on merges like them).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Row, ViewSpec};
use crate::domain::Kind;

/// The facts of every row, by row index.
#[derive(Debug, Default, Clone)]
pub(super) struct Facts {
    each: Vec<Fact>,
    /// The states seen, a row's `state` indexing them.
    states: Vec<String>,
    /// Assignees seen, in ASCII lowercase (views compare names ignoring ASCII case), to the
    /// number a row's `assignee` holds; 0 is nobody.
    assignees: HashMap<String, u32>,
}

#[derive(Debug, Clone, Copy)]
struct Fact {
    rowid: i64,
    /// The watched clock's risk and due times, for open rows that have one.
    risk_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    has_clock: bool,
    assignee: u32,
    state: u32,
    kind: Kind,
    priority: u8,
    open: bool,
}

/// A view, in the facts' terms.
struct Ask<'a> {
    kind: Option<Kind>,
    priority: &'a [u8],
    /// None: any state; otherwise the states shown that any row has.
    states: Option<Vec<u32>>,
    /// None: anyone; Some(0): nobody; Some(u32::MAX): a name no row has.
    assignee: Option<u32>,
    at_risk: Option<DateTime<Utc>>,
}

impl Facts {
    pub(super) fn of(rows: &[Row]) -> Facts {
        let mut facts = Facts::default();
        facts.each = rows.iter().map(|r| facts.fact(r)).collect();
        facts
    }

    pub(super) fn len(&self) -> usize {
        self.each.len()
    }

    /// The index of the row of ticket `rowid`.
    pub(super) fn index_of(&self, rowid: i64) -> Option<usize> {
        self.each.iter().position(|f| f.rowid == rowid)
    }

    fn fact(&mut self, r: &Row) -> Fact {
        let state = match self.states.iter().position(|s| *s == r.row.state) {
            Some(at) => at,
            None => {
                self.states.push(r.row.state.clone());
                self.states.len() - 1
            }
        };
        let assignee = match r.row.assignee.as_deref() {
            None => 0,
            Some(name) => {
                let next = u32::try_from(self.assignees.len() + 1).unwrap_or(u32::MAX - 1);
                *self.assignees.entry(name.to_ascii_lowercase()).or_insert(next)
            }
        };
        let clock = r.clock();
        Fact {
            rowid: r.row.rowid,
            risk_at: clock.and_then(|c| c.risk_at),
            due_at: clock.and_then(|c| c.due_at),
            has_clock: clock.is_some(),
            assignee,
            state: u32::try_from(state).unwrap_or(u32::MAX),
            kind: r.row.id.kind,
            priority: r.row.priority,
            open: r.row.is_open,
        }
    }

    /// The rows' ticket ids, in the rows' order.
    pub(super) fn rowids(&self) -> impl Iterator<Item = i64> + '_ {
        self.each.iter().map(|f| f.rowid)
    }

    /// After a merge: the rows that left (`gone`, by their index before, if any did) leave,
    /// the others keep their order, and the rows `fresh` (changed, or new at the end) are
    /// asked again.
    pub(super) fn patch(&mut self, rows: &[Row], gone: Option<&[bool]>, fresh: &[usize]) {
        let blank = Fact {
            rowid: 0,
            risk_at: None,
            due_at: None,
            has_clock: false,
            assignee: 0,
            state: 0,
            kind: Kind::Incident,
            priority: 0,
            open: false,
        };
        if let Some(gone) = gone {
            let mut i = 0;
            self.each.retain(|_| {
                i += 1;
                !gone.get(i - 1).copied().unwrap_or(false)
            });
        }
        self.each.resize(rows.len(), blank);
        for &j in fresh {
            if let Some(r) = rows.get(j) {
                let f = self.fact(r);
                if let Some(slot) = self.each.get_mut(j) {
                    *slot = f;
                }
            }
        }
    }

    /// Which rows `view` shows (and `only`, when set), by row index.
    pub(super) fn admitted(
        &self,
        view: &ViewSpec,
        only: Option<&std::collections::HashSet<i64>>,
        me: &str,
        now: DateTime<Utc>,
    ) -> Vec<bool> {
        let ask = self.ask(view, me, now);
        self.each
            .iter()
            .map(|f| ask.admits(f) && only.is_none_or(|o| o.contains(&f.rowid)))
            .collect()
    }

    fn ask<'a>(&self, view: &'a ViewSpec, me: &str, now: DateTime<Utc>) -> Ask<'a> {
        let name = |n: &str| self.assignees.get(&n.to_ascii_lowercase()).copied().unwrap_or(u32::MAX);
        Ask {
            kind: view.kind,
            priority: &view.priority,
            states: (!view.state.is_empty()).then(|| {
                (0..self.states.len())
                    .filter(|&i| view.state.contains(&self.states[i]))
                    .filter_map(|i| u32::try_from(i).ok())
                    .collect()
            }),
            assignee: match view.assignee.as_deref() {
                None => None,
                Some("none") => Some(0),
                Some("me") => Some(name(me)),
                Some(other) => Some(name(other)),
            },
            at_risk: view.at_risk.then_some(now),
        }
    }

    /// Open, at risk and breached.
    pub(super) fn counts(&self, now: DateTime<Utc>) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for f in self.each.iter().filter(|f| f.open) {
            c.0 += 1;
            if !f.has_clock {
                continue;
            }
            if f.due_at.is_some_and(|d| d <= now) {
                c.2 += 1;
            } else if f.risk_at.is_some_and(|r| r <= now) {
                c.1 += 1;
            }
        }
        c
    }
}

impl Ask<'_> {
    fn admits(&self, f: &Fact) -> bool {
        self.kind.is_none_or(|k| f.kind == k)
            && (self.priority.is_empty() || self.priority.contains(&f.priority))
            && self.states.as_ref().is_none_or(|s| s.contains(&f.state))
            && self.assignee.is_none_or(|a| f.assignee == a)
            && self.at_risk.is_none_or(|now| {
                f.has_clock && (f.due_at.is_some_and(|d| d <= now) || f.risk_at.is_some_and(|r| r <= now))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::QueueRow;
    use crate::domain::TicketId;
    use crate::domain::sla::{Clock, Clocks, Phase};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).single().expect("time")
    }

    /// A row of every kind, priority, state, assignee (in any case) and clock standing,
    /// open or not; times land on `now` itself too, the edge of at risk and breached.
    fn any_row(rowid: i64, rng: &mut fastrand::Rng) -> Row {
        let at = |rng: &mut fastrand::Rng| now() + chrono::Duration::minutes(rng.i64(-2..=2) * 30);
        let clock = Clock {
            phase: [Phase::Running, Phase::Paused, Phase::Stopped][rng.usize(..3)],
            risk_at: rng.bool().then(|| at(rng)),
            due_at: rng.bool().then(|| at(rng)),
            left: chrono::Duration::minutes(rng.i64(-60..60)),
        };
        let kind = [Kind::Incident, Kind::Request, Kind::Problem, Kind::Change][rng.usize(..4)];
        let created = now() - chrono::Duration::hours(rng.i64(0..48));
        Row::new(QueueRow {
            rowid,
            id: TicketId::new(kind, rowid as u64),
            state: ["new", "assigned", "pending", "resolved"][rng.usize(..4)].into(),
            priority: rng.u8(1..=5),
            assignee: [None, Some("alice"), Some("Alice"), Some("bob"), Some("ALICE")][rng.usize(..5)]
                .map(String::from),
            title: "t".into(),
            ci: None,
            created_at: created,
            updated_at: created,
            clocks: Clocks {
                own: rng.bool().then_some(clock),
                resolve: rng.bool().then_some(clock),
            },
            is_open: rng.u8(0..5) > 0,
        })
    }

    fn views() -> Vec<ViewSpec> {
        let mut views = ViewSpec::builtin();
        let named = |name: &str| ViewSpec::named(name);
        views.push(ViewSpec {
            state: vec!["pending".into(), "no such state".into()],
            priority: vec![1, 2],
            ..named("urgent pending")
        });
        views.push(ViewSpec {
            state: vec!["no such state".into()],
            ..named("nothing")
        });
        views.push(ViewSpec {
            assignee: Some("BoB".into()),
            kind: Some(Kind::Incident),
            at_risk: true,
            ..named("bob's risky incidents")
        });
        views.push(ViewSpec {
            assignee: Some("carol".into()),
            ..named("nobody's name")
        });
        views
    }

    /// The facts answer every view as the rows themselves do, for every operator (known,
    /// in another case, unknown) and with or without a restriction to some tickets.
    #[test]
    fn the_facts_admit_what_the_rows_admit() {
        let mut rng = fastrand::Rng::with_seed(17);
        let rows: Vec<Row> = (1..=400).map(|n| any_row(n, &mut rng)).collect();
        let facts = Facts::of(&rows);
        let some: std::collections::HashSet<i64> = (1..=400).filter(|n| n % 3 == 0).collect();
        for view in views() {
            for me in ["alice", "ALICE", "bob", "dave"] {
                for only in [None, Some(&some)] {
                    let expected: Vec<bool> = rows
                        .iter()
                        .map(|r| {
                            super::super::admits(&view, r, me, now()) && only.is_none_or(|o| o.contains(&r.row.rowid))
                        })
                        .collect();
                    let got = facts.admitted(&view, only, me, now());
                    assert_eq!(got, expected, "view {}, me {me}, only {}", view.name, only.is_some());
                }
            }
        }
        assert_eq!(facts.counts(now()), super::super::counts::count(&rows, now()));
        assert_eq!(facts.index_of(123), Some(122));
        assert_eq!(facts.index_of(401), None);
    }

    /// Patched after rows left, changed and joined, the facts are those of the rows now.
    #[test]
    fn patched_facts_are_the_facts_of_the_rows_after_a_merge() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut rows: Vec<Row> = (1..=300).map(|n| any_row(n, &mut rng)).collect();
        let mut facts = Facts::of(&rows);
        // Every fifth row leaves, every seventh changes, and twenty join.
        let gone: Vec<bool> = (0..rows.len()).map(|i| i % 5 == 0).collect();
        let mut i = 0;
        rows.retain(|_| {
            i += 1;
            (i - 1) % 5 != 0
        });
        let mut fresh = Vec::new();
        for (old, new) in (0..300).filter(|i| i % 5 != 0).enumerate().map(|(n, i)| (i, n)) {
            if old % 7 == 0 {
                rows[new] = any_row(rows[new].row.rowid, &mut rng);
                fresh.push(new);
            }
        }
        for n in 0..20 {
            fresh.push(rows.len());
            rows.push(any_row(1_000 + n, &mut rng));
        }
        facts.patch(&rows, Some(&gone), &fresh);
        same_as_fresh(&facts, &rows);
        assert_eq!(facts.index_of(1_019), Some(rows.len() - 1));
        // Then none leaves: rows change in place and more join.
        let mut fresh = Vec::new();
        for i in (0..rows.len()).step_by(3) {
            rows[i] = any_row(rows[i].row.rowid, &mut rng);
            fresh.push(i);
        }
        for n in 0..5 {
            fresh.push(rows.len());
            rows.push(any_row(2_000 + n, &mut rng));
        }
        facts.patch(&rows, None, &fresh);
        same_as_fresh(&facts, &rows);
        assert_eq!(facts.index_of(2_004), Some(rows.len() - 1));
    }

    /// Facts that admit for every view, and count, what facts made afresh of `rows` do.
    fn same_as_fresh(facts: &Facts, rows: &[Row]) {
        let again = Facts::of(rows);
        for view in views() {
            assert_eq!(
                facts.admitted(&view, None, "alice", now()),
                again.admitted(&view, None, "alice", now()),
                "{}",
                view.name
            );
        }
        assert_eq!(facts.counts(now()), again.counts(now()));
    }
}
