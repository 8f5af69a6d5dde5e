//! Keystroke latency as a user feels it: the real release binary in a real terminal (tmux),
//! the time from a key sent to the screen changing, on seeded desks.
//!
//!     cargo run --release --example latency -- [--tickets 100000,1000000] [--size 80x24,120x40] [--keys 50] [--launches 50] [--only pane,sort] [--binary A,B] [--server]
//!
//! Desks are the benchmarks' (`target/bench-desks/desk-N.db`; with `--server`, their copies
//! on the PostgreSQL server `OPSDESK_BENCH_PG` names, as benches/desk.rs has them), seeded on first use and swept
//! (`opsdesk sla sweep`) before they are measured, as a desk in use is every second. For each
//! desk and size it launches the desk `--launches` times (as many as `--keys` unless told; to
//! its first queue frame and to the whole queue read) and sends at least `--keys`
//! of each kind of key: move, page, filter per character, clear filter, open, back, pane
//! switch, sort and view switch (and for the filter, also the time until its matches show).
//! It prints median, p99 and max of each as a Markdown table, and the desk's resident memory
//! when it is done (its peak, having read the whole queue, filtered, shown the CMDB pane,
//! sorted every way and switched through every view).
//!
//! A key's time runs from the key sent to the desk's answer reaching the terminal: the keys go
//! through a tmux client in control mode (`tmux -C`), which also tells, as `%output`, each
//! time the desk writes to its terminal; the first output after the key that leaves a
//! different screen (one `capture-pane` checks) ends the key's time. So it includes tmux's
//! delivery of the key and of the answer, and none of the polling: looking at the screen
//! every half millisecond with `capture-pane` (a process each, 1-2 ms) took most of a core
//! of the two the desk is measured on, and put the floor of a move's p99 at 7-9 ms. The
//! times until a view's rows or a filter's matches show still look at the screen. Needs tmux.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

#[path = "../benches/common/mod.rs"]
mod common;

const SESSION: &str = "opsdesk-latency";

/// A tmux server of its own for each desk and size (its socket a path named by this process
/// and a count), holding one session for the whole of it: each launch respawns the session's pane.
/// Killing sessions and starting others on one server crashed tmux 3.3a's server now and
/// then (a segfault: "server exited unexpectedly", and every launch after it met no server),
/// and a new session on a server whose last session just ended meets a server going away.
static SOCKET: Mutex<String> = Mutex::new(String::new());

fn socket() -> String {
    SOCKET.lock().expect("socket").clone()
}

/// Moves to a server of its own, ending the one before (and its control client).
fn new_server() {
    end_server();
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("tmux-opsdesk-latency-{}-{n}", std::process::id()));
    *SOCKET.lock().expect("socket") = path.display().to_string();
}

/// Ends the server and removes its socket (tmux leaves it behind).
fn end_server() {
    detach();
    if !socket().is_empty() {
        tmux(&["kill-server"]);
        let _ = std::fs::remove_file(socket());
    }
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(["-S", &socket()])
        .args(args)
        .output()
        .expect("tmux runs (is it installed?)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The screen with its styles (a moved selection changes only those).
fn screen() -> String {
    tmux(&["capture-pane", "-p", "-e", "-t", SESSION])
}

/// Waits (at most 30 s) until the screen (its text, without styles) shows `text`.
fn shows(text: &str, since: Instant) -> Option<Duration> {
    until(since, Duration::from_secs(30), &|screen| screen.contains(text))
}

/// Sends one key and times the screen's change.
fn press(key: &str) -> Option<Duration> {
    press_at(key).1
}

/// A tmux client in control mode attached to the session: keys are sent through it, and it
/// tells when the desk wrote to its terminal (each `%output` line, stamped as it is read).
struct Control {
    child: Child,
    commands: ChildStdin,
    outputs: Receiver<Instant>,
}

static CONTROL: Mutex<Option<Control>> = Mutex::new(None);

/// Attaches a control client to the session (ending the one before, if any). A control
/// client does not size the window.
fn attach() {
    let mut child = Command::new("tmux")
        .args(["-S", &socket(), "-C", "attach-session", "-t", SESSION])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tmux runs in control mode");
    let (commands, out) = (child.stdin.take().expect("stdin"), child.stdout.take().expect("stdout"));
    let (tx, outputs) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Bytes, not text: the desk's output comes as it is, and a frame may end inside a
        // character.
        let mut out = std::io::BufReader::new(out);
        let mut line = Vec::new();
        while out.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            if line.starts_with(b"%output ") && tx.send(Instant::now()).is_err() {
                break;
            }
            line.clear();
        }
    });
    detach();
    *CONTROL.lock().expect("control") = Some(Control {
        child,
        commands,
        outputs,
    });
}

fn detach() {
    if let Some(mut old) = CONTROL.lock().expect("control").take() {
        let _ = old.child.kill();
        let _ = old.child.wait();
    }
}

/// Sends one key: when it was sent, and how long until the desk's answer reached the
/// terminal (the first output after it that leaves a different screen).
fn press_at(key: &str) -> (Instant, Option<Duration>) {
    let before = screen();
    let mut guard = CONTROL.lock().expect("control");
    let control = guard.as_mut().expect("a control client is attached");
    while control.outputs.try_recv().is_ok() {}
    let literal = if key.chars().count() == 1 { "-l " } else { "" };
    let command = format!("send-keys -t {SESSION} {literal}'{key}'\n");
    let t = Instant::now();
    control.commands.write_all(command.as_bytes()).expect("send a key");
    control.commands.flush().expect("send a key");
    let deadline = t + Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match control.outputs.recv_timeout(left) {
            Ok(at) if screen() != before => return (t, Some(at.duration_since(t))),
            Ok(_) => continue,
            Err(_) => return (t, None),
        }
    }
}

/// Waits (at most 5 s) until the screen (its text) no longer shows `text`.
fn stops_showing(text: &str, since: Instant) -> Option<Duration> {
    until(since, Duration::from_secs(5), &|screen| !screen.contains(text))
}

/// Waits (at most `limit` after `since`) until the screen's text passes `check`: the time
/// of the desk's output that made it so. The screen is looked at after each output of the
/// desk (the latest of those that came meanwhile), and every 50 ms in case the output came
/// before this began to wait, so the looks do not compete with the desk for the cores.
fn until(since: Instant, limit: Duration, check: &dyn Fn(&str) -> bool) -> Option<Duration> {
    let deadline = since + limit;
    let passes = || check(&tmux(&["capture-pane", "-p", "-t", SESSION]));
    let mut guard = CONTROL.lock().expect("control");
    let control = guard.as_mut().expect("a control client is attached");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match control.outputs.recv_timeout(left.min(Duration::from_millis(50))) {
            Ok(mut at) => {
                while let Ok(later) = control.outputs.try_recv() {
                    at = later;
                }
                if passes() {
                    return Some(at.duration_since(since));
                }
            }
            Err(_) if passes() => return Some(since.elapsed()),
            Err(_) if left.is_zero() => return None,
            Err(_) => {}
        }
    }
}

/// Waits (at most 30 s) until the desk has written nothing to its terminal for 600 ms
/// (background work landed).
fn settle() {
    let mut guard = CONTROL.lock().expect("control");
    let control = guard.as_mut().expect("a control client is attached");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && control.outputs.recv_timeout(Duration::from_millis(600)).is_ok() {}
}

#[derive(Default)]
struct Samples {
    times: Vec<Duration>,
    missed: usize,
}

impl Samples {
    fn take(&mut self, t: Option<Duration>) {
        match t {
            Some(t) => self.times.push(t),
            None => self.missed += 1,
        }
    }

    fn row(&mut self, what: &str) -> String {
        self.times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let n = self.times.len();
        if n == 0 {
            return format!("| {what} | 0 | – | – | – | {} |", self.missed);
        }
        let p99 = self.times[((n as f64 * 0.99).ceil() as usize).clamp(1, n) - 1];
        format!(
            "| {what} | {n} | {:.1} | {:.1} | {:.1} | {} |",
            ms(self.times[n / 2]),
            ms(p99),
            ms(self.times[n - 1]),
            self.missed
        )
    }
}

/// Where the desk of `n` tickets is: the benchmarks' file, or its copy on the server
/// `OPSDESK_BENCH_PG` names (made once, as `cargo bench` makes it) with `--server`.
fn desk(n: usize, server: bool) -> PathBuf {
    if server {
        let url = common::bench_server(n).unwrap_or_else(|| {
            eprintln!("--server needs OPSDESK_BENCH_PG=postgresql://USER@HOST:PORT");
            std::process::exit(2)
        });
        // A path only as far as the command line goes: `--db` takes either.
        return PathBuf::from(url);
    }
    common::bench_desk(n)
}

/// Records the SLA crossings that came due since the desk was seeded or last measured, as a
/// desk in use has them recorded every second, and ends cleanly (its log checkpointed). A
/// freshly seeded desk has every crossing between each ticket's last event and now still to
/// record (16,541 at 100,000 tickets): left to the first launch, that sweep is one long write,
/// cut off when the harness ends the session, and every launch after reads its log again
/// (a 308 MB log took the 1M launch from 33 ms to 129–250 ms).
fn sweep(binary: &Path, db: &Path, home: &Path) {
    let out = Command::new(binary)
        .args(["--db"])
        .arg(db)
        .args(["sla", "sweep"])
        .env("HOME", home)
        .output()
        .expect("sla sweep runs");
    assert!(
        out.status.success(),
        "sla sweep: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the session's pane runs between launches: nothing that writes to the terminal.
const IDLE: &str = "cat";

/// Starts the session of a new server at the size measured, with the pane idle, and
/// attaches the control client, so that no launch pays for tmux's own start.
fn start_session(w: &str, h: &str) {
    new_server();
    tmux(&["new-session", "-d", "-s", SESSION, "-x", w, "-y", h, IDLE]);
    attach();
}

/// Launches the desk: the time to its first queue frame (the first page of the queue),
/// and to the whole queue read (the header's counts). The desk before is ended first (its
/// pane respawned idle, as with a closed terminal), so its exit does not count; the screen
/// starts empty.
fn launch(binary: &Path, db: &Path, home: &Path) -> (Option<Duration>, Option<Duration>) {
    let before = tmux(&["display-message", "-p", "-t", SESSION, "#{pane_pid}"]);
    tmux(&["respawn-pane", "-k", "-t", SESSION, IDLE]);
    // tmux does not wait for the process it ended: wait until it is gone (freeing a
    // million-ticket queue takes a while), so it does not share the cores with the launch.
    let gone = Path::new("/proc").join(before.trim());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !before.trim().is_empty() && gone.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let command = format!("HOME={} {} --db {}", home.display(), binary.display(), db.display());
    let t = Instant::now();
    tmux(&["respawn-pane", "-k", "-t", SESSION, &command]);
    let first = shows(" open · ", t);
    let whole = shows(" at risk · ", t);
    if whole.is_none() {
        eprintln!("a launch did not show its queue within 30 s; the screen:\n{}", screen());
    }
    (first, whole)
}

fn run(
    binary: &Path,
    (n, server): (usize, bool),
    size: &str,
    (launches_wanted, keys): (usize, usize),
    only: &[String],
) -> Vec<String> {
    let db = desk(n, server);
    let (w, h) = size.split_once('x').expect("a size such as 120x40");
    let home = tempfile::tempdir().expect("home");
    sweep(binary, &db, home.path());
    start_session(w, h);
    let (mut launches, mut whole) = (Samples::default(), Samples::default());
    for _ in 0..launches_wanted {
        let (first, all) = launch(binary, &db, home.path());
        launches.take(first);
        whole.take(all);
    }
    settle();
    let mut rows = vec![
        launches.row(&format!(
            "launch to first queue frame ({n}{}, {size})",
            if server { " on the server" } else { "" }
        )),
        whole.row("launch to the whole queue read (header counts)"),
    ];
    let measure = |what: &str, rows: &mut Vec<String>, f: &mut dyn FnMut(&mut Samples)| {
        if !only.is_empty() && !only.iter().any(|o| what.contains(o.as_str())) {
            return;
        }
        let mut s = Samples::default();
        f(&mut s);
        rows.push(s.row(what));
    };
    measure("move down (`j`)", &mut rows, &mut |s| {
        for _ in 0..keys {
            s.take(press("j"));
        }
    });
    measure("page down / up", &mut rows, &mut |s| {
        for i in 0..keys {
            s.take(press(if i % 2 == 0 { "PageDown" } else { "PageUp" }));
        }
    });
    let (mut clear, mut matched) = (Samples::default(), Samples::default());
    measure("filter, per character", &mut rows, &mut |s| {
        let words = ["disk", "mail", "slow", "vpn"];
        let mut typed = 0;
        let mut i = 0;
        while typed < keys || clear.times.len() < keys {
            press("/");
            for c in words[i % words.len()].chars() {
                let (sent, echoed) = press_at(&c.to_string());
                s.take(echoed);
                // A long view is matched off the UI thread: the prompt answers at once and
                // says "matching…" until the rows that match replace those shown.
                matched.take(stops_showing("matching…", sent));
                typed += 1;
            }
            clear.take(press("Escape"));
            i += 1;
        }
    });
    rows.push(matched.row("filter, per character, until its matches show"));
    rows.push(clear.row("clear filter (`esc`)"));
    settle();
    let mut back = Samples::default();
    measure("open a ticket (`enter`)", &mut rows, &mut |s| {
        for _ in 0..keys {
            press("j");
            s.take(press("Enter"));
            back.take(press("Escape"));
        }
    });
    rows.push(back.row("back (`esc`)"));
    measure("pane switch (`3`, `1`)", &mut rows, &mut |s| {
        for i in 0..keys {
            s.take(press(if i % 2 == 0 { "3" } else { "1" }));
        }
    });
    settle();
    measure("sort (`s`)", &mut rows, &mut |s| {
        for _ in 0..keys {
            s.take(press("s"));
        }
    });
    let mut read = Samples::default();
    measure("view switch (`]`)", &mut rows, &mut |s| {
        for _ in 0..keys {
            let (sent, changed) = press_at("]");
            s.take(changed);
            // A view of closed tickets is read off the UI thread, and says so meanwhile.
            read.take(stops_showing("Reading the tickets", sent));
        }
    });
    rows.push(read.row("view switch, until its rows show"));
    rows.push(memory());
    end_server();
    rows
}

/// The desk's resident memory after all of it (its peak, and now), as Linux tells it
/// (`VmHWM`, `VmRSS` in /proc), in MB of 10^6 bytes.
fn memory() -> String {
    let pid = tmux(&["display-message", "-p", "-t", SESSION, "#{pane_pid}"]);
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.trim()).join("status")).unwrap_or_default();
    let mb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or("–".to_string(), |kb| format!("{:.1}", kb * 1024.0 / 1e6))
    };
    format!(
        "| resident memory at the end, MB (median: now; max: peak) | 1 | {} | – | {} | 0 |",
        mb("VmRSS:"),
        mb("VmHWM:")
    )
}

fn main() {
    let mut tickets = vec![100_000, 1_000_000];
    let mut sizes = vec!["80x24".to_string(), "120x40".to_string()];
    let mut keys = 50;
    let mut launches = None;
    let mut only: Vec<String> = Vec::new();
    let mut binaries: Vec<PathBuf> = Vec::new();
    let mut server = false;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--server" {
            server = true;
            continue;
        }
        let v = it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--tickets" => tickets = v.split(',').filter_map(|x| x.replace('_', "").parse().ok()).collect(),
            "--size" => sizes = v.split(',').map(str::to_string).collect(),
            "--keys" => keys = v.parse().unwrap_or(50),
            "--launches" => launches = v.parse().ok(),
            "--only" => only = v.split(',').map(str::to_string).collect(),
            "--binary" => binaries = v.split(',').map(PathBuf::from).collect(),
            other => {
                eprintln!(
                    "unknown argument {other}: --tickets N[,N] --size WxH[,WxH] --keys K --launches L --only pane,sort --binary A[,B] --server"
                );
                std::process::exit(2);
            }
        }
    }
    if binaries.is_empty() {
        // The release binary, built now so that what is measured is this source.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let built = Command::new(cargo)
            .args(["build", "--release", "--bin", "opsdesk"])
            .status()
            .expect("cargo build");
        assert!(built.success(), "the release binary did not build");
        binaries.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/opsdesk"));
    }
    println!("| key | n | median ms | p99 ms | max ms | no change seen |");
    println!("|---|---|---|---|---|---|");
    // Given several binaries (--binary A,B), each desk and size is measured with each in
    // turn, so that they are compared in one run on the same machine's moment.
    for &n in &tickets {
        for size in &sizes {
            for binary in &binaries {
                if binaries.len() > 1 {
                    println!("| **{}** | | | | | |", binary.display());
                }
                for row in run(binary, (n, server), size, (launches.unwrap_or(keys), keys), &only) {
                    // Keys left out by --only leave rows of nothing.
                    if row.contains(" | 0 | – |") {
                        continue;
                    }
                    println!("{row}");
                }
            }
        }
    }
}
