//! The terminal desk's promised speeds on seeded desks of 100,000 and 1,000,000 tickets; the
//! filter keystroke and the launch at 100,000 on PostgreSQL too when `OPSDESK_BENCH_PG` names
//! a server (see benches/desk.rs).
//!
//!     cargo bench --bench tui
//!     OPSDESK_BENCH_PG=postgresql://postgres@127.0.0.1:5432 cargo bench --bench tui

mod common;

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use opsdesk::config::Config;
use opsdesk::desk::Desk;
use opsdesk::store::Place;
use opsdesk::tui::app::App;
use opsdesk::tui::input::handle_key;
use opsdesk::tui::keymap::Keymap;
use opsdesk::tui::theme::Theme;
use opsdesk::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const THEME: Theme = Theme::full();

fn open_app(n: usize) -> App {
    open_app_at(Place::from(common::bench_desk(n)))
}

fn open_app_at(place: Place) -> App {
    let desk = Desk::open(place, "alice", Config::default()).expect("open");
    let mut app = App::new(desk, Keymap::builtin(), chrono::Utc::now()).expect("app");
    app.wait_for_background();
    app
}

/// The desks a figure is taken on: 100,000 tickets on each engine benched, and 1,000,000
/// on SQLite.
fn sizes_and_engines() -> Vec<(String, Place)> {
    let mut all: Vec<(String, Place)> = common::bench_places(100_000)
        .into_iter()
        .map(|(engine, place)| (format!("100000/{engine}"), place))
        .collect();
    all.push(("1000000/sqlite".into(), Place::from(common::bench_desk(1_000_000))));
    all
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("tui");
    {
        let app = open_app(100_000);
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        g.bench_function("queue_frame_120x40", |b| {
            b.iter(|| term.draw(|f| ui::draw(f, &app, &THEME)).map(|_| ()).expect("draw"))
        });
    }
    {
        // Keystrokes that read the desk, on 100,000 tickets: the key handled and the frame
        // drawn. Moving the selection; opening a ticket (its fields, CIs and whole timeline);
        // back to the queue.
        let mut app = open_app(100_000);
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        let press = |app: &mut App, code: KeyCode| handle_key(app, KeyEvent::new(code, KeyModifiers::NONE));
        g.bench_function("keystroke_move_down_100000", |b| {
            b.iter(|| {
                press(&mut app, KeyCode::Down);
                term.draw(|f| ui::draw(f, &app, &THEME)).map(|_| ()).expect("draw")
            })
        });
        g.bench_function("keystroke_open_ticket_100000", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    press(&mut app, KeyCode::Down);
                    let t = Instant::now();
                    press(&mut app, KeyCode::Enter);
                    term.draw(|f| ui::draw(f, &app, &THEME)).expect("draw");
                    total += t.elapsed();
                    press(&mut app, KeyCode::Esc);
                }
                total
            })
        });
        g.bench_function("keystroke_back_to_queue_100000", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    press(&mut app, KeyCode::Enter);
                    let t = Instant::now();
                    press(&mut app, KeyCode::Esc);
                    term.draw(|f| ui::draw(f, &app, &THEME)).expect("draw");
                    total += t.elapsed();
                }
                total
            })
        });
    }
    let desks = sizes_and_engines();
    for (id, place) in &desks {
        let mut app = open_app_at(place.clone());
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        // One keystroke: the filter grows by a letter, the queue is filtered and redrawn.
        let words = ["v", "vp", "vpn", "vpn ", "vpn t", "vpn ti", "vpn tim", "vpn time"];
        let mut i = 0;
        g.bench_function(BenchmarkId::new("filter_keystroke", id), |b| {
            b.iter(|| {
                app.queue.filter = words[i % words.len()].to_string();
                i += 1;
                app.queue.refresh("alice", app.now);
                term.draw(|f| ui::draw(f, &app, &THEME)).map(|_| ()).expect("draw")
            })
        });
    }
    for n in [100_000, 1_000_000] {
        // Another operator changed one ticket: the change merged into the queue (every
        // order kept, the view's rows placed) and the frame drawn, on the UI thread.
        let mut app = open_app(n);
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        let mut row = app.queue.selected_row().expect("a row").row.clone();
        g.bench_with_input(BenchmarkId::new("merge_one_change", n), &n, |b, _| {
            b.iter(|| {
                row.priority = if row.priority == 4 { 2 } else { 4 };
                app.queue.merge(vec![row.clone()], "alice", app.now);
                term.draw(|f| ui::draw(f, &app, &THEME)).map(|_| ()).expect("draw")
            })
        });
    }
    // Launch: open the desk, load the queue, draw the first full frame. The CI names that
    // follow in the background are waited for outside the timing.
    g.sample_size(10);
    for (id, place) in &desks {
        g.bench_function(BenchmarkId::new("launch_to_first_frame", id), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let desk = Desk::open(place.clone(), "alice", Config::default()).expect("open");
                    let mut app = App::new(desk, Keymap::builtin(), chrono::Utc::now()).expect("app");
                    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
                    term.draw(|f| ui::draw(f, &app, &THEME)).expect("draw");
                    total += t.elapsed();
                    app.wait_for_background();
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = tui;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(tui);
