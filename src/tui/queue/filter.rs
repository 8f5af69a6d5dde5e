//! The queue's fuzzy filter: every row of the view scored against what is typed, best
//! first; typing on narrows to what the shorter filter matched. A view of more rows than a
//! frame can score is matched on a thread of its own, fzf-style: the key is answered at
//! once (the prompt shows what was typed and that matching goes on), and what matched
//! replaces the rows shown when it is in; a newer filter stops an older one half-way.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str, Utf32String};

use super::Queue;

/// Rows the UI thread scores itself at most (about a millisecond, on one core); a view with
/// more rows to score is matched on the filter's thread. At 12,000 the first letters typed
/// over a 100,000-ticket desk's 7,700 open rows were scored before the key was answered:
/// 6.9 ms median against 4.5 for a move; matched aside, 4.9 ms, the matches in 7.1.
pub(super) const ON_THE_SPOT: usize = 4_096;

/// Below this many rows the filter scores on one thread.
const PARALLEL_FROM: usize = 4_096;

/// What the filter matches a row against, shared with the filter's thread.
pub(super) type Hay = Arc<Utf32String>;

/// Where filters too long to score here are matched: each on a thread of its own that ends
/// when it is done (a thread kept waiting would keep the heap it freed into to itself), what
/// they matched coming back on one channel. One matches at a time: a newer filter's thread
/// waits for the older one (stopped half-way) to end before it allocates anything, so it
/// takes over the older one's heap. Threads matching side by side each made a heap of their
/// own (glibc's arenas), and typing a word over a million-ticket desk's queue left 3-5 MB
/// more resident than matching one at a time.
#[derive(Debug)]
pub(super) struct Worker {
    report: Sender<Matched>,
    done: Receiver<Matched>,
    /// The newest filter sent: an older one still being matched stops.
    latest: Arc<AtomicU64>,
    /// The thread of the filter sent last, if it may still run.
    running: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug)]
struct Job {
    serial: u64,
    filter: String,
    /// Positions in the view's order to score, and the text of every row in that order.
    candidates: Vec<usize>,
    hay: Arc<Vec<Hay>>,
}

#[derive(Debug)]
struct Matched {
    serial: u64,
    /// Positions that matched, in the view's order, and best match first.
    hits: Vec<usize>,
    best: Vec<usize>,
}

/// A filter being matched on the filter's thread.
#[derive(Debug)]
pub(super) struct Pending {
    serial: u64,
    filter: String,
    /// The view's order it was sent for.
    order_serial: u64,
    /// Whether the selection goes to the first match when it is in (the filter changed), or
    /// stays on its ticket (the rows changed under the same filter).
    pub(super) top: bool,
}

impl Worker {
    fn start() -> Worker {
        let (report, done) = std::sync::mpsc::channel();
        Worker {
            report,
            done,
            latest: Arc::new(AtomicU64::new(0)),
            running: None,
        }
    }

    /// Matches `job` on a thread of its own; the result comes on `done` unless a newer job
    /// was sent meanwhile.
    fn run(&mut self, job: Job) {
        let (report, newest) = (self.report.clone(), self.latest.clone());
        let before = self.running.take();
        let handle = std::thread::spawn(move || {
            if let Some(before) = before {
                // Stopped by the newer serial within a chunk of rows.
                let _ = before.join();
            }
            let stale = || newest.load(Ordering::Acquire) != job.serial;
            if stale() {
                return;
            }
            // One core fewer than the filter on the spot uses: the UI thread keeps one to
            // answer keys with while this matches.
            let cores = threads().saturating_sub(1).max(1);
            let mut matchers: Vec<Matcher> = (0..cores).map(|_| Matcher::new(Config::DEFAULT)).collect();
            let pattern = Pattern::parse(&job.filter, CaseMatching::Ignore, Normalization::Smart);
            let hay = |at: usize| job.hay[at].slice(..);
            let Some(scored) = score(&pattern, &job.candidates, &hay, &mut matchers, &stale) else {
                return;
            };
            let (hits, best) = ranked(scored);
            let matched = Matched {
                serial: job.serial,
                hits,
                best,
            };
            if report.send(matched).is_ok() {
                crate::tui::events::wake();
            }
        });
        self.running = Some(handle);
    }
}

impl Queue {
    /// The view's rows that match the filter, best match first (equal scores keep the
    /// view's order); None when they are being matched on the filter's thread (see
    /// [`Queue::poll_matches`]). Typing on narrows: only the rows the filter matched before
    /// are scored again.
    pub(super) fn filtered(&mut self) -> Option<Vec<usize>> {
        let candidates: Vec<usize> = match self.narrowed.take() {
            Some((before, hits)) if narrows(&before, &self.filter) => hits,
            _ => (0..self.ordered.len()).collect(),
        };
        if candidates.len() > self.on_the_spot {
            self.send_to_worker(candidates);
            return None;
        }
        self.pending = None;
        let pattern = Pattern::parse(&self.filter, CaseMatching::Ignore, Normalization::Smart);
        let (rows, ordered) = (&self.rows, &self.ordered);
        let hay = |at: usize| rows[ordered[at]].haystack.slice(..);
        let scored = score(&pattern, &candidates, &hay, &mut self.matchers, &|| false).unwrap_or_default();
        let (hits, best) = ranked(scored);
        self.narrowed = Some((self.filter.clone(), hits));
        Some(best.into_iter().map(|at| self.ordered[at]).collect())
    }

    fn send_to_worker(&mut self, candidates: Vec<usize>) {
        let hay = match &self.hay {
            Some((serial, hay)) if *serial == self.order_serial => hay.clone(),
            _ => {
                let hay: Arc<Vec<Hay>> =
                    Arc::new(self.ordered.iter().map(|&i| self.rows[i].haystack.clone()).collect());
                self.hay = Some((self.order_serial, hay.clone()));
                hay
            }
        };
        let worker = self.worker.get_or_insert_with(Worker::start);
        self.serial += 1;
        worker.latest.store(self.serial, Ordering::Release);
        let job = Job {
            serial: self.serial,
            filter: self.filter.clone(),
            candidates,
            hay,
        };
        worker.run(job);
        let top = self.pending.as_ref().is_some_and(|p| p.top);
        self.pending = Some(Pending {
            serial: self.serial,
            filter: self.filter.clone(),
            order_serial: self.order_serial,
            top,
        });
    }

    /// Whether a filter is being matched on the filter's thread.
    pub fn matching(&self) -> bool {
        self.pending.is_some()
    }

    /// Stops waiting for a filter being matched (it was cleared or matched here).
    pub(super) fn forget_matching(&mut self) {
        if self.pending.take().is_some()
            && let Some(w) = &self.worker
        {
            self.serial += 1;
            w.latest.store(self.serial, Ordering::Release);
        }
    }

    /// Takes in what the filter's thread matched, if it is in (with `wait`, waits for it);
    /// true when the rows shown changed.
    pub fn poll_matches(&mut self) -> bool {
        self.take_matches(false)
    }

    /// Waits for the filter being matched, if one is (tests, and callers that need it).
    pub fn finish_matching(&mut self) -> bool {
        self.take_matches(true)
    }

    fn take_matches(&mut self, wait: bool) -> bool {
        let (Some(worker), Some(pending)) = (&self.worker, &self.pending) else {
            return false;
        };
        let matched = loop {
            let got = if wait {
                worker.done.recv_timeout(std::time::Duration::from_secs(30)).ok()
            } else {
                worker.done.try_recv().ok()
            };
            match got {
                Some(m) if m.serial == pending.serial => break m,
                Some(_) => continue,
                None => return false,
            }
        };
        let Some(pending) = self.pending.take() else {
            return false;
        };
        if pending.order_serial != self.order_serial || pending.filter != self.filter {
            return false;
        }
        let keep = self.selected_row().map(|r| r.row.rowid);
        self.shown = matched.best.into_iter().map(|at| self.ordered[at]).collect();
        self.narrowed = Some((pending.filter, matched.hits));
        self.selected = 0;
        if !pending.top
            && let Some(rowid) = keep
        {
            self.select_rowid(rowid);
        }
        true
    }
}

/// Scores the rows at `candidates` (positions, each read through `hay`) on as many threads
/// as there are matchers; None when `stop` said to stop. The scores come in the order of
/// `candidates`.
fn score<'h>(
    pattern: &Pattern,
    candidates: &[usize],
    hay: &(dyn Fn(usize) -> Utf32Str<'h> + Sync),
    matchers: &mut [Matcher],
    stop: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<(u32, usize)>> {
    let part = |part: &[usize], matcher: &mut Matcher| -> Option<Vec<(u32, usize)>> {
        let mut out = Vec::new();
        for chunk in part.chunks(2_048) {
            if stop() {
                return None;
            }
            out.extend(
                chunk
                    .iter()
                    .filter_map(|&at| pattern.score(hay(at), matcher).map(|s| (s, at))),
            );
        }
        Some(out)
    };
    let threads = matchers.len().max(1);
    if threads == 1 || candidates.len() < PARALLEL_FROM {
        return match matchers.first_mut() {
            Some(m) => part(candidates, m),
            None => Some(Vec::new()),
        };
    }
    let chunk = candidates.len().div_ceil(threads);
    let part = &part;
    std::thread::scope(|scope| {
        let parts: Vec<_> = candidates
            .chunks(chunk)
            .zip(matchers.iter_mut())
            .map(|(c, m)| scope.spawn(move || part(c, m)))
            .collect();
        let mut all = Vec::with_capacity(candidates.len());
        for p in parts {
            all.extend(p.join().ok()??);
        }
        Some(all)
    })
}

/// The positions that matched in view order, and best first (equal scores keep the view's
/// order).
fn ranked(mut scored: Vec<(u32, usize)>) -> (Vec<usize>, Vec<usize>) {
    let hits = scored.iter().map(|&(_, at)| at).collect();
    scored.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    (hits, scored.into_iter().map(|(_, at)| at).collect())
}

pub(super) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Whether every row `after` matches also matches `before`: more text typed at the end, with
/// no negation (`!`) or escape, whose meaning can widen what matches.
fn narrows(before: &str, after: &str) -> bool {
    !before.trim().is_empty() && after.starts_with(before) && !after.contains(['!', '\\'])
}
