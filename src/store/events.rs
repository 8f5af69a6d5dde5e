//! A ticket's timeline: appending events (chained, with who acted and the version their
//! action left), reading it back, comments, and what the timeline tells of who raised and
//! submitted a ticket.

use super::sql::{OptionalExt, Param, Tx, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Result, from_millis, to_millis};
use crate::domain::Outcome;
use crate::domain::ticket::Ticket;

/// An event to append to a ticket's timeline.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub field: Option<&'a str>,
    pub old: Option<&'a str>,
    pub new: Option<&'a str>,
    pub note: Option<&'a str>,
    pub comment_id: Option<i64>,
    /// The ticket's version once the action that writes this event is done. Writers that
    /// know it say so; left out, it is read from the ticket's row (which writers change
    /// before they append).
    pub version: Option<i64>,
    /// On `created` and `baseline` events: what a replay of the ticket starts from.
    pub snapshot: Option<&'a str>,
}

/// Who an event is by: the operator, and the account that acted as them when it was
/// another (an admin acting for someone, recorded as both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct By<'a> {
    pub name: &'a str,
    pub via: Option<&'a str>,
}

impl<'a> From<&'a str> for By<'a> {
    fn from(name: &'a str) -> Self {
        By { name, via: None }
    }
}

impl<'a> From<&'a String> for By<'a> {
    fn from(name: &'a String) -> Self {
        By { name, via: None }
    }
}

impl<'a> From<&'a crate::domain::Actor> for By<'a> {
    fn from(a: &'a crate::domain::Actor) -> Self {
        By {
            name: &a.name,
            via: a.via.as_deref(),
        }
    }
}

/// The values a ticket's replay starts from (see `replay`): on `created` and `baseline`
/// events, as JSON.
pub fn snapshot_of(t: &Ticket) -> String {
    snapshot_json(&t.state, t.assignee.as_deref(), &t.requester, i64::from(t.priority))
}

pub fn snapshot_json(state: &str, assignee: Option<&str>, requester: &str, priority: i64) -> String {
    serde_json::json!({
        "state": state,
        "assignee": assignee,
        "requester": requester,
        "priority": priority,
    })
    .to_string()
}

/// Appends an event, chained to the newest one (see [`super::chain`]). Called inside a
/// write transaction, so no other writer can come between reading the head and appending.
pub fn append_event<'a>(conn: &Tx, rowid: i64, at: DateTime<Utc>, by: impl Into<By<'a>>, e: &NewEvent) -> Result<i64> {
    let ids = append_events(conn, rowid, at, by, std::slice::from_ref(e))?;
    Ok(ids.last().copied().unwrap_or_default())
}

/// The columns of an event row, in the order [`append_events`] binds them.
const EVENT_COLUMNS: &str =
    "id, ticket_id, at, actor, kind, field, old, new, note, comment_id, hash, via, version, snapshot";

/// Appends `events` to one ticket's timeline at one time, each chained to the one before,
/// in one statement (on a server, one round trip however many fields a move changed).
/// Returns their ids.
pub fn append_events<'a>(
    conn: &Tx,
    rowid: i64,
    at: DateTime<Utc>,
    by: impl Into<By<'a>>,
    events: &[NewEvent],
) -> Result<Vec<i64>> {
    let by = by.into();
    let (mut last, mut prev) = super::chain::head(conn)?;
    let mut values = Vec::with_capacity(events.len() * 14);
    let mut ids = Vec::with_capacity(events.len());
    for e in events {
        let comment = match e.comment_id {
            Some(id) => super::chain::comment(conn, id)?,
            None => None,
        };
        let version = match e.version {
            Some(v) => Some(v),
            None => conn
                .query_row("SELECT version FROM tickets WHERE id = ?1", [rowid], |r| r.get(0))
                .optional()?,
        };
        let event = NewEvent { version, ..*e };
        let id = last + 1;
        let content = super::chain::Content {
            id,
            ticket_id: rowid,
            at: to_millis(at),
            actor: by.name,
            event,
            comment: comment
                .as_ref()
                .map(|(at, author, body, internal)| super::chain::CommentContent {
                    at: *at,
                    author,
                    body,
                    internal: *internal,
                }),
            via: by.via,
        };
        let hash = super::chain::hash(&prev, &content);
        let row = params![
            id,
            rowid,
            content.at,
            by.name,
            e.kind,
            e.field,
            e.old,
            e.new,
            e.note,
            e.comment_id,
            hash.as_slice(),
            by.via,
            version,
            e.snapshot
        ];
        values.extend(row.iter().map(|p| p.value().to_static()));
        ids.push(id);
        (last, prev) = (id, hash.to_vec());
    }
    if ids.is_empty() {
        return Ok(ids);
    }
    let rows: Vec<String> = (0..ids.len())
        .map(|i| {
            let marks: Vec<String> = (1..=14).map(|c| format!("?{}", i * 14 + c)).collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    conn.execute(
        &format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES {}", rows.join(", ")),
        values,
    )?;
    conn.remember_head(last, &prev);
    Ok(ids)
}

/// Appends the events of a move or an edit: the transition (with its note), then one
/// event per changed field (the note goes on the first when there is no transition).
pub fn record_outcome<'a>(conn: &Tx, rowid: i64, out: &Outcome, actor: impl Into<By<'a>>) -> Result<()> {
    let m = Moved {
        at: out.ticket.updated_at,
        transition: out.transition.as_ref(),
        changes: &out.changes,
        note: out.note.as_deref(),
        version: Some(out.ticket.version),
    };
    record_moved(conn, rowid, &m, actor)
}

/// A move or an edit as the timeline keeps it.
#[derive(Debug, Clone, Copy)]
pub struct Moved<'a> {
    pub at: DateTime<Utc>,
    /// Name, from, to.
    pub transition: Option<&'a (String, String, String)>,
    pub changes: &'a [crate::domain::FieldChange],
    pub note: Option<&'a str>,
    /// The ticket's version after the move, when the writer knows it.
    pub version: Option<i64>,
}

/// [`record_outcome`] for a move whose resulting ticket is not at hand.
pub fn record_moved<'a>(conn: &Tx, rowid: i64, m: &Moved, actor: impl Into<By<'a>>) -> Result<()> {
    let mut note = m.note;
    let mut events = Vec::with_capacity(m.changes.len() + 1);
    if let Some((name, from, to)) = m.transition {
        events.push(NewEvent {
            kind: "transition",
            field: Some(name),
            old: Some(from),
            new: Some(to),
            note: note.take(),
            version: m.version,
            ..NewEvent::default()
        });
    }
    for c in m.changes {
        events.push(NewEvent {
            kind: "field",
            field: Some(&c.field),
            old: c.old.as_deref(),
            new: c.new.as_deref(),
            note: note.take(),
            version: m.version,
            ..NewEvent::default()
        });
    }
    append_events(conn, rowid, m.at, actor, &events)?;
    Ok(())
}

/// One entry of a timeline, with the comment's text for comments and work notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The account that acted as `actor`, when it was another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// On `created` and `baseline` events: the values a replay of the ticket starts from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
}

pub fn timeline(conn: &Tx, rowid: i64) -> Result<Vec<Event>> {
    let rows = conn.query_map(
        "SELECT e.id, e.at, e.actor, e.kind, e.field, e.old, e.new, e.note, c.body, e.via, e.snapshot \
         FROM events e LEFT JOIN comments c ON c.id = e.comment_id WHERE e.ticket_id = ?1 ORDER BY e.id",
        [rowid],
        |r| {
            Ok(Event {
                id: r.get(0)?,
                at: from_millis(r.get(1)?),
                actor: r.get(2)?,
                kind: r.get(3)?,
                field: r.get(4)?,
                old: r.get(5)?,
                new: r.get(6)?,
                note: r.get(7)?,
                comment: r.get(8)?,
                via: r.get(9)?,
                snapshot: r.get(10)?,
            })
        },
    )?;
    Ok(rows)
}

/// Who raised a ticket, and who took its moves since it last entered `initial` (its
/// lifecycle's first state): the parties an approval must not come from.
pub fn parties(conn: &Tx, rowid: i64, initial: &str) -> Result<crate::domain::Parties> {
    Ok(parties_and_moves(conn, rowid, initial)?.0)
}

/// A ticket's moves, each (time, from, to), in order.
pub type Moves = Vec<(DateTime<Utc>, String, String)>;

/// [`parties`], and the ticket's moves as its SLA clocks are worked out from (see
/// `domain::sla::History::of_moves`): both from one read of its creation and transitions.
pub fn parties_and_moves(conn: &Tx, rowid: i64, initial: &str) -> Result<(crate::domain::Parties, Moves)> {
    let rows = conn.query_map(
        "SELECT kind, actor, new, at, old FROM events WHERE ticket_id = ?1 AND kind IN ('created', 'transition') \
         ORDER BY id",
        [rowid],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                from_millis(r.get(3)?),
                r.get::<_, Option<String>>(4)?,
            ))
        },
    )?;
    let mut p = crate::domain::Parties::default();
    let mut moves = Moves::new();
    for (kind, actor, new, at, old) in rows {
        if kind == "created" {
            p.raised = vec![actor];
            p.submitted.clear();
            continue;
        }
        if new.as_deref() == Some(initial) {
            p.submitted.clear();
        } else {
            p.submitted.push(actor);
        }
        moves.push((at, old.unwrap_or_default(), new.unwrap_or_default()));
    }
    Ok((p, moves))
}

/// Who last changed the ticket and when: for the message of a refused stale write.
pub fn last_change(conn: &Tx, rowid: i64) -> Result<Option<(String, DateTime<Utc>)>> {
    conn.query_row(
        "SELECT actor, at FROM events WHERE ticket_id = ?1 ORDER BY id DESC LIMIT 1",
        [rowid],
        |r| Ok((r.get::<_, String>(0)?, from_millis(r.get(1)?))),
    )
    .optional()
}

/// Comments that no event records (put in by hand: the timeline never shows them, but
/// search would find them), the first `limit` by id.
pub fn unrecorded_comments(conn: &Tx, limit: i64) -> Result<Vec<i64>> {
    let rows = conn.query_map(
        "SELECT id FROM comments EXCEPT SELECT comment_id FROM events WHERE comment_id IS NOT NULL \
         ORDER BY 1 LIMIT ?1",
        [limit],
        |r| r.get(0),
    )?;
    Ok(rows)
}

pub fn add_comment(conn: &Tx, rowid: i64, at: DateTime<Utc>, author: &str, body: &str, internal: bool) -> Result<i64> {
    conn.insert(
        "INSERT INTO comments (ticket_id, at, author, body, internal) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![rowid, to_millis(at), author, body, internal],
    )
}
