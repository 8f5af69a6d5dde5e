//! `opsdesk audit verify`: walks the timeline's hash chain (see `store::chain`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Desk, DeskError, Result};
use crate::store::{self, chain};

/// The newest event of an intact chain: note its hash somewhere else, and a later
/// `audit verify --expect HASH` shows that no event up to it was changed or removed since.
#[derive(Debug, Clone, Serialize)]
pub struct Head {
    pub event: i64,
    pub hash: String,
}

/// Where the chain first fails.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenLink {
    /// The first event whose hash does not match its content and the event before it.
    pub event: i64,
    /// The event before it (0: it is the first).
    pub after: i64,
    pub ticket: String,
    pub kind: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// What `audit verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub intact: bool,
    /// Events checked (up to the break, when there is one).
    pub events: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<BrokenLink>,
    /// Whether the hash given with --expect is in the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_found: Option<bool>,
}

impl Desk {
    /// Walks the whole chain over one snapshot. `expect`: a head noted earlier, in hex.
    pub fn audit(&mut self, expect: Option<&str>) -> Result<Audit> {
        let expect = expect.map(parse_hex).transpose()?;
        self.store.read(|tx| {
            let v = chain::verify(tx, expect.as_deref())?;
            let broken = match v.broken {
                Some(b) => {
                    let ticket = store::tickets::get_by_rowid(tx, b.ticket_rowid)?
                        .map_or_else(|| format!("ticket row {}", b.ticket_rowid), |s| s.ticket.id.to_string());
                    Some(BrokenLink {
                        event: b.event,
                        after: b.after,
                        ticket,
                        kind: b.kind,
                        actor: b.actor,
                        at: store::from_millis(b.at),
                    })
                }
                None => None,
            };
            Ok(Audit {
                intact: broken.is_none() && v.expected_found != Some(false),
                events: v.events,
                head: v.head.map(|(event, hash)| Head {
                    event,
                    hash: chain::hex(&hash),
                }),
                broken,
                expected_found: v.expected_found,
            })
        })
    }
}

fn parse_hex(s: &str) -> Result<Vec<u8>> {
    let s = s.trim();
    let bad = || {
        DeskError::Invalid(format!(
            "`{s}` is not a chain hash: give the 64 hex digits `audit verify` printed"
        ))
    };
    if s.len() != 64 || !s.is_ascii() {
        return Err(bad());
    }
    (0..32)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad()))
        .collect()
}
