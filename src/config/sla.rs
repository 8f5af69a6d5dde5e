//! The `[sla]` section of `config.toml`: calendars, targets and the escalation command.
//!
//! ```toml
//! [sla]
//! command = ["/usr/local/bin/page-oncall", "--desk", "ops"]   # run on each escalation
//! timeout = 10                                                # seconds before it is stopped
//!
//! [sla.calendars.business]          # replaces the built-in Monday-Friday 09:00-17:00 UTC
//! zone = "Europe/Paris"
//! monday = "09:00-17:00"            # a weekday left out is closed
//! friday = "09:00-16:00"
//! holidays = ["2026-12-25", "2027-01-01"]
//!
//! [[sla.targets]]                   # replaces the default for these kinds and priorities
//! kind = ["incident", "request"]    # default: both
//! priority = [3, 4]
//! own = "1h"                        # time to own; left out: no such clock
//! resolve = "2bd"                   # m, h, d (24 h), bd (the calendar's business day)
//! calendar = "business"             # "24x7", "business" or a calendar defined above
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, line_of};
use crate::domain::Kind;
use crate::domain::sla::{self, Hours, Policy, Target};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSla {
    #[serde(default)]
    calendars: BTreeMap<String, Spanned<RawCalendar>>,
    #[serde(default)]
    targets: Vec<Spanned<RawTarget>>,
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    zone: Spanned<String>,
    monday: Option<String>,
    tuesday: Option<String>,
    wednesday: Option<String>,
    thursday: Option<String>,
    friday: Option<String>,
    saturday: Option<String>,
    sunday: Option<String>,
    #[serde(default)]
    holidays: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    fn list(&self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    kind: Option<OneOrMany<Kind>>,
    priority: OneOrMany<u8>,
    own: Option<String>,
    resolve: Option<String>,
    calendar: Option<String>,
}

/// What the desk does about SLAs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaConfig {
    pub policy: Policy,
    /// The escalation command and its arguments (never given to a shell).
    pub command: Option<Vec<String>>,
    /// How long the command may run before it is stopped.
    pub timeout: std::time::Duration,
}

impl Default for SlaConfig {
    fn default() -> Self {
        SlaConfig {
            policy: Policy::default(),
            command: None,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl RawSla {
    pub(super) fn build(self, file: &str, source: &str) -> Result<SlaConfig, ConfigError> {
        let at = |span: std::ops::Range<usize>, message: String| ConfigError {
            file: file.to_string(),
            line: line_of(source, span.start),
            message,
        };
        let mut calendars = BTreeMap::new();
        for (name, raw) in self.calendars {
            let span = raw.span();
            let raw = raw.into_inner();
            if name == sla::ALWAYS {
                return Err(at(
                    span,
                    format!(
                        "key `sla.calendars.{name}`: `{}` is built in and cannot be redefined",
                        sla::ALWAYS
                    ),
                ));
            }
            let week = [
                raw.monday.as_deref(),
                raw.tuesday.as_deref(),
                raw.wednesday.as_deref(),
                raw.thursday.as_deref(),
                raw.friday.as_deref(),
                raw.saturday.as_deref(),
                raw.sunday.as_deref(),
            ];
            let cal = sla::business_calendar(raw.zone.get_ref(), week, &raw.holidays).map_err(|m| {
                // The key whose value the message quotes.
                let quoted = |v: &str| m.contains(&format!("`{v}`"));
                let key = if quoted(raw.zone.get_ref()) {
                    "zone"
                } else {
                    WEEKDAYS
                        .iter()
                        .zip(week)
                        .find(|(_, v)| v.is_some_and(quoted))
                        .map_or("holidays", |(day, _)| day)
                };
                ConfigError {
                    file: file.to_string(),
                    line: crate::tomlfile::line_of_key(source, span.clone(), key),
                    message: format!("key `sla.calendars.{name}.{key}`: {m}"),
                }
            })?;
            if cal.hours().iter().all(Option::is_none) {
                return Err(at(
                    span,
                    format!("key `sla.calendars.{name}`: no weekday has opening hours"),
                ));
            }
            calendars.insert(name, Hours::Business(cal));
        }
        // The default targets count business days of the desk's own business calendar.
        let mut policy = match calendars.remove(sla::BUSINESS) {
            Some(business) => Policy::defaults_on(business),
            None => Policy::default(),
        };
        policy.calendars.extend(calendars);
        for (i, raw) in self.targets.into_iter().enumerate() {
            let span = raw.span();
            let raw = raw.into_inner();
            let here = |key: &str, m: String| ConfigError {
                file: file.to_string(),
                line: crate::tomlfile::line_of_key(source, span.clone(), key),
                message: format!("key `sla.targets[{}].{key}`: {m}", i + 1),
            };
            let calendar = raw.calendar.unwrap_or_else(|| sla::BUSINESS.to_string());
            let hours = policy.calendars.get(&calendar).ok_or_else(|| {
                let known: Vec<&str> = policy.calendars.keys().map(String::as_str).collect();
                here(
                    "calendar",
                    format!("no calendar `{calendar}` (known: {})", known.join(", ")),
                )
            })?;
            let day = hours.business_day();
            let span_of = |key: &str, v: Option<String>| -> Result<Option<chrono::Duration>, ConfigError> {
                v.map(|s| sla::parse_span(&s, day).map_err(|m| here(key, m)))
                    .transpose()
            };
            let (own, resolve) = (span_of("own", raw.own)?, span_of("resolve", raw.resolve)?);
            if own.is_none() && resolve.is_none() {
                return Err(here("own", "give `own`, `resolve` or both".into()));
            }
            let priorities = raw.priority.list();
            if priorities.is_empty() {
                return Err(here("priority", "`priority` lists no priority".into()));
            }
            if let Some(p) = priorities.iter().find(|p| !(1..=5).contains(*p)) {
                return Err(here("priority", format!("priority {p} is not between 1 and 5")));
            }
            let kinds = raw
                .kind
                .map_or_else(|| vec![Kind::Incident, Kind::Request], |k| k.list());
            for kind in kinds {
                for p in &priorities {
                    let target = Target {
                        own,
                        resolve,
                        calendar: calendar.clone(),
                    };
                    policy.targets.insert((kind, *p), target);
                }
            }
        }
        let mut out = SlaConfig {
            policy,
            ..SlaConfig::default()
        };
        if let Some(cmd) = self.command {
            let span = cmd.span();
            let cmd = cmd.into_inner();
            if cmd.first().is_none_or(|c| c.trim().is_empty()) {
                return Err(at(
                    span,
                    "key `sla.command`: give the program first, then its arguments".into(),
                ));
            }
            out.command = Some(cmd);
        }
        if let Some(t) = self.timeout {
            let span = t.span();
            if *t.get_ref() == 0 || *t.get_ref() > 3600 {
                return Err(at(span, "key `sla.timeout`: seconds between 1 and 3600".into()));
            }
            out.timeout = std::time::Duration::from_secs(*t.get_ref());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(text: &str) -> Result<SlaConfig, ConfigError> {
        #[derive(Deserialize)]
        struct Wrap {
            sla: RawSla,
        }
        let w: Wrap = toml::from_str(text).map_err(|e| ConfigError {
            file: "config.toml".into(),
            line: 0,
            message: e.to_string(),
        })?;
        w.sla.build("config.toml", text)
    }

    #[test]
    fn calendars_and_targets_replace_the_defaults_they_name() {
        let c = build(
            "[sla]\ncommand = [\"page\", \"--now\"]\ntimeout = 3\n\
             [sla.calendars.paris]\nzone = \"Europe/Paris\"\nmonday = \"08:00-18:00\"\nholidays = [\"2026-12-25\"]\n\
             [[sla.targets]]\nkind = \"incident\"\npriority = [3, 4]\nown = \"1h\"\nresolve = \"2bd\"\ncalendar = \"paris\"\n",
        )
        .expect("config");
        let t = &c.policy.targets[&(Kind::Incident, 3)];
        assert_eq!(
            t.resolve,
            Some(chrono::Duration::hours(20)),
            "a business day of paris is 10 h"
        );
        assert_eq!(t.calendar, "paris");
        assert_eq!(
            c.policy.targets[&(Kind::Request, 3)].calendar,
            sla::BUSINESS,
            "requests keep theirs"
        );
        assert_eq!(c.command, Some(vec!["page".to_string(), "--now".to_string()]));
        assert_eq!(c.timeout, std::time::Duration::from_secs(3));
        assert_ne!(c.policy.fingerprint(), Policy::default().fingerprint());
    }

    #[test]
    fn each_mistake_names_the_line_and_what_is_wrong() {
        let cases = [
            (
                "[[sla.targets]]\npriority = 3\nresolve = \"3 days\"\n",
                4,
                "`3 days` is not a time span",
            ),
            (
                "[[sla.targets]]\npriority = 9\nresolve = \"3h\"\n",
                3,
                "priority 9 is not between 1 and 5",
            ),
            ("[[sla.targets]]\npriority = 1\n", 2, "give `own`, `resolve` or both"),
            (
                "[[sla.targets]]\npriority = 1\nown = \"1h\"\ncalendar = \"moon\"\n",
                5,
                "no calendar `moon`",
            ),
            (
                "[sla.calendars.x]\nzone = \"Mars/Base\"\nmonday = \"09:00-17:00\"\n",
                3,
                "not a time zone",
            ),
            (
                "[sla.calendars.x]\nzone = \"UTC\"\nmonday = \"17:00-09:00\"\n",
                4,
                "opening must come before closing",
            ),
            ("[sla.calendars.x]\nzone = \"UTC\"\n", 2, "no weekday has opening hours"),
            (
                "[sla.calendars.x]\nzone = \"UTC\"\nmonday = \"09:00-17:00\"\nholidays = [\"xmas\"]\n",
                5,
                "holiday `xmas`",
            ),
            (
                "[sla.calendars.24x7]\nzone = \"UTC\"\nmonday = \"09:00-17:00\"\n",
                2,
                "is built in",
            ),
            ("[sla]\ncommand = []\n", 2, "give the program first"),
            ("[sla]\ntimeout = 0\n", 2, "seconds between 1 and 3600"),
        ];
        for (text, line, message) in cases {
            let e = build(&format!("[sla]\n{}", text.trim_start_matches("[sla]\n"))).expect_err(text);
            assert!(e.message.contains(message), "{text}: {e}");
            assert!(e.message.starts_with("key `sla."), "the key is named: {e}");
            assert_eq!(e.line, line, "{text}: {e}");
        }
    }
}
