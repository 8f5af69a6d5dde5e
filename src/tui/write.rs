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
    /// Applies `act` to each target on the writer thread; says what happened to each, one
    /// line, when it is done.
    pub(super) fn bulk(
        &mut self,
        targets: &[Seen],
        done: &str,
        act: impl Fn(&mut Desk, Seen) -> Result<(), DeskError> + Send + 'static,
    ) -> Result<(), DeskError> {
        if targets.is_empty() {
            return Ok(());
        }
        let targets = targets.to_vec();
        let done = done.to_string();
        // The marks are taken by this write; new ones may be made while it is under way.
        self.queue.marks.clear();
        let label = format!("{done}: {}", ids_text(&ids(&targets)));
        let work = move |desk: &mut Desk| {
            Ok(targets
                .iter()
                .map(|t| (t.0, act(desk, *t).map_err(|e| e.to_string())))
                .collect::<Vec<_>>())
        };
        self.write(label, work, move |app, answer| {
            let results = match answer.and_then(|r| app.reload().map(|()| r)) {
                Ok(r) => r,
                Err(e) => return app.complain(e.to_string()),
            };
            let ok: Vec<TicketId> = results.iter().filter(|(_, r)| r.is_ok()).map(|(id, _)| *id).collect();
            let refused: Vec<String> = results.into_iter().filter_map(|(_, r)| r.err()).collect();
            match (ok.is_empty(), refused.is_empty()) {
                (_, true) => app.say(format!("{}: {done}", ids_text(&ok))),
                (true, false) => app.complain(refused.join(" · ")),
                (false, false) => app.complain(format!("{}: {done}; refused: {}", ids_text(&ok), refused.join(" · "))),
            }
        });
        Ok(())
    }

    pub(super) fn take_move(&mut self, offer: &Offer, targets: &[Seen]) -> Result<(), DeskError> {
        let name = offer.name.clone();
        let done = format!("{name} → {}", offer.to);
        self.bulk(targets, &done, move |desk, (id, v)| {
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
        let other: Option<TicketId> = match link.strip_prefix("ci:") {
            Some(_) => None,
            None => Some(
                link.parse()
                    .map_err(|e: crate::domain::ticket::BadTicketId| DeskError::Invalid(e.to_string()))?,
            ),
        };
        let ci = link.strip_prefix("ci:").map(str::to_string);
        let what = ci.as_ref().map_or(link.to_string(), |c| format!("CI {c}"));
        let work = move |desk: &mut Desk| match (&ci, other) {
            (Some(ci), _) => desk.unlink_ci(id, ci),
            (None, Some(other)) => desk.unlink_tickets(id, other),
            (None, None) => Ok(false),
        };
        self.write(format!("unlink {what}"), work, move |app, removed| {
            match removed.and_then(|r| app.reload().map(|()| r)) {
                Ok(true) => app.say(format!("{id}: {what} unlinked")),
                Ok(false) => app.say(format!("{id}: {what} was not linked")),
                Err(e) => app.complain(e.to_string()),
            }
        });
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
            (Ask::Unassign { targets }, true) => self.bulk(&targets, "unassigned", move |desk, (id, v)| {
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
        if let Purpose::Reply { id } = &form.purpose {
            // Mail is not taken back: what goes, and to whom, is shown before it goes.
            let text = form.get("text");
            match self.desk.reply_preview(*id, &text) {
                Ok(p) => {
                    let body: Vec<&str> = p.body.lines().take(6).collect();
                    let question = format!(
                        "Mail this reply to {}?\nSubject: {}\n\n{}",
                        p.recipients.join(", "),
                        p.subject,
                        body.join("\n")
                    );
                    self.ask("send mail", question, Ask::Submit { form: Box::new(form) });
                }
                Err(e) => self.refused_form(form, &e),
            }
        } else if many > 1 {
            let text = format!("{} on {many} tickets?", form.title);
            self.ask("apply to all", text, Ask::Submit { form: Box::new(form) });
        } else {
            self.write_form(form);
        }
    }

    /// Writes what the form says, on the writer thread. The text is kept as a draft until
    /// the desk takes it; a refusal opens the form again with everything typed in it.
    fn write_form(&mut self, form: Form<Purpose>) {
        let work = match self.form_work(&form) {
            Ok(work) => work,
            Err(e) => return self.refused_form(form, &e),
        };
        self.keep_draft(&form);
        self.mode = Mode::Normal;
        self.queue.marks.clear();
        let label = form.title.clone();
        self.write(label, work, move |app, answer| app.form_written(form, answer));
    }

    /// What writing `form` does to the desk, worked out from what was typed (a mistake in it
    /// is said before anything is sent).
    fn form_work(&self, form: &Form<Purpose>) -> Result<FormWork, DeskError> {
        let values = form.values();
        Ok(match form.purpose.clone() {
            Purpose::Transition { name, targets } => {
                let (note, fields): (Vec<_>, Vec<_>) = values.into_iter().partition(|(k, _)| k == "note");
                let note = note.into_iter().next().map(|(_, v)| v);
                each(targets, move |desk, (id, v)| {
                    desk.transition(id, &name, &fields, note.as_deref(), v)
                        .map(|o| o.transition.map(|(n, _, to)| format!("{n} → {to}")).unwrap_or_default())
                })
            }
            Purpose::Comment { targets, internal } => {
                let text = form.get("text");
                let seen: Vec<Seen> = targets.iter().map(|id| (*id, None)).collect();
                each(seen, move |desk, (id, _)| {
                    desk.comment(id, &text, internal).map(|_| "comment added".to_string())
                })
            }
            Purpose::Reply { id } => {
                let text = form.get("text");
                // Written to the outbox with the comment; the postman sends it after the
                // commit, off the writer's thread.
                Box::new(move |desk| {
                    desk.reply(id, &text, false).map(|r| {
                        let to: Vec<String> = r.mails.iter().map(|m| m.recipient.clone()).collect();
                        Written::said(format!("{id}: reply mailed to {}", to.join(", ")))
                    })
                })
            }
            Purpose::Assign { targets } => {
                let who = form.get("assignee");
                each(targets, move |desk, (id, v)| {
                    desk.assign(id, Some(&who), None, v)
                        .map(|_| format!("assigned to {who}"))
                })
            }
            Purpose::NewTicket => new_ticket_work(form)?,
            Purpose::Edit { id, version } => {
                let changed: Vec<(String, String)> = form
                    .fields
                    .iter()
                    .filter(|f| f.typed())
                    .map(|f| (f.name.clone(), f.value()))
                    .collect();
                Box::new(move |desk| {
                    if changed.is_empty() {
                        return Ok(Written::said(format!("{id}: nothing to change")));
                    }
                    desk.edit(id, &changed, None, Some(version))
                        .map(|o| Written::said(format!("{id}: {} field(s) changed", o.changes.len())))
                })
            }
            Purpose::Link { id } => links_work(id, form)?,
        })
    }

    /// The desk's answer to a form.
    fn form_written(&mut self, form: Form<Purpose>, answer: Result<Written, DeskError>) {
        let written = match answer {
            Ok(w) => w,
            Err(e) => return self.refused_form(form, &e),
        };
        self.forget_draft(&form.purpose);
        if let Err(e) = self.reload() {
            return self.complain(e.to_string());
        }
        self.say(written.text);
        if let Some(id) = written.created
            && let Some(pos) =
                (0..self.queue.len()).find(|&i| self.queue.window(i, 1).next().is_some_and(|r| r.row.id == id))
        {
            self.queue.select(pos);
        }
        if let Purpose::Transition { name, targets } = &form.purpose
            && name == "resolve"
        {
            self.offer_resolving_incidents(&ids(targets));
        }
    }

    /// A form the desk refused: open again with the reason and everything typed. If the
    /// operator has moved on to something else meanwhile, it waits as a draft instead.
    fn refused_form(&mut self, mut form: Form<Purpose>, e: &DeskError) {
        let reload = self
            .keymap
            .key_name(super::action::Layer::Form, super::action::Action::Reload);
        form.error = Some(match (e, reload) {
            (DeskError::Conflict { .. }, Some(k)) => format!("{e}; {k} reloads it and keeps what you typed"),
            _ => e.to_string(),
        });
        self.keep_draft(&form);
        if self.mode.is_normal() {
            self.mode = Mode::Form(Box::new(form));
        } else {
            self.complain(format!(
                "“{}” was refused: {e}; what you typed is kept for when you open it again",
                form.title
            ));
        }
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
        let work = move |desk: &mut Desk| {
            desk.resolve_incidents_of(problem).map(|results| {
                results
                    .into_iter()
                    .map(|(id, r)| (id, r.map(|_| ()).map_err(|e| e.to_string())))
                    .collect::<Vec<_>>()
            })
        };
        self.write(
            format!("resolve the incidents of {problem}"),
            work,
            move |app, answer| {
                let results = match answer {
                    Ok(r) => r,
                    Err(e) => return app.complain(e.to_string()),
                };
                let done: Vec<TicketId> = results.iter().filter(|(_, r)| r.is_ok()).map(|(id, _)| *id).collect();
                let failed: Vec<String> = results
                    .iter()
                    .filter_map(|(id, r)| r.as_ref().err().map(|e| format!("{id}: {e}")))
                    .collect();
                let _ = app.reload();
                if failed.is_empty() {
                    app.say(format!("{} resolved with {problem}", ids_text(&done)));
                } else {
                    app.complain(format!("{} resolved; {}", ids_text(&done), failed.join(" · ")));
                }
            },
        );
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

/// What a form's write does on the writer thread.
type FormWork = Box<dyn FnOnce(&mut Desk) -> Result<Written, DeskError> + Send>;

/// What the desk said to a form: the line to show, and the ticket it created.
struct Written {
    text: String,
    created: Option<TicketId>,
}

impl Written {
    fn said(text: String) -> Written {
        Written { text, created: None }
    }
}

/// Runs a write on each target; stops at the first refusal so the form can be fixed.
fn each(targets: Vec<Seen>, act: impl Fn(&mut Desk, Seen) -> Result<String, DeskError> + Send + 'static) -> FormWork {
    Box::new(move |desk| {
        let mut last = String::new();
        let mut done = Vec::new();
        for t in &targets {
            match act(desk, *t) {
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
        Ok(Written::said(format!("{}: {last}", ids_text(&done))))
    })
}

fn new_ticket_work(form: &Form<Purpose>) -> Result<FormWork, DeskError> {
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
    Ok(Box::new(move |desk| {
        let id = desk.create_ticket(kind, draft, &cis)?.id;
        Ok(Written {
            text: format!("{id} created"),
            created: Some(id),
        })
    }))
}

fn links_work(id: TicketId, form: &Form<Purpose>) -> Result<FormWork, DeskError> {
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
    Ok(Box::new(move |desk| {
        let mut linked = Vec::new();
        for ci in &cis {
            if desk.link_ci(id, ci)? {
                linked.push(format!("CI {ci}"));
            }
        }
        for t in &tickets {
            if desk.link_tickets(id, *t)? {
                linked.push(t.to_string());
            }
        }
        Ok(Written::said(if linked.is_empty() {
            format!("{id}: already linked")
        } else {
            format!("{id} linked to {}", linked.join(", "))
        }))
    }))
}
