//! Maintenance windows: when a CI's changes are expected, recurring weekly in a named zone,
//! e.g. `Sun 02:00-06:00 Europe/Berlin` or `Mon-Fri 22:00-02:00 UTC` (past midnight).
//! A change outside them is flagged, not refused.

use std::fmt;
use std::str::FromStr;

#[cfg(test)]
use chrono::{DateTime, TimeZone, Utc};
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;

use super::calendar::instant;
use super::schedule::Window;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// The days an occurrence starts on.
    pub days: Vec<Weekday>,
    pub start: NaiveTime,
    /// At or before `start`: the occurrence ends the next day.
    pub end: NaiveTime,
    pub zone: Tz,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

fn day(s: &str) -> Option<Weekday> {
    let s = s.trim().to_ascii_lowercase();
    DAYS.iter()
        .find(|(n, _)| s.starts_with(n) && s.len() >= 3)
        .map(|(_, d)| *d)
}

fn days(spec: &str) -> Option<Vec<Weekday>> {
    let mut out = Vec::new();
    for part in spec.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut d = a;
                loop {
                    out.push(d);
                    if d == b {
                        break;
                    }
                    d = d.succ();
                }
            }
            None => out.push(day(part)?),
        }
    }
    out.dedup();
    Some(out)
}

impl FromStr for MaintenanceWindow {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "`{s}` is not a maintenance window: write DAYS HH:MM-HH:MM ZONE, e.g. `Sun 02:00-06:00 Europe/Berlin` or `Mon-Fri 22:00-02:00 UTC`"
            )
        };
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [d, hours, zone] = parts.as_slice() else {
            return Err(bad());
        };
        let days = days(d).ok_or_else(bad)?;
        let (a, b) = hours.split_once('-').ok_or_else(bad)?;
        let t = |x: &str| NaiveTime::parse_from_str(x, "%H:%M").map_err(|_| bad());
        let zone: Tz = zone
            .parse()
            .map_err(|_| format!("`{zone}` is not a time zone name (e.g. Europe/Berlin, UTC)"))?;
        let (start, end) = (t(a)?, t(b)?);
        Ok(MaintenanceWindow { days, start, end, zone })
    }
}

impl fmt::Display for MaintenanceWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .days
            .iter()
            .map(|d| {
                let n = DAYS.iter().find(|(_, x)| x == d).map_or("?", |(n, _)| n);
                let mut c = n.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        write!(
            f,
            "{} {}-{} {}",
            names.join(","),
            self.start.format("%H:%M"),
            self.end.format("%H:%M"),
            self.zone
        )
    }
}

impl MaintenanceWindow {
    /// The occurrence that starts on `date` (local), as instants, if the window runs that day.
    fn occurrence(&self, date: NaiveDate) -> Option<Window> {
        if !self.days.contains(&date.weekday()) {
            return None;
        }
        let end_date = if self.end <= self.start { date.succ_opt()? } else { date };
        Some(Window {
            start: instant(self.zone, date.and_time(self.start)),
            end: instant(self.zone, end_date.and_time(self.end)),
        })
    }

    /// Whether a change window lies wholly inside one occurrence.
    pub fn fits(&self, w: &Window) -> bool {
        let local = w.start.with_timezone(&self.zone).date_naive();
        [local.pred_opt(), Some(local)]
            .into_iter()
            .flatten()
            .filter_map(|d| self.occurrence(d))
            .any(|o| o.start <= w.start && w.end <= o.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("time")
    }

    fn w(a: DateTime<Utc>, b: DateTime<Utc>) -> Window {
        Window { start: a, end: b }
    }

    #[test]
    fn specs_parse_and_print() {
        let m: MaintenanceWindow = "Sun 02:00-06:00 Europe/Berlin".parse().expect("parse");
        assert_eq!(m.days, vec![Weekday::Sun]);
        assert_eq!(m.to_string(), "Sun 02:00-06:00 Europe/Berlin");
        let m: MaintenanceWindow = "mon-fri 22:00-02:00 UTC".parse().expect("parse");
        assert_eq!(m.days.len(), 5);
        assert_eq!(m.to_string(), "Mon,Tue,Wed,Thu,Fri 22:00-02:00 UTC");
        let m: MaintenanceWindow = "Sat,Sun 01:00-05:00 America/New_York".parse().expect("parse");
        assert_eq!(m.days, vec![Weekday::Sat, Weekday::Sun]);
        for bad in [
            "Sun",
            "Funday 02:00-03:00 UTC",
            "Sun 2-3 UTC",
            "Sun 02:00-06:00 Mars/Olympus",
            "Sun 25:00-26:00 UTC",
        ] {
            assert!(bad.parse::<MaintenanceWindow>().is_err(), "{bad}");
        }
        let e = "Sun 02:00-06:00 Mars/Olympus".parse::<MaintenanceWindow>().unwrap_err();
        assert!(e.contains("`Mars/Olympus` is not a time zone name"), "{e}");
    }

    #[test]
    fn a_change_inside_fits_and_one_over_the_edge_does_not() {
        let m: MaintenanceWindow = "Sun 02:00-06:00 Europe/Berlin".parse().expect("parse");
        // Sunday 2026-11-22, Berlin is UTC+1: the window is 01:00-05:00 UTC.
        assert!(m.fits(&w(utc(2026, 11, 22, 1, 0), utc(2026, 11, 22, 5, 0))));
        assert!(m.fits(&w(utc(2026, 11, 22, 2, 0), utc(2026, 11, 22, 3, 0))));
        assert!(
            !m.fits(&w(utc(2026, 11, 22, 4, 0), utc(2026, 11, 22, 5, 30))),
            "runs past the end"
        );
        assert!(
            !m.fits(&w(utc(2026, 11, 22, 0, 30), utc(2026, 11, 22, 2, 0))),
            "starts before"
        );
        assert!(
            !m.fits(&w(utc(2026, 11, 23, 1, 0), utc(2026, 11, 23, 2, 0))),
            "a Monday"
        );
    }

    #[test]
    fn windows_past_midnight_cover_the_next_morning() {
        let m: MaintenanceWindow = "Fri 22:00-02:00 UTC".parse().expect("parse");
        assert!(m.fits(&w(utc(2026, 11, 20, 23, 0), utc(2026, 11, 21, 1, 30))));
        assert!(
            m.fits(&w(utc(2026, 11, 21, 0, 30), utc(2026, 11, 21, 1, 0))),
            "Saturday 00:30 belongs to Friday's window"
        );
        assert!(
            !m.fits(&w(utc(2026, 11, 21, 22, 0), utc(2026, 11, 21, 23, 0))),
            "not on Saturday evening"
        );
    }

    #[test]
    fn summer_time_moves_the_window_in_utc() {
        let m: MaintenanceWindow = "Sun 02:00-06:00 Europe/Berlin".parse().expect("parse");
        // In July Berlin is UTC+2: 00:00-04:00 UTC.
        assert!(m.fits(&w(utc(2026, 7, 5, 0, 0), utc(2026, 7, 5, 4, 0))));
        assert!(
            !m.fits(&w(utc(2026, 7, 5, 4, 0), utc(2026, 7, 5, 5, 0))),
            "05:00 UTC is 07:00 in Berlin in summer"
        );
    }

    #[test]
    fn the_night_the_clocks_go_forward_or_back() {
        let m: MaintenanceWindow = "Sun 02:00-06:00 Europe/Berlin".parse().expect("parse");
        // 2026-03-29: 02:00 does not exist in Berlin; the window opens at 03:00 CEST (01:00
        // UTC) and closes at 06:00 CEST (04:00 UTC): three hours that night.
        assert!(m.fits(&w(utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 4, 0))));
        assert!(
            !m.fits(&w(utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30))),
            "00:30 UTC is 01:30 CET, before it opens"
        );
        // 2026-10-25: 02:00-03:00 happens twice; the window opens at the first 02:00 (00:00
        // UTC) and closes at 06:00 CET (05:00 UTC): five hours that night.
        assert!(m.fits(&w(utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 5, 0))));
        assert!(!m.fits(&w(utc(2026, 10, 25, 4, 30), utc(2026, 10, 25, 5, 30))));
    }
}
