//! One channel the event loop waits on: the terminal's events (read on a thread of their
//! own) and the wake-ups of background work (CI names, dashboard figures, escalation
//! commands) arrive on it, so the loop sleeps until something happened or the clock is due,
//! and never polls between keys.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ratatui::crossterm::event::{self, Event};

pub enum Wake {
    Terminal(Event),
    /// Background work finished: take in its result.
    Background,
    /// Reading the terminal failed: the desk cannot go on.
    Failed(std::io::Error),
}

/// Where background work says it is done (set while the terminal desk runs).
static WAKER: OnceLock<Mutex<Option<Sender<Wake>>>> = OnceLock::new();

/// Wakes the event loop, if one is waiting (tests run without one).
pub fn wake() {
    if let Some(Ok(guard)) = WAKER.get().map(|m| m.lock())
        && let Some(tx) = guard.as_ref()
    {
        let _ = tx.send(Wake::Background);
    }
}

pub struct Events {
    rx: Receiver<Wake>,
    paused: Arc<AtomicBool>,
    idle: Receiver<()>,
    reader: std::thread::Thread,
}

/// How long the reader looks for a key before it checks whether it should stand aside.
const LOOK: Duration = Duration::from_millis(50);

impl Events {
    pub fn start() -> Events {
        let (tx, rx) = std::sync::mpsc::channel();
        if let Ok(mut w) = WAKER.get_or_init(|| Mutex::new(None)).lock() {
            *w = Some(tx.clone());
        }
        let paused = Arc::new(AtomicBool::new(false));
        let (idle_tx, idle) = std::sync::mpsc::channel();
        let flag = paused.clone();
        let handle = std::thread::spawn(move || {
            loop {
                if flag.load(Ordering::Acquire) {
                    // Another program has the terminal: stand aside until it is back.
                    let _ = idle_tx.send(());
                    while flag.load(Ordering::Acquire) {
                        std::thread::park();
                    }
                    continue;
                }
                let got = match event::poll(LOOK) {
                    Ok(true) => event::read().map(Wake::Terminal).map_err(Wake::Failed),
                    Ok(false) => continue,
                    Err(e) => Err(Wake::Failed(e)),
                };
                let failed = got.is_err();
                if tx.send(got.unwrap_or_else(|w| w)).is_err() || failed {
                    return;
                }
            }
        });
        Events {
            rx,
            paused,
            idle,
            reader: handle.thread().clone(),
        }
    }

    /// The next thing that happened, or None when `timeout` passed first.
    pub fn next(&self, timeout: Duration) -> std::io::Result<Option<Wake>> {
        match self.rx.recv_timeout(timeout) {
            Ok(w) => Ok(Some(w)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(std::io::Error::other("the terminal reader stopped")),
        }
    }

    /// Stops reading the terminal (an editor is about to use it); waits until the reader
    /// has let go.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::Release);
        let _ = self.idle.recv_timeout(Duration::from_secs(2));
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::Release);
        self.reader.unpark();
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        if let Some(Ok(mut w)) = WAKER.get().map(|m| m.lock()) {
            *w = None;
        }
    }
}
