//! How a form looks: a box over the pane with each field, the cursor where typing goes, the
//! suggestions under a field that has them, and the form's keys (from the keymap) below.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::form::{Field, Form, Input, SUGGESTIONS};
use crate::text::inert;
use crate::tui::action::{Action, Layer};
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

/// Lines of one text value with the cursor drawn at `cursor` (row, column) when focused.
fn text_lines<'a>(label: Span<'a>, lines: &[String], cursor: Option<(usize, usize)>, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for (row, l) in lines.iter().enumerate() {
        let shown = inert(l, false);
        let mut spans = if row == 0 {
            vec![label.clone()]
        } else {
            vec![Span::raw("    ")]
        };
        match cursor {
            Some((r, c)) if r == row => {
                let chars: Vec<char> = shown.chars().collect();
                let c = c.min(chars.len());
                let before: String = chars[..c].iter().collect();
                let at: String = chars.get(c).map_or(" ".to_string(), |ch| ch.to_string());
                let after: String = chars.get(c + 1..).map_or(String::new(), |r| r.iter().collect());
                spans.push(Span::raw(before));
                spans.push(Span::styled(at, theme.selected()));
                spans.push(Span::raw(after));
            }
            _ => spans.push(Span::raw(shown)),
        }
        out.push(Line::from(spans));
    }
    out
}

fn field_lines<'a>(f: &'a Field, focused: bool, theme: &Theme) -> Vec<Line<'a>> {
    let marker = if focused { "▶ " } else { "  " };
    let changed = if f.note.is_some() { "* " } else { "" };
    let label = Span::styled(
        format!("{marker}{changed}{}: ", f.name.replace('_', " ")),
        theme.label(focused),
    );
    let mut out = match &f.input {
        Input::Text { area, long, pick, .. } => {
            let cursor = focused.then(|| area.cursor()).map(|c| (c.0, c.1));
            let mut out = text_lines(label, area.lines(), cursor, theme);
            if focused {
                for (i, s) in f.suggestions(SUGGESTIONS).into_iter().enumerate() {
                    let style = if *pick == Some(i) {
                        theme.selected()
                    } else {
                        theme.dim()
                    };
                    out.push(Line::from(Span::styled(format!("      {}", inert(s, false)), style)));
                }
            }
            if *long && focused && area.lines().len() == 1 && area.is_empty() {
                out.push(Line::from(Span::styled("    (enter starts a new line)", theme.dim())));
            }
            out
        }
        Input::Choice { choices, index, .. } => {
            let mut spans = vec![label];
            for (j, c) in choices.iter().enumerate() {
                if j == *index {
                    spans.push(Span::styled(format!("[{}]", inert(c, false)), theme.chosen(focused)));
                } else {
                    spans.push(Span::styled(format!(" {} ", inert(c, false)), theme.dim()));
                }
            }
            vec![Line::from(spans)]
        }
    };
    if let Some(note) = &f.note {
        out.push(Line::from(Span::styled(
            format!("    {}", inert(note, false)),
            theme.at_risk(),
        )));
    }
    out
}

/// The form layer's keys as one line: `ctrl-s save · tab next field · esc cancel …`.
fn keys_line(keymap: &Keymap) -> String {
    let mut parts: Vec<String> = Layer::Form
        .hinted()
        .iter()
        .filter_map(|a| {
            keymap
                .key_name(Layer::Form, *a)
                .map(|k| format!("{k} {}", a.describe(Layer::Form)))
        })
        .collect();
    if parts.is_empty() {
        parts.push(Action::Submit.description().to_string());
    }
    parts.join(" · ")
}

pub fn draw<P>(form: &Form<P>, frame: &mut Frame, area: Rect, keymap: &Keymap, theme: &Theme) {
    let width = area.width.clamp(20, 76);
    let inner = usize::from(width.min(area.width).saturating_sub(2)).max(1);
    let mut head: Vec<Line> = Vec::new();
    if let Some(e) = &form.error {
        head.push(Line::from(Span::styled(
            format!("✗ {}", inert(e, false)),
            theme.error(),
        )));
    }
    if let Some(n) = &form.notice {
        head.push(Line::from(Span::styled(inert(n, false), theme.at_risk())));
    }
    // Each field's lines, remembered by field, so the one in focus can be kept in view.
    let mut body: Vec<(usize, Line)> = Vec::new();
    for (i, f) in form.fields.iter().enumerate() {
        body.extend(field_lines(f, i == form.focus, theme).into_iter().map(|l| (i, l)));
    }
    let foot = Line::from(Span::styled(keys_line(keymap), theme.dim()));
    let rows = |l: &Line| l.width().div_ceil(inner).max(1);
    let head_rows: usize = head.iter().map(rows).sum();
    let room = usize::from(area.height.saturating_sub(2)).saturating_sub(head_rows + rows(&foot));
    let body_rows: usize = body.iter().map(|(_, l)| rows(l)).sum();
    // When the fields do not fit, start late enough that the focused field's last line shows.
    let mut skip = 0;
    if body_rows > room {
        let focus_end = body
            .iter()
            .rposition(|(i, _)| *i == form.focus)
            .map_or(0, |p| body[..=p].iter().map(|(_, l)| rows(l)).sum::<usize>());
        let mut over = focus_end.saturating_sub(room);
        while over > 0 && skip < body.len() {
            over = over.saturating_sub(rows(&body[skip].1));
            skip += 1;
        }
    }
    let mut lines = head;
    lines.extend(body.into_iter().skip(skip).map(|(_, l)| l));
    lines.push(foot);
    let total: usize = lines.iter().map(rows).sum();
    let height = (total as u16 + 2).min(area.height);
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", inert(&form.title, false)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), rect);
}
