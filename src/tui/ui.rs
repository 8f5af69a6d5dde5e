//! The whole screen, drawn from the app's state: header, pane(s), key hints, overlays.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::app::{App, Mode, Pane};
use super::panes;
use super::theme::Theme;
use super::widgets;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this width the detail stands beside the queue.
pub const SIDE_BY_SIDE: u16 = 120;

/// Draws the screen. Whatever a pane drew, the frame then passes the one sanitiser: no cell
/// holds what a terminal would obey instead of show (the panes make desk text inert as they
/// lay it out; this is the edge nothing gets past).
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    draw_screen(frame, app, theme);
    for cell in frame.buffer_mut().content.iter_mut() {
        if crate::text::has_risky(cell.symbol()) {
            cell.set_symbol(if theme.ascii { "?" } else { "\u{FFFD}" });
        } else if theme.ascii && !cell.symbol().is_ascii() {
            // A console without the glyph gets its ASCII stand-in, one cell for one cell.
            let mut buf = [0u8; 4];
            let c = cell
                .symbol()
                .chars()
                .next()
                .and_then(super::theme::ascii)
                .unwrap_or('?');
            cell.set_symbol(c.encode_utf8(&mut buf));
        }
    }
}

fn draw_screen(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    app.screen.set((area.width, area.height));
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "Terminal too small: {}×{}.\nopsdesk needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\nKeys wait until it fits; {} quits.",
            area.width,
            area.height,
            app.keymap
                .key_name(super::action::Layer::Global, super::action::Action::Quit)
                .unwrap_or_default()
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, main, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    draw_header(frame, header, app, theme);
    let side = area.width >= SIDE_BY_SIDE && app.detail.view.is_some();
    match app.visible_pane() {
        Pane::Cmdb => panes::cmdb::draw(frame, main, app, theme),
        Pane::Calendar => {
            if let Some(cal) = &app.calendar {
                panes::calendar::draw(frame, main, &app.keymap, cal, theme);
            }
        }
        Pane::Dashboard => {
            let keys = app.keymap.phrase(
                super::action::Layer::Dashboard,
                &[(super::action::Action::NextPeriod, "period")],
            );
            panes::dashboard::draw(frame, main, &app.dashboard, &keys, theme)
        }
        Pane::Inbox => panes::inbox::draw(frame, main, &app.inbox, &app.keymap, theme, app.now),
        Pane::Queue | Pane::Detail if side => {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main);
            panes::queue::draw(frame, left, app, theme, app.pane == Pane::Queue);
            panes::detail::draw(frame, right, app, theme, app.pane == Pane::Detail);
        }
        Pane::Detail => panes::detail::draw(frame, main, app, theme, true),
        Pane::Queue => panes::queue::draw(frame, main, app, theme, true),
    }
    draw_footer(frame, footer, app, theme);
    draw_mode(frame, main, &app.mode, app, theme);
}

fn draw_mode(frame: &mut Frame, main: Rect, mode: &Mode, app: &App, theme: &Theme) {
    match mode {
        Mode::Help { back } => {
            // Help sits over what it explains: a form stays drawn under its keys.
            draw_mode(frame, main, back, app, theme);
            // Over the header and the key hints too: every key of a pane fits 80×24.
            widgets::help::draw(frame, frame.area(), &app.keymap, app.layer(), theme);
        }
        Mode::Pick(p) => widgets::picker::draw(frame, main, p, &app.keymap, theme),
        Mode::Form(f) => widgets::form_view::draw(f, frame, main, &app.keymap, theme),
        Mode::Palette { text, index } => widgets::palette::draw(frame, main, app, text, *index, theme),
        Mode::Confirm(q) => {
            let keys = app.keymap.hints(super::action::Layer::Confirm);
            let keys: Vec<String> = keys.iter().map(|(k, what)| format!("{k} {what}")).collect();
            let text = format!("{}\n\n{}", q.text, keys.join(" · "));
            let width = 64.min(main.width);
            let inner = usize::from(width.saturating_sub(2)).max(1);
            let rows: usize = text.lines().map(|l| l.chars().count().div_ceil(inner).max(1)).sum();
            let rect = widgets::centered(main, width, rows as u16 + 2);
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(crate::text::inert(&text, true))
                    .wrap(Wrap { trim: false })
                    .block(ratatui::widgets::Block::bordered().title(format!(" {} ", q.title))),
                rect,
            );
        }
        Mode::Normal | Mode::Filter | Mode::FindCi(_) => {}
    }
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (open, risk, breached) = app.header_counts();
    let desk = app.desk.place().short();
    let who = crate::text::inert(app.desk.user(), false);
    let counts = if !app.desk.reachable() {
        // Forms and drafts stay as they are; the desk is read again once the server is back.
        "the desk's server cannot be reached: trying again".to_string()
    } else if app.queue.loading {
        "… open · reading the queue".to_string()
    } else {
        format!("{open} open · {risk} at risk · {breached} breached")
    };
    // Unread items of the operator's inbox, when there are any.
    let counts = match app.inbox.data.unread {
        0 => counts,
        n => format!("{counts} · inbox {n}"),
    };
    // Narrow, the counts come first and the desk's name goes.
    let text = if area.width < 70 {
        format!(" {who} │ {counts}")
    } else {
        format!(" opsdesk · {} · {who} │ {counts}", crate::text::inert(&desk, false))
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(text, theme.header()))).style(theme.header()),
        area,
    );
}

/// `enter keep · esc clear`: the prompt layer's keys.
fn prompt_keys(app: &App, cancel: &str) -> String {
    use super::action::{Action, Layer};
    app.keymap
        .phrase(Layer::Prompt, &[(Action::Choose, "keep"), (Action::Cancel, cancel)])
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = if let Mode::FindCi(text) = &app.mode {
        Line::from(vec![
            Span::styled("find CI: ", theme.title()),
            Span::raw(crate::text::inert(text, false)),
            Span::raw("█"),
            Span::styled(format!("   {}", prompt_keys(app, "done")), theme.dim()),
        ])
    } else if matches!(app.mode, Mode::Filter) {
        Line::from(vec![
            Span::styled("/", theme.title()),
            Span::raw(crate::text::inert(&app.queue.filter, false)),
            Span::raw("█"),
            Span::styled(format!("   {}", prompt_keys(app, "clear")), theme.dim()),
        ])
    } else if let Some((label, waited, more)) = app.writing() {
        Line::from(Span::styled(
            super::writer::spinner_text(&crate::text::inert(label, false), waited, more),
            theme.title(),
        ))
    } else if let Some(s) = &app.status {
        let style = if s.error { theme.error() } else { theme.ok() };
        let mark = if s.error { "✗ " } else { "✓ " };
        Line::from(Span::styled(
            format!("{mark}{}", crate::text::inert(&s.text, false)),
            style,
        ))
    } else {
        let mut spans = Vec::new();
        let mut used = 0usize;
        for (key, what) in app.keymap.hints(app.layer()) {
            let piece = format!("{key} {what}  ");
            used += piece.chars().count();
            if used > area.width as usize {
                break;
            }
            spans.push(Span::styled(key, theme.title()));
            spans.push(Span::styled(format!(" {what}  "), theme.dim()));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}
