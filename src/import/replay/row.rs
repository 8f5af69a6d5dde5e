//! One row of a record, applied to its ticket whole or not at all.

use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, Offset, Utc};

use super::{Cause, Entry, People, Refusal, Replayer, Row};
use crate::domain::kpi::Milestones;
use crate::domain::lifecycle::Lifecycle;
use crate::domain::operator::Actor;
use crate::domain::rules::{self, Context, Draft};
use crate::domain::ticket::{FieldType, Ticket, field_spec};

impl Replayer<'_> {
    /// Applies one row. On `Err` nothing of this row is kept.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn row(
        &self,
        row: &Row,
        final_resolution: bool,
        lifecycle: &Lifecycle,
        ticket: &mut Option<Ticket>,
        milestones: &mut Milestones,
        linked: &mut Vec<String>,
        clock: &mut Option<DateTime<Utc>>,
        people: &mut People,
        entries: &mut Vec<Entry>,
    ) -> Result<(), Refusal> {
        let m = self.mapping;
        // Every value first: a row with one value that cannot be mapped is not taken at all.
        let mut values: HashMap<&str, Option<String>> = HashMap::new();
        let state_first = m
            .fields
            .get_key_value("state")
            .into_iter()
            .chain(m.fields.iter().filter(|(n, _)| *n != "state"));
        for (name, v) in state_first {
            let mut value = v.get(&row.cells)?;
            // Times are values: read at the edge (the cell's offset, else the mapping's
            // zone) and kept as the desk keeps them, so a row that says the same instant in
            // another form is the same, not an edit.
            if let (Some(text), Some(spec)) = (&value, field_spec(name))
                && spec.ty == FieldType::Time
            {
                let t = self
                    .mapping
                    .time(text)
                    .map_err(|e| Refusal::new(Cause::Time, self.time_error(name, text, e)))?;
                value = Some(rules::format_time(t));
            }
            values.insert(name.as_str(), value);
        }
        // A planned window that ends as it starts is as long as the mapping says, if it says.
        if let (Some(span), Some(Some(start)), Some(Some(end))) =
            (m.zero_window, values.get("planned_start"), values.get("planned_end"))
            && start == end
            && let Ok(t) = chrono::DateTime::parse_from_rfc3339(start)
        {
            let end = rules::format_time(t.with_timezone(&Utc) + span);
            values.insert("planned_end", Some(end));
        }
        let actor_name = match &m.actor {
            Some(v) => v.get(&row.cells)?,
            None => None,
        };
        let row_time = self.cell_time(row, m.at)?;
        if m.at.is_some() && row_time.is_none() {
            return Err(Refusal::new(
                Cause::Time,
                format!("{} is missing: the row has no time", m.columns[m.at.unwrap_or(0)]),
            ));
        }
        let actor = match &actor_name {
            Some(n) => people.ensure(n, m.create_people)?,
            None => Rc::clone(&self.importer),
        };
        if let Some(Some(a)) = values.get("assignee") {
            people.ensure(a, m.create_people)?;
        }
        let opened_at = self.cell_time(row, m.created)?;
        let at = row_time.or(opened_at).unwrap_or(self.now);
        let at = clock.map_or(at, |c| c.max(at));
        let mut staged: Vec<Entry> = Vec::new();
        let mut t = match ticket.take() {
            Some(t) => t,
            None => {
                let created_at = opened_at.unwrap_or(at);
                let opener = match &m.opener {
                    Some(v) => match v.get(&row.cells)? {
                        Some(n) => people.ensure(&n, m.create_people)?,
                        None => actor.clone(),
                    },
                    None => actor.clone(),
                };
                let t = self.create(&values, &opener, created_at, people)?;
                staged.push(Entry::Created {
                    at: created_at,
                    actor: opener.name.clone(),
                    snapshot: crate::store::tickets::snapshot_of(&t),
                });
                staged.push(Entry::Imported {
                    at: created_at,
                    actor: self.importer.name.clone(),
                });
                t
            }
        };
        let before = t.clone();
        let linked_before = linked.clone();
        let outcome = self.changes(
            row,
            &values,
            &actor,
            at,
            final_resolution,
            lifecycle,
            &mut t,
            linked,
            people,
        );
        match outcome {
            Ok(mut moves) => {
                for e in &moves {
                    if let Entry::Moved {
                        at,
                        transition,
                        changes,
                        ..
                    } = e
                    {
                        milestones.observe_move(lifecycle, t.kind, *at, transition.as_ref(), changes);
                    }
                }
                staged.append(&mut moves);
                *clock = Some(clock.map_or(at, |c| c.max(at)).max(t.updated_at));
                entries.append(&mut staged);
                *ticket = Some(t);
                Ok(())
            }
            Err(e) => {
                // Nothing of this row is kept, not even the ticket it would have created: a
                // later row of the same key may create it.
                *linked = linked_before;
                if staged.is_empty() {
                    *ticket = Some(before);
                }
                Err(e)
            }
        }
    }

    pub(super) fn ctx<'a>(&self, actor: &'a Actor, now: DateTime<Utc>, people: &'a People, cis: usize) -> Context<'a> {
        Context {
            actor,
            now,
            operators: &people.names,
            linked_cis: cis,
            local_offset: Utc.fix(),
            frozen_by: &[],
            // History taken from another tool: the requester rule holds, but who raised and
            // submitted it there is not known here.
            parties: &crate::domain::lifecycle::NO_PARTIES,
        }
    }

    fn create(
        &self,
        values: &HashMap<&str, Option<String>>,
        opener: &Actor,
        at: DateTime<Utc>,
        people: &People,
    ) -> Result<Ticket, Refusal> {
        let get = |f: &str| values.get(f).cloned().flatten();
        let level = |f: &str| get(f).and_then(|v| v.trim().parse::<u8>().ok());
        let mut fields = Vec::new();
        for name in values.keys() {
            let Some(spec) = field_spec(name) else { continue };
            if spec.editable
                && !matches!(*name, "title" | "description" | "impact" | "urgency" | "requester")
                && let Some(v) = get(name)
            {
                fields.push((name.to_string(), v));
            }
        }
        fields.sort();
        let draft = Draft {
            title: get("title").unwrap_or_default(),
            description: get("description").unwrap_or_default(),
            impact: level("impact"),
            urgency: level("urgency"),
            requester: get("requester"),
            // Standard, normal or emergency, when the source says (a column or a value).
            change_type: match get("change_type") {
                Some(v) => Some(
                    v.trim()
                        .parse::<crate::domain::ChangeType>()
                        .map_err(|e| Refusal::new(Cause::Unmapped, format!("change_type: {e}")))?,
                ),
                None => None,
            },
            fields,
        };
        let ctx = self.ctx(opener, at, people, 0);
        rules::create(self.mapping.kind, draft, self.lifecycles, self.matrix, &ctx).map_err(Refusal::rule)
    }
}
