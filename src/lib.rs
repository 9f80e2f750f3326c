//! stream-sim: a deterministic simulator of Spark Streaming's DStream model.
#![warn(missing_docs)]
pub mod bench;
pub mod book;
pub mod challenge;
pub mod check;
pub mod cluster;
pub mod event_time;
pub mod func;
pub mod io;
pub mod ledger;
pub mod models;
pub mod plot;
pub mod repl;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod spark;
pub mod value;
