//! Configuration items, their relations, and what a failure touches.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The CI classes a desk knows by default.
pub const CLASSES: &[&str] = &[
    "business_service",
    "application",
    "database",
    "server",
    "virtual_machine",
    "network_device",
    "storage",
    "cluster",
];

pub const STATUSES: &[&str] = &["live", "planned", "maintenance", "retired"];

pub fn check_class(class: &str) -> Result<&'static str, String> {
    CLASSES
        .iter()
        .find(|c| c.eq_ignore_ascii_case(class.trim()))
        .copied()
        .ok_or_else(|| format!("unknown CI class `{class}`: expected one of {}", CLASSES.join(", ")))
}

pub fn check_status(status: &str) -> Result<&'static str, String> {
    STATUSES
        .iter()
        .find(|c| c.eq_ignore_ascii_case(status.trim()))
        .copied()
        .ok_or_else(|| format!("unknown CI status `{status}`: expected one of {}", STATUSES.join(", ")))
}

/// A CI name: what operators type and see, so printable, one line, and not too long.
pub fn check_ci_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.trim() != name || name.len() > 200 || !crate::text::printable_name(name) {
        return Err(format!(
            "`{}` is not a CI name: use 1-200 printable characters without leading or trailing spaces",
            name.escape_debug()
        ));
    }
    Ok(())
}

/// A CI's attribute, owner team or environment: one line of printable text, not too long.
pub fn check_value(what: &str, value: &str) -> Result<(), String> {
    if value.len() > 1000 || crate::text::has_risky(value) {
        return Err(format!(
            "`{}` is not a CI {what}: use at most 1000 printable characters on one line",
            crate::text::inert(value, false)
        ));
    }
    Ok(())
}

/// `A depends_on B`: A needs B. Impact flows against the arrow, except for `connected_to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    DependsOn,
    RunsOn,
    ConnectedTo,
    PartOf,
}

impl Relation {
    pub const ALL: [Relation; 4] = [
        Relation::DependsOn,
        Relation::RunsOn,
        Relation::ConnectedTo,
        Relation::PartOf,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Relation::DependsOn => "depends_on",
            Relation::RunsOn => "runs_on",
            Relation::ConnectedTo => "connected_to",
            Relation::PartOf => "part_of",
        }
    }
    /// Whether a failure of the target impacts the source.
    pub fn carries_impact(self) -> bool {
        !matches!(self, Relation::ConnectedTo)
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Relation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        Relation::ALL
            .into_iter()
            .find(|r| r.name() == t)
            .ok_or_else(|| format!("unknown relation `{s}`: expected depends_on, runs_on, connected_to or part_of"))
    }
}

/// One directed edge `from relation to`, by CI id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edge {
    pub from: i64,
    pub relation: Relation,
    pub to: i64,
}

/// A CI reached by a walk, with how far and through whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub ci: i64,
    pub depth: usize,
    /// The CI the walk came from (the start, at depth 1). Paths are rebuilt from these on
    /// demand: keeping a whole path per CI would grow as the square of a long chain.
    pub via: i64,
}

/// Rebuilds paths from a walk's results.
pub struct Paths<'a> {
    start: i64,
    by_ci: std::collections::HashMap<i64, &'a Reached>,
}

impl<'a> Paths<'a> {
    pub fn new(start: i64, reached: &'a [Reached]) -> Paths<'a> {
        Paths {
            start,
            by_ci: reached.iter().map(|r| (r.ci, r)).collect(),
        }
    }

    /// The CIs from the start to `ci`, both included (`[start]` for the start itself; empty
    /// for a CI the walk did not reach).
    pub fn path(&self, ci: i64) -> Vec<i64> {
        let mut path = vec![ci];
        let mut at = ci;
        while at != self.start {
            match self.by_ci.get(&at) {
                Some(r) if path.len() <= self.by_ci.len() + 1 => {
                    at = r.via;
                    path.push(at);
                }
                _ => return Vec::new(),
            }
        }
        path.reverse();
        path
    }
}

/// Which way an analysis walks from a CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// What is impacted if the CI fails: what depends on, runs on or is part of it.
    Up,
    /// What the CI needs: what it depends on, runs on or is part of.
    Down,
}

fn adjacency(edges: &[Edge], direction: Direction) -> BTreeMap<i64, Vec<i64>> {
    let mut next: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for e in edges.iter().filter(|e| e.relation.carries_impact()) {
        match direction {
            Direction::Up => next.entry(e.to).or_default().push(e.from),
            Direction::Down => next.entry(e.from).or_default().push(e.to),
        }
    }
    for v in next.values_mut() {
        v.sort_unstable();
        v.dedup();
    }
    next
}

/// Everything impacted if `start` fails: CIs that depend on, run on or are part of it,
/// transitively. Each CI is visited once, so cycles end the walk instead of looping.
pub fn impacted(edges: &[Edge], start: i64) -> Vec<Reached> {
    walk(&adjacency(edges, Direction::Up), start)
}

/// Everything `start` needs, transitively: what it depends on, runs on or is part of.
pub fn dependencies(edges: &[Edge], start: i64) -> Vec<Reached> {
    walk(&adjacency(edges, Direction::Down), start)
}

/// The business services hit if `start` fails (itself first, if it is one), nearest first,
/// each with its depth and the path from `start` up to it.
pub fn impacted_services(edges: &[Edge], start: i64, is_service: impl Fn(i64) -> bool) -> Vec<(i64, usize, Vec<i64>)> {
    let reached = impacted(edges, start);
    let paths = Paths::new(start, &reached);
    let own = is_service(start).then(|| (start, 0, vec![start]));
    own.into_iter()
        .chain(
            reached
                .iter()
                .filter(|r| is_service(r.ci))
                .map(|r| (r.ci, r.depth, paths.path(r.ci))),
        )
        .collect()
}

/// What an analysis found: every CI reached (nearest first, with the path that reaches it)
/// and the cycles met on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    pub reached: Vec<Reached>,
    /// Each cycle as the CIs around it, starting and ending at the same CI.
    pub cycles: Vec<Vec<i64>>,
}

/// At most this many cycles are reported; a CMDB with more has a data problem to fix first.
pub const MAX_CYCLES: usize = 20;

/// Walks from `start` in `direction`, reporting what it reaches and any cycle reachable on
/// the way. Never loops: each CI is expanded once.
pub fn analyse(edges: &[Edge], start: i64, direction: Direction) -> Analysis {
    let next = adjacency(edges, direction);
    Analysis {
        reached: walk(&next, start),
        cycles: cycles_from(&next, start),
    }
}

/// Cycles reachable from `start`, found by depth-first search: an edge back to a CI still on
/// the search path closes a cycle. Iterative, so a deep CMDB cannot overflow the stack.
fn cycles_from(next: &BTreeMap<i64, Vec<i64>>, start: i64) -> Vec<Vec<i64>> {
    let mut done = std::collections::BTreeSet::new();
    let mut on_path: Vec<i64> = Vec::new();
    let mut cycles: Vec<Vec<i64>> = Vec::new();
    // (node, index of the next child to visit)
    let mut stack: Vec<(i64, usize)> = vec![(start, 0)];
    on_path.push(start);
    while let Some((node, i)) = stack.last().copied() {
        let children = next.get(&node).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(&child) = children.get(i) {
            if let Some(last) = stack.last_mut() {
                last.1 += 1;
            }
            if let Some(pos) = on_path.iter().position(|&n| n == child) {
                if cycles.len() < MAX_CYCLES {
                    let mut cycle = on_path[pos..].to_vec();
                    cycle.push(child);
                    cycles.push(cycle);
                }
            } else if !done.contains(&child) {
                stack.push((child, 0));
                on_path.push(child);
            }
        } else {
            done.insert(node);
            stack.pop();
            on_path.pop();
        }
    }
    cycles
}

/// Breadth first, so each CI is reached by a shortest path and listed nearest first.
fn walk(next: &BTreeMap<i64, Vec<i64>>, start: i64) -> Vec<Reached> {
    let mut seen = BTreeSet::from([start]);
    let mut queue = VecDeque::from([(start, 0usize)]);
    let mut out = Vec::new();
    while let Some((ci, depth)) = queue.pop_front() {
        for &n in next.get(&ci).map(Vec::as_slice).unwrap_or(&[]) {
            if seen.insert(n) {
                out.push(Reached {
                    ci: n,
                    depth: depth + 1,
                    via: ci,
                });
                queue.push_back((n, depth + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(from: i64, relation: Relation, to: i64) -> Edge {
        Edge { from, relation, to }
    }

    #[test]
    fn impact_flows_against_depends_on_runs_on_and_part_of() {
        // 1 shop (service) depends_on 2 app; 2 runs_on 3 vm; 3 part_of 4 cluster; 5 connected_to 4
        let edges = [
            e(1, Relation::DependsOn, 2),
            e(2, Relation::RunsOn, 3),
            e(3, Relation::PartOf, 4),
            e(5, Relation::ConnectedTo, 4),
        ];
        let hit = impacted(&edges, 4);
        let ids: Vec<i64> = hit.iter().map(|r| r.ci).collect();
        assert_eq!(ids, vec![3, 2, 1]);
        assert_eq!(hit[2].depth, 3);
        assert_eq!(Paths::new(4, &hit).path(1), vec![4, 3, 2, 1]);
        assert_eq!(Paths::new(4, &hit).path(4), vec![4]);
        assert!(Paths::new(4, &hit).path(5).is_empty());
        let needs: Vec<i64> = dependencies(&edges, 1).iter().map(|r| r.ci).collect();
        assert_eq!(needs, vec![2, 3, 4]);
    }

    #[test]
    fn analysis_reports_cycles_and_never_loops() {
        // 1 depends_on 2, 2 depends_on 3, 3 depends_on 1 (a cycle); 3 runs_on 4.
        let edges = [
            e(1, Relation::DependsOn, 2),
            e(2, Relation::DependsOn, 3),
            e(3, Relation::DependsOn, 1),
            e(3, Relation::RunsOn, 4),
        ];
        let down = analyse(&edges, 1, Direction::Down);
        assert_eq!(down.reached.iter().map(|r| r.ci).collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(down.cycles, vec![vec![1, 2, 3, 1]]);
        let up = analyse(&edges, 4, Direction::Up);
        assert_eq!(
            up.reached.iter().map(|r| (r.ci, r.depth)).collect::<Vec<_>>(),
            vec![(3, 1), (2, 2), (1, 3)]
        );
        assert_eq!(up.cycles, vec![vec![3, 2, 1, 3]]);
        let self_loop = analyse(&[e(5, Relation::PartOf, 5)], 5, Direction::Down);
        assert_eq!(self_loop.cycles, vec![vec![5, 5]]);
        assert!(analyse(&[], 9, Direction::Up).reached.is_empty());
    }

    #[test]
    fn a_long_chain_does_not_overflow() {
        let edges: Vec<Edge> = (0..20_000).map(|i| e(i, Relation::DependsOn, i + 1)).collect();
        let a = analyse(&edges, 0, Direction::Down);
        assert_eq!(a.reached.len(), 20_000);
        assert!(a.cycles.is_empty());
        assert_eq!(Paths::new(0, &a.reached).path(3), vec![0, 1, 2, 3]);
    }

    #[test]
    fn cycles_end_the_walk() {
        let edges = [
            e(1, Relation::DependsOn, 2),
            e(2, Relation::DependsOn, 3),
            e(3, Relation::DependsOn, 1),
        ];
        let ids: Vec<i64> = impacted(&edges, 1).iter().map(|r| r.ci).collect();
        assert_eq!(ids, vec![3, 2]);
    }

    #[test]
    fn names_classes_and_relations_are_checked() {
        assert_eq!(check_class("Server"), Ok("server"));
        assert!(check_class("toaster").is_err());
        assert_eq!("runs-on".parse(), Ok(Relation::RunsOn));
        assert!("likes".parse::<Relation>().is_err());
        assert!(check_ci_name("db-01").is_ok());
        assert!(check_ci_name(" db").is_err());
        assert!(check_ci_name("a\u{1b}b").is_err());
        assert_eq!(check_status("LIVE"), Ok("live"));
    }
}
