//! What the app writes: moves, comments, assignments, new tickets, edits and links, one
//! ticket or many. Each goes through the desk with the version the operator saw; a refusal
//! keeps the form open with what was typed, and the draft stays until the desk takes it.

use super::app::{App, Ask, Mode, PickFor, Picker, Purpose, Question, Seen, ids_text};
use super::ticket::{count_text, ids};
use super::widgets::form::Form;
use crate::desk::{Desk, DeskError, Offer};
use crate::domain::rules::Draft;
use crate::domain::{Kind, TicketId};

impl App {
    /// Applies `act` to each target; says what happened to each, one line.
    pub(super) fn bulk(
        &mut self,
        targets: &[Seen],
        done: &str,
        mut act: impl FnMut(&mut Desk, Seen) -> Result<(), DeskError>,
    ) -> Result<(), DeskError> {
        if targets.is_empty() {
            return Ok(());
        }
        let mut ok = Vec::new();
        let mut refused = Vec::new();
        for t in targets {
            match act(&mut self.desk, *t) {
                Ok(()) => ok.push(t.0),
                Err(e) => refused.push(format!("{e}")),
            }
        }
        self.queue.marks.clear();
        self.reload()?;
        match (ok.is_empty(), refused.is_empty()) {
            (_, true) => self.say(format!("{}: {done}", ids_text(&ok))),
            (true, false) => self.complain(refused.join(" · ")),
            (false, false) => self.complain(format!("{}: {done}; refused: {}", ids_text(&ok), refused.join(" · "))),
        }
        Ok(())
    }

    pub(super) fn take_move(&mut self, offer: &Offer, targets: &[Seen]) -> Result<(), DeskError> {
        let name = offer.name.clone();
        self.bulk(targets, &format!("{name} → {}", offer.to), |desk, (id, v)| {
            desk.transition(id, &name, &[], None, v).map(|_| ())
        })
    }

    pub(super) fn assign_to_me(&mut self, targets: &[Seen]) -> Result<(), DeskError> {
        self.bulk(targets, "assigned to you", |desk, (id, v)| {
            desk.assign(id, None, None, v).map(|_| ())
        })
    }

    /// A choice taken in a picker.
    pub fn choose(&mut self, picker: Picker) {
        let result = match picker.purpose {
            PickFor::Move { offers, targets } => match offers.get(picker.index).cloned() {
                Some(offer) => self.start_move(offer, targets),
                None => Ok(()),
            },
            PickFor::Unlink { id, links } => match links.get(picker.index) {
                Some(link) => self.unlink(id, link),
                None => Ok(()),
            },
        };
        if let Err(e) = result {
            self.complain(e.to_string());
        }
    }

    fn unlink(&mut self, id: TicketId, link: &str) -> Result<(), DeskError> {
        let removed = match link.strip_prefix("ci:") {
            Some(ci) => self.desk.unlink_ci(id, ci)?,
            None => {
                let other: TicketId = link
                    .parse()
                    .map_err(|e: crate::domain::ticket::BadTicketId| DeskError::Invalid(e.to_string()))?;
                self.desk.unlink_tickets(id, other)?
            }
        };
        self.reload()?;
        let what = link.strip_prefix("ci:").map_or(link.to_string(), |c| format!("CI {c}"));
        if removed {
            self.say(format!("{id}: {what} unlinked"));
        } else {
            self.say(format!("{id}: {what} was not linked"));
        }
        Ok(())
    }

    /// The answer to a question.
    pub fn answer(&mut self, question: Question, yes: bool) {
        let result = match (question.ask, yes) {
            (Ask::ResolveIncidents { problem }, yes) => {
                self.answer_resolve_incidents(problem, yes);
                Ok(())
            }
            (Ask::Discard { form }, true) => {
                self.forget_draft(&form.purpose);
                self.say("discarded");
                Ok(())
            }
            (Ask::Discard { form }, false) | (Ask::Submit { form }, false) => {
                self.mode = Mode::Form(form);
                Ok(())
            }
            (Ask::Submit { form }, true) => {
                self.write_form(*form);
                Ok(())
            }
            (Ask::Move { offer, targets }, true) => self.take_move(&offer, &targets),
            (Ask::AssignToMe { targets }, true) => self.assign_to_me(&targets),
            (Ask::Unassign { targets }, true) => self.bulk(&targets, "unassigned", |desk, (id, v)| {
                desk.unassign(id, None, v).map(|_| ())
            }),
            (_, false) => {
                self.say("nothing done");
                Ok(())
            }
        };
        if let Err(e) = result {
            self.complain(e.to_string());
        }
    }

    /// Esc on a form: leaves at once when nothing was typed, else asks first.
    pub fn leave_form(&mut self, form: Box<Form<Purpose>>) {
        if !form.typed() {
            self.forget_draft(&form.purpose);
            return;
        }
        let text = format!("Discard what you typed in “{}”?", form.title);
        self.ask("discard", text, Ask::Discard { form });
    }

    /// Submits the open form; one that writes to several tickets asks first.
    pub fn submit(&mut self, form: Form<Purpose>) {
        let many = match &form.purpose {
            Purpose::Transition { targets, .. } | Purpose::Assign { targets } => targets.len(),
            Purpose::Comment { targets, .. } => targets.len(),
            _ => 1,
        };
        if many > 1 {
            let text = format!("{} on {many} tickets?", form.title);
            self.ask("apply to all", text, Ask::Submit { form: Box::new(form) });
        } else {
            self.write_form(form);
        }
    }

    /// Writes what the form says. A refusal keeps the form open with everything typed in it.
    fn write_form(&mut self, form: Form<Purpose>) {
        let values = form.values();
        let result: Result<String, DeskError> = match &form.purpose {
            Purpose::Transition { name, targets } => self.submit_each(targets, |desk, (id, v)| {
                let (note, fields): (Vec<_>, Vec<_>) = values.iter().cloned().partition(|(k, _)| k == "note");
                let note = note.into_iter().next().map(|(_, v)| v);
                desk.transition(id, name, &fields, note.as_deref(), v)
                    .map(|o| o.transition.map(|(n, _, to)| format!("{n} → {to}")).unwrap_or_default())
            }),
            Purpose::Comment { targets, internal } => {
                let text = form.get("text");
                let seen: Vec<Seen> = targets.iter().map(|id| (*id, None)).collect();
                self.submit_each(&seen, |desk, (id, _)| {
                    desk.comment(id, &text, *internal).map(|_| "comment added".to_string())
                })
            }
            Purpose::Assign { targets } => {
                let who = form.get("assignee");
                self.submit_each(targets, |desk, (id, v)| {
                    desk.assign(id, Some(&who), None, v)
                        .map(|_| format!("assigned to {who}"))
                })
            }
            Purpose::NewTicket => self.submit_new(&form),
            Purpose::Edit { id, version } => {
                let changed: Vec<(String, String)> = form
                    .fields
                    .iter()
                    .filter(|f| f.typed())
                    .map(|f| (f.name.clone(), f.value()))
                    .collect();
                if changed.is_empty() {
                    Ok(format!("{id}: nothing to change"))
                } else {
                    self.desk
                        .edit(*id, &changed, None, Some(*version))
                        .map(|o| format!("{id}: {} field(s) changed", o.changes.len()))
                }
            }
            Purpose::Link { id } => self.submit_links(*id, &form),
        };
        match result {
            Ok(text) => {
                self.forget_draft(&form.purpose);
                self.mode = Mode::Normal;
                self.queue.marks.clear();
                if let Err(e) = self.reload() {
                    self.complain(e.to_string());
                } else {
                    self.say(text);
                }
                if let Purpose::Transition { name, targets } = &form.purpose
                    && name == "resolve"
                {
                    self.offer_resolving_incidents(&ids(targets));
                }
            }
            Err(e) => {
                let mut form = form;
                let reload = self
                    .keymap
                    .key_name(super::action::Layer::Form, super::action::Action::Reload);
                form.error = Some(match (&e, reload) {
                    (DeskError::Conflict { .. }, Some(k)) => format!("{e}; {k} reloads it and keeps what you typed"),
                    _ => e.to_string(),
                });
                self.keep_draft(&form);
                self.mode = Mode::Form(Box::new(form));
            }
        }
    }

    fn submit_links(&mut self, id: TicketId, form: &Form<Purpose>) -> Result<String, DeskError> {
        let list = |s: String| -> Vec<String> {
            s.split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let cis = list(form.get("cis"));
        let tickets: Vec<TicketId> = list(form.get("tickets"))
            .iter()
            .map(|t| {
                t.parse()
                    .map_err(|e: crate::domain::ticket::BadTicketId| DeskError::Invalid(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        if cis.is_empty() && tickets.is_empty() {
            return Err(DeskError::Invalid("name a CI or a ticket to link".into()));
        }
        let mut linked = Vec::new();
        for ci in &cis {
            if self.desk.link_ci(id, ci)? {
                linked.push(format!("CI {ci}"));
            }
        }
        for t in &tickets {
            if self.desk.link_tickets(id, *t)? {
                linked.push(t.to_string());
            }
        }
        Ok(if linked.is_empty() {
            format!("{id}: already linked")
        } else {
            format!("{id} linked to {}", linked.join(", "))
        })
    }

    /// After a problem is resolved: if it still has open incidents, ask whether to resolve
    /// them too.
    fn offer_resolving_incidents(&mut self, targets: &[TicketId]) {
        for problem in targets.iter().filter(|t| t.kind == Kind::Problem) {
            match self.desk.open_incidents_of(*problem) {
                Ok(incidents) if !incidents.is_empty() => {
                    let shown: Vec<String> = incidents.iter().map(ToString::to_string).collect();
                    let text = format!(
                        "{problem} is resolved. Resolve its {} open incident(s) too?\n{}",
                        incidents.len(),
                        shown.join(", ")
                    );
                    self.ask("resolve incidents", text, Ask::ResolveIncidents { problem: *problem });
                    return;
                }
                Ok(_) => {}
                Err(e) => self.complain(e.to_string()),
            }
        }
    }

    /// The answer to that question: yes resolves each incident with its own move.
    pub fn answer_resolve_incidents(&mut self, problem: TicketId, yes: bool) {
        if !yes {
            self.say(format!("{problem} resolved; its incidents stay open"));
            return;
        }
        match self.desk.resolve_incidents_of(problem) {
            Ok(results) => {
                let done: Vec<TicketId> = results.iter().filter(|(_, r)| r.is_ok()).map(|(id, _)| *id).collect();
                let failed: Vec<String> = results
                    .iter()
                    .filter_map(|(id, r)| r.as_ref().err().map(|e| format!("{id}: {e}")))
                    .collect();
                let _ = self.reload();
                if failed.is_empty() {
                    self.say(format!("{} resolved with {problem}", ids_text(&done)));
                } else {
                    self.complain(format!("{} resolved; {}", ids_text(&done), failed.join(" · ")));
                }
            }
            Err(e) => self.complain(e.to_string()),
        }
    }

    /// Runs a write on each target; stops at the first refusal so the form can be fixed.
    fn submit_each(
        &mut self,
        targets: &[Seen],
        mut act: impl FnMut(&mut Desk, Seen) -> Result<String, DeskError>,
    ) -> Result<String, DeskError> {
        let mut last = String::new();
        let mut done = Vec::new();
        for t in targets {
            match act(&mut self.desk, *t) {
                Ok(text) => {
                    last = text;
                    done.push(t.0);
                }
                Err(e) if done.is_empty() => return Err(e),
                Err(e) => {
                    return Err(DeskError::Invalid(format!(
                        "{} done; then {}: {e}",
                        ids_text(&done),
                        t.0
                    )));
                }
            }
        }
        Ok(format!("{}: {last}", ids_text(&done)))
    }

    fn submit_new(&mut self, form: &Form<Purpose>) -> Result<String, DeskError> {
        let kind: Kind = form
            .get("kind")
            .parse()
            .map_err(|e: crate::domain::ticket::UnknownKind| DeskError::Invalid(e.to_string()))?;
        let text = |name: &str| Some(form.get(name)).filter(|v| !v.trim().is_empty());
        let mut fields = Vec::new();
        for name in ["category", "team"] {
            if let Some(v) = text(name) {
                fields.push((name.to_string(), v));
            }
        }
        let change_type = match kind {
            Kind::Change => Some(form.get("change_type").parse().map_err(DeskError::Invalid)?),
            _ => None,
        };
        let draft = Draft {
            title: form.get("title"),
            description: form.get("description"),
            impact: form.get("impact").parse().ok(),
            urgency: form.get("urgency").parse().ok(),
            requester: text("requester"),
            change_type,
            fields,
        };
        let cis: Vec<String> = form
            .get("cis")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let created = self.desk.create_ticket(kind, draft, &cis)?;
        let id = created.id;
        self.reload()?;
        if let Some(pos) =
            (0..self.queue.len()).find(|&i| self.queue.window(i, 1).next().is_some_and(|r| r.row.id == id))
        {
            self.queue.select(pos);
        }
        Ok(format!("{id} created"))
    }

    /// Ctrl-r in a form: reads the ticket again under what was typed. A field the operator
    /// did not touch takes the other operator's value; one both changed keeps the
    /// operator's text and says what the other operator wrote. The next save carries the
    /// version just read.
    pub fn reload_form(&mut self, mut form: Box<Form<Purpose>>) {
        let result = self.rebase(&mut form);
        match result {
            Ok(text) => form.notice = Some(text),
            Err(e) => form.error = Some(e.to_string()),
        }
        form.error = form.error.take().filter(|_| form.notice.is_none());
        self.mode = Mode::Form(form);
    }

    fn rebase(&mut self, form: &mut Form<Purpose>) -> Result<String, DeskError> {
        self.reload()?;
        match &mut form.purpose {
            Purpose::Edit { id, version } => {
                let view = self.desk.ticket(*id)?;
                let t = &view.ticket;
                let me = self.desk.user().to_string();
                let who = view
                    .timeline
                    .iter()
                    .rev()
                    .find(|e| e.actor != me)
                    .map(|e| e.actor.clone())
                    .unwrap_or_else(|| "someone".into());
                *version = t.version;
                let mut theirs_changed = Vec::new();
                for f in &mut form.fields {
                    let now = match f.name.as_str() {
                        "title" => t.title.clone(),
                        "description" => t.description.clone(),
                        "impact" => t.impact.to_string(),
                        "urgency" => t.urgency.to_string(),
                        other => t.get(other).unwrap_or_default(),
                    };
                    if now == f.initial {
                        continue;
                    }
                    theirs_changed.push(f.name.replace('_', " "));
                    if f.typed() {
                        f.note = Some(format!(
                            "{who} changed it to “{}”; yours is kept",
                            crate::text::clip(&now, 40)
                        ));
                    } else {
                        f.set_value(&now);
                        f.note = Some(format!("{who} changed it; theirs is shown"));
                    }
                    f.initial = now;
                }
                let save = self.keymap.phrase(
                    super::action::Layer::Form,
                    &[(super::action::Action::Submit, "saves yours")],
                );
                Ok(if theirs_changed.is_empty() {
                    format!("reloaded {id}: nobody else changed these fields")
                } else {
                    format!("reloaded {id}: {who} changed {}; {save}", theirs_changed.join(", "))
                })
            }
            Purpose::Transition { targets, .. } | Purpose::Assign { targets } => {
                for t in targets.iter_mut() {
                    let view = self.desk.ticket(t.0)?;
                    t.1 = Some(view.ticket.version);
                }
                Ok(format!("reloaded {}: what you typed is kept", count_text(targets)))
            }
            _ => Ok("reloaded".to_string()),
        }
    }
}
