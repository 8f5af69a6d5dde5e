//! Listings of tickets: a page of the queue, or every ticket a filter names.

use super::sql::Value as SqlValue;
use super::sql::{OptionalExt, Tx};

use super::Result;
use super::tickets::{TICKET_COLUMNS, ticket_ref_from_row};
use crate::domain::ticket::{Kind, Ticket};
use crate::domain::ticket_ref::TicketRef;

/// Which tickets a listing wants.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<Kind>,
    pub state: Option<String>,
    pub open_only: bool,
    pub assignee: AssigneeFilter,
    pub priority: Option<u8>,
    /// The CI's row id.
    pub ci: Option<i64>,
    pub limit: usize,
    /// Keyset pagination: the (priority, created_at ms, row id) of the last row already shown.
    pub after: Option<ListKey>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AssigneeFilter {
    #[default]
    Any,
    Unassigned,
    Is(String),
}

/// Where a ticket comes in a listing: its priority, when it was created (ms) and its row id.
/// Listings are in this order.
pub type ListKey = (u8, i64, i64);

/// Listings of more tickets than this are read in the table's own order (see
/// [`list_keyed`]); shorter ones walk the index and stop at their limit, the same cost at any
/// desk size.
pub const READ_IN_TABLE_ORDER_OVER: usize = 1_000;

/// A page of tickets, by priority and then oldest first. Open-only listings are served by
/// the partial index `tickets_open_queue`, so the first page costs the same at any desk size.
pub fn list(conn: &Tx, f: &Filter) -> Result<Vec<Ticket>> {
    let mut out = Vec::new();
    list_each(conn, f, |t| {
        out.push(t);
        true
    })?;
    Ok(out)
}

/// [`list`]'s tickets handed to `each` in order, until it answers false.
fn list_each(conn: &Tx, f: &Filter, mut each: impl FnMut(Ticket) -> bool) -> Result<()> {
    let mut keyed = Vec::new();
    let mut sorted = true;
    list_keyed(conn, f, |key, t| {
        sorted &= keyed.last().is_none_or(|(last, _)| *last < key);
        keyed.push((key, t.to_ticket()));
        true
    })?;
    if !sorted {
        keyed.sort_unstable_by_key(|(key, _)| *key);
    }
    for (_, t) in keyed {
        if !each(t) {
            break;
        }
    }
    Ok(())
}

/// [`list`]'s tickets, each with its [`ListKey`] and its text borrowed from the row read,
/// handed to `each` until it answers false — in the listing's order when it is short, in no
/// particular order when it is long (the caller sorts by key; see [`LongListing`]).
pub fn list_keyed(conn: &Tx, f: &Filter, mut each: impl FnMut(ListKey, TicketRef<'_>) -> bool) -> Result<()> {
    if f.limit > READ_IN_TABLE_ORDER_OVER {
        let plan = LongListing::plan(conn, f)?;
        return plan.read_part(conn, f, 0, 1, each);
    }
    let (mut sql, mut args) = conditions(f);
    sql.push_str(" ORDER BY priority, created_at, id LIMIT ?");
    args.push(SqlValue::Int(i64::try_from(f.limit).unwrap_or(i64::MAX)));
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE 1 = 1{sql}");
    hand_out(conn, &sql, args, &mut each)?;
    Ok(())
}

/// Hands each row to `each` as a ticket with its key; false once `each` wanted no more.
fn hand_out(
    conn: &Tx,
    sql: &str,
    args: Vec<SqlValue<'static>>,
    each: &mut impl FnMut(ListKey, TicketRef<'_>) -> bool,
) -> Result<bool> {
    let mut more = true;
    conn.each_until(sql, args, &mut |row| {
        let t = ticket_ref_from_row(row)?;
        let key = (t.priority, row.get(28)?, row.get(0)?);
        more = each(key, t);
        Ok(more)
    })?;
    Ok(more)
}

/// Row ids per piece of a long listing read in parts.
const PIECE: i64 = 8_192;

/// A long listing (more than [`READ_IN_TABLE_ORDER_OVER`]) is read row after row in the
/// table's own order, about half the time of fetching each row the index names one lookup
/// at a time, after finding from the index alone the key of the last row within the limit.
/// It can be read in parts at once, on connections that see the same snapshot: each part
/// takes every so many pieces of [`PIECE`] row ids, so the parts are alike in size however
/// the tickets it wants lie in the table.
pub struct LongListing {
    /// The key of the limit-th row, if there are that many: nothing after it is wanted.
    last: Option<ListKey>,
    /// The first and last row id of the table.
    ids: Option<(i64, i64)>,
    /// Row ids per piece.
    piece: i64,
}

impl LongListing {
    pub fn plan(conn: &Tx, f: &Filter) -> Result<LongListing> {
        let ids: (Option<i64>, Option<i64>) = conn.query_row("SELECT min(id), max(id) FROM tickets", (), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        let ids = ids.0.zip(ids.1);
        // A limit past the table's every row id cuts nothing: no need to walk the index to it.
        let cuts = ids.is_some_and(|(first, last)| {
            i64::try_from(f.limit).is_ok_and(|limit| limit <= last.saturating_sub(first).saturating_add(1))
        });
        if !cuts {
            return Ok(LongListing {
                last: None,
                ids,
                piece: PIECE,
            });
        }
        let (sql, args) = conditions(f);
        let last: Option<ListKey> = conn
            .query_row(
                &format!(
                    "SELECT priority, created_at, id FROM tickets WHERE 1 = 1{sql} \
                 ORDER BY priority, created_at, id LIMIT 1 OFFSET ?"
                ),
                args.into_iter()
                    .chain([SqlValue::Int(
                        i64::try_from(f.limit.saturating_sub(1)).unwrap_or(i64::MAX),
                    )])
                    .collect::<Vec<_>>(),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(LongListing {
            last,
            ids,
            piece: PIECE,
        })
    }

    /// The same listing read in pieces of `ids` row ids (at least one): smaller pieces let
    /// a small desk be read in parts that each have tickets.
    pub fn in_pieces_of(self, ids: i64) -> LongListing {
        LongListing {
            piece: ids.max(1),
            ..self
        }
    }

    /// The tickets of part `part` of `parts` (from 0), handed to `each` until it answers
    /// false.
    pub fn read_part(
        &self,
        conn: &Tx,
        f: &Filter,
        part: i64,
        parts: i64,
        mut each: impl FnMut(ListKey, TicketRef<'_>) -> bool,
    ) -> Result<()> {
        let Some((first, last_id)) = self.ids else {
            return Ok(());
        };
        let (mut sql, mut args) = conditions(f);
        if let Some((p, at, id)) = self.last {
            sql.push_str(" AND (priority, created_at, id) <= (?, ?, ?)");
            args.extend([SqlValue::Int(p.into()), SqlValue::Int(at), SqlValue::Int(id)]);
        }
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id BETWEEN ? AND ?{sql} ORDER BY id");
        let mut start = first.saturating_add(part.saturating_mul(self.piece));
        while start <= last_id {
            let end = start.saturating_add(self.piece - 1);
            let piece = [SqlValue::Int(start), SqlValue::Int(end)]
                .into_iter()
                .chain(args.iter().cloned());
            if !hand_out(conn, &sql, piece.collect(), &mut each)? {
                return Ok(());
            }
            match start.checked_add(parts.max(1).saturating_mul(self.piece)) {
                Some(next) if end < last_id => start = next,
                _ => break,
            }
        }
        Ok(())
    }
}

/// The filter's conditions as SQL to follow `WHERE 1 = 1`, and their values. Each condition
/// is a fixed fragment; only the values travel as parameters.
fn conditions(f: &Filter) -> (String, Vec<SqlValue<'static>>) {
    let mut sql = String::new();
    let mut args: Vec<SqlValue<'static>> = Vec::new();
    if f.open_only {
        sql.push_str(" AND is_open = 1");
    }
    if let Some(k) = f.kind {
        sql.push_str(" AND kind = ?");
        args.push(SqlValue::text(k.name()));
    }
    if let Some(s) = &f.state {
        sql.push_str(" AND state = ?");
        args.push(SqlValue::text(s.clone()));
    }
    match &f.assignee {
        AssigneeFilter::Any => {}
        AssigneeFilter::Unassigned => sql.push_str(" AND assignee IS NULL"),
        AssigneeFilter::Is(who) => {
            sql.push_str(" AND assignee = ? COLLATE NOCASE");
            args.push(SqlValue::text(who.clone()));
        }
    }
    if let Some(p) = f.priority {
        sql.push_str(" AND priority = ?");
        args.push(SqlValue::Int(p.into()));
    }
    if let Some(ci) = f.ci {
        sql.push_str(" AND id IN (SELECT ticket_id FROM ticket_cis WHERE ci_id = ?)");
        args.push(SqlValue::Int(ci));
    }
    if let Some((p, at, id)) = f.after {
        sql.push_str(" AND (priority, created_at, id) > (?, ?, ?)");
        args.extend([SqlValue::Int(p.into()), SqlValue::Int(at), SqlValue::Int(id)]);
    }
    (sql, args)
}
