//! The list of moves open to the operator, with what each will ask for.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::app::Picker;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, p: &Picker, theme: &Theme) {
    let mut lines: Vec<Line> = Vec::new();
    for (i, o) in p.offers.iter().enumerate() {
        let needs = if o.prompts.is_empty() {
            String::new()
        } else {
            format!(
                "  needs {}",
                o.prompts
                    .iter()
                    .map(|p| p.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let style = if i == p.index {
            theme.selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<20} → {:<12}", o.name, o.to), style),
            Span::styled(needs, theme.dim()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        " ↑/↓ choose · enter take · esc cancel",
        theme.dim(),
    )));
    let width = area.width.min(76);
    let height = area.height.min(lines.len() as u16 + 2);
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(format!(" {} ", p.title))),
        rect,
    );
}
