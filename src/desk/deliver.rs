//! Delivering the outbox after the commit. Each message is claimed (by `host:pid`) before it
//! is sent and marked sent as soon as the transport took it, so no Message-ID goes out twice
//! after a send that succeeded; a claim whose process is gone is taken again at once. The
//! desk's own notifications to one address go as one digest when several wait, and beyond the
//! policy's `rate_per_hour` they wait for the hour to pass and then go as one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::mail::{Sent, no_transport, read_sender};
use super::tickets::comment_in;
use super::{Desk, Result};
use crate::mailer::SendError;
use crate::store::mail::{self as store_mail, Outgoing};
use crate::store::{self, Tx};

/// A message that keeps failing for longer than this is given up.
const GIVE_UP_AFTER_HOURS: i64 = 48;

/// The most messages claimed at once by one sender.
const BATCH: usize = 50;

/// The most notifications put in one digest.
const MAX_DIGEST: usize = 500;

/// What one delivery run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Delivery {
    /// Mails the transport took (a digest counts once).
    pub sent: usize,
    /// Not taken now; tried again later.
    pub retried: usize,
    /// Given up for good (a work note on the ticket says so).
    pub failed: usize,
    /// Notifications held back by the rate limit (they go later, as one digest).
    pub held: usize,
    /// Why the run stopped early: the server could not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Still waiting after the run.
    pub waiting: i64,
    pub messages: Vec<Sent>,
}

/// This host's name, as the kernel knows it.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Who claims a message: this process on this host, `host:pid`.
fn claimant() -> String {
    format!("{}:{}", host(), std::process::id())
}

/// Whether the sender that claimed a message is gone: a process of this host that no longer
/// runs. One of another host is left to its lease.
fn gone(claimant: &str) -> bool {
    let Some((host_name, pid)) = claimant.rsplit_once(':') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else { return false };
    host_name == host() && pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// What goes to the transport in one go: a message, or a digest of notifications to one
/// address.
struct Unit {
    mail: Outgoing,
    /// The outbox messages it carries (itself alone, or a digest's).
    members: Vec<Outgoing>,
}

/// One digest of `members` (notifications to one address, oldest first).
fn digest(members: Vec<Outgoing>, domain_of: &str) -> Unit {
    let first = &members[0];
    let domain = domain_of.rsplit_once('@').map_or("opsdesk.invalid", |(_, d)| d);
    let message_id = format!("opsdesk.digest.{}.{:016x}@{domain}", first.id, fastrand::u64(..));
    let tags: Vec<String> = members
        .iter()
        .filter_map(|m| m.subject.split_once(']').map(|(tag, _)| format!("{tag}]")))
        .collect();
    let mut unique: Vec<String> = Vec::new();
    for t in tags {
        if !unique.contains(&t) {
            unique.push(t);
        }
    }
    let mut subject = format!("{} updates from the desk: {}", members.len(), unique.join(" "));
    if subject.chars().count() > 150 {
        subject = format!("{}…", subject.chars().take(149).collect::<String>());
    }
    let mut body = format!("{} updates since the last mail:\n", members.len());
    for m in &members {
        body.push_str(&format!("\n== {} ==\n\n{}\n", m.subject, m.body.trim_end()));
    }
    let mail = Outgoing {
        id: first.id,
        message_id,
        ticket_rowid: first.ticket_rowid,
        kind: "digest".into(),
        recipient: first.recipient.clone(),
        subject,
        body,
        in_reply_to: None,
        references: None,
        automatic: true,
        created_at: first.created_at,
        state: "sending".into(),
        tries: members.iter().map(|m| m.tries).max().unwrap_or(0),
        next_at: first.next_at,
        sent_at: None,
        last_error: None,
        digest_id: None,
    };
    Unit { mail, members }
}

/// One delivery run's settings.
#[derive(Clone, Copy)]
struct Run<'a> {
    now: DateTime<Utc>,
    /// Who claims (`host:pid`).
    me: &'a str,
    /// The policy's `rate_per_hour`.
    rate: u32,
    /// Only what is due (a run in the background), or everything waiting (`mail send`).
    due_only: bool,
    /// The desk's From address.
    desk: &'a str,
}

/// Turns a claimed batch into what is sent: replies alone; the notifications to each address,
/// with all else waiting for it, one digest (one mail when it is alone); those an address has
/// had its hour's worth of are held back. Inside a write transaction.
fn plan(tx: &Tx, batch: Vec<Outgoing>, run: &Run, report: &mut Delivery) -> Result<Vec<Unit>> {
    let Run {
        now,
        me,
        rate,
        due_only,
        desk,
    } = *run;
    let mut units = Vec::new();
    let mut notes: BTreeMap<String, Vec<Outgoing>> = BTreeMap::new();
    for m in batch {
        if m.automatic {
            notes.entry(m.recipient.to_ascii_lowercase()).or_default().push(m);
        } else {
            units.push(Unit {
                mail: m.clone(),
                members: vec![m],
            });
        }
    }
    let hour = chrono::Duration::hours(1);
    for (_, mut group) in notes {
        let recipient = group[0].recipient.clone();
        let (count, oldest) = store_mail::sent_since(tx, &recipient, now - hour)?;
        if count >= i64::from(rate) {
            let until = oldest.map_or(now + hour, |t| t + hour);
            let ids: Vec<i64> = group.iter().map(|m| m.id).collect();
            let why =
                format!("{recipient} had {count} mails from the desk in the last hour: held back, then one digest");
            store_mail::hold(tx, &ids, until, &why)?;
            report.held += ids.len();
            continue;
        }
        let have: Vec<i64> = group.iter().map(|m| m.id).collect();
        let more = store_mail::claim_notifications(tx, &recipient, now, me, due_only, MAX_DIGEST, &have)?;
        group.extend(more);
        group.sort_by_key(|m| m.id);
        if group.len() == 1 {
            let m = group.remove(0);
            units.push(Unit {
                mail: m.clone(),
                members: vec![m],
            });
        } else {
            units.push(digest(group, desk));
        }
    }
    units.sort_by_key(|u| u.mail.id);
    Ok(units)
}

impl Desk {
    /// Delivers the outbox: the messages `only` (what one command just wrote), or every
    /// message waiting — all of them when `now_all` (`opsdesk mail send`), else those whose
    /// time has come. A run stops at the first server that cannot be reached (the rest wait
    /// for the next run, their tries not counted).
    pub fn deliver(&mut self, only: Option<&[i64]>, now_all: bool) -> Result<Delivery> {
        let sender = self.store.read(read_sender)?.map(|(s, _)| s).ok_or_else(no_transport)?;
        let rate = self.policy()?.notify.rate_per_hour;
        let desk = sender.address();
        let mut report = Delivery::default();
        let mut done: Vec<i64> = Vec::new();
        let me = claimant();
        // One connection for the whole run.
        let mut session = sender.transport.session();
        loop {
            let now = Utc::now();
            let units = self.store.write(|tx| {
                store_mail::reclaim_abandoned(tx, gone)?;
                let batch = match only {
                    Some(ids) => store_mail::claim_these(tx, ids, now, &me)?,
                    None if now_all => store_mail::claim_waiting(tx, now, &me, BATCH, &done)?,
                    None => store_mail::claim_due(tx, now, &me, BATCH)?,
                };
                done.extend(batch.iter().map(|m| m.id));
                let run = Run {
                    now,
                    me: &me,
                    rate,
                    due_only: !now_all,
                    desk: &desk,
                };
                plan(tx, batch, &run, &mut report)
            })?;
            if units.is_empty() {
                break;
            }
            for (i, unit) in units.iter().enumerate() {
                done.extend(unit.members.iter().map(|m| m.id));
                let outcome = session.send(&sender.from, &unit.mail);
                if let Some(why) = self.record(unit, outcome, &mut report)? {
                    let rest: Vec<i64> = units[i + 1..]
                        .iter()
                        .flat_map(|u| u.members.iter().map(|m| m.id))
                        .collect();
                    self.store.write(|tx| store_mail::release(tx, &rest))?;
                    report.stopped = Some(why);
                    break;
                }
            }
            if report.stopped.is_some() || only.is_some() {
                break;
            }
        }
        report.waiting = self.store.read(store_mail::waiting)?;
        Ok(report)
    }

    /// Writes what became of one mail (each message it carries); returns why the run should
    /// stop, if it should.
    fn record(
        &mut self,
        unit: &Unit,
        outcome: std::result::Result<(), SendError>,
        report: &mut Delivery,
    ) -> Result<Option<String>> {
        let now = Utc::now();
        let m = &unit.mail;
        let digest = (unit.members.len() > 1 || unit.members[0].message_id != m.message_id).then_some(&m.message_id);
        let (state, error, stop) = match outcome {
            Ok(()) => {
                self.store.write(|tx| {
                    for member in &unit.members {
                        store_mail::sent(tx, member.id, now, digest.map(String::as_str))?;
                    }
                    Ok::<_, super::DeskError>(())
                })?;
                report.sent += 1;
                ("sent", None, None)
            }
            Err(e) if e.permanent || now - m.created_at > chrono::Duration::hours(GIVE_UP_AFTER_HOURS) => {
                let why = if e.permanent {
                    e.message.clone()
                } else {
                    format!("{} (given up after {GIVE_UP_AFTER_HOURS} hours of trying)", e.message)
                };
                self.write(|tx, _, who| {
                    for member in &unit.members {
                        store_mail::failed(tx, member.id, &why)?;
                        let Some(stored) = store::tickets::get_by_rowid(tx, member.ticket_rowid)? else {
                            continue;
                        };
                        let note = format!(
                            "Mail to {} could not be delivered and will not be sent again: {why} (Message-ID <{}>, \
                             subject “{}”).",
                            member.recipient, member.message_id, member.subject
                        );
                        comment_in(tx, who, stored.ticket.id, &note, true, now)?;
                    }
                    Ok(())
                })?;
                report.failed += 1;
                ("failed", Some(why), None)
            }
            Err(e) => {
                let wait = chrono::Duration::minutes(1 << m.tries.clamp(0, 6));
                self.store.write(|tx| {
                    for member in &unit.members {
                        store_mail::retry(tx, member.id, now + wait, &e.message)?;
                    }
                    Ok::<_, super::DeskError>(())
                })?;
                report.retried += 1;
                // A server that answered (4xx) takes the next message; one that did not is
                // not asked again in this run.
                let stop = (!e.answered).then(|| e.message.clone());
                ("queued", Some(e.message), stop)
            }
        };
        report.messages.push(Sent {
            recipient: m.recipient.clone(),
            message_id: m.message_id.clone(),
            state: state.into(),
            error,
        });
        Ok(stop)
    }
}

/// How often the postman looks for mail that is due.
const ROUNDS: std::time::Duration = std::time::Duration::from_secs(15);

/// Delivers the outbox in the background while the terminal desk or the listener runs: on a
/// thread of its own with a desk of its own (a server that hangs never holds up a key or a
/// request), every few seconds and whenever [`Postman::poke`] says something was written.
pub struct Postman {
    poke: std::sync::mpsc::Sender<()>,
    reports: std::sync::mpsc::Receiver<Delivery>,
}

impl Postman {
    /// Starts the postman for `desk`; `wake` is called (on its thread) after each round that
    /// sent or gave up on something.
    pub fn start(desk: &Desk, wake: fn()) -> Postman {
        let (poke, pokes) = std::sync::mpsc::channel::<()>();
        let (report, reports) = std::sync::mpsc::channel();
        let (place, who, config) = (desk.place().clone(), desk.who().clone(), desk.config().clone());
        let _ = std::thread::Builder::new().name("opsdesk-mail".into()).spawn(move || {
            let Ok(mut desk) = Desk::reopen(&place, &who, config) else {
                return;
            };
            loop {
                match pokes.recv_timeout(ROUNDS) {
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                    Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                }
                while pokes.try_recv().is_ok() {}
                if !matches!(desk.mail_settings(), Ok(Some(_))) {
                    continue;
                }
                if let Ok(d) = desk.deliver(None, false)
                    && (d.sent > 0 || d.failed > 0 || d.stopped.is_some())
                {
                    if report.send(d).is_err() {
                        return;
                    }
                    wake();
                }
            }
        });
        Postman { poke, reports }
    }

    /// Something was written that may have put mail in the outbox.
    pub fn poke(&self) {
        let _ = self.poke.send(());
    }

    /// What the rounds since the last call did.
    pub fn take_reports(&self) -> Vec<Delivery> {
        self.reports.try_iter().collect()
    }
}
