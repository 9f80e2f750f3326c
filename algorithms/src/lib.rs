//! Streaming algorithms with stated guarantees: reservoir sampling,
//! frequent items, and sketches, each in its own module with a guarantee
//! table, pseudocode, a proof sketch and its citation.
//!
//! This crate has no dependency on the simulator engine. All randomness
//! comes from a caller-supplied [`rand_chacha::ChaCha8Rng`] or an explicit
//! seed, hashing uses a fixed portable hash ([`hash`]), and no hash-map
//! iteration order reaches any output (ordered maps or explicit sorts), so a
//! seed fixes every result bit for bit.
//!
//! | module | principal types | answers |
//! | --- | --- | --- |
//! | [`reservoir`] | [`ReservoirL`] (default), [`ReservoirR`], [`WeightedReservoir`], [`reservoir::merge`] | uniform / weighted `k`-sample of a stream; exact merge |
//! | [`lecture`] | [`lecture::reservoir_sample`], [`lecture::LectureMisraGries`] | the lecture's code, ported with its off-by-one |
//! | [`varopt`] | [`VarOpt`] | mergeable weighted `k`-sample with unbiased, variance-optimal subset sums |
//! | [`misra_gries`] | [`MisraGries`] | frequencies within `n/(k+1)`, heavy hitters, mergeable |
//! | [`space_saving`] | [`SpaceSaving`] | top-`k` with per-item error; `O(1)` updates (Stream-Summary); mergeable |
//! | [`count_min`] | [`CountMin`] | frequencies within `eps n` w.p. `1 - delta`; mergeable, subtractable (windows by panes), conservative update |
//! | [`hyperloglog`] | [`HyperLogLog`] | distinct count within about `1.04/sqrt(m)` standard error at every `n` (Ertl 2017) |
//! | [`kll`] | [`Kll`] | quantiles and ranks within about `1/k` of `n`; mergeable |
//! | [`dgim`] | [`Dgim`] | 1s in a sliding window within relative error `1/r` |
//! | [`exp_histogram`] | [`ExpHistogram`] | sum of the last `N` values within relative error `1/r` |
//! | [`serial`] | [`serial::FORMAT_VERSION`] | the versioned serde format of every sketch |
//!
//! Windows by merging: every summary above except the two sliding-window
//! ones merges (HyperLogLog, Count-Min, Misra-Gries, Space-Saving, KLL,
//! VarOpt, uniform reservoirs), so a window can be kept as one summary per
//! pane and combined on demand ([`merge_panes`] through the [`Mergeable`]
//! trait); Count-Min also subtracts, so a running
//! window summary can drop the pane that leaves.
//!
//! # Example
//!
//! ```
//! use rand::SeedableRng;
//! use rand_chacha::ChaCha8Rng;
//! use stream_algorithms::{MisraGries, ReservoirL};
//!
//! // A uniform sample of 3 items from a stream of 1000.
//! let mut res = ReservoirL::new(3, ChaCha8Rng::seed_from_u64(7));
//! for i in 0..1000u32 {
//!     res.add(i);
//! }
//! assert_eq!(res.sample().len(), 3);
//! assert_eq!(res.seen(), 1000);
//!
//! // Misra-Gries with 2 counters: every estimate is within n/3 below the truth.
//! let mut mg = MisraGries::new(2);
//! for c in "ABCEAAADFEFFFBBCCDFFF".chars() {
//!     mg.add(c);
//! }
//! let f_true = 7; // 'F' occurs 7 times
//! assert!(mg.estimate(&'F') <= f_true);
//! assert!(mg.estimate(&'F') + mg.error_bound() >= f_true);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod count_min;
pub mod dgim;
pub mod exp_histogram;
pub mod hash;
pub mod hyperloglog;
pub mod kll;
pub mod lecture;
pub mod merge;
pub mod misra_gries;
pub mod reservoir;
mod rngutil;
pub mod serial;
pub mod space_saving;
pub mod varopt;

pub use count_min::CountMin;
pub use dgim::Dgim;
pub use exp_histogram::ExpHistogram;
pub use hyperloglog::HyperLogLog;
pub use kll::Kll;
pub use merge::{merge_panes, Mergeable};
pub use misra_gries::MisraGries;
pub use reservoir::{ReservoirL, ReservoirR, WeightedReservoir};
pub use space_saving::SpaceSaving;
pub use varopt::VarOpt;
