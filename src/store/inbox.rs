//! Each operator's inbox (schema 17): what the desk told them about (a ticket assigned to
//! them, a mention, a breach on a ticket they hold), written in the transaction of the event,
//! and whether they have read it. Reads are by operator, newest first, from its indexes.

use super::sql::{Row, Tx, params};
use chrono::{DateTime, Utc};

use super::{Result, StoreError, from_millis, to_millis};
use crate::domain::ticket::{Kind, TicketId};

/// An item to add to an operator's inbox.
#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    pub operator: &'a str,
    pub ticket_rowid: i64,
    /// `assigned`, `mention` or `breach`.
    pub reason: &'a str,
    pub actor: &'a str,
    pub note: Option<&'a str>,
}

/// An item of an inbox, with what it shows of its ticket now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub ticket: TicketId,
    pub title: String,
    pub state: String,
    pub priority: u8,
    pub reason: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    pub read_at: Option<DateTime<Utc>>,
}

pub fn add(tx: &Tx, item: &NewItem, at: DateTime<Utc>) -> Result<i64> {
    tx.insert(
        "INSERT INTO inbox (operator, ticket_id, reason, actor, at, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            item.operator,
            item.ticket_rowid,
            item.reason,
            item.actor,
            to_millis(at),
            item.note
        ],
    )
}

fn item_from(r: &Row) -> Result<Item> {
    let kind: String = r.get(1)?;
    let kind: Kind = kind.parse().map_err(|e| StoreError::Corrupt(format!("{e}")))?;
    let number: i64 = r.get(2)?;
    Ok(Item {
        id: r.get(0)?,
        ticket: TicketId::new(kind, number.max(0) as u64),
        title: r.get(3)?,
        state: r.get(4)?,
        priority: r.get(5)?,
        reason: r.get(6)?,
        actor: r.get(7)?,
        at: from_millis(r.get(8)?),
        note: r.get(9)?,
        read_at: r.get::<_, Option<i64>>(10)?.map(from_millis),
    })
}

/// The newest `limit` items of `operator`'s inbox (only the unread with `unread_only`).
pub fn list(tx: &Tx, operator: &str, unread_only: bool, limit: usize) -> Result<Vec<Item>> {
    let only = if unread_only { " AND i.read_at IS NULL" } else { "" };
    let sql = format!(
        "SELECT i.id, t.kind, t.number, t.title, t.state, t.priority, i.reason, i.actor, i.at, i.note, i.read_at \
         FROM inbox i JOIN tickets t ON t.id = i.ticket_id WHERE i.operator = ?1{only} ORDER BY i.id DESC LIMIT ?2"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    tx.query_map(&sql, params![operator, limit], item_from)
}

/// How many of `operator`'s items are unread.
pub fn unread(tx: &Tx, operator: &str) -> Result<u64> {
    let n: i64 = tx.query_row(
        "SELECT count(*) FROM inbox WHERE operator = ?1 AND read_at IS NULL",
        [operator],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Whether `operator` has item `id`.
pub fn has(tx: &Tx, operator: &str, id: i64) -> Result<bool> {
    tx.exists(
        "SELECT 1 FROM inbox WHERE operator = ?1 AND id = ?2",
        params![operator, id],
    )
}

/// Which of an operator's items to mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    /// These items (ids of the operator's own; others' are left alone).
    Items(Vec<i64>),
    /// Every item about this ticket.
    Ticket(i64),
    All,
}

/// Marks `operator`'s items read at `at` (or, `at` None, unread again); returns how many
/// changed.
pub fn mark(tx: &Tx, operator: &str, which: &Which, at: Option<DateTime<Utc>>) -> Result<usize> {
    let at = at.map(to_millis);
    // Only what changes is written: an item read stays read at the time it was first read.
    let unchanged = if at.is_some() {
        "read_at IS NULL"
    } else {
        "read_at IS NOT NULL"
    };
    let mut n = 0;
    match which {
        Which::Items(ids) => {
            for id in ids {
                n += tx.execute(
                    &format!("UPDATE inbox SET read_at = ?1 WHERE operator = ?2 AND id = ?3 AND {unchanged}"),
                    params![at, operator, id],
                )?;
            }
        }
        Which::Ticket(rowid) => {
            n = tx.execute(
                &format!("UPDATE inbox SET read_at = ?1 WHERE operator = ?2 AND ticket_id = ?3 AND {unchanged}"),
                params![at, operator, rowid],
            )?;
        }
        Which::All => {
            n = tx.execute(
                &format!("UPDATE inbox SET read_at = ?1 WHERE operator = ?2 AND {unchanged}"),
                params![at, operator],
            )?;
        }
    }
    Ok(n)
}
