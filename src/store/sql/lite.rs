//! The SQLite side of [`super::Tx`]: cached statements, parameters bound in place, rows
//! read as they come.

use rusqlite::types::{ToSqlOutput, ValueRef as LiteRef};
use rusqlite::{Connection, Statement, ToSql};

use super::{Params, Row, RowOf, Value, ValueRef};
use crate::store::{Result, StoreError};

pub(super) fn value<'r>(r: &'r rusqlite::Row<'r>, i: usize) -> Result<ValueRef<'r>> {
    Ok(match r.get_ref(i)? {
        LiteRef::Null => ValueRef::Null,
        LiteRef::Integer(i) => ValueRef::Int(i),
        LiteRef::Real(f) => ValueRef::Real(f),
        LiteRef::Text(b) => ValueRef::Text(std::str::from_utf8(b).map_err(|_| StoreError::Column {
            index: i,
            want: "text",
            found: "bytes that are not UTF-8",
        })?),
        LiteRef::Blob(b) => ValueRef::Blob(b),
    })
}

struct Bind<'a>(Value<'a>);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match &self.0 {
            Value::Null => LiteRef::Null,
            Value::Int(i) => LiteRef::Integer(*i),
            Value::Real(f) => LiteRef::Real(*f),
            Value::Text(s) => LiteRef::Text(s.as_bytes()),
            Value::Blob(b) => LiteRef::Blob(b),
        }))
    }
}

fn bind<P: Params + ?Sized>(stmt: &mut Statement, params: &P) -> Result<()> {
    let n = params.count();
    if stmt.parameter_count() != n {
        return Err(StoreError::Sqlite(rusqlite::Error::InvalidParameterCount(
            n,
            stmt.parameter_count(),
        )));
    }
    for i in 0..n {
        stmt.raw_bind_parameter(i + 1, Bind(params.get(i)))?;
    }
    Ok(())
}

pub(super) fn execute<P: Params + ?Sized>(conn: &Connection, sql: &str, params: &P) -> Result<usize> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    Ok(stmt.raw_execute()?)
}

pub(super) fn each<P: Params + ?Sized>(
    conn: &Connection,
    sql: &str,
    params: &P,
    f: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    let mut rows = stmt.raw_query();
    while let Some(r) = rows.next()? {
        if !f(&Row(RowOf::Lite(r)))? {
            break;
        }
    }
    Ok(())
}
