//! DGIM: count the 1s among the last `N` bits of a bit stream with relative
//! error at most `1/r`, using `O(r log N)` buckets.
//!
//! # Guarantees
//!
//! `C` = true number of 1s among the last `N` bits; `r >= 2`.
//!
//! | quantity | value |
//! | --- | --- |
//! | space | at most `r` buckets of each size `1, 2, 4, ...`: `O(r log N)` buckets of (timestamp, log2 size) |
//! | update time | `O(r log N)` worst case (merge cascade), `O(1)` amortised |
//! | query time | `O(1)` (running total) |
//! | error bound | `|estimate - C| <= C / r` (and exact when `C = 0` or the oldest bucket has size 1) |
//! | failure probability | 0 (deterministic) |
//!
//! Timestamps are kept as absolute `u64` positions for simplicity; the paper
//! stores them modulo `N` to get `O(log N)` bits each.
//!
//! # Pseudocode
//!
//! ```text
//! add(bit): t += 1
//!   drop the oldest bucket if its timestamp <= t - N
//!   if bit == 1:
//!     new bucket (timestamp t, size 1)
//!     for size s = 1, 2, 4, ...: if more than r buckets have size s,
//!       merge the two oldest of them into one of size 2s (keeping the newer timestamp)
//! estimate = (sum of all bucket sizes) - (size of oldest bucket) / 2   (oldest of size 1 counted fully)
//! ```
//!
//! # Proof sketch
//!
//! Let the oldest bucket have size `2^j`. Its most recent 1 is inside the
//! window but some of its other 1s may not be, so `C` lies in
//! `[S + 1, S + 2^j]` where `S` is the total of the newer buckets, and the
//! estimate `S + 2^(j-1)` is off by at most `2^(j-1)` (0 if `j = 0`). A size
//! class stops growing only by merging its two oldest buckets when it
//! reaches `r + 1`, leaving `r - 1`; so once a larger size exists, every
//! smaller size has at least `r - 1` buckets and
//! `S >= (r-1)(1 + 2 + ... + 2^(j-1)) = (r-1)(2^j - 1)`. Hence the relative
//! error is at most `2^(j-1) / ((r-1)(2^j - 1) + 1)`, which is largest at
//! `j = 1`, where it equals `1/r`. (For `r = 2`, the classic DGIM with at most
//! two buckets per size, this is the familiar 50 %.)
//!
//! # Citation
//!
//! M. Datar, A. Gionis, P. Indyk and R. Motwani, "Maintaining stream
//! statistics over sliding windows", SIAM Journal on Computing 31(6), 2002.

use std::collections::VecDeque;
use std::fmt;

/// Why a [`Dgim`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DgimError {
    /// The window must hold at least one bit.
    ZeroWindow,
    /// `r` must be at least 2.
    RTooSmall(usize),
}

impl fmt::Display for DgimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroWindow => write!(f, "window must be at least 1 bit"),
            Self::RTooSmall(r) => write!(f, "r = {r}, but r must be at least 2"),
        }
    }
}

impl std::error::Error for DgimError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    /// Position (1-based) of the bucket's most recent 1.
    ts: u64,
    /// log2 of the number of 1s in the bucket.
    log_size: u32,
}

/// DGIM sliding-window counter of 1s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dgim {
    window: u64,
    r: usize,
    time: u64,
    /// Newest bucket first; sizes are non-decreasing towards the back.
    buckets: VecDeque<Bucket>,
    /// Sum of all bucket sizes.
    total: u64,
}

impl Dgim {
    /// A counter over the last `window` bits with relative error `<= 1/r`.
    ///
    /// # Errors
    ///
    /// [`DgimError::ZeroWindow`] if `window == 0`; [`DgimError::RTooSmall`]
    /// if `r < 2`.
    pub fn new(window: u64, r: usize) -> Result<Self, DgimError> {
        if window == 0 {
            return Err(DgimError::ZeroWindow);
        }
        if r < 2 {
            return Err(DgimError::RTooSmall(r));
        }
        Ok(Self {
            window,
            r,
            time: 0,
            buckets: VecDeque::new(),
            total: 0,
        })
    }

    /// Append one bit.
    pub fn add(&mut self, bit: bool) {
        self.time += 1;
        if let Some(b) = self.buckets.back() {
            if b.ts + self.window <= self.time {
                self.total -= 1 << b.log_size;
                self.buckets.pop_back();
            }
        }
        if !bit {
            return;
        }
        self.buckets.push_front(Bucket {
            ts: self.time,
            log_size: 0,
        });
        self.total += 1;
        let (mut start, mut log) = (0usize, 0u32);
        loop {
            let mut end = start;
            while end < self.buckets.len() && self.buckets[end].log_size == log {
                end += 1;
            }
            if end - start <= self.r {
                break;
            }
            // Merge the two oldest buckets of this size; keep the newer ts.
            self.buckets[end - 2].log_size = log + 1;
            self.buckets.remove(end - 1);
            start = end - 2;
            log += 1;
        }
    }

    /// Estimated number of 1s in the last `window` bits.
    #[must_use]
    pub fn estimate(&self) -> u64 {
        match self.buckets.back() {
            None => 0,
            Some(b) if b.log_size == 0 => self.total,
            Some(b) => self.total - (1 << (b.log_size - 1)),
        }
    }

    /// Guaranteed interval `[lo, hi]` containing the true count.
    #[must_use]
    pub fn bounds(&self) -> (u64, u64) {
        match self.buckets.back() {
            None => (0, 0),
            Some(b) => (self.total - (1 << b.log_size) + 1, self.total),
        }
    }

    /// Number of buckets currently stored.
    #[must_use]
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Bits seen so far.
    #[must_use]
    pub fn time(&self) -> u64 {
        self.time
    }

    /// Window length `N`.
    #[must_use]
    pub fn window(&self) -> u64 {
        self.window
    }

    /// The error parameter `r`.
    #[must_use]
    pub fn r(&self) -> usize {
        self.r
    }
}

/// Version-1 serialized form (see [`crate::serial`]).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DgimWire {
    version: u32,
    window: u64,
    r: usize,
    time: u64,
    /// `(timestamp, log2 size)`, newest first.
    buckets: Vec<(u64, u32)>,
}

impl From<&Dgim> for DgimWire {
    fn from(d: &Dgim) -> Self {
        Self {
            version: crate::serial::FORMAT_VERSION,
            window: d.window,
            r: d.r,
            time: d.time,
            buckets: d.buckets.iter().map(|b| (b.ts, b.log_size)).collect(),
        }
    }
}

impl TryFrom<DgimWire> for Dgim {
    type Error = String;
    fn try_from(w: DgimWire) -> Result<Self, String> {
        crate::serial::check_version("Dgim", w.version)?;
        let mut d = Self::new(w.window, w.r).map_err(|e| e.to_string())?;
        d.time = w.time;
        let mut prev: Option<(u64, u32)> = None;
        let mut run = 0usize;
        let mut total = 0u64;
        for &(ts, log_size) in &w.buckets {
            if ts > w.time || ts.saturating_add(w.window) <= w.time || ts == 0 {
                return Err(format!(
                    "Dgim: bucket timestamp {ts} outside the window at time {}",
                    w.time
                ));
            }
            if log_size > 62 {
                return Err(format!("Dgim: bucket log2 size {log_size} > 62"));
            }
            if let Some((pts, plog)) = prev {
                if ts >= pts || log_size < plog {
                    return Err(
                        "Dgim: buckets not newest first with non-decreasing sizes".to_string()
                    );
                }
                run = if log_size == plog { run + 1 } else { 1 };
            } else {
                run = 1;
            }
            if run > w.r {
                return Err(format!(
                    "Dgim: more than r = {} buckets of size 2^{log_size}",
                    w.r
                ));
            }
            total = total
                .checked_add(1 << log_size)
                .ok_or_else(|| "Dgim: bucket sizes overflow".to_string())?;
            prev = Some((ts, log_size));
        }
        d.buckets = w
            .buckets
            .into_iter()
            .map(|(ts, log_size)| Bucket { ts, log_size })
            .collect();
        d.total = total;
        Ok(d)
    }
}

crate::serial::serde_via_wire!(impl[] Dgim, DgimWire; ser: []; de: []);

#[cfg(test)]
mod tests {
    use super::*;

    // Proves: parameter validation.
    #[test]
    fn errors() {
        assert_eq!(Dgim::new(0, 2), Err(DgimError::ZeroWindow));
        assert_eq!(Dgim::new(10, 1), Err(DgimError::RTooSmall(1)));
    }

    // Proves: all-ones stream keeps at most r buckets per size and the
    // bucket sizes are non-decreasing from newest to oldest.
    #[test]
    fn bucket_shape() {
        let mut d = Dgim::new(1000, 3).unwrap();
        for _ in 0..5000 {
            d.add(true);
            let mut per_size = std::collections::BTreeMap::new();
            let mut prev = 0;
            for b in &d.buckets {
                assert!(b.log_size >= prev);
                prev = b.log_size;
                *per_size.entry(b.log_size).or_insert(0) += 1;
            }
            assert!(per_size.values().all(|&c| c <= 3));
        }
    }
}
