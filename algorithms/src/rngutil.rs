//! Random-number helpers that depend only on the raw `u64` stream of the
//! caller's `ChaCha8Rng`, not on `rand`'s distribution code, so that results
//! stay bit-for-bit identical across `rand` upgrades (only `rand_chacha`'s
//! key stream, which is specified by the ChaCha cipher, matters).

use rand::RngCore;
use rand_chacha::ChaCha8Rng;

/// A uniform integer in `0..n` (`n >= 1`), unbiased, by Lemire's
/// multiply-and-reject method (Lemire 2019, "Fast random integer generation
/// in an interval", ACM TOMACS).
#[inline]
pub(crate) fn uniform_below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    debug_assert!(n >= 1);
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    let mut low = m as u64;
    if low < n {
        let threshold = n.wrapping_neg() % n;
        while low < threshold {
            m = u128::from(rng.next_u64()) * u128::from(n);
            low = m as u64;
        }
    }
    (m >> 64) as u64
}

/// A uniform `f64` in the open interval `(0, 1)`: `(x + 1/2) / 2^53` for a
/// 53-bit integer `x`, so neither `0` (whose log is `-inf`) nor `1` occurs.
#[inline]
pub(crate) fn open01(rng: &mut ChaCha8Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}
