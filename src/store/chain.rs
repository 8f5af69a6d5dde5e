//! The timeline's hash chain. Every event carries `hash`: SHA-256 over the hash of the event
//! before it (one chain per desk, in id order) and its own content, with the text of the
//! comment it records. Changing, removing or inserting a row by hand breaks the chain from
//! that row on; `opsdesk audit verify` walks it and names the first broken link. Removing the
//! newest events leaves a shorter chain that still holds: compare the head against one noted
//! earlier (`--expect`) to see that.

use super::sql::{OptionalExt, Row, Tx, params};
use sha2::{Digest, Sha256};

use super::Result;
use super::tickets::NewEvent;

/// What the first event is chained to.
pub const GENESIS: [u8; 32] = [0; 32];

/// A comment as its event's hash covers it.
#[derive(Debug, Clone, Copy)]
pub struct CommentContent<'a> {
    pub at: i64,
    pub author: &'a str,
    pub body: &'a str,
    pub internal: bool,
}

/// An event's content as stored: every column but the hash.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub id: i64,
    pub ticket_id: i64,
    pub at: i64,
    pub actor: &'a str,
    /// Its kind, field, old and new values, note and comment, as they were appended.
    pub event: NewEvent<'a>,
    /// None when the event records no comment, or when its comment is gone.
    pub comment: Option<CommentContent<'a>>,
    /// Since version 12 (absent on older events, which hash as they always did): the account
    /// that acted as `actor`. The event's version and snapshot (also since 12) are in `event`.
    pub via: Option<&'a str>,
}

/// How the chains encode what they hash: every field length-prefixed and absent values told
/// from empty ones, so no two different entries encode the same.
pub(super) fn bytes(h: &mut Sha256, b: &[u8]) {
    h.update((b.len() as u64).to_le_bytes());
    h.update(b);
}

pub(super) fn text(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0]),
        Some(s) => {
            h.update([1]);
            bytes(h, s.as_bytes());
        }
    }
}

pub(super) fn int(h: &mut Sha256, n: Option<i64>) {
    match n {
        None => h.update([0]),
        Some(n) => {
            h.update([1]);
            h.update(n.to_le_bytes());
        }
    }
}

/// The hash of an event chained to `prev` (see [`bytes`], [`text`], [`int`]).
pub fn hash(prev: &[u8], c: &Content) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"opsdesk event v1\0");
    bytes(&mut h, prev);
    int(&mut h, Some(c.id));
    int(&mut h, Some(c.ticket_id));
    int(&mut h, Some(c.at));
    text(&mut h, Some(c.actor));
    let e = &c.event;
    text(&mut h, Some(e.kind));
    text(&mut h, e.field);
    text(&mut h, e.old);
    text(&mut h, e.new);
    text(&mut h, e.note);
    int(&mut h, e.comment_id);
    match &c.comment {
        None => h.update([0]),
        Some(m) => {
            h.update([1]);
            int(&mut h, Some(m.at));
            text(&mut h, Some(m.author));
            text(&mut h, Some(m.body));
            int(&mut h, Some(i64::from(m.internal)));
        }
    }
    // What version 12 added comes last, only when there is any: the events written before
    // keep their hashes, and the encoding stays unambiguous (everything before is
    // self-delimiting).
    if c.via.is_some() || e.version.is_some() || e.snapshot.is_some() {
        h.update([2]);
        text(&mut h, c.via);
        int(&mut h, e.version);
        text(&mut h, e.snapshot);
    }
    h.finalize().into()
}

/// Lower-case hex, as `audit verify` prints hashes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The newest event's id and hash: what the next event is chained to.
pub fn head(conn: &Tx) -> Result<(i64, Vec<u8>)> {
    if let Some(known) = conn.known_head() {
        return Ok(known);
    }
    let last = conn
        .query_row("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", (), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
        })
        .optional()?;
    Ok(take_head(conn, last))
}

/// The newest event's id and hash as read (`None`: no event yet), remembered as the head
/// this transaction's next event is chained to.
pub fn take_head(conn: &Tx, last: Option<(i64, Option<Vec<u8>>)>) -> (i64, Vec<u8>) {
    let (id, hash) = match last {
        Some((id, hash)) => (id, hash.unwrap_or_default()),
        None => (0, GENESIS.to_vec()),
    };
    conn.remember_head(id, &hash);
    (id, hash)
}

/// A comment's content, for the event that records it.
pub fn comment(conn: &Tx, id: i64) -> Result<Option<(i64, String, String, bool)>> {
    conn.query_row(
        "SELECT at, author, body, internal FROM comments WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .optional()
}

/// Every event with its comment, in chain order.
const WALK_ALL: &str = "SELECT e.id, e.ticket_id, e.at, e.actor, e.kind, e.field, e.old, e.new, e.note, \
     e.comment_id, e.hash, c.at, c.author, c.body, c.internal, e.via, e.version, e.snapshot \
     FROM events e LEFT JOIN comments c ON c.id = e.comment_id ORDER BY e.id";

/// Every event with its comment, in chain order, from `after` on (`after` excluded), a page
/// at a time, for a desk of version 9 to 11, whose events have no via, version or snapshot
/// (the migration to version 9 chains them).
const WALK_V9: &str = "SELECT e.id, e.ticket_id, e.at, e.actor, e.kind, e.field, e.old, e.new, e.note, \
     e.comment_id, e.hash, c.at, c.author, c.body, c.internal, NULL, NULL, NULL \
     FROM events e LEFT JOIN comments c ON c.id = e.comment_id WHERE e.id > ?1 ORDER BY e.id LIMIT ?2";

/// One row of [`WALK_ALL`], owned.
struct Walked {
    id: i64,
    ticket_id: i64,
    at: i64,
    actor: String,
    kind: String,
    field: Option<String>,
    old: Option<String>,
    new: Option<String>,
    note: Option<String>,
    comment_id: Option<i64>,
    hash: Option<Vec<u8>>,
    comment: Option<(i64, String, String, bool)>,
    via: Option<String>,
    version: Option<i64>,
    snapshot: Option<String>,
}

impl Walked {
    fn from_row(r: &Row) -> Result<Walked> {
        let comment = match r.get::<_, Option<i64>>(11)? {
            Some(at) => Some((at, r.get(12)?, r.get(13)?, r.get::<_, i64>(14)? != 0)),
            None => None,
        };
        Ok(Walked {
            id: r.get(0)?,
            ticket_id: r.get(1)?,
            at: r.get(2)?,
            actor: r.get(3)?,
            kind: r.get(4)?,
            field: r.get(5)?,
            old: r.get(6)?,
            new: r.get(7)?,
            note: r.get(8)?,
            comment_id: r.get(9)?,
            hash: r.get(10)?,
            comment,
            via: r.get(15)?,
            version: r.get(16)?,
            snapshot: r.get(17)?,
        })
    }

    fn content(&self) -> Content<'_> {
        Content {
            id: self.id,
            ticket_id: self.ticket_id,
            at: self.at,
            actor: &self.actor,
            event: NewEvent {
                kind: &self.kind,
                field: self.field.as_deref(),
                old: self.old.as_deref(),
                new: self.new.as_deref(),
                note: self.note.as_deref(),
                comment_id: self.comment_id,
                version: self.version,
                snapshot: self.snapshot.as_deref(),
            },
            comment: self
                .comment
                .as_ref()
                .map(|(at, author, body, internal)| CommentContent {
                    at: *at,
                    author,
                    body,
                    internal: *internal,
                }),
            via: self.via.as_deref(),
        }
    }
}

/// Rows read at a time: the walk never holds a statement open over rows it writes.
const PAGE: i64 = 10_000;

/// Gives `each` every event with its comment, in id order, a page at a time, until it
/// returns false. Every row, whatever its id: one put in by hand at 0 or below too.
fn in_pages(conn: &Tx, sql: &str, mut each: impl FnMut(&[Walked]) -> Result<bool>) -> Result<()> {
    let mut after = i64::MIN;
    loop {
        let page = conn.query_map(sql, params![after, PAGE], Walked::from_row)?;
        let Some(last) = page.last() else { return Ok(()) };
        after = last.id;
        if !each(&page)? {
            return Ok(());
        }
    }
}

/// Walks the chain in id order, calling `each` with an event and the hash its content and
/// the previous event's stored hash give. Stops early when `each` returns false. One
/// statement read straight through: nothing is written meanwhile.
fn walk(conn: &Tx, mut each: impl FnMut(&Walked, &[u8; 32]) -> Result<bool>) -> Result<()> {
    let mut prev = GENESIS.to_vec();
    conn.scan_until(WALK_ALL, (), &mut |r| {
        let w = Walked::from_row(r)?;
        let computed = hash(&prev, &w.content());
        if !each(&w, &computed)? {
            return Ok(false);
        }
        prev = w.hash.unwrap_or_default();
        Ok(true)
    })
}

/// Chains every event that has no hash yet (the desks written before version 9). Runs in the
/// migration's transaction, with the append-only trigger lifted for it.
pub fn backfill(conn: &Tx) -> Result<()> {
    let mut prev = GENESIS;
    in_pages(conn, WALK_V9, |page| {
        for w in page {
            prev = hash(&prev, &w.content());
            conn.execute(
                "UPDATE events SET hash = ?1 WHERE id = ?2",
                params![prev.as_slice(), w.id],
            )?;
        }
        Ok(true)
    })
}

/// What is wrong with the first event that fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flaw {
    /// Its stored hash is not what its content and the link before it give.
    Hash,
    /// Its id is not the next one: opsdesk numbers events 1, 2, 3… as it appends them, so
    /// a row at 0 or below, or ahead of the next number, was put there by hand.
    OutOfPlace { expected: i64 },
}

/// The first event of the chain that fails, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub event: i64,
    /// The event before it in the chain (0: none).
    pub after: i64,
    pub ticket_rowid: i64,
    pub kind: String,
    pub at: i64,
    pub actor: String,
    pub flaw: Flaw,
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Events checked (up to and including a break).
    pub events: u64,
    /// The newest event's id and hash, when the chain holds.
    pub head: Option<(i64, [u8; 32])>,
    pub broken: Option<Break>,
    /// Whether an event's hash equals the one asked for (None: none asked).
    pub expected_found: Option<bool>,
}

/// Walks the whole chain in one read: every row, whatever its id, in id order.
pub fn verify(conn: &Tx, expect: Option<&[u8]>) -> Result<Verdict> {
    let mut v = Verdict {
        events: 0,
        head: None,
        broken: None,
        expected_found: expect.map(|_| false),
    };
    let mut before = 0;
    walk(conn, |w, computed| {
        v.events += 1;
        let flaw = if w.id != before + 1 {
            Some(Flaw::OutOfPlace { expected: before + 1 })
        } else if w.hash.as_deref() != Some(computed.as_slice()) {
            Some(Flaw::Hash)
        } else {
            None
        };
        if let Some(flaw) = flaw {
            v.broken = Some(Break {
                event: w.id,
                after: before,
                ticket_rowid: w.ticket_id,
                kind: w.kind.clone(),
                at: w.at,
                actor: w.actor.clone(),
                flaw,
            });
            v.head = None;
            return Ok(false);
        }
        if expect == Some(computed.as_slice()) {
            v.expected_found = Some(true);
        }
        v.head = Some((w.id, *computed));
        before = w.id;
        Ok(true)
    })?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>() -> Content<'a> {
        Content {
            id: 7,
            ticket_id: 3,
            at: 1_000,
            actor: "alice",
            event: NewEvent {
                kind: "field",
                field: Some("title"),
                old: Some("ab"),
                new: Some("c"),
                note: None,
                comment_id: None,
                version: None,
                snapshot: None,
            },
            comment: None,
            via: None,
        }
    }

    /// The event above with `change` made to what was appended.
    fn appended<'a>(change: impl FnOnce(&mut NewEvent<'a>)) -> Content<'a> {
        let mut c = event();
        change(&mut c.event);
        c
    }

    #[test]
    fn every_part_of_an_event_and_the_link_before_it_count() {
        let base = hash(&GENESIS, &event());
        assert_eq!(base, hash(&GENESIS, &event()), "the same event hashes the same");
        let variants = [
            Content { id: 8, ..event() },
            Content {
                ticket_id: 4,
                ..event()
            },
            Content { at: 1_001, ..event() },
            Content {
                actor: "bob",
                ..event()
            },
            // Text moved across a boundary, and absent told from empty.
            appended(|e| {
                e.old = Some("a");
                e.new = Some("bc");
            }),
            appended(|e| e.note = Some("")),
            appended(|e| e.field = None),
            appended(|e| e.comment_id = Some(1)),
            Content {
                via: Some("root"),
                ..event()
            },
            appended(|e| e.version = Some(2)),
            appended(|e| e.snapshot = Some("{}")),
            Content {
                comment: Some(CommentContent {
                    at: 1,
                    author: "alice",
                    body: "",
                    internal: false,
                }),
                ..event()
            },
        ];
        for v in &variants {
            assert_ne!(hash(&GENESIS, v), base, "{v:?}");
        }
        assert_ne!(hash(&[1; 32], &event()), base, "the previous hash counts");
        let with = |internal| {
            hash(
                &GENESIS,
                &Content {
                    comment: Some(CommentContent {
                        at: 1,
                        author: "a",
                        body: "b",
                        internal,
                    }),
                    ..event()
                },
            )
        };
        assert_ne!(with(true), with(false));
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
