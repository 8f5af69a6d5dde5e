//! What the app writes: moves, comments, assignments, new tickets and edits, one ticket or
//! many. Each goes through the desk; a refusal keeps the form open with what was typed.

use super::app::{App, Mode, Picker, Purpose, ids_text};
use super::widgets::form::{Field, Form};
use crate::desk::{Desk, DeskError, Offer};
use crate::domain::rules::Draft;
use crate::domain::{Kind, TicketId};

impl App {
    /// Applies `act` to each target; says what happened to each, one line.
    pub(super) fn bulk(
        &mut self,
        targets: &[TicketId],
        done: &str,
        mut act: impl FnMut(&mut Desk, TicketId) -> Result<(), DeskError>,
    ) -> Result<(), DeskError> {
        if targets.is_empty() {
            return Ok(());
        }
        let mut ok = Vec::new();
        let mut refused = Vec::new();
        for id in targets {
            match act(&mut self.desk, *id) {
                Ok(()) => ok.push(*id),
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

    pub(super) fn pick_transition(&mut self) -> Result<(), DeskError> {
        let Some(id) = self.selected_id() else { return Ok(()) };
        let offers = self.desk.offers(id)?;
        if offers.is_empty() {
            self.complain(format!("{id}: nothing may be moved from here by you (comments only)"));
            return Ok(());
        }
        let targets = self.targets();
        self.mode = Mode::Pick(Picker {
            title: format!("move {}", ids_text(&targets)),
            offers,
            index: 0,
            targets,
        });
        Ok(())
    }

    pub(super) fn offer_named(&mut self, name: &str) -> Result<(), DeskError> {
        let Some(id) = self.selected_id() else { return Ok(()) };
        let offers = self.desk.offers(id)?;
        match offers.into_iter().find(|o| o.name == name) {
            Some(offer) => {
                let targets = self.targets();
                self.start_move(offer, targets)
            }
            None => {
                let state = self.detail_or_row_state(id);
                self.complain(format!(
                    "{id} cannot `{name}` from `{state}`; t lists the moves open to you"
                ));
                Ok(())
            }
        }
    }

    fn detail_or_row_state(&self, id: TicketId) -> String {
        match &self.detail {
            Some(d) if d.ticket.id == id => d.ticket.state.clone(),
            _ => self
                .queue
                .selected_row()
                .map(|r| r.row.state.clone())
                .unwrap_or_default(),
        }
    }

    /// A move with nothing to ask is taken at once; otherwise its form opens.
    pub fn start_move(&mut self, offer: Offer, targets: Vec<TicketId>) -> Result<(), DeskError> {
        if offer.prompts.is_empty() {
            let name = offer.name.clone();
            self.mode = Mode::Normal;
            return self.bulk(&targets, &format!("{name} → {}", offer.to), |desk, id| {
                desk.transition(id, &name, &[], None, None).map(|_| ())
            });
        }
        let fields = offer
            .prompts
            .iter()
            .map(|p| match &p.choices {
                Some(c) => Field::choice(&p.field, c.clone(), p.initial.as_deref()),
                None => Field::text(&p.field, p.initial.clone(), p.long),
            })
            .collect();
        let title = format!("{} {} → {}", offer.name, ids_text(&targets), offer.to);
        self.mode = Mode::Form(Form::new(
            title,
            fields,
            Purpose::Transition {
                name: offer.name,
                targets,
            },
        ));
        Ok(())
    }

    /// Submits the open form. A refusal keeps the form open with everything typed in it.
    pub fn submit(&mut self, form: Form<Purpose>) {
        let values = form.values();
        let result: Result<String, DeskError> = match &form.purpose {
            Purpose::Transition { name, targets } => self.submit_each(targets, |desk, id| {
                let (note, fields): (Vec<_>, Vec<_>) = values.iter().cloned().partition(|(k, _)| k == "note");
                let note = note.into_iter().next().map(|(_, v)| v);
                desk.transition(id, name, &fields, note.as_deref(), None)
                    .map(|o| o.transition.map(|(n, _, to)| format!("{n} → {to}")).unwrap_or_default())
            }),
            Purpose::Comment { targets, internal } => {
                let text = values.first().map(|(_, v)| v.clone()).unwrap_or_default();
                self.submit_each(targets, |desk, id| {
                    desk.comment(id, &text, *internal).map(|_| "comment added".to_string())
                })
            }
            Purpose::Assign { targets } => {
                let who = values.first().map(|(_, v)| v.clone()).unwrap_or_default();
                self.submit_each(targets, |desk, id| {
                    desk.assign(id, Some(&who), None, None)
                        .map(|_| format!("assigned to {who}"))
                })
            }
            Purpose::NewTicket => self.submit_new(&values),
            Purpose::Edit { id, version, before } => {
                let changed: Vec<(String, String)> = values.iter().filter(|v| !before.contains(v)).cloned().collect();
                if changed.is_empty() {
                    Ok(format!("{id}: nothing to change"))
                } else {
                    self.desk
                        .edit(*id, &changed, None, Some(*version))
                        .map(|o| format!("{id}: {} field(s) changed", o.changes.len()))
                }
            }
        };
        match result {
            Ok(text) => {
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
                    self.offer_resolving_incidents(targets);
                }
            }
            Err(e) => {
                let mut form = form;
                form.error = Some(e.to_string());
                self.mode = Mode::Form(form);
            }
        }
    }

    /// After a problem is resolved: if it still has open incidents, ask whether to resolve
    /// them too.
    fn offer_resolving_incidents(&mut self, targets: &[TicketId]) {
        for problem in targets.iter().filter(|t| t.kind == Kind::Problem) {
            match self.desk.open_incidents_of(*problem) {
                Ok(incidents) if !incidents.is_empty() => {
                    self.mode = Mode::ResolveIncidents {
                        problem: *problem,
                        incidents,
                    };
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
        targets: &[TicketId],
        mut act: impl FnMut(&mut Desk, TicketId) -> Result<String, DeskError>,
    ) -> Result<String, DeskError> {
        let mut last = String::new();
        let mut done = Vec::new();
        for id in targets {
            match act(&mut self.desk, *id) {
                Ok(t) => {
                    last = t;
                    done.push(*id);
                }
                Err(e) if done.is_empty() => return Err(e),
                Err(e) => return Err(DeskError::Invalid(format!("{} done; then {id}: {e}", ids_text(&done)))),
            }
        }
        Ok(format!("{}: {last}", ids_text(&done)))
    }

    fn submit_new(&mut self, values: &[(String, String)]) -> Result<String, DeskError> {
        let get = |k: &str| {
            values
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let kind: Kind = get("kind")
            .parse()
            .map_err(|e: crate::domain::ticket::UnknownKind| DeskError::Invalid(e.to_string()))?;
        let draft = Draft {
            title: get("title"),
            description: get("description"),
            impact: get("impact").parse().ok(),
            urgency: get("urgency").parse().ok(),
            ..Draft::default()
        };
        let created = self.desk.create_ticket(kind, draft, &[])?;
        let id = created.id;
        self.reload()?;
        let rowid = self
            .queue
            .all_rows()
            .iter()
            .find(|r| r.row.id == id)
            .map(|r| r.row.rowid);
        if let Some(pos) = rowid.and_then(|rowid| {
            (0..self.queue.len()).find(|&i| self.queue.window(i, 1).next().is_some_and(|r| r.row.rowid == rowid))
        }) {
            self.queue.select(pos);
        }
        Ok(format!("{id} created"))
    }
}
