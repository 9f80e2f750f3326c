//! The lecture's Python code, ported line by line, kept as a documented
//! example of an off-by-one error (reservoir sampling) and as the reference
//! semantics for [`crate::misra_gries`].
//!
//! # Guarantees
//!
//! | function | space | time per item | guarantee | failure probability |
//! | --- | --- | --- | --- | --- |
//! | [`reservoir_sample`] | `k` items | `O(1)` | **none**: index `k` (0-based) is never sampled, so the sample is *not* uniform | — |
//! | [`reservoir_sample_fixed`] | `k` items | `O(1)` | uniform `k`-subset (this is Algorithm R) | 0 |
//! | [`LectureMisraGries`] | `count` counters | `O(count)` worst case | `f - n/(count+1) <= estimate <= f` | 0 (deterministic) |
//!
//! # The lecture's reservoir sampling
//!
//! ```text
//! def reservoir_sample(inputs):
//!     k = 10
//!     r = []
//!     for i in range(k):
//!         r.append(inputs[i])
//!     for i in range(k + 1, len(inputs)):
//!         j = randint(0, i)   # inclusive both ends
//!         if j < k:
//!             r[j] = inputs[i]
//!     return r
//! ```
//!
//! The second loop starts at `k + 1`, so the item at index `k` is never
//! looked at. Algorithm R's loop starts at `k`. For every other index the
//! acceptance probability is right (`k / (i + 1)` for 0-based `i`, since
//! `randint(0, i)` has `i + 1` outcomes), so the proof sketch of Algorithm R
//! (see [`crate::reservoir`]) fails exactly at the induction step `i = k`:
//! after it, items `0..k` are all still in the sample with probability 1
//! instead of `k / (k + 1)`. Exact consequences, for `n > k` inputs:
//!
//! | 0-based index | inclusion probability (lecture) | Algorithm R |
//! | --- | --- | --- |
//! | `0..k` | `(k + 1) / n` | `k / n` |
//! | `k` | `0` | `k / n` |
//! | `k+1..n` | `k / n` (item `i` enters w.p. `k/(i+1)`, survives w.p. `(i+1)/n`) | `k / n` |
//!
//! The statistical tests in `tests/statistics.rs` check this table.
//!
//! # The lecture's Misra–Gries
//!
//! ```text
//! counters = {}                      # at most `count` entries
//! def add(item):
//!     if item in counters: counters[item] += 1
//!     else:
//!         counters[item] = 1
//!         if len(counters) > count:
//!             for key in list(counters):
//!                 counters[key] -= 1
//!                 if counters[key] == 0: del counters[key]
//!     return counters
//! ```
//!
//! Proof sketch of its bound: each decrement round removes one unit from
//! each of `count + 1` counters, so with `D` rounds `sum(counters) = n -
//! (count+1) D >= 0`, i.e. `D <= n/(count+1)`; an item loses at most one unit
//! per round, hence `f - D <= estimate <= f`.
//!
//! Citations: the reservoir code is a (buggy) rendering of Algorithm R
//! (Vitter, "Random sampling with a reservoir", ACM TOMS 1985); the counters
//! are J. Misra and D. Gries, "Finding repeated elements", Science of
//! Computer Programming 2(2), 1982, in the insert-then-decrement form.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;

use crate::rngutil::uniform_below;

/// Python's `random.randint(lo, hi)`: a uniform integer in `lo..=hi`
/// (inclusive at both ends), drawn from `rng`.
fn randint(rng: &mut ChaCha8Rng, lo: usize, hi: usize) -> usize {
    lo + uniform_below(rng, (hi - lo + 1) as u64) as usize
}

/// The lecture's reservoir sampling, ported faithfully **including its
/// off-by-one** (index `k` is never sampled), with `k` as a parameter.
///
/// Returns `k` items. Shapes: `inputs.len() >= k`.
///
/// # Panics
///
/// If `inputs.len() < k`, as the Python raises `IndexError`.
#[must_use]
pub fn reservoir_sample<T: Clone>(inputs: &[T], k: usize, rng: &mut ChaCha8Rng) -> Vec<T> {
    // r = []; for i in range(k): r.append(inputs[i])
    let mut r: Vec<T> = inputs[..k].to_vec();
    // for i in range(k + 1, len(inputs)):   <- the bug: should be range(k, ...)
    for (i, x) in inputs.iter().enumerate().skip(k + 1) {
        let j = randint(rng, 0, i);
        if j < k {
            r[j] = x.clone();
        }
    }
    r
}

/// The same code with the one-character fix (`range(k, len(inputs))`):
/// Algorithm R. Returns a uniform `k`-subset of `inputs`.
///
/// # Panics
///
/// If `inputs.len() < k`.
#[must_use]
pub fn reservoir_sample_fixed<T: Clone>(inputs: &[T], k: usize, rng: &mut ChaCha8Rng) -> Vec<T> {
    let mut r: Vec<T> = inputs[..k].to_vec();
    for (i, x) in inputs.iter().enumerate().skip(k) {
        let j = randint(rng, 0, i);
        if j < k {
            r[j] = x.clone();
        }
    }
    r
}

/// The lecture's Misra–Gries counters: at most `count` entries; a new item is
/// inserted with 1 and, if there are then more than `count` entries, every
/// entry (the new one included) is decremented and zeros are dropped.
#[derive(Debug, Clone)]
pub struct LectureMisraGries<T> {
    count: usize,
    counters: BTreeMap<T, u64>,
}

impl<T: Ord> LectureMisraGries<T> {
    /// Empty counters, at most `count` of them.
    #[must_use]
    pub fn new(count: usize) -> Self {
        Self {
            count,
            counters: BTreeMap::new(),
        }
    }

    /// Process one item and return the current entries (the Python dict;
    /// a `BTreeMap` so iteration order is deterministic).
    pub fn add(&mut self, item: T) -> &BTreeMap<T, u64> {
        if let Some(c) = self.counters.get_mut(&item) {
            *c += 1;
        } else {
            self.counters.insert(item, 1);
            if self.counters.len() > self.count {
                for c in self.counters.values_mut() {
                    *c -= 1;
                }
                self.counters.retain(|_, c| *c > 0);
            }
        }
        &self.counters
    }

    /// The current entries.
    #[must_use]
    pub fn counters(&self) -> &BTreeMap<T, u64> {
        &self.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    // Proves: the port has the lecture's bug — index k is never in the
    // output, for any seed (exact, 2000 seeds).
    #[test]
    fn index_k_never_sampled() {
        let inputs: Vec<usize> = (0..20).collect();
        for seed in 0..2000 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let r = reservoir_sample(&inputs, 10, &mut rng);
            assert_eq!(r.len(), 10);
            assert!(!r.contains(&10), "seed {seed}: {r:?}");
        }
    }

    // Proves: with len == k + 1 the buggy loop is empty, so the output is
    // always the first k items (a deterministic witness of the bug).
    #[test]
    fn k_plus_one_inputs_always_first_k() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..100 {
            assert_eq!(reservoir_sample(&[0, 1, 2, 3], 3, &mut rng), vec![0, 1, 2]);
        }
    }

    // Proves: Python semantics — too few inputs is an IndexError (panic).
    #[test]
    #[should_panic]
    fn too_few_inputs_panics() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let _ = reservoir_sample(&[1, 2], 3, &mut rng);
    }
}
