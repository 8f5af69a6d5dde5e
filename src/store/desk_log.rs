//! The desk's own trail (`desk_events`, version 12): its creation and upgrades, every version
//! of its policy, and every operator added or given or refused a role. Chained like the
//! timeline (see [`super::chain`]), in its own chain, so `audit verify` proves who changed
//! the rules and who gave whom which role; and replayed, so an `operators` row changed by
//! hand is named.

use super::sql::{OptionalExt, Row, Tx, params};
use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::Result;
use super::chain::{self, Break, Flaw, GENESIS};
use super::tickets::By;

/// An entry of the desk's trail, as appended.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeskEvent<'a> {
    pub kind: &'a str,
    pub subject: Option<&'a str>,
    pub old: Option<&'a str>,
    pub new: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// The hash of a desk event chained to `prev`, encoded as the timeline's events are, under
/// its own tag so no timeline event hashes the same.
fn hash(prev: &[u8], id: i64, at: i64, by: By, e: &DeskEvent) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"opsdesk desk event v1\0");
    chain::bytes(&mut h, prev);
    chain::int(&mut h, Some(id));
    chain::int(&mut h, Some(at));
    for s in [Some(by.name), by.via, Some(e.kind), e.subject, e.old, e.new, e.note] {
        chain::text(&mut h, s);
    }
    h.finalize().into()
}

/// Appends an entry to the desk's trail, chained to the newest. Inside a write transaction.
pub fn append(conn: &Tx, at: chrono::DateTime<chrono::Utc>, by: By, e: &DeskEvent) -> Result<i64> {
    let last = conn
        .query_row("SELECT id, hash FROM desk_events ORDER BY id DESC LIMIT 1", (), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .optional()?;
    let (last, prev) = last.unwrap_or((0, GENESIS.to_vec()));
    let id = last + 1;
    let at = super::to_millis(at);
    let h = hash(&prev, id, at, by, e);
    conn.execute(
        "INSERT INTO desk_events (id, at, actor, via, kind, subject, old, new, note, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            at,
            by.name,
            by.via,
            e.kind,
            e.subject,
            e.old,
            e.new,
            e.note,
            h.as_slice()
        ],
    )?;
    Ok(id)
}

/// A stored entry of the trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip)]
    hash: Vec<u8>,
}

const COLUMNS: &str = "id, at, actor, via, kind, subject, old, new, note, hash";

fn entry(r: &Row) -> Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        at: super::from_millis(r.get(1)?),
        actor: r.get(2)?,
        via: r.get(3)?,
        kind: r.get(4)?,
        subject: r.get(5)?,
        old: r.get(6)?,
        new: r.get(7)?,
        note: r.get(8)?,
        hash: r.get::<_, Option<Vec<u8>>>(9)?.unwrap_or_default(),
    })
}

/// The newest entry of this kind.
pub fn latest(conn: &Tx, kind: &str) -> Result<Option<Entry>> {
    let sql = format!("SELECT {COLUMNS} FROM desk_events WHERE kind = ?1 ORDER BY id DESC LIMIT 1");
    conn.query_row(&sql, [kind], entry).optional()
}

/// Every entry of these kinds, oldest first (all kinds when `kinds` is empty).
pub fn list(conn: &Tx, kinds: &[&str]) -> Result<Vec<Entry>> {
    let sql = format!("SELECT {COLUMNS} FROM desk_events ORDER BY id");
    let rows = conn.query_map(&sql, (), entry)?;
    let mut out = Vec::new();
    for e in rows {
        if kinds.is_empty() || kinds.contains(&e.kind.as_str()) {
            out.push(e);
        }
    }
    Ok(out)
}

/// The entry of the policy's version `n`.
pub fn policy_version(conn: &Tx, n: i64) -> Result<Option<Entry>> {
    let sql = format!("SELECT {COLUMNS} FROM desk_events WHERE kind = 'policy' AND subject = ?1 ORDER BY id LIMIT 1");
    conn.query_row(&sql, [n.to_string()], entry).optional()
}

/// What a walk of the desk's trail found: how many entries, the head, the first break, and
/// the operators and roles the trail gives (to hold against the `operators` table).
#[derive(Debug, Clone, Default)]
pub struct DeskVerdict {
    pub events: u64,
    pub head: Option<(i64, [u8; 32])>,
    /// The first entry that fails (it names no ticket: `ticket_rowid` is 0).
    pub broken: Option<Break>,
    pub expected_found: bool,
    /// By operator name, lower-cased: the roles (comma-joined, as stored) and mail address
    /// the trail last gave.
    pub operators: BTreeMap<String, (String, Option<String>)>,
}

/// Walks the whole trail in id order, every row whatever its id.
pub fn verify(conn: &Tx, expect: Option<&[u8]>) -> Result<DeskVerdict> {
    let mut v = DeskVerdict::default();
    let sql = format!("SELECT {COLUMNS} FROM desk_events ORDER BY id");
    let rows = conn.query_map(&sql, (), entry)?;
    let (mut before, mut prev) = (0i64, GENESIS.to_vec());
    for e in rows {
        v.events += 1;
        let by = By {
            name: &e.actor,
            via: e.via.as_deref(),
        };
        let content = DeskEvent {
            kind: &e.kind,
            subject: e.subject.as_deref(),
            old: e.old.as_deref(),
            new: e.new.as_deref(),
            note: e.note.as_deref(),
        };
        let computed = hash(&prev, e.id, super::to_millis(e.at), by, &content);
        let flaw = if e.id != before + 1 {
            Some(Flaw::OutOfPlace { expected: before + 1 })
        } else if e.hash != computed {
            Some(Flaw::Hash)
        } else {
            None
        };
        if let Some(flaw) = flaw {
            v.broken = Some(Break {
                event: e.id,
                after: before,
                ticket_rowid: 0,
                kind: e.kind.clone(),
                actor: e.actor.clone(),
                at: super::to_millis(e.at),
                flaw,
            });
            v.head = None;
            return Ok(v);
        }
        if expect == Some(computed.as_slice()) {
            v.expected_found = true;
        }
        replay_operator(&mut v.operators, &e);
        v.head = Some((e.id, computed));
        before = e.id;
        prev = e.hash;
    }
    Ok(v)
}

/// What an entry says of operators: `operator_added` and `roles` set the roles in `new`,
/// `email` the address in `new`, a `baseline` lists them all (JSON: name → [roles, email]).
fn replay_operator(ops: &mut BTreeMap<String, (String, Option<String>)>, e: &Entry) {
    let name = e.subject.as_deref().map(str::to_lowercase);
    match (e.kind.as_str(), name) {
        ("operator_added" | "roles", Some(name)) => {
            let email = ops.get(&name).and_then(|(_, m)| m.clone());
            ops.insert(name, (e.new.clone().unwrap_or_default(), email));
        }
        ("email", Some(name)) => {
            if let Some(op) = ops.get_mut(&name) {
                op.1 = e.new.clone();
            }
        }
        ("baseline", _) => {
            let all: BTreeMap<String, (String, Option<String>)> = e
                .new
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            for (name, op) in all {
                ops.insert(name.to_lowercase(), op);
            }
        }
        _ => {}
    }
}
