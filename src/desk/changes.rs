//! The change schedule: freeze windows and the forward schedule with its conflicts.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Desk, DeskError, Result, desk_actor, local_offset};
use crate::domain::Role;
use crate::domain::rules::parse_time;
use crate::domain::schedule::{Freeze, Window};
use crate::store::changes as store_changes;
use crate::store::cmdb as store_cmdb;

/// A freeze window as people see it: CIs by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FreezeView {
    pub name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Empty: the whole desk is frozen.
    pub cis: Vec<String>,
}

impl Desk {
    /// Declares a freeze window; operators with the cab or admin role may.
    pub fn add_freeze(&mut self, name: &str, from: &str, to: &str, cis: &[String]) -> Result<FreezeView> {
        let name = name.trim();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(DeskError::Invalid("a freeze window needs a printable name".into()));
        }
        let when = |s: &str, what: &str| {
            parse_time(s.trim(), local_offset()).ok_or_else(|| {
                DeskError::Invalid(format!(
                    "--{what} `{s}` is not a time: use e.g. 2026-12-20 or 2026-12-20 18:00"
                ))
            })
        };
        let window = Window {
            start: when(from, "from")?,
            end: when(to, "to")?,
        };
        if window.end <= window.start {
            return Err(DeskError::Invalid(format!(
                "the freeze window `{name}` ends before it starts"
            )));
        }
        let user = self.user.clone();
        self.store.write(|tx| {
            let now = Utc::now();
            let actor = desk_actor(tx, &user, now)?;
            if !actor.has(Role::Cab) && !actor.has(Role::Admin) {
                return Err(DeskError::Invalid(format!(
                    "{} may not declare freeze windows: that needs the cab or admin role",
                    actor.name
                )));
            }
            if store_changes::freeze_exists(tx, name)? {
                return Err(DeskError::Invalid(format!(
                    "a freeze window named `{name}` exists already"
                )));
            }
            let mut ids = Vec::new();
            let mut names = Vec::new();
            for c in cis {
                let ci = store_cmdb::get(tx, c.trim())?.ok_or_else(|| DeskError::NoCi(c.trim().into()))?;
                ids.push(ci.rowid);
                names.push(ci.name);
            }
            let freeze = Freeze {
                name: name.into(),
                window,
                cis: ids,
            };
            store_changes::add_freeze(tx, &freeze, &actor.name, now)?;
            Ok(FreezeView {
                name: name.into(),
                start: window.start,
                end: window.end,
                cis: names,
            })
        })
    }

    pub fn freezes(&mut self) -> Result<Vec<FreezeView>> {
        self.store.read(|tx| {
            let names = store_cmdb::names(tx)?;
            Ok(store_changes::freezes(tx)?
                .into_iter()
                .map(|f| FreezeView {
                    name: f.name,
                    start: f.window.start,
                    end: f.window.end,
                    cis: f
                        .cis
                        .iter()
                        .map(|id| names.get(id).map(|(n, _)| n.clone()).unwrap_or_default())
                        .collect(),
                })
                .collect())
        })
    }
}
