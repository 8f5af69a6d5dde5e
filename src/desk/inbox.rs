//! Each operator's inbox: a ticket assigned to them by someone else, a comment naming them as
//! `@name`, an SLA breach on a ticket they hold. Written in the transaction of the event (by
//! the same hooks that mail notifications, whether or not the desk sends mail), read and
//! marked by the operator themself: who reads is the desk's user, never a flag.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::tickets::load;
use super::{Desk, DeskError, Result, Who};
use crate::domain::TicketId;
use crate::domain::rules::Outcome;
use crate::store::inbox::{self as store_inbox, NewItem, Which};
use crate::store::{self, Tx};

/// How much of a comment an item keeps (the timeline keeps all of it).
const NOTE_CHARS: usize = 400;

/// How many items an inbox shows at most, newest first.
const INBOX_LIMIT: usize = 500;

/// Why an item is in an inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reason {
    Assigned,
    Mention,
    Breach,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Assigned => "assigned",
            Reason::Mention => "mention",
            Reason::Breach => "breach",
        }
    }
}

/// An item of the operator's inbox, with its ticket as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    pub item: i64,
    pub ticket: TicketId,
    pub title: String,
    pub state: String,
    pub priority: u8,
    pub reason: String,
    /// Who did it (`sla` for a breach).
    pub by: String,
    pub at: DateTime<Utc>,
    /// The comment that named them, the clock that breached.
    pub note: Option<String>,
    pub read: bool,
}

/// An operator's inbox: the newest items, and how many are unread in all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inbox {
    pub operator: String,
    pub unread: u64,
    pub items: Vec<InboxItem>,
}

/// Which items to mark read or unread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxMark {
    Items(Vec<i64>),
    Ticket(TicketId),
    All,
}

/// Tells `operator` of `reason` on ticket `rowid`: never of their own action, never anyone
/// the desk does not know as an operator.
pub(super) fn tell(
    tx: &Tx,
    operator: &str,
    rowid: i64,
    reason: Reason,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    if operator.eq_ignore_ascii_case(actor) {
        return Ok(());
    }
    let Some(op) = store::operators::get(tx, operator)? else {
        return Ok(());
    };
    let note: Option<String> = note.map(|n| n.chars().take(NOTE_CHARS).collect());
    let item = NewItem {
        operator: &op.name,
        ticket_rowid: rowid,
        reason: reason.name(),
        actor,
        note: note.as_deref(),
    };
    store_inbox::add(tx, &item, now)?;
    Ok(())
}

/// A move or an edit that gave the ticket to someone other than the operator acting.
pub(super) fn after_move(tx: &Tx, who: &Who, rowid: i64, out: &Outcome, now: DateTime<Utc>) -> Result<()> {
    let given = out
        .changes
        .iter()
        .filter(|c| c.field == "assignee" && c.new != c.old)
        .find_map(|c| c.new.as_deref());
    match given {
        Some(to) => tell(tx, to, rowid, Reason::Assigned, &who.name, out.note.as_deref(), now),
        None => Ok(()),
    }
}

impl Desk {
    /// The desk user's inbox: the newest items (only the unread with `unread_only`).
    pub fn inbox(&mut self, unread_only: bool) -> Result<Inbox> {
        self.read(|tx, _, who| {
            let items = store_inbox::list(tx, &who.name, unread_only, INBOX_LIMIT)?
                .into_iter()
                .map(|i| InboxItem {
                    item: i.id,
                    ticket: i.ticket,
                    title: i.title,
                    state: i.state,
                    priority: i.priority,
                    reason: i.reason,
                    by: i.actor,
                    at: i.at,
                    note: i.note,
                    read: i.read_at.is_some(),
                })
                .collect();
            Ok(Inbox {
                operator: who.name.clone(),
                unread: store_inbox::unread(tx, &who.name)?,
                items,
            })
        })
    }

    /// How many of the desk user's items are unread.
    pub fn inbox_unread(&mut self) -> Result<u64> {
        self.read(|tx, _, who| Ok(store_inbox::unread(tx, &who.name)?))
    }

    /// Marks the desk user's items read at `now` (`read` false: unread again), all in one
    /// transaction; returns how many changed. An item that is not theirs is refused, with
    /// nothing marked. Nobody marks another operator's inbox.
    pub fn inbox_marks(&mut self, marks: &[InboxMark], read: bool, now: DateTime<Utc>) -> Result<usize> {
        self.write(|tx, _, who| {
            let mut changed = 0;
            for mark in marks {
                let which = match mark {
                    InboxMark::Items(ids) => {
                        for id in ids {
                            if !store_inbox::has(tx, &who.name, *id)? {
                                return Err(DeskError::Invalid(format!(
                                    "there is no item {id} in {}'s inbox (`opsdesk inbox --all` lists them)",
                                    who.name
                                )));
                            }
                        }
                        Which::Items(ids.clone())
                    }
                    InboxMark::Ticket(id) => Which::Ticket(load(tx, *id)?.rowid),
                    InboxMark::All => Which::All,
                };
                changed += store_inbox::mark(tx, &who.name, &which, read.then_some(now))?;
            }
            Ok(changed)
        })
    }
}
