//! The inbox: what the desk told the operator about (a ticket given to them, a mention, a
//! breach on a ticket they hold), newest first, unread marked; enter opens the ticket and
//! marks its items read, and esc comes back here.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use crate::desk::{Desk, DeskError, Inbox, InboxItem, InboxMark};
use crate::present::age;
use crate::text::clip;
use crate::tui::action::{Action, Layer};
use crate::tui::app::{App, Back, Pane};
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

/// The inbox pane's state: what was read last, which item is selected, what is shown.
#[derive(Debug, Default)]
pub struct InboxPane {
    pub data: Inbox,
    pub selected: usize,
    pub unread_only: bool,
    /// The desk changed since the items were read: read them again when they are shown.
    pub stale: bool,
    /// The first row drawn; kept between frames so the list scrolls smoothly.
    offset: std::cell::Cell<usize>,
    /// Rows the list had room for in the last frame, for page up and down.
    height: std::cell::Cell<usize>,
}

impl InboxPane {
    /// The pane before its first read: only the count of unread items, for the header.
    pub fn new(unread: u64) -> InboxPane {
        let mut pane = InboxPane {
            stale: true,
            ..InboxPane::default()
        };
        pane.data.unread = unread;
        pane
    }

    pub fn selected_item(&self) -> Option<&InboxItem> {
        self.data.items.get(self.selected)
    }

    /// Reads the items again, keeping the selection on the same item where it is still shown.
    pub fn load(&mut self, desk: &mut Desk) -> Result<(), DeskError> {
        let keep = self.selected_item().map(|i| i.item);
        self.data = desk.inbox(self.unread_only)?;
        self.stale = false;
        self.selected = keep
            .and_then(|k| self.data.items.iter().position(|i| i.item == k))
            .unwrap_or(self.selected)
            .min(self.data.items.len().saturating_sub(1));
        Ok(())
    }

    fn step(&mut self, by: isize) {
        let last = self.data.items.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(by).min(last);
    }
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    pane: &InboxPane,
    keymap: &Keymap,
    theme: &Theme,
    now: chrono::DateTime<Utc>,
) {
    let data = &pane.data;
    let keys = keymap.phrase(
        Layer::Inbox,
        &[(Action::ToggleRead, "read/unread"), (Action::UnreadOnly, "unread only")],
    );
    let shown = if pane.unread_only { "unread" } else { "all" };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(
            format!(" inbox · {} unread · showing {shown} ", data.unread),
            theme.title(),
        ))
        .title_top(ratatui::text::Line::from(Span::styled(format!(" {keys} "), theme.dim())).right_aligned())
        .border_style(theme.title());
    let inner = block.inner(area);
    if data.items.is_empty() {
        let text = if pane.unread_only {
            "Nothing unread.".to_string()
        } else {
            "Nothing yet. A ticket someone gives you, a comment that names you as @name and an SLA \
             breach on a ticket you hold come here."
                .to_string()
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(block), area);
        return;
    }
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    pane.height.set(height);
    let sel = pane.selected;
    let mut offset = pane.offset.get().min(sel);
    if sel >= offset + height {
        offset = sel + 1 - height;
    }
    pane.offset.set(offset);
    let id_width = data
        .items
        .iter()
        .skip(offset)
        .take(height)
        .map(|i| i.ticket.to_string().len())
        .max()
        .unwrap_or(5) as u16;
    let with_by = inner.width >= 70;
    let mut widths = vec![1, 4, 8, id_width, 3];
    if with_by {
        widths.push(8);
    }
    let fixed: u16 = widths.iter().sum::<u16>() + widths.len() as u16;
    let what_width = usize::from(inner.width.saturating_sub(fixed)).max(8);
    let rows: Vec<Row> = data
        .items
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(n, i)| {
            let style = if i.read {
                theme.dim()
            } else {
                Style::default().add_modifier(Modifier::BOLD)
            };
            // A mention shows what was said; the others the ticket's title (and the clock).
            let what = match (i.reason.as_str(), &i.note) {
                ("mention", Some(note)) => note.split_whitespace().collect::<Vec<_>>().join(" "),
                ("breach", Some(clock)) => format!("{clock}: {}", i.title),
                _ => i.title.clone(),
            };
            let mut cells = vec![
                Cell::from(if i.read { " " } else { "●" }),
                Cell::from(age(i.at, now)),
                Cell::from(Span::styled(
                    i.reason.clone(),
                    if i.reason == "breach" { theme.breached() } else { style },
                )),
                Cell::from(i.ticket.to_string()),
                Cell::from(Span::styled(format!("P{}", i.priority), theme.priority(i.priority))),
            ];
            if with_by {
                cells.push(Cell::from(clip(&i.by, 8)));
            }
            cells.push(Cell::from(clip(&what, what_width)));
            let row = Row::new(cells).style(style);
            if n == sel { row.style(theme.selected()) } else { row }
        })
        .collect();
    let mut names = vec!["", "AGE", "WHY", "ID", "PRI"];
    if with_by {
        names.push("BY");
    }
    names.push("WHAT");
    let mut widths: Vec<Constraint> = widths.into_iter().map(Constraint::Length).collect();
    widths.push(Constraint::Min(8));
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(names).style(theme.title()))
            .block(block),
        area,
    );
}

impl App {
    /// Reads the header's count of unread items afresh after a change on the desk, with the
    /// items when the pane is on screen (one read either way); else they are read when it
    /// next is.
    pub(in crate::tui) fn recount_inbox(&mut self) -> Result<(), DeskError> {
        if self.pane == Pane::Inbox {
            return self.inbox.load(&mut self.desk);
        }
        self.inbox.data.unread = self.desk.inbox_unread()?;
        self.inbox.stale = true;
        Ok(())
    }

    /// Marks items read (or unread): on screen at once, on the desk by the writer thread;
    /// the items are read again when it has answered (a refusal is said, and the screen put
    /// back as the desk has it).
    fn mark_inbox(&mut self, marks: Vec<InboxMark>, read: bool, said: Option<String>) {
        let pane = &mut self.inbox;
        for i in &mut pane.data.items {
            let hit = marks.iter().any(|m| match m {
                InboxMark::Items(ids) => ids.contains(&i.item),
                InboxMark::Ticket(id) => *id == i.ticket,
                InboxMark::All => true,
            });
            if hit && i.read != read {
                i.read = read;
                pane.data.unread = if read {
                    pane.data.unread.saturating_sub(1)
                } else {
                    pane.data.unread + 1
                };
            }
        }
        if matches!(marks.as_slice(), [InboxMark::All]) && read {
            pane.data.unread = 0;
        }
        let now = self.now;
        self.write_quietly(
            "marking the inbox",
            move |desk| desk.inbox_marks(&marks, read, now),
            move |app, answer| {
                match answer {
                    Ok(_) => {
                        if let Some(said) = said {
                            app.say(said);
                        }
                    }
                    Err(e) => app.complain(e.to_string()),
                }
                if let Err(e) = app.recount_inbox() {
                    app.complain(e.to_string());
                }
            },
        );
    }

    /// An action of the inbox's layer.
    pub(in crate::tui) fn on_inbox(&mut self, action: Action) -> Result<(), DeskError> {
        let page = self.inbox.height.get().max(1) as isize;
        match action {
            Action::Down => self.inbox.step(1),
            Action::Up => self.inbox.step(-1),
            Action::PageDown => self.inbox.step(page),
            Action::PageUp => self.inbox.step(-page),
            Action::Top => self.inbox.selected = 0,
            Action::Bottom => self.inbox.step(isize::MAX),
            Action::Open => {
                if let Some(item) = self.inbox.selected_item().cloned() {
                    if !item.read {
                        self.mark_inbox(vec![InboxMark::Ticket(item.ticket)], true, None);
                    }
                    self.open_ticket(item.ticket, Back::Pane(Pane::Inbox))?;
                }
            }
            Action::ToggleRead => {
                if let Some(item) = self.inbox.selected_item().cloned() {
                    self.mark_inbox(vec![InboxMark::Items(vec![item.item])], !item.read, None);
                }
            }
            Action::ReadAll => {
                let n = self.inbox.data.unread;
                let said = match n {
                    0 => "nothing unread".to_string(),
                    1 => "1 item marked read".to_string(),
                    n => format!("{n} items marked read"),
                };
                self.mark_inbox(vec![InboxMark::All], true, Some(said));
            }
            Action::UnreadOnly => {
                self.inbox.unread_only = !self.inbox.unread_only;
                self.inbox.selected = 0;
                self.inbox.load(&mut self.desk)?;
            }
            Action::Back => self.show_pane(Pane::Queue)?,
            _ => {}
        }
        Ok(())
    }
}
