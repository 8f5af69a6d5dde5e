//! Making text from the desk safe to print: whatever a ticket says, it is shown, never obeyed.
//!
//! One rule decides what a terminal must never get as it is ([`is_risky`]), and one
//! function applies it ([`inert`]). Every human output passes through it at its edge: the
//! CLI's standard output and error (`cli::print`, `main`), exports written to a terminal,
//! and every frame of the terminal desk (`tui::ui`), so a formatter that forgets cannot let
//! anything through.

/// Unicode's format characters (general category Cf, Unicode 15): they are invisible, and
/// some reorder (bidi controls) or hide (zero-width, tag characters) the text around them.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{0600}'..='\u{0605}'
        | '\u{061C}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{0890}'..='\u{0891}'
        | '\u{08E2}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}'
        | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}')
}

/// Whether a terminal could act on `c` instead of showing it, or it changes what is shown
/// around it: the C0 and C1 controls and DEL (ESC starts every escape sequence, OSC 52
/// clipboard writes included; U+009B is an 8-bit CSI), the line and paragraph separators,
/// and the format characters (bidi overrides and isolates, zero-width characters, the soft
/// hyphen, tag characters). Newline and tab are controls too; [`inert`] decides about them.
pub fn is_risky(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_format(c)
}

/// Whether any character of `s` is [`is_risky`]. Printable ASCII, nearly all of what a desk
/// holds, is skipped sixteen bytes at a time; only the rest is decoded and asked.
pub fn has_risky(s: &str) -> bool {
    first_risky(s, is_risky).is_some()
}

/// The byte offset of the first character of `s` for which `risky` holds, asking `risky`
/// only about characters that are not printable ASCII (a printable ASCII character is never
/// risky: callers' rules all agree on that).
fn first_risky(s: &str, risky: impl Fn(char) -> bool) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        i += printable_ascii_run(&bytes[i..]);
        let c = s.get(i..)?.chars().next()?;
        if risky(c) {
            return Some(i);
        }
        i += c.len_utf8();
    }
}

/// How many of the first bytes are printable ASCII, looked at sixteen at a time (a loop the
/// compiler turns into vector instructions).
fn printable_ascii_run(bytes: &[u8]) -> usize {
    run_of(bytes, |b| b.wrapping_sub(0x20) < 0x5f)
}

/// How many of the first bytes `ok` takes, sixteen at a time while it takes them all.
#[inline(always)]
fn run_of(bytes: &[u8], ok: impl Fn(u8) -> bool) -> usize {
    let mut run = 0;
    for chunk in bytes.chunks_exact(16) {
        if !chunk.iter().fold(true, |all, &b| all & ok(b)) {
            break;
        }
        run += 16;
    }
    run + bytes[run..].iter().take_while(|&&b| ok(b)).count()
}

/// Text that is safe to show: each risky character (see [`is_risky`]) becomes a visible
/// stand-in (U+FFFD), so nothing disappears silently. Newlines and tabs are kept (a tab as
/// four spaces, a CR only right before a newline) only when `multiline`; otherwise they,
/// and carriage returns, become spaces.
pub fn inert(s: &str, multiline: bool) -> String {
    // A newline stays a newline in multiline text: only what changes starts the slow way.
    let Some(first) = first_risky(s, |c| is_risky(c) && !(multiline && c == '\n')) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    let mut chars = s[first..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' if multiline => out.push('\n'),
            '\t' if multiline => out.push_str("    "),
            // A line ending of CR LF (iCalendar, mail) moves to the next line as LF does.
            '\r' if multiline && chars.peek() == Some(&'\n') => out.push('\r'),
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_risky(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Whether a name (an operator, a CI, a class, a freeze window) may be stored: printable,
/// on one line, with nothing [`is_risky`] in it. The CLI, imports and restores all ask this.
pub fn printable_name(s: &str) -> bool {
    !s.trim().is_empty() && !has_risky(s)
}

/// JSON that is safe to print on a terminal and means the same: serde_json escapes the C0
/// controls, and this escapes the rest a terminal might obey or that reorders or hides text —
/// DEL and the C1 controls (U+009B is an 8-bit CSI), bidi controls, zero-width characters and
/// the line and paragraph separators — as `\uXXXX`. Outside strings JSON is plain ASCII, so
/// only string contents change, and they parse back to exactly what they were.
pub fn json_safe(json: String) -> String {
    if json_is_safe(&json) {
        return json;
    }
    let risky = |c: char| is_risky(c) && c >= ' ';
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if risky(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", u));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether [`json_safe`] would leave this JSON as it is.
pub fn json_is_safe(json: &str) -> bool {
    // serde_json escapes the C0 controls (below U+0020) and leaves the rest as it is.
    first_risky(json, |c| is_risky(c) && c >= ' ').is_none()
}

/// [`json_is_safe`] of JSON as serde_json writes it, in bytes: no bytes that are not UTF-8
/// are safe. JSON of ASCII text (nearly every ticket) is never decoded.
pub fn json_bytes_are_safe(json: &[u8]) -> bool {
    // Printable ASCII and the line breaks of pretty JSON (inside its strings a newline is
    // escaped) are safe.
    let ascii = run_of(json, |b| b.wrapping_sub(0x20) < 0x5f || b == b'\n');
    // Everything before was ASCII, so the rest starts a character.
    ascii == json.len() || std::str::from_utf8(&json[ascii..]).is_ok_and(json_is_safe)
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

/// A text's characters in lowercase (as `str::to_lowercase`, without its one rule for a
/// final sigma), without making a lowercase copy: for orders that ignore case.
pub fn lowercase_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
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
    fn the_fast_scan_agrees_with_asking_every_character() {
        let alphabet = [
            'a',
            ' ',
            '~',
            '\u{7f}',
            '\n',
            '\t',
            '\r',
            '\u{1b}',
            'é',
            '✓',
            '\u{9b}',
            '\u{202e}',
            '\u{200b}',
            '\u{2028}',
            '\u{E0041}',
            '\u{AD}',
            '😀',
        ];
        let mut rng = fastrand::Rng::with_seed(17);
        for _ in 0..5_000 {
            // Mostly plain letters, so that long runs of printable ASCII come up too.
            let s: String = (0..rng.usize(0..40))
                .map(|_| {
                    if rng.u8(..4) != 0 {
                        'a'
                    } else {
                        alphabet[rng.usize(..alphabet.len())]
                    }
                })
                .collect();
            assert_eq!(has_risky(&s), s.chars().any(is_risky), "{s:?}");
            let json = serde_json::to_string_pretty(&[&s]).expect("json");
            assert_eq!(json_bytes_are_safe(json.as_bytes()), json_is_safe(&json), "{s:?}");
            assert_eq!(json_is_safe(&json), json_safe(json.clone()) == json, "{s:?}");
            for multiline in [false, true] {
                let slow = slow_inert(&s, multiline);
                assert_eq!(inert(&s, multiline), slow, "{s:?}");
            }
            let json = serde_json::to_string(&s).expect("json");
            let back: String = serde_json::from_str(&json_safe(json)).expect("parses");
            assert_eq!(back, s);
        }
    }

    /// What [`inert`] does, a character at a time.
    fn slow_inert(s: &str, multiline: bool) -> String {
        let mut out = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' if multiline => out.push('\n'),
                '\t' if multiline => out.push_str("    "),
                '\r' if multiline && chars.peek() == Some(&'\n') => out.push('\r'),
                '\n' | '\r' | '\t' => out.push(' '),
                c if is_risky(c) => out.push('\u{FFFD}'),
                c => out.push(c),
            }
        }
        out
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
    fn soft_hyphens_tags_and_separators_are_shown_not_kept() {
        let sly = "pay\u{AD}pal \u{E0041}\u{E0042} a\u{2028}b c\u{2029}d \u{FEFF}\u{2066}x\u{2069} \u{9B}2J";
        let shown = inert(sly, true);
        assert!(!shown.chars().any(is_risky), "{shown:?}");
        assert_eq!(shown.matches('\u{FFFD}').count(), 9, "{shown:?}");
        let json = json_safe(serde_json::to_string(&sly).expect("json"));
        assert!(
            json.contains("\\udb40\\udc41"),
            "a tag character as its UTF-16 pair: {json}"
        );
        assert_eq!(serde_json::from_str::<String>(&json).expect("parses"), sly);
        assert!(!printable_name("db\u{200B}01") && !printable_name("  ") && printable_name("db-01 é"));
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
