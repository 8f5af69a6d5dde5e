//! Configuration items, their relations, and which tickets touch them.

use super::sql::{OptionalExt, Row, Tx, params};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Result, to_millis};
use crate::domain::cmdb::{Edge, Relation};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Ci {
    #[serde(skip)]
    pub rowid: i64,
    pub name: String,
    pub class: String,
    pub status: String,
    pub owner_team: Option<String>,
    pub environment: Option<String>,
    pub attrs: BTreeMap<String, String>,
}

const COLUMNS: &str = "id, name, class, status, owner_team, environment, attrs";

fn from_row(r: &Row) -> Result<Ci> {
    let attrs: String = r.get(6)?;
    Ok(Ci {
        rowid: r.get(0)?,
        name: r.get(1)?,
        class: r.get(2)?,
        status: r.get(3)?,
        owner_team: r.get(4)?,
        environment: r.get(5)?,
        // Attributes are written only by this module, as a JSON object of strings.
        attrs: serde_json::from_str(&attrs).unwrap_or_default(),
    })
}

pub fn insert(conn: &Tx, ci: &Ci, at: DateTime<Utc>) -> Result<i64> {
    let attrs = serde_json::to_string(&ci.attrs).unwrap_or_else(|_| "{}".into());
    conn.insert(
        "INSERT INTO cis (name, class, status, owner_team, environment, attrs, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![ci.name, ci.class, ci.status, ci.owner_team, ci.environment, attrs, to_millis(at)],
    )
}

/// By name, without regard to case.
pub fn get(conn: &Tx, name: &str) -> Result<Option<Ci>> {
    let sql = format!("SELECT {COLUMNS} FROM cis WHERE name = ?1");
    conn.query_row(&sql, [name], from_row).optional()
}

pub fn list(conn: &Tx, class: Option<&str>) -> Result<Vec<Ci>> {
    let sql = format!("SELECT {COLUMNS} FROM cis WHERE CAST(?1 AS TEXT) IS NULL OR class = ?1 ORDER BY class, name");
    let rows = conn.query_map(&sql, [class], from_row)?;
    Ok(rows)
}

/// Each CI's name and class, by row id.
pub type NamesById = BTreeMap<i64, (String, String)>;

/// By row id, for the names along an impact path.
pub fn names(conn: &Tx) -> Result<NamesById> {
    let rows = conn.query_map("SELECT id, name, class FROM cis", (), |r| {
        Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
    })?;
    Ok(rows.into_iter().collect())
}

/// Adds `from relation to`; false when it was there already.
pub fn relate(conn: &Tx, from: i64, relation: Relation, to: i64) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO ci_relations (from_ci, relation, to_ci) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![from, relation.name(), to],
    )?;
    Ok(n == 1)
}

pub fn edges(conn: &Tx) -> Result<Vec<Edge>> {
    let rows = conn.query_map("SELECT from_ci, relation, to_ci FROM ci_relations", (), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
    })?;
    let mut out = Vec::new();
    for (from, relation, to) in rows {
        if let Ok(relation) = relation.parse() {
            out.push(Edge { from, relation, to });
        }
    }
    Ok(out)
}

/// The relations an impact walk up from `start` can follow (what depends on, runs on or is
/// part of it, transitively), and the names and classes of the CIs they touch: the part of
/// the CMDB a ticket's view needs, found by the index on `to_ci` rather than by reading the
/// whole CMDB. `UNION` keeps each CI once, so a cycle ends the walk.
pub fn impact_part(conn: &Tx, start: i64) -> Result<(Vec<Edge>, NamesById)> {
    let rows = conn.query_map(
        "WITH RECURSIVE up(ci) AS (SELECT CAST(?1 AS BIGINT) UNION \
             SELECT r.from_ci FROM ci_relations r JOIN up ON r.to_ci = up.ci WHERE r.relation <> 'connected_to') \
         SELECT r.from_ci, r.relation, r.to_ci FROM ci_relations r JOIN up ON r.to_ci = up.ci \
         WHERE r.relation <> 'connected_to'",
        [start],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)),
    )?;
    let mut edges = Vec::new();
    let mut ids = vec![start];
    for (from, relation, to) in rows {
        if let Ok(relation) = relation.parse() {
            edges.push(Edge { from, relation, to });
            ids.push(from);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let mut names = BTreeMap::new();
    for id in ids {
        if let Some(nc) = conn
            .query_row("SELECT name, class FROM cis WHERE id = ?1", [id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?
        {
            names.insert(id, nc);
        }
    }
    Ok((edges, names))
}

/// Links a ticket to a CI; false when it was linked already.
pub fn link_ticket(conn: &Tx, ticket: i64, ci: i64) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO ticket_cis (ticket_id, ci_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        [ticket, ci],
    )?;
    Ok(n == 1)
}

pub fn unlink_ticket(conn: &Tx, ticket: i64, ci: i64) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM ticket_cis WHERE ticket_id = ?1 AND ci_id = ?2",
        [ticket, ci],
    )?;
    Ok(n == 1)
}

pub fn of_ticket(conn: &Tx, ticket: i64) -> Result<Vec<Ci>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM cis WHERE id IN (SELECT ci_id FROM ticket_cis WHERE ticket_id = ?1) ORDER BY name"
    );
    let rows = conn.query_map(&sql, [ticket], from_row)?;
    Ok(rows)
}

/// Every CI of the desk.
pub fn all(conn: &Tx) -> Result<Vec<Ci>> {
    list(conn, None)
}

/// How many open tickets each CI has, for CIs that have any.
pub fn open_ticket_counts(conn: &Tx) -> Result<BTreeMap<i64, usize>> {
    let rows = conn.query_map(
        // From the open tickets (the open queue's index) to their links, not from every link
        // to its ticket: a desk of a million tickets has a tenth of them open.
        "SELECT tc.ci_id, count(*) FROM tickets t INDEXED BY tickets_open_queue \
         CROSS JOIN ticket_cis tc ON tc.ticket_id = t.id WHERE t.is_open = 1 GROUP BY tc.ci_id",
        (),
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )?;
    let mut out = BTreeMap::new();
    for (ci, n) in rows {
        out.insert(ci, usize::try_from(n).unwrap_or(0));
    }
    Ok(out)
}

/// The row ids of the open tickets linked to a CI.
pub fn open_ticket_rowids(conn: &Tx, ci: i64) -> Result<Vec<i64>> {
    let rows = conn.query_map(
        "SELECT tc.ticket_id FROM ticket_cis tc JOIN tickets t ON t.id = tc.ticket_id WHERE tc.ci_id = ?1 AND t.is_open = 1",
    [ci], |r| r.get(0))?;
    Ok(rows)
}
