//! Alerts from monitoring and the incidents they opened (schema 10), and mail taken in
//! (schema 11).

use super::sql::{OptionalExt, Tx, params};
use serde::Serialize;

use super::{Result, from_millis, to_millis};

/// An alert as the desk keeps it, on its incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub source: String,
    pub fingerprint: String,
    pub occurrences: i64,
    pub first_seen: chrono::DateTime<chrono::Utc>,
    pub last_seen: chrono::DateTime<chrono::Utc>,
    pub status: String,
}

/// The open ticket `fingerprint` opened, if there is one (its row id).
pub fn open_ticket(conn: &Tx, source: &str, fingerprint: &str) -> Result<Option<i64>> {
    conn.query_row(
        "SELECT a.ticket_id FROM alerts a JOIN tickets t ON t.id = a.ticket_id \
             WHERE a.source = ?1 AND a.fingerprint = ?2 AND t.is_open = 1 ORDER BY a.ticket_id DESC LIMIT 1",
        params![source, fingerprint],
        |r| r.get(0),
    )
    .optional()
}

/// Records that `fingerprint` opened ticket `rowid`.
pub fn insert(conn: &Tx, source: &str, fingerprint: &str, rowid: i64, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
    conn.execute(
        "INSERT INTO alerts (source, fingerprint, ticket_id, occurrences, first_seen, last_seen, status) \
         VALUES (?1, ?2, ?3, 1, ?4, ?4, 'firing')",
        params![source, fingerprint, rowid, to_millis(at)],
    )?;
    Ok(())
}

/// The alert fired again (`firing`) or ended (`resolved`); returns its occurrences.
pub fn seen(
    conn: &Tx,
    source: &str,
    fingerprint: &str,
    rowid: i64,
    at: chrono::DateTime<chrono::Utc>,
    status: &str,
) -> Result<i64> {
    let bump = i64::from(status == "firing");
    conn.query_row(
        "UPDATE alerts SET occurrences = occurrences + ?5, last_seen = ?4, status = ?6 \
             WHERE source = ?1 AND fingerprint = ?2 AND ticket_id = ?3 RETURNING occurrences",
        params![source, fingerprint, rowid, to_millis(at), bump, status],
        |r| r.get(0),
    )
}

/// The alerts on a ticket.
pub fn of_ticket(conn: &Tx, rowid: i64) -> Result<Vec<Alert>> {
    let rows = conn.query_map(
        "SELECT source, fingerprint, occurrences, first_seen, last_seen, status FROM alerts \
         WHERE ticket_id = ?1 ORDER BY first_seen",
        [rowid],
        |r| {
            Ok(Alert {
                source: r.get(0)?,
                fingerprint: r.get(1)?,
                occurrences: r.get(2)?,
                first_seen: from_millis(r.get(3)?),
                last_seen: from_millis(r.get(4)?),
                status: r.get(5)?,
            })
        },
    )?;
    Ok(rows)
}

/// The ticket a mail message with this Message-ID went to, if it was taken before.
pub fn mail_ticket(conn: &Tx, message_id: &str) -> Result<Option<i64>> {
    conn.query_row(
        "SELECT ticket_id FROM mail_messages WHERE message_id = ?1",
        [message_id],
        |r| r.get(0),
    )
    .optional()
}

pub fn insert_mail(conn: &Tx, message_id: &str, rowid: i64, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
    conn.execute(
        "INSERT INTO mail_messages (message_id, ticket_id, at) VALUES (?1, ?2, ?3)",
        params![message_id, rowid, to_millis(at)],
    )?;
    Ok(())
}
