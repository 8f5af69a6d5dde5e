//! The store's one way to speak SQL, to either engine. Statements are written once, with
//! `?N` placeholders, and run on SQLite as they are and on PostgreSQL with `$N`; parameters
//! and columns are the store's own few types ([`Value`], [`Col`]), so nothing outside the
//! store names an engine's type. SQL that differs between the engines is chosen with
//! [`Tx::pick`] beside the statement, or lives in the engine's own migrations.

mod lite;
mod pg;

use std::borrow::Cow;

pub use pg::{Begin, PgConfig, PgConn, PgTx};

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

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
}

impl Value<'_> {
    /// An owned text value.
    pub fn text(s: impl Into<String>) -> Value<'static> {
        Value::Text(Cow::Owned(s.into()))
    }
    fn borrowed(&self) -> Value<'_> {
        match self {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(*i),
            Value::Real(r) => Value::Real(*r),
            Value::Text(s) => Value::Text(Cow::Borrowed(s)),
            Value::Blob(b) => Value::Blob(Cow::Borrowed(b)),
        }
    }
}

/// Anything that binds as a [`Value`].
pub trait Param {
    fn value(&self) -> Value<'_>;
}

impl Param for Value<'_> {
    fn value(&self) -> Value<'_> {
        self.borrowed()
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value<'_> {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_param!(i64, i32, i16, u8, u16, u32, bool);

impl Param for usize {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl Param for u64 {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl Param for f64 {
    fn value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}

impl Param for str {
    fn value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl Param for [u8] {
    fn value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl Param for Vec<u8> {
    fn value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl<const N: usize> Param for [u8; N] {
    fn value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value<'_> {
        (**self).value()
    }
}

impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}

/// The parameters of one statement, in placeholder order.
pub trait Params {
    fn count(&self) -> usize;
    fn get(&self, i: usize) -> Value<'_>;
}

impl Params for () {
    fn count(&self) -> usize {
        0
    }
    fn get(&self, _: usize) -> Value<'_> {
        Value::Null
    }
}

impl<T: Param, const N: usize> Params for [T; N] {
    fn count(&self) -> usize {
        N
    }
    fn get(&self, i: usize) -> Value<'_> {
        self[i].value()
    }
}

impl<T: Param> Params for [T] {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, i: usize) -> Value<'_> {
        self[i].value()
    }
}

impl<T: Param> Params for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, i: usize) -> Value<'_> {
        self[i].value()
    }
}

impl<P: Params + ?Sized> Params for &P {
    fn count(&self) -> usize {
        (**self).count()
    }
    fn get(&self, i: usize) -> Value<'_> {
        (**self).get(i)
    }
}

/// Parameters of different types: `params![id, name, at]`.
#[macro_export]
#[doc(hidden)]
macro_rules! __store_params {
    ($($p:expr),* $(,)?) => {
        &[$(&$p as &dyn $crate::store::sql::Param),*] as &[&dyn $crate::store::sql::Param]
    };
}
pub use crate::__store_params as params;

/// A value read from a row, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'r> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'r str),
    Blob(&'r [u8]),
}

impl ValueRef<'_> {
    fn kind(self) -> &'static str {
        match self {
            ValueRef::Null => "null",
            ValueRef::Int(_) => "an integer",
            ValueRef::Real(_) => "a real",
            ValueRef::Text(_) => "text",
            ValueRef::Blob(_) => "a blob",
        }
    }
}

/// A type a column reads as.
pub trait Col<'r>: Sized {
    /// What the type is, for an error.
    const WHAT: &'static str;
    fn from_value(v: ValueRef<'r>) -> Option<Self>;
}

macro_rules! int_col {
    ($($t:ty),*) => {$(
        impl Col<'_> for $t {
            const WHAT: &'static str = stringify!($t);
            fn from_value(v: ValueRef<'_>) -> Option<Self> {
                match v {
                    ValueRef::Int(i) => <$t>::try_from(i).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
int_col!(i64, i32, i16, u8, u16, u32, u64, usize);

impl Col<'_> for bool {
    const WHAT: &'static str = "a flag";
    fn from_value(v: ValueRef<'_>) -> Option<Self> {
        match v {
            ValueRef::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl Col<'_> for f64 {
    const WHAT: &'static str = "a number";
    fn from_value(v: ValueRef<'_>) -> Option<Self> {
        match v {
            ValueRef::Real(r) => Some(r),
            ValueRef::Int(i) => Some(i as f64),
            _ => None,
        }
    }
}

impl<'r> Col<'r> for &'r str {
    const WHAT: &'static str = "text";
    fn from_value(v: ValueRef<'r>) -> Option<Self> {
        match v {
            ValueRef::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl Col<'_> for String {
    const WHAT: &'static str = "text";
    fn from_value(v: ValueRef<'_>) -> Option<Self> {
        match v {
            ValueRef::Text(s) => Some(s.to_string()),
            _ => None,
        }
    }
}

impl<'r> Col<'r> for &'r [u8] {
    const WHAT: &'static str = "bytes";
    fn from_value(v: ValueRef<'r>) -> Option<Self> {
        match v {
            ValueRef::Blob(b) => Some(b),
            _ => None,
        }
    }
}

impl Col<'_> for Vec<u8> {
    const WHAT: &'static str = "bytes";
    fn from_value(v: ValueRef<'_>) -> Option<Self> {
        match v {
            ValueRef::Blob(b) => Some(b.to_vec()),
            _ => None,
        }
    }
}

impl<'r, T: Col<'r>> Col<'r> for Option<T> {
    const WHAT: &'static str = T::WHAT;
    fn from_value(v: ValueRef<'r>) -> Option<Self> {
        match v {
            ValueRef::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// A column index (only `usize`: a literal index needs no suffix).
pub trait Idx: Copy {
    fn index(self) -> usize;
}

impl Idx for usize {
    fn index(self) -> usize {
        self
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

/// A connection inside a transaction (or, for SQLite, a connection the caller keeps in
/// one): every store function reads and writes through one.
pub struct Tx<'c>(TxOf<'c>);

enum TxOf<'c> {
    Lite(&'c rusqlite::Connection),
    Pg(&'c dyn pg::PgExec),
}

impl<'c> Tx<'c> {
    /// A SQLite connection as a `Tx` (the store's own, and tests that look into a file).
    #[doc(hidden)]
    pub fn lite(conn: &'c rusqlite::Connection) -> Tx<'c> {
        Tx(TxOf::Lite(conn))
    }

    pub(crate) fn pg(tx: &'c dyn pg::PgExec) -> Tx<'c> {
        Tx(TxOf::Pg(tx))
    }

    pub fn engine(&self) -> Engine {
        match self.0 {
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
        match self.0 {
            TxOf::Lite(c) => lite::execute(c, sql, &params),
            TxOf::Pg(t) => t.execute(sql, &values(&params)),
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self.0 {
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
        match self.0 {
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
        match self.0 {
            TxOf::Lite(c) => lite::each(c, sql, &params, &mut all)?,
            TxOf::Pg(t) => t.query(sql, &values(&params), &mut all)?,
        }
        Ok(out)
    }

    /// Hands each row to `f` as it is read.
    pub fn each<P: Params>(&self, sql: &str, params: P, mut f: impl FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
        self.each_until(sql, params, &mut |row| f(row).map(|()| true))
    }

    /// Hands rows to `f` until it answers `false`.
    pub fn each_until<P: Params>(
        &self,
        sql: &str,
        params: P,
        f: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        match self.0 {
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
