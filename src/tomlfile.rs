//! Where in a TOML file a mistake is: the line, and the key it concerns, so every message
//! about a configuration file reads `file:line: key `…`: what is wrong`.

/// The 1-based line of a byte offset.
pub fn line_of(source: &str, offset: usize) -> usize {
    source.as_bytes()[..offset.min(source.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The table a header line opens (`[sla]`, `[[views]]`), if it is one.
fn header(line: &str) -> Option<&str> {
    let t = line.trim();
    let inner = t.strip_prefix("[[").and_then(|r| r.split_once("]]")).map(|(h, _)| h);
    inner
        .or_else(|| t.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(h, _)| h))
        .map(str::trim)
}

/// The key an assignment line sets (`mouse = true` → `mouse`, `"ctrl-x" = "quit"` → `ctrl-x`).
fn assigned(line: &str) -> Option<String> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    let (key, _) = t.split_once('=')?;
    let key = key.trim();
    (!key.is_empty()).then(|| {
        key.split('.')
            .map(|k| k.trim().trim_matches(['"', '\'']))
            .collect::<Vec<_>>()
            .join(".")
    })
}

/// The dotted key line `line` (1-based) sets or opens: `sla.timeout`, `views.priority`, `keys`.
/// A line inside a value spread over several lines belongs to the key above it.
pub fn key_at(source: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = source.lines().take(line).collect();
    let at = lines.len().checked_sub(1)?;
    if let Some(h) = header(lines[at]) {
        return Some(h.to_string());
    }
    let key = lines[..=at]
        .iter()
        .rev()
        .map_while(|l| header(l).is_none().then_some(*l))
        .find_map(assigned);
    let table = lines[..=at].iter().rev().find_map(|l| header(l));
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (None, Some(k)) => Some(k),
        (Some(t), None) => Some(t.to_string()),
        (None, None) => None,
    }
}

/// The byte offset of the header line that opens `table` (`[keys.queue]`), if the file has one.
pub fn table_start(source: &str, table: &str) -> Option<usize> {
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        if header(line) == Some(table) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The line that sets `key` in the table starting at `span` (up to the next header); the
/// table's first line if none does.
pub fn line_of_key(source: &str, span: std::ops::Range<usize>, key: &str) -> usize {
    let first = line_of(source, span.start);
    source
        .lines()
        .skip(first - 1)
        .enumerate()
        .take_while(|(i, l)| *i == 0 || header(l).is_none())
        .find(|(_, l)| assigned(l).as_deref() == Some(key))
        .map_or(first, |(i, _)| first + i)
}

/// A `toml` parse error as (line, message); the message names the key unless it does already.
pub fn describe(source: &str, e: &toml::de::Error) -> (usize, String) {
    let mut message = e.message().trim().to_string();
    // serde names the type it wanted (`expected struct RawLifecycle`): to a reader, a table.
    if let Some(i) = message.find("expected struct ") {
        let rest = &message[i + "expected struct ".len()..];
        let end = rest
            .find(|c: char| !c.is_alphanumeric() && c != '_')
            .unwrap_or(rest.len());
        message = format!("{}expected a table{}", &message[..i], &rest[end..]);
    }
    let Some(span) = e.span() else { return (0, message) };
    let line = line_of(source, span.start);
    match key_at(source, line) {
        Some(key) if !message.contains(&format!("`{}`", key.rsplit('.').next().unwrap_or(&key))) => {
            (line, format!("key `{key}`: {message}"))
        }
        _ => (line, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_through_tables_and_values_over_several_lines() {
        let src = "user = \"bob\"\n\n[sla]\ntimeout = 5\n[[views]]\nname = \"x\"\npriority = [\n  9,\n]\n[keys]\n\"ctrl-x\" = \"quit\"\n# note = 1\n";
        assert_eq!(key_at(src, 1).as_deref(), Some("user"));
        assert_eq!(key_at(src, 2).as_deref(), Some("user"), "the value above may go on");
        assert_eq!(key_at("\n[a]", 1), None);
        assert_eq!(key_at(src, 3).as_deref(), Some("sla"));
        assert_eq!(key_at(src, 4).as_deref(), Some("sla.timeout"));
        assert_eq!(key_at(src, 8).as_deref(), Some("views.priority"));
        assert_eq!(key_at(src, 11).as_deref(), Some("keys.ctrl-x"));
        assert_eq!(key_at(src, 12).as_deref(), Some("keys.ctrl-x"));
        assert_eq!(key_at(src, 99).as_deref(), Some("keys.ctrl-x"));
        assert_eq!(key_at("", 1), None);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a", 99), 1);
        let at = src.find("name").expect("name");
        assert_eq!(line_of_key(src, at..src.len(), "priority"), 7);
        assert_eq!(line_of_key(src, at..src.len(), "kind"), 6);
    }
}
