//! Help: the keys of the layer on screen first (the form's when a form is open), then the
//! global ones under a pane, generated from the active keymap; fits 80×24.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::action::Layer;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

/// Keys typed into a field rather than bound: listed under a form's keys.
const EDITING: &str = "typing: ← → home end · ctrl-←/→ or alt-b/f words · ctrl-w alt-d delete a word · ctrl-k ctrl-j to end/start · ctrl-u undo · enter new line (long fields) · paste is text";

pub fn draw(frame: &mut Frame, area: Rect, keymap: &Keymap, layer: Layer, theme: &Theme) {
    let groups = keymap.help(layer);
    let entries: Vec<&(String, &str)> = groups.iter().flat_map(|(_, e)| e.iter()).collect();
    let key_width = entries
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(4)
        .min(18);
    // Two columns from 60 wide; descriptions are clipped to what the width leaves them.
    let cols: usize = if area.width >= 60 { 2 } else { 1 };
    let room = (area.width as usize).saturating_sub(4) / cols;
    let longest = entries.iter().map(|(_, d)| d.chars().count()).max().unwrap_or(10) + 1;
    let desc_width = longest.min(room.saturating_sub(key_width + 1)).max(8);
    let col_width = key_width + 1 + desc_width;
    let width = area.width.min((col_width * cols) as u16 + 2);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    // One list, each group under its heading, flowed down the columns: every key of a pane
    // and the global ones fit 80×24.
    let mut items: Vec<Option<&(String, &str)>> = Vec::new();
    let mut headings = Vec::new();
    for (name, entries) in &groups {
        headings.push((items.len(), *name));
        items.push(None);
        items.extend(entries.iter().map(Some));
    }
    let per_col = items.len().div_ceil(cols);
    let mut lines: Vec<Line> = Vec::new();
    for row in 0..per_col {
        let mut spans = Vec::new();
        for c in 0..cols {
            let i = c * per_col + row;
            match items.get(i) {
                Some(Some((k, what))) => {
                    spans.push(Span::styled(format!("{k:>key_width$} "), theme.title()));
                    let what = crate::text::clip(what, desc_width - 1);
                    spans.push(Span::raw(format!("{what:<desc_width$}")));
                }
                Some(None) => {
                    let name = headings.iter().find(|(at, _)| *at == i).map_or("", |(_, n)| *n);
                    spans.push(Span::styled(
                        format!("{:<col_width$}", format!("{name} keys")),
                        theme.title(),
                    ));
                }
                None => {}
            }
        }
        lines.push(Line::from(spans));
    }
    if layer == Layer::Form {
        lines.push(Line::from(Span::styled(EDITING, theme.dim())));
    }
    lines.push(Line::from(Span::styled(
        "From assets/keymap.toml and config.toml [keys.LAYER]. Any key closes this.",
        theme.dim(),
    )));
    // Long lines wrap; the box is as tall as what it holds, at most the pane.
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let height = area.height.min(rows as u16 + 2);
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(" keys ")),
        rect,
    );
}
