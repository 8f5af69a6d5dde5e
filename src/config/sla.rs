//! The `[sla]` section of `config.toml`: the escalation command this operator's desk runs
//! when a clock crosses 75 % or 100 %. The targets and calendars are the desk's policy.
//!
//! ```toml
//! [sla]
//! command = ["/usr/local/bin/page-oncall", "--desk", "ops"]   # run on each escalation
//! timeout = 10                                                # seconds before it is stopped
//! ```

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, line_of};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSla {
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<u64>>,
    /// Desk policy before version 12: accepted here, read by `legacy` alone.
    #[serde(rename = "calendars")]
    _calendars: Option<serde::de::IgnoredAny>,
    #[serde(rename = "targets")]
    _targets: Option<serde::de::IgnoredAny>,
}

/// The escalation command and how long it may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// The command and its arguments (never given to a shell).
    pub command: Option<Vec<String>>,
    /// How long the command may run before it is stopped.
    pub timeout: std::time::Duration,
}

impl Default for Escalation {
    fn default() -> Self {
        Escalation {
            command: None,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

impl RawSla {
    pub(super) fn build(&self, file: &str, source: &str) -> Result<Escalation, ConfigError> {
        let at = |span: std::ops::Range<usize>, message: String| ConfigError {
            file: file.to_string(),
            line: line_of(source, span.start),
            message,
        };
        let mut out = Escalation::default();
        if let Some(cmd) = &self.command {
            if cmd.get_ref().first().is_none_or(|c| c.trim().is_empty()) {
                return Err(at(
                    cmd.span(),
                    "key `sla.command`: give the program first, then its arguments".into(),
                ));
            }
            out.command = Some(cmd.get_ref().clone());
        }
        if let Some(t) = &self.timeout {
            if *t.get_ref() == 0 || *t.get_ref() > 3600 {
                return Err(at(t.span(), "key `sla.timeout`: seconds between 1 and 3600".into()));
            }
            out.timeout = std::time::Duration::from_secs(*t.get_ref());
        }
        Ok(out)
    }
}
