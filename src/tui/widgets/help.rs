//! Help: every bound key with what it does, generated from the active keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, keymap: &Keymap, theme: &Theme) {
    let entries = keymap.help();
    let key_width = entries
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(4)
        .min(22);
    // Two columns when there is room.
    let cols = if area.width >= 2 * (key_width as u16 + 26) + 4 {
        2
    } else {
        1
    };
    let per_col = entries.len().div_ceil(cols);
    let mut lines: Vec<Line> = Vec::new();
    for row in 0..per_col {
        let mut spans = Vec::new();
        for c in 0..cols {
            if let Some((k, what)) = entries.get(c * per_col + row) {
                spans.push(Span::styled(format!("{k:>key_width$} "), theme.title()));
                spans.push(Span::raw(format!("{what:<24}")));
            }
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        "Keys come from assets/keymap.toml and your config.toml [keys]. Any key closes this.",
        theme.dim(),
    )));
    let width = area.width.min(((key_width + 26) * cols) as u16 + 4);
    let height = area.height.min(lines.len() as u16 + 2);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" keys ")),
        rect,
    );
}
