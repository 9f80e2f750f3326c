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
//! | update time | `O(1)` expected (one hash-map look-up, then Stream-Summary moves one counter to the next bucket); `O(1)` worst case for the bucket moves |
//! | query time | [`SpaceSaving::min_count`] `O(1)`; [`SpaceSaving::top`], [`SpaceSaving::heavy_hitters`], [`SpaceSaving::counters`] `O(k log k)` |
//! | error bound | monitored `x`: `count - error <= f(x) <= count`, `error <= min <= floor(n/k)`; unmonitored `x`: `f(x) <= min` |
//! | completeness | every `x` with `f(x) > min` (in particular `f(x) > n/k`) is monitored |
//! | invariant | sum of counts `= n` (after merges: sum of counts `+ (k - len) floor <= n`) |
//! | merge | [`SpaceSaving::merge`] (Agarwal et al. 2012): the merge of summaries of streams totalling `n`, each with `k` counters, has every bound above with that `n` |
//! | failure probability | 0 (deterministic) |
//!
//! # Pseudocode
//!
//! ```text
//! add(x):
//!   if x monitored: count[x] += 1
//!   elif fewer than k monitored: count[x] = 1; error[x] = 0
//!   else: y = item with the smallest count m
//!         replace y by x with count[x] = m + 1, error[x] = m
//! ```
//!
//! ## Stream-Summary (Metwally et al., section 3.2)
//!
//! Counters with equal counts share a *bucket*; buckets form a list in
//! increasing count order, and each bucket holds its counters in a list.
//! Incrementing a counter of count `c` moves it to the next bucket if that
//! bucket's count is `c + 1`, else into a new bucket inserted after its own
//! (or, if it is alone in its bucket, just raises the bucket's count); an
//! emptied bucket is unlinked. Every step touches `O(1)` links. The minimum
//! is the head of the first bucket. Here buckets and counters live in two
//! index-linked arrays (no `unsafe`, no per-update allocation once the
//! arrays are full).
//!
//! Determinism: a counter joins its bucket at the tail, and the victim is
//! the head of the minimum bucket (the counter that has had the minimum
//! count longest), so the victim, and every answer, depends only on the
//! input sequence. The item index is a hash map with the crate's fixed
//! portable hash, and no output iterates it: [`SpaceSaving::top`] and
//! [`SpaceSaving::heavy_hitters`] sort by count descending, then item
//! ascending; [`SpaceSaving::counters`] is a sorted map.
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
//! ## Merge (Agarwal et al. 2012, section 2)
//!
//! Space-Saving with `k` counters is isomorphic to Misra-Gries with `k - 1`
//! counters: with `m` = the minimum count (the "floor" of the empty slots
//! when not full), `g(x) = count(x) - m` are Misra-Gries counters with
//! `D = m` decrements, `f - D <= g <= f`, and `sum g + k D <= n`. Merging:
//!
//! ```text
//! G(x) = g1(x) + g2(x) over both summaries; D = m1 + m2
//! if more than k - 1 of the G are positive:
//!     t = k-th largest G;  G(x) -= t for all x;  D += t;  keep G > 0  (now <= k - 1)
//! result: count(x) = G(x) + D, error(x) = D, floor = D
//! ```
//!
//! Subtracting `t` removes `t` from each of the `k` largest counters, so
//! `sum G + k D <= n1 + n2` still holds, hence `D <= n/k`; each item loses at
//! most `D` in total, so `f - D <= G <= f`: the result's `count - error <=
//! f <= count`, and an unmonitored item has `f <= D = floor`. The result
//! behaves as a Space-Saving summary whose `k - len` empty slots hold the
//! count `floor`: a new item takes an empty slot with count `floor + 1` and
//! error `floor`, and every add raises `sum of counts + (k - len) floor` by
//! exactly 1, so the bounds above keep holding (`k min <= n`).
//!
//! # Citation
//!
//! A. Metwally, D. Agrawal and A. El Abbadi, "Efficient computation of
//! frequent and top-k elements in data streams", ICDT 2005. P. K. Agarwal,
//! G. Cormode, Z. Huang, J. M. Phillips, Z. Wei and K. Yi, "Mergeable
//! summaries", PODS 2012 (ACM TODS 38(4), 2013), section 2 (merge).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hash};

use crate::hash::PortableHasher;

/// Count and maximum over-estimation of one monitored item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// Upper bound on the item's frequency.
    pub count: u64,
    /// Maximum over-estimation: `count - error <= f <= count`.
    pub error: u64,
}

/// "No link" in the index-linked lists.
const NIL: u32 = u32::MAX;

/// One monitored item: its error, its bucket and its neighbours in the
/// bucket's list.
#[derive(Debug, Clone)]
struct Slot<T> {
    item: T,
    error: u64,
    bucket: u32,
    prev: u32,
    next: u32,
}

/// All counters with one count value, and the neighbouring buckets.
#[derive(Debug, Clone)]
struct Bucket {
    count: u64,
    head: u32,
    tail: u32,
    prev: u32,
    next: u32,
}

/// Space-Saving summary with `k >= 1` counters in a Stream-Summary. Items
/// need `Ord + Hash + Clone` (`Ord` only for the order of outputs).
#[derive(Debug, Clone)]
pub struct SpaceSaving<T> {
    k: usize,
    index: HashMap<T, u32, BuildHasherDefault<PortableHasher>>,
    slots: Vec<Slot<T>>,
    buckets: Vec<Bucket>,
    /// Unused bucket indices.
    free: Vec<u32>,
    /// Bucket with the smallest count (`NIL` when empty).
    first: u32,
    n: u64,
    /// Count of the empty slots: 0, or `D` after a merge (every
    /// unmonitored item has `f <= floor` while there are empty slots).
    floor: u64,
}

/// Why two Space-Saving summaries could not be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityMismatch {
    /// This summary's `k`.
    pub ours: usize,
    /// The other summary's `k`.
    pub theirs: usize,
}

impl std::fmt::Display for CapacityMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot merge Space-Saving summaries with k = {} and k = {}",
            self.ours, self.theirs
        )
    }
}

impl std::error::Error for CapacityMismatch {}

/// Largest capacity: slot and bucket indices are `u32` with `u32::MAX`
/// reserved as "no link".
pub const MAX_CAPACITY: usize = (u32::MAX - 1) as usize;

impl<T: Ord + Hash + Clone> SpaceSaving<T> {
    /// An empty summary with `k` counters.
    ///
    /// # Panics
    ///
    /// If `k == 0` (there would be nowhere to count) or `k >`
    /// [`MAX_CAPACITY`].
    #[must_use]
    pub fn new(k: usize) -> Self {
        assert!(k >= 1, "Space-Saving needs k >= 1 counters");
        assert!(
            k <= MAX_CAPACITY,
            "Space-Saving capacity {k} > {MAX_CAPACITY}"
        );
        Self {
            k,
            index: HashMap::default(),
            slots: Vec::new(),
            buckets: Vec::new(),
            free: Vec::new(),
            first: NIL,
            n: 0,
            floor: 0,
        }
    }

    /// Process one occurrence of `item`.
    pub fn add(&mut self, item: T) {
        self.n += 1;
        if let Some(&s) = self.index.get(&item) {
            self.increment(s);
            return;
        }
        if self.slots.len() < self.k {
            // An empty slot holds `floor`: the new counter is floor + 1 with
            // error floor, at the front (every count is >= floor + 1).
            let s = self.slots.len() as u32;
            self.slots.push(Slot {
                item: item.clone(),
                error: self.floor,
                bucket: NIL,
                prev: NIL,
                next: NIL,
            });
            self.index.insert(item, s);
            let c = self.floor + 1;
            let b = if self.first != NIL && self.buckets[self.first as usize].count == c {
                self.first
            } else {
                let old_first = self.first;
                let b = self.new_bucket(c, NIL, old_first);
                self.first = b;
                b
            };
            self.push_tail(b, s);
            return;
        }
        // Replace the head of the minimum bucket.
        let b = self.first;
        let s = self.buckets[b as usize].head;
        let m = self.buckets[b as usize].count;
        let slot = &mut self.slots[s as usize];
        let old = std::mem::replace(&mut slot.item, item.clone());
        slot.error = m;
        self.index.remove(&old);
        self.index.insert(item, s);
        self.increment(s);
    }

    /// Move slot `s` from its bucket (count `c`) to one with count `c + 1`.
    fn increment(&mut self, s: u32) {
        let b = self.slots[s as usize].bucket;
        let Bucket {
            count,
            head,
            tail,
            next,
            ..
        } = self.buckets[b as usize];
        let alone = head == s && tail == s;
        if next != NIL && self.buckets[next as usize].count == count + 1 {
            self.unlink_slot(s);
            self.push_tail(next, s);
            if alone {
                self.unlink_bucket(b);
            }
        } else if alone {
            // The next bucket (if any) has a count > c + 1: raise in place.
            self.buckets[b as usize].count = count + 1;
        } else {
            self.unlink_slot(s);
            let nb = self.new_bucket(count + 1, b, next);
            self.push_tail(nb, s);
        }
    }

    /// A bucket with `count`, linked between `prev` and `next`.
    fn new_bucket(&mut self, count: u64, prev: u32, next: u32) -> u32 {
        let bucket = Bucket {
            count,
            head: NIL,
            tail: NIL,
            prev,
            next,
        };
        let b = if let Some(b) = self.free.pop() {
            self.buckets[b as usize] = bucket;
            b
        } else {
            self.buckets.push(bucket);
            (self.buckets.len() - 1) as u32
        };
        if prev != NIL {
            self.buckets[prev as usize].next = b;
        }
        if next != NIL {
            self.buckets[next as usize].prev = b;
        }
        b
    }

    /// Unlink the (empty) bucket `b` and free it.
    fn unlink_bucket(&mut self, b: u32) {
        let Bucket { prev, next, .. } = self.buckets[b as usize];
        if prev == NIL {
            self.first = next;
        } else {
            self.buckets[prev as usize].next = next;
        }
        if next != NIL {
            self.buckets[next as usize].prev = prev;
        }
        self.free.push(b);
    }

    /// Remove slot `s` from its bucket's list (the bucket may become empty).
    fn unlink_slot(&mut self, s: u32) {
        let Slot {
            bucket, prev, next, ..
        } = self.slots[s as usize];
        if prev == NIL {
            self.buckets[bucket as usize].head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.buckets[bucket as usize].tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
    }

    /// Append slot `s` to bucket `b`'s list.
    fn push_tail(&mut self, b: u32, s: u32) {
        let tail = self.buckets[b as usize].tail;
        {
            let slot = &mut self.slots[s as usize];
            slot.bucket = b;
            slot.prev = tail;
            slot.next = NIL;
        }
        if tail == NIL {
            self.buckets[b as usize].head = s;
        } else {
            self.slots[tail as usize].next = s;
        }
        self.buckets[b as usize].tail = s;
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

    /// Number of monitored items (`<= k`).
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether nothing has been added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The counter of `item`, if it is monitored. `O(1)` expected.
    #[must_use]
    pub fn get(&self, item: &T) -> Option<Counter> {
        self.index.get(item).map(|&s| self.counter(s))
    }

    fn counter(&self, s: u32) -> Counter {
        let slot = &self.slots[s as usize];
        Counter {
            count: self.buckets[slot.bucket as usize].count,
            error: slot.error,
        }
    }

    /// The monitored items and their counters, as a map in item order
    /// (built on each call, `O(k log k)`).
    #[must_use]
    pub fn counters(&self) -> BTreeMap<T, Counter> {
        (0..self.slots.len() as u32)
            .map(|s| (self.slots[s as usize].item.clone(), self.counter(s)))
            .collect()
    }

    /// Smallest counter if all `k` are in use, else the empty slots' count
    /// (0 unless merged): an upper bound on the frequency of every
    /// unmonitored item, and `<= floor(n/k)`.
    #[must_use]
    pub fn min_count(&self) -> u64 {
        if self.slots.len() < self.k || self.first == NIL {
            self.floor
        } else {
            self.buckets[self.first as usize].count
        }
    }

    /// Merge `other` into `self` (Agarwal et al. 2012; see the module doc):
    /// afterwards `self` summarises both streams with every bound of a
    /// summary of their concatenation. The result keeps at most `k - 1`
    /// counters, each with error `D <= n/k`. Deterministic: ties are broken
    /// by item order. `O(k log k)`.
    ///
    /// # Errors
    ///
    /// [`CapacityMismatch`] unless both have the same `k`.
    pub fn merge(&mut self, other: &Self) -> Result<(), CapacityMismatch> {
        if self.k != other.k {
            return Err(CapacityMismatch {
                ours: self.k,
                theirs: other.k,
            });
        }
        let (m1, m2) = (self.min_count(), other.min_count());
        // Misra-Gries views g = count - m (positive ones), summed per item.
        let mut g: BTreeMap<T, u64> = BTreeMap::new();
        for (summary, m) in [(&*self, m1), (other, m2)] {
            for slot in &summary.slots {
                let c = summary.buckets[slot.bucket as usize].count;
                if c > m {
                    *g.entry(slot.item.clone()).or_insert(0) += c - m;
                }
            }
        }
        let mut d = m1 + m2;
        let mut entries: Vec<(T, u64)> = g.into_iter().collect();
        if entries.len() >= self.k {
            let mut values: Vec<u64> = entries.iter().map(|e| e.1).collect();
            values.sort_unstable_by(|a, b| b.cmp(a));
            let t = values[self.k - 1];
            d += t;
            entries.retain_mut(|e| {
                e.1 = e.1.saturating_sub(t);
                e.1 > 0
            });
        }
        // Rebuild the Stream-Summary in (count, item) order.
        entries.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let n = self.n + other.n;
        let mut merged = Self::new(self.k);
        merged.n = n;
        merged.floor = d;
        for (item, gx) in entries {
            merged
                .push_in_order(item, gx + d, d)
                .expect("ascending, distinct, within capacity");
        }
        *self = merged;
        Ok(())
    }

    /// Append a counter during a rebuild: counts must come in ascending
    /// order, items distinct, at most `k` of them, `error < count`.
    fn push_in_order(&mut self, item: T, count: u64, error: u64) -> Result<(), String> {
        let last = if self.first == NIL {
            0
        } else {
            self.buckets[self.buckets.len() - 1].count
        };
        if self.slots.len() == self.k {
            return Err(format!("SpaceSaving: more than k = {} counters", self.k));
        }
        if count < last || count <= self.floor || error >= count || error < self.floor {
            return Err(format!(
                "SpaceSaving: counter ({count}, error {error}) out of order or invalid (floor {})",
                self.floor
            ));
        }
        let s = self.slots.len() as u32;
        if self.index.insert(item.clone(), s).is_some() {
            return Err("SpaceSaving: an item appears twice".to_string());
        }
        self.slots.push(Slot {
            item,
            error,
            bucket: NIL,
            prev: NIL,
            next: NIL,
        });
        // Buckets are created in ascending order, so the last one created
        // is the last in the list.
        let b = if self.first != NIL && count == last {
            (self.buckets.len() - 1) as u32
        } else {
            let prev = if self.first == NIL {
                NIL
            } else {
                (self.buckets.len() - 1) as u32
            };
            let b = self.new_bucket(count, prev, NIL);
            if prev == NIL {
                self.first = b;
            }
            b
        };
        self.push_tail(b, s);
        Ok(())
    }

    /// Upper bound on `f(item)`: its count, or [`SpaceSaving::min_count`].
    #[must_use]
    pub fn upper_bound(&self, item: &T) -> u64 {
        self.get(item).map_or_else(|| self.min_count(), |c| c.count)
    }

    /// Lower bound on `f(item)`: `count - error`, or 0.
    #[must_use]
    pub fn lower_bound(&self, item: &T) -> u64 {
        self.get(item).map_or(0, |c| c.count - c.error)
    }

    /// All counters sorted by count descending, then item ascending.
    fn sorted(&self) -> Vec<(T, Counter)> {
        let mut out: Vec<(T, Counter)> = (0..self.slots.len() as u32)
            .map(|s| (self.slots[s as usize].item.clone(), self.counter(s)))
            .collect();
        out.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Monitored items with `count > phi * n` (**strictly greater**, in
    /// `f64`), sorted by count descending then item ascending. Contains every
    /// item with `f > phi * n` when `phi * n >= min_count()` (always true
    /// for `phi >= 1/k`).
    #[must_use]
    pub fn heavy_hitters(&self, phi: f64) -> Vec<(T, Counter)> {
        let t = phi * self.n as f64;
        let mut out = self.sorted();
        out.retain(|(_, c)| c.count as f64 > t);
        out
    }

    /// The `m` largest counters (count descending, then item ascending).
    #[must_use]
    pub fn top(&self, m: usize) -> Vec<(T, Counter)> {
        let mut out = self.sorted();
        out.truncate(m);
        out
    }

    /// Check the Stream-Summary's links and counts (for tests): buckets in
    /// strictly increasing count order, each non-empty, every slot in the
    /// bucket it names, and the index pointing at the right slots.
    #[doc(hidden)]
    pub fn check_structure(&self) -> Result<(), String> {
        let mut seen = 0usize;
        let mut b = self.first;
        let mut prev_b = NIL;
        let mut last_count = 0u64;
        while b != NIL {
            let bucket = &self.buckets[b as usize];
            if bucket.prev != prev_b {
                return Err(format!("bucket {b}: prev link"));
            }
            if bucket.count <= last_count {
                return Err(format!("bucket {b}: count {} not increasing", bucket.count));
            }
            if bucket.head == NIL {
                return Err(format!("bucket {b} is empty"));
            }
            last_count = bucket.count;
            let mut s = bucket.head;
            let mut prev_s = NIL;
            while s != NIL {
                let slot = &self.slots[s as usize];
                if slot.bucket != b || slot.prev != prev_s {
                    return Err(format!("slot {s}: bucket or prev link"));
                }
                if self.index.get(&slot.item) != Some(&s) {
                    return Err(format!("slot {s}: index"));
                }
                seen += 1;
                prev_s = s;
                s = slot.next;
            }
            if bucket.tail != prev_s {
                return Err(format!("bucket {b}: tail link"));
            }
            prev_b = b;
            b = bucket.next;
        }
        if seen != self.slots.len() || self.index.len() != self.slots.len() {
            return Err(format!(
                "{seen} slots linked, {} stored, {} indexed",
                self.slots.len(),
                self.index.len()
            ));
        }
        Ok(())
    }
}

/// Version-1 serialized form (see [`crate::serial`]).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SpaceSavingWire<T> {
    version: u32,
    k: usize,
    n: u64,
    /// Count of the empty slots (0 unless merged).
    floor: u64,
    /// `(item, count, error)` in Stream-Summary order: buckets by count
    /// ascending, each in its list order (so the restored sketch picks the
    /// same victims).
    counters: Vec<(T, u64, u64)>,
}

impl<T: Ord + Hash + Clone> From<&SpaceSaving<T>> for SpaceSavingWire<T> {
    fn from(ss: &SpaceSaving<T>) -> Self {
        let mut counters = Vec::with_capacity(ss.slots.len());
        let mut b = ss.first;
        while b != NIL {
            let bucket = &ss.buckets[b as usize];
            let mut s = bucket.head;
            while s != NIL {
                let slot = &ss.slots[s as usize];
                counters.push((slot.item.clone(), bucket.count, slot.error));
                s = slot.next;
            }
            b = bucket.next;
        }
        Self {
            version: crate::serial::FORMAT_VERSION,
            k: ss.k,
            n: ss.n,
            floor: ss.floor,
            counters,
        }
    }
}

impl<T: Ord + Hash + Clone> TryFrom<SpaceSavingWire<T>> for SpaceSaving<T> {
    type Error = String;
    fn try_from(w: SpaceSavingWire<T>) -> Result<Self, String> {
        crate::serial::check_version("SpaceSaving", w.version)?;
        if w.k == 0 || w.k > MAX_CAPACITY {
            return Err(format!(
                "SpaceSaving: k = {} not in 1..={MAX_CAPACITY}",
                w.k
            ));
        }
        if w.counters.len() > w.k {
            return Err(format!(
                "SpaceSaving: {} counters > k = {}",
                w.counters.len(),
                w.k
            ));
        }
        // sum of counts + (k - len) floor = n, or <= n after a merge.
        let sum: u128 = w.counters.iter().map(|c| u128::from(c.1)).sum::<u128>()
            + (w.k - w.counters.len()) as u128 * u128::from(w.floor);
        if sum > u128::from(w.n) || (w.floor == 0 && sum != u128::from(w.n)) {
            return Err(format!(
                "SpaceSaving: counts and floor account for {sum}, not n = {}",
                w.n
            ));
        }
        let mut ss = Self::new(w.k);
        ss.n = w.n;
        ss.floor = w.floor;
        for (item, count, error) in w.counters {
            ss.push_in_order(item, count, error)?;
        }
        Ok(ss)
    }
}

crate::serial::serde_via_wire!(impl[T] SpaceSaving<T>, SpaceSavingWire<T>;
    ser: [T: serde::Serialize + Ord + Hash + Clone];
    de: [T: serde::Deserialize<'de> + Ord + Hash + Clone]);
