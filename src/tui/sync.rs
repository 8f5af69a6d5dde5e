//! Keeping the screen true to the desk: other operators' writes picked up (only what changed
//! since the last look), the clock moved on, the panes on screen read again.

use chrono::{DateTime, Utc};

use super::app::{App, Pane};
use crate::desk::DeskError;
use crate::domain::TicketId;

/// Re-reads changes a little before the newest one seen, so that two writes in the same
/// millisecond, or a clock a hair apart between processes, cannot slip between refreshes.
const REFRESH_OVERLAP: chrono::Duration = chrono::Duration::seconds(2);

impl App {
    /// Brings the queue (and the open ticket) up to date with the desk, keeping selection,
    /// marks and forms: reads only the tickets changed since the last look.
    /// This reads on the UI thread, for the callers that need the desk as it is now (after
    /// one's own write); what others write is picked up off it, by [`App::tick`].
    pub fn reload(&mut self) -> Result<(), DeskError> {
        // What this reads is newer than a refresh being read aside: that one is of no use.
        self.background.changes = None;
        self.data_version = self.desk.data_version()?;
        let changed = self.desk.queue_changed_since(self.seen_until - REFRESH_OVERLAP)?;
        self.merge_changed(changed);
        if let Some(id) = self.detail.id() {
            self.load_detail(id)?;
        }
        self.changed_elsewhere()
    }

    /// Starts reading what changed on the desk off the UI thread (the queue's changed rows
    /// and the open ticket); [`App::poll_changes`] takes it in when it has come.
    fn reload_aside(&mut self) -> Result<(), DeskError> {
        self.data_version = self.desk.data_version()?;
        let since = self.seen_until - REFRESH_OVERLAP;
        let id = self.detail.id();
        let read = super::background::in_background(&self.desk, move |d| {
            Ok(Changes {
                rows: d.queue_changed_since(since)?,
                detail: id.map(|id| d.ticket(id)).transpose()?,
            })
        });
        self.background.changes = Some((read, since));
        Ok(())
    }

    /// Takes in what [`App::reload_aside`] read, if it has come (with `wait`, waits for it).
    pub(super) fn poll_changes(&mut self, wait: bool) -> bool {
        let Some((result, _)) = arrived(&mut self.background.changes, wait) else {
            return false;
        };
        let changes = match result {
            Ok(changes) => changes,
            Err(e) => {
                self.complain(format!("the desk could not be read again: {e}"));
                return true;
            }
        };
        self.merge_changed(changes.rows);
        // The ticket on screen, unless another is by now, or the same one read since.
        if let Some(view) = changes.detail
            && self.detail.id() == Some(view.ticket.id)
            && self.detail.version().is_none_or(|shown| shown <= view.ticket.version)
        {
            self.show_detail(view);
        }
        if let Err(e) = self.changed_elsewhere() {
            self.complain(e.to_string());
        }
        true
    }

    fn merge_changed(&mut self, changed: Vec<crate::store::queue::QueueRow>) {
        if let Some(newest) = changed.iter().map(|r| r.updated_at).max() {
            self.seen_until = self.seen_until.max(newest);
        }
        let me = self.desk.user().to_string();
        self.queue.merge(changed, &me, self.now);
    }

    /// What follows a change on the desk besides the queue and the open ticket.
    fn changed_elsewhere(&mut self) -> Result<(), DeskError> {
        // The CMDB and the calendar are read again when they are on screen; otherwise when
        // they next are (a busy desk changes every second; nobody is looking at them).
        if self.cmdb.is_some() {
            self.cmdb_stale = true;
        }
        if let Some(cal) = &mut self.calendar {
            cal.loaded = None;
        }
        self.dashboard.invalidate();
        self.recount_inbox()?;
        self.refresh_visible_pane()
    }

    /// Re-reads the CMDB or the calendar if its pane is shown and the desk changed.
    pub(super) fn refresh_visible_pane(&mut self) -> Result<(), DeskError> {
        match self.pane {
            Pane::Cmdb if self.cmdb.is_none() || self.cmdb_stale => self.load_cmdb(),
            Pane::Calendar => self.load_calendar(),
            Pane::Dashboard => {
                self.dashboard.load_if_stale(&self.desk, self.now, self.zone);
                Ok(())
            }
            Pane::Inbox if self.inbox.stale => self.inbox.load(&mut self.desk),
            _ => Ok(()),
        }
    }

    /// Reads the rows of the current view afresh, off the UI thread: the open queue, or the
    /// recently closed (the open rows wait aside for the header's counts, or come back from
    /// there without being read).
    pub(super) fn load_view(&mut self) -> Result<(), DeskError> {
        self.data_version = self.desk.data_version()?;
        let me = self.desk.user().to_string();
        if self.queue.view().closed {
            self.queue.replace_rows(Vec::new(), &me, self.now);
            self.queue.reading = true;
            self.background.load_closed(&self.desk, self.seen_until);
            return Ok(());
        }
        // A read of closed rows under way is of no use now.
        self.background.closed = None;
        self.queue.reading = false;
        if self.queue.restore_open(&me, self.now) {
            return Ok(());
        }
        self.queue.replace_rows(Vec::new(), &me, self.now);
        (self.queue.loading, self.queue.reading) = (true, true);
        self.background.load_queue(&self.desk, self.seen_until);
        Ok(())
    }

    /// Takes in the whole open queue read off the UI thread (with `wait`, waits for it):
    /// it replaces the first page, keeping the selection, then what changed while it was
    /// read is merged (with their CI names, read there too). True when it came.
    pub(super) fn poll_queue(&mut self, wait: bool) -> bool {
        let Some((result, since)) = arrived(&mut self.background.queue, wait) else {
            return false;
        };
        let me = self.desk.user().to_string();
        (self.queue.loading, self.queue.reading) = (false, false);
        match result {
            Ok(rows) => self.queue.take_loaded(rows, &me, self.now),
            Err(e) => {
                self.complain(format!("the open queue could not be read: {e}"));
                return true;
            }
        }
        self.merge_since(since);
        true
    }

    /// Takes in the recently closed tickets read off the UI thread, as [`App::poll_queue`].
    pub(super) fn poll_closed(&mut self, wait: bool) -> bool {
        let Some((result, since)) = arrived(&mut self.background.closed, wait) else {
            return false;
        };
        let me = self.desk.user().to_string();
        self.queue.reading = false;
        match result {
            Ok(rows) => self.queue.take_closed(rows, &me, self.now),
            Err(e) => {
                self.complain(format!("the closed tickets could not be read: {e}"));
                return true;
            }
        }
        self.merge_since(since);
        true
    }

    /// Merges what changed on the desk since `since` (with the overlap).
    fn merge_since(&mut self, since: DateTime<Utc>) {
        if self.background.changes.take().is_some() {
            // Rows read aside before these would undo them: forgotten, and read again (with
            // the open ticket) at the next tick.
            self.data_version = i64::MIN;
        }
        match self.desk.queue_changed_since(since - REFRESH_OVERLAP) {
            Ok(changed) => self.merge_changed(changed),
            Err(e) => self.complain(e.to_string()),
        }
    }

    /// Reads aside what others wrote, if anything changed since the last read; one read at
    /// a time (the next call sees what came in meanwhile). Called at each tick, and when a
    /// desk on a server says another host committed. Returns whether a read began.
    pub fn pick_up_changes(&mut self) -> Result<bool, DeskError> {
        let reading = self.background.changes.is_some();
        if !reading && self.desk.data_version()? != self.data_version {
            self.reload_aside()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Called about once a second: moves the clock on and picks up other operators' writes.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Result<(), DeskError> {
        self.now = now;
        self.escalate(now)?;
        self.take_mail_reports();
        // Hooks run on their own threads; what failed is said here (and noted in the timeline).
        let failed = crate::hooks::take_failures();
        if !failed.is_empty() {
            self.complain(failed.join(" · "));
        }
        if self.pick_up_changes()? {
            return Ok(());
        }
        if self.pane == Pane::Cmdb && self.cmdb_stale {
            // A change the tree on screen was not read again for yet.
            self.refresh_visible_pane()?;
        } else if self.dashboard.data.as_ref().is_some_and(|d| now >= d.until) {
            // Past midnight the period moves on a day, even on a quiet desk.
            self.dashboard.invalidate();
            self.refresh_visible_pane()?;
        }
        Ok(())
    }

    pub(super) fn load_detail(&mut self, id: TicketId) -> Result<(), DeskError> {
        let view = self.desk.ticket(id)?;
        self.show_detail(view);
        Ok(())
    }

    /// Shows a ticket as read, keeping what was suggested for it if it is the one shown.
    fn show_detail(&mut self, view: crate::desk::TicketView) {
        let id = view.ticket.id;
        let me = self.desk.user().to_string();
        // The same ticket again keeps what was suggested for it until the new search is in;
        // suggestions are a ranked search over the whole desk, so they come off this thread.
        let kept = if self.detail.id() == Some(id) {
            std::mem::take(&mut self.detail.suggestions)
        } else {
            Default::default()
        };
        self.detail.show(view, kept, &me);
        if id.kind == crate::domain::Kind::Incident {
            self.background.suggest(id);
        }
    }
}

/// What changed on the desk, read off the UI thread by [`App::reload_aside`].
pub(super) struct Changes {
    rows: Vec<crate::store::queue::QueueRow>,
    /// The ticket that was open when the read began, afresh.
    detail: Option<crate::desk::TicketView>,
}

/// A read off the UI thread, and the newest change the desk had when it began.
pub(super) type Read<T> = (std::sync::mpsc::Receiver<Result<T, String>>, DateTime<Utc>);

/// What a read off the UI thread delivered, and the newest change the desk had when it
/// began, if it has come (with `wait`, waiting for it); the slot is then free (also when
/// the read's thread went away without an answer).
fn arrived<T>(slot: &mut Option<Read<T>>, wait: bool) -> Option<(Result<T, String>, DateTime<Utc>)> {
    let (rx, since) = slot.as_ref()?;
    let (got, gone) = if wait {
        match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(got) => (Some(got), false),
            Err(e) => (None, e == std::sync::mpsc::RecvTimeoutError::Disconnected),
        }
    } else {
        match rx.try_recv() {
            Ok(got) => (Some(got), false),
            Err(e) => (None, e == std::sync::mpsc::TryRecvError::Disconnected),
        }
    };
    let since = *since;
    if got.is_some() || gone {
        *slot = None;
    }
    Some((got?, since))
}
