//! Count-Min sketch: frequency estimates that never under-estimate and
//! over-estimate by at most `eps * n` with probability at least `1 - delta`.
//!
//! # Guarantees
//!
//! `n` = total count added, `f(x)` = true count of `x`,
//! `w = ceil(e / eps)` columns, `d = ceil(ln(1 / delta))` rows.
//!
//! | quantity | value |
//! | --- | --- |
//! | space | `w * d` `u64` counters + `d` hash keys |
//! | update time | `O(d)` |
//! | query time | `O(d)` |
//! | error bound | `f(x) <= estimate(x)` always; `estimate(x) <= f(x) + eps * n` |
//! | failure probability | `<= delta` per query (over the seed), plus `<= 2^-60`-ish for a 61-bit fingerprint collision |
//! | merge | add tables pointwise (same dimensions and seed); the bounds hold with `n = n1 + n2` |
//! | subtract | [`CountMin::subtract`]: `sketch(A + B) - sketch(A) = sketch(B)` exactly (the sketch is linear), so a sliding window keeps one sketch per pane, adds the pane entering and subtracts the pane leaving |
//! | conservative update | [`CountMin::conservative`]: same space and time, same bounds, estimates never larger than plain Count-Min's on the same input; mergeable but **not** subtractable |
//!
//! # Pseudocode
//!
//! ```text
//! setup: for each row j: a_j uniform in [1, p), b_j uniform in [0, p), p = 2^61 - 1
//! h_j(x) = floor(((a_j * fp(x) + b_j) mod p) * w / 2^61),  fp(x) = hash64(seed, x) mod p
//! add(x, c): for j in rows: T[j][h_j(x)] += c
//! estimate(x) = min over j of T[j][h_j(x)]
//! add_conservative(x, c): v = estimate(x) + c; for j in rows: T[j][h_j(x)] = max(T[j][h_j(x)], v)
//! subtract(S): for every cell: T[j][i] -= S.T[j][i]        (requires S.T <= T cellwise)
//! ```
//!
//! # Proof sketch
//!
//! Every cell of `x`'s row holds `f(x)` plus other items' counts, so the
//! minimum is `>= f(x)`. The family `(a y + b) mod p` is pairwise
//! independent on `[0, p)` (Carter & Wegman 1979), and `v -> floor(v w /
//! 2^61)` sends at most `ceil(2^61 / w)` of its values to each column, so
//! for `y != x` the collision probability is `<= ceil(2^61/w) / p`, i.e.
//! `1/w` up to a factor `1 + 2^-39` for `w <= 2^20` (about `eps / e`), and
//! the expected excess in one row is `<= eps * n / e`. By Markov's inequality a row
//! exceeds `eps * n` with probability `<= 1/e`; the rows are independent, so
//! all `d` rows do with probability `<= e^-d <= delta`.
//!
//! Conservative update (Estan and Varghese 2002): by induction every cell
//! `x` maps to is `>= f(x)` (a cell only grows, and after `x`'s update each
//! of its cells is `>= estimate + c >= f(x)`), so `estimate >= f`. A cell
//! under conservative update never exceeds the same cell under plain update
//! (induction again: it is raised to at most `min + c <= cell_plain + c`),
//! so every plain Count-Min bound holds. Merging by addition keeps both
//! properties (a sum of upper bounds; a sum of cells each below the plain
//! one). Subtraction does not: a cell may hold less than the pane's
//! contribution, so the difference can fall below `f`.
//!
//! Subtraction: a plain sketch is a linear map of the frequency vector
//! (`T = M f` for a fixed 0/1 matrix `M` given the seed), so `M(f_A + f_B) -
//! M f_A = M f_B`, and every guarantee of the sketch of `B` holds.
//!
//! # Citation
//!
//! G. Cormode and S. Muthukrishnan, "An improved data stream summary: the
//! count-min sketch and its applications", Journal of Algorithms 55(1), 2005.
//! C. Estan and G. Varghese, "New directions in traffic measurement and
//! accounting", SIGCOMM 2002 (conservative update).

use std::fmt;
use std::hash::Hash;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::hash::{hash_item_keyed, key_state};
use crate::rngutil::uniform_below;

/// The Mersenne prime `2^61 - 1`.
const P: u64 = (1 << 61) - 1;

/// `x mod (2^61 - 1)` for `x < 2^122`.
#[inline]
fn mod_p(x: u128) -> u64 {
    let lo = (x as u64) & P;
    let hi = (x >> 61) as u64;
    let s = lo + (hi & P) + ((hi >> 61) & P);
    let s = (s & P) + (s >> 61);
    if s >= P {
        s - P
    } else {
        s
    }
}

/// Why a sketch could not be built or merged.
#[derive(Debug, Clone, PartialEq)]
pub enum CountMinError {
    /// `eps` not in `(0, 1]` or `delta` not in `(0, 1)`.
    InvalidParameters {
        /// Requested additive error, as a fraction of `n`.
        eps: f64,
        /// Requested failure probability.
        delta: f64,
    },
    /// Width or depth zero.
    ZeroDimension,
    /// Merging sketches with different width, depth, seed or update mode.
    Incompatible,
    /// [`CountMin::subtract`] on a conservative-update sketch.
    NotSubtractable,
    /// [`CountMin::subtract`] of a sketch that is not contained in this one
    /// (some counter or the total would go negative).
    NotContained,
}

impl fmt::Display for CountMinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidParameters { eps, delta } => write!(
                f,
                "need 0 < eps <= 1 and 0 < delta < 1, got eps = {eps}, delta = {delta}"
            ),
            Self::ZeroDimension => write!(f, "width and depth must be at least 1"),
            Self::Incompatible => {
                write!(f, "sketches differ in width, depth, seed or update mode")
            }
            Self::NotSubtractable => {
                write!(f, "conservative-update sketches cannot be subtracted")
            }
            Self::NotContained => write!(
                f,
                "the subtracted sketch is not contained in this one (a counter would go negative)"
            ),
        }
    }
}

impl std::error::Error for CountMinError {}

/// A Count-Min sketch over items hashed with the crate's portable hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountMin {
    width: usize,
    depth: usize,
    seed: u64,
    /// `key_state(seed)`, so the hasher is keyed once, not per item.
    key: u64,
    /// `(a, b)` per row.
    rows: Vec<(u64, u64)>,
    /// Row-major `depth x width` counters.
    table: Vec<u64>,
    total: u64,
    /// Conservative update (Estan and Varghese) instead of plain adds.
    conservative: bool,
}

impl CountMin {
    /// A sketch with `w = ceil(e/eps)` and `d = ceil(ln(1/delta))`, so that
    /// `estimate <= f + eps*n` with probability `>= 1 - delta`. The hash keys
    /// are drawn from `ChaCha8Rng::seed_from_u64(seed)`.
    ///
    /// # Errors
    ///
    /// [`CountMinError::InvalidParameters`] unless `0 < eps <= 1` and
    /// `0 < delta < 1`.
    pub fn new(eps: f64, delta: f64, seed: u64) -> Result<Self, CountMinError> {
        if !(eps > 0.0 && eps <= 1.0 && delta > 0.0 && delta < 1.0) {
            return Err(CountMinError::InvalidParameters { eps, delta });
        }
        let width = (std::f64::consts::E / eps).ceil() as usize;
        let depth = (1.0 / delta).ln().ceil().max(1.0) as usize;
        Self::with_dimensions(width, depth, seed)
    }

    /// A sketch with explicit `width` columns and `depth` rows.
    ///
    /// # Errors
    ///
    /// [`CountMinError::ZeroDimension`] if either is 0.
    pub fn with_dimensions(width: usize, depth: usize, seed: u64) -> Result<Self, CountMinError> {
        if width == 0 || depth == 0 {
            return Err(CountMinError::ZeroDimension);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rows = (0..depth)
            .map(|_| {
                let a = 1 + uniform_below(&mut rng, P - 1);
                let b = uniform_below(&mut rng, P);
                (a, b)
            })
            .collect();
        Ok(Self {
            width,
            depth,
            seed,
            key: key_state(seed),
            rows,
            table: vec![0; width * depth],
            total: 0,
            conservative: false,
        })
    }

    #[inline]
    fn fingerprint<T: Hash + ?Sized>(&self, item: &T) -> u64 {
        hash_item_keyed(self.key, item) % P
    }

    #[inline]
    fn column(&self, row: usize, fp: u64) -> usize {
        let (a, b) = self.rows[row];
        // floor(v w / 2^61) for v in [0, p): a multiply-shift range
        // reduction instead of a 64-bit division (`v mod w`) per row.
        let v = mod_p(u128::from(a) * u128::from(fp) + u128::from(b));
        ((u128::from(v) * self.width as u128) >> 61) as usize
    }

    /// Add one occurrence of `item`.
    #[inline]
    pub fn add<T: Hash + ?Sized>(&mut self, item: &T) {
        self.add_count(item, 1);
    }

    /// Switch to conservative update (only for an empty sketch's future
    /// adds: call it right after construction). Estimates are never larger
    /// than plain Count-Min's; the sketch can no longer be subtracted, and
    /// merges only with other conservative sketches.
    #[must_use]
    pub fn conservative(mut self) -> Self {
        self.conservative = true;
        self
    }

    /// Whether this sketch uses conservative update.
    #[must_use]
    pub fn is_conservative(&self) -> bool {
        self.conservative
    }

    /// Add `count` occurrences of `item` (saturating at `u64::MAX`).
    pub fn add_count<T: Hash + ?Sized>(&mut self, item: &T, count: u64) {
        let fp = self.fingerprint(item);
        if self.conservative {
            // Two passes over the rows (recomputing columns) instead of
            // allocating the cell list.
            let v = self.estimate_fp(fp).saturating_add(count);
            for row in 0..self.depth {
                let i = row * self.width + self.column(row, fp);
                self.table[i] = self.table[i].max(v);
            }
        } else {
            for row in 0..self.depth {
                let i = row * self.width + self.column(row, fp);
                self.table[i] = self.table[i].saturating_add(count);
            }
        }
        self.total = self.total.saturating_add(count);
    }

    /// Subtract `other` (a sketch of a sub-multiset of this sketch's input,
    /// with the same width, depth and seed): afterwards `self` is exactly
    /// the sketch of the difference. Used to slide a window by panes.
    ///
    /// # Errors
    ///
    /// [`CountMinError::Incompatible`] on different dimensions or seed;
    /// [`CountMinError::NotSubtractable`] if either sketch uses
    /// conservative update; [`CountMinError::NotContained`] if a counter or
    /// the total of `other` exceeds this one's (nothing is changed then).
    pub fn subtract(&mut self, other: &Self) -> Result<(), CountMinError> {
        if self.width != other.width || self.depth != other.depth || self.seed != other.seed {
            return Err(CountMinError::Incompatible);
        }
        if self.conservative || other.conservative {
            return Err(CountMinError::NotSubtractable);
        }
        if other.total > self.total || self.table.iter().zip(&other.table).any(|(a, b)| b > a) {
            return Err(CountMinError::NotContained);
        }
        for (a, b) in self.table.iter_mut().zip(&other.table) {
            *a -= b;
        }
        self.total -= other.total;
        Ok(())
    }

    /// Estimated count of `item`: `>= f(item)`, and `<= f(item) + eps * n`
    /// with probability `>= 1 - delta`.
    #[must_use]
    pub fn estimate<T: Hash + ?Sized>(&self, item: &T) -> u64 {
        self.estimate_fp(self.fingerprint(item))
    }

    fn estimate_fp(&self, fp: u64) -> u64 {
        (0..self.depth)
            .map(|row| self.table[row * self.width + self.column(row, fp)])
            .min()
            .unwrap_or(0)
    }

    /// Total count added, `n`.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Number of columns `w`.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of rows `d`.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The additive error `e / w` as a fraction of `n` that holds with
    /// probability `1 - e^-d`.
    #[must_use]
    pub fn epsilon(&self) -> f64 {
        std::f64::consts::E / self.width as f64
    }

    /// Add `other`'s counters into `self`.
    ///
    /// # Errors
    ///
    /// [`CountMinError::Incompatible`] unless both have the same width,
    /// depth, seed and update mode.
    pub fn merge(&mut self, other: &Self) -> Result<(), CountMinError> {
        if self.width != other.width
            || self.depth != other.depth
            || self.seed != other.seed
            || self.conservative != other.conservative
        {
            return Err(CountMinError::Incompatible);
        }
        for (a, b) in self.table.iter_mut().zip(&other.table) {
            *a = a.saturating_add(*b);
        }
        self.total = self.total.saturating_add(other.total);
        Ok(())
    }
}

/// Version-1 serialized form (see [`crate::serial`]); the row hash keys
/// are derived again from `seed`.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CountMinWire {
    version: u32,
    width: usize,
    depth: usize,
    seed: u64,
    conservative: bool,
    total: u64,
    table: Vec<u64>,
}

impl From<&CountMin> for CountMinWire {
    fn from(c: &CountMin) -> Self {
        Self {
            version: crate::serial::FORMAT_VERSION,
            width: c.width,
            depth: c.depth,
            seed: c.seed,
            conservative: c.conservative,
            total: c.total,
            table: c.table.clone(),
        }
    }
}

impl TryFrom<CountMinWire> for CountMin {
    type Error = String;
    fn try_from(w: CountMinWire) -> Result<Self, String> {
        crate::serial::check_version("CountMin", w.version)?;
        if w.width.checked_mul(w.depth) != Some(w.table.len()) {
            return Err(format!(
                "CountMin: table of {} counters, but width {} x depth {} differs",
                w.table.len(),
                w.width,
                w.depth
            ));
        }
        let mut c = Self::with_dimensions(w.width, w.depth, w.seed).map_err(|e| e.to_string())?;
        c.table = w.table;
        c.total = w.total;
        c.conservative = w.conservative;
        Ok(c)
    }
}

crate::serial::serde_via_wire!(impl[] CountMin, CountMinWire; ser: []; de: []);

#[cfg(test)]
mod tests {
    use super::*;

    // Proves: the Mersenne reduction agrees with `%` on edge values.
    #[test]
    fn mod_p_matches_remainder() {
        let xs: [u128; 6] = [
            0,
            u128::from(P),
            u128::from(P) + 1,
            u128::from(P - 1) * u128::from(P - 1) + u128::from(P - 1),
            1 << 100,
            (1 << 122) - 1,
        ];
        for x in xs {
            assert_eq!(u128::from(mod_p(x)), x % u128::from(P), "x = {x}");
        }
    }

    // Proves: dimensions follow the formulas and bad parameters are errors.
    #[test]
    fn dimensions_and_errors() {
        let cm = CountMin::new(0.01, 0.01, 1).unwrap();
        assert_eq!((cm.width(), cm.depth()), (272, 5));
        assert!(CountMin::new(0.0, 0.1, 1).is_err());
        assert!(CountMin::new(0.1, 1.0, 1).is_err());
        assert!(CountMin::new(f64::NAN, 0.1, 1).is_err());
        assert_eq!(
            CountMin::with_dimensions(0, 3, 1),
            Err(CountMinError::ZeroDimension)
        );
        let mut a = CountMin::with_dimensions(10, 3, 1).unwrap();
        let b = CountMin::with_dimensions(10, 3, 2).unwrap();
        assert_eq!(a.merge(&b), Err(CountMinError::Incompatible));
    }
}
