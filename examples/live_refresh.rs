//! How soon another host's commit shows in the terminal desk: the real release binary in a
//! real terminal (tmux) on the desk at `--db` (a file or a `postgresql://` URL), filtered to
//! the probe tickets; another process opens a ticket, and the time runs from that command's
//! exit (its commit) until the title is on the screen.
//!
//!     cargo run --release --example live_refresh -- --db URL_OR_PATH [--runs 12]
//!
//! On a server the desk hears the commit through LISTEN/NOTIFY; on a file it looks at the
//! file's data version at its once-a-second tick. The screen is looked at with `capture-pane`
//! as fast as it answers (1-2 ms a look), which is included. Prints each run and the median.
//! Needs tmux; the desk is written to (one incident per run).

use std::process::Command;
use std::time::{Duration, Instant};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut db, mut runs) = (None, 12usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--db" => db = args.next(),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).ok_or("--runs N")?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let db = db.ok_or("usage: live_refresh --db URL_OR_PATH [--runs N]")?;
    let bin = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("opsdesk"))
        .ok_or("no target folder")?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let socket = dir.path().join("tmux");
    let tmux = |args: &[&str]| -> Result<String, String> {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(args)
            .output()
            .map_err(|e| format!("tmux: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let screen = || tmux(&["capture-pane", "-p", "-t", "d"]);
    let wait_for = |text: &str, limit: Duration| -> Result<Duration, String> {
        let start = Instant::now();
        while !screen()?.contains(text) {
            if start.elapsed() > limit {
                return Err(format!("{text:?} did not show within {limit:?}:\n{}", screen()?));
            }
        }
        Ok(start.elapsed())
    };
    let command = format!(
        "env OPSDESK_DB='{db}' OPSDESK_CONFIG_DIR='{0}' OPSDESK_DATA_DIR='{0}' TERM=xterm-256color '{1}'",
        dir.path().display(),
        bin.display()
    );
    tmux(&["new-session", "-d", "-s", "d", "-x", "120", "-y", "40", &command])?;
    wait_for(" open ·", Duration::from_secs(60))?;
    tmux(&["send-keys", "-t", "d", "/"])?;
    tmux(&["send-keys", "-t", "d", "-l", "live-probe"])?;
    tmux(&["send-keys", "-t", "d", "Enter"])?;
    wait_for("0 of", Duration::from_secs(10)).ok();
    let mut times = Vec::new();
    for run in 0..runs {
        let title = format!("live-probe-{}-{run}", std::process::id());
        let made = Command::new(&bin)
            .args(["new", "incident", "--title", &title])
            .env("OPSDESK_DB", &db)
            .output()
            .map_err(|e| e.to_string())?;
        if !made.status.success() {
            return Err(String::from_utf8_lossy(&made.stderr).into_owned());
        }
        let t = wait_for(&title, Duration::from_secs(10))?;
        println!("run {run}: {:.1} ms", t.as_secs_f64() * 1e3);
        times.push(t);
        std::thread::sleep(Duration::from_millis(300));
    }
    tmux(&["kill-server"])?;
    times.sort();
    if let Some(m) = times.get(times.len() / 2) {
        println!(
            "median of {runs}: {:.1} ms (max {:.1} ms)",
            m.as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3
        );
    }
    Ok(())
}
