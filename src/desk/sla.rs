//! SLA escalation: recording each running clock's crossing of 75 % and 100 % of its target
//! once, and running the configured command for it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Desk, DeskError, Result};
use crate::domain::TicketId;
use crate::store::tickets::NewEvent;
use crate::store::{self, tickets as store_tickets};

/// Who the timeline names for escalations: the desk itself, not an operator.
pub const SLA_ACTOR: &str = "sla";

/// One escalation recorded: a ticket's clock crossing a threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub id: TicketId,
    /// `tto` (time to own) or `ttr` (time to resolve).
    pub clock: &'static str,
    /// `at_risk` or `breached`.
    pub level: &'static str,
    /// When it crossed.
    pub at: DateTime<Utc>,
    pub due: Option<DateTime<Utc>>,
    pub kind: String,
    pub title: String,
    pub state: String,
    pub priority: u8,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub requester: String,
}

impl Escalation {
    /// What the escalation command gets in its environment.
    pub fn env(&self, desk: &crate::store::Place) -> Vec<(String, String)> {
        let time = |t: Option<DateTime<Utc>>| t.map(crate::domain::rules::format_time).unwrap_or_default();
        [
            ("OPSDESK_EVENT", format!("sla_{}", self.level)),
            ("OPSDESK_ID", self.id.to_string()),
            ("OPSDESK_KIND", self.kind.clone()),
            ("OPSDESK_TITLE", self.title.clone()),
            ("OPSDESK_STATE", self.state.clone()),
            ("OPSDESK_PRIORITY", format!("P{}", self.priority)),
            ("OPSDESK_ASSIGNEE", self.assignee.clone().unwrap_or_default()),
            ("OPSDESK_TEAM", self.team.clone().unwrap_or_default()),
            ("OPSDESK_REQUESTER", self.requester.clone()),
            ("OPSDESK_SLA_CLOCK", self.clock.to_string()),
            ("OPSDESK_SLA_LEVEL", self.level.to_string()),
            ("OPSDESK_SLA_AT", time(Some(self.at))),
            ("OPSDESK_SLA_DUE", time(self.due)),
            ("OPSDESK_DESK", desk.shown()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    pub escalations: Vec<Escalation>,
    /// (ticket, why) for each escalation whose command failed.
    pub failures: Vec<(TicketId, String)>,
}

impl Desk {
    /// Records every escalation due by `now` that no one has recorded yet, in one
    /// transaction (so two desks sweeping at once record each only once).
    pub fn sweep(&mut self, now: DateTime<Utc>) -> Result<Vec<Escalation>> {
        // Most sweeps find nothing: look before taking the write lock.
        if self
            .store
            .read(|tx| Ok::<_, DeskError>(store::sla::due(tx, now)?.is_empty()))?
        {
            return Ok(Vec::new());
        }
        let escalations = self.write(|tx, policy, _| {
            let mut out = Vec::new();
            for due in store::sla::due(tx, now)? {
                let Some(stored) = store_tickets::get_by_rowid(tx, due.rowid)? else {
                    continue;
                };
                let mut flags = due.flags;
                for c in due.clocks.crossings(flags).into_iter().filter(|c| c.at <= now) {
                    flags |= c.flag;
                    let clock = if c.clock == "tto" {
                        due.clocks.own
                    } else {
                        due.clocks.resolve
                    };
                    let due_at = clock.and_then(|k| k.due_at);
                    let note = due_at.map(|d| format!("due {}", crate::domain::rules::format_time(d)));
                    let e = NewEvent {
                        kind: "sla",
                        field: Some(c.clock),
                        new: Some(c.level()),
                        note: note.as_deref(),
                        ..NewEvent::default()
                    };
                    store_tickets::append_event(tx, due.rowid, c.at, SLA_ACTOR, &e)?;
                    if c.level() == "breached" {
                        if let Some(holder) = &stored.ticket.assignee {
                            let clock = crate::present::clock_name(c.clock);
                            super::inbox::tell(
                                tx,
                                holder,
                                due.rowid,
                                super::inbox::Reason::Breach,
                                SLA_ACTOR,
                                Some(clock),
                                now,
                            )?;
                        }
                        super::notify::notify_in(
                            tx,
                            policy,
                            SLA_ACTOR.into(),
                            due.rowid,
                            &stored.ticket,
                            crate::domain::policy::NotifyEvent::Breach,
                            Some(crate::present::clock_name(c.clock)),
                            &[],
                            now,
                        )?;
                    }
                    let t = &stored.ticket;
                    out.push(Escalation {
                        id: t.id,
                        clock: c.clock,
                        level: c.level(),
                        at: c.at,
                        due: due_at,
                        kind: t.kind.name().to_string(),
                        title: t.title.clone(),
                        state: t.state.clone(),
                        priority: t.priority,
                        assignee: t.assignee.clone(),
                        team: t.fields.get("team").cloned(),
                        requester: t.requester.clone(),
                    });
                }
                store::sla::set_flags(tx, due.rowid, flags, due.clocks.next_escalation(flags))?;
            }
            Ok::<_, DeskError>(out)
        })?;
        if !self.has_hooks() {
            return Ok(escalations);
        }
        let path = self.place().clone();
        let happened = escalations
            .iter()
            .map(|e| {
                let event = if e.level == "breached" {
                    crate::hooks::HookEvent::Breached
                } else {
                    crate::hooks::HookEvent::AtRisk
                };
                let mut env = e.env(&path);
                env.retain(|(k, _)| k != "OPSDESK_EVENT");
                env.push(("OPSDESK_EVENT".to_string(), event.name().to_string()));
                super::hooks::Happened { event, id: e.id, env }
            })
            .collect();
        self.fire(happened);
        Ok(escalations)
    }

    /// Runs the configured escalation command for each escalation (if one is configured)
    /// and records each failure in the ticket's timeline. Returns the failures.
    pub fn run_escalation_commands(&mut self, escalations: &[Escalation]) -> Result<Vec<(TicketId, String)>> {
        let Some(argv) = self.config.escalation.command.clone() else {
            return Ok(Vec::new());
        };
        let failures = run_escalations(&argv, self.config.escalation.timeout, self.place(), escalations);
        for (id, why) in &failures {
            self.record_escalation_failure(*id, why)?;
        }
        Ok(failures)
    }

    /// Notes in a ticket's timeline that its escalation command failed, and why.
    pub fn record_escalation_failure(&mut self, id: TicketId, why: &str) -> Result<()> {
        self.store.write(|tx| {
            let stored = store_tickets::get(tx, id)?.ok_or(DeskError::NoTicket(id))?;
            let e = NewEvent {
                kind: "escalation_failed",
                note: Some(why),
                ..NewEvent::default()
            };
            store_tickets::append_event(tx, stored.rowid, Utc::now(), SLA_ACTOR, &e)?;
            Ok(())
        })
    }

    /// Sweeps, runs the commands, and says what happened: `opsdesk sla sweep`.
    pub fn sweep_and_escalate(&mut self, now: DateTime<Utc>) -> Result<SweepReport> {
        let escalations = self.sweep(now)?;
        let failures = self.run_escalation_commands(&escalations)?;
        Ok(SweepReport { escalations, failures })
    }
}

/// Runs the escalation command `argv` once per escalation, with its variables, each stopped
/// after `timeout`; gives back the ones that failed and why. Writes nothing: the caller
/// records the failures (the terminal desk runs this on another thread).
pub fn run_escalations(
    argv: &[String],
    timeout: std::time::Duration,
    desk: &crate::store::Place,
    escalations: &[Escalation],
) -> Vec<(TicketId, String)> {
    escalations
        .iter()
        .filter_map(|e| {
            crate::hooks::run(argv, &e.env(desk), timeout)
                .err()
                .map(|why| (e.id, why))
        })
        .collect()
}
