//! Making text from the desk safe to print: whatever a ticket says, it is shown, never obeyed.

/// Replaces what a terminal would act on instead of show: control characters (ESC starts
/// every escape sequence, OSC 52 clipboard writes included), bidi overrides and isolates
/// (which reorder what is shown), and zero-width characters (which hide text). Each becomes
/// a visible stand-in, so nothing disappears silently. Newlines and tabs are kept only when
/// `multiline`.
pub fn inert(s: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' if multiline => out.push('\n'),
            '\t' if multiline => out.push_str("    "),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}' => {
                out.push('\u{FFFD}')
            }
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe to print on a terminal and means the same: serde_json escapes the C0
/// controls, and this escapes the rest a terminal might obey or that reorders or hides text —
/// DEL and the C1 controls (U+009B is an 8-bit CSI), bidi controls, zero-width characters and
/// the line and paragraph separators — as `\uXXXX`. Outside strings JSON is plain ASCII, so
/// only string contents change, and they parse back to exactly what they were.
pub fn json_safe(json: String) -> String {
    let risky = |c: char| {
        matches!(c,
            '\u{7F}'..='\u{9F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}' | '\u{2029}' | '\u{2060}' | '\u{061C}' | '\u{FEFF}')
    };
    if !json.contains(risky) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if risky(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// One line of at most `max` characters, with `…` where it was cut.
pub fn clip(s: &str, max: usize) -> String {
    let s = inert(s, false);
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_safe_escapes_what_a_terminal_obeys_and_parses_back_the_same() {
        let raw = "a\u{9b}2J \u{7f} \u{202e}exe \u{200b} \u{2028} é ✓";
        let json = serde_json::to_string(&raw).expect("json");
        let safe = json_safe(json);
        assert!(!safe.chars().any(|c| c.is_control()), "{safe}");
        assert!(safe.contains("\\u009b") && safe.contains("\\u202e"), "{safe}");
        assert!(safe.contains('é') && safe.contains('✓'), "ordinary text stays as it is");
        let back: String = serde_json::from_str(&safe).expect("parses");
        assert_eq!(back, raw);
    }

    #[test]
    fn escapes_are_shown_not_obeyed() {
        let hostile = "a\u{1b}[2Jb\u{1b}]52;c;ZXZpbA==\u{7}c\u{202E}d\u{200B}e";
        let shown = inert(hostile, false);
        assert!(!shown.chars().any(|c| c.is_control()));
        assert!(!shown.contains('\u{202E}') && !shown.contains('\u{200B}'));
        assert!(shown.starts_with('a') && shown.ends_with('e'));
    }

    #[test]
    fn newlines_survive_only_when_asked() {
        assert_eq!(inert("a\nb\tc", true), "a\nb    c");
        assert_eq!(inert("a\nb\r\nc", false), "a b  c");
    }

    #[test]
    fn clip_cuts_with_an_ellipsis() {
        assert_eq!(clip("printer on fire", 7), "printe…");
        assert_eq!(clip("short", 7), "short");
    }
}
