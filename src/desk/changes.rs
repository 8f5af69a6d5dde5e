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

/// One change on the forward schedule, with what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    pub id: crate::domain::TicketId,
    pub title: String,
    pub state: String,
    pub change_type: Option<String>,
    pub risk: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub cis: Vec<String>,
    /// Live changes whose windows overlap on the same or dependent CIs.
    pub conflicts: Vec<crate::domain::TicketId>,
    /// Freeze windows this change falls in.
    pub freezes: Vec<String>,
    /// CIs with maintenance windows that this change does not fit in.
    pub outside_maintenance: Vec<String>,
    /// Whether the window is longer than the desk's `changes.long_window`.
    pub long: bool,
}

/// The CIs among `cis` that have maintenance windows and whose windows `w` does not fit in.
pub(super) fn outside_maintenance(
    w: &Window,
    cis: &[i64],
    specs: &std::collections::HashMap<i64, Vec<String>>,
) -> Vec<i64> {
    use crate::domain::maintenance::MaintenanceWindow;
    cis.iter()
        .copied()
        .filter(|ci| {
            let windows: Vec<MaintenanceWindow> = specs
                .get(ci)
                .map(|s| s.iter().filter_map(|x| x.parse().ok()).collect())
                .unwrap_or_default();
            !windows.is_empty() && !windows.iter().any(|m| m.fits(w))
        })
        .collect()
}

/// The states the forward schedule shows (ITIL.md: from assess to review).
pub const SCHEDULE_STATES: [&str; 5] = ["assess", "authorize", "scheduled", "implement", "review"];

impl Desk {
    /// The forward schedule of change between `from` and `to`: every change from assess to
    /// review whose window overlaps, by start, each with its conflicts and freezes.
    pub fn forward_schedule(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Scheduled>> {
        self.schedule(from, to, false)
    }

    /// The schedule between `from` and `to`; with `closed`, the changes carried out (closed)
    /// too, with the conflicts they had: history, as imported or lived.
    pub fn schedule(&mut self, from: DateTime<Utc>, to: DateTime<Utc>, closed: bool) -> Result<Vec<Scheduled>> {
        use crate::domain::schedule::{self, Planned};
        let long_window = self.policy()?.changes.long_window;
        self.store.read(|tx| {
            let names = store_cmdb::names(tx)?;
            let edges = store_cmdb::edges(tx)?;
            let freezes = store_changes::freezes(tx)?;
            let windows = crate::store::tickets::changes_between(tx, from, to)?;
            let live = store_changes::planned_between(tx, from, to, closed)?;
            let conflicts = schedule::conflicts(&live, &edges);
            // Each change's partners and CIs, found by id (not by a scan per change).
            let mut partners: std::collections::HashMap<crate::domain::TicketId, Vec<crate::domain::TicketId>> =
                std::collections::HashMap::new();
            for c in &conflicts {
                partners.entry(c.a).or_default().push(c.b);
                partners.entry(c.b).or_default().push(c.a);
            }
            let live_cis: std::collections::HashMap<crate::domain::TicketId, &Vec<i64>> =
                live.iter().map(|p| (p.id, &p.cis)).collect();
            let specs = store_changes::maintenance(tx)?;
            let mut out = Vec::new();
            for w in windows
                .into_iter()
                .filter(|w| SCHEDULE_STATES.contains(&w.state.as_str()) || (closed && w.state == "closed"))
            {
                let cis = live_cis
                    .get(&w.id)
                    .map(|c| (*c).clone())
                    .map_or_else(|| store_changes::ci_ids_of_change(tx, w.id.number), Ok)?;
                let me = Planned {
                    id: w.id,
                    window: Window {
                        start: w.start,
                        end: w.end,
                    },
                    cis: cis.clone(),
                };
                let mut with: Vec<crate::domain::TicketId> = partners.remove(&w.id).unwrap_or_default();
                with.sort();
                with.dedup();
                out.push(Scheduled {
                    id: w.id,
                    title: w.title,
                    state: w.state,
                    change_type: w.change_type,
                    risk: w.risk,
                    start: w.start,
                    end: w.end,
                    cis: cis
                        .iter()
                        .map(|id| names.get(id).map(|(n, _)| n.clone()).unwrap_or_default())
                        .collect(),
                    conflicts: with,
                    freezes: schedule::freezes_hit(&me, &freezes, &edges)
                        .into_iter()
                        .map(|f| f.name.clone())
                        .collect(),
                    outside_maintenance: outside_maintenance(&me.window, &me.cis, &specs)
                        .iter()
                        .map(|id| names.get(id).map(|(n, _)| n.clone()).unwrap_or_default())
                        .collect(),
                    long: w.end - w.start > long_window,
                });
            }
            Ok(out)
        })
    }

    /// Replaces a CI's maintenance windows (each checked); an empty list clears them.
    pub fn set_maintenance(&mut self, ci: &str, specs: &[String]) -> Result<Vec<String>> {
        let mut normal = Vec::new();
        for spec in specs {
            let m: crate::domain::maintenance::MaintenanceWindow = spec.parse().map_err(DeskError::Invalid)?;
            normal.push(m.to_string());
        }
        self.write(|tx, _, who| {
            let c = store_cmdb::get(tx, ci.trim())?.ok_or_else(|| DeskError::NoCi(ci.trim().into()))?;
            desk_actor(tx, who, Utc::now())?;
            store_changes::set_maintenance(tx, c.rowid, &normal)?;
            Ok(normal)
        })
    }

    /// A CI's maintenance windows.
    pub fn maintenance_of(&mut self, ci: &str) -> Result<Vec<String>> {
        self.store.read(|tx| {
            let c = store_cmdb::get(tx, ci.trim())?.ok_or_else(|| DeskError::NoCi(ci.trim().into()))?;
            Ok(store_changes::maintenance(tx)?.remove(&c.rowid).unwrap_or_default())
        })
    }

    /// What makes this desk's calendar UIDs its own: when it was created.
    pub fn desk_stamp(&mut self) -> String {
        self.store
            .meta("created_at")
            .ok()
            .flatten()
            .map(|s| s.chars().filter(char::is_ascii_alphanumeric).collect())
            .unwrap_or_else(|| "desk".into())
    }

    /// Declares a freeze window; operators with the cab or admin role may.
    pub fn add_freeze(&mut self, name: &str, from: &str, to: &str, cis: &[String]) -> Result<FreezeView> {
        let name = name.trim();
        if !crate::text::printable_name(name) {
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
        self.write(|tx, _, who| {
            let now = Utc::now();
            let actor = desk_actor(tx, who, now)?;
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
