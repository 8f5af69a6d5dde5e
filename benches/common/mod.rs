//! The seeded desks the benchmarks run on, built once into target/bench-desks/.

use std::path::PathBuf;

/// A seeded desk of `n` tickets, made on first use and reused after.
pub fn bench_desk(n: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-desks");
    let path = dir.join(format!("desk-{n}.db"));
    if !path.exists() {
        std::fs::create_dir_all(&dir).expect("bench folder");
        eprintln!("seeding {n} tickets into {} (once)...", path.display());
        let report = opsdesk::seed::seed(&path, &opsdesk::seed::SeedOptions::new(n, chrono::Utc::now())).expect("seed");
        eprintln!("seeded: {report:?}");
    }
    path
}

/// The size to bench, from OPSDESK_BENCH_TICKETS, else `default`.
#[allow(dead_code)] // each bench target compiles this module; not all of them use it
pub fn size(default: usize) -> usize {
    std::env::var("OPSDESK_BENCH_TICKETS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The same seeded desk of `n` tickets on the PostgreSQL server `OPSDESK_BENCH_PG` names
/// (`postgresql://USER@HOST:PORT`, a role that may create databases), in its database
/// `opsdesk_bench_N`, copied there from [`bench_desk`] on first use and reused after. `None`,
/// said once, when the variable is not set: only the SQLite desk is benched.
#[allow(dead_code)] // each bench target compiles this module; not all of them use it
pub fn bench_server(n: usize) -> Option<String> {
    let Ok(base) = std::env::var("OPSDESK_BENCH_PG") else {
        eprintln!(
            "PostgreSQL is not benched: set OPSDESK_BENCH_PG=postgresql://USER@HOST:PORT (a role that may create \
             databases) to bench the same desk on a server beside SQLite"
        );
        return None;
    };
    let base = base.trim_end_matches('/');
    let name = format!("opsdesk_bench_{n}");
    let url = format!("{base}/{name}");
    let mut admin = postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).expect("OPSDESK_BENCH_PG");
    let filled = postgres::Client::connect(&url, postgres::NoTls)
        .ok()
        .and_then(|mut c| c.query_one("SELECT count(*) FROM tickets", &[]).ok())
        .is_some_and(|r| r.get::<_, i64>(0) > 0);
    if !filled {
        // None yet, or one a copy cut short left behind.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin.batch_execute(&sql).expect("make the bench database");
        }
        eprintln!("copying the desk of {n} tickets to {url} (once)...");
        let mut desk = opsdesk::desk::Desk::open(bench_desk(n), "alice", opsdesk::config::Config::default())
            .expect("open bench desk");
        desk.copy_to(opsdesk::store::Place::of(&url), &mut |_, _| {})
            .expect("copy");
    }
    Some(url)
}

/// The bench desks of `n` tickets, each with the engine it is on: the file, and the server
/// one when [`bench_server`] has one.
#[allow(dead_code)] // each bench target compiles this module; not all of them use it
pub fn bench_places(n: usize) -> Vec<(&'static str, opsdesk::store::Place)> {
    let mut places = vec![("sqlite", opsdesk::store::Place::from(bench_desk(n)))];
    if let Some(url) = bench_server(n) {
        places.push(("postgres", opsdesk::store::Place::of(&url)));
    }
    places
}
