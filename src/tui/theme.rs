//! Styles. With NO_COLOR (or a terminal without colour) every state stays readable: states
//! are also written as text (risk, late, hold, ✓), and selection uses reverse video.

use ratatui::style::{Color, Modifier, Style};

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colors {
    /// None: states read from their text and from bold, reverse and underline.
    None,
    /// The eight basic colours only (the Linux console, `xterm` without 256 colours).
    Basic,
    /// Sixteen colours and more.
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub colors: Colors,
    /// Only ASCII glyphs (consoles whose fonts lack arrows, blocks and box lines).
    pub ascii: bool,
}

impl Theme {
    pub const fn full() -> Theme {
        Theme {
            colors: Colors::Full,
            ascii: false,
        }
    }

    pub const fn plain() -> Theme {
        Theme {
            colors: Colors::None,
            ascii: false,
        }
    }

    /// What the environment says the terminal can show: `NO_COLOR` (https://no-color.org)
    /// turns colour off; `TERM=dumb`, `vt100` and kin have neither colour nor more than
    /// ASCII; the Linux console has the basic colours and ASCII; a terminal that does not
    /// say `256color` (in `TERM`) or truecolor (in `COLORTERM`) gets the basic colours.
    /// `setting` (config.toml `theme`) overrides: auto, full, basic, plain, ascii.
    pub fn detect(term: Option<&str>, colorterm: Option<&str>, no_color: bool, setting: Option<&str>) -> Theme {
        let term = term.unwrap_or("");
        let mut theme = match term {
            "dumb" | "vt52" | "vt100" | "vt102" | "vt220" | "vt320" | "ansi" => Theme {
                colors: Colors::None,
                ascii: true,
            },
            "linux" | "cons25" => Theme {
                colors: Colors::Basic,
                ascii: true,
            },
            t if t.contains("256color") || t.contains("direct") || colorterm.is_some_and(|c| !c.is_empty()) => {
                Theme::full()
            }
            _ => Theme {
                colors: Colors::Basic,
                ascii: false,
            },
        };
        if no_color {
            theme.colors = Colors::None;
        }
        match setting {
            Some("full") => theme.colors = Colors::Full,
            Some("basic") => theme.colors = Colors::Basic,
            Some("plain") => theme.colors = Colors::None,
            Some("ascii") => {
                theme.colors = Colors::None;
                theme.ascii = true;
            }
            _ => {}
        }
        theme
    }

    pub fn from_env(setting: Option<&str>) -> Theme {
        let var = |k: &str| std::env::var(k).ok();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme::detect(var("TERM").as_deref(), var("COLORTERM").as_deref(), no_color, setting)
    }

    pub fn color(self) -> bool {
        self.colors != Colors::None
    }

    fn fg(self, c: Color) -> Style {
        let c = match (self.colors, c) {
            (Colors::None, _) => return Style::default(),
            // The basic eight: bright red is red, grey is dim.
            (Colors::Basic, Color::LightRed) => Color::Red,
            (Colors::Basic, Color::DarkGray) => return Style::default().add_modifier(Modifier::DIM),
            (_, c) => c,
        };
        Style::default().fg(c)
    }

    /// Said before a pane's title when it has the focus, so that without colour the focus
    /// is text, not only a bold border.
    pub fn focus_mark(self, focused: bool) -> &'static str {
        match (focused, self.color()) {
            (true, false) => "▶ ",
            _ => "",
        }
    }

    pub fn header(self) -> Style {
        if self.color() {
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
        self.fg(Color::DarkGray)
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

/// The ASCII stand-in for a glyph a console font may lack (one cell for one cell).
pub fn ascii(c: char) -> Option<char> {
    Some(match c {
        '▶' | '▸' | '→' | '»' => '>',
        '◀' | '←' | '«' => '<',
        '↑' => '^',
        '↓' => 'v',
        '↔' => '-',
        '█' => '#',
        '●' | '•' | '·' => '*',
        '✓' => '+',
        '✗' | '×' => 'x',
        '…' => '~',
        '─' | '━' | '═' => '-',
        '│' | '┃' | '║' => '|',
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╰' | '╯' => '+',
        '∅' => '-',
        '⚠' => '!',
        c if c.is_ascii() => return None,
        _ => '?',
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminals_get_what_they_can_show() {
        let t = |term: &str, ct: Option<&str>, nc: bool, set: Option<&str>| Theme::detect(Some(term), ct, nc, set);
        assert_eq!(t("xterm-256color", None, false, None), Theme::full());
        assert_eq!(t("xterm", Some("truecolor"), false, None), Theme::full());
        assert_eq!(t("xterm", None, false, None).colors, Colors::Basic);
        assert_eq!(
            t("linux", None, false, None),
            Theme {
                colors: Colors::Basic,
                ascii: true
            }
        );
        assert_eq!(
            t("vt100", None, false, None),
            Theme {
                colors: Colors::None,
                ascii: true
            }
        );
        assert_eq!(t("xterm-256color", None, true, None).colors, Colors::None, "NO_COLOR");
        assert_eq!(
            t("linux", None, false, Some("full")).colors,
            Colors::Full,
            "the setting wins"
        );
        assert!(t("xterm-256color", None, false, Some("ascii")).ascii);
        // The basic palette never asks for a bright colour (crossterm writes those as 256-colour codes).
        let basic = t("linux", None, false, None);
        assert_eq!(basic.priority(2).fg, Some(Color::Red));
        assert_eq!(basic.dim().fg, None);
    }

    #[test]
    fn ascii_stand_ins_are_ascii() {
        for c in "▶▸→←↑↓↔█●✓✗…─│┌┐└┘∅⚠·é".chars() {
            assert!(ascii(c).is_some_and(|a| a.is_ascii()), "{c}");
        }
        assert_eq!(ascii('a'), None);
    }
}
