//! Virtual time and seeded randomness: the only two things that decide what happens next.
//!
//! `Time`/`Duration` are virtual milliseconds; [`rng::SeedTree`] derives one ChaCha RNG per
//! subsystem from the root seed, so adding a consumer of randomness in one subsystem never
//! reshuffles another's draws; [`events::EventQueue`] orders what happens at each instant.

pub mod events;
pub mod rng;
pub mod time;
pub mod time_runs;

pub use events::EventQueue;
pub use time::{Duration, Time};
pub use time_runs::TimeRuns;
