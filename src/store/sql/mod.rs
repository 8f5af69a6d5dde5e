//! The store's one way to speak SQL, to either engine. Statements are written once, with
//! `?N` placeholders, and run on SQLite as they are and on PostgreSQL with `$N`; parameters
//! and columns are the store's own few types ([`Value`], [`Col`]), so nothing outside the
//! store names an engine's type. SQL that differs between the engines is chosen with
//! [`Tx::pick`] beside the statement, or lives in the engine's own migrations.

mod lite;
mod pg;
mod values;

pub use crate::__store_params as params;
pub use pg::{Begin, PgConfig, PgConn, PgTx};
pub use values::{Col, Idx, Param, Params, Value, ValueRef};

use super::{Result, StoreError};

/// Which engine a desk is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// One row of an answer.
pub struct Row<'r>(RowOf<'r>);

enum RowOf<'r> {
    Lite(&'r rusqlite::Row<'r>),
    Pg(&'r postgres::Row),
}

impl<'r> Row<'r> {
    pub fn value(&self, i: usize) -> Result<ValueRef<'r>> {
        match self.0 {
            RowOf::Lite(r) => lite::value(r, i),
            RowOf::Pg(r) => pg::value(r, i),
        }
    }

    /// Column `i` as a `T`; the second type parameter is what the caller names.
    pub fn get<I: Idx, T: Col<'r>>(&self, i: I) -> Result<T> {
        let i = i.index();
        let v = self.value(i)?;
        T::from_value(v).ok_or_else(|| StoreError::Column {
            index: i,
            want: T::WHAT,
            found: v.kind(),
        })
    }

    pub fn column_count(&self) -> usize {
        match self.0 {
            RowOf::Lite(r) => r.as_ref().column_count(),
            RowOf::Pg(r) => r.len(),
        }
    }
}

/// What [`Tx::load`] reads rows from: it hands each row to the sink it is given.
pub type Feed<'a> = &'a mut dyn FnMut(&mut dyn FnMut(&[Value<'_>]) -> Result<()>) -> Result<()>;

/// The most values one SQLite statement binds (it allows 32,766).
const MAX_PARAMS: usize = 30_000;
/// The most rows one SQLite statement inserts.
const MAX_ROWS: usize = 1_000;

/// A connection inside a transaction (or, for SQLite, a connection the caller keeps in
/// one): every store function reads and writes through one.
pub struct Tx<'c> {
    of: TxOf<'c>,
    /// The newest event's id and hash once this transaction has read or written it: the
    /// next event of the same transaction is chained to it without asking again (writes are
    /// one at a time, so no one else appends meanwhile).
    head: std::cell::RefCell<Option<(i64, Vec<u8>)>>,
}

enum TxOf<'c> {
    Lite(&'c rusqlite::Connection),
    Pg(&'c dyn pg::PgExec),
}

impl<'c> Tx<'c> {
    /// A SQLite connection as a `Tx` (the store's own, and tests that look into a file).
    #[doc(hidden)]
    pub fn lite(conn: &'c rusqlite::Connection) -> Tx<'c> {
        Tx::of(TxOf::Lite(conn))
    }

    pub(crate) fn pg(tx: &'c dyn pg::PgExec) -> Tx<'c> {
        Tx::of(TxOf::Pg(tx))
    }

    fn of(of: TxOf<'c>) -> Tx<'c> {
        Tx {
            of,
            head: std::cell::RefCell::new(None),
        }
    }

    /// The events' chain head this transaction last saw or made, if it has.
    pub(crate) fn known_head(&self) -> Option<(i64, Vec<u8>)> {
        self.head.borrow().clone()
    }

    /// Remembers the events' chain head for this transaction's next event.
    pub(crate) fn remember_head(&self, id: i64, hash: &[u8]) {
        *self.head.borrow_mut() = Some((id, hash.to_vec()));
    }

    fn forget_head(&self) {
        *self.head.borrow_mut() = None;
    }

    pub fn engine(&self) -> Engine {
        match self.of {
            TxOf::Lite(_) => Engine::Sqlite,
            TxOf::Pg(_) => Engine::Postgres,
        }
    }

    /// The statement for this engine: `sqlite` or `postgres`.
    pub fn pick<'s>(&self, sqlite: &'s str, postgres: &'s str) -> &'s str {
        match self.engine() {
            Engine::Sqlite => sqlite,
            Engine::Postgres => postgres,
        }
    }

    /// Runs one statement; returns how many rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        match self.of {
            TxOf::Lite(c) => lite::execute(c, sql, &params),
            TxOf::Pg(t) => t.execute(sql, &values(&params)),
        }
    }

    /// Adds rows to `table`: `values` holds them one after another, `cols.len()` values
    /// each. PostgreSQL takes them through COPY; SQLite as one statement of many rows.
    pub fn insert_rows(&self, table: &str, cols: &[String], values: &[Value<'_>]) -> Result<()> {
        self.forget_head();
        match self.of {
            TxOf::Lite(c) => {
                let rows = values.len() / cols.len().max(1);
                lite::execute(c, &many_rows_sql(table, cols, rows), &values)?;
                Ok(())
            }
            TxOf::Pg(t) => t.copy_in(table, cols, values),
        }
    }

    /// Loads into `table` the rows `feed` hands its sink, `cols.len()` values each: through
    /// one COPY on PostgreSQL, as the rows come; on SQLite in statements of many rows.
    /// `feed` may read another desk but not use this transaction.
    pub fn load(&self, table: &str, cols: &[String], feed: Feed<'_>) -> Result<()> {
        self.forget_head();
        match self.of {
            TxOf::Lite(c) => {
                let per_statement = (MAX_PARAMS / cols.len().max(1)).clamp(1, MAX_ROWS);
                let mut rows: Vec<Value<'static>> = Vec::with_capacity(per_statement * cols.len());
                let flush = |rows: &mut Vec<Value<'static>>| -> Result<()> {
                    if !rows.is_empty() {
                        let n = rows.len() / cols.len().max(1);
                        lite::execute(c, &many_rows_sql(table, cols, n), rows.as_slice())?;
                        rows.clear();
                    }
                    Ok(())
                };
                feed(&mut |row| {
                    rows.extend(row.iter().map(Value::to_static));
                    if rows.len() >= per_statement * cols.len() {
                        flush(&mut rows)?;
                    }
                    Ok(())
                })?;
                flush(&mut rows)
            }
            TxOf::Pg(t) => t.copy_from(table, cols, feed),
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.forget_head();
        match self.of {
            TxOf::Lite(c) => Ok(c.execute_batch(sql)?),
            TxOf::Pg(t) => t.batch(sql),
        }
    }

    /// The first row of the answer, through `f`; [`StoreError::NoRow`] when there is none.
    pub fn query_row<P: Params, T>(&self, sql: &str, params: P, f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<T> {
        let mut f = Some(f);
        let mut out = None;
        let mut first = |row: &Row<'_>| {
            if let Some(f) = f.take() {
                out = Some(f(row)?);
            }
            Ok(false)
        };
        match self.of {
            TxOf::Lite(c) => lite::each(c, sql, &params, &mut first)?,
            TxOf::Pg(t) => t.query(sql, &values(&params), &mut first)?,
        }
        out.ok_or(StoreError::NoRow)
    }

    /// Every row of the answer, through `f`.
    pub fn query_map<P: Params, T>(
        &self,
        sql: &str,
        params: P,
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut all = |row: &Row<'_>| {
            out.push(f(row)?);
            Ok(true)
        };
        match self.of {
            TxOf::Lite(c) => lite::each(c, sql, &params, &mut all)?,
            TxOf::Pg(t) => t.query(sql, &values(&params), &mut all)?,
        }
        Ok(out)
    }

    /// Hands each row to `f` as it is read.
    pub fn each<P: Params>(&self, sql: &str, params: P, mut f: impl FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
        self.each_until(sql, params, &mut |row| f(row).map(|()| true))
    }

    /// Hands each row to `f` as the desk sends it, for long answers read straight through
    /// (on a server without a round trip per batch, unlike [`Tx::each`]): `f` may not use
    /// this transaction.
    pub fn scan<P: Params>(&self, sql: &str, params: P, mut f: impl FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
        self.scan_until(sql, params, &mut |row| f(row).map(|()| true))
    }

    /// [`Tx::scan`] until `f` answers `false`; on a server the rows after that are still
    /// read, and dropped.
    pub fn scan_until<P: Params>(
        &self,
        sql: &str,
        params: P,
        f: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        match self.of {
            TxOf::Lite(c) => lite::each(c, sql, &params, f),
            TxOf::Pg(t) => t.scan(sql, &values(&params), f),
        }
    }

    /// Hands rows to `f` until it answers `false`.
    pub fn each_until<P: Params>(
        &self,
        sql: &str,
        params: P,
        f: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        match self.of {
            TxOf::Lite(c) => lite::each(c, sql, &params, f),
            TxOf::Pg(t) => t.stream(sql, &values(&params), f),
        }
    }

    /// Runs an INSERT into a table keyed by `id` and returns the new row's id.
    pub fn insert<P: Params>(&self, sql: &str, params: P) -> Result<i64> {
        let sql = format!("{sql} RETURNING id");
        self.query_row(&sql, params, |r| r.get(0))
    }

    /// Whether the answer has a row.
    pub fn exists<P: Params>(&self, sql: &str, params: P) -> Result<bool> {
        self.query_row(sql, params, |_| Ok(())).optional().map(|o| o.is_some())
    }
}

fn values<P: Params + ?Sized>(p: &P) -> Vec<Value<'_>> {
    (0..p.count()).map(|i| p.get(i)).collect()
}

/// `Result<T>` to `Result<Option<T>>`: no row is `None`.
pub trait OptionalExt<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExt<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(t) => Ok(Some(t)),
            Err(StoreError::NoRow) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A name as an SQL identifier, double-quoted (the same on both engines).
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"a", "b"`: column names as a quoted list.
pub fn quoted_list(cols: &[String]) -> String {
    cols.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ")
}

/// `INSERT INTO "table" ("a", "b") VALUES (?1, ?2), (?3, ?4)`: `rows` rows of the columns.
pub fn many_rows_sql(table: &str, cols: &[String], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", quoted(table), quoted_list(cols));
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row > 0 { ", (" } else { "(" });
        for col in 0..cols.len() {
            if col > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push_str(&format!("?{n}"));
        }
        sql.push(')');
    }
    sql
}

/// A statement as PostgreSQL takes it: `?N` placeholders as `$N` (a bare `?` numbered in
/// turn), and SQLite's `INDEXED BY name` hints dropped (PostgreSQL's planner picks its own),
/// leaving string literals, quoted names and comments alone.
pub fn dollar_placeholders(sql: &str) -> String {
    const HINT: &str = "INDEXED BY ";
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 1;
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        let skip_to = |from: usize, end: char| rest[from..].find(end).map_or(rest.len(), |k| from + k + 1);
        let taken = match c {
            '\'' | '"' => skip_to(1, c),
            '-' if rest.starts_with("--") => skip_to(2, '\n'),
            '?' => {
                let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
                out.push('$');
                if digits == 0 {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    out.push_str(&rest[1..=digits]);
                }
                rest = &rest[1 + digits..];
                continue;
            }
            'I' if rest.starts_with(HINT) => {
                let name = rest[HINT.len()..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                rest = rest[HINT.len() + name..].trim_start_matches(' ');
                out.push(' ');
                continue;
            }
            c => c.len_utf8(),
        };
        out.push_str(&rest[..taken]);
        rest = &rest[taken..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_rows_are_one_statement_with_numbered_placeholders() {
        let cols = ["a".to_string(), "b\"c".to_string()];
        assert_eq!(
            many_rows_sql("t", &cols, 2),
            "INSERT INTO \"t\" (\"a\", \"b\"\"c\") VALUES (?1, ?2), (?3, ?4)"
        );
    }

    #[test]
    fn placeholders_become_dollars_outside_quotes_and_comments() {
        assert_eq!(
            dollar_placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"?\" = ?12 -- ?3\n AND d = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"?\" = $12 -- ?3\n AND d = $1"
        );
        assert_eq!(dollar_placeholders("VALUES (?, ?, ?)"), "VALUES ($1, $2, $3)");
        assert_eq!(
            dollar_placeholders("SELECT count(*) FROM tickets INDEXED BY tickets_open_queue WHERE is_open = 1"),
            "SELECT count(*) FROM tickets  WHERE is_open = 1"
        );
        assert_eq!(dollar_placeholders("SELECT 'it''s é' || ?1"), "SELECT 'it''s é' || $1");
    }

    #[test]
    fn columns_read_as_what_they_hold_or_say_why_not() {
        assert_eq!(<Option<i64>>::from_value(ValueRef::Null), Some(None));
        assert_eq!(u8::from_value(ValueRef::Int(300)), None);
        assert_eq!(bool::from_value(ValueRef::Int(1)), Some(true));
        assert_eq!(<&str>::from_value(ValueRef::Text("x")), Some("x"));
        assert_eq!(String::from_value(ValueRef::Int(1)), None);
        assert_eq!(f64::from_value(ValueRef::Int(2)), Some(2.0));
    }
}
