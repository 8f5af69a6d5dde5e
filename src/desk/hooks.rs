//! Running the configured `[[hooks]]` after a write has committed (see `crate::hooks`): the
//! ticket's fields go in `OPSDESK_*` variables; a hook that fails or overruns its time is
//! noted in the ticket's timeline as a work note and reported, and the write stands.

use crate::store::Place;

use super::Desk;
use crate::domain::rules::Outcome;
use crate::domain::{Ticket, TicketId};
use crate::hooks::HookEvent;

/// Something a hook may run on.
#[derive(Debug, Clone)]
pub(super) struct Happened {
    pub event: HookEvent,
    pub id: TicketId,
    pub env: Vec<(String, String)>,
}

impl Happened {
    pub fn new(event: HookEvent, ticket: &Ticket, actor: &str, desk: &Place) -> Happened {
        let mut env: Vec<(String, String)> = [
            ("OPSDESK_EVENT", event.name().to_string()),
            ("OPSDESK_ID", ticket.id.to_string()),
            ("OPSDESK_KIND", ticket.kind.name().to_string()),
            ("OPSDESK_TITLE", ticket.title.clone()),
            ("OPSDESK_STATE", ticket.state.clone()),
            ("OPSDESK_PRIORITY", format!("P{}", ticket.priority)),
            ("OPSDESK_IMPACT", ticket.impact.to_string()),
            ("OPSDESK_URGENCY", ticket.urgency.to_string()),
            ("OPSDESK_REQUESTER", ticket.requester.clone()),
            ("OPSDESK_ASSIGNEE", ticket.assignee.clone().unwrap_or_default()),
            ("OPSDESK_ACTOR", actor.to_string()),
            ("OPSDESK_DESK", desk.shown()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (name, value) in &ticket.fields {
            let key: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            env.push((format!("OPSDESK_FIELD_{key}"), value.clone()));
        }
        Happened {
            event,
            id: ticket.id,
            env,
        }
    }

    /// What a move or an edit did: its transition, and a change of assignee.
    pub fn of_outcome(out: &Outcome, actor: &str, desk: &Place) -> Vec<Happened> {
        let mut all = Vec::new();
        if let Some((name, from, to)) = &out.transition {
            let mut h = Happened::new(HookEvent::Transition, &out.ticket, actor, desk);
            h.env.extend([
                ("OPSDESK_TRANSITION".to_string(), name.clone()),
                ("OPSDESK_FROM".to_string(), from.clone()),
                ("OPSDESK_TO".to_string(), to.clone()),
            ]);
            all.push(h);
        }
        if let Some(c) = out.changes.iter().find(|c| c.field == "assignee" && c.new.is_some()) {
            let mut h = Happened::new(HookEvent::Assigned, &out.ticket, actor, desk);
            h.env.push((
                "OPSDESK_PREVIOUS_ASSIGNEE".to_string(),
                c.old.clone().unwrap_or_default(),
            ));
            all.push(h);
        }
        all
    }
}

impl Desk {
    /// Whether any hook is configured (so nothing is gathered for them when none is).
    pub(super) fn has_hooks(&self) -> bool {
        !self.config.hooks.is_empty()
    }

    /// Starts the hooks that `happened` calls for, on a thread of their own.
    pub(super) fn fire(&self, happened: Vec<Happened>) {
        if happened.is_empty() {
            return;
        }
        let jobs: Vec<(Vec<String>, Happened, std::time::Duration)> = happened
            .into_iter()
            .flat_map(|h| {
                self.config
                    .hooks
                    .iter()
                    .filter(|spec| spec.on.contains(&h.event))
                    .map(|spec| (spec.command.clone(), h.clone(), spec.timeout))
                    .collect::<Vec<_>>()
            })
            .collect();
        if jobs.is_empty() {
            return;
        }
        let (path, who, config) = (self.place().clone(), self.who.clone(), self.config.clone());
        crate::hooks::in_background(move || {
            let mut failures = Vec::new();
            for (argv, h, timeout) in jobs {
                if let Err(why) = crate::hooks::run(&argv, &h.env, timeout) {
                    let program = argv.first().map_or("", String::as_str);
                    let message = format!("hook `{program}` on {} of {} failed: {why}", h.event.name(), h.id);
                    // In the timeline, where everyone working the ticket sees it.
                    if let Ok(mut desk) = Desk::reopen(&path, &who, config.clone()) {
                        let _ = desk.comment(h.id, &message, true);
                    }
                    failures.push(message);
                }
            }
            failures
        });
    }
}
