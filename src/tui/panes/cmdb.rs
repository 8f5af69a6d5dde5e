//! The CMDB tree: business services at the root, what they depend on below; the selected
//! CI's class, status, attributes, impacted services and open tickets beside it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_tree_widget::Tree;

use crate::text::{clip, inert};
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(model) = &app.cmdb else { return };
    let [left, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(
            " CMDB · {} CIs · / find · enter tickets · h/l fold ",
            model.cis.len()
        ))
        .border_style(theme.title());
    if model.items.is_empty() {
        let text = "No configuration items yet. Add them from a shell, e.g.\n  \
                    opsdesk ci add shop --class business_service\n  \
                    opsdesk ci add shop-db --class database\n  \
                    opsdesk ci relate shop depends_on shop-db";
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(block), left);
    } else if let Ok(tree) = Tree::new(&model.items) {
        let tree = tree
            .block(block)
            .highlight_style(theme.selected())
            .highlight_symbol("▶ ");
        frame.render_stateful_widget(tree, left, &mut model.state.borrow_mut());
    }
    let mut lines: Vec<Line> = Vec::new();
    if let Some(sel) = &model.selected {
        let ci = &sel.ci;
        lines.push(Line::from(Span::styled(inert(&ci.name, false), theme.title())));
        lines.push(Line::raw(format!("{} · {}", ci.class, ci.status)));
        for (k, v) in [("owner team", &ci.owner_team), ("environment", &ci.environment)] {
            if let Some(v) = v {
                lines.push(Line::from(vec![
                    Span::styled(format!("{k}: "), theme.dim()),
                    Span::raw(inert(v, false)),
                ]));
            }
        }
        for (k, v) in &ci.attrs {
            lines.push(Line::from(vec![
                Span::styled(format!("{}: ", inert(k, false)), theme.dim()),
                Span::raw(inert(v, false)),
            ]));
        }
        lines.push(Line::raw(""));
        lines.push(Line::raw(format!(
            "its failure hits {} CI(s); it needs {}",
            sel.hits, sel.needs
        )));
        lines.push(Line::from(Span::styled(
            "If it fails, these services are hit",
            theme.title(),
        )));
        if sel.impacted.is_empty() {
            lines.push(Line::raw("  none"));
        }
        for (service, path) in &sel.impacted {
            let path: Vec<String> = path.iter().map(|p| inert(p, false)).collect();
            lines.push(Line::raw(format!("  {} ({})", inert(service, false), path.join(" ← "))));
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            format!("Open tickets ({})", sel.open_tickets.len()),
            theme.title(),
        )));
        for t in &sel.open_tickets {
            lines.push(Line::from(vec![
                Span::raw(format!("  {} ", t.id)),
                Span::styled(format!("P{} ", t.priority), theme.priority(t.priority)),
                Span::raw(format!("{} {}", inert(&t.state, false), clip(&t.title, 40))),
            ]));
        }
    } else {
        lines.push(Line::from(Span::styled(
            "Select a CI to see what it touches.",
            theme.dim(),
        )));
    }
    if !model.cycles.is_empty() {
        lines.push(Line::raw(""));
        let (a, b) = &model.cycles[0];
        lines.push(Line::from(Span::styled(
            format!(
                "⚠ {} dependency cycle(s), e.g. {} → {}",
                model.cycles.len(),
                inert(a, false),
                inert(b, false)
            ),
            theme.at_risk(),
        )));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" CI ")
        .border_style(theme.dim());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), right);
}
