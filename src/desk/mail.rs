//! Talking to requesters by mail: the desk's transport (an audited admin setting), public
//! replies, watchers, and delivering the outbox. A reply's mail is written to the outbox in
//! the transaction of its comment, so a crash after the commit loses nothing: it is sent by
//! the next sender (the same command's delivery, the terminal desk, `opsdesk mail send`).
//! Each message is claimed before it is sent and marked sent as soon as the transport took
//! it, so no Message-ID goes out twice after a send that succeeded.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::policy::require_admin;
use super::tickets::{comment_in, load};
use super::{Desk, DeskError, Result, Who, desk_actor};
use crate::domain::TicketId;
use crate::mailer::{self, Transport};
use crate::store::mail::{self as store_mail, NewMail, Outgoing};
use crate::store::tickets::NewEvent;
use crate::store::{self, Tx};

/// The desk trail's kind for the mail transport.
const SETTING: &str = "mail_transport";

/// The desk's mail transport as set up, fit to show (no password).
#[derive(Debug, Clone, Serialize)]
pub struct MailSetup {
    pub transport: String,
    pub from: String,
    pub set_by: String,
    pub at: DateTime<Utc>,
}

/// The transport and From address, read from the desk.
pub(super) struct Sender {
    pub(super) transport: Transport,
    pub(super) from: lettre::message::Mailbox,
}

impl Sender {
    pub(super) fn address(&self) -> String {
        self.from.email.to_string()
    }
}

fn no_one_to_mail(id: TicketId, requester: &str) -> DeskError {
    DeskError::Invalid(format!(
        "{id} has no one to mail: its requester `{}` has no mail address the desk knows, and it has no watcher \
         with one (`opsdesk watch {id} ADDRESS`); nothing was written (`opsdesk comment` adds a comment that is not \
         sent)",
        crate::text::inert(requester, false)
    ))
}

/// What a reply would mail, and to whom.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyPreview {
    pub recipients: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// A message of a reply, as written to the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub recipient: String,
    pub message_id: String,
    /// `sent`, `queued` (tried again later: see `last_error`), or `failed`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `reply` did.
#[derive(Debug, Clone, Serialize)]
pub struct Replied {
    pub id: TicketId,
    pub event: i64,
    pub mails: Vec<Sent>,
}

/// A message in the outbox, with its ticket.
#[derive(Debug, Clone, Serialize)]
pub struct QueuedMail {
    pub ticket: Option<TicketId>,
    #[serde(flatten)]
    pub mail: Outgoing,
}

pub(super) fn read_sender(tx: &Tx) -> Result<Option<(Sender, MailSetup)>> {
    let Some(e) = store::desk_log::latest(tx, SETTING)? else {
        return Ok(None);
    };
    let (Some(url), Some(from)) = (e.new.as_deref(), e.subject.as_deref()) else {
        return Ok(None);
    };
    let transport = Transport::parse(url).map_err(|why| {
        DeskError::Invalid(format!(
            "the desk's mail transport (set by {} on {}) cannot be read: {why}; an admin sets it again with \
             `opsdesk mail setup`",
            e.actor,
            crate::domain::rules::format_time(e.at)
        ))
    })?;
    let from_box = mailer::parse_from(from).map_err(DeskError::Invalid)?;
    let setup = MailSetup {
        transport: transport.shown(),
        from: from.to_string(),
        set_by: e.actor,
        at: e.at,
    };
    Ok(Some((
        Sender {
            transport,
            from: from_box,
        },
        setup,
    )))
}

/// The address the desk sends from, if it sends mail (read on every notification: the From
/// alone, not the transport).
pub(super) fn desk_address(tx: &Tx) -> Result<Option<String>> {
    let Some(e) = store::desk_log::latest(tx, SETTING)? else {
        return Ok(None);
    };
    Ok(e.subject
        .as_deref()
        .and_then(|from| mailer::parse_from(from).ok())
        .map(|m| m.email.to_string()))
}

pub(super) fn no_transport() -> DeskError {
    DeskError::Invalid(
        "the desk sends no mail yet: an admin sets it up with `opsdesk mail setup --smtp smtp://HOST:PORT --from \
         ADDRESS`"
            .into(),
    )
}

/// Where a requester or watcher is mailed: their address, or the address the desk knows for
/// the operator they name; none when there is neither.
pub(super) fn address_of(tx: &Tx, who: &str) -> Result<Option<String>> {
    let who = who.trim();
    if who.contains('@') {
        return Ok(mailer::is_address(who).then(|| who.to_string()));
    }
    Ok(store::operators::get(tx, who)?
        .and_then(|o| o.email)
        .filter(|e| mailer::is_address(e)))
}

/// Who hears of a public reply: the requester and the watchers (see [`addresses`]).
fn reply_recipients(tx: &Tx, stored: &store::tickets::Stored, who: &Who, desk: &str) -> Result<Vec<String>> {
    let mut people = vec![stored.ticket.requester.clone()];
    people.extend(store_mail::watchers(tx, stored.rowid)?);
    addresses(tx, people, &who.name, desk)
}

/// The addresses of `people` (addresses, or operators by name), each once, never the operator
/// `actor` who acts (their own action) nor the desk itself.
pub(super) fn addresses(tx: &Tx, people: Vec<String>, actor: &str, desk: &str) -> Result<Vec<String>> {
    let own = store::operators::get(tx, actor)?.and_then(|o| o.email);
    let mut out: Vec<String> = Vec::new();
    for p in people {
        if p.eq_ignore_ascii_case(actor) {
            continue;
        }
        let Some(address) = address_of(tx, &p)? else { continue };
        let same = |a: &str| a.eq_ignore_ascii_case(&address);
        if own.as_deref().is_some_and(same) || same(desk) || out.iter().any(|a| same(a)) {
            continue;
        }
        out.push(address);
    }
    Ok(out)
}

/// In-Reply-To and References for the next message of a thread: it answers the newest mail
/// taken in (else the newest sent), and names the first message and the newest ones (RFC
/// 5322 keeps the first and the last of a long thread).
pub(super) fn threading(thread: &[(String, bool)]) -> (Option<String>, Option<String>) {
    let parent = thread
        .iter()
        .rev()
        .find(|(_, sent)| !sent)
        .or(thread.last())
        .map(|(id, _)| id.clone());
    let ids: Vec<&str> = thread.iter().map(|(id, _)| id.as_str()).collect();
    let refs = match ids.len() {
        0 => None,
        n if n <= 10 => Some(ids.join(" ")),
        n => Some(
            std::iter::once(ids[0])
                .chain(ids[n - 9..].iter().copied())
                .collect::<Vec<_>>()
                .join(" "),
        ),
    };
    (parent, refs)
}

/// A Message-ID of the desk's: unique, and naming the ticket's row and the event it comes
/// from, at the domain of the desk's From address.
pub(super) fn message_id(from: &str, rowid: i64, event: i64, n: usize) -> String {
    let domain = from.rsplit_once('@').map_or("opsdesk.invalid", |(_, d)| d);
    format!("opsdesk.{rowid}.{event}.{n}.{:016x}@{domain}", fastrand::u64(..))
}

/// The body of a reply: the text, and how to answer.
fn reply_body(text: &str, id: TicketId, title: &str) -> String {
    format!(
        "{}\n\n-- \n{id}: {title}\nAnswer this message to add to {id}; keep [{id}] in the subject.\n",
        text.trim_end()
    )
}

/// Writes one message of ticket `stored` to the outbox with its event in the timeline.
fn enqueue_in(
    tx: &Tx,
    who: &Who,
    stored: &store::tickets::Stored,
    version: i64,
    m: &NewMail,
    now: DateTime<Utc>,
) -> Result<i64> {
    let id = store_mail::enqueue(tx, m, now, now)?;
    let actor = desk_actor(tx, who, now)?;
    let e = NewEvent {
        kind: "mail",
        field: Some(m.message_id),
        new: Some(m.recipient),
        note: Some(m.kind),
        version: Some(version),
        ..NewEvent::default()
    };
    store::tickets::append_event(tx, stored.rowid, now, &actor, &e)?;
    Ok(id)
}

impl Desk {
    /// Sets the desk's mail transport and From address: an admin's act, recorded in the desk's
    /// trail (the URL without its password is what anyone is shown).
    /// With `check`, the transport is tried first (a connection and a greeting, or the
    /// command's file), and one that cannot be reached is refused with nothing written.
    pub fn mail_setup(&mut self, transport: &str, from: &str, check: bool) -> Result<MailSetup> {
        let parsed = Transport::parse(transport).map_err(DeskError::Invalid)?;
        let from_box = mailer::parse_from(from).map_err(DeskError::Invalid)?;
        let from = from_box.to_string();
        let now = Utc::now();
        if check {
            // Who may is asked before the network is.
            let admin = self.store.read(|tx| {
                Ok::<_, DeskError>(
                    store::operators::get(tx, &self.who.name)?
                        .is_some_and(|o| o.roles.contains(&crate::domain::Role::Admin)),
                )
            })?;
            if admin {
                parsed.check().map_err(|why| {
                    DeskError::Invalid(format!(
                        "{} cannot be used: {why}; nothing was set (`--no-check` sets it anyway)",
                        parsed.shown()
                    ))
                })?;
            }
        }
        self.write(|tx, _, who| {
            require_admin(tx, who, now, "set up the desk's mail")?;
            let e = store::desk_log::DeskEvent {
                kind: SETTING,
                subject: Some(&from),
                new: Some(transport.trim()),
                note: Some(&parsed.shown()),
                ..Default::default()
            };
            store::desk_log::append(tx, now, who.by(), &e)?;
            Ok(())
        })?;
        self.mail_settings()?.ok_or_else(no_transport)
    }

    /// The desk's mail transport, if one was set up.
    pub fn mail_settings(&mut self) -> Result<Option<MailSetup>> {
        self.store
            .read(|tx| Ok::<_, DeskError>(read_sender(tx)?.map(|(_, setup)| setup)))
    }

    /// A public reply: a comment on the ticket, mailed to its requester and watchers (never to
    /// the operator replying). The comment and its mail are written together; the mail is sent
    /// after the commit when `deliver`, else by the next sender.
    pub fn reply(&mut self, id: TicketId, text: &str, deliver: bool) -> Result<Replied> {
        let now = Utc::now();
        let (event, ids) = self.write(|tx, _, who| {
            let (sender, _) = read_sender(tx)?.ok_or_else(no_transport)?;
            let desk = sender.address();
            let stored = load(tx, id)?;
            let recipients = reply_recipients(tx, &stored, who, &desk)?;
            if recipients.is_empty() {
                return Err(no_one_to_mail(id, &stored.ticket.requester));
            }
            let thread = store_mail::thread(tx, stored.rowid)?;
            let event = comment_in(tx, who, id, text, false, now)?;
            let (in_reply_to, references) = threading(&thread);
            let subject = format!("[{id}] {}", stored.ticket.title);
            let body = reply_body(text, id, &stored.ticket.title);
            let mut ids = Vec::new();
            for (n, to) in recipients.iter().enumerate() {
                let mid = message_id(&desk, stored.rowid, event, n);
                let m = NewMail {
                    message_id: &mid,
                    ticket_rowid: stored.rowid,
                    event_id: Some(event),
                    kind: "reply",
                    recipient: to,
                    subject: &subject,
                    body: &body,
                    in_reply_to: in_reply_to.as_deref(),
                    references: references.as_deref(),
                    automatic: false,
                };
                ids.push(enqueue_in(tx, who, &stored, stored.ticket.version + 1, &m, now)?);
            }
            Ok((event, ids))
        })?;
        let mails = if deliver {
            self.deliver(Some(&ids), true)?.messages
        } else {
            self.store.read(|tx| {
                let mut out = Vec::new();
                for id in &ids {
                    if let Some(m) = store_mail::get(tx, *id)? {
                        out.push(Sent {
                            recipient: m.recipient,
                            message_id: m.message_id,
                            state: m.state,
                            error: None,
                        });
                    }
                }
                Ok::<_, DeskError>(out)
            })?
        };
        Ok(Replied { id, event, mails })
    }

    /// What a reply with `text` would mail, and to whom; nothing is written. Refused as the
    /// reply itself would be (no transport, no one to mail).
    pub fn reply_preview(&mut self, id: TicketId, text: &str) -> Result<ReplyPreview> {
        if text.trim().is_empty() {
            return Err(DeskError::Invalid("the reply is empty".into()));
        }
        self.read(|tx, _, who| {
            let (sender, _) = read_sender(tx)?.ok_or_else(no_transport)?;
            let stored = load(tx, id)?;
            let recipients = reply_recipients(tx, &stored, who, &sender.address())?;
            if recipients.is_empty() {
                return Err(no_one_to_mail(id, &stored.ticket.requester));
            }
            Ok(ReplyPreview {
                recipients,
                subject: format!("[{id}] {}", stored.ticket.title),
                body: reply_body(text, id, &stored.ticket.title),
            })
        })
    }

    /// Adds a watcher to a ticket: a mail address, or an operator by name. False when they
    /// watch it already (nothing written).
    pub fn add_watcher(&mut self, id: TicketId, watcher: &str) -> Result<bool> {
        let now = Utc::now();
        self.write(|tx, _, who| watch_in(tx, who, id, watcher, now))
    }

    /// Removes a watcher from a ticket; refused when they do not watch it.
    pub fn remove_watcher(&mut self, id: TicketId, watcher: &str) -> Result<()> {
        let now = Utc::now();
        let watcher = watcher.trim();
        self.write(|tx, _, who| {
            let stored = load(tx, id)?;
            if !store_mail::unwatch(tx, stored.rowid, watcher)? {
                return Err(DeskError::Invalid(format!(
                    "{} does not watch {id} (`opsdesk show {id}` lists its watchers)",
                    crate::text::inert(watcher, false)
                )));
            }
            let actor = desk_actor(tx, who, now)?;
            store::tickets::touch(tx, stored.rowid, now, stored.ticket.version)?;
            let e = NewEvent {
                kind: "unwatch",
                old: Some(watcher),
                version: Some(stored.ticket.version + 1),
                ..NewEvent::default()
            };
            store::tickets::append_event(tx, stored.rowid, now, &actor, &e)?;
            Ok(())
        })
    }

    /// The watchers of a ticket.
    pub fn watchers(&mut self, id: TicketId) -> Result<Vec<String>> {
        self.read(|tx, _, _| Ok(store_mail::watchers(tx, load(tx, id)?.rowid)?))
    }

    /// What waits in the outbox and what failed for good (with `all`, what was sent too).
    pub fn mail_queue(&mut self, all: bool) -> Result<Vec<QueuedMail>> {
        self.read(|tx, _, _| {
            let mut out = Vec::new();
            for m in store_mail::queue(tx, all, 10_000)? {
                let ticket = store::tickets::get_by_rowid(tx, m.ticket_rowid)?.map(|s| s.ticket.id);
                out.push(QueuedMail { ticket, mail: m });
            }
            Ok(out)
        })
    }

    /// The mail of one ticket, oldest first.
    pub fn ticket_mail(&mut self, id: TicketId) -> Result<Vec<Outgoing>> {
        self.read(|tx, _, _| Ok(store_mail::of_ticket(tx, load(tx, id)?.rowid)?))
    }
}

/// Adds a watcher inside a write transaction (see [`Desk::watch`]); intake adds Cc addresses
/// through it.
pub(super) fn watch_in(tx: &Tx, who: &Who, id: TicketId, watcher: &str, now: DateTime<Utc>) -> Result<bool> {
    let watcher = watcher.trim();
    if watcher.contains('@') {
        if !mailer::is_address(watcher) {
            return Err(DeskError::Invalid(format!(
                "`{}` is not a mail address",
                crate::text::inert(watcher, false)
            )));
        }
    } else if store::operators::get(tx, watcher)?.is_none() {
        return Err(DeskError::Invalid(format!(
            "`{}` is neither a mail address nor an operator of the desk (`opsdesk operator list`)",
            crate::text::inert(watcher, false)
        )));
    }
    let stored = load(tx, id)?;
    if !store_mail::watch(tx, stored.rowid, watcher, now)? {
        return Ok(false);
    }
    let actor = desk_actor(tx, who, now)?;
    store::tickets::touch(tx, stored.rowid, now, stored.ticket.version)?;
    let e = NewEvent {
        kind: "watch",
        new: Some(watcher),
        version: Some(stored.ticket.version + 1),
        ..NewEvent::default()
    };
    store::tickets::append_event(tx, stored.rowid, now, &actor, &e)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::threading;

    #[test]
    fn a_reply_answers_the_newest_mail_taken_in_and_keeps_the_first_and_last_references() {
        assert_eq!(threading(&[]), (None, None));
        let t = vec![("a@x".to_string(), false), ("b@d".to_string(), true)];
        assert_eq!(threading(&t), (Some("a@x".into()), Some("a@x b@d".into())));
        let long: Vec<(String, bool)> = (0..15).map(|i| (format!("m{i}"), i % 2 == 1)).collect();
        let (parent, refs) = threading(&long);
        assert_eq!(parent.as_deref(), Some("m14"));
        let refs = refs.expect("refs");
        let refs: Vec<&str> = refs.split(' ').collect();
        assert_eq!(refs.len(), 10);
        assert_eq!(refs[0], "m0");
        assert_eq!(refs[9], "m14");
        assert_eq!(refs[1], "m6");
    }
}
