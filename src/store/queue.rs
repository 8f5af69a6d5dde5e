//! The queue's reads: the rows it shows (from the open queue's covering index), the first
//! page of them by time to breach, the first CI of each, and what changed since a time.

use super::sql::{Row, Tx, params};
use chrono::{DateTime, Utc};

use super::{Result, from_millis, to_millis};
use crate::domain::ticket::{Kind, TicketId};

/// What the queue shows of a ticket: enough to sort, filter and draw a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub rowid: i64,
    pub id: TicketId,
    pub state: String,
    pub priority: u8,
    pub assignee: Option<String>,
    pub title: String,
    /// The first linked CI by name, if any.
    pub ci: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub clocks: crate::domain::sla::Clocks,
    pub is_open: bool,
}

/// The queue's columns; `ci` is filled separately (see [`open_ci_names`]) or by the query.
const QUEUE_COLUMNS: &str = "t.id, t.kind, t.number, t.state, t.priority, t.assignee, t.title, t.created_at, t.updated_at, \
     t.tto_phase, t.tto_risk_at, t.tto_due_at, t.tto_left, t.ttr_phase, t.ttr_risk_at, t.ttr_due_at, t.ttr_left";

/// The first linked CI by name, as a correlated subquery: fine for a few rows, too slow for
/// a whole large queue (a random probe per row), which loads them with [`open_ci_names`].
const FIRST_CI: &str = "(SELECT c.name FROM ticket_cis tc JOIN cis c ON c.id = tc.ci_id WHERE tc.ticket_id = t.id ORDER BY c.name LIMIT 1)";

/// Reads QUEUE_COLUMNS, then is_open, then (if selected) the first CI.
fn queue_row(r: &Row) -> Result<QueueRow> {
    let kind: String = r.get(1)?;
    let kind: Kind = kind
        .parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?;
    let number: i64 = r.get(2)?;
    Ok(QueueRow {
        rowid: r.get(0)?,
        id: TicketId::new(kind, number.max(0) as u64),
        state: r.get(3)?,
        priority: r.get(4)?,
        assignee: r.get(5)?,
        title: r.get(6)?,
        created_at: from_millis(r.get(7)?),
        updated_at: from_millis(r.get(8)?),
        clocks: super::sla::clocks_from(r, 9)?,
        is_open: r.get(17)?,
        ci: if r.column_count() > 18 { r.get(18)? } else { None },
    })
}

/// Every open ticket, most urgent and oldest first, from the covering index alone. The CI
/// column is left empty: [`open_ci_names`] fills it.
pub fn queue_open(conn: &Tx) -> Result<Vec<QueueRow>> {
    let mut rows = Vec::new();
    queue_open_each(conn, &mut |row| rows.push(row))?;
    Ok(rows)
}

/// Hands each row of the open queue to `take` as it is read, so that a caller keeping
/// something else of each row never holds all of them twice.
pub fn queue_open_each(conn: &Tx, take: &mut dyn FnMut(QueueRow)) -> Result<()> {
    // `1` rather than the is_open column: the query knows it, and reading the column would
    // cost a table lookup per row that the covering index otherwise avoids.
    let sql =
        format!("SELECT {QUEUE_COLUMNS}, 1 FROM tickets t WHERE t.is_open = 1 ORDER BY t.priority, t.created_at, t.id");
    conn.each(&sql, (), |r| {
        take(queue_row(r)?);
        Ok(())
    })
}

/// How many tickets are open (from the open queue's index).
pub fn open_count(conn: &Tx) -> Result<usize> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM tickets INDEXED BY tickets_open_queue WHERE is_open = 1",
        (),
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The first CI (by name) of every open ticket that has one, by ticket row id.
pub fn open_ci_names(conn: &Tx) -> Result<Vec<(i64, String)>> {
    let rows = conn.query_map(
        "SELECT tc.ticket_id, min(c.name) FROM tickets t JOIN ticket_cis tc ON tc.ticket_id = t.id \
         JOIN cis c ON c.id = tc.ci_id WHERE t.is_open = 1 GROUP BY tc.ticket_id",
        (),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(rows)
}

/// Every ticket changed at or after `since`, open or not, with its first CI: what a running
/// desk merges into its queue instead of reading the whole queue again.
pub fn queue_changed_since(conn: &Tx, since: DateTime<Utc>) -> Result<Vec<QueueRow>> {
    let sql = format!("SELECT {QUEUE_COLUMNS}, t.is_open, {FIRST_CI} FROM tickets t WHERE t.updated_at >= ?1");
    let rows = conn.query_map(&sql, [to_millis(since)], queue_row)?;
    Ok(rows)
}

/// Finished tickets changed since `since`, newest first, at most `limit`.
pub fn queue_recently_closed(conn: &Tx, since: DateTime<Utc>, limit: usize) -> Result<Vec<QueueRow>> {
    let sql = format!(
        "SELECT {QUEUE_COLUMNS}, 0, {FIRST_CI} FROM tickets t WHERE t.is_open = 0 AND t.updated_at >= ?1 \
         ORDER BY t.updated_at DESC LIMIT ?2"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = conn.query_map(&sql, params![to_millis(since), limit], queue_row)?;
    Ok(rows)
}

/// The ticket's place by time to breach, as the queue orders it (`tui::queue`'s
/// `breach_key`): the watched clock is time to own while it runs or is paused, else time to
/// resolve; running clocks first by due time, then paused ones by the time they have left,
/// then the rest; ties by priority, age and row. A test holds the two orders to be the same.
const BY_BREACH: &str = "CASE WHEN t.tto_phase IN ('running', 'paused') THEN          CASE t.tto_phase WHEN 'running' THEN 0 ELSE 1 END      ELSE CASE t.ttr_phase WHEN 'running' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END END,      CASE WHEN t.tto_phase IN ('running', 'paused') THEN          CASE t.tto_phase WHEN 'running' THEN coalesce(t.tto_due_at, 9223372036854775807)          ELSE coalesce(t.tto_left, 0) END      ELSE CASE t.ttr_phase WHEN 'running' THEN coalesce(t.ttr_due_at, 9223372036854775807)          WHEN 'paused' THEN coalesce(t.ttr_left, 0) ELSE 0 END END,      t.priority, t.created_at, t.id";

/// The first `limit` open tickets by time to breach, with their first CI: what the queue
/// shows first while the whole of it is read: a top-N sort over the covering index for the
/// row ids, then those rows alone in full.
pub fn queue_open_first(conn: &Tx, limit: usize) -> Result<Vec<QueueRow>> {
    let sql = format!(
        "SELECT {QUEUE_COLUMNS}, 1, {FIRST_CI} FROM tickets t WHERE t.id IN \
         (SELECT t.id FROM tickets t INDEXED BY tickets_open_queue WHERE t.is_open = 1 ORDER BY {BY_BREACH} LIMIT ?1) \
         ORDER BY {BY_BREACH}"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = conn.query_map(&sql, [limit], queue_row)?;
    Ok(rows)
}

/// The newest change on the desk, open ticket or not.
pub fn newest_change(conn: &Tx) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> = conn.query_row("SELECT max(updated_at) FROM tickets", (), |r| r.get(0))?;
    Ok(at.map(from_millis))
}
