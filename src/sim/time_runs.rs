//! A set of instants stored as runs of evenly spaced times (no Spark file: a data
//! structure of the simulator's own). A context keeps sets that gain one batch time per
//! batch for the whole run (e.g. the batch times whose output was written); as runs, a set
//! of consecutive batch times is one entry, so copying it for a time-travel snapshot costs
//! the same after 100,000 batches as after 10.

use super::time::{Duration, Time};
use std::collections::{BTreeMap, BTreeSet};

/// A set of [`Time`]s, cheap to clone when its members are mostly `step` apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeRuns {
    /// The spacing of a run (ms, at least 1).
    step: u64,
    /// `ms % step` of the members kept in runs (that of the first member).
    phase: Option<u64>,
    /// Runs of members on the phase, by index `ms / step`: `first -> last` holds every
    /// index from `first` to `last`. Runs neither overlap nor touch.
    runs: BTreeMap<u64, u64>,
    /// Members off the phase.
    odd: BTreeSet<u64>,
}

impl TimeRuns {
    /// An empty set whose runs are spaced by `step` (a batch interval).
    pub fn new(step: Duration) -> TimeRuns {
        TimeRuns {
            step: step.ms().max(1),
            phase: None,
            runs: BTreeMap::new(),
            odd: BTreeSet::new(),
        }
    }

    /// The run holding index `k`, if any.
    fn run_over(&self, k: u64) -> Option<(u64, u64)> {
        self.runs
            .range(..=k)
            .next_back()
            .filter(|(_, &last)| k <= last)
            .map(|(&first, &last)| (first, last))
    }

    /// Whether `t` is in the set.
    pub fn contains(&self, t: Time) -> bool {
        let ms = t.ms();
        if self.phase == Some(ms % self.step) {
            self.run_over(ms / self.step).is_some()
        } else {
            self.odd.contains(&ms)
        }
    }

    /// Adds `t`; false when it was already there (as `BTreeSet::insert`).
    pub fn insert(&mut self, t: Time) -> bool {
        let ms = t.ms();
        let phase = *self.phase.get_or_insert(ms % self.step);
        if ms % self.step != phase {
            return self.odd.insert(ms);
        }
        let k = ms / self.step;
        if self.run_over(k).is_some() {
            return false;
        }
        // The run ending just before `k`, and the one starting just after.
        let before = k
            .checked_sub(1)
            .and_then(|b| self.run_over(b))
            .map(|(first, _)| first);
        let after = k
            .checked_add(1)
            .and_then(|a| self.runs.get(&a).map(|&last| (a, last)));
        let last = match after {
            Some((a, last)) => {
                self.runs.remove(&a);
                last
            }
            None => k,
        };
        self.runs.insert(before.unwrap_or(k), last);
        true
    }

    /// Number of runs plus members off the phase: what a clone copies.
    pub fn pieces(&self) -> usize {
        self.runs.len() + self.odd.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_a_btreeset_on_mixed_inserts() {
        // Consecutive batches, re-runs of earlier ones, gaps, and times off the spacing:
        // every answer equals a plain BTreeSet's.
        let mut runs = TimeRuns::new(Duration::from_ms(1000));
        let mut set = BTreeSet::new();
        let mut x: u64 = 7;
        for i in 0..5000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let t = match x >> 61 {
                0 => Time((x >> 20) % 200 * 500),
                1 => Time((x >> 20) % 3000 * 1000),
                _ => Time(i * 1000),
            };
            assert_eq!(runs.insert(t), set.insert(t), "insert {t:?}");
            let probe = Time((x >> 30) % 6_000_000);
            assert_eq!(
                runs.contains(probe),
                set.contains(&probe),
                "contains {probe:?}"
            );
            assert_eq!(runs.contains(t), set.contains(&t));
        }
        for t in 0..6000u64 {
            let t = Time(t * 500);
            assert_eq!(runs.contains(t), set.contains(&t), "final {t:?}");
        }
    }

    #[test]
    fn consecutive_batches_are_one_run() {
        // 100,000 consecutive batch times are one piece (what a snapshot copies).
        let mut runs = TimeRuns::new(Duration::from_secs(1));
        for k in 1..=100_000u64 {
            assert!(runs.insert(Time(k * 1000)));
        }
        assert!(!runs.insert(Time(5000)));
        assert_eq!(runs.pieces(), 1);
        assert!(runs.contains(Time(100_000_000)) && !runs.contains(Time(100_001_000)));
        assert!(!runs.contains(Time(1500)));
    }
}
