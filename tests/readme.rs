//! The README's CLI tour, run line by line as a newcomer would paste it.

mod common;

use std::process::Command;

/// The `sh` block under "## A tour of the CLI".
fn tour() -> Vec<String> {
    let readme = include_str!("../README.md");
    let start = readme.find("## A tour of the CLI").expect("tour section");
    let block = &readme[start..];
    let open = block.find("```sh\n").expect("tour block") + "```sh\n".len();
    let close = block[open..].find("```").expect("end of block");
    block[open..open + close].lines().map(str::to_string).collect()
}

#[test]
fn the_readme_tour_runs() {
    let lines = tour();
    assert!(lines.len() > 10, "the tour is there: {lines:?}");
    let dir = tempfile::tempdir().expect("dir");
    let desk = dir.path().join("tour.db");
    // The build and the alias are what the test harness already did; the desk goes to a temp dir.
    let mut script = String::from("set -euo pipefail\nopsdesk() { \"$OPSDESK_BIN\" \"$@\"; }\n");
    for line in &lines {
        if line.starts_with("cargo build") || line.starts_with("alias opsdesk=") {
            continue;
        }
        if line.starts_with("export OPSDESK_DB=") {
            script.push_str("export OPSDESK_DB=\"$TOUR_DESK\"\n");
            continue;
        }
        assert!(line.starts_with("opsdesk "), "unexpected tour line: {line}");
        script.push_str(&format!("echo '>>> {}'\n{line}\n", line.replace('\'', "")));
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env_clear()
        .envs(common::clock_env())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPSDESK_BIN", env!("CARGO_BIN_EXE_opsdesk"))
        .env("TOUR_DESK", &desk)
        .env("USER", "newcomer")
        .env("OPSDESK_CONFIG_DIR", dir.path().join("config"))
        .env("OPSDESK_DATA_DIR", dir.path().join("data"))
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the tour failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("INC-1: resolve: assigned → resolved"), "{stdout}");
    assert!(stdout.contains("shop (depth 1: shop-db ← shop)"), "{stdout}");
    assert!(stdout.contains("INC-1: close: resolved → closed"), "{stdout}");
}

/// The `config.toml` the README shows is one opsdesk reads.
#[test]
fn the_readme_config_example_loads() {
    let readme = include_str!("../README.md");
    let start = readme
        .find("`config.toml` holds what is personal")
        .expect("config section");
    let block = &readme[start..];
    let open = block.find("```toml\n").expect("toml block") + "```toml\n".len();
    let close = block[open..].find("```").expect("end of block");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("config.toml"), &block[open..open + close]).expect("write");
    let paths = opsdesk::config::Paths {
        data_dir: dir.path().into(),
        config_dir: dir.path().into(),
    };
    let config = opsdesk::config::Config::load(&paths).expect("the README's config loads");
    assert!(config.escalation.command.is_some());
    assert!(config.legacy.is_none(), "the README's config.toml holds no desk policy");
}

/// The SLA policy the README shows is one a desk takes.
#[test]
fn the_readme_policy_example_applies() {
    let readme = include_str!("../README.md");
    let start = readme
        .find("The SLA targets and calendars are the desk's policy")
        .expect("policy section");
    let block = &readme[start..];
    let open = block.find("```toml\n").expect("toml block") + "```toml\n".len();
    let close = block[open..].find("```").expect("end of block");
    let policy = common::policy_with(&[("[sla]\n", &format!("[sla]\n{}", &block[open..open + close]))]);
    let p = opsdesk::domain::Policy::parse(&policy, "README.md").expect("the README's policy parses");
    assert!(p.sla.calendars.contains_key("business"));
    assert_eq!(
        p.sla.targets[&(opsdesk::domain::Kind::Incident, 3)].calendar,
        "business"
    );
}
