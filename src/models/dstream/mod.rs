//! The DStream engine: StreamingContext, the DStream graph, RDDs with lineage, receivers
//! and the block tracker, and the job generator's run loop on the virtual clock.
//!
//! Layers, bottom up: [`rdd`] (partitioned data with lineage) and [`ops`] (what each
//! operator does to one RDD); [`graph`] (DStreams and how each produces the RDD of a batch,
//! after Spark's DStream classes); [`receiver`] (block generator, `ReceivedBlockTracker`);
//! [`context`] (the public `StreamingContext`/`DStream` API and the event loop); [`trace`]
//! (the typed events every front end reads).

pub mod context;
pub mod error;
pub mod graph;
pub mod ops;
pub mod rdd;
pub mod receiver;
pub mod sketches;
pub mod trace;

pub use context::{Config, DStream, State, StreamingContext};
pub use error::SparkError;
pub use graph::StreamId;
pub use ops::JoinKind;
pub use rdd::Rdd;
pub use trace::Event;
