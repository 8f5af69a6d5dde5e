//! Business calendars: working hours per weekday in a named zone, with holidays. SLA clocks
//! count working time on them. Every instant is UTC; days and hours are the zone's own, so a
//! day on which the clocks change has an hour more or less of work.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant of a wall-clock time in a zone. In the hour that a spring change skips, the
/// time is taken as the first instant after the gap; in the hour an autumn change repeats,
/// as its first occurrence.
pub fn instant(zone: Tz, at: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&at) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Step forward to the end of the gap (gaps are at most a few hours).
            let mut probe = at;
            for _ in 0..(6 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&at)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    zone: Tz,
    /// Monday first; `None`: closed that day. Opening before closing, within the day.
    hours: [Option<(NaiveTime, NaiveTime)>; 7],
    holidays: BTreeSet<NaiveDate>,
    /// Each day's working interval, worked out once per year on first use: clocks walk
    /// day by day, and the zone's rules need not be consulted again for a day seen before.
    days: DayCache,
}

/// The first and last years whose days are kept; days outside are worked out each time.
const FIRST_YEAR: i32 = 1970;
const YEARS: usize = 230;

type Interval = Option<(DateTime<Utc>, DateTime<Utc>)>;

/// A cache that takes no part in what a calendar is (equality, debug text).
#[derive(Clone)]
struct DayCache(Vec<std::sync::OnceLock<Vec<Interval>>>);

impl DayCache {
    fn new() -> DayCache {
        DayCache((0..YEARS).map(|_| std::sync::OnceLock::new()).collect())
    }
}

impl std::fmt::Debug for DayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("..")
    }
}

impl PartialEq for DayCache {
    fn eq(&self, _: &DayCache) -> bool {
        true
    }
}

impl Eq for DayCache {}

/// Beyond this many days a walk gives up (a calendar open less than an hour a year is a
/// configuration mistake, not a reason to hang).
const MAX_DAYS: i64 = 366 * 20;

impl BusinessCalendar {
    /// Monday to Friday, `open` to `close`, in `zone`, no holidays.
    pub fn weekdays(open: NaiveTime, close: NaiveTime, zone: Tz) -> BusinessCalendar {
        let day = Some((open, close));
        BusinessCalendar::new(zone, [day, day, day, day, day, None, None], BTreeSet::new())
    }

    pub fn new(
        zone: Tz,
        hours: [Option<(NaiveTime, NaiveTime)>; 7],
        holidays: BTreeSet<NaiveDate>,
    ) -> BusinessCalendar {
        BusinessCalendar {
            zone,
            hours,
            holidays,
            days: DayCache::new(),
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }
    pub fn hours(&self) -> &[Option<(NaiveTime, NaiveTime)>; 7] {
        &self.hours
    }
    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    /// The working interval of a local date, as instants, if it is a working day.
    fn day(&self, date: NaiveDate) -> Interval {
        let year = usize::try_from(date.year() - FIRST_YEAR).ok().filter(|y| *y < YEARS);
        let Some(year) = year else {
            return self.work_out_day(date);
        };
        let days = self.days.0[year].get_or_init(|| {
            let first = NaiveDate::from_yo_opt(date.year(), 1);
            first
                .into_iter()
                .flat_map(|d| d.iter_days())
                .take_while(|d| d.year() == date.year())
                .map(|d| self.work_out_day(d))
                .collect()
        });
        match days.get(date.ordinal0() as usize) {
            Some(interval) => *interval,
            None => self.work_out_day(date),
        }
    }

    fn work_out_day(&self, date: NaiveDate) -> Interval {
        if self.holidays.contains(&date) {
            return None;
        }
        let (open, close) = self.hours[date.weekday().num_days_from_monday() as usize]?;
        let (a, b) = (
            instant(self.zone, date.and_time(open)),
            instant(self.zone, date.and_time(close)),
        );
        (a < b).then_some((a, b))
    }

    /// The moment `work` of working time has passed, counting from `from`.
    pub fn add(&self, from: DateTime<Utc>, work: Duration) -> DateTime<Utc> {
        let mut left = work.max(Duration::zero());
        let mut date = from.with_timezone(&self.zone).date_naive();
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.day(date) {
                let start = open.max(from);
                if start < close {
                    let today = close - start;
                    if left <= today {
                        return start + left;
                    }
                    left -= today;
                }
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        from + work
    }

    /// Working time between two instants (zero when `to` is not after `from`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        if to <= from {
            return total;
        }
        let mut date = from.with_timezone(&self.zone).date_naive();
        let last = to.with_timezone(&self.zone).date_naive();
        for _ in 0..MAX_DAYS {
            if date > last {
                break;
            }
            if let Some((open, close)) = self.day(date) {
                let (a, b) = (open.max(from), close.min(to));
                if a < b {
                    total += b - a;
                }
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("time")
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("time")
    }

    fn berlin_office() -> BusinessCalendar {
        let day = Some((hm(9, 0), hm(17, 0)));
        let holidays = [(2026, 12, 25), (2026, 12, 28)]
            .into_iter()
            .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
            .collect();
        BusinessCalendar::new(
            chrono_tz::Europe::Berlin,
            [day, day, day, day, day, None, None],
            holidays,
        )
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        let c = berlin_office();
        // Thursday 24 Dec 2026, 16:00 Berlin (15:00 UTC) + 2 h: one hour on Thursday, then
        // Friday (Christmas), the weekend and Monday (a holiday) are skipped: Tuesday 10:00.
        assert_eq!(
            c.add(utc(2026, 12, 24, 15, 0), Duration::hours(2)),
            utc(2026, 12, 29, 9, 0)
        );
        assert_eq!(
            c.between(utc(2026, 12, 24, 15, 0), utc(2026, 12, 29, 9, 0)),
            Duration::hours(2)
        );
    }

    #[test]
    fn the_same_office_hours_are_different_utc_hours_in_summer() {
        let c = berlin_office();
        // 09:00 Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
        assert_eq!(c.add(utc(2026, 1, 12, 0, 0), Duration::zero()), utc(2026, 1, 12, 8, 0));
        assert_eq!(c.add(utc(2026, 7, 13, 0, 0), Duration::zero()), utc(2026, 7, 13, 7, 0));
    }

    #[test]
    fn a_night_shift_on_the_nights_the_clocks_change() {
        // Open 00:00-04:00 on Sundays only: on 29 March 2026 02:00 does not exist in Berlin,
        // so that night has 3 hours of work; on 25 October 02:00-03:00 happens twice: 5 hours.
        let c = BusinessCalendar::new(
            chrono_tz::Europe::Berlin,
            [None, None, None, None, None, None, Some((hm(0, 0), hm(4, 0)))],
            BTreeSet::new(),
        );
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).expect("d");
        let autumn = NaiveDate::from_ymd_opt(2026, 10, 25).expect("d");
        let day = |d: NaiveDate| c.day(d).map(|(a, b)| b - a);
        assert_eq!(day(spring), Some(Duration::hours(3)));
        assert_eq!(day(autumn), Some(Duration::hours(5)));
        assert_eq!(
            day(NaiveDate::from_ymd_opt(2026, 11, 1).expect("d")),
            Some(Duration::hours(4))
        );
    }

    #[test]
    fn a_calendar_with_no_working_day_does_not_hang() {
        let c = BusinessCalendar::new(chrono_tz::Europe::Berlin, [None; 7], BTreeSet::new());
        let from = utc(2026, 1, 1, 0, 0);
        assert_eq!(c.add(from, Duration::hours(1)), from + Duration::hours(1));
        assert_eq!(c.between(from, from + Duration::days(30)), Duration::zero());
    }

    /// Any instant from 2024 to 2029, to the minute.
    fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..(6 * 365 * 24 * 60)).prop_map(|m| utc(2024, 1, 1, 0, 0) + Duration::minutes(m))
    }

    /// Up to about ten weeks of work, to the minute.
    fn any_work() -> impl Strategy<Value = Duration> {
        (0i64..(10 * 5 * 8 * 60)).prop_map(Duration::minutes)
    }

    fn calendars() -> impl Strategy<Value = BusinessCalendar> {
        prop_oneof![
            Just(berlin_office()),
            Just(BusinessCalendar::weekdays(
                hm(8, 30),
                hm(18, 0),
                chrono_tz::America::New_York
            )),
            Just(BusinessCalendar::weekdays(
                hm(22, 0),
                hm(23, 30),
                chrono_tz::Australia::Sydney
            )),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The working time from `from` to `add(from, w)` is exactly `w`.
        #[test]
        fn between_undoes_add(c in calendars(), from in any_time(), w in any_work()) {
            let due = c.add(from, w);
            prop_assert!(due >= from);
            prop_assert_eq!(c.between(from, due), w);
        }

        /// Spending `a` then `b` ends where spending `a + b` does.
        #[test]
        fn add_is_additive(c in calendars(), from in any_time(), a in any_work(), b in any_work()) {
            prop_assert_eq!(c.add(c.add(from, a), b), c.add(from, a + b));
        }

        /// More work never ends earlier, and a due time lies within working hours.
        #[test]
        fn add_is_monotonic_and_lands_in_hours(c in calendars(), from in any_time(), a in any_work(), b in any_work()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(c.add(from, lo) <= c.add(from, hi));
            if hi > Duration::zero() {
                let due = c.add(from, hi);
                let date = due.with_timezone(&c.zone).date_naive();
                let (open, close) = c.day(date).or_else(|| date.pred_opt().and_then(|d| c.day(d))).expect("a working day");
                prop_assert!(open < due && due <= close, "{due} outside {open}..{close}");
            }
        }
    }
}
