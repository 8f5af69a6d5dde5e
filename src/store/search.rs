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

/// Stops keeping the search index current, for a bulk load into a desk nobody else is
/// using: FTS5 flushes its pending terms at every statement savepoint, so a trigger per row
/// makes a large load several times slower than building the index once at the end.
pub fn pause_index(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS ticket_search_on_insert;
         DROP TRIGGER IF EXISTS ticket_search_on_update;
         DROP TRIGGER IF EXISTS ticket_search_on_comment;",
    )?;
    Ok(())
}

/// Rebuilds the search index from tickets and comments and restores its triggers.
pub fn resume_index(conn: &Connection) -> Result<()> {
    pause_index(conn)?;
    conn.execute_batch("INSERT INTO ticket_search (ticket_search) VALUES ('delete-all');")?;
    conn.execute_batch(include_str!("search_index.sql"))?;
    Ok(())
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
