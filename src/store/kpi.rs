//! The facts KPIs are computed from, read off the timeline in one pass.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Result, from_millis, to_millis};
use crate::domain::Kind;
use crate::domain::kpi::Facts;

/// The facts of every ticket created in `[since, until)`.
pub fn facts(conn: &Connection, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<Facts>> {
    let mut cis: HashMap<i64, Vec<String>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT tc.ticket_id, c.name FROM ticket_cis tc JOIN cis c ON c.id = tc.ci_id JOIN tickets t ON t.id = tc.ticket_id \
             WHERE t.created_at >= ?1 AND t.created_at < ?2",
        )?;
        let rows = stmt.query_map(params![to_millis(since), to_millis(until)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (t, name) = row?;
            cis.entry(t).or_default().push(name);
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT t.id, t.kind, t.priority, t.is_open, t.created_at, t.assignee, t.team, t.category, t.change_type, t.close_code, \
         min(CASE WHEN e.kind = 'transition' AND e.field = 'assign' THEN e.at END), \
         max(CASE WHEN e.kind = 'transition' AND e.field = 'resolve' THEN e.at END), \
         sum(e.kind = 'transition' AND e.field = 'resolve'), \
         sum(e.kind = 'transition' AND e.field = 'reopen'), \
         count(DISTINCT CASE WHEN e.kind = 'field' AND e.field = 'assignee' THEN e.new END) \
         FROM tickets t JOIN events e ON e.ticket_id = t.id \
         WHERE t.created_at >= ?1 AND t.created_at < ?2 GROUP BY t.id",
    )?;
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
                assignee: r.get(5)?,
                team: r.get(6)?,
                category: r.get(7)?,
                change_type: r.get(8)?,
                close_code: r.get(9)?,
                first_assigned: r.get::<_, Option<i64>>(10)?.map(from_millis),
                resolved: r.get::<_, Option<i64>>(11)?.map(from_millis),
                resolves: r.get::<_, Option<u32>>(12)?.unwrap_or(0),
                reopens: r.get::<_, Option<u32>>(13)?.unwrap_or(0),
                assignees: r.get(14)?,
                cis: Vec::new(),
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
