//! Mail the desk sends (schema 16): each ticket's watchers; the outbox, one message to one
//! recipient, written in the transaction of the event that caused it and delivered after the
//! commit (see `desk::deliver`); and the log of what was sent or given up, where the sender
//! moves each message. A message is claimed before it is sent, so two senders never send the
//! same one; a claim a sender left behind (it was killed) is taken again at once on its host,
//! and after [`CLAIM_LEASE_MS`] from another.

use super::sql::{OptionalExt, Row, Tx, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Result, from_millis, to_millis};

/// How long a claimed message is left to its sender before another may take it.
pub const CLAIM_LEASE_MS: i64 = 10 * 60 * 1000;

/// Adds a watcher to ticket `rowid`; false when they watch it already.
pub fn watch(tx: &Tx, rowid: i64, address: &str, at: DateTime<Utc>) -> Result<bool> {
    let n = tx.execute(
        "INSERT INTO watchers (ticket_id, address, added_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![rowid, address, to_millis(at)],
    )?;
    Ok(n > 0)
}

/// Removes a watcher; false when they did not watch it.
pub fn unwatch(tx: &Tx, rowid: i64, address: &str) -> Result<bool> {
    let n = tx.execute(
        "DELETE FROM watchers WHERE ticket_id = ?1 AND address = ?2",
        params![rowid, address],
    )?;
    Ok(n > 0)
}

/// The watchers of a ticket, in the order they were added.
pub fn watchers(tx: &Tx, rowid: i64) -> Result<Vec<String>> {
    tx.query_map(
        "SELECT address FROM watchers WHERE ticket_id = ?1 ORDER BY added_at, address",
        [rowid],
        |r| r.get(0),
    )
}

/// A message to write to the outbox.
#[derive(Debug, Clone, Default)]
pub struct NewMail<'a> {
    pub message_id: &'a str,
    pub ticket_rowid: i64,
    pub event_id: Option<i64>,
    /// `reply`, or the notification's event.
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub in_reply_to: Option<&'a str>,
    /// Message-IDs separated by spaces, oldest first.
    pub references: Option<&'a str>,
    /// Sent by the desk rather than a person (RFC 3834 `Auto-Submitted: auto-generated`).
    pub automatic: bool,
}

/// Writes a message to the outbox, to be sent from `due` on; returns its id.
pub fn enqueue(tx: &Tx, m: &NewMail, at: DateTime<Utc>, due: DateTime<Utc>) -> Result<i64> {
    let at = to_millis(at);
    let due = to_millis(due);
    tx.insert(
        "INSERT INTO outbox (message_id, ticket_id, event_id, kind, recipient, subject, body, in_reply_to, refs, \
         automatic, created_at, next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            m.message_id,
            m.ticket_rowid,
            m.event_id,
            m.kind,
            m.recipient,
            m.subject,
            m.body,
            m.in_reply_to,
            m.references,
            i64::from(m.automatic),
            at,
            due
        ],
    )
}

/// The Message-IDs of a ticket's thread, oldest first: the mail taken in on it, and the mail
/// it sent (`true`); what still waits in the outbox is no one's to answer yet.
pub fn thread(tx: &Tx, rowid: i64) -> Result<Vec<(String, bool)>> {
    tx.query_map(
        "SELECT message_id, sent FROM (\
           SELECT message_id, at, 0 AS sent FROM mail_messages WHERE ticket_id = ?1 \
           UNION ALL SELECT message_id, created_at AS at, 1 AS sent FROM mail_log WHERE ticket_id = ?1) AS thread \
         ORDER BY at, message_id",
        [rowid],
        |r| Ok((r.get(0)?, r.get::<_, i64>(1)? == 1)),
    )
}

/// The ticket (row id) one of these Message-IDs belongs to: a message the desk sent (or will
/// send), or one it took in. The first of `ids` known wins.
pub fn ticket_of_thread(tx: &Tx, ids: &[String]) -> Result<Option<i64>> {
    for id in ids {
        let found = tx
            .query_row(
                "SELECT ticket_id FROM mail_log WHERE message_id = ?1 \
                 UNION ALL SELECT ticket_id FROM outbox WHERE message_id = ?1 \
                 UNION ALL SELECT ticket_id FROM mail_messages WHERE message_id = ?1 LIMIT 1",
                [id.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Whether the desk sent (or will send) a message with this Message-ID.
pub fn sent_by_desk(tx: &Tx, message_id: &str) -> Result<bool> {
    tx.exists(
        "SELECT 1 FROM mail_log WHERE message_id = ?1 UNION ALL SELECT 1 FROM outbox WHERE message_id = ?1",
        [message_id],
    )
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outgoing {
    pub id: i64,
    pub message_id: String,
    #[serde(skip)]
    pub ticket_rowid: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    #[serde(skip)]
    pub body: String,
    #[serde(skip)]
    pub in_reply_to: Option<String>,
    #[serde(skip)]
    pub references: Option<String>,
    #[serde(skip)]
    pub automatic: bool,
    pub created_at: DateTime<Utc>,
    pub state: String,
    pub tries: i64,
    pub next_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The digest it went in, by Message-ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest_id: Option<String>,
}

/// The columns of a message, in the outbox (which has no `sent_at` nor `digest_id`).
const COLUMNS: &str = "id, message_id, ticket_id, kind, recipient, subject, body, in_reply_to, refs, automatic, \
                       created_at, state, tries, next_at, CAST(NULL AS BIGINT), last_error, CAST(NULL AS TEXT)";

/// The same in the log.
const LOG_COLUMNS: &str = "id, message_id, ticket_id, kind, recipient, subject, body, in_reply_to, refs, automatic, \
                           created_at, state, tries, next_at, sent_at, last_error, digest_id";

/// The columns the log takes from the outbox as they are.
const MOVED: &str = "message_id, ticket_id, event_id, kind, recipient, subject, body, in_reply_to, refs, automatic, \
                     created_at, next_at";

/// Moves message `id` from the outbox to the log as `state`.
fn to_log(
    tx: &Tx,
    id: i64,
    state: &str,
    sent_at: Option<i64>,
    error: Option<&str>,
    digest: Option<&str>,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO mail_log ({MOVED}, state, tries, sent_at, last_error, digest_id) \
         SELECT {MOVED}, ?2, tries + 1, ?3, ?4, ?5 FROM outbox WHERE id = ?1"
    );
    tx.execute(&sql, params![id, state, sent_at, error, digest])?;
    tx.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
    Ok(())
}

fn outgoing(r: &Row) -> Result<Outgoing> {
    Ok(Outgoing {
        id: r.get(0)?,
        message_id: r.get(1)?,
        ticket_rowid: r.get(2)?,
        kind: r.get(3)?,
        recipient: r.get(4)?,
        subject: r.get(5)?,
        body: r.get(6)?,
        in_reply_to: r.get(7)?,
        references: r.get(8)?,
        automatic: r.get::<_, i64>(9)? != 0,
        created_at: from_millis(r.get(10)?),
        state: r.get(11)?,
        tries: r.get(12)?,
        next_at: from_millis(r.get(13)?),
        sent_at: r.get::<_, Option<i64>>(14)?.map(from_millis),
        last_error: r.get(15)?,
        digest_id: r.get(16)?,
    })
}

/// Gives back the messages whose sender is gone (`gone` says, from `claimed_by`): a sender
/// killed while it sent leaves its claim, which another takes at once rather than after the
/// lease.
pub fn reclaim_abandoned(tx: &Tx, gone: impl Fn(&str) -> bool) -> Result<()> {
    let claims: Vec<(i64, Option<String>)> =
        tx.query_map("SELECT id, claimed_by FROM outbox WHERE state = 'sending'", (), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let abandoned: Vec<i64> = claims
        .into_iter()
        .filter(|(_, by)| by.as_deref().is_some_and(&gone))
        .map(|(id, _)| id)
        .collect();
    release(tx, &abandoned)
}

/// Claims up to `limit` messages due at `now` (and those whose sender left them claimed for
/// longer than the lease), oldest first. Inside a write transaction.
pub fn claim_due(tx: &Tx, now: DateTime<Utc>, by: &str, limit: usize) -> Result<Vec<Outgoing>> {
    let now = to_millis(now);
    let sql = format!(
        "UPDATE outbox SET state = 'sending', claimed_at = ?1, claimed_by = ?4 WHERE id IN (\
           SELECT id FROM outbox WHERE (state = 'queued' AND next_at <= ?1) \
             OR (state = 'sending' AND claimed_at <= ?2) ORDER BY id LIMIT ?3) \
         RETURNING {COLUMNS}"
    );
    let mut rows = tx.query_map(&sql, params![now, now - CLAIM_LEASE_MS, limit as i64, by], outgoing)?;
    rows.sort_by_key(|m| m.id);
    Ok(rows)
}

/// Claims up to `limit` messages waiting, due or not (`opsdesk mail send`: now), leaving out
/// those this run took already (`done`).
pub fn claim_waiting(tx: &Tx, now: DateTime<Utc>, by: &str, limit: usize, done: &[i64]) -> Result<Vec<Outgoing>> {
    let now = to_millis(now);
    let after = done.iter().copied().max().unwrap_or(0);
    let sql = format!(
        "UPDATE outbox SET state = 'sending', claimed_at = ?1, claimed_by = ?5 WHERE id IN (\
           SELECT id FROM outbox WHERE id > ?4 AND (state = 'queued' \
             OR (state = 'sending' AND claimed_at <= ?2)) ORDER BY id LIMIT ?3) \
         RETURNING {COLUMNS}"
    );
    let mut rows = tx.query_map(
        &sql,
        params![now, now - CLAIM_LEASE_MS, limit as i64, after, by],
        outgoing,
    )?;
    rows.sort_by_key(|m| m.id);
    Ok(rows)
}

/// Gives back messages claimed and not tried (a run that stopped): their tries are not counted.
pub fn release(tx: &Tx, ids: &[i64]) -> Result<()> {
    for id in ids {
        tx.execute(
            "UPDATE outbox SET state = 'queued', claimed_at = NULL, claimed_by = NULL WHERE id = ?1 AND state = 'sending'",
            [*id],
        )?;
    }
    Ok(())
}

/// Only the messages `ids` among those due, claimed (what one command just queued).
pub fn claim_these(tx: &Tx, ids: &[i64], now: DateTime<Utc>, by: &str) -> Result<Vec<Outgoing>> {
    let mut out = Vec::new();
    for id in ids {
        let sql = format!(
            "UPDATE outbox SET state = 'sending', claimed_at = ?2, claimed_by = ?3 WHERE id = ?1 AND state = 'queued' \
             RETURNING {COLUMNS}"
        );
        if let Some(m) = tx
            .query_row(&sql, params![*id, to_millis(now), by], outgoing)
            .optional()?
        {
            out.push(m);
        }
    }
    Ok(out)
}

/// The message was accepted by the transport (in the digest `digest`, when it went in one):
/// it moves to the log.
pub fn sent(tx: &Tx, id: i64, at: DateTime<Utc>, digest: Option<&str>) -> Result<()> {
    to_log(tx, id, "sent", Some(to_millis(at)), None, digest)
}

/// Claims the desk's notifications waiting for `recipient` (due ones only when `due_only`),
/// but those in `have`, up to `limit`: what goes with them in one digest.
pub fn claim_notifications(
    tx: &Tx,
    recipient: &str,
    now: DateTime<Utc>,
    by: &str,
    due_only: bool,
    limit: usize,
    have: &[i64],
) -> Result<Vec<Outgoing>> {
    let now = to_millis(now);
    let sql = format!(
        "UPDATE outbox SET state = 'sending', claimed_at = ?1, claimed_by = ?2 WHERE id IN (\
           SELECT id FROM outbox WHERE state = 'queued' AND automatic = 1 AND lower(recipient) = lower(?3) \
             AND (?4 = 0 OR next_at <= ?1) ORDER BY id LIMIT ?5) \
         RETURNING {COLUMNS}"
    );
    let rows = tx.query_map(
        &sql,
        params![now, by, recipient, i64::from(due_only), (limit + have.len()) as i64],
        outgoing,
    )?;
    let mut rows: Vec<Outgoing> = rows.into_iter().filter(|m| !have.contains(&m.id)).collect();
    rows.sort_by_key(|m| m.id);
    Ok(rows)
}

/// How many of the desk's notifications (a digest counting once) `recipient` was sent since
/// `since`, and when the first of them went.
pub fn sent_since(tx: &Tx, recipient: &str, since: DateTime<Utc>) -> Result<(i64, Option<DateTime<Utc>>)> {
    tx.query_row(
        "SELECT count(DISTINCT coalesce(digest_id, message_id)), min(sent_at) FROM mail_log \
         WHERE recipient = ?1 AND automatic = 1 AND state = 'sent' AND sent_at >= ?2",
        params![recipient, to_millis(since)],
        |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.map(from_millis))),
    )
}

/// Holds messages back until `until` (the rate limit), without counting a try.
pub fn hold(tx: &Tx, ids: &[i64], until: DateTime<Utc>, why: &str) -> Result<()> {
    for id in ids {
        tx.execute(
            "UPDATE outbox SET state = 'queued', next_at = ?2, claimed_at = NULL, claimed_by = NULL, last_error = ?3 \
             WHERE id = ?1",
            params![*id, to_millis(until), why],
        )?;
    }
    Ok(())
}

/// The transport could not take it now: tried again at `next`.
pub fn retry(tx: &Tx, id: i64, next: DateTime<Utc>, error: &str) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'queued', tries = tries + 1, next_at = ?2, claimed_at = NULL, claimed_by = NULL, last_error = ?3 \
         WHERE id = ?1",
        params![id, to_millis(next), error],
    )?;
    Ok(())
}

/// It will never be delivered (refused for good, or too old): it moves to the log.
pub fn failed(tx: &Tx, id: i64, error: &str) -> Result<()> {
    to_log(tx, id, "failed", None, Some(error), None)
}

/// What waits to be sent (queued or being sent) and what failed for good, oldest first;
/// with `sent`, what was sent too.
pub fn queue(tx: &Tx, sent: bool, limit: usize) -> Result<Vec<Outgoing>> {
    let only = if sent { "" } else { "WHERE state = 'failed'" };
    let sql = format!(
        "SELECT * FROM (SELECT {COLUMNS} FROM outbox UNION ALL SELECT {LOG_COLUMNS} FROM mail_log {only}) AS m \
         ORDER BY 11, 1 LIMIT ?1"
    );
    tx.query_map(&sql, [limit as i64], outgoing)
}

/// One message of the outbox.
pub fn get(tx: &Tx, id: i64) -> Result<Option<Outgoing>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1");
    tx.query_row(&sql, [id], outgoing).optional()
}

/// The messages of one ticket, oldest first.
pub fn of_ticket(tx: &Tx, rowid: i64) -> Result<Vec<Outgoing>> {
    let sql = format!(
        "SELECT * FROM (SELECT {COLUMNS} FROM outbox WHERE ticket_id = ?1 \
         UNION ALL SELECT {LOG_COLUMNS} FROM mail_log WHERE ticket_id = ?1) AS m ORDER BY 11, 1"
    );
    tx.query_map(&sql, [rowid], outgoing)
}

/// How many messages wait (queued or claimed).
pub fn waiting(tx: &Tx) -> Result<i64> {
    tx.query_row(
        "SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')",
        (),
        |r| r.get(0),
    )
}
