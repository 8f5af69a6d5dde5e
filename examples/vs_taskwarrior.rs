//! opsdesk against taskwarrior, the tool a terminal user would otherwise pick: every
//! operation both have — the first page of open work, everything open (as a table and as
//! JSON), adding one, searching, modifying one, importing the lot — on the same items, timed
//! in one run with the two alternating, so the machine's noise falls on both alike. The
//! opsdesk desk is seeded (examples/seed.rs's generator); the taskwarrior data holds the same
//! titles, priorities, ages and open/finished split, written straight into its data files
//! (pending.data, completed.data). The import is of the same items, one row (one JSON
//! object) each, into an empty desk and an empty taskwarrior.
//!
//!     sudo apt-get install taskwarrior
//!     cargo run --release --example vs_taskwarrior [-- --items 100000 --runs 11 --done-share 0.2 --only JSON,import]
//!
//! `--done-share S`: of items older than two weeks, the share finished (by default 0.2: most
//! of the desk is open, the case where listing everything costs most). Both programs are run
//! as a user runs them, one process per command, output to a pipe. `--only W,W`: only the
//! operations whose names hold one of the words.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;

struct Args {
    items: usize,
    runs: usize,
    done_share: f64,
    /// Only the operations whose names hold one of these words.
    only: Vec<String>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        items: 100_000,
        runs: 11,
        done_share: 0.2,
        only: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        if flag == "--only" {
            a.only = value.split(',').map(str::to_string).collect();
            continue;
        }
        let n: f64 = value
            .parse()
            .map_err(|_| format!("{flag}: `{value}` is not a number"))?;
        match flag.as_str() {
            "--items" => a.items = n as usize,
            "--runs" => a.runs = (n as usize).max(1),
            "--done-share" if (0.0..=1.0).contains(&n) => a.done_share = n,
            _ => {
                return Err(format!(
                    "unknown option {flag} (--items N, --runs N, --done-share S, --only WORD,WORD)"
                ));
            }
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    match args().and_then(|a| run(&a).map_err(|e| e.to_string())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vs_taskwarrior: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Taskwarrior's file format escapes quotes and brackets inside values.
fn ff4(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&dquot;")
        .replace('[', "&open;")
        .replace(']', "&close;")
}

fn uuid(rng: &mut fastrand::Rng) -> String {
    let h = |n: usize, rng: &mut fastrand::Rng| (0..n).map(|_| format!("{:x}", rng.u8(0..16))).collect::<String>();
    format!(
        "{}-{}-4{}-a{}-{}",
        h(8, rng),
        h(4, rng),
        h(3, rng),
        h(3, rng),
        h(12, rng)
    )
}

/// The same items for both importers: a CSV for opsdesk's mapping import and a JSON array
/// for `task import`.
struct ImportFiles {
    csv: PathBuf,
    json: PathBuf,
    mapping: PathBuf,
}

/// The mapping of [`ImportFiles::csv`]: one row is one incident, open or finished.
const MAPPING: &str = r#"source = "tasks"
kind = "incident"
format = "csv"
key = "id"

[time]
formats = ["%Y-%m-%d %H:%M:%S"]
created = "opened_at"
closed = "ended_at"

[people]
create = true
opener = "requester"

[fields]
title = "title"
requester = "requester"
impact = "impact"
urgency = "urgency"
resolution_code = { value = "fixed" }
resolution_note = { value = "done in the old tool" }

[fields.state]
column = "state"
values = { open = "new", done = "closed" }
"#;

/// The seeded desk's tickets as taskwarrior tasks: open tickets pending, the rest completed;
/// and the same items as files to import.
fn write_taskwarrior(
    desk: &Path,
    data: &Path,
    dir: &Path,
) -> Result<(usize, usize, ImportFiles), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(data)?;
    let conn = rusqlite::Connection::open_with_flags(desk, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare(
        "SELECT title, priority, created_at, updated_at, is_open, impact, urgency, requester FROM tickets ORDER BY id",
    )?;
    let mut pending = String::new();
    let mut completed = String::new();
    let files = ImportFiles {
        csv: dir.join("items.csv"),
        json: dir.join("items.json"),
        mapping: dir.join("items.toml"),
    };
    std::fs::write(&files.mapping, MAPPING)?;
    let mut csv = csv::Writer::from_path(&files.csv)?;
    csv.write_record([
        "id",
        "title",
        "impact",
        "urgency",
        "requester",
        "opened_at",
        "ended_at",
        "state",
    ])?;
    let mut json = Vec::new();
    let (mut p, mut c) = (0, 0);
    let mut rng = fastrand::Rng::with_seed(7);
    let mut rows = stmt.query([])?;
    let stamp = |ms: i64, f: &str| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .format(f)
            .to_string()
    };
    while let Some(r) = rows.next()? {
        let title: String = r.get(0)?;
        let priority = match r.get::<_, i64>(1)? {
            1 | 2 => "H",
            3 => "M",
            _ => "L",
        };
        let (created_ms, modified_ms): (i64, i64) = (r.get(2)?, r.get(3)?);
        let (entry, modified) = (created_ms / 1000, modified_ms / 1000);
        let open = r.get::<_, i64>(4)? == 1;
        let line = |status: &str, end: &str, uuid: &str| {
            format!(
                "[description:\"{}\"{end} entry:\"{entry}\" modified:\"{modified}\" priority:\"{priority}\" status:\"{status}\" uuid:\"{uuid}\"]\n",
                ff4(&title),
            )
        };
        let id = uuid(&mut rng);
        if open {
            pending.push_str(&line("pending", "", &id));
            p += 1;
        } else {
            completed.push_str(&line("completed", &format!(" end:\"{modified}\""), &id));
            c += 1;
        }
        let (impact, urgency, requester): (i64, i64, String) = (r.get(5)?, r.get(6)?, r.get(7)?);
        let ended = if open {
            String::new()
        } else {
            stamp(modified_ms, "%Y-%m-%d %H:%M:%S")
        };
        csv.write_record([
            format!("T{}", p + c).as_str(),
            &title,
            &impact.to_string(),
            &urgency.to_string(),
            &requester,
            &stamp(created_ms, "%Y-%m-%d %H:%M:%S"),
            &ended,
            if open { "open" } else { "done" },
        ])?;
        let mut task = serde_json::json!({
            "uuid": uuid(&mut rng),
            "description": title,
            "status": if open { "pending" } else { "completed" },
            "entry": stamp(created_ms, "%Y%m%dT%H%M%SZ"),
            "modified": stamp(modified_ms, "%Y%m%dT%H%M%SZ"),
            "priority": priority,
        });
        if !open {
            task["end"] = stamp(modified_ms, "%Y%m%dT%H%M%SZ").into();
        }
        json.push(task);
    }
    csv.flush()?;
    std::fs::write(&files.json, serde_json::to_vec(&json)?)?;
    std::fs::write(data.join("pending.data"), pending)?;
    std::fs::write(data.join("completed.data"), completed)?;
    for f in ["undo.data", "backlog.data"] {
        std::fs::write(data.join(f), "")?;
    }
    Ok((p, c, files))
}

/// Runs a command to completion, reading all it prints into one reused buffer (so that the
/// reading costs each tool the same, and little); returns the wall time and the bytes.
fn timed(cmd: &mut Command) -> Result<(Duration, usize), Box<dyn std::error::Error>> {
    use std::io::{Read, Seek};
    let mut errors = tempfile::tempfile()?;
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stderr(errors.try_clone()?)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut bytes = 0;
    if let Some(mut out) = child.stdout.take() {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match out.read(&mut buf)? {
                0 => break,
                n => bytes += n,
            }
        }
    }
    let status = child.wait()?;
    let took = start.elapsed();
    if !status.success() {
        let mut text = String::new();
        errors.rewind()?;
        errors.read_to_string(&mut text)?;
        return Err(format!("{cmd:?} failed: {text}").into());
    }
    Ok((took, bytes))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 {
        format!("{:.2} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    }
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// One operation both tools have: how to run it on each (given the run's number), how to
/// make ready for a run (untimed), and how many runs it gets.
struct Case<'a> {
    name: String,
    ours: Box<dyn Fn(usize) -> Command + 'a>,
    theirs: Box<dyn Fn(usize) -> Command + 'a>,
    prepare: Box<dyn Fn(usize) -> Outcome + 'a>,
    runs: usize,
}

fn run(a: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if Command::new("task").arg("--version").output().is_err() {
        return Err("taskwarrior is not installed: sudo apt-get install taskwarrior".into());
    }
    let opsdesk = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/opsdesk");
    if !opsdesk.exists() {
        return Err("build the binary first: cargo build --release".into());
    }
    let dir = tempfile::tempdir()?;
    let desk = dir.path().join("desk.db");
    println!("seeding a desk of {} tickets…", a.items);
    let mut opts = opsdesk::seed::SeedOptions::new(a.items, Utc::now());
    opts.done_share = a.done_share;
    // Whoever runs this may work the desk as its cast (`OPSDESK_USER=alice`).
    opts.admin = Some(opsdesk::cli::os_account());
    opsdesk::seed::seed(&desk, &opts)?;
    let data = dir.path().join("task");
    let (pending, completed, files) = write_taskwarrior(&desk, &data, dir.path())?;
    let rc = |data: &Path, name: &str| -> Result<PathBuf, std::io::Error> {
        let taskrc = dir.path().join(name);
        std::fs::write(
            &taskrc,
            format!(
                "data.location={}\nconfirmation=off\ncolor=off\nhooks=off\nnews.version=2.6.2\n",
                data.display()
            ),
        )?;
        Ok(taskrc)
    };
    let taskrc = rc(&data, "taskrc")?;
    println!(
        "taskwarrior {}: {pending} pending and {completed} completed tasks; opsdesk: the same split of open and finished tickets\n",
        String::from_utf8_lossy(&Command::new("task").arg("--version").output()?.stdout).trim()
    );
    let ops_on = |db: &Path| {
        let mut c = Command::new(&opsdesk);
        c.env("OPSDESK_DB", db)
            .env("OPSDESK_USER", "alice")
            .env("OPSDESK_CONFIG_DIR", dir.path().join("no-config"));
        c
    };
    let ops = || ops_on(&desk);
    let task_on = |taskrc: &Path, data: &Path| {
        let mut c = Command::new("task");
        c.env("TASKRC", taskrc).env("TASKDATA", data);
        c
    };
    let task = || task_on(&taskrc, &data);
    // Open tickets to modify, one per run, and the word to search for.
    let open_ids: Vec<String> = {
        let out = ops().args(["list", "--open", "--limit", "100", "--json"]).output()?;
        if !out.status.success() {
            return Err(format!("opsdesk list failed: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)?;
        list.iter()
            .filter_map(|t| t["id"].as_str().map(str::to_string))
            .collect()
    };
    if open_ids.is_empty() {
        return Err("the seeded desk has no open ticket to modify".into());
    }
    let word = "database";
    // Imports go into an empty desk and an empty taskwarrior each run.
    let (import_desk, import_data) = (dir.path().join("import.db"), dir.path().join("import-task"));
    let import_rc = rc(&import_data, "import-taskrc")?;
    let fresh = |_: usize| -> Outcome {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", import_desk.display()));
        }
        timed(ops_on(&import_desk).arg("init"))?;
        let _ = std::fs::remove_dir_all(&import_data);
        std::fs::create_dir_all(&import_data)?;
        for f in ["pending.data", "completed.data", "undo.data", "backlog.data"] {
            std::fs::write(import_data.join(f), "")?;
        }
        Ok(())
    };
    let nothing = |_: usize| -> Outcome { Ok(()) };
    let cmd = |mut c: Command, args: &[&str]| {
        c.args(args);
        c
    };
    let cases: Vec<Case> = vec![
        Case {
            name: "first page: `opsdesk list --open` (50) vs `task list limit:50`".into(),
            ours: Box::new(|_| cmd(ops(), &["list", "--open"])),
            theirs: Box::new(|_| cmd(task(), &["list", "limit:50"])),
            prepare: Box::new(nothing),
            runs: a.runs,
        },
        Case {
            name: "everything open: `opsdesk list --open --limit 1000000` vs `task list`".into(),
            ours: Box::new(|_| cmd(ops(), &["list", "--open", "--limit", "1000000"])),
            theirs: Box::new(|_| cmd(task(), &["list"])),
            prepare: Box::new(nothing),
            runs: a.runs,
        },
        Case {
            name:
                "everything open as JSON: `opsdesk list --open --limit 1000000 --json` vs `task status:pending export`"
                    .into(),
            ours: Box::new(|_| cmd(ops(), &["list", "--open", "--limit", "1000000", "--json"])),
            theirs: Box::new(|_| cmd(task(), &["status:pending", "export"])),
            prepare: Box::new(nothing),
            runs: a.runs,
        },
        Case {
            name: "add one: `opsdesk new incident --title …` vs `task add …`".into(),
            ours: Box::new(|i| cmd(ops(), &["new", "incident", "--title", &format!("benchmark item {i}")])),
            theirs: Box::new(|i| cmd(task(), &["add", &format!("benchmark item {i}")])),
            prepare: Box::new(nothing),
            runs: a.runs,
        },
        Case {
            name: format!(
                "search a word: `opsdesk search {word}` (best 20 of all) vs `task /{word}/ list` (open matches)"
            ),
            ours: Box::new(|_| cmd(ops(), &["search", word])),
            theirs: Box::new(|_| cmd(task(), &[&format!("/{word}/"), "list"])),
            prepare: Box::new(nothing),
            runs: a.runs,
        },
        Case {
            name: "modify one: `opsdesk edit ID -f impact=1` vs `task ID modify priority:H`".into(),
            ours: Box::new(|i| {
                let id = &open_ids[i % open_ids.len()];
                cmd(ops(), &["edit", id, "-f", &format!("impact={}", 1 + i % 3)])
            }),
            theirs: Box::new(|i| {
                let priority = ["H", "M", "L"][i % 3];
                cmd(
                    task(),
                    &[&(1 + i % 100).to_string(), "modify", &format!("priority:{priority}")],
                )
            }),
            prepare: Box::new(nothing),
            runs: a.runs,
        },
        Case {
            name: format!(
                "import {} items, one row each, into an empty desk: `opsdesk import items.csv --mapping items.toml` vs `task import items.json`",
                pending + completed
            ),
            ours: Box::new(|_| {
                let (csv, mapping) = (files.csv.display().to_string(), files.mapping.display().to_string());
                cmd(ops_on(&import_desk), &["import", &csv, "--mapping", &mapping])
            }),
            theirs: Box::new(|_| {
                cmd(
                    task_on(&import_rc, &import_data),
                    &["import", &files.json.display().to_string()],
                )
            }),
            prepare: Box::new(fresh),
            runs: a.runs.min(3),
        },
    ];
    println!("| command | opsdesk (median) | taskwarrior (median) | taskwarrior / opsdesk |");
    println!("|---|---|---|---|");
    for case in cases
        .iter()
        .filter(|c| a.only.is_empty() || a.only.iter().any(|w| c.name.contains(w.as_str())))
    {
        // One run each to warm the page cache, then alternate.
        (case.prepare)(0)?;
        timed(&mut (case.ours)(0))?;
        timed(&mut (case.theirs)(0))?;
        let (mut o, mut t) = (Vec::new(), Vec::new());
        let (mut o_bytes, mut t_bytes) = (0, 0);
        for i in 1..=case.runs {
            (case.prepare)(i)?;
            let (d, b) = timed(&mut (case.ours)(i))?;
            o.push(d);
            o_bytes = b;
            let (d, b) = timed(&mut (case.theirs)(i))?;
            t.push(d);
            t_bytes = b;
        }
        let (om, tm) = (median(o), median(t));
        println!(
            "| {} | {} ({o_bytes} bytes out) | {} ({t_bytes} bytes out) | {:.1}× |",
            case.name,
            ms(om),
            ms(tm),
            tm.as_secs_f64() / om.as_secs_f64()
        );
    }
    println!(
        "\n{} runs each ({} of the import), alternating; medians of wall time per command.",
        a.runs,
        a.runs.min(3)
    );
    Ok(())
}
