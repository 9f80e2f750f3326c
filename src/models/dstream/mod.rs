//! The DStream model: Spark Streaming's engine (`streaming/src/main/scala/org/apache/spark/streaming/`)
//! on the virtual clock.
//!
//! Modules are named after the Spark classes they transcribe, so each reads beside Spark's
//! file: [`streaming_context`] (`StreamingContext.scala`), [`dstream_graph`]
//! (`DStreamGraph.scala` and the `dstream/*DStream.scala` classes' `compute`), [`rdd`] and
//! [`ops`] (the RDD operations a batch uses), [`receiver`] (`Receiver`, `BlockGenerator`),
//! and [`trace`] (the typed events every front end reads).

pub mod broadcast;
pub mod checkpoint;
pub mod config;
mod driver;
// Named after `DStream.scala`, the class it transcribes, like its siblings.
#[allow(clippy::module_inception)]
pub mod dstream;
pub mod dstream_graph;
pub mod error;
mod event_loop;
mod failures;
mod graceful_stop;
pub mod input_dstreams;
mod job_generator;
mod job_scheduler;
pub mod more_sketches;
pub mod ops;
pub mod output_ops;
pub mod pid_rate_estimator;
mod rate_controller;
pub mod rate_limiter;
pub mod rdd;
pub mod received_block_tracker;
pub mod receiver;
mod receiver_supervisor;
mod receiver_tracker;
pub mod sketches;
pub mod streaming_context;
mod task_scheduler;
pub mod trace;

pub use config::{Config, State};
pub use dstream::{add_fn, sub_fn};
pub use dstream_graph::{Graph, InputKind, Node, Op, StreamId, TransformFn};
pub use error::SparkError;
pub use input_dstreams::InputSource;
pub use ops::JoinKind;
pub use output_ops::{print_lines, ForeachFn, Output, OutputKind};
pub use rdd::Rdd;
pub use received_block_tracker::{LogSegment, TrackerLogEvent};
pub use streaming_context::{DStream, Snapshot, StreamingContext};
pub use trace::Event;
