//! One ticket: every field, its CIs and what they impact, its links, and its timeline.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::domain::priority::{label, level_label};
use crate::domain::sla::Standing;
use crate::present::{age, event_text};
use crate::text::inert;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let Some(v) = &app.detail else { return };
    let t = &v.ticket;
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::from(Span::styled(inert(&t.title, false), theme.title())));
    lines.push(Line::from(vec![
        Span::raw(format!("{} · {} · ", t.kind, inert(&t.state, false))),
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
    lines.push(Line::raw(format!(
        "requester {} · assignee {} · v{}",
        inert(&t.requester, false),
        inert(t.assignee.as_deref().unwrap_or("-"), false),
        t.version
    )));
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
    lines.push(Line::raw(format!("opened {} ago", age(t.created_at, app.now))));
    for (name, val) in crate::present::extra_fields(t) {
        {
            lines.push(Line::from(vec![
                Span::styled(format!("{}: ", name.replace('_', " ")), theme.dim()),
                Span::raw(inert(val, false)),
            ]));
        }
    }
    if !t.description.is_empty() {
        lines.push(Line::raw(""));
        for l in inert(&t.description, true).lines() {
            lines.push(Line::raw(l.to_string()));
        }
    }
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
            lines.push(Line::raw(format!(
                "  {} ({}){services}",
                inert(&ci.name, false),
                ci.class
            )));
        }
    }
    if !v.links.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Links", theme.title())));
        for l in &v.links {
            lines.push(Line::raw(format!(
                "  {} {} [{}] {}",
                l.relation,
                l.id,
                l.state,
                inert(&l.title, false)
            )));
        }
    }
    if !app.suggestions.known_errors.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Known errors that may apply", theme.title())));
        for k in &app.suggestions.known_errors {
            lines.push(Line::raw(format!("  {} {}", k.id, inert(&k.title, false))));
            lines.push(Line::from(vec![
                Span::styled("    workaround: ", theme.dim()),
                Span::raw(inert(&k.workaround, false)),
            ]));
        }
    }
    if !app.suggestions.similar.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Possible duplicates", theme.title())));
        for t in &app.suggestions.similar {
            lines.push(Line::raw(format!(
                "  {} [{}] {}",
                t.id,
                inert(&t.state, false),
                inert(&t.title, false)
            )));
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
    for e in v.timeline.iter().rev() {
        let when = format!("{:>4}", age(e.at, app.now));
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
        .title(format!(" {} ", t.id))
        .border_style(if focused { theme.title() } else { theme.dim() });
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.detail_scroll, 0))
            .block(block),
        area,
    );
}
