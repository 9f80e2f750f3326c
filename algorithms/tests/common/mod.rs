//! Shared helpers for the integration tests: exact oracles, stream
//! generators that use only the raw `u64` stream of `ChaCha8Rng` (so test
//! inputs do not change with `rand` upgrades), and chi-square statistics.
#![allow(dead_code)]

use std::collections::BTreeMap;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Uniform `f64` in `[0, 1)` from 53 raw bits.
pub fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// `len` items from a Zipf(`s`) law over `0..alphabet` (inverse CDF).
pub fn zipf(seed: u64, alphabet: u32, s: f64, len: usize) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cdf = Vec::with_capacity(alphabet as usize);
    let mut acc = 0.0;
    for i in 0..alphabet {
        acc += 1.0 / f64::from(i + 1).powf(s);
        cdf.push(acc);
    }
    (0..len)
        .map(|_| {
            let u = unit(&mut rng) * acc;
            cdf.partition_point(|&c| c <= u).min(alphabet as usize - 1) as u32
        })
        .collect()
}

/// Exact frequencies.
pub fn exact_counts<T: Ord + Clone>(items: &[T]) -> BTreeMap<T, u64> {
    let mut m = BTreeMap::new();
    for x in items {
        *m.entry(x.clone()).or_insert(0) += 1;
    }
    m
}

/// Pearson's chi-square statistic of `observed` against `expected` counts.
pub fn chi_square(observed: &[u64], expected: &[f64]) -> f64 {
    observed
        .iter()
        .zip(expected)
        .map(|(&o, &e)| (o as f64 - e).powi(2) / e)
        .sum()
}

/// Two-sample chi-square (homogeneity) for two count vectors with equal
/// totals; `categories - 1` degrees of freedom.
pub fn chi_square_two_sample(a: &[u64], b: &[u64]) -> f64 {
    a.iter()
        .zip(b)
        .filter(|(&x, &y)| x + y > 0)
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2) / (x + y) as f64)
        .sum()
}

/// Upper 0.001 critical values of the chi-square distribution, by degrees
/// of freedom (from standard tables).
pub fn chi_square_critical_001(df: usize) -> f64 {
    match df {
        5 => 20.515,
        14 => 36.123,
        20 => 45.315,
        _ => panic!("no table entry for df = {df}"),
    }
}

/// Index of a sorted pair `{a < b}` of `0..n` in lexicographic order.
pub fn pair_index(mut a: usize, mut b: usize, n: usize) -> usize {
    if a > b {
        std::mem::swap(&mut a, &mut b);
    }
    assert!(a < b && b < n);
    // pairs (0,1..n-1), (1,2..n-1), ...
    a * (2 * n - a - 1) / 2 + (b - a - 1)
}

/// Is `count` within `z` standard deviations of Binomial(`trials`, `p`)?
pub fn within_binomial(count: u64, trials: u64, p: f64, z: f64) -> bool {
    let mean = trials as f64 * p;
    let sd = (trials as f64 * p * (1.0 - p)).sqrt();
    (count as f64 - mean).abs() <= z * sd
}
