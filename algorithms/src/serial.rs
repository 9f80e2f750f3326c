//! Serialization: every sketch reads and writes a stable, versioned serde
//! format, so a sketch can be stored, shipped to another process and merged
//! there.
//!
//! | property | value |
//! | --- | --- |
//! | formats | any serde data format (the tests use JSON) |
//! | version | every sketch is a map (struct) whose first field is `version`, now [`FORMAT_VERSION`] = 1 |
//! | compatibility | a reader accepts exactly the versions it knows (now only 1); an incompatible change adds version 2 and keeps reading 1 |
//! | unknown fields | refused (`deny_unknown_fields`), so a newer writer's extra fields are not silently dropped |
//! | validation | every invariant a sketch relies on is checked on reading (sizes, ranges, sums, orders); a bad input is a deserialization error naming the violated rule, never a panic |
//! | randomness | sketches that own a `ChaCha8Rng` store its state (seed, stream, word position), so a restored sketch continues the exact random sequence |
//! | hashing | sketches store their hash seed, not hash functions; the portable hash ([`crate::hash`]) is pinned by snapshot tests |
//!
//! Field layouts (all version 1):
//!
//! | type | fields after `version` |
//! | --- | --- |
//! | [`crate::HyperLogLog`] | `p`, `seed`, `registers` (`2^p` bytes) |
//! | [`crate::CountMin`] | `width`, `depth`, `seed`, `conservative`, `total`, `table` (row-major) |
//! | [`crate::MisraGries`] | `k`, `n`, `d`, `counters` (`[item, count]`, item order) |
//! | [`crate::SpaceSaving`] | `k`, `n`, `floor`, `counters` (`[item, count, error]` in Stream-Summary order: count ascending, then bucket order) |
//! | [`crate::Dgim`] | `window`, `r`, `time`, `buckets` (`[timestamp, log2 size]`, newest first) |
//! | [`crate::ExpHistogram`] | `window`, `r`, `time`, `buckets` (`[timestamp, size, holds several items]`, newest first), `pass_len`, `pass_total` |
//! | [`crate::VarOpt`] | `k`, `n`, `total`, `tau`, `large` (`[item, weight]`), `small` (items), `rng` |
//! | [`crate::Kll`] | `k`, `n`, `min`, `max`, `worst_case`, `levels`, `rng` |
//! | [`crate::ReservoirR`] | `k`, `seen`, `items`, `rng` |
//! | [`crate::ReservoirL`] | `k`, `seen`, `items`, `w`, `next`, `rng` |
//! | [`crate::WeightedReservoir`] | `k`, `seen`, `total_weight`, `x_w`, `items` (`[item, log key]` by slot), `rng` |

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The format version every sketch writes.
pub const FORMAT_VERSION: u32 = 1;

/// Check a stored `version` against [`FORMAT_VERSION`].
pub(crate) fn check_version(what: &str, version: u32) -> Result<(), String> {
    if version == FORMAT_VERSION {
        Ok(())
    } else {
        Err(format!(
            "{what}: format version {version} is not supported (this build reads version {FORMAT_VERSION})"
        ))
    }
}

/// The state of a `ChaCha8Rng`: key, stream and position in the key stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RngState {
    seed: [u8; 32],
    stream: u64,
    word_pos: u128,
}

impl From<&ChaCha8Rng> for RngState {
    fn from(rng: &ChaCha8Rng) -> Self {
        Self {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }
}

impl RngState {
    /// A generator at exactly the stored position. Positions past `2^68`
    /// words are refused (ChaCha's counter holds 2^64 blocks of 16 words).
    pub(crate) fn restore(&self) -> Result<ChaCha8Rng, String> {
        use rand::SeedableRng;
        if self.word_pos >= 1u128 << 68 {
            return Err(format!("rng word position {} >= 2^68", self.word_pos));
        }
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        Ok(rng)
    }
}

/// Implement `Serialize` through `Wire::from(&Self)` and `Deserialize`
/// through `Self::try_from(Wire)` (errors become the format's custom
/// error). `ser` and `de` are the where-clauses of the two impls.
macro_rules! serde_via_wire {
    (impl[$($g:tt)*] $ty:ty, $wire:ty; ser: [$($sb:tt)*]; de: [$($db:tt)*]) => {
        impl<$($g)*> serde::Serialize for $ty where $($sb)* {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&<$wire>::from(self), s)
            }
        }
        impl<'de, $($g)*> serde::Deserialize<'de> for $ty where $($db)* {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let wire = <$wire as serde::Deserialize>::deserialize(d)?;
                Self::try_from(wire).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_wire;
