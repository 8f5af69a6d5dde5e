//! The `[ingest.alertmanager]` section of `config.toml`: how an alert's labels become an
//! incident's CIs, impact and urgency, and whether its end resolves the incident.
//!
//! ```toml
//! [ingest.alertmanager]
//! ci = ["service", "instance"]        # labels whose value names a CI (`db-01:9100` → `db-01`)
//! resolve = true                      # a resolved alert resolves its incident (default: a note only)
//! resolution_code = "fixed"
//! secret = "…"                        # for --listen: Alertmanager sends `Authorization: Bearer …`
//! impact = { label = "severity", values = { critical = 1, warning = 2, info = 3 } }
//! urgency = { label = "severity", values = { critical = 1, warning = 2, info = 3 } }
//!
//! [ingest.mail]
//! kind = "incident"                   # what a new message opens (default: request)
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIngest {
    alertmanager: Option<Spanned<RawAlertmanager>>,
    mail: Option<RawMail>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    /// What a new message opens: `request` (the default) or `incident`.
    kind: Option<crate::domain::Kind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlertmanager {
    ci: Option<Vec<String>>,
    resolve: Option<bool>,
    resolution_code: Option<String>,
    secret: Option<String>,
    impact: Option<RawLevels>,
    urgency: Option<RawLevels>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevels {
    label: String,
    values: BTreeMap<String, u8>,
}

/// A label whose values give a level (1 high, 2 medium, 3 low).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelLevels {
    pub label: String,
    /// By the label's value, lower-cased.
    pub values: BTreeMap<String, u8>,
}

impl LabelLevels {
    /// Prometheus's customary `severity`.
    fn severity() -> LabelLevels {
        LabelLevels {
            label: "severity".into(),
            values: [
                ("critical", 1),
                ("page", 1),
                ("error", 2),
                ("warning", 2),
                ("info", 3),
                ("none", 3),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertmanagerConfig {
    pub ci_labels: Vec<String>,
    pub impact: LabelLevels,
    pub urgency: LabelLevels,
    pub resolve: bool,
    pub resolution_code: String,
    /// What `--listen` requires in `Authorization: Bearer …`.
    pub secret: Option<String>,
}

impl Default for AlertmanagerConfig {
    fn default() -> Self {
        AlertmanagerConfig {
            ci_labels: vec!["service".into(), "instance".into()],
            impact: LabelLevels::severity(),
            urgency: LabelLevels::severity(),
            resolve: false,
            resolution_code: "fixed".into(),
            secret: None,
        }
    }
}

impl RawIngest {
    /// What a new mail message opens (`[ingest.mail] kind`).
    pub(super) fn mail_kind(&self) -> crate::domain::Kind {
        self.mail
            .as_ref()
            .and_then(|m| m.kind)
            .unwrap_or(crate::domain::Kind::Request)
    }

    pub(super) fn build(self, file: &str, source: &str) -> Result<AlertmanagerConfig, ConfigError> {
        let mut c = AlertmanagerConfig::default();
        let Some(raw) = self.alertmanager else { return Ok(c) };
        let span = raw.span();
        let raw = raw.into_inner();
        let at = |key: &str, message: String| ConfigError {
            file: file.to_string(),
            line: crate::tomlfile::line_of_key(source, span.clone(), key),
            message: format!("key `ingest.alertmanager.{key}`: {message}"),
        };
        if let Some(ci) = raw.ci {
            c.ci_labels = ci
                .into_iter()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
        }
        c.resolve = raw.resolve.unwrap_or(false);
        if let Some(secret) = raw.secret {
            if secret.trim().len() < 16 {
                return Err(at(
                    "secret",
                    "use at least 16 characters (e.g. `openssl rand -hex 24`)".into(),
                ));
            }
            c.secret = Some(secret.trim().to_string());
        }
        if let Some(code) = raw.resolution_code {
            c.resolution_code = code.trim().to_string();
        }
        for (key, levels, into) in [
            ("impact", raw.impact, &mut c.impact),
            ("urgency", raw.urgency, &mut c.urgency),
        ] {
            let Some(levels) = levels else { continue };
            if levels.label.trim().is_empty() {
                return Err(at(key, "`label` names no label".into()));
            }
            if let Some((v, n)) = levels.values.iter().find(|(_, n)| !(1..=3).contains(*n)) {
                return Err(at(
                    key,
                    format!("`{v}` = {n}: levels are 1 (high), 2 (medium) or 3 (low)"),
                ));
            }
            *into = LabelLevels {
                label: levels.label.trim().to_string(),
                values: levels
                    .values
                    .into_iter()
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v))
                    .collect(),
            };
        }
        Ok(c)
    }
}
