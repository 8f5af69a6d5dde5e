//! Full-text search over titles, descriptions and comments: FTS5 ranked by BM25 on SQLite,
//! a weighted tsvector behind a GIN index ranked by `ts_rank` on PostgreSQL (whose triggers
//! keep it current row by row, so pausing and resuming it are SQLite's alone).

use super::sql::{Engine, OptionalExt, Tx, params};

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
    if conn.engine() == Engine::Postgres {
        return Ok(());
    }
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
    if conn.engine() == Engine::Postgres {
        return Ok(());
    }
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
    if conn.engine() == Engine::Postgres {
        conn.execute_batch(
            "INSERT INTO ticket_search (ticket_id, doc) SELECT id, opsdesk_search_doc(id) FROM tickets \
             ON CONFLICT (ticket_id) DO UPDATE SET doc = excluded.doc",
        )?;
        return Ok(());
    }
    pause_index(conn)?;
    conn.execute_batch("INSERT INTO ticket_search (ticket_search) VALUES ('delete-all');")?;
    conn.execute_batch(include_str!("search_index.sql"))?;
    Ok(())
}

/// Stops keeping the search index current while a whole desk is loaded into a new one
/// nobody uses yet ([`super::copy`]); [`resume_after_load`] builds it once at the end.
pub fn pause_for_load(conn: &Tx) -> Result<()> {
    if conn.engine() == Engine::Postgres {
        conn.execute_batch(
            "ALTER TABLE tickets DISABLE TRIGGER ticket_search_on_insert;
             ALTER TABLE tickets DISABLE TRIGGER ticket_search_on_update;
             ALTER TABLE comments DISABLE TRIGGER ticket_search_on_comment;",
        )?;
        return Ok(());
    }
    pause_index(conn)
}

/// Builds the search index of a desk loaded after [`pause_for_load`], in one pass over
/// tickets and comments, and keeps it current again. On PostgreSQL the document is the one
/// `opsdesk_search_doc` (server schema 1) makes for one ticket, written set-wise here: keep
/// the two in step.
pub fn resume_after_load(conn: &Tx) -> Result<()> {
    if conn.engine() == Engine::Postgres {
        conn.execute_batch(
            "INSERT INTO ticket_search (ticket_id, doc)
             SELECT t.id, setweight(to_tsvector('simple', t.title), 'A')
                       || setweight(to_tsvector('simple', t.description), 'B')
                       || setweight(to_tsvector('simple', coalesce(c.bodies, '')), 'C')
             FROM tickets t
             LEFT JOIN (SELECT ticket_id, string_agg(body, chr(10) ORDER BY id) AS bodies
                        FROM comments GROUP BY ticket_id) c ON c.ticket_id = t.id
             ON CONFLICT (ticket_id) DO UPDATE SET doc = excluded.doc;
             ALTER TABLE tickets ENABLE TRIGGER ticket_search_on_insert;
             ALTER TABLE tickets ENABLE TRIGGER ticket_search_on_update;
             ALTER TABLE comments ENABLE TRIGGER ticket_search_on_comment;",
        )?;
        return Ok(());
    }
    resume_index(conn)
}

/// Row ids of the best `limit` matches among the [`RANK_WINDOW`] most recent, best first.
/// Title hits weigh most, then the description, then comments (BM25).
pub fn search(conn: &Tx, query: &str, limit: usize) -> Result<Vec<(i64, f64)>> {
    if conn.engine() == Engine::Postgres {
        return search_tsvector(conn, &tsquery(query), limit);
    }
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

/// [`fts_query`]'s query (quoted words, a `*` after a prefix) as a `tsquery`: every word,
/// lower-cased as `to_tsvector('simple', …)` stores it, and `:*` for a prefix.
fn tsquery(fts: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut rest = fts;
    while let Some(open) = rest.find('"') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let mut word = after[..close].to_lowercase();
        rest = &after[close + 1..];
        if rest.starts_with('*') {
            word.push_str(":*");
        }
        words.push(word);
    }
    words.join(" & ")
}

/// The PostgreSQL search: the same window of recent matches, title hits weighing most, in
/// one statement (the newest [`RANK_WINDOW`] matches, then the best of them), so the
/// matches are found and read from the table once.
fn search_tsvector(conn: &Tx, query: &str, limit: usize) -> Result<Vec<(i64, f64)>> {
    // A plan made for these words: a plan for any words (what a prepared statement settles
    // on after a few runs) reads every match from the table, where for a common word
    // walking the newest tickets back is several times faster.
    conn.execute_batch("SET LOCAL plan_cache_mode = force_custom_plan")?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Lower is better, as BM25 scores are: the rank negated.
    conn.query_map(
        "SELECT ticket_id, score FROM ( \
             SELECT ticket_id, -ts_rank('{0.1, 0.2, 0.5, 1.0}', doc, to_tsquery('simple', ?1)) AS score \
             FROM ticket_search WHERE doc @@ to_tsquery('simple', ?1) ORDER BY ticket_id DESC LIMIT ?2 \
         ) newest ORDER BY score, ticket_id DESC LIMIT ?3",
        params![query, RANK_WINDOW, limit],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

#[cfg(test)]
mod tests {
    use super::{fts_query, tsquery};

    #[test]
    fn a_safe_query_becomes_a_tsquery() {
        assert_eq!(tsquery("\"Printer\""), "printer");
        assert_eq!(tsquery("\"printe\"* \"jam\""), "printe:* & jam");
        assert_eq!(tsquery("\"mail\" \"down\"*"), "mail & down:*");
    }

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
