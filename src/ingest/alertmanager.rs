//! Prometheus Alertmanager's webhook payload (version 4), as documented at
//! <https://prometheus.io/docs/alerting/latest/configuration/#webhook_config>, and what an
//! alert becomes on the desk: a title, a description, impact and urgency from its labels, and
//! the CIs its labels name.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use crate::domain::policy::AlertRules as AlertmanagerConfig;

/// The most standard input or one request may carry.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Alertmanager sends `null` for an empty map (`"commonAnnotations": null`).
fn map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::<BTreeMap<String, String>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Firing,
    Resolved,
}

/// One notification: a group of alerts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub version: String,
    #[serde(default)]
    pub group_key: String,
    #[serde(default)]
    pub truncated_alerts: u64,
    pub status: Status,
    #[serde(default)]
    pub receiver: String,
    #[serde(default, deserialize_with = "map")]
    pub group_labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "map")]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "map")]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(default, rename = "externalURL")]
    pub external_url: String,
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub status: Status,
    #[serde(deserialize_with = "map")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "map")]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    #[serde(default)]
    pub fingerprint: String,
}

/// Why a payload cannot be taken; nothing of it is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("no payload: expected Alertmanager's webhook JSON")]
    Empty,
    #[error("the payload is {0} bytes; at most {MAX_BYTES} are taken")]
    TooLarge(usize),
    #[error("not an Alertmanager payload: line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("payload {index}: version `{version}`: opsdesk reads Alertmanager's webhook version 4")]
    Version { index: usize, version: String },
    #[error("payload {index}, alert {alert}: it has no labels, so nothing tells what it is")]
    NoLabels { index: usize, alert: usize },
}

/// One payload, or several one after another (a file of them), from `bytes`.
pub fn parse(bytes: &[u8]) -> Result<Vec<Payload>, PayloadError> {
    if bytes.len() > MAX_BYTES {
        return Err(PayloadError::TooLarge(bytes.len()));
    }
    let mut payloads = Vec::new();
    for p in serde_json::Deserializer::from_slice(bytes).into_iter::<Payload>() {
        let p = p.map_err(|e| PayloadError::Json {
            line: e.line(),
            column: e.column(),
            message: crate::text::inert(&e.to_string(), false)
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string(),
        })?;
        let index = payloads.len() + 1;
        if p.version != "4" {
            return Err(PayloadError::Version {
                index,
                version: crate::text::clip(&crate::text::inert(&p.version, false), 20),
            });
        }
        if let Some(alert) = p.alerts.iter().position(|a| a.labels.is_empty()) {
            return Err(PayloadError::NoLabels {
                index,
                alert: alert + 1,
            });
        }
        payloads.push(p);
    }
    if payloads.is_empty() {
        return Err(PayloadError::Empty);
    }
    Ok(payloads)
}

impl Alert {
    /// Alertmanager's fingerprint, or one made from the labels when it sent none.
    pub fn key(&self) -> String {
        if !self.fingerprint.trim().is_empty() {
            return self.fingerprint.trim().to_string();
        }
        let mut h = Sha256::new();
        for (k, v) in &self.labels {
            h.update((k.len() as u64).to_le_bytes());
            h.update(k.as_bytes());
            h.update((v.len() as u64).to_le_bytes());
            h.update(v.as_bytes());
        }
        crate::store::chain::hex(&h.finalize()[..8])
    }

    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("alert", String::as_str)
    }

    fn annotation<'a>(&'a self, p: &'a Payload, key: &str) -> Option<&'a str> {
        self.annotations
            .get(key)
            .or_else(|| p.common_annotations.get(key))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// The incident's title: the summary, else the alert's name and where it fires.
    pub fn title(&self, p: &Payload) -> String {
        let title = match self.annotation(p, "summary") {
            Some(s) => s.to_string(),
            None => match self.labels.get("instance") {
                Some(i) => format!("{} on {i}", self.name()),
                None => self.name().to_string(),
            },
        };
        crate::text::clip(title.lines().next().unwrap_or_default(), 200)
    }

    /// The incident's description: what the alert says, its labels, and where it comes from.
    pub fn description(&self, p: &Payload) -> String {
        let mut out = String::new();
        if let Some(d) = self.annotation(p, "description") {
            out.push_str(d);
            out.push_str("\n\n");
        }
        out.push_str("Labels:\n");
        for (k, v) in &self.labels {
            out.push_str(&format!("  {k}={v}\n"));
        }
        for (k, v) in &self.annotations {
            if k != "summary" && k != "description" {
                out.push_str(&format!("{k}: {v}\n"));
            }
        }
        if let Some(at) = self.starts_at {
            out.push_str(&format!("Firing since: {}\n", crate::domain::rules::format_time(at)));
        }
        if !self.generator_url.is_empty() {
            out.push_str(&format!("Source: {}\n", self.generator_url));
        }
        if !p.external_url.is_empty() {
            out.push_str(&format!("Alertmanager: {}\n", p.external_url));
        }
        out.push_str(&format!("Fingerprint: {}\n", self.key()));
        out
    }

    /// Impact and urgency from the labels the configuration names.
    pub fn levels(&self, c: &AlertmanagerConfig) -> (Option<u8>, Option<u8>) {
        let level = |m: &crate::domain::policy::LabelLevels| {
            self.labels
                .get(&m.label)
                .and_then(|v| m.values.get(&v.trim().to_ascii_lowercase()).copied())
        };
        (level(&c.impact), level(&c.urgency))
    }

    /// The names of CIs the labels may name, in the configuration's order: each label's
    /// value, and the value without a `:port` (`db-01:9100` → `db-01`).
    pub fn ci_candidates(&self, c: &AlertmanagerConfig) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for label in &c.ci_labels {
            if let Some(v) = self.labels.get(label).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                let bare = v
                    .rsplit_once(':')
                    .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
                    .map(|(h, _)| h);
                for name in [Some(v), bare].into_iter().flatten() {
                    if !out.iter().any(|o| o == name) {
                        out.push(name.to_string());
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRING: &str = r#"{"version":"4","groupKey":"{}:{alertname=\"X\"}","status":"firing","receiver":"r",
        "groupLabels":{},"commonLabels":null,"commonAnnotations":null,"externalURL":"http://am:9093",
        "alerts":[{"status":"firing","labels":{"alertname":"DiskFull","instance":"db-01:9100","severity":"critical"},
        "annotations":{"summary":"Disk full on db-01"},"startsAt":"2026-11-23T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
        "generatorURL":"http://prom/graph","fingerprint":"abc123"}]}"#;

    #[test]
    fn a_payload_reads_with_nulls_for_empty_maps() {
        let p = parse(FIRING.as_bytes()).expect("parses");
        assert_eq!(p.len(), 1);
        let a = &p[0].alerts[0];
        assert_eq!(
            (a.status, a.key().as_str(), a.name()),
            (Status::Firing, "abc123", "DiskFull")
        );
        assert_eq!(a.title(&p[0]), "Disk full on db-01");
        let c = AlertmanagerConfig::default();
        assert_eq!(a.levels(&c), (Some(1), Some(1)));
        assert_eq!(a.ci_candidates(&c), vec!["db-01:9100", "db-01"]);
        assert!(a.description(&p[0]).contains("  severity=critical\n"));
    }

    #[test]
    fn several_payloads_one_after_another() {
        let two = format!("{FIRING}\n{FIRING}");
        assert_eq!(parse(two.as_bytes()).expect("two").len(), 2);
    }

    #[test]
    fn bad_payloads_say_what_is_wrong() {
        assert_eq!(parse(b"  \n"), Err(PayloadError::Empty));
        let cut = &FIRING[..FIRING.len() / 2];
        assert!(
            matches!(parse(cut.as_bytes()), Err(PayloadError::Json { .. })),
            "{:?}",
            parse(cut.as_bytes())
        );
        let v3 = FIRING.replace("\"version\":\"4\"", "\"version\":\"3\"");
        assert_eq!(
            parse(v3.as_bytes()).expect_err("v3").to_string(),
            "payload 1: version `3`: opsdesk reads Alertmanager's webhook version 4"
        );
        let nolabels = FIRING.replace(
            r#""labels":{"alertname":"DiskFull","instance":"db-01:9100","severity":"critical"}"#,
            r#""labels":{}"#,
        );
        assert_eq!(
            parse(nolabels.as_bytes()),
            Err(PayloadError::NoLabels { index: 1, alert: 1 })
        );
        let json = parse(b"{\"version\": 4}").expect_err("number");
        assert!(
            json.to_string()
                .starts_with("not an Alertmanager payload: line 1, column"),
            "{json}"
        );
    }

    #[test]
    fn without_a_fingerprint_the_labels_make_one() {
        let p = parse(FIRING.replace(r#","fingerprint":"abc123""#, "").as_bytes()).expect("parses");
        let k = p[0].alerts[0].key();
        assert_eq!(k.len(), 16);
        let other = parse(
            FIRING
                .replace(r#","fingerprint":"abc123""#, "")
                .replace("db-01:9100", "db-02")
                .as_bytes(),
        )
        .expect("parses");
        assert_ne!(other[0].alerts[0].key(), k);
    }
}
