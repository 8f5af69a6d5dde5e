//! The inbox pane's keystrokes on a desk of 100,000 tickets where another operator gave alice
//! 500 of them and named her in 500 comments (a full inbox: it shows the newest 500): the key
//! handled and the frame drawn, each within the 16 ms of a frame.
//!
//!     cargo bench --bench inbox

mod common;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use opsdesk::config::Config;
use opsdesk::desk::{Desk, Filter};
use opsdesk::tui::app::App;
use opsdesk::tui::input::handle_key;
use opsdesk::tui::keymap::Keymap;
use opsdesk::tui::theme::Theme;
use opsdesk::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const THEME: Theme = Theme::full();
const ITEMS: usize = 500;

/// A copy of the seeded 100,000-ticket desk (the shared one stays as it is), with alice's
/// inbox filled by bob.
fn desk_with_a_full_inbox(dir: &std::path::Path) -> std::path::PathBuf {
    let copy = dir.join("desk.db");
    Desk::open(common::bench_desk(100_000), "alice", Config::default())
        .expect("open")
        .backup(&copy)
        .expect("copy");
    let mut bob = Desk::open(&copy, "bob", Config::default()).expect("open as bob");
    let filter = Filter {
        open_only: true,
        limit: 2 * ITEMS,
        ..Filter::default()
    };
    let open = bob.list(&filter).expect("list");
    // Tickets whose lifecycle has no assign from where they are (a request waiting for its
    // approval) are passed over.
    let mut given = 0;
    for t in open.iter().filter(|t| t.assignee.as_deref() != Some("alice")) {
        if given == ITEMS / 2 {
            break;
        }
        if bob.assign(t.id, Some("alice"), None, None).is_ok() {
            bob.comment(t.id, "@alice could you look at this one?", false)
                .expect("comment");
            given += 1;
        }
    }
    assert_eq!(given, ITEMS / 2, "not enough open tickets to give");
    copy
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("dir");
    let path = desk_with_a_full_inbox(dir.path());
    let desk = Desk::open(&path, "alice", Config::default()).expect("open");
    let mut app = App::new(desk, Keymap::builtin(), chrono::Utc::now()).expect("app");
    app.wait_for_background();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let press = |app: &mut App, code: KeyCode| handle_key(app, KeyEvent::new(code, KeyModifiers::NONE));
    let mut g = c.benchmark_group("inbox");
    // 6 from the queue: the newest 500 items read and drawn.
    g.bench_function("keystroke_show_inbox_100000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                press(&mut app, KeyCode::Char('6'));
                term.draw(|f| ui::draw(f, &app, &THEME)).expect("draw");
                total += t.elapsed();
                press(&mut app, KeyCode::Char('1'));
                app.inbox.stale = true;
            }
            total
        })
    });
    press(&mut app, KeyCode::Char('6'));
    // m on an item: shown at once, written by the writer thread (waited for untimed).
    g.bench_function("keystroke_mark_read_100000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                press(&mut app, KeyCode::Char('m'));
                term.draw(|f| ui::draw(f, &app, &THEME)).expect("draw");
                total += t.elapsed();
                app.finish_loads();
            }
            total
        })
    });
    // enter on an item: its ticket opened (fields, CIs, timeline), its items marked read.
    g.bench_function("keystroke_open_from_inbox_100000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                press(&mut app, KeyCode::Down);
                let t = Instant::now();
                press(&mut app, KeyCode::Enter);
                term.draw(|f| ui::draw(f, &app, &THEME)).expect("draw");
                total += t.elapsed();
                app.finish_loads();
                press(&mut app, KeyCode::Esc);
                app.finish_loads();
            }
            total
        })
    });
    g.finish();
}

criterion_group! {
    name = inbox;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(inbox);
