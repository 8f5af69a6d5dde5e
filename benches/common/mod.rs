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
