//! Resident memory of the terminal desk with a desk open, its queue and CI names loaded and
//! a frame drawn (Linux: read from /proc/self/status).
//!
//!     cargo run --release --example desk_memory -- target/bench-desks/desk-1000000.db

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: desk_memory DESK.db");
        return ExitCode::from(2);
    };
    let desk = match opsdesk::desk::Desk::open(std::path::Path::new(&path), "alice", opsdesk::config::Config::default())
    {
        Ok(d) => d,
        Err(e) => {
            eprintln!("desk_memory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut app = match opsdesk::tui::app::App::new(desk, opsdesk::tui::keymap::Keymap::builtin(), chrono::Utc::now()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("desk_memory: {e}");
            return ExitCode::FAILURE;
        }
    };
    app.wait_for_background();
    let theme = opsdesk::tui::theme::Theme::full();
    let Ok(mut term) = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40));
    let _ = term.draw(|f| opsdesk::tui::ui::draw(f, &app, &theme));
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap_or("VmRSS: unknown");
    println!(
        "{} open tickets in the queue; {}",
        app.queue.total(),
        rss.split_whitespace().skip(1).collect::<Vec<_>>().join(" ")
    );
    ExitCode::SUCCESS
}
