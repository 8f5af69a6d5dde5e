//! The palette: every action of the pane on screen by name, or a ticket by its id
//! (`:INC-22`), open or closed, from any pane.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::action::{Action, Layer};
use super::app::{App, Back};
use crate::domain::TicketId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaletteEntry {
    Ticket(TicketId),
    Action(Layer, Action),
}

impl App {
    /// What the palette offers for `text`: the ticket it names first, then the actions of
    /// the pane on screen and the global ones, best match first.
    pub fn palette_entries(&self, text: &str) -> Vec<PaletteEntry> {
        let pane = self.visible_pane().layer();
        let mut all: Vec<(Layer, Action)> = pane.actions().into_iter().map(|a| (pane, a)).collect();
        all.extend(
            Layer::Global
                .actions()
                .into_iter()
                .filter(|a| *a != Action::Palette)
                .map(|a| (Layer::Global, a)),
        );
        let mut out = Vec::new();
        if let Ok(id) = text.trim().parse::<TicketId>() {
            out.push(PaletteEntry::Ticket(id));
        }
        if text.trim().is_empty() {
            out.extend(all.into_iter().map(|(l, a)| PaletteEntry::Action(l, a)));
            return out;
        }
        let pattern = Pattern::parse(text, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize, Layer, Action)> = all
            .into_iter()
            .enumerate()
            .filter_map(|(i, (l, a))| {
                let hay = format!("{} {:?}", a.describe(l), a);
                pattern
                    .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                    .map(|s| (s, i, l, a))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        out.extend(scored.into_iter().map(|(_, _, l, a)| PaletteEntry::Action(l, a)));
        out
    }

    /// Enter in the palette: opens the ticket or runs the action chosen.
    pub fn run_palette(&mut self, text: &str, index: usize) {
        match self.palette_entries(text).get(index).copied() {
            Some(PaletteEntry::Ticket(id)) => {
                let from = match self.visible_pane() {
                    super::app::Pane::Detail => self.detail.id().map(Back::Ticket),
                    p => Some(Back::Pane(p)),
                };
                match self.open_ticket(id, from.unwrap_or(Back::Pane(super::app::Pane::Queue))) {
                    Ok(()) => {}
                    Err(e) => self.complain(e.to_string()),
                }
            }
            Some(PaletteEntry::Action(_, action)) => self.update(action),
            None => self.complain(format!("nothing matches `{}`", crate::text::inert(text, false))),
        }
    }
}
