//! Writes off the UI thread. Every write the terminal desk makes (moves, comments, forms,
//! the SLA sweep, escalation notes) goes to one writer thread with its own connection, in
//! the order it was asked for; what to do with the answer stays here and runs on the UI
//! thread when the answer comes. A write that waits for another operator's lock (up to the
//! store's busy timeout) leaves the screen answering keys, with a spinner in the footer.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

use super::app::App;
use crate::desk::{Desk, DeskError};

type Answer = Result<Box<dyn Any + Send>, DeskError>;
type Job = Box<dyn FnOnce(&mut Desk) -> Answer + Send>;
type Then = Box<dyn FnOnce(&mut App, Answer)>;

/// A write sent and not yet answered.
struct Waiting {
    label: String,
    /// Work of the desk's own (the SLA sweep): shown only once it has waited a while.
    quiet: bool,
    since: Instant,
    then: Then,
}

pub(super) struct Writer {
    jobs: Sender<Job>,
    answers: Receiver<Answer>,
    waiting: VecDeque<Waiting>,
}

impl Writer {
    /// Starts the writer thread; it opens its connection on the first write.
    pub(super) fn start(desk: &Desk) -> Writer {
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let (reply, answers) = std::sync::mpsc::channel();
        let (path, who, config) = (desk.place().clone(), desk.who().clone(), desk.config().clone());
        std::thread::spawn(move || {
            let mut opened: Option<Desk> = None;
            for job in inbox {
                if opened.is_none() {
                    match Desk::reopen(&path, &who, config.clone()) {
                        Ok(d) => opened = Some(d),
                        Err(e) => {
                            if reply.send(Err(e)).is_err() {
                                return;
                            }
                            super::events::wake();
                            continue;
                        }
                    }
                }
                let Some(desk) = opened.as_mut() else { continue };
                if reply.send(job(desk)).is_err() {
                    return;
                }
                super::events::wake();
            }
        });
        Writer {
            jobs,
            answers,
            waiting: VecDeque::new(),
        }
    }
}

/// How long a quiet write waits before the footer shows it.
const QUIET: Duration = Duration::from_millis(300);

/// How long the spinner shows each of its frames.
const SPIN: Duration = Duration::from_millis(100);

/// What the footer shows while writes are under way: a spinner, what is being written, and
/// how long it has waited once that is long enough to notice.
pub fn spinner_text(label: &str, waited: Duration, more: usize) -> String {
    let frames = ['|', '/', '-', '\\'];
    let frame = frames[(waited.as_millis() / SPIN.as_millis()) as usize % frames.len()];
    let mut text = format!("{frame} saving: {label}");
    if more > 0 {
        text.push_str(&format!(" (and {more} more)"));
    }
    if waited >= Duration::from_secs(1) {
        text.push_str(&format!(" — waiting for the desk, {} s", waited.as_secs()));
    }
    text
}

impl App {
    /// Sends `work` to the writer thread; `then` runs here with its answer. Writes are done
    /// and answered in the order they are asked for.
    pub(super) fn write<T: Send + 'static>(
        &mut self,
        label: impl Into<String>,
        work: impl FnOnce(&mut Desk) -> Result<T, DeskError> + Send + 'static,
        then: impl FnOnce(&mut App, Result<T, DeskError>) + 'static,
    ) {
        self.send_write(label.into(), false, work, then);
    }

    /// A write the operator did not ask for: the footer shows it only if it waits.
    pub(super) fn write_quietly<T: Send + 'static>(
        &mut self,
        label: impl Into<String>,
        work: impl FnOnce(&mut Desk) -> Result<T, DeskError> + Send + 'static,
        then: impl FnOnce(&mut App, Result<T, DeskError>) + 'static,
    ) {
        self.send_write(label.into(), true, work, then);
    }

    fn send_write<T: Send + 'static>(
        &mut self,
        label: String,
        quiet: bool,
        work: impl FnOnce(&mut Desk) -> Result<T, DeskError> + Send + 'static,
        then: impl FnOnce(&mut App, Result<T, DeskError>) + 'static,
    ) {
        let job: Job = Box::new(move |desk| work(desk).map(|t| Box::new(t) as Box<dyn Any + Send>));
        let then: Then = Box::new(move |app, answer| match answer.map(|b| b.downcast::<T>()) {
            Ok(Ok(t)) => then(app, Ok(*t)),
            Ok(Err(_)) => app.complain("a write's answer was not understood"),
            Err(e) => then(app, Err(e)),
        });
        let writer = &mut self.background.writer;
        if writer.jobs.send(job).is_err() {
            then(
                self,
                Err(DeskError::Invalid(
                    "the desk's writer has stopped; quit and open the desk again".into(),
                )),
            );
            return;
        }
        writer.waiting.push_back(Waiting {
            label,
            quiet,
            since: Instant::now(),
            then,
        });
    }

    /// Takes in the answers of finished writes; with `wait`, waits until every write sent
    /// has been answered (tests, and quitting). True when something was answered.
    pub(super) fn poll_writes(&mut self, wait: bool) -> bool {
        let mut any = false;
        while !self.background.writer.waiting.is_empty() {
            let got = if wait {
                match self.background.writer.answers.recv_timeout(Duration::from_secs(60)) {
                    Ok(a) => Ok(a),
                    Err(RecvTimeoutError::Timeout) => Err(TryRecvError::Empty),
                    Err(RecvTimeoutError::Disconnected) => Err(TryRecvError::Disconnected),
                }
            } else {
                self.background.writer.answers.try_recv()
            };
            let answer = match got {
                Ok(a) => a,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => Err(DeskError::Invalid("the desk's writer has stopped".into())),
            };
            if let Some(w) = self.background.writer.waiting.pop_front() {
                (w.then)(self, answer);
                any = true;
            }
        }
        if any {
            // A write may have put mail in the outbox: the postman looks now.
            self.background.postman.poke();
        }
        any
    }

    /// The oldest write to show that is under way, how long it has waited, and how many
    /// more wait behind it.
    pub fn writing(&self) -> Option<(&str, Duration, usize)> {
        let w = &self.background.writer.waiting;
        let shown = |f: &&Waiting| !f.quiet || f.since.elapsed() >= QUIET;
        let first = w.iter().find(shown)?;
        Some((
            first.label.as_str(),
            first.since.elapsed(),
            w.iter().filter(shown).count() - 1,
        ))
    }

    /// Waits for every write under way and takes in the answers (on the way out).
    pub fn finish_writes(&mut self) {
        self.poll_writes(true);
    }

    /// Whether any write is under way (shown or not).
    pub fn writes_pending(&self) -> bool {
        !self.background.writer.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spinner_turns_and_says_how_long_a_write_has_waited() {
        let a = spinner_text("resolve", Duration::from_millis(0), 0);
        let b = spinner_text("resolve", Duration::from_millis(150), 0);
        assert_eq!(a, "| saving: resolve");
        assert_eq!(b, "/ saving: resolve");
        assert_eq!(
            spinner_text("comment", Duration::from_millis(2200), 2),
            "- saving: comment (and 2 more) — waiting for the desk, 2 s"
        );
    }
}
