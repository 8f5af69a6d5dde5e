//! What a key can mean: the vocabulary of the terminal desk. Keys map to these names in
//! `assets/keymap.toml`; help and the key-hint line are generated from the same table.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    PaneQueue,
    PaneDetail,
    NextPane,
    PrevPane,
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Open,
    Back,
    Filter,
    NextView,
    PrevView,
    Sort,
    SortReverse,
    Mark,
    MarkAll,
    Transition,
    AssignToMe,
    Assign,
    Resolve,
    Pend,
    Comment,
    WorkNote,
    NewTicket,
    Edit,
    Refresh,
}

impl Action {
    pub const ALL: [Action; 31] = [
        Action::Quit,
        Action::Help,
        Action::PaneQueue,
        Action::PaneDetail,
        Action::NextPane,
        Action::PrevPane,
        Action::Down,
        Action::Up,
        Action::PageDown,
        Action::PageUp,
        Action::Top,
        Action::Bottom,
        Action::Open,
        Action::Back,
        Action::Filter,
        Action::NextView,
        Action::PrevView,
        Action::Sort,
        Action::SortReverse,
        Action::Mark,
        Action::MarkAll,
        Action::Transition,
        Action::AssignToMe,
        Action::Assign,
        Action::Resolve,
        Action::Pend,
        Action::Comment,
        Action::WorkNote,
        Action::NewTicket,
        Action::Edit,
        Action::Refresh,
    ];

    /// What the action does, for help and the command hints.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "show the keys",
            Action::PaneQueue => "queue",
            Action::PaneDetail => "ticket detail",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Down => "down",
            Action::Up => "up",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::Top => "first",
            Action::Bottom => "last",
            Action::Open => "open the ticket",
            Action::Back => "back / clear",
            Action::Filter => "filter as you type",
            Action::NextView => "next view",
            Action::PrevView => "previous view",
            Action::Sort => "sort by the next column",
            Action::SortReverse => "reverse the sort",
            Action::Mark => "mark / unmark",
            Action::MarkAll => "mark all shown",
            Action::Transition => "move through the lifecycle",
            Action::AssignToMe => "assign to me",
            Action::Assign => "assign to…",
            Action::Resolve => "resolve",
            Action::Pend => "pend",
            Action::Comment => "comment",
            Action::WorkNote => "work note",
            Action::NewTicket => "new ticket",
            Action::Edit => "edit fields",
            Action::Refresh => "reload the desk",
        }
    }

    /// Shown in the one-line key hints, most useful first.
    pub fn hinted(self) -> Option<u8> {
        Some(match self {
            Action::Help => 0,
            Action::Transition => 1,
            Action::AssignToMe => 2,
            Action::Comment => 3,
            Action::Filter => 4,
            Action::NextView => 5,
            Action::NewTicket => 6,
            Action::Quit => 7,
            Action::Resolve => 8,
            Action::Open => 9,
            _ => return None,
        })
    }
}
