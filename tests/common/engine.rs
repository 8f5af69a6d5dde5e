//! One test, both engines: `on_both_engines!` makes a test of a body into two, one on a
//! desk in a file and one on a desk on a PostgreSQL server (see `pg` for where that comes
//! from), and the [`Env`] helpers here look into either desk the same way.

use super::{Env, pg};

/// Where a test's desks are made.
pub enum Engine {
    Sqlite,
    Postgres(&'static pg::Server),
}

impl Engine {
    /// The server engine, or (on a machine without PostgreSQL, and unless `.ci/run` asked for
    /// it) `None` after saying why.
    pub fn postgres() -> Option<Engine> {
        match pg::server() {
            Ok(server) => Some(Engine::Postgres(server)),
            Err(why) => {
                eprintln!("{why}");
                None
            }
        }
    }

    /// A new desk initialised as [`Env::new`] does: a file, or a new database on the server.
    pub fn desk(&self) -> Env {
        match self {
            Engine::Sqlite => Env::new(),
            Engine::Postgres(server) => Env::on_server(server),
        }
    }
}

/// `on_both_engines! { fn name(engine) { … } }` gives the tests `name::sqlite` and
/// `name::postgres`, each running the body with `engine` an [`Engine`] to make desks on.
#[allow(unused_macros)]
macro_rules! on_both_engines {
    ($(#[doc = $doc:expr])* fn $name:ident($engine:ident) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run($engine: &$crate::common::engine::Engine) $body

            #[test]
            fn sqlite() {
                run(&$crate::common::engine::Engine::Sqlite)
            }

            #[test]
            fn postgres() {
                if let Some(engine) = $crate::common::engine::Engine::postgres() {
                    run(&engine)
                }
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_engines;

/// The tables of a desk, in the order a snapshot lists them.
pub const TABLES: &[&str] = &[
    "operators",
    "tickets",
    "events",
    "comments",
    "ticket_links",
    "cis",
    "ci_relations",
    "ticket_cis",
    "import_keys",
    "meta",
    "desk_events",
];

impl Env {
    /// Whether this desk is on a server.
    pub fn on_a_server(&self) -> bool {
        self.db.to_str().is_some_and(|s| s.starts_with("postgresql://"))
    }

    /// The rows `sql` gives on this desk (as the server's superuser on a server), every
    /// value as text as the engine writes it, NULL as `None`.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        if self.on_a_server() {
            let url = self.db.display().to_string();
            let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            client
                .simple_query(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(row) => {
                        Some((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect())
                    }
                    _ => None,
                })
                .collect()
        } else {
            let conn = rusqlite::Connection::open(&self.db).expect("open desk");
            let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
            let n = stmt.column_count();
            stmt.query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                            rusqlite::types::Value::Null => None,
                            rusqlite::types::Value::Integer(v) => Some(v.to_string()),
                            rusqlite::types::Value::Real(v) => Some(v.to_string()),
                            rusqlite::types::Value::Text(v) => Some(v),
                            rusqlite::types::Value::Blob(v) => Some(format!("{v:02x?}")),
                        })
                    })
                    .collect()
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
        }
    }

    /// The one number `sql` gives.
    pub fn number(&self, sql: &str) -> i64 {
        let rows = self.rows(sql);
        let cell = rows.first().and_then(|r| r.first()).cloned().flatten();
        cell.and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{sql} gave no number: {rows:?}"))
    }

    /// The rows of `sql`, one line each, cells joined by `|` (NULL as `∅`).
    pub fn lines(&self, sql: &str) -> String {
        let mut out = String::new();
        for row in self.rows(sql) {
            let cells: Vec<&str> = row.iter().map(|c| c.as_deref().unwrap_or("∅")).collect();
            out.push_str(&cells.join("|"));
            out.push('\n');
        }
        out
    }

    /// Waits until nothing else is connected to the desk: after a `kill -9` on a server, the
    /// killed client's backend may still be finishing what it was sent (a COMMIT already in
    /// its socket is carried out), and only once it is gone is the desk as the kill left it.
    /// A file has no one to wait for.
    pub fn settle(&self) {
        if !self.on_a_server() {
            return;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let others = "SELECT count(*) FROM pg_stat_activity \
                      WHERE datname = current_database() AND pid <> pg_backend_pid()";
        while self.number(others) > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "a killed client's backend outlived it by 30 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Everything the desk holds, as text: equal snapshots mean nothing was written.
    pub fn snapshot(&self) -> String {
        let mut out = String::new();
        for table in TABLES {
            out.push_str(&format!("[{table}]\n"));
            out.push_str(&self.lines(&format!("SELECT * FROM {table} ORDER BY 1")));
        }
        out
    }

    /// Fails the test unless the engine finds the desk's storage sound: SQLite's integrity
    /// check on a file; on a server, amcheck over every table and every B-tree index.
    pub fn assert_sound(&self) {
        if self.on_a_server() {
            self.rows("CREATE EXTENSION IF NOT EXISTS amcheck");
            let broken = self.lines(
                "SELECT c.relname, v.blkno, v.msg FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 CROSS JOIN LATERAL verify_heapam(c.oid) v \
                 WHERE n.nspname = 'public' AND c.relkind = 'r'",
            );
            assert_eq!(broken, "", "amcheck found broken tables");
            self.rows(
                "SELECT bt_index_check(c.oid, true) FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 JOIN pg_am a ON a.oid = c.relam \
                 WHERE n.nspname = 'public' AND a.amname = 'btree'",
            );
        } else {
            assert_eq!(self.lines("PRAGMA integrity_check"), "ok\n");
        }
    }
}
