//! Operators, their roles and mail addresses. Every change is also an entry of the desk's
//! trail ([`super::desk_log`]), in the same transaction, so the trail and this table agree.

use super::sql::{OptionalExt, Row, Tx, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::desk_log::{self, DeskEvent};
use super::tickets::By;
use super::{Result, to_millis};
use crate::domain::operator::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub name: String,
    pub roles: Vec<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

fn parse_roles(s: &str) -> Vec<Role> {
    let mut roles: Vec<Role> = s.split(',').filter_map(|r| r.parse().ok()).collect();
    roles.sort();
    roles.dedup();
    roles
}

pub fn join_roles(roles: &[Role]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(",")
}

fn from_row(r: &Row) -> Result<Operator> {
    Ok(Operator {
        name: r.get(0)?,
        roles: parse_roles(&r.get::<_, String>(1)?),
        email: r.get(2)?,
    })
}

pub fn get(conn: &Tx, name: &str) -> Result<Option<Operator>> {
    conn.query_row(
        "SELECT name, roles, email FROM operators WHERE name = ?1",
        [name],
        from_row,
    )
    .optional()
}

/// The operator whose mail address this is (addresses compare without case).
pub fn by_email(conn: &Tx, address: &str) -> Result<Option<Operator>> {
    conn.query_row(
        "SELECT name, roles, email FROM operators WHERE email = ?1",
        [address.trim()],
        from_row,
    )
    .optional()
}

/// Adds an operator; `by` is who added them (themselves, when first acting on the desk).
pub fn insert(conn: &Tx, name: &str, roles: &[Role], at: DateTime<Utc>, by: By) -> Result<()> {
    let roles = join_roles(roles);
    conn.execute(
        "INSERT INTO operators (name, roles, created_at) VALUES (?1, ?2, ?3)",
        params![name, roles, to_millis(at)],
    )?;
    let e = DeskEvent {
        kind: "operator_added",
        subject: Some(name),
        new: Some(&roles),
        ..DeskEvent::default()
    };
    desk_log::append(conn, at, by, &e)?;
    Ok(())
}

/// Gives an operator exactly these roles, recording the change in the desk's trail.
pub fn set_roles(conn: &Tx, name: &str, roles: &[Role], at: DateTime<Utc>, by: By) -> Result<()> {
    let old = get(conn, name)?.map(|o| join_roles(&o.roles));
    let roles = join_roles(roles);
    if old.as_deref() == Some(roles.as_str()) {
        return Ok(());
    }
    conn.execute("UPDATE operators SET roles = ?1 WHERE name = ?2", params![roles, name])?;
    let e = DeskEvent {
        kind: "roles",
        subject: Some(name),
        old: old.as_deref(),
        new: Some(&roles),
        ..DeskEvent::default()
    };
    desk_log::append(conn, at, by, &e)?;
    Ok(())
}

/// Sets (or, with None, clears) an operator's mail address.
pub fn set_email(conn: &Tx, name: &str, email: Option<&str>, at: DateTime<Utc>, by: By) -> Result<()> {
    let old = get(conn, name)?.and_then(|o| o.email);
    if old.as_deref() == email {
        return Ok(());
    }
    conn.execute("UPDATE operators SET email = ?1 WHERE name = ?2", params![email, name])?;
    let e = DeskEvent {
        kind: "email",
        subject: Some(name),
        old: old.as_deref(),
        new: email,
        ..DeskEvent::default()
    };
    desk_log::append(conn, at, by, &e)?;
    Ok(())
}

pub fn list(conn: &Tx) -> Result<Vec<Operator>> {
    let rows = conn.query_map("SELECT name, roles, email FROM operators ORDER BY name", (), from_row)?;
    Ok(rows)
}

/// Every operator's roles as stored (comma-joined) and mail address, by lower-cased name:
/// what `audit verify` holds against the desk's trail.
pub fn stored(conn: &Tx) -> Result<std::collections::BTreeMap<String, (String, Option<String>)>> {
    let rows = conn.query_map("SELECT name, roles, email FROM operators", (), |r| {
        Ok((
            r.get::<_, String>(0)?.to_lowercase(),
            (r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?),
        ))
    })?;
    Ok(rows.into_iter().collect())
}

pub fn count(conn: &Tx) -> Result<i64> {
    conn.query_row("SELECT count(*) FROM operators", (), |r| r.get(0))
}
