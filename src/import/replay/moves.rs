//! What one row asks of its ticket: edits, CI links, the moves to its state, the assignee.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};

use super::{Entry, People, Replayer, Row};
use crate::domain::lifecycle::{Lifecycle, Transition};
use crate::domain::operator::Actor;
use crate::domain::rules::{self, Outcome};
use crate::domain::ticket::{FieldType, NOTE, Ticket, field_spec};

const PRIORITY_NOTE: &str = "priority as the source gives it";

impl Replayer<'_> {
    /// The edits, moves, assignment and CI links one row asks for, decided on `t`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn changes(
        &self,
        row: &Row,
        values: &HashMap<&str, Option<String>>,
        actor: &Actor,
        at: DateTime<Utc>,
        final_resolution: bool,
        lifecycle: &Lifecycle,
        t: &mut Ticket,
        linked: &mut Vec<String>,
        people: &People,
    ) -> Result<Vec<Entry>, String> {
        let m = self.mapping;
        let get = |f: &str| values.get(f).cloned().flatten();
        let mut out = Vec::new();
        let push = |t: &mut Ticket, o: Outcome, out: &mut Vec<Entry>| {
            let Outcome {
                ticket,
                transition,
                changes,
                note,
                ..
            } = o;
            *t = ticket;
            if transition.is_some() || !changes.is_empty() {
                out.push(Entry::Moved {
                    actor: actor.name.clone(),
                    at: t.updated_at,
                    transition,
                    changes,
                    note,
                });
            }
        };
        let ctx = self.ctx(actor, at, people, linked.len());
        // 1. Fields a person edits.
        let mut edits: Vec<(String, String)> = Vec::new();
        let mut names: Vec<&&str> = values.keys().collect();
        names.sort();
        for name in names {
            let Some(spec) = field_spec(name) else { continue };
            if !spec.editable {
                continue;
            }
            if let Some(v) = get(name) {
                let same = match spec.ty {
                    FieldType::Level => t.get(name).as_deref() == Some(v.trim()),
                    _ => t.get(name).as_deref().unwrap_or("") == v.trim(),
                };
                if !same {
                    edits.push((name.to_string(), v));
                }
            }
        }
        if !edits.is_empty() {
            let o = rules::edit(self.lifecycles, self.matrix, t, &edits, None, &ctx).map_err(|e| e.to_string())?;
            push(t, o, &mut out);
        }
        if let Some(p) = get("priority").filter(|p| p.trim() != t.priority.to_string()) {
            let inputs = [("priority".to_string(), p)];
            let o = rules::edit(self.lifecycles, self.matrix, t, &inputs, Some(PRIORITY_NOTE), &ctx)
                .map_err(|e| e.to_string())?;
            push(t, o, &mut out);
        }
        // 2. Configuration items, before the moves: a change is submitted only with one.
        if let Some(v) = &m.cis
            && let Some(ci) = v.get(&row.cells).map_err(|e| e.to_string())?
            && !linked.iter().any(|c| c.eq_ignore_ascii_case(&ci))
        {
            crate::domain::cmdb::check_ci_name(&ci)?;
            linked.push(ci.clone());
            out.push(Entry::CiLink {
                at: at.max(t.updated_at),
                actor: actor.name.clone(),
                ci,
            });
        }
        // 3. The state, through the moves that lead there.
        if let Some(target) = get("state").filter(|s| *s != t.state) {
            let path = path(lifecycle, t, actor, &target).ok_or_else(|| {
                format!(
                    "no move of the {} lifecycle leads from `{}` to `{target}`",
                    m.kind, t.state
                )
            })?;
            for tr in path {
                let mut inputs = Vec::new();
                for f in &tr.requires {
                    if f == NOTE {
                        continue;
                    }
                    if let Some(v) = get(f) {
                        inputs.push((f.clone(), v));
                    }
                }
                let note = if tr.requires.iter().any(|f| f == NOTE) {
                    match &m.note {
                        Some(n) => n.get(&row.cells).map_err(|e| e.to_string())?,
                        None => Some(format!("imported from {}", m.source)),
                    }
                } else {
                    None
                };
                let mut when = at;
                if lifecycle.is_resolved(&tr.to) && final_resolution {
                    when = when.max(self.cell_time(row, m.resolved)?.unwrap_or(when));
                } else if lifecycle.is_final(&tr.to) {
                    when = when.max(self.cell_time(row, m.closed)?.unwrap_or(when));
                }
                // A move that stamps the actual window (implement, review) happened when the
                // source says the work started or ended, if the row says.
                for stamp in ["actual_start", "actual_end"] {
                    if matches!(tr.set.get(stamp), Some(crate::domain::lifecycle::Value::Now))
                        && let Some(v) = get(stamp)
                        && let Ok(t) = DateTime::parse_from_rfc3339(&v)
                    {
                        when = t.with_timezone(&Utc);
                    }
                }
                let when = when.max(t.updated_at);
                let ctx = self.ctx(actor, when, people, linked.len());
                let mut o = rules::apply_transition(self.lifecycles, t, &tr.name, &inputs, note.as_deref(), &ctx)
                    .map_err(|e| e.to_string())?;
                // The stamp is the source's even where the timeline could not place the move
                // that early (a ticket the source opened after its work began).
                for stamp in ["actual_start", "actual_end"] {
                    if matches!(tr.set.get(stamp), Some(crate::domain::lifecycle::Value::Now))
                        && let Some(v) = get(stamp)
                    {
                        o.ticket.fields.insert(stamp.to_string(), v.clone());
                        for c in o.changes.iter_mut().filter(|c| c.field == stamp) {
                            c.new = Some(v.clone());
                        }
                    }
                }
                push(t, o, &mut out);
            }
        }
        // 4. The assignee, where assigning does not move the ticket.
        if let Some(a) = get("assignee").filter(|a| !t.assignee.as_deref().is_some_and(|b| b.eq_ignore_ascii_case(a))) {
            let stays = match lifecycle.find(t, "assign") {
                Some(tr) => tr.to == t.state,
                None => !lifecycle.knows(t, "assign") && !lifecycle.is_final(&t.state),
            };
            if stays {
                let ctx = self.ctx(actor, at.max(t.updated_at), people, linked.len());
                let o = rules::assign(self.lifecycles, t, Some(&a), None, &ctx).map_err(|e| e.to_string())?;
                push(t, o, &mut out);
            }
        }
        Ok(out)
    }
}

/// The shortest run of moves this actor may take from the ticket's state to `target`,
/// never passing through a final state on the way.
fn path<'l>(lifecycle: &'l Lifecycle, ticket: &Ticket, actor: &Actor, target: &str) -> Option<Vec<&'l Transition>> {
    let mut came: HashMap<String, (String, &'l Transition)> = HashMap::new();
    let mut queue = VecDeque::from([ticket.state.clone()]);
    let mut probe = ticket.clone();
    while let Some(state) = queue.pop_front() {
        if state == target {
            let mut out = Vec::new();
            let mut at = state;
            while let Some((prev, tr)) = came.get(&at) {
                out.push(*tr);
                at = prev.clone();
            }
            out.reverse();
            return Some(out);
        }
        if lifecycle.is_final(&state) && state != ticket.state {
            continue;
        }
        probe.state = state.clone();
        for tr in lifecycle.allowed_transitions(&probe, actor, &crate::domain::lifecycle::NO_PARTIES) {
            if tr.to != ticket.state && !came.contains_key(&tr.to) {
                came.insert(tr.to.clone(), (state.clone(), tr));
                queue.push_back(tr.to.clone());
            }
        }
    }
    None
}
