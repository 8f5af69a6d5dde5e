//! The change calendar's model: a selected day, the changes of the month around it, and an
//! agenda of that day or its week.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, TimeZone, Utc};

use crate::desk::ChangeWindow;

/// What the forward schedule says is wrong with a change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub conflicts: Vec<crate::domain::TicketId>,
    pub freezes: Vec<String>,
    /// CIs whose maintenance windows the change does not fit in.
    pub outside: Vec<String>,
    /// The window's length in days, when longer than the desk's `changes.long_window`.
    pub long_days: Option<i64>,
}

pub struct CalendarModel {
    /// The selected day, in the operator's zone.
    pub day: NaiveDate,
    /// The agenda covers the selected day's week (Monday to Sunday) rather than the day.
    pub week: bool,
    /// Changes overlapping the displayed month.
    pub changes: Vec<ChangeWindow>,
    /// The month `changes` was read for.
    pub loaded: Option<(i32, u32)>,
    /// The highlighted change of the agenda.
    pub cursor: usize,
    /// For changes on the forward schedule: what is wrong with each.
    pub flags: std::collections::HashMap<crate::domain::TicketId, Flags>,
    pub zone: FixedOffset,
    /// Closed changes shown too (the schedule's history), with their conflicts.
    pub history: bool,
}

/// What an action of the calendar asks of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The day or the cursor moved: read the month if it changed.
    Moved,
    Open(crate::domain::TicketId),
    Back,
    None,
}

impl CalendarModel {
    /// An action of the calendar's layer, with today's date in the operator's zone.
    pub fn on(&mut self, action: crate::tui::action::Action, today: NaiveDate) -> Effect {
        use crate::tui::action::Action;
        match action {
            Action::Left => self.move_days(-1),
            Action::Right => self.move_days(1),
            Action::Down => self.move_days(7),
            Action::Up => self.move_days(-7),
            Action::PageDown => self.move_months(1),
            Action::PageUp => self.move_months(-1),
            Action::Today => {
                self.day = today;
                self.cursor = 0;
            }
            Action::Week => {
                self.week = !self.week;
                self.cursor = 0;
            }
            Action::History => {
                self.history = !self.history;
                self.loaded = None;
                self.cursor = 0;
            }
            Action::NextChange => self.move_cursor(1),
            Action::PrevChange => self.move_cursor(-1),
            Action::Open => {
                return self.selected_change().map_or(Effect::None, |c| Effect::Open(c.id));
            }
            Action::Back => return Effect::Back,
            _ => return Effect::None,
        }
        Effect::Moved
    }

    pub fn new(today: NaiveDate, zone: FixedOffset) -> CalendarModel {
        CalendarModel {
            day: today,
            week: false,
            changes: Vec::new(),
            loaded: None,
            cursor: 0,
            history: false,
            flags: Default::default(),
            zone,
        }
    }

    fn month_start(&self) -> NaiveDate {
        self.day.with_day(1).unwrap_or(self.day)
    }

    /// `[from, to)` in UTC covering the displayed month in the operator's zone.
    pub fn month_range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self.month_start();
        let end = start.checked_add_months(Months::new(1)).unwrap_or(start);
        (self.at_midnight(start), self.at_midnight(end))
    }

    fn at_midnight(&self, d: NaiveDate) -> DateTime<Utc> {
        self.zone
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .map_or_else(
                || Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()),
                |t| t.with_timezone(&Utc),
            )
    }

    /// Whether the displayed month's changes need reading.
    pub fn needs_load(&self) -> bool {
        self.loaded != Some((self.day.year(), self.day.month()))
    }

    pub fn set_changes(&mut self, changes: Vec<ChangeWindow>) {
        self.loaded = Some((self.day.year(), self.day.month()));
        self.changes = changes;
        self.cursor = 0;
    }

    pub fn move_days(&mut self, days: i64) {
        self.day += Duration::days(days);
        self.cursor = 0;
    }

    pub fn move_months(&mut self, months: i32) {
        let m = Months::new(months.unsigned_abs());
        let moved = if months >= 0 {
            self.day.checked_add_months(m)
        } else {
            self.day.checked_sub_months(m)
        };
        self.day = moved.unwrap_or(self.day);
        self.cursor = 0;
    }

    /// The days `[first, last]` the agenda covers.
    pub fn agenda_days(&self) -> (NaiveDate, NaiveDate) {
        if self.week {
            let monday = self.day - Duration::days(i64::from(self.day.weekday().num_days_from_monday()));
            (monday, monday + Duration::days(6))
        } else {
            (self.day, self.day)
        }
    }

    /// The changes whose window touches the agenda's days, by start.
    pub fn agenda(&self) -> Vec<&ChangeWindow> {
        let (first, last) = self.agenda_days();
        let (from, to) = (self.at_midnight(first), self.at_midnight(last + Duration::days(1)));
        self.changes.iter().filter(|c| c.start < to && c.end > from).collect()
    }

    /// Days of the displayed month on which some change's window runs.
    pub fn busy_days(&self) -> Vec<NaiveDate> {
        let mut days = Vec::new();
        for c in &self.changes {
            let (mut d, last) = (
                c.start.with_timezone(&self.zone).date_naive(),
                c.end.with_timezone(&self.zone).date_naive(),
            );
            // An end at midnight does not reach into that day.
            let last = if c.end.with_timezone(&self.zone).time() == chrono::NaiveTime::MIN && last > d {
                last - Duration::days(1)
            } else {
                last
            };
            while d <= last && days.len() < 1_000 {
                if d.month() == self.day.month() && !days.contains(&d) {
                    days.push(d);
                }
                d += Duration::days(1);
            }
        }
        days
    }

    /// Days of the displayed month on which a change with a conflict runs.
    pub fn conflict_days(&self) -> Vec<NaiveDate> {
        let mut days = Vec::new();
        for c in self
            .changes
            .iter()
            .filter(|c| self.flags.get(&c.id).is_some_and(|f| !f.conflicts.is_empty()))
        {
            let mut d = c.start.with_timezone(&self.zone).date_naive();
            let last = (c.end - Duration::seconds(1)).with_timezone(&self.zone).date_naive();
            while d <= last && days.len() < 1_000 {
                if d.month() == self.day.month() && !days.contains(&d) {
                    days.push(d);
                }
                d += Duration::days(1);
            }
        }
        days
    }

    pub fn move_cursor(&mut self, by: isize) {
        let n = self.agenda().len();
        if n > 0 {
            self.cursor = (self.cursor as isize + by).rem_euclid(n as isize) as usize;
        }
    }

    pub fn selected_change(&self) -> Option<&ChangeWindow> {
        self.agenda().get(self.cursor).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, TicketId};

    fn change(n: u64, start: (u32, u32), hours: i64) -> ChangeWindow {
        let start = Utc
            .with_ymd_and_hms(2026, 11, start.0, start.1, 0, 0)
            .single()
            .expect("time");
        ChangeWindow {
            id: TicketId::new(Kind::Change, n),
            title: format!("change {n}"),
            state: "scheduled".into(),
            change_type: Some("normal".into()),
            risk: Some("low".into()),
            assignee: None,
            start,
            end: start + Duration::hours(hours),
        }
    }

    fn model() -> CalendarModel {
        let mut m = CalendarModel::new(NaiveDate::from_ymd_opt(2026, 11, 18).expect("date"), Utc.fix());
        m.set_changes(vec![
            change(1, (18, 2), 2),
            change(2, (20, 22), 4),
            change(3, (30, 23), 2),
        ]);
        m
    }

    use chrono::Offset;

    #[test]
    fn the_agenda_is_the_day_or_its_week() {
        let mut m = model();
        let ids = |m: &CalendarModel| m.agenda().iter().map(|c| c.id.number).collect::<Vec<_>>();
        assert_eq!(ids(&m), vec![1]);
        m.week = true;
        assert_eq!(
            m.agenda_days().0,
            NaiveDate::from_ymd_opt(2026, 11, 16).expect("monday")
        );
        assert_eq!(ids(&m), vec![1, 2]);
        m.week = false;
        m.move_days(3); // Saturday 21st: change 2 runs 22:00 Fri to 02:00 Sat
        assert_eq!(ids(&m), vec![2]);
    }

    #[test]
    fn busy_days_follow_windows_across_midnight_and_month_end() {
        let m = model();
        let days: Vec<u32> = m.busy_days().iter().map(|d| d.day()).collect();
        assert_eq!(
            days,
            vec![18, 20, 21, 30],
            "the 30th's change runs into December, not shown in November"
        );
    }

    #[test]
    fn months_move_and_ask_for_their_changes() {
        let mut m = model();
        assert!(!m.needs_load());
        m.move_months(1);
        assert_eq!(m.day, NaiveDate::from_ymd_opt(2026, 12, 18).expect("date"));
        assert!(m.needs_load());
        m.move_months(-2);
        assert_eq!(m.day.month(), 10);
        let (from, to) = m.month_range();
        assert_eq!((from.day(), to.month()), (1, 11));
    }
}
