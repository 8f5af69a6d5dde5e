//! The queue's model: the rows of a view, sorted, filtered by fuzzy match, with marks.
//! Pure data and rules of display order; the pane draws what this gives it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use nucleo_matcher::{Config, Matcher, Utf32String};

pub use order::Loaded;
use order::Orders;

use crate::desk::QueueRow;
use crate::domain::sla::{Clock, Phase, Standing};

pub use crate::config::ViewSpec;

/// Whether a view shows a row.
fn admits(v: &ViewSpec, r: &Row, me: &str, now: DateTime<Utc>) -> bool {
    v.kind.is_none_or(|k| r.row.id.kind == k)
        && (v.priority.is_empty() || v.priority.contains(&r.row.priority))
        && (v.state.is_empty() || v.state.contains(&r.row.state))
        && match v.assignee.as_deref() {
            None => true,
            Some("none") => r.row.assignee.is_none(),
            Some("me") => r.row.assignee.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(me)),
            Some(name) => r.row.assignee.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(name)),
        }
        && (!v.at_risk || r.standing(now).is_some_and(|s| s >= Standing::AtRisk))
}

/// View `index` of `views`, or "all open" when there is none.
fn view_at(views: &[ViewSpec], index: usize) -> &ViewSpec {
    static ALL_OPEN: std::sync::LazyLock<ViewSpec> = std::sync::LazyLock::new(|| ViewSpec::named("all open"));
    views.get(index).unwrap_or(&ALL_OPEN)
}

/// The columns a queue can be sorted by, in the order `s` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortBy {
    Priority,
    Due,
    Id,
    State,
    Assignee,
    Age,
    Title,
}

impl SortBy {
    pub const ALL: [SortBy; 7] = [
        SortBy::Due,
        SortBy::Priority,
        SortBy::Id,
        SortBy::State,
        SortBy::Assignee,
        SortBy::Age,
        SortBy::Title,
    ];
    pub fn name(self) -> &'static str {
        match self {
            SortBy::Priority => "priority",
            SortBy::Due => "time to breach",
            SortBy::Id => "id",
            SortBy::State => "state",
            SortBy::Assignee => "assignee",
            SortBy::Age => "age",
            SortBy::Title => "title",
        }
    }
    fn next(self) -> SortBy {
        let i = SortBy::ALL.iter().position(|s| *s == self).unwrap_or(0);
        SortBy::ALL[(i + 1) % SortBy::ALL.len()]
    }
}

/// A restriction of the queue to some tickets, e.g. the open tickets of one CI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Only {
    pub label: String,
    pub rowids: std::collections::HashSet<i64>,
}

/// A row with what the queue derives from it once. Kept small: a million-ticket desk holds
/// 77,000 of them (a lowercase copy of each title and a copy of its watched clock were a
/// tenth of the desk's memory; both are worked out when asked).
#[derive(Debug, Clone)]
pub struct Row {
    pub row: QueueRow,
    /// What the fuzzy filter matches against: id, title, assignee and CI, kept in the
    /// matcher's own form so a keystroke does not convert every row again (shared with the
    /// filter's thread).
    haystack: filter::Hay,
    /// The first 16 bytes of the title as the title sort compares it (lowercase), as a
    /// number: most titles differ there.
    title_prefix: u128,
    /// Priority, then creation time, in one number: how rows tie in every order.
    tie: u64,
}

impl Row {
    pub fn new(row: QueueRow) -> Row {
        let haystack = Row::haystack_of(&row);
        let title_prefix = order::title_prefix(&row.title);
        // 8 bits of priority over 56 of milliseconds since 1970 (good for two million years;
        // an earlier time counts as 1970).
        let created = u64::try_from(row.created_at.timestamp_millis()).unwrap_or(0) & ((1 << 56) - 1);
        let tie = (u64::from(row.priority) << 56) | created;
        Row {
            row,
            haystack,
            title_prefix,
            tie,
        }
    }

    /// The SLA clock an operator watches (time to own until owned, then time to resolve),
    /// for open tickets that have one.
    pub fn clock(&self) -> Option<Clock> {
        self.row.clocks.watched().copied().filter(|_| self.row.is_open)
    }

    fn haystack_of(row: &QueueRow) -> filter::Hay {
        std::sync::Arc::new(Utf32String::from(format!(
            "{} {} {} {}",
            row.id,
            row.title,
            row.assignee.as_deref().unwrap_or(""),
            row.ci.as_deref().unwrap_or("")
        )))
    }

    /// Sets the first CI, which only the filter's text depends on.
    fn set_ci(&mut self, ci: &str) {
        self.row.ci = Some(ci.to_string());
        self.haystack = Row::haystack_of(&self.row);
    }

    pub fn standing(&self, now: DateTime<Utc>) -> Option<Standing> {
        self.clock().map(|c| c.standing(now))
    }

    /// Orders rows by time to breach: running clocks by due time, then paused ones by the
    /// time they have left, then tickets without a clock.
    fn breach_key(&self) -> (u8, i64) {
        match self.clock() {
            Some(c) if c.phase == Phase::Running => (0, c.due_at.map_or(i64::MAX, |d| d.timestamp_millis())),
            Some(c) if c.phase == Phase::Paused => (1, c.left.num_milliseconds()),
            _ => (2, 0),
        }
    }
}

/// All rows of the desk's open queue (or of the closed view), and what is shown of them.
#[derive(Debug)]
pub struct Queue {
    rows: Vec<Row>,
    /// The open rows, kept aside while a view of closed tickets shows: the header counts
    /// the whole desk's open work in every view.
    stash: Vec<Row>,
    /// The stash's orders, kept while nothing is merged into it: back, it is not sorted again.
    stash_orders: Orders,
    /// Indexes into `rows`, in display order.
    shown: Vec<usize>,
    /// The views `]` and `[` walk through, and which one is shown.
    pub views: Vec<ViewSpec>,
    view: usize,
    pub sort: SortBy,
    pub reverse: bool,
    pub filter: String,
    pub marks: BTreeSet<i64>,
    /// When set, only these tickets are shown (whatever the view); see [`Queue::set_only`].
    only: Option<Only>,
    selected: usize,
    /// One matcher per thread the filter scores rows on.
    matchers: Vec<Matcher>,
    /// The last filter and the rows it matched (positions in `ordered`, in that order): a
    /// filter that only adds to it scores just those rows again.
    narrowed: Option<(String, Vec<usize>)>,
    /// Bumped whenever the rows or `only` change.
    generation: u64,
    /// The rows the view admits, in its order, and what that was worked out from: the
    /// filter only narrows this, so a keystroke in it does not sort the whole queue again.
    ordered: Vec<usize>,
    ordered_for: Option<OrderKey>,
    /// Bumped whenever `ordered` changes: what a filter being matched elsewhere was for.
    order_serial: u64,
    /// Every row in each sort order worked out so far.
    orders: Orders,
    /// Where long filters are matched (a thread per filter; made by the first filter too long
    /// to score here), the filter being matched, the last filter sent to it, and the rows' text in the view's order
    /// as it was sent (and for which `ordered`).
    worker: Option<filter::Worker>,
    pending: Option<filter::Pending>,
    serial: u64,
    hay: Option<(u64, std::sync::Arc<Vec<filter::Hay>>)>,
    /// Rows the UI thread scores itself at most ([`filter::ON_THE_SPOT`]; tests lower it).
    on_the_spot: usize,
    /// Only the first page of the open queue is in; the rest is being read.
    pub loading: bool,
    /// The rows of the view shown (recently closed tickets) are being read.
    pub reading: bool,
    /// Bumped whenever rows come, go or change: what the header's counts were made from.
    edits: u64,
    /// The header's counts, the edits and time they were counted at, and over which rows
    /// (closed view: the open rows kept aside): every frame shows them, a tick moves them.
    tallied: std::cell::Cell<Option<Tally>>,
}

/// Open, at risk and breached.
type Counts = (usize, usize, usize);

/// Counts, with the edits, time and rows (the open rows kept aside or not) they are of.
type Tally = (u64, DateTime<Utc>, bool, Counts);

/// Everything the view's order depends on.
#[derive(Debug, Clone, PartialEq)]
struct OrderKey {
    generation: u64,
    view: usize,
    views: usize,
    sort: SortBy,
    reverse: bool,
    me: String,
    /// Only the at-risk view depends on the time.
    now: Option<DateTime<Utc>>,
}

/// What an action of the queue asks of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    Open,
    Filter,
    /// The view changed to one whose rows must be read from the desk.
    ReadView,
    /// The queue no longer shows only one CI's tickets: go back where that came from.
    LeftOnly,
}

impl Queue {
    /// An action of the queue's layer; `page` rows make a page; `me` and `now` order the
    /// views that depend on them.
    pub fn on(&mut self, action: crate::tui::action::Action, page: isize, me: &str, now: DateTime<Utc>) -> Effect {
        use crate::tui::action::Action;
        match action {
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(page),
            Action::PageUp => self.move_by(-page),
            Action::Top => self.select(0),
            Action::Bottom => self.select(usize::MAX),
            Action::Open => return Effect::Open,
            Action::Filter => return Effect::Filter,
            Action::Back => {
                // Esc undoes the narrowest thing first: a CI's tickets, the filter, the marks.
                if self.only().is_some() {
                    self.set_only(None);
                    self.refresh(me, now);
                    return Effect::LeftOnly;
                } else if !self.filter.is_empty() {
                    self.filter.clear();
                    self.refresh(me, now);
                } else {
                    self.marks.clear();
                }
            }
            Action::NextView | Action::PrevView => {
                let n = self.views.len().max(1);
                let i = self.view_index();
                let next = if action == Action::NextView { i + 1 } else { i + n - 1 };
                if self.set_view(next) {
                    return Effect::ReadView;
                }
                self.refresh(me, now);
                self.select(0);
            }
            Action::Sort => {
                self.cycle_sort();
                self.refresh(me, now);
            }
            Action::SortReverse => {
                self.reverse = !self.reverse;
                self.refresh(me, now);
            }
            Action::Mark => {
                self.toggle_mark();
                self.move_by(1);
            }
            Action::MarkAll => self.mark_all(),
            _ => {}
        }
        Effect::None
    }

    pub fn new(rows: Vec<QueueRow>) -> Queue {
        let mut q = Queue {
            rows: Vec::new(),
            stash: Vec::new(),
            stash_orders: Orders::default(),
            shown: Vec::new(),
            views: ViewSpec::builtin(),
            view: 0,
            sort: SortBy::Due,
            reverse: false,
            filter: String::new(),
            marks: BTreeSet::new(),
            only: None,
            selected: 0,
            matchers: (0..filter::threads()).map(|_| Matcher::new(Config::DEFAULT)).collect(),
            narrowed: None,
            generation: 0,
            ordered: Vec::new(),
            ordered_for: None,
            order_serial: 0,
            orders: Orders::default(),
            worker: None,
            pending: None,
            serial: 0,
            hay: None,
            on_the_spot: filter::ON_THE_SPOT,
            loading: false,
            reading: false,
            edits: 0,
            tallied: std::cell::Cell::new(None),
        };
        q.rows = rows.into_iter().map(Row::new).collect();
        q
    }

    /// Replaces the rows (after a reload), keeping the selected ticket selected if it is
    /// still shown and the marks of tickets that still exist.
    pub fn replace_rows(&mut self, rows: Vec<QueueRow>, me: &str, now: DateTime<Utc>) {
        let (old, orders) = self.swap_rows(rows.into_iter().map(Row::new).collect(), Orders::default(), me, now);
        if !self.view().closed {
            self.stash.clear();
            self.stash_orders = Orders::default();
        } else if self.stash.is_empty() && old.iter().all(|r| r.row.is_open) {
            (self.stash, self.stash_orders) = (old, orders);
            self.edits += 1;
        }
    }

    /// Puts `rows` in place of the rows, keeping the selected ticket selected if it is still
    /// shown and the marks of tickets still there; gives back the rows it replaced and their
    /// orders.
    fn swap_rows(&mut self, rows: Vec<Row>, orders: Orders, me: &str, now: DateTime<Utc>) -> (Vec<Row>, Orders) {
        let keep = self.selected_row().map(|r| r.row.rowid);
        // `shown` indexes the old rows: drop it before anything looks through it.
        self.shown.clear();
        self.generation += 1;
        self.edits += 1;
        let old = std::mem::replace(&mut self.rows, rows);
        let old_orders = std::mem::replace(&mut self.orders, orders);
        if !self.marks.is_empty() {
            let ids: BTreeSet<i64> = self.rows.iter().map(|r| r.row.rowid).collect();
            self.marks.retain(|m| ids.contains(m));
        }
        self.refresh(me, now);
        if let Some(rowid) = keep {
            self.select_rowid(rowid);
        }
        (old, old_orders)
    }

    /// Back from a view of closed tickets: the open rows kept aside (and merged into while
    /// they were) come back without being read again. False when there are none.
    pub fn restore_open(&mut self, me: &str, now: DateTime<Utc>) -> bool {
        if self.stash.is_empty() || self.view().closed {
            return false;
        }
        let (open, orders) = (std::mem::take(&mut self.stash), std::mem::take(&mut self.stash_orders));
        self.swap_rows(open, orders, me, now);
        true
    }

    /// The whole open queue, read after its first page: replaces the rows (keeping the
    /// selected ticket and the marks, and the CI names the first page had until the
    /// queue's own are read). Under a view of closed tickets it waits aside for the header.
    pub fn take_loaded(&mut self, loaded: Loaded, me: &str, now: DateTime<Utc>) {
        let (mut rows, orders) = loaded.into_parts();
        let cis: std::collections::HashMap<i64, String> = self
            .rows
            .iter()
            .chain(&self.stash)
            .filter_map(|r| r.row.ci.clone().map(|c| (r.row.rowid, c)))
            .collect();
        for r in rows.iter_mut().filter(|r| r.row.ci.is_none()) {
            if let Some(ci) = cis.get(&r.row.rowid) {
                r.set_ci(ci);
            }
        }
        if self.view().closed {
            (self.stash, self.stash_orders) = (rows, orders);
            self.edits += 1;
        } else {
            self.swap_rows(rows, orders, me, now);
        }
    }

    /// The rows of a view of closed tickets, read off the UI thread; dropped if the view
    /// shown is no longer one.
    pub fn take_closed(&mut self, loaded: Loaded, me: &str, now: DateTime<Utc>) {
        if self.view().closed {
            let (rows, orders) = loaded.into_parts();
            self.swap_rows(rows, orders, me, now);
        }
    }

    /// Fills in the first CI of each row (loaded after the rows, off the UI thread).
    pub fn set_cis(&mut self, cis: Vec<(i64, String)>, me: &str, now: DateTime<Utc>) {
        let cis: std::collections::HashMap<i64, String> = cis.into_iter().collect();
        // The filter's text changed under what it matched before.
        self.narrowed = None;
        self.hay = None;
        for r in &mut self.rows {
            if let Some(ci) = cis.get(&r.row.rowid) {
                r.set_ci(ci);
            }
        }
        if !self.filter.is_empty() {
            self.refresh(me, now);
        }
    }

    /// Shows only these tickets (whatever the view), or every ticket of the view again.
    pub fn set_only(&mut self, only: Option<Only>) {
        self.only = only;
        self.generation += 1;
    }

    pub fn only(&self) -> Option<&Only> {
        self.only.as_ref()
    }

    /// Recomputes what is shown from the view, the filter and the sort.
    pub fn refresh(&mut self, me: &str, now: DateTime<Utc>) {
        let keep = self.selected_row().map(|r| r.row.rowid);
        let key = OrderKey {
            generation: self.generation,
            view: self.view,
            views: self.views.len(),
            sort: self.sort,
            reverse: self.reverse,
            me: me.to_string(),
            now: self.view().at_risk.then_some(now),
        };
        if self.ordered_for.as_ref() != Some(&key) {
            self.ordered = self.order(me, now);
            self.ordered_for = Some(key);
            self.order_serial += 1;
            self.narrowed = None;
        }
        let shown = if self.filter.trim().is_empty() {
            self.narrowed = None;
            self.forget_matching();
            self.ordered.clone()
        } else {
            match self.filtered() {
                Some(shown) => shown,
                // Matched on the filter's thread: what shows stays until that is in.
                None => return,
            }
        };
        self.shown = shown;
        self.selected = 0;
        if let Some(rowid) = keep {
            self.select_rowid(rowid);
        }
    }

    /// The filter changed: shows what it matches, from the first match (once it is in, when
    /// it is matched on the filter's thread).
    pub fn refilter(&mut self, me: &str, now: DateTime<Utc>) {
        self.refresh(me, now);
        self.select(0);
        if let Some(p) = &mut self.pending {
            p.top = true;
        }
    }

    fn select_rowid(&mut self, rowid: i64) {
        // Found through the facts, a walk over a few bytes a row: through the rows, a view
        // switch from a ticket the new view does not show read all of them.
        let index = match self.orders.known_facts(self.rows.len()) {
            Some(facts) => facts.index_of(rowid),
            None => self.rows.iter().position(|r| r.row.rowid == rowid),
        };
        if let Some(pos) = index.and_then(|index| self.shown.iter().position(|&i| i == index)) {
            self.selected = pos;
        } else {
            self.selected = self.selected.min(self.shown.len().saturating_sub(1));
        }
    }

    /// The view shown.
    pub fn view(&self) -> &ViewSpec {
        view_at(&self.views, self.view)
    }

    /// Shows view `index` (wrapping), returning whether it reads other rows than the last
    /// one did (open tickets versus recently closed ones).
    pub fn set_view(&mut self, index: usize) -> bool {
        let was_closed = self.view().closed;
        self.view = index % self.views.len().max(1);
        was_closed != self.view().closed
    }

    pub fn view_index(&self) -> usize {
        self.view
    }

    pub fn len(&self) -> usize {
        self.shown.len()
    }
    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }
    pub fn total(&self) -> usize {
        self.rows.len()
    }
    pub fn selected(&self) -> usize {
        self.selected
    }
    pub fn select(&mut self, index: usize) {
        self.selected = index.min(self.shown.len().saturating_sub(1));
    }
    pub fn move_by(&mut self, delta: isize) {
        let last = self.shown.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }
    pub fn selected_row(&self) -> Option<&Row> {
        self.shown.get(self.selected).map(|&i| &self.rows[i])
    }
    /// The shown rows from `start`, at most `n`.
    pub fn window(&self, start: usize, n: usize) -> impl Iterator<Item = &Row> {
        self.shown.iter().skip(start).take(n).map(|&i| &self.rows[i])
    }
    pub fn all_rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.reverse = false;
    }

    pub fn toggle_mark(&mut self) {
        if let Some(rowid) = self.selected_row().map(|r| r.row.rowid)
            && !self.marks.remove(&rowid)
        {
            self.marks.insert(rowid);
        }
    }

    /// Marks every shown row, or clears the marks when all are marked already.
    pub fn mark_all(&mut self) {
        let shown: BTreeSet<i64> = self.shown.iter().map(|&i| self.rows[i].row.rowid).collect();
        if shown.is_subset(&self.marks) {
            self.marks.clear();
        } else {
            self.marks.extend(shown);
        }
    }

    /// The tickets an action applies to: the marked ones, or else the selected one.
    pub fn targets(&self) -> Vec<crate::domain::TicketId> {
        if self.marks.is_empty() {
            return self.selected_row().map(|r| vec![r.row.id]).unwrap_or_default();
        }
        self.rows
            .iter()
            .filter(|r| self.marks.contains(&r.row.rowid))
            .map(|r| r.row.id)
            .collect()
    }
}

mod counts;
mod facts;
mod filter;
mod order;
#[cfg(test)]
mod tests;
