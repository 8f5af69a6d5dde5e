//! Tickets, their timeline, comments and links.

use super::sql::Value as SqlValue;
use super::sql::{OptionalExt, Row, Tx, params};
use chrono::{DateTime, Offset, Utc};
use serde::Serialize;
use std::sync::LazyLock;

use super::{Result, StoreError, from_millis, to_millis};
use crate::domain::kpi::Milestones;
use crate::domain::ticket::{Kind, Ticket, TicketId};
use crate::domain::ticket_ref::{Optional, TicketRef};

/// The columns of a ticket as such, in the order [`ticket_from_row`] reads them.
macro_rules! ticket_columns {
    () => {
        "id, kind, number, state, title, description, impact, urgency, priority, requester, \
         assignee, team, category, pending_reason, resolution_code, resolution_note, root_cause, workaround, \
         change_type, risk, implementation_plan, backout_plan, planned_start, planned_end, actual_start, \
         actual_end, close_code, review_note, created_at, updated_at, version"
    };
}

/// The columns of `tickets` in the order [`from_row`] reads them: the ticket's, then its
/// milestones and clocks.
const COLUMNS: &str = concat!(
    ticket_columns!(),
    ", first_assigned_at, resolved_at, resolves, reopens, reassignments, tto_phase, tto_risk_at, \
     tto_due_at, tto_left, ttr_phase, ttr_risk_at, ttr_due_at, ttr_left, sla_flags, closed_at"
);

/// The optional fields stored in their own columns, in [`COLUMNS`] order from `team`.
const EXTRA: [&str; 17] = crate::domain::ticket_ref::OPTIONAL;

pub use super::events::*;
pub use super::listing::{AssigneeFilter, Filter, ListKey, LongListing, READ_IN_TABLE_ORDER_OVER, list, list_keyed};

/// The columns [`ticket_from_row`] reads.
pub(super) const TICKET_COLUMNS: &str = ticket_columns!();

/// A ticket with its row id, which links and events point at.
#[derive(Debug, Clone)]
pub struct Stored {
    pub rowid: i64,
    pub ticket: Ticket,
    pub milestones: Milestones,
    pub clocks: crate::domain::sla::Clocks,
    /// The escalations recorded (bits of `domain::sla`).
    pub sla_flags: i64,
}

fn from_row(r: &Row) -> Result<Stored> {
    Ok(Stored {
        rowid: r.get(0)?,
        ticket: ticket_from_row(r)?,
        milestones: Milestones {
            first_assigned: r.get::<_, Option<i64>>(31)?.map(from_millis),
            resolved: r.get::<_, Option<i64>>(32)?.map(from_millis),
            resolves: r.get(33)?,
            reopens: r.get(34)?,
            reassignments: r.get(35)?,
            closed: r.get::<_, Option<i64>>(45)?.map(from_millis),
        },
        clocks: super::sla::clocks_from(r, 36)?,
        sla_flags: r.get(44)?,
    })
}

/// The ticket of a row that starts with the columns of `ticket_columns!`.
pub(super) fn ticket_from_row(r: &Row) -> Result<Ticket> {
    Ok(ticket_ref_from_row(r)?.to_ticket())
}

/// [`ticket_from_row`]'s ticket, its text borrowed from the row.
pub(super) fn ticket_ref_from_row<'r>(r: &Row<'r>) -> Result<TicketRef<'r>> {
    let text = |i: usize| -> Result<&'r str> { r.get(i) };
    let kind: Kind = text(1)?.parse().map_err(|e| StoreError::Corrupt(format!("{e}")))?;
    let number: i64 = r.get(2)?;
    let mut fields = Optional::default();
    for (i, slot) in fields.0.iter_mut().enumerate() {
        *slot = r.get(11 + i)?;
    }
    Ok(TicketRef {
        id: TicketId::new(kind, number.max(0) as u64),
        kind,
        state: text(3)?,
        title: text(4)?,
        description: text(5)?,
        impact: r.get(6)?,
        urgency: r.get(7)?,
        priority: r.get(8)?,
        requester: text(9)?,
        assignee: r.get(10)?,
        fields,
        created_at: from_millis(r.get(28)?),
        updated_at: from_millis(r.get(29)?),
        version: r.get(30)?,
    })
}

/// The values of the columns from `state` to `review_note`, in the order both the INSERT
/// and the UPDATE below name them.
fn field_values(t: &Ticket, is_open: bool) -> Vec<SqlValue<'static>> {
    let text = |s: &str| SqlValue::text(s.to_string());
    let mut v = vec![
        text(&t.state),
        SqlValue::Int(i64::from(is_open)),
        text(&t.title),
        text(&t.description),
        SqlValue::Int(t.impact.into()),
        SqlValue::Int(t.urgency.into()),
        SqlValue::Int(t.priority.into()),
        text(&t.requester),
        t.assignee.as_deref().map_or(SqlValue::Null, text),
    ];
    v.extend(
        EXTRA
            .iter()
            .map(|n| t.fields.get(*n).map_or(SqlValue::Null, |s| text(s))),
    );
    v
}

/// Inserts a new ticket, numbering it next in its kind. Returns its row id and id.
pub fn insert(tx: &Tx, t: &Ticket, is_open: bool) -> Result<(i64, TicketId)> {
    let number = max_number(tx, t.kind)? + 1;
    // A ticket opened with an assignee is owned from its creation.
    let m = Milestones {
        first_assigned: t.assignee.as_ref().map(|_| t.created_at),
        ..Milestones::default()
    };
    insert_numbered(tx, t, number, is_open, &m, &Default::default())
}

/// The highest number given to a ticket of this kind (0 for none yet).
pub fn max_number(conn: &Tx, kind: Kind) -> Result<i64> {
    conn.query_row(
        "SELECT coalesce(max(number), 0) FROM tickets WHERE kind = ?1",
        [kind.name()],
        |r| r.get(0),
    )
}

/// Inserts a ticket under a number already chosen (bulk loads and imports count for
/// themselves), with the milestones of the history they write beside it.
pub fn insert_numbered(
    tx: &Tx,
    t: &Ticket,
    number: i64,
    is_open: bool,
    m: &Milestones,
    clocks: &crate::domain::sla::Clocks,
) -> Result<(i64, TicketId)> {
    let mut values = vec![SqlValue::text(t.kind.name()), SqlValue::Int(number)];
    values.extend(field_values(t, is_open));
    values.extend([
        SqlValue::Int(to_millis(t.created_at)),
        SqlValue::Int(to_millis(t.updated_at)),
        SqlValue::Int(t.version),
    ]);
    values.extend(milestone_values(m));
    values.extend(super::sla::clock_row(clocks, 0));
    values.push(m.closed.map_or(SqlValue::Null, |t| SqlValue::Int(to_millis(t))));
    let rowid = tx.insert(
        "INSERT INTO tickets (kind, number, state, is_open, title, description, impact, urgency, priority, \
         requester, assignee, team, category, pending_reason, resolution_code, resolution_note, root_cause, \
         workaround, change_type, risk, implementation_plan, backout_plan, planned_start, planned_end, \
         actual_start, actual_end, close_code, review_note, created_at, updated_at, version, first_assigned_at, \
         resolved_at, resolves, reopens, reassignments, tto_phase, tto_risk_at, tto_due_at, tto_left, \
         ttr_phase, ttr_risk_at, ttr_due_at, ttr_left, sla_next, closed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, \
         ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, \
         ?41, ?42, ?43, ?44, ?45, ?46)",
        values,
    )?;
    raise_change_span(tx, t)?;
    Ok((rowid, TicketId::new(t.kind, number.max(0) as u64)))
}

/// Keeps `change_span` (see [`longest_window`]) at least as long as this change's planned
/// window. Every write of a ticket's plan comes through here: the insert and the update
/// below are the only statements that set `planned_start` and `planned_end`.
fn raise_change_span(tx: &Tx, t: &Ticket) -> Result<()> {
    let (Some(start), Some(end)) = (t.fields.get("planned_start"), t.fields.get("planned_end")) else {
        return Ok(());
    };
    if t.kind != Kind::Change {
        return Ok(());
    }
    let sql = tx.pick(
        "UPDATE change_span SET longest = MAX(longest, coalesce(julianday(?2) - julianday(?1), 0)) WHERE id = 1",
        "UPDATE change_span SET longest = GREATEST(longest, \
         coalesce(EXTRACT(EPOCH FROM (CAST(CAST(?2 AS TEXT) AS timestamptz) - CAST(CAST(?1 AS TEXT) AS timestamptz))) / 86400.0, 0)) WHERE id = 1",
    );
    tx.execute(sql, [start, end])?;
    Ok(())
}

/// The columns a write of a ticket's fields sets, as `?1`..`?28` (see [`field_values`]).
const SET_FIELDS: &str = "state = ?1, is_open = ?2, title = ?3, description = ?4, impact = ?5, urgency = ?6, \
     priority = ?7, requester = ?8, assignee = ?9, team = ?10, category = ?11, pending_reason = ?12, \
     resolution_code = ?13, resolution_note = ?14, root_cause = ?15, workaround = ?16, change_type = ?17, \
     risk = ?18, implementation_plan = ?19, backout_plan = ?20, planned_start = ?21, planned_end = ?22, \
     actual_start = ?23, actual_end = ?24, close_code = ?25, review_note = ?26, updated_at = ?27, \
     version = ?28";

static UPDATE_FIELDS: LazyLock<String> =
    LazyLock::new(|| format!("UPDATE tickets SET {SET_FIELDS} WHERE id = ?29 AND version = ?30"));

static UPDATE_WHOLE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE tickets SET {SET_FIELDS}, first_assigned_at = ?29, resolved_at = ?30, resolves = ?31, \
         reopens = ?32, reassignments = ?33, tto_phase = ?34, tto_risk_at = ?35, tto_due_at = ?36, \
         tto_left = ?37, ttr_phase = ?38, ttr_risk_at = ?39, ttr_due_at = ?40, ttr_left = ?41, sla_next = ?42, \
         closed_at = ?43 WHERE id = ?44 AND version = ?45"
    )
});

/// What a write of a ticket can store with its fields, in the same statement: its
/// milestones, and its SLA clocks with the escalations already recorded (`sla_flags`).
pub struct Derived<'a> {
    pub milestones: &'a Milestones,
    pub clocks: &'a crate::domain::sla::Clocks,
    pub sla_flags: i64,
}

/// Writes a ticket's new state if it is still at `expected_version`. Returns false, writing
/// nothing, when someone else changed it first.
pub fn update(tx: &Tx, rowid: i64, t: &Ticket, expected_version: i64, is_open: bool) -> Result<bool> {
    update_with(tx, rowid, t, expected_version, is_open, None)
}

/// [`update`], storing what follows from the move too when `derived` has it: one statement
/// for a move (on a server, one round trip and one new version of the row's index entries).
pub fn update_with(
    tx: &Tx,
    rowid: i64,
    t: &Ticket,
    expected_version: i64,
    is_open: bool,
    derived: Option<Derived>,
) -> Result<bool> {
    let mut values = field_values(t, is_open);
    values.extend([SqlValue::Int(to_millis(t.updated_at)), SqlValue::Int(t.version)]);
    let sql = match &derived {
        Some(d) => {
            values.extend(milestone_values(d.milestones));
            values.extend(super::sla::clock_row(d.clocks, d.sla_flags));
            values.push(
                d.milestones
                    .closed
                    .map_or(SqlValue::Null, |t| SqlValue::Int(to_millis(t))),
            );
            UPDATE_WHOLE.as_str()
        }
        None => UPDATE_FIELDS.as_str(),
    };
    values.extend([SqlValue::Int(rowid), SqlValue::Int(expected_version)]);
    let n = tx.execute(sql, values)?;
    if n == 1 {
        raise_change_span(tx, t)?;
    }
    Ok(n == 1)
}

fn milestone_values(m: &Milestones) -> [SqlValue<'static>; 5] {
    let time = |t: Option<DateTime<Utc>>| t.map_or(SqlValue::Null, |t| SqlValue::Int(to_millis(t)));
    [
        time(m.first_assigned),
        time(m.resolved),
        SqlValue::Int(m.resolves.into()),
        SqlValue::Int(m.reopens.into()),
        SqlValue::Int(m.reassignments.into()),
    ]
}

/// Writes a ticket's milestones (in the transaction that writes the events they come from).
pub fn set_milestones(tx: &Tx, rowid: i64, m: &Milestones) -> Result<()> {
    let mut values = milestone_values(m).to_vec();
    values.push(m.closed.map_or(SqlValue::Null, |t| SqlValue::Int(to_millis(t))));
    values.push(SqlValue::Int(rowid));
    tx.execute(
        "UPDATE tickets SET first_assigned_at = ?1, resolved_at = ?2, resolves = ?3, reopens = ?4, \
         reassignments = ?5, closed_at = ?6 WHERE id = ?7",
        values,
    )?;
    Ok(())
}

/// Marks the ticket as changed without touching its fields (a comment, a link).
pub fn touch(tx: &Tx, rowid: i64, at: DateTime<Utc>, expected_version: i64) -> Result<bool> {
    let n = tx.execute(
        "UPDATE tickets SET updated_at = ?1, version = version + 1 WHERE id = ?2 AND version = ?3",
        params![to_millis(at), rowid, expected_version],
    )?;
    Ok(n == 1)
}

/// How many tickets the desk holds.
pub fn count(conn: &Tx) -> Result<i64> {
    conn.query_row("SELECT count(*) FROM tickets", (), |r| r.get(0))
}

/// Every ticket's row id (of `kind`, if given), oldest first.
pub fn rowids(conn: &Tx, kind: Option<Kind>) -> Result<Vec<i64>> {
    let rows = conn.query_map(
        "SELECT id FROM tickets WHERE CAST(?1 AS TEXT) IS NULL OR kind = ?1 ORDER BY id",
        [kind.map(Kind::name)],
        |r| r.get(0),
    )?;
    Ok(rows)
}

pub fn get(conn: &Tx, id: TicketId) -> Result<Option<Stored>> {
    let sql = format!("SELECT {COLUMNS} FROM tickets WHERE kind = ?1 AND number = ?2");
    conn.query_row(&sql, params![id.kind.name(), id.number as i64], from_row)
        .optional()
}

/// [`get`], and how many CIs the ticket is linked to, in one read: what a move decides on.
pub fn get_with_ci_count(conn: &Tx, id: TicketId) -> Result<Option<(Stored, usize)>> {
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT count(*) FROM ticket_cis WHERE ticket_id = tickets.id) \
         FROM tickets WHERE kind = ?1 AND number = ?2"
    );
    conn.query_row(&sql, params![id.kind.name(), id.number as i64], |r| {
        let cis: i64 = r.get(46)?;
        Ok((from_row(r)?, usize::try_from(cis).unwrap_or(0)))
    })
    .optional()
}

pub fn get_by_rowid(conn: &Tx, rowid: i64) -> Result<Option<Stored>> {
    let sql = format!("SELECT {COLUMNS} FROM tickets WHERE id = ?1");
    conn.query_row(&sql, [rowid], from_row).optional()
}

/// The tickets of these row ids, in one statement per few hundred: those there are, in no
/// order.
pub fn get_by_rowids(conn: &Tx, rowids: &[i64]) -> Result<Vec<Stored>> {
    let mut all = Vec::with_capacity(rowids.len());
    for part in rowids.chunks(500) {
        let marks: Vec<String> = (1..=part.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("SELECT {COLUMNS} FROM tickets WHERE id IN ({})", marks.join(", "));
        all.extend(conn.query_map(&sql, part, from_row)?);
    }
    Ok(all)
}

/// A link between two tickets as seen from one of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub id: TicketId,
    /// `caused_by`, `fixed_by` or `related` when this ticket is the source; `causes`,
    /// `fixes` or `related` when it is the target.
    pub relation: String,
    pub title: String,
    pub state: String,
}

/// Adds a link; false when it (or its reverse) was there already.
pub fn link(tx: &Tx, from: i64, to: i64, relation: &str, at: DateTime<Utc>) -> Result<bool> {
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM ticket_links WHERE (from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1))",
        [from, to],
        |r| r.get(0),
    )?;
    if exists {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO ticket_links (from_id, to_id, relation, at) VALUES (?1, ?2, ?3, ?4)",
        params![from, to, relation, to_millis(at)],
    )?;
    Ok(true)
}

/// Removes the link between two tickets, whichever way it goes; false when there was none.
pub fn unlink(tx: &Tx, a: i64, b: i64) -> Result<bool> {
    let n = tx.execute(
        "DELETE FROM ticket_links WHERE (from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1)",
        [a, b],
    )?;
    Ok(n > 0)
}

pub fn links(conn: &Tx, rowid: i64) -> Result<Vec<Link>> {
    let rows = conn.query_map(
        "SELECT t.kind, t.number, l.relation, 1, t.title, t.state FROM ticket_links l JOIN tickets t ON t.id = l.to_id WHERE l.from_id = ?1 \
         UNION ALL \
         SELECT t.kind, t.number, l.relation, 0, t.title, t.state FROM ticket_links l JOIN tickets t ON t.id = l.from_id WHERE l.to_id = ?1",
    [rowid], |r| {
        let kind: String = r.get(0)?;
        let number: i64 = r.get(1)?;
        let relation: String = r.get(2)?;
        let outgoing: bool = r.get(3)?;
        Ok((
            kind,
            number,
            relation,
            outgoing,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for (kind, number, relation, outgoing, title, state) in rows {
        let Ok(kind) = kind.parse::<Kind>() else { continue };
        let relation = match (outgoing, relation.as_str()) {
            (false, "caused_by") => "causes".to_string(),
            (false, "fixed_by") => "fixes".to_string(),
            (false, "child_of") => "parent_of".to_string(),
            (_, r) => r.to_string(),
        };
        out.push(Link {
            id: TicketId::new(kind, number.max(0) as u64),
            relation,
            title,
            state,
        });
    }
    out.sort_by_key(|l| l.id);
    Ok(out)
}

/// A change as the calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeWindow {
    pub id: TicketId,
    pub title: String,
    pub state: String,
    pub change_type: Option<String>,
    pub risk: Option<String>,
    pub assignee: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// How far before a range a change that overlaps it may have started: the longest planned
/// window on this desk, as schema 13's `change_span` keeps it (no fixed look-back: a change
/// planned over months is found however long ago it began).
pub fn longest_window(conn: &Tx) -> Result<chrono::Duration> {
    let days: f64 = conn
        .query_row("SELECT longest FROM change_span WHERE id = 1", (), |r| r.get(0))
        .optional()?
        .unwrap_or(0.0);
    let seconds = if days.is_finite() && days > 0.0 {
        days * 86_400.0
    } else {
        0.0
    };
    // A second more than the longest, so rounding never loses its edge.
    Ok(chrono::Duration::seconds(seconds.ceil() as i64 + 1))
}

/// Changes (not cancelled) whose planned window overlaps `[from, to)`, by start.
pub fn changes_between(conn: &Tx, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ChangeWindow>> {
    use crate::domain::rules::{format_time, parse_time};
    let earliest = format_time(from - longest_window(conn)?);
    let utc = Utc.fix();
    let rows = conn.query_map(
        "SELECT number, title, state, change_type, risk, assignee, planned_start, planned_end FROM tickets \
         WHERE kind = 'change' AND planned_start >= ?1 AND planned_start < ?2 AND planned_end > ?3 \
         AND state <> 'cancelled' ORDER BY planned_start, number",
        params![earliest, format_time(to), format_time(from)],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for (number, title, state, change_type, risk, assignee, start, end) in rows {
        // Stored by the desk as RFC 3339 UTC; a row that is not is skipped, not fatal.
        let (Some(start), Some(end)) = (parse_time(&start, utc), parse_time(&end, utc)) else {
            continue;
        };
        out.push(ChangeWindow {
            id: TicketId::new(Kind::Change, number.max(0) as u64),
            title,
            state,
            change_type,
            risk,
            assignee,
            start,
            end,
        });
    }
    Ok(out)
}

/// A problem with a workaround recorded: a known error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownError {
    pub id: TicketId,
    pub title: String,
    pub state: String,
    pub root_cause: Option<String>,
    pub workaround: String,
}

/// Every problem that has a workaround, newest first.
pub fn known_errors(conn: &Tx) -> Result<Vec<KnownError>> {
    let rows = conn.query_map(
        "SELECT number, title, state, root_cause, workaround FROM tickets \
         WHERE kind = 'problem' AND workaround IS NOT NULL AND state <> 'cancelled' ORDER BY id DESC",
        (),
        |r| {
            Ok(KnownError {
                id: TicketId::new(Kind::Problem, r.get::<_, i64>(0)?.max(0) as u64),
                title: r.get(1)?,
                state: r.get(2)?,
                root_cause: r.get(3)?,
                workaround: r.get(4)?,
            })
        },
    )?;
    Ok(rows)
}

/// The open children of a parent incident (linked `child_of`), by number.
pub fn open_children(conn: &Tx, parent: i64) -> Result<Vec<TicketId>> {
    conn.query_map(
        "SELECT t.number FROM ticket_links l JOIN tickets t ON t.id = l.from_id \
         WHERE l.to_id = ?1 AND l.relation = 'child_of' AND t.is_open = 1 ORDER BY t.number",
        [parent],
        |r| Ok(TicketId::new(Kind::Incident, r.get::<_, i64>(0)?.max(0) as u64)),
    )
}

/// The parent of ticket `rowid`, and whether it has children.
pub fn family(conn: &Tx, rowid: i64) -> Result<(Option<TicketId>, bool)> {
    let parent = conn
        .query_row(
            "SELECT t.number FROM ticket_links l JOIN tickets t ON t.id = l.to_id \
             WHERE l.from_id = ?1 AND l.relation = 'child_of'",
            [rowid],
            |r| Ok(TicketId::new(Kind::Incident, r.get::<_, i64>(0)?.max(0) as u64)),
        )
        .optional()?;
    let children = conn.exists(
        "SELECT 1 FROM ticket_links WHERE to_id = ?1 AND relation = 'child_of'",
        [rowid],
    )?;
    Ok((parent, children))
}

/// The open incidents caused by a problem (linked `caused_by`).
pub fn open_incidents_of_problem(conn: &Tx, problem: i64) -> Result<Vec<TicketId>> {
    let rows = conn.query_map(
        "SELECT t.number FROM ticket_links l JOIN tickets t ON t.id = l.from_id \
         WHERE l.to_id = ?1 AND l.relation = 'caused_by' AND t.kind = 'incident' AND t.is_open = 1 ORDER BY t.number",
        [problem],
        |r| Ok(TicketId::new(Kind::Incident, r.get::<_, i64>(0)?.max(0) as u64)),
    )?;
    Ok(rows)
}
