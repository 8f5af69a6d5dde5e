//! The `[notify]` section of the desk's policy: the mail the desk sends by itself, once its
//! mail is set up. Each event names who hears of it and its subject and body, templates in
//! minijinja's language over the ticket's fields; an event left out sends nothing. Nobody is
//! mailed about their own action; several notifications to one address within `digest_after`
//! (a bulk action) go as one digest, and beyond `rate_per_hour` the rest wait and go as one.
//!
//! ```toml
//! [notify]
//! digest_after = "1m"
//! rate_per_hour = 10
//!
//! [notify.resolved]
//! to = ["requester", "watchers"]
//! subject = "[{{ id }}] resolved: {{ title }}"
//! body = """
//! {{ resolution_note }}
//! Answer this message to reopen {{ id }}.
//! """
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::PolicyError;

/// What the desk may tell people of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyEvent {
    /// A ticket was opened (the acknowledgement, with its id).
    Created,
    /// A ticket was assigned to an operator.
    Assigned,
    /// An operator was named as `@name` in a comment or work note.
    Mention,
    /// A ticket was resolved.
    Resolved,
    /// A ticket was closed.
    Closed,
    /// An SLA clock of the ticket passed its target.
    Breach,
}

impl NotifyEvent {
    pub const ALL: [NotifyEvent; 6] = [
        NotifyEvent::Created,
        NotifyEvent::Assigned,
        NotifyEvent::Mention,
        NotifyEvent::Resolved,
        NotifyEvent::Closed,
        NotifyEvent::Breach,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NotifyEvent::Created => "created",
            NotifyEvent::Assigned => "assigned",
            NotifyEvent::Mention => "mention",
            NotifyEvent::Resolved => "resolved",
            NotifyEvent::Closed => "closed",
            NotifyEvent::Breach => "breach",
        }
    }

    pub fn parse(s: &str) -> Option<NotifyEvent> {
        NotifyEvent::ALL.into_iter().find(|e| e.name() == s.trim())
    }
}

/// Who hears of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Requester,
    Watchers,
    Assignee,
    /// The operators a comment names as `@name`.
    Mentioned,
    /// The address `[notify.teams]` gives the ticket's team (nobody for a ticket with no
    /// team, or a team it does not name).
    Team,
    /// A fixed address (a team's list).
    Address(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    digest_after: Option<Spanned<String>>,
    rate_per_hour: Option<Spanned<u32>>,
    created: Option<Spanned<RawRule>>,
    assigned: Option<Spanned<RawRule>>,
    mention: Option<Spanned<RawRule>>,
    resolved: Option<Spanned<RawRule>>,
    closed: Option<Spanned<RawRule>>,
    breach: Option<Spanned<RawRule>>,
    teams: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    to: Vec<String>,
    subject: Spanned<String>,
    body: Spanned<String>,
}

/// One event's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyRule {
    pub to: Vec<Audience>,
    pub subject: String,
    pub body: String,
}

/// The notification rules, with their templates compiled once.
#[derive(Clone)]
pub struct NotifyRules {
    pub rules: BTreeMap<NotifyEvent, NotifyRule>,
    /// How long a notification waits before it goes, so that those to one address in that
    /// time go as one digest.
    pub digest_after: chrono::Duration,
    /// The most notifications one address is sent in an hour.
    pub rate_per_hour: u32,
    /// Each team's address (the team's name in lower case), for `to = ["team"]`.
    pub teams: BTreeMap<String, String>,
    templates: Arc<minijinja::Environment<'static>>,
}

impl PartialEq for NotifyRules {
    fn eq(&self, other: &Self) -> bool {
        self.rules == other.rules
            && self.digest_after == other.digest_after
            && self.rate_per_hour == other.rate_per_hour
            && self.teams == other.teams
    }
}
impl Eq for NotifyRules {}

impl std::fmt::Debug for NotifyRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyRules")
            .field("rules", &self.rules)
            .field("digest_after", &self.digest_after)
            .field("rate_per_hour", &self.rate_per_hour)
            .field("teams", &self.teams)
            .finish()
    }
}

impl Default for NotifyRules {
    fn default() -> Self {
        NotifyRules {
            rules: BTreeMap::new(),
            digest_after: chrono::Duration::minutes(1),
            rate_per_hour: 10,
            teams: BTreeMap::new(),
            templates: Arc::new(environment()),
        }
    }
}

/// The most work one template may do (minijinja's fuel): a loop that never ends is stopped.
const FUEL: u64 = 100_000;

/// The largest template read.
const MAX_TEMPLATE: usize = 64 * 1024;

fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env
}

/// The fields a template sees, for a ticket: what `notify preview` renders and what the
/// policy's templates are checked against when it is applied.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TemplateTicket {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub state: String,
    pub priority: u8,
    pub impact: u8,
    pub urgency: u8,
    pub requester: String,
    pub assignee: Option<String>,
    /// Every other field that has a value, by name (`fields.resolution_note`).
    pub fields: BTreeMap<String, String>,
    pub resolution_note: Option<String>,
    /// Who acted.
    pub actor: String,
    /// The event (`created`, `resolved`, …).
    pub event: String,
    /// The comment of a mention; the clock of a breach.
    pub text: Option<String>,
}

impl TemplateTicket {
    pub fn of(t: &crate::domain::Ticket, event: NotifyEvent, actor: &str, text: Option<&str>) -> TemplateTicket {
        TemplateTicket {
            id: t.id.to_string(),
            kind: t.kind.to_string(),
            title: t.title.clone(),
            description: t.description.clone(),
            state: t.state.clone(),
            priority: t.priority,
            impact: t.impact,
            urgency: t.urgency,
            requester: t.requester.clone(),
            assignee: t.assignee.clone(),
            fields: t.fields.clone(),
            resolution_note: t.fields.get("resolution_note").cloned(),
            actor: actor.to_string(),
            event: event.name().to_string(),
            text: text.map(str::to_string),
        }
    }

    /// A ticket to check templates against.
    fn sample(event: NotifyEvent) -> TemplateTicket {
        TemplateTicket {
            id: "INC-42".into(),
            kind: "incident".into(),
            title: "Mail is down".into(),
            description: "Nobody can send mail.".into(),
            state: "assigned".into(),
            priority: 2,
            impact: 2,
            urgency: 2,
            requester: "ana@example.com".into(),
            assignee: Some("bob".into()),
            fields: BTreeMap::new(),
            resolution_note: Some("Restarted postfix".into()),
            actor: "bob".into(),
            event: event.name().into(),
            text: Some("@bob please look".into()),
        }
    }
}

impl NotifyRules {
    /// The subject and body of `event`'s mail for `ticket`; none when the policy sends none.
    pub fn render(&self, event: NotifyEvent, ticket: &TemplateTicket) -> Option<Result<(String, String), String>> {
        self.rules.get(&event)?;
        let one = |part: &str| -> Result<String, String> {
            let name = format!("{}.{part}", event.name());
            let t = self.templates.get_template(&name).map_err(|e| e.to_string())?;
            t.render(ticket).map_err(|e| template_error(&e))
        };
        Some(one("subject").and_then(|s| Ok((s.lines().next().unwrap_or("").trim().to_string(), one("body")?))))
    }
}

/// What a template may name.
const FIELDS: &str = "id, kind, title, description, state, priority, impact, urgency, requester, assignee, \
                      resolution_note, fields.NAME, actor, event, text";

fn template_error(e: &minijinja::Error) -> String {
    let mut text = e
        .detail()
        .map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind()));
    if e.kind() == minijinja::ErrorKind::UndefinedError {
        text.push_str(&format!(" (a template may use {FIELDS})"));
    }
    if let Some(line) = e.line() {
        text.push_str(&format!(" (line {line} of the template)"));
    }
    text
}

impl RawNotify {
    pub(super) fn build(self, file: &str, source: &str) -> Result<NotifyRules, PolicyError> {
        let mut out = NotifyRules::default();
        let at = |span: std::ops::Range<usize>, message: String| PolicyError {
            file: file.to_string(),
            line: crate::tomlfile::line_of(source, span.start),
            message,
        };
        if let Some(d) = self.digest_after {
            let span = d.span();
            out.digest_after = crate::domain::sla::parse_span(d.get_ref(), chrono::Duration::minutes(1))
                .map_err(|m| at(span, format!("key `notify.digest_after`: {m}")))?;
        }
        if let Some(r) = self.rate_per_hour {
            let span = r.span();
            if *r.get_ref() == 0 {
                return Err(at(
                    span,
                    "key `notify.rate_per_hour`: 0 would send nothing; leave the events out instead".into(),
                ));
            }
            out.rate_per_hour = r.into_inner();
        }
        if let Some(teams) = self.teams {
            let span = teams.span();
            for (team, address) in teams.into_inner() {
                if address.trim().parse::<lettre::Address>().is_err() {
                    return Err(PolicyError {
                        file: file.to_string(),
                        line: crate::tomlfile::line_of_key(source, span.clone(), &team),
                        message: format!("key `notify.teams.{team}`: `{address}` is not a mail address"),
                    });
                }
                out.teams.insert(team.trim().to_lowercase(), address.trim().to_string());
            }
        }
        let mut env = environment();
        for (event, raw) in [
            (NotifyEvent::Created, self.created),
            (NotifyEvent::Assigned, self.assigned),
            (NotifyEvent::Mention, self.mention),
            (NotifyEvent::Resolved, self.resolved),
            (NotifyEvent::Closed, self.closed),
            (NotifyEvent::Breach, self.breach),
        ] {
            let Some(raw) = raw else { continue };
            let span = raw.span();
            let raw = raw.into_inner();
            let key = |k: &str| format!("notify.{}.{k}", event.name());
            let mut to = Vec::new();
            for who in &raw.to {
                to.push(match who.trim() {
                    "requester" => Audience::Requester,
                    "watchers" => Audience::Watchers,
                    "assignee" => Audience::Assignee,
                    "team" => Audience::Team,
                    "mentioned" => Audience::Mentioned,
                    a if a.parse::<lettre::Address>().is_ok() => Audience::Address(a.to_string()),
                    other => {
                        return Err(PolicyError {
                            file: file.to_string(),
                            line: crate::tomlfile::line_of_key(source, span.clone(), "to"),
                            message: format!(
                                "key `{}`: `{other}` is none of requester, watchers, assignee, team, mentioned, \
                                 nor a mail address",
                                key("to")
                            ),
                        });
                    }
                });
            }
            for (part, text) in [("subject", &raw.subject), ("body", &raw.body)] {
                let line = template_line(source, text.span());
                let fail = |message: String| PolicyError {
                    file: file.to_string(),
                    line,
                    message: format!("key `{}`: {message}", key(part)),
                };
                if text.get_ref().len() > MAX_TEMPLATE {
                    return Err(fail(format!("the template is longer than {MAX_TEMPLATE} bytes")));
                }
                let name = format!("{}.{part}", event.name());
                env.add_template_owned(name.clone(), text.get_ref().clone())
                    .map_err(|e| PolicyError {
                        line: e.line().map_or(line, |l| line + l - 1),
                        ..fail(template_error(&e))
                    })?;
                // Rendered once against a sample ticket, so that a misspelt field is found
                // when the policy is applied, not when a mail is due.
                let checked = env
                    .get_template(&name)
                    .and_then(|t| t.render(TemplateTicket::sample(event)));
                if let Err(e) = checked {
                    let line = e.line().map_or(line, |l| line + l - 1);
                    return Err(PolicyError {
                        file: file.to_string(),
                        line,
                        message: format!("key `{}`: {}", key(part), template_error(&e)),
                    });
                }
            }
            out.rules.insert(
                event,
                NotifyRule {
                    to,
                    subject: raw.subject.into_inner(),
                    body: raw.body.into_inner(),
                },
            );
        }
        out.templates = Arc::new(env);
        Ok(out)
    }
}

/// The line of the policy on which a template's first line is: a `"""` string that starts
/// with a line break starts on the next line.
fn template_line(source: &str, span: std::ops::Range<usize>) -> usize {
    let line = crate::tomlfile::line_of(source, span.start);
    let raw = source.get(span).unwrap_or_default();
    let multi = ["\"\"\"\n", "'''\n", "\"\"\"\r\n", "'''\r\n"];
    line + usize::from(multi.iter().any(|m| raw.starts_with(m)))
}
