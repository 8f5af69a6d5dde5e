//! Builds a realistic synthetic desk for benchmarks and exploration.
//!
//!     cargo run --release --example seed -- --tickets 100000 --db /tmp/desk-100k.db
//!     opsdesk --db /tmp/desk-100k.db list --open
//!
//! Every ticket is walked through its lifecycle by the real rules engine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut tickets: usize = 100_000;
    let mut db = PathBuf::from("seed-desk.db");
    let mut force = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tickets" | "-n" => match args.next().map(|v| v.replace('_', "").parse()) {
                Some(Ok(n)) => tickets = n,
                _ => return usage("--tickets takes a number"),
            },
            "--db" => match args.next() {
                Some(p) => db = PathBuf::from(p),
                None => return usage("--db takes a path"),
            },
            "--force" => force = true,
            "-h" | "--help" => return usage(""),
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    if force {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = db.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    let started = Instant::now();
    let mut opts = opsdesk::seed::SeedOptions::new(tickets, chrono::Utc::now());
    // Whoever seeds may work the desk as its cast (`--user alice`).
    opts.admin = Some(opsdesk::cli::os_account());
    match opsdesk::seed::seed(&db, &opts) {
        Ok(r) => {
            println!(
                "seeded {} in {:.1} s: {} tickets, {} events, {} comments, {} CIs, {} operators",
                db.display(),
                started.elapsed().as_secs_f64(),
                r.tickets,
                r.events,
                r.comments,
                r.cis,
                r.operators
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("seed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    if !problem.is_empty() {
        eprintln!("seed: {problem}");
    }
    eprintln!("usage: cargo run --release --example seed -- [--tickets N] [--db PATH] [--force]");
    if problem.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
