//! `opsdesk audit verify`: what the chains and the replay found, in words.

use std::fmt::Write;

use super::{Failure, Output, local_time, print};
use crate::desk::{Audit, BrokenLink, Desk};

/// Why a chain breaks at `b`, in a sentence, with what before it still holds.
fn break_text(chain: &str, entry: &str, b: &BrokenLink, checked: u64) -> String {
    let what = match &b.ticket {
        Some(t) => format!("{t}, {} by {} at {}", b.kind, b.actor, local_time(b.at)),
        None => format!("{} by {} at {}", b.kind, b.actor, local_time(b.at)),
    };
    let intact = match checked.saturating_sub(1) {
        0 => format!("no {entry} before it is intact"),
        1 => format!("the {entry} before it is intact"),
        n => format!("the {n} {entry}s before it are intact"),
    };
    if b.flaw == "out_of_place" && b.event < b.expected {
        return format!(
            "{chain} is broken at {entry} #{} ({what}): opsdesk numbers {entry}s 1, 2, 3… as it appends them and \
             never gave #{} (it expected #{} here), so it was inserted outside opsdesk; {intact}",
            b.event, b.event, b.expected
        );
    }
    let gap = match b.event - b.after {
        ..=1 => String::new(),
        2 => format!(" ({entry} #{} is missing)", b.after + 1),
        _ => format!(" ({entry}s #{} to #{} are missing)", b.after + 1, b.event - 1),
    };
    format!(
        "{chain} is broken at {entry} #{} ({what}): it does not match its hash and the {entry} before it, so this \
         row or one before it was changed, removed or inserted outside opsdesk{gap}; {intact}",
        b.event
    )
}

/// Everything the replay found that the desk holds and its history does not say.
fn replay_text(a: &Audit) -> Option<String> {
    let mut out = String::new();
    if !a.differences.is_empty() {
        let _ = writeln!(
            out,
            "the desk holds what its chained history does not say ({} difference{}), so it was changed outside opsdesk:",
            a.difference_count,
            if a.difference_count == 1 { "" } else { "s" }
        );
        for d in &a.differences {
            let _ = writeln!(
                out,
                "  {} {}: `{}` in the desk, `{}` by its history",
                d.of, d.field, d.stored, d.history
            );
        }
    }
    if !a.without_timeline.is_empty() {
        let _ = writeln!(
            out,
            "tickets with no timeline at all (put in outside opsdesk): {}",
            a.without_timeline.join(", ")
        );
    }
    let ids = |v: &[i64]| v.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(", ");
    if !a.orphan_events.is_empty() {
        let _ = writeln!(out, "events of no ticket: {}", ids(&a.orphan_events));
    }
    if !a.orphan_comments.is_empty() {
        let _ = writeln!(
            out,
            "comments that no event records (put in outside opsdesk): {}",
            ids(&a.orphan_comments)
        );
    }
    (!out.is_empty()).then(|| out.trim_end().to_string())
}

pub fn run(desk: &mut Desk, expect: Option<&str>, json: bool) -> Result<Output, Failure> {
    let a = desk.audit(expect)?;
    if json {
        let out = Output::json(&a)?;
        if a.intact {
            return Ok(out);
        }
        print(&out);
    }
    let mut problems = Vec::new();
    if let Some(b) = &a.broken {
        problems.push(break_text("the timeline's chain", "event", b, a.events));
    }
    if let Some(b) = &a.trail.broken {
        problems.push(break_text(
            "the desk's trail (policy, operators, roles)",
            "entry",
            b,
            a.trail.events,
        ));
    }
    if let Some(t) = replay_text(&a) {
        problems.push(t);
    }
    if a.expected_found == Some(false) {
        problems.push(format!(
            "the chains hold ({} events, {} trail entries), but none has the hash {}: what came up to the one \
             noted then was removed or rewritten since",
            a.events,
            a.trail.events,
            expect.unwrap_or_default().trim()
        ));
    }
    if !problems.is_empty() {
        return Err(Failure::new(problems.join("\n")));
    }
    let mut out = match &a.head {
        Some(h) => format!(
            "timeline intact: {} events chained\nhead: event #{} {}\n",
            a.events, h.event, h.hash
        ),
        None => "timeline intact: no events yet\n".to_string(),
    };
    if let Some(h) = &a.trail.head {
        let _ = writeln!(
            out,
            "desk trail intact: {} entries chained\ndesk head: entry #{} {}",
            a.trail.events, h.event, h.hash
        );
    }
    let _ = writeln!(
        out,
        "{} ticket{} with {} timeline{}",
        a.tickets,
        if a.tickets == 1 { " agrees" } else { "s agree" },
        if a.tickets == 1 { "its" } else { "their" },
        if a.tickets == 1 { "" } else { "s" }
    );
    if a.expected_found == Some(true) {
        out.push_str("the expected head is in the chain\n");
    }
    Ok(Output(out))
}
