//! The desk's policy: one TOML document with every rule that decides what may be done and
//! what is written — the lifecycles, the priority matrix, the SLA calendars and targets, and
//! what intake writes. The desk stores it, versioned; every operator works by the same one.
//! This module reads and checks a policy document; it does no I/O.

mod intake;
mod notify;
mod sla;

use std::sync::LazyLock;

use serde::Deserialize;

pub use intake::{AlertRules, LabelLevels, MailRules, Strangers};
pub use notify::{Audience, NotifyEvent, NotifyRule, NotifyRules, TemplateTicket};

use super::lifecycle::{self, Lifecycles};
use super::priority::Matrix;

/// A policy document that cannot be used, with where and why (`file:line: message`).
pub type PolicyError = super::lifecycle::LifecycleError;

/// The head of the shipped policy: everything but the lifecycles.
const HEAD: &str = include_str!("../../../assets/policy.toml");

/// The policy of a new desk: [`HEAD`] and the shipped lifecycles under `[lifecycles]`.
static SHIPPED: LazyLock<String> = LazyLock::new(|| format!("{HEAD}\n{}", nest_lifecycles(lifecycle::DEFAULT_SOURCE)));

/// The shipped lifecycle file as the `[lifecycles]` section of a policy: each table header
/// gains the `lifecycles.` prefix, and everything else (comments included) stays as it is.
/// Only for the shipped file, whose top level holds tables alone (a test checks that the
/// result reads back as the same lifecycles).
fn nest_lifecycles(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1024);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("[[") {
            out.push_str("[[lifecycles.");
            out.push_str(rest);
        } else if let Some(rest) = line.strip_prefix('[') {
            out.push_str("[lifecycles.");
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    priority: RawPriority,
    #[serde(default)]
    sla: sla::RawSla,
    #[serde(default)]
    ingest: intake::RawIngest,
    #[serde(default)]
    changes: RawChanges,
    #[serde(default)]
    notify: notify::RawNotify,
    lifecycles: Option<lifecycle::RawFile>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPriority {
    matrix: Option<Matrix>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChanges {
    long_window: Option<String>,
}

/// Rules for the change schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRules {
    /// A planned window longer than this is flagged (at import, and on the calendar).
    pub long_window: chrono::Duration,
}

impl Default for ChangeRules {
    fn default() -> Self {
        ChangeRules {
            long_window: chrono::Duration::days(31),
        }
    }
}

/// A checked policy, with the text it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The document as written (what `opsdesk policy show` prints).
    pub source: String,
    pub lifecycles: Lifecycles,
    pub matrix: Matrix,
    pub sla: super::sla::Policy,
    pub alerts: AlertRules,
    pub mail: MailRules,
    pub changes: ChangeRules,
    pub notify: NotifyRules,
}

impl Policy {
    /// Reads and checks a whole policy document; `file` names it in errors. Every section
    /// but `[lifecycles]` may be left out (its defaults apply); the lifecycles must be given,
    /// so that a short file never quietly puts back the shipped ones.
    pub fn parse(source: &str, file: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(source).map_err(|e| {
            let (line, message) = crate::tomlfile::describe(source, &e);
            PolicyError {
                file: file.to_string(),
                line,
                message,
            }
        })?;
        let Some(lifecycles) = raw.lifecycles else {
            return Err(PolicyError {
                file: file.to_string(),
                line: 0,
                message: "the policy has no [lifecycles]: a policy holds all of the desk's rules; start from \
                          `opsdesk policy show`"
                    .into(),
            });
        };
        let lifecycles = Lifecycles::from_raw(lifecycles, source, file)?;
        let sla = raw.sla.build(file, source)?;
        let (alerts, mail) = raw.ingest.build(file, source)?;
        let notify = raw.notify.build(file, source)?;
        let changes = match raw.changes.long_window.as_deref() {
            None => ChangeRules::default(),
            Some(text) => ChangeRules {
                long_window: super::sla::parse_span(text, chrono::Duration::days(1)).map_err(|m| PolicyError {
                    file: file.to_string(),
                    line: source.find("[changes]").map_or(0, |at| {
                        crate::tomlfile::line_of_key(source, at..source.len(), "long_window")
                    }),
                    message: format!("key `changes.long_window`: {m}"),
                })?,
            },
        };
        if let Some(codes) = lifecycles.values("resolution_code")
            && !codes.contains(&alerts.resolution_code)
        {
            return Err(PolicyError {
                file: file.to_string(),
                line: source.find("[ingest.alertmanager]").map_or(0, |at| {
                    crate::tomlfile::line_of_key(source, at..source.len(), "resolution_code")
                }),
                message: format!(
                    "key `ingest.alertmanager.resolution_code`: `{}` is not a resolution code of the lifecycles ({})",
                    alerts.resolution_code,
                    codes.join(", ")
                ),
            });
        }
        Ok(Policy {
            source: source.to_string(),
            lifecycles,
            matrix: raw.priority.matrix.unwrap_or_default(),
            sla,
            alerts,
            mail,
            changes,
            notify,
        })
    }

    /// The policy of a new desk.
    pub fn shipped() -> Policy {
        match Policy::parse(&SHIPPED, "the shipped policy") {
            Ok(p) => p,
            Err(e) => unreachable!("the shipped policy is checked by tests: {e}"),
        }
    }

    /// The text of the shipped policy.
    pub fn shipped_source() -> &'static str {
        &SHIPPED
    }

    /// Whether a change to `other` changes anything a ticket's stored state depends on:
    /// which states are open (the lifecycles) or the SLA clocks (targets and calendars).
    pub fn moves_clocks(&self, other: &Policy) -> bool {
        self.lifecycles != other.lifecycles || self.sla != other.sla
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_policy_holds_the_shipped_lifecycles_and_the_defaults() {
        let p = Policy::shipped();
        assert_eq!(
            p.lifecycles,
            Lifecycles::load(lifecycle::DEFAULT_SOURCE, "lifecycles.toml").expect("shipped lifecycles")
        );
        assert_eq!(p.matrix, Matrix::default());
        assert_eq!(p.sla, super::super::sla::Policy::default());
        assert_eq!(p.alerts, AlertRules::default());
        assert_eq!(p.mail, MailRules::default());
        assert_eq!(p.changes.long_window, chrono::Duration::days(31));
        assert!(p.source.contains("[[lifecycles.incident.transition]]"));
    }

    #[test]
    fn a_policy_needs_its_lifecycles_and_names_the_line_of_a_mistake() {
        let e = Policy::parse("[priority]\nmatrix = [[1, 2, 3], [2, 3, 4], [3, 4, 5]]\n", "p.toml")
            .expect_err("no lifecycles");
        assert!(e.message.contains("no [lifecycles]"), "{e}");
        let broken = Policy::shipped_source().replacen("kind = \"request\"", "kind = \"problem\"", 1);
        let e = Policy::parse(&broken, "p.toml").expect_err("mail opens no problem");
        assert!(e.to_string().contains("key `ingest.mail.kind`"), "{e}");
        assert_eq!(
            e.line,
            crate::tomlfile::line_of(&broken, broken.find("kind = \"problem\"").unwrap_or(0))
        );
        let broken = Policy::shipped_source().replacen("resolution_code = \"fixed\"", "resolution_code = \"magic\"", 1);
        let e = Policy::parse(&broken, "p.toml").expect_err("unknown code");
        assert!(e.message.contains("`magic` is not a resolution code"), "{e}");
        let broken = Policy::shipped_source().replacen("strangers = \"open\"", "strangers = \"welcome\"", 1);
        assert!(Policy::parse(&broken, "p.toml").is_err());
        let broken = Policy::shipped_source().replacen("long_window = \"31d\"", "long_window = \"a month\"", 1);
        let e = Policy::parse(&broken, "p.toml").expect_err("not a span");
        assert!(e.message.contains("key `changes.long_window`"), "{e}");
        let longer = Policy::shipped_source().replacen("long_window = \"31d\"", "long_window = \"90d\"", 1);
        let p = Policy::parse(&longer, "p.toml").expect("90 days");
        assert_eq!(p.changes.long_window, chrono::Duration::days(90));
    }
}
