//! The `[ingest.alertmanager]` section of `config.toml`: the secret the webhook listener
//! (`opsdesk ingest alertmanager --listen`) requires. What alerts write is desk policy.
//!
//! ```toml
//! [ingest.alertmanager]
//! secret = "…"        # Alertmanager sends `Authorization: Bearer …`; at least 16 characters
//! ```

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;

/// The fewest characters a listener's secret may have, from config.toml or the environment.
pub const MIN_SECRET: usize = 16;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIngest {
    pub(super) alertmanager: Option<Spanned<RawAlertmanager>>,
    /// Desk policy before version 12: accepted here, read by `legacy` alone.
    #[serde(rename = "mail")]
    _mail: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlertmanager {
    secret: Option<String>,
    // Desk policy before version 12: accepted here, read by `legacy` alone.
    #[serde(rename = "ci")]
    _ci: Option<serde::de::IgnoredAny>,
    #[serde(rename = "resolve")]
    _resolve: Option<serde::de::IgnoredAny>,
    #[serde(rename = "resolution_code")]
    _resolution_code: Option<serde::de::IgnoredAny>,
    #[serde(rename = "impact")]
    _impact: Option<serde::de::IgnoredAny>,
    #[serde(rename = "urgency")]
    _urgency: Option<serde::de::IgnoredAny>,
}

/// Checks a listener secret: from config.toml (`line` its line) or the environment, the
/// same rule.
pub fn check_secret(secret: &str, file: &str, line: usize) -> Result<String, ConfigError> {
    let s = secret.trim();
    if s.chars().count() < MIN_SECRET {
        return Err(ConfigError {
            file: file.to_string(),
            line,
            message: format!(
                "key `ingest.alertmanager.secret`: use at least {MIN_SECRET} characters (e.g. `openssl rand -hex 24`)"
            ),
        });
    }
    Ok(s.to_string())
}

impl RawIngest {
    /// The listener's secret, checked.
    pub(super) fn secret(&self, file: &str, source: &str) -> Result<Option<String>, ConfigError> {
        let Some(am) = &self.alertmanager else { return Ok(None) };
        let Some(secret) = &am.get_ref().secret else {
            return Ok(None);
        };
        let line = crate::tomlfile::line_of_key(source, am.span(), "secret");
        check_secret(secret, file, line).map(Some)
    }
}
