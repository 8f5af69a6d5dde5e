//! Styles. With NO_COLOR (or a terminal without colour) every state stays readable: states
//! are also written as text (RISK, LATE, ✓), and selection uses reverse video.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to anything (https://no-color.org) or the terminal
    /// says it has none (`TERM=dumb`).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Theme {
            color: !no_color && !dumb,
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn header(self) -> Style {
        if self.color {
            Style::default().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn marked(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn priority(self, p: u8) -> Style {
        match p {
            1 => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            2 => self.fg(Color::LightRed),
            3 => self.fg(Color::Yellow),
            _ => Style::default(),
        }
    }
    pub fn at_risk(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn breached(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn dim(self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Tickets coming in, on the dashboard (resolved ones are [`Theme::ok`]).
    pub fn opened(self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn title(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn label(self, focused: bool) -> Style {
        if focused {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            self.dim()
        }
    }
    pub fn chosen(self, focused: bool) -> Style {
        let s = Style::default().add_modifier(Modifier::BOLD);
        if focused { s.add_modifier(Modifier::REVERSED) } else { s }
    }
}
