//! What the change schedule reads and writes: planned changes with their CIs, freeze windows.

use super::sql::{Tx, params};
use chrono::{DateTime, Offset, Utc};

use super::{Result, to_millis};
use crate::domain::Kind;
use crate::domain::rules::{format_time, parse_time};
use crate::domain::schedule::{Freeze, LIVE_STATES, Planned, Window};
use crate::domain::ticket::TicketId;
use crate::store::tickets::longest_window;

fn window(start: &str, end: &str) -> Option<Window> {
    let utc = Utc.fix();
    Some(Window {
        start: parse_time(start, utc)?,
        end: parse_time(end, utc)?,
    })
}

/// The CIs a ticket is linked to, by row id.
pub fn ci_ids(conn: &Tx, ticket: i64) -> Result<Vec<i64>> {
    let rows = conn.query_map(
        "SELECT ci_id FROM ticket_cis WHERE ticket_id = ?1 ORDER BY ci_id",
        [ticket],
        |r| r.get(0),
    )?;
    Ok(rows)
}

/// Changes in a live state (assess to implement) whose window overlaps `[from, to)`, with
/// their CIs.
pub fn live_between(conn: &Tx, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Planned>> {
    planned_between(conn, from, to, false)
}

/// The same, and with `closed` also the changes that were carried out (history).
pub fn planned_between(conn: &Tx, from: DateTime<Utc>, to: DateTime<Utc>, closed: bool) -> Result<Vec<Planned>> {
    let earliest = format_time(from - longest_window(conn)?);
    let rows = conn.query_map(
        "SELECT id, number, state, planned_start, planned_end FROM tickets WHERE kind = 'change' \
         AND planned_start >= ?1 AND planned_start < ?2 AND planned_end > ?3",
        params![earliest, format_time(to), format_time(from)],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for (rowid, number, state, start, end) in rows {
        let shown = LIVE_STATES.contains(&state.as_str()) || (closed && state == "closed");
        if !shown {
            continue;
        }
        if let Some(window) = window(&start, &end) {
            out.push(Planned {
                id: TicketId::new(Kind::Change, number.max(0) as u64),
                window,
                cis: ci_ids(conn, rowid)?,
            });
        }
    }
    Ok(out)
}

pub fn add_freeze(conn: &Tx, f: &Freeze, by: &str, at: DateTime<Utc>) -> Result<i64> {
    let id = conn.insert(
        "INSERT INTO freeze_windows (name, start, \"end\", created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            f.name,
            format_time(f.window.start),
            format_time(f.window.end),
            by,
            to_millis(at)
        ],
    )?;
    for ci in &f.cis {
        conn.execute(
            "INSERT INTO freeze_window_cis (freeze_id, ci_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            [id, *ci],
        )?;
    }
    Ok(id)
}

pub fn freeze_exists(conn: &Tx, name: &str) -> Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM freeze_windows WHERE name = ?1)",
        [name],
        |r| r.get(0),
    )
}

/// Every freeze window, by start.
pub fn freezes(conn: &Tx) -> Result<Vec<Freeze>> {
    let rows = conn.query_map(
        "SELECT id, name, start, \"end\" FROM freeze_windows ORDER BY start, name",
        (),
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for (id, name, start, end) in rows {
        let Some(window) = window(&start, &end) else { continue };
        let cis = conn.query_map(
            "SELECT ci_id FROM freeze_window_cis WHERE freeze_id = ?1 ORDER BY ci_id",
            [id],
            |r| r.get(0),
        )?;
        out.push(Freeze { name, window, cis });
    }
    Ok(out)
}

/// The CIs of change number `number`, by row id.
pub fn ci_ids_of_change(conn: &Tx, number: u64) -> Result<Vec<i64>> {
    let rows = conn.query_map(
        "SELECT tc.ci_id FROM ticket_cis tc JOIN tickets t ON t.id = tc.ticket_id \
         WHERE t.kind = 'change' AND t.number = ?1 ORDER BY tc.ci_id",
        [i64::try_from(number).unwrap_or(i64::MAX)],
        |r| r.get(0),
    )?;
    Ok(rows)
}

/// Replaces a CI's maintenance windows.
pub fn set_maintenance(conn: &Tx, ci: i64, specs: &[String]) -> Result<()> {
    conn.execute("DELETE FROM ci_maintenance WHERE ci_id = ?1", [ci])?;
    for spec in specs {
        conn.execute(
            "INSERT INTO ci_maintenance (ci_id, spec) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![ci, spec],
        )?;
    }
    Ok(())
}

/// Every CI's maintenance windows, as written.
pub fn maintenance(conn: &Tx) -> Result<std::collections::HashMap<i64, Vec<String>>> {
    let rows = conn.query_map("SELECT ci_id, spec FROM ci_maintenance ORDER BY ci_id, spec", (), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    for (ci, spec) in rows {
        out.entry(ci).or_default().push(spec);
    }
    Ok(out)
}
