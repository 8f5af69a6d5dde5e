//! Builds a realistic synthetic desk for benchmarks and exploration.
//!
//!     cargo run --release --example seed -- --tickets 100000 --db /tmp/desk-100k.db
//!     opsdesk --db /tmp/desk-100k.db list --open
//!
//! `--done-share S`: of tickets older than two weeks, the share that is finished (0.93 by
//! default, a desk that keeps up; 0.2 leaves about 80 % of the desk open).
//!
//! Every ticket is walked through its lifecycle by the real rules engine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut tickets: usize = 100_000;
    let mut db = PathBuf::from("seed-desk.db");
    let mut force = false;
    let mut done_share: Option<f64> = None;
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
            "--done-share" => match args.next().map(|v| v.parse::<f64>()) {
                Some(Ok(share)) if (0.0..=1.0).contains(&share) => done_share = Some(share),
                _ => return usage("--done-share takes a share between 0 and 1"),
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
    if let Some(share) = done_share {
        opts.done_share = share;
    }
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
    eprintln!("usage: cargo run --release --example seed -- [--tickets N] [--db PATH] [--done-share 0.93] [--force]");
    if problem.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
