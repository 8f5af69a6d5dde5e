//! Words and numbers for people, shared by the CLI and the terminal desk. Everything that
//! came from the desk passes through `text::inert` here.

use chrono::{DateTime, FixedOffset, Utc};

use crate::domain::Ticket;
use crate::domain::sla::{Clock, Phase, Standing, countdown};
use crate::domain::ticket::FIELDS;
use crate::store::tickets::Event;
use crate::text::{clip, inert};

/// `3d`, `5h`, `12m`, `now`.
pub fn age(from: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - from).num_seconds().max(0);
    match secs {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3_600 => format!("{}h", s / 3_600),
        s if s >= 60 => format!("{}m", s / 60),
        _ => "now".into(),
    }
}

pub fn indent(s: &str, by: &str) -> String {
    s.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
}

pub fn or_none(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "∅".to_string(), |s| clip(s, 60))
}

/// `old → new` for a changed value; long or multi-line values show where they differ (the
/// same beginning is elided), so two texts that share their first words never look equal.
pub fn change_text(old: Option<&str>, new: Option<&str>) -> String {
    const ROOM: usize = 60;
    let (o, n) = (old.unwrap_or(""), new.unwrap_or(""));
    let short = |s: &str| s.chars().count() <= ROOM && !s.contains('\n');
    if old.is_none() || new.is_none() || (short(o) && short(n)) {
        return format!(
            "{} → {}",
            or_none(&old.map(str::to_string)),
            or_none(&new.map(str::to_string))
        );
    }
    let (oc, nc): (Vec<char>, Vec<char>) = (o.chars().collect(), n.chars().collect());
    let same = oc.iter().zip(&nc).take_while(|(a, b)| a == b).count();
    let from = same.saturating_sub(10);
    let piece = |c: &[char]| {
        let mut s: String = c
            .iter()
            .skip(from)
            .take(ROOM / 2)
            .collect::<String>()
            .replace('\n', "⏎");
        if from + ROOM / 2 < c.len() {
            s.push('…');
        }
        let s = inert(&s, false);
        if from > 0 { format!("…{s}") } else { s }
    };
    format!(
        "{} → {} ({} → {} characters)",
        piece(&oc),
        piece(&nc),
        oc.len(),
        nc.len()
    )
}

/// `text` in lines of at most `width` characters, broken at spaces, each after `lead`.
pub fn wrap(text: &str, width: usize, lead: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width.saturating_sub(lead.len()) {
            lines.push(format!("{lead}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(format!("{lead}{line}"));
    }
    lines.join("\n")
}

/// One line of a timeline, as a person reads it.
/// Who an event is by: `bob`, or `root as bob` when an admin acted for them.
pub fn actor_text(e: &Event) -> String {
    match &e.via {
        Some(via) => format!("{} as {}", inert(via, false), inert(&e.actor, false)),
        None => inert(&e.actor, false),
    }
}

pub fn event_text(e: &Event) -> String {
    let note = e
        .note
        .as_deref()
        .map(|n| format!(" — {}", clip(n, 80)))
        .unwrap_or_default();
    match e.kind.as_str() {
        "created" => format!("created in {}{note}", or_none(&e.new)),
        "transition" => format!("{}: {} → {}{note}", or_none(&e.field), or_none(&e.old), or_none(&e.new)),
        "field" => format!(
            "{}: {}{note}",
            or_none(&e.field),
            change_text(e.old.as_deref(), e.new.as_deref())
        ),
        "comment" | "work_note" => {
            let what = if e.kind == "comment" { "comment" } else { "work note" };
            let body = e.comment.as_deref().map(|b| inert(b, true)).unwrap_or_default();
            let mut lines = body.lines();
            let first = lines.next().unwrap_or("");
            let rest: Vec<&str> = lines.collect();
            if rest.is_empty() {
                format!("{what}: {first}")
            } else {
                format!("{what}: {first}\n{}", indent(&rest.join("\n"), &" ".repeat(33)))
            }
        }
        "link" => format!("linked: {} {}", or_none(&e.field), or_none(&e.new)),
        "ci_link" => format!("CI linked: {}", or_none(&e.new)),
        "mail" => format!(
            "mail ({}) to {} <{}>",
            e.note.as_deref().unwrap_or("mail"),
            or_none(&e.new),
            or_none(&e.field)
        ),
        "watch" => format!("watcher added: {}", or_none(&e.new)),
        "unwatch" => format!("watcher removed: {}", or_none(&e.old)),
        "unlink" => format!("unlinked: {}", or_none(&e.old)),
        "ci_unlink" => format!("CI unlinked: {}", or_none(&e.old)),
        "freeze_override" => format!("freeze window {} overridden{note}", or_none(&e.field)),
        "sla" => format!(
            "SLA {} {}{note}",
            clock_name(e.field.as_deref().unwrap_or("")),
            e.new.as_deref().unwrap_or("").replace('_', " ")
        ),
        "escalation_failed" => format!("escalation command failed{note}"),
        other => format!("{}{note}", clip(other, 20)),
    }
}

/// The fields beyond the ones every view shows at the top (title, description, impact,
/// urgency, priority, requester, assignee) that hold a value, in the order of `FIELDS`.
pub fn extra_fields(t: &Ticket) -> Vec<(&'static str, &str)> {
    const SHOWN_ABOVE: [&str; 7] = [
        "title",
        "description",
        "impact",
        "urgency",
        "priority",
        "requester",
        "assignee",
    ];
    FIELDS
        .iter()
        .filter(|f| !SHOWN_ABOVE.contains(&f.name))
        .filter_map(|f| t.fields.get(f.name).map(|v| (f.name, v.as_str())))
        .collect()
}

/// `time to own` for `tto`, `time to resolve` for `ttr`.
pub fn clock_name(short: &str) -> &str {
    match short {
        "tto" => "time to own",
        "ttr" => "time to resolve",
        other => other,
    }
}

/// `14:02` on the day of `now`, `Nov 21 14:02` on another, in `zone`.
pub fn short_time(t: DateTime<Utc>, now: DateTime<Utc>, zone: FixedOffset) -> String {
    let local = t.with_timezone(&zone);
    if local.date_naive() == now.with_timezone(&zone).date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%b %d %H:%M").to_string()
    }
}

/// How an SLA clock reads at `now` in a sentence, and where it stands (times in `zone`).
pub fn clock_text(c: &Clock, now: DateTime<Utc>, zone: FixedOffset) -> (String, Standing) {
    let standing = c.standing(now);
    let text = match c.phase {
        Phase::Running => {
            let left = countdown(c.left_at(now));
            let due = c
                .due_at
                .map(|d| format!(" (due {})", short_time(d, now, zone)))
                .unwrap_or_default();
            match standing {
                Standing::Breached => format!("breached {} ago{due}", left.trim_start_matches('-')),
                Standing::AtRisk => format!("at risk: {left} left{due}"),
                Standing::OnTrack => format!("{left} left{due}"),
            }
        }
        Phase::Paused if standing == Standing::Breached => "paused, breached".to_string(),
        Phase::Paused => format!("paused with {} left", countdown(c.left)),
        Phase::Stopped if c.met() == Some(true) => "met".to_string(),
        Phase::Stopped => "missed".to_string(),
    };
    (text, standing)
}

/// The same in at most ten cells, for a queue column.
pub fn clock_cell(c: &Clock, now: DateTime<Utc>) -> (String, Standing) {
    let standing = c.standing(now);
    let left = countdown(c.left_at(now));
    let text = match (c.phase, standing) {
        (Phase::Paused, _) => format!("hold {}", countdown(c.left).trim_start_matches('-')),
        (_, Standing::Breached) => format!("late {}", left.trim_start_matches('-')),
        (_, Standing::AtRisk) => format!("risk {left}"),
        _ => format!("{left} left"),
    };
    (text, standing)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_edit_shows_where_the_texts_differ() {
        let old = "The printer on floor 3 jams whenever someone prints A3 on tray 2, since Monday.";
        let new = "The printer on floor 3 jams whenever someone prints A4 on tray 2, since Monday.";
        let t = super::change_text(Some(old), Some(new));
        let (a, b) = t.split_once(" → ").expect("arrow");
        assert_ne!(a, b, "{t}");
        assert!(a.contains("A3") && b.contains("A4"), "{t}");
        assert_eq!(super::change_text(Some("3"), Some("1")), "3 → 1");
        assert_eq!(super::change_text(None, Some("x")), "∅ → x");
        let multi = super::change_text(Some("line one\nline two"), Some("line one\nline 2"));
        assert!(multi.contains('⏎'), "{multi}");
    }

    #[test]
    fn wrapping_keeps_lines_short() {
        let text = (0..200)
            .map(|i| format!("ci-{i} (server),"))
            .collect::<Vec<_>>()
            .join(" ");
        let w = super::wrap(&text, 78, "  ");
        assert!(w.lines().all(|l| l.chars().count() <= 78), "{w}");
        assert!(w.lines().count() > 10);
    }
}
