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
