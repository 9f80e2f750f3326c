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
//! ## The law of the sampled subset
//!
//! The inclusion probabilities are not the whole damage: the off-by-one
//! also skews the joint law of the sample. For `n = 8`, `k = 3` only the 35
//! subsets without index 3 can occur (of the 56 three-subsets), and their
//! probabilities depend on how many of them come from the first `k` items:
//!
//! | items from `0..k` in the subset | subsets | probability each | total |
//! | --- | --- | --- | --- |
//! | 0 (all from `4..8`) | 4 | 1/56 | 1/14 |
//! | 1 | 18 | 1/42 | 3/7 |
//! | 2 | 12 | 1/28 | 3/7 |
//! | 3 (`{0, 1, 2}`) | 1 | 1/14 | 1/14 |
//!
//! Why: dropping index `k` leaves Algorithm R run on the other `n - 1`
//! items, except that item `i > k`, which is the `i`-th of them (0-based
//! `i - 1`), is accepted with probability `k / (i + 1)` instead of `k / i`;
//! every later item is under-weighted, so the first `k` are over-weighted.
//!
//! The `randint(0, i)` (inclusive, `i + 1` outcomes) is **not** a second
//! bug: with the loop fixed to `range(k, len(inputs))` item `i` is accepted
//! with probability `k / (i + 1)`, exactly Algorithm R, and all 56 subsets
//! have probability 1/56. Both tables are computed, not asserted from this
//! text, by the test `subset_law_by_exact_enumeration`, which runs the code
//! on every one of the `5 * 6 * 7 * 8 = 1680` sequences of `randint` results
//! (lecture) and the `4 * 5 * ... * 8 = 6720` sequences (fixed loop).
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
//! for c in "ABCEAAADFEFFFBBCCDFFF": print(add(c))    # count = 3
//! ```
//!
//! A Python dict keeps insertion order, and a key deleted at 0 and added
//! again goes last, so the lecture prints `{'A': 2, 'F': 3, 'B': 1}` after
//! 14 items, not the sorted `{'A': 2, 'B': 1, 'F': 3}`.
//! [`LectureMisraGries`] keeps that order and
//! [`LectureMisraGries::python_dict`] prints the same text; the test
//! `lecture_prints_the_same_21_lines` (in `tests/frequent.rs`) compares all
//! 21 printed lines as text.
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
    // for i in range(k + 1, len(inputs)):   <- the bug: should be range(k, ...)
    reservoir_loop(inputs, k, k + 1, |i| randint(rng, 0, i))
}

/// The same code with the one-character fix (`range(k, len(inputs))`):
/// Algorithm R. Returns a uniform `k`-subset of `inputs`.
///
/// # Panics
///
/// If `inputs.len() < k`.
#[must_use]
pub fn reservoir_sample_fixed<T: Clone>(inputs: &[T], k: usize, rng: &mut ChaCha8Rng) -> Vec<T> {
    reservoir_loop(inputs, k, k, |i| randint(rng, 0, i))
}

/// The lecture's loop with its start index and its `randint(0, i)` as
/// parameters: `draw(i)` must return a value in `0..=i`.
fn reservoir_loop<T: Clone>(
    inputs: &[T],
    k: usize,
    start: usize,
    mut draw: impl FnMut(usize) -> usize,
) -> Vec<T> {
    // r = []; for i in range(k): r.append(inputs[i])
    let mut r: Vec<T> = inputs[..k].to_vec();
    for (i, x) in inputs.iter().enumerate().skip(start) {
        let j = draw(i);
        if j < k {
            r[j] = x.clone();
        }
    }
    r
}

/// The lecture's Misra–Gries counters: at most `count` entries; a new item is
/// inserted with 1 and, if there are then more than `count` entries, every
/// entry (the new one included) is decremented and zeros are dropped.
///
/// Entries keep the order of a Python 3.7+ `dict`: insertion order, where a
/// key deleted (its counter reached 0) and later added again goes to the
/// end. [`LectureMisraGries::python_dict`] prints them exactly as the
/// lecture's `print(counters)` does, e.g. `{'A': 2, 'F': 3, 'B': 1}`.
/// Each step costs `O(count)`, as in the Python.
#[derive(Debug, Clone)]
pub struct LectureMisraGries<T> {
    count: usize,
    /// `(key, counter)` in dict (insertion) order; counters are `>= 1`.
    counters: Vec<(T, u64)>,
}

impl<T: Ord + Clone> LectureMisraGries<T> {
    /// Empty counters, at most `count` of them.
    #[must_use]
    pub fn new(count: usize) -> Self {
        Self {
            count,
            counters: Vec::new(),
        }
    }

    /// Process one item and return the current entries in dict order
    /// (the Python function's return value).
    pub fn add(&mut self, item: T) -> &[(T, u64)] {
        if let Some((_, c)) = self.counters.iter_mut().find(|(k, _)| *k == item) {
            *c += 1;
        } else {
            self.counters.push((item, 1));
            if self.counters.len() > self.count {
                // for key in list(counters): counters[key] -= 1; del if 0
                // (deleting keeps the survivors' relative order).
                self.counters.retain_mut(|(_, c)| {
                    *c -= 1;
                    *c > 0
                });
            }
        }
        &self.counters
    }

    /// The current entries in dict (insertion) order.
    #[must_use]
    pub fn counters(&self) -> &[(T, u64)] {
        &self.counters
    }

    /// The current entries as a sorted map (to compare with
    /// [`crate::MisraGries::counters`], which holds the same multiset).
    #[must_use]
    pub fn sorted(&self) -> BTreeMap<T, u64> {
        self.counters.iter().cloned().collect()
    }
}

impl<T: PythonRepr> LectureMisraGries<T> {
    /// The entries as Python prints the dict: `{}` when empty, else
    /// `{k1: v1, k2: v2}` in insertion order with each key in its Python
    /// `repr` (see [`PythonRepr`]).
    #[must_use]
    pub fn python_dict(&self) -> String {
        let body: Vec<String> = self
            .counters
            .iter()
            .map(|(k, c)| format!("{}: {c}", k.python_repr()))
            .collect();
        format!("{{{}}}", body.join(", "))
    }
}

/// Python's `repr()` of a value, for printing dicts as the lecture does.
pub trait PythonRepr {
    /// The text `repr(self)` gives in Python 3.
    fn python_repr(&self) -> String;
}

/// Python's `repr` of a string: single quotes unless the text contains a
/// single quote and no double quote; backslash, the chosen quote, `\n`,
/// `\r` and `\t` escaped (other control characters as `\xNN`).
fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

impl PythonRepr for char {
    fn python_repr(&self) -> String {
        python_str_repr(self.encode_utf8(&mut [0; 4]))
    }
}

impl PythonRepr for str {
    fn python_repr(&self) -> String {
        python_str_repr(self)
    }
}

impl PythonRepr for String {
    fn python_repr(&self) -> String {
        python_str_repr(self)
    }
}

impl<T: PythonRepr + ?Sized> PythonRepr for &T {
    fn python_repr(&self) -> String {
        (**self).python_repr()
    }
}

macro_rules! python_repr_int {
    ($($t:ty),*) => {$(
        impl PythonRepr for $t {
            fn python_repr(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
python_repr_int!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

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

    // Proves: python_repr matches CPython 3's repr() on quoting and escapes
    // (expected strings printed by python3: repr() of each input). Exact.
    #[test]
    fn python_repr_matches_cpython() {
        let cases = [
            ("A", "'A'"),
            ("it's", "\"it's\""),
            ("say \"hi\"", "'say \"hi\"'"),
            ("both ' and \"", "'both \\' and \"'"),
            ("a\\b", "'a\\\\b'"),
            ("tab\there", "'tab\\there'"),
            ("\u{1}", "'\\x01'"),
            ("é", "'é'"),
        ];
        for (input, want) in cases {
            assert_eq!(input.python_repr(), want, "{input:?}");
        }
        assert_eq!('x'.python_repr(), "'x'");
        assert_eq!((-3i32).python_repr(), "-3");
    }

    // Proves: a key deleted by a decrement round and added again goes to
    // the end of the dict order, as in a Python dict. Exact.
    #[test]
    fn readded_key_goes_last() {
        let mut mg = LectureMisraGries::new(2);
        for c in "abb".chars() {
            mg.add(c);
        }
        assert_eq!(mg.python_dict(), "{'a': 1, 'b': 2}");
        mg.add('c'); // a and c reach 0 and are deleted
        assert_eq!(mg.python_dict(), "{'b': 1}");
        mg.add('a'); // 'a' comes back after 'b' (not in sorted order)
        assert_eq!(mg.counters(), &[('b', 1), ('a', 1)]);
        assert_eq!(mg.python_dict(), "{'b': 1, 'a': 1}");
    }

    /// For `n = 8` inputs `0..8` and `k = 3`, run the loop starting at
    /// `start` on every sequence of draws (`draw(i)` in `0..=i`) and return
    /// the number of sequences and, per sorted sample, how many gave it.
    fn subset_law(start: usize) -> (u64, BTreeMap<Vec<usize>, u64>) {
        let (n, k) = (8usize, 3usize);
        let radices: Vec<usize> = (start..n).map(|i| i + 1).collect();
        let total: usize = radices.iter().product();
        let mut law = BTreeMap::new();
        for code in 0..total {
            // Mixed-radix digits of `code` are the draws for i = start..n.
            let mut rest = code;
            let mut sample = reservoir_loop(&(0..n).collect::<Vec<_>>(), k, start, |i| {
                let radix = i + 1;
                let d = rest % radix;
                rest /= radix;
                d
            });
            sample.sort_unstable();
            *law.entry(sample).or_insert(0u64) += 1;
        }
        (total as u64, law)
    }

    // Proves: by exact enumeration of all 1680 draw sequences, the lecture's
    // code for n = 8, k = 3 yields 35 of the 56 subsets (none containing
    // index 3) with probabilities 1/56 (4 subsets), 1/42 (18), 1/28 (12) and
    // 1/14 (1), and with the loop fixed all 56 subsets have probability 1/56
    // (6720 sequences, 120 each). Exact integer counts.
    #[test]
    fn subset_law_by_exact_enumeration() {
        let (total, law) = subset_law(4);
        assert_eq!((total, law.len()), (1680, 35));
        assert!(law.keys().all(|s| !s.contains(&3)));
        // Probability -> number of subsets, with the probability as count/1680.
        let mut by_prob: BTreeMap<u64, u64> = BTreeMap::new();
        for &c in law.values() {
            *by_prob.entry(c).or_insert(0) += 1;
        }
        // 1680/56 = 30, 1680/42 = 40, 1680/28 = 60, 1680/14 = 120.
        assert_eq!(
            by_prob,
            BTreeMap::from([(30, 4), (40, 18), (60, 12), (120, 1)])
        );
        // The probability is fixed by how many of 0, 1, 2 the subset holds.
        for (s, &c) in &law {
            let first = s.iter().filter(|&&x| x < 3).count();
            assert_eq!(c, [30, 40, 60, 120][first], "{s:?}");
        }
        let (total, law) = subset_law(3);
        assert_eq!((total, law.len()), (6720, 56));
        assert!(law.values().all(|&c| c == 120));
    }

    // Proves: Python semantics — too few inputs is an IndexError (panic).
    #[test]
    #[should_panic]
    fn too_few_inputs_panics() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let _ = reservoir_sample(&[1, 2], 3, &mut rng);
    }
}
