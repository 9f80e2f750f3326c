//! Space-Saving: top-`k` / frequent items with `k` counters that
//! over-estimate, each with its own recorded maximum error.
//!
//! # Guarantees
//!
//! `n` = items processed, `f(x)` = true frequency, `min` = smallest counter
//! once all `k` are in use (0 before).
//!
//! | quantity | value |
//! | --- | --- |
//! | space | `k` counters: item, count, error |
//! | update time | `O(log k)` (ordered index on counts; the paper's Stream-Summary list gives `O(1)`) |
//! | error bound | monitored `x`: `count - error <= f(x) <= count`, `error <= min <= floor(n/k)`; unmonitored `x`: `f(x) <= min` |
//! | completeness | every `x` with `f(x) > min` (in particular `f(x) > n/k`) is monitored |
//! | invariant | sum of counts `= n` |
//! | failure probability | 0 (deterministic) |
//!
//! # Pseudocode
//!
//! ```text
//! add(x):
//!   if x monitored: count[x] += 1
//!   elif fewer than k monitored: count[x] = 1; error[x] = 0
//!   else: y = item with the smallest count m (ties: smallest item)
//!         replace y by x with count[x] = m + 1, error[x] = m
//! ```
//!
//! # Proof sketch
//!
//! Counts only increase and every arrival adds exactly one unit, so the sum
//! of counts is `n` and hence `min <= n/k`. When `x` takes over a counter with
//! value `m`, `x` had at most `m` earlier arrivals (by induction, every
//! unmonitored item's frequency is at most the current minimum, which never
//! decreases), so `count - m <= f(x) <= count`, i.e. `error = m`. An item with
//! `f(x) > min` cannot be unmonitored.
//!
//! # Citation
//!
//! A. Metwally, D. Agrawal and A. El Abbadi, "Efficient computation of
//! frequent and top-k elements in data streams", ICDT 2005.

use std::collections::{BTreeMap, BTreeSet};

/// Count and maximum over-estimation of one monitored item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// Upper bound on the item's frequency.
    pub count: u64,
    /// Maximum over-estimation: `count - error <= f <= count`.
    pub error: u64,
}

/// Space-Saving summary with `k >= 1` counters. Items need `Ord + Clone`.
#[derive(Debug, Clone)]
pub struct SpaceSaving<T> {
    k: usize,
    entries: BTreeMap<T, Counter>,
    by_count: BTreeSet<(u64, T)>,
    n: u64,
}

impl<T: Ord + Clone> SpaceSaving<T> {
    /// An empty summary with `k` counters.
    ///
    /// # Panics
    ///
    /// If `k == 0` (there would be nowhere to count).
    #[must_use]
    pub fn new(k: usize) -> Self {
        assert!(k >= 1, "Space-Saving needs k >= 1 counters");
        Self {
            k,
            entries: BTreeMap::new(),
            by_count: BTreeSet::new(),
            n: 0,
        }
    }

    /// Process one occurrence of `item`.
    pub fn add(&mut self, item: T) {
        self.n += 1;
        if let Some(c) = self.entries.get_mut(&item) {
            self.by_count.remove(&(c.count, item.clone()));
            c.count += 1;
            self.by_count.insert((c.count, item));
            return;
        }
        let counter = if self.entries.len() < self.k {
            Counter { count: 1, error: 0 }
        } else {
            let (m, victim) = self
                .by_count
                .pop_first()
                .expect("k >= 1 counters are in use");
            self.entries.remove(&victim);
            Counter {
                count: m + 1,
                error: m,
            }
        };
        self.by_count.insert((counter.count, item.clone()));
        self.entries.insert(item, counter);
    }

    /// Items processed, `n`.
    #[must_use]
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Capacity `k`.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.k
    }

    /// The monitored items and their counters, in item order.
    #[must_use]
    pub fn counters(&self) -> &BTreeMap<T, Counter> {
        &self.entries
    }

    /// Smallest counter if all `k` are in use, else 0: an upper bound on the
    /// frequency of every unmonitored item, and `<= floor(n/k)`.
    #[must_use]
    pub fn min_count(&self) -> u64 {
        if self.entries.len() < self.k {
            0
        } else {
            self.by_count.first().map_or(0, |(c, _)| *c)
        }
    }

    /// Upper bound on `f(item)`: its count, or [`SpaceSaving::min_count`].
    #[must_use]
    pub fn upper_bound(&self, item: &T) -> u64 {
        self.entries
            .get(item)
            .map_or_else(|| self.min_count(), |c| c.count)
    }

    /// Lower bound on `f(item)`: `count - error`, or 0.
    #[must_use]
    pub fn lower_bound(&self, item: &T) -> u64 {
        self.entries.get(item).map_or(0, |c| c.count - c.error)
    }

    /// Monitored items with `count > phi * n` (**strictly greater**, in
    /// `f64`), sorted by count descending then item ascending. Contains every
    /// item with `f > phi * n` when `phi * n >= min_count()` (always true
    /// for `phi >= 1/k`).
    #[must_use]
    pub fn heavy_hitters(&self, phi: f64) -> Vec<(T, Counter)> {
        let t = phi * self.n as f64;
        let mut out: Vec<(T, Counter)> = self
            .entries
            .iter()
            .filter(|(_, c)| c.count as f64 > t)
            .map(|(x, c)| (x.clone(), *c))
            .collect();
        out.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// The `m` largest counters (count descending, then item ascending).
    #[must_use]
    pub fn top(&self, m: usize) -> Vec<(T, Counter)> {
        let mut out: Vec<(T, Counter)> =
            self.entries.iter().map(|(x, c)| (x.clone(), *c)).collect();
        out.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
        out.truncate(m);
        out
    }
}
