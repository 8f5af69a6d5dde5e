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

/// The `sh` blocks of the README's section `heading`, in order, each as its lines.
fn sh_blocks(heading: &str) -> Vec<Vec<String>> {
    let readme = include_str!("../README.md");
    let start = readme.find(heading).expect("section");
    let section = &readme[start + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut blocks = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("```sh\n") {
        let body = &rest[open + "```sh\n".len()..];
        let close = body.find("```").expect("end of block");
        blocks.push(body[..close].lines().map(str::to_string).collect());
        rest = &body[close + 3..];
    }
    blocks
}

/// "A team on several hosts", pasted line by line on a real server: the admin's block on
/// the database server (its superuser reached through `sudo -u postgres`, the socket as
/// `postgresql:///`), then bob's, over TCP with the password the admin made for him.
#[test]
fn the_readme_team_section_moves_a_desk_to_a_server() {
    let server = match common::pg::server() {
        Ok(s) => s,
        Err(why) => return eprintln!("{why}"),
    };
    let Some(own) = &server.own else {
        return eprintln!("this test drives the tests' own cluster (unset OPSDESK_TEST_PG to run it)");
    };
    let blocks = sh_blocks("## A team on several hosts");
    assert_eq!(blocks.len(), 2, "the admin's block and the operator's: {blocks:?}");
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let opsdesk = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdesk"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .envs(common::clock_env())
            .env("OPSDESK_CONFIG_DIR", dir.path().join("config"))
            .env("OPSDESK_DATA_DIR", dir.path().join("data"))
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // The desk the team has: made by this account (its admin), with bob and a ticket.
    opsdesk(&["--db", "desk.db", "init"]);
    opsdesk(&["--db", "desk.db", "operator", "add", "bob", "--role", "agent"]);
    opsdesk(&["--db", "desk.db", "new", "incident", "--title", "Badge readers offline"]);
    let tcp = format!("127.0.0.1:{}", own.port);
    let lines: Vec<String> = blocks
        .concat()
        .iter()
        .map(|l| l.replace("db.example.com:5432", &tcp).replace("db.example.com", &tcp))
        .collect();
    let path = format!("{}:{}", own.bin.display(), std::env::var("PATH").unwrap_or_default());
    let stdout = common::paste(
        &lines,
        "sudo() { [ \"$1 $2\" = '-u postgres' ] || return 1; shift 2; PGUSER=postgres \"$@\"; }\n",
        dir.path(),
        &[
            ("PATH", path.into()),
            ("HOME", home.into()),
            ("USER", opsdesk::cli::os_account().into()),
            ("PGHOST", own.socket.clone().into()),
            ("PGPORT", own.port.to_string().into()),
        ],
    );
    let me = opsdesk::cli::os_account();
    for said in [
        "timeline: 1 events chained".to_string(),
        "the same in both".to_string(),
        format!("{me} (agent, admin)"),
        "bob (agent): database role bob made, a member of opsdesk_operators; password set".to_string(),
        "database role dana made, a member of opsdesk_operators; password set".to_string(),
        "Badge readers offline".to_string(),
    ] {
        assert!(stdout.contains(&said), "{said:?} in:\n{stdout}");
    }
}
