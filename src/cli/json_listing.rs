//! A long listing as JSON: byte for byte what [`super::Output::json`] prints for the sorted
//! list of tickets, through the same sanitiser (`text::json_safe`), written while the desk
//! is read.
//!
//! Each thread reading the desk writes the tickets it reads as JSON straight from the rows
//! (no ticket is copied or allocated field by field) into batches, one buffer per few
//! hundred tickets; the printer puts the texts in key order and writes them in large writes.
//! Formatting on the reading threads, not on one of its own, was 8 % faster on two cores;
//! large writes instead of gathered writes of small pieces, a fifth faster into a pipe.

use std::ops::Range;
use std::sync::mpsc::sync_channel;

use super::{Failure, Output};
use crate::desk::ListKey;
use crate::domain::ticket_ref::TicketRef;

/// Tickets per batch, and text per batch past which it is sent before it is full.
const BATCH: usize = 512;
const BATCH_TEXT: usize = 1 << 22;

/// A sink for the tickets of a listing: answers false when no more are wanted.
pub type Sink<'s> = dyn FnMut(ListKey, TicketRef<'_>) -> bool + Send + 's;

/// Prints the tickets `produce` hands over to either of the two sinks it is given (each
/// until it answers false; one may be fed on another thread) as a pretty JSON list in the
/// order of their keys. What was printed is already on standard output: the `Output`
/// returned is empty.
pub fn tickets_in_key_order(
    produce: impl FnOnce(&mut Sink<'_>, &mut Sink<'_>) -> Result<(), Failure>,
) -> Result<Output, Failure> {
    let (send_text, texts) = sync_channel::<JsonBatch>(4);
    let (produced, printed) = std::thread::scope(|scope| {
        let printer = scope.spawn(move || {
            let batches: Vec<JsonBatch> = texts.into_iter().collect();
            let mut order: Vec<(&ListKey, &[u8])> = batches.iter().flat_map(JsonBatch::elements).collect();
            order.sort_unstable_by(|a, b| a.0.cmp(b.0));
            print_json_elements(order.into_iter().map(|(_, text)| text))
        });
        // Each sink fills batches of its own; the printer learns that nothing more comes
        // when both are dropped.
        let (mut one, mut two) = (Batcher::new(send_text.clone()), Batcher::new(send_text));
        let produced = produce(&mut |key, ticket| one.take(key, &ticket), &mut |key, ticket| {
            two.take(key, &ticket)
        });
        one.finish();
        two.finish();
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

/// Writes tickets into batches and sends each when it is full.
struct Batcher {
    batch: JsonBatch,
    send: std::sync::mpsc::SyncSender<JsonBatch>,
    listening: bool,
}

impl Batcher {
    fn new(send: std::sync::mpsc::SyncSender<JsonBatch>) -> Self {
        Batcher {
            batch: JsonBatch::new(),
            send,
            listening: true,
        }
    }

    fn take(&mut self, key: ListKey, ticket: &TicketRef<'_>) -> bool {
        self.batch.push(key, ticket);
        if self.batch.spans.len() == BATCH || self.batch.text.len() >= BATCH_TEXT {
            self.listening = self
                .send
                .send(std::mem::replace(&mut self.batch, JsonBatch::new()))
                .is_ok();
        }
        self.listening
    }

    fn finish(self) {
        if self.listening && !self.batch.spans.is_empty() {
            let _ = self.send.send(self.batch);
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
    fn new() -> Self {
        JsonBatch {
            text: Vec::with_capacity(BATCH * 640),
            spans: Vec::with_capacity(BATCH),
        }
    }

    fn push(&mut self, key: ListKey, ticket: &TicketRef<'_>) {
        let text = &mut self.text;
        let start = text.len();
        ticket.write_json(text);
        let mut element = start..text.len();
        if !crate::text::json_bytes_are_safe(&text[element.clone()]) {
            // Text a terminal might obey: through the sanitiser, the slow way.
            let safe = crate::text::json_safe(String::from_utf8_lossy(&text[element.clone()]).into_owned());
            text.truncate(start);
            text.extend_from_slice(safe.as_bytes());
            element = start..text.len();
        }
        self.spans.push((key, element));
    }

    fn elements(&self) -> impl Iterator<Item = (&ListKey, &[u8])> {
        self.spans.iter().map(|(key, span)| (key, &self.text[span.clone()]))
    }
}

/// Writes the elements on standard output as one pretty JSON list, gathered into large
/// writes straight to the descriptor (not through stdout's line buffer, which looks for
/// every newline).
fn print_json_elements<'a>(elements: impl Iterator<Item = &'a [u8]>) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::fd::AsFd as _;
    const AT_ONCE: usize = 1 << 18;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.flush()?;
    let mut file = std::fs::File::from(out.as_fd().try_clone_to_owned()?);
    let mut buf: Vec<u8> = Vec::with_capacity(AT_ONCE + (1 << 16));
    let mut first = true;
    buf.push(b'[');
    for element in elements {
        buf.extend_from_slice(if first { b"\n  " } else { b",\n  " });
        buf.extend_from_slice(element);
        first = false;
        if buf.len() >= AT_ONCE {
            file.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(if first { b"]\n" } else { b"\n]\n" });
    file.write_all(&buf)
}
