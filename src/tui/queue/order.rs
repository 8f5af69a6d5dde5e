//! The view's order: rows sorted by what the queue is sorted by (keys worked out once per
//! row), and kept in order as other operators' changes merge in, each changed row placed
//! where a fresh sort would put it rather than the whole view sorted again.

use chrono::{DateTime, Utc};

use super::{Queue, QueueRow, Row, SortBy, ViewSpec, admits};

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
            // The open rows aside follow the desk too, for the header's counts.
            let open: std::collections::HashMap<i64, &QueueRow> = changed.iter().map(|r| (r.rowid, r)).collect();
            self.stash.retain(|r| !open.contains_key(&r.row.rowid));
            self.stash
                .extend(changed.iter().filter(|r| r.is_open).cloned().map(Row::new));
        }
        let keep = self.selected_row().map(|r| r.row.rowid);
        let mut incoming: std::collections::HashMap<i64, QueueRow> =
            changed.into_iter().map(|r| (r.rowid, r)).collect();
        // Rows changed in place, rows that leave, rows that join: the view's order is
        // patched for them alone (a million-ticket desk has 77,000 open rows to sort).
        let n = self.rows.len();
        let mut gone = vec![false; n];
        let mut touched = Vec::new();
        for (i, r) in self.rows.iter_mut().enumerate() {
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
                gone[i] = true;
                self.marks.remove(&r.row.rowid);
            }
        }
        let joining: Vec<Row> = incoming
            .into_values()
            .filter(|r| r.is_open == keep_open)
            .map(Row::new)
            .collect();
        // Where each row that stays is once the rows that leave are gone.
        let mut moved_to = vec![usize::MAX; n];
        let mut next = 0;
        for (i, slot) in moved_to.iter_mut().enumerate() {
            if !gone[i] {
                *slot = next;
                next += 1;
            }
        }
        let mut i = 0;
        self.rows.retain(|_| {
            i += 1;
            !gone[i - 1]
        });
        let was_touched: std::collections::HashSet<usize> = touched.iter().copied().collect();
        let mut fresh: Vec<usize> = touched.iter().map(|&i| moved_to[i]).collect();
        let first_new = self.rows.len();
        fresh.extend(first_new..first_new + joining.len());
        self.rows.extend(joining);
        self.shown.clear();
        self.narrowed = None;
        let patchable = fresh.len() <= PATCH_AT_MOST && self.ordered_for.is_some();
        if patchable {
            let ordered = std::mem::take(&mut self.ordered);
            self.ordered = ordered
                .into_iter()
                .filter(|&i| !gone[i] && !was_touched.contains(&i))
                .map(|i| moved_to[i])
                .collect();
            self.place(&fresh, me, now);
        } else {
            self.generation += 1;
        }
        self.refresh(me, now);
        if let Some(rowid) = keep {
            self.select_rowid(rowid);
        }
    }

    /// Puts rows `fresh` into the view's order where they belong (those the view admits).
    fn place(&mut self, fresh: &[usize], me: &str, now: DateTime<Utc>) {
        let view = self.view().clone();
        for &i in fresh {
            let row = &self.rows[i];
            let only = self.only.as_ref().is_none_or(|o| o.rowids.contains(&row.row.rowid));
            if !only || !admits(&view, row, me, now) {
                continue;
            }
            let at = self
                .ordered
                .partition_point(|&j| self.before(j, i, &view) == std::cmp::Ordering::Less);
            self.ordered.insert(at, i);
        }
    }

    /// How rows `a` and `b` compare in the view's order: the order [`Queue::order`] sorts
    /// by, one pair at a time.
    fn before(&self, a: usize, b: usize, view: &ViewSpec) -> std::cmp::Ordering {
        let (x, y) = (&self.rows[a], &self.rows[b]);
        let tie = |r: &Row| (r.tie, r.row.rowid);
        let order = if view.closed && self.sort == SortBy::Due {
            (std::cmp::Reverse(x.row.updated_at), x.row.rowid).cmp(&(std::cmp::Reverse(y.row.updated_at), y.row.rowid))
        } else {
            match self.sort {
                SortBy::Priority => tie(x).cmp(&tie(y)),
                SortBy::Due => (x.breach_key(), tie(x)).cmp(&(y.breach_key(), tie(y))),
                SortBy::Id => {
                    ((x.row.id.kind, x.row.id.number), tie(x)).cmp(&((y.row.id.kind, y.row.id.number), tie(y)))
                }
                SortBy::State => (x.row.state.as_str(), tie(x)).cmp(&(y.row.state.as_str(), tie(y))),
                SortBy::Assignee => (x.row.assignee.as_deref(), tie(x)).cmp(&(y.row.assignee.as_deref(), tie(y))),
                SortBy::Age => {
                    (x.row.created_at.timestamp_millis(), tie(x)).cmp(&(y.row.created_at.timestamp_millis(), tie(y)))
                }
                SortBy::Title => {
                    (x.title_prefix, x.title_key.as_str(), tie(x)).cmp(&(y.title_prefix, y.title_key.as_str(), tie(y)))
                }
            }
        };
        if self.reverse { order.reverse() } else { order }
    }

    /// The rows the view admits, in its order. Each row's sort key is worked out once.
    pub(super) fn order(&self, me: &str, now: DateTime<Utc>) -> Vec<usize> {
        let view = self.view();
        let only = self.only.as_ref();
        let rows = &self.rows;
        let mut shown: Vec<usize> = (0..rows.len())
            .filter(|&i| admits(view, &rows[i], me, now))
            .filter(|&i| only.is_none_or(|o| o.rowids.contains(&rows[i].row.rowid)))
            .collect();
        // Ties: priority, then age, then the row (unique), so the order is total and an
        // unstable sort gives the same order as a stable one.
        let tie = |i: usize| (rows[i].tie, rows[i].row.rowid);
        if view.closed && self.sort == SortBy::Due {
            by_key(&mut shown, |i| {
                (std::cmp::Reverse(rows[i].row.updated_at), rows[i].row.rowid)
            });
        } else {
            match self.sort {
                SortBy::Priority => by_key(&mut shown, tie),
                SortBy::Due => by_key(&mut shown, |i| (rows[i].breach_key(), tie(i))),
                SortBy::Id => by_key(&mut shown, |i| ((rows[i].row.id.kind, rows[i].row.id.number), tie(i))),
                SortBy::State => {
                    let rank = ranks(rows.len(), &shown, |i| Some(rows[i].row.state.as_str()));
                    by_key(&mut shown, |i| (rank[i], tie(i)));
                }
                SortBy::Assignee => {
                    let rank = ranks(rows.len(), &shown, |i| rows[i].row.assignee.as_deref());
                    by_key(&mut shown, |i| (rank[i], tie(i)));
                }
                SortBy::Age => by_key(&mut shown, |i| (rows[i].row.created_at.timestamp_millis(), tie(i))),
                SortBy::Title => {
                    // Most titles differ in their first 16 bytes: compare those as a number
                    // and the rest of the text only when they are the same.
                    let mut keyed: Vec<(u128, usize)> = shown.iter().map(|&i| (rows[i].title_prefix, i)).collect();
                    keyed.sort_unstable_by(|a, b| {
                        a.0.cmp(&b.0)
                            .then_with(|| rows[a.1].title_key.cmp(&rows[b.1].title_key))
                            .then_with(|| tie(a.1).cmp(&tie(b.1)))
                    });
                    shown = keyed.into_iter().map(|(_, i)| i).collect();
                }
            }
        }
        if self.reverse {
            shown.reverse();
        }
        shown
    }
}

/// A merge of more rows than this sorts the view again rather than placing each.
const PATCH_AT_MOST: usize = 2_000;

/// Each row's place among the distinct values of a text column over the shown rows (None
/// first), by row index: sorting by it compares numbers, not text.
fn ranks<'a>(len: usize, shown: &[usize], value: impl Fn(usize) -> Option<&'a str>) -> Vec<u32> {
    let mut distinct: std::collections::BTreeMap<Option<&str>, u32> = std::collections::BTreeMap::new();
    for &i in shown {
        distinct.entry(value(i)).or_insert(0);
    }
    for (rank, r) in distinct.values_mut().enumerate() {
        *r = u32::try_from(rank).unwrap_or(u32::MAX);
    }
    let mut rank = vec![0; len];
    for &i in shown {
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
