//! Work off the UI thread: the queue's CI names (a slow read on a large desk), an incident's
//! suggestions (known errors and look-alikes: a ranked search over the whole desk) and the
//! escalation command (a program that may hang). Results come back on channels that the
//! event loop takes in between keys.

use std::sync::mpsc::{Receiver, Sender, TryRecvError};

use chrono::{DateTime, Utc};

use super::app::{App, Pane};
use crate::desk::{Desk, DeskError, Escalation};
use crate::domain::TicketId;

/// The escalation command's thread: batches of escalations go in, each batch's failures
/// come back.
struct Escalator {
    jobs: Sender<Vec<Escalation>>,
    done: Receiver<Vec<(TicketId, String)>>,
    pending: usize,
}

impl Escalator {
    fn start(desk: &Desk) -> Option<Escalator> {
        let argv = desk.config().escalation.command.clone()?;
        let timeout = desk.config().escalation.timeout;
        let path = desk.place().clone();
        let (jobs, inbox) = std::sync::mpsc::channel::<Vec<Escalation>>();
        let (report, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for batch in inbox {
                let failures = crate::desk::run_escalations(&argv, timeout, &path, &batch);
                if report.send(failures).is_err() {
                    return;
                }
                super::events::wake();
            }
        });
        Some(Escalator { jobs, done, pending: 0 })
    }
}

/// The first CI of each open ticket, by row id, as a background load delivers it.
type CiNames = Receiver<Result<Vec<(i64, String)>, String>>;

/// How long an incident stays in view before its suggestions are looked for.
const SUGGEST_AFTER: std::time::Duration = std::time::Duration::from_millis(150);

/// An incident's suggestions, as a background search delivers them.
type Suggested = (TicketId, Receiver<Result<crate::desk::Suggestions, String>>);

/// The whole open queue, read and made into rows off the UI thread.
type QueueRows = Receiver<Result<super::queue::Loaded, String>>;

pub struct Background {
    cis: Option<CiNames>,
    /// The open queue being read, and the newest change the desk had when it began.
    pub(super) queue: Option<(QueueRows, DateTime<Utc>)>,
    /// A view of closed tickets being read, the same way.
    pub(super) closed: Option<(QueueRows, DateTime<Utc>)>,
    /// What others changed on the desk, being read for a refresh (see `App::tick`).
    pub(super) changes: Option<super::sync::Read<super::sync::Changes>>,
    suggestions: Option<Suggested>,
    /// An incident whose suggestions are to be looked for once it has stayed in view a
    /// moment (flipping through tickets starts no search for each).
    suggest_later: Option<(TicketId, std::time::Instant)>,
    escalator: Option<Escalator>,
    pub(super) writer: super::writer::Writer,
    /// Delivers the desk's outbox on a thread of its own.
    pub(super) postman: crate::desk::Postman,
    /// The CMDB tree being read for its pane, and a CI to find in it once it is in.
    /// A tree read afresh; `None` when the graph is the one on screen.
    pub(super) cmdb: Option<Receiver<Result<Option<super::cmdb::CmdbModel>, String>>>,
    /// When the last read of the tree began and how long it took: a tree that is slow to
    /// read is read again, when the desk changes, at most once in ten times that.
    pub(super) cmdb_read: Option<(std::time::Instant, std::time::Duration)>,
    pub(super) cmdb_find: Option<String>,
    /// An SLA sweep is under way on the writer: the next tick does not send another.
    sweeping: bool,
    /// What is read once the first frame is drawn: the rest of the open queue (the newest
    /// change the desk had when its first page was read), or the CI names of a queue read
    /// whole.
    pub(super) after_first_frame: Option<Option<DateTime<Utc>>>,
}

impl Background {
    pub fn start(desk: &Desk) -> Background {
        Background {
            cis: None,
            queue: None,
            closed: None,
            changes: None,
            suggestions: None,
            suggest_later: None,
            escalator: Escalator::start(desk),
            writer: super::writer::Writer::start(desk),
            postman: crate::desk::Postman::start(desk, super::events::wake),
            cmdb: None,
            cmdb_read: None,
            cmdb_find: None,
            sweeping: false,
            after_first_frame: None,
        }
    }

    /// Starts the reads put off until the first frame was drawn (once).
    pub fn start_after_first_frame(&mut self, desk: &Desk) {
        match self.after_first_frame.take() {
            Some(Some(since)) => self.load_queue(desk, since),
            Some(None) => self.load_cis(desk),
            None => {}
        }
    }

    /// Reads the whole open queue on another thread (a million-ticket desk has a tenth of a
    /// second of it); `since` is the newest change the desk had when this began.
    pub fn load_queue(&mut self, desk: &Desk, since: DateTime<Utc>) {
        // The rows are made, with their CI names, and sorted every way, there too: given a
        // CI name after it was made, a row makes its filter text again (40 ms on the UI
        // thread for the 50,000 rows with a CI of a million-ticket desk).
        let rows = in_background(desk, |d| {
            let rows = d.queue_open_made(super::queue::Row::new)?;
            Ok(super::queue::Loaded::of_rows(rows))
        });
        self.queue = Some((rows, since));
    }

    /// Reads the recently closed tickets on another thread (tens of thousands on a
    /// million-ticket desk); `since` as for [`Background::load_queue`].
    pub fn load_closed(&mut self, desk: &Desk, since: DateTime<Utc>) {
        let rows = in_background(desk, |d| d.queue_recently_closed(7).map(super::queue::Loaded::closed));
        self.closed = Some((rows, since));
    }

    /// Loads the open queue's CI names on another thread, for a queue read whole at once (a
    /// small desk): it can be shown and used without them meanwhile.
    pub fn load_cis(&mut self, desk: &Desk) {
        self.cis = Some(in_background(desk, Desk::open_ci_names));
    }

    /// Looks for an incident's known errors and look-alikes on another thread, once it has
    /// stayed in view for [`SUGGEST_AFTER`]: its detail is shown at once, and they join it
    /// when found. A search for another ticket, under way or put off, is forgotten.
    pub fn suggest(&mut self, id: TicketId) {
        self.suggestions = None;
        self.suggest_later = Some((id, std::time::Instant::now() + SUGGEST_AFTER));
    }

    /// Starts the search put off by [`Background::suggest`] if its time has come (with
    /// `now_anyway`, at once).
    fn start_suggesting(&mut self, desk: &Desk, now_anyway: bool) {
        let Some((id, due)) = self.suggest_later else { return };
        if now_anyway || std::time::Instant::now() >= due {
            self.suggest_later = None;
            self.suggestions = Some((id, in_background(desk, move |d| d.suggestions(id))));
        }
    }

    /// How long until background work put off must start, if any is.
    pub fn next_start(&self) -> Option<std::time::Duration> {
        self.suggest_later
            .map(|(_, due)| due.saturating_duration_since(std::time::Instant::now()))
    }
}

/// Runs `work` on another thread with its own connection to the desk (as the same operator),
/// for reads that take longer than a frame on a large desk; the result arrives on the
/// receiver, errors as text.
pub(super) fn in_background<T: Send + 'static>(
    desk: &Desk,
    work: impl FnOnce(&mut Desk) -> Result<T, DeskError> + Send + 'static,
) -> Receiver<Result<T, String>> {
    let (send, receive) = std::sync::mpsc::channel();
    let (path, who, config) = (desk.place().clone(), desk.who().clone(), desk.config().clone());
    std::thread::spawn(move || {
        let result = Desk::reopen(&path, &who, config)
            .and_then(|mut d| work(&mut d))
            .map_err(|e| e.to_string());
        let _ = send.send(result);
        super::events::wake();
    });
    receive
}

impl App {
    /// How long until background work that was put off is to start (the event loop wakes
    /// for it).
    pub fn background_starts_in(&self) -> Option<std::time::Duration> {
        self.background.next_start()
    }

    /// Starts the background reads put off until the first frame was drawn.
    pub fn start_background(&mut self) {
        self.background.start_after_first_frame(&self.desk);
    }

    /// Takes in what background work has finished; true when something changed.
    pub fn poll_background(&mut self) -> bool {
        self.background.start_after_first_frame(&self.desk);
        let mut changed = self.poll_writes(false);
        changed |= self.dashboard.poll();
        if self.pane == Pane::Dashboard {
            // The desk changed while the last figures were read: read them again.
            self.dashboard.load_if_stale(&self.desk, self.now, self.zone);
        }
        changed |= self.poll_queue(false);
        changed |= self.poll_closed(false);
        changed |= self.poll_changes(false);
        changed |= self.queue.poll_matches();
        changed |= self.poll_cis();
        changed |= self.poll_cmdb(false);
        self.background.start_suggesting(&self.desk, false);
        changed |= self.poll_suggestions(false);
        changed
    }

    /// Takes in an incident's suggestions if they have come (with `wait`, waits for them).
    fn poll_suggestions(&mut self, wait: bool) -> bool {
        let Some((id, rx)) = &self.background.suggestions else {
            return false;
        };
        let got = if wait {
            rx.recv_timeout(std::time::Duration::from_secs(30))
                .map_err(|_| TryRecvError::Disconnected)
        } else {
            rx.try_recv()
        };
        let id = *id;
        match got {
            Ok(result) => {
                self.background.suggestions = None;
                match result {
                    Ok(s) if self.detail.id() == Some(id) => {
                        self.detail.suggestions = s;
                        true
                    }
                    Ok(_) => false,
                    Err(e) => {
                        self.complain(format!("suggestions for {id} could not be found: {e}"));
                        true
                    }
                }
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => {
                self.background.suggestions = None;
                false
            }
        }
    }

    fn poll_cis(&mut self) -> bool {
        let Some(rx) = &self.background.cis else { return false };
        match rx.try_recv() {
            Ok(result) => {
                self.background.cis = None;
                self.take_cis(result);
                true
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => {
                self.background.cis = None;
                false
            }
        }
    }

    /// Waits for background work (tests, and callers that need the full queue).
    pub fn wait_for_background(&mut self) {
        self.finish_loads();
        while self.dashboard.loading() {
            self.dashboard.wait();
            if self.pane == Pane::Dashboard {
                self.dashboard.load_if_stale(&self.desk, self.now, self.zone);
            }
        }
        if let Some(rx) = self.background.cis.take()
            && let Ok(result) = rx.recv_timeout(std::time::Duration::from_secs(30))
        {
            self.take_cis(result);
        }
        self.background.start_suggesting(&self.desk, true);
        self.poll_suggestions(true);
    }

    /// Waits for the writes under way and the pane being read (the CMDB tree): what a key
    /// sent off, without the slower searches it may have started.
    pub fn finish_loads(&mut self) {
        self.background.start_after_first_frame(&self.desk);
        self.poll_queue(true);
        self.poll_closed(true);
        self.poll_changes(true);
        self.poll_writes(true);
        self.poll_cmdb(true);
        self.queue.finish_matching();
    }

    fn take_cis(&mut self, result: Result<Vec<(i64, String)>, String>) {
        let me = self.desk.user().to_string();
        match result {
            Ok(cis) => self.queue.set_cis(cis, &me, self.now),
            Err(e) => self.complain(format!("CI names could not be loaded: {e}")),
        }
    }

    /// Sends the SLA sweep to the writer (one at a time) and takes in the failures of
    /// earlier escalation commands (noted in the ticket's timeline and shown).
    pub(super) fn escalate(&mut self, now: DateTime<Utc>) -> Result<(), DeskError> {
        if !self.background.sweeping {
            self.background.sweeping = true;
            self.write_quietly(
                "SLA sweep",
                move |desk| desk.sweep(now),
                |app, swept| {
                    app.background.sweeping = false;
                    match swept {
                        Ok(escalated) => app.escalated(escalated),
                        Err(e) => app.complain(e.to_string()),
                    }
                },
            );
        }
        self.take_escalation_results(false)
    }

    /// Says what the postman's last rounds could not deliver.
    pub(super) fn take_mail_reports(&mut self) {
        for d in self.background.postman.take_reports() {
            if let Some(why) = &d.stopped {
                self.complain(format!("mail waits: the server cannot be reached ({why})"));
            } else if d.failed > 0 {
                let first = d.messages.iter().find(|m| m.state == "failed");
                let to = first.map(|m| m.recipient.as_str()).unwrap_or_default();
                self.complain(format!(
                    "mail to {to} could not be delivered{}: a work note on its ticket says why",
                    if d.failed > 1 {
                        format!(" (and {} more)", d.failed - 1)
                    } else {
                        String::new()
                    }
                ));
            } else if d.sent > 0 {
                self.say(format!("mail: {} sent", d.sent));
            }
        }
    }

    /// Says what the sweep escalated and hands it to the command's thread.
    fn escalated(&mut self, escalated: Vec<Escalation>) {
        let Some(first) = escalated.first() else { return };
        let more = if escalated.len() > 1 {
            format!(" and {} more", escalated.len() - 1)
        } else {
            String::new()
        };
        // An escalation is news that needs acting on: said as a warning, never as success.
        self.complain(format!(
            "SLA: {} {} {}{more}",
            first.id,
            crate::present::clock_name(first.clock),
            first.level.replace('_', " ")
        ));
        if let Some(e) = &mut self.background.escalator
            && e.jobs.send(escalated).is_ok()
        {
            e.pending += 1;
        }
    }

    /// Takes in finished escalation commands; with `wait`, waits for all under way (tests).
    fn take_escalation_results(&mut self, wait: bool) -> Result<(), DeskError> {
        let mut failures = Vec::new();
        if let Some(e) = &mut self.background.escalator {
            while e.pending > 0 {
                let got = if wait {
                    e.done.recv_timeout(std::time::Duration::from_secs(60)).ok()
                } else {
                    e.done.try_recv().ok()
                };
                let Some(batch) = got else { break };
                e.pending -= 1;
                failures.extend(batch);
            }
        }
        if let Some((id, why)) = failures.first() {
            self.complain(format!("escalation command for {id} failed: {why}"));
        }
        if !failures.is_empty() {
            self.write_quietly(
                "escalation notes",
                move |desk| {
                    for (id, why) in &failures {
                        desk.record_escalation_failure(*id, why)?;
                    }
                    Ok(())
                },
                |app, noted| {
                    if let Err(e) = noted {
                        app.complain(e.to_string());
                    }
                },
            );
        }
        Ok(())
    }

    /// Waits until every escalation command under way has finished (tests).
    pub fn wait_for_escalations(&mut self) -> Result<(), DeskError> {
        self.poll_writes(true);
        self.take_escalation_results(true)?;
        self.poll_writes(true);
        Ok(())
    }
}
