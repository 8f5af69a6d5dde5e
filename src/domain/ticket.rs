//! Tickets: the four kinds, their ids, and the fields every ticket carries.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The four kinds of ticket of ITIL.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Incident,
    Request,
    Problem,
    Change,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Incident, Kind::Request, Kind::Problem, Kind::Change];

    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Incident => "INC",
            Kind::Request => "REQ",
            Kind::Problem => "PRB",
            Kind::Change => "CHG",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Incident => "incident",
            Kind::Request => "request",
            Kind::Problem => "problem",
            Kind::Change => "change",
        }
    }

    pub fn from_prefix(prefix: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.prefix().eq_ignore_ascii_case(prefix))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ticket kind `{0}`: expected incident, request, problem or change")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;
    /// Accepts the name (`incident`), the prefix (`inc`) and common plurals, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let t = t.strip_suffix('s').unwrap_or(&t);
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == t || k.prefix().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// `INC-42`: a kind and a number counted per kind from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId {
    pub kind: Kind,
    pub number: u64,
}

impl TicketId {
    pub fn new(kind: Kind, number: u64) -> Self {
        TicketId { kind, number }
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.prefix(), self.number)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a ticket id: expected INC-n, REQ-n, PRB-n or CHG-n")]
pub struct BadTicketId(pub String);

impl FromStr for TicketId {
    type Err = BadTicketId;
    /// Case-insensitive: `inc-7`, `INC-7` and `Inc-7` are the same ticket.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadTicketId(s.to_string());
        let (prefix, number) = s.trim().split_once('-').ok_or_else(bad)?;
        let kind = Kind::from_prefix(prefix).ok_or_else(bad)?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let number: u64 = number.parse().map_err(|_| bad())?;
        if number == 0 {
            return Err(bad());
        }
        Ok(TicketId { kind, number })
    }
}

impl Serialize for TicketId {
    /// As it is shown (`INC-42`), written without the formatting machinery: a long listing
    /// writes one per ticket.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut text = [0u8; 24];
        text[..3].copy_from_slice(self.kind.prefix().as_bytes());
        text[3] = b'-';
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(self.number).as_bytes();
        text[4..4 + digits.len()].copy_from_slice(digits);
        s.serialize_str(std::str::from_utf8(&text[..4 + digits.len()]).unwrap_or_default())
    }
}

impl<'de> Deserialize<'de> for TicketId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The type of a change, which selects its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeType {
    Standard,
    Normal,
    Emergency,
}

impl ChangeType {
    pub const ALL: [ChangeType; 3] = [ChangeType::Standard, ChangeType::Normal, ChangeType::Emergency];
    pub fn name(self) -> &'static str {
        match self {
            ChangeType::Standard => "standard",
            ChangeType::Normal => "normal",
            ChangeType::Emergency => "emergency",
        }
    }
}

impl fmt::Display for ChangeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ChangeType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChangeType::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown change type `{s}`: expected standard, normal or emergency"))
    }
}

/// What a field holds, which decides how a value typed for it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Free text that may span lines (description, notes, plans).
    LongText,
    /// 1 high, 2 medium, 3 low.
    Level,
    /// The name of an operator of the desk.
    Operator,
    /// One of the values listed for this field in the lifecycle file.
    Enum,
    /// A point in time.
    Time,
}

/// A field that a ticket may carry, beyond its id, kind and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    /// `None`: every kind; otherwise only these kinds carry it.
    pub kinds: Option<&'static [Kind]>,
    /// Whether `edit` may set it; the others change only through transitions or derivation.
    pub editable: bool,
}

const CHANGE: &[Kind] = &[Kind::Change];
const PROBLEM: &[Kind] = &[Kind::Problem];
const WORKED: &[Kind] = &[Kind::Incident, Kind::Request];
const RESOLVABLE: &[Kind] = &[Kind::Incident, Kind::Request, Kind::Problem];

const fn spec(name: &'static str, ty: FieldType, kinds: Option<&'static [Kind]>, editable: bool) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        kinds,
        editable,
    }
}

/// Every field of ITIL.md, in the order `show` lists them.
pub const FIELDS: &[FieldSpec] = &[
    spec("title", FieldType::Text, None, true),
    spec("description", FieldType::LongText, None, true),
    spec("impact", FieldType::Level, None, true),
    spec("urgency", FieldType::Level, None, true),
    spec("priority", FieldType::Level, None, false),
    spec("requester", FieldType::Text, None, true),
    spec("assignee", FieldType::Operator, None, false),
    spec("team", FieldType::Text, None, true),
    spec("category", FieldType::Text, None, true),
    spec("pending_reason", FieldType::Enum, Some(WORKED), false),
    spec("resolution_code", FieldType::Enum, Some(WORKED), false),
    spec("resolution_note", FieldType::LongText, Some(RESOLVABLE), false),
    spec("root_cause", FieldType::LongText, Some(PROBLEM), true),
    spec("workaround", FieldType::LongText, Some(PROBLEM), true),
    spec("change_type", FieldType::Enum, Some(CHANGE), false),
    spec("risk", FieldType::Enum, Some(CHANGE), true),
    spec("implementation_plan", FieldType::LongText, Some(CHANGE), true),
    spec("backout_plan", FieldType::LongText, Some(CHANGE), true),
    spec("planned_start", FieldType::Time, Some(CHANGE), true),
    spec("planned_end", FieldType::Time, Some(CHANGE), true),
    spec("actual_start", FieldType::Time, Some(CHANGE), false),
    spec("actual_end", FieldType::Time, Some(CHANGE), false),
    spec("close_code", FieldType::Enum, Some(CHANGE), false),
    spec("review_note", FieldType::LongText, Some(CHANGE), false),
];

/// The pseudo-field a transition may require: a note recorded on the transition's event.
pub const NOTE: &str = "note";

pub fn field_spec(name: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.name == name)
}

impl FieldSpec {
    pub fn applies_to(&self, kind: Kind) -> bool {
        self.kinds.is_none_or(|ks| ks.contains(&kind))
    }
}

/// The current state of one ticket. The timeline lives beside it, in events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub id: TicketId,
    pub kind: Kind,
    pub state: String,
    pub title: String,
    pub description: String,
    pub impact: u8,
    pub urgency: u8,
    pub priority: u8,
    pub requester: String,
    pub assignee: Option<String>,
    /// Every other field of [`FIELDS`] that has a value, by name.
    pub fields: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Counts the writes this ticket has taken; a write names the version it read.
    pub version: i64,
}

impl Ticket {
    /// The value of a field by name, as text; `None` when it is empty.
    pub fn get(&self, name: &str) -> Option<String> {
        match name {
            "title" => Some(self.title.clone()),
            "description" => non_empty(&self.description),
            "impact" => Some(self.impact.to_string()),
            "urgency" => Some(self.urgency.to_string()),
            "priority" => Some(self.priority.to_string()),
            "requester" => non_empty(&self.requester),
            "assignee" => self.assignee.clone(),
            "state" => Some(self.state.clone()),
            other => self.fields.get(other).cloned(),
        }
    }

    /// Sets a field by name from a value already checked by [`crate::domain::lifecycle`];
    /// `None` or an empty string clears it.
    pub(crate) fn put(&mut self, name: &str, value: Option<String>) {
        let value = value.filter(|v| !v.is_empty());
        match name {
            "title" => self.title = value.unwrap_or_default(),
            "description" => self.description = value.unwrap_or_default(),
            "impact" => self.impact = value.and_then(|v| v.parse().ok()).unwrap_or(self.impact),
            "urgency" => self.urgency = value.and_then(|v| v.parse().ok()).unwrap_or(self.urgency),
            "priority" => self.priority = value.and_then(|v| v.parse().ok()).unwrap_or(self.priority),
            "requester" => self.requester = value.unwrap_or_default(),
            "assignee" => self.assignee = value,
            "state" => self.state = value.unwrap_or_default(),
            other => match value {
                Some(v) => {
                    self.fields.insert(other.to_string(), v);
                }
                None => {
                    self.fields.remove(other);
                }
            },
        }
    }

    pub fn change_type(&self) -> Option<ChangeType> {
        self.fields.get("change_type").and_then(|t| t.parse().ok())
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_with_their_prefix() {
        assert_eq!(TicketId::new(Kind::Incident, 1).to_string(), "INC-1");
        assert_eq!(TicketId::new(Kind::Request, 12).to_string(), "REQ-12");
        assert_eq!(TicketId::new(Kind::Problem, 3).to_string(), "PRB-3");
        assert_eq!(TicketId::new(Kind::Change, 40).to_string(), "CHG-40");
    }

    #[test]
    fn ids_parse_in_any_case() {
        for s in ["INC-7", "inc-7", "Inc-7", " iNc-7 "] {
            assert_eq!(s.parse::<TicketId>(), Ok(TicketId::new(Kind::Incident, 7)));
        }
        assert_eq!("chg-3".parse::<TicketId>(), Ok(TicketId::new(Kind::Change, 3)));
    }

    #[test]
    fn malformed_ids_are_refused() {
        for s in [
            "", "INC", "INC-", "INC-0", "INC-x", "FOO-1", "INC-1-2", "INC--1", "7", "INC-+1",
        ] {
            assert!(s.parse::<TicketId>().is_err(), "{s:?} parsed");
        }
        assert_eq!(
            "FOO-1".parse::<TicketId>().unwrap_err().to_string(),
            "`FOO-1` is not a ticket id: expected INC-n, REQ-n, PRB-n or CHG-n"
        );
    }

    #[test]
    fn kinds_parse_from_names_prefixes_and_plurals() {
        assert_eq!("incident".parse(), Ok(Kind::Incident));
        assert_eq!("Requests".parse(), Ok(Kind::Request));
        assert_eq!("PRB".parse(), Ok(Kind::Problem));
        assert_eq!("chg".parse(), Ok(Kind::Change));
        assert!("ticket".parse::<Kind>().is_err());
    }

    #[test]
    fn every_field_name_is_unique_and_only_kind_fields_are_limited() {
        let mut names: Vec<_> = FIELDS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len());
        assert!(field_spec("risk").is_some_and(|f| f.applies_to(Kind::Change)));
        assert!(field_spec("risk").is_some_and(|f| !f.applies_to(Kind::Incident)));
        assert!(field_spec("title").is_some_and(|f| f.applies_to(Kind::Problem)));
    }
}
