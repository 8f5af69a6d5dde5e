//! The desk's files on a host where things go wrong: links where a desk should be, a full
//! disk, a backup killed midway, and files that are not files of records.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Env;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).expect("meta").permissions().mode() & 0o777
}

#[test]
fn init_shared_changes_nothing_through_a_link_or_on_a_file_that_is_not_a_desk() {
    let env = Env::empty();
    let other = env.dir.path().join("someone-elses.txt");
    std::fs::write(&other, "not a desk").expect("write");
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let folder = env.dir.path().join("folder");
    std::fs::create_dir(&folder).expect("dir");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for (target, what) in [(&other, "a file"), (&folder, "a folder")] {
        let link = env.dir.path().join(format!("link-to-{}.db", what.replace(' ', "-")));
        std::os::unix::fs::symlink(target, &link).expect("symlink");
        let err = env.fails(&["--db", &link.display().to_string(), "init", "--shared"], 1);
        assert!(
            err.contains("is a symbolic link, and opsdesk changes no mode through one"),
            "{what}: {err}"
        );
        assert_eq!(
            mode(target),
            if what == "a file" { 0o644 } else { 0o755 },
            "{what}'s mode"
        );
    }
    // The file itself, and a folder, are refused as what they are, before any mode changes.
    let err = env.fails(&["--db", &other.display().to_string(), "init", "--shared"], 1);
    assert!(
        err.contains("not an opsdesk desk (not a SQLite database); it was left untouched"),
        "{err}"
    );
    assert_eq!(mode(&other), 0o644);
    assert_eq!(std::fs::read_to_string(&other).expect("read"), "not a desk");
    let err = env.fails(&["--db", &folder.display().to_string(), "init", "--shared"], 1);
    assert!(err.contains("it is a folder"), "{err}");
    assert_eq!(mode(&folder), 0o755);
}

/// `init` with at most `kib` KiB writable per file, as on a disk that fills up: bash ignores
/// SIGXFSZ, so SQLite gets EFBIG from its writes instead of the process being killed.
fn init_on_a_full_disk(env: &Env, kib: u32) -> std::process::Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" init"))
        .arg(env!("CARGO_BIN_EXE_opsdesk"))
        .env_clear()
        .envs(common::clock_env())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPSDESK_CONFIG_DIR", env.config_dir())
        .env("OPSDESK_DB", &env.db)
        .output()
        .expect("bash")
}

#[test]
fn init_on_a_full_disk_leaves_nothing_behind() {
    for kib in [1, 8, 32, 64, 128] {
        let env = Env::empty();
        let out = init_on_a_full_disk(&env, kib);
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            continue;
        }
        assert_eq!(out.status.code(), Some(1), "{kib} KiB: {err}");
        let left: Vec<_> = std::fs::read_dir(env.dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .filter(|n| n.to_string_lossy().starts_with("desk.db"))
            .collect();
        assert!(left.is_empty(), "{kib} KiB: {left:?} left behind after: {err}");
        // And a later init, with room, makes the desk.
        env.ok(&["init"]);
        env.ok(&["audit", "verify"]);
    }
}

#[test]
fn a_backup_killed_midway_leaves_nothing_at_its_target_and_a_retry_works() {
    let env = Env::empty();
    common::seed(&env.db, opsdesk::seed::SeedOptions::new(6_000, chrono::Utc::now()));
    let target = env.dir.path().join("backup.db");
    let t = target.display().to_string();
    let mut killed = 0;
    for _ in 0..20 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_opsdesk"))
            .env_clear()
            .envs(common::clock_env())
            .env("OPSDESK_CONFIG_DIR", env.config_dir())
            .env("OPSDESK_DB", &env.db)
            .args(["backup", &t])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        // Kill it once its copy is under way: the partial copy is there, beside the target.
        let started = Instant::now();
        let partial = || {
            std::fs::read_dir(env.dir.path()).expect("dir").any(|e| {
                e.expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".backup.db.partial")
            })
        };
        while !partial() && child.try_wait().expect("try_wait").is_none() {
            assert!(started.elapsed() < Duration::from_secs(30), "the backup never started");
        }
        if child.try_wait().expect("try_wait").is_some() {
            // It finished first: take it away and try again.
            let _ = std::fs::remove_file(&target);
            continue;
        }
        child.kill().expect("kill");
        child.wait().expect("wait");
        assert!(!target.exists(), "a killed backup left a file at its target");
        killed += 1;
        break;
    }
    assert_eq!(killed, 1, "no backup was caught midway in 20 tries");
    let out = env.ok_self(&["backup", &t]);
    assert!(out.starts_with("backed up"), "{out}");
    let copy = Env {
        db: target.clone(),
        dir: tempfile::tempdir().expect("dir"),
    };
    assert_eq!(copy.json(&["list", "--limit", "1"]).as_array().map(Vec::len), Some(1));
    // A target that exists is never replaced.
    let err = env.cmd_self().args(["backup", &t]).output().expect("run");
    assert_eq!(err.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&err.stderr).contains("File exists"));
}

#[test]
fn a_file_that_is_not_records_is_refused_at_once() {
    let env = Env::new();
    let before = env.snapshot();
    let jsonl = env.dir.path().join("m-jsonl.toml");
    let csv = env.dir.path().join("m-csv.toml");
    let mapping = |format: &str| {
        format!(
            "source = \"x\"\nkind = \"incident\"\nkey = \"id\"\nformat = \"{format}\"\n[fields]\ntitle = \"title\"\n"
        )
    };
    std::fs::write(&jsonl, mapping("jsonl")).expect("write");
    std::fs::write(&csv, mapping("csv")).expect("write");
    for (args, said) in [
        (vec!["import", "/dev/zero"], "line 1 is longer than 64 MiB"),
        (
            vec!["import", "/dev/zero", "--mapping", &jsonl.display().to_string()],
            "line 1 is longer than 8 MiB",
        ),
        (
            vec!["import", "/dev/zero", "--mapping", &csv.display().to_string()],
            "a record is longer than 8 MiB",
        ),
    ] {
        let started = Instant::now();
        let err = env.fails(&args, 1);
        let took = started.elapsed();
        assert!(err.contains(said), "{args:?}: {err}");
        assert!(took < Duration::from_secs(1), "{args:?} took {took:?}");
        assert_eq!(env.snapshot(), before, "{args:?} wrote");
    }
}
