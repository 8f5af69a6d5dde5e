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
    if name.trim().is_empty() || name.trim() != name || name.len() > 200 || name.chars().any(char::is_control) {
        return Err(format!(
            "`{}` is not a CI name: use 1-200 printable characters without leading or trailing spaces",
            name.escape_debug()
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: i64,
    pub relation: Relation,
    pub to: i64,
}

/// A CI reached by an impact walk, with how far and through whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub ci: i64,
    pub depth: usize,
    /// The CIs from the start to this one, both included.
    pub path: Vec<i64>,
}

/// Everything impacted if `start` fails: CIs that depend on, run on or are part of it,
/// transitively. Each CI is visited once, so cycles end the walk instead of looping.
pub fn impacted(edges: &[Edge], start: i64) -> Vec<Reached> {
    let mut upward: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for e in edges.iter().filter(|e| e.relation.carries_impact()) {
        upward.entry(e.to).or_default().push(e.from);
    }
    walk(&upward, start)
}

/// Everything `start` needs, transitively: what it depends on, runs on or is part of.
pub fn dependencies(edges: &[Edge], start: i64) -> Vec<Reached> {
    let mut downward: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for e in edges.iter().filter(|e| e.relation.carries_impact()) {
        downward.entry(e.from).or_default().push(e.to);
    }
    walk(&downward, start)
}

fn walk(next: &BTreeMap<i64, Vec<i64>>, start: i64) -> Vec<Reached> {
    let mut seen = BTreeSet::from([start]);
    let mut queue = VecDeque::from([(start, vec![start])]);
    let mut out = Vec::new();
    while let Some((ci, path)) = queue.pop_front() {
        for &n in next.get(&ci).map(Vec::as_slice).unwrap_or(&[]) {
            if seen.insert(n) {
                let mut p = path.clone();
                p.push(n);
                out.push(Reached {
                    ci: n,
                    depth: p.len() - 1,
                    path: p.clone(),
                });
                queue.push_back((n, p));
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
        assert_eq!(hit[2].path, vec![4, 3, 2, 1]);
        let needs: Vec<i64> = dependencies(&edges, 1).iter().map(|r| r.ci).collect();
        assert_eq!(needs, vec![2, 3, 4]);
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
