//! Where the desk and its configuration live, and what `config.toml` says.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::tomlfile::line_of;

mod ingest;
mod legacy;
mod sla;
pub use ingest::{MIN_SECRET, check_secret};
pub use legacy::LegacyPolicy;
pub use sla::Escalation;

/// A configuration file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// The folders opsdesk uses. `OPSDESK_DATA_DIR` and `OPSDESK_CONFIG_DIR` override the
/// platform's (on Linux `~/.local/share/opsdesk` and `~/.config/opsdesk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config_dir: PathBuf,
}

impl Paths {
    pub fn discover() -> Result<Paths, ConfigError> {
        let dirs = directories::ProjectDirs::from("", "", "opsdesk");
        let pick = |var: &str, fallback: Option<&Path>| -> Result<PathBuf, ConfigError> {
            match std::env::var_os(var).filter(|v| !v.is_empty()) {
                Some(v) => Ok(PathBuf::from(v)),
                None => fallback.map(Path::to_path_buf).ok_or_else(|| ConfigError {
                    file: var.to_string(),
                    line: 0,
                    message: format!("no home folder to keep opsdesk's files in: set {var} or pass --db"),
                }),
            }
        };
        Ok(Paths {
            data_dir: pick("OPSDESK_DATA_DIR", dirs.as_ref().map(|d| d.data_dir()))?,
            config_dir: pick("OPSDESK_CONFIG_DIR", dirs.as_ref().map(|d| d.config_dir()))?,
        })
    }

    pub fn default_desk(&self) -> PathBuf {
        self.data_dir.join("desk.db")
    }
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
    /// Where lifecycles were read from before the desk kept its own policy.
    pub fn lifecycle_file(&self) -> PathBuf {
        self.config_dir.join("lifecycles.toml")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// The operator to act as when neither `--user` nor `OPSDESK_USER` is given.
    user: Option<String>,
    /// Desk policy before version 12: accepted here, read by `legacy` alone.
    #[serde(rename = "priority")]
    _priority: Option<serde::de::IgnoredAny>,
    /// Key bindings over the defaults of assets/keymap.toml: `[keys.LAYER] key = "action"`,
    /// or plain `key = "action"` entries.
    #[serde(default)]
    keys: std::collections::BTreeMap<String, toml::Spanned<toml::Value>>,
    /// Whether the terminal desk takes the mouse (click selects, wheel scrolls).
    mouse: Option<bool>,
    /// Colours and glyphs: auto (from TERM), full, basic, plain, ascii.
    theme: Option<toml::Spanned<String>>,
    /// Saved views of the queue, after the built-in ones.
    #[serde(default)]
    views: Vec<toml::Spanned<ViewSpec>>,
    /// The escalation command.
    #[serde(default)]
    sla: sla::RawSla,
    /// The listener's secret.
    #[serde(default)]
    ingest: ingest::RawIngest,
    /// Commands run on events: `[[hooks]] on = ["created"] command = ["notify", "--to", "ops"]`.
    #[serde(default)]
    hooks: Vec<toml::Spanned<RawHook>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    on: Vec<crate::hooks::HookEvent>,
    command: Vec<String>,
    /// Seconds [default: 10].
    timeout: Option<u64>,
}

/// A saved view of the queue: which tickets it shows. Every condition given must hold.
///
/// ```toml
/// [[views]]
/// name = "urgent incidents"
/// kind = "incident"
/// priority = [1, 2]
/// assignee = "none"          # "me", "none", or an operator's name
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewSpec {
    pub name: String,
    #[serde(default)]
    pub kind: Option<crate::domain::Kind>,
    /// Priorities shown (1-5); empty: all.
    #[serde(default)]
    pub priority: Vec<u8>,
    /// States shown; empty: all.
    #[serde(default)]
    pub state: Vec<String>,
    /// `me`, `none`, or an operator's name.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Only tickets at risk of breaching their SLA, or breached.
    #[serde(default)]
    pub at_risk: bool,
    /// Recently finished tickets instead of open ones.
    #[serde(default)]
    pub closed: bool,
}

impl ViewSpec {
    pub fn named(name: &str) -> ViewSpec {
        ViewSpec {
            name: name.into(),
            kind: None,
            priority: Vec::new(),
            state: Vec::new(),
            assignee: None,
            at_risk: false,
            closed: false,
        }
    }

    /// The views every desk has, in the order `]` walks through them.
    /// Whether the view shows every open ticket (no condition on kind, priority, state,
    /// assignee or risk).
    pub fn admits_any_open(&self) -> bool {
        self.kind.is_none()
            && self.priority.is_empty()
            && self.state.is_empty()
            && self.assignee.is_none()
            && !self.at_risk
    }

    pub fn builtin() -> Vec<ViewSpec> {
        use crate::domain::Kind;
        let kind = |name: &str, k: Kind| ViewSpec {
            kind: Some(k),
            ..ViewSpec::named(name)
        };
        vec![
            ViewSpec::named("all open"),
            ViewSpec {
                assignee: Some("me".into()),
                ..ViewSpec::named("my work")
            },
            ViewSpec {
                assignee: Some("none".into()),
                ..ViewSpec::named("unassigned")
            },
            ViewSpec {
                at_risk: true,
                ..ViewSpec::named("at risk / breached")
            },
            kind("incidents", Kind::Incident),
            kind("requests", Kind::Request),
            kind("problems", Kind::Problem),
            kind("changes", Kind::Change),
            ViewSpec {
                closed: true,
                ..ViewSpec::named("recently closed")
            },
        ]
    }

    /// What is wrong with the view, and with which of its keys.
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.name.trim().is_empty() {
            return Err(("name", "a view needs a name".into()));
        }
        if let Some(p) = self.priority.iter().find(|p| !(1..=5).contains(*p)) {
            return Err((
                "priority",
                format!("view `{}`: priority {p} is not between 1 and 5", self.name),
            ));
        }
        Ok(())
    }
}

/// What is personal to an operator: how their desk looks and behaves for them. Nothing here
/// changes what anyone may do or what is written; the rules are the desk's (its policy).
#[derive(Debug, Clone)]
pub struct Config {
    /// Whom to act as (only an admin of the desk may act as someone else).
    pub user: Option<String>,
    /// The terminal desk's key bindings over the shipped ones.
    pub keys: Vec<crate::tui::keymap::UserBinding>,
    /// Click and wheel in the terminal desk (on unless config.toml says `mouse = false`).
    pub mouse: bool,
    /// `theme = "…"`: colours and glyphs over what TERM says (None: auto).
    pub theme: Option<String>,
    /// The queue's views: the built-in ones, then the desk's own.
    pub views: Vec<ViewSpec>,
    /// The command run on each SLA escalation this operator's desk records.
    pub escalation: Escalation,
    /// What the webhook listener requires in `Authorization: Bearer …`.
    pub ingest_secret: Option<String>,
    /// Commands run after writes, on the events they name.
    pub hooks: Vec<crate::hooks::HookSpec>,
    /// Rules these files still hold from before the desk kept its own policy.
    pub legacy: Option<LegacyPolicy>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            user: None,
            keys: Default::default(),
            mouse: true,
            theme: None,
            views: ViewSpec::builtin(),
            escalation: Escalation::default(),
            ingest_secret: None,
            hooks: Vec::new(),
            legacy: None,
        }
    }
}

/// The `[keys]` table as bindings, each checked (so a wrong key fails every command, not only
/// the terminal desk); a mistake comes back with its line.
fn user_keys(
    source: &str,
    raw: &std::collections::BTreeMap<String, toml::Spanned<toml::Value>>,
) -> Result<Vec<crate::tui::keymap::UserBinding>, (usize, String)> {
    use crate::tui::keymap::{UserBinding, binding};
    let mut out = Vec::new();
    for (name, value) in raw {
        match value.get_ref() {
            toml::Value::String(action) => {
                binding(None, name, action)
                    .map_err(|e| (line_of(source, value.span().start), format!("key `keys.{name}`: {e}")))?;
                out.push(UserBinding {
                    layer: None,
                    key: name.clone(),
                    action: action.clone(),
                });
            }
            toml::Value::Table(table) => {
                let start = crate::tomlfile::table_start(source, &format!("keys.{name}")).unwrap_or(value.span().start);
                for (key, action) in table {
                    let line = || crate::tomlfile::line_of_key(source, start..start, key);
                    let Some(action) = action.as_str() else {
                        return Err((line(), format!("key `keys.{name}.{key}`: an action's name in quotes")));
                    };
                    binding(Some(name), key, action).map_err(|e| (line(), format!("key `keys.{name}.{key}`: {e}")))?;
                    out.push(UserBinding {
                        layer: Some(name.clone()),
                        key: key.clone(),
                        action: action.to_string(),
                    });
                }
            }
            _ => {
                return Err((
                    line_of(source, value.span().start),
                    format!("key `keys.{name}`: an action's name in quotes, or a table of a layer's keys"),
                ));
            }
        }
    }
    Ok(out)
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    let file = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            ConfigError {
                line: bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1,
                message: format!(
                    "not UTF-8 text (byte 0x{:02x}); save the file as UTF-8",
                    bytes.get(at).copied().unwrap_or_default()
                ),
                file,
            }
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError {
            file,
            line: 0,
            message: format!("cannot read: {e}"),
        }),
    }
}

impl Config {
    /// Reads `config.toml` from the config folder (it is optional), and notes the rules
    /// that it or a `lifecycles.toml` beside it still hold from before desks kept their own.
    pub fn load(paths: &Paths) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let file = paths.config_file();
        let config_source = read_optional(&file)?;
        if let Some(source) = &config_source {
            let source = source.as_str();
            let shown = file.display().to_string();
            let raw: RawConfig = toml::from_str(source).map_err(|e| {
                let (line, message) = crate::tomlfile::describe(source, &e);
                ConfigError {
                    file: shown.clone(),
                    line,
                    message,
                }
            })?;
            config.user = raw.user;
            // Checked here, so a wrong key fails every command, not only the terminal desk.
            config.keys = user_keys(source, &raw.keys).map_err(|(line, message)| ConfigError {
                file: shown.clone(),
                line,
                message,
            })?;
            config.mouse = raw.mouse.unwrap_or(true);
            if let Some(t) = raw.theme {
                const THEMES: [&str; 5] = ["auto", "full", "basic", "plain", "ascii"];
                if !THEMES.contains(&t.get_ref().as_str()) {
                    return Err(ConfigError {
                        file: shown.clone(),
                        line: line_of(source, t.span().start),
                        message: format!(
                            "key `theme`: `{}` is not a theme (one of {})",
                            crate::text::inert(t.get_ref(), false),
                            THEMES.join(", ")
                        ),
                    });
                }
                config.theme = Some(t.into_inner()).filter(|t| t != "auto");
            }
            for v in raw.views {
                let span = v.span();
                let v = v.into_inner();
                v.check().map_err(|(key, message)| ConfigError {
                    file: shown.clone(),
                    line: crate::tomlfile::line_of_key(source, span.clone(), key),
                    message: format!("key `views.{key}`: {message}"),
                })?;
                config.views.push(v);
            }
            config.escalation = raw.sla.build(&shown, source)?;
            for (i, hook) in raw.hooks.into_iter().enumerate() {
                let span = hook.span();
                let hook = hook.into_inner();
                let here = |key: &str, message: &str| ConfigError {
                    file: shown.clone(),
                    line: crate::tomlfile::line_of_key(source, span.clone(), key),
                    message: format!("key `hooks[{}].{key}`: {message}", i + 1),
                };
                if hook.command.first().is_none_or(|c| c.trim().is_empty()) {
                    return Err(here("command", "give the program first, then its arguments"));
                }
                if hook.on.is_empty() {
                    return Err(here(
                        "on",
                        "name the events: created, transition, assigned, at_risk, breached",
                    ));
                }
                let timeout = hook.timeout.unwrap_or(10);
                if !(1..=3600).contains(&timeout) {
                    return Err(here("timeout", "seconds between 1 and 3600"));
                }
                config.hooks.push(crate::hooks::HookSpec {
                    on: hook.on,
                    command: hook.command,
                    timeout: std::time::Duration::from_secs(timeout),
                });
            }
            config.ingest_secret = raw.ingest.secret(&shown, source)?;
        }
        let lifecycles_file = paths.lifecycle_file();
        let lifecycles_source = read_optional(&lifecycles_file)?;
        config.legacy = legacy::find(
            config_source.as_deref().map(|s| (file.as_path(), s)),
            lifecycles_source.as_deref().map(|s| (lifecycles_file.as_path(), s)),
        );
        Ok(config)
    }
}
