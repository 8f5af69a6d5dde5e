//! Mapping files: how another tool's CSV or JSON lines become opsdesk tickets. The format is
//! documented in `assets/mappings/README.md`; everything in a mapping is checked before a
//! single row is read, and a mistake names the file and the key.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::Deserialize;

use crate::domain::lifecycle::Lifecycles;
use crate::domain::ticket::{FieldType, Kind, field_spec};

/// A mistake in a mapping file, naming the file and the key.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct MappingError {
    pub file: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMapping {
    source: String,
    kind: String,
    format: Option<String>,
    key: String,
    #[serde(default)]
    event_log: bool,
    order: Option<FileOrder>,
    history: Option<String>,
    #[serde(default)]
    missing: Vec<String>,
    #[serde(default)]
    time: FileTime,
    #[serde(default)]
    people: FilePeople,
    #[serde(default)]
    fields: BTreeMap<String, FileField>,
    cis: Option<FileField>,
    ci_class: Option<FileField>,
    #[serde(default)]
    relations: Vec<cis::FileRelation>,
    note: Option<FileField>,
}

/// `order = "column"` (whole numbers) or `order = { time = "column" }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileOrder {
    Number(String),
    Time { time: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTime {
    #[serde(default)]
    formats: Vec<String>,
    zone: Option<String>,
    at: Option<String>,
    created: Option<String>,
    resolved: Option<String>,
    closed: Option<String>,
    /// Transition name → the column with when that move happened.
    #[serde(default)]
    moves: BTreeMap<String, String>,
    zero_window: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePeople {
    #[serde(default)]
    create: bool,
    actor: Option<String>,
    opener: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileField {
    Column(String),
    Spec(FileFieldSpec),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFieldSpec {
    column: Option<String>,
    columns: Option<Vec<String>>,
    template: Option<String>,
    value: Option<String>,
    values: Option<BTreeMap<String, String>>,
    default: Option<String>,
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A column (its slot in a row).
    Column(usize),
    /// The first of these columns that has a value.
    Columns(Vec<usize>),
    /// Text with `{column}` placeholders.
    Template(Vec<Piece>),
    /// The same value for every row.
    Fixed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Slot(usize),
}

/// One value the mapping produces for each row.
#[derive(Debug, Clone)]
pub struct Value {
    /// The mapping key it was declared under, for messages (`fields.state`).
    pub name: String,
    pub source: Source,
    /// Source values and what they become; a value not listed is refused.
    pub values: Option<BTreeMap<String, String>>,
    pub default: Option<String>,
    /// Turns a person's name into an operator name (`Resolver 17` → `resolver-17`).
    pub person: bool,
}

/// Why a row's value cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    pub name: String,
    pub value: String,
    pub known: Vec<String>,
}

impl std::fmt::Display for Unmapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} `{}` is not one of the mapped values ({})",
            self.name,
            self.value,
            self.known.join(", ")
        )
    }
}

impl Value {
    /// The value for a row whose cells are `cells` (`None`: missing).
    pub fn get(&self, cells: &[Option<String>]) -> Result<Option<String>, Unmapped> {
        let raw: Option<std::borrow::Cow<'_, str>> = match &self.source {
            Source::Column(slot) => cells.get(*slot).and_then(Option::as_deref).map(Into::into),
            Source::Columns(slots) => slots
                .iter()
                .find_map(|s| cells.get(*s).and_then(Option::as_deref))
                .map(Into::into),
            Source::Fixed(v) => Some(v.as_str().into()),
            Source::Template(pieces) => render(pieces, cells).map(Into::into),
        };
        let mapped = match (raw, &self.values) {
            (None, _) => None,
            (Some(v), None) => Some(v.into_owned()),
            (Some(v), Some(table)) => match table.get(v.trim()) {
                Some(to) => Some(to.clone()),
                None => {
                    return Err(Unmapped {
                        name: self.name.clone(),
                        value: v.into_owned(),
                        known: table.keys().cloned().collect(),
                    });
                }
            },
        };
        let mapped = mapped.filter(|v| !v.trim().is_empty()).or_else(|| self.default.clone());
        Ok(if self.person {
            mapped.and_then(|v| person_name(&v))
        } else {
            mapped
        })
    }
}

/// Fills a template. A missing column leaves out its value and the text that led up to it,
/// so `{a}: {b} / {c}` without `b` reads `A / C`, and without `a` reads `B / C`. `None` when
/// every column is missing.
fn render(pieces: &[Piece], cells: &[Option<String>]) -> Option<String> {
    let mut out = String::new();
    // The text since the last column: before the first column it is a label, kept whole;
    // between columns it leads up to the next value and goes only where one came before.
    let mut text = String::new();
    let (mut first, mut any, mut last_present) = (true, false, false);
    for p in pieces {
        match p {
            Piece::Text(t) => text.push_str(t),
            Piece::Slot(s) => {
                let v = cells.get(*s).and_then(Option::as_deref);
                if first || (any && v.is_some()) {
                    out.push_str(&text);
                }
                if let Some(v) = v {
                    out.push_str(v);
                    any = true;
                }
                (first, last_present) = (false, v.is_some());
                text.clear();
            }
        }
    }
    if last_present {
        out.push_str(&text);
    }
    any.then_some(out)
}

/// A person's name as an operator name: lower case, runs of anything but letters, digits,
/// `.`, `_` and `@` become one `-`. `None` when nothing is left.
pub fn person_name(s: &str) -> Option<String> {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_alphanumeric() || matches!(c, '.' | '_' | '@') {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let out: String = out.chars().take(64).collect();
    (!out.is_empty()).then_some(out)
}

/// File formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

/// A checked mapping, with every column it reads given a slot.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub source: String,
    pub kind: Kind,
    pub format: Option<Format>,
    /// The columns read, by slot.
    pub columns: Vec<String>,
    pub key: usize,
    pub event_log: bool,
    /// The column an event log's rows are replayed in the order of.
    pub order: Option<usize>,
    /// Whether `order` holds times (else whole numbers).
    pub order_by_time: bool,
    /// Moves the lifecycle refuses: replayed as the source recorded them, or not taken.
    pub history: History,
    pub missing: Vec<String>,
    pub formats: Vec<String>,
    /// `formats`, parsed once.
    items: Vec<Vec<chrono::format::Item<'static>>>,
    pub zone: Tz,
    pub at: Option<usize>,
    pub created: Option<usize>,
    pub resolved: Option<usize>,
    pub closed: Option<usize>,
    /// When a move of this name happened, by transition name.
    pub move_times: BTreeMap<String, usize>,
    /// How long a planned window that ends as it starts is read as (`None`: refused).
    pub zero_window: Option<chrono::Duration>,
    pub create_people: bool,
    pub actor: Option<Value>,
    pub opener: Option<Value>,
    /// `state` and ticket fields, by our field name.
    pub fields: BTreeMap<String, Value>,
    pub cis: Option<Value>,
    /// The class of a CI the desk does not have yet (a fixed class, or from a column).
    pub ci_class: Value,
    pub relations: Vec<cis::RelationMap>,
    pub note: Option<Value>,
}

/// What an import does with history the desk's lifecycle would not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// Every row through the lifecycle's moves; a row they refuse is not taken.
    Rules,
    /// A state the moves cannot reach (a reopen after closing, a role the file's people do
    /// not hold) is set as the source recorded it, with an `imported` move in the timeline.
    AsRecorded,
}

impl Mapping {
    /// Reads and checks a mapping file's text. `file` names it in messages.
    pub fn parse(text: &str, file: &str, lifecycles: &Lifecycles) -> Result<Mapping, MappingError> {
        let err = |message: String| MappingError {
            file: file.to_string(),
            message,
        };
        let raw: FileMapping = toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        let kind: Kind = raw.kind.parse().map_err(|_| {
            err(format!(
                "kind: `{}` is not incident, request, problem or change",
                raw.kind
            ))
        })?;
        let mut columns: Vec<String> = Vec::new();
        let mut slot = |name: &str| -> usize {
            if let Some(i) = columns.iter().position(|c| c == name) {
                i
            } else {
                columns.push(name.to_string());
                columns.len() - 1
            }
        };
        let key = slot(&raw.key);
        let (order, order_by_time) = match &raw.order {
            None => (None, false),
            Some(FileOrder::Number(c)) => (Some(slot(c)), false),
            Some(FileOrder::Time { time }) => (Some(slot(time)), true),
        };
        let history = match raw.history.as_deref() {
            None | Some("rules") => History::Rules,
            Some("as-recorded") => History::AsRecorded,
            Some(other) => {
                return Err(err(format!(
                    "history: `{other}` is not \"rules\" (the lifecycle's moves only) or \"as-recorded\""
                )));
            }
        };
        let format = match raw.format.as_deref() {
            None => None,
            Some("csv") => Some(Format::Csv),
            Some("jsonl") | Some("json") => Some(Format::Jsonl),
            Some(other) => return Err(err(format!("format: `{other}` is not csv or jsonl"))),
        };
        let zone: Tz = match raw.time.zone.as_deref() {
            None => Tz::UTC,
            Some(z) => z.parse().map_err(|_| {
                err(format!(
                    "time.zone: `{z}` is not a time zone name such as Europe/Berlin"
                ))
            })?,
        };
        let items = time::parse_formats(&raw.time.formats).map_err(err)?;
        let at = raw.time.at.as_deref().map(&mut slot);
        let created = raw.time.created.as_deref().map(&mut slot);
        let resolved = raw.time.resolved.as_deref().map(&mut slot);
        let closed = raw.time.closed.as_deref().map(&mut slot);
        let mut move_times = BTreeMap::new();
        for (name, column) in &raw.time.moves {
            if !lifecycles.get(kind).transitions.iter().any(|t| &t.name == name) {
                return Err(err(format!(
                    "time.moves.{name}: the {kind} lifecycle has no move `{name}`"
                )));
            }
            move_times.insert(name.clone(), slot(column));
        }
        let zero_window = raw
            .time
            .zero_window
            .as_deref()
            .map(|z| {
                crate::domain::sla::parse_span(z, chrono::Duration::days(1))
                    .map_err(|m| err(format!("time.zero_window: {m}")))
            })
            .transpose()?;
        if raw.event_log && at.is_none() {
            return Err(err(
                "event_log = true needs time.at: the column telling when each update happened".into(),
            ));
        }
        let lifecycle = lifecycles.get(kind);
        let mut value = |name: String, f: FileField, person: bool| -> Result<Value, MappingError> {
            let spec = match f {
                FileField::Column(c) => FileFieldSpec {
                    column: Some(c),
                    columns: None,
                    template: None,
                    value: None,
                    values: None,
                    default: None,
                },
                FileField::Spec(s) => s,
            };
            let source = match (spec.column, spec.columns, spec.template, spec.value) {
                (Some(c), None, None, None) => Source::Column(slot(&c)),
                (None, Some(cs), None, None) if !cs.is_empty() => Source::Columns(cs.iter().map(|c| slot(c)).collect()),
                (None, None, Some(t), None) => {
                    Source::Template(template(&t, &mut slot).map_err(|m| err(format!("{name}: {m}")))?)
                }
                (None, None, None, Some(v)) => Source::Fixed(v),
                _ => {
                    return Err(err(format!(
                        "{name}: give exactly one of column, columns (a non-empty list), template or value"
                    )));
                }
            };
            Ok(Value {
                name,
                source,
                values: spec.values,
                default: spec.default,
                person,
            })
        };
        let actor = raw
            .people
            .actor
            .map(|c| value("people.actor".into(), FileField::Column(c), true))
            .transpose()?;
        let opener = raw
            .people
            .opener
            .map(|c| value("people.opener".into(), FileField::Column(c), true))
            .transpose()?;
        let mut fields = BTreeMap::new();
        for (name, f) in raw.fields {
            let label = format!("fields.{name}");
            let spec = field_spec(&name);
            if name != "state" {
                match spec {
                    None => return Err(err(format!("{label}: `{name}` is not a field of opsdesk tickets"))),
                    Some(s) if !s.applies_to(kind) => {
                        return Err(err(format!("{label}: a {kind} has no field `{name}`")));
                    }
                    Some(_) => {}
                }
            }
            let person = spec.is_some_and(|s| s.ty == FieldType::Operator);
            let v = value(label.clone(), f, person)?;
            // Every value the table maps to must be one opsdesk takes.
            let targets: Vec<&String> = v
                .values
                .iter()
                .flat_map(|t| t.values())
                .chain(v.default.iter())
                .chain(match &v.source {
                    Source::Fixed(f) => Some(f),
                    _ => None,
                })
                .filter(|t| !t.is_empty())
                .collect();
            for t in targets {
                let fine = match (name.as_str(), spec.map(|s| s.ty)) {
                    ("state", _) => lifecycle.has_state(t),
                    ("priority", _) => matches!(t.as_str(), "1" | "2" | "3" | "4" | "5"),
                    (_, Some(FieldType::Level)) => matches!(t.as_str(), "1" | "2" | "3"),
                    (_, Some(FieldType::Enum)) => lifecycles.values(&name).is_some_and(|vs| vs.contains(t)),
                    _ => true,
                };
                if !fine {
                    let expected = match (name.as_str(), spec.map(|s| s.ty)) {
                        ("state", _) => format!("a state of {kind}: {}", lifecycle.states.join(", ")),
                        ("priority", _) => "1 to 5".to_string(),
                        (_, Some(FieldType::Level)) => "1, 2 or 3".to_string(),
                        _ => lifecycles.values(&name).unwrap_or(&[]).join(", "),
                    };
                    return Err(err(format!("{label}: `{t}` is not {expected}")));
                }
            }
            if name == "priority" && v.values.is_none() {
                return Err(err(format!(
                    "{label}: map the source's priorities to 1-5 with `values`, or leave priority to impact × urgency"
                )));
            }
            fields.insert(name, v);
        }
        if !fields.contains_key("title") {
            return Err(err(
                "fields.title is missing: every ticket needs a title (a column, or a template such as \"{category}: {short_description}\")".into(),
            ));
        }
        let cis = raw.cis.map(|f| value("cis".into(), f, false)).transpose()?;
        let note = raw.note.map(|f| value("note".into(), f, false)).transpose()?;
        // A bare `ci_class = "server"` is the class itself, not a column.
        let ci_class = match raw.ci_class {
            None => FileField::Spec(cis::fixed("application")),
            Some(FileField::Column(c)) => FileField::Spec(cis::fixed(&c)),
            Some(spec) => spec,
        };
        let ci_class = value("ci_class".into(), ci_class, false)?;
        cis::check_classes(&ci_class).map_err(err)?;
        let mut relations = Vec::new();
        for (i, r) in raw.relations.into_iter().enumerate() {
            let label = format!("relations[{i}]");
            let relation = r.relation.parse().map_err(|m| err(format!("{label}.relation: {m}")))?;
            let from = r.from.map(|f| value(format!("{label}.from"), f, false)).transpose()?;
            if from.is_none() && cis.is_none() {
                return Err(err(format!(
                    "{label}: without `from`, a relation starts at the row's CI, and the mapping has no `cis`"
                )));
            }
            let to = value(format!("{label}.to"), r.to, false)?;
            let class = r
                .class
                .map(|f| match f {
                    FileField::Column(c) => FileField::Spec(cis::fixed(&c)),
                    spec => spec,
                })
                .map(|f| value(format!("{label}.class"), f, false))
                .transpose()?;
            if let Some(c) = &class {
                cis::check_classes(c).map_err(err)?;
            }
            relations.push(cis::RelationMap {
                relation,
                from,
                to,
                class,
            });
        }
        Ok(Mapping {
            source: raw.source,
            kind,
            format,
            columns,
            key,
            event_log: raw.event_log,
            order,
            order_by_time,
            history,
            missing: raw.missing,
            items,
            formats: raw.time.formats,
            zone,
            at,
            created,
            resolved,
            closed,
            move_times,
            zero_window,
            create_people: raw.people.create,
            actor,
            opener,
            fields,
            cis,
            ci_class,
            relations,
            note,
        })
    }
}

/// Splits `"{a} / {b}"` into pieces; `{{` and `}}` are literal braces.
fn template(t: &str, slot: &mut impl FnMut(&str) -> usize) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(format!("template `{t}` has a `{{` that is not closed")),
                    }
                }
                if name.trim().is_empty() {
                    return Err(format!("template `{t}` has an empty `{{}}`"));
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Slot(slot(name.trim())));
            }
            '}' => return Err(format!("template `{t}` has a `}}` that opens nothing (write `}}}}`)")),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

mod cis;
mod roles;
#[cfg(test)]
mod tests;
mod time;

pub use cis::RelationMap;
pub use roles::{NeededRole, lacking};
pub use time::TimeError;
