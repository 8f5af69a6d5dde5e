//! SLA clocks on the ticket rows: worked out again from a ticket's transitions whenever it
//! is written, for every ticket when the policy changes, and the escalations due.

use super::sql::Value as SqlValue;
use super::sql::{Row, Tx, params};
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{Result, from_millis, set_meta, to_millis};
use crate::domain::sla::{Clock, Clocks, History, Phase, Policy};
use crate::domain::{Kind, Lifecycles};

/// The clock columns, in the order [`clocks_from`] reads them.
pub const CLOCK_COLUMNS: &str =
    "tto_phase, tto_risk_at, tto_due_at, tto_left, ttr_phase, ttr_risk_at, ttr_due_at, ttr_left";

/// The meta key naming the policy the stored clocks were worked out under.
pub const POLICY_KEY: &str = "sla_policy";

/// Reads the eight columns of [`CLOCK_COLUMNS`] starting at column `first`.
pub fn clocks_from(r: &Row, first: usize) -> Result<Clocks> {
    let clock = |i: usize| -> Result<Option<Clock>> {
        let Some(phase) = r.get::<_, Option<String>>(i)?.as_deref().and_then(Phase::parse) else {
            return Ok(None);
        };
        let time = |j: usize| r.get::<_, Option<i64>>(j).map(|v| v.map(from_millis));
        Ok(Some(Clock {
            phase,
            risk_at: time(i + 1)?,
            due_at: time(i + 2)?,
            left: Duration::milliseconds(r.get::<_, Option<i64>>(i + 3)?.unwrap_or(0)),
        }))
    };
    Ok(Clocks {
        own: clock(first)?,
        resolve: clock(first + 4)?,
    })
}

fn clock_values(c: Option<&Clock>) -> [SqlValue<'static>; 4] {
    let time = |t: Option<DateTime<Utc>>| t.map_or(SqlValue::Null, |t| SqlValue::Int(to_millis(t)));
    match c {
        None => [SqlValue::Null, SqlValue::Null, SqlValue::Null, SqlValue::Null],
        Some(c) => [
            SqlValue::text(c.phase.name()),
            time(c.risk_at),
            time(c.due_at),
            SqlValue::Int(c.left.num_milliseconds()),
        ],
    }
}

/// A ticket as its clocks are worked out from.
struct Basis {
    rowid: i64,
    history: History,
    stored: Clocks,
    flags: i64,
}

/// Works the clocks of the tickets with row ids in `lo..=hi` out again under `policy` and
/// stores those that changed. Returns how many changed.
pub fn refresh(conn: &Tx, policy: &Policy, lifecycles: &Lifecycles, lo: i64, hi: i64) -> Result<usize> {
    let mut moves: HashMap<i64, Vec<(DateTime<Utc>, String, String)>> = HashMap::new();
    {
        let rows = conn.query_map(
            "SELECT ticket_id, at, old, new FROM events \
             WHERE ticket_id BETWEEN ?1 AND ?2 AND kind = 'transition' ORDER BY ticket_id, id",
            params![lo, hi],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    from_millis(r.get(1)?),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                ))
            },
        )?;
        for (t, at, from, to) in rows {
            moves.entry(t).or_default().push((at, from, to));
        }
    }
    let mut tickets = Vec::new();
    {
        let rows = conn.query_map(
            &format!(
                "SELECT id, kind, priority, created_at, state, first_assigned_at, sla_flags, {CLOCK_COLUMNS} \
             FROM tickets WHERE id BETWEEN ?1 AND ?2"
            ),
            params![lo, hi],
            |r| {
                let kind: String = r.get(1)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    kind,
                    r.get::<_, u8>(2)?,
                    from_millis(r.get(3)?),
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<i64>>(5)?.map(from_millis),
                    r.get::<_, i64>(6)?,
                    clocks_from(r, 7)?,
                ))
            },
        )?;
        for (rowid, kind, priority, created, state, first_assigned, flags, stored) in rows {
            let Ok(kind) = kind.parse::<Kind>() else { continue };
            let ms = moves.remove(&rowid).unwrap_or_default();
            tickets.push(Basis {
                rowid,
                history: History::of_moves(kind, priority, created, &state, ms, first_assigned),
                stored,
                flags,
            });
        }
    }
    let mut changed = 0;
    for b in tickets {
        let lifecycle = lifecycles.get(b.history.kind);
        let history = b.history;
        let clocks = policy.clocks(lifecycle, &history);
        if clocks == b.stored {
            continue;
        }
        write(conn, b.rowid, &clocks, b.flags)?;
        changed += 1;
    }
    Ok(changed)
}

/// The values of [`CLOCK_COLUMNS`] and then `sla_next` (the next escalation still to be
/// recorded per `flags`).
pub fn clock_row(clocks: &Clocks, flags: i64) -> [SqlValue<'static>; 9] {
    let [a, b, c, d] = clock_values(clocks.own.as_ref());
    let [e, f, g, h] = clock_values(clocks.resolve.as_ref());
    let next = clocks
        .next_escalation(flags)
        .map_or(SqlValue::Null, |t| SqlValue::Int(to_millis(t)));
    [a, b, c, d, e, f, g, h, next]
}

/// Stores a ticket's clocks, and when its next escalation (per `flags`) falls due.
pub fn write(conn: &Tx, rowid: i64, clocks: &Clocks, flags: i64) -> Result<()> {
    let mut values = clock_row(clocks, flags).to_vec();
    values.push(SqlValue::Int(rowid));
    conn.execute(
        "UPDATE tickets SET tto_phase = ?1, tto_risk_at = ?2, tto_due_at = ?3, tto_left = ?4, \
         ttr_phase = ?5, ttr_risk_at = ?6, ttr_due_at = ?7, ttr_left = ?8, sla_next = ?9 WHERE id = ?10",
        values,
    )?;
    Ok(())
}

/// [`refresh`] for a set of row ids: each run of nearby ids is read in one range.
pub fn refresh_rows(conn: &Tx, policy: &Policy, lifecycles: &Lifecycles, rowids: &[i64]) -> Result<usize> {
    let mut ids = rowids.to_vec();
    ids.sort_unstable();
    let mut changed = 0;
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] - ids[j] <= 64 {
            j += 1;
        }
        changed += refresh(conn, policy, lifecycles, ids[i], ids[j])?;
        i = j + 1;
    }
    Ok(changed)
}

/// Works every ticket's clocks out again if they were worked out under another policy (or
/// none: a desk from before version 6). Returns whether it did.
/// What the stored clocks were worked out under: the SLA policy and the lifecycles (whose
/// open and paused states decide when a clock runs).
pub fn clock_fingerprint(policy: &Policy, lifecycles: &Lifecycles) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{policy:?}{lifecycles:?}").hash(&mut h);
    format!("{:016x}", h.finish())
}

pub fn refresh_if_policy_changed(conn: &Tx, policy: &Policy, lifecycles: &Lifecycles) -> Result<bool> {
    let print = clock_fingerprint(policy, lifecycles);
    let stored: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [POLICY_KEY], |r| r.get(0))
        .ok();
    if stored.as_deref() == Some(print.as_str()) {
        return Ok(false);
    }
    let (lo, hi): (Option<i64>, Option<i64>) = conn.query_row("SELECT min(id), max(id) FROM tickets", (), |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    if let (Some(lo), Some(hi)) = (lo, hi) {
        const CHUNK: i64 = 20_000;
        let mut start = lo;
        while start <= hi {
            refresh(conn, policy, lifecycles, start, (start + CHUNK - 1).min(hi))?;
            start += CHUNK;
        }
    }
    set_meta(conn, POLICY_KEY, &print)?;
    Ok(true)
}

/// A ticket with an escalation due.
#[derive(Debug, Clone)]
pub struct Due {
    pub rowid: i64,
    pub clocks: Clocks,
    pub flags: i64,
}

/// The tickets whose next unrecorded threshold has come by `now`.
pub fn due(conn: &Tx, now: DateTime<Utc>) -> Result<Vec<Due>> {
    let rows = conn.query_map(&format!(
        "SELECT id, sla_flags, {CLOCK_COLUMNS} FROM tickets WHERE sla_next IS NOT NULL AND sla_next <= ?1 ORDER BY sla_next"
    ), [to_millis(now)], |r| {
        Ok(Due {
            rowid: r.get(0)?,
            flags: r.get(1)?,
            clocks: clocks_from(r, 2)?,
        })
    })?;
    Ok(rows)
}

/// Records which escalations have been made, and when the next is due.
pub fn set_flags(conn: &Tx, rowid: i64, flags: i64, next: Option<DateTime<Utc>>) -> Result<()> {
    conn.execute(
        "UPDATE tickets SET sla_flags = ?1, sla_next = ?2 WHERE id = ?3",
        params![flags, next.map(to_millis), rowid],
    )?;
    Ok(())
}
