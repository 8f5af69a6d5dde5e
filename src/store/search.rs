//! Full-text search over titles, descriptions and comments (FTS5, ranked by BM25).

use rusqlite::Connection;

use super::Result;

/// Turns what a person typed into an FTS5 query that cannot be a syntax error: every word
/// is quoted (so `AND`, `"`, `*`, `:` are plain text) and the last one also matches as a
/// prefix, so a half-typed word still finds. `None` when there is no word to look for.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    let last = words.len().checked_sub(1)?;
    let mut q = words[..last].join(" ");
    if !q.is_empty() {
        q.push(' ');
    }
    q.push_str(&words[last]);
    q.push('*');
    Some(q)
}

/// Row ids of the best `limit` matches, best first. Title hits weigh most, then the
/// description, then comments.
pub fn search(conn: &Connection, query: &str, limit: usize) -> Result<Vec<(i64, f64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid, bm25(ticket_search, 10.0, 3.0, 1.0) AS score FROM ticket_search \
         WHERE ticket_search MATCH ?1 ORDER BY score LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(rusqlite::params![query, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_text_becomes_a_safe_query() {
        assert_eq!(fts_query("printer"), Some("\"printer\"*".into()));
        assert_eq!(fts_query("mail AND \"down"), Some("\"mail\" \"AND\" \"down\"*".into()));
        assert_eq!(fts_query("  -- ** "), None);
        assert_eq!(fts_query("café:latte"), Some("\"café\" \"latte\"*".into()));
    }
}
