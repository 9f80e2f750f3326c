//! The DStream model: Spark Streaming's engine (`streaming/src/main/scala/org/apache/spark/streaming/`)
//! on the virtual clock.
//!
//! Modules are named after the Spark classes they transcribe, so each reads beside Spark's
//! file: [`streaming_context`] (`StreamingContext.scala`), [`dstream_graph`]
//! (`DStreamGraph.scala` and the `dstream/*DStream.scala` classes' `compute`), [`rdd`] and
//! [`ops`] (the RDD operations a batch uses), [`receiver`] (`Receiver`, `BlockGenerator`),
//! and [`trace`] (the typed events every front end reads).

pub mod dstream_graph;
pub mod error;
pub mod ops;
pub mod rdd;
pub mod receiver;
pub mod sketches;
pub mod streaming_context;
pub mod trace;

pub use dstream_graph::{Graph, InputKind, Node, Op, StreamId, TransformFn};
pub use error::SparkError;
pub use ops::JoinKind;
pub use rdd::Rdd;
pub use streaming_context::{add_fn, sub_fn, Config, DStream, Snapshot, State, StreamingContext};
pub use trace::Event;
