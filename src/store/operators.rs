//! Operators and their roles.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Result, to_millis};
use crate::domain::operator::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub name: String,
    pub roles: Vec<Role>,
}

fn parse_roles(s: &str) -> Vec<Role> {
    let mut roles: Vec<Role> = s.split(',').filter_map(|r| r.parse().ok()).collect();
    roles.sort();
    roles.dedup();
    roles
}

fn join_roles(roles: &[Role]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(",")
}

pub fn get(conn: &Connection, name: &str) -> Result<Option<Operator>> {
    Ok(conn
        .prepare_cached("SELECT name, roles FROM operators WHERE name = ?1")?
        .query_row([name], |r| {
            Ok(Operator {
                name: r.get(0)?,
                roles: parse_roles(&r.get::<_, String>(1)?),
            })
        })
        .optional()?)
}

pub fn insert(conn: &Connection, name: &str, roles: &[Role], at: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached("INSERT INTO operators (name, roles, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![name, join_roles(roles), to_millis(at)])?;
    Ok(())
}

pub fn set_roles(conn: &Connection, name: &str, roles: &[Role]) -> Result<()> {
    conn.execute(
        "UPDATE operators SET roles = ?1 WHERE name = ?2",
        params![join_roles(roles), name],
    )?;
    Ok(())
}

pub fn list(conn: &Connection) -> Result<Vec<Operator>> {
    let mut stmt = conn.prepare_cached("SELECT name, roles FROM operators ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok(Operator {
            name: r.get(0)?,
            roles: parse_roles(&r.get::<_, String>(1)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM operators", [], |r| r.get(0))?)
}
