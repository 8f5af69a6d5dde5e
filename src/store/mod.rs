//! The desk's store: the only module that speaks SQL. A desk is a SQLite file ([`sqlite`])
//! or a PostgreSQL database ([`server`]); both are reached through [`Store`] and [`Tx`],
//! whose signatures name no engine type.

pub mod alerts;
pub mod chain;
pub mod changes;
pub mod cmdb;
pub mod copy;
pub mod desk_log;
pub mod events;
pub mod files;
pub mod imports;
pub mod inbox;
pub mod kpi;
pub mod listing;
pub mod mail;
pub mod operators;
pub mod policy;
pub mod queue;
pub mod replay;
pub mod search;
pub mod server;
pub mod sla;
pub mod sql;
pub mod sqlite;
pub mod tickets;

pub use sql::{Engine, OptionalExt, Tx, params};
pub use sqlite::{create_at_version, schema_version};

use std::path::{Path, PathBuf};

use server::Server;
use sqlite::Lite;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no desk at {path}: run `opsdesk init --db {path}` to create one")]
    Missing { path: String },
    #[error("{path} is not an opsdesk desk ({why}); it was left untouched")]
    NotADesk { path: String, why: String },
    #[error(
        "{path} was written by a newer opsdesk (desk schema {desk}, this build knows up to {supported}): upgrade opsdesk to open it"
    )]
    TooNew { path: String, desk: i64, supported: usize },
    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("the desk could not be upgraded: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("desk error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("desk error: {}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    #[error("{url} is not a desk address opsdesk can use: {why}")]
    BadUrl { url: String, why: String },
    #[error("cannot reach the desk at {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("the desk answered nothing where a row was expected")]
    NoRow,
    #[error("the desk holds {found} where {want} was expected (column {index})")]
    Column {
        index: usize,
        want: &'static str,
        found: &'static str,
    },
    #[error("the desk holds something this build cannot read: {0}")]
    Corrupt(String),
    #[error("{what}: {why}")]
    Denied { what: String, why: String },
    #[error("{place} is on a server: {what} is for a desk file ({instead})")]
    Unsupported {
        what: &'static str,
        place: String,
        instead: &'static str,
    },
}

/// A server's error as its message alone (with its detail), as SQLite's read.
pub(crate) fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who may read a new desk file: its owner, or its owner's group too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Private,
    Group,
}

impl Sharing {
    pub(crate) fn mode(self) -> u32 {
        match self {
            Sharing::Private => 0o600,
            Sharing::Group => 0o660,
        }
    }
}

/// Where a desk is: a SQLite file, or a database on a PostgreSQL server (its URL, with any
/// password it holds; shown without it).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Place {
    File(PathBuf),
    Server(String),
}

impl Place {
    /// A path, or a `postgresql://` URL.
    pub fn of(s: &str) -> Place {
        if sql::PgConfig::is_url(s) {
            Place::Server(s.to_string())
        } else {
            Place::File(PathBuf::from(s))
        }
    }

    /// The file, for a desk in one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Place::File(p) => Some(p),
            Place::Server(_) => None,
        }
    }

    /// Where the desk is, fit to show: a URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Place::File(p) => p.display().to_string(),
            Place::Server(url) => sql::PgConfig::shown_url(url).unwrap_or_else(|_| "a PostgreSQL desk".into()),
        }
    }

    /// A short name for a header: the file's name, or the database's.
    pub fn short(&self) -> String {
        match self {
            Place::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            Place::Server(_) => {
                let shown = self.shown();
                shown.rsplit('/').next().unwrap_or_default().to_string()
            }
        }
    }

    /// The place as `--db` takes it, for a child process (hooks).
    pub fn as_arg(&self) -> std::ffi::OsString {
        match self {
            Place::File(p) => p.clone().into_os_string(),
            Place::Server(url) => url.into(),
        }
    }
}

impl std::fmt::Debug for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl From<&Path> for Place {
    fn from(p: &Path) -> Place {
        match p.to_str() {
            Some(s) => Place::of(s),
            None => Place::File(p.to_path_buf()),
        }
    }
}

impl From<&PathBuf> for Place {
    fn from(p: &PathBuf) -> Place {
        Place::from(p.as_path())
    }
}

impl From<PathBuf> for Place {
    fn from(p: PathBuf) -> Place {
        Place::from(p.as_path())
    }
}

impl From<&Place> for Place {
    fn from(p: &Place) -> Place {
        p.clone()
    }
}

/// An open desk, on either engine.
pub struct Store {
    place: Place,
    engine: Open,
}

enum Open {
    Lite(Lite),
    Server(Box<Server>),
}

impl Store {
    /// Creates a desk at `place`, or opens it if it is already one. Returns whether it was
    /// new. A desk on a server is made in the (empty) database the URL names.
    pub fn create(place: impl Into<Place>, sharing: Sharing) -> Result<(Store, bool)> {
        let place = place.into();
        let (engine, fresh) = match &place {
            Place::File(p) => {
                let (l, fresh) = Lite::create(p, sharing)?;
                (Open::Lite(l), fresh)
            }
            Place::Server(url) => {
                let (s, fresh) = Server::open(url, true)?;
                (Open::Server(Box::new(s)), fresh)
            }
        };
        Ok((Store { place, engine }, fresh))
    }

    /// Opens an existing desk, upgrading an older schema. What is not a desk, and a desk
    /// from a newer opsdesk, are refused before anything is written.
    pub fn open(place: impl Into<Place>) -> Result<Store> {
        let place = place.into();
        let engine = match &place {
            Place::File(p) => Open::Lite(Lite::open(p)?),
            Place::Server(url) => Open::Server(Box::new(Server::open(url, false)?.0)),
        };
        Ok(Store { place, engine })
    }

    /// Removes a desk file just created that could not be finished (see [`files::remove`]);
    /// a database on a server is left to its owner.
    pub fn discard(self) {
        if let Open::Lite(l) = self.engine {
            l.discard();
        }
    }

    pub fn place(&self) -> &Place {
        &self.place
    }

    pub fn engine(&self) -> Engine {
        match self.engine {
            Open::Lite(_) => Engine::Sqlite,
            Open::Server(_) => Engine::Postgres,
        }
    }

    /// The SQLite connection of a desk file (for tests that look into the file, and seeding).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.engine {
            Open::Lite(l) => Some(l.connection()),
            Open::Server(_) => None,
        }
    }

    /// Runs `f` in one write transaction that takes the desk's write lock before reading, so
    /// a read-then-write is never overtaken; it commits only if `f` returns `Ok`.
    pub fn write<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        match &mut self.engine {
            Open::Lite(l) => l.write(f),
            Open::Server(s) => s.write(f),
        }
    }

    /// Runs `f` like [`Store::write`] but always rolls back: what a write would do, without
    /// doing it (an import's dry run).
    pub fn rehearse<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        match &mut self.engine {
            Open::Lite(l) => l.rehearse(f),
            Open::Server(s) => s.rehearse(f),
        }
    }

    /// Runs `f` over one consistent snapshot of the desk.
    pub fn read<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        match &mut self.engine {
            Open::Lite(l) => l.read(f),
            Open::Server(s) => s.read(f),
        }
    }

    /// One snapshot read in two parts, on two cores where the engine allows (see
    /// [`Lite::read_in_two`]); on a server both parts read in one snapshot, one after the other.
    pub fn read_in_two<P: Sync, A, B: Send, E: From<StoreError> + Send>(
        &mut self,
        plan: impl FnOnce(&Tx) -> Result<P, E>,
        first: impl FnOnce(&Tx, &P) -> Result<A, E>,
        second: impl FnOnce(&Tx, &P) -> Result<B, E> + Send,
    ) -> Result<(A, B), E> {
        match &mut self.engine {
            Open::Lite(l) => l.read_in_two(plan, first, second),
            Open::Server(s) => s.read(|tx| {
                let p = plan(tx)?;
                Ok((first(tx, &p)?, second(tx, &p)?))
            }),
        }
    }

    /// From now on, calls `on_change` (on another thread) when another host's commit is
    /// heard, for a desk on a server; a file needs nothing (its data version is a cheap poll).
    pub fn watch(&mut self, on_change: fn()) {
        if let Open::Server(s) = &mut self.engine {
            s.watch(on_change);
        }
    }

    /// Whether the desk can be reached, as far as this process knows (a file always).
    pub fn reachable(&self) -> bool {
        match &self.engine {
            Open::Lite(_) => true,
            Open::Server(s) => s.connected(),
        }
    }

    /// Changes whenever another connection commits: cheap to poll.
    pub fn data_version(&mut self) -> Result<i64> {
        match &mut self.engine {
            Open::Lite(l) => l.data_version(),
            Open::Server(s) => s.data_version(),
        }
    }

    /// See [`Lite::begin_bulk_load`]; a server needs nothing.
    pub fn begin_bulk_load(&self) -> Result<()> {
        self.lite_only(Lite::begin_bulk_load)
    }

    /// See [`Lite::end_bulk_load`].
    pub fn end_bulk_load(&mut self) -> Result<()> {
        match &mut self.engine {
            Open::Lite(l) => l.end_bulk_load(),
            Open::Server(s) => s.write(|tx| tx.execute_batch("ANALYZE")),
        }
    }

    /// See [`Lite::begin_large_writes`]; a server needs nothing.
    pub fn begin_large_writes(&self) -> Result<()> {
        self.lite_only(Lite::begin_large_writes)
    }

    pub fn end_large_writes(&self) -> Result<()> {
        self.lite_only(Lite::end_large_writes)
    }

    /// See [`Lite::drop_ticket_indexes`]; a server keeps its indexes.
    pub fn drop_ticket_indexes(&self) -> Result<Vec<String>> {
        match &self.engine {
            Open::Lite(l) => l.drop_ticket_indexes(),
            Open::Server(_) => Ok(Vec::new()),
        }
    }

    pub fn create_indexes(&self, sql: &[String]) -> Result<()> {
        match &self.engine {
            Open::Lite(l) => l.create_indexes(sql),
            Open::Server(_) => Ok(()),
        }
    }

    fn lite_only(&self, f: impl FnOnce(&Lite) -> Result<()>) -> Result<()> {
        match &self.engine {
            Open::Lite(l) => f(l),
            Open::Server(_) => Ok(()),
        }
    }

    /// Copies a desk file to a new file at `to` while others keep working (see
    /// [`files::backup`]).
    pub fn backup_to(&self, to: &Path) -> Result<()> {
        match &self.engine {
            Open::Lite(l) => l.backup_to(to),
            Open::Server(s) => Err(StoreError::Unsupported {
                what: "a file backup",
                place: s.shown().to_string(),
                instead: "`opsdesk copy --to FILE` copies a desk on a server into a file",
            }),
        }
    }

    pub fn meta(&mut self, key: &str) -> Result<Option<String>> {
        self.read(|tx| {
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        })
    }
}

pub fn set_meta(tx: &Tx, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// Unix milliseconds, as times are stored.
pub fn to_millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
