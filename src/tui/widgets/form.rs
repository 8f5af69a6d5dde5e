//! A small form: text fields and pick-lists, typed into by keys. What is typed stays here
//! until the desk accepts it; a refusal is shown above the fields and nothing is lost.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::tui::theme::Theme;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Text {
        value: String,
        long: bool,
    },
    /// `typed` is what was typed since the focus came here: the pick-list jumps to the
    /// first choice that starts with it.
    Choice {
        choices: Vec<String>,
        index: usize,
        typed: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub input: Input,
}

impl Field {
    pub fn text(name: &str, initial: Option<String>, long: bool) -> Field {
        Field {
            name: name.into(),
            input: Input::Text {
                value: initial.unwrap_or_default(),
                long,
            },
        }
    }

    /// A pick-list starting at `initial` when it is one of the choices.
    pub fn choice(name: &str, choices: Vec<String>, initial: Option<&str>) -> Field {
        let index = initial
            .and_then(|i| choices.iter().position(|c| c.eq_ignore_ascii_case(i)))
            .unwrap_or(0);
        Field {
            name: name.into(),
            input: Input::Choice {
                choices,
                index,
                typed: String::new(),
            },
        }
    }

    pub fn value(&self) -> String {
        match &self.input {
            Input::Text { value, .. } => value.clone(),
            Input::Choice { choices, index, .. } => choices.get(*index).cloned().unwrap_or_default(),
        }
    }
}

/// What a key did to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Submit,
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form<P> {
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Why the last submit was refused.
    pub error: Option<String>,
    /// What submitting does; the app knows.
    pub purpose: P,
}

impl<P> Form<P> {
    pub fn new(title: impl Into<String>, fields: Vec<Field>, purpose: P) -> Self {
        Form {
            title: title.into(),
            fields,
            focus: 0,
            error: None,
            purpose,
        }
    }

    /// The fields as name = value, in order.
    pub fn values(&self) -> Vec<(String, String)> {
        self.fields.iter().map(|f| (f.name.clone(), f.value())).collect()
    }

    pub fn key(&mut self, key: &KeyEvent) -> Outcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let last = self.fields.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => return Outcome::Cancel,
            KeyCode::Char('s') if ctrl => return Outcome::Submit,
            KeyCode::Enter if key.modifiers.contains(KeyModifiers::ALT) => self.push('\n'),
            KeyCode::Char('j') if ctrl => self.push('\n'),
            KeyCode::Enter if self.focus >= last => return Outcome::Submit,
            KeyCode::Enter | KeyCode::Tab | KeyCode::Down => self.set_focus((self.focus + 1).min(last)),
            KeyCode::BackTab | KeyCode::Up => self.set_focus(self.focus.saturating_sub(1)),
            KeyCode::Left => self.cycle(-1),
            KeyCode::Right => self.cycle(1),
            KeyCode::Backspace => {
                if let Some(Input::Text { value, .. }) = self.fields.get_mut(self.focus).map(|f| &mut f.input) {
                    value.pop();
                }
            }
            KeyCode::Char('u') if ctrl => {
                if let Some(Input::Text { value, .. }) = self.fields.get_mut(self.focus).map(|f| &mut f.input) {
                    value.clear();
                }
            }
            KeyCode::Char(c) if !ctrl => match self.fields.get_mut(self.focus).map(|f| &mut f.input) {
                Some(Input::Text { value, .. }) => value.push(c),
                // Type-ahead: jump to the first choice starting with what was typed; a key
                // that matches nothing starts the search again from itself.
                Some(Input::Choice { choices, index, typed }) => {
                    typed.push(c.to_ascii_lowercase());
                    let find = |p: &str| choices.iter().position(|x| x.to_lowercase().starts_with(p));
                    match find(typed) {
                        Some(j) => *index = j,
                        None => {
                            *typed = c.to_ascii_lowercase().to_string();
                            if let Some(j) = find(typed) {
                                *index = j;
                            }
                        }
                    }
                }
                None => {}
            },
            _ => {}
        }
        Outcome::Stay
    }

    fn set_focus(&mut self, focus: usize) {
        self.focus = focus;
        for f in &mut self.fields {
            if let Input::Choice { typed, .. } = &mut f.input {
                typed.clear();
            }
        }
    }

    fn push(&mut self, c: char) {
        if let Some(Input::Text { value, long: true }) = self.fields.get_mut(self.focus).map(|f| &mut f.input) {
            value.push(c);
        }
    }

    fn cycle(&mut self, by: isize) {
        if let Some(Input::Choice { choices, index, .. }) = self.fields.get_mut(self.focus).map(|f| &mut f.input) {
            let n = choices.len() as isize;
            if n > 0 {
                *index = ((*index as isize + by).rem_euclid(n)) as usize;
            }
        }
    }

    /// The text field in focus, for the external editor.
    pub fn focused_text_mut(&mut self) -> Option<&mut String> {
        match self.fields.get_mut(self.focus).map(|f| &mut f.input) {
            Some(Input::Text { value, .. }) => Some(value),
            _ => None,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let width = area.width.clamp(20, 72);
        let mut lines: Vec<Line> = Vec::new();
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(
                format!("✗ {}", crate::text::inert(e, false)),
                theme.error(),
            )));
            lines.push(Line::raw(""));
        }
        for (i, f) in self.fields.iter().enumerate() {
            let focused = i == self.focus;
            let marker = if focused { "▶ " } else { "  " };
            let label = Span::styled(format!("{marker}{}: ", f.name.replace('_', " ")), theme.label(focused));
            match &f.input {
                Input::Text { value, long } => {
                    let shown = crate::text::inert(value, true);
                    let mut parts = shown.split('\n');
                    let first = parts.next().unwrap_or("");
                    let cursor = if focused { "█" } else { "" };
                    let rest: Vec<&str> = parts.collect();
                    if rest.is_empty() {
                        lines.push(Line::from(vec![label, Span::raw(first.to_string()), Span::raw(cursor)]));
                    } else {
                        lines.push(Line::from(vec![label, Span::raw(first.to_string())]));
                        let n = rest.len();
                        for (j, l) in rest.into_iter().enumerate() {
                            let c = if j + 1 == n { cursor } else { "" };
                            lines.push(Line::from(vec![Span::raw(format!("    {l}")), Span::raw(c)]));
                        }
                    }
                    if *long && focused {
                        lines.push(Line::from(Span::styled(
                            "    ctrl-j new line · ctrl-e $EDITOR",
                            theme.dim(),
                        )));
                    }
                }
                Input::Choice { choices, index, .. } => {
                    let mut spans = vec![label];
                    for (j, c) in choices.iter().enumerate() {
                        if j == *index {
                            spans.push(Span::styled(format!("[{c}]"), theme.chosen(focused)));
                        } else {
                            spans.push(Span::styled(format!(" {c} "), theme.dim()));
                        }
                    }
                    lines.push(Line::from(spans));
                }
            }
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            "tab next field · ←→ choose · ctrl-s submit · esc cancel",
            theme.dim(),
        )));
        // Lines wrap inside the box: count the rows they will take.
        let inner = usize::from(width.min(area.width).saturating_sub(2)).max(1);
        let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
        let height = (rows as u16 + 2).min(area.height);
        let rect = super::centered(area, width, height);
        frame.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" {} ", self.title));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), rect);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_choosing_and_submitting() {
        let mut f = Form::new(
            "resolve",
            vec![
                Field::choice(
                    "resolution_code",
                    vec!["fixed".into(), "workaround".into(), "duplicate".into()],
                    None,
                ),
                Field::text("resolution_note", None, true),
            ],
            (),
        );
        assert_eq!(f.key(&k(KeyCode::Right)), Outcome::Stay);
        assert_eq!(f.values()[0].1, "workaround");
        f.key(&k(KeyCode::Char('d')));
        assert_eq!(f.values()[0].1, "duplicate");
        f.key(&k(KeyCode::Char('f')));
        assert_eq!(f.values()[0].1, "fixed", "no choice starts with `df`: `f` starts again");
        f.key(&k(KeyCode::Tab));
        for c in "rebooted".chars() {
            f.key(&k(KeyCode::Char(c)));
        }
        f.key(&KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
        f.key(&k(KeyCode::Char('x')));
        f.key(&k(KeyCode::Backspace));
        f.key(&k(KeyCode::Char('!')));
        assert_eq!(f.values()[1].1, "rebooted\n!");
        assert_eq!(f.key(&k(KeyCode::Enter)), Outcome::Submit);
        assert_eq!(f.key(&k(KeyCode::Esc)), Outcome::Cancel);
    }

    #[test]
    fn initial_values_are_kept() {
        let f = Form::new(
            "x",
            vec![Field::choice(
                "assignee",
                vec!["alice".into(), "bob".into()],
                Some("BOB"),
            )],
            (),
        );
        assert_eq!(f.values(), vec![("assignee".to_string(), "bob".to_string())]);
    }
}
