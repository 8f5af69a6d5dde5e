//! Text for people. Everything that came from the desk passes through `text::inert`.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::desk::TicketView;
use crate::domain::priority::{label, level_label};
use crate::domain::{Outcome, Ticket};
use crate::present::{age, event_text, indent, or_none};
use crate::text::{clip, inert};

pub fn ticket_table(tickets: &[Ticket], now: DateTime<Utc>) -> String {
    if tickets.is_empty() {
        return "no tickets\n".into();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<10} {:<3} {:<17} {:<12} {:>4}  TITLE",
        "ID", "PRI", "STATE", "ASSIGNEE", "AGE"
    );
    for t in tickets {
        let _ = writeln!(
            out,
            "{:<10} P{:<2} {:<17} {:<12} {:>4}  {}",
            t.id.to_string(),
            t.priority,
            clip(&t.state, 17),
            clip(t.assignee.as_deref().unwrap_or("-"), 12),
            age(t.created_at, now),
            clip(&t.title, 70)
        );
    }
    out
}

pub fn ticket_detail(v: &TicketView, now: DateTime<Utc>) -> String {
    let t = &v.ticket;
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", t.id, inert(&t.title, false));
    let _ = writeln!(
        out,
        "  {} · {} · P{} {} (impact {} {} × urgency {} {})",
        t.kind,
        inert(&t.state, false),
        t.priority,
        label(t.priority),
        t.impact,
        level_label(t.impact),
        t.urgency,
        level_label(t.urgency)
    );
    let _ = writeln!(
        out,
        "  requester {} · assignee {}",
        inert(&t.requester, false),
        inert(t.assignee.as_deref().unwrap_or("-"), false)
    );
    let _ = writeln!(
        out,
        "  created {} ({}) · updated {} · version {}",
        super::local_time(t.created_at),
        match age(t.created_at, now).as_str() {
            "now" => "just now".to_string(),
            a => format!("{a} ago"),
        },
        super::local_time(t.updated_at),
        t.version
    );
    for (name, clock) in [("time to own", &v.sla.own), ("time to resolve", &v.sla.resolve)] {
        if let Some(c) = clock {
            let _ = writeln!(
                out,
                "  {name}: {}",
                crate::present::clock_text(c, now, super::local_zone()).0
            );
        }
    }
    for (name, v) in crate::present::extra_fields(t) {
        {
            let v = inert(v, true);
            if v.contains('\n') {
                let _ = writeln!(out, "  {}:\n{}", name, indent(&v, "    "));
            } else {
                let _ = writeln!(out, "  {}: {v}", name);
            }
        }
    }
    if !t.description.is_empty() {
        let _ = writeln!(out, "\n{}", indent(&inert(&t.description, true), "  "));
    }
    if !v.cis.is_empty() {
        let cis: Vec<String> = v
            .cis
            .iter()
            .map(|c| format!("{} ({})", inert(&c.name, false), c.class))
            .collect();
        // Wrapped to the terminal's usual width; a change on a thousand CIs lists the first
        // hundred (`--json` has them all).
        const SHOWN: usize = 100;
        let more = cis.len().saturating_sub(SHOWN);
        let mut list = cis.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ");
        if more > 0 {
            list.push_str(&format!(" and {more} more (--json lists them all)"));
        }
        let _ = writeln!(out, "\nCIs ({}):", v.cis.len());
        let _ = writeln!(out, "{}", crate::present::wrap(&list, 78, "  "));
        if !v.impacted_services.is_empty() {
            let s: Vec<String> = v.impacted_services.iter().map(|s| inert(s, false)).collect();
            let _ = writeln!(out, "Business services impacted: {}", s.join(", "));
        }
    }
    if !v.alerts.is_empty() {
        let _ = writeln!(out, "\nAlerts:");
        for a in &v.alerts {
            let _ = writeln!(
                out,
                "  {}",
                inert(&crate::desk::alert_line(a, now, super::local_zone()), false)
            );
        }
    }
    if !v.watchers.is_empty() {
        let w: Vec<String> = v.watchers.iter().map(|w| inert(w, false)).collect();
        let _ = writeln!(out, "\nWatchers: {}", w.join(", "));
    }
    if !v.links.is_empty() {
        let _ = writeln!(out, "\nLinks:");
        for l in &v.links {
            let _ = writeln!(out, "  {} {} [{}] {}", l.relation, l.id, l.state, clip(&l.title, 60));
        }
    }
    let _ = writeln!(
        out,
        "\nNext: {}",
        if v.allowed.is_empty() {
            "nothing (comments only)".to_string()
        } else {
            v.allowed.join(", ")
        }
    );
    let _ = writeln!(out, "\nTimeline:");
    for e in &v.timeline {
        let _ = writeln!(
            out,
            "  {} {:<12} {}",
            super::local_time(e.at),
            clip(&crate::present::actor_text(e), 28),
            event_text(e)
        );
    }
    out
}

pub fn outcome(out: &Outcome) -> String {
    let id = out.ticket.id;
    let mut s = String::new();
    match &out.transition {
        Some((name, from, to)) => {
            let _ = writeln!(s, "{id}: {name}: {from} → {to}");
        }
        None if out.changes.is_empty() => {
            let _ = writeln!(s, "{id}: nothing to change");
        }
        None => {
            let _ = writeln!(s, "{id}: updated");
        }
    }
    for c in &out.changes {
        let _ = writeln!(s, "  {}: {} → {}", c.field, or_none(&c.old), or_none(&c.new));
    }
    s
}

pub fn outcome_json(out: &Outcome) -> serde_json::Value {
    serde_json::json!({
        "id": out.ticket.id,
        "transition": out.transition.as_ref().map(|(n, from, to)| serde_json::json!({"name": n, "from": from, "to": to})),
        "changes": out.changes,
        "note": out.note,
        "ticket": out.ticket,
    })
}

/// Known errors and possible duplicates for an incident, if there are any.
pub fn suggestions(s: &crate::desk::Suggestions) -> String {
    let mut out = String::new();
    if !s.known_errors.is_empty() {
        let _ = writeln!(out, "\nKnown errors that may apply:");
        for k in &s.known_errors {
            let _ = writeln!(
                out,
                "  {} {} — workaround: {}",
                k.id,
                clip(&k.title, 50),
                clip(&k.workaround, 60)
            );
        }
    }
    if !s.similar.is_empty() {
        let _ = writeln!(out, "\nPossible duplicates (open incidents):");
        for t in &s.similar {
            let _ = writeln!(out, "  {} [{}] {}", t.id, t.state, clip(&t.title, 70));
        }
    }
    out
}
