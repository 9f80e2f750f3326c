//! Virtual time and seeded randomness: the only two things that decide what happens next.
//!
//! `Time`/`Duration` are virtual milliseconds; [`rng::SeedTree`] derives one ChaCha RNG per
//! subsystem from the root seed, so adding a consumer of randomness in one subsystem never
//! reshuffles another's draws.

pub mod rng;
pub mod time;

pub use time::{Duration, Time};
