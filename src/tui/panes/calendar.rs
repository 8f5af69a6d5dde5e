//! The change calendar: a month with the days that hold changes marked, and the agenda of
//! the selected day or week.

use chrono::Datelike;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::desk::DeskError;
use crate::text::{clip, inert};
use crate::tui::action::{Action, Layer};
use crate::tui::app::{App, Back, Pane};
use crate::tui::calendar::{CalendarModel, Effect};
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

/// The month of `cal.day` as a grid that starts on Monday, like the week view: days with a
/// change bold and underlined, days with conflicting changes also italic (and red where
/// there is colour), the selected day reversed.
fn month_lines(cal: &CalendarModel, theme: &Theme) -> Vec<Line<'static>> {
    let first = cal.day.with_day(1).unwrap_or(cal.day);
    let busy = cal.busy_days();
    let clash = cal.conflict_days();
    let mut lines = vec![
        Line::from(Span::styled(
            format!("{:^21}", first.format("%B %Y").to_string()),
            theme.title(),
        )),
        Line::from(Span::styled(" Mo Tu We Th Fr Sa Su", theme.dim())),
    ];
    let lead = first.weekday().num_days_from_monday() as usize;
    let mut spans: Vec<Span> = (0..lead).map(|_| Span::raw("   ")).collect();
    let mut day = first;
    while day.month() == first.month() {
        let mut style = Style::default();
        if busy.contains(&day) {
            style = style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
        }
        if clash.contains(&day) {
            style = theme
                .breached()
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED | Modifier::ITALIC);
        }
        if day == cal.day {
            style = style.patch(theme.selected().add_modifier(Modifier::BOLD));
        }
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!("{:>2}", day.day()), style));
        if day.weekday() == chrono::Weekday::Sun {
            lines.push(Line::from(std::mem::take(&mut spans)));
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    if !spans.is_empty() {
        lines.push(Line::from(spans));
    }
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, keymap: &Keymap, cal: &CalendarModel, theme: &Theme) {
    let [left, right] = Layout::horizontal([Constraint::Length(26), Constraint::Min(20)]).areas(area);
    let [month_area, legend_area] = Layout::vertical([Constraint::Length(10), Constraint::Min(0)]).areas(left);
    frame.render_widget(
        Paragraph::new(month_lines(cal, theme)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" changes ")
                .border_style(theme.title()),
        ),
        month_area,
    );
    let keys = |pairs: &[(Action, &str)]| keymap.phrase(Layer::Calendar, pairs);
    let legend = vec![
        Line::from(Span::styled("underlined: a change runs", theme.dim())),
        Line::from(Span::styled("italic: changes conflict", theme.dim())),
        Line::from(Span::styled(
            keys(&[(Action::Left, "day"), (Action::Down, "week")]),
            theme.dim(),
        )),
        Line::from(Span::styled(
            keys(&[(Action::PageDown, "month"), (Action::Today, "today")]),
            theme.dim(),
        )),
        Line::from(Span::styled(
            keys(&[(Action::Week, "day↔week"), (Action::NextChange, "pick")]),
            theme.dim(),
        )),
        Line::from(Span::styled(keys(&[(Action::Open, "open the change")]), theme.dim())),
    ];
    frame.render_widget(Paragraph::new(legend), legend_area);

    let (first, last) = cal.agenda_days();
    let heading = if cal.week {
        format!(
            " week of {} – {} ",
            first.format("%a %d %b"),
            last.format("%a %d %b %Y")
        )
    } else {
        format!(" {} ", first.format("%A %d %B %Y"))
    };
    let agenda = cal.agenda();
    let mut lines: Vec<Line> = Vec::new();
    if agenda.is_empty() {
        lines.push(Line::from(Span::styled("No change is planned then.", theme.dim())));
    }
    for (i, c) in agenda.iter().enumerate() {
        let (s, e) = (c.start.with_timezone(&cal.zone), c.end.with_timezone(&cal.zone));
        let window = if s.date_naive() == e.date_naive() {
            format!("{} {}–{}", s.format("%a %d"), s.format("%H:%M"), e.format("%H:%M"))
        } else {
            format!("{}–{}", s.format("%a %d %H:%M"), e.format("%a %d %H:%M"))
        };
        let style = if i == cal.cursor {
            theme.selected()
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{window:<22} {:<8}", c.id.to_string()), style),
            Span::raw(format!(
                " {:<9} {:<6} {:<10} ",
                c.change_type.as_deref().unwrap_or("-"),
                c.risk.as_deref().unwrap_or("-"),
                clip(&c.state, 10)
            )),
            Span::raw(clip(&inert(&c.title, false), 60)),
        ]));
        if let Some(flags) = cal.flags.get(&c.id) {
            let mut warn = Vec::new();
            if !flags.conflicts.is_empty() {
                let ids: Vec<String> = flags.conflicts.iter().map(ToString::to_string).collect();
                warn.push(format!("CONFLICT with {}", ids.join(", ")));
            }
            let names = |v: &[String]| v.iter().map(|f| inert(f, false)).collect::<Vec<_>>().join(", ");
            if !flags.freezes.is_empty() {
                warn.push(format!("FREEZE {}", names(&flags.freezes)));
            }
            if !flags.outside.is_empty() {
                warn.push(format!("OUTSIDE MAINTENANCE {}", names(&flags.outside)));
            }
            if let Some(days) = flags.long_days {
                warn.push(format!("long window: {days} days"));
            }
            lines.push(Line::from(Span::styled(
                format!("    ⚠ {}", warn.join(" · ")),
                theme.breached(),
            )));
        }
    }
    let count = format!(
        "{} change(s) this month",
        cal.changes
            .iter()
            .filter(|c| c.start.with_timezone(&cal.zone).month() == cal.day.month())
            .count()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(heading)
        .title_bottom(format!(" {count} "))
        .border_style(theme.dim());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), right);
}

impl App {
    /// An action of the calendar's layer: the model answers it; the app reads a new month,
    /// opens a change or goes back.
    pub(in crate::tui) fn on_calendar(&mut self, action: Action) -> Result<(), DeskError> {
        let today = self.now.with_timezone(&self.zone).date_naive();
        let Some(cal) = &mut self.calendar else { return Ok(()) };
        match cal.on(action, today) {
            Effect::Moved => self.load_calendar(),
            Effect::Open(id) => self.open_ticket(id, Back::Pane(Pane::Calendar)),
            Effect::Back => self.go_back(),
            Effect::None => Ok(()),
        }
    }

    /// Reads the changes of the calendar's month when it moved to another one.
    pub(in crate::tui) fn load_calendar(&mut self) -> Result<(), DeskError> {
        let Some(cal) = &self.calendar else { return Ok(()) };
        if cal.needs_load() {
            let (from, to) = cal.month_range();
            let history = cal.history;
            let changes = self
                .desk
                .changes_between(from, to)?
                .into_iter()
                .filter(|c| history || c.state != "closed")
                .collect();
            let flags = self
                .desk
                .schedule(from, to, cal.history)?
                .into_iter()
                .filter(|s| {
                    !s.conflicts.is_empty() || !s.freezes.is_empty() || !s.outside_maintenance.is_empty() || s.long
                })
                .map(|s| {
                    let flags = crate::tui::calendar::Flags {
                        conflicts: s.conflicts,
                        freezes: s.freezes,
                        outside: s.outside_maintenance,
                        long_days: s.long.then(|| (s.end - s.start).num_days()),
                    };
                    (s.id, flags)
                })
                .collect();
            if let Some(cal) = &mut self.calendar {
                cal.set_changes(changes);
                cal.flags = flags;
            }
        }
        Ok(())
    }
}
