//! Copying a whole desk into an empty one, on either engine: every row of every table,
//! ids and hashes verbatim, so the timeline's chain, the desk's trail and `audit verify` are
//! the same on both. The search index is derived, and made again at the end.

use super::sql::{Value, quoted as ident, quoted_list};
use super::{Engine, OptionalExt, Result, StoreError, Tx};

/// A desk's tables, each after those it refers to.
pub const TABLES: &[&str] = &[
    "meta",
    "operators",
    "tickets",
    "comments",
    "events",
    "ticket_links",
    "cis",
    "ci_relations",
    "ticket_cis",
    "freeze_windows",
    "freeze_window_cis",
    "ci_maintenance",
    "import_keys",
    "alerts",
    "mail_messages",
    "watchers",
    "outbox",
    "mail_log",
    "inbox",
    "desk_events",
    "change_span",
];

/// Settings that belong to one engine's schema: each desk keeps its own.
const SCHEMA_KEYS: &[&str] = &["postgresql_schema"];

/// Rows copied between two reports of progress.
const PROGRESS_ROWS: u64 = 20_000;

/// How many rows each table holds, in copy order.
pub fn count(tx: &Tx) -> Result<Vec<(&'static str, u64)>> {
    TABLES
        .iter()
        .map(|t| {
            let only = if *t == "meta" {
                let keys: Vec<String> = SCHEMA_KEYS.iter().map(|k| format!("'{k}'")).collect();
                format!(" WHERE key NOT IN ({})", keys.join(", "))
            } else {
                String::new()
            };
            let n: i64 = tx.query_row(&format!("SELECT count(*) FROM {}{only}", ident(t)), (), |r| r.get(0))?;
            Ok((*t, u64::try_from(n).unwrap_or(0)))
        })
        .collect()
}

/// A chain's length, and its newest entry's id and hash.
pub type StoredHead = (u64, Option<(i64, Vec<u8>)>);

/// The timeline's and the desk trail's length and newest entry (id, hash) as stored: what
/// a walk of a whole, unbroken chain ends on.
pub fn stored_heads(tx: &Tx) -> Result<[StoredHead; 2]> {
    let of = |table: &str| -> Result<StoredHead> {
        let n: i64 = tx.query_row(&format!("SELECT count(*) FROM {table}"), (), |r| r.get(0))?;
        let last = tx
            .query_row(
                &format!("SELECT id, hash FROM {table} ORDER BY id DESC LIMIT 1"),
                (),
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default())),
            )
            .optional()?;
        Ok((u64::try_from(n).unwrap_or(0), last))
    };
    Ok([of("events")?, of("desk_events")?])
}

/// Whether a desk holds nothing of its own: a schema just made (or one a copy cut short
/// left behind), with no operator, ticket, CI or entry of the desk's trail.
pub fn is_empty(tx: &Tx) -> Result<bool> {
    for t in ["operators", "tickets", "cis", "desk_events"] {
        if tx.exists(&format!("SELECT 1 FROM {} LIMIT 1", ident(t)), ())? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Copies every table of `from` into `to` (an empty desk), calling `progress` with the rows
/// copied so far and the rows in all. Returns how many rows each table held.
pub fn copy(from: &Tx, to: &Tx, progress: &mut dyn FnMut(u64, u64)) -> Result<Vec<(&'static str, u64)>> {
    let counts = count(from)?;
    let all: u64 = counts.iter().map(|(_, n)| n).sum();
    let mut done = 0;
    progress(done, all);
    super::search::pause_for_load(to)?;
    let again = match to.engine() {
        Engine::Postgres => super::server::before_load(to)?,
        Engine::Sqlite => Vec::new(),
    };
    for table in TABLES {
        let cols = columns(to, table)?;
        let mut theirs = columns(from, table)?;
        let mut ours = cols.clone();
        theirs.sort();
        ours.sort();
        if theirs != ours {
            return Err(StoreError::Corrupt(format!(
                "table {table} has columns ({}) here and ({}) in the desk copied from: the two desks are of different schemas",
                ours.join(", "),
                theirs.join(", ")
            )));
        }
        if *table == "change_span" {
            to.execute("DELETE FROM change_span", ())?;
        }
        let list = quoted_list(&cols);
        let select = format!("SELECT {list} FROM {} ORDER BY 1", ident(table));
        if *table == "meta" {
            // A new desk's settings give way to those copied; each desk keeps its own
            // schema's.
            let mut rows: Vec<Value<'static>> = Vec::new();
            from.each(&select, (), |r| {
                if !r.get::<_, &str>(0).is_ok_and(|k| SCHEMA_KEYS.contains(&k)) {
                    for i in 0..cols.len() {
                        rows.push(r.value(i)?.owned());
                    }
                    done += 1;
                }
                Ok(())
            })?;
            if !rows.is_empty() {
                let sql = format!(
                    "{} ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    super::sql::many_rows_sql(table, &cols, rows.len() / cols.len())
                );
                to.execute(&sql, rows.as_slice())?;
            }
            progress(done, all);
            continue;
        }
        to.load(table, &cols, &mut |put| {
            from.scan(&select, (), |r| {
                let row = (0..cols.len())
                    .map(|i| Ok(r.value(i)?.bound()))
                    .collect::<Result<Vec<_>>>()?;
                put(&row)?;
                done += 1;
                if done % PROGRESS_ROWS == 0 {
                    progress(done, all);
                }
                Ok(())
            })
        })?;
        progress(done, all);
    }
    // The search index first, so that its GIN index is made over the full table.
    super::search::resume_after_load(to)?;
    if to.engine() == Engine::Postgres {
        super::server::after_load(to, &again)?;
    }
    Ok(counts)
}

/// A table's columns, in the order it declares them.
fn columns(tx: &Tx, table: &str) -> Result<Vec<String>> {
    let sql = tx.pick(
        "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position",
    );
    let cols: Vec<String> = tx.query_map(sql, [table], |r| r.get(0))?;
    if cols.is_empty() {
        return Err(StoreError::Corrupt(format!("the desk has no table {table}")));
    }
    Ok(cols)
}
