//! What the ticket keys open: the move picker (the moves open on every target), the forms
//! for comments, assignment, edits, links and new tickets, and the questions asked before
//! a write that touches several tickets, ends a ticket, or takes one from someone else.

use super::action::Action;
use super::app::{App, Ask, Entry, Mode, PickFor, Picker, Purpose, Question, Seen, ids_text};
use super::widgets::form::{Field, Form};
use crate::desk::{DeskError, Offer};
use crate::domain::{Kind, TicketId};

/// Moves that end a ticket's life: asked before, even on one ticket.
const ENDING: [&str; 3] = ["close", "cancel", "reject"];

impl App {
    /// The tickets an action applies to, as they stand now (read in one go): the marked
    /// ones in the queue, else the one in view.
    fn targets_now(&mut self) -> Result<Vec<crate::domain::Ticket>, DeskError> {
        let ids: Vec<TicketId> = match self.visible_pane() {
            super::app::Pane::Queue => self.queue.targets(),
            _ => self.selected_id().into_iter().collect(),
        };
        self.desk.tickets_now(&ids)
    }

    pub(super) fn ticket_action(&mut self, action: Action) -> Result<(), DeskError> {
        let now = self.targets_now()?;
        let targets: Vec<Seen> = now.iter().map(|t| (t.id, Some(t.version))).collect();
        let Some(&(first, _)) = targets.first() else {
            return Ok(());
        };
        match action {
            Action::Transition => self.pick_transition(targets)?,
            Action::Resolve => self.offer_named("resolve", targets)?,
            Action::Pend => self.offer_named("pend", targets)?,
            Action::AssignToMe => {
                let me = self.desk.user().to_string();
                let held: Vec<String> = now
                    .iter()
                    .filter_map(|t| {
                        t.assignee
                            .as_ref()
                            .filter(|a| **a != me)
                            .map(|other| format!("{} is held by {other}", t.id))
                    })
                    .collect();
                if held.is_empty() && targets.len() == 1 {
                    self.assign_to_me(&targets)?;
                } else {
                    // A question fits on the screen: a long list is cut to its first three.
                    let mut text = held.iter().take(3).cloned().collect::<Vec<_>>().join("\n");
                    if held.len() > 3 {
                        text.push_str(&format!("\nand {} more held by others", held.len() - 3));
                    }
                    if targets.len() > 1 {
                        text = format!("Assign {} tickets to you?\n{text}", targets.len());
                    } else {
                        text = format!("{text}.\nTake it from them?");
                    }
                    self.ask("assign to me", text, Ask::AssignToMe { targets });
                }
            }
            Action::Unassign => {
                let text = format!("Unassign {}? Nobody will hold it.", count_text(&targets));
                self.ask("unassign", text, Ask::Unassign { targets });
            }
            Action::Assign => {
                let ops: Vec<String> = self.desk.operators()?.into_iter().map(|o| o.name).collect();
                let me = self.desk.user().to_string();
                let title = format!("assign {} to", ids_text(&ids(&targets)));
                let form = Form::new(
                    title,
                    vec![Field::choice("assignee", ops, Some(&me))],
                    Purpose::Assign { targets },
                );
                self.open_form(form);
            }
            Action::Comment | Action::WorkNote => {
                let internal = action == Action::WorkNote;
                let targets = ids(&targets);
                let title = format!(
                    "{} on {}",
                    if internal { "work note" } else { "comment" },
                    ids_text(&targets)
                );
                let form = Form::new(
                    title,
                    vec![Field::text("text", None, true)],
                    Purpose::Comment { targets, internal },
                );
                self.open_form(form);
            }
            Action::Reply => {
                let form = Form::new(
                    format!("reply on {first} (mailed to its requester and watchers)"),
                    vec![Field::text("text", None, true)],
                    Purpose::Reply { id: first },
                );
                self.open_form(form);
            }
            Action::Edit => self.edit_form(first)?,
            Action::Link => {
                let cis: Vec<String> = self.desk.cmdb_graph()?.cis.into_iter().map(|c| c.name).collect();
                let form = Form::new(
                    format!("link {first} to"),
                    vec![
                        Field::suggesting("cis", None, cis, true),
                        Field::text("tickets", None, false),
                    ],
                    Purpose::Link { id: first },
                );
                self.open_form(form);
            }
            Action::Unlink => self.pick_unlink(first)?,
            _ => {}
        }
        Ok(())
    }

    pub(super) fn ask(&mut self, title: &str, text: String, ask: Ask) {
        self.mode = Mode::Confirm(Question {
            title: title.to_string(),
            text,
            ask,
        });
    }

    /// The moves open on every target (by name), each with what it will ask. Moves depend
    /// on a ticket's kind and state (and on who took part in it, which the write checks for
    /// each): one ticket of each kind and state answers for the others, so marking a whole
    /// queue stays quick.
    fn common_offers(&mut self, targets: &[Seen]) -> Result<Vec<Offer>, DeskError> {
        let ids: Vec<TicketId> = targets.iter().map(|t| t.0).collect();
        let mut seen = std::collections::BTreeSet::new();
        let mut offers: Option<Vec<Offer>> = None;
        for t in self.desk.tickets_now(&ids)? {
            if !seen.insert((t.kind.name(), t.state.clone())) {
                continue;
            }
            let these = self.desk.offers(t.id)?;
            offers = Some(match offers {
                None => these,
                Some(so_far) => so_far
                    .into_iter()
                    .filter(|o| these.iter().any(|t| t.name == o.name))
                    .collect(),
            });
        }
        Ok(offers.unwrap_or_default())
    }

    fn pick_transition(&mut self, targets: Vec<Seen>) -> Result<(), DeskError> {
        let offers = self.common_offers(&targets)?;
        if offers.is_empty() {
            let what = if targets.len() > 1 {
                format!("no move is open on all of {}", ids_text(&ids(&targets)))
            } else {
                format!(
                    "{}: nothing may be moved from here by you (comments only)",
                    targets[0].0
                )
            };
            self.complain(what);
            return Ok(());
        }
        let entries = offers
            .iter()
            .map(|o| Entry {
                label: format!("{:<20} → {}", o.name, o.to),
                detail: if o.prompts.is_empty() {
                    String::new()
                } else {
                    let needs: Vec<&str> = o.prompts.iter().map(|p| p.field.as_str()).collect();
                    format!("needs {}", needs.join(", "))
                },
            })
            .collect();
        self.mode = Mode::Pick(Picker {
            title: format!("move {}", count_text(&targets)),
            entries,
            index: 0,
            purpose: PickFor::Move { offers, targets },
        });
        Ok(())
    }

    fn offer_named(&mut self, name: &str, targets: Vec<Seen>) -> Result<(), DeskError> {
        match self.common_offers(&targets)?.into_iter().find(|o| o.name == name) {
            Some(offer) => self.start_move(offer, targets),
            None => {
                let key = self
                    .keymap
                    .key_name(self.layer(), Action::Transition)
                    .unwrap_or_default();
                self.complain(format!(
                    "`{name}` is not open on {} from where {} stand; {key} lists the moves open to you",
                    ids_text(&ids(&targets)),
                    if targets.len() > 1 { "they" } else { "it" }
                ));
                Ok(())
            }
        }
    }

    /// A move with nothing to ask is taken at once, or after a question when it ends a
    /// ticket or touches several; otherwise its form opens.
    pub fn start_move(&mut self, offer: Offer, targets: Vec<Seen>) -> Result<(), DeskError> {
        if offer.prompts.is_empty() {
            if targets.len() > 1 || ENDING.contains(&offer.name.as_str()) {
                let text = format!("{} {} → {}?", offer.name, count_text(&targets), offer.to);
                self.ask(&offer.name.clone(), text, Ask::Move { offer, targets });
                return Ok(());
            }
            return self.take_move(&offer, &targets);
        }
        let fields = offer
            .prompts
            .iter()
            .map(|p| match &p.choices {
                Some(c) => Field::choice(&p.field, c.clone(), p.initial.as_deref()),
                None => Field::text(&p.field, p.initial.clone(), p.long),
            })
            .collect();
        let title = format!("{} {} → {}", offer.name, ids_text(&ids(&targets)), offer.to);
        let form = Form::new(
            title,
            fields,
            Purpose::Transition {
                name: offer.name,
                targets,
            },
        );
        self.open_form(form);
        Ok(())
    }

    fn pick_unlink(&mut self, id: TicketId) -> Result<(), DeskError> {
        let view = self.desk.ticket(id)?;
        let mut links = Vec::new();
        let mut entries = Vec::new();
        for ci in &view.cis {
            links.push(format!("ci:{}", ci.name));
            entries.push(Entry {
                label: format!("CI {}", ci.name),
                detail: ci.class.clone(),
            });
        }
        for l in &view.links {
            links.push(l.id.to_string());
            entries.push(Entry {
                label: format!("{} {}", l.id, l.relation.replace('_', " ")),
                detail: crate::text::clip(&l.title, 30),
            });
        }
        if entries.is_empty() {
            self.complain(format!("{id} has no CI or ticket linked"));
            return Ok(());
        }
        self.mode = Mode::Pick(Picker {
            title: format!("unlink from {id}"),
            entries,
            index: 0,
            purpose: PickFor::Unlink { id, links },
        });
        Ok(())
    }

    fn edit_form(&mut self, id: TicketId) -> Result<(), DeskError> {
        let view = self.desk.ticket(id)?;
        let t = &view.ticket;
        let mut fields = vec![
            Field::text("title", Some(t.title.clone()), false),
            Field::choice("impact", levels(), Some(&t.impact.to_string())),
            Field::choice("urgency", levels(), Some(&t.urgency.to_string())),
            Field::text("category", t.get("category"), false),
            Field::text("team", t.get("team"), false),
        ];
        if id.kind == Kind::Change {
            for f in ["implementation_plan", "backout_plan", "planned_start", "planned_end"] {
                fields.push(Field::text(f, t.get(f), f.ends_with("plan")));
            }
        }
        if id.kind == Kind::Problem {
            fields.push(Field::text("root_cause", t.get("root_cause"), true));
            fields.push(Field::text("workaround", t.get("workaround"), true));
        }
        fields.push(Field::text("description", Some(t.description.clone()), true));
        let purpose = Purpose::Edit { id, version: t.version };
        self.open_form(Form::new(format!("edit {id}"), fields, purpose));
        Ok(())
    }

    /// The new-ticket form: everything a ticket of any kind starts with, the CIs suggested
    /// from the CMDB and the requester from the operators.
    pub(super) fn new_ticket_form(&mut self) -> Result<(), DeskError> {
        let kinds: Vec<String> = Kind::ALL.iter().map(|k| k.name().to_string()).collect();
        let cis: Vec<String> = self.desk.cmdb_graph()?.cis.into_iter().map(|c| c.name).collect();
        let ops: Vec<String> = self.desk.operators()?.into_iter().map(|o| o.name).collect();
        let form = Form::new(
            "new ticket",
            vec![
                Field::choice("kind", kinds, Some("incident")),
                Field::text("title", None, false),
                Field::choice("impact", levels(), Some("3")),
                Field::choice("urgency", levels(), Some("3")),
                Field::suggesting("cis", None, cis, true),
                Field::choice(
                    "change_type",
                    vec!["normal".into(), "standard".into(), "emergency".into()],
                    Some("normal"),
                ),
                Field::suggesting("requester", None, ops, false),
                Field::text("category", None, false),
                Field::text("team", None, false),
                Field::text("description", None, true),
            ],
            Purpose::NewTicket,
        );
        self.open_form(form);
        Ok(())
    }
}

/// Impact and urgency, high to low, in every form alike.
fn levels() -> Vec<String> {
    vec!["1".to_string(), "2".to_string(), "3".to_string()]
}

pub(super) fn ids(targets: &[Seen]) -> Vec<TicketId> {
    targets.iter().map(|t| t.0).collect()
}

/// `INC-4` or `3 tickets (INC-4, INC-7 and 1 more)`.
pub(super) fn count_text(targets: &[Seen]) -> String {
    match targets.len() {
        1 => targets[0].0.to_string(),
        n => format!("{n} tickets ({})", ids_text(&ids(targets))),
    }
}
