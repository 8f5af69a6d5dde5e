//! The desk's numbers: `opsdesk report` and the dashboard pane, read in one transaction.

use crate::store::Tx;
use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};
use serde::Serialize;

use super::{Desk, Result};
use crate::domain::kpi::{Backlog, Day, GroupBy, Kpis, Tallies, per_day};
use crate::store;

/// What `opsdesk report` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `None`: from the first ticket.
    pub since: Option<DateTime<Utc>>,
    pub until: DateTime<Utc>,
    pub all: Kpis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<std::collections::BTreeMap<String, Kpis>>,
    /// Opened and resolved per day, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily: Option<Vec<Day>>,
}

/// What the dashboard pane shows: the KPIs of the last `days` days, and the backlog now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub days: u32,
    /// Midnight (in the reader's zone) `days - 1` days before today.
    pub since: DateTime<Utc>,
    /// The midnight that ends today.
    pub until: DateTime<Utc>,
    /// Of the tickets created in the period.
    pub kpis: Kpis,
    /// Every open ticket at `until`, whenever created.
    pub backlog: Backlog,
    /// One entry per day of the period, oldest first.
    pub daily: Vec<Day>,
}

fn day_in(t: DateTime<Utc>, zone: FixedOffset) -> NaiveDate {
    t.with_timezone(&zone).date_naive()
}

impl Desk {
    /// The KPIs of the tickets created in `[since, until)`, whole and by `by`; with `daily`,
    /// opened and resolved per day of the period in `zone` (from the first ticket's day when
    /// there is no `since`). `now` is when open tickets' ages and clocks are read.
    pub fn report(
        &mut self,
        since: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
        by: Option<GroupBy>,
        daily: Option<FixedOffset>,
        now: DateTime<Utc>,
    ) -> Result<Report> {
        let from = since.unwrap_or(DateTime::<Utc>::MIN_UTC);
        let (tallies, days) = self.tally(from, until, by, now, |tx| match daily {
            Some(zone) => Ok(Some(read_days(tx, from, until, zone)?)),
            None => Ok(None),
        })?;
        let (all, groups) = tallies.finish();
        Ok(Report {
            since,
            until,
            all,
            groups,
            daily: days,
        })
    }

    /// The dashboard at `now` over the last `days` days (today included) in `zone`.
    pub fn dashboard(&mut self, days: u32, now: DateTime<Utc>, zone: FixedOffset) -> Result<Dashboard> {
        let days = days.max(1);
        let today = day_in(now, zone);
        let midnight = |d: Option<NaiveDate>, or: DateTime<Utc>| {
            d.and_then(|d| d.and_hms_opt(0, 0, 0))
                .and_then(|t| t.and_local_timezone(zone).single())
                .map_or(or, |t| t.with_timezone(&Utc))
        };
        let since = midnight(
            today.checked_sub_days(Days::new(u64::from(days - 1))),
            DateTime::<Utc>::MIN_UTC,
        );
        // Today whole: what was opened a moment after `now` counts too.
        let until = midnight(today.succ_opt(), now);
        let (tallies, (backlog, daily)) = self.tally(since, until, None, now, |tx| {
            Ok((store::kpi::backlog(tx, now)?, read_days(tx, since, until, zone)?))
        })?;
        Ok(Dashboard {
            days,
            since,
            until,
            kpis: tallies.finish().0,
            backlog,
            daily,
        })
    }
}

impl Desk {
    /// The tallies of the tickets created in `[since, until)`, and what `more` reads, all as
    /// of one snapshot of the desk: the later half of the period is read on a second
    /// connection on another thread while this one reads the first half and `more` (see
    /// `Store::read_in_two`, which makes sure both connections see the same desk).
    fn tally<T>(
        &mut self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        by: Option<GroupBy>,
        now: DateTime<Utc>,
        more: impl FnOnce(&Tx) -> Result<T>,
    ) -> Result<(Tallies, T)> {
        let label = by.and_then(GroupBy::label_column);
        let ((mut first, extra), later) = self.store.read_in_two(
            |tx| -> Result<_> { Ok((store::kpi::CiLinks::read(tx)?, store::kpi::midpoint(tx, since, until)?)) },
            |tx, (cis, mid)| -> Result<_> {
                let mut first = Tallies::new(by);
                store::kpi::facts(tx, cis, since, mid.unwrap_or(until), label, |f| first.add(f, now))?;
                Ok((first, more(tx)?))
            },
            |tx, (cis, mid)| -> Result<_> {
                let Some(mid) = *mid else { return Ok(None) };
                let mut later = Tallies::new(by);
                store::kpi::facts(tx, cis, mid, until, label, |f| later.add(f, now))?;
                Ok(Some(later))
            },
        )?;
        if let Some(later) = later {
            first.merge(later);
        }
        Ok((first, extra))
    }
}

/// Opened and resolved per day of `[since, until)` in `zone`; an open start begins at the
/// first day anything was opened or resolved.
fn read_days(tx: &Tx, since: DateTime<Utc>, until: DateTime<Utc>, zone: FixedOffset) -> Result<Vec<Day>> {
    let (mut opened, mut resolved) = (Vec::new(), Vec::new());
    store::kpi::days(
        tx,
        since,
        until,
        |t| opened.push(day_in(t, zone)),
        |t| resolved.push(day_in(t, zone)),
    )?;
    let first = if since == DateTime::<Utc>::MIN_UTC {
        opened.iter().chain(&resolved).min().copied()
    } else {
        Some(day_in(since, zone))
    };
    let Some(first) = first else { return Ok(Vec::new()) };
    // `until` itself is not in the period.
    let last = day_in(until - chrono::Duration::milliseconds(1), zone);
    Ok(per_day(first, last, opened, resolved))
}
