//! A long listing as JSON: byte for byte what [`super::Output::json`] prints for the sorted
//! list of tickets, through the same sanitiser (`text::json_safe`), written while the desk
//! is read.
//!
//! The thread reading the desk copies each row's text into a batch — one buffer per few
//! hundred tickets, not a string per field — and hands full batches to a formatter thread,
//! which writes each ticket as JSON into a buffer of its own (a second formatter was slower
//! on two cores); the printer puts the texts in key order and writes them. No ticket is
//! allocated field by field, and nothing one thread allocated ticket by ticket is freed by
//! another (glibc's arenas then fight over their locks: that was most of the time this took).

use std::ops::Range;
use std::sync::mpsc::sync_channel;

use chrono::{DateTime, Utc};

use super::{Failure, Output};
use crate::desk::ListKey;
use crate::domain::ticket::{Kind, TicketId};
use crate::domain::ticket_ref::{Optional, TicketRef};

/// Tickets per batch, and text per batch past which it is sent before it is full.
const BATCH: usize = 512;
const BATCH_TEXT: usize = 1 << 22;

/// Prints the tickets `produce` hands over (until the sink it is given answers false) as a
/// pretty JSON list in the order of their keys. What was printed is already on standard
/// output: the `Output` returned is empty.
pub fn tickets_in_key_order(
    produce: impl FnOnce(&mut dyn FnMut(ListKey, TicketRef<'_>) -> bool) -> Result<(), Failure>,
) -> Result<Output, Failure> {
    let (send_text, texts) = sync_channel::<JsonBatch>(2);
    let (send_rows, rows) = sync_channel::<Packed>(2);
    let (produced, printed) = std::thread::scope(|scope| {
        scope.spawn(move || {
            for batch in rows {
                if send_text.send(JsonBatch::of(&batch)).is_err() {
                    break;
                }
            }
        });
        let printer = scope.spawn(move || {
            let batches: Vec<JsonBatch> = texts.into_iter().collect();
            let mut order: Vec<(&ListKey, &[u8])> = batches.iter().flat_map(JsonBatch::elements).collect();
            order.sort_unstable_by(|a, b| a.0.cmp(b.0));
            print_json_elements(order.into_iter().map(|(_, text)| text))
        });
        let mut batch = Packed::default();
        let mut listening = true;
        let produced = produce(&mut |key, ticket| {
            batch.push(key, &ticket);
            if batch.rows.len() == BATCH || batch.text.len() >= BATCH_TEXT {
                listening = send_rows.send(std::mem::take(&mut batch)).is_ok();
            }
            listening
        });
        if listening && !batch.rows.is_empty() {
            let _ = send_rows.send(batch);
        }
        // Tells the formatter (and so the printer) that nothing more comes.
        drop(send_rows);
        (produced, printer.join())
    });
    produced?;
    match printed {
        Ok(Ok(())) => Ok(Output(String::new())),
        // A reader that stopped early (`| head`) wanted no more.
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Output(String::new())),
        Ok(Err(e)) => Err(Failure::new(format!("cannot print: {e}"))),
        Err(_) => Err(Failure::new("cannot print: the printer stopped")),
    }
}

/// Where a text lies in a batch's buffer; [`ABSENT`] for none.
type Span = (u32, u32);
const ABSENT: Span = (u32::MAX, u32::MAX);
/// State, title, description, requester, assignee, then the optional fields.
const TEXTS: usize = 5 + 17;

/// Tickets copied out of the rows read: their text in one buffer.
#[derive(Default)]
struct Packed {
    text: String,
    rows: Vec<PackedRow>,
}

struct PackedRow {
    key: ListKey,
    id: TicketId,
    kind: Kind,
    levels: [u8; 3],
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    texts: [Span; TEXTS],
}

impl Packed {
    fn push(&mut self, key: ListKey, t: &TicketRef<'_>) {
        let mut texts = [ABSENT; TEXTS];
        let values = [
            Some(t.state),
            Some(t.title),
            Some(t.description),
            Some(t.requester),
            t.assignee,
        ];
        for (span, value) in texts.iter_mut().zip(values.into_iter().chain(t.fields.0)) {
            if let Some(value) = value {
                let start = self.text.len();
                self.text.push_str(value);
                // A batch is sent once its text passes a few MiB, and SQLite keeps no text
                // past 1 GiB: the offsets fit.
                *span = (
                    u32::try_from(start).unwrap_or(u32::MAX),
                    u32::try_from(self.text.len()).unwrap_or(u32::MAX),
                );
            }
        }
        self.rows.push(PackedRow {
            key,
            id: t.id,
            kind: t.kind,
            levels: [t.impact, t.urgency, t.priority],
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
            texts,
        });
    }

    fn ticket(&self, row: &PackedRow) -> TicketRef<'_> {
        let text = |i: usize| -> Option<&str> {
            let (start, end) = row.texts[i];
            (row.texts[i] != ABSENT).then(|| self.text.get(start as usize..end as usize).unwrap_or_default())
        };
        let mut fields = Optional::default();
        for (i, slot) in fields.0.iter_mut().enumerate() {
            *slot = text(5 + i);
        }
        TicketRef {
            id: row.id,
            kind: row.kind,
            state: text(0).unwrap_or_default(),
            title: text(1).unwrap_or_default(),
            description: text(2).unwrap_or_default(),
            impact: row.levels[0],
            urgency: row.levels[1],
            priority: row.levels[2],
            requester: text(3).unwrap_or_default(),
            assignee: text(4),
            fields,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// A batch of tickets as elements of a pretty JSON list, one after another in one buffer,
/// each with its key and where it lies.
struct JsonBatch {
    text: Vec<u8>,
    spans: Vec<(ListKey, Range<usize>)>,
}

impl JsonBatch {
    fn of(batch: &Packed) -> Self {
        let mut text = Vec::with_capacity(batch.rows.len() * 520 + batch.text.len() * 5 / 4);
        let mut spans = Vec::with_capacity(batch.rows.len());
        for row in &batch.rows {
            let start = text.len();
            // A list of one, pretty: "[\n  " + the element, indented as the elements of a
            // pretty list are + "\n]". Only the element is kept.
            let mut element = match serde_json::to_writer_pretty(&mut text, &[batch.ticket(row)]) {
                Ok(()) => (start + 4)..(text.len() - 2),
                // Tickets always serialise; were one not to, the list stays valid JSON.
                Err(e) => {
                    text.truncate(start);
                    text.extend_from_slice(serde_json::json!({ "error": e.to_string() }).to_string().as_bytes());
                    start..text.len()
                }
            };
            if !crate::text::json_bytes_are_safe(&text[element.clone()]) {
                // Text a terminal might obey: through the sanitiser, the slow way.
                let safe = crate::text::json_safe(String::from_utf8_lossy(&text[element.clone()]).into_owned());
                text.truncate(start);
                text.extend_from_slice(safe.as_bytes());
                element = start..text.len();
            }
            spans.push((row.key, element));
        }
        JsonBatch { text, spans }
    }

    fn elements(&self) -> impl Iterator<Item = (&ListKey, &[u8])> {
        self.spans.iter().map(|(key, span)| (key, &self.text[span.clone()]))
    }
}

/// Writes the elements on standard output as one pretty JSON list, many at a time, each
/// from where it lies (no copy into a buffer first).
fn print_json_elements<'a>(elements: impl Iterator<Item = &'a [u8]>) -> std::io::Result<()> {
    use std::io::{IoSlice, Write as _};
    const AT_ONCE: usize = 512;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(AT_ONCE);
    let mut first = true;
    slices.push(IoSlice::new(b"["));
    for element in elements {
        slices.push(IoSlice::new(if first { b"\n  " } else { b",\n  " }));
        slices.push(IoSlice::new(element));
        first = false;
        if slices.len() >= AT_ONCE {
            write_all_vectored(&mut out, &mut slices)?;
        }
    }
    slices.push(IoSlice::new(if first { b"]\n" } else { b"\n]\n" }));
    write_all_vectored(&mut out, &mut slices)?;
    out.flush()
}

/// Writes every slice, however much each write takes, and empties the list.
fn write_all_vectored(out: &mut impl std::io::Write, slices: &mut Vec<std::io::IoSlice<'_>>) -> std::io::Result<()> {
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match out.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => std::io::IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    slices.clear();
    Ok(())
}
