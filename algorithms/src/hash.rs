//! A fixed, portable, seedable 64-bit hash used by the sketches.
//!
//! The sketches ([`crate::count_min`], [`crate::hyperloglog`]) must give the
//! same answer on every platform, in every process and after every dependency
//! upgrade, so they never use `std`'s randomly keyed `RandomState`. Instead
//! they use [`PortableHasher`], a small word-at-a-time multiply/rotate hash
//! (in the style of FxHash) followed by the MurmurHash3 64-bit finaliser
//! `fmix64` (Appleby, 2011), which gives full avalanche on the output.
//!
//! | property | value |
//! | --- | --- |
//! | output | `u64` |
//! | byte order | little-endian for every integer write, on every platform |
//! | `usize`/`isize` | widened to 64 bits before hashing |
//! | state | one `u64` plus a byte counter |
//! | quality | not cryptographic; fine for sketches over non-adversarial data |
//!
//! Pseudocode (`write(bytes)`):
//!
//! ```text
//! for each 8-byte little-endian word w of bytes:  h = (rotl(h, 5) ^ w) * K
//! tail (1..7 bytes) t, padded with zeros:        h = (rotl(h, 5) ^ t ^ (len(t) << 56)) * K
//! finish:                                        fmix64(h ^ total_bytes_written)
//! ```
//!
//! Each step is a bijection of the word for a fixed state, so two different
//! single-word inputs never collide before or after the (bijective) finaliser.
//!
//! Stability: [`hash_bytes`] and [`hash_u64`] are pinned by snapshot tests.
//! [`hash_item`] hashes through `std::hash::Hash`, whose impls for `std`
//! types feed the same bytes on every platform today (with this hasher's
//! fixed endianness) but are not promised by `std` to stay that way forever;
//! use [`hash_bytes`] when bit-for-bit stability across Rust releases matters.

use std::hash::{Hash, Hasher};

/// Odd multiplier (the 64-bit golden-ratio constant, `2^64 / phi`).
const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// MurmurHash3's 64-bit finaliser: a bijection on `u64` with full avalanche.
#[inline]
#[must_use]
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// A deterministic [`Hasher`] whose output depends only on the seed and the
/// bytes written (integers are written little-endian, `usize` as `u64`).
#[derive(Debug, Clone)]
pub struct PortableHasher {
    state: u64,
    len: u64,
}

impl PortableHasher {
    /// A hasher keyed by `seed` (any value; `0` is the default key).
    #[inline]
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            state: fmix64(seed ^ K),
            len: 0,
        }
    }

    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Default for PortableHasher {
    #[inline]
    fn default() -> Self {
        Self::new(0)
    }
}

impl Hasher for PortableHasher {
    #[inline]
    fn finish(&self) -> u64 {
        fmix64(self.state ^ self.len)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let rem = chunks.remainder();
        if !rem.is_empty() {
            let mut w = [0u8; 8];
            w[..rem.len()].copy_from_slice(rem);
            self.mix(u64::from_le_bytes(w) ^ ((rem.len() as u64) << 56));
        }
        self.len = self.len.wrapping_add(bytes.len() as u64);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.write(&i.to_le_bytes());
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write(&i.to_le_bytes());
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        // Same result as `write(&i.to_le_bytes())`, without the byte shuffling.
        self.mix(i);
        self.len = self.len.wrapping_add(8);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.write(&i.to_le_bytes());
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_i8(&mut self, i: i8) {
        self.write_u8(i as u8);
    }
    #[inline]
    fn write_i16(&mut self, i: i16) {
        self.write_u16(i as u16);
    }
    #[inline]
    fn write_i32(&mut self, i: i32) {
        self.write_u32(i as u32);
    }
    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_i128(&mut self, i: i128) {
        self.write_u128(i as u128);
    }
    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as i64 as u64);
    }
}

/// The hasher's state after keying with `seed` (what [`PortableHasher::new`]
/// computes), so that sketches can key once and hash many items.
#[inline]
#[must_use]
pub(crate) fn key_state(seed: u64) -> u64 {
    fmix64(seed ^ K)
}

/// [`hash_item`] with the keyed state precomputed by [`key_state`]:
/// `hash_item_keyed(key_state(seed), x) == hash_item(seed, x)`.
#[inline]
#[must_use]
pub(crate) fn hash_item_keyed<T: Hash + ?Sized>(key: u64, item: &T) -> u64 {
    let mut h = PortableHasher { state: key, len: 0 };
    item.hash(&mut h);
    h.finish()
}

/// Hash a byte string with the given seed. Bit-for-bit stable.
#[inline]
#[must_use]
pub fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = PortableHasher::new(seed);
    h.write(bytes);
    h.finish()
}

/// Hash a `u64` with the given seed; equal to `hash_bytes(seed, &x.to_le_bytes())`.
#[inline]
#[must_use]
pub fn hash_u64(seed: u64, x: u64) -> u64 {
    let mut h = PortableHasher::new(seed);
    h.write_u64(x);
    h.finish()
}

/// Hash any `Hash` value through [`PortableHasher`] with the given seed.
#[inline]
#[must_use]
pub fn hash_item<T: Hash + ?Sized>(seed: u64, item: &T) -> u64 {
    let mut h = PortableHasher::new(seed);
    item.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves: the integer fast path agrees with the byte path, so `hash_u64`
    // is the documented function of the little-endian bytes. Exact equality.
    #[test]
    fn u64_fast_path_equals_byte_path() {
        for x in [0u64, 1, 2, 255, 1 << 40, u64::MAX] {
            for seed in [0u64, 7] {
                assert_eq!(hash_u64(seed, x), hash_bytes(seed, &x.to_le_bytes()));
                assert_eq!(hash_item(seed, &x), hash_u64(seed, x));
            }
        }
    }

    // Proves: the hash output is pinned (a change of algorithm or platform
    // behaviour fails this test). Exact snapshot values.
    #[test]
    fn snapshot_values() {
        let got = [
            hash_bytes(0, b""),
            hash_bytes(0, b"a"),
            hash_bytes(0, b"hello world"),
            hash_u64(0, 0),
            hash_u64(1, 0),
            hash_u64(0, 123_456_789),
        ];
        assert_eq!(got, SNAPSHOT, "got {got:#018x?}");
    }

    const SNAPSHOT: [u64; 6] = [
        0x6393_d51c_06c6_18dc,
        0xd263_87b6_2470_2910,
        0xa3a0_520a_4041_6a04,
        0xf3fe_6389_0c7a_d3d2,
        0xe93d_03b9_2698_e426,
        0x8a33_730a_205a_2b6f,
    ];

    // Proves: hashing with a precomputed key equals hashing with the seed.
    #[test]
    fn keyed_equals_seeded() {
        for seed in [0u64, 1, 99] {
            for x in [0u64, 7, u64::MAX] {
                assert_eq!(hash_item_keyed(key_state(seed), &x), hash_item(seed, &x));
                assert_eq!(
                    hash_item_keyed(key_state(seed), "ab"),
                    hash_item(seed, "ab")
                );
            }
        }
    }

    // Proves: tail length is part of the hash, so "a" and "a\0" differ.
    #[test]
    fn tail_length_matters() {
        assert_ne!(hash_bytes(0, b"a"), hash_bytes(0, b"a\0"));
        assert_ne!(hash_bytes(0, b""), hash_bytes(0, b"\0"));
    }
}
