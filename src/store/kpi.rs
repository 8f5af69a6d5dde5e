//! The facts KPIs are computed from: one row per ticket, whose milestones were taken from its
//! timeline as it was written.

use super::sql::{Tx, params};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Result, from_millis, to_millis};
use crate::domain::Kind;
use crate::domain::kpi::{Backlog, CiTag, Facts, Milestones};

/// The query a report reads tickets with: every column from the covering index
/// `tickets_report`, `label` being the one text column a grouping needs.
pub fn facts_sql(label: Option<&'static str>) -> String {
    // Only these names ever reach the SQL text.
    let label = label
        .filter(|c| matches!(*c, "team" | "assignee" | "category"))
        .unwrap_or("NULL");
    format!(
        "SELECT id, kind, priority, is_open, created_at, {label}, change_type, close_code, \
         first_assigned_at, resolved_at, resolves, reopens, reassignments, \
         CASE WHEN tto_phase = 'stopped' THEN tto_due_at IS NULL END, \
         CASE WHEN ttr_phase = 'stopped' THEN ttr_due_at IS NULL END, closed_at \
         FROM tickets INDEXED BY tickets_report WHERE created_at >= ?1 AND created_at < ?2"
    )
}

/// Which CIs each ticket is on, read whole into arrays indexed by row id (a join per ticket
/// would seek into the wide tickets table once per link, and a hash map of a million tickets
/// is probed at random): the CIs of ticket t are `links[starts[t]..starts[t + 1]]`.
#[derive(Debug, Default)]
pub struct CiLinks {
    starts: Vec<u32>,
    links: Vec<CiTag>,
}

impl CiLinks {
    pub fn read(conn: &Tx) -> Result<CiLinks> {
        let mut names: Vec<Option<Arc<str>>> = Vec::new();
        conn.scan("SELECT id, name FROM cis", (), |r| {
            let (id, name): (i64, &str) = (r.get(0)?, r.get(1)?);
            if let Ok(i) = usize::try_from(id) {
                if names.len() <= i {
                    names.resize(i + 1, None);
                }
                names[i] = Some(name.into());
            }
            Ok(())
        })?;
        let max_ticket: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM tickets", (), |r| r.get(0))?;
        let slots = usize::try_from(max_ticket).unwrap_or(0) + 2;
        // The table's key is (ticket_id, ci_id): its rows come in ticket order already, so
        // `starts` is built in the same pass as `links`.
        let mut starts = vec![0u32; slots];
        let mut links: Vec<CiTag> = Vec::new();
        conn.scan(
            "SELECT ticket_id, ci_id FROM ticket_cis ORDER BY ticket_id, ci_id",
            (),
            |r| {
                let (t, ci): (i64, i64) = (r.get(0)?, r.get(1)?);
                let Some(t) = usize::try_from(t).ok().filter(|t| t + 1 < slots) else {
                    return Ok(());
                };
                starts[t + 1] += 1;
                links.push(CiTag {
                    id: ci,
                    name: usize::try_from(ci)
                        .ok()
                        .and_then(|i| names.get(i).cloned().flatten())
                        .unwrap_or_else(|| Arc::from("?")),
                });
                Ok(())
            },
        )?;
        for i in 1..slots {
            starts[i] += starts[i - 1];
        }
        Ok(CiLinks { starts, links })
    }

    /// The CIs ticket `id` is on.
    fn of(&self, id: i64) -> &[CiTag] {
        let Ok(t) = usize::try_from(id) else { return &[] };
        match (self.starts.get(t), self.starts.get(t + 1)) {
            (Some(a), Some(b)) if a < b => &self.links[*a as usize..*b as usize],
            _ => &[],
        }
    }
}

/// The creation time halfway between the first and last ticket created in `[since, until)`:
/// where a report splits its period to read the halves side by side. `None` for fewer than
/// two distinct times.
pub fn midpoint(conn: &Tx, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
    // Two subqueries: SQLite finds a lone min() or max() with one seek into the index, but
    // both in one SELECT scan the whole range.
    let (lo, hi): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT min(created_at) FROM tickets INDEXED BY tickets_report \
                 WHERE created_at >= ?1 AND created_at < ?2), \
                (SELECT max(created_at) FROM tickets INDEXED BY tickets_report \
                 WHERE created_at >= ?1 AND created_at < ?2)",
        params![to_millis(since), to_millis(until)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(match (lo, hi) {
        (Some(lo), Some(hi)) if hi > lo => Some(from_millis(lo + (hi - lo) / 2 + 1)),
        _ => None,
    })
}

/// Hands `take` the facts of every ticket created in `[since, until)`, one at a time.
/// `label` names the one text column a grouping needs (`team`, `assignee` or `category`).
pub fn facts(
    conn: &Tx,
    cis: &CiLinks,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    label: Option<&'static str>,
    mut take: impl FnMut(&Facts),
) -> Result<()> {
    let time = |v: Option<i64>| v.map(from_millis);
    conn.scan(&facts_sql(label), params![to_millis(since), to_millis(until)], |r| {
        let id: i64 = r.get(0)?;
        let kind = r.get::<_, &str>(1).ok();
        let f = Facts {
            kind: Kind::ALL.into_iter().find(|k| Some(k.name()) == kind),
            priority: r.get(2)?,
            open: r.get(3)?,
            created: from_millis(r.get(4)?),
            label: r.get(5)?,
            change_type: r.get(6)?,
            close_code: r.get(7)?,
            milestones: Milestones {
                first_assigned: time(r.get(8)?),
                resolved: time(r.get(9)?),
                resolves: r.get(10)?,
                reopens: r.get(11)?,
                reassignments: r.get(12)?,
                closed: time(r.get(15)?),
            },
            cis: cis.of(id),
            own_met: r.get(13)?,
            resolve_met: r.get(14)?,
        };
        take(&f);
        Ok(())
    })
}

/// The open tickets at `now`, by age and priority (from the open queue's index).
pub fn backlog(conn: &Tx, now: DateTime<Utc>) -> Result<Backlog> {
    let mut b = Backlog::default();
    conn.scan(
        "SELECT priority, created_at FROM tickets INDEXED BY tickets_open_queue WHERE is_open = 1",
        (),
        |r| {
            b.add(r.get(0)?, now - from_millis(r.get(1)?));
            Ok(())
        },
    )?;
    Ok(b)
}

/// When the tickets created in `[since, until)` were created, and when those resolved in it
/// (whenever created) were resolved, each handed to `opened` and `resolved`.
pub fn days(
    conn: &Tx,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    mut opened: impl FnMut(DateTime<Utc>),
    mut resolved: impl FnMut(DateTime<Utc>),
) -> Result<()> {
    let range = params![to_millis(since), to_millis(until)];
    conn.scan(
        "SELECT created_at FROM tickets INDEXED BY tickets_report WHERE created_at >= ?1 AND created_at < ?2",
        range,
        |r| {
            opened(from_millis(r.get(0)?));
            Ok(())
        },
    )?;
    conn.scan(
        "SELECT resolved_at FROM tickets INDEXED BY tickets_resolved \
         WHERE resolved_at IS NOT NULL AND resolved_at >= ?1 AND resolved_at < ?2",
        range,
        |r| {
            resolved(from_millis(r.get(0)?));
            Ok(())
        },
    )
}
