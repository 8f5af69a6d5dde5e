//! A list to choose from (the moves open to the operator, the links to remove), with what
//! each entry will ask for.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::text::inert;
use crate::tui::action::Layer;
use crate::tui::app::Picker;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, p: &Picker, keymap: &Keymap, theme: &Theme) {
    let mut lines: Vec<Line> = Vec::new();
    for (i, e) in p.entries.iter().enumerate() {
        let style = if i == p.index {
            theme.selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<34}", inert(&e.label, false)), style),
            Span::styled(format!(" {}", inert(&e.detail, false)), theme.dim()),
        ]));
    }
    lines.push(Line::raw(""));
    let keys: Vec<String> = keymap
        .hints(Layer::Picker)
        .into_iter()
        .map(|(k, what)| format!("{k} {what}"))
        .collect();
    lines.push(Line::from(Span::styled(
        format!(" {} · a letter jumps", keys.join(" · ")),
        theme.dim(),
    )));
    let width = area.width.min(76);
    let height = area.height.min(lines.len() as u16 + 2);
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", inert(&p.title, false))),
        ),
        rect,
    );
}
