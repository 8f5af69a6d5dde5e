//! The facts KPIs are computed from: one row per ticket, whose milestones were taken from its
//! timeline as it was written.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Result, from_millis, to_millis};
use crate::domain::Kind;
use crate::domain::kpi::{Facts, Milestones};

/// The facts of every ticket created in `[since, until)`.
/// `label` names the one text column a grouping needs (`team`, `assignee` or `category`).
pub fn facts(
    conn: &Connection,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    label: Option<&'static str>,
) -> Result<Vec<Facts>> {
    // Which CIs each ticket is on, read whole (a join per ticket would seek into the wide
    // tickets table once per link: most of a report's time on a large desk).
    let mut names: HashMap<i64, String> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached("SELECT id, name FROM cis")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, name) = row?;
            names.insert(id, name);
        }
    }
    let mut cis: HashMap<i64, Vec<String>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached("SELECT ticket_id, ci_id FROM ticket_cis")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
            let (t, ci) = row?;
            if let Some(name) = names.get(&ci) {
                cis.entry(t).or_default().push(name.clone());
            }
        }
    }
    // Only these names ever reach the SQL text.
    let label = label
        .filter(|c| matches!(*c, "team" | "assignee" | "category"))
        .unwrap_or("NULL");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, kind, priority, is_open, created_at, {label}, change_type, close_code, \
         first_assigned_at, resolved_at, resolves, reopens, reassignments, \
         CASE WHEN tto_phase = 'stopped' THEN tto_due_at IS NULL END, \
         CASE WHEN ttr_phase = 'stopped' THEN ttr_due_at IS NULL END \
         FROM tickets WHERE created_at >= ?1 AND created_at < ?2"
    ))?;
    let time = |v: Option<i64>| v.map(from_millis);
    let rows = stmt.query_map(params![to_millis(since), to_millis(until)], |r| {
        let id: i64 = r.get(0)?;
        let kind: String = r.get(1)?;
        Ok((
            id,
            Facts {
                kind: kind.parse::<Kind>().ok(),
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
                },
                cis: Vec::new(),
                own_met: r.get(13)?,
                resolve_met: r.get(14)?,
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, mut f) = row?;
        f.cis = cis.remove(&id).unwrap_or_default();
        out.push(f);
    }
    Ok(out)
}
