//! Imports the whole ServiceNow incident event log (UCI Machine Learning Repository; Amaral,
//! Fantinato, Peres 2018; CC BY 4.0) into a new desk, times it, and checks the report against
//! the figures in the data's PROVENANCE.md. Skips (exit 0) when the file is not there.
//!
//!     cargo run --release --example import_servicenow [-- PATH/incident_event_log.csv]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::import::mapping::Mapping;
use opsdesk::store::Sharing;

fn main() -> ExitCode {
    let file = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data/uci-incident-event-log/incident_event_log.csv"));
    if !file.exists() {
        println!("{} is not here: nothing to import", file.display());
        return ExitCode::SUCCESS;
    }
    match run(&file) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("import_servicenow: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(file: &std::path::Path) -> Result<bool, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let config = Config::default();
    let text = include_str!("../assets/mappings/servicenow-incident-events.toml");
    let mapping = Mapping::parse(
        text,
        "servicenow-incident-events.toml",
        &opsdesk::domain::Lifecycles::builtin(),
    )?;
    let (mut desk, _) = Desk::create(dir.path().join("desk.db"), "importer", config, Sharing::Private)?;
    let start = Instant::now();
    let r = desk.import(file, &mapping, false, &mut |_, _| {})?;
    let took = start.elapsed();
    println!(
        "imported {} rows ({} incidents) in {:.2} s: {} events, {} people, {} rows not taken",
        r.rows,
        r.records,
        took.as_secs_f64(),
        r.events,
        r.people_added,
        r.rejected.len()
    );
    let start = Instant::now();
    let again = desk.import(file, &mapping, false, &mut |_, _| {})?;
    println!(
        "second run in {:.2} s: {} new, {} updated, {} events",
        start.elapsed().as_secs_f64(),
        again.created,
        again.updated,
        again.events
    );
    let report = desk
        .report(None, chrono::Utc::now(), None, None, chrono::Utc::now())?
        .all;
    let median = report.mttr.median_hours.unwrap_or(f64::NAN);
    println!(
        "report: {} incidents, {} open; opened → resolved median {median:.2} h, mean {:.2} h over {}",
        report.tickets,
        report.open,
        report.mttr.mean_hours.unwrap_or(f64::NAN),
        report.mttr.count
    );
    let checks = [
        ("24,918 incidents", report.tickets == 24_918),
        ("all closed", report.open == 0),
        ("23,362 resolved with a time", report.mttr.count == 23_362),
        ("median 22.1 h (±0.1)", (median - 22.1).abs() <= 0.1),
        (
            "the -100 rows reported",
            r.rejected.iter().filter(|x| x.reason.contains("`-100`")).count() == 5,
        ),
        (
            "a second run changes nothing",
            again.created + again.updated + again.events == 0,
        ),
    ];
    let mut ok = true;
    for (what, passed) in checks {
        println!("  {} {what}", if passed { "ok  " } else { "FAIL" });
        ok &= passed;
    }
    Ok(ok)
}
