//! Helpers for driving the real binary against a desk in a temporary folder.
#![allow(dead_code)]

pub mod receiver;
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

    /// Everything the desk holds, as text: equal snapshots mean nothing was written.
    pub fn snapshot(&self) -> String {
        snapshot(&self.db)
    }
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

pub fn snapshot(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open desk");
    let mut out = String::new();
    for table in [
        "operators",
        "tickets",
        "events",
        "comments",
        "ticket_links",
        "cis",
        "ci_relations",
        "ticket_cis",
        "import_keys",
        "meta",
        "desk_events",
    ] {
        let sql = format!("SELECT * FROM {table} ORDER BY 1");
        let mut stmt = conn.prepare(&sql).expect("prepare");
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut cells = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    cells.push(format!("{v:?}"));
                }
                Ok(cells.join("|"))
            })
            .expect("query");
        out.push_str(&format!("[{table}]\n"));
        for row in rows {
            out.push_str(&row.expect("row"));
            out.push('\n');
        }
    }
    out
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
