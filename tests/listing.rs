//! `opsdesk list --json` of a whole desk: printed as it is read, byte for byte what the
//! desk's own listing serialises to, in the same order whichever way it is read.

mod common;

use std::io::Read;

use chrono::TimeZone;
use common::Env;
use opsdesk::store::tickets::Filter;

/// A desk of 3,000 tickets, most of them still open, as of a fixed day.
fn busy_desk() -> Env {
    let env = Env::empty();
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .expect("time");
    let mut opts = opsdesk::seed::SeedOptions::new(3_000, now);
    opts.done_share = 0.2;
    common::seed(&env.db, opts);
    env
}

/// What `Output::json` makes of the desk's own listing: the text the CLI must print.
fn expected(env: &Env, filter: &Filter) -> String {
    let mut desk = opsdesk::desk::Desk::open(&env.db, "alice", opsdesk::config::Config::default()).expect("desk");
    let tickets = desk.list(filter).expect("list");
    opsdesk::text::json_safe(serde_json::to_string_pretty(&tickets).expect("json")) + "\n"
}

#[test]
fn a_whole_desk_as_json_is_exactly_the_desks_listing_in_its_order() {
    let env = busy_desk();
    let everything = Filter {
        open_only: true,
        limit: 100_000,
        ..Filter::default()
    };
    let printed = env.ok(&["list", "--open", "--limit", "100000", "--json"]);
    assert_eq!(printed, expected(&env, &everything));
    let list: Vec<serde_json::Value> = serde_json::from_str(&printed).expect("parses");
    assert!(list.len() > 1_500, "most of the desk is open: {}", list.len());
    // Long listings are sorted in memory, short ones walk the index: the same order.
    let page = env.ok(&["list", "--open", "--limit", "1000", "--json"]);
    let page: Vec<serde_json::Value> = serde_json::from_str(&page).expect("parses");
    assert_eq!(page.len(), 1_000);
    assert_eq!(page[..], list[..1_000]);
    let keys: Vec<(u64, String)> = list
        .iter()
        .map(|t| {
            (
                t["priority"].as_u64().unwrap_or(0),
                t["created_at"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "by priority, then oldest first");
}

#[test]
fn filters_limits_and_an_empty_listing_print_as_before() {
    let env = busy_desk();
    let incidents = Filter {
        kind: Some(opsdesk::domain::Kind::Incident),
        limit: 1_200,
        ..Filter::default()
    };
    let printed = env.ok(&["list", "--kind", "incident", "--limit", "1200", "--json"]);
    assert_eq!(printed, expected(&env, &incidents));
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&printed)
            .expect("parses")
            .len(),
        1_200
    );
    assert_eq!(env.ok(&["list", "--state", "no-such-state", "--json"]), "[]\n");
    assert_eq!(env.ok(&["list", "--open", "--limit", "0", "--json"]), "[]\n");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let env = busy_desk();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_opsdesk"))
        .args(["list", "--limit", "100000", "--json"])
        .env_clear()
        .envs(common::clock_env())
        .env("OPSDESK_CONFIG_DIR", env.config_dir())
        .env("OPSDESK_DB", &env.db)
        .env("OPSDESK_USER", "alice")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    let mut head = [0u8; 64];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut head)
        .expect("read");
    // The pipe closes here, as `| head -c 64` closes it.
    let out = child.wait_with_output().expect("wait");
    assert!(head.starts_with(b"[\n  {"), "{:?}", String::from_utf8_lossy(&head));
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The row ids part `part` of `parts` of a long listing reads, in small pieces.
fn part_ids(store: &mut opsdesk::store::Store, filter: &Filter, part: i64, parts: i64) -> Vec<i64> {
    use opsdesk::store::tickets::LongListing;
    store
        .read(|tx| {
            let plan = LongListing::plan(tx, filter)?.in_pieces_of(64);
            let mut ids = Vec::new();
            plan.read_part(tx, filter, part, parts, |(_, _, id), _| {
                ids.push(id);
                true
            })?;
            Ok::<_, opsdesk::store::StoreError>(ids)
        })
        .expect("read")
}

#[test]
fn a_long_listing_read_in_parts_reads_each_ticket_once_and_stops_at_its_limit() {
    let env = busy_desk();
    let mut store = opsdesk::store::Store::open(&env.db).expect("store");
    for limit in [100_000, 1_500] {
        let filter = Filter {
            open_only: true,
            limit,
            ..Filter::default()
        };
        let whole = part_ids(&mut store, &filter, 0, 1);
        let (one, two) = (part_ids(&mut store, &filter, 0, 2), part_ids(&mut store, &filter, 1, 2));
        assert!(!one.is_empty() && !two.is_empty(), "both parts have tickets");
        assert!(
            one.len().abs_diff(two.len()) < whole.len() / 4,
            "{} and {}",
            one.len(),
            two.len()
        );
        let mut both: Vec<i64> = one.iter().chain(&two).copied().collect();
        both.sort_unstable();
        let mut expected = whole.clone();
        expected.sort_unstable();
        assert_eq!(both, expected, "no ticket in both parts, none missed (limit {limit})");
        let mut desk = opsdesk::desk::Desk::open(&env.db, "alice", opsdesk::config::Config::default()).expect("desk");
        assert_eq!(whole.len(), desk.list(&filter).expect("list").len().min(limit));
    }
}

#[test]
fn two_readers_see_one_desk_even_when_someone_commits_as_they_start() {
    let env = busy_desk();
    let mut store = opsdesk::store::Store::open(&env.db).expect("store");
    let other = rusqlite::Connection::open(&env.db).expect("other connection");
    let probes = |tx: &opsdesk::store::Tx| -> Result<i64, opsdesk::store::StoreError> {
        tx.query_row("SELECT count(*) FROM meta WHERE key LIKE 'probe-%'", (), |r| r.get(0))
    };
    let (planned, (first, second)) = {
        let mut planned = -1;
        let parts = store
            .read_in_two(
                |tx| {
                    // This snapshot has begun; then someone else commits.
                    planned = probes(tx)?;
                    opsdesk::store::set_meta(&opsdesk::store::Tx::lite(&other), "probe-1", "x")?;
                    Ok::<_, opsdesk::store::StoreError>(())
                },
                |tx, ()| probes(tx),
                |tx, ()| probes(tx),
            )
            .expect("read");
        (planned, parts)
    };
    assert_eq!(
        (first, second),
        (planned, planned),
        "both parts read the snapshot the plan read"
    );
    // And with nobody committing, the second part is read beside the first, as it stands.
    let (first, second) = store
        .read_in_two(
            |_| Ok::<_, opsdesk::store::StoreError>(()),
            |tx, ()| probes(tx),
            |tx, ()| probes(tx),
        )
        .expect("read");
    assert_eq!((first, second), (planned + 1, planned + 1));
}
