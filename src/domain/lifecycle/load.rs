//! Reading and checking a lifecycle file; every mistake is reported with file and line.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use super::{FreezeRule, Lifecycle, Lifecycles, Transition, Value};
use crate::domain::operator::Role;
use crate::domain::ticket::{ChangeType, FieldType, Kind, NOTE, field_spec};

/// A lifecycle file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LifecycleError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// A lifecycle file as written, before it is checked; also the `[lifecycles]` section of the
/// desk's policy (spans are offsets into whichever document it was read from).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    #[serde(default)]
    fields: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    incident: Option<Spanned<RawLifecycle>>,
    request: Option<Spanned<RawLifecycle>>,
    problem: Option<Spanned<RawLifecycle>>,
    change: Option<Spanned<RawLifecycle>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLifecycle {
    states: Spanned<Vec<Spanned<String>>>,
    #[serde(rename = "final", default)]
    final_states: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    resolved: Vec<Spanned<String>>,
    #[serde(default)]
    paused: Vec<Spanned<String>>,
    types: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    transition: Vec<RawTransition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    name: Spanned<String>,
    from: Spanned<Vec<Spanned<String>>>,
    to: Spanned<String>,
    #[serde(default)]
    requires: Vec<Spanned<String>>,
    role: Option<Spanned<String>>,
    #[serde(default)]
    not_requester: bool,
    #[serde(default)]
    needs_ci: bool,
    freeze: Option<Spanned<String>>,
    types: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    defaults: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    fill: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    set: BTreeMap<String, Spanned<String>>,
}

/// Checks that a state named in a transition or list is one of the lifecycle's states.
type KnownState<'a> = dyn Fn(&Spanned<String>, &str) -> Result<(), LifecycleError> + 'a;

struct Checker<'a> {
    file: &'a str,
    source: &'a str,
}

impl Checker<'_> {
    fn line(&self, offset: usize) -> usize {
        crate::tomlfile::line_of(self.source, offset)
    }
    fn err<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, LifecycleError> {
        Err(LifecycleError {
            file: self.file.to_string(),
            line: self.line(offset),
            message: message.into(),
        })
    }
}

impl Lifecycles {
    /// Parses and checks a lifecycle file. `file` names it in errors.
    pub fn load(source: &str, file: &str) -> Result<Lifecycles, LifecycleError> {
        let raw: RawFile = match toml::from_str(source) {
            Ok(r) => r,
            Err(e) => {
                let (line, message) = crate::tomlfile::describe(source, &e);
                return Err(LifecycleError {
                    file: file.to_string(),
                    line,
                    message,
                });
            }
        };
        Lifecycles::from_raw(raw, source, file)
    }

    /// Checks lifecycles read from `source` (a lifecycle file, or a policy holding them).
    pub(crate) fn from_raw(raw: RawFile, source: &str, file: &str) -> Result<Lifecycles, LifecycleError> {
        let ck = Checker { file, source };
        let mut enums = BTreeMap::new();
        for (name, values) in raw.fields {
            match field_spec(&name) {
                Some(f) if f.ty == FieldType::Enum && name != "change_type" => {}
                _ => {
                    return ck.err(
                        values.span().start,
                        format!(
                            "`{name}` is not an enumerated field (pending_reason, resolution_code, risk, close_code)"
                        ),
                    );
                }
            }
            for v in values.get_ref() {
                word(&ck, v, &format!("a value of `{name}`"))?;
            }
            let list: Vec<String> = values.get_ref().iter().map(|v| v.get_ref().clone()).collect();
            if list.is_empty() {
                return ck.err(values.span().start, format!("`{name}` lists no values"));
            }
            if let Some(dup) = first_duplicate(values.get_ref()) {
                return ck.err(
                    dup.span().start,
                    format!("duplicate value `{}` in `{name}`", dup.get_ref()),
                );
            }
            enums.insert(name, list);
        }
        enums.insert(
            "change_type".to_string(),
            ChangeType::ALL.iter().map(|t| t.name().to_string()).collect(),
        );
        let mut kinds = BTreeMap::new();
        let tables = [
            (Kind::Incident, raw.incident),
            (Kind::Request, raw.request),
            (Kind::Problem, raw.problem),
            (Kind::Change, raw.change),
        ];
        for (kind, table) in tables {
            let Some(table) = table else {
                return ck.err(source.len(), format!("no lifecycle for `{kind}`: add a [{kind}] table"));
            };
            let lifecycle = check_lifecycle(&ck, kind, table, &enums)?;
            kinds.insert(kind, lifecycle);
        }
        Ok(Lifecycles { enums, kinds })
    }
}

/// A name the lifecycles give (a state, a transition, a value): what operators type and
/// scripts match on, and what every screen shows, so one word of printable characters.
fn word(ck: &Checker, s: &Spanned<String>, what: &str) -> Result<(), LifecycleError> {
    let v = s.get_ref();
    if v.is_empty() || v.len() > 64 || v.chars().any(|c| c.is_whitespace() || crate::text::is_risky(c)) {
        return ck.err(
            s.span().start,
            format!(
                "`{}` cannot be {what}: use one word of 1-64 printable characters",
                crate::text::inert(v, false)
            ),
        );
    }
    Ok(())
}

fn first_duplicate(list: &[Spanned<String>]) -> Option<&Spanned<String>> {
    let mut seen = BTreeSet::new();
    list.iter().find(|s| !seen.insert(s.get_ref().as_str()))
}

fn names(list: &[Spanned<String>]) -> Vec<String> {
    list.iter().map(|s| s.get_ref().clone()).collect()
}

fn check_lifecycle(
    ck: &Checker,
    kind: Kind,
    table: Spanned<RawLifecycle>,
    enums: &BTreeMap<String, Vec<String>>,
) -> Result<Lifecycle, LifecycleError> {
    let at = table.span().start;
    let raw = table.into_inner();
    for s in raw.states.get_ref() {
        word(ck, s, "a state")?;
    }
    let states = names(raw.states.get_ref());
    if states.is_empty() {
        return ck.err(raw.states.span().start, format!("`{kind}` has no states"));
    }
    if let Some(dup) = first_duplicate(raw.states.get_ref()) {
        return ck.err(
            dup.span().start,
            format!("duplicate state `{}` in `{kind}`", dup.get_ref()),
        );
    }
    let known = |s: &Spanned<String>, what: &str| -> Result<(), LifecycleError> {
        if states.contains(s.get_ref()) {
            Ok(())
        } else {
            ck.err(
                s.span().start,
                format!(
                    "unknown state `{}` in {what} of `{kind}`: the states are {}",
                    s.get_ref(),
                    states.join(", ")
                ),
            )
        }
    };
    let Some(final_list) = raw.final_states.filter(|f| !f.get_ref().is_empty()) else {
        return ck.err(at, format!("`{kind}` has no final state: list at least one in `final`"));
    };
    for s in final_list.get_ref() {
        known(s, "`final`")?;
    }
    for s in raw.resolved.iter() {
        known(s, "`resolved`")?;
    }
    for s in raw.paused.iter() {
        known(s, "`paused`")?;
    }
    let final_states = names(final_list.get_ref());
    let types = match (&raw.types, kind) {
        (None, Kind::Change) => return ck.err(at, "`change` must list its `types` (standard, normal, emergency)"),
        (Some(t), k) if k != Kind::Change => {
            return ck.err(t.span().start, format!("`types` applies to `change` only, not `{k}`"));
        }
        (Some(t), _) => parse_types(ck, t)?,
        (None, _) => Vec::new(),
    };
    let mut transitions: Vec<Transition> = Vec::new();
    for rt in raw.transition {
        let name_at = rt.name.span().start;
        let t = check_transition(ck, kind, rt, &known, &final_states, enums, &transitions)?;
        if let Some(stray) = t.types.iter().flatten().find(|ty| !types.contains(ty)) {
            return ck.err(
                name_at,
                format!(
                    "transition `{}` is for `{stray}` changes, which `types` does not list",
                    t.name
                ),
            );
        }
        transitions.push(t);
    }
    // Every state must be reachable from the first one, or tickets could never get there.
    let mut reached = BTreeSet::from([states[0].as_str()]);
    let mut queue = VecDeque::from([states[0].as_str()]);
    while let Some(s) = queue.pop_front() {
        for t in transitions.iter().filter(|t| t.from.iter().any(|f| f == s)) {
            if reached.insert(t.to.as_str()) {
                queue.push_back(t.to.as_str());
            }
        }
    }
    if let Some(lost) = raw
        .states
        .get_ref()
        .iter()
        .find(|s| !reached.contains(s.get_ref().as_str()))
    {
        return ck.err(
            lost.span().start,
            format!(
                "state `{}` of `{kind}` cannot be reached from `{}`",
                lost.get_ref(),
                states[0]
            ),
        );
    }
    Ok(Lifecycle {
        kind,
        states,
        final_states,
        resolved_states: names(&raw.resolved),
        paused_states: names(&raw.paused),
        transitions,
    })
}

fn parse_types(ck: &Checker, list: &Spanned<Vec<Spanned<String>>>) -> Result<Vec<ChangeType>, LifecycleError> {
    if list.get_ref().is_empty() {
        return ck.err(list.span().start, "`types` is empty");
    }
    list.get_ref()
        .iter()
        .map(|t| match t.get_ref().parse::<ChangeType>() {
            Ok(ct) => Ok(ct),
            Err(e) => ck.err(t.span().start, e),
        })
        .collect()
}

fn check_transition(
    ck: &Checker,
    kind: Kind,
    rt: RawTransition,
    known: &KnownState,
    final_states: &[String],
    enums: &BTreeMap<String, Vec<String>>,
    earlier: &[Transition],
) -> Result<Transition, LifecycleError> {
    word(ck, &rt.name, "a transition")?;
    let name = rt.name.get_ref().clone();
    let at = rt.name.span().start;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return ck.err(at, format!("transition name `{name}` must be snake_case"));
    }
    let what = format!("transition `{name}`");
    if rt.from.get_ref().is_empty() {
        return ck.err(rt.from.span().start, format!("{what} of `{kind}` has no `from` state"));
    }
    for s in rt.from.get_ref() {
        known(s, &what)?;
        if final_states.contains(s.get_ref()) {
            return ck.err(
                s.span().start,
                format!(
                    "{what} of `{kind}` leaves final state `{}`: a final state takes no transition",
                    s.get_ref()
                ),
            );
        }
    }
    known(&rt.to, &what)?;
    let types = match &rt.types {
        Some(t) if kind != Kind::Change => {
            return ck.err(
                t.span().start,
                format!("`types` applies to `change` only, not `{kind}`"),
            );
        }
        Some(t) => Some(parse_types(ck, t)?),
        None => None,
    };
    let overlaps = |other: &Option<Vec<ChangeType>>| match (&types, other) {
        (Some(a), Some(b)) => a.iter().any(|t| b.contains(t)),
        _ => true,
    };
    if earlier.iter().any(|t| t.name == name && overlaps(&t.types)) {
        return ck.err(at, format!("duplicate transition `{name}` in `{kind}`"));
    }
    let field_ok = |f: &Spanned<String>, allow_note: bool| -> Result<(), LifecycleError> {
        let n = f.get_ref();
        if allow_note && n == NOTE {
            return Ok(());
        }
        match field_spec(n) {
            None => ck.err(f.span().start, format!("{what} names unknown field `{n}`")),
            Some(spec) if !spec.applies_to(kind) => ck.err(
                f.span().start,
                format!("{what} names field `{n}`, which a {kind} does not have"),
            ),
            Some(spec) if spec.ty == FieldType::Enum && !enums.contains_key(n) => ck.err(
                f.span().start,
                format!("{what} requires `{n}`, but [fields] lists no values for it"),
            ),
            Some(_) => Ok(()),
        }
    };
    for f in &rt.requires {
        field_ok(f, true)?;
    }
    let role = match &rt.role {
        None => None,
        Some(r) => match r.get_ref().parse::<Role>() {
            Ok(role) => Some(role),
            Err(e) => return ck.err(r.span().start, e),
        },
    };
    let values = |map: BTreeMap<String, Spanned<String>>| -> Result<BTreeMap<String, Value>, LifecycleError> {
        let mut out = BTreeMap::new();
        for (field, v) in map {
            field_ok(&Spanned::new(v.span(), field.clone()), false)?;
            let value = match v.get_ref().as_str() {
                "$actor" => Value::Actor,
                "$now" => Value::Now,
                s if s.starts_with('$') => {
                    return ck.err(
                        v.span().start,
                        format!("unknown value `{s}`: use $actor, $now or a literal"),
                    );
                }
                s => Value::Literal(s.to_string()),
            };
            out.insert(field, value);
        }
        Ok(out)
    };
    let freeze = match rt.freeze.as_ref().map(|f| (f.get_ref().as_str(), f.span().start)) {
        None => FreezeRule::Ignore,
        Some(("refuse", _)) => FreezeRule::Refuse,
        Some(("override", _)) => FreezeRule::Override,
        Some((other, at)) => return ck.err(at, format!("freeze = `{other}`: expected \"refuse\" or \"override\"")),
    };
    if freeze != FreezeRule::Ignore && kind != Kind::Change {
        return ck.err(at, format!("{what} has a freeze rule, which only changes can have"));
    }
    Ok(Transition {
        freeze,
        name,
        from: names(rt.from.get_ref()),
        to: rt.to.get_ref().clone(),
        requires: names(&rt.requires),
        role,
        not_requester: rt.not_requester,
        needs_ci: rt.needs_ci,
        types,
        defaults: values(rt.defaults)?,
        fill: values(rt.fill)?,
        set: values(rt.set)?,
    })
}
