//! A desk on a PostgreSQL server: one database that the operators of every host reach. Every
//! write is one transaction that first takes the desk's write lock (an advisory lock), as
//! SQLite's IMMEDIATE does; every read is one REPEATABLE READ snapshot. The schema has its
//! own migrations, numbered apart from SQLite's.

pub mod listen;
pub mod roles;

use super::sql::{Begin, PgConfig, PgConn, PgTx, quoted};
use super::{OptionalExt, Result, StoreError, Tx};

/// This engine's migrations, in order: migration `n` brings a desk to schema `n`.
const MIGRATIONS: &[&str] = &[
    include_str!("schema_v1.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
    include_str!("schema_v5.sql"),
];

/// The schema version this build writes on PostgreSQL.
pub fn schema_version() -> usize {
    MIGRATIONS.len()
}

/// The meta key holding the schema version (and marking the database as a desk).
const SCHEMA_KEY: &str = "postgresql_schema";

/// An open desk on a server.
pub struct Server {
    conn: PgConn,
    config: PgConfig,
    /// Listening for other hosts' commits, once someone asked ([`Server::watch`]).
    watch: Option<listen::Watch>,
}

impl Server {
    /// Opens the desk at `url`, making the schema in an empty database when `may_create`.
    /// Returns the desk and whether it was made now. A database of another program, and a
    /// desk from a newer opsdesk, are refused before anything is written.
    pub fn open(url: &str, may_create: bool) -> Result<(Server, bool)> {
        let config = PgConfig::parse(url)?;
        let conn = config.connect()?;
        let mut server = Server {
            conn,
            config,
            watch: None,
        };
        let fresh = server.migrate(may_create)?;
        Ok((server, fresh))
    }

    pub fn shown(&self) -> &str {
        self.config.shown()
    }

    fn migrate(&mut self, may_create: bool) -> Result<bool> {
        let shown = self.config.shown().to_string();
        // The version, and (for a database that is no desk) whether it holds anything: one read.
        let (found, tables): (Option<i64>, i64) = self.read(|tx| {
            let tables = tx.query_row(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                (),
                |r| r.get(0),
            )?;
            Ok::<_, StoreError>((stored_version(tx)?, tables))
        })?;
        match found {
            Some(v) if v == schema_version() as i64 => return Ok(false),
            Some(v) if v > schema_version() as i64 => {
                return Err(StoreError::TooNew {
                    path: shown,
                    desk: v,
                    supported: schema_version(),
                });
            }
            Some(_) => {}
            None => {
                if tables > 0 {
                    return Err(StoreError::NotADesk {
                        path: shown,
                        why: "a database of another program".into(),
                    });
                }
                if !may_create {
                    return Err(StoreError::Missing { path: shown });
                }
            }
        }
        // Under the write lock, so that two hosts opening a new desk at once migrate it once.
        self.write(|tx| {
            let from = stored_version(tx)?.unwrap_or(0);
            let from = usize::try_from(from).unwrap_or(0);
            for sql in MIGRATIONS.iter().skip(from) {
                tx.execute_batch(sql)?;
            }
            // New tables are the operators' to work with too.
            if from > 0
                && tx.exists(
                    "SELECT 1 FROM pg_roles WHERE rolname = ?1",
                    [roles::group(tx)?.as_str()],
                )?
            {
                roles::ensure_group(tx)?;
            }
            super::set_meta(tx, SCHEMA_KEY, &schema_version().to_string())?;
            Ok(from == 0)
        })
    }

    /// Runs `f` in one transaction that holds the desk's write lock; commits if `f` is `Ok`.
    pub fn write<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        self.run(Begin::Write, true, f)
    }

    /// Runs `f` like [`Server::write`] and rolls back.
    pub fn rehearse<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        self.run(Begin::Write, false, f)
    }

    /// Runs `f` over one snapshot of the desk.
    pub fn read<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        self.run(Begin::Read, false, f)
    }

    fn run<T, E: From<StoreError>>(
        &mut self,
        how: Begin,
        commit: bool,
        f: impl FnOnce(&Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        // A connection lost (the server restarted, the network went, an admin ended it) is
        // made again here, at the next thing asked of the desk. The client learns of a loss
        // only when it next speaks, so a BEGIN that finds the connection gone is tried once
        // more on a new one: nothing was sent in it yet.
        let mut retried = false;
        loop {
            if self.conn.is_closed() {
                self.conn = self.config.connect()?;
            }
            let lost = match self.conn.begin(how) {
                Ok(tx) => return finish(tx, commit, f),
                Err(e) => e,
            };
            if retried || !self.conn.is_closed() {
                return Err(lost.into());
            }
            retried = true;
        }
    }

    /// Listens for other hosts' commits from now on: `on_change` is called (on another
    /// thread) when one is heard or the listening connection changes, and
    /// [`Server::data_version`] answers from what was heard instead of asking the server.
    pub fn watch(&mut self, on_change: fn()) {
        if self.watch.is_none() {
            self.watch = Some(listen::Watch::start(self.config.clone(), on_change));
        }
    }

    /// Whether the desk's server is reachable, as far as this process knows.
    pub fn connected(&self) -> bool {
        match &self.watch {
            Some(w) => w.connected(),
            None => !self.conn.is_closed(),
        }
    }

    /// Changes whenever someone commits a change to a ticket or to the desk: every such
    /// commit appends to the timeline or the desk's trail, whose ids only grow. While
    /// listening, what was heard says so without a question to the server.
    pub fn data_version(&mut self) -> Result<i64> {
        if let Some(w) = &self.watch {
            return Ok(w.version());
        }
        self.read(|tx| {
            tx.query_row(
                "SELECT coalesce((SELECT max(id) FROM events), 0) + coalesce((SELECT max(id) FROM desk_events), 0)",
                (),
                |r| r.get(0),
            )
        })
    }
}

/// Runs `f` in `tx`, then commits (when `commit`) or rolls back.
fn finish<T, E: From<StoreError>>(tx: PgTx<'_>, commit: bool, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
    let out = f(&Tx::pg(&tx));
    match out {
        Ok(v) if commit => {
            tx.commit()?;
            Ok(v)
        }
        Ok(v) => {
            tx.rollback()?;
            Ok(v)
        }
        Err(e) => {
            // A connection lost mid-transaction has nothing to roll back.
            let _ = tx.rollback();
            Err(e)
        }
    }
}

/// The triggers that tell listeners of each statement's new events: a load tells them
/// once, at its end.
const NOTIFY_TRIGGERS: &[(&str, &str)] = &[("events", "events_notify"), ("desk_events", "desk_events_notify")];

/// Before a whole desk is loaded into this new one (nobody else uses it yet): drops the
/// secondary indexes and the foreign keys, which cost a lookup or an index insert per row,
/// lifts the notifying triggers, and gives back the SQL that makes them again, once, over
/// the loaded rows ([`after_load`]).
pub fn before_load(tx: &Tx) -> Result<Vec<String>> {
    let indexes: Vec<(String, String)> = tx.query_map(
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
         WHERE t.relnamespace = current_schema()::regnamespace AND NOT i.indisprimary AND NOT i.indisunique \
         ORDER BY 1",
        (),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let keys: Vec<(String, String, String)> = tx.query_map(
        "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY 1, 2",
        (),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut drop = String::new();
    let mut again = Vec::new();
    for (table, trigger) in NOTIFY_TRIGGERS {
        drop.push_str(&format!("ALTER TABLE {table} DISABLE TRIGGER {trigger};\n"));
        again.push(format!("ALTER TABLE {table} ENABLE TRIGGER {trigger}"));
    }
    for (table, name, def) in &keys {
        drop.push_str(&format!("ALTER TABLE {table} DROP CONSTRAINT {};\n", quoted(name)));
        again.push(format!("ALTER TABLE {table} ADD CONSTRAINT {} {def}", quoted(name)));
    }
    for (name, _) in &indexes {
        drop.push_str(&format!("DROP INDEX {};\n", quoted(name)));
    }
    // Indexes before keys: checking a key reads the index of what it refers to.
    let mut made: Vec<String> = indexes.into_iter().map(|(_, def)| def).collect();
    made.extend(again);
    tx.execute_batch(&format!("SET LOCAL maintenance_work_mem = '256MB';\n{drop}"))?;
    Ok(made)
}

/// After rows were copied in with their ids: the indexes and keys [`before_load`] dropped
/// are made again, and each identity column goes on from the largest id it holds, so the
/// next ticket, event or comment made here does not take a copied id.
pub fn after_load(tx: &Tx, again: &[String]) -> Result<()> {
    for sql in again {
        tx.execute_batch(sql)?;
    }
    let identities: Vec<(String, String)> = tx.query_map(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY 1",
        (),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (table, column) in &identities {
        let (t, c) = (quoted(table), quoted(column));
        tx.execute_batch(&format!(
            "SELECT setval(pg_get_serial_sequence('{t}', '{column}'), max({c})) FROM {t} HAVING max({c}) IS NOT NULL"
        ))?;
    }
    // The planner's figures for the tables just filled; and anyone listening already reads
    // everything again.
    tx.execute_batch("ANALYZE; NOTIFY opsdesk, '*'")?;
    Ok(())
}

/// The schema version the database says it holds, or `None` when it is not a desk.
fn stored_version(tx: &Tx) -> Result<Option<i64>> {
    let has_meta: bool = tx.query_row("SELECT to_regclass('meta') IS NOT NULL", (), |r| r.get(0))?;
    if !has_meta {
        return Ok(None);
    }
    let v: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [SCHEMA_KEY], |r| r.get(0))
        .optional()?;
    Ok(v.and_then(|v| v.parse().ok()))
}
