//! `opsdesk inbox`: what the desk told you about (tickets given to you, mentions, breaches on
//! yours), and marking it read, the CLI twin of the terminal desk's inbox pane.

use std::fmt::Write;

use chrono::Utc;
use clap::{Args, Subcommand};

use super::{Failure, Output};
use crate::desk::{Desk, InboxMark};
use crate::domain::TicketId;
use crate::text::{clip, inert};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  opsdesk inbox
  opsdesk inbox --all --json
  opsdesk inbox read 14 15
  opsdesk inbox read INC-42       # every item about the ticket
  opsdesk inbox read --all
  opsdesk inbox unread 14")]
pub struct InboxArgs {
    #[command(subcommand)]
    pub command: Option<InboxCommand>,
    /// The items read already too.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Mark items read: by number, every item of a ticket by its id, or --all.
    Read {
        #[arg(value_parser = target, value_name = "ITEM|TICKET", required_unless_present = "all")]
        targets: Vec<Target>,
        /// Every unread item.
        #[arg(long, conflicts_with = "targets")]
        all: bool,
    },
    /// Mark items unread again.
    Unread {
        #[arg(value_parser = target, value_name = "ITEM|TICKET", required = true)]
        targets: Vec<Target>,
    },
}

/// An item by its number, or every item of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Item(i64),
    Ticket(TicketId),
}

fn target(s: &str) -> Result<Target, String> {
    if let Ok(n) = s.trim_start_matches('#').parse::<i64>() {
        return Ok(Target::Item(n));
    }
    super::tickets::ticket_id(s)
        .map(Target::Ticket)
        .map_err(|e| format!("{e}; or an item's number from `opsdesk inbox`"))
}

/// The marks the targets ask for: the items together, each ticket on its own.
fn marks(targets: &[Target]) -> Vec<InboxMark> {
    let items: Vec<i64> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Item(n) => Some(*n),
            Target::Ticket(_) => None,
        })
        .collect();
    let mut out: Vec<InboxMark> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Ticket(id) => Some(InboxMark::Ticket(*id)),
            Target::Item(_) => None,
        })
        .collect();
    if !items.is_empty() {
        out.insert(0, InboxMark::Items(items));
    }
    out
}

pub fn run(desk: &mut Desk, args: &InboxArgs, json: bool) -> Result<Output, Failure> {
    let (marks, read) = match &args.command {
        None => return list(desk, !args.all, json),
        Some(InboxCommand::Read { all: true, .. }) => (vec![InboxMark::All], true),
        Some(InboxCommand::Read { targets, .. }) => (marks(targets), true),
        Some(InboxCommand::Unread { targets }) => (marks(targets), false),
    };
    let changed = desk.inbox_marks(&marks, read, Utc::now())?;
    let unread = desk.inbox_unread()?;
    if json {
        return Output::json(&serde_json::json!({ "changed": changed, "unread": unread }));
    }
    let word = if read { "read" } else { "unread" };
    let what = match changed {
        0 => format!("nothing changed: already {word}"),
        1 => format!("1 item marked {word}"),
        n => format!("{n} items marked {word}"),
    };
    Ok(Output(format!("{what}; {unread} unread\n")))
}

fn list(desk: &mut Desk, unread_only: bool, json: bool) -> Result<Output, Failure> {
    let inbox = desk.inbox(unread_only)?;
    if json {
        return Output::json(&inbox);
    }
    let mut out = format!("{}'s inbox: {} unread\n", inbox.operator, inbox.unread);
    for i in &inbox.items {
        let mark = if i.read { " " } else { "●" };
        let _ = writeln!(
            out,
            "{:>5} {mark} {}  {:<8}  {:<8} P{} {:<12} {:<10} {}",
            i.item,
            super::local_time(i.at),
            i.reason,
            i.ticket.to_string(),
            i.priority,
            clip(&i.state, 12),
            clip(&i.by, 10),
            clip(&i.title, 60)
        );
        if let Some(note) = &i.note {
            let line = note.split_whitespace().collect::<Vec<_>>().join(" ");
            let _ = writeln!(out, "{:>8}{}", "", clip(&line, 100));
        }
    }
    if inbox.items.is_empty() {
        out.push_str(if unread_only {
            "nothing unread (`opsdesk inbox --all` lists what was read)\n"
        } else {
            "nothing yet: tickets given to you, mentions of @you and breaches on yours come here\n"
        });
    }
    Ok(Output(inert(&out, true)))
}
