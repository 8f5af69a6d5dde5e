//! The header's counts: open, at risk and breached over the whole desk's open tickets.

use chrono::{DateTime, Utc};

use super::{Counts, Queue, Row, Standing};

impl Queue {
    /// Open, at risk and breached over the whole desk's open tickets, whatever the view.
    pub fn desk_counts(&self, now: DateTime<Utc>) -> Counts {
        let closed = self.view().closed;
        if let Some((edits, at, over, counts)) = self.tallied.get()
            && edits == self.edits
            && at == now
            && over == closed
        {
            return counts;
        }
        let (rows, orders) = if closed {
            (&self.stash, &self.stash_orders)
        } else {
            (&self.rows, &self.orders)
        };
        let counts = match orders.known_facts(rows.len()) {
            Some(facts) => facts.counts(now),
            None => count(rows, now),
        };
        self.tallied.set(Some((self.edits, now, closed, counts)));
        counts
    }

    /// Open, at risk and breached counts over every open row.
    pub fn counts(&self, now: DateTime<Utc>) -> (usize, usize, usize) {
        count(&self.rows, now)
    }
}

pub(super) fn count(rows: &[Row], now: DateTime<Utc>) -> (usize, usize, usize) {
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
