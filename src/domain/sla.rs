//! SLA targets and where a ticket stands against them.
//!
//! This is the first cut that the queue needs: time-to-resolve targets per priority on a
//! 24×7 or a business-hours calendar (Monday–Friday 09:00–17:00 UTC), counted from creation.
//! Pauses in pending states, holidays, named time zones and time-to-own come with the SLA
//! issue; the functions here keep their shape.

use chrono::{DateTime, Duration, NaiveTime, Utc};

use super::ticket::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendar {
    AllHours,
    /// Monday to Friday, `start` to `end` hours, UTC.
    BusinessHours {
        start: u32,
        end: u32,
    },
}

/// How long a ticket of a priority may take to resolve, on which calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub resolve: Duration,
    pub calendar: Calendar,
}

const BUSINESS: Calendar = Calendar::BusinessHours { start: 9, end: 17 };

/// The defaults of ITIL.md: P1 4 h and P2 8 h around the clock; P3 3, P4 5 and P5 20
/// business days of 8 hours.
pub fn default_target(priority: u8) -> Target {
    let business_days = |d: i64| Target {
        resolve: Duration::hours(8 * d),
        calendar: BUSINESS,
    };
    match priority {
        1 => Target {
            resolve: Duration::hours(4),
            calendar: Calendar::AllHours,
        },
        2 => Target {
            resolve: Duration::hours(8),
            calendar: Calendar::AllHours,
        },
        3 => business_days(3),
        4 => business_days(5),
        _ => business_days(20),
    }
}

/// Only incidents and requests have an SLA by default.
pub fn applies_to(kind: Kind) -> bool {
    matches!(kind, Kind::Incident | Kind::Request)
}

/// The moment `work` of calendar time has been spent, starting at `from`.
pub fn add_working_time(from: DateTime<Utc>, work: Duration, calendar: Calendar) -> DateTime<Utc> {
    match calendar {
        Calendar::AllHours => from + work,
        Calendar::BusinessHours { start, end } => {
            let t = |h: u32| NaiveTime::from_hms_opt(h.min(23), 0, 0).unwrap_or_default();
            super::calendar::BusinessCalendar::weekdays(t(start), t(end), chrono_tz::UTC).add(from, work)
        }
    }
}

/// When a ticket created at `created` with `priority` must be resolved.
pub fn due_at(created: DateTime<Utc>, priority: u8) -> DateTime<Utc> {
    let target = default_target(priority);
    add_working_time(created, target.resolve, target.calendar)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    OnTrack,
    /// 75 % of the target has passed.
    AtRisk,
    /// The target has passed.
    Breached,
}

/// Where a ticket stands at `now`. Measured in calendar time between creation and due, which
/// is exact for 24×7 targets and close for business-hours ones.
pub fn standing(created: DateTime<Utc>, due: DateTime<Utc>, now: DateTime<Utc>) -> Standing {
    if now >= due {
        return Standing::Breached;
    }
    let whole = (due - created).num_seconds().max(1);
    let spent = (now - created).num_seconds();
    if spent * 4 >= whole * 3 {
        Standing::AtRisk
    } else {
        Standing::OnTrack
    }
}

/// `2h13m`, `3d4h`, `45m`; negative spans get a leading `-`.
pub fn countdown(span: Duration) -> String {
    let (sign, s) = if span < Duration::zero() {
        ("-", -span.num_seconds())
    } else {
        ("", span.num_seconds())
    };
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60);
    if d >= 10 {
        format!("{sign}{d}d")
    } else if d > 0 {
        format!("{sign}{d}d{h}h")
    } else if h > 0 {
        format!("{sign}{h}h{m:02}m")
    } else {
        format!("{sign}{m}m")
    }
}

/// Seconds past midnight, for tests of the calendar.
#[cfg(test)]
fn hm(t: DateTime<Utc>) -> (u32, u32) {
    use chrono::Timelike;
    (t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        // November 2026: the 20th is a Friday, the 23rd a Monday.
        Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).single().expect("time")
    }

    #[test]
    fn p1_and_p2_run_around_the_clock() {
        assert_eq!(due_at(at(20, 22, 0), 1), at(21, 2, 0));
        assert_eq!(due_at(at(20, 22, 0), 2), at(21, 6, 0));
    }

    #[test]
    fn business_days_skip_nights_and_weekends() {
        // Friday 15:00 + 3 business days of 8 h: Fri 2 h, Mon 8, Tue 8, Wed 6 → Wed 15:00.
        assert_eq!(due_at(at(20, 15, 0), 3), at(25, 15, 0));
        // Saturday starts on Monday 09:00.
        assert_eq!(
            hm(add_working_time(at(21, 12, 0), Duration::hours(1), BUSINESS)),
            (10, 0)
        );
        assert_eq!(
            add_working_time(at(21, 12, 0), Duration::hours(1), BUSINESS),
            at(23, 10, 0)
        );
        // Before opening counts from opening; after closing from the next morning.
        assert_eq!(
            add_working_time(at(23, 6, 0), Duration::minutes(30), BUSINESS),
            at(23, 9, 30)
        );
        assert_eq!(
            add_working_time(at(23, 18, 0), Duration::minutes(30), BUSINESS),
            at(24, 9, 30)
        );
    }

    #[test]
    fn standing_turns_at_75_and_100_percent() {
        let (c, d) = (at(23, 0, 0), at(23, 4, 0));
        assert_eq!(standing(c, d, at(23, 2, 59)), Standing::OnTrack);
        assert_eq!(standing(c, d, at(23, 3, 0)), Standing::AtRisk);
        assert_eq!(standing(c, d, at(23, 4, 0)), Standing::Breached);
    }

    #[test]
    fn countdowns_read_short() {
        assert_eq!(countdown(Duration::minutes(45)), "45m");
        assert_eq!(countdown(Duration::minutes(133)), "2h13m");
        assert_eq!(countdown(Duration::hours(76)), "3d4h");
        assert_eq!(countdown(Duration::minutes(-65)), "-1h05m");
        assert_eq!(countdown(Duration::hours(24 * 361 + 5)), "361d");
    }
}
