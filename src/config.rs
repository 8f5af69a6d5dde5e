//! Where the desk and its configuration live, and what `config.toml` says.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{Lifecycles, Matrix};

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
    pub fn lifecycle_file(&self) -> PathBuf {
        self.config_dir.join("lifecycles.toml")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// The operator to act as when neither `--user` nor `OPSDESK_USER` is given.
    user: Option<String>,
    #[serde(default)]
    priority: RawPriority,
    /// Key bindings over the defaults of assets/keymap.toml: `key = "action"`.
    #[serde(default)]
    keys: std::collections::BTreeMap<String, String>,
    /// Whether the terminal desk takes the mouse (click selects, wheel scrolls).
    mouse: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPriority {
    matrix: Option<Matrix>,
}

/// Everything a desk is run with besides the desk file.
#[derive(Debug, Clone)]
pub struct Config {
    pub user: Option<String>,
    pub matrix: Matrix,
    pub lifecycles: Lifecycles,
    /// The override file in use, if any.
    pub lifecycle_file: Option<PathBuf>,
    /// The terminal desk's key bindings over the shipped ones.
    pub keys: std::collections::BTreeMap<String, String>,
    /// Click and wheel in the terminal desk (on unless config.toml says `mouse = false`).
    pub mouse: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            user: None,
            matrix: Matrix::default(),
            lifecycles: Lifecycles::builtin(),
            lifecycle_file: None,
            keys: Default::default(),
            mouse: true,
        }
    }
}

fn line_of(source: &str, offset: usize) -> usize {
    source.as_bytes()[..offset.min(source.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError {
            file: path.display().to_string(),
            line: 0,
            message: format!("cannot read: {e}"),
        }),
    }
}

impl Config {
    /// Reads `config.toml` and `lifecycles.toml` from the config folder; each is optional.
    pub fn load(paths: &Paths) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let file = paths.config_file();
        if let Some(source) = read_optional(&file)? {
            let raw: RawConfig = toml::from_str(&source).map_err(|e| ConfigError {
                file: file.display().to_string(),
                line: e.span().map_or(0, |s| line_of(&source, s.start)),
                message: e.message().trim().to_string(),
            })?;
            config.user = raw.user;
            config.keys = raw.keys;
            config.mouse = raw.mouse.unwrap_or(true);
            if let Some(m) = raw.priority.matrix {
                config.matrix = m;
            }
        }
        let file = paths.lifecycle_file();
        if let Some(source) = read_optional(&file)? {
            let shown = file.display().to_string();
            config.lifecycles = Lifecycles::load(&source, &shown).map_err(|e| ConfigError {
                file: e.file,
                line: e.line,
                message: e.message,
            })?;
            config.lifecycle_file = Some(file);
        }
        Ok(config)
    }
}
