//! opsdesk against taskwarrior, the tool a terminal user would otherwise pick: listing and
//! adding on 100,000 items each, timed in one run with the two alternating, so the machine's
//! noise falls on both alike. The opsdesk desk is seeded (examples/seed.rs's generator); the
//! taskwarrior data holds the same titles, priorities, ages and open/finished split, written
//! straight into its data files (pending.data, completed.data).
//!
//!     sudo apt-get install taskwarrior
//!     cargo run --release --example vs_taskwarrior [-- --items 100000 --runs 11]
//!
//! Both programs are run as a user runs them, one process per command, output to a pipe.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;

struct Args {
    items: usize,
    runs: usize,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        items: 100_000,
        runs: 11,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let n: usize = value
            .parse()
            .map_err(|_| format!("{flag}: `{value}` is not a number"))?;
        match flag.as_str() {
            "--items" => a.items = n,
            "--runs" => a.runs = n.max(1),
            _ => return Err(format!("unknown option {flag} (--items N, --runs N)")),
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

/// The seeded desk's tickets as taskwarrior tasks: open tickets pending, the rest completed.
fn write_taskwarrior(desk: &Path, data: &Path) -> Result<(usize, usize), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(data)?;
    let conn = rusqlite::Connection::open_with_flags(desk, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare("SELECT title, priority, created_at, updated_at, is_open FROM tickets ORDER BY id")?;
    let mut pending = String::new();
    let mut completed = String::new();
    let (mut p, mut c) = (0, 0);
    let mut rng = fastrand::Rng::with_seed(7);
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let title: String = r.get(0)?;
        let priority = match r.get::<_, i64>(1)? {
            1 | 2 => "H",
            3 => "M",
            _ => "L",
        };
        let entry = r.get::<_, i64>(2)? / 1000;
        let modified = r.get::<_, i64>(3)? / 1000;
        let line = |status: &str, end: &str, rng: &mut fastrand::Rng| {
            format!(
                "[description:\"{}\"{end} entry:\"{entry}\" modified:\"{modified}\" priority:\"{priority}\" status:\"{status}\" uuid:\"{}\"]\n",
                ff4(&title),
                uuid(rng)
            )
        };
        if r.get::<_, i64>(4)? == 1 {
            pending.push_str(&line("pending", "", &mut rng));
            p += 1;
        } else {
            completed.push_str(&line("completed", &format!(" end:\"{modified}\""), &mut rng));
            c += 1;
        }
    }
    std::fs::write(data.join("pending.data"), pending)?;
    std::fs::write(data.join("completed.data"), completed)?;
    for f in ["undo.data", "backlog.data"] {
        std::fs::write(data.join(f), "")?;
    }
    Ok((p, c))
}

/// Runs a command to completion, reading all it prints; returns the wall time and the bytes.
fn timed(cmd: &mut Command) -> Result<(Duration, usize), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()?;
    let took = start.elapsed();
    if !out.status.success() {
        return Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok((took, out.stdout.len()))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
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
    opsdesk::seed::seed(&desk, &opsdesk::seed::SeedOptions::new(a.items, Utc::now()))?;
    let data = dir.path().join("task");
    let (pending, completed) = write_taskwarrior(&desk, &data)?;
    let taskrc = dir.path().join("taskrc");
    std::fs::write(
        &taskrc,
        format!(
            "data.location={}\nconfirmation=off\ncolor=off\nhooks=off\nnews.version=2.6.2\n",
            data.display()
        ),
    )?;
    println!(
        "taskwarrior {}: {pending} pending and {completed} completed tasks; opsdesk: the same split of open and finished tickets\n",
        String::from_utf8_lossy(&Command::new("task").arg("--version").output()?.stdout).trim()
    );
    let ops = || {
        let mut c = Command::new(&opsdesk);
        c.env("OPSDESK_DB", &desk)
            .env("OPSDESK_USER", "alice")
            .env("OPSDESK_CONFIG_DIR", dir.path().join("no-config"));
        c
    };
    let task = || {
        let mut c = Command::new("task");
        c.env("TASKRC", &taskrc).env("TASKDATA", &data);
        c
    };
    type Case<'a> = (
        &'a str,
        Box<dyn Fn(usize) -> Command + 'a>,
        Box<dyn Fn(usize) -> Command + 'a>,
    );
    let cases: Vec<Case> = vec![
        (
            "first page: `opsdesk list --open` (50) vs `task list limit:50`",
            Box::new(|_| {
                let mut c = ops();
                c.args(["list", "--open"]);
                c
            }),
            Box::new(|_| {
                let mut c = task();
                c.args(["list", "limit:50"]);
                c
            }),
        ),
        (
            "everything open: `opsdesk list --open --limit 1000000` vs `task list`",
            Box::new(|_| {
                let mut c = ops();
                c.args(["list", "--open", "--limit", "1000000"]);
                c
            }),
            Box::new(|_| {
                let mut c = task();
                c.arg("list");
                c
            }),
        ),
        (
            "add one: `opsdesk new incident --title …` vs `task add …`",
            Box::new(|i| {
                let mut c = ops();
                c.args(["new", "incident", "--title", &format!("benchmark item {i}")]);
                c
            }),
            Box::new(|i| {
                let mut c = task();
                c.args(["add", &format!("benchmark item {i}")]);
                c
            }),
        ),
    ];
    println!("| command | opsdesk (median) | taskwarrior (median) | taskwarrior / opsdesk |");
    println!("|---|---|---|---|");
    for (name, ours, theirs) in &cases {
        // One run each to warm the page cache, then alternate.
        timed(&mut ours(0))?;
        timed(&mut theirs(0))?;
        let (mut o, mut t) = (Vec::new(), Vec::new());
        let (mut o_bytes, mut t_bytes) = (0, 0);
        for i in 1..=a.runs {
            let (d, b) = timed(&mut ours(i))?;
            o.push(d);
            o_bytes = b;
            let (d, b) = timed(&mut theirs(i))?;
            t.push(d);
            t_bytes = b;
        }
        let (om, tm) = (median(o), median(t));
        println!(
            "| {name} | {} ({o_bytes} bytes out) | {} ({t_bytes} bytes out) | {:.1}× |",
            ms(om),
            ms(tm),
            tm.as_secs_f64() / om.as_secs_f64()
        );
    }
    println!("\n{} runs each, alternating; medians of wall time per command.", a.runs);
    Ok(())
}
