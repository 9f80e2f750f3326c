//! Spark itself as a front end: `stream-sim import Prog.scala` reads a Spark Streaming
//! program written in the programming guide's style and writes the equivalent scenario.
//!
//! The program's pipeline is read by the scenario parser (which knows the guide's Scala:
//! `scenario::parse`, see `parse/scala.rs`); this module maps the context-level calls of
//! `StreamingContext.scala` (Spark 3.5: the constructor's batch duration, `checkpoint`,
//! `socketTextStream`, `textFileStream`, `queueStream`, `start`, `awaitTermination`) to the
//! scenario's `[context]` and `[sources]`, and refuses anything else with the position in
//! the Scala file.
//!
//! `stream-sim export SCENARIO` goes the other way: a scenario as a runnable Spark Streaming
//! program in Scala or PySpark, and `--verify` runs it on local Spark against the simulator
//! ([`export`]).

pub mod export;
pub mod import;

pub use import::{import_scala, ImportOptions};
