//! The state of the terminal desk and what each action does to it. Every write goes through
//! `Desk`, exactly as the CLI's do; the screen is drawn from this state by `ui`.

use std::cell::Cell;
use std::sync::mpsc::Receiver;

use chrono::{DateTime, FixedOffset, Local, Offset, Utc};

use super::action::Action;
use super::calendar::CalendarModel;
use super::cmdb::{CmdbModel, Selected};
use super::dashboard::DashboardModel;
use super::keymap::Keymap;
use super::queue::{Only, Queue};
use super::widgets::form::{Field, Form};
use crate::desk::{Desk, DeskError, Offer, TicketView};
use crate::domain::{Kind, TicketId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Queue,
    Detail,
    Cmdb,
    Calendar,
    Dashboard,
}

/// What submitting a form does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Transition {
        name: String,
        targets: Vec<TicketId>,
    },
    Comment {
        targets: Vec<TicketId>,
        internal: bool,
    },
    Assign {
        targets: Vec<TicketId>,
    },
    NewTicket,
    Edit {
        id: TicketId,
        version: i64,
        before: Vec<(String, String)>,
    },
}

/// A list to pick a move from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub title: String,
    pub offers: Vec<Offer>,
    pub index: usize,
    pub targets: Vec<TicketId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Help,
    Pick(Picker),
    Form(Form<Purpose>),
    /// Typing the name of a CI to find in the tree.
    FindCi(String),
    /// The command palette: every action, narrowed by what is typed.
    Palette {
        text: String,
        index: usize,
    },
    /// A yes/no question: resolve a resolved problem's open incidents too?
    ResolveIncidents {
        problem: TicketId,
        incidents: Vec<TicketId>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

pub struct App {
    pub desk: Desk,
    pub keymap: Keymap,
    pub queue: Queue,
    pub pane: Pane,
    pub detail: Option<TicketView>,
    /// For an incident in detail: known errors and possible duplicates.
    pub suggestions: crate::desk::Suggestions,
    pub detail_scroll: u16,
    /// The CMDB tree, read on the first visit to its pane.
    pub cmdb: Option<CmdbModel>,
    /// The desk changed since the tree was read: read it again when it is shown.
    cmdb_stale: bool,
    /// The change calendar, set up on the first visit to its pane.
    pub calendar: Option<CalendarModel>,
    /// The dashboard's period and figures (read when its pane is shown).
    pub dashboard: DashboardModel,
    /// The zone the operator reads times in.
    pub zone: FixedOffset,
    /// Where esc goes back to: from a queue narrowed to one CI's tickets, or from a change
    /// opened from the calendar.
    return_to: Option<Pane>,
    pub mode: Mode,
    pub status: Option<Status>,
    pub now: DateTime<Utc>,
    pub quit: bool,
    /// The first row drawn in the queue; kept between frames so the list scrolls smoothly.
    pub queue_offset: Cell<usize>,
    /// Rows the queue had room for in the last frame, for page up and down.
    pub queue_height: Cell<usize>,
    /// Where the queue's first row was drawn in the last frame, for mouse clicks.
    pub queue_rows_at: Cell<ratatui::layout::Rect>,
    data_version: i64,
    /// The newest change the queue has seen; refreshes read what changed since.
    seen_until: DateTime<Utc>,
    /// CI names for the queue, loading on another thread with its own connection.
    cis_loading: Option<CiNames>,
    /// Runs the escalation command on another thread, so a slow one never holds the desk.
    escalator: Option<Escalator>,
}

/// The escalation command's thread: batches of escalations go in, each batch's failures
/// come back.
struct Escalator {
    jobs: std::sync::mpsc::Sender<Vec<crate::desk::Escalation>>,
    done: Receiver<Vec<(TicketId, String)>>,
    pending: usize,
}

impl Escalator {
    fn start(desk: &Desk) -> Option<Escalator> {
        let argv = desk.config().escalation.command.clone()?;
        let timeout = desk.config().escalation.timeout;
        let path = desk.path().to_path_buf();
        let (jobs, inbox) = std::sync::mpsc::channel::<Vec<crate::desk::Escalation>>();
        let (report, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for batch in inbox {
                let failures = crate::desk::run_escalations(&argv, timeout, &path, &batch);
                if report.send(failures).is_err() {
                    return;
                }
            }
        });
        Some(Escalator { jobs, done, pending: 0 })
    }
}

/// The first CI of each open ticket, by row id, as a background load delivers it.
type CiNames = Receiver<Result<Vec<(i64, String)>, String>>;

/// Runs `work` on another thread with its own connection to the desk (as the same operator),
/// for reads that take longer than a frame on a large desk; the result arrives on the
/// receiver, errors as text.
pub(super) fn in_background<T: Send + 'static>(
    desk: &Desk,
    work: impl FnOnce(&mut Desk) -> Result<T, DeskError> + Send + 'static,
) -> Receiver<Result<T, String>> {
    let (send, receive) = std::sync::mpsc::channel();
    let (path, who, config) = (desk.path().to_path_buf(), desk.who().clone(), desk.config().clone());
    std::thread::spawn(move || {
        let result = Desk::reopen(&path, &who, config)
            .and_then(|mut d| work(&mut d))
            .map_err(|e| e.to_string());
        let _ = send.send(result);
    });
    receive
}

/// Loads the open queue's CI names on another thread: the queue can be shown and used
/// without them meanwhile.
fn load_cis_in_background(desk: &Desk) -> CiNames {
    in_background(desk, Desk::open_ci_names)
}

/// Re-reads changes a little before the newest one seen, so that two writes in the same
/// millisecond, or a clock a hair apart between processes, cannot slip between refreshes.
const REFRESH_OVERLAP: chrono::Duration = chrono::Duration::seconds(2);

impl App {
    pub fn new(mut desk: Desk, keymap: Keymap, now: DateTime<Utc>) -> Result<App, DeskError> {
        let data_version = desk.data_version()?;
        let rows = desk.queue_open()?;
        let seen_until = rows.iter().map(|r| r.updated_at).max().unwrap_or(now);
        let cis_loading = Some(load_cis_in_background(&desk));
        let escalator = Escalator::start(&desk);
        let mut queue = Queue::new(rows);
        queue.views = desk.config().views.clone();
        queue.refresh(desk.user(), now);
        Ok(App {
            desk,
            keymap,
            queue,
            pane: Pane::Queue,
            detail: None,
            suggestions: Default::default(),
            detail_scroll: 0,
            cmdb: None,
            cmdb_stale: false,
            calendar: None,
            zone: Local::now().offset().fix(),
            return_to: None,
            mode: Mode::Normal,
            status: None,
            now,
            quit: false,
            queue_offset: Cell::new(0),
            queue_height: Cell::new(20),
            queue_rows_at: Cell::new(ratatui::layout::Rect::default()),
            data_version,
            seen_until,
            cis_loading,
            escalator,
            dashboard: DashboardModel::default(),
        })
    }

    /// Takes in what background work has finished; true when something changed.
    pub fn poll_background(&mut self) -> bool {
        let mut changed = self.dashboard.poll();
        if self.pane == Pane::Dashboard {
            // The desk changed while the last figures were read: read them again.
            self.dashboard.load_if_stale(&self.desk, self.now, self.zone);
        }
        changed |= self.poll_cis();
        changed
    }

    fn poll_cis(&mut self) -> bool {
        let Some(rx) = &self.cis_loading else { return false };
        match rx.try_recv() {
            Ok(result) => {
                self.cis_loading = None;
                self.take_cis(result);
                true
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => false,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.cis_loading = None;
                false
            }
        }
    }

    /// Waits for background work (tests, and callers that need the full queue).
    pub fn wait_for_background(&mut self) {
        while self.dashboard.loading() {
            self.dashboard.wait();
            if self.pane == Pane::Dashboard {
                self.dashboard.load_if_stale(&self.desk, self.now, self.zone);
            }
        }
        if let Some(rx) = self.cis_loading.take()
            && let Ok(result) = rx.recv_timeout(std::time::Duration::from_secs(30))
        {
            self.take_cis(result);
        }
    }

    fn take_cis(&mut self, result: Result<Vec<(i64, String)>, String>) {
        let me = self.desk.user().to_string();
        match result {
            Ok(cis) => self.queue.set_cis(cis, &me, self.now),
            Err(e) => self.complain(format!("CI names could not be loaded: {e}")),
        }
    }

    /// Whether background work is still under way (the event loop then polls more often).
    pub fn busy(&self) -> bool {
        self.cis_loading.is_some() || self.dashboard.loading() || self.escalator.as_ref().is_some_and(|e| e.pending > 0)
    }

    /// Records escalations now due and hands them to the command's thread; takes in the
    /// failures of earlier ones (noted in the ticket's timeline and shown).
    fn escalate(&mut self, now: DateTime<Utc>) -> Result<(), DeskError> {
        let escalated = self.desk.sweep(now)?;
        if let Some(first) = escalated.first() {
            let more = if escalated.len() > 1 {
                format!(" and {} more", escalated.len() - 1)
            } else {
                String::new()
            };
            self.say(format!(
                "SLA: {} {} {}{more}",
                first.id,
                crate::present::clock_name(first.clock),
                first.level.replace('_', " ")
            ));
            if let Some(e) = &mut self.escalator
                && e.jobs.send(escalated).is_ok()
            {
                e.pending += 1;
            }
        }
        self.take_escalation_results(false)
    }

    /// Takes in finished escalation commands; with `wait`, waits for all under way (tests).
    fn take_escalation_results(&mut self, wait: bool) -> Result<(), DeskError> {
        let mut failures = Vec::new();
        if let Some(e) = &mut self.escalator {
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
        for (id, why) in &failures {
            self.desk.record_escalation_failure(*id, why)?;
        }
        if let Some((id, why)) = failures.first() {
            self.complain(format!("escalation command for {id} failed: {why}"));
        }
        Ok(())
    }

    /// Waits until every escalation command under way has finished (tests).
    pub fn wait_for_escalations(&mut self) -> Result<(), DeskError> {
        self.take_escalation_results(true)
    }

    pub(super) fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    pub(super) fn complain(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }

    /// Brings the queue (and the open ticket) up to date with the desk, keeping selection,
    /// marks and forms: reads only the tickets changed since the last look.
    pub fn reload(&mut self) -> Result<(), DeskError> {
        self.data_version = self.desk.data_version()?;
        let changed = self.desk.queue_changed_since(self.seen_until - REFRESH_OVERLAP)?;
        if let Some(newest) = changed.iter().map(|r| r.updated_at).max() {
            self.seen_until = self.seen_until.max(newest);
        }
        let me = self.desk.user().to_string();
        self.queue.merge(changed, &me, self.now);
        if let Some(id) = self.detail.as_ref().map(|d| d.ticket.id) {
            self.load_detail(id)?;
        }
        // The CMDB and the calendar are read again when they are on screen; otherwise when
        // they next are (a busy desk changes every second; nobody is looking at them).
        if self.cmdb.is_some() {
            self.cmdb_stale = true;
        }
        if let Some(cal) = &mut self.calendar {
            cal.loaded = None;
        }
        self.dashboard.invalidate();
        self.refresh_visible_pane()
    }

    /// Re-reads the CMDB or the calendar if its pane is shown and the desk changed.
    fn refresh_visible_pane(&mut self) -> Result<(), DeskError> {
        match self.pane {
            Pane::Cmdb if self.cmdb.is_none() || self.cmdb_stale => self.load_cmdb(),
            Pane::Calendar => self.load_calendar(),
            Pane::Dashboard => {
                self.dashboard.load_if_stale(&self.desk, self.now, self.zone);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Reads the CMDB afresh, keeping the CI under the cursor.
    fn load_cmdb(&mut self) -> Result<(), DeskError> {
        self.cmdb_stale = false;
        let keep = self.cmdb.as_ref().and_then(CmdbModel::selected_ci);
        let model = CmdbModel::new(self.desk.cmdb_graph()?);
        if let Some(id) = keep {
            model.reveal(id);
        }
        self.cmdb = Some(model);
        self.load_ci_selection()
    }

    /// Fills in what the pane shows for the CI under the cursor.
    pub fn load_ci_selection(&mut self) -> Result<(), DeskError> {
        let Some(model) = &self.cmdb else { return Ok(()) };
        let Some(id) = model.selected_ci() else {
            if let Some(m) = &mut self.cmdb {
                m.selected = None;
            }
            return Ok(());
        };
        if model.selected.as_ref().is_some_and(|s| s.ci.rowid == id) {
            return Ok(());
        }
        let Some(ci) = model.cis.get(&id).cloned() else {
            return Ok(());
        };
        let impacted = model.impacted_services(id);
        let (hits, needs) = model.reach(id);
        let open_tickets = self.desk.open_tickets_on_ci(id, 50)?;
        if let Some(m) = &mut self.cmdb {
            m.selected = Some(Selected {
                ci,
                impacted,
                hits,
                needs,
                open_tickets,
            });
        }
        Ok(())
    }

    /// Reads the changes of the calendar's month when it moved to another one.
    fn load_calendar(&mut self) -> Result<(), DeskError> {
        let Some(cal) = &self.calendar else { return Ok(()) };
        if cal.needs_load() {
            let (from, to) = cal.month_range();
            let changes = self.desk.changes_between(from, to)?;
            let flags = self
                .desk
                .forward_schedule(from, to)?
                .into_iter()
                .filter(|s| !s.conflicts.is_empty() || !s.freezes.is_empty() || !s.outside_maintenance.is_empty())
                .map(|s| {
                    let flags = super::calendar::Flags {
                        conflicts: s.conflicts,
                        freezes: s.freezes,
                        outside: s.outside_maintenance,
                    };
                    (s.id, flags)
                })
                .collect();
            if let Some(cal) = &mut self.calendar {
                cal.set_changes(changes);
                cal.flags = flags;
            }
        }
        Ok(())
    }

    fn calendar_key(&mut self, action: Action) -> Result<(), DeskError> {
        let today = self.now.with_timezone(&self.zone).date_naive();
        let Some(cal) = &mut self.calendar else { return Ok(()) };
        match action {
            Action::Left => cal.move_days(-1),
            Action::Right => cal.move_days(1),
            Action::Down => cal.move_days(7),
            Action::Up => cal.move_days(-7),
            Action::PageDown => cal.move_months(1),
            Action::PageUp => cal.move_months(-1),
            Action::Top => {
                cal.day = today;
                cal.cursor = 0;
            }
            Action::Mark => {
                cal.week = !cal.week;
                cal.cursor = 0;
            }
            Action::NextView => cal.move_cursor(1),
            Action::PrevView => cal.move_cursor(-1),
            Action::Open => {
                if let Some(id) = cal.selected_change().map(|c| c.id) {
                    self.load_detail(id)?;
                    self.return_to = Some(Pane::Calendar);
                    self.pane = Pane::Detail;
                }
                return Ok(());
            }
            _ => {}
        }
        self.load_calendar()
    }

    /// Shows the open tickets of the CI under the cursor in the queue; esc comes back.
    fn open_ci_tickets(&mut self) -> Result<(), DeskError> {
        let Some(id) = self.cmdb.as_ref().and_then(CmdbModel::selected_ci) else {
            return Ok(());
        };
        let name = self
            .cmdb
            .as_ref()
            .and_then(|m| m.cis.get(&id))
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let rowids = self.desk.open_ticket_rowids_on_ci(id)?.into_iter().collect();
        if self.queue.set_view(0) {
            self.load_view()?;
        }
        self.queue.set_only(Some(Only {
            label: format!("CI {name}"),
            rowids,
        }));
        self.refresh_view();
        self.queue.select(0);
        self.return_to = Some(Pane::Cmdb);
        self.pane = Pane::Queue;
        Ok(())
    }

    /// Reads the rows of the current view afresh: the open queue, or the recently closed.
    fn load_view(&mut self) -> Result<(), DeskError> {
        self.data_version = self.desk.data_version()?;
        let me = self.desk.user().to_string();
        let rows = if self.queue.view().closed {
            self.desk.queue_recently_closed(7)?
        } else {
            self.cis_loading = Some(load_cis_in_background(&self.desk));
            self.desk.queue_open()?
        };
        if let Some(newest) = rows.iter().map(|r| r.updated_at).max() {
            self.seen_until = self.seen_until.max(newest);
        }
        self.queue.replace_rows(rows, &me, self.now);
        Ok(())
    }

    /// Called about once a second: moves the clock on and picks up other operators' writes.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Result<(), DeskError> {
        self.now = now;
        self.escalate(now)?;
        // Hooks run on their own threads; what failed is said here (and noted in the timeline).
        let failed = crate::hooks::take_failures();
        if !failed.is_empty() {
            self.complain(failed.join(" · "));
        }
        if self.desk.data_version()? != self.data_version {
            self.reload()?;
        } else if self.dashboard.data.as_ref().is_some_and(|d| now >= d.until) {
            // Past midnight the period moves on a day, even on a quiet desk.
            self.dashboard.invalidate();
            self.refresh_visible_pane()?;
        }
        Ok(())
    }

    pub(super) fn load_detail(&mut self, id: TicketId) -> Result<(), DeskError> {
        let view = self.desk.ticket(id)?;
        if self.detail.as_ref().map(|d| d.ticket.id) != Some(id) {
            self.detail_scroll = 0;
        }
        self.suggestions = self.desk.suggestions(id)?;
        self.detail = Some(view);
        Ok(())
    }

    pub(super) fn selected_id(&self) -> Option<TicketId> {
        match self.pane {
            Pane::Detail => self.detail.as_ref().map(|d| d.ticket.id),
            Pane::Queue => self.queue.selected_row().map(|r| r.row.id),
            Pane::Cmdb | Pane::Dashboard => None,
            Pane::Calendar => self.calendar.as_ref().and_then(|c| c.selected_change()).map(|c| c.id),
        }
    }

    /// The tickets an action applies to: marked ones in the queue, else the one in view.
    pub(super) fn targets(&self) -> Vec<TicketId> {
        match self.pane {
            Pane::Queue => self.queue.targets(),
            Pane::Detail | Pane::Calendar => self.selected_id().into_iter().collect(),
            Pane::Cmdb | Pane::Dashboard => Vec::new(),
        }
    }

    fn refresh_view(&mut self) {
        let me = self.desk.user().to_string();
        self.queue.refresh(&me, self.now);
    }

    pub fn update(&mut self, action: Action) {
        if let Err(e) = self.try_update(action) {
            self.complain(e.to_string());
        }
    }

    fn try_update(&mut self, action: Action) -> Result<(), DeskError> {
        let page = self.queue_height.get().max(1) as isize;
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.mode = Mode::Help,
            Action::Palette => {
                self.mode = Mode::Palette {
                    text: String::new(),
                    index: 0,
                }
            }
            Action::PaneQueue => self.pane = Pane::Queue,
            Action::PaneCmdb => {
                self.pane = Pane::Cmdb;
                self.refresh_visible_pane()?;
            }
            Action::PaneCalendar => {
                if self.calendar.is_none() {
                    let today = self.now.with_timezone(&self.zone).date_naive();
                    self.calendar = Some(CalendarModel::new(today, self.zone));
                }
                self.load_calendar()?;
                self.pane = Pane::Calendar;
            }
            Action::PaneDashboard => {
                self.pane = Pane::Dashboard;
                self.refresh_visible_pane()?;
            }
            Action::NextView | Action::PrevView if self.pane == Pane::Dashboard => {
                self.dashboard.step_period(action == Action::NextView);
                self.refresh_visible_pane()?;
            }
            // The dashboard has nothing to move through or open.
            Action::Down
            | Action::Up
            | Action::Left
            | Action::Right
            | Action::PageDown
            | Action::PageUp
            | Action::Top
            | Action::Bottom
            | Action::Mark
            | Action::Open
                if self.pane == Pane::Dashboard => {}
            Action::Left
            | Action::Right
            | Action::Down
            | Action::Up
            | Action::PageDown
            | Action::PageUp
            | Action::Top
            | Action::Mark
            | Action::NextView
            | Action::PrevView
            | Action::Open
                if self.pane == Pane::Calendar =>
            {
                self.calendar_key(action)?;
            }
            Action::Open if self.pane == Pane::Cmdb => self.open_ci_tickets()?,
            Action::Filter if self.pane == Pane::Cmdb => self.mode = Mode::FindCi(String::new()),
            Action::Down | Action::Up | Action::Left | Action::Right | Action::Top | Action::Bottom
                if self.pane == Pane::Cmdb =>
            {
                if let Some(m) = &self.cmdb {
                    let mut state = m.state.borrow_mut();
                    match action {
                        Action::Down => state.key_down(),
                        Action::Up => state.key_up(),
                        Action::Left => state.key_left(),
                        Action::Right => state.key_right(),
                        Action::Top => state.select_first(),
                        _ => state.select_last(),
                    };
                }
                self.load_ci_selection()?;
            }
            Action::Left | Action::Right => {}
            Action::PaneDetail | Action::Open => {
                if let Some(id) = self.queue.selected_row().map(|r| r.row.id) {
                    self.load_detail(id)?;
                    self.pane = Pane::Detail;
                }
            }
            Action::NextPane | Action::PrevPane => {
                // queue → detail → CMDB → calendar → dashboard → queue, and back the other way.
                let forward = action == Action::NextPane;
                let next = match (self.pane, forward) {
                    (Pane::Queue, true) | (Pane::Cmdb, false) => Action::PaneDetail,
                    (Pane::Detail, true) | (Pane::Calendar, false) => Action::PaneCmdb,
                    (Pane::Cmdb, true) | (Pane::Dashboard, false) => Action::PaneCalendar,
                    (Pane::Calendar, true) | (Pane::Queue, false) => Action::PaneDashboard,
                    (Pane::Dashboard, true) | (Pane::Detail, false) => Action::PaneQueue,
                };
                if next == Action::PaneDetail && self.queue.selected_row().is_none() {
                    self.update(if forward { Action::PaneCmdb } else { Action::PaneQueue });
                } else {
                    self.update(next);
                }
            }
            Action::Down | Action::Up | Action::PageDown | Action::PageUp if self.pane == Pane::Detail => {
                let by: i32 = match action {
                    Action::Down => 1,
                    Action::Up => -1,
                    Action::PageDown => page as i32,
                    _ => -(page as i32),
                };
                self.detail_scroll = (i32::from(self.detail_scroll) + by).clamp(0, i32::from(u16::MAX)) as u16;
            }
            Action::Down => self.queue.move_by(1),
            Action::Up => self.queue.move_by(-1),
            Action::PageDown => self.queue.move_by(page),
            Action::PageUp => self.queue.move_by(-page),
            Action::Top => {
                self.queue.select(0);
                self.detail_scroll = 0;
            }
            Action::Bottom => self.queue.select(usize::MAX),
            Action::Back => {
                if self.pane == Pane::Detail && self.return_to == Some(Pane::Calendar) {
                    self.pane = Pane::Calendar;
                    self.return_to = None;
                    self.refresh_visible_pane()?;
                } else if matches!(self.pane, Pane::Detail | Pane::Cmdb | Pane::Calendar | Pane::Dashboard) {
                    self.pane = Pane::Queue;
                } else if self.queue.only().is_some() {
                    self.queue.set_only(None);
                    self.refresh_view();
                    if let Some(pane) = self.return_to.take() {
                        self.pane = pane;
                        self.refresh_visible_pane()?;
                    }
                } else if !self.queue.filter.is_empty() {
                    self.queue.filter.clear();
                    self.refresh_view();
                } else if !self.queue.marks.is_empty() {
                    self.queue.marks.clear();
                }
                self.status = None;
            }
            Action::Filter => {
                self.pane = Pane::Queue;
                self.mode = Mode::Filter;
            }
            Action::NextView | Action::PrevView => {
                let n = self.queue.views.len().max(1);
                let i = self.queue.view_index();
                let next = if action == Action::NextView { i + 1 } else { i + n - 1 };
                self.pane = Pane::Queue;
                if self.queue.set_view(next) {
                    self.load_view()?;
                }
                self.refresh_view();
                self.queue.select(0);
            }
            Action::Sort => {
                self.queue.cycle_sort();
                self.refresh_view();
            }
            Action::SortReverse => {
                self.queue.reverse = !self.queue.reverse;
                self.refresh_view();
            }
            Action::Mark => {
                self.queue.toggle_mark();
                self.queue.move_by(1);
            }
            Action::MarkAll => self.queue.mark_all(),
            Action::Transition => self.pick_transition()?,
            Action::Resolve => self.offer_named("resolve")?,
            Action::Pend => self.offer_named("pend")?,
            Action::AssignToMe => {
                let targets = self.targets();
                self.bulk(&targets, "assigned to you", |desk, id| {
                    desk.assign(id, None, None, None).map(|_| ())
                })?;
            }
            Action::Assign => {
                let targets = self.targets();
                if targets.is_empty() {
                    return Ok(());
                }
                let ops: Vec<String> = self.desk.operators()?.into_iter().map(|o| o.name).collect();
                let me = self.desk.user().to_string();
                let form = Form::new(
                    "assign to",
                    vec![Field::choice("assignee", ops, Some(&me))],
                    Purpose::Assign { targets },
                );
                self.mode = Mode::Form(form);
            }
            Action::Comment | Action::WorkNote => {
                let targets = self.targets();
                if targets.is_empty() {
                    return Ok(());
                }
                let internal = action == Action::WorkNote;
                let title = format!(
                    "{} on {}",
                    if internal { "work note" } else { "comment" },
                    ids_text(&targets)
                );
                let form = Form::new(
                    title,
                    vec![Field::text("text", None, true)],
                    Purpose::Comment { targets, internal },
                );
                self.mode = Mode::Form(form);
            }
            Action::NewTicket => {
                let kinds: Vec<String> = Kind::ALL.iter().map(|k| k.name().to_string()).collect();
                let levels = || vec!["3".to_string(), "2".to_string(), "1".to_string()];
                let form = Form::new(
                    "new ticket",
                    vec![
                        Field::choice("kind", kinds, Some("incident")),
                        Field::text("title", None, false),
                        Field::choice("impact", levels(), Some("3")),
                        Field::choice("urgency", levels(), Some("3")),
                        Field::text("description", None, true),
                    ],
                    Purpose::NewTicket,
                );
                self.mode = Mode::Form(form);
            }
            Action::Edit => {
                let Some(id) = self.selected_id() else { return Ok(()) };
                let view = self.desk.ticket(id)?;
                let t = &view.ticket;
                let levels = || vec!["1".to_string(), "2".to_string(), "3".to_string()];
                let mut fields = vec![
                    Field::text("title", Some(t.title.clone()), false),
                    Field::choice("impact", levels(), Some(&t.impact.to_string())),
                    Field::choice("urgency", levels(), Some(&t.urgency.to_string())),
                    Field::text("category", t.get("category"), false),
                    Field::text("team", t.get("team"), false),
                ];
                if id.kind == Kind::Change {
                    for f in ["implementation_plan", "backout_plan", "planned_start", "planned_end"] {
                        fields.push(Field::text(f, t.get(f), f.ends_with("plan")));
                    }
                }
                if id.kind == Kind::Problem {
                    fields.push(Field::text("root_cause", t.get("root_cause"), true));
                    fields.push(Field::text("workaround", t.get("workaround"), true));
                }
                fields.push(Field::text("description", Some(t.description.clone()), true));
                let before: Vec<(String, String)> = fields.iter().map(|f| (f.name.clone(), f.value())).collect();
                let purpose = Purpose::Edit {
                    id,
                    version: t.version,
                    before,
                };
                self.mode = Mode::Form(Form::new(format!("edit {id}"), fields, purpose));
            }
            Action::Refresh => {
                self.reload()?;
                self.say("reloaded");
            }
        }
        Ok(())
    }

    /// The actions the palette offers for `text`, best match first.
    pub fn palette_matches(&self, text: &str) -> Vec<Action> {
        use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
        use nucleo_matcher::{Config, Matcher, Utf32Str};
        let all = Action::ALL.iter().copied().filter(|a| *a != Action::Palette);
        if text.trim().is_empty() {
            return all.collect();
        }
        let pattern = Pattern::parse(text, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize, Action)> = all
            .enumerate()
            .filter_map(|(i, a)| {
                let hay = format!("{} {:?}", a.description(), a);
                pattern
                    .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                    .map(|s| (s, i, a))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, a)| a).collect()
    }

    /// A click at a cell of the screen: selects the queue row or the tree node under it.
    pub fn click(&mut self, column: u16, row: u16) {
        if self.mode != Mode::Normal {
            return;
        }
        let at = ratatui::layout::Position { x: column, y: row };
        if self.pane == Pane::Cmdb {
            let clicked = self.cmdb.as_ref().is_some_and(|m| m.state.borrow_mut().click_at(at));
            if clicked && let Err(e) = self.load_ci_selection() {
                self.complain(e.to_string());
            }
            return;
        }
        let rows = self.queue_rows_at.get();
        if rows.contains(at) {
            let index = self.queue_offset.get() + usize::from(row - rows.y);
            if index < self.queue.len() {
                if self.queue.selected() == index && self.pane == Pane::Queue {
                    self.update(Action::Open);
                } else {
                    self.queue.select(index);
                    self.pane = Pane::Queue;
                }
            }
        }
    }

    pub fn header_counts(&self) -> (usize, usize, usize) {
        self.queue.counts(self.now)
    }
}

pub fn ids_text(ids: &[TicketId]) -> String {
    match ids {
        [] => "nothing".into(),
        [one] => one.to_string(),
        [a, b] => format!("{a}, {b}"),
        [a, rest @ ..] => format!("{a} and {} more", rest.len()),
    }
}
