//! The `[sla]` section of the desk's policy: business calendars and targets.
//!
//! ```toml
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

use super::PolicyError;
use crate::domain::Kind;
use crate::domain::sla::{self, Hours, Policy, Target};
use crate::tomlfile::line_of;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSla {
    #[serde(default)]
    calendars: BTreeMap<String, Spanned<RawCalendar>>,
    #[serde(default)]
    targets: Vec<Spanned<RawTarget>>,
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
    pub(super) fn build(self, file: &str, source: &str) -> Result<Policy, PolicyError> {
        let at = |span: std::ops::Range<usize>, message: String| PolicyError {
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
                PolicyError {
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
            let here = |key: &str, m: String| PolicyError {
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
            let span_of = |key: &str, v: Option<String>| -> Result<Option<chrono::Duration>, PolicyError> {
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
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(text: &str) -> Result<Policy, PolicyError> {
        #[derive(Deserialize)]
        struct Wrap {
            sla: RawSla,
        }
        let w: Wrap = toml::from_str(text).map_err(|e| PolicyError {
            file: "policy.toml".into(),
            line: 0,
            message: e.to_string(),
        })?;
        w.sla.build("policy.toml", text)
    }

    #[test]
    fn calendars_and_targets_replace_the_defaults_they_name() {
        let c = build(
            "[sla.calendars.paris]\nzone = \"Europe/Paris\"\nmonday = \"08:00-18:00\"\nholidays = [\"2026-12-25\"]\n\
             [[sla.targets]]\nkind = \"incident\"\npriority = [3, 4]\nown = \"1h\"\nresolve = \"2bd\"\ncalendar = \"paris\"\n",
        )
        .expect("config");
        let t = &c.targets[&(Kind::Incident, 3)];
        assert_eq!(
            t.resolve,
            Some(chrono::Duration::hours(20)),
            "a business day of paris is 10 h"
        );
        assert_eq!(t.calendar, "paris");
        assert_eq!(
            c.targets[&(Kind::Request, 3)].calendar,
            sla::BUSINESS,
            "requests keep theirs"
        );
        assert_ne!(c.fingerprint(), Policy::default().fingerprint());
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
        ];
        for (text, line, message) in cases {
            let e = build(&format!("[sla]\n{}", text.trim_start_matches("[sla]\n"))).expect_err(text);
            assert!(e.message.contains(message), "{text}: {e}");
            assert!(e.message.starts_with("key `sla."), "the key is named: {e}");
            assert_eq!(e.line, line, "{text}: {e}");
        }
    }
}
