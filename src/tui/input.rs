//! Keys and pastes in, routed by the layer on screen: an open form, picker, prompt or
//! question takes its own keys (from its keymap layer) and nothing else; otherwise the
//! focused pane's layer, with the global keys under it, decides. Behind the too-small screen
//! only quit is read.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Layer};
use super::app::{App, Mode};

/// Something the event loop must do outside the app: the terminal is needed for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Edit the focused text field of the open form in `$EDITOR`.
    Editor,
}

pub fn handle_key(app: &mut App, key: KeyEvent) -> Effect {
    if key.kind == KeyEventKind::Release {
        return Effect::None;
    }
    if app.too_small() {
        // Nothing on screen to act on: only quitting is read (a resize redraws by itself).
        let global = app.keymap.action(Layer::Global, &key);
        if global == Some(Action::Quit) {
            app.quit_saving_drafts();
        }
        return Effect::None;
    }
    let layer = app.layer();
    let action = app.keymap.action(layer, &key);
    match std::mem::replace(&mut app.mode, Mode::Normal) {
        Mode::Help { back } => app.mode = *back,
        Mode::Normal => {
            if let Some(action) = action {
                app.update(action);
            }
        }
        Mode::Filter => prompt_filter(app, action, &key),
        Mode::FindCi(text) => prompt_find(app, action, &key, text),
        Mode::Palette { text, index } => prompt_palette(app, action, &key, text, index),
        Mode::Confirm(question) => app.answer(question, action == Some(Action::Yes)),
        Mode::Pick(mut picker) => match action {
            Some(Action::Cancel) => {}
            Some(Action::Down) => {
                picker.index = (picker.index + 1) % picker.entries.len().max(1);
                app.mode = Mode::Pick(picker);
            }
            Some(Action::Up) => {
                let n = picker.entries.len().max(1);
                picker.index = (picker.index + n - 1) % n;
                app.mode = Mode::Pick(picker);
            }
            Some(Action::Choose) => app.choose(picker),
            _ => {
                // A letter picks the first entry that starts with it.
                if let KeyCode::Char(c) = key.code
                    && let Some(i) = picker.entries.iter().position(|o| o.label.starts_with(c))
                {
                    picker.index = i;
                }
                app.mode = Mode::Pick(picker);
            }
        },
        Mode::Form(mut form) => match action {
            Some(Action::Submit) => app.submit(*form),
            Some(Action::Cancel) => app.leave_form(form),
            Some(Action::NextField) => {
                form.next_field();
                app.mode = Mode::Form(form);
            }
            Some(Action::PrevField) => {
                form.prev_field();
                app.mode = Mode::Form(form);
            }
            Some(Action::Reload) => app.reload_form(form),
            Some(Action::Help) => {
                app.mode = Mode::Help {
                    back: Box::new(Mode::Form(form)),
                }
            }
            Some(Action::Editor) if form.focused_text().is_some() => {
                app.mode = Mode::Form(form);
                return Effect::Editor;
            }
            _ => {
                if form.type_key(&key) {
                    app.keep_draft(&form);
                }
                app.mode = Mode::Form(form);
            }
        },
    }
    Effect::None
}

/// A bracketed paste: text, never keys. It goes whole into the focused text field or prompt;
/// anywhere else it does nothing.
pub fn handle_paste(app: &mut App, text: &str) {
    if app.too_small() {
        return;
    }
    match &mut app.mode {
        Mode::Form(form) => {
            let changed = form.paste(text).then(|| form.clone());
            if let Some(form) = changed {
                app.keep_draft(&form);
            }
        }
        Mode::Filter => {
            app.queue.filter.push_str(&one_line(text));
            app.refilter();
        }
        Mode::Palette { text: t, index } => {
            t.push_str(&one_line(text));
            *index = 0;
        }
        Mode::FindCi(t) => {
            let t = {
                t.push_str(&one_line(text));
                t.clone()
            };
            app.find_ci(&t);
        }
        _ => {}
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// What a key does to a line being typed: true when the text changed.
fn edit_line(text: &mut String, key: &KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Backspace => text.pop().is_some(),
        KeyCode::Char('u') if ctrl => {
            let had = !text.is_empty();
            text.clear();
            had
        }
        KeyCode::Char('w') if ctrl => {
            let keep = text.trim_end().rfind(' ').map_or(0, |i| i + 1);
            let had = keep < text.len();
            text.truncate(keep);
            had
        }
        KeyCode::Char(c) if !ctrl => {
            text.push(c);
            true
        }
        _ => false,
    }
}

fn prompt_filter(app: &mut App, action: Option<Action>, key: &KeyEvent) {
    match action {
        Some(Action::Cancel) => {
            app.queue.filter.clear();
            app.refilter();
            return;
        }
        Some(Action::Choose) => return,
        Some(Action::Down) => app.queue.move_by(1),
        Some(Action::Up) => app.queue.move_by(-1),
        _ => {
            if edit_line(&mut app.queue.filter, key) {
                app.refilter();
            }
        }
    }
    app.mode = Mode::Filter;
}

fn prompt_find(app: &mut App, action: Option<Action>, key: &KeyEvent, mut text: String) {
    match action {
        Some(Action::Cancel | Action::Choose) => return,
        _ => {
            if edit_line(&mut text, key) {
                app.find_ci(&text);
            }
        }
    }
    app.mode = Mode::FindCi(text);
}

fn prompt_palette(app: &mut App, action: Option<Action>, key: &KeyEvent, mut text: String, mut index: usize) {
    let n = app.palette_entries(&text).len().max(1);
    match action {
        Some(Action::Cancel) => return,
        Some(Action::Choose) => {
            app.run_palette(&text, index);
            return;
        }
        Some(Action::Down) => index = (index + 1) % n,
        Some(Action::Up) => index = (index + n - 1) % n,
        _ => {
            if edit_line(&mut text, key) {
                index = 0;
            }
        }
    }
    app.mode = Mode::Palette { text, index };
}
