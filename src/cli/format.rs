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

/// Prints a JSON array of the items `produce` hands over (until the sink it is given answers
/// false), each with a key, in the order of their keys: byte for byte what
/// [`super::Output::json`] prints for the sorted list, through the same sanitiser
/// (`text::json_safe`). Batches of items are turned into text on two threads, taking turns,
/// while `produce` reads on; the texts are then put in order and written. What was printed is
/// already on standard output: the `Output` returned is empty.
pub fn json_in_key_order<K: Ord + Send, T: serde::Serialize + Send>(
    produce: impl FnOnce(&mut dyn FnMut(K, T) -> bool) -> Result<(), super::Failure>,
) -> Result<super::Output, super::Failure> {
    use std::sync::mpsc::sync_channel;
    const BATCH: usize = 512;
    const FORMATTERS: usize = 2;
    let (send_text, texts) = sync_channel::<JsonBatch<K>>(2 * FORMATTERS);
    let (produced, printed) = std::thread::scope(|scope| {
        let to_formatters: Vec<_> = (0..FORMATTERS)
            .map(|_| {
                let (send_items, items) = sync_channel::<Vec<(K, T)>>(2);
                let send_text = send_text.clone();
                scope.spawn(move || {
                    for batch in items {
                        if send_text.send(JsonBatch::of(batch)).is_err() {
                            break;
                        }
                    }
                });
                send_items
            })
            .collect();
        drop(send_text);
        let printer = scope.spawn(move || {
            let batches: Vec<JsonBatch<K>> = texts.into_iter().collect();
            let mut order: Vec<(&K, &[u8])> = batches.iter().flat_map(JsonBatch::elements).collect();
            order.sort_by(|a, b| a.0.cmp(b.0));
            print_json_elements(order.into_iter().map(|(_, text)| text))
        });
        let mut batch = Vec::with_capacity(BATCH);
        let mut sent = 0;
        // Owns the formatters' channels: dropping it tells them (and so the printer) that
        // nothing more comes.
        let mut send = move |batch: Vec<(K, T)>| {
            let ok = to_formatters[sent % FORMATTERS].send(batch).is_ok();
            sent += 1;
            ok
        };
        let mut listening = true;
        let produced = produce(&mut |key, item| {
            batch.push((key, item));
            if batch.len() == BATCH {
                listening = send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
            listening
        });
        if listening && !batch.is_empty() {
            send(batch);
        }
        drop(send);
        (produced, printer.join())
    });
    produced?;
    match printed {
        Ok(Ok(())) => Ok(super::Output(String::new())),
        // A reader that stopped early (`| head`) wanted no more.
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(super::Output(String::new())),
        Ok(Err(e)) => Err(super::Failure::new(format!("cannot print: {e}"))),
        Err(_) => Err(super::Failure::new("cannot print: the printer stopped")),
    }
}

/// A batch of items as elements of a pretty JSON list, one after another in one buffer,
/// each with its key and where it lies.
struct JsonBatch<K> {
    text: Vec<u8>,
    spans: Vec<(K, std::ops::Range<usize>)>,
}

impl<K> JsonBatch<K> {
    fn of<T: serde::Serialize>(items: Vec<(K, T)>) -> Self {
        let mut text = Vec::with_capacity(items.len() * 640);
        let mut spans = Vec::with_capacity(items.len());
        for (key, item) in items {
            let start = text.len();
            // A list of one, pretty: "[\n  " + the element, indented as the elements of a
            // pretty list are + "\n]". Only the element is kept.
            let mut element = match serde_json::to_writer_pretty(&mut text, &[item]) {
                Ok(()) => (start + 4)..(text.len() - 2),
                // Tickets always serialise; were one not to, the list stays valid JSON.
                Err(e) => {
                    text.truncate(start);
                    text.extend_from_slice(serde_json::json!({ "error": e.to_string() }).to_string().as_bytes());
                    start..text.len()
                }
            };
            let json = std::str::from_utf8(&text[element.clone()]).unwrap_or_default();
            if !crate::text::json_is_safe(json) {
                // Text a terminal might obey: through the sanitiser, the slow way.
                let safe = crate::text::json_safe(json.to_string());
                text.truncate(start);
                text.extend_from_slice(safe.as_bytes());
                element = start..text.len();
            }
            spans.push((key, element));
        }
        JsonBatch { text, spans }
    }

    fn elements(&self) -> impl Iterator<Item = (&K, &[u8])> {
        self.spans.iter().map(|(key, span)| (key, &self.text[span.clone()]))
    }
}
/// Writes the elements on standard output as one pretty JSON list.
fn print_json_elements<'a>(elements: impl Iterator<Item = &'a [u8]>) -> std::io::Result<()> {
    use std::io::Write as _;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut first = true;
    out.write_all(b"[")?;
    for element in elements {
        out.write_all(if first { b"\n  " } else { b",\n  " })?;
        out.write_all(element)?;
        first = false;
    }
    out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
    out.flush()
}
