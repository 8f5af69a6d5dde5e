//! Actions on the CMDB: add and relate CIs, and see what they touch.

use std::collections::BTreeMap;

use chrono::Utc;
use serde::Serialize;

use super::{Desk, DeskError, Result, desk_actor};
use crate::domain::Ticket;
use crate::domain::cmdb::{self, Relation};
use crate::store::cmdb::{self as store_cmdb, Ci};
use crate::store::tickets::{self as store_tickets, Filter};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelationView {
    pub relation: String,
    pub ci: String,
    pub class: String,
}

/// A CI impacted by a failure, with the chain of CIs that carries the impact to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impacted {
    pub ci: String,
    pub class: String,
    pub depth: usize,
    pub path: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CiView {
    #[serde(flatten)]
    pub ci: Ci,
    /// `this relation other`.
    pub relations_out: Vec<RelationView>,
    /// `other relation this`.
    pub relations_in: Vec<RelationView>,
    /// Business services that fail if this CI fails.
    pub impacted_services: Vec<Impacted>,
    pub open_tickets: Vec<Ticket>,
}

/// What a failure of a CI touches (up), or what the CI needs (down).
#[derive(Debug, Clone, Serialize)]
pub struct ImpactReport {
    pub ci: String,
    pub class: String,
    pub direction: cmdb::Direction,
    /// Every CI reached, nearest first, each with its depth and the path from this CI.
    pub reached: Vec<Impacted>,
    /// The business services among them (up) — what the desk shows first.
    pub services: Vec<String>,
    /// Dependency cycles met on the way, each as the CIs around it.
    pub cycles: Vec<Vec<String>>,
}

/// The whole CMDB as the tree pane needs it: every CI, every relation, and how many open
/// tickets each CI has.
#[derive(Debug, Clone, Default)]
pub struct CmdbGraph {
    pub cis: Vec<Ci>,
    pub edges: Vec<cmdb::Edge>,
    pub open_tickets: BTreeMap<i64, usize>,
}

impl CmdbGraph {
    /// A digest of everything the tree pane shows from the graph: the same digest means a
    /// tree built from it would be the same one.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.cis.hash(&mut h);
        self.edges.hash(&mut h);
        self.open_tickets.hash(&mut h);
        h.finish()
    }
}

/// A CI's name and class by row id, for the CIs along a path; `#id` if it has gone.
fn label_of(names: &BTreeMap<i64, (String, String)>, id: i64) -> (String, String) {
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| (format!("#{id}"), String::new()))
}

impl Desk {
    /// Impact analysis of one CI: transitively against depends_on, runs_on and part_of.
    pub fn ci_impact(&mut self, name: &str, direction: cmdb::Direction) -> Result<ImpactReport> {
        self.store.read(|tx| {
            let ci = store_cmdb::get(tx, name.trim())?.ok_or_else(|| DeskError::NoCi(name.trim().into()))?;
            let names = store_cmdb::names(tx)?;
            let edges = store_cmdb::edges(tx)?;
            let label = |id: i64| label_of(&names, id);
            let analysis = cmdb::analyse(&edges, ci.rowid, direction);
            let paths = cmdb::Paths::new(ci.rowid, &analysis.reached);
            let reached: Vec<Impacted> = analysis
                .reached
                .iter()
                .map(|r| {
                    let (name, class) = label(r.ci);
                    Impacted {
                        ci: name,
                        class,
                        depth: r.depth,
                        path: paths.path(r.ci).iter().map(|&p| label(p).0).collect(),
                    }
                })
                .collect();
            let services = match direction {
                cmdb::Direction::Up => reached
                    .iter()
                    .filter(|r| r.class == "business_service")
                    .map(|r| r.ci.clone())
                    .collect(),
                cmdb::Direction::Down => Vec::new(),
            };
            Ok(ImpactReport {
                ci: ci.name,
                class: ci.class,
                direction,
                reached,
                services,
                cycles: analysis
                    .cycles
                    .iter()
                    .map(|c| c.iter().map(|&id| label(id).0).collect())
                    .collect(),
            })
        })
    }

    pub fn cmdb_graph(&mut self) -> Result<CmdbGraph> {
        self.store.read(|tx| {
            Ok(CmdbGraph {
                cis: store_cmdb::all(tx)?,
                edges: store_cmdb::edges(tx)?,
                open_tickets: store_cmdb::open_ticket_counts(tx)?,
            })
        })
    }

    /// The open tickets on a CI: row ids, for the queue to show them.
    pub fn open_ticket_rowids_on_ci(&mut self, ci: i64) -> Result<Vec<i64>> {
        self.store.read(|tx| Ok(store_cmdb::open_ticket_rowids(tx, ci)?))
    }

    /// The open tickets on a CI, most urgent first, at most `limit`.
    pub fn open_tickets_on_ci(&mut self, ci: i64, limit: usize) -> Result<Vec<Ticket>> {
        let filter = Filter {
            open_only: true,
            ci: Some(ci),
            limit,
            ..Filter::default()
        };
        self.store.read(|tx| Ok(store_tickets::list(tx, &filter)?))
    }

    /// Adds a CI. Names are unique without regard to case.
    pub fn add_ci(
        &mut self,
        name: &str,
        class: &str,
        status: Option<&str>,
        owner_team: Option<&str>,
        environment: Option<&str>,
        attrs: &[(String, String)],
    ) -> Result<Ci> {
        cmdb::check_ci_name(name).map_err(DeskError::Invalid)?;
        let class = cmdb::check_class(class).map_err(DeskError::Invalid)?;
        for (what, v) in [("owner team", owner_team), ("environment", environment)] {
            if let Some(v) = v {
                cmdb::check_value(what, v).map_err(DeskError::Invalid)?;
            }
        }
        for (k, v) in attrs {
            cmdb::check_value("attribute name", k).map_err(DeskError::Invalid)?;
            cmdb::check_value(&format!("attribute `{k}`"), v).map_err(DeskError::Invalid)?;
        }
        let status = cmdb::check_status(status.unwrap_or("live")).map_err(DeskError::Invalid)?;
        let mut ci = Ci {
            rowid: 0,
            name: name.to_string(),
            class: class.to_string(),
            status: status.to_string(),
            owner_team: owner_team.map(String::from),
            environment: environment.map(String::from),
            attrs: attrs.iter().cloned().collect::<BTreeMap<_, _>>(),
        };
        self.write(|tx, _, who| {
            let now = Utc::now();
            if let Some(existing) = store_cmdb::get(tx, name)? {
                return Err(DeskError::Invalid(format!(
                    "a CI named `{}` exists already",
                    existing.name
                )));
            }
            desk_actor(tx, who, now)?;
            ci.rowid = store_cmdb::insert(tx, &ci, now)?;
            Ok(ci)
        })
    }

    /// Records `a relation b`. False if it was recorded already.
    pub fn relate_cis(&mut self, a: &str, relation: Relation, b: &str) -> Result<bool> {
        self.write(|tx, _, who| {
            let now = Utc::now();
            let from = store_cmdb::get(tx, a.trim())?.ok_or_else(|| DeskError::NoCi(a.trim().into()))?;
            let to = store_cmdb::get(tx, b.trim())?.ok_or_else(|| DeskError::NoCi(b.trim().into()))?;
            if from.rowid == to.rowid {
                return Err(DeskError::Invalid(format!(
                    "`{}` cannot be related to itself",
                    from.name
                )));
            }
            desk_actor(tx, who, now)?;
            Ok(store_cmdb::relate(tx, from.rowid, relation, to.rowid)?)
        })
    }

    pub fn cis(&mut self, class: Option<&str>) -> Result<Vec<Ci>> {
        let class = class.map(cmdb::check_class).transpose().map_err(DeskError::Invalid)?;
        self.store.read(|tx| Ok(store_cmdb::list(tx, class)?))
    }

    /// A CI with its relations both ways, the business services it impacts and its open tickets.
    pub fn ci(&mut self, name: &str) -> Result<CiView> {
        self.store.read(|tx| {
            let ci = store_cmdb::get(tx, name.trim())?.ok_or_else(|| DeskError::NoCi(name.trim().into()))?;
            let names = store_cmdb::names(tx)?;
            let edges = store_cmdb::edges(tx)?;
            let label = |id: i64| label_of(&names, id);
            let view = |relation: Relation, other: i64| {
                let (ci, class) = label(other);
                RelationView {
                    relation: relation.name().into(),
                    ci,
                    class,
                }
            };
            let mut relations_out: Vec<_> = edges
                .iter()
                .filter(|e| e.from == ci.rowid)
                .map(|e| view(e.relation, e.to))
                .collect();
            let mut relations_in: Vec<_> = edges
                .iter()
                .filter(|e| e.to == ci.rowid)
                .map(|e| view(e.relation, e.from))
                .collect();
            relations_out.sort_by(|a, b| (&a.relation, &a.ci).cmp(&(&b.relation, &b.ci)));
            relations_in.sort_by(|a, b| (&a.relation, &a.ci).cmp(&(&b.relation, &b.ci)));
            let is_service = |id: i64| label(id).1 == "business_service";
            let impacted_services = cmdb::impacted_services(&edges, ci.rowid, is_service)
                .into_iter()
                .map(|(id, depth, path)| {
                    let (name, class) = label(id);
                    Impacted {
                        ci: name,
                        class,
                        depth,
                        path: path.iter().map(|&p| label(p).0).collect(),
                    }
                })
                .collect();
            let filter = Filter {
                open_only: true,
                ci: Some(ci.rowid),
                limit: 200,
                ..Filter::default()
            };
            let open_tickets = store_tickets::list(tx, &filter)?;
            Ok(CiView {
                ci,
                relations_out,
                relations_in,
                impacted_services,
                open_tickets,
            })
        })
    }
}
