//! The CMDB tree: business services at the root, what they depend on below; the selected
//! CI's class, status, attributes, impacted services and open tickets beside it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_tree_widget::Tree;

use crate::desk::{Desk, DeskError};
use crate::text::{clip, inert};
use crate::tui::action::{Action, Layer};
use crate::tui::app::{App, Back, Mode, Pane};
use crate::tui::cmdb::{CmdbModel, Effect, Selected};
use crate::tui::queue::Only;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(model) = &app.cmdb else {
        let block = Block::default()
            .borders(Borders::ALL)
            .title(" CMDB ")
            .border_style(theme.title());
        frame.render_widget(
            Paragraph::new("reading the CMDB…").style(theme.dim()).block(block),
            area,
        );
        return;
    };
    let [left, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(
            " CMDB · {} CIs · {} ",
            model.cis.len(),
            app.keymap.phrase(
                Layer::Cmdb,
                &[
                    (Action::Find, "find"),
                    (Action::Open, "tickets"),
                    (Action::Right, "unfold")
                ]
            )
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
            format!("Open tickets on it or below it ({})", sel.open_tickets.len()),
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

impl App {
    /// An action of the CMDB tree's layer: the tree answers it; the app reads what the CI
    /// under the cursor touches, narrows the queue to its tickets, or goes back.
    pub(in crate::tui) fn on_cmdb(&mut self, action: Action) -> Result<(), DeskError> {
        let effect = self.cmdb.as_ref().map_or(Effect::None, |m| m.on(action));
        match effect {
            Effect::Moved => self.load_ci_selection(),
            Effect::Tickets => self.open_ci_tickets(),
            Effect::Find => {
                self.mode = Mode::FindCi(String::new());
                Ok(())
            }
            Effect::Back => self.go_back(),
            Effect::None => Ok(()),
        }
    }

    /// Shows the first CI whose name matches `text` (as it is typed).
    pub fn find_ci(&mut self, text: &str) {
        if let Some(id) = self.cmdb.as_ref().and_then(|m| m.find(text))
            && let Some(m) = &self.cmdb
        {
            m.reveal(id);
        }
        if let Err(e) = self.load_ci_selection() {
            self.complain(e.to_string());
        }
    }

    /// Reads the CMDB afresh on another thread (a large CMDB takes longer than a frame);
    /// the tree on screen, if any, stays until the new one is in.
    pub(in crate::tui) fn load_cmdb(&mut self) -> Result<(), DeskError> {
        if self.background.cmdb.is_some() || (self.cmdb.is_some() && self.cmdb_read_lately()) {
            // Under way, or read a moment ago: the next tick looks again.
            return Ok(());
        }
        self.cmdb_stale = false;
        self.background.cmdb_read = Some((std::time::Instant::now(), std::time::Duration::ZERO));
        // The CI under the cursor is found in the new tree, and what the pane shows of it
        // is read, on that thread too.
        let at = self.cmdb.as_ref().and_then(CmdbModel::selected_ci);
        // A busy desk changes every second, and rarely its CMDB: a graph the same as the
        // tree's on screen is not built into a tree again (a million-ticket desk's tree is
        // 22,000 items, and two of them at once were a tenth of the desk's memory).
        let shown = self.cmdb.as_ref().map(|m| m.fingerprint);
        self.background.cmdb = Some(crate::tui::background::in_background(&self.desk, move |d| {
            let graph = d.cmdb_graph()?;
            if shown == Some(graph.fingerprint()) {
                return Ok(None);
            }
            let mut model = CmdbModel::new(graph);
            if let Some(id) = at {
                model.reveal(id);
            }
            model.selected = selection(d, &model)?;
            Ok(Some(model))
        }));
        Ok(())
    }

    /// Whether a slow read of the tree (over 50 ms: a large CMDB) began less than ten times
    /// its length ago.
    fn cmdb_read_lately(&self) -> bool {
        self.background
            .cmdb_read
            .is_some_and(|(began, took)| took > std::time::Duration::from_millis(50) && began.elapsed() < took * 10)
    }

    /// Whether the tree is being read for the first time.
    pub fn cmdb_loading(&self) -> bool {
        self.cmdb.is_none() && self.background.cmdb.is_some()
    }

    /// Shows CI `name` in the tree: now, or once the tree being read is in.
    pub(in crate::tui) fn find_ci_when_read(&mut self, name: &str) {
        if self.cmdb.is_some() {
            self.find_ci(name);
        }
        if self.background.cmdb.is_some() {
            self.background.cmdb_find = Some(name.to_string());
        }
    }

    /// Takes in the tree read off the UI thread, keeping the CI under the cursor (with
    /// `wait`, waits for it). True when it came.
    pub(in crate::tui) fn poll_cmdb(&mut self, wait: bool) -> bool {
        let Some(rx) = &self.background.cmdb else { return false };
        let got = if wait {
            rx.recv_timeout(std::time::Duration::from_secs(60)).ok()
        } else {
            rx.try_recv().ok()
        };
        let Some(result) = got else {
            return false;
        };
        self.background.cmdb = None;
        if let Some((began, took)) = &mut self.background.cmdb_read {
            *took = began.elapsed();
        }
        let model = match result {
            Ok(m) => m,
            Err(e) => {
                self.complain(format!("the CMDB could not be read: {e}"));
                return true;
            }
        };
        match (model, &mut self.cmdb) {
            (Some(model), shown) => {
                if let Some(id) = shown.as_ref().and_then(CmdbModel::selected_ci) {
                    model.reveal(id);
                }
                *shown = Some(model);
            }
            // The same graph: the tree stays; what is shown of the CI under the cursor (its
            // open tickets, which may have changed without their count) is read again.
            (None, Some(shown)) => shown.selected = None,
            (None, None) => {}
        }
        if let Err(e) = self.load_ci_selection() {
            self.complain(e.to_string());
        }
        if let Some(name) = self.background.cmdb_find.take() {
            self.find_ci(&name);
        }
        if self.cmdb_stale && self.pane == Pane::Cmdb {
            // The desk changed again while it was read.
            let _ = self.load_cmdb();
        }
        true
    }

    /// Fills in what the pane shows for the CI under the cursor: its open tickets are those
    /// on it and on everything below it in the tree.
    pub fn load_ci_selection(&mut self) -> Result<(), DeskError> {
        let Some(model) = &self.cmdb else { return Ok(()) };
        if model
            .selected_ci()
            .is_some_and(|id| model.selected.as_ref().is_some_and(|s| s.ci.rowid == id))
        {
            return Ok(());
        }
        let selected = selection(&mut self.desk, model)?;
        if let Some(m) = &mut self.cmdb {
            m.selected = selected;
        }
        Ok(())
    }

    /// Shows the open tickets of the CI under the cursor in the queue; esc comes back.
    fn open_ci_tickets(&mut self) -> Result<(), DeskError> {
        let Some(id) = self.cmdb.as_ref().and_then(CmdbModel::selected_ci) else {
            return Ok(());
        };
        let name = self
            .cmdb
            .as_ref()
            .and_then(|m| m.cis.get(&id))
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let rowids = self.desk.open_ticket_rowids_on_ci(id)?.into_iter().collect();
        if self.queue.set_view(0) {
            self.load_view()?;
        }
        self.queue.set_only(Some(Only {
            label: format!("CI {name}"),
            rowids,
        }));
        self.refresh_view();
        self.queue.select(0);
        self.trail.push(Back::Pane(Pane::Cmdb));
        self.pane = Pane::Queue;
        Ok(())
    }
}

/// What the pane shows for the CI under the cursor of `model`: the services it reaches,
/// what it needs, and the open tickets on it and on everything below it in the tree.
fn selection(desk: &mut Desk, model: &CmdbModel) -> Result<Option<Selected>, DeskError> {
    let Some(id) = model.selected_ci() else { return Ok(None) };
    let Some(ci) = model.cis.get(&id).cloned() else {
        return Ok(None);
    };
    let impacted = model.impacted_services(id);
    let (hits, needs) = model.reach(id);
    let below = model.below(id);
    let mut open_tickets = Vec::new();
    for ci in std::iter::once(id).chain(below) {
        for t in desk.open_tickets_on_ci(ci, 50)? {
            if open_tickets.len() < 50 && !open_tickets.iter().any(|o: &crate::domain::Ticket| o.id == t.id) {
                open_tickets.push(t);
            }
        }
        if open_tickets.len() >= 50 {
            break;
        }
    }
    Ok(Some(Selected {
        ci,
        impacted,
        hits,
        needs,
        open_tickets,
    }))
}
