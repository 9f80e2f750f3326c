//! Misra–Gries frequent-items summary (lecture semantics: at most `k`
//! counters; insert, then decrement all when there are more than `k`), with
//! per-item bounds, an a-posteriori error, heavy hitters and mergeability.
//!
//! # Guarantees
//!
//! `n` = items processed (for a merged summary, the sum over its inputs);
//! `f(x)` = true frequency; `D` = [`MisraGries::max_error`].
//!
//! | quantity | value |
//! | --- | --- |
//! | space | at most `k` counters (`k` items + `k` `u64`s) |
//! | update time | `O(log k)` for a present item; `O(k)` for a decrement round, at most `n/(k+1)` rounds, so `O(log k)` amortised |
//! | error bound | `f(x) - D <= estimate(x) <= f(x)` with `D <= floor(n / (k+1))` |
//! | a-posteriori error | `D` exactly as tracked; for a summary built by `add` only, `D = (n - sum of counters) / (k+1)` |
//! | failure probability | 0 (deterministic) |
//! | merge | [`MisraGries::merge`] keeps `D <= floor((n1+n2)/(k+1))` |
//!
//! Note the variant: with `k` counters the bound is `n/(k+1)`, because a
//! decrement round removes `k + 1` units (the `k` stored counters and the
//! new item). The textbook form with `k - 1` counters gives `n/k`.
//!
//! # Pseudocode
//!
//! ```text
//! add(x):
//!   n += 1
//!   if x in C: C[x] += 1
//!   else:
//!     C[x] = 1
//!     if |C| > k: for y in C: C[y] -= 1; drop zeros; D += 1
//! merge(A, B):                       # Agarwal et al. 2012
//!   C = A.C + B.C (pointwise)
//!   if |C| > k: c = (k+1)-th largest counter; C[y] -= c for all y; drop <= 0
//!   D = A.D + B.D + (c or 0); n = A.n + B.n
//! ```
//!
//! # Proof sketch
//!
//! Each decrement round lowers `k + 1` counters by one, so `sum(C) = n -
//! (k+1) D >= 0` and `D <= n/(k+1)`. An item's counter is never above its
//! frequency (it only grows on its own arrivals), and it loses at most one
//! unit per round, so `f(x) - D <= C[x] <= f(x)`. In a merge, subtracting the
//! `(k+1)`-th largest value `c` from all counters removes at least `(k+1) c`
//! units (the `k + 1` largest lose `c` each), so `sum(C) <= n - (k+1)D` still
//! holds with `D` increased by `c`, and every item lost at most `c` more.
//!
//! # Citations
//!
//! * J. Misra and D. Gries, "Finding repeated elements", Science of Computer
//!   Programming 2(2), 1982.
//! * P. K. Agarwal, G. Cormode, Z. Huang, J. M. Phillips, Z. Wei and K. Yi,
//!   "Mergeable summaries", PODS 2012 (the merge and its error bound).

use std::collections::BTreeMap;
use std::fmt;

/// One reported item with its frequency bounds: `lower <= f(item) <= upper`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeavyHitter<T> {
    /// The item.
    pub item: T,
    /// Guaranteed lower bound on its frequency (the counter).
    pub lower: u64,
    /// Guaranteed upper bound on its frequency (counter + `D`).
    pub upper: u64,
}

/// Why a merge was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityMismatch {
    /// Capacity of the summary merged into.
    pub left: usize,
    /// Capacity of the other summary.
    pub right: usize,
}

impl fmt::Display for CapacityMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot merge summaries with {} and {} counters",
            self.left, self.right
        )
    }
}

impl std::error::Error for CapacityMismatch {}

/// Misra–Gries summary with at most `k` counters.
///
/// Items need `Ord` (counters live in a `BTreeMap`, so every output is in a
/// deterministic order). Counts are `u64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MisraGries<T> {
    k: usize,
    counters: BTreeMap<T, u64>,
    n: u64,
    /// Maximum under-count `D` (decrement rounds plus merge subtractions).
    d: u64,
}

impl<T: Ord + Clone> MisraGries<T> {
    /// An empty summary with at most `k` counters (`k = 0` is allowed and
    /// keeps nothing; its estimates are all 0 with `D = n`).
    #[must_use]
    pub fn new(k: usize) -> Self {
        Self {
            k,
            counters: BTreeMap::new(),
            n: 0,
            d: 0,
        }
    }

    /// Process one occurrence of `item`.
    pub fn add(&mut self, item: T) {
        self.n += 1;
        if let Some(c) = self.counters.get_mut(&item) {
            *c += 1;
            return;
        }
        self.counters.insert(item, 1);
        if self.counters.len() > self.k {
            for c in self.counters.values_mut() {
                *c -= 1;
            }
            self.counters.retain(|_, c| *c > 0);
            self.d += 1;
        }
    }

    /// The counters (at most `k`, each `>= 1`), in item order.
    #[must_use]
    pub fn counters(&self) -> &BTreeMap<T, u64> {
        &self.counters
    }

    /// Capacity `k`.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.k
    }

    /// Items processed, `n`.
    #[must_use]
    pub fn n(&self) -> u64 {
        self.n
    }

    /// The estimate of `f(item)`: its counter, or 0. Equal to
    /// [`MisraGries::lower_bound`]; never an over-estimate.
    #[must_use]
    pub fn estimate(&self, item: &T) -> u64 {
        self.counters.get(item).copied().unwrap_or(0)
    }

    /// Guaranteed lower bound on `f(item)` (the counter, or 0).
    #[must_use]
    pub fn lower_bound(&self, item: &T) -> u64 {
        self.estimate(item)
    }

    /// Guaranteed upper bound on `f(item)`: counter + `D`.
    #[must_use]
    pub fn upper_bound(&self, item: &T) -> u64 {
        self.estimate(item) + self.d
    }

    /// A-posteriori maximum error `D`: for every item,
    /// `f - D <= estimate <= f`. Always `<= floor(n / (k+1))`.
    #[must_use]
    pub fn max_error(&self) -> u64 {
        self.d
    }

    /// A-priori error bound `floor(n / (k+1))`.
    #[must_use]
    pub fn error_bound(&self) -> u64 {
        self.n / (self.k as u64 + 1)
    }

    /// Every item whose frequency **could exceed** `threshold`, i.e. with
    /// `upper_bound > threshold` (strictly greater). Contains every item
    /// whose true frequency is `> threshold` (no false negatives). Items not
    /// stored have upper bound `D`, so if `D > threshold` some such items
    /// cannot be listed: check `max_error() <= threshold` (true whenever
    /// `threshold >= n/(k+1)`) for the guarantee to be meaningful.
    ///
    /// Order: by `lower` descending, then item ascending.
    #[must_use]
    pub fn above(&self, threshold: u64) -> Vec<HeavyHitter<T>> {
        let mut out: Vec<HeavyHitter<T>> = self
            .counters
            .iter()
            .filter(|(_, &c)| c + self.d > threshold)
            .map(|(x, &c)| HeavyHitter {
                item: x.clone(),
                lower: c,
                upper: c + self.d,
            })
            .collect();
        out.sort_by(|a, b| b.lower.cmp(&a.lower).then_with(|| a.item.cmp(&b.item)));
        out
    }

    /// Heavy hitters: every item whose frequency could exceed `phi * n`,
    /// i.e. with `upper_bound > phi * n` (**strictly greater**, compared in
    /// `f64`; exact when `phi * n` is exactly representable, e.g. dyadic
    /// `phi`). Every item with `f > phi * n` is returned provided
    /// `phi >= 1/(k+1)`; returned items have `f >= lower > phi*n - D`.
    /// Use [`MisraGries::above`] for an exact integer threshold.
    #[must_use]
    pub fn heavy_hitters(&self, phi: f64) -> Vec<HeavyHitter<T>> {
        let t = phi * self.n as f64;
        let mut out: Vec<HeavyHitter<T>> = self
            .counters
            .iter()
            .filter(|(_, &c)| (c + self.d) as f64 > t)
            .map(|(x, &c)| HeavyHitter {
                item: x.clone(),
                lower: c,
                upper: c + self.d,
            })
            .collect();
        out.sort_by(|a, b| b.lower.cmp(&a.lower).then_with(|| a.item.cmp(&b.item)));
        out
    }

    /// Merge `other` into `self` (Agarwal et al., PODS 2012): add counters
    /// pointwise, then if more than `k` remain subtract the `(k+1)`-th
    /// largest value from all and drop those `<= 0`. Afterwards `n` is the
    /// sum, `D <= floor(n/(k+1))`, and at most `k` counters remain.
    ///
    /// # Errors
    ///
    /// [`CapacityMismatch`] if the two summaries have different `k`.
    pub fn merge(&mut self, other: &Self) -> Result<(), CapacityMismatch> {
        if self.k != other.k {
            return Err(CapacityMismatch {
                left: self.k,
                right: other.k,
            });
        }
        for (x, &c) in &other.counters {
            *self.counters.entry(x.clone()).or_insert(0) += c;
        }
        self.n += other.n;
        self.d += other.d;
        if self.counters.len() > self.k {
            let mut values: Vec<u64> = self.counters.values().copied().collect();
            values.sort_unstable_by(|a, b| b.cmp(a));
            let c = values[self.k];
            self.counters.retain(|_, v| {
                *v = v.saturating_sub(c);
                *v > 0
            });
            self.d += c;
        }
        Ok(())
    }
}

/// Version-1 serialized form (see [`crate::serial`]).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MisraGriesWire<T> {
    version: u32,
    k: usize,
    n: u64,
    d: u64,
    /// `(item, count)` in item order.
    counters: Vec<(T, u64)>,
}

impl<T: Ord + Clone> From<&MisraGries<T>> for MisraGriesWire<T> {
    fn from(m: &MisraGries<T>) -> Self {
        Self {
            version: crate::serial::FORMAT_VERSION,
            k: m.k,
            n: m.n,
            d: m.d,
            counters: m.counters.iter().map(|(x, &c)| (x.clone(), c)).collect(),
        }
    }
}

impl<T: Ord + Clone> TryFrom<MisraGriesWire<T>> for MisraGries<T> {
    type Error = String;
    fn try_from(w: MisraGriesWire<T>) -> Result<Self, String> {
        crate::serial::check_version("MisraGries", w.version)?;
        if w.counters.len() > w.k {
            return Err(format!(
                "MisraGries: {} counters > k = {}",
                w.counters.len(),
                w.k
            ));
        }
        if w.counters.iter().any(|&(_, c)| c == 0) {
            return Err("MisraGries: a counter is 0".to_string());
        }
        let sum: u128 = w.counters.iter().map(|&(_, c)| u128::from(c)).sum();
        let removed = (w.k as u128 + 1) * u128::from(w.d);
        if sum + removed > u128::from(w.n) {
            return Err(format!(
                "MisraGries: counters {sum} + (k + 1) d = {removed} exceed n = {}",
                w.n
            ));
        }
        let len = w.counters.len();
        let counters: BTreeMap<T, u64> = w.counters.into_iter().collect();
        if counters.len() != len {
            return Err("MisraGries: an item appears twice".to_string());
        }
        Ok(Self {
            k: w.k,
            counters,
            n: w.n,
            d: w.d,
        })
    }
}

crate::serial::serde_via_wire!(impl[T] MisraGries<T>, MisraGriesWire<T>;
    ser: [T: serde::Serialize + Ord + Clone];
    de: [T: serde::Deserialize<'de> + Ord + Clone]);

#[cfg(test)]
mod tests {
    use super::*;

    // Proves: merge refuses different capacities.
    #[test]
    fn merge_capacity_mismatch() {
        let mut a: MisraGries<u8> = MisraGries::new(2);
        let b: MisraGries<u8> = MisraGries::new(3);
        assert_eq!(a.merge(&b), Err(CapacityMismatch { left: 2, right: 3 }));
    }

    // Proves: k = 0 degenerates correctly (nothing stored, D = n).
    #[test]
    fn zero_counters() {
        let mut mg = MisraGries::new(0);
        for x in [1, 1, 2] {
            mg.add(x);
        }
        assert!(mg.counters().is_empty());
        assert_eq!((mg.max_error(), mg.error_bound()), (3, 3));
    }
}
