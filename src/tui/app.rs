//! The state of the terminal desk and the routing of actions: global ones here, a pane's to
//! that pane (`panes/*.rs`), a ticket's to `ticket.rs`, writes to `write.rs`. Every write
//! goes through `Desk`, exactly as the CLI's do; the screen is drawn from this state by `ui`.

use std::cell::Cell;

use chrono::{DateTime, FixedOffset, Local, Offset, Utc};

use super::action::{Action, Layer};
use super::background::Background;
use super::calendar::CalendarModel;
use super::cmdb::CmdbModel;
use super::dashboard::DashboardModel;
use super::drafts::Drafts;
use super::keymap::Keymap;
use super::queue::Queue;
use super::widgets::form::Form;
use crate::desk::{Desk, DeskError, Offer};
use crate::domain::TicketId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Queue,
    Detail,
    Cmdb,
    Calendar,
    Dashboard,
    Inbox,
}

impl Pane {
    pub fn layer(self) -> Layer {
        match self {
            Pane::Queue => Layer::Queue,
            Pane::Detail => Layer::Detail,
            Pane::Cmdb => Layer::Cmdb,
            Pane::Calendar => Layer::Calendar,
            Pane::Dashboard => Layer::Dashboard,
            Pane::Inbox => Layer::Inbox,
        }
    }
}

/// A ticket as the operator saw it when they asked to act on it: a write carries the
/// version, so a change by someone else in between is refused, never overwritten.
pub type Seen = (TicketId, Option<i64>);

/// What submitting a form does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Transition {
        name: String,
        targets: Vec<Seen>,
    },
    Comment {
        targets: Vec<TicketId>,
        internal: bool,
    },
    /// A public reply, mailed to the ticket's requester and watchers once confirmed.
    Reply {
        id: TicketId,
    },
    Assign {
        targets: Vec<Seen>,
    },
    NewTicket,
    Edit {
        id: TicketId,
        version: i64,
    },
    Link {
        id: TicketId,
    },
}

/// What a picker's entries are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickFor {
    Move { offers: Vec<Offer>, targets: Vec<Seen> },
    Unlink { id: TicketId, links: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub label: String,
    pub detail: String,
}

/// A list to choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub title: String,
    pub entries: Vec<Entry>,
    pub index: usize,
    pub purpose: PickFor,
}

/// What a yes to a question does.
#[derive(Debug, Clone)]
pub enum Ask {
    /// Resolve a resolved problem's open incidents too.
    ResolveIncidents { problem: TicketId },
    /// Throw away what was typed in a form (no goes back to it).
    Discard { form: Box<Form<Purpose>> },
    /// Take a move with nothing to ask on these tickets.
    Move { offer: Offer, targets: Vec<Seen> },
    /// Take tickets someone else holds, or several at once.
    AssignToMe { targets: Vec<Seen> },
    /// Unassign these tickets.
    Unassign { targets: Vec<Seen> },
    /// Submit a form that writes to several tickets.
    Submit { form: Box<Form<Purpose>> },
}

#[derive(Debug, Clone)]
pub struct Question {
    pub title: String,
    pub text: String,
    pub ask: Ask,
}

#[derive(Debug, Clone)]
pub enum Mode {
    Normal,
    Filter,
    /// The keys of the layer under it; any key goes back to it.
    Help {
        back: Box<Mode>,
    },
    Pick(Picker),
    Form(Box<Form<Purpose>>),
    /// Typing the name of a CI to find in the tree.
    FindCi(String),
    /// The command palette: every action, or a ticket by id, narrowed by what is typed.
    Palette {
        text: String,
        index: usize,
    },
    Confirm(Question),
}

impl Mode {
    pub fn is_normal(&self) -> bool {
        matches!(self, Mode::Normal)
    }

    /// The layer whose keys this mode reads (None: the pane's).
    pub fn layer(&self) -> Option<Layer> {
        match self {
            Mode::Normal => None,
            Mode::Help { back } => back.layer(),
            Mode::Pick(_) => Some(Layer::Picker),
            Mode::Form(_) => Some(Layer::Form),
            Mode::Filter | Mode::FindCi(_) | Mode::Palette { .. } => Some(Layer::Prompt),
            Mode::Confirm(_) => Some(Layer::Confirm),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// Where esc goes back to from the detail: the pane (or ticket) it was opened from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Back {
    Pane(Pane),
    Ticket(TicketId),
}

/// How many rows of the open queue are read before the first frame (more than any screen
/// shows); the rest follow off the UI thread.
const FIRST_PAGE: usize = 200;

pub struct App {
    pub desk: Desk,
    pub keymap: Keymap,
    pub queue: Queue,
    pub pane: Pane,
    /// The ticket in view, and how it is looked at.
    pub detail: super::panes::detail::DetailPane,
    /// The CMDB tree, read on the first visit to its pane.
    pub cmdb: Option<CmdbModel>,
    /// The desk changed since the tree was read: read it again when it is shown.
    pub(super) cmdb_stale: bool,
    /// The change calendar, set up on the first visit to its pane.
    pub calendar: Option<CalendarModel>,
    /// The dashboard's period and figures (read when its pane is shown).
    pub dashboard: DashboardModel,
    /// What the desk told the operator about; its unread count is in the header.
    pub inbox: super::panes::inbox::InboxPane,
    /// The zone the operator reads times in.
    pub zone: FixedOffset,
    /// Where esc goes back to, newest last.
    pub(super) trail: Vec<Back>,
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
    /// The size of the last frame: keys are not read behind the too-small screen.
    pub screen: Cell<(u16, u16)>,
    /// Where forms keep what is typed until the desk takes it.
    pub drafts: Option<Drafts>,
    pub(super) data_version: i64,
    /// The newest change the queue has seen; refreshes read what changed since.
    pub(super) seen_until: DateTime<Utc>,
    pub(super) background: Background,
}

impl App {
    pub fn new(mut desk: Desk, keymap: Keymap, now: DateTime<Utc>) -> Result<App, DeskError> {
        let data_version = desk.data_version()?;
        let seen_until = desk.newest_change()?.unwrap_or(now);
        let mut queue = Queue::new(Vec::new());
        queue.views = desk.config().views.clone();
        // The first view in its first order is the open queue by time to breach: its first
        // page is read at once and the rest off this thread. Another first view (a desk's
        // own) is read whole.
        let quick = queue.view().admits_any_open() && !queue.view().closed;
        let rows = if quick {
            desk.queue_open_first(FIRST_PAGE)?
        } else {
            desk.queue_open()?
        };
        let mut background = Background::start(&desk);
        // Read once the first frame is out: on two cores a read of the whole queue beside
        // it would take the CPU that frame needs.
        background.after_first_frame = Some(quick.then_some(seen_until));
        queue.loading = quick;
        queue.replace_rows(rows, desk.user(), now);
        let inbox = super::panes::inbox::InboxPane::new(desk.inbox_unread()?);
        Ok(App {
            desk,
            keymap,
            queue,
            pane: Pane::Queue,
            detail: Default::default(),
            cmdb: None,
            cmdb_stale: false,
            calendar: None,
            zone: Local::now().offset().fix(),
            trail: Vec::new(),
            mode: Mode::Normal,
            status: None,
            now,
            quit: false,
            queue_offset: Cell::new(0),
            queue_height: Cell::new(20),
            queue_rows_at: Cell::new(ratatui::layout::Rect::default()),
            screen: Cell::new((u16::MAX, u16::MAX)),
            drafts: None,
            data_version,
            seen_until,
            background,
            dashboard: DashboardModel::default(),
            inbox,
        })
    }

    /// The pane actually drawn: one whose state is not there yet shows the queue.
    pub fn visible_pane(&self) -> Pane {
        match self.pane {
            Pane::Detail if self.detail.view.is_none() => Pane::Queue,
            Pane::Cmdb if self.cmdb.is_none() && !self.cmdb_loading() => Pane::Queue,
            Pane::Calendar if self.calendar.is_none() => Pane::Queue,
            p => p,
        }
    }

    /// The layer of keys on screen.
    pub fn layer(&self) -> Layer {
        self.mode.layer().unwrap_or_else(|| self.visible_pane().layer())
    }

    pub fn too_small(&self) -> bool {
        let (w, h) = self.screen.get();
        w < super::ui::MIN_WIDTH || h < super::ui::MIN_HEIGHT
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

    /// The ticket an action applies to when it names one: the one in view.
    pub(super) fn selected_id(&self) -> Option<TicketId> {
        match self.visible_pane() {
            Pane::Detail => self.detail.id(),
            Pane::Queue => self.queue.selected_row().map(|r| r.row.id),
            Pane::Cmdb | Pane::Dashboard => None,
            Pane::Inbox => self.inbox.selected_item().map(|i| i.ticket),
            Pane::Calendar => self.calendar.as_ref().and_then(|c| c.selected_change()).map(|c| c.id),
        }
    }

    pub(super) fn refresh_view(&mut self) {
        let me = self.desk.user().to_string();
        self.queue.refresh(&me, self.now);
    }

    /// The filter changed: show what it matches, from the top.
    pub fn refilter(&mut self) {
        let me = self.desk.user().to_string();
        self.queue.refilter(&me, self.now);
    }

    pub fn update(&mut self, action: Action) {
        if let Err(e) = self.try_update(action) {
            self.complain(e.to_string());
        }
    }

    /// A global action, else the visible pane's (its layer decided the key means it).
    fn try_update(&mut self, action: Action) -> Result<(), DeskError> {
        match action {
            Action::Quit => self.quit_saving_drafts(),
            Action::Help => {
                self.mode = Mode::Help {
                    back: Box::new(std::mem::replace(&mut self.mode, Mode::Normal)),
                }
            }
            Action::Palette => {
                self.mode = Mode::Palette {
                    text: String::new(),
                    index: 0,
                }
            }
            Action::PaneQueue => self.show_pane(Pane::Queue)?,
            Action::PaneDetail => self.open_selected()?,
            Action::PaneCmdb => self.show_pane(Pane::Cmdb)?,
            Action::PaneCalendar => self.show_pane(Pane::Calendar)?,
            Action::PaneDashboard => self.show_pane(Pane::Dashboard)?,
            Action::PaneInbox => self.show_pane(Pane::Inbox)?,
            Action::NextPane | Action::PrevPane => {
                // queue → detail → CMDB → calendar → dashboard → inbox → queue, and back.
                let order = [
                    Pane::Queue,
                    Pane::Detail,
                    Pane::Cmdb,
                    Pane::Calendar,
                    Pane::Dashboard,
                    Pane::Inbox,
                ];
                let at = order.iter().position(|p| *p == self.visible_pane()).unwrap_or(0);
                let step = if action == Action::NextPane { 1 } else { order.len() - 1 };
                let mut next = order[(at + step) % order.len()];
                if next == Pane::Detail && self.detail.view.is_none() && self.queue.selected_row().is_none() {
                    next = order[(at + 2 * step) % order.len()];
                }
                if next == Pane::Detail {
                    if self.detail.view.is_none() {
                        self.open_selected()?;
                    } else {
                        self.pane = Pane::Detail;
                    }
                } else {
                    self.show_pane(next)?;
                }
            }
            Action::NewTicket => self.new_ticket_form()?,
            Action::Refresh => {
                self.reload()?;
                self.say("reloaded");
            }
            Action::Transition
            | Action::AssignToMe
            | Action::Assign
            | Action::Unassign
            | Action::Resolve
            | Action::Pend
            | Action::Comment
            | Action::WorkNote
            | Action::Reply
            | Action::Edit
            | Action::Link
            | Action::Unlink => self.ticket_action(action)?,
            _ => match self.visible_pane() {
                Pane::Queue => self.on_queue(action)?,
                Pane::Detail => self.on_detail(action)?,
                Pane::Cmdb => self.on_cmdb(action)?,
                Pane::Calendar => self.on_calendar(action)?,
                Pane::Dashboard => self.on_dashboard(action)?,
                Pane::Inbox => self.on_inbox(action)?,
            },
        }
        Ok(())
    }

    pub(super) fn show_pane(&mut self, pane: Pane) -> Result<(), DeskError> {
        if pane == Pane::Calendar && self.calendar.is_none() {
            let today = self.now.with_timezone(&self.zone).date_naive();
            self.calendar = Some(CalendarModel::new(today, self.zone));
        }
        self.pane = pane;
        self.trail.clear();
        self.refresh_visible_pane()
    }

    /// Opens the queue's selected ticket in the detail.
    pub(super) fn open_selected(&mut self) -> Result<(), DeskError> {
        if let Some(id) = self.queue.selected_row().map(|r| r.row.id) {
            self.open_ticket(id, Back::Pane(Pane::Queue))?;
        }
        Ok(())
    }

    /// Shows ticket `id` in the detail; esc goes back to `from`.
    pub fn open_ticket(&mut self, id: TicketId, from: Back) -> Result<(), DeskError> {
        self.load_detail(id)?;
        if self.pane == Pane::Detail && from != Back::Pane(Pane::Detail) {
            self.trail.push(from);
        } else if self.pane != Pane::Detail {
            self.trail = vec![from];
        }
        self.pane = Pane::Detail;
        Ok(())
    }

    /// Esc from the detail: the ticket or pane it was opened from.
    pub(super) fn go_back(&mut self) -> Result<(), DeskError> {
        match self.trail.pop() {
            Some(Back::Ticket(id)) => {
                self.load_detail(id)?;
                self.pane = Pane::Detail;
            }
            Some(Back::Pane(p)) => {
                self.pane = p;
                self.refresh_visible_pane()?;
            }
            None => self.pane = Pane::Queue,
        }
        Ok(())
    }

    /// Quits; a form open with typed text keeps it as a draft for next time.
    pub fn quit_saving_drafts(&mut self) {
        if let Mode::Form(form) = &self.mode {
            let form = form.clone();
            self.keep_draft(&form);
        }
        self.quit = true;
    }

    /// A click at a cell of the screen: selects the queue row or the tree node under it.
    pub fn click(&mut self, column: u16, row: u16) {
        if !self.mode.is_normal() || self.too_small() {
            return;
        }
        let at = ratatui::layout::Position { x: column, y: row };
        if self.visible_pane() == Pane::Cmdb {
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

    /// The wheel: moves what the pane under it moves.
    pub fn scroll(&mut self, down: bool) {
        if self.mode.is_normal() && !self.too_small() {
            let a = if down { Action::Down } else { Action::Up };
            (0..3).for_each(|_| self.update(a));
        }
    }

    /// Open, at risk and breached over the whole desk's open tickets, whatever the view.
    pub fn header_counts(&self) -> (usize, usize, usize) {
        self.queue.desk_counts(self.now)
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
