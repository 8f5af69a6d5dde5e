//! The CMDB pane's model: business services at the root, descending through what each
//! depends on, runs on and is part of; the selected CI's details; fuzzy find.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use ratatui::text::Line;
use tui_tree_widget::{TreeItem, TreeState};

use crate::desk::Ci;
use crate::desk::CmdbGraph;
use crate::domain::Ticket;
use crate::domain::cmdb::{self, Edge};
use crate::text::{inert, lowercase_chars};

/// CIs by name, ignoring case (compared character by character, no lowercase copy made);
/// a CI that has gone comes first.
fn by_name(a: Option<&Ci>, b: Option<&Ci>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => lowercase_chars(&a.name).cmp(lowercase_chars(&b.name)),
        _ => a.is_some().cmp(&b.is_some()),
    }
}

/// The identifier of the group that holds CIs no business service reaches.
pub const UNPLACED: i64 = -1;
/// Deeper than this, a branch is cut (a CMDB this deep is a data problem, not a design).
const MAX_DEPTH: usize = 16;

/// What the pane shows beside the tree for the selected CI.
#[derive(Debug, Clone)]
pub struct Selected {
    pub ci: Ci,
    /// Business services that fail if this CI fails, with the path that carries it.
    pub impacted: Vec<(String, Vec<String>)>,
    /// How many CIs its failure hits, and how many it needs (transitively).
    pub hits: usize,
    pub needs: usize,
    pub open_tickets: Vec<Ticket>,
}

/// Every CI by row id: the CIs as read, in row id order, found by halving (a map beside
/// them would copy all of them once more; a million-ticket desk has 13,000).
#[derive(Debug, Default)]
pub struct CiTable(Vec<Ci>);

impl CiTable {
    fn new(mut cis: Vec<Ci>) -> CiTable {
        cis.sort_unstable_by_key(|c| c.rowid);
        cis.dedup_by_key(|c| c.rowid);
        cis.shrink_to_fit();
        CiTable(cis)
    }

    pub fn get(&self, rowid: &i64) -> Option<&Ci> {
        self.0
            .binary_search_by_key(rowid, |c| c.rowid)
            .ok()
            .and_then(|i| self.0.get(i))
    }

    pub fn values(&self) -> std::slice::Iter<'_, Ci> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub struct CmdbModel {
    /// The digest of the graph the tree was built from (see [`CmdbGraph::fingerprint`]).
    pub fingerprint: u64,
    pub cis: CiTable,
    edges: Vec<Edge>,
    open_counts: BTreeMap<i64, usize>,
    pub items: Vec<TreeItem<'static, i64>>,
    /// The widget keeps what it last drew here, so keys can move through it.
    pub state: RefCell<TreeState<i64>>,
    pub selected: Option<Selected>,
    /// Cycles met while building the tree, as `a → b` pairs, reported in the pane.
    pub cycles: Vec<(String, String)>,
}

/// What an action of the tree asks of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The cursor moved: show what the CI under it touches.
    Moved,
    /// Show the open tickets of the CI under the cursor.
    Tickets,
    Find,
    Back,
    None,
}

impl CmdbModel {
    /// An action of the CMDB layer.
    pub fn on(&self, action: crate::tui::action::Action) -> Effect {
        use crate::tui::action::Action;
        let mut state = self.state.borrow_mut();
        match action {
            Action::Down => state.key_down(),
            Action::Up => state.key_up(),
            Action::Left => state.key_left(),
            Action::Right => state.key_right(),
            Action::Top => state.select_first(),
            Action::Bottom => state.select_last(),
            Action::Open => return Effect::Tickets,
            Action::Find => return Effect::Find,
            Action::Back => return Effect::Back,
            _ => return Effect::None,
        };
        Effect::Moved
    }

    pub fn new(graph: CmdbGraph) -> CmdbModel {
        let mut m = CmdbModel {
            fingerprint: graph.fingerprint(),
            cis: CiTable::new(graph.cis),
            edges: graph.edges,
            open_counts: graph.open_tickets,
            items: Vec::new(),
            state: RefCell::new(TreeState::default()),
            selected: None,
            cycles: Vec::new(),
        };
        m.build();
        // `select_first` needs a drawn frame; the first root is known without one.
        if let Some(first) = m.items.first().map(|i| *i.identifier()) {
            m.state.borrow_mut().select(vec![first]);
        }
        m
    }

    fn label(&self, id: i64) -> Line<'static> {
        let Some(ci) = self.cis.get(&id) else {
            return Line::raw(format!("#{id}"));
        };
        // One text, not a span for each part: the tree repeats a CI under every service
        // that reaches it (22,000 labels for the 13,000 CIs of a million-ticket desk).
        let mut label = inert(&ci.name, false);
        let _ = write!(label, "  {}", inert(&ci.class, false));
        if let Some(n) = self.open_counts.get(&id) {
            let _ = write!(label, "  ({n} open)");
        }
        if ci.status != "live" {
            let _ = write!(label, "  [{}]", inert(&ci.status, false));
        }
        label.shrink_to_fit();
        Line::raw(label)
    }

    fn build(&mut self) {
        let mut down: HashMap<i64, Vec<i64>> = HashMap::new();
        for e in self.edges.iter().filter(|e| e.relation.carries_impact()) {
            down.entry(e.from).or_default().push(e.to);
        }
        for children in down.values_mut() {
            children.sort_by(|a, b| by_name(self.cis.get(a), self.cis.get(b)));
            children.dedup();
        }
        let mut services: Vec<&Ci> = self.cis.values().filter(|c| c.class == "business_service").collect();
        services.sort_by(|a, b| by_name(Some(a), Some(b)));
        let service_ids: Vec<i64> = services.iter().map(|c| c.rowid).collect();
        let mut reached = std::collections::HashSet::new();
        let mut items = Vec::new();
        let mut cycles = Vec::new();
        for id in service_ids {
            let mut path = vec![id];
            items.push(self.subtree(id, &down, &mut path, &mut reached, &mut cycles));
        }
        let mut unplaced: Vec<&Ci> = self.cis.values().filter(|c| !reached.contains(&c.rowid)).collect();
        unplaced.sort_by(|a, b| a.class.cmp(&b.class).then_with(|| by_name(Some(a), Some(b))));
        if !unplaced.is_empty() {
            let leaves: Vec<TreeItem<'static, i64>> = unplaced
                .iter()
                .map(|c| TreeItem::new_leaf(c.rowid, self.label(c.rowid)))
                .collect();
            let text = format!("not under a business service ({})", leaves.len());
            if let Ok(group) = TreeItem::new(UNPLACED, text, leaves) {
                items.push(group);
            }
        }
        self.items = items;
        self.cycles = cycles;
    }

    fn subtree(
        &self,
        id: i64,
        down: &HashMap<i64, Vec<i64>>,
        path: &mut Vec<i64>,
        reached: &mut std::collections::HashSet<i64>,
        cycles: &mut Vec<(String, String)>,
    ) -> TreeItem<'static, i64> {
        reached.insert(id);
        let mut children = Vec::new();
        if path.len() < MAX_DEPTH {
            for &child in down.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
                if path.contains(&child) {
                    let name = |i: i64| self.cis.get(&i).map(|c| c.name.clone()).unwrap_or_default();
                    cycles.push((name(id), name(child)));
                    continue;
                }
                path.push(child);
                children.push(self.subtree(child, down, path, reached, cycles));
                path.pop();
            }
        }
        // Identifiers are unique among siblings by construction (children are deduplicated).
        TreeItem::new(id, self.label(id), children).unwrap_or_else(|_| TreeItem::new_leaf(id, self.label(id)))
    }

    /// The CI under the cursor, if the cursor is on a CI (not on a group).
    pub fn selected_ci(&self) -> Option<i64> {
        self.state
            .borrow()
            .selected()
            .last()
            .copied()
            .filter(|id| *id != UNPLACED)
    }

    /// Business services impacted by `id` failing, each with the path from `id` up to it.
    pub fn impacted_services(&self, id: i64) -> Vec<(String, Vec<String>)> {
        let name = |i: i64| self.cis.get(&i).map(|c| c.name.clone()).unwrap_or_default();
        let is_service = |i: i64| self.cis.get(&i).is_some_and(|c| c.class == "business_service");
        cmdb::impacted_services(&self.edges, id, is_service)
            .into_iter()
            .map(|(service, _, path)| (name(service), path.iter().map(|&p| name(p)).collect()))
            .collect()
    }

    /// How many CIs `id`'s failure hits and how many it needs, transitively.
    pub fn reach(&self, id: i64) -> (usize, usize) {
        (
            cmdb::impacted(&self.edges, id).len(),
            cmdb::dependencies(&self.edges, id).len(),
        )
    }

    /// The CIs below `id` in the tree: everything it depends on, transitively.
    pub fn below(&self, id: i64) -> Vec<i64> {
        cmdb::dependencies(&self.edges, id).iter().map(|r| r.ci).collect()
    }

    /// The tree path to show `id`: down from a business service that reaches it, or in the
    /// group of CIs no service reaches.
    fn path_to(&self, id: i64) -> Vec<i64> {
        let reached = cmdb::impacted(&self.edges, id);
        let shortest = reached
            .iter()
            .filter(|r| self.cis.get(&r.ci).is_some_and(|c| c.class == "business_service"))
            .min_by_key(|r| r.depth);
        match shortest {
            Some(r) => cmdb::Paths::new(id, &reached).path(r.ci).into_iter().rev().collect(),
            None if self.cis.get(&id).is_some_and(|c| c.class == "business_service") => vec![id],
            None => vec![UNPLACED, id],
        }
    }

    /// Selects `id`, opening the branches above it.
    pub fn reveal(&self, id: i64) {
        let path = self.path_to(id);
        let mut state = self.state.borrow_mut();
        for i in 1..path.len() {
            state.open(path[..i].to_vec());
        }
        state.select(path);
    }

    /// The CI whose name best matches `query` (fuzzy), if any.
    pub fn find(&self, query: &str) -> Option<i64> {
        let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        self.cis
            .values()
            .filter_map(|c| {
                pattern
                    .score(Utf32Str::new(&c.name, &mut buf), &mut matcher)
                    .map(|s| (s, c))
            })
            .max_by(|a, b| {
                a.0.cmp(&b.0)
                    .then(b.1.name.len().cmp(&a.1.name.len()))
                    .then(b.1.name.cmp(&a.1.name))
            })
            .map(|(_, c)| c.rowid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cmdb::Relation;

    fn ci(rowid: i64, name: &str, class: &str) -> Ci {
        Ci {
            rowid,
            name: name.into(),
            class: class.into(),
            status: "live".into(),
            owner_team: None,
            environment: None,
            attrs: Default::default(),
        }
    }

    fn model() -> CmdbModel {
        let e = |from, relation, to| Edge { from, relation, to };
        CmdbModel::new(CmdbGraph {
            cis: vec![
                ci(1, "shop", "business_service"),
                ci(2, "shop-api", "application"),
                ci(3, "vm-1", "virtual_machine"),
                ci(4, "db", "database"),
                ci(5, "printer", "server"),
                ci(6, "billing", "business_service"),
            ],
            edges: vec![
                e(1, Relation::DependsOn, 2),
                e(2, Relation::RunsOn, 3),
                e(2, Relation::DependsOn, 4),
                e(6, Relation::DependsOn, 4),
                e(4, Relation::DependsOn, 2), // a cycle: shop-api → db → shop-api
            ],
            open_tickets: BTreeMap::from([(4, 2)]),
        })
    }

    #[test]
    fn services_are_roots_and_strays_are_grouped() {
        let m = model();
        let roots: Vec<i64> = m.items.iter().map(|i| *i.identifier()).collect();
        assert_eq!(roots, vec![6, 1, UNPLACED]);
        assert_eq!(m.items[2].children().len(), 1, "the printer is under no service");
        assert_eq!(m.selected_ci(), Some(6));
    }

    #[test]
    fn cycles_are_cut_and_reported() {
        let m = model();
        assert!(
            m.cycles.contains(&("db".to_string(), "shop-api".to_string())),
            "{:?}",
            m.cycles
        );
    }

    #[test]
    fn find_reveals_a_ci_under_its_service() {
        let m = model();
        let id = m.find("vm").expect("found");
        assert_eq!(id, 3);
        m.reveal(id);
        assert_eq!(m.state.borrow().selected(), &[1, 2, 3]);
        assert_eq!(m.selected_ci(), Some(3));
        let printer = m.find("prntr").expect("fuzzy");
        m.reveal(printer);
        assert_eq!(m.state.borrow().selected(), &[UNPLACED, 5]);
    }

    #[test]
    fn impacted_services_with_paths() {
        let m = model();
        let mut hit = m.impacted_services(4);
        hit.sort();
        assert_eq!(
            hit,
            vec![
                ("billing".to_string(), vec!["db".to_string(), "billing".to_string()]),
                (
                    "shop".to_string(),
                    vec!["db".to_string(), "shop-api".to_string(), "shop".to_string()]
                ),
            ]
        );
    }
}
