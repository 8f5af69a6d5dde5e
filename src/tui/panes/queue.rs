//! The queue: the tickets of a view, one row each, with their SLA standing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use crate::desk::DeskError;
use crate::domain::sla::Standing;
use crate::present::age;
use crate::text::{clip, inert};
use crate::tui::action::{Action, Layer};
use crate::tui::app::{App, Back, Mode};
use crate::tui::queue::{Effect, Row as QRow};
use crate::tui::theme::Theme;

fn sla_cell<'a>(r: &QRow, app: &App, theme: &Theme) -> Cell<'a> {
    let Some(clock) = &r.clock() else {
        return Cell::from(Span::styled("-", theme.dim()));
    };
    let (text, standing) = crate::present::clock_cell(clock, app.now);
    let style = match standing {
        Standing::Breached => theme.breached(),
        Standing::AtRisk => theme.at_risk(),
        Standing::OnTrack if clock.phase == crate::domain::sla::Phase::Paused => theme.dim(),
        Standing::OnTrack => Style::default(),
    };
    Cell::from(Span::styled(text, style))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let q = &app.queue;
    let total = if q.loading || q.reading {
        "…".to_string()
    } else {
        q.total().to_string()
    };
    let mut title = format!(
        " {}{} · {} of {total} · sort {}{} ",
        theme.focus_mark(focused),
        q.view().name,
        q.len(),
        q.sort.name(),
        if q.reverse { " ↓" } else { "" }
    );
    if let Some(only) = q.only() {
        let back = app.keymap.phrase(Layer::Queue, &[(Action::Back, "back")]);
        title = format!(" {} · {} open · {back} ", inert(&only.label, false), q.len());
    }
    if !q.filter.is_empty() {
        title.push_str(&format!("· /{} ", inert(&q.filter, false)));
        if q.matching() {
            title.push_str("· matching… ");
        }
    }
    if !q.marks.is_empty() {
        title.push_str(&format!("· {} marked ", q.marks.len()));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(if focused { theme.title() } else { theme.dim() });
    let inner = block.inner(area);
    if q.is_empty() {
        let key = |a: Action| {
            app.keymap
                .key_name(Layer::Queue, a)
                .unwrap_or_else(|| "the palette".into())
        };
        let text = if q.reading {
            "Reading the tickets of this view…".to_string()
        } else if q.total() == 0 && q.filter.is_empty() {
            format!(
                "Your desk is empty. Press {} to open the first ticket.\n\n\
                 Add the services and machines you look after from a shell, e.g.\n  \
                 opsdesk ci add web-01 --class server\n\n\
                 To look around a desk full of tickets first, quit ({}) and run\n  \
                 opsdesk demo\n\nPress {} for every key.",
                key(Action::NewTicket),
                key(Action::Quit),
                key(Action::Help)
            )
        } else if q.matching() {
            format!("Matching /{}…", inert(&q.filter, false))
        } else if !q.filter.is_empty() {
            format!(
                "No ticket in this view matches /{}. {} clears the filter.",
                inert(&q.filter, false),
                key(Action::Back)
            )
        } else {
            format!(
                "Nothing in this view. {} and {} switch views.",
                key(Action::NextView),
                key(Action::PrevView)
            )
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(block), area);
        return;
    }
    // One header line; the rest are rows. Keep the selection in sight.
    let height = inner.height.saturating_sub(1) as usize;
    app.queue_height.set(height.max(1));
    let mut offset = app.queue_offset.get().min(q.len().saturating_sub(1));
    let sel = q.selected();
    if sel < offset {
        offset = sel;
    } else if height > 0 && sel >= offset + height {
        offset = sel + 1 - height;
    }
    app.queue_offset.set(offset);
    // The rows start under the border and the header line.
    app.queue_rows_at.set(Rect {
        x: inner.x,
        y: inner.y + 1,
        width: inner.width,
        height: inner.height.saturating_sub(1),
    });
    // The ID whole, then what the width allows: assignee from 70 columns, age from 90;
    // the title takes the rest.
    let shown: Vec<&QRow> = q.window(offset, height).collect();
    let id_width = shown.iter().map(|r| r.row.id.to_string().len()).max().unwrap_or(5) as u16 + 1;
    let (with_assignee, with_age) = (inner.width >= 70, inner.width >= 90);
    let mut widths = vec![id_width.max(4), 3, 11, 12];
    if with_assignee {
        widths.push(9);
    }
    if with_age {
        widths.push(4);
    }
    let fixed: u16 = widths.iter().sum::<u16>() + widths.len() as u16;
    let title_width = inner.width.saturating_sub(fixed).max(8) as usize;
    let rows: Vec<Row> = shown
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let marked = q.marks.contains(&r.row.rowid);
            let id = format!("{}{}", if marked { "●" } else { " " }, r.row.id);
            let mut cells = vec![
                Cell::from(Span::styled(id, if marked { theme.marked() } else { Style::default() })),
                Cell::from(Span::styled(
                    format!("P{}", r.row.priority),
                    theme.priority(r.row.priority),
                )),
                Cell::from(clip(&r.row.state, 11)),
                sla_cell(r, app, theme),
            ];
            if with_assignee {
                cells.push(Cell::from(clip(r.row.assignee.as_deref().unwrap_or("-"), 9)));
            }
            if with_age {
                cells.push(Cell::from(age(r.row.created_at, app.now)));
            }
            cells.push(Cell::from(clip(&r.row.title, title_width)));
            let mut row = Row::new(cells);
            if offset + i == sel {
                row = row.style(theme.selected());
            }
            row
        })
        .collect();
    let mut names = vec![" ID", "PRI", "STATE", "SLA"];
    if with_assignee {
        names.push("ASSIGNEE");
    }
    if with_age {
        names.push("AGE");
    }
    names.push("TITLE");
    let header = Row::new(names).style(theme.title());
    let mut widths: Vec<Constraint> = widths.into_iter().map(Constraint::Length).collect();
    widths.push(Constraint::Min(8));
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

impl App {
    /// An action of the queue's layer: the queue answers it; the app opens a ticket, starts
    /// the filter prompt, reads another view or goes back where a CI's tickets came from.
    pub(in crate::tui) fn on_queue(&mut self, action: Action) -> Result<(), DeskError> {
        let page = self.queue_height.get().max(1) as isize;
        let me = self.desk.user().to_string();
        match self.queue.on(action, page, &me, self.now) {
            Effect::None => {}
            Effect::Open => self.open_selected()?,
            Effect::Filter => self.mode = Mode::Filter,
            Effect::ReadView => {
                self.load_view()?;
                self.refresh_view();
                self.queue.select(0);
            }
            Effect::LeftOnly => {
                if let Some(Back::Pane(pane)) = self.trail.pop() {
                    self.pane = pane;
                    self.refresh_visible_pane()?;
                }
            }
        }
        if action == Action::Back {
            self.status = None;
        }
        Ok(())
    }
}
