//! Keys to actions: the defaults in `assets/keymap.toml`, merged with the user's `[keys]`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Layer};

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

/// The keys of every layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    layers: HashMap<Layer, HashMap<Key, Action>>,
}

/// One binding a user wrote in config.toml: `[keys.LAYER] key = "action"`, or a plain
/// `[keys]` entry (no layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserBinding {
    pub layer: Option<String>,
    pub key: String,
    pub action: String,
}

fn parse_action(action: &str, key: &str) -> Result<Action, String> {
    serde::Deserialize::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(
        action,
    ))
    .map_err(|_| format!("`{action}` (bound to `{key}`) is not an action of opsdesk"))
}

/// The layers a binding applies to, its key, and its action (None for `"none"`).
pub type Binding = (Vec<Layer>, Key, Option<Action>);

/// One `key = "action"` line in `layer` (None: a plain `[keys]` entry): the layers it binds
/// in, the key, and the action (None for `"none"`, which unbinds it).
pub fn binding(layer: Option<&str>, key: &str, action: &str) -> Result<Binding, String> {
    let k = Key::parse(key)?;
    let layer = match layer {
        Some(name) => Some(Layer::parse(name).ok_or_else(|| {
            let names: Vec<&str> = Layer::ALL.iter().map(|l| l.name()).collect();
            format!("`{name}` is not a layer of keys (one of {})", names.join(", "))
        })?),
        None => None,
    };
    if action == "none" {
        let layers = match layer {
            Some(l) => vec![l],
            None => Layer::ALL
                .into_iter()
                .filter(|l| *l == Layer::Global || l.is_pane())
                .collect(),
        };
        return Ok((layers, k, None));
    }
    let a = parse_action(action, key)?;
    let layers: Vec<Layer> = match layer {
        Some(l) if l.accepts(a) => vec![l],
        Some(l) => {
            return Err(format!(
                "`{action}` (bound to `{key}`) means nothing in the {} layer",
                l.name()
            ));
        }
        None if Layer::Global.accepts(a) => vec![Layer::Global],
        None => {
            let panes: Vec<Layer> = Layer::ALL.into_iter().filter(|l| l.is_pane() && l.accepts(a)).collect();
            if panes.is_empty() {
                return Err(format!(
                    "`{action}` (bound to `{key}`) belongs to a layer: write it under [keys.form], [keys.picker], [keys.prompt] or [keys.confirm]"
                ));
            }
            panes
        }
    };
    Ok((layers, k, Some(a)))
}

#[derive(serde::Deserialize)]
#[serde(transparent)]
struct KeymapFile {
    layers: BTreeMap<String, BTreeMap<String, String>>,
}

impl Keymap {
    /// The shipped keys, checked by a unit test.
    pub fn builtin() -> Keymap {
        let mut map = Keymap { layers: HashMap::new() };
        if let Ok(f) = toml::from_str::<KeymapFile>(DEFAULT_SOURCE) {
            for (layer, table) in &f.layers {
                for (key, action) in table {
                    if let Ok(b) = binding(Some(layer), key, action) {
                        map.apply(b);
                    }
                }
            }
        }
        map
    }

    fn apply(&mut self, (layers, key, action): Binding) {
        for l in layers {
            let table = self.layers.entry(l).or_default();
            match action {
                Some(a) => table.insert(key, a),
                None => table.remove(&key),
            };
        }
    }

    /// The shipped keys with the user's over them.
    pub fn with_overrides(overrides: &[UserBinding]) -> Result<Keymap, String> {
        let mut map = Keymap::builtin();
        for b in overrides {
            map.apply(binding(b.layer.as_deref(), &b.key, &b.action)?);
        }
        Ok(map)
    }

    /// What `key` means in `layer`: a pane's own keys first, then the global ones under it.
    pub fn action(&self, layer: Layer, key: &KeyEvent) -> Option<Action> {
        // Shift is not part of a Key: it is carried by the character itself ("G").
        let k = Key::from_event(key);
        let own = self.layers.get(&layer).and_then(|t| t.get(&k)).copied();
        match own {
            Some(a) => Some(a),
            None if layer.is_pane() => self.layers.get(&Layer::Global).and_then(|t| t.get(&k)).copied(),
            None => None,
        }
    }

    /// Every key bound to `action` in `layer` (not counting the global layer under it).
    pub fn keys_for(&self, layer: Layer, action: Action) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .layers
            .get(&layer)
            .into_iter()
            .flat_map(|t| t.iter())
            .filter(|(_, a)| **a == action)
            .map(|(k, _)| *k)
            .collect();
        // Letters before named keys, then alphabetical: `j ↓`, `q ctrl-c`.
        keys.sort_by_key(|k| (k.ctrl || k.alt, !matches!(k.code, KeyCode::Char(_)), k.to_string()));
        keys
    }

    /// The first key of `action` in `layer` or, for a pane, the global layer under it: for
    /// titles and hints that name a key.
    pub fn key_name(&self, layer: Layer, action: Action) -> Option<String> {
        let mut keys = self.keys_for(layer, action);
        if keys.is_empty() && layer.is_pane() {
            keys = self.keys_for(Layer::Global, action);
        }
        keys.first().map(Key::to_string)
    }

    /// `/ find · enter tickets`: actions said with their first key in `layer`, for titles
    /// and legends (an unbound action is left out).
    pub fn phrase(&self, layer: Layer, pairs: &[(Action, &str)]) -> String {
        pairs
            .iter()
            .filter_map(|(a, what)| self.key_name(layer, *a).map(|k| format!("{k} {what}")))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The bound actions of one layer with their keys and what they do there.
    pub fn layer_help(&self, layer: Layer) -> Vec<(String, &'static str)> {
        layer
            .actions()
            .into_iter()
            .filter_map(|a| {
                let keys = self.keys_for(layer, a);
                (!keys.is_empty()).then(|| {
                    let keys: Vec<String> = keys.iter().take(3).map(Key::to_string).collect();
                    (keys.join(" "), a.describe(layer))
                })
            })
            .collect()
    }

    /// Help for what is on screen: the focused layer's keys, then (under a pane) the global
    /// ones, each group under its layer's name.
    pub fn help(&self, layer: Layer) -> Vec<(&'static str, Vec<(String, &'static str)>)> {
        let mut groups = vec![(layer.name(), self.layer_help(layer))];
        if layer.is_pane() {
            groups.push((Layer::Global.name(), self.layer_help(Layer::Global)));
        }
        groups
    }

    /// `t move  a assign to me …  ? help`: the most useful bound actions of the layer on
    /// screen, as space allows.
    pub fn hints(&self, layer: Layer) -> Vec<(String, &'static str)> {
        let mut hinted: Vec<(Layer, Action)> = Vec::new();
        if layer.is_pane() {
            hinted.push((Layer::Global, Action::Help));
        }
        hinted.extend(layer.hinted().iter().map(|a| (layer, *a)));
        if layer.is_pane() {
            hinted.extend(Layer::Global.hinted().iter().map(|a| (Layer::Global, *a)));
        }
        hinted
            .into_iter()
            .filter_map(|(l, a)| self.keys_for(l, a).first().map(|k| (k.to_string(), a.describe(l))))
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
        for (layer, table) in &file.layers {
            for (key, action) in table {
                binding(Some(layer), key, action).unwrap_or_else(|e| panic!("[{layer}] {key}: {e}"));
            }
        }
        assert_eq!(file.layers.len(), Layer::ALL.len(), "every layer has its table");
    }

    #[test]
    fn a_key_means_something_only_in_its_layer() {
        let k = Keymap::builtin();
        let j = press(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(k.action(Layer::Queue, &j), Some(Action::Down));
        assert_eq!(k.action(Layer::Dashboard, &j), None, "nothing moves on the dashboard");
        assert_eq!(k.action(Layer::Form, &j), None, "j is typed in a form");
        let space = press(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(k.action(Layer::Queue, &space), Some(Action::Mark));
        assert_eq!(k.action(Layer::Cmdb, &space), None, "space marks nothing in the tree");
        assert_eq!(k.action(Layer::Calendar, &space), Some(Action::Week));
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(k.action(Layer::Cmdb, &q), Some(Action::Quit), "global under a pane");
        assert_eq!(k.action(Layer::Form, &q), None);
        assert_eq!(
            k.action(Layer::Queue, &press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            k.action(Layer::Form, &press(KeyCode::Char('s'), KeyModifiers::CONTROL)),
            Some(Action::Submit)
        );
    }

    fn user(layer: Option<&str>, key: &str, action: &str) -> UserBinding {
        UserBinding {
            layer: layer.map(str::to_string),
            key: key.into(),
            action: action.into(),
        }
    }

    #[test]
    fn user_keys_override_and_unbind_per_layer() {
        let k = Keymap::with_overrides(&[
            user(None, "x", "resolve"),
            user(None, "r", "none"),
            user(Some("form"), "ctrl-o", "submit"),
        ])
        .expect("valid");
        let x = press(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(k.action(Layer::Queue, &x), Some(Action::Resolve));
        assert_eq!(k.action(Layer::Detail, &x), Some(Action::Resolve));
        assert_eq!(k.action(Layer::Cmdb, &x), None);
        assert_eq!(
            k.action(Layer::Queue, &press(KeyCode::Char('r'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            k.action(Layer::Form, &press(KeyCode::Char('o'), KeyModifiers::CONTROL)),
            Some(Action::Submit)
        );
        let err = Keymap::with_overrides(&[user(None, "x", "explode")]).unwrap_err();
        assert!(err.contains("`explode` (bound to `x`) is not an action"), "{err}");
        let err = Keymap::with_overrides(&[user(Some("cmdb"), "x", "resolve")]).unwrap_err();
        assert!(err.contains("means nothing in the cmdb layer"), "{err}");
        let err = Keymap::with_overrides(&[user(Some("sidebar"), "x", "quit")]).unwrap_err();
        assert!(err.contains("`sidebar` is not a layer"), "{err}");
        assert!(Keymap::with_overrides(&[user(None, "ctrl-", "quit")]).is_err());
    }

    #[test]
    fn help_and_hints_come_from_the_bindings() {
        let k = Keymap::builtin();
        let help = k.help(Layer::Queue);
        assert_eq!(help[0].0, "queue", "the focused layer first");
        assert!(help[0].1.contains(&("j ↓".to_string(), "down")), "{help:?}");
        assert_eq!(help[1].0, "global");
        let form = k.help(Layer::Form);
        assert_eq!(form.len(), 1, "a form has no global keys under it");
        assert!(form[0].1.contains(&("ctrl-s".to_string(), "save")), "{form:?}");
        assert_eq!(k.hints(Layer::Queue)[0], ("?".to_string(), "show the keys"));
        assert_eq!(
            k.hints(Layer::Queue)[1],
            ("t".to_string(), "move through the lifecycle")
        );
    }
}
