//! Fixed-seed statistical tests of the samplers. Every test states in its
//! first comment what it proves and its tolerance. Seeds are fixed, so each
//! test is deterministic; the tolerances are chosen so a correct sampler
//! passes with overwhelming probability over seeds, while the known-wrong
//! samplers (the lecture's, a naive merge) are shown to fail the same check.

mod common;

use common::{
    chi_square, chi_square_critical_001, chi_square_two_sample, pair_index, within_binomial,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use stream_algorithms::lecture;
use stream_algorithms::reservoir::{merge, UniformReservoir};
use stream_algorithms::{ReservoirL, ReservoirR, WeightedReservoir};

const N6: usize = 6;
const PAIRS6: usize = 15;

/// Counts of each 2-subset of `0..6` over `trials` runs of `sample`.
fn subset_counts(trials: u64, mut sample: impl FnMut(u64) -> Vec<usize>) -> Vec<u64> {
    let mut counts = vec![0u64; PAIRS6];
    for t in 0..trials {
        let s = sample(t);
        assert_eq!(s.len(), 2);
        counts[pair_index(s[0], s[1], N6)] += 1;
    }
    counts
}

fn run_r(seed: u64, n: usize, k: usize) -> Vec<usize> {
    let mut r = ReservoirR::new(k, ChaCha8Rng::seed_from_u64(seed));
    for i in 0..n {
        r.add(i);
    }
    r.sample().to_vec()
}

fn run_l(seed: u64, n: usize, k: usize) -> Vec<usize> {
    let mut l = ReservoirL::new(k, ChaCha8Rng::seed_from_u64(seed));
    for i in 0..n {
        l.add(i);
    }
    l.sample().to_vec()
}

const SUBSET_TRIALS: u64 = 30_000;

#[test]
fn chi_square_over_all_2_subsets_of_6_r_and_l() {
    // Proves: Algorithms R and L (item path and slice path) give every
    // 2-subset of 6 items equal probability 1/15. Tolerance: chi-square with
    // 14 df below the 0.001 critical value 36.12, 30 000 trials each
    // (expected 2000 per subset). Power check: the lecture's sampler fails
    // the same test (it never samples index 2).
    let expected = vec![SUBSET_TRIALS as f64 / PAIRS6 as f64; PAIRS6];
    let crit = chi_square_critical_001(PAIRS6 - 1);

    let r = subset_counts(SUBSET_TRIALS, |t| run_r(t, N6, 2));
    let l = subset_counts(SUBSET_TRIALS, |t| run_l(1_000_000 + t, N6, 2));
    let l_slice = subset_counts(SUBSET_TRIALS, |t| {
        let mut res = ReservoirL::new(2, ChaCha8Rng::seed_from_u64(2_000_000 + t));
        res.extend_from_slice(&[0, 1, 2, 3, 4, 5]);
        res.sample().to_vec()
    });
    for (name, counts) in [("R", &r), ("L", &l), ("L slice", &l_slice)] {
        let x2 = chi_square(counts, &expected);
        eprintln!("{name}: chi2 = {x2:.2}");
        assert!(
            x2 < crit,
            "{name}: chi2 = {x2:.2} >= {crit}, counts {counts:?}"
        );
    }

    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let inputs: Vec<usize> = (0..N6).collect();
    let lect = subset_counts(SUBSET_TRIALS, |_| {
        lecture::reservoir_sample(&inputs, 2, &mut rng)
    });
    let x2 = chi_square(&lect, &expected);
    eprintln!("lecture: chi2 = {x2:.2}");
    assert!(
        x2 > 10.0 * crit,
        "lecture chi2 = {x2:.2} should be far above {crit}"
    );
}

#[test]
fn r_versus_l_same_distribution() {
    // Proves: R and L induce the same distribution on 2-subsets of 6 (and so
    // are interchangeable). Tolerance: two-sample chi-square homogeneity test
    // with 14 df below 36.12 (p = 0.001), 30 000 independent runs each.
    let r = subset_counts(SUBSET_TRIALS, |t| run_r(5_000_000 + t, N6, 2));
    let l = subset_counts(SUBSET_TRIALS, |t| run_l(6_000_000 + t, N6, 2));
    let x2 = chi_square_two_sample(&r, &l);
    eprintln!("R vs L: chi2 = {x2:.2}");
    assert!(x2 < chi_square_critical_001(14), "R vs L chi2 = {x2:.2}");
}

#[test]
fn per_index_inclusion_binomial_bands() {
    // Proves: for n = 30, k = 5, every index is in the sample of R, of L, and
    // of the fixed lecture code with probability k/n = 1/6; the lecture's code
    // never samples index k and samples indices 0..k with probability
    // (k+1)/n = 1/5 (the table in `lecture`'s docs). Tolerance: each count
    // within 5 standard deviations of its Binomial(20 000, p) mean, and
    // exactly 0 for the lecture's index k. The 1/6 vs 1/5 gap is ~12 sd, so
    // the bands tell the two laws apart.
    const N: usize = 30;
    const K: usize = 5;
    const T: u64 = 20_000;
    let p = K as f64 / N as f64;
    let inputs: Vec<usize> = (0..N).collect();

    let mut fixed_rng = ChaCha8Rng::seed_from_u64(11);
    let mut lect_rng = ChaCha8Rng::seed_from_u64(12);
    let mut counts = [[0u64; N]; 4];
    for t in 0..T {
        let samples = [
            run_r(10_000_000 + t, N, K),
            run_l(20_000_000 + t, N, K),
            lecture::reservoir_sample_fixed(&inputs, K, &mut fixed_rng),
            lecture::reservoir_sample(&inputs, K, &mut lect_rng),
        ];
        for (c, s) in counts.iter_mut().zip(&samples) {
            assert_eq!(s.len(), K);
            for &i in s {
                c[i] += 1;
            }
        }
    }
    for (name, c) in ["R", "L", "lecture fixed"].iter().zip(&counts[..3]) {
        for (i, &ci) in c.iter().enumerate() {
            assert!(
                within_binomial(ci, T, p, 5.0),
                "{name}: index {i} count {ci}"
            );
        }
    }
    let lect = &counts[3];
    assert_eq!(lect[K], 0, "the lecture's code sampled index k");
    let p_early = (K + 1) as f64 / N as f64;
    for (i, &ci) in lect.iter().enumerate() {
        if i < K {
            assert!(
                within_binomial(ci, T, p_early, 5.0),
                "lecture index {i}: {ci}"
            );
            assert!(
                !within_binomial(ci, T, p, 5.0),
                "lecture index {i} looks uniform"
            );
        } else if i > K {
            assert!(within_binomial(ci, T, p, 5.0), "lecture index {i}: {ci}");
        }
    }
}

/// Counts of each 2-subset of `0..n1+n2` after merging an R reservoir over
/// `0..n1` with an L reservoir over `n1..n1+n2`; `naive` replaces the
/// hypergeometric merge by "pool both samples, take 2 uniformly".
fn merged_counts(n1: usize, n2: usize, trials: u64, naive: bool) -> Vec<u64> {
    let n = n1 + n2;
    let mut counts = vec![0u64; n * (n - 1) / 2];
    for t in 0..trials {
        let mut a = ReservoirR::new(2, ChaCha8Rng::seed_from_u64(3 * t));
        let mut b = ReservoirL::new(2, ChaCha8Rng::seed_from_u64(3 * t + 1));
        (0..n1).for_each(|i| a.add(i));
        (n1..n).for_each(|i| b.add(i));
        let s = if naive {
            let pool: Vec<usize> = a.sample().iter().chain(b.sample()).copied().collect();
            // Uniform 2 of the pool, via a throwaway Algorithm R.
            let mut pick = ReservoirR::new(2, ChaCha8Rng::seed_from_u64(3 * t + 2));
            pick.extend_from_slice(&pool);
            pick.sample().to_vec()
        } else {
            let m = merge(&a, &b, ChaCha8Rng::seed_from_u64(3 * t + 2)).unwrap();
            assert_eq!(m.seen(), n as u64);
            assert_eq!(UniformReservoir::capacity(&m), 2);
            m.sample().to_vec()
        };
        assert_eq!(s.len(), 2);
        counts[pair_index(s[0], s[1], n)] += 1;
    }
    counts
}

#[test]
fn merged_reservoir_is_uniform_over_subsets_of_union() {
    // Proves: merge(R over 3 items, L over 4 items) is uniform over all 21
    // 2-subsets of the 7-item union; and merge(R over 1 item, L over 5 items)
    // (one reservoir not full) is uniform over the 15 2-subsets of 6.
    // Tolerance: chi-square below the 0.001 critical value (45.32 for 20 df,
    // 36.12 for 14 df), 42 000 / 30 000 trials. Power check: the naive merge
    // (pool both samples, take 2) fails the first test.
    let c = merged_counts(3, 4, 42_000, false);
    let x2 = chi_square(&c, &[2000.0; 21]);
    eprintln!("merge 3+4: chi2 = {x2:.2}");
    assert!(
        x2 < chi_square_critical_001(20),
        "merge 3+4: chi2 = {x2:.2}, {c:?}"
    );

    let c = merged_counts(1, 5, 30_000, false);
    let x2 = chi_square(&c, &[2000.0; 15]);
    eprintln!("merge 1+5: chi2 = {x2:.2}");
    assert!(
        x2 < chi_square_critical_001(14),
        "merge 1+5: chi2 = {x2:.2}, {c:?}"
    );

    let c = merged_counts(3, 4, 42_000, true);
    let x2 = chi_square(&c, &[2000.0; 21]);
    eprintln!("naive merge 3+4: chi2 = {x2:.2}");
    assert!(
        x2 > 5.0 * chi_square_critical_001(20),
        "naive merge chi2 = {x2:.2} should fail"
    );
}

#[test]
fn weighted_pairs_match_successive_weighted_draws() {
    // Proves: A-ExpJ with k = 2 over 6 items of weights 1..=6 picks each pair
    // {a, b} with the probability of two successive weighted draws without
    // replacement, w_a/W * w_b/(W - w_a) + w_b/W * w_a/(W - w_b). This
    // exercises the jump path (4 items after the reservoir fills).
    // Tolerance: chi-square with 14 df below 36.12 (p = 0.001), 30 000 trials.
    // Power check: uniform pair probabilities fail the same test.
    const T: u64 = 30_000;
    let w: Vec<f64> = (1..=6).map(f64::from).collect();
    let total: f64 = w.iter().sum();
    let mut expected = vec![0.0; PAIRS6];
    for a in 0..6 {
        for b in a + 1..6 {
            let p = w[a] / total * w[b] / (total - w[a]) + w[b] / total * w[a] / (total - w[b]);
            expected[pair_index(a, b, 6)] = p * T as f64;
        }
    }
    let counts = subset_counts(T, |t| {
        let mut r = WeightedReservoir::new(2, ChaCha8Rng::seed_from_u64(t));
        for (i, &wi) in w.iter().enumerate() {
            r.add(i, wi).unwrap();
        }
        r.sample().to_vec()
    });
    let crit = chi_square_critical_001(14);
    let x2 = chi_square(&counts, &expected);
    eprintln!("A-ExpJ: chi2 = {x2:.2}");
    assert!(x2 < crit, "A-ExpJ chi2 = {x2:.2}, {counts:?}");
    let x2_uniform = chi_square(&counts, &[T as f64 / 15.0; 15]);
    assert!(x2_uniform > 10.0 * crit);
}

#[test]
fn weighted_long_stream_matches_a_res_reference() {
    // Proves: on a 40-item stream (weights cycling 1..=8, k = 4), A-ExpJ's
    // per-item inclusion frequencies match the plain A-Res reference (keep
    // the k largest keys U^(1/w)), i.e. the exponential jumps do not change
    // the law. Tolerance: for each item, |p1 - p2| <= 5 * sqrt(2 p (1-p) / T),
    // T = 20 000 trials each.
    const N: usize = 40;
    const K: usize = 4;
    const T: u64 = 20_000;
    let weights: Vec<f64> = (0..N).map(|i| (i % 8 + 1) as f64).collect();
    let mut expj = [0u64; N];
    let mut ares = [0u64; N];
    let mut ref_rng = ChaCha8Rng::seed_from_u64(77);
    for t in 0..T {
        let mut r = WeightedReservoir::new(K, ChaCha8Rng::seed_from_u64(t));
        for (i, &wi) in weights.iter().enumerate() {
            r.add(i, wi).unwrap();
        }
        for &i in r.sample() {
            expj[i] += 1;
        }
        let mut keys: Vec<(f64, usize)> = weights
            .iter()
            .enumerate()
            .map(|(i, &wi)| (common::unit(&mut ref_rng).max(1e-300).ln() / wi, i))
            .collect();
        keys.sort_by(|a, b| b.0.total_cmp(&a.0));
        for &(_, i) in &keys[..K] {
            ares[i] += 1;
        }
    }
    for i in 0..N {
        let p = (expj[i] + ares[i]) as f64 / (2 * T) as f64;
        let tol = 5.0 * (2.0 * p * (1.0 - p) / T as f64).sqrt();
        let diff = (expj[i] as f64 - ares[i] as f64).abs() / T as f64;
        assert!(
            diff <= tol,
            "item {i}: A-ExpJ {} vs A-Res {}",
            expj[i],
            ares[i]
        );
    }
}
