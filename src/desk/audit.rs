//! `opsdesk audit verify`: walks the timeline's hash chain and the desk's own trail (see
//! `store::chain`, `store::desk_log`), every row whatever its id, and replays both against
//! what the desk holds now: each ticket's state, assignee, requester, priority and version
//! (`store::replay`) and each operator's roles and address.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Desk, DeskError, Result};
use crate::store::{self, chain, desk_log, replay};

/// The newest entry of an intact chain: note its hash somewhere else, and a later
/// `audit verify --expect HASH` shows that nothing up to it was changed or removed since.
#[derive(Debug, Clone, Serialize)]
pub struct Head {
    pub event: i64,
    pub hash: String,
}

/// Where a chain first fails.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenLink {
    /// The first event whose hash does not match its content and the event before it, or
    /// that is not where opsdesk puts events.
    pub event: i64,
    /// The event before it (0: it is the first).
    pub after: i64,
    /// `hash`: changed, or one before it removed; `out_of_place`: an id opsdesk never gives
    /// (0 or below, or past a gap).
    pub flaw: &'static str,
    /// The id the chain expected here.
    pub expected: i64,
    /// Its ticket (timeline events only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    pub kind: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// The desk's own trail: its policy versions, operators and roles.
#[derive(Debug, Clone, Serialize)]
pub struct Trail {
    pub events: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<BrokenLink>,
}

/// A value the desk holds that its chained history does not say.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// `INC-7`, or `operator alice`.
    pub of: String,
    pub field: String,
    /// What the desk holds.
    pub stored: String,
    /// What its history says.
    pub history: String,
}

/// What `audit verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub intact: bool,
    /// Timeline events checked (up to the break, when there is one).
    pub events: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<BrokenLink>,
    /// Whether the hash given with --expect is in either chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_found: Option<bool>,
    pub trail: Trail,
    /// Tickets replayed against their timelines.
    pub tickets: u64,
    /// The first differences (at most 20 tickets' worth), and how many in all.
    pub differences: Vec<Difference>,
    pub difference_count: u64,
    /// Tickets with no timeline at all, events of no ticket, comments no event records.
    pub without_timeline: Vec<String>,
    pub orphan_events: Vec<i64>,
    pub orphan_comments: Vec<i64>,
}

fn broken(b: chain::Break, ticket: Option<String>) -> BrokenLink {
    let (flaw, expected) = match b.flaw {
        chain::Flaw::Hash => ("hash", b.event),
        chain::Flaw::OutOfPlace { expected } => ("out_of_place", expected),
    };
    BrokenLink {
        event: b.event,
        after: b.after,
        flaw,
        expected,
        ticket,
        kind: b.kind,
        actor: b.actor,
        at: store::from_millis(b.at),
    }
}

impl Desk {
    /// Walks both chains and replays the desk, over one snapshot. `expect`: a head noted
    /// earlier, in hex.
    pub fn audit(&mut self, expect: Option<&str>) -> Result<Audit> {
        let expect = expect.map(parse_hex).transpose()?;
        self.store.read(|tx| {
            let ticket_name = |rowid: i64| -> Result<String> {
                Ok(store::tickets::get_by_rowid(tx, rowid)?
                    .map_or_else(|| format!("ticket row {rowid}"), |s| s.ticket.id.to_string()))
            };
            let v = chain::verify(tx, expect.as_deref())?;
            let timeline_break = match v.broken {
                Some(b) => {
                    let t = ticket_name(b.ticket_rowid)?;
                    Some(broken(b, Some(t)))
                }
                None => None,
            };
            let d = desk_log::verify(tx, expect.as_deref())?;
            let trail_break = d.broken.map(|b| broken(b, None));
            let r = replay::check(tx)?;
            let mut differences = Vec::new();
            for m in &r.mismatches {
                differences.push(Difference {
                    of: ticket_name(m.ticket_rowid)?,
                    field: m.field.to_string(),
                    stored: m.stored.clone(),
                    history: m.timeline.clone(),
                });
            }
            let mut difference_count = r.mismatch_count;
            // Operators: the trail's word against the table, both ways.
            let stored = store::operators::stored(tx)?;
            if trail_break.is_none() {
                for (name, (roles, email)) in &stored {
                    let (trail_roles, trail_email) = match d.operators.get(name) {
                        Some((r, e)) => (r.clone(), e.clone()),
                        None => ("(never added)".to_string(), None),
                    };
                    let none = |e: &Option<String>| e.clone().unwrap_or_else(|| "none".into());
                    for (field, s, h) in [
                        ("roles", roles.clone(), trail_roles),
                        ("email", none(email), none(&trail_email)),
                    ] {
                        if s != h {
                            difference_count += 1;
                            differences.push(Difference {
                                of: format!("operator {name}"),
                                field: field.into(),
                                stored: s,
                                history: h,
                            });
                        }
                    }
                }
                for name in d.operators.keys().filter(|n| !stored.contains_key(*n)) {
                    difference_count += 1;
                    differences.push(Difference {
                        of: format!("operator {name}"),
                        field: "roles".into(),
                        stored: "(removed)".into(),
                        history: d.operators.get(name).map(|o| o.0.clone()).unwrap_or_default(),
                    });
                }
            }
            let without_timeline = r
                .without_timeline
                .iter()
                .map(|&rowid| ticket_name(rowid))
                .collect::<Result<Vec<_>>>()?;
            let orphan_comments = store::tickets::unrecorded_comments(tx, 20)?;
            let expected_found = expect
                .as_ref()
                .map(|_| v.expected_found == Some(true) || d.expected_found);
            let intact = timeline_break.is_none()
                && trail_break.is_none()
                && difference_count == 0
                && without_timeline.is_empty()
                && r.orphan_events.is_empty()
                && orphan_comments.is_empty()
                && expected_found != Some(false);
            Ok::<_, DeskError>(Audit {
                intact,
                events: v.events,
                head: v.head.map(|(event, hash)| Head {
                    event,
                    hash: chain::hex(&hash),
                }),
                broken: timeline_break,
                expected_found,
                trail: Trail {
                    events: d.events,
                    head: d.head.map(|(event, hash)| Head {
                        event,
                        hash: chain::hex(&hash),
                    }),
                    broken: trail_break,
                },
                tickets: r.tickets,
                differences,
                difference_count,
                without_timeline,
                orphan_events: r.orphan_events.into_iter().take(20).collect(),
                orphan_comments,
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
