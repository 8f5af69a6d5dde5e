//! Full-text search over titles, descriptions and comments (FTS5, ranked by BM25).

use super::sql::{OptionalExt, Tx, params};

use super::Result;

/// Turns what a person typed into an FTS5 query that cannot be a syntax error: every word
/// is quoted (so `AND`, `"`, `:` and brackets are plain text) and all must match. A word typed
/// with a trailing `*` matches as a prefix (`printe*`). `None` when there is no word.
pub fn fts_query(text: &str) -> Option<String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            word.push(c);
            chars.next();
        }
        if word.is_empty() {
            chars.next();
            continue;
        }
        let prefix = chars.peek() == Some(&'*');
        words.push(format!("\"{word}\"{}", if prefix { "*" } else { "" }));
    }
    (!words.is_empty()).then(|| words.join(" "))
}

/// How many of the most recent matches are ranked. Ranking costs about a microsecond per
/// matching ticket (FTS5 reads each one's size), so on a large desk a common word would
/// take tens of milliseconds to rank in full; a desk's recent tickets are also the ones
/// wanted. With fewer matches than this, every match is ranked.
pub const RANK_WINDOW: i64 = 2_000;

/// Stops keeping the search index current, for a bulk load into a desk nobody else is
/// using: FTS5 flushes its pending terms at every statement savepoint, so a trigger per row
/// makes a large load several times slower than building the index once at the end.
pub fn pause_index(conn: &Tx) -> Result<()> {
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS ticket_search_on_insert;
         DROP TRIGGER IF EXISTS ticket_search_on_update;
         DROP TRIGGER IF EXISTS ticket_search_on_comment;",
    )?;
    Ok(())
}

/// The triggers that keep the index current, as migration 2 created them.
fn triggers() -> &'static str {
    let sql = include_str!("search_index.sql");
    sql.find("CREATE TRIGGER").map_or("", |i| &sql[i..])
}

/// Indexes these tickets (new, or changed while the index was paused) in one statement and
/// restores the triggers. Run in the transaction that paused the index, a writer keeps the
/// index current at the cost of one FTS5 flush instead of one per statement.
pub fn index_tickets(conn: &Tx, rowids: &[i64]) -> Result<()> {
    let ids = serde_json::to_string(rowids).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "DELETE FROM ticket_search WHERE rowid IN (SELECT value FROM json_each(?1))",
        [&ids],
    )?;
    conn.execute(
        "INSERT INTO ticket_search (rowid, title, description, comments) \
         SELECT t.id, t.title, t.description, \
                coalesce((SELECT group_concat(c.body, char(10)) FROM comments c WHERE c.ticket_id = t.id), '') \
         FROM tickets t WHERE t.id IN (SELECT value FROM json_each(?1))",
        [&ids],
    )?;
    conn.execute_batch(triggers())?;
    Ok(())
}

/// Rebuilds the search index from tickets and comments and restores its triggers.
pub fn resume_index(conn: &Tx) -> Result<()> {
    pause_index(conn)?;
    conn.execute_batch("INSERT INTO ticket_search (ticket_search) VALUES ('delete-all');")?;
    conn.execute_batch(include_str!("search_index.sql"))?;
    Ok(())
}

/// Row ids of the best `limit` matches among the [`RANK_WINDOW`] most recent, best first.
/// Title hits weigh most, then the description, then comments (BM25).
pub fn search(conn: &Tx, query: &str, limit: usize) -> Result<Vec<(i64, f64)>> {
    let floor: i64 = conn
        .query_row(
            "SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?1 ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
            params![query, RANK_WINDOW - 1],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(i64::MIN);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = conn.query_map(
        "SELECT rowid, bm25(ticket_search, 10.0, 3.0, 1.0) AS score FROM ticket_search \
         WHERE ticket_search MATCH ?1 AND rowid >= ?2 ORDER BY score LIMIT ?3",
        params![query, floor, limit],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_text_becomes_a_safe_query() {
        assert_eq!(fts_query("printer"), Some("\"printer\"".into()));
        assert_eq!(fts_query("mail AND \"down"), Some("\"mail\" \"AND\" \"down\"".into()));
        assert_eq!(fts_query("  -- ** "), None);
        assert_eq!(fts_query("café:latte"), Some("\"café\" \"latte\"".into()));
        assert_eq!(fts_query("printe* jam"), Some("\"printe\"* \"jam\"".into()));
        assert_eq!(fts_query("*x* NEAR(a b)"), Some("\"x\"* \"NEAR\" \"a\" \"b\"".into()));
    }
}
