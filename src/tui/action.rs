//! What a key can mean: the vocabulary of the terminal desk, and the layers it is spoken in.
//! A key does something only in the layer on screen (the focused pane with the global keys
//! under it, or the open form, picker, prompt or question). `assets/keymap.toml` binds keys
//! per layer; help, hints and the palette are generated from the same table.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Global.
    Quit,
    Help,
    Palette,
    PaneQueue,
    PaneDetail,
    PaneCmdb,
    PaneCalendar,
    PaneDashboard,
    PaneInbox,
    NextPane,
    PrevPane,
    NewTicket,
    Refresh,
    // Moving in a pane.
    Down,
    Up,
    Left,
    Right,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Open,
    Back,
    // The queue.
    Filter,
    NextView,
    PrevView,
    Sort,
    SortReverse,
    Mark,
    MarkAll,
    // A ticket (the one in view, or the marked ones).
    Transition,
    AssignToMe,
    Assign,
    Unassign,
    Resolve,
    Pend,
    Comment,
    WorkNote,
    Reply,
    Edit,
    Link,
    Unlink,
    // The detail.
    NextLink,
    PrevLink,
    Times,
    // The CMDB.
    Find,
    // The calendar.
    Today,
    Week,
    NextChange,
    PrevChange,
    History,
    // The dashboard.
    NextPeriod,
    PrevPeriod,
    // The inbox.
    ToggleRead,
    ReadAll,
    UnreadOnly,
    // A form.
    Submit,
    Cancel,
    NextField,
    PrevField,
    Reload,
    Editor,
    // A picker or prompt, and a question.
    Choose,
    Yes,
    No,
}

/// Where keys are read: one layer is on screen at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Under every pane: quit, help, panes, new ticket.
    Global,
    Queue,
    Detail,
    Cmdb,
    Calendar,
    Dashboard,
    /// What the desk told the operator about.
    Inbox,
    /// A form open over a pane: every other key is typed into the focused field.
    Form,
    /// A list to choose from (moves, links): letters jump to the first entry.
    Picker,
    /// A line typed at the bottom (filter, find a CI) or the palette.
    Prompt,
    /// A yes/no question.
    Confirm,
}

const TICKET: [Action; 12] = [
    Action::Transition,
    Action::AssignToMe,
    Action::Assign,
    Action::Unassign,
    Action::Resolve,
    Action::Pend,
    Action::Comment,
    Action::WorkNote,
    Action::Reply,
    Action::Edit,
    Action::Link,
    Action::Unlink,
];

impl Layer {
    pub const ALL: [Layer; 11] = [
        Layer::Global,
        Layer::Queue,
        Layer::Detail,
        Layer::Cmdb,
        Layer::Calendar,
        Layer::Dashboard,
        Layer::Inbox,
        Layer::Form,
        Layer::Picker,
        Layer::Prompt,
        Layer::Confirm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Global => "global",
            Layer::Queue => "queue",
            Layer::Detail => "detail",
            Layer::Cmdb => "cmdb",
            Layer::Calendar => "calendar",
            Layer::Dashboard => "dashboard",
            Layer::Inbox => "inbox",
            Layer::Form => "form",
            Layer::Picker => "picker",
            Layer::Prompt => "prompt",
            Layer::Confirm => "confirm",
        }
    }

    pub fn parse(s: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.name() == s)
    }

    /// A pane's layer has the global keys under it; the others stand alone.
    pub fn is_pane(self) -> bool {
        matches!(
            self,
            Layer::Queue | Layer::Detail | Layer::Cmdb | Layer::Calendar | Layer::Dashboard | Layer::Inbox
        )
    }

    /// The actions that mean something in this layer, in the order help lists them.
    pub fn actions(self) -> Vec<Action> {
        use Action::*;
        let mut v = match self {
            Layer::Global => vec![
                Help,
                Palette,
                NewTicket,
                PaneQueue,
                PaneDetail,
                PaneCmdb,
                PaneCalendar,
                PaneDashboard,
                PaneInbox,
                NextPane,
                PrevPane,
                Refresh,
                Quit,
            ],
            Layer::Queue => vec![
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
            ],
            Layer::Detail => vec![
                Down, Up, PageDown, PageUp, Top, Bottom, NextLink, PrevLink, Open, Back, Times,
            ],
            Layer::Cmdb => vec![Down, Up, Left, Right, Top, Bottom, Open, Find, Back],
            Layer::Calendar => vec![
                Left, Right, Down, Up, PageDown, PageUp, Today, Week, NextChange, PrevChange, History, Open, Back,
            ],
            Layer::Dashboard => vec![NextPeriod, PrevPeriod, Back],
            Layer::Inbox => vec![
                Down, Up, PageDown, PageUp, Top, Bottom, Open, ToggleRead, ReadAll, UnreadOnly, Back,
            ],
            Layer::Form => vec![Submit, Cancel, NextField, PrevField, Reload, Editor, Help],
            Layer::Picker => vec![Down, Up, Choose, Cancel],
            Layer::Prompt => vec![Choose, Cancel, Down, Up],
            Layer::Confirm => vec![Yes, No],
        };
        if matches!(self, Layer::Queue | Layer::Detail | Layer::Calendar) {
            v.extend(TICKET);
        }
        v
    }

    pub fn accepts(self, action: Action) -> bool {
        self.actions().contains(&action)
    }

    /// Shown in the one-line key hints, most useful first.
    pub fn hinted(self) -> &'static [Action] {
        use Action::*;
        match self {
            Layer::Global => &[NewTicket, Palette, Quit],
            Layer::Queue => &[Transition, AssignToMe, Comment, Filter, NextView, Open],
            Layer::Detail => &[Transition, Comment, Reply, Edit, Link, Back],
            Layer::Cmdb => &[Find, Open, Right, Back],
            Layer::Calendar => &[Week, NextChange, Open, Today, Back],
            Layer::Dashboard => &[NextPeriod, PrevPeriod, Back],
            Layer::Inbox => &[Open, ToggleRead, ReadAll, UnreadOnly, Back],
            Layer::Form => &[Submit, NextField, Cancel, Reload, Editor, Help],
            Layer::Picker => &[Choose, Down, Cancel],
            Layer::Prompt => &[Choose, Cancel],
            Layer::Confirm => &[Yes, No],
        }
    }
}

impl Action {
    /// What the action does in `layer`, for help, hints and the palette.
    pub fn describe(self, layer: Layer) -> &'static str {
        use Action::*;
        match (layer, self) {
            (Layer::Detail, Down) => "scroll down",
            (Layer::Detail, Up) => "scroll up",
            (Layer::Detail, Top) => "scroll to the top",
            (Layer::Detail, Bottom) => "scroll to the end",
            (Layer::Detail, Open) => "follow the chosen link",
            (Layer::Cmdb, Open) => "the CI's open tickets",
            (Layer::Cmdb, Left) => "collapse",
            (Layer::Cmdb, Right) => "expand",
            (Layer::Calendar, Left) => "day before",
            (Layer::Calendar, Right) => "day after",
            (Layer::Calendar, Down) => "week after",
            (Layer::Calendar, Up) => "week before",
            (Layer::Calendar, PageDown) => "month after",
            (Layer::Calendar, PageUp) => "month before",
            (Layer::Calendar, Open) => "open the change",
            (Layer::Queue, Back) => "clear the filter / marks",
            (Layer::Inbox, Open) => "open the ticket (read)",
            (Layer::Picker, Choose) => "take it",
            (Layer::Prompt, Choose) => "keep / run",
            (Layer::Prompt, Cancel) => "clear / close",
            (Layer::Form, Help) => "show the keys",
            _ => self.description(),
        }
    }

    /// What the action does, wherever it is.
    pub fn description(self) -> &'static str {
        use Action::*;
        match self {
            Quit => "quit",
            Help => "show the keys",
            Palette => "run an action, or open a ticket by id",
            PaneQueue => "queue",
            PaneDetail => "ticket detail",
            PaneCmdb => "CMDB tree",
            PaneCalendar => "change calendar",
            PaneDashboard => "dashboard",
            PaneInbox => "inbox",
            NextPane => "next pane",
            PrevPane => "previous pane",
            NewTicket => "new ticket",
            Refresh => "reload the desk",
            Down => "down",
            Up => "up",
            Left => "left",
            Right => "right",
            PageDown => "page down",
            PageUp => "page up",
            Top => "first",
            Bottom => "last",
            Open => "open",
            Back => "back",
            Filter => "filter as you type",
            NextView => "next view",
            PrevView => "previous view",
            Sort => "sort by the next column",
            SortReverse => "reverse the sort",
            Mark => "mark",
            MarkAll => "mark all shown",
            Transition => "move through the lifecycle",
            AssignToMe => "assign to me",
            Assign => "assign to…",
            Unassign => "unassign",
            Resolve => "resolve",
            Pend => "pend",
            Comment => "comment",
            WorkNote => "work note",
            Reply => "reply (mailed)",
            Edit => "edit fields",
            Link => "link a CI or ticket",
            Unlink => "unlink a CI or ticket",
            NextLink => "next link",
            PrevLink => "previous link",
            Times => "absolute times / ages",
            Find => "find a CI by name",
            Today => "today",
            Week => "month ↔ week",
            NextChange => "next change of the day",
            PrevChange => "previous change of the day",
            History => "closed changes too (history)",
            NextPeriod => "next period",
            PrevPeriod => "previous period",
            ToggleRead => "read / unread",
            ReadAll => "mark all read",
            UnreadOnly => "unread only / all",
            Submit => "save",
            Cancel => "cancel",
            NextField => "next field",
            PrevField => "previous field",
            Reload => "reload, keep my text",
            Editor => "$EDITOR",
            Choose => "choose",
            Yes => "yes",
            No => "no",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_has_a_name_that_parses_back() {
        for l in Layer::ALL {
            assert_eq!(Layer::parse(l.name()), Some(l));
        }
        assert_eq!(Layer::parse("nowhere"), None);
    }

    #[test]
    fn hints_are_actions_of_their_layer() {
        for l in Layer::ALL {
            for a in l.hinted() {
                assert!(l.accepts(*a), "{a:?} hinted in {l:?}");
            }
        }
    }
}
