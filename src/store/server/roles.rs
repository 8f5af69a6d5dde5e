//! Operators' database roles on a server desk. Every operator logs in as their own role, a
//! member of the desk's group role, `<database>_operators`, which may read the whole desk,
//! write the tickets' tables, and only add to the timeline and the desk's trail: never
//! change, remove or truncate them. Who is a desk admin stays the desk's to say (the
//! operators table, guarded by trigger), so every operator's role holds the same grants.

use super::super::sql::quoted as ident;
use super::super::{Result, StoreError, Tx};

/// The tables every operator may only read and add to.
const APPEND_ONLY: [&str; 4] = ["events", "comments", "desk_events", "mail_log"];

/// A text as an SQL literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The desk's group role: `<database>_operators`.
pub fn group(tx: &Tx) -> Result<String> {
    let db: String = tx.query_row("SELECT current_database()", (), |r| r.get(0))?;
    Ok(format!("{db}_operators"))
}

/// Makes the desk's group role if it is missing and (again) grants it what an operator
/// needs on every table of the desk. Returns its name.
pub fn ensure_group(tx: &Tx) -> Result<String> {
    let group = group(tx)?;
    let exists = tx.exists("SELECT 1 FROM pg_roles WHERE rolname = ?1", [group.as_str()])?;
    let (db, schema): (String, String) = tx.query_row("SELECT current_database(), current_schema()", (), |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    let tables: Vec<String> = tx.query_map(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
        (),
        |r| r.get(0),
    )?;
    let g = ident(&group);
    let mut sql = String::new();
    if !exists {
        sql.push_str(&format!("CREATE ROLE {g} NOLOGIN;\n"));
    }
    sql.push_str(&format!(
        "GRANT CONNECT ON DATABASE {} TO {g};\nGRANT USAGE ON SCHEMA {} TO {g};\n",
        ident(&db),
        ident(&schema)
    ));
    for t in &tables {
        let t = ident(t);
        if APPEND_ONLY.iter().any(|a| ident(a) == t) {
            sql.push_str(&format!(
                "GRANT SELECT, INSERT ON {t} TO {g};\nREVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {g};\n"
            ));
        } else {
            sql.push_str(&format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {g};\nREVOKE TRUNCATE ON {t} FROM {g};\n"
            ));
        }
    }
    sql.push_str(&format!(
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {g};\n",
        ident(&schema)
    ));
    tx.execute_batch(&sql)
        .map_err(|e| denied(e, "the desk's group role could not be granted its privileges"))?;
    Ok(group)
}

/// An operator's login role on the server, as provisioning left it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Login {
    /// The role they connect as (their operator name).
    pub role: String,
    /// The desk's group role it is a member of.
    pub group: String,
    /// Whether the role was made now (else it existed and joined the group).
    pub made: bool,
    /// Whether a password was set now.
    pub password: bool,
}

/// Makes `name` a login role (if it is not one yet) in the desk's group, with `password`
/// when one is given. Only its SCRAM verifier is sent: the password itself never reaches the
/// server, nor the server's log.
pub fn provision(tx: &Tx, name: &str, password: Option<&str>) -> Result<Login> {
    let group = ensure_group(tx)?;
    let exists = tx.exists("SELECT 1 FROM pg_roles WHERE rolname = ?1", [name])?;
    let member = exists
        && tx.exists(
            "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid \
             WHERE r.rolname = ?1 AND g.rolname = ?2",
            [name, group.as_str()],
        )?;
    let role = ident(name);
    let password_sql = password
        .map(|p| {
            format!(
                " PASSWORD {}",
                literal(&postgres_protocol::password::scram_sha_256(p.as_bytes()))
            )
        })
        .unwrap_or_default();
    let mut sql = String::new();
    if !exists {
        // Roles belong to the whole cluster: another desk on it may be making the same one
        // at this moment, and then this one takes the role that won.
        let alter = if password.is_some() {
            format!("ALTER ROLE {role}{password_sql};")
        } else {
            "NULL;".to_string()
        };
        let body = format!(
            "BEGIN CREATE ROLE {role} LOGIN{password_sql}; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN {alter} END"
        );
        let tag = (0..)
            .map(|n| format!("$opsdesk{n}$"))
            .find(|t| !body.contains(t.as_str()))
            .unwrap_or_default();
        sql.push_str(&format!("DO {tag}{body}{tag};\n"));
    } else if password.is_some() {
        sql.push_str(&format!("ALTER ROLE {role}{password_sql};\n"));
    }
    if !member {
        sql.push_str(&format!("GRANT {} TO {role};\n", ident(&group)));
    }
    if !sql.is_empty() {
        tx.execute_batch(&sql).map_err(|e| {
            denied(
                e,
                &format!("the database role `{name}` could not be made an operator of this desk"),
            )
        })?;
    }
    Ok(Login {
        role: name.to_string(),
        group,
        made: !exists,
        password: password.is_some(),
    })
}

/// A refusal by the server said as what could not be done and what to do about it.
fn denied(e: StoreError, what: &str) -> StoreError {
    let refused = matches!(&e, StoreError::Postgres(pg)
        if pg.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE));
    if !refused {
        return e;
    }
    let why = match &e {
        StoreError::Postgres(pg) => crate::store::pg_message(pg),
        _ => e.to_string(),
    };
    StoreError::Denied {
        what: what.to_string(),
        why: format!("{why}; the role you connect as needs CREATEROLE (or a superuser can run this command once)"),
    }
}
