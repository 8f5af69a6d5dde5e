//! What one row asks of its ticket: edits, CI links, the moves to its state, the assignee.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Cause, Entry, People, Refusal, Replayer, Row};
use crate::domain::lifecycle::{Lifecycle, Transition};
use crate::domain::operator::Actor;
use crate::domain::rules::{self, Outcome};
use crate::domain::ticket::{FieldType, NOTE, Ticket, field_spec};
use crate::import::mapping::History;

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
    ) -> Result<Vec<Entry>, Refusal> {
        let m = self.mapping;
        let get = |f: &str| values.get(f).cloned().flatten();
        let mut out = Vec::new();
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
            let o = rules::edit(self.lifecycles, self.matrix, t, &edits, None, &ctx).map_err(Refusal::rule)?;
            push(actor, t, o, &mut out);
        }
        if let Some(p) = get("priority").filter(|p| p.trim() != t.priority.to_string()) {
            let inputs = [("priority".to_string(), p)];
            let o = rules::edit(self.lifecycles, self.matrix, t, &inputs, Some(PRIORITY_NOTE), &ctx)
                .map_err(Refusal::rule)?;
            push(actor, t, o, &mut out);
        }
        // 2. Configuration items and their relations, before the moves: a change is submitted
        // only with one.
        let ci = match &m.cis {
            Some(v) => v.get(&row.cells)?,
            None => None,
        };
        // The class matters only to a row that names a CI.
        let class = if ci.is_some() || !m.relations.is_empty() {
            check_class(&m.ci_class.get(&row.cells)?.unwrap_or_else(|| "application".into()))?
        } else {
            String::new()
        };
        if let Some(ci) = &ci {
            check_ci_name(ci)?;
            if !linked.iter().any(|c| c.eq_ignore_ascii_case(ci)) {
                linked.push(ci.clone());
                out.push(Entry::CiLink {
                    at: at.max(t.updated_at),
                    actor: actor.name.clone(),
                    ci: ci.clone(),
                    class: class.clone(),
                });
            }
        }
        for r in &m.relations {
            let from = match &r.from {
                Some(v) => v.get(&row.cells)?.map(|n| (n, class.clone())),
                None => ci.clone().map(|n| (n, class.clone())),
            };
            let to_class = match &r.class {
                Some(v) => check_class(&v.get(&row.cells)?.unwrap_or_else(|| class.clone()))?,
                None => class.clone(),
            };
            if let (Some(from), Some(to)) = (from, r.to.get(&row.cells)?)
                && !from.0.eq_ignore_ascii_case(&to)
            {
                check_ci_name(&from.0)?;
                check_ci_name(&to)?;
                out.push(Entry::Relate {
                    at: at.max(t.updated_at),
                    from,
                    relation: r.relation,
                    to: (to, to_class),
                });
            }
        }
        // 3. The state, through the moves that lead there (or as the source recorded it).
        if let Some(target) = get("state").filter(|s| *s != t.state) {
            let mut moved = t.clone();
            let mut moves = Vec::new();
            let by_rules = self.moves_to(
                row,
                &get,
                &target,
                actor,
                at,
                final_resolution,
                lifecycle,
                &mut moved,
                linked,
                people,
                &mut moves,
            );
            match by_rules {
                Ok(()) => {
                    *t = moved;
                    out.append(&mut moves);
                }
                Err(refused) if m.history == History::AsRecorded => {
                    let when = self
                        .when(row, None, &target, final_resolution, lifecycle, at)?
                        .max(t.updated_at);
                    let note = format!("as {} recorded it ({})", m.source, refused.reason);
                    // The fields the moves on the way there set (a close code, the actual
                    // window), as the row gives them.
                    let route = lifecycle.route(&target, t.change_type()).unwrap_or_default();
                    let on_the_way = |name: &str| {
                        route.iter().any(|tr| {
                            tr.requires.iter().any(|f| f == name)
                                || tr.set.contains_key(name)
                                || tr.fill.contains_key(name)
                                || tr.defaults.contains_key(name)
                        })
                    };
                    let mut set: Vec<(String, String)> = values
                        .iter()
                        .filter(|(name, _)| field_spec(name).is_some_and(|f| !f.editable) && on_the_way(name))
                        .filter_map(|(name, v)| Some((name.to_string(), v.clone()?)))
                        .filter(|(name, v)| t.fields.get(name) != Some(v))
                        .collect();
                    set.sort();
                    let o = rules::as_recorded(lifecycle, t, &target, &set, &note, when).map_err(Refusal::rule)?;
                    push(actor, t, o, &mut out);
                }
                Err(refused) => return Err(refused),
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
                let o = rules::assign(self.lifecycles, t, Some(&a), None, &ctx).map_err(Refusal::rule)?;
                push(actor, t, o, &mut out);
            }
        }
        Ok(out)
    }

    /// When a move into `to` (by the transition `name`, if known) happened: the mapping's
    /// column for that move, else the resolution or closing stamp for a move into a resolved
    /// or final state, else the row's time.
    fn when(
        &self,
        row: &Row,
        name: Option<&str>,
        to: &str,
        final_resolution: bool,
        lifecycle: &Lifecycle,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, Refusal> {
        let m = self.mapping;
        if let Some(slot) = name.and_then(|n| m.move_times.get(n))
            && let Some(t) = self.cell_time(row, Some(*slot))?
        {
            return Ok(t);
        }
        Ok(if lifecycle.is_resolved(to) && final_resolution {
            at.max(self.cell_time(row, m.resolved)?.unwrap_or(at))
        } else if lifecycle.is_final(to) {
            at.max(self.cell_time(row, m.closed)?.unwrap_or(at))
        } else {
            at
        })
    }

    /// The lifecycle's moves from `t`'s state to `target`, each with what it needs, onto `t`.
    #[allow(clippy::too_many_arguments)]
    fn moves_to(
        &self,
        row: &Row,
        get: &dyn Fn(&str) -> Option<String>,
        target: &str,
        actor: &Actor,
        at: DateTime<Utc>,
        final_resolution: bool,
        lifecycle: &Lifecycle,
        t: &mut Ticket,
        linked: &[String],
        people: &People,
        out: &mut Vec<Entry>,
    ) -> Result<(), Refusal> {
        let m = self.mapping;
        let path = path(lifecycle, t, actor, target).ok_or_else(|| {
            Refusal::new(
                Cause::NoMove,
                format!(
                    "no move of the {} lifecycle leads from `{}` to `{target}`",
                    m.kind, t.state
                ),
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
                    Some(n) => n.get(&row.cells)?,
                    None => Some(format!("imported from {}", m.source)),
                }
            } else {
                None
            };
            let mut when = self.when(row, Some(&tr.name), &tr.to, final_resolution, lifecycle, at)?;
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
                .map_err(Refusal::rule)?;
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
            push(actor, t, o, out);
        }
        Ok(())
    }
}

/// Takes an outcome onto the ticket, and into the timeline if it moved or changed anything.
fn push(actor: &Actor, t: &mut Ticket, o: Outcome, out: &mut Vec<Entry>) {
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
}

fn check_class(class: &str) -> Result<String, Refusal> {
    crate::domain::cmdb::check_class(class)
        .map(str::to_string)
        .map_err(|m| Refusal::new(Cause::Ci, m))
}

fn check_ci_name(name: &str) -> Result<(), Refusal> {
    crate::domain::cmdb::check_ci_name(name).map_err(|m| Refusal::new(Cause::Ci, m))
}

/// The shortest run of moves this actor may take from the ticket's state to `target`,
/// never passing through a final state on the way.
fn path<'l>(lifecycle: &'l Lifecycle, ticket: &Ticket, actor: &Actor, target: &str) -> Option<Vec<&'l Transition>> {
    let parties = &crate::domain::lifecycle::NO_PARTIES;
    lifecycle.shortest(&ticket.state, target, ticket.change_type(), |tr| {
        tr.permits(ticket, actor, parties)
    })
}
