//! The desk's policy as stored: each version whole, as an entry of the desk's trail
//! (`desk_events`, kind `policy`, subject the version number), so the trail proves who set
//! which rules when. The current policy is the newest entry.

use super::sql::{Tx, params};
use chrono::{DateTime, Utc};

use super::Result;
use super::desk_log::{self, DeskEvent, Entry};
use super::tickets::By;

/// The newest policy entry's id: what a cached policy is checked against, cheaply. The
/// timeline's head comes with it in the same read (on a server, the same round trip) and is
/// remembered for the transaction's first event (see `chain::head`).
pub fn current_id(conn: &Tx) -> Result<Option<i64>> {
    let (policy, last) = conn.query_row(
        "SELECT (SELECT max(id) FROM desk_events WHERE kind = 'policy'), e.id, e.hash \
         FROM (SELECT 1 AS one) AS o LEFT JOIN (SELECT id, hash FROM events ORDER BY id DESC LIMIT 1) AS e ON 1 = 1",
        (),
        |r| {
            let (id, hash): (Option<i64>, Option<Vec<u8>>) = (r.get(1)?, r.get(2)?);
            Ok((r.get::<_, Option<i64>>(0)?, id.map(|id| (id, hash))))
        },
    )?;
    super::chain::take_head(conn, last);
    Ok(policy)
}

/// The current policy's entry (its source in `new`), if the desk has one yet.
pub fn current(conn: &Tx) -> Result<Option<Entry>> {
    desk_log::latest(conn, "policy")
}

/// Records version `version` of the policy: `source` whole, `diff` from the one before.
pub fn record(conn: &Tx, version: i64, source: &str, diff: Option<&str>, at: DateTime<Utc>, by: By) -> Result<i64> {
    let v = version.to_string();
    let e = DeskEvent {
        kind: "policy",
        subject: Some(&v),
        new: Some(source),
        note: diff,
        ..DeskEvent::default()
    };
    desk_log::append(conn, at, by, &e)
}

/// How many tickets of each kind are in each state now.
pub fn states_in_use(conn: &Tx) -> Result<Vec<(String, String, i64)>> {
    let rows = conn.query_map(
        "SELECT kind, state, count(*) FROM tickets GROUP BY kind, state ORDER BY kind, state",
        (),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(rows)
}

/// Marks the tickets of a kind in a state open or not (when the lifecycles change).
pub fn set_open(conn: &Tx, kind: &str, state: &str, open: bool) -> Result<usize> {
    conn.execute(
        "UPDATE tickets SET is_open = ?1 WHERE kind = ?2 AND state = ?3 AND is_open <> ?1",
        params![open, kind, state],
    )
}
