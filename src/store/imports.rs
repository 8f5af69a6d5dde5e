//! What earlier imports did: which ticket each source key became and how far its history
//! was replayed.

use super::sql::{Tx, params};
use std::collections::HashMap;

use super::Result;

/// Every key imported from `source`: its ticket's row id and the order of its last row.
pub fn keys(conn: &Tx, source: &str) -> Result<HashMap<String, (i64, i64)>> {
    let rows = conn.query_map(
        "SELECT key, ticket_id, last_order FROM import_keys WHERE source = ?1",
        [source],
        |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))),
    )?;
    Ok(rows.into_iter().collect())
}

pub fn set_key(conn: &Tx, source: &str, key: &str, ticket: i64, last_order: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO import_keys (source, key, ticket_id, last_order) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (source, key) DO UPDATE SET ticket_id = excluded.ticket_id, last_order = excluded.last_order",
        params![source, key, ticket, last_order],
    )?;
    Ok(())
}
