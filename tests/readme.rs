//! The README's CLI tour, run line by line as a newcomer would paste it.

mod common;

#[test]
fn the_readme_tour_runs() {
    let dir = tempfile::tempdir().expect("dir");
    let stdout = common::run_readme_tour(dir.path().join("tour.db"));
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
