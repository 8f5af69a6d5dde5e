//! A desk in a SQLite file: one file in WAL mode, shared by the operators of one host. Every
//! write is one IMMEDIATE transaction (a deferred one that later writes gets SQLITE_BUSY at
//! once, whatever the timeout), and writes the change together with its timeline events.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use super::{Result, Sharing, StoreError, Tx, chain, desk_log, files, operators, tickets};

const APPLICATION_ID: i64 = 0x4F50_5344;
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("schema_v1.sql")),
        M::up(concat!(include_str!("schema_v2.sql"), include_str!("search_index.sql"))),
        M::up(include_str!("schema_v3.sql")),
        M::up(include_str!("schema_v4.sql")),
        M::up(include_str!("schema_v5.sql")),
        M::up(include_str!("schema_v6.sql")),
        M::up(include_str!("schema_v7.sql")),
        M::up(include_str!("schema_v8.sql")),
        M::up_with_hook(include_str!("schema_v9.sql"), |tx: &Transaction| {
            // About 5 s per million events here: say why a large desk takes a while to open.
            let events: i64 = tx.query_row("SELECT count(*) FROM events", (), |r| r.get(0))?;
            if events > 1_000_000 {
                eprintln!("opsdesk: upgrading the desk: chaining its {events} timeline events (once)…");
            }
            chain::backfill(&Tx::lite(tx)).map_err(|e| rusqlite_migration::HookError::Hook(e.to_string()))?;
            tx.execute_batch(APPEND_ONLY_EVENTS)?;
            Ok(())
        }),
        M::up(include_str!("schema_v10.sql")),
        M::up(include_str!("schema_v11.sql")),
        M::up_with_hook(include_str!("schema_v12.sql"), |tx: &Transaction| {
            baseline(&Tx::lite(tx)).map_err(|e| rusqlite_migration::HookError::Hook(e.to_string()))
        }),
        M::up(include_str!("schema_v13.sql")),
        M::up(include_str!("schema_v14.sql")),
        M::up(include_str!("schema_v15.sql")),
        M::up(include_str!("schema_v16.sql")),
        M::up(include_str!("schema_v17.sql")),
    ])
});

/// Version 1's guard against changing events, put back after version 9 chains them.
const APPEND_ONLY_EVENTS: &str = "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events \
     BEGIN SELECT RAISE(ABORT, 'the timeline is append-only: an event cannot be changed'); END;";

/// The schema version this build writes.
pub fn schema_version() -> usize {
    17
}

/// Upgrading to version 12: the desk vouches once for what it holds, so `audit verify` can
/// replay every ticket and operator from then on. Each ticket gets a `baseline` event with
/// its state, assignee, requester, priority and version as they are, and the desk's trail a
/// `baseline` with every operator's roles; both are chained. A new desk has nothing to vouch
/// for and gets neither.
fn baseline(tx: &Tx) -> Result<()> {
    let tickets: i64 = tx.query_row("SELECT count(*) FROM tickets", (), |r| r.get(0))?;
    let operators = operators::stored(tx)?;
    if tickets == 0 && operators.is_empty() {
        return Ok(());
    }
    if tickets > 100_000 {
        eprintln!("opsdesk: upgrading the desk: recording the state of its {tickets} tickets for the audit (once)…");
    }
    let now = chrono::Utc::now();
    let by = tickets::By::from("opsdesk");
    let mut after = i64::MIN;
    loop {
        let page: Vec<(i64, String, i64)> = tx
            .query_map(
                "SELECT id, state, assignee, requester, priority, version FROM tickets WHERE id > ?1 ORDER BY id LIMIT 10000",
            [after], |r| {
                let snapshot = tickets::snapshot_json(
                    &r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?.as_deref(),
                    &r.get::<_, String>(3)?,
                    r.get(4)?,
                );
                Ok((r.get(0)?, snapshot, r.get(5)?))
            })?;
        let Some(&(last, _, _)) = page.last() else { break };
        after = last;
        for (rowid, snapshot, version) in &page {
            let e = tickets::NewEvent {
                kind: "baseline",
                note: Some("state recorded for the audit when the desk was upgraded"),
                version: Some(*version),
                snapshot: Some(snapshot),
                ..tickets::NewEvent::default()
            };
            tickets::append_event(tx, *rowid, now, by, &e)?;
        }
    }
    let all = serde_json::to_string(&operators).unwrap_or_default();
    let note = format!(
        "upgraded to desk schema 12: the state of {tickets} tickets and the roles of {} operators recorded for the audit",
        operators.len()
    );
    for e in [
        desk_log::DeskEvent {
            kind: "baseline",
            new: Some(&all),
            ..desk_log::DeskEvent::default()
        },
        desk_log::DeskEvent {
            kind: "upgraded",
            subject: Some("12"),
            note: Some(&note),
            ..desk_log::DeskEvent::default()
        },
    ] {
        desk_log::append(tx, now, by, &e)?;
    }
    Ok(())
}

/// An open desk file.
pub struct Lite {
    conn: Connection,
    path: PathBuf,
}

impl Lite {
    /// Creates a desk at `path`, or opens it if it is already one. Returns whether it was new.
    pub fn create(path: &Path, sharing: Sharing) -> Result<(Lite, bool)> {
        let fresh = files::create(path, sharing)?;
        match Lite::open_file(path, true) {
            Ok(store) => {
                if !fresh && sharing == Sharing::Group {
                    // Only a file found to be a desk has its mode changed.
                    files::set_mode(path, sharing)?;
                }
                Ok((store, fresh))
            }
            Err(e) => {
                if fresh {
                    // A desk that could not be made (a full disk) is not left behind.
                    files::remove(path);
                }
                Err(e)
            }
        }
    }

    /// Removes a desk just created that could not be finished (see [`files::remove`]).
    pub fn discard(self) {
        let path = self.path.clone();
        drop(self);
        files::remove(&path);
    }

    /// Opens an existing desk, upgrading an older schema. A missing file, a file that is not
    /// SQLite, a database of another program and a desk from a newer opsdesk are refused
    /// before anything is written.
    pub fn open(path: &Path) -> Result<Lite> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.display().to_string(),
            });
        }
        Lite::open_file(path, false)
    }

    fn open_file(path: &Path, may_be_empty: bool) -> Result<Lite> {
        let shown = path.display().to_string();
        let not_a_desk = |why: &str| StoreError::NotADesk {
            path: shown.clone(),
            why: why.to_string(),
        };
        let mut header = [0u8; 16];
        let mut file = std::fs::File::open(path).map_err(|e| StoreError::Io {
            what: "open",
            path: shown.clone(),
            source: e,
        })?;
        let n = file.read(&mut header).map_err(|e| StoreError::Io {
            what: "read",
            path: shown.clone(),
            source: e,
        })?;
        let empty = n == 0 && file.metadata().map(|m| m.len() == 0).unwrap_or(false);
        if empty && !may_be_empty {
            return Err(not_a_desk("the file is empty; `opsdesk init` makes it a desk"));
        }
        if !empty && (n < 16 || &header != SQLITE_HEADER) {
            return Err(not_a_desk("not a SQLite database"));
        }
        drop(file);
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let app_id: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", (), |r| r.get(0))?;
        if app_id != APPLICATION_ID && (tables > 0 || version > 0 || !may_be_empty) {
            return Err(not_a_desk("a SQLite database of another program"));
        }
        if version > schema_version() as i64 {
            return Err(StoreError::TooNew {
                path: shown,
                desk: version,
                supported: schema_version(),
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Statement journals (a statement's own undo inside a transaction) and temporary
        // sorts stay in memory instead of temporary files: an import wrote one per row.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        if app_id != APPLICATION_ID {
            conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        }
        if version < schema_version() as i64 {
            MIGRATIONS.to_latest(&mut conn)?;
        }
        Ok(Lite {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// A second, read-only connection to this desk, for reading on another thread while
    /// this one reads too (WAL lets any number of readers work beside the writer).
    pub fn reader(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        Ok(conn)
    }

    /// Runs `f` in one IMMEDIATE transaction: it takes the write lock before reading, so a
    /// read-then-write can never be overtaken; it commits only if `f` returns `Ok`.
    pub fn write<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&Tx::lite(&tx))?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Runs `f` like [`Store::write`] but always rolls back: what a write would do, without
    /// doing it (an import's dry run).
    pub fn rehearse<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&Tx::lite(&tx))?;
        tx.rollback().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Runs `f` over one consistent snapshot of the desk.
    pub fn read<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(StoreError::from)?;
        let out = f(&Tx::lite(&tx))?;
        tx.finish().map_err(StoreError::from)?;
        Ok(out)
    }

    /// One consistent snapshot of the desk read in two parts at once, for long reads on two
    /// cores: `plan` reads first (its answer is what both parts share), then `first` reads on
    /// this connection while `second` reads on a second connection on another thread. Two
    /// connections see the same desk only if nobody committed between their starting, so
    /// the second asks SQLite's `data_version` before this one starts and again once it has
    /// started itself: when someone did commit in between, `second` reads here after `first`
    /// instead. Either way both parts read the snapshot `plan` read.
    pub fn read_in_two<P: Sync, A, B: Send, E: From<StoreError> + Send>(
        &mut self,
        plan: impl FnOnce(&Tx) -> Result<P, E>,
        first: impl FnOnce(&Tx, &P) -> Result<A, E>,
        second: impl FnOnce(&Tx, &P) -> Result<B, E> + Send,
    ) -> Result<(A, B), E> {
        let mut reader = self.reader()?;
        let before = data_version(&reader)?;
        self.read(|tx| {
            let plan = plan(tx)?;
            let plan = &plan;
            // `second` goes to the other thread and comes back if that one may not read.
            let (first, second) = std::thread::scope(|scope| {
                let other = scope.spawn(move || -> Result<std::result::Result<B, _>, E> {
                    let theirs = reader.transaction().map_err(StoreError::from)?;
                    if data_version(&theirs)? != before {
                        return Ok(Err(second));
                    }
                    let out = second(&Tx::lite(&theirs), plan)?;
                    theirs.finish().map_err(StoreError::from)?;
                    Ok(Ok(out))
                });
                let first = first(tx, plan);
                // A panic there is a bug here: it goes on as one.
                let second = other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (first, second)
            });
            let first = first?;
            let second = match second? {
                Ok(done) => done,
                Err(second) => second(tx, plan)?,
            };
            Ok((first, second))
        })
    }

    /// For writing a whole new desk nobody else uses yet (seed, demo): a 256 MiB page cache
    /// so the load does not spill pages mid-transaction, no fsync, and the rollback journal
    /// in memory instead of the write-ahead log, so each page is written once rather than to
    /// the log and again to the file (a million-ticket seed 66 s -> 48 s); a load cut short by
    /// a crash is simply run again. Two sorter threads build indexes after the load. Back to
    /// normal (WAL, full sync) with [`Store::end_bulk_load`].
    pub fn begin_bulk_load(&self) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -262_144)?;
        self.conn.pragma_update(None, "synchronous", "OFF")?;
        self.conn.pragma_update(None, "journal_mode", "MEMORY")?;
        self.conn.pragma_update(None, "threads", 2)?;
        Ok(())
    }

    /// For a long run of large transactions on a desk others may be using (an import): a
    /// 64 MiB page cache, so a transaction of a thousand tickets does not spill pages to the
    /// log before it commits, and a checkpoint every 40 MiB of log instead of 4, so a page
    /// changed by many transactions is copied back once. Durability is untouched. Back to
    /// normal with [`Store::end_large_writes`].
    pub fn begin_large_writes(&self) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -65_536)?;
        self.conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        Ok(())
    }

    pub fn end_large_writes(&self) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -2000)?;
        self.conn.pragma_update(None, "wal_autocheckpoint", 1000)?;
        // Copy back what the larger log holds now rather than at someone else's commit.
        self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);")?;
        Ok(())
    }

    /// For filling a new desk: drops the tickets table's secondary indexes (unique ones stay)
    /// and gives back the SQL that makes them again. Building an index once over a million
    /// rows is much cheaper than keeping it up to date at every insert.
    pub fn drop_ticket_indexes(&self) -> Result<Vec<String>> {
        let indexes: Vec<(String, String)> = Tx::lite(&self.conn).query_map(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'tickets' \
             AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
            (),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (name, _) in &indexes {
            self.conn
                .execute_batch(&format!("DROP INDEX {}", super::sql::quoted(name)))?;
        }
        Ok(indexes.into_iter().map(|(_, sql)| sql).collect())
    }

    /// Makes again the indexes [`Store::drop_ticket_indexes`] dropped.
    pub fn create_indexes(&self, sql: &[String]) -> Result<()> {
        for s in sql {
            self.conn.execute_batch(s)?;
        }
        Ok(())
    }

    pub fn end_bulk_load(&self) -> Result<()> {
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "threads", 0)?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "cache_size", -2000)?;
        // A full ANALYZE (on a sample of each index), not `PRAGMA optimize`: optimize skips a
        // table that has statistics already, so indexes made again after the load went without
        // and the planner, seeing figures for some indexes only, served the queue's first page
        // from the wrong one (8 ms instead of 0.2 ms on 1,000,000 tickets).
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA analysis_limit = 1000; ANALYZE;")?;
        Ok(())
    }

    /// Copies the desk to a new file at `to` while others keep working (see [`files::backup`]).
    pub fn backup_to(&self, to: &Path) -> Result<()> {
        files::backup(&self.conn, to)
    }

    /// Changes whenever another connection commits: cheap to poll.
    pub fn data_version(&mut self) -> Result<i64> {
        data_version(&self.conn)
    }

    /// The connection, for tests that inspect the file and for seeding.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Makes a desk at an older schema version, to prove that opening it upgrades it.
#[doc(hidden)]
pub fn create_at_version(path: &Path, version: usize) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    MIGRATIONS.to_version(&mut conn, version)?;
    Ok(conn)
}

/// SQLite's count of the commits other connections made, as this connection sees it: the
/// same twice only if nobody committed in between (read inside a transaction, as of its
/// snapshot).
fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", (), |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(MIGRATIONS.validate().is_ok());
    }
}
