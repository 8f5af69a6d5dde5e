//! `opsdesk ingest alertmanager`: a firing alert opens an incident, or counts an occurrence
//! on the open incident it opened before; a resolved alert adds a work note and, when the
//! configuration says so, resolves the incident. A whole input is one transaction: all of it
//! is written, or (on any error) none of it.

use crate::store::Tx;
use chrono::Utc;
use serde::Serialize;

use super::hooks::Happened;
use super::tickets::{act_in, comment_in, create_in};
use super::{Desk, DeskError, Result};
use crate::domain::rules::{self, Draft};
use crate::domain::{Kind, TicketId};
use crate::hooks::HookEvent;
use crate::ingest::alertmanager::{Payload, Status};
use crate::store::{self, alerts as store_alerts, cmdb as store_cmdb};

const SOURCE: &str = "alertmanager";

/// What became of one alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertAction {
    /// A new incident.
    Opened,
    /// Fired again while its incident is open.
    Occurrence,
    /// Ended: a work note on its incident.
    Noted,
    /// Ended, and its incident resolved.
    Resolved,
    /// Ended, but its incident could not be resolved (why).
    NotResolved(String),
    /// Ended, with no open incident of its own (nothing written).
    NoIncident,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertOutcome {
    pub fingerprint: String,
    pub alert: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketId>,
    pub action: AlertAction,
    pub occurrences: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AlertReport {
    pub payloads: usize,
    pub alerts: usize,
    pub opened: usize,
    pub occurrences: usize,
    pub resolved: usize,
    pub outcomes: Vec<AlertOutcome>,
}

impl Desk {
    /// Takes Alertmanager payloads in one transaction.
    pub fn ingest_alertmanager(&mut self, payloads: &[Payload]) -> Result<AlertReport> {
        let path = self.store.place().clone();
        let hooks = self.has_hooks();
        let (report, happened) = self.write(|tx, policy, who| {
            let c = &policy.alerts;
            let user = &who.name;
            let now = Utc::now();
            let mut happened = Vec::new();
            let mut report = AlertReport {
                payloads: payloads.len(),
                ..AlertReport::default()
            };
            let known_ci = |name: &str| -> Result<bool> { Ok(store_cmdb::get(tx, name)?.is_some()) };
            for p in payloads {
                for a in &p.alerts {
                    report.alerts += 1;
                    let fingerprint = a.key();
                    let open = store_alerts::open_ticket(tx, SOURCE, &fingerprint)?;
                    let outcome = |ticket: Option<TicketId>, action, occurrences| AlertOutcome {
                        fingerprint: fingerprint.clone(),
                        alert: a.name().to_string(),
                        ticket,
                        action,
                        occurrences,
                    };
                    match (a.status, open) {
                        (Status::Firing, Some(rowid)) => {
                            let n = store_alerts::seen(tx, SOURCE, &fingerprint, rowid, now, "firing")?;
                            report.occurrences += 1;
                            report
                                .outcomes
                                .push(outcome(Some(ticket_of(tx, rowid)?), AlertAction::Occurrence, n));
                        }
                        (Status::Firing, None) => {
                            let (impact, urgency) = a.levels(c);
                            let draft = Draft {
                                title: a.title(p),
                                description: a.description(p),
                                impact,
                                urgency,
                                ..Draft::default()
                            };
                            let mut cis = Vec::new();
                            for name in a.ci_candidates(c) {
                                if known_ci(&name)? {
                                    cis.push(name);
                                }
                            }
                            let created = create_in(tx, policy, who, Kind::Incident, draft, &cis, now)?;
                            store_alerts::insert(tx, SOURCE, &fingerprint, created.rowid, now)?;
                            super::notify::after_create(tx, policy, who, &created, now)?;
                            if hooks {
                                happened.push(Happened::new(HookEvent::Created, &created.ticket, user, &path));
                            }
                            report.opened += 1;
                            report.outcomes.push(outcome(Some(created.id), AlertAction::Opened, 1));
                        }
                        (Status::Resolved, Some(rowid)) => {
                            let id = ticket_of(tx, rowid)?;
                            let n = store_alerts::seen(tx, SOURCE, &fingerprint, rowid, now, "resolved")?;
                            let ended = a.ends_at.filter(|t| t.timestamp() > 0).unwrap_or(now);
                            let note = format!("Alert {} resolved at {}.", a.name(), rules::format_time(ended));
                            comment_in(tx, who, id, &note, true, now)?;
                            let action = if c.resolve {
                                let (action, out) = resolve(tx, policy, who, id, &note, &c.resolution_code)?;
                                if let Some(out) = out.filter(|_| hooks) {
                                    happened.extend(Happened::of_outcome(&out, user, &path));
                                }
                                action
                            } else {
                                AlertAction::Noted
                            };
                            if action == AlertAction::Resolved {
                                report.resolved += 1;
                            }
                            report.outcomes.push(outcome(Some(id), action, n));
                        }
                        (Status::Resolved, None) => report.outcomes.push(outcome(None, AlertAction::NoIncident, 0)),
                    }
                }
            }
            Ok::<_, DeskError>((report, happened))
        })?;
        self.fire(happened);
        Ok(report)
    }
}

/// The id of the ticket in row `rowid`, which an alert or a message points at.
fn ticket_of(tx: &Tx, rowid: i64) -> Result<TicketId> {
    Ok(store::tickets::get_by_rowid(tx, rowid)?
        .ok_or_else(|| DeskError::Invalid(format!("ticket row {rowid} is gone")))?
        .ticket
        .id)
}

/// Resolves the incident of an alert that ended; a refusal by the lifecycle is reported, not
/// an error (the note stands).
fn resolve(
    tx: &Tx,
    policy: &crate::domain::Policy,
    who: &super::Who,
    id: TicketId,
    note: &str,
    code: &str,
) -> Result<(AlertAction, Option<crate::domain::rules::Outcome>)> {
    let fields = [
        ("resolution_code".to_string(), code.to_string()),
        ("resolution_note".to_string(), note.to_string()),
    ];
    match act_in(tx, policy, who, id, None, |l, _, t, ctx| {
        rules::apply_transition(l, t, "resolve", &fields, None, ctx)
    }) {
        Ok(out) => Ok((AlertAction::Resolved, Some(out))),
        Err(DeskError::Refused(r)) => Ok((AlertAction::NotResolved(r.to_string()), None)),
        Err(e) => Err(e),
    }
}

/// An alert in one line, for `show`: its fingerprint, how often it fired, when, and its state.
pub fn alert_line(a: &store_alerts::Alert, now: chrono::DateTime<Utc>, zone: chrono::FixedOffset) -> String {
    format!(
        "{} {} · fired {} time{} · first {} · last {} · {}",
        a.source,
        a.fingerprint,
        a.occurrences,
        if a.occurrences == 1 { "" } else { "s" },
        crate::present::short_time(a.first_seen, now, zone),
        crate::present::short_time(a.last_seen, now, zone),
        a.status
    )
}

/// What became of a mail message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailAction {
    /// A new ticket, its requester the sender.
    Opened,
    /// A comment on the ticket its subject names.
    Commented,
    /// It named a ticket its sender has no part in: a new request of theirs, linked to the
    /// ticket named (which holds nothing of it).
    OpenedLinked { named: TicketId },
    /// Taken before (same Message-ID): nothing written.
    AlreadyTaken,
    /// An automatic message (an auto-reply, a bounce, a list's mail): never a ticket nor a
    /// comment, never answered; nothing written.
    Ignored { why: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct MailOutcome {
    /// The ticket it opened or went to; none when it was [`MailAction::Ignored`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketId>,
    pub action: MailAction,
    /// The answer reopened its resolved ticket.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reopened: bool,
    /// Addresses it was copied to that now watch the ticket.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watchers: Vec<String>,
}

impl MailOutcome {
    fn new(ticket: Option<TicketId>, action: MailAction) -> MailOutcome {
        MailOutcome {
            ticket,
            action,
            reopened: false,
            watchers: Vec::new(),
        }
    }

    fn ignored(why: String) -> MailOutcome {
        MailOutcome::new(None, MailAction::Ignored { why })
    }
}

/// Whether mail from `address` speaks for someone in `ticket`: its requester, or an
/// operator of the desk (by the address the desk knows for them).
fn belongs(tx: &Tx, stored: &store::tickets::Stored, address: &str) -> Result<bool> {
    Ok(speaks_as_requester(tx, stored, address)? || store::operators::by_email(tx, address.trim())?.is_some())
}

/// Whether `address` is the ticket's requester or one of its watchers (whose reply to a
/// resolved ticket reopens it, where an operator's would not).
fn speaks_as_requester(tx: &Tx, stored: &store::tickets::Stored, address: &str) -> Result<bool> {
    let address = address.trim();
    if stored.ticket.requester.trim().eq_ignore_ascii_case(address) {
        return Ok(true);
    }
    Ok(store::mail::watchers(tx, stored.rowid)?
        .iter()
        .any(|w| w.eq_ignore_ascii_case(address)))
}

/// Reopens a resolved ticket its requester answered, when its lifecycle has a `reopen` from
/// where it is; a refusal leaves it as it is (the comment stands).
fn reopen_on_answer(
    tx: &Tx,
    policy: &crate::domain::Policy,
    who: &super::Who,
    id: TicketId,
    sender: &str,
) -> Result<Option<crate::domain::rules::Outcome>> {
    let note = format!("Reopened: {sender} answered by mail.");
    match act_in(tx, policy, who, id, None, |l, _, t, ctx| {
        rules::apply_transition(l, t, "reopen", &[], Some(&note), ctx)
    }) {
        Ok(out) => Ok(Some(out)),
        Err(DeskError::Refused(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Desk {
    /// Takes one mail message in one transaction. A reply naming a ticket is a comment on it
    /// only when its sender belongs to the ticket; from anyone else it opens a new request
    /// linked to the ticket it named, or (the policy's `strangers = "refuse"`) is refused.
    pub fn ingest_mail(&mut self, mail: &crate::ingest::mail::Mail) -> Result<MailOutcome> {
        if let Some(why) = &mail.automatic {
            return Ok(MailOutcome::ignored(why.clone()));
        }
        let path = self.store.place().clone();
        let hooks = self.has_hooks();
        let (outcome, happened) = self.write(|tx, policy, who| {
            let user = &who.name;
            let now = Utc::now();
            let mut happened = Vec::new();
            if let Some(id) = &mail.message_id
                && let Some(rowid) = store_alerts::mail_ticket(tx, id)?
            {
                let outcome = MailOutcome::new(Some(ticket_of(tx, rowid)?), MailAction::AlreadyTaken);
                return Ok((outcome, happened));
            }
            // The desk's own mail come back (a copy to its mailbox, a list that echoes).
            let desk = super::mail::desk_address(tx)?;
            if let Some(id) = &mail.message_id
                && store::mail::sent_by_desk(tx, id)?
            {
                return Ok((MailOutcome::ignored("a message this desk sent".into()), happened));
            }
            if desk
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(mail.from_address.trim()))
            {
                return Ok((
                    MailOutcome::ignored(format!("sent from the desk's own address {}", mail.from_address)),
                    happened,
                ));
            }
            let attachments = mail
                .attachment_list()
                .map(|a| format!("\n\nAttachments: {a}"))
                .unwrap_or_default();
            let mut named = match mail.ticket {
                Some(id) => store::tickets::get(tx, id)?,
                None => None,
            };
            // A subject without its tag still answers the thread its headers name.
            if named.is_none()
                && let Some(rowid) = store::mail::ticket_of_thread(tx, &mail.references)?
            {
                named = store::tickets::get_by_rowid(tx, rowid)?;
            }
            let stranger = match &named {
                Some(stored) => !belongs(tx, stored, &mail.from_address)?,
                None => false,
            };
            if stranger && policy.mail.strangers == crate::domain::policy::Strangers::Refuse {
                return Err(DeskError::Invalid(format!(
                    "{} is not the requester of {} nor an operator's address: its mail is not taken \
                     (the desk's policy says strangers = \"refuse\")",
                    crate::text::inert(&mail.from_address, false),
                    mail.ticket.map(|t| t.to_string()).unwrap_or_default()
                )));
            }
            let mut opened: Option<super::Created> = None;
            let (rowid, mut outcome) = match named {
                Some(stored) if !stranger => {
                    let text = format!("From {}:\n\n{}{attachments}", mail.sender(), mail.body);
                    comment_in(tx, who, stored.ticket.id, &text, false, now)?;
                    let mut outcome = MailOutcome::new(Some(stored.ticket.id), MailAction::Commented);
                    if speaks_as_requester(tx, &stored, &mail.from_address)?
                        && let Some(out) = reopen_on_answer(tx, policy, who, stored.ticket.id, &mail.sender())?
                    {
                        outcome.reopened = true;
                        if hooks {
                            happened.extend(Happened::of_outcome(&out, user, &path));
                        }
                    }
                    (stored.rowid, outcome)
                }
                named => {
                    let title = if mail.subject.is_empty() {
                        "(no subject)".to_string()
                    } else {
                        crate::text::clip(&mail.subject, 200)
                    };
                    let draft = Draft {
                        title,
                        description: format!("{}\n\nFrom: {}", mail.body, mail.sender()),
                        requester: Some(mail.from_address.clone()),
                        ..Draft::default()
                    };
                    // Mail from outside a ticket is the sender's own request, whatever the
                    // desk opens for new mail.
                    let kind = if named.is_some() {
                        Kind::Request
                    } else {
                        policy.mail.kind
                    };
                    let created = create_in(tx, policy, who, kind, draft, &[], now)?;
                    opened = Some(created.clone());
                    if hooks {
                        happened.push(Happened::new(HookEvent::Created, &created.ticket, user, &path));
                    }
                    if let Some(list) = mail.attachment_list() {
                        let note = format!("Attachments from {}: {list}", mail.sender());
                        comment_in(tx, who, created.id, &note, true, now)?;
                    }
                    let action = match &named {
                        Some(other) => {
                            super::tickets::link_in(tx, who, created.id, other.ticket.id, now)?;
                            let note = format!(
                                "Mail from {} named {}, whose requester they are not (nor an operator): it is \
                                 taken as their own request, linked to {}; none of its text was written there.",
                                mail.sender(),
                                other.ticket.id,
                                other.ticket.id
                            );
                            comment_in(tx, who, created.id, &note, true, now)?;
                            MailAction::OpenedLinked { named: other.ticket.id }
                        }
                        None => MailAction::Opened,
                    };
                    (created.rowid, MailOutcome::new(Some(created.id), action))
                }
            };
            if policy.mail.cc_watchers
                && let Some(id) = outcome.ticket
            {
                let stored = super::tickets::load(tx, id)?;
                for cc in &mail.cc {
                    let ours = desk.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(cc))
                        || cc.eq_ignore_ascii_case(&mail.from_address)
                        || stored.ticket.requester.eq_ignore_ascii_case(cc)
                        || !crate::mailer::is_address(cc);
                    if !ours && super::mail::watch_in(tx, who, id, cc, now)? {
                        outcome.watchers.push(cc.clone());
                    }
                }
            }
            if let Some(id) = &mail.message_id {
                store_alerts::insert_mail(tx, id, rowid, now)?;
            }
            if let Some(created) = &opened {
                super::notify::after_create(tx, policy, who, created, now)?;
            }
            Ok::<_, DeskError>((outcome, happened))
        })?;
        self.fire(happened);
        Ok(outcome)
    }
}
