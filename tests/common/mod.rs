//! Helpers for driving the real binary against a desk in a temporary folder.
#![allow(dead_code)]

pub mod engine;
pub mod pg;
pub mod receiver;
pub mod smtp;
pub mod tmux;
pub mod tui;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// What a test keeps of its own environment in the commands it starts with a clean one: the
/// clock and zone that `.ci/pinned-clock` pins (libfaketime's variables and `TZ`), so the
/// binary sees the same time as the test.
pub fn clock_env() -> Vec<(String, std::ffi::OsString)> {
    // FAKETIME_SHARED names the memory in which the pinned clock's start is kept: without it a
    // command would start the clock again, and time would run backwards between commands.
    std::env::vars_os()
        .filter_map(|(k, v)| k.into_string().ok().map(|k| (k, v)))
        .filter(|(k, _)| k == "LD_PRELOAD" || k == "TZ" || k.starts_with("FAKETIME"))
        .collect()
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Env {
    /// A fresh folder with a desk initialised by the OS account acting as `alice`: both are
    /// its admins, and the account may act as anyone (as the tests do).
    pub fn new() -> Env {
        let env = Env::empty();
        env.ok(&["init"]);
        env
    }

    /// A desk initialised as [`Env::new`] does, in a new database on `server`; `db` is its
    /// URL (which `--db` and `OPSDESK_DB` take as they take a path).
    pub fn on_server(server: &pg::Server) -> Env {
        let env = Env {
            dir: tempfile::tempdir().expect("temp dir"),
            db: PathBuf::from(server.fresh_db()),
        };
        env.ok(&["init"]);
        env
    }

    /// A fresh folder with no desk in it yet.
    pub fn empty() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("desk.db");
        Env { dir, db }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Writes `text` as the config.toml every command of this Env reads.
    pub fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.config_dir()).expect("config dir");
        std::fs::write(self.config_dir().join("config.toml"), text).expect("config.toml");
    }

    /// `opsdesk --db <desk>` as `alice`, with config and data folders inside the temp dir.
    pub fn cmd(&self) -> Command {
        self.cmd_as("alice")
    }

    pub fn cmd_as(&self, user: &str) -> Command {
        let mut c = self.cmd_self();
        c.env("OPSDESK_USER", user);
        c
    }

    /// `opsdesk --db <desk>` as the OS account running the test, acting as nobody else.
    pub fn cmd_self(&self) -> Command {
        let mut c = Command::cargo_bin("opsdesk").expect("binary");
        c.env_clear()
            .envs(clock_env())
            .env("OPSDESK_CONFIG_DIR", self.config_dir())
            .env("OPSDESK_DATA_DIR", self.dir.path().join("data"))
            .env("OPSDESK_DB", &self.db);
        c
    }

    /// Runs as the OS account itself and returns stdout, failing the test if it fails.
    pub fn ok_self(&self, args: &[&str]) -> String {
        let out = self.cmd_self().args(args).output().expect("run");
        assert!(
            out.status.success(),
            "opsdesk {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// The OS account the tests run as, as the desk names it.
    pub fn account(&self) -> String {
        let out = self.ok_self(&["operator", "whoami", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v["operator"].as_str().expect("name").to_string()
    }

    /// Runs as alice and returns stdout, failing the test if the command fails.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_as("alice", args)
    }

    pub fn ok_as(&self, user: &str, args: &[&str]) -> String {
        let out = self.cmd_as(user).args(args).output().expect("run");
        assert!(
            out.status.success(),
            "opsdesk {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Runs as `user`, expects exit `code`, returns stderr.
    pub fn fails_as(&self, user: &str, args: &[&str], code: i32) -> String {
        let out = self.cmd_as(user).args(args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(code), "opsdesk {args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "a refused command printed to stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    pub fn fails(&self, args: &[&str], code: i32) -> String {
        self.fails_as("alice", args, code)
    }

    /// Runs `args --json` as `user` and parses what it prints.
    pub fn json_as(&self, user: &str, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok_as(user, &args)).expect("valid JSON")
    }

    /// Runs `args --json` as alice and parses what it prints.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).expect("valid JSON")
    }

    /// Makes the shipped policy with `edits` (each `from` replaced by `to` once) the desk's,
    /// as its admin alice.
    pub fn apply_policy(&self, edits: &[(&str, &str)]) {
        let file = self.dir.path().join("policy.toml");
        std::fs::write(&file, policy_with(edits)).expect("write policy");
        self.ok(&["policy", "apply", &file.display().to_string()]);
    }
}

/// The `sh` block under the README's "## A tour of the CLI".
fn readme_tour() -> Vec<String> {
    let readme = include_str!("../../README.md");
    let start = readme.find("## A tour of the CLI").expect("tour section");
    let block = &readme[start..];
    let open = block.find("```sh\n").expect("tour block") + "```sh\n".len();
    let close = block[open..].find("```").expect("end of block");
    block[open..open + close].lines().map(str::to_string).collect()
}

/// Runs the README's CLI tour line by line as a newcomer would paste it, with its desk at
/// `desk` (a path or a URL); returns what it printed, failing the test if a line fails.
pub fn run_readme_tour(desk: impl AsRef<std::ffi::OsStr>) -> String {
    let lines = readme_tour();
    assert!(lines.len() > 10, "the tour is there: {lines:?}");
    let dir = tempfile::tempdir().expect("dir");
    // The build and the alias are what the test harness already did; the desk is the test's.
    let mut pasted = Vec::new();
    for line in &lines {
        if line.starts_with("cargo build") || line.starts_with("alias opsdesk=") {
            continue;
        }
        if line.starts_with("export OPSDESK_DB=") {
            pasted.push("export OPSDESK_DB=\"$TOUR_DESK\"".to_string());
            continue;
        }
        assert!(line.starts_with("opsdesk "), "unexpected tour line: {line}");
        pasted.push(line.clone());
    }
    let desk = desk.as_ref().to_os_string();
    paste(
        &pasted,
        "",
        dir.path(),
        &[("TOUR_DESK", desk), ("USER", "newcomer".into())],
    )
}

/// Runs `lines` in bash one by one, each echoed first, as someone pasting them would, in
/// `dir` (where config and data go too), with `opsdesk` the binary under test, after
/// `preamble` (shell functions standing in for what a test cannot do), with a clean
/// environment but for the pinned clock, PATH and `envs`. Returns what it printed, failing
/// the test if a line fails.
pub fn paste(lines: &[String], preamble: &str, dir: &Path, envs: &[(&str, std::ffi::OsString)]) -> String {
    let mut script = format!("set -euo pipefail\nopsdesk() {{ \"$OPSDESK_BIN\" \"$@\"; }}\n{preamble}");
    for line in lines {
        script.push_str(&format!("echo '>>> {}'\n{line}\n", line.replace('\'', "")));
    }
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env_clear()
        .envs(clock_env())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPSDESK_BIN", env!("CARGO_BIN_EXE_opsdesk"))
        .env("OPSDESK_CONFIG_DIR", dir.join("config"))
        .env("OPSDESK_DATA_DIR", dir.join("data"));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "a pasted line failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Seeds a desk at `db` whose admins include the OS account running the tests, so the
/// binary may work it as the seeded cast (`OPSDESK_USER=alice`).
pub fn seed(db: &Path, mut opts: opsdesk::seed::SeedOptions) -> opsdesk::seed::SeedReport {
    opts.admin = Some(opsdesk::cli::os_account());
    opsdesk::seed::seed(db, &opts).expect("seed")
}

/// The shipped policy with each `from` replaced by `to` once (each must be there).
pub fn policy_with(edits: &[(&str, &str)]) -> String {
    let mut text = opsdesk::domain::Policy::shipped_source().to_string();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} is in the shipped policy");
        text = text.replacen(from, to, 1);
    }
    text
}

/// The configuration a `config.toml` with `text` in `dir/config` gives.
pub fn config_with(dir: &Path, text: &str) -> opsdesk::config::Config {
    let config_dir = dir.join("config");
    std::fs::create_dir_all(&config_dir).expect("dir");
    std::fs::write(config_dir.join("config.toml"), text).expect("config");
    opsdesk::config::Config::load(&opsdesk::config::Paths {
        data_dir: dir.into(),
        config_dir,
    })
    .expect("config loads")
}

/// SQLite's plan for `sql`, its steps joined by ` | `.
pub fn query_plan(conn: &rusqlite::Connection, sql: &str, params: impl rusqlite::Params) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("plan");
    let steps: Vec<String> = stmt
        .query_map(params, |r| r.get::<_, String>(3))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    steps.join(" | ")
}
