//! Hearing other hosts' commits as they happen: a connection of its own LISTENs on the
//! channel `opsdesk` (server schema 3 notifies it at each commit, with the tickets' ids), so
//! the TUI re-reads what changed since it last read (by time, as on a file) when it hears
//! something, rather than asking the server every second. When the connection drops
//! it is said (see [`Watch::connected`]) and made again, with growing pauses; once back,
//! everything is read again, since what was committed meanwhile was not heard.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;

use super::super::sql::PgConfig;

#[derive(Default)]
struct Shared {
    /// Moves on at every notification and every change of the connection.
    version: AtomicI64,
    connected: AtomicBool,
    stop: AtomicBool,
}

/// A listening connection on its own thread; it stops when dropped.
pub struct Watch {
    shared: Arc<Shared>,
}

/// How long the listener waits for a notification before it looks at its stop flag.
const WAIT: Duration = Duration::from_millis(250);
/// After this much silence the listener asks the server something, so that a connection
/// that died quietly is found out.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// The longest pause between two tries to connect again.
const MOST_PAUSE: Duration = Duration::from_secs(5);

impl Watch {
    /// Starts listening at `config`; `on_change` is called (on the listener's thread) after
    /// each notification and each change of the connection.
    pub fn start(config: PgConfig, on_change: fn()) -> Watch {
        let shared = Arc::new(Shared {
            connected: AtomicBool::new(true),
            ..Shared::default()
        });
        let s = shared.clone();
        std::thread::spawn(move || listen(&config, &s, on_change));
        Watch { shared }
    }

    /// Moves on whenever something was heard.
    pub fn version(&self) -> i64 {
        self.shared.version.load(Ordering::Acquire)
    }

    /// Whether the listening connection is up (it is tried again while it is not).
    pub fn connected(&self) -> bool {
        self.shared.connected.load(Ordering::Acquire)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
    }
}

/// Something changed: the version moves on and the TUI is woken.
fn changed(shared: &Shared, on_change: fn()) {
    shared.version.fetch_add(1, Ordering::AcqRel);
    on_change();
}

fn listen(config: &PgConfig, shared: &Shared, on_change: fn()) {
    let mut pause = Duration::from_millis(250);
    while !shared.stop.load(Ordering::Acquire) {
        if let Ok(mut client) = config.connect_plain()
            && client.batch_execute("LISTEN opsdesk").is_ok()
        {
            pause = Duration::from_millis(250);
            let was_down = !shared.connected.swap(true, Ordering::AcqRel);
            if was_down {
                // What was committed while away was not heard.
                changed(shared, on_change);
            }
            if !heard_until_lost(&mut client, shared, on_change) {
                return;
            }
        }
        if shared.connected.swap(false, Ordering::AcqRel) {
            changed(shared, on_change);
        }
        // Waits out the pause, looking at the stop flag meanwhile.
        let until = Instant::now() + pause;
        while Instant::now() < until {
            if shared.stop.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(WAIT.min(until.saturating_duration_since(Instant::now())));
        }
        pause = (pause * 2).min(MOST_PAUSE);
    }
}

/// Takes notifications until the connection is lost (`true`) or the watch stops (`false`).
fn heard_until_lost(client: &mut postgres::Client, shared: &Shared, on_change: fn()) -> bool {
    let mut quiet_since = Instant::now();
    loop {
        if shared.stop.load(Ordering::Acquire) {
            return false;
        }
        let mut heard = false;
        {
            let mut notes = client.notifications();
            match notes.timeout_iter(WAIT).next() {
                Ok(Some(_)) => heard = true,
                Ok(None) => {}
                Err(_) => return true,
            }
            // Those already here too, so that a burst wakes the TUI once.
            if heard {
                let mut more = notes.iter();
                while let Ok(Some(_)) = more.next() {}
            }
        }
        if heard {
            quiet_since = Instant::now();
            changed(shared, on_change);
        } else if client.is_closed() {
            return true;
        } else if quiet_since.elapsed() >= HEARTBEAT {
            if client.batch_execute("SELECT 1").is_err() {
                return true;
            }
            quiet_since = Instant::now();
        }
    }
}
