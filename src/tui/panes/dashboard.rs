//! The dashboard: the period's KPIs beside the backlog now (a bar chart by age and priority),
//! and tickets opened against resolved per day below.

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph, Sparkline};

use crate::desk::Dashboard;
use crate::domain::kpi::{AGE_BUCKETS, Day, Stat};
use crate::text::clip;
use crate::tui::dashboard::DashboardModel;
use crate::tui::theme::Theme;

/// Width of the backlog chart: five groups of five one-column bars, a column between groups.
const BACKLOG_WIDTH: u16 = 31;
/// Width of the figures' labels.
const LABEL: usize = 11;

pub fn draw(frame: &mut Frame, area: Rect, model: &DashboardModel, period_keys: &str, theme: &Theme) {
    let days = model.days();
    let span = model
        .data
        .as_ref()
        .filter(|d| d.days == days)
        .and_then(|d| Some((d.daily.first()?.day, d.daily.last()?.day)))
        .map(|(a, b)| format!(" ({} – {})", a.format("%b %d"), b.format("%b %d")))
        .unwrap_or_default();
    let block = Block::bordered()
        .title(Span::styled(
            format!(" dashboard · last {days} days{span} "),
            theme.title(),
        ))
        .title_top(Line::from(Span::styled(format!(" {period_keys} "), theme.dim())).right_aligned())
        .border_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(data) = &model.data else {
        let text = match &model.error {
            Some(e) => Span::styled(
                format!("The dashboard could not be read: {}", clip(e, 200)),
                theme.error(),
            ),
            None => Span::styled("Reading the desk's figures…", theme.dim()),
        };
        frame.render_widget(Paragraph::new(Line::from(text)), inner);
        return;
    };
    let top_height = inner.height.saturating_sub(4).min(9);
    let [top, bottom] = Layout::vertical([Constraint::Length(top_height), Constraint::Min(0)]).areas(inner);
    let [figures_area, backlog_area] =
        Layout::horizontal([Constraint::Min(20), Constraint::Length(BACKLOG_WIDTH)]).areas(top);
    let mut lines = figures(data, theme, figures_area.width as usize);
    if let Some(e) = &model.error {
        lines.insert(0, Line::from(Span::styled(clip(e, 200), theme.error())));
    }
    frame.render_widget(Paragraph::new(lines), figures_area);
    draw_backlog(frame, backlog_area, data, theme);
    draw_daily(frame, bottom, &data.daily, theme);
}

fn hours(s: &Stat) -> String {
    match (s.median_hours, s.mean_hours) {
        (Some(median), Some(mean)) => format!("median {median:.1} h · mean {mean:.1} h"),
        _ => "–".into(),
    }
}

/// Time to close, and how long resolved tickets wait to be closed.
fn lead(to_close: &Stat, after_resolve: &Stat) -> String {
    match (to_close.median_hours, after_resolve.median_hours) {
        (Some(close), Some(wait)) => format!("median {close:.1} h · after resolve {wait:.1} h"),
        (Some(close), None) => format!("median {close:.1} h"),
        _ => "–".into(),
    }
}

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "–".into(), |p| format!("{p:.1} %"))
}

fn figures<'a>(d: &Dashboard, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let k = &d.kpis;
    let resolved: usize = d.daily.iter().map(|x| x.resolved).sum();
    let by_priority: Vec<String> = (1..=5).map(|p| d.backlog.of_priority(p).to_string()).collect();
    let line = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<LABEL$}"), theme.dim()),
            Span::raw(clip(&value, width.saturating_sub(LABEL))),
        ])
    };
    let mut lines = vec![
        line("opened", format!("{} · resolved {resolved}", k.tickets)),
        line("MTTA", hours(&k.mtta)),
        line("MTTR", hours(&k.mttr)),
        line("to close", lead(&k.time_to_close, &k.resolved_to_closed)),
        line(
            "SLA met",
            format!("own {} · resolve {}", pct(k.sla_own_met), pct(k.sla_resolve_met)),
        ),
        line(
            "reopened",
            format!("{} · first-time fix {}", pct(k.reopen_rate), pct(k.first_time_fix_rate)),
        ),
        line(
            "changes",
            format!(
                "{} successful · {} emergency",
                pct(k.change_success_rate),
                pct(k.emergency_change_share)
            ),
        ),
        line(
            "open now",
            format!("{} (P1–P5: {})", d.backlog.open, by_priority.join(" ")),
        ),
    ];
    // The CIs with the most incidents, as many as fit on the lines left.
    let room = width.saturating_sub(LABEL).max(1);
    let mut rows: Vec<String> = vec![String::new()];
    for (ci, n) in &k.top_cis {
        let piece = format!("{} {n}", clip(ci, 24));
        let last = rows.last_mut().map(|r| {
            if r.is_empty() {
                *r = piece.clone();
                true
            } else if r.chars().count() + 3 + piece.chars().count() <= room {
                r.push_str(" · ");
                r.push_str(&piece);
                true
            } else {
                false
            }
        });
        if last == Some(false) {
            if rows.len() == 2 {
                break;
            }
            rows.push(piece);
        }
    }
    for (i, row) in rows.into_iter().enumerate() {
        let label = if i == 0 { "top CIs" } else { "" };
        lines.push(line(label, if row.is_empty() { "–".into() } else { row }));
    }
    lines
}

/// The open tickets by age: one group per age bucket, one bar per priority (P1 leftmost).
fn draw_backlog(frame: &mut Frame, area: Rect, d: &Dashboard, theme: &Theme) {
    let [title, chart] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled("backlog by age · bars P1…P5", theme.dim()))),
        title,
    );
    let groups: Vec<BarGroup> = AGE_BUCKETS
        .iter()
        .zip(d.backlog.counts.iter())
        .map(|(label, counts)| {
            let bars: Vec<Bar> = counts
                .iter()
                .zip(1u8..)
                .map(|(n, p)| Bar::default().value(*n as u64).text_value("").style(theme.priority(p)))
                .collect();
            BarGroup::default().label(Line::from(*label).centered()).bars(&bars)
        })
        .collect();
    let mut barchart = BarChart::default().bar_width(1).bar_gap(0).group_gap(1);
    for g in groups {
        barchart = barchart.data(g);
    }
    frame.render_widget(barchart, chart);
}

/// Opened and resolved per day as two sparklines on one scale, days side by side.
fn draw_daily(frame: &mut Frame, area: Rect, days: &[Day], theme: &Theme) {
    if area.height < 3 || days.is_empty() {
        return;
    }
    let opened: usize = days.iter().map(|d| d.opened).sum();
    let resolved: usize = days.iter().map(|d| d.resolved).sum();
    let label_width = format!("resolved {}", opened.max(resolved)).chars().count() as u16 + 1;
    let spark_width = area.width.saturating_sub(label_width) as usize;
    if spark_width == 0 {
        return;
    }
    let (open_cols, per) = columns(days, spark_width, |d| d.opened);
    let (resolved_cols, _) = columns(days, spark_width, |d| d.resolved);
    let max = open_cols
        .iter()
        .chain(&resolved_cols)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let spark_height = (area.height - 2) / 2;
    let [title, open_row, resolved_row, axis] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(spark_height),
        Constraint::Length(spark_height),
        Constraint::Length(1),
    ])
    .areas(area);
    let unit = if per == 1 {
        "day".to_string()
    } else {
        format!("{per} days")
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            format!("opened vs resolved per {unit} · highest {max}"),
            theme.dim(),
        ))),
        title,
    );
    for (row, label, n, cols, style) in [
        (open_row, "opened", opened, &open_cols, theme.opened()),
        (resolved_row, "resolved", resolved, &resolved_cols, theme.ok()),
    ] {
        let [l, s] = Layout::horizontal([Constraint::Length(label_width), Constraint::Min(0)]).areas(row);
        frame.render_widget(Paragraph::new(format!("{label} {n}")), l);
        frame.render_widget(Sparkline::default().data(cols).max(max).style(style), s);
    }
    let used = open_cols.len();
    let (first, last) = (days[0].day, days[days.len() - 1].day);
    frame.render_widget(Paragraph::new(axis_line(first, last, used, label_width as usize)), axis);
}

/// The counts as sparkline columns: each day widened to fill `width` when there are few,
/// or runs of days summed when there are more days than columns; and days per column.
fn columns(days: &[Day], width: usize, count: impl Fn(&Day) -> usize) -> (Vec<u64>, usize) {
    let n = days.len().max(1);
    if n <= width {
        let each = width / n;
        let cols = days
            .iter()
            .flat_map(|d| std::iter::repeat_n(count(d) as u64, each))
            .collect();
        (cols, 1)
    } else {
        let per = n.div_ceil(width);
        let cols = days
            .chunks(per)
            .map(|c| c.iter().map(|d| count(d) as u64).sum())
            .collect();
        (cols, per)
    }
}

/// The first day under the first column and the last under the last.
fn axis_line(first: NaiveDate, last: NaiveDate, used: usize, indent: usize) -> String {
    let (a, b) = (first.format("%b %d").to_string(), last.format("%b %d").to_string());
    if first == last || used < a.len() + b.len() + 1 {
        return format!("{:indent$}{a}", "");
    }
    let gap = used - a.len() - b.len();
    format!("{:indent$}{a}{:gap$}{b}", "", "")
}

impl crate::tui::app::App {
    /// An action of the dashboard's layer: the period, and back.
    pub(in crate::tui) fn on_dashboard(
        &mut self,
        action: crate::tui::action::Action,
    ) -> Result<(), crate::desk::DeskError> {
        use crate::tui::action::Action;
        match action {
            Action::NextPeriod | Action::PrevPeriod => {
                self.dashboard.step_period(action == Action::NextPeriod);
                self.refresh_visible_pane()
            }
            Action::Back => self.go_back(),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: u32) -> Vec<Day> {
        let start = NaiveDate::from_ymd_opt(2026, 10, 1).expect("day");
        (0..n)
            .map(|i| Day {
                day: start + chrono::Days::new(u64::from(i)),
                opened: i as usize,
                resolved: 1,
            })
            .collect()
    }

    #[test]
    fn few_days_are_widened_and_many_are_summed() {
        let (cols, per) = columns(&days(3), 10, |d| d.opened);
        assert_eq!((cols, per), (vec![0, 0, 0, 1, 1, 1, 2, 2, 2], 1));
        let (cols, per) = columns(&days(7), 3, |d| d.opened);
        assert_eq!(per, 3);
        assert_eq!(cols, vec![3, 12, 6], "0+1+2, 3+4+5, 6");
        let (cols, _) = columns(&days(365), 60, |d| d.resolved);
        assert_eq!(cols.iter().sum::<u64>(), 365, "no day is lost");
        assert!(cols.len() <= 60);
    }

    #[test]
    fn the_axis_names_the_first_and_last_day() {
        let d = |m, n| NaiveDate::from_ymd_opt(2026, m, n).expect("day");
        assert_eq!(axis_line(d(10, 25), d(11, 23), 20, 2), "  Oct 25        Nov 23");
        assert_eq!(axis_line(d(10, 25), d(11, 23), 5, 0), "Oct 25", "too narrow for both");
    }
}
