//! Moving a desk: `opsdesk copy --to DEST` from a file to a server and back gives the same
//! desk, row for row, with the same chains; anything at the destination is refused untouched.

mod common;

use chrono::TimeZone;
use common::Env;
use common::pg::{self, Server};

fn server() -> Option<&'static Server> {
    match pg::server() {
        Ok(s) => Some(s),
        Err(why) => {
            eprintln!("{why}");
            None
        }
    }
}

/// Every row of every table a copy carries, each table sorted by all its columns.
fn dump(db: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open desk");
    let mut out = Vec::new();
    for table in opsdesk::store::copy::TABLES {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM pragma_table_info('{table}')"), [], |r| {
                r.get(0)
            })
            .expect("columns");
        let n = usize::try_from(n).expect("count");
        let order: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
        let sql = format!("SELECT * FROM {table} ORDER BY {}", order.join(", "));
        let mut stmt = conn.prepare(&sql).expect("prepare");
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                    .collect::<Result<_, _>>()?;
                Ok(format!("{table}: {}", cells.join(" | ")))
            })
            .expect("query")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows");
        out.extend(rows);
    }
    out
}

/// A desk with something in every table: a seeded year, and alerts, mail, a freeze, a
/// maintenance window and links made by hand.
fn full_desk() -> Env {
    let env = Env::empty();
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 6, 1, 9, 0, 0)
        .single()
        .expect("time");
    common::seed(&env.db, opsdesk::seed::SeedOptions::new(300, now));
    let fixture =
        |f: &str| std::fs::read(format!("{}/tests/fixtures/{f}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
    env.cmd_as("alice")
        .args(["ingest", "alertmanager"])
        .write_stdin(fixture("alertmanager-firing.json"))
        .assert()
        .success();
    env.cmd_as("mail")
        .args(["ingest", "mail"])
        .write_stdin(fixture("mail/multipart.eml"))
        .assert()
        .success();
    let root = env!("CARGO_MANIFEST_DIR");
    env.ok(&[
        "import",
        &format!("{root}/tests/fixtures/servicenow-incident-events-excerpt.csv"),
        "--mapping",
        &format!("{root}/assets/mappings/servicenow-incident-events.toml"),
    ]);
    env.ok(&["ci", "add", "copy-db", "--class", "database"]);
    env.ok(&["ci", "add", "copy-shop", "--class", "business_service"]);
    env.ok(&["ci", "relate", "copy-shop", "depends_on", "copy-db"]);
    env.ok(&["ci", "maintenance", "copy-db", "sun 02:00-06:00 Europe/Berlin"]);
    env.ok(&[
        "freeze",
        "add",
        "year-end",
        "--from",
        "2026-12-20T00:00:00Z",
        "--to",
        "2027-01-04T00:00:00Z",
    ]);
    env.ok(&["operator", "add", "copy-carol", "--role", "agent", "--role", "cab"]);
    env
}

/// `audit verify`'s lines that name counts and heads (read as whoever connects).
fn chains(env: &Env) -> Vec<String> {
    env.ok_self(&["audit", "verify"])
        .lines()
        .filter(|l| l.contains("chained") || l.contains("head"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_desk_copied_to_a_server_and_back_is_the_same_desk() {
    let Some(server) = server() else { return };
    let src = full_desk();
    let url = server.fresh_db();
    let out = src.ok(&["copy", "--to", &url]);
    assert!(out.contains("the same in both"), "{out}");
    let on_server = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: url.clone().into(),
    };
    let ours = chains(&src);
    assert_eq!(ours.len(), 4, "{ours:?}");
    assert_eq!(
        chains(&on_server),
        ours,
        "audit verify gives the same count and head on both engines"
    );
    // Every table came over, row for row: SQLite -> PostgreSQL -> SQLite is the same desk.
    let back = src.dir.path().join("back.db");
    on_server.ok_self(&["copy", "--to", &back.display().to_string()]);
    let (a, b) = (dump(&src.db), dump(&back));
    for table in [
        "alerts",
        "mail_messages",
        "freeze_windows",
        "ci_maintenance",
        "ci_relations",
        "import_keys",
    ] {
        assert!(
            a.iter().any(|l| l.starts_with(&format!("{table}: "))),
            "the desk has {table} rows"
        );
    }
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    // The server desk goes on from there: every trigger the load lifted is back (a commit
    // is heard by listeners), the next ticket takes the next number and row, and search
    // finds copied text.
    let mut listener = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let lifted: i64 = listener
        .query_one(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'",
            &[],
        )
        .expect("triggers")
        .get(0);
    assert_eq!(lifted, 0, "no trigger is left disabled after a copy");
    listener.batch_execute("LISTEN opsdesk").expect("listen");
    let made: serde_json::Value =
        serde_json::from_str(&on_server.ok_self(&["new", "incident", "--title", "After the move", "--json"]))
            .expect("json");
    let biggest: i64 = rusqlite::Connection::open(&src.db)
        .expect("open")
        .query_row("SELECT max(number) FROM tickets WHERE kind = 'incident'", [], |r| {
            r.get(0)
        })
        .expect("max");
    assert_eq!(made["id"], format!("INC-{}", biggest + 1), "{made}");
    {
        use postgres::fallible_iterator::FallibleIterator;
        let mut notes = listener.notifications();
        let heard = notes
            .timeout_iter(std::time::Duration::from_secs(10))
            .next()
            .expect("notifications");
        assert!(heard.is_some(), "a listener hears the first commit on the copy");
    }
    let hits: serde_json::Value =
        serde_json::from_str(&on_server.ok_self(&["search", "After the move", "--json"])).expect("json");
    assert_eq!(hits.as_array().map(Vec::len), Some(1), "{hits}");
    on_server.ok_self(&["audit", "verify"]);
}

#[test]
fn a_copy_goes_into_an_empty_destination_only() {
    let src = Env::new();
    src.ok(&["new", "incident", "--title", "Printer jam"]);
    // A file that exists, whatever it holds, is left as it was.
    let other = Env::new();
    let before = std::fs::read(&other.db).expect("desk");
    let err = src.fails(&["copy", "--to", &other.db.display().to_string()], 1);
    assert!(err.contains("exists: a copy goes into a new file"), "{err}");
    assert_eq!(std::fs::read(&other.db).expect("desk"), before);
    let err = src.fails(&["copy", "--to", &src.db.display().to_string()], 1);
    assert!(err.contains("is this desk"), "{err}");
    // A file copy is a desk of its own.
    let to = src.dir.path().join("copy.db");
    src.ok(&["copy", "--to", &to.display().to_string()]);
    let copy = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: to,
    };
    assert_eq!(chains(&copy), chains(&src));
    // A server database that holds a desk is refused, and nothing is written to it.
    let Some(server) = server() else { return };
    let dest = Env::on_server(server);
    dest.ok(&["new", "incident", "--title", "Already here"]);
    let err = src.fails(&["copy", "--to", &dest.db.display().to_string()], 1);
    assert!(
        err.contains("holds a desk already: a copy goes into an empty database only"),
        "{err}"
    );
    let list = dest.json(&["list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}
