//! Bulk intake: the whole ServiceNow incident event log (141,712 rows; UCI Machine Learning
//! Repository; Amaral, Fantinato, Peres 2018; CC BY 4.0) imported into a new desk (read from
//! ../shared/data; skipped, saying so, when it is not there), and 10,000 Alertmanager alerts
//! taken in one input.
//!
//!     cargo bench --bench import
//!     cargo bench --bench import -- ingest

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::import::mapping::Mapping;
use opsdesk::store::Sharing;

/// One Alertmanager payload of `n` different alerts, as `opsdesk ingest alertmanager` reads it.
pub fn alerts_payload(n: usize) -> String {
    let alerts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "status": "firing",
                "labels": {"alertname": "HighLatency", "instance": format!("web-{i}:9100"), "job": "web", "severity": "warning"},
                "annotations": {"summary": format!("p99 latency above 2 s on web-{i}")},
                "startsAt": "2026-11-23T08:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example.com:9090/graph",
                "fingerprint": format!("{i:016x}")
            })
        })
        .collect();
    serde_json::json!({
        "version": "4", "groupKey": "{}:{alertname=\"HighLatency\"}", "truncatedAlerts": 0,
        "status": "firing", "receiver": "opsdesk", "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency"}, "commonAnnotations": null,
        "externalURL": "http://alertmanager.example.com:9093", "alerts": alerts
    })
    .to_string()
}

fn ingest(c: &mut Criterion) {
    let payload = alerts_payload(10_000);
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("alertmanager_10000_alerts_into_a_new_desk", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("dir");
                let (desk, _) = Desk::create(
                    dir.path().join("desk.db"),
                    "alertmanager",
                    Config::default(),
                    Sharing::Private,
                )
                .expect("desk");
                (dir, desk)
            },
            |(dir, mut desk)| {
                let payloads = opsdesk::ingest::alertmanager::parse(payload.as_bytes()).expect("parse");
                let report = desk.ingest_alertmanager(&payloads).expect("ingest");
                assert_eq!(report.opened, 10_000);
                (dir, desk)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

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
        &opsdesk::domain::Lifecycles::builtin(),
    )
    .expect("the shipped mapping");
    let mut g = c.benchmark_group("import");
    g.sample_size(10).measurement_time(Duration::from_secs(45));
    g.bench_function("servicenow_event_log_into_a_new_desk", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("dir");
                let (desk, _) = Desk::create(dir.path().join("desk.db"), "importer", config.clone(), Sharing::Private)
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

criterion_group!(import, benches, ingest);
criterion_main!(import);
