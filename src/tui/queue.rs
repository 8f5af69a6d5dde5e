//! The queue's model: the rows of a view, sorted, filtered by fuzzy match, with marks.
//! Pure data and rules of display order; the pane draws what this gives it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};

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

/// The columns a queue can be sorted by, in the order `s` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A row with what the queue derives from it once.
#[derive(Debug, Clone)]
pub struct Row {
    pub row: QueueRow,
    /// The SLA clock an operator watches (time to own until owned, then time to resolve),
    /// for open tickets that have one.
    pub clock: Option<Clock>,
    /// What the fuzzy filter matches against: id, title, assignee and CI, kept in the
    /// matcher's own form so a keystroke does not convert every row again.
    haystack: Utf32String,
}

impl Row {
    pub fn new(row: QueueRow) -> Row {
        let clock = row.clocks.watched().copied().filter(|_| row.is_open);
        let haystack = Row::haystack_of(&row);
        Row { row, clock, haystack }
    }

    fn haystack_of(row: &QueueRow) -> Utf32String {
        Utf32String::from(format!(
            "{} {} {} {}",
            row.id,
            row.title,
            row.assignee.as_deref().unwrap_or(""),
            row.ci.as_deref().unwrap_or("")
        ))
    }

    /// Sets the first CI, which only the filter's text depends on.
    fn set_ci(&mut self, ci: &str) {
        self.row.ci = Some(ci.to_string());
        self.haystack = Row::haystack_of(&self.row);
    }

    pub fn standing(&self, now: DateTime<Utc>) -> Option<Standing> {
        self.clock.map(|c| c.standing(now))
    }

    /// Orders rows by time to breach: running clocks by due time, then paused ones by the
    /// time they have left, then tickets without a clock.
    fn breach_key(&self) -> (u8, i64) {
        match self.clock {
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
    matcher: Matcher,
    /// Bumped whenever the rows or `only` change.
    generation: u64,
    /// The rows the view admits, in its order, and what that was worked out from: the
    /// filter only narrows this, so a keystroke in it does not sort the whole queue again.
    ordered: Vec<usize>,
    ordered_for: Option<OrderKey>,
}

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

impl Queue {
    pub fn new(rows: Vec<QueueRow>) -> Queue {
        let mut q = Queue {
            rows: Vec::new(),
            stash: Vec::new(),
            shown: Vec::new(),
            views: ViewSpec::builtin(),
            view: 0,
            sort: SortBy::Due,
            reverse: false,
            filter: String::new(),
            marks: BTreeSet::new(),
            only: None,
            selected: 0,
            matcher: Matcher::new(Config::DEFAULT),
            generation: 0,
            ordered: Vec::new(),
            ordered_for: None,
        };
        q.rows = rows.into_iter().map(Row::new).collect();
        q
    }

    /// Replaces the rows (after a reload), keeping the selected ticket selected if it is
    /// still shown and the marks of tickets that still exist.
    pub fn replace_rows(&mut self, rows: Vec<QueueRow>, me: &str, now: DateTime<Utc>) {
        let keep = self.selected_row().map(|r| r.row.rowid);
        // `shown` indexes the old rows: drop it before anything looks through it.
        self.shown.clear();
        self.generation += 1;
        let old = std::mem::replace(&mut self.rows, rows.into_iter().map(Row::new).collect());
        if !self.view().closed {
            self.stash.clear();
        } else if self.stash.is_empty() && old.iter().all(|r| r.row.is_open) {
            self.stash = old;
        }
        let ids: BTreeSet<i64> = self.rows.iter().map(|r| r.row.rowid).collect();
        self.marks.retain(|m| ids.contains(m));
        self.refresh(me, now);
        if let Some(rowid) = keep {
            self.select_rowid(rowid);
        }
    }

    /// Merges rows that changed: updated ones replace theirs, new ones join, and rows that
    /// no longer belong (closed, for the open queue; reopened, for the closed view) leave.
    pub fn merge(&mut self, changed: Vec<QueueRow>, me: &str, now: DateTime<Utc>) {
        if changed.is_empty() {
            return;
        }
        let keep_open = !self.view().closed;
        if !keep_open {
            // The open rows aside follow the desk too, for the header's counts.
            let open: std::collections::HashMap<i64, &QueueRow> = changed.iter().map(|r| (r.rowid, r)).collect();
            self.stash.retain(|r| !open.contains_key(&r.row.rowid));
            self.stash
                .extend(changed.iter().filter(|r| r.is_open).cloned().map(Row::new));
        }
        let keep = self.selected_row().map(|r| r.row.rowid);
        let mut incoming: std::collections::HashMap<i64, QueueRow> =
            changed.into_iter().map(|r| (r.rowid, r)).collect();
        self.shown.clear();
        self.generation += 1;
        let old = std::mem::take(&mut self.rows);
        for r in old {
            match incoming.remove(&r.row.rowid) {
                None => self.rows.push(r),
                Some(mut new) if new.is_open == keep_open => {
                    if new.ci.is_none() {
                        new.ci = r.row.ci;
                    }
                    self.rows.push(Row::new(new));
                }
                Some(_) => {
                    self.marks.remove(&r.row.rowid);
                }
            }
        }
        self.rows
            .extend(incoming.into_values().filter(|r| r.is_open == keep_open).map(Row::new));
        self.refresh(me, now);
        if let Some(rowid) = keep {
            self.select_rowid(rowid);
        }
    }

    /// Fills in the first CI of each row (loaded after the rows, off the UI thread).
    pub fn set_cis(&mut self, cis: Vec<(i64, String)>, me: &str, now: DateTime<Utc>) {
        let cis: std::collections::HashMap<i64, String> = cis.into_iter().collect();
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
        }
        let mut shown = self.ordered.clone();
        if !self.filter.trim().is_empty() {
            let pattern = Pattern::parse(&self.filter, CaseMatching::Ignore, Normalization::Smart);
            let rows = &self.rows;
            let mut scored: Vec<(u32, usize, usize)> = Vec::new();
            for (order, i) in shown.iter().enumerate() {
                if let Some(score) = pattern.score(rows[*i].haystack.slice(..), &mut self.matcher) {
                    scored.push((score, order, *i));
                }
            }
            // Best match first; equal scores keep the view's order.
            scored.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            shown = scored.into_iter().map(|(_, _, i)| i).collect();
        }
        self.shown = shown;
        self.selected = 0;
        if let Some(rowid) = keep {
            self.select_rowid(rowid);
        }
    }

    /// The rows the view admits, in its order. Each row's sort key is worked out once.
    fn order(&self, me: &str, now: DateTime<Utc>) -> Vec<usize> {
        let view = self.view();
        let only = self.only.as_ref();
        let rows = &self.rows;
        let mut shown: Vec<usize> = (0..rows.len())
            .filter(|&i| admits(view, &rows[i], me, now))
            .filter(|&i| only.is_none_or(|o| o.rowids.contains(&rows[i].row.rowid)))
            .collect();
        // Ties: priority, then age, then the row (unique), so the order is total.
        let tie = |i: usize| (rows[i].row.priority, rows[i].row.created_at, rows[i].row.rowid);
        if view.closed && self.sort == SortBy::Due {
            shown.sort_by_cached_key(|&i| std::cmp::Reverse(rows[i].row.updated_at));
        } else {
            match self.sort {
                SortBy::Priority => shown.sort_by_cached_key(|&i| tie(i)),
                SortBy::Due => shown.sort_by_cached_key(|&i| (rows[i].breach_key(), tie(i))),
                SortBy::Id => shown.sort_by_cached_key(|&i| ((rows[i].row.id.kind, rows[i].row.id.number), tie(i))),
                SortBy::State => shown.sort_by_cached_key(|&i| (rows[i].row.state.clone(), tie(i))),
                SortBy::Assignee => shown.sort_by_cached_key(|&i| (rows[i].row.assignee.clone(), tie(i))),
                SortBy::Age => shown.sort_by_cached_key(|&i| (rows[i].row.created_at, tie(i))),
                SortBy::Title => shown.sort_by_cached_key(|&i| (rows[i].row.title.to_lowercase(), tie(i))),
            }
        }
        if self.reverse {
            shown.reverse();
        }
        shown
    }

    fn select_rowid(&mut self, rowid: i64) {
        if let Some(pos) = self.shown.iter().position(|&i| self.rows[i].row.rowid == rowid) {
            self.selected = pos;
        } else {
            self.selected = self.selected.min(self.shown.len().saturating_sub(1));
        }
    }

    /// The view shown.
    pub fn view(&self) -> &ViewSpec {
        static ALL_OPEN: std::sync::LazyLock<ViewSpec> = std::sync::LazyLock::new(|| ViewSpec::named("all open"));
        self.views.get(self.view).unwrap_or(&ALL_OPEN)
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

    /// Open, at risk and breached over the whole desk's open tickets, whatever the view.
    pub fn desk_counts(&self, now: DateTime<Utc>) -> (usize, usize, usize) {
        if self.view().closed {
            return count(&self.stash, now);
        }
        self.counts(now)
    }

    /// Open, at risk and breached counts over every open row.
    pub fn counts(&self, now: DateTime<Utc>) -> (usize, usize, usize) {
        count(&self.rows, now)
    }
}

fn count(rows: &[Row], now: DateTime<Utc>) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for r in rows.iter().filter(|r| r.row.is_open) {
        c.0 += 1;
        match r.standing(now) {
            Some(Standing::AtRisk) => c.1 += 1,
            Some(Standing::Breached) => c.2 += 1,
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, TicketId};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).single().expect("time")
    }

    fn row(rowid: i64, kind: Kind, priority: u8, hours_old: i64, assignee: Option<&str>, title: &str) -> QueueRow {
        let created = now() - chrono::Duration::hours(hours_old);
        QueueRow {
            rowid,
            id: TicketId::new(kind, rowid as u64),
            state: "new".into(),
            priority,
            assignee: assignee.map(String::from),
            title: title.into(),
            ci: Some("db-01".into()),
            created_at: created,
            updated_at: created,
            clocks: crate::domain::sla::Policy::default().clocks(
                crate::domain::Lifecycles::builtin().get(kind),
                &crate::domain::sla::History {
                    kind,
                    priority,
                    created,
                    first_state: "new".into(),
                    moves: Vec::new(),
                    first_assigned: assignee.map(|_| created),
                },
            ),
            is_open: true,
        }
    }

    fn queue() -> Queue {
        let mut q = Queue::new(vec![
            row(1, Kind::Incident, 3, 1, Some("alice"), "Printer jams on floor 2"),
            row(2, Kind::Incident, 1, 5, None, "Mail server down"),
            row(3, Kind::Request, 2, 2, Some("bob"), "New laptop for Ana"),
            row(4, Kind::Change, 4, 30, None, "Patch the mail relay"),
            row(5, Kind::Incident, 1, 1, Some("alice"), "VPN drops"),
        ]);
        q.refresh("alice", now());
        q
    }

    fn ids(q: &Queue) -> Vec<u64> {
        q.window(0, 100).map(|r| r.row.id.number).collect()
    }

    #[test]
    fn default_order_is_time_to_breach() {
        assert_eq!(ids(&queue()), vec![2, 5, 3, 1, 4]);
    }

    #[test]
    fn views_filter_the_rows() {
        let mut q = queue();
        let mut check = |name: &str, expected: Vec<u64>| {
            let i = q.views.iter().position(|v| v.name == name).expect("view");
            q.set_view(i);
            q.refresh("alice", now());
            assert_eq!(ids(&q), expected, "{name}");
        };
        check("my work", vec![5, 1]);
        check("unassigned", vec![2, 4]);
        check("changes", vec![4]);
        check("requests", vec![3]);
        // P1 4 h 24×7: INC-2 (5 h old) is breached; INC-5 (1 h) is on track.
        check("at risk / breached", vec![2]);
    }

    #[test]
    fn views_from_config_combine_their_conditions() {
        let mut q = queue();
        q.views.push(ViewSpec {
            kind: Some(Kind::Incident),
            priority: vec![1],
            assignee: Some("ALICE".into()),
            ..ViewSpec::named("my P1 incidents")
        });
        let last = q.views.len() - 1;
        assert!(!q.set_view(last), "still open tickets: no reload needed");
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![5]);
        assert!(q.set_view(last - 1), "recently closed reads other rows");
    }

    #[test]
    fn sorting_cycles_and_reverses() {
        let mut q = queue();
        assert_eq!(q.sort, SortBy::Due);
        assert_eq!(ids(&q)[0], 2, "the breached P1 is due first");
        q.cycle_sort();
        assert_eq!(q.sort, SortBy::Priority);
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![2, 5, 3, 1, 4], "priority, then oldest");
        q.sort = SortBy::Title;
        q.reverse = true;
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![5, 1, 4, 3, 2]);
    }

    #[test]
    fn paused_clocks_come_after_running_ones_and_tickets_without_one_last() {
        let mut pending = row(6, Kind::Incident, 1, 3, Some("bob"), "Waiting on the vendor");
        let policy = crate::domain::sla::Policy::default();
        let created = pending.created_at;
        pending.state = "pending".into();
        pending.clocks = policy.clocks(
            crate::domain::Lifecycles::builtin().get(Kind::Incident),
            &crate::domain::sla::History {
                kind: Kind::Incident,
                priority: 1,
                created,
                first_state: "new".into(),
                moves: vec![
                    (created, "assigned".into()),
                    (created + chrono::Duration::hours(1), "pending".into()),
                ],
                first_assigned: Some(created),
            },
        );
        let mut q = Queue::new(vec![
            row(4, Kind::Change, 4, 30, None, "Patch the mail relay"),
            pending,
            row(1, Kind::Incident, 3, 1, Some("alice"), "Printer jams on floor 2"),
        ]);
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![1, 6, 4]);
        let paused = q.window(1, 1).next().and_then(|r| r.clock).expect("a clock");
        assert_eq!((paused.phase, paused.left), (Phase::Paused, chrono::Duration::hours(3)));
    }

    #[test]
    fn fuzzy_filter_matches_id_title_assignee_and_ci() {
        let mut q = queue();
        q.filter = "mail".into();
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![2, 4]);
        q.filter = "bob".into();
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![3]);
        q.filter = "REQ-3".into();
        q.refresh("alice", now());
        assert_eq!(ids(&q)[0], 3);
        q.filter = "prnt jam".into();
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![1]);
        q.filter = "db-01".into();
        q.refresh("alice", now());
        assert_eq!(q.len(), 5);
    }

    /// The view's order is kept between refreshes; each thing it depends on works it out again.
    #[test]
    fn the_kept_order_follows_sort_reverse_view_only_rows_and_operator() {
        let mut q = queue();
        q.filter = "i".into();
        q.refresh("alice", now());
        let by_due = ids(&q);
        q.filter.clear();
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![2, 5, 3, 1, 4], "the filter does not keep its narrowing");
        q.sort = SortBy::Title;
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![2, 3, 4, 1, 5], "sort");
        q.reverse = true;
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![5, 1, 4, 3, 2], "reverse");
        q.reverse = false;
        q.sort = SortBy::Due;
        let mine = q.views.iter().position(|v| v.name == "my work").expect("view");
        q.set_view(mine);
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![5, 1], "view");
        q.refresh("bob", now());
        assert_eq!(ids(&q), vec![3], "the operator of `my work`");
        q.set_view(0);
        q.set_only(Some(Only {
            label: "two".into(),
            rowids: [1, 4].into_iter().collect(),
        }));
        q.refresh("alice", now());
        assert_eq!(ids(&q), vec![1, 4], "only");
        q.set_only(None);
        q.merge(vec![row(6, Kind::Incident, 1, 9, None, "Disk full")], "alice", now());
        assert_eq!(ids(&q), vec![6, 2, 5, 3, 1, 4], "rows merged");
        q.filter = "i".into();
        q.refresh("alice", now());
        assert!(ids(&q).contains(&6) && ids(&q).len() > by_due.len(), "{:?}", ids(&q));
    }

    #[test]
    fn selection_survives_a_refresh_and_marks_pick_targets() {
        let mut q = queue();
        q.select(2);
        let picked = q.selected_row().map(|r| r.row.id);
        q.cycle_sort();
        q.refresh("alice", now());
        assert_eq!(q.selected_row().map(|r| r.row.id), picked);
        assert_eq!(q.targets(), picked.into_iter().collect::<Vec<_>>());
        q.toggle_mark();
        q.move_by(1);
        q.toggle_mark();
        assert_eq!(q.targets().len(), 2);
        q.mark_all();
        assert_eq!(q.targets().len(), 5);
        q.mark_all();
        assert!(q.marks.is_empty());
    }

    #[test]
    fn replacing_rows_with_fewer_keeps_everything_in_bounds() {
        let mut q = queue();
        q.select(4);
        q.replace_rows(vec![], "alice", now());
        assert!(q.selected_row().is_none());
        assert!(q.is_empty());
        q.replace_rows(vec![row(9, Kind::Incident, 1, 1, None, "back")], "alice", now());
        assert_eq!(q.selected_row().map(|r| r.row.rowid), Some(9));
    }

    #[test]
    fn merging_changes_updates_adds_and_drops_rows() {
        let mut q = queue();
        q.select(1); // INC-5
        let mut closed = row(2, Kind::Incident, 1, 5, None, "Mail server down");
        closed.is_open = false;
        let mut renamed = row(3, Kind::Request, 2, 2, Some("bob"), "New laptop for Ana (urgent)");
        renamed.ci = None;
        let new = row(6, Kind::Incident, 1, 0, None, "Fresh");
        q.merge(vec![closed, renamed, new], "alice", now());
        // The new unowned P1 has 15 minutes to be owned: it comes first.
        assert_eq!(ids(&q), vec![6, 5, 3, 1, 4]);
        assert_eq!(
            q.selected_row().map(|r| r.row.id.number),
            Some(5),
            "the selection stays on INC-5"
        );
        let req = q.all_rows().iter().find(|r| r.row.rowid == 3).expect("req");
        assert_eq!(req.row.title, "New laptop for Ana (urgent)");
        assert_eq!(req.row.ci.as_deref(), Some("db-01"), "a CI not reloaded is kept");
    }

    #[test]
    fn cis_arriving_later_join_the_filter() {
        let mut q = Queue::new(vec![row(1, Kind::Incident, 1, 1, None, "x")]);
        q.rows[0].row.ci = None;
        q.rows[0] = Row::new(q.rows[0].row.clone());
        q.filter = "core-switch".into();
        q.refresh("alice", now());
        assert!(q.is_empty());
        q.set_cis(vec![(1, "core-switch-1".into())], "alice", now());
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn counts_open_at_risk_and_breached() {
        let q = queue();
        // INC-2 P1 5 h: breached. INC-5 P1 1 h of 4 h: on track. The rest have long targets.
        assert_eq!(q.counts(now()), (5, 0, 1));
        assert_eq!(q.counts(now() + chrono::Duration::hours(2)), (5, 1, 1));
    }
}
