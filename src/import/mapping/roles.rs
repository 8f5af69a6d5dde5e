//! The roles an import needs, known from the mapping and the desk's lifecycles before a row is
//! read: importing is an admin's work, and a state reached through guarded moves (a normal
//! change approved by the CAB) needs whoever makes those moves to hold their role.

use super::{History, Mapping, Source};
use crate::domain::lifecycle::Lifecycles;
use crate::domain::ticket::{ChangeType, Kind};
use crate::domain::{Actor, Role};

/// One role an import needs, and what for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NeededRole {
    pub role: Role,
    /// Who must hold it: `importer` (the one running the import) or `people` (those the file
    /// names as actors).
    pub who: &'static str,
    pub why: String,
}

impl Mapping {
    /// The roles this import needs, before a row is read.
    pub fn roles_needed(&self, lifecycles: &Lifecycles) -> Vec<NeededRole> {
        let who = if self.actor.is_some() { "people" } else { "importer" };
        let mut out = vec![NeededRole {
            role: Role::Admin,
            who: "importer",
            why: "to import tickets".into(),
        }];
        if self.history == History::AsRecorded {
            // A move the rules refuse is recorded as the source made it: no other role.
            return out;
        }
        let lifecycle = lifecycles.get(self.kind);
        let targets: Vec<String> = match self.fields.get("state") {
            None => Vec::new(),
            Some(v) => match (&v.source, &v.values) {
                (_, Some(table)) => table.values().chain(&v.default).cloned().collect(),
                (Source::Fixed(f), None) => vec![f.clone()],
                _ => lifecycle.states.clone(),
            },
        };
        let types: Vec<Option<ChangeType>> = if self.kind == Kind::Change {
            ChangeType::ALL.into_iter().map(Some).collect()
        } else {
            vec![None]
        };
        for target in targets.iter().filter(|t| !t.is_empty()) {
            for ty in &types {
                for tr in lifecycle.route(target, *ty).unwrap_or_default() {
                    let Some(role) = tr.role else { continue };
                    if out.iter().any(|n| n.role == role && n.who == who) {
                        continue;
                    }
                    let what = match ty {
                        Some(t) => format!("a {t} change"),
                        None => format!("a {}", self.kind),
                    };
                    let mut why = format!("`{}`, for {what} to reach `{target}`", tr.name);
                    if tr.not_requester {
                        why.push_str(", by someone other than its requester");
                    }
                    out.push(NeededRole { role, who, why });
                }
            }
        }
        out
    }
}

/// What the importer lacks of `needed`, as a sentence for each role.
pub fn lacking(needed: &[NeededRole], importer: &Actor) -> Vec<String> {
    needed
        .iter()
        // Without admin the import is refused outright, not row by row.
        .filter(|n| n.who == "importer" && n.role != Role::Admin && !importer.has(n.role))
        .map(|n| {
            format!(
                "{} does not hold the {} role, needed {}: rows that need it will not be taken \
                 (grant it, or set history = \"as-recorded\")",
                importer.name, n.role, n.why
            )
        })
        .collect()
}
