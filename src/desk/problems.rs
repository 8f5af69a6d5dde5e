//! Problem management: known errors, suggestions for an incident, resolving a problem's
//! incidents with it.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use serde::Serialize;

use super::{Desk, Result};
use crate::domain::{Kind, Ticket, TicketId};
use crate::store::tickets::{self as store_tickets, KnownError};

/// What the desk suggests when an incident is shown.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Suggestions {
    /// Known errors whose title, root cause or workaround match the incident.
    pub known_errors: Vec<KnownError>,
    /// Open incidents that read like this one: possible duplicates.
    pub similar: Vec<Ticket>,
}

/// Known errors ranked by a fuzzy match of `text` against title, root cause and workaround.
fn rank(errors: Vec<KnownError>, text: &str, limit: usize) -> Vec<KnownError> {
    if text.trim().is_empty() {
        return errors.into_iter().take(limit).collect();
    }
    let pattern = Pattern::parse(text, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize, KnownError)> = errors
        .into_iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let hay = format!(
                "{} {} {} {}",
                k.id,
                k.title,
                k.root_cause.as_deref().unwrap_or(""),
                k.workaround
            );
            pattern
                .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                .map(|s| (s, i, k))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(limit).map(|(_, _, k)| k).collect()
}

/// The words of a title worth searching for: long enough to mean something.
fn key_words(title: &str) -> Vec<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_lowercase)
        .collect()
}

impl Desk {
    /// Known errors, best match for `text` first (all, newest first, when it is empty).
    pub fn known_errors(&mut self, text: &str, limit: usize) -> Result<Vec<KnownError>> {
        let all = self
            .store
            .read(|tx| Ok::<_, super::DeskError>(store_tickets::known_errors(tx)?))?;
        Ok(rank(all, text, limit))
    }

    /// For an incident: known errors that match its words, and open incidents whose title
    /// shares them (full-text), as possible duplicates.
    pub fn suggestions(&mut self, id: TicketId) -> Result<Suggestions> {
        if id.kind != Kind::Incident {
            return Ok(Suggestions::default());
        }
        let view = self.ticket(id)?;
        let words = key_words(&view.ticket.title);
        if words.is_empty() {
            return Ok(Suggestions::default());
        }
        // Known errors whose text holds at least two of the title's key words (or the only
        // one), most words shared first. (A fuzzy pattern of the whole title would demand
        // every word, and a title always has words the known error does not.)
        let need = words.len().min(2);
        let mut known: Vec<(usize, KnownError)> = self
            .known_errors("", usize::MAX)?
            .into_iter()
            .filter_map(|k| {
                let hay =
                    format!("{} {} {}", k.title, k.root_cause.as_deref().unwrap_or(""), k.workaround).to_lowercase();
                let shared = words.iter().filter(|w| hay.contains(w.as_str())).count();
                (shared >= need).then_some((shared, k))
            })
            .collect();
        known.sort_by_key(|k| std::cmp::Reverse(k.0));
        let known: Vec<KnownError> = known.into_iter().take(3).map(|(_, k)| k).collect();
        let linked: Vec<TicketId> = view.links.iter().map(|l| l.id).collect();
        // Any of the words, ranked by BM25: the most alike first.
        let query = words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" OR ");
        let similar = self.read(|tx, policy, _| {
            let mut out = Vec::new();
            for (rowid, _) in crate::store::search::search(tx, &query, 40)? {
                if out.len() >= 5 {
                    break;
                }
                if let Some(s) = store_tickets::get_by_rowid(tx, rowid)?
                    && s.ticket.id != id
                    && s.ticket.kind == Kind::Incident
                    && !linked.contains(&s.ticket.id)
                    && policy.lifecycles.get(Kind::Incident).is_open(&s.ticket.state)
                {
                    let shared = key_words(&s.ticket.title).iter().filter(|w| words.contains(w)).count();
                    if shared >= need {
                        out.push(s.ticket);
                    }
                }
            }
            Ok::<_, super::DeskError>(out)
        })?;
        Ok(Suggestions {
            known_errors: known,
            similar,
        })
    }

    /// The open incidents a problem caused (linked to it).
    pub fn open_incidents_of(&mut self, problem: TicketId) -> Result<Vec<TicketId>> {
        self.store.read(|tx| {
            let stored = store_tickets::get(tx, problem)?.ok_or(super::DeskError::NoTicket(problem))?;
            Ok(store_tickets::open_incidents_of_problem(tx, stored.rowid)?)
        })
    }

    /// Resolves the open incidents of a resolved problem, each with its own move and event:
    /// resolution code `fixed`, and a note that names the problem.
    pub fn resolve_incidents_of(
        &mut self,
        problem: TicketId,
    ) -> Result<Vec<(TicketId, std::result::Result<(), String>)>> {
        let view = self.ticket(problem)?;
        let note = format!(
            "Resolved with {problem}: {}",
            view.ticket
                .get("resolution_note")
                .unwrap_or_else(|| view.ticket.title.clone())
        );
        let mut out = Vec::new();
        for id in self.open_incidents_of(problem)? {
            let fields = [
                ("resolution_code".to_string(), "fixed".to_string()),
                ("resolution_note".to_string(), note.clone()),
            ];
            let r = self
                .transition(id, "resolve", &fields, None, None)
                .map(|_| ())
                .map_err(|e| e.to_string());
            out.push((id, r));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::key_words;

    #[test]
    fn key_words_skip_short_ones() {
        assert_eq!(key_words("VPN drops on Wi-Fi, again"), vec!["drops", "again"]);
    }
}
