//! Hostile text: whatever a ticket says — escape sequences, clipboard writes, bidi overrides,
//! zero-width characters, 100 KB of it — is shown inert by the CLI and the terminal desk, and
//! kept raw (correctly escaped) in JSON.

mod common;

use common::Env;

/// Everything a terminal would obey instead of show.
const ATTACKS: &[(&str, &str)] = &[
    ("CSI clear screen", "\u{1b}[2J"),
    ("CSI colour", "\u{1b}[31m"),
    ("OSC 52 clipboard write", "\u{1b}]52;c;ZXZpbA==\u{7}"),
    ("OSC 8 hyperlink", "\u{1b}]8;;https://evil.example\u{1b}\\"),
    ("8-bit CSI", "\u{9b}2J"),
    ("bell", "\u{7}"),
    ("carriage return overwrite", "\rINC-999 resolved"),
    ("backspace", "\u{8}\u{8}"),
    ("right-to-left override", "\u{202E}exe.txt"),
    ("left-to-right isolate", "\u{2066}x\u{2069}"),
    ("zero-width space", "a\u{200B}b"),
    ("zero-width joiner", "a\u{200D}b"),
    ("byte order mark", "\u{FEFF}"),
];

/// What must never reach the terminal.
fn obeyed(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200D}' | '\u{FEFF}')
}

fn title() -> String {
    let mut t = String::from("evil");
    for (_, a) in ATTACKS {
        t.push(' ');
        t.push_str(a);
    }
    t
}

/// A comment of ~100 KB, every attack many times over, ending in a marker.
fn big_comment() -> String {
    let mut c = String::new();
    while c.len() < 100_000 {
        for (name, a) in ATTACKS {
            c.push_str(name);
            c.push_str(": ");
            c.push_str(a);
            c.push('\n');
        }
    }
    c.push_str("the end");
    c
}

#[test]
fn the_cli_prints_hostile_text_inert_and_json_keeps_it_raw() {
    let env = Env::new();
    let title = title();
    env.ok(&["new", "incident", "--title", &title]);
    let comment = big_comment();
    let out = env
        .cmd()
        .args(["comment", "INC-1", "-"])
        .write_stdin(comment.clone())
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for args in [
        &["show", "INC-1"][..],
        &["list"],
        &["list", "--open"],
        &["search", "evil"],
    ] {
        let text = env.ok(args);
        assert!(text.contains("evil"), "{args:?}: {text}");
        if let Some(c) = text.chars().find(|c| obeyed(*c)) {
            panic!("{args:?} printed {:?}", c);
        }
    }
    assert!(
        env.ok(&["show", "INC-1"]).contains("the end"),
        "a long comment is shown whole"
    );
    let v = env.json(&["show", "INC-1"]);
    assert_eq!(v["title"], title.as_str(), "JSON keeps the title as typed");
    let kept = v["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|e| e["kind"] == "comment")
        .and_then(|e| e["comment"].as_str())
        .expect("comment");
    assert_eq!(kept, comment, "JSON keeps all 100 KB as typed");
    // The JSON text itself escapes every control character.
    let raw = env.ok(&["show", "INC-1", "--json"]);
    assert!(
        !raw.chars().any(obeyed),
        "JSON printed on a terminal must not carry them raw"
    );
}
