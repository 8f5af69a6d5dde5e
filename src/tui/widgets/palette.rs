//! The command palette: every action of the desk by name, narrowed as you type.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::goto::PaletteEntry;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, text: &str, index: usize, theme: &Theme) {
    let matches = app.palette_entries(text);
    let height = area.height.min(16);
    let width = area.width.min(60);
    let room = usize::from(height.saturating_sub(4));
    let start = index.saturating_sub(room.saturating_sub(1));
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", theme.title()),
        Span::raw(crate::text::inert(text, false)),
        Span::raw("█"),
    ])];
    if matches.is_empty() {
        lines.push(Line::from(Span::styled(
            "no action matches; a ticket id opens it",
            theme.dim(),
        )));
    }
    for (i, e) in matches.iter().enumerate().skip(start).take(room) {
        let (what, keys) = match e {
            PaletteEntry::Ticket(id) => (format!("open {id}"), String::new()),
            PaletteEntry::Action(layer, a) => {
                let keys: Vec<String> = app
                    .keymap
                    .keys_for(*layer, *a)
                    .iter()
                    .take(2)
                    .map(ToString::to_string)
                    .collect();
                (a.describe(*layer).to_string(), keys.join(" "))
            }
        };
        let style = if i == index { theme.selected() } else { Style::default() };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<38}", crate::text::clip(&what, 38)), style),
            Span::styled(format!("{keys:>16}"), theme.dim()),
        ]));
    }
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + 1,
        width,
        height: (lines.len() as u16 + 2).min(height),
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" run ")),
        rect,
    );
}
