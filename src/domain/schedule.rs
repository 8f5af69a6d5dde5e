//! The change schedule: windows, conflicts between changes, freeze windows.
//!
//! Windows are half-open `[start, end)` instants in UTC, whatever zone they were typed in: a
//! window that ends when another starts does not conflict with it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::cmdb::Edge;
use super::ticket::TicketId;

/// The states in which a change is live on the schedule (ITIL.md: conflicts are between
/// these).
pub const LIVE_STATES: [&str; 4] = ["assess", "authorize", "scheduled", "implement"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    /// Half-open windows overlap when each starts before the other ends.
    pub fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// A change as the schedule sees it: its window and the CIs it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub id: TicketId,
    pub window: Window,
    pub cis: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Why {
    /// Both touch this CI.
    SameCi { ci: i64 },
    /// One touches a CI that depends on, runs on or is part of a CI the other touches.
    Linked { depends: i64, on: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub a: TicketId,
    pub b: TicketId,
    pub why: Why,
}

/// What each CI needs, transitively, computed once per CI as the schedule asks.
struct Needs {
    down: HashMap<i64, Vec<i64>>,
    memo: HashMap<i64, HashSet<i64>>,
}

impl Needs {
    fn new(edges: &[Edge]) -> Needs {
        let mut down: HashMap<i64, Vec<i64>> = HashMap::new();
        for e in edges.iter().filter(|e| e.relation.carries_impact()) {
            down.entry(e.from).or_default().push(e.to);
        }
        Needs {
            down,
            memo: HashMap::new(),
        }
    }

    fn of(&mut self, ci: i64) -> &HashSet<i64> {
        if !self.memo.contains_key(&ci) {
            // A walk over the map built once (rebuilding it per CI from every edge cost
            // seconds on a 10,000-CI desk); leaves, most CIs, have nothing to walk.
            let mut set = HashSet::new();
            let mut stack: Vec<i64> = self.down.get(&ci).cloned().unwrap_or_default();
            while let Some(n) = stack.pop() {
                if set.insert(n)
                    && let Some(next) = self.down.get(&n)
                {
                    stack.extend(next.iter().copied());
                }
            }
            self.memo.insert(ci, set);
        }
        self.memo.entry(ci).or_default()
    }

    /// Why two sets of CIs collide, if they do: a shared CI first, then a dependency
    /// either way.
    fn why(&mut self, a: &[i64], b: &[i64]) -> Option<Why> {
        if let Some(&ci) = a.iter().find(|ci| b.contains(ci)) {
            return Some(Why::SameCi { ci });
        }
        for &x in a {
            for &y in b {
                if self.of(x).contains(&y) {
                    return Some(Why::Linked { depends: x, on: y });
                }
                if self.of(y).contains(&x) {
                    return Some(Why::Linked { depends: y, on: x });
                }
            }
        }
        None
    }
}

/// Every pair of changes whose windows overlap and whose CIs collide, each pair once.
/// A sweep over the windows sorted by start compares a change only with those still running
/// when it starts, so the cost follows the overlaps, not the square of the schedule.
pub fn conflicts(changes: &[Planned], edges: &[Edge]) -> Vec<Conflict> {
    let mut order: Vec<&Planned> = changes.iter().filter(|c| c.window.start < c.window.end).collect();
    order.sort_by_key(|c| (c.window.start, c.id));
    let mut needs = Needs::new(edges);
    let mut running: Vec<&Planned> = Vec::new();
    let mut out = Vec::new();
    for c in order {
        running.retain(|r| r.window.end > c.window.start);
        for r in &running {
            if let Some(why) = needs.why(&r.cis, &c.cis) {
                out.push(Conflict { a: r.id, b: c.id, why });
            }
        }
        running.push(c);
    }
    out
}

/// The conflicts one change (not necessarily in `others`) would have with the others.
pub fn conflicts_of(change: &Planned, others: &[Planned], edges: &[Edge]) -> Vec<Conflict> {
    let mut needs = Needs::new(edges);
    others
        .iter()
        .filter(|o| o.id != change.id && o.window.overlaps(&change.window))
        .filter_map(|o| {
            needs.why(&change.cis, &o.cis).map(|why| Conflict {
                a: change.id,
                b: o.id,
                why,
            })
        })
        .collect()
}

/// A named period in which normal and standard changes may not be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Freeze {
    pub name: String,
    pub window: Window,
    /// The CIs or services it is limited to; empty: everything.
    pub cis: Vec<i64>,
}

/// The freeze windows a change falls in: overlapping its window, and either unlimited or
/// naming one of its CIs, or a CI (a service) that depends on one of them.
pub fn freezes_hit<'f>(change: &Planned, freezes: &'f [Freeze], edges: &[Edge]) -> Vec<&'f Freeze> {
    // The dependency map is built only when a freeze limited to some CIs overlaps: a
    // schedule of ten thousand changes asks this of each.
    let mut needs: Option<Needs> = None;
    freezes
        .iter()
        .filter(|f| f.window.overlaps(&change.window))
        .filter(|f| {
            f.cis.is_empty()
                || f.cis.iter().any(|frozen| {
                    change.cis.contains(frozen)
                        || change
                            .cis
                            .iter()
                            .any(|c| needs.get_or_insert_with(|| Needs::new(edges)).of(*frozen).contains(c))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cmdb::Relation;
    use crate::domain::ticket::Kind;
    use chrono::{FixedOffset, TimeZone};

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).single().expect("time")
    }

    fn chg(n: u64, from: DateTime<Utc>, to: DateTime<Utc>, cis: &[i64]) -> Planned {
        Planned {
            id: TicketId::new(Kind::Change, n),
            window: Window { start: from, end: to },
            cis: cis.to_vec(),
        }
    }

    fn edges() -> Vec<Edge> {
        // 1 shop depends_on 2 api; 2 runs_on 3 vm; 3 part_of 4 cluster; 5 printer alone;
        // 6 switch connected_to 4 (no impact).
        vec![
            Edge {
                from: 1,
                relation: Relation::DependsOn,
                to: 2,
            },
            Edge {
                from: 2,
                relation: Relation::RunsOn,
                to: 3,
            },
            Edge {
                from: 3,
                relation: Relation::PartOf,
                to: 4,
            },
            Edge {
                from: 6,
                relation: Relation::ConnectedTo,
                to: 4,
            },
        ]
    }

    #[test]
    fn same_ci_with_overlapping_windows_conflicts() {
        let c = conflicts(
            &[chg(1, t(2, 0), t(4, 0), &[2]), chg(2, t(3, 0), t(5, 0), &[2])],
            &edges(),
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].why, Why::SameCi { ci: 2 });
    }

    #[test]
    fn dependency_overlap_conflicts_either_way_and_transitively() {
        // Patching the cluster (4) while the shop service (1) is changed: 1 needs 2 needs 3 needs 4.
        let c = conflicts(
            &[chg(1, t(2, 0), t(4, 0), &[1]), chg(2, t(3, 0), t(5, 0), &[4])],
            &edges(),
        );
        assert_eq!(
            c,
            vec![Conflict {
                a: c[0].a,
                b: c[0].b,
                why: Why::Linked { depends: 1, on: 4 }
            }]
        );
        let c = conflicts(
            &[chg(1, t(2, 0), t(4, 0), &[4]), chg(2, t(3, 0), t(5, 0), &[1])],
            &edges(),
        );
        assert_eq!(c[0].why, Why::Linked { depends: 1, on: 4 });
    }

    #[test]
    fn unrelated_cis_and_connected_to_do_not_conflict() {
        assert!(
            conflicts(
                &[chg(1, t(2, 0), t(4, 0), &[5]), chg(2, t(3, 0), t(5, 0), &[4])],
                &edges()
            )
            .is_empty()
        );
        assert!(
            conflicts(
                &[chg(1, t(2, 0), t(4, 0), &[6]), chg(2, t(3, 0), t(5, 0), &[4])],
                &edges()
            )
            .is_empty()
        );
    }

    #[test]
    fn touching_windows_do_not_conflict() {
        assert!(
            conflicts(
                &[chg(1, t(2, 0), t(4, 0), &[2]), chg(2, t(4, 0), t(6, 0), &[2])],
                &edges()
            )
            .is_empty()
        );
        assert_eq!(
            conflicts(
                &[chg(1, t(2, 0), t(4, 1), &[2]), chg(2, t(4, 0), t(6, 0), &[2])],
                &edges()
            )
            .len(),
            1
        );
    }

    #[test]
    fn windows_typed_in_different_zones_compare_as_instants() {
        let berlin = FixedOffset::east_opt(3600).expect("+01:00");
        let new_york = FixedOffset::west_opt(5 * 3600).expect("-05:00");
        // 03:00-05:00 in Berlin is 02:00-04:00 UTC; 22:00-23:00 the evening before in New
        // York is 03:00-04:00 UTC: they overlap although the wall clocks do not.
        let a = chg(
            1,
            berlin
                .with_ymd_and_hms(2026, 12, 1, 3, 0, 0)
                .single()
                .expect("t")
                .to_utc(),
            berlin
                .with_ymd_and_hms(2026, 12, 1, 5, 0, 0)
                .single()
                .expect("t")
                .to_utc(),
            &[2],
        );
        let b = chg(
            2,
            new_york
                .with_ymd_and_hms(2026, 11, 30, 22, 0, 0)
                .single()
                .expect("t")
                .to_utc(),
            new_york
                .with_ymd_and_hms(2026, 11, 30, 23, 0, 0)
                .single()
                .expect("t")
                .to_utc(),
            &[2],
        );
        assert_eq!(conflicts(&[a.clone(), b.clone()], &edges()).len(), 1);
        // And 05:00 Berlin touches 23:00 New York (both 04:00 UTC): no conflict.
        let c = chg(
            3,
            new_york
                .with_ymd_and_hms(2026, 11, 30, 23, 0, 0)
                .single()
                .expect("t")
                .to_utc(),
            new_york
                .with_ymd_and_hms(2026, 12, 1, 1, 0, 0)
                .single()
                .expect("t")
                .to_utc(),
            &[2],
        );
        assert!(conflicts(&[a, c], &edges()).is_empty());
    }

    #[test]
    fn windows_across_a_dst_change_compare_in_utc() {
        // 2026-10-25 is when Berlin leaves summer time: 02:30 happens twice. Typed with their
        // offsets, the first 02:00-03:00 (+02:00) ends an hour before the second (+01:00).
        let summer = FixedOffset::east_opt(7200).expect("+02:00");
        let winter = FixedOffset::east_opt(3600).expect("+01:00");
        let first = chg(
            1,
            summer
                .with_ymd_and_hms(2026, 10, 25, 2, 0, 0)
                .single()
                .expect("t")
                .to_utc(),
            summer
                .with_ymd_and_hms(2026, 10, 25, 2, 59, 0)
                .single()
                .expect("t")
                .to_utc(),
            &[2],
        );
        let second = chg(
            2,
            winter
                .with_ymd_and_hms(2026, 10, 25, 2, 0, 0)
                .single()
                .expect("t")
                .to_utc(),
            winter
                .with_ymd_and_hms(2026, 10, 25, 3, 0, 0)
                .single()
                .expect("t")
                .to_utc(),
            &[2],
        );
        assert!(
            conflicts(&[first, second], &edges()).is_empty(),
            "an hour apart in real time"
        );
    }

    #[test]
    fn each_pair_once_and_many_at_a_time() {
        let all: Vec<Planned> = (0..5).map(|i| chg(i, t(2, 0), t(3, 0), &[2])).collect();
        assert_eq!(conflicts(&all, &edges()).len(), 10);
        let one = conflicts_of(&chg(9, t(2, 30), t(2, 45), &[3]), &all, &edges());
        assert_eq!(one.len(), 5, "2 runs on 3");
    }

    #[test]
    fn freezes_by_time_and_by_ci_or_service() {
        let f = |name: &str, cis: &[i64]| Freeze {
            name: name.into(),
            window: Window {
                start: t(0, 0),
                end: t(6, 0),
            },
            cis: cis.to_vec(),
        };
        let freezes = [f("year end", &[]), f("shop freeze", &[1]), f("printer freeze", &[5])];
        let change = chg(1, t(5, 0), t(7, 0), &[3]);
        let hit: Vec<&str> = freezes_hit(&change, &freezes, &edges())
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(
            hit,
            vec!["year end", "shop freeze"],
            "the shop needs the vm the change touches"
        );
        let after = chg(2, t(6, 0), t(7, 0), &[3]);
        assert!(
            freezes_hit(&after, &freezes, &edges()).is_empty(),
            "touching the freeze's end is outside it"
        );
    }
}
