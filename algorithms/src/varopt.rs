//! VarOpt: a mergeable weighted sample of `k` items whose adjusted weights
//! give unbiased, variance-optimal estimates of every subset sum.
//!
//! # Guarantees
//!
//! `n` items with weights `w_i > 0`, `W = sum w_i`; `tau` = the threshold
//! solving `sum_i min(1, w_i / tau) = k` (0 while `n <= k`).
//!
//! | quantity | value |
//! | --- | --- |
//! | space | `min(k, n)` items with one `f64` each |
//! | update time | `O(log k)` amortised (heap of large items; small items share `tau`) |
//! | inclusion probability | `min(1, w_i / tau)` (IPPS: probability proportional to size, capped at 1) |
//! | estimates | adjusted weight `max(w_i, tau)` for a sampled item; for every subset `A`, `E[sum of adjusted weights over sampled A] = sum_{i in A} w_i` (unbiased) |
//! | variance | the least possible average variance over subsets of a given size among samples of `k` items (Cohen et al., Theorem 1); the total `W` is estimated with variance 0 |
//! | failure probability | — (an unbiased estimator, not a bound) |
//! | merge | [`VarOpt::merge`]: feed the other sample's items with their adjusted weights; the result is a VarOpt sample of the union, with the same guarantees |
//!
//! # Pseudocode
//!
//! ```text
//! L = min-heap of large items (weight > tau), T = small items (weight tau each)
//! add(x, w): if fewer than k items: put (x, w) in L; return
//!            X = {(x, w)} if w <= tau, else push (x, w) into L and X = {}
//!            S = tau |T| + sum_X w                     # mass of the small items
//!            while |T| + |X| < 2 or (L non-empty and min L <= S / (|T| + |X| - 1)):
//!                move min L into X; S += its weight
//!            tau' = S / (|T| + |X| - 1)
//!            drop one item: an X item i with probability 1 - w_i / tau',
//!                           a T item with probability 1 - tau / tau' each (these sum to 1)
//!            T = T + X - dropped; tau = tau'
//! merge(other): for (x, a) in other's sample with adjusted weights a: add(x, a)
//! ```
//!
//! # Proof sketch
//!
//! After the step every survivor below `tau'` has adjusted weight `tau'` and
//! survives with probability `p_i = w_i / tau'` (relative to its current
//! adjusted weight `w_i`), so `E[adjusted] = p_i tau' = w_i`; large items
//! survive surely with their weight. Hence each step is unbiased for every
//! subset sum given the previous sample, and by the tower property so is
//! the whole sequence. The sum of adjusted weights is
//! `tau' (|T| + |X| - 1) + sum L = S + sum L`, the same before and after:
//! the total is exact. The
//! drop probabilities make the inclusion probabilities `min(1, w/tau)` with
//! the same `tau` for all items (Cohen et al., section 3: "VarOpt_k of
//! VarOpt_{k+1} is VarOpt_k"), which is what minimises the variance. Merge:
//! the other sample's adjusted weights are unbiased for its stream, and
//! running the same steps over them is again unbiased by the tower
//! property; because VarOpt composes (a VarOpt sample of VarOpt samples of
//! the parts is a VarOpt sample of the union, Cohen et al., section 5), the
//! result keeps the IPPS structure and its guarantees.
//!
//! # Citation
//!
//! E. Cohen, N. Duffield, H. Kaplan, C. Lund and M. Thorup, "Stream sampling
//! for variance-optimal estimation of subset sums", SODA 2009; journal
//! version "Efficient stream sampling for variance-optimal estimation of
//! subset sums", SIAM Journal on Computing 40(5), 2011.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;

use rand_chacha::ChaCha8Rng;

use crate::rngutil::open01;

/// Largest `k` (the sample is preallocated).
pub const MAX_K: usize = 1 << 24;

/// Why a [`VarOpt`] operation was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum VarOptError {
    /// `k` outside `1..=`[`MAX_K`].
    InvalidK(usize),
    /// A weight that is not finite and positive.
    InvalidWeight(f64),
    /// Merging samples of different `k`.
    CapacityMismatch {
        /// This sample's `k`.
        ours: usize,
        /// The other's `k`.
        theirs: usize,
    },
}

impl fmt::Display for VarOptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidK(k) => write!(f, "k = {k} not in 1..={MAX_K}"),
            Self::InvalidWeight(w) => write!(f, "weight {w} is not finite and positive"),
            Self::CapacityMismatch { ours, theirs } => {
                write!(
                    f,
                    "cannot merge VarOpt samples with k = {ours} and k = {theirs}"
                )
            }
        }
    }
}

impl std::error::Error for VarOptError {}

/// A weight ordered by `f64::total_cmp`, then by arrival, for the heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Large {
    w: f64,
    seq: u64,
    slot: usize,
}

impl Eq for Large {}
impl PartialOrd for Large {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Large {
    fn cmp(&self, other: &Self) -> Ordering {
        self.w.total_cmp(&other.w).then(self.seq.cmp(&other.seq))
    }
}

/// A VarOpt sample of at most `k` weighted items.
#[derive(Debug, Clone)]
pub struct VarOpt<T> {
    k: usize,
    rng: ChaCha8Rng,
    /// Item storage; `None` marks a free slot.
    items: Vec<Option<T>>,
    free: Vec<usize>,
    /// Large items: weight > tau (min-heap).
    large: BinaryHeap<Reverse<Large>>,
    /// Slots of the small items (adjusted weight `tau` each).
    small: Vec<usize>,
    tau: f64,
    seq: u64,
    n: u64,
    total: f64,
    /// Reused buffer for the step's small candidates `X` (always empty
    /// between calls).
    scratch: Vec<(usize, f64)>,
}

impl<T: Clone> VarOpt<T> {
    /// An empty sample of capacity `k`, drawing its randomness from `rng`.
    ///
    /// # Errors
    ///
    /// [`VarOptError::InvalidK`] unless `1 <= k <= `[`MAX_K`].
    pub fn new(k: usize, rng: ChaCha8Rng) -> Result<Self, VarOptError> {
        if !(1..=MAX_K).contains(&k) {
            return Err(VarOptError::InvalidK(k));
        }
        Ok(Self {
            k,
            rng,
            items: Vec::with_capacity(k + 1),
            free: Vec::new(),
            large: BinaryHeap::with_capacity(k + 1),
            small: Vec::with_capacity(k + 1),
            tau: 0.0,
            seq: 0,
            n: 0,
            total: 0.0,
            scratch: Vec::new(),
        })
    }

    fn store(&mut self, item: T) -> usize {
        if let Some(slot) = self.free.pop() {
            self.items[slot] = Some(item);
            slot
        } else {
            self.items.push(Some(item));
            self.items.len() - 1
        }
    }

    fn push_large(&mut self, w: f64, slot: usize) {
        self.seq += 1;
        self.large.push(Reverse(Large {
            w,
            seq: self.seq,
            slot,
        }));
    }

    fn drop_slot(&mut self, slot: usize) {
        self.items[slot] = None;
        self.free.push(slot);
    }

    /// Offer `item` with weight `weight`.
    ///
    /// # Errors
    ///
    /// [`VarOptError::InvalidWeight`] unless `weight` is finite and `> 0`
    /// (the sample is unchanged).
    pub fn add(&mut self, item: T, weight: f64) -> Result<(), VarOptError> {
        if !(weight.is_finite() && weight > 0.0) {
            return Err(VarOptError::InvalidWeight(weight));
        }
        self.n += 1;
        self.total += weight;
        let slot = self.store(item);
        if self.large.len() + self.small.len() < self.k {
            self.push_large(weight, slot);
            return Ok(());
        }
        // X: the new small candidates, with their weights.
        let mut x = std::mem::take(&mut self.scratch);
        if weight <= self.tau {
            x.push((slot, weight));
        } else {
            self.push_large(weight, slot);
        }
        let t_len = self.small.len();
        let mut s = self.tau * t_len as f64 + x.iter().map(|e| e.1).sum::<f64>();
        while let Some(&Reverse(min)) = self.large.peek() {
            let smalls = t_len + x.len();
            if smalls >= 2 && min.w > s / (smalls - 1) as f64 {
                break;
            }
            self.large.pop();
            x.push((min.slot, min.w));
            s += min.w;
        }
        let tau_new = s / (t_len + x.len() - 1) as f64;
        // Drop one: walk X with probabilities 1 - w/tau', then T uniformly.
        let mut u = open01(&mut self.rng);
        let mut dropped: Option<usize> = None;
        for (i, &(_, w)) in x.iter().enumerate() {
            let p = (1.0 - w / tau_new).max(0.0);
            if u < p {
                dropped = Some(i);
                break;
            }
            u -= p;
        }
        match dropped {
            Some(i) => {
                let (slot, _) = x.swap_remove(i);
                self.drop_slot(slot);
            }
            None if t_len > 0 => {
                // Uniform among T: u is now uniform on [0, t_len (1 - tau/tau'))
                // up to rounding; pick by its position, clamped.
                let p_t = (1.0 - self.tau / tau_new).max(0.0);
                let j = if p_t > 0.0 {
                    ((u / p_t) as usize).min(t_len - 1)
                } else {
                    t_len - 1
                };
                let slot = self.small.swap_remove(j);
                self.drop_slot(slot);
            }
            None => {
                // Rounding left u past every X probability and T is empty:
                // drop the last X item (probabilities sum to 1 exactly in reals).
                let (slot, _) = x.pop().expect("at least two small candidates");
                self.drop_slot(slot);
            }
        }
        self.small.extend(x.drain(..).map(|(slot, _)| slot));
        self.scratch = x;
        self.tau = tau_new;
        Ok(())
    }

    /// The sample as `(item, adjusted weight)`: large items (by increasing
    /// weight, then arrival) first, then the small items (each `tau`).
    #[must_use]
    pub fn sample(&self) -> Vec<(T, f64)> {
        let mut large: Vec<Large> = self.large.iter().map(|r| r.0).collect();
        large.sort_unstable();
        large
            .iter()
            .map(|l| (l.slot, l.w))
            .chain(self.small.iter().map(|&s| (s, self.tau)))
            .map(|(slot, w)| (self.items[slot].clone().expect("live slot"), w))
            .collect()
    }

    /// Unbiased estimate of the total weight of the items satisfying `pred`.
    pub fn estimate_sum(&self, mut pred: impl FnMut(&T) -> bool) -> f64 {
        let large: f64 = self
            .large
            .iter()
            .filter(|r| pred(self.items[r.0.slot].as_ref().expect("live slot")))
            .map(|r| r.0.w)
            .sum();
        let small = self
            .small
            .iter()
            .filter(|&&s| pred(self.items[s].as_ref().expect("live slot")))
            .count();
        large + small as f64 * self.tau
    }

    /// The threshold `tau` (0 until more than `k` items were offered).
    #[must_use]
    pub fn tau(&self) -> f64 {
        self.tau
    }

    /// Items offered, `n`.
    #[must_use]
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Exact total weight offered, `W`.
    #[must_use]
    pub fn total_weight(&self) -> f64 {
        self.total
    }

    /// Number of sampled items, `min(k, n)` (for merged samples, `min(k,
    /// items fed)`).
    #[must_use]
    pub fn len(&self) -> usize {
        self.large.len() + self.small.len()
    }

    /// Whether the sample is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Capacity `k`.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.k
    }

    /// Merge `other` into `self`: afterwards `self` is a VarOpt sample of
    /// the union of both streams (module doc). `n` and the exact total add
    /// up; `other`'s random state is not used.
    ///
    /// # Errors
    ///
    /// [`VarOptError::CapacityMismatch`] unless both have the same `k`.
    pub fn merge(&mut self, other: &Self) -> Result<(), VarOptError> {
        if self.k != other.k {
            return Err(VarOptError::CapacityMismatch {
                ours: self.k,
                theirs: other.k,
            });
        }
        let (n, total) = (self.n + other.n, self.total + other.total);
        for (item, w) in other.sample() {
            self.add(item, w)?;
        }
        self.n = n;
        self.total = total;
        Ok(())
    }
}

/// Version-1 serialized form (see [`crate::serial`]).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct VarOptWire<T> {
    version: u32,
    k: usize,
    n: u64,
    total: f64,
    tau: f64,
    /// Large items `(item, weight)` by increasing weight, then arrival.
    large: Vec<(T, f64)>,
    /// Small items (adjusted weight `tau`), in internal order.
    small: Vec<T>,
    rng: crate::serial::RngState,
}

impl<T: Clone> From<&VarOpt<T>> for VarOptWire<T> {
    fn from(v: &VarOpt<T>) -> Self {
        let mut large: Vec<Large> = v.large.iter().map(|r| r.0).collect();
        large.sort_unstable();
        let get = |slot: usize| v.items[slot].clone().expect("live slot");
        Self {
            version: crate::serial::FORMAT_VERSION,
            k: v.k,
            n: v.n,
            total: v.total,
            tau: v.tau,
            large: large.iter().map(|l| (get(l.slot), l.w)).collect(),
            small: v.small.iter().map(|&s| get(s)).collect(),
            rng: (&v.rng).into(),
        }
    }
}

impl<T: Clone> TryFrom<VarOptWire<T>> for VarOpt<T> {
    type Error = String;
    fn try_from(w: VarOptWire<T>) -> Result<Self, String> {
        crate::serial::check_version("VarOpt", w.version)?;
        let mut v = Self::new(w.k, w.rng.restore()?).map_err(|e| e.to_string())?;
        let len = w.large.len() + w.small.len();
        if len > w.k || (len as u64) > w.n {
            return Err(format!(
                "VarOpt: {len} items > min(k = {}, n = {})",
                w.k, w.n
            ));
        }
        if !(w.tau.is_finite() && w.tau >= 0.0 && w.total.is_finite() && w.total >= 0.0) {
            return Err("VarOpt: tau and total must be finite and >= 0".to_string());
        }
        let has_small = !w.small.is_empty();
        if (w.tau > 0.0) != has_small {
            return Err("VarOpt: small items exist exactly when tau > 0".to_string());
        }
        if w.large.iter().any(|(_, x)| !(x.is_finite() && *x > w.tau)) {
            return Err("VarOpt: a large weight is not finite and > tau".to_string());
        }
        for (item, weight) in w.large {
            let slot = v.store(item);
            v.push_large(weight, slot);
        }
        for item in w.small {
            let slot = v.store(item);
            v.small.push(slot);
        }
        v.n = w.n;
        v.total = w.total;
        v.tau = w.tau;
        Ok(v)
    }
}

crate::serial::serde_via_wire!(impl[T] VarOpt<T>, VarOptWire<T>;
    ser: [T: serde::Serialize + Clone];
    de: [T: serde::Deserialize<'de> + Clone]);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    // Proves: k and weights are validated with errors naming the limit,
    // and a refused weight leaves the sample unchanged.
    #[test]
    fn errors() {
        let rng = || ChaCha8Rng::seed_from_u64(0);
        assert_eq!(
            VarOpt::<u8>::new(0, rng()).unwrap_err(),
            VarOptError::InvalidK(0)
        );
        let mut v = VarOpt::new(2, rng()).unwrap();
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                v.add(1u8, bad),
                Err(VarOptError::InvalidWeight(_))
            ));
        }
        assert_eq!((v.n(), v.len()), (0, 0));
        let other = VarOpt::new(3, rng()).unwrap();
        assert_eq!(
            v.merge(&other),
            Err(VarOptError::CapacityMismatch { ours: 2, theirs: 3 })
        );
        assert!(VarOptError::InvalidK(0).to_string().contains("1..="));
    }
}
