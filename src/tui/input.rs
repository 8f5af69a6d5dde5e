//! Keys in, by mode: forms and pick-lists take their own keys; otherwise the keymap decides.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, Mode};
use super::widgets::form::Outcome;

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
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match std::mem::replace(&mut app.mode, Mode::Normal) {
        Mode::Help => {}
        Mode::Filter => {
            let before = app.queue.filter.clone();
            match key.code {
                KeyCode::Esc => app.queue.filter.clear(),
                KeyCode::Enter => {}
                KeyCode::Down => {
                    app.queue.move_by(1);
                    app.mode = Mode::Filter;
                }
                KeyCode::Up => {
                    app.queue.move_by(-1);
                    app.mode = Mode::Filter;
                }
                KeyCode::Backspace => {
                    app.queue.filter.pop();
                    app.mode = Mode::Filter;
                }
                KeyCode::Char('u') if ctrl => {
                    app.queue.filter.clear();
                    app.mode = Mode::Filter;
                }
                KeyCode::Char(c) if !ctrl => {
                    app.queue.filter.push(c);
                    app.mode = Mode::Filter;
                }
                _ => app.mode = Mode::Filter,
            }
            if app.queue.filter != before {
                let me = app.desk.user().to_string();
                app.queue.refresh(&me, app.now);
                app.queue.select(0);
            }
        }
        Mode::ResolveIncidents { problem, .. } => {
            let yes = matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y'));
            app.answer_resolve_incidents(problem, yes);
        }
        Mode::Palette { mut text, mut index } => {
            let n = app.palette_matches(&text).len().max(1);
            match key.code {
                KeyCode::Esc => return Effect::None,
                KeyCode::Enter => {
                    if let Some(action) = app.palette_matches(&text).get(index).copied() {
                        app.update(action);
                    }
                    return Effect::None;
                }
                KeyCode::Down | KeyCode::Tab => index = (index + 1) % n,
                KeyCode::Up | KeyCode::BackTab => index = (index + n - 1) % n,
                KeyCode::Backspace => {
                    text.pop();
                    index = 0;
                }
                KeyCode::Char(c) if !ctrl => {
                    text.push(c);
                    index = 0;
                }
                _ => {}
            }
            app.mode = Mode::Palette { text, index };
        }
        Mode::FindCi(mut text) => {
            match key.code {
                KeyCode::Esc | KeyCode::Enter => return Effect::None,
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) if !ctrl => text.push(c),
                _ => {}
            }
            if let Some(id) = app.cmdb.as_ref().and_then(|m| m.find(&text))
                && let Some(m) = &app.cmdb
            {
                m.reveal(id);
            }
            if let Err(e) = app.load_ci_selection() {
                app.status = Some(super::app::Status {
                    text: e.to_string(),
                    error: true,
                });
            }
            app.mode = Mode::FindCi(text);
        }
        Mode::Pick(mut picker) => match key.code {
            KeyCode::Esc => {}
            KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => {
                picker.index = (picker.index + 1) % picker.offers.len().max(1);
                app.mode = Mode::Pick(picker);
            }
            KeyCode::Up | KeyCode::Char('k') | KeyCode::BackTab => {
                let n = picker.offers.len().max(1);
                picker.index = (picker.index + n - 1) % n;
                app.mode = Mode::Pick(picker);
            }
            KeyCode::Enter => {
                if let Some(offer) = picker.offers.get(picker.index).cloned()
                    && let Err(e) = app.start_move(offer, picker.targets.clone())
                {
                    app.status = Some(super::app::Status {
                        text: e.to_string(),
                        error: true,
                    });
                }
            }
            KeyCode::Char(c) => {
                // A letter picks the first move that starts with it.
                if let Some(i) = picker.offers.iter().position(|o| o.name.starts_with(c)) {
                    picker.index = i;
                }
                app.mode = Mode::Pick(picker);
            }
            _ => app.mode = Mode::Pick(picker),
        },
        Mode::Form(mut form) => {
            if ctrl && key.code == KeyCode::Char('e') && form.focused_text_mut().is_some() {
                app.mode = Mode::Form(form);
                return Effect::Editor;
            }
            match form.key(&key) {
                Outcome::Stay => app.mode = Mode::Form(form),
                Outcome::Cancel => {}
                Outcome::Submit => app.submit(form),
            }
        }
        Mode::Normal => {
            if let Some(action) = app.keymap.action(&key) {
                app.update(action);
            }
        }
    }
    Effect::None
}
