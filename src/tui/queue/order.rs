//! The view's order: rows sorted by what the queue is sorted by (keys worked out once per
//! row), and kept in order as other operators' changes merge in, each changed row placed
//! where a fresh sort would put it rather than the whole view sorted again.
//!
//! Each order is a permutation of every row, worked out once (those of the open queue off
//! the UI thread, as it is read) and kept: a view in that order is the permutation with the
//! rows it does not admit left out, so a sort or a view switch on a large queue sorts
//! nothing.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::facts::Facts;
use super::{Queue, QueueRow, Row, SortBy, admits};

/// Which order a permutation is: the sort, and whether it is the closed view's "most
/// recently updated first", which stands for time to breach there.
type OrderOf = (SortBy, bool);

/// Every row, in each order asked for so far (indexes into the rows, first first), and
/// what the views ask of each row ([`Facts`], when worked out).
#[derive(Debug, Default)]
pub struct Orders {
    perms: HashMap<OrderOf, Vec<usize>>,
    facts: Option<Facts>,
}

impl Orders {
    /// Every order of the open queue's rows, and their facts.
    fn all(rows: &[Row]) -> Orders {
        Orders {
            perms: SortBy::ALL
                .iter()
                .map(|&s| ((s, false), sorted(rows, (s, false))))
                .collect(),
            facts: Some(Facts::of(rows)),
        }
    }

    /// After a merge: rows that stay as they were move to their new index, and the rows
    /// changed or new join where they belong.
    fn patch(&mut self, rows: &[Row], placed: &Placed) {
        for (&of, perm) in &mut self.perms {
            let mut base = std::mem::take(perm);
            placed.renumber(&mut base);
            *perm = merge_in(base, placed.fresh.to_vec(), |a, b| compare(rows, of, a, b));
        }
        if let Some(facts) = &mut self.facts {
            facts.patch(rows, placed.gone.as_deref(), &placed.fresh);
        }
    }

    /// The rows' facts, worked out now if they were not (they are only if `rows` are the
    /// rows these orders are of).
    pub(super) fn facts(&mut self, rows: &[Row]) -> &Facts {
        if self.facts.as_ref().is_some_and(|f| f.len() != rows.len()) {
            self.facts = None;
        }
        self.facts.get_or_insert_with(|| Facts::of(rows))
    }

    /// The rows' facts if worked out.
    pub(super) fn known_facts(&self, rows: usize) -> Option<&Facts> {
        self.facts.as_ref().filter(|f| f.len() == rows)
    }
}

/// The open queue as read off the UI thread: its rows, and their orders worked out there.
#[derive(Debug)]
pub struct Loaded {
    rows: Vec<Row>,
    orders: Orders,
}

impl Loaded {
    pub fn of(rows: Vec<QueueRow>) -> Loaded {
        Loaded::of_rows(rows.into_iter().map(Row::new).collect())
    }

    /// Rows made as they were read (see `Desk::queue_open_made`).
    pub fn of_rows(rows: Vec<Row>) -> Loaded {
        let orders = Orders::all(&rows);
        Loaded { rows, orders }
    }

    /// Rows of a view of closed tickets, in its first order (most recently updated first).
    pub fn closed(rows: Vec<QueueRow>) -> Loaded {
        let rows: Vec<Row> = rows.into_iter().map(Row::new).collect();
        let first = (SortBy::Due, true);
        let orders = Orders {
            perms: HashMap::from([(first, sorted(&rows, first))]),
            facts: Some(Facts::of(&rows)),
        };
        Loaded { rows, orders }
    }

    pub fn into_parts(self) -> (Vec<Row>, Orders) {
        (self.rows, self.orders)
    }
}

impl Queue {
    /// Merges rows that changed: updated ones replace theirs, new ones join, and rows that
    /// no longer belong (closed, for the open queue; reopened, for the closed view) leave.
    pub fn merge(&mut self, changed: Vec<QueueRow>, me: &str, now: DateTime<Utc>) {
        if changed.is_empty() {
            return;
        }
        self.edits += 1;
        let keep_open = !self.view().closed;
        if !keep_open {
            // The open rows aside follow the desk too, for the header's counts, and their
            // orders with them (they come back without being sorted again).
            let incoming = changed.iter().map(|r| (r.rowid, r.clone())).collect();
            let facts = self.stash_orders.known_facts(self.stash.len());
            let placed = merge_rows(&mut self.stash, facts, incoming, true, None);
            if placed.fresh.len() <= PATCH_AT_MOST {
                self.stash_orders.patch(&self.stash, &placed);
            } else {
                self.stash_orders = Orders::default();
            }
        }
        let keep = self.selected_row().map(|r| r.row.rowid);
        let incoming = changed.into_iter().map(|r| (r.rowid, r)).collect();
        // Rows changed in place, rows that leave, rows that join: the orders are patched for
        // them alone (a million-ticket desk has 77,000 open rows to sort).
        let facts = self.orders.known_facts(self.rows.len());
        let placed = merge_rows(&mut self.rows, facts, incoming, keep_open, Some(&mut self.marks));
        self.shown.clear();
        self.narrowed = None;
        if placed.fresh.len() <= PATCH_AT_MOST {
            self.orders.patch(&self.rows, &placed);
            if self.ordered_for.is_some() {
                let mut base = std::mem::take(&mut self.ordered);
                placed.renumber(&mut base);
                self.ordered = self.place(base, &placed.fresh, me, now);
                self.order_serial += 1;
            }
        } else {
            self.orders = Orders::default();
            self.generation += 1;
        }
        self.refresh(me, now);
        if let Some(rowid) = keep {
            self.select_rowid(rowid);
        }
    }

    /// The view's order `base` with the rows `fresh` it admits put where they belong.
    fn place(&self, base: Vec<usize>, fresh: &[usize], me: &str, now: DateTime<Utc>) -> Vec<usize> {
        let view = self.view();
        let admitted: Vec<usize> = fresh
            .iter()
            .copied()
            .filter(|&i| {
                let row = &self.rows[i];
                self.only.as_ref().is_none_or(|o| o.rowids.contains(&row.row.rowid)) && admits(view, row, me, now)
            })
            .collect();
        let of = self.order_of();
        let reverse = self.reverse;
        merge_in(base, admitted, |a, b| {
            let order = compare(&self.rows, of, a, b);
            if reverse { order.reverse() } else { order }
        })
    }

    /// The order the view is in (before any reversal).
    fn order_of(&self) -> OrderOf {
        (self.sort, self.view().closed && self.sort == SortBy::Due)
    }

    /// The rows the view admits, in its order, from the permutation of every row in that
    /// order (sorted once and kept).
    pub(super) fn order(&mut self, me: &str, now: DateTime<Utc>) -> Vec<usize> {
        let of = self.order_of();
        if !self.orders.perms.contains_key(&of) {
            let perm = sorted(&self.rows, of);
            self.orders.perms.insert(of, perm);
        }
        let view = super::view_at(&self.views, self.view);
        let only = self.only.as_ref().map(|o| &o.rowids);
        // Each row's facts are asked in the order the rows lie, then the permutation picks
        // through the answers: asking the rows themselves in the permutation's order reached
        // every row at random, a cache miss each (most of a view switch over 77,000 rows).
        let admitted = self.orders.facts(&self.rows).admitted(view, only, me, now);
        let mut shown: Vec<usize> = self
            .orders
            .perms
            .get(&of)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|&i| admitted.get(i).copied().unwrap_or(false))
            .collect();
        if self.reverse {
            shown.reverse();
        }
        shown
    }
}

/// How rows `a` and `b` compare in an order. Ties: priority, then age, then the row
/// (unique), so the order is total.
fn compare(rows: &[Row], of: OrderOf, a: usize, b: usize) -> Ordering {
    let (x, y) = (&rows[a], &rows[b]);
    let tie = |r: &Row| (r.tie, r.row.rowid);
    if of.1 {
        return (std::cmp::Reverse(x.row.updated_at), x.row.rowid)
            .cmp(&(std::cmp::Reverse(y.row.updated_at), y.row.rowid));
    }
    match of.0 {
        SortBy::Priority => tie(x).cmp(&tie(y)),
        SortBy::Due => (x.breach_key(), tie(x)).cmp(&(y.breach_key(), tie(y))),
        SortBy::Id => ((x.row.id.kind, x.row.id.number), tie(x)).cmp(&((y.row.id.kind, y.row.id.number), tie(y))),
        SortBy::State => (x.row.state.as_str(), tie(x)).cmp(&(y.row.state.as_str(), tie(y))),
        SortBy::Assignee => (x.row.assignee.as_deref(), tie(x)).cmp(&(y.row.assignee.as_deref(), tie(y))),
        SortBy::Age => {
            (x.row.created_at.timestamp_millis(), tie(x)).cmp(&(y.row.created_at.timestamp_millis(), tie(y)))
        }
        SortBy::Title => title_order(x, y).then_with(|| tie(x).cmp(&tie(y))),
    }
}

/// The first 16 bytes of a title in lowercase (UTF-8), as a number: most titles differ
/// there, so the title sort compares these first.
pub(super) fn title_prefix(title: &str) -> u128 {
    let mut first = [0u8; 16];
    let mut at = 0;
    for c in crate::text::lowercase_chars(title) {
        let mut utf8 = [0u8; 4];
        for &b in c.encode_utf8(&mut utf8).as_bytes() {
            if let Some(slot) = first.get_mut(at) {
                *slot = b;
            }
            at += 1;
        }
        if at >= first.len() {
            break;
        }
    }
    u128::from_be_bytes(first)
}

/// Titles as the title sort orders them: lowercase, character by character (the order of
/// their lowercase UTF-8 bytes, so the prefixes agree with it).
fn title_order(x: &Row, y: &Row) -> std::cmp::Ordering {
    x.title_prefix
        .cmp(&y.title_prefix)
        .then_with(|| whole_title_order(x, y))
}

/// Titles as [`title_order`] orders them, for titles whose prefixes are the same.
fn whole_title_order(x: &Row, y: &Row) -> std::cmp::Ordering {
    let (a, b) = (x.row.title.as_bytes(), y.row.title.as_bytes());
    if a.is_ascii() && b.is_ascii() {
        // Most titles: byte by byte, without decoding characters (the same order).
        a.iter()
            .map(u8::to_ascii_lowercase)
            .cmp(b.iter().map(u8::to_ascii_lowercase))
    } else {
        crate::text::lowercase_chars(&x.row.title).cmp(crate::text::lowercase_chars(&y.row.title))
    }
}

/// Every row in order `of`; each row's sort key is worked out once (the same order as
/// [`compare`], faster).
fn sorted(rows: &[Row], of: OrderOf) -> Vec<usize> {
    let mut all: Vec<usize> = (0..rows.len()).collect();
    let tie = |i: usize| (rows[i].tie, rows[i].row.rowid);
    if of.1 {
        by_key(&mut all, |i| {
            (std::cmp::Reverse(rows[i].row.updated_at), rows[i].row.rowid)
        });
        return all;
    }
    match of.0 {
        SortBy::Priority => by_key(&mut all, tie),
        SortBy::Due => by_key(&mut all, |i| (rows[i].breach_key(), tie(i))),
        SortBy::Id => by_key(&mut all, |i| ((rows[i].row.id.kind, rows[i].row.id.number), tie(i))),
        SortBy::State => {
            let rank = ranks(&all, |i| Some(rows[i].row.state.as_str()));
            by_key(&mut all, |i| (rank[i], tie(i)));
        }
        SortBy::Assignee => {
            let rank = ranks(&all, |i| rows[i].row.assignee.as_deref());
            by_key(&mut all, |i| (rank[i], tie(i)));
        }
        SortBy::Age => by_key(&mut all, |i| (rows[i].row.created_at.timestamp_millis(), tie(i))),
        SortBy::Title => {
            // Most titles differ in their first 16 bytes: compare those as a number and the
            // rest of the text only when they are the same.
            let mut keyed: Vec<(u128, usize)> = all.iter().map(|&i| (rows[i].title_prefix, i)).collect();
            keyed.sort_unstable_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| whole_title_order(&rows[a.1], &rows[b.1]))
                    .then_with(|| tie(a.1).cmp(&tie(b.1)))
            });
            all = keyed.into_iter().map(|(_, i)| i).collect();
        }
    }
    all
}

/// Where the rows of a merge went.
struct Placed {
    /// For each row that was there, its index now if it stayed as it was, else [`LEFT`]
    /// (it left or changed).
    kept: Vec<u32>,
    /// Which rows that were there left (None: none did, every row kept its index).
    gone: Option<Vec<bool>>,
    /// The indexes of the rows changed or new.
    fresh: Vec<usize>,
}

/// A row that left or changed, in [`Placed::kept`].
const LEFT: u32 = u32::MAX;

impl Placed {
    /// An order of the rows that were there, of those that stayed as they were, by their
    /// indexes now (in place: no order is copied).
    fn renumber(&self, order: &mut Vec<usize>) {
        order.retain_mut(|i| match self.kept.get(*i) {
            Some(&j) if j != LEFT => {
                *i = j as usize;
                true
            }
            _ => false,
        });
    }
}

/// Merges rows that changed into `rows`: those whose `is_open` is `keep_open` replace theirs
/// or join at the end, the others leave (and lose their marks, when given). The rows
/// changed are found by their ids alone (in the facts, a few bytes a row, when known):
/// looking each row up in a map hashed every id of 77,000 rows for one change.
fn merge_rows(
    rows: &mut Vec<Row>,
    facts: Option<&Facts>,
    mut incoming: HashMap<i64, QueueRow>,
    keep_open: bool,
    mut marks: Option<&mut std::collections::BTreeSet<i64>>,
) -> Placed {
    let n = rows.len();
    let mut wanted: Vec<i64> = incoming.keys().copied().collect();
    wanted.sort_unstable();
    let asked = |id: &i64| wanted.binary_search(id).is_ok();
    let at: Vec<usize> = match facts {
        Some(facts) => facts
            .rowids()
            .enumerate()
            .filter(|(_, id)| asked(id))
            .map(|(i, _)| i)
            .collect(),
        None => (0..n).filter(|&i| asked(&rows[i].row.rowid)).collect(),
    };
    let (mut gone, mut touched) = (Vec::new(), Vec::new());
    for i in at {
        let r = &mut rows[i];
        let Some(mut new) = incoming.remove(&r.row.rowid) else {
            continue;
        };
        if new.is_open == keep_open {
            if new.ci.is_none() {
                new.ci = r.row.ci.take();
            }
            *r = Row::new(new);
            touched.push(i);
        } else {
            gone.push(i);
            if let Some(marks) = marks.as_deref_mut() {
                marks.remove(&r.row.rowid);
            }
        }
    }
    let joining: Vec<Row> = incoming
        .into_values()
        .filter(|r| r.is_open == keep_open)
        .map(Row::new)
        .collect();
    let index = |i: usize| u32::try_from(i).unwrap_or(LEFT);
    // Where each row that stays is once the rows that leave are gone.
    let (mut kept, gone) = if gone.is_empty() {
        ((0..n).map(index).collect::<Vec<u32>>(), None)
    } else {
        let mut left = vec![false; n];
        for &i in &gone {
            left[i] = true;
        }
        let mut next = 0;
        let kept = (0..n)
            .map(|i| {
                if left[i] {
                    return LEFT;
                }
                next += 1;
                index(next - 1)
            })
            .collect();
        let mut i = 0;
        rows.retain(|_| {
            i += 1;
            !left[i - 1]
        });
        (kept, Some(left))
    };
    let mut fresh = Vec::with_capacity(touched.len() + joining.len());
    for i in touched {
        fresh.push(kept[i] as usize);
        kept[i] = LEFT;
    }
    let first_new = rows.len();
    fresh.extend(first_new..first_new + joining.len());
    rows.extend(joining);
    Placed { kept, gone, fresh }
}

/// `base` (in order) with `fresh` put in where they belong: each found by halving (a few
/// comparisons, not one per row before it — a comparison reads a row, at random, and a
/// change that lands deep in a 77,000-row order took 10–50 ms to place), the rest copied.
fn merge_in(base: Vec<usize>, mut fresh: Vec<usize>, cmp: impl Fn(usize, usize) -> Ordering) -> Vec<usize> {
    if fresh.is_empty() {
        return base;
    }
    fresh.sort_unstable_by(|&a, &b| cmp(a, b));
    let mut out = Vec::with_capacity(base.len() + fresh.len());
    let mut from = 0;
    for f in fresh {
        let at = from + base[from..].partition_point(|&i| cmp(i, f) == Ordering::Less);
        out.extend_from_slice(&base[from..at]);
        out.push(f);
        from = at;
    }
    out.extend_from_slice(&base[from..]);
    out
}

/// A merge of more rows than this sorts again rather than placing each.
const PATCH_AT_MOST: usize = 2_000;

/// Each row's place among the distinct values of a text column (None first), by row index:
/// sorting by it compares numbers, not text.
fn ranks<'a>(all: &[usize], value: impl Fn(usize) -> Option<&'a str>) -> Vec<u32> {
    let mut distinct: std::collections::BTreeMap<Option<&str>, u32> = std::collections::BTreeMap::new();
    for &i in all {
        distinct.entry(value(i)).or_insert(0);
    }
    for (rank, r) in distinct.values_mut().enumerate() {
        *r = u32::try_from(rank).unwrap_or(u32::MAX);
    }
    let mut rank = vec![0; all.len()];
    for &i in all {
        rank[i] = distinct.get(&value(i)).copied().unwrap_or(0);
    }
    rank
}

/// Sorts row indexes by a key worked out once per row (the key ends in the row, so it is
/// unique and an unstable sort is exact).
fn by_key<K: Ord>(shown: &mut [usize], key: impl Fn(usize) -> K) {
    let mut keyed: Vec<(K, usize)> = shown.iter().map(|&i| (key(i), i)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (slot, (_, i)) in shown.iter_mut().zip(keyed) {
        *slot = i;
    }
}
