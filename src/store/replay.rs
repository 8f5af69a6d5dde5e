//! Replaying the timeline against the tickets it tells of. A ticket row is current state
//! (what the queue reads), not chained; its timeline is. `audit verify` folds each ticket's
//! chained events — from the snapshot its `created` (or `baseline`) event carries, through
//! every transition and field change, to the version its last action wrote — and holds the
//! result against the row, so a state, assignee, requester, priority or version changed by
//! hand is named with its ticket and field.

use super::sql::Tx;
use serde::Deserialize;

use super::Result;

/// A ticket whose row says other than its timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub ticket_rowid: i64,
    pub field: &'static str,
    /// What the row holds.
    pub stored: String,
    /// What the timeline says.
    pub timeline: String,
}

/// What a replay found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayVerdict {
    pub tickets: u64,
    /// The first differences found (at most [`MAX_SHOWN`]), and how many there are in all.
    pub mismatches: Vec<Mismatch>,
    pub mismatch_count: u64,
    /// Ticket rows with no timeline at all: not written by opsdesk.
    pub without_timeline: Vec<i64>,
    /// Events whose ticket row does not exist.
    pub orphan_events: Vec<i64>,
}

/// How many differences are kept to be shown.
pub const MAX_SHOWN: usize = 20;

#[derive(Deserialize)]
struct Snapshot {
    state: String,
    assignee: Option<String>,
    requester: String,
    priority: i64,
}

/// What a ticket's timeline says of it, so far as it says it.
#[derive(Default)]
struct Fold {
    state: Option<String>,
    assignee: Option<Option<String>>,
    requester: Option<String>,
    priority: Option<String>,
    version: Option<i64>,
}

impl Fold {
    fn take(
        &mut self,
        kind: &str,
        field: Option<&str>,
        new: Option<String>,
        version: Option<i64>,
        snapshot: Option<&str>,
    ) {
        if let Some(v) = version {
            self.version = Some(v);
        }
        let snap = snapshot.and_then(|s| serde_json::from_str::<Snapshot>(s).ok());
        match (kind, field) {
            ("created" | "baseline", _) => {
                if let Some(s) = snap {
                    self.state = Some(s.state);
                    self.assignee = Some(s.assignee);
                    self.requester = Some(s.requester);
                    self.priority = Some(s.priority.to_string());
                } else if kind == "created" {
                    self.state = new;
                }
            }
            ("transition", _) => self.state = new,
            ("field", Some("assignee")) => self.assignee = Some(new),
            ("field", Some("requester")) => self.requester = Some(new.unwrap_or_default()),
            ("field", Some("priority")) => self.priority = new,
            _ => {}
        }
    }
}

/// A ticket row's values that the timeline vouches for.
struct Row {
    id: i64,
    state: String,
    assignee: Option<String>,
    requester: String,
    priority: i64,
    version: i64,
}

fn compare(v: &mut ReplayVerdict, row: &Row, fold: &Fold) {
    let mut differ = |field: &'static str, stored: String, timeline: String| {
        v.mismatch_count += 1;
        if v.mismatches.len() < MAX_SHOWN {
            v.mismatches.push(Mismatch {
                ticket_rowid: row.id,
                field,
                stored,
                timeline,
            });
        }
    };
    let none = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".into());
    if let Some(s) = &fold.state
        && *s != row.state
    {
        differ("state", row.state.clone(), s.clone());
    }
    if let Some(a) = &fold.assignee
        && *a != row.assignee
    {
        differ("assignee", none(&row.assignee), none(a));
    }
    if let Some(r) = &fold.requester
        && *r != row.requester
    {
        differ("requester", row.requester.clone(), r.clone());
    }
    if let Some(p) = &fold.priority
        && *p != row.priority.to_string()
    {
        differ("priority", row.priority.to_string(), p.clone());
    }
    if let Some(n) = fold.version
        && n != row.version
    {
        differ("version", row.version.to_string(), n.to_string());
    }
}

/// The tickets in row order, read a page at a time as [`check`] walks the timeline.
struct Tickets<'a, 'c> {
    conn: &'a Tx<'c>,
    page: std::collections::VecDeque<Row>,
    after: i64,
}

impl Tickets<'_, '_> {
    fn next(&mut self) -> Result<Option<Row>> {
        if self.page.is_empty() {
            self.page = self
                .conn
                .query_map(
                    "SELECT id, state, assignee, requester, priority, version FROM tickets \
                     WHERE id > ?1 ORDER BY id LIMIT 10000",
                    [self.after],
                    |r| {
                        Ok(Row {
                            id: r.get(0)?,
                            state: r.get(1)?,
                            assignee: r.get(2)?,
                            requester: r.get(3)?,
                            priority: r.get(4)?,
                            version: r.get(5)?,
                        })
                    },
                )?
                .into();
        }
        let row = self.page.pop_front();
        if let Some(r) = &row {
            self.after = r.id;
        }
        Ok(row)
    }
}

/// A ticket being replayed: its row, what its timeline says so far, and whether it has one.
struct Replaying {
    row: Row,
    fold: Fold,
    any: bool,
}

impl Replaying {
    fn of(row: Option<Row>) -> Option<Replaying> {
        row.map(|row| Replaying {
            row,
            fold: Fold::default(),
            any: false,
        })
    }

    fn finish(self, v: &mut ReplayVerdict) {
        v.tickets += 1;
        if self.any {
            compare(v, &self.row, &self.fold);
        } else {
            v.without_timeline.push(self.row.id);
        }
    }
}

/// Replays every ticket's timeline against its row, in one pass over the timeline in
/// ticket order (by its index), with the tickets read beside it in the same order.
pub fn check(conn: &Tx) -> Result<ReplayVerdict> {
    let mut v = ReplayVerdict::default();
    let mut tickets = Tickets {
        conn,
        page: Default::default(),
        after: i64::MIN,
    };
    let mut current = Replaying::of(tickets.next()?);
    conn.each(
        "SELECT ticket_id, id, kind, field, new, version, snapshot FROM events ORDER BY ticket_id, id",
        (),
        |r| {
            let (ticket, id): (i64, i64) = (r.get(0)?, r.get(1)?);
            // Tickets before this event's had all their events.
            while let Some(t) = current.take_if(|t| t.row.id < ticket) {
                t.finish(&mut v);
                current = Replaying::of(tickets.next()?);
            }
            match &mut current {
                Some(t) if t.row.id == ticket => {
                    t.any = true;
                    t.fold.take(r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
                }
                // No ticket has this row id.
                _ => v.orphan_events.push(id),
            }
            Ok(())
        },
    )?;
    while let Some(t) = current.take() {
        t.finish(&mut v);
        current = Replaying::of(tickets.next()?);
    }
    Ok(v)
}
