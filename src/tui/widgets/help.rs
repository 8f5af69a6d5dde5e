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
    // Two columns from 60 wide (34 bindings fit 80×24 that way); descriptions are clipped
    // to what the width leaves them.
    let cols: usize = if area.width >= 60 { 2 } else { 1 };
    let longest = entries.iter().map(|(_, d)| d.chars().count()).max().unwrap_or(10) + 2;
    let room = (area.width as usize).saturating_sub(4) / cols;
    let desc_width = longest.min(room.saturating_sub(key_width + 1)).max(8);
    let col_width = key_width + 1 + desc_width;
    let per_col = entries.len().div_ceil(cols);
    let mut lines: Vec<Line> = Vec::new();
    for row in 0..per_col {
        let mut spans = Vec::new();
        for c in 0..cols {
            if let Some((k, what)) = entries.get(c * per_col + row) {
                spans.push(Span::styled(format!("{k:>key_width$} "), theme.title()));
                let what = crate::text::clip(what, desc_width - 1);
                spans.push(Span::raw(format!("{what:<desc_width$}")));
            }
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        "Keys come from assets/keymap.toml and your config.toml [keys]. Any key closes this.",
        theme.dim(),
    )));
    let width = area.width.min((col_width * cols) as u16 + 2);
    let height = area.height.min(lines.len() as u16 + 2);
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" keys ")),
        rect,
    );
}
