//! A form: text fields (edited with ratatui-textarea: cursor, home/end, word moves and
//! deletes, undo), pick-lists, and text fields that suggest values as you type (CIs,
//! operators). What is typed stays here until the desk accepts it; a refusal is shown above
//! the fields and nothing is lost. The form's own keys (save, cancel, next field, reload)
//! are the form layer of the keymap; every other key is typed into the focused field.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea};

#[derive(Debug, Clone)]
pub enum Input {
    Text {
        area: Box<TextArea<'static>>,
        /// Several lines: enter is a new line.
        long: bool,
        /// Values to suggest for what is typed (after the last comma when `many`).
        suggest: Vec<String>,
        many: bool,
        /// The suggestion under the cursor, once ↓ has been pressed.
        pick: Option<usize>,
    },
    /// `typed` is what was typed since the focus came here: the pick-list jumps to the
    /// first choice that starts with it.
    Choice {
        choices: Vec<String>,
        index: usize,
        typed: String,
    },
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub input: Input,
    /// The value the field opened with: what "typed" is measured against.
    pub initial: String,
    /// Said under the field: another operator changed it (theirs, while this is mine).
    pub note: Option<String>,
}

fn text_area(value: &str) -> TextArea<'static> {
    let mut area = TextArea::new(value.split('\n').map(str::to_string).collect());
    area.move_cursor(CursorMove::Bottom);
    area.move_cursor(CursorMove::End);
    area
}

impl Field {
    pub fn text(name: &str, initial: Option<String>, long: bool) -> Field {
        let value = initial.unwrap_or_default();
        Field {
            name: name.into(),
            input: Input::Text {
                area: Box::new(text_area(&value)),
                long,
                suggest: Vec::new(),
                many: false,
                pick: None,
            },
            initial: value,
            note: None,
        }
    }

    /// A one-line text field that suggests `values` for what is typed; with `many`, a
    /// comma-separated list of them.
    pub fn suggesting(name: &str, initial: Option<String>, values: Vec<String>, many: bool) -> Field {
        let mut f = Field::text(name, initial, false);
        if let Input::Text { suggest, many: m, .. } = &mut f.input {
            *suggest = values;
            *m = many;
        }
        f
    }

    /// A pick-list starting at `initial` when it is one of the choices.
    pub fn choice(name: &str, choices: Vec<String>, initial: Option<&str>) -> Field {
        let index = initial
            .and_then(|i| choices.iter().position(|c| c.eq_ignore_ascii_case(i)))
            .unwrap_or(0);
        let initial = choices.get(index).cloned().unwrap_or_default();
        Field {
            name: name.into(),
            input: Input::Choice {
                choices,
                index,
                typed: String::new(),
            },
            initial,
            note: None,
        }
    }

    pub fn value(&self) -> String {
        match &self.input {
            Input::Text { area, .. } => area.lines().join("\n"),
            Input::Choice { choices, index, .. } => choices.get(*index).cloned().unwrap_or_default(),
        }
    }

    /// Puts `value` in the field (a pick-list takes it only if it is one of its choices).
    pub fn set_value(&mut self, value: &str) {
        match &mut self.input {
            Input::Text { area, .. } => **area = text_area(value),
            Input::Choice { choices, index, .. } => {
                if let Some(i) = choices.iter().position(|c| c == value) {
                    *index = i;
                }
            }
        }
    }

    /// Whether the operator changed what the field opened with.
    pub fn typed(&self) -> bool {
        self.value() != self.initial
    }

    /// The suggestions for what is typed now, best first (at most `n`).
    pub fn suggestions(&self, n: usize) -> Vec<&str> {
        let Input::Text { suggest, many, .. } = &self.input else {
            return Vec::new();
        };
        if suggest.is_empty() {
            return Vec::new();
        }
        let value = self.value();
        let (done, word) = split_last(&value, *many);
        let word = word.trim().to_lowercase();
        if word.is_empty() {
            return Vec::new();
        }
        let taken: Vec<String> = done.split(',').map(|s| s.trim().to_lowercase()).collect();
        let mut starts: Vec<&str> = Vec::new();
        let mut inside: Vec<&str> = Vec::new();
        for s in suggest {
            let l = s.to_lowercase();
            if l == word || taken.contains(&l) {
                continue;
            }
            if l.starts_with(&word) {
                starts.push(s);
            } else if l.contains(&word) {
                inside.push(s);
            }
            if starts.len() >= n {
                break;
            }
        }
        starts.extend(inside);
        starts.truncate(n);
        starts
    }
}

/// `a, b, c` → (`a, b, `, `c`) for a list; the whole value otherwise.
fn split_last(value: &str, many: bool) -> (&str, &str) {
    match value.rfind(',').filter(|_| many) {
        Some(i) => (&value[..=i], &value[i + 1..]),
        None => ("", value),
    }
}

/// How many suggestions a field shows under it.
pub const SUGGESTIONS: usize = 5;

#[derive(Debug, Clone)]
pub struct Form<P> {
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Why the last submit was refused.
    pub error: Option<String>,
    /// Said above the fields: a restored draft, a reload.
    pub notice: Option<String>,
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
            notice: None,
            purpose,
        }
    }

    /// The fields as name = value, in order.
    pub fn values(&self) -> Vec<(String, String)> {
        self.fields.iter().map(|f| (f.name.clone(), f.value())).collect()
    }

    pub fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(Field::value)
            .unwrap_or_default()
    }

    /// Whether anything was typed that leaving would lose.
    pub fn typed(&self) -> bool {
        self.fields.iter().any(Field::typed)
    }

    pub fn next_field(&mut self) {
        self.set_focus((self.focus + 1).min(self.fields.len().saturating_sub(1)));
    }

    pub fn prev_field(&mut self) {
        self.set_focus(self.focus.saturating_sub(1));
    }

    fn set_focus(&mut self, focus: usize) {
        self.focus = focus;
        for f in &mut self.fields {
            match &mut f.input {
                Input::Choice { typed, .. } => typed.clear(),
                Input::Text { pick, .. } => *pick = None,
            }
        }
    }

    /// A key that is not one of the form layer's: typed into the focused field. Enter never
    /// submits: in a one-line field it goes to the next field (or takes the suggestion under
    /// the cursor), in a long one it starts a new line. True when the text changed.
    pub fn type_key(&mut self, key: &KeyEvent) -> bool {
        let last = self.fields.len().saturating_sub(1);
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let focus = self.focus;
        let shown = self.fields.get(focus).map_or(0, |f| f.suggestions(SUGGESTIONS).len());
        let Some(field) = self.fields.get_mut(focus) else {
            return false;
        };
        match &mut field.input {
            Input::Choice { choices, index, typed } => {
                let n = choices.len();
                match key.code {
                    KeyCode::Left if n > 0 => *index = (*index + n - 1) % n,
                    KeyCode::Right if n > 0 => *index = (*index + 1) % n,
                    KeyCode::Enter | KeyCode::Down => self.set_focus((focus + 1).min(last)),
                    KeyCode::Up => self.set_focus(focus.saturating_sub(1)),
                    KeyCode::Char(c) if !ctrl => {
                        // Type-ahead: jump to the first choice starting with what was typed; a
                        // key that matches nothing starts the search again from itself.
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
                    _ => {}
                }
                false
            }
            Input::Text {
                area, long, pick, many, ..
            } => match key.code {
                KeyCode::Down if shown > 0 && !*long => {
                    *pick = Some(pick.map_or(0, |p| (p + 1) % shown));
                    false
                }
                KeyCode::Up if pick.is_some() => {
                    *pick = pick.and_then(|p| p.checked_sub(1));
                    false
                }
                KeyCode::Enter if pick.is_some() => {
                    let chosen = pick.take();
                    let many = *many;
                    self.take_suggestion(chosen.unwrap_or(0), many);
                    true
                }
                KeyCode::Enter | KeyCode::Down | KeyCode::Up if !*long => {
                    if key.code == KeyCode::Up {
                        self.set_focus(focus.saturating_sub(1));
                    } else {
                        self.set_focus((focus + 1).min(last));
                    }
                    false
                }
                _ => {
                    *pick = None;
                    area.input(*key)
                }
            },
        }
    }

    /// Replaces the word being typed with suggestion `i`.
    fn take_suggestion(&mut self, i: usize, many: bool) {
        let Some(field) = self.fields.get(self.focus) else {
            return;
        };
        let Some(chosen) = field.suggestions(SUGGESTIONS).get(i).map(|s| s.to_string()) else {
            return;
        };
        let value = field.value();
        let (done, _) = split_last(&value, many);
        let joined = if done.is_empty() {
            chosen
        } else {
            format!("{} {chosen}", done.trim_end())
        };
        let joined = if many { format!("{joined}, ") } else { joined };
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.set_value(&joined);
        }
    }

    /// A paste goes into the focused text field whole: newlines kept in a long field, made
    /// spaces in a one-line one; a pick-list takes nothing. True when the text changed.
    pub fn paste(&mut self, text: &str) -> bool {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        match self.fields.get_mut(self.focus).map(|f| &mut f.input) {
            Some(Input::Text { area, long, .. }) => {
                let text = if *long { text } else { text.replace('\n', " ") };
                area.insert_str(text)
            }
            _ => false,
        }
    }

    /// The text field in focus, for the external editor.
    pub fn focused_text(&self) -> Option<String> {
        match self.fields.get(self.focus) {
            Some(
                f @ Field {
                    input: Input::Text { .. },
                    ..
                },
            ) => Some(f.value()),
            _ => None,
        }
    }

    /// Replaces the focused text field's value (back from the external editor).
    pub fn set_focused_text(&mut self, value: &str) {
        if let Some(f) = self.fields.get_mut(self.focus)
            && matches!(f.input, Input::Text { .. })
        {
            f.set_value(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed<P>(f: &mut Form<P>, s: &str) {
        for c in s.chars() {
            f.type_key(&k(KeyCode::Char(c)));
        }
    }

    #[test]
    fn typing_choosing_and_moving_between_fields() {
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
        f.type_key(&k(KeyCode::Right));
        assert_eq!(f.values()[0].1, "workaround");
        typed(&mut f, "d");
        assert_eq!(f.values()[0].1, "duplicate");
        typed(&mut f, "f");
        assert_eq!(f.values()[0].1, "fixed", "no choice starts with `df`: `f` starts again");
        f.type_key(&k(KeyCode::Enter));
        assert_eq!(f.focus, 1, "enter on a pick-list goes to the next field");
        typed(&mut f, "rebooted");
        f.type_key(&k(KeyCode::Enter));
        typed(&mut f, "x");
        f.type_key(&k(KeyCode::Backspace));
        typed(&mut f, "!");
        assert_eq!(f.values()[1].1, "rebooted\n!", "enter in a long field is a new line");
        assert!(f.typed());
    }

    #[test]
    fn a_text_field_edits_anywhere_not_only_at_the_end() {
        let mut f = Form::new("x", vec![Field::text("title", None, false)], ());
        typed(&mut f, "disk full on db");
        f.type_key(&k(KeyCode::Home));
        typed(&mut f, "the ");
        f.type_key(&k(KeyCode::End));
        f.type_key(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        typed(&mut f, "db1");
        assert_eq!(f.get("title"), "the disk full on db1");
        f.type_key(&KeyEvent::new(KeyCode::Left, KeyModifiers::CONTROL));
        f.type_key(&KeyEvent::new(KeyCode::Left, KeyModifiers::CONTROL));
        typed(&mut f, "X");
        assert_eq!(f.get("title"), "the disk full Xon db1", "ctrl-← moves by words");
        f.type_key(&k(KeyCode::Enter));
        assert_eq!(
            f.get("title"),
            "the disk full Xon db1",
            "enter in a one-line field types nothing"
        );
    }

    #[test]
    fn a_paste_is_text_whole() {
        let mut f = Form::new(
            "x",
            vec![Field::text("title", None, false), Field::text("text", None, true)],
            (),
        );
        assert!(f.paste("one\r\ntwo"));
        assert_eq!(f.get("title"), "one two", "a one-line field keeps it on one line");
        f.next_field();
        f.paste("line 1\nline 2\nline 3");
        assert_eq!(f.get("text"), "line 1\nline 2\nline 3");
        let mut c = Form::new("x", vec![Field::choice("k", vec!["a".into()], None)], ());
        assert!(!c.paste("assign"), "a pick-list takes no paste");
    }

    #[test]
    fn suggestions_complete_a_list_of_cis() {
        let cis = vec!["db-primary".to_string(), "db-replica".to_string(), "web-1".to_string()];
        let mut f = Form::new("x", vec![Field::suggesting("cis", None, cis, true)], ());
        typed(&mut f, "db");
        assert_eq!(f.fields[0].suggestions(5), vec!["db-primary", "db-replica"]);
        f.type_key(&k(KeyCode::Down));
        f.type_key(&k(KeyCode::Down));
        f.type_key(&k(KeyCode::Enter));
        assert_eq!(f.get("cis"), "db-replica, ");
        typed(&mut f, "eb");
        assert_eq!(f.fields[0].suggestions(5), vec!["web-1"], "inside a name matches too");
        f.type_key(&k(KeyCode::Down));
        f.type_key(&k(KeyCode::Enter));
        assert_eq!(f.get("cis"), "db-replica, web-1, ");
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
        assert!(!f.typed());
    }
}
