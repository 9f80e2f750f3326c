//! The streaming models, each in a folder of its own, all on the same virtual clock,
//! cluster, sources and ledger.
//!
//! - [`dstream`]: Spark Streaming's DStream engine (discretized streams: micro-batches of
//!   RDDs on a batch interval).
//! - [`dataflow`]: the Dataflow model as Apache Beam runs it (event-time windows,
//!   watermarks, triggers, panes, accumulation modes).
//!
//! A model never imports another model; what two models share moves down into the shared
//! layers (`sim`, `value`, `func`, `cluster`, `io`, `ledger`). ARCHITECTURE.md, "What a
//! model provides", lists what each one must offer the front ends and the checker.

pub mod dataflow;
pub mod dstream;
pub mod flink;
pub mod storm;
pub mod structured;
