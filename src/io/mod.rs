//! Sources of input records, replayed onto virtual time.
//!
//! Every source turns real data (a text file, a CSV file) into a list of records with their
//! virtual arrival times; receivers pull from it as the clock advances. Nothing here reads
//! the wall clock or draws randomness.

pub mod sources;

pub use sources::{CsvEventSpec, EventTime, FileDrop, QueueSource, TimedRecords};
