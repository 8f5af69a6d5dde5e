//! The queue's fuzzy filter: every row of the view scored against what is typed, best
//! first; typing on narrows to what the shorter filter matched, and a large queue is scored
//! on as many threads as there are cores.

use nucleo_matcher::Matcher;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};

use super::Queue;

impl Queue {
    /// The view's rows that match the filter, best match first (equal scores keep the
    /// view's order). Typing on narrows: only the rows the filter matched before are
    /// scored again, on as many threads as there are cores.
    pub(super) fn filtered(&mut self) -> Vec<usize> {
        let pattern = Pattern::parse(&self.filter, CaseMatching::Ignore, Normalization::Smart);
        let candidates: Vec<usize> = match self.narrowed.take() {
            Some((before, hits)) if narrows(&before, &self.filter) => hits,
            _ => (0..self.ordered.len()).collect(),
        };
        let (rows, ordered) = (&self.rows, &self.ordered);
        let score = |part: &[usize], matcher: &mut Matcher| -> Vec<(u32, usize)> {
            part.iter()
                .filter_map(|&at| {
                    pattern
                        .score(rows[ordered[at]].haystack.slice(..), matcher)
                        .map(|s| (s, at))
                })
                .collect()
        };
        let threads = self.matchers.len().max(1);
        let mut scored: Vec<(u32, usize)> = if threads == 1 || candidates.len() < PARALLEL_FROM {
            match self.matchers.first_mut() {
                Some(m) => score(&candidates, m),
                None => Vec::new(),
            }
        } else {
            let chunk = candidates.len().div_ceil(threads);
            std::thread::scope(|scope| {
                let parts: Vec<_> = candidates
                    .chunks(chunk)
                    .zip(self.matchers.iter_mut())
                    .map(|(part, m)| scope.spawn(|| score(part, m)))
                    .collect();
                parts.into_iter().flat_map(|p| p.join().unwrap_or_default()).collect()
            })
        };
        // The chunks are in view order, so the hits are too.
        self.narrowed = Some((self.filter.clone(), scored.iter().map(|&(_, at)| at).collect()));
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, at)| ordered[at]).collect()
    }
}

/// Below this many rows the filter scores on one thread.
const PARALLEL_FROM: usize = 4_096;

pub(super) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Whether every row `after` matches also matches `before`: more text typed at the end, with
/// no negation (`!`) or escape, whose meaning can widen what matches.
fn narrows(before: &str, after: &str) -> bool {
    !before.trim().is_empty() && after.starts_with(before) && !after.contains(['!', '\\'])
}
