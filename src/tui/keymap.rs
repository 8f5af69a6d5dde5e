//! Keys to actions: the defaults in `assets/keymap.toml`, merged with the user's `[keys]`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

pub const DEFAULT_SOURCE: &str = include_str!("../../assets/keymap.toml");

/// A key with its modifiers, normalised so that `G` and shift-g are one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn from_event(e: &KeyEvent) -> Key {
        Key {
            code: e.code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
        }
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            f if f.starts_with('f') && f.len() > 1 && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap_or(' ')),
            _ => return Err(format!("`{s}` is not a key (see assets/keymap.toml for the names)")),
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::F(n) => write!(f, "f{n}"),
            _ => f.write_str("?"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: HashMap<Key, Action>,
}

/// One `key = "action"` line: the key, and its action (None for `"none"`, which unbinds it).
pub fn binding(key: &str, action: &str) -> Result<(Key, Option<Action>), String> {
    let k = Key::parse(key)?;
    if action == "none" {
        return Ok((k, None));
    }
    let a: Action = serde::Deserialize::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(
        action,
    ))
    .map_err(|_| format!("`{action}` (bound to `{key}`) is not an action of opsdesk"))?;
    Ok((k, Some(a)))
}

/// `key = "action"` or `key = "none"`.
fn parse_table(table: &BTreeMap<String, String>, into: &mut HashMap<Key, Action>) -> Result<(), String> {
    for (key, action) in table {
        match binding(key, action)? {
            (k, None) => into.remove(&k),
            (k, Some(a)) => into.insert(k, a),
        };
    }
    Ok(())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    keys: BTreeMap<String, String>,
}

impl Keymap {
    /// The shipped keys, checked by a unit test.
    pub fn builtin() -> Keymap {
        let file: Result<KeymapFile, _> = toml::from_str(DEFAULT_SOURCE);
        let mut bindings = HashMap::new();
        if let Ok(f) = file {
            let _ = parse_table(&f.keys, &mut bindings);
        }
        Keymap { bindings }
    }

    /// The shipped keys with the user's `[keys]` over them.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Keymap, String> {
        let mut map = Keymap::builtin();
        parse_table(overrides, &mut map.bindings)?;
        Ok(map)
    }

    pub fn action(&self, key: &KeyEvent) -> Option<Action> {
        // Shift is not part of a Key: it is carried by the character itself ("G").
        self.bindings.get(&Key::from_event(key)).copied()
    }

    /// Every key bound to `action`, for help and hints.
    pub fn keys_for(&self, action: Action) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .bindings
            .iter()
            .filter(|(_, a)| **a == action)
            .map(|(k, _)| *k)
            .collect();
        // Letters before named keys, then alphabetical: `j ↓`, `q ctrl-c`.
        keys.sort_by_key(|k| (k.ctrl || k.alt, !matches!(k.code, KeyCode::Char(_)), k.to_string()));
        keys
    }

    /// Every action with its keys and description, in the order of [`Action::ALL`].
    pub fn help(&self) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .filter_map(|a| {
                let keys = self.keys_for(*a);
                (!keys.is_empty()).then(|| {
                    let keys: Vec<String> = keys.iter().map(Key::to_string).collect();
                    (keys.join(" "), a.description())
                })
            })
            .collect()
    }

    /// `? help  t move  a assign to me …`: the most useful bound actions, as space allows.
    pub fn hints(&self) -> Vec<(String, &'static str)> {
        let mut hinted: Vec<(u8, Action)> = Action::ALL.iter().filter_map(|a| a.hinted().map(|h| (h, *a))).collect();
        hinted.sort();
        hinted
            .into_iter()
            .filter_map(|(_, a)| self.keys_for(a).first().map(|k| (k.to_string(), a.description())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn the_shipped_keymap_parses_completely() {
        let file: KeymapFile = toml::from_str(DEFAULT_SOURCE).expect("valid toml");
        let mut map = HashMap::new();
        parse_table(&file.keys, &mut map).expect("every key and action is valid");
        assert_eq!(map.len(), file.keys.len());
    }

    #[test]
    fn vim_keys_and_arrows_both_move() {
        let k = Keymap::builtin();
        assert_eq!(
            k.action(&press(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(k.action(&press(KeyCode::Down, KeyModifiers::NONE)), Some(Action::Down));
        assert_eq!(
            k.action(&press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            k.action(&press(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::PageDown)
        );
        assert_eq!(k.action(&press(KeyCode::Char('z'), KeyModifiers::NONE)), None);
    }

    #[test]
    fn user_keys_override_and_unbind() {
        let mut o = BTreeMap::new();
        o.insert("x".to_string(), "resolve".to_string());
        o.insert("r".to_string(), "none".to_string());
        let k = Keymap::with_overrides(&o).expect("valid");
        assert_eq!(
            k.action(&press(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Resolve)
        );
        assert_eq!(k.action(&press(KeyCode::Char('r'), KeyModifiers::NONE)), None);
        let mut bad = BTreeMap::new();
        bad.insert("x".to_string(), "explode".to_string());
        assert!(
            Keymap::with_overrides(&bad)
                .unwrap_err()
                .contains("`explode` (bound to `x`) is not an action")
        );
        let mut bad = BTreeMap::new();
        bad.insert("ctrl-".to_string(), "quit".to_string());
        assert!(Keymap::with_overrides(&bad).is_err());
    }

    #[test]
    fn help_and_hints_come_from_the_bindings() {
        let k = Keymap::builtin();
        let help = k.help();
        assert!(help.contains(&("j ↓".to_string(), "down")), "{help:?}");
        let hints = k.hints();
        assert_eq!(hints[0], ("?".to_string(), "show the keys"));
    }
}
