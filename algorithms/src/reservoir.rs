//! Reservoir sampling: a uniform (or weighted) sample of `k` items from a
//! stream of unknown length, in one pass and `O(k)` memory.
//!
//! Types:
//!
//! * [`ReservoirL`] — Algorithm L (Li 1994), **the default**: it draws the
//!   gap to the next accepted item from a geometric-like distribution, so it
//!   uses `O(k (1 + log(n/k)))` random numbers in total instead of `n`.
//! * [`ReservoirR`] — Algorithm R (Waterman, in Knuth vol. 2; analysed by
//!   Vitter 1985), the readable one-random-number-per-item reference.
//! * [`WeightedReservoir`] — A-ExpJ (Efraimidis & Spirakis 2006), weighted
//!   sampling without replacement with exponential jumps.
//! * [`merge`] — exact merge of two uniform reservoirs via a hypergeometric
//!   split.
//!
//! # Guarantees
//!
//! | algorithm | space | time per item | total random numbers | guarantee | failure probability |
//! | --- | --- | --- | --- | --- | --- |
//! | R | `k` items + `O(1)` | `O(1)` | `n - k` | sample is a uniform `k`-subset of the `n` items seen (all if `n < k`) | 0 (exact) |
//! | L | `k` items + `O(1)` | `O(1)`, `O(k(1+log(n/k)))` total with [`ReservoirL::extend_from_slice`] | `O(k(1 + log(n/k)))` expected | same as R | 0 (exact, up to `f64` rounding of the jump lengths) |
//! | A-ExpJ | `k` items + `k` keys | `O(1)` skipped, `O(log k)` accepted | `O(k log(n/k))` expected | sample has the law of `k` successive weighted draws without replacement | 0 (exact, up to `f64` rounding) |
//! | merge | `O(k)` | `O(k)` | `O(k)` | result is a uniform `k`-subset of the union of both streams | 0 (exact) |
//!
//! # Pseudocode
//!
//! ```text
//! Algorithm R                         Algorithm L
//! for each item x_i (i = 1, 2, ...):  fill R with x_1..x_k
//!   if i <= k: R[i] = x_i             W = exp(ln(U)/k)
//!   else: j = uniform{1..i}           next = k + floor(ln(U)/ln(1-W)) + 1
//!         if j <= k: R[j] = x_i       when i == next:
//!                                       R[uniform{1..k}] = x_i
//! A-ExpJ (keys kappa_i = U^(1/w_i))       W = W * exp(ln(U)/k)
//! fill R with the first k items         next += floor(ln(U)/ln(1-W)) + 1
//! T = min key in R; X = ln(U)/ln(T)
//! for each later item (x, w):
//!   X -= w
//!   if X <= 0: t = T^w; r = uniform(t, 1); key = r^(1/w)
//!              replace the min-key item by (x, key)
//!              T = min key in R; X = ln(U)/ln(T)
//! ```
//!
//! # Proof sketches
//!
//! * **R.** Induction on `i`: if before item `i` every `k`-subset of the
//!   first `i-1` items is equally likely, item `i` enters with probability
//!   `k/i` and evicts a uniformly chosen slot, so each old item stays with
//!   probability `(1 - k/i) + (k/i)(1 - 1/k) = (i-1)/i`, and the subset law is
//!   again uniform.
//! * **L.** Give every item an independent uniform key; the reservoir is the
//!   `k` items with the smallest keys. `W` is the largest key in the
//!   reservoir (the `k`-th smallest overall); the next item whose key is below
//!   `W` is a geometric number of steps away, with success probability `W`,
//!   which is what `floor(ln U / ln(1 - W)) + 1` samples. Its key is uniform
//!   on `(0, W)`, so the new maximum is `W * U^(1/k)` (the max of `k` uniforms
//!   on `(0, W)`), and the evicted item is uniform among the `k`.
//! * **A-ExpJ.** Efraimidis–Spirakis show that keeping the `k` largest keys
//!   `U_i^(1/w_i)` gives weighted sampling without replacement (A-Res). The
//!   jump skips items until the cumulative weight passes `ln U / ln T`, which
//!   is exactly the distribution of the weight consumed before some key
//!   exceeds the threshold `T`; the accepted item's key is then drawn
//!   conditionally on exceeding `T`.
//! * **merge.** A uniform `k`-subset of the union contains `X` items of the
//!   first stream with `X ~ Hypergeometric(N = n1 + n2, K = n1, draws = k)`;
//!   given `X`, the items from each stream are a uniform `X`-subset of that
//!   stream, and a uniform `X`-subset of a uniform `k`-subset of a stream is a
//!   uniform `X`-subset of the stream.
//!
//! # Citations
//!
//! * J. S. Vitter, "Random sampling with a reservoir", ACM Transactions on
//!   Mathematical Software 11(1), 1985 (Algorithm R, attributed to Waterman).
//! * K.-H. Li, "Reservoir-sampling algorithms of time complexity
//!   O(n(1+log(N/n)))", ACM Transactions on Mathematical Software 20(4), 1994
//!   (Algorithm L).
//! * P. S. Efraimidis and P. G. Spirakis, "Weighted random sampling with a
//!   reservoir", Information Processing Letters 97(5), 2006 (A-Res, A-ExpJ).
//!
//! Randomness comes only from the caller's [`ChaCha8Rng`] and only through its
//! raw `u64` stream, so a seed fixes every output bit for bit.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;

use rand_chacha::ChaCha8Rng;

use crate::rngutil::{open01, uniform_below};

/// Read access shared by the uniform reservoirs, used by [`merge`].
pub trait UniformReservoir<T> {
    /// Maximum sample size `k`.
    fn capacity(&self) -> usize;
    /// The current sample: `min(k, seen)` items, in slot order (the order
    /// carries no information about the stream order).
    fn sample(&self) -> &[T];
    /// Number of items offered so far, `n`.
    fn seen(&self) -> u64;
}

/// Algorithm R: a uniform `k`-subset of the stream; one random number per
/// item after the first `k`.
///
/// Shapes: holds `min(k, n)` items; `seen()` counts items offered.
/// Citation: Vitter 1985, ACM TOMS (Algorithm R).
#[derive(Debug, Clone)]
pub struct ReservoirR<T> {
    k: usize,
    rng: ChaCha8Rng,
    items: Vec<T>,
    seen: u64,
}

impl<T: Clone> ReservoirR<T> {
    /// An empty reservoir of capacity `k` (`k = 0` keeps nothing) that draws
    /// all its randomness from `rng`.
    #[must_use]
    pub fn new(k: usize, rng: ChaCha8Rng) -> Self {
        Self {
            k,
            rng,
            items: Vec::with_capacity(k),
            seen: 0,
        }
    }

    /// Offer one item: kept outright while fewer than `k` are held, otherwise
    /// it replaces a uniformly chosen slot with probability `k / n`.
    pub fn add(&mut self, item: T) {
        self.seen += 1;
        if self.items.len() < self.k {
            self.items.push(item);
            return;
        }
        if self.k == 0 {
            return;
        }
        let j = uniform_below(&mut self.rng, self.seen);
        if j < self.k as u64 {
            self.items[j as usize] = item;
        }
    }

    /// Offer every item of `items`, in order.
    pub fn extend_from_slice(&mut self, items: &[T]) {
        for x in items {
            self.add(x.clone());
        }
    }

    /// The current sample (`min(k, n)` items).
    #[must_use]
    pub fn sample(&self) -> &[T] {
        &self.items
    }

    /// Items offered so far.
    #[must_use]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Capacity `k`.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.k
    }

    /// Give back the random generator (for example to chain experiments).
    #[must_use]
    pub fn into_rng(self) -> ChaCha8Rng {
        self.rng
    }
}

impl<T: Clone> UniformReservoir<T> for ReservoirR<T> {
    fn capacity(&self) -> usize {
        self.k
    }
    fn sample(&self) -> &[T] {
        &self.items
    }
    fn seen(&self) -> u64 {
        self.seen
    }
}

/// Algorithm L: a uniform `k`-subset of the stream using geometric jumps;
/// the default uniform reservoir.
///
/// Shapes: holds `min(k, n)` items. `add` costs one comparison for a skipped
/// item; [`ReservoirL::extend_from_slice`] jumps over skipped items without
/// touching them. Citation: Li 1994, ACM TOMS 20(4) (Algorithm L).
#[derive(Debug, Clone)]
pub struct ReservoirL<T> {
    k: usize,
    rng: ChaCha8Rng,
    items: Vec<T>,
    seen: u64,
    /// Largest key currently in the reservoir (`W` in Li's paper).
    w: f64,
    /// 1-based index of the next item to accept.
    next: u64,
}

impl<T: Clone> ReservoirL<T> {
    /// An empty reservoir of capacity `k` (`k = 0` keeps nothing) that draws
    /// all its randomness from `rng`.
    #[must_use]
    pub fn new(k: usize, rng: ChaCha8Rng) -> Self {
        Self {
            k,
            rng,
            items: Vec::with_capacity(k),
            seen: 0,
            w: 1.0,
            next: u64::MAX,
        }
    }

    /// `floor(ln U / ln(1 - W))`: the number of items to skip.
    fn draw_skip(&mut self) -> u64 {
        let u = open01(&mut self.rng);
        let s = (u.ln() / (-self.w).ln_1p()).floor();
        if s.is_nan() || s < 0.0 {
            0
        } else if s >= 9.0e18 {
            u64::MAX / 2
        } else {
            s as u64
        }
    }

    fn shrink_w(&mut self) {
        let u = open01(&mut self.rng);
        self.w *= (u.ln() / self.k as f64).exp();
    }

    fn on_full(&mut self) {
        self.w = 1.0;
        self.shrink_w();
        self.next = self.seen.saturating_add(self.draw_skip()).saturating_add(1);
    }

    fn accept(&mut self, item: T) {
        let j = uniform_below(&mut self.rng, self.k as u64) as usize;
        self.items[j] = item;
        self.shrink_w();
        self.next = self.next.saturating_add(self.draw_skip()).saturating_add(1);
    }

    /// Offer one item.
    pub fn add(&mut self, item: T) {
        self.seen += 1;
        if self.items.len() < self.k {
            self.items.push(item);
            if self.items.len() == self.k {
                self.on_full();
            }
            return;
        }
        if self.seen == self.next {
            self.accept(item);
        }
    }

    /// Offer every item of `items`, in order, cloning only the accepted ones
    /// and jumping over the skipped ones in `O(1)`.
    pub fn extend_from_slice(&mut self, items: &[T]) {
        let mut rest = items;
        while self.items.len() < self.k {
            match rest.split_first() {
                Some((x, tail)) => {
                    self.add(x.clone());
                    rest = tail;
                }
                None => return,
            }
        }
        if self.k == 0 {
            self.seen += rest.len() as u64;
            return;
        }
        loop {
            // `next > seen` always holds here.
            let gap = self.next - self.seen - 1;
            if gap >= rest.len() as u64 {
                self.seen += rest.len() as u64;
                return;
            }
            let idx = gap as usize;
            self.seen += gap + 1;
            self.accept(rest[idx].clone());
            rest = &rest[idx + 1..];
        }
    }

    /// The current sample (`min(k, n)` items).
    #[must_use]
    pub fn sample(&self) -> &[T] {
        &self.items
    }

    /// Items offered so far.
    #[must_use]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Capacity `k`.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.k
    }

    /// Give back the random generator.
    #[must_use]
    pub fn into_rng(self) -> ChaCha8Rng {
        self.rng
    }
}

impl<T: Clone> UniformReservoir<T> for ReservoirL<T> {
    fn capacity(&self) -> usize {
        self.k
    }
    fn sample(&self) -> &[T] {
        &self.items
    }
    fn seen(&self) -> u64 {
        self.seen
    }
}

/// Why [`merge`] or [`WeightedReservoir::add`] refused its input.
#[derive(Debug, Clone, PartialEq)]
pub enum ReservoirError {
    /// The two reservoirs have different capacities `k`.
    CapacityMismatch {
        /// Capacity of the first reservoir.
        a: usize,
        /// Capacity of the second reservoir.
        b: usize,
    },
    /// A reservoir holds a number of items other than `min(k, seen)`.
    Inconsistent,
    /// A weight was not a finite number greater than zero.
    InvalidWeight(f64),
}

impl fmt::Display for ReservoirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CapacityMismatch { a, b } => {
                write!(f, "cannot merge reservoirs of capacity {a} and {b}")
            }
            Self::Inconsistent => write!(f, "reservoir holds other than min(k, seen) items"),
            Self::InvalidWeight(w) => write!(f, "weight {w} is not finite and positive"),
        }
    }
}

impl std::error::Error for ReservoirError {}

/// Number of "first" items in `draws` draws without replacement from
/// `good` first and `bad` second items: an exact Hypergeometric sample,
/// simulated draw by draw in `O(draws)`.
fn hypergeometric(rng: &mut ChaCha8Rng, draws: u64, good: u64, bad: u64) -> u64 {
    let (mut g, mut b, mut x) = (good, bad, 0);
    for _ in 0..draws {
        if uniform_below(rng, g + b) < g {
            x += 1;
            g -= 1;
        } else {
            b -= 1;
        }
    }
    x
}

/// `m` items chosen uniformly without replacement from `items`
/// (partial Fisher–Yates on a copy).
fn choose<T: Clone>(rng: &mut ChaCha8Rng, items: &[T], m: usize) -> Vec<T> {
    let mut v = items.to_vec();
    for i in 0..m {
        let j = i + uniform_below(rng, (v.len() - i) as u64) as usize;
        v.swap(i, j);
    }
    v.truncate(m);
    v
}

/// Exact merge of two uniform reservoirs of the same capacity `k` over
/// disjoint streams of `n1` and `n2` items.
///
/// Draws `X ~ Hypergeometric(population n1 + n2 with n1 "first", draws
/// min(k, n1 + n2))`, takes `X` items uniformly from `a`'s sample and the
/// rest uniformly from `b`'s. The result is a uniform `min(k, n1+n2)`-subset
/// of the union, returned as a [`ReservoirR`] with `seen = n1 + n2` that
/// keeps drawing from `rng` if more items are added (Algorithm R only needs
/// its current sample to be uniform, so it continues correctly).
///
/// # Errors
///
/// [`ReservoirError::CapacityMismatch`] if the capacities differ;
/// [`ReservoirError::Inconsistent`] if a sample does not hold exactly
/// `min(k, seen)` items.
pub fn merge<T, A, B>(a: &A, b: &B, mut rng: ChaCha8Rng) -> Result<ReservoirR<T>, ReservoirError>
where
    T: Clone,
    A: UniformReservoir<T> + ?Sized,
    B: UniformReservoir<T> + ?Sized,
{
    let k = a.capacity();
    if k != b.capacity() {
        return Err(ReservoirError::CapacityMismatch {
            a: k,
            b: b.capacity(),
        });
    }
    let (n1, n2) = (a.seen(), b.seen());
    let full = |n: u64| n.min(k as u64) as usize;
    if a.sample().len() != full(n1) || b.sample().len() != full(n2) {
        return Err(ReservoirError::Inconsistent);
    }
    let total = n1 + n2;
    let draws = full(total);
    let x = hypergeometric(&mut rng, draws as u64, n1, n2) as usize;
    let mut items = choose(&mut rng, a.sample(), x);
    items.extend(choose(&mut rng, b.sample(), draws - x));
    Ok(ReservoirR {
        k,
        rng,
        items,
        seen: total,
    })
}

/// Total order on `f64` keys (`total_cmp`), for the min-heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key(f64);
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A-ExpJ: weighted random sampling without replacement of `k` items, with
/// exponential jumps (Efraimidis & Spirakis 2006, IPL 97(5)).
///
/// Item `i` with weight `w_i > 0` gets key `U_i^(1/w_i)`; the reservoir holds
/// the `k` largest keys, which is distributed as `k` successive draws without
/// replacement, each proportional to weight. Keys are stored as logarithms
/// `ln(U)/w` to avoid underflow. Shapes: `min(k, n)` items.
#[derive(Debug, Clone)]
pub struct WeightedReservoir<T> {
    k: usize,
    rng: ChaCha8Rng,
    items: Vec<T>,
    /// Min-heap of (log key, slot).
    heap: BinaryHeap<Reverse<(Key, usize)>>,
    /// Weight still to be skipped before the next acceptance (`X_w`).
    x_w: f64,
    seen: u64,
    total_weight: f64,
}

impl<T: Clone> WeightedReservoir<T> {
    /// An empty weighted reservoir of capacity `k` (`k = 0` keeps nothing).
    #[must_use]
    pub fn new(k: usize, rng: ChaCha8Rng) -> Self {
        Self {
            k,
            rng,
            items: Vec::with_capacity(k),
            heap: BinaryHeap::with_capacity(k),
            x_w: f64::INFINITY,
            seen: 0,
            total_weight: 0.0,
        }
    }

    fn min_log_key(&self) -> f64 {
        self.heap
            .peek()
            .map_or(f64::NEG_INFINITY, |Reverse((k, _))| k.0)
    }

    fn draw_jump(&mut self) {
        // X_w = ln(U) / ln(T_w); both logs are negative.
        let lt = self.min_log_key();
        self.x_w = open01(&mut self.rng).ln() / lt;
    }

    /// Offer `item` with weight `weight` (finite, `> 0`).
    ///
    /// # Errors
    ///
    /// [`ReservoirError::InvalidWeight`] if `weight` is not finite and
    /// positive; the item is then not counted.
    #[inline]
    pub fn add(&mut self, item: T, weight: f64) -> Result<(), ReservoirError> {
        if !(weight > 0.0 && weight < f64::INFINITY) {
            return Err(ReservoirError::InvalidWeight(weight));
        }
        self.seen += 1;
        self.total_weight += weight;
        // Hot path (full reservoir, item skipped): one subtraction and one
        // comparison. With k = 0 the reservoir is "full" and x_w stays
        // infinite, so nothing is ever kept.
        if self.items.len() == self.k {
            self.x_w -= weight;
            if self.x_w <= 0.0 {
                self.replace_min(item, weight);
            }
            return Ok(());
        }
        self.fill(item, weight);
        Ok(())
    }

    /// Offer every `(item, weight)` of `items` in order: the same result,
    /// bit for bit, as calling [`WeightedReservoir::add`] on each, with the
    /// skip loop's state kept in registers (one subtraction, one addition
    /// and one comparison per skipped item).
    ///
    /// # Errors
    ///
    /// [`ReservoirError::InvalidWeight`] at the first weight that is not
    /// finite and positive; the items before it are counted, it and the
    /// rest are not.
    pub fn extend_weighted<I: IntoIterator<Item = (T, f64)>>(
        &mut self,
        items: I,
    ) -> Result<(), ReservoirError> {
        let mut it = items.into_iter();
        while self.items.len() < self.k {
            match it.next() {
                Some((x, w)) => self.add(x, w)?,
                None => return Ok(()),
            }
        }
        let (mut x_w, mut seen, mut total) = (self.x_w, self.seen, self.total_weight);
        let mut result = Ok(());
        for (item, weight) in it {
            if !(weight > 0.0 && weight < f64::INFINITY) {
                result = Err(ReservoirError::InvalidWeight(weight));
                break;
            }
            seen += 1;
            total += weight;
            x_w -= weight;
            if x_w <= 0.0 {
                self.x_w = x_w;
                self.replace_min(item, weight);
                x_w = self.x_w;
            }
        }
        self.x_w = x_w;
        self.seen = seen;
        self.total_weight = total;
        result
    }

    /// Keep `item` while fewer than `k` are held (key `ln(u)/w`).
    #[inline(never)]
    fn fill(&mut self, item: T, weight: f64) {
        let log_key = open01(&mut self.rng).ln() / weight;
        self.heap.push(Reverse((Key(log_key), self.items.len())));
        self.items.push(item);
        if self.items.len() == self.k {
            self.draw_jump();
        }
    }

    /// The jump ended on `item`: it replaces the minimum-key item with a key
    /// drawn conditioned on exceeding that minimum (Efraimidis-Spirakis).
    #[inline(never)]
    fn replace_min(&mut self, item: T, weight: f64) {
        let lt = self.min_log_key();
        let tw = (weight * lt).exp();
        let r2 = tw + open01(&mut self.rng) * (1.0 - tw);
        let log_key = r2.ln() / weight;
        let Reverse((_, slot)) = self.heap.pop().expect("full reservoir has k >= 1 keys");
        self.items[slot] = item;
        self.heap.push(Reverse((Key(log_key), slot)));
        self.draw_jump();
    }

    /// The current sample (`min(k, n)` items, slot order).
    #[must_use]
    pub fn sample(&self) -> &[T] {
        &self.items
    }

    /// Items offered so far (rejected invalid weights excluded).
    #[must_use]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Sum of the weights offered so far.
    #[must_use]
    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }

    /// Capacity `k`.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.k
    }
}

/// Version-1 serialized form of [`ReservoirR`] and [`ReservoirL`] (see
/// [`crate::serial`]); `w` and `next` are Algorithm L's state (absent for
/// Algorithm R).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UniformWire<T> {
    version: u32,
    k: usize,
    seen: u64,
    items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    w: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<u64>,
    rng: crate::serial::RngState,
}

/// Check `items.len() == min(k, seen)`.
fn check_fill(what: &str, k: usize, seen: u64, len: usize) -> Result<(), String> {
    if len as u64 == seen.min(k as u64) {
        Ok(())
    } else {
        Err(format!(
            "{what}: {len} items, but min(k = {k}, seen = {seen}) expected"
        ))
    }
}

impl<T: Clone> From<&ReservoirR<T>> for UniformWire<T> {
    fn from(r: &ReservoirR<T>) -> Self {
        Self {
            version: crate::serial::FORMAT_VERSION,
            k: r.k,
            seen: r.seen,
            items: r.items.clone(),
            w: None,
            next: None,
            rng: (&r.rng).into(),
        }
    }
}

impl<T: Clone> TryFrom<UniformWire<T>> for ReservoirR<T> {
    type Error = String;
    fn try_from(w: UniformWire<T>) -> Result<Self, String> {
        crate::serial::check_version("ReservoirR", w.version)?;
        if w.w.is_some() || w.next.is_some() {
            return Err("ReservoirR: has Algorithm L fields w/next".to_string());
        }
        check_fill("ReservoirR", w.k, w.seen, w.items.len())?;
        Ok(Self {
            k: w.k,
            rng: w.rng.restore()?,
            items: w.items,
            seen: w.seen,
        })
    }
}

impl<T: Clone> From<&ReservoirL<T>> for UniformWire<T> {
    fn from(r: &ReservoirL<T>) -> Self {
        Self {
            version: crate::serial::FORMAT_VERSION,
            k: r.k,
            seen: r.seen,
            items: r.items.clone(),
            w: Some(r.w),
            next: Some(r.next),
            rng: (&r.rng).into(),
        }
    }
}

impl<T: Clone> TryFrom<UniformWire<T>> for ReservoirL<T> {
    type Error = String;
    fn try_from(w: UniformWire<T>) -> Result<Self, String> {
        crate::serial::check_version("ReservoirL", w.version)?;
        check_fill("ReservoirL", w.k, w.seen, w.items.len())?;
        let (Some(wk), Some(next)) = (w.w, w.next) else {
            return Err("ReservoirL: fields w and next are required".to_string());
        };
        if !(wk > 0.0 && wk <= 1.0) {
            return Err(format!("ReservoirL: w = {wk} not in (0, 1]"));
        }
        if w.k > 0 && w.items.len() == w.k && next <= w.seen {
            return Err(format!("ReservoirL: next = {next} <= seen = {}", w.seen));
        }
        Ok(Self {
            k: w.k,
            rng: w.rng.restore()?,
            items: w.items,
            seen: w.seen,
            w: wk,
            next,
        })
    }
}

crate::serial::serde_via_wire!(impl[T] ReservoirR<T>, UniformWire<T>;
    ser: [T: serde::Serialize + Clone];
    de: [T: serde::Deserialize<'de> + Clone]);
crate::serial::serde_via_wire!(impl[T] ReservoirL<T>, UniformWire<T>;
    ser: [T: serde::Serialize + Clone];
    de: [T: serde::Deserialize<'de> + Clone]);

/// Version-1 serialized form of [`WeightedReservoir`] (see
/// [`crate::serial`]).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WeightedWire<T> {
    version: u32,
    k: usize,
    seen: u64,
    total_weight: f64,
    /// Remaining weight to jump over; `None` until the reservoir is full.
    x_w: Option<f64>,
    /// `(item, log key)` by slot.
    items: Vec<(T, f64)>,
    rng: crate::serial::RngState,
}

impl<T: Clone> From<&WeightedReservoir<T>> for WeightedWire<T> {
    fn from(r: &WeightedReservoir<T>) -> Self {
        let mut keys = vec![0.0; r.items.len()];
        for Reverse((key, slot)) in &r.heap {
            keys[*slot] = key.0;
        }
        Self {
            version: crate::serial::FORMAT_VERSION,
            k: r.k,
            seen: r.seen,
            total_weight: r.total_weight,
            x_w: r.x_w.is_finite().then_some(r.x_w),
            items: r.items.iter().cloned().zip(keys).collect(),
            rng: (&r.rng).into(),
        }
    }
}

impl<T: Clone> TryFrom<WeightedWire<T>> for WeightedReservoir<T> {
    type Error = String;
    fn try_from(w: WeightedWire<T>) -> Result<Self, String> {
        crate::serial::check_version("WeightedReservoir", w.version)?;
        check_fill("WeightedReservoir", w.k, w.seen, w.items.len())?;
        if w.total_weight.is_nan() || w.total_weight < 0.0 {
            return Err(format!(
                "WeightedReservoir: total weight {}",
                w.total_weight
            ));
        }
        if w.items.iter().any(|(_, key)| key.is_nan() || *key > 0.0) {
            return Err("WeightedReservoir: a log key is not <= 0".to_string());
        }
        let full = w.k > 0 && w.items.len() == w.k;
        let x_w = match w.x_w {
            Some(x) if full && x.is_finite() => x,
            None if !full => f64::INFINITY,
            _ => return Err("WeightedReservoir: x_w is given exactly when full".to_string()),
        };
        let heap = w
            .items
            .iter()
            .enumerate()
            .map(|(slot, (_, key))| Reverse((Key(*key), slot)))
            .collect();
        Ok(Self {
            k: w.k,
            rng: w.rng.restore()?,
            items: w.items.into_iter().map(|(x, _)| x).collect(),
            heap,
            x_w,
            seen: w.seen,
            total_weight: w.total_weight,
        })
    }
}

crate::serial::serde_via_wire!(impl[T] WeightedReservoir<T>, WeightedWire<T>;
    ser: [T: serde::Serialize + Clone];
    de: [T: serde::Deserialize<'de> + Clone]);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    // Proves: while n <= k every reservoir keeps every item, in order.
    #[test]
    fn keeps_everything_until_full() {
        let mut r = ReservoirR::new(5, ChaCha8Rng::seed_from_u64(1));
        let mut l = ReservoirL::new(5, ChaCha8Rng::seed_from_u64(1));
        for i in 0..5 {
            r.add(i);
            l.add(i);
        }
        assert_eq!(r.sample(), &[0, 1, 2, 3, 4]);
        assert_eq!(l.sample(), &[0, 1, 2, 3, 4]);
        assert_eq!((r.seen(), l.seen()), (5, 5));
    }

    // Proves: L's slice path and item path consume randomness identically,
    // so they give the same sample (exact equality).
    #[test]
    fn l_slice_path_matches_item_path() {
        let data: Vec<u32> = (0..10_000).collect();
        for seed in 0..20 {
            let mut a = ReservoirL::new(7, ChaCha8Rng::seed_from_u64(seed));
            let mut b = ReservoirL::new(7, ChaCha8Rng::seed_from_u64(seed));
            for &x in &data {
                a.add(x);
            }
            // Feed in uneven chunks to exercise the chunk boundaries.
            for chunk in data.chunks(333) {
                b.extend_from_slice(chunk);
            }
            assert_eq!(a.sample(), b.sample());
            assert_eq!(a.seen(), b.seen());
        }
    }

    // Proves: k = 0 is harmless; counts are still kept.
    #[test]
    fn zero_capacity() {
        let mut r = ReservoirR::new(0, ChaCha8Rng::seed_from_u64(1));
        let mut l = ReservoirL::new(0, ChaCha8Rng::seed_from_u64(1));
        let mut w = WeightedReservoir::new(0, ChaCha8Rng::seed_from_u64(1));
        for i in 0..10 {
            r.add(i);
            l.add(i);
            w.add(i, 1.0).unwrap();
        }
        l.extend_from_slice(&[1, 2, 3]);
        assert!(r.sample().is_empty() && l.sample().is_empty() && w.sample().is_empty());
        assert_eq!((r.seen(), l.seen(), w.seen()), (10, 13, 10));
    }

    // Proves: invalid weights are rejected and not counted.
    // Proves: extend_weighted gives bit for bit the state of item-by-item
    // add (sample, seen, total weight, and the next random draws), for
    // several seeds and capacities including 0, and stops at a bad weight.
    #[test]
    fn weighted_extend_equals_add() {
        let data: Vec<(u32, f64)> = (0..5000u32)
            .map(|i| (i, f64::from(i % 13 + 1) * 0.5))
            .collect();
        for k in [0usize, 1, 7, 100] {
            for seed in 0..5 {
                let mut a = WeightedReservoir::new(k, ChaCha8Rng::seed_from_u64(seed));
                let mut b = WeightedReservoir::new(k, ChaCha8Rng::seed_from_u64(seed));
                for &(x, w) in &data {
                    a.add(x, w).unwrap();
                }
                for chunk in data.chunks(777) {
                    b.extend_weighted(chunk.iter().copied()).unwrap();
                }
                assert_eq!(a.sample(), b.sample());
                assert_eq!((a.seen(), a.total_weight()), (b.seen(), b.total_weight()));
                a.add(1, 1e9).unwrap();
                b.add(1, 1e9).unwrap();
                assert_eq!(a.sample(), b.sample());
            }
        }
        let mut w = WeightedReservoir::new(2, ChaCha8Rng::seed_from_u64(1));
        let r = w.extend_weighted([(1, 1.0), (2, 1.0), (3, 2.0), (4, f64::NAN), (5, 1.0)]);
        assert!(matches!(r, Err(ReservoirError::InvalidWeight(_))));
        assert_eq!(w.seen(), 3);
    }

    #[test]
    fn weighted_rejects_bad_weights() {
        let mut w = WeightedReservoir::new(2, ChaCha8Rng::seed_from_u64(1));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                w.add(1, bad),
                Err(ReservoirError::InvalidWeight(_))
            ));
        }
        assert_eq!(w.seen(), 0);
    }

    // Proves: merge refuses mismatched capacities.
    #[test]
    fn merge_rejects_mismatch() {
        let a: ReservoirR<u8> = ReservoirR::new(2, ChaCha8Rng::seed_from_u64(1));
        let b: ReservoirR<u8> = ReservoirR::new(3, ChaCha8Rng::seed_from_u64(1));
        assert_eq!(
            merge(&a, &b, ChaCha8Rng::seed_from_u64(0)).unwrap_err(),
            ReservoirError::CapacityMismatch { a: 2, b: 3 }
        );
    }

    // Proves: merging small streams (n1 + n2 <= k) keeps all items.
    #[test]
    fn merge_small_keeps_all() {
        let mut a = ReservoirR::new(5, ChaCha8Rng::seed_from_u64(1));
        let mut b = ReservoirL::new(5, ChaCha8Rng::seed_from_u64(2));
        a.extend_from_slice(&[1, 2]);
        b.extend_from_slice(&[3, 4, 5]);
        let m = merge(&a, &b, ChaCha8Rng::seed_from_u64(3)).unwrap();
        let mut s = m.sample().to_vec();
        s.sort_unstable();
        assert_eq!(s, vec![1, 2, 3, 4, 5]);
        assert_eq!(m.seen(), 5);
    }
}
