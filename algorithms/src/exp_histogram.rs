//! Exponential histogram: the sum of the last `N` values of a stream of
//! non-negative integers, with relative error at most `1/r`, in
//! `O(r log(N R))` buckets (the sums counterpart of [`crate::dgim`]).
//!
//! # Guarantees
//!
//! `T` = true sum of the values among the last `N` items, `R` = largest
//! value, `r >= 1`.
//!
//! | quantity | value |
//! | --- | --- |
//! | space | `m` buckets of (timestamp, size), `m < 2 max(16, B)` with `B = 2 log(1 + T_c) / log(1 + 2/r) + 2`, `T_c <= N R` the sum held at the last compaction: `O(r log(N R))` |
//! | update time | `O(1)` amortised: a compaction pass costs `O(m)` and runs only when `m` has doubled since the last one (the paper's level structure gets the same bound) |
//! | query time | `O(1)` (running total) |
//! | error bound | `|estimate - T| <= T / r`; [`ExpHistogram::bounds`] gives `lo <= T <= hi` with `hi - lo < 2T/r + 1` |
//! | failure probability | 0 (deterministic) |
//!
//! # Pseudocode
//!
//! ```text
//! buckets newest first: (ts = time of its newest item, C = sum of its items)
//! add(v): t += 1; drop the oldest bucket if its ts <= t - N
//!         if v > 0: push (t, v) in front
//!         if m < 2 max(16, m after the last compaction): return
//!         S = 0                                              # compaction pass
//!         for adjacent buckets (j, j+1), newest to oldest:
//!             while C_j + C_{j+1} <= (2/r) (1 + S): merge j+1 into j (keep j's ts)
//!             S += C_j
//! estimate: if the oldest bucket holds one item: total (exact)
//!           else: total - C_oldest / 2
//! ```
//!
//! # Proof sketch
//!
//! Invariant: every bucket `j` that holds two or more items has `C_j <=
//! (2/r)(1 + S_j)`, where `S_j` is the sum of the newer buckets. A merge
//! creates such a bucket only under that condition; a new item only raises
//! every `S_j`; merging `j` and `j + 1` leaves `S` of older buckets unchanged;
//! expiry removes the oldest bucket. At a query, the oldest bucket's newest
//! item is in the window (else it would have been dropped), so `T` lies in
//! `[S + 1, S + C]` for the oldest bucket's `S`, `C` when it holds several
//! items (all items are `>= 1`), and `T = S + C` when it holds one. The
//! estimate `S + C/2` is off by at most `C/2 <= (1 + S)/r <= T/r`.
//!
//! Space: after a pass no adjacent pair is mergeable (a merge at `j` makes
//! the earlier pair `(j - 1, j)` only less mergeable, and the pass retries
//! `j` until it stops), so for each pair `C_j + C_{j+1} > (2/r)(1 + S_j)`,
//! i.e. `1 + S_{j+2} > (1 + 2/r)(1 + S_j)`: the sums grow geometrically
//! every two buckets, which bounds `m` right after the pass by `B`.
//! Between passes at most `m` buckets are added before the next pass, so
//! `m < 2 max(16, B)`, and each pass's `O(m)` work is paid by the `m/2` or
//! more insertions since the previous one. Skipping merges never hurts
//! accuracy: the error argument needs the invariant only for merged
//! buckets.
//!
//! # Citation
//!
//! M. Datar, A. Gionis, P. Indyk and R. Motwani, "Maintaining stream
//! statistics over sliding windows", SIAM Journal on Computing 31(6), 2002,
//! section 5 (sums of bounded integers; the merge condition above is their
//! invariant with `k = r`).

use std::collections::VecDeque;
use std::fmt;

/// Why an [`ExpHistogram`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpHistogramError {
    /// The window must hold at least one item.
    ZeroWindow,
    /// `r` must be at least 1.
    RTooSmall,
}

impl fmt::Display for ExpHistogramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroWindow => write!(f, "window must be at least 1 item"),
            Self::RTooSmall => write!(f, "r must be at least 1"),
        }
    }
}

impl std::error::Error for ExpHistogramError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    /// Time (1-based) of the bucket's newest item.
    ts: u64,
    /// Sum of the bucket's items.
    size: u64,
    /// Whether the bucket holds more than one item.
    merged: bool,
}

/// Sliding-window sum with relative error at most `1/r`. Equality compares
/// the window's state (parameters, time, buckets), not the compaction
/// bookkeeping.
#[derive(Debug, Clone)]
pub struct ExpHistogram {
    window: u64,
    r: u64,
    time: u64,
    /// Newest first.
    buckets: VecDeque<Bucket>,
    /// Sum of all bucket sizes (saturating).
    total: u64,
    /// Buckets right after the last compaction pass.
    pass_len: usize,
    /// The sum held at the last compaction pass, `T_c`.
    pass_total: u64,
}

impl PartialEq for ExpHistogram {
    fn eq(&self, other: &Self) -> bool {
        (self.window, self.r, self.time, &self.buckets, self.total)
            == (
                other.window,
                other.r,
                other.time,
                &other.buckets,
                other.total,
            )
    }
}

impl Eq for ExpHistogram {}

impl ExpHistogram {
    /// A histogram over the last `window` items with relative error `<= 1/r`.
    ///
    /// # Errors
    ///
    /// [`ExpHistogramError::ZeroWindow`] if `window == 0`;
    /// [`ExpHistogramError::RTooSmall`] if `r == 0`.
    pub fn new(window: u64, r: u64) -> Result<Self, ExpHistogramError> {
        if window == 0 {
            return Err(ExpHistogramError::ZeroWindow);
        }
        if r == 0 {
            return Err(ExpHistogramError::RTooSmall);
        }
        Ok(Self {
            window,
            r,
            time: 0,
            buckets: VecDeque::new(),
            total: 0,
            pass_len: 0,
            pass_total: 0,
        })
    }

    /// Append one value (0 is allowed and only advances time).
    pub fn add(&mut self, value: u64) {
        self.time += 1;
        while let Some(b) = self.buckets.back() {
            if b.ts.saturating_add(self.window) <= self.time {
                self.total -= b.size;
                self.buckets.pop_back();
            } else {
                break;
            }
        }
        if value == 0 {
            return;
        }
        self.buckets.push_front(Bucket {
            ts: self.time,
            size: value,
            merged: false,
        });
        self.total = self.total.saturating_add(value);
        if self.buckets.len() >= 2 * self.pass_len.max(16) {
            self.compact();
            self.pass_len = self.buckets.len();
            self.pass_total = self.total;
        }
    }

    /// `B = 2 log(1 + total) / log(1 + 2/r) + 2` for a sum `total`.
    fn space_bound(&self, total: u64) -> f64 {
        2.0 * (1.0 + total as f64).ln() / (2.0 / self.r as f64).ln_1p() + 2.0
    }

    /// One pass merging adjacent buckets while `r (C_j + C_{j+1}) <= 2 (1 + S_j)`.
    fn compact(&mut self) {
        let r = u128::from(self.r);
        let mut newer: u128 = 0; // S_j
        let mut j = 0;
        while j + 1 < self.buckets.len() {
            loop {
                if j + 1 >= self.buckets.len() {
                    break;
                }
                let pair = u128::from(self.buckets[j].size) + u128::from(self.buckets[j + 1].size);
                if r * pair > 2 * (1 + newer) {
                    break;
                }
                let older = self.buckets.remove(j + 1).expect("j + 1 < len");
                let b = &mut self.buckets[j];
                b.size += older.size;
                b.merged = true;
            }
            newer += u128::from(self.buckets[j].size);
            j += 1;
        }
    }

    /// Estimated sum of the last `window` values: within `T / r` of the
    /// true sum `T`.
    #[must_use]
    pub fn estimate(&self) -> u64 {
        match self.buckets.back() {
            Some(b) if b.merged => self.total - b.size / 2,
            _ => self.total,
        }
    }

    /// `(lo, hi)` with `lo <= T <= hi`: the oldest bucket contributes
    /// between 1 and all of its sum (exactly all of it if it holds one item).
    #[must_use]
    pub fn bounds(&self) -> (u64, u64) {
        match self.buckets.back() {
            Some(b) if b.merged => (self.total - b.size + 1, self.total),
            _ => (self.total, self.total),
        }
    }

    /// Number of buckets `m`.
    #[must_use]
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// The space bound `2 max(16, B)` on [`ExpHistogram::buckets`], with
    /// `B = 2 log(1 + T_c) / log(1 + 2/r) + 2` for the sum `T_c` held at
    /// the last compaction pass (module doc).
    #[must_use]
    pub fn bucket_bound(&self) -> f64 {
        2.0 * self.space_bound(self.pass_total).max(16.0)
    }

    /// Buckets right after the last compaction pass, and the bound `B`
    /// they obey (for tests: the first must not exceed the second).
    #[must_use]
    pub fn last_pass(&self) -> (usize, f64) {
        (self.pass_len, self.space_bound(self.pass_total))
    }

    /// Window length `N`.
    #[must_use]
    pub fn window(&self) -> u64 {
        self.window
    }

    /// Items seen.
    #[must_use]
    pub fn time(&self) -> u64 {
        self.time
    }
}

/// Version-1 serialized form (see [`crate::serial`]).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpHistogramWire {
    version: u32,
    window: u64,
    r: u64,
    time: u64,
    /// `(timestamp, size, holds several items)`, newest first.
    buckets: Vec<(u64, u64, bool)>,
    /// Buckets right after the last compaction pass, and the sum then.
    pass_len: usize,
    pass_total: u64,
}

impl From<&ExpHistogram> for ExpHistogramWire {
    fn from(e: &ExpHistogram) -> Self {
        Self {
            version: crate::serial::FORMAT_VERSION,
            window: e.window,
            r: e.r,
            time: e.time,
            buckets: e.buckets.iter().map(|b| (b.ts, b.size, b.merged)).collect(),
            pass_len: e.pass_len,
            pass_total: e.pass_total,
        }
    }
}

impl TryFrom<ExpHistogramWire> for ExpHistogram {
    type Error = String;
    fn try_from(w: ExpHistogramWire) -> Result<Self, String> {
        crate::serial::check_version("ExpHistogram", w.version)?;
        let mut e = Self::new(w.window, w.r).map_err(|e| e.to_string())?;
        e.time = w.time;
        let mut prev_ts = u64::MAX;
        let mut newer: u128 = 0;
        for &(ts, size, merged) in &w.buckets {
            if ts == 0 || ts > w.time || ts.saturating_add(w.window) <= w.time || ts >= prev_ts {
                return Err(format!(
                    "ExpHistogram: bucket timestamp {ts} out of order or outside the window at time {}",
                    w.time
                ));
            }
            if size == 0 || (merged && u128::from(w.r) * u128::from(size) > 2 * (1 + newer)) {
                return Err(format!(
                    "ExpHistogram: bucket size {size} breaks the invariant"
                ));
            }
            newer += u128::from(size);
            prev_ts = ts;
        }
        if newer > u128::from(u64::MAX) {
            return Err("ExpHistogram: bucket sizes overflow".to_string());
        }
        e.total = newer as u64;
        if w.pass_len as f64 > e.space_bound(w.pass_total) {
            return Err(format!(
                "ExpHistogram: {} buckets after the last pass exceed its bound",
                w.pass_len
            ));
        }
        e.pass_len = w.pass_len;
        e.pass_total = w.pass_total;
        e.buckets = w
            .buckets
            .into_iter()
            .map(|(ts, size, merged)| Bucket { ts, size, merged })
            .collect();
        Ok(e)
    }
}

crate::serial::serde_via_wire!(impl[] ExpHistogram, ExpHistogramWire; ser: []; de: []);

#[cfg(test)]
mod tests {
    use super::*;

    // Proves: parameters are validated; zeros only advance time; a single
    // item is exact until it leaves the window.
    #[test]
    fn edges() {
        assert_eq!(ExpHistogram::new(0, 2), Err(ExpHistogramError::ZeroWindow));
        assert_eq!(ExpHistogram::new(3, 0), Err(ExpHistogramError::RTooSmall));
        let mut e = ExpHistogram::new(3, 2).unwrap();
        e.add(0);
        assert_eq!((e.estimate(), e.buckets()), (0, 0));
        e.add(1000);
        e.add(0);
        e.add(0);
        assert_eq!((e.estimate(), e.bounds()), (1000, (1000, 1000)));
        e.add(0);
        assert_eq!((e.estimate(), e.time()), (0, 5));
    }
}
