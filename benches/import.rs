//! Bulk import of real data: the whole ServiceNow incident event log (141,712 rows; UCI
//! Machine Learning Repository; Amaral, Fantinato, Peres 2018; CC BY 4.0) into a new desk.
//! Reads the file from ../shared/data and says so and measures nothing when it is not there.
//!
//!     cargo bench --bench import

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::import::mapping::Mapping;
use opsdesk::store::Sharing;

fn benches(c: &mut Criterion) {
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/uci-incident-event-log/incident_event_log.csv");
    if !file.exists() {
        eprintln!("{} is not here: no import to measure", file.display());
        return;
    }
    let config = Config::default();
    let mapping = Mapping::parse(
        include_str!("../assets/mappings/servicenow-incident-events.toml"),
        "servicenow-incident-events.toml",
        &config.lifecycles,
    )
    .expect("the shipped mapping");
    let mut g = c.benchmark_group("import");
    g.sample_size(10).measurement_time(Duration::from_secs(45));
    g.bench_function("servicenow_event_log_into_a_new_desk", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("dir");
                let (desk, _) = Desk::create(
                    &dir.path().join("desk.db"),
                    "importer",
                    config.clone(),
                    Sharing::Private,
                )
                .expect("desk");
                (dir, desk)
            },
            |(dir, mut desk)| {
                let report = desk.import(&file, &mapping, false, &mut |_, _| {}).expect("import");
                assert_eq!(report.created, 24_918);
                (dir, desk)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(import, benches);
criterion_main!(import);
