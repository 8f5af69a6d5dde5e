//! `opsdesk reply`, `watch`, `unwatch` and `opsdesk mail ...`: talking to requesters.

use std::fmt::Write;

use clap::Subcommand;

use super::tickets::{read_text, ticket_id};
use super::{Failure, Output};
use crate::desk::{Delivery, Desk};
use crate::domain::TicketId;
use crate::domain::policy::NotifyEvent;
use crate::text::inert;

#[derive(Debug, Subcommand)]
pub enum ConversationCommand {
    /// A public reply: a comment on the ticket that is mailed to its requester and watchers
    /// (never to you), threaded with the mail they sent. `comment` and work notes are never
    /// sent. The mail is written with the comment and sent at once; what the server does not
    /// take now waits in the outbox (`opsdesk mail queue`).
    #[command(after_help = "Examples:
  opsdesk reply REQ-12 'Your laptop is ready at the front desk.'
  opsdesk reply INC-7 - < answer.txt")]
    Reply {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        /// The text; `-` reads it from standard input.
        text: String,
        /// Only write it to the outbox; the next sender delivers it.
        #[arg(long)]
        queue_only: bool,
    },
    /// Someone who hears of a ticket's public replies besides its requester: a mail address,
    /// or an operator by name. Their answers by mail are taken as comments.
    #[command(after_help = "Examples:\n  opsdesk watch REQ-12 manager@example.com\n  opsdesk watch INC-7 bob")]
    Watch {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        #[arg(value_name = "ADDRESS|OPERATOR")]
        watcher: String,
    },
    /// Stop a watcher hearing of a ticket.
    #[command(after_help = "Example:\n  opsdesk unwatch REQ-12 manager@example.com")]
    Unwatch {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        #[arg(value_name = "ADDRESS|OPERATOR")]
        watcher: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Set the desk's mail transport and From address (admins only; recorded in the desk's
    /// trail). Every operator's opsdesk sends through it.
    #[command(after_help = "Transports:
  smtp://HOST:PORT       STARTTLS when the server offers it (port 587 when left out)
  smtps://HOST:PORT      TLS from the first byte (port 465)
  smtp://USER:PASSWORD@HOST:PORT, or smtp://USER@HOST:PORT?password_file=/etc/opsdesk/smtp
  sendmail:/usr/sbin/sendmail   a sendmail-compatible command
  ?timeout=SECONDS       how long one conversation may take (30)
Examples:
  opsdesk mail setup --smtp smtp://mail.example.com:587 --from 'Help desk <help@example.com>'
  opsdesk mail setup --smtp sendmail:/usr/sbin/sendmail --from help@example.com")]
    Setup {
        /// The transport (see below).
        #[arg(long, value_name = "URL")]
        smtp: String,
        /// The address the desk's mail comes from (and requesters answer to).
        #[arg(long, value_name = "ADDRESS")]
        from: String,
        /// Set it without trying it first (a server not up yet).
        #[arg(long)]
        no_check: bool,
    },
    /// Show the desk's mail transport (never its password) and what waits in the outbox.
    Show,
    /// Deliver everything waiting in the outbox now, and exit: for cron, or after the server
    /// was down. Stops at the first server that cannot be reached.
    #[command(
        after_help = "Examples:\n  opsdesk mail send\n  */5 * * * *  opsdesk --db /srv/desk/team.db mail send --json"
    )]
    Send,
    /// What waits in the outbox and why, and what failed for good.
    #[command(after_help = "Examples:\n  opsdesk mail queue\n  opsdesk mail queue --all --json")]
    Queue {
        /// The mail sent too.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// The mail the desk's policy would send for EVENT on a ticket now, and to whom; nothing
    /// is written or sent. Events: created, assigned, mention, resolved, closed, breach.
    #[command(
        after_help = "Examples:\n  opsdesk notify preview REQ-12 resolved\n  opsdesk notify preview INC-7 mention --text '@bob can you look?'"
    )]
    Preview {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        #[arg(value_parser = notify_event)]
        event: NotifyEvent,
        /// The comment of a mention, the clock of a breach.
        #[arg(long)]
        text: Option<String>,
    },
}

fn notify_event(s: &str) -> Result<NotifyEvent, String> {
    NotifyEvent::parse(s).ok_or_else(|| {
        let names: Vec<&str> = NotifyEvent::ALL.iter().map(|e| e.name()).collect();
        format!("`{s}` is not an event the desk notifies of ({})", names.join(", "))
    })
}

pub fn run_notify(desk: &mut Desk, cmd: &NotifyCommand, json: bool) -> Result<Output, Failure> {
    let NotifyCommand::Preview { id, event, text } = cmd;
    let p = desk.notify_preview(*id, *event, text.as_deref())?;
    if json {
        return Output::json(&p);
    }
    let to = if p.recipients.is_empty() {
        "(nobody: no one it names has an address, or it is you)".to_string()
    } else {
        p.recipients.join(", ")
    };
    Ok(Output(inert(
        &format!("To: {to}\nSubject: {}\n\n{}", p.subject, p.body),
        true,
    )))
}

pub fn run_conversation(desk: &mut Desk, cmd: &ConversationCommand, json: bool) -> Result<Output, Failure> {
    match cmd {
        ConversationCommand::Reply { id, text, queue_only } => {
            let text = read_text(text)?;
            let replied = desk.reply(*id, &text, !queue_only)?;
            if json {
                return Output::json(&replied);
            }
            let mut out = format!("{id}: reply added\n");
            for m in &replied.mails {
                let how = match (m.state.as_str(), &m.error) {
                    ("sent", _) => "sent".to_string(),
                    ("queued", Some(why)) => format!("waits in the outbox (tried again later): {why}"),
                    ("queued", None) => "waits in the outbox".to_string(),
                    (state, Some(why)) => format!("{state}: {why}"),
                    (state, None) => state.to_string(),
                };
                let _ = writeln!(out, "  to {} <{}>: {how}", m.recipient, m.message_id);
            }
            Ok(Output(inert(&out, true)))
        }
        ConversationCommand::Watch { id, watcher } => {
            let added = desk.add_watcher(*id, watcher)?;
            if json {
                return Output::json(&serde_json::json!({ "id": id, "watcher": watcher, "added": added }));
            }
            let what = if added { "now watches" } else { "already watches" };
            Ok(Output(inert(&format!("{} {what} {id}\n", watcher.trim()), false)))
        }
        ConversationCommand::Unwatch { id, watcher } => {
            desk.remove_watcher(*id, watcher)?;
            if json {
                return Output::json(&serde_json::json!({ "id": id, "watcher": watcher, "removed": true }));
            }
            Ok(Output(inert(
                &format!("{} no longer watches {id}\n", watcher.trim()),
                false,
            )))
        }
    }
}

pub fn run(desk: &mut Desk, cmd: &MailCommand, json: bool) -> Result<Output, Failure> {
    match cmd {
        MailCommand::Setup { smtp, from, no_check } => {
            let setup = desk.mail_setup(smtp, from, !no_check)?;
            if json {
                return Output::json(&setup);
            }
            Ok(Output(inert(
                &format!("the desk's mail goes through {} from {}\n", setup.transport, setup.from),
                false,
            )))
        }
        MailCommand::Show => {
            let setup = desk.mail_settings()?;
            let waiting = desk.mail_queue(false)?;
            if json {
                return Output::json(&serde_json::json!({ "setup": setup, "outbox": waiting.len() }));
            }
            let mut out = match setup {
                Some(s) => format!(
                    "transport  {}\nfrom       {}\nset by     {} on {}\n",
                    s.transport,
                    s.from,
                    s.set_by,
                    super::local_time(s.at)
                ),
                None => "the desk sends no mail: `opsdesk mail setup --smtp URL --from ADDRESS` (admins)\n".into(),
            };
            let _ = writeln!(out, "outbox     {} waiting or failed", waiting.len());
            Ok(Output(inert(&out, true)))
        }
        MailCommand::Send => {
            let d = desk.deliver(None, true)?;
            if json {
                return Output::json(&d);
            }
            Ok(Output(delivery_text(&d)))
        }
        MailCommand::Queue { all } => {
            let q = desk.mail_queue(*all)?;
            if json {
                return Output::json(&q);
            }
            let mut out = String::new();
            for m in &q {
                let ticket = m.ticket.map(|t| t.to_string()).unwrap_or_default();
                let m = &m.mail;
                let why = match (m.state.as_str(), &m.last_error) {
                    ("queued", Some(e)) => format!(
                        "tried {} time{}, next at {}: {e}",
                        m.tries,
                        if m.tries == 1 { "" } else { "s" },
                        super::local_time(m.next_at)
                    ),
                    ("queued", None) => "not tried yet".into(),
                    ("sending", _) => "being sent".into(),
                    ("sent", _) => format!("sent {}", m.sent_at.map(super::local_time).unwrap_or_default()),
                    (_, Some(e)) => format!("failed for good: {e}"),
                    (state, None) => state.to_string(),
                };
                let _ = writeln!(
                    out,
                    "{ticket:<9} {:<7} to {} — {}: {why}",
                    m.state,
                    m.recipient,
                    crate::text::clip(&m.subject, 50)
                );
            }
            if q.is_empty() {
                out.push_str("the outbox is empty\n");
            }
            Ok(Output(inert(&out, true)))
        }
    }
}

fn delivery_text(d: &Delivery) -> String {
    let mut out = String::new();
    for m in &d.messages {
        let why = m.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
        let _ = writeln!(out, "{} to {} <{}>{why}", m.state, m.recipient, m.message_id);
    }
    let _ = writeln!(
        out,
        "{} sent, {} to try again, {} failed for good; {} waiting",
        d.sent, d.retried, d.failed, d.waiting
    );
    if d.held > 0 {
        let _ = writeln!(
            out,
            "{} held back by the rate limit (they go later, as one digest)",
            d.held
        );
    }
    if let Some(why) = &d.stopped {
        let _ = writeln!(out, "stopped: the server could not be reached ({why})");
    }
    inert(&out, true)
}

/// What `ingest mail` did with a message, in a line.
pub fn intake_text(out: &crate::desk::MailOutcome, sender: &str) -> String {
    let ticket = out.ticket.map(|t| t.to_string()).unwrap_or_default();
    let what = match &out.action {
        crate::desk::MailAction::Opened => format!("{ticket} opened for {sender}"),
        crate::desk::MailAction::Commented => format!("{ticket}: comment from {sender}"),
        crate::desk::MailAction::OpenedLinked { named } => format!(
            "{ticket} opened for {sender}: they are not the requester of {named} nor an operator, so it is their \
             own request, linked to {named}, not a comment on it"
        ),
        crate::desk::MailAction::AlreadyTaken => format!("{ticket}: this message was taken before; nothing changed"),
        crate::desk::MailAction::Ignored { why } => {
            format!("ignored: an automatic message ({why}): no ticket opened or changed, nothing answered")
        }
    };
    inert(&what, false) + "\n"
}
