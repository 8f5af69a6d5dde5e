//! The dashboard pane's state: which period it shows, and its figures, read on another
//! thread (over a large desk they take longer than a frame).

use std::sync::mpsc::{Receiver, TryRecvError};

use chrono::{DateTime, FixedOffset, Utc};

use crate::desk::{Dashboard, Desk};

/// The periods `]` and `[` step through, in days.
pub const PERIODS: [u32; 4] = [7, 30, 90, 365];

type Loading = Receiver<Result<Dashboard, String>>;

pub struct DashboardModel {
    /// Index into [`PERIODS`].
    pub period: usize,
    /// The figures last read (kept on screen while newer ones are read).
    pub data: Option<Dashboard>,
    /// Why the last read failed.
    pub error: Option<String>,
    loading: Option<Loading>,
    /// The desk changed (or the period did) while a read was under way: read again after it.
    stale: bool,
}

impl Default for DashboardModel {
    fn default() -> DashboardModel {
        DashboardModel {
            period: 1,
            data: None,
            error: None,
            loading: None,
            stale: true,
        }
    }
}

impl DashboardModel {
    pub fn days(&self) -> u32 {
        PERIODS[self.period.min(PERIODS.len() - 1)]
    }

    /// Steps to the next (or previous) period and reads it.
    pub fn step_period(&mut self, forward: bool) {
        let n = PERIODS.len();
        self.period = if forward {
            (self.period + 1) % n
        } else {
            (self.period + n - 1) % n
        };
        self.stale = true;
    }

    /// Marks the figures out of date (the desk changed).
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    pub fn loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Starts a read if the figures are out of date and none is under way.
    pub fn load_if_stale(&mut self, desk: &Desk, now: DateTime<Utc>, zone: FixedOffset) {
        if !self.stale || self.loading.is_some() {
            return;
        }
        self.stale = false;
        let days = self.days();
        self.loading = Some(super::background::in_background(desk, move |d| {
            d.dashboard(days, now, zone)
        }));
    }

    /// Takes in a finished read; true when the figures changed.
    pub fn poll(&mut self) -> bool {
        let Some(rx) = &self.loading else { return false };
        match rx.try_recv() {
            Ok(result) => {
                self.loading = None;
                self.take(result);
                true
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => {
                self.loading = None;
                self.error = Some("the dashboard's reader stopped".into());
                true
            }
        }
    }

    /// Waits for a read under way (tests).
    pub fn wait(&mut self) {
        if let Some(rx) = self.loading.take() {
            match rx.recv_timeout(std::time::Duration::from_secs(60)) {
                Ok(result) => self.take(result),
                Err(e) => self.error = Some(format!("the dashboard was not read: {e}")),
            }
        }
    }

    fn take(&mut self, result: Result<Dashboard, String>) {
        match result {
            // A read of another period than the one now chosen is kept only until the
            // chosen one arrives (it is already marked stale).
            Ok(d) => {
                self.data = Some(d);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }
}
