//! One ticket: every field, its CIs and what they impact, its links, and its timeline.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::desk::{DeskError, TicketView};
use crate::domain::TicketId;
use crate::domain::priority::{label, level_label};
use crate::domain::sla::Standing;
use crate::present::{age, event_text};
use crate::text::inert;
use crate::tui::action::{Action, Layer};
use crate::tui::app::{App, Back, Pane};
use crate::tui::theme::Theme;

/// What enter follows from the detail: a linked CI or ticket, a known error, a possible
/// duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followable {
    Ci(String),
    Ticket(TicketId),
}

/// The detail pane: the ticket in view and how it is looked at. It owns its state, turns
/// the actions of its layer into changes of that state or into an [`Effect`] for the app,
/// and draws itself.
#[derive(Default)]
pub struct DetailPane {
    pub view: Option<TicketView>,
    /// For an incident: known errors and possible duplicates.
    pub suggestions: crate::desk::Suggestions,
    pub scroll: u16,
    /// How far the text could scroll in the last frame.
    pub max_scroll: std::cell::Cell<u16>,
    /// The link enter follows (an index into [`DetailPane::followables`]).
    pub link: usize,
    /// The timeline in clock times (else ages).
    pub absolute_times: bool,
    /// What another operator changed since the ticket was last looked at.
    pub changed_by_other: Option<String>,
    /// The fields that change touched: marked on screen until the pane is looked at.
    pub changed_fields: Vec<String>,
}

/// What an action of the detail asks of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    Follow(Followable),
    NothingToFollow,
    Back,
}

impl DetailPane {
    pub fn id(&self) -> Option<TicketId> {
        self.view.as_ref().map(|v| v.ticket.id)
    }

    /// The version of the ticket shown.
    pub fn version(&self) -> Option<i64> {
        self.view.as_ref().map(|v| v.ticket.version)
    }

    /// Shows `view`: a new ticket from its top; the same one again keeps the place and says
    /// what someone else changed.
    pub fn show(&mut self, view: TicketView, suggestions: crate::desk::Suggestions, me: &str) {
        match &self.view {
            Some(old) if old.ticket.id == view.ticket.id => {
                if let Some((said, fields)) = what_changed(old, &view, me) {
                    self.changed_by_other = Some(said);
                    self.changed_fields.extend(fields);
                }
            }
            _ => {
                self.scroll = 0;
                self.link = 0;
                self.changed_by_other = None;
                self.changed_fields.clear();
            }
        }
        self.suggestions = suggestions;
        self.view = Some(view);
    }

    /// Every link of the ticket in view, in the order the detail shows them.
    pub fn followables(&self) -> Vec<Followable> {
        let Some(v) = &self.view else { return Vec::new() };
        let mut out: Vec<Followable> = v.cis.iter().map(|c| Followable::Ci(c.name.clone())).collect();
        out.extend(v.links.iter().map(|l| Followable::Ticket(l.id)));
        out.extend(self.suggestions.known_errors.iter().map(|k| Followable::Ticket(k.id)));
        out.extend(self.suggestions.similar.iter().map(|t| Followable::Ticket(t.id)));
        out
    }

    /// An action of the detail's layer; `page` is how far a page scrolls.
    pub fn on(&mut self, action: Action, page: u16) -> Effect {
        let max = self.max_scroll.get();
        let by = |s: u16, up: bool, n: u16| {
            if up {
                s.min(max).saturating_sub(n)
            } else {
                s.saturating_add(n).min(max)
            }
        };
        // Looked at, the other operator's change is no longer news.
        self.changed_by_other = None;
        self.changed_fields.clear();
        match action {
            Action::Down => self.scroll = by(self.scroll, false, 1),
            Action::Up => self.scroll = by(self.scroll, true, 1),
            Action::PageDown => self.scroll = by(self.scroll, false, page),
            Action::PageUp => self.scroll = by(self.scroll, true, page),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = max,
            Action::NextLink | Action::PrevLink => {
                let n = self.followables().len();
                if n > 0 {
                    let step = if action == Action::NextLink { 1 } else { n - 1 };
                    self.link = (self.link + step) % n;
                }
            }
            Action::Times => self.absolute_times = !self.absolute_times,
            Action::Open => {
                return match self.followables().get(self.link).cloned() {
                    Some(f) => Effect::Follow(f),
                    None => Effect::NothingToFollow,
                };
            }
            Action::Back => return Effect::Back,
            _ => {}
        }
        Effect::None
    }
}

/// `bob changed state, assignee; commented`: what another operator did to the ticket between
/// two reads of it (None when nothing, or only the viewer, changed it).
/// Also the names of the fields it touched (a move touches `state`).
pub fn what_changed(old: &TicketView, new: &TicketView, me: &str) -> Option<(String, Vec<String>)> {
    let fresh: Vec<_> = new
        .timeline
        .iter()
        .filter(|e| e.id > old.timeline.last().map_or(0, |l| l.id))
        .collect();
    let others: Vec<_> = fresh.iter().filter(|e| e.actor != me).collect();
    let who = others.last()?.actor.clone();
    let mut fields: Vec<String> = Vec::new();
    let mut acts: Vec<String> = Vec::new();
    let mut touched: Vec<String> = Vec::new();
    for e in &others {
        match (e.kind.as_str(), &e.field) {
            ("transition", _) => touched.push("state".into()),
            ("field", Some(f)) => touched.push(f.clone()),
            _ => {}
        }
        let (list, item) = match (e.kind.as_str(), &e.field) {
            ("comment", _) => (&mut acts, "commented".to_string()),
            ("transition", Some(name)) => (&mut acts, format!("took `{name}`")),
            (_, Some(f)) => (&mut fields, f.replace('_', " ")),
            (k, None) => (&mut acts, k.replace('_', " ")),
        };
        if !list.contains(&item) {
            list.push(item);
        }
    }
    if !fields.is_empty() {
        acts.push(format!("changed {}", fields.join(", ")));
    }
    Some((format!("{who} {} just now", acts.join(" and ")), touched))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let pane = &app.detail;
    let Some(v) = &pane.view else { return };
    let t = &v.ticket;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(changed) = &pane.changed_by_other {
        lines.push(Line::from(Span::styled(
            format!("● {}", inert(changed, false)),
            theme.at_risk(),
        )));
    }
    // What the other operator changed stands out until the pane is looked at.
    let news = |field: &str| pane.changed_fields.iter().any(|f| f == field);
    let mark = |field: &str, style: ratatui::style::Style| {
        if news(field) {
            style
                .patch(theme.at_risk())
                .add_modifier(ratatui::style::Modifier::UNDERLINED)
        } else {
            style
        }
    };
    lines.push(Line::from(Span::styled(
        inert(&t.title, false),
        mark("title", theme.title()),
    )));
    lines.push(Line::from(vec![
        Span::raw(format!("{} · ", t.kind)),
        Span::styled(inert(&t.state, false), mark("state", ratatui::style::Style::default())),
        Span::raw(" · "),
        Span::styled(
            format!("P{} {}", t.priority, label(t.priority)),
            theme.priority(t.priority),
        ),
        Span::raw(format!(
            " (impact {} {} × urgency {} {})",
            t.impact,
            level_label(t.impact),
            t.urgency,
            level_label(t.urgency)
        )),
    ]));
    lines.push(Line::from(vec![
        Span::raw("requester "),
        Span::styled(
            inert(&t.requester, false),
            mark("requester", ratatui::style::Style::default()),
        ),
        Span::raw(" · assignee "),
        Span::styled(
            inert(t.assignee.as_deref().unwrap_or("-"), false),
            mark("assignee", ratatui::style::Style::default()),
        ),
        Span::raw(format!(" · v{}", t.version)),
    ]));
    for (name, clock) in [("time to own", &v.sla.own), ("time to resolve", &v.sla.resolve)] {
        let Some(clock) = clock else { continue };
        let (text, standing) = crate::present::clock_text(clock, app.now, app.zone);
        let style = match standing {
            Standing::Breached => theme.breached(),
            Standing::AtRisk => theme.at_risk(),
            Standing::OnTrack => theme.ok(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{name}: "), theme.dim()),
            Span::styled(text, style),
        ]));
    }
    let opened = match age(t.created_at, app.now).as_str() {
        "now" => "just now".to_string(),
        a => format!("{a} ago"),
    };
    lines.push(Line::raw(format!(
        "opened {opened} ({})",
        crate::present::short_time(t.created_at, app.now, app.zone)
    )));
    for (name, val) in crate::present::extra_fields(t) {
        // Why a ticket waits is said while it waits, not after it resumed.
        if name == "pending_reason" && t.state != "pending" {
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{}: ", name.replace('_', " ")), theme.dim()),
            Span::styled(inert(val, false), mark(name, ratatui::style::Style::default())),
        ]));
    }
    if !t.description.is_empty() {
        lines.push(Line::raw(""));
        let style = mark("description", ratatui::style::Style::default());
        for l in inert(&t.description, true).lines() {
            lines.push(Line::from(Span::styled(l.to_string(), style)));
        }
    }
    let chosen = pane.link;
    let mut n = 0usize;
    let mut pointer = |theme: &Theme| {
        let here = n == chosen && focused;
        n += 1;
        if here {
            Span::styled("▸ ", theme.selected())
        } else {
            Span::raw("  ")
        }
    };
    if !v.cis.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("CIs", theme.title())));
        for (ci, services) in v.cis.iter().zip(&v.services_by_ci) {
            let services = if services.is_empty() {
                String::new()
            } else {
                format!(
                    " → impacts {}",
                    services.iter().map(|s| inert(s, false)).collect::<Vec<_>>().join(", ")
                )
            };
            lines.push(Line::from(vec![
                pointer(theme),
                Span::raw(format!("{} ({}){services}", inert(&ci.name, false), ci.class)),
            ]));
        }
    }
    if !v.links.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Links", theme.title())));
        for l in &v.links {
            lines.push(Line::from(vec![
                pointer(theme),
                Span::raw(format!(
                    "{} {} [{}] {}",
                    l.relation.replace('_', " "),
                    l.id,
                    inert(&l.state, false),
                    inert(&l.title, false)
                )),
            ]));
        }
    }
    if !pane.suggestions.known_errors.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Known errors that may apply", theme.title())));
        for k in &pane.suggestions.known_errors {
            lines.push(Line::from(vec![
                pointer(theme),
                Span::raw(format!("{} {}", k.id, inert(&k.title, false))),
            ]));
            lines.push(Line::from(vec![
                Span::styled("    workaround: ", theme.dim()),
                Span::raw(inert(&k.workaround, false)),
            ]));
        }
    }
    if !pane.suggestions.similar.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Possible duplicates", theme.title())));
        for t in &pane.suggestions.similar {
            lines.push(Line::from(vec![
                pointer(theme),
                Span::raw(format!(
                    "{} [{}] {}",
                    t.id,
                    inert(&t.state, false),
                    inert(&t.title, false)
                )),
            ]));
        }
    }
    lines.push(Line::raw(""));
    let next = if v.allowed.is_empty() {
        "comments only".to_string()
    } else {
        v.allowed.join(", ")
    };
    lines.push(Line::from(vec![Span::styled("Next: ", theme.title()), Span::raw(next)]));
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("Timeline", theme.title())));
    // Oldest first, as `opsdesk show` prints it; ages or, with the times key, clock times.
    for e in &v.timeline {
        let when = if pane.absolute_times {
            format!("{:>12}", crate::present::short_time(e.at, app.now, app.zone))
        } else {
            format!("{:>4}", age(e.at, app.now))
        };
        let text = event_text(e);
        let mut parts = text.lines();
        lines.push(Line::from(vec![
            Span::styled(format!("  {when} "), theme.dim()),
            Span::styled(format!("{} ", crate::present::actor_text(e)), theme.title()),
            Span::raw(parts.next().unwrap_or("").to_string()),
        ]));
        for more in parts {
            lines.push(Line::raw(format!("        {}", more.trim_start())));
        }
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {}{} ", theme.focus_mark(focused), t.id))
        .border_style(if focused { theme.title() } else { theme.dim() });
    // How far the text can scroll: its wrapped rows less the rows on screen.
    let inner = usize::from(area.width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let room = usize::from(area.height.saturating_sub(2));
    pane.max_scroll
        .set(u16::try_from(rows.saturating_sub(room)).unwrap_or(u16::MAX));
    let scroll = pane.scroll.min(pane.max_scroll.get());
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(block),
        area,
    );
}

impl App {
    /// An action of the detail's layer: the pane answers it, or asks the app to follow a
    /// link or go back.
    pub(in crate::tui) fn on_detail(&mut self, action: Action) -> Result<(), DeskError> {
        let page = u16::try_from(self.queue_height.get().clamp(1, 200)).unwrap_or(20);
        match self.detail.on(action, page) {
            Effect::None => Ok(()),
            Effect::Back => self.go_back(),
            Effect::Follow(f) => self.follow(f),
            Effect::NothingToFollow => {
                let keys = self.keymap.phrase(
                    Layer::Detail,
                    &[(Action::NextLink, "and"), (Action::PrevLink, "choose one")],
                );
                self.say(format!("no link to follow: {keys}"));
                Ok(())
            }
        }
    }

    /// Enter on a link: a ticket opens in the detail, a CI in the CMDB tree; esc comes back.
    fn follow(&mut self, to: Followable) -> Result<(), DeskError> {
        let Some(here) = self.detail.id() else { return Ok(()) };
        match to {
            Followable::Ticket(id) => self.open_ticket(id, Back::Ticket(here)),
            Followable::Ci(name) => {
                self.pane = Pane::Cmdb;
                self.refresh_visible_pane()?;
                self.find_ci_when_read(&name);
                self.trail.push(Back::Ticket(here));
                Ok(())
            }
        }
    }
}
