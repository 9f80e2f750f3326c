//! stream-sim: a deterministic simulator of Spark Streaming's DStream model.
pub mod expr;
pub mod scenario;
pub mod sim;
pub mod value;
