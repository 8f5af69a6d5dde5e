//! Notifications: the mail the desk sends by itself on the events its policy names (see
//! `domain::policy::notify`), written to the outbox in the transaction of the event. Nobody
//! is mailed about their own action; nothing is written while the desk sends no mail.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::inbox::Reason;
use super::mail::{addresses, desk_address, message_id, threading};
use super::tickets::load;
use super::{Desk, DeskError, Result, Who};
use crate::domain::policy::{Audience, NotifyEvent, TemplateTicket};
use crate::domain::rules::Outcome;
use crate::domain::{Policy, Ticket, TicketId};
use crate::store::mail::{self as store_mail, NewMail};
use crate::store::tickets::{By, NewEvent};
use crate::store::{self, Tx};

/// What `notify preview` shows: the mail an event would send, and to whom.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub id: TicketId,
    pub event: NotifyEvent,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// The operators a text names as `@name`, each once, as the desk spells them.
pub(super) fn mentions(tx: &Tx, text: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')')) {
        let Some(name) = word.strip_prefix('@') else { continue };
        let name = name.trim_end_matches(['.', '!', '?']);
        if name.is_empty() || name.contains('@') {
            continue;
        }
        if let Some(op) = store::operators::get(tx, name)?
            && !out.iter().any(|n| n.eq_ignore_ascii_case(&op.name))
        {
            out.push(op.name);
        }
    }
    Ok(out)
}

/// Who an event's rule names, as addresses: each once, never the acting operator, never the
/// desk itself.
#[allow(clippy::too_many_arguments)]
fn recipients(
    tx: &Tx,
    rowid: i64,
    ticket: &Ticket,
    to: &[Audience],
    teams: &std::collections::BTreeMap<String, String>,
    actor: &str,
    mentioned: &[String],
    desk: &str,
) -> Result<Vec<String>> {
    let mut people: Vec<String> = Vec::new();
    for a in to {
        match a {
            Audience::Requester => people.push(ticket.requester.clone()),
            Audience::Watchers => people.extend(store_mail::watchers(tx, rowid)?),
            Audience::Assignee => people.extend(ticket.assignee.clone()),
            Audience::Team => people.extend(
                ticket
                    .fields
                    .get("team")
                    .and_then(|team| teams.get(&team.trim().to_lowercase()))
                    .cloned(),
            ),
            Audience::Mentioned => people.extend(mentioned.iter().cloned()),
            Audience::Address(address) => people.push(address.clone()),
        }
    }
    addresses(tx, people, actor, desk)
}

/// The subject and body of `event` for `ticket`: the policy's templates, or (if one fails on
/// this ticket) a plain mail that says what happened, so that the action never fails for it.
fn compose(policy: &Policy, event: NotifyEvent, ticket: &Ticket, actor: &str, text: Option<&str>) -> (String, String) {
    let fields = TemplateTicket::of(ticket, event, actor, text);
    match policy.notify.render(event, &fields) {
        Some(Ok(mail)) => mail,
        _ => (
            format!("[{}] {}: {}", ticket.id, event.name(), ticket.title),
            format!("{} ({}): {} by {actor}.\n", ticket.id, ticket.title, event.name()),
        ),
    }
}

/// Writes the notifications of `event` on ticket `rowid` to the outbox, each with its event in
/// the timeline (at the ticket's `version`, by `by`), never to `by`. Returns how many.
#[allow(clippy::too_many_arguments)]
pub(super) fn notify_in(
    tx: &Tx,
    policy: &Policy,
    by: By,
    rowid: i64,
    ticket: &Ticket,
    event: NotifyEvent,
    text: Option<&str>,
    mentioned: &[String],
    now: DateTime<Utc>,
) -> Result<usize> {
    let Some(rule) = policy.notify.rules.get(&event) else {
        return Ok(0);
    };
    let Some(desk) = desk_address(tx)? else {
        return Ok(0);
    };
    let to = recipients(
        tx,
        rowid,
        ticket,
        &rule.to,
        &policy.notify.teams,
        by.name,
        mentioned,
        &desk,
    )?;
    if to.is_empty() {
        return Ok(0);
    }
    let (subject, body) = compose(policy, event, ticket, by.name, text);
    let (in_reply_to, references) = threading(&store_mail::thread(tx, rowid)?);
    let due = now + policy.notify.digest_after;
    for (n, recipient) in to.iter().enumerate() {
        let mid = message_id(&desk, rowid, ticket.version, n);
        let m = NewMail {
            message_id: &mid,
            ticket_rowid: rowid,
            event_id: None,
            kind: event.name(),
            recipient,
            subject: &subject,
            body: &body,
            in_reply_to: in_reply_to.as_deref(),
            references: references.as_deref(),
            automatic: true,
        };
        store_mail::enqueue(tx, &m, now, due)?;
        let e = NewEvent {
            kind: "mail",
            field: Some(&mid),
            new: Some(recipient),
            note: Some(event.name()),
            version: Some(ticket.version),
            ..NewEvent::default()
        };
        store::tickets::append_event(tx, rowid, now, by, &e)?;
    }
    Ok(to.len())
}

/// The acknowledgement of a ticket just opened (after intake recorded the message it came
/// from, so that the acknowledgement answers it).
pub(super) fn after_create(
    tx: &Tx,
    policy: &Policy,
    who: &Who,
    created: &super::Created,
    now: DateTime<Utc>,
) -> Result<()> {
    notify_in(
        tx,
        policy,
        who.by(),
        created.rowid,
        &created.ticket,
        NotifyEvent::Created,
        None,
        &[],
        now,
    )?;
    Ok(())
}

/// The notifications a move or an edit causes: resolved, closed, and assigned to someone
/// other than the operator acting.
pub(super) fn after_move(
    tx: &Tx,
    policy: &Policy,
    who: &Who,
    rowid: i64,
    out: &Outcome,
    now: DateTime<Utc>,
) -> Result<()> {
    super::inbox::after_move(tx, who, rowid, out, now)?;
    if policy.notify.rules.is_empty() {
        return Ok(());
    }
    if let Some((_, from, to)) = &out.transition
        && from != to
    {
        let event = match to.as_str() {
            "resolved" => Some(NotifyEvent::Resolved),
            "closed" => Some(NotifyEvent::Closed),
            _ => None,
        };
        if let Some(event) = event {
            notify_in(tx, policy, who.by(), rowid, &out.ticket, event, None, &[], now)?;
        }
    }
    let assigned = out
        .changes
        .iter()
        .any(|c| c.field == "assignee" && c.new.is_some() && c.new != c.old);
    if assigned {
        notify_in(
            tx,
            policy,
            who.by(),
            rowid,
            &out.ticket,
            NotifyEvent::Assigned,
            None,
            &[],
            now,
        )?;
    }
    Ok(())
}

/// The mentions of a comment just written on `id`: each operator it names as `@name` (but the
/// author) is told, in their inbox and, when the policy says so, by mail.
pub(super) fn after_comment(
    tx: &Tx,
    policy: &Policy,
    who: &Who,
    id: TicketId,
    text: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if !text.contains('@') {
        return Ok(());
    }
    let named = mentions(tx, text)?;
    if named.is_empty() {
        return Ok(());
    }
    let stored = load(tx, id)?;
    for name in &named {
        super::inbox::tell(tx, name, stored.rowid, Reason::Mention, &who.name, Some(text), now)?;
    }
    if !policy.notify.rules.contains_key(&NotifyEvent::Mention) {
        return Ok(());
    }
    notify_in(
        tx,
        policy,
        who.by(),
        stored.rowid,
        &stored.ticket,
        NotifyEvent::Mention,
        Some(text),
        &named,
        now,
    )?;
    Ok(())
}

impl Desk {
    /// The mail `event` would send for ticket `id` now, and to whom (nothing is written).
    pub fn notify_preview(&mut self, id: TicketId, event: NotifyEvent, text: Option<&str>) -> Result<Preview> {
        self.read(|tx, policy, who| {
            let stored = load(tx, id)?;
            let Some(rule) = policy.notify.rules.get(&event) else {
                return Err(DeskError::Invalid(format!(
                    "the desk's policy sends no mail on `{}` ([notify.{}] is not in it: `opsdesk policy show`)",
                    event.name(),
                    event.name()
                )));
            };
            let mentioned = match text {
                Some(t) => mentions(tx, t)?,
                None => Vec::new(),
            };
            let desk = desk_address(tx)?.unwrap_or_default();
            let teams = &policy.notify.teams;
            let recipients = recipients(
                tx,
                stored.rowid,
                &stored.ticket,
                &rule.to,
                teams,
                &who.name,
                &mentioned,
                &desk,
            )?;
            let fields = TemplateTicket::of(&stored.ticket, event, &who.name, text);
            let rendered = policy
                .notify
                .render(event, &fields)
                .unwrap_or_else(|| Err("it has no template".into()));
            let (subject, body) = rendered.map_err(|e| {
                DeskError::Invalid(format!("the template of [notify.{}] fails on {id}: {e}", event.name()))
            })?;
            Ok(Preview {
                id,
                event,
                recipients,
                subject,
                body,
            })
        })
    }
}
