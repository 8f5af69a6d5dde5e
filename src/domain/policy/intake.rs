//! The `[ingest]` section of the desk's policy: how an alert's labels become an incident's
//! CIs, impact and urgency, whether its end resolves the incident, and what mail opens.
//!
//! ```toml
//! [ingest.alertmanager]
//! ci = ["service", "instance"]        # labels whose value names a CI (`db-01:9100` → `db-01`)
//! resolve = true                      # a resolved alert resolves its incident (default: a note only)
//! resolution_code = "fixed"
//! impact = { label = "severity", values = { critical = 1, warning = 2, info = 3 } }
//! urgency = { label = "severity", values = { critical = 1, warning = 2, info = 3 } }
//!
//! [ingest.mail]
//! kind = "incident"                   # what a new message opens (default: request)
//! strangers = "refuse"                # a reply from outside the ticket (default: open a request)
//! cc_watchers = false                 # Cc addresses do not watch the ticket (default: they do)
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::PolicyError;
use crate::domain::Kind;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIngest {
    alertmanager: Option<Spanned<RawAlertmanager>>,
    mail: Option<Spanned<RawMail>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    kind: Option<Kind>,
    strangers: Option<Strangers>,
    cc_watchers: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlertmanager {
    ci: Option<Vec<String>>,
    resolve: Option<bool>,
    resolution_code: Option<String>,
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

/// What an alert from Alertmanager writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRules {
    pub ci_labels: Vec<String>,
    pub impact: LabelLevels,
    pub urgency: LabelLevels,
    pub resolve: bool,
    pub resolution_code: String,
}

impl Default for AlertRules {
    fn default() -> Self {
        AlertRules {
            ci_labels: vec!["service".into(), "instance".into()],
            impact: LabelLevels::severity(),
            urgency: LabelLevels::severity(),
            resolve: false,
            resolution_code: "fixed".into(),
        }
    }
}

/// What becomes of a reply that names a ticket but comes from someone outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strangers {
    /// A new request, linked to the ticket it named.
    #[default]
    Open,
    /// Nothing is taken; the message is refused.
    Refuse,
}

/// What mail writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailRules {
    /// What a new message opens.
    pub kind: Kind,
    pub strangers: Strangers,
    /// The addresses a message was copied to watch the ticket it opened or went to.
    pub cc_watchers: bool,
}

impl Default for MailRules {
    fn default() -> Self {
        MailRules {
            kind: Kind::Request,
            strangers: Strangers::Open,
            cc_watchers: true,
        }
    }
}

impl RawIngest {
    pub(super) fn build(self, file: &str, source: &str) -> Result<(AlertRules, MailRules), PolicyError> {
        let mut mail = MailRules::default();
        if let Some(m) = self.mail {
            let span = m.span();
            let m = m.into_inner();
            if let Some(kind) = m.kind {
                if !matches!(kind, Kind::Request | Kind::Incident) {
                    return Err(PolicyError {
                        file: file.to_string(),
                        line: crate::tomlfile::line_of_key(source, span, "kind"),
                        message: format!("key `ingest.mail.kind`: mail opens a request or an incident, not a {kind}"),
                    });
                }
                mail.kind = kind;
            }
            mail.strangers = m.strangers.unwrap_or_default();
            mail.cc_watchers = m.cc_watchers.unwrap_or(true);
        }
        let mut c = AlertRules::default();
        let Some(raw) = self.alertmanager else {
            return Ok((c, mail));
        };
        let span = raw.span();
        let raw = raw.into_inner();
        let at = |key: &str, message: String| PolicyError {
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
        Ok((c, mail))
    }
}
