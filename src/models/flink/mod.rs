//! The Flink model: record-at-a-time operators with durable keyed state and periodic
//! checkpoints by aligned barriers (Apache Flink, `flink-runtime/` and
//! `flink-streaming-java/`), on the same virtual clock, sources, faults and ledger as the
//! other models.
//!
//! Modules: [`job`] (the job and its `CheckpointConfig`), [`mini_cluster`] (subtasks,
//! channels, the `CheckpointCoordinator`, alignment, restore, the two-phase-commit sink),
//! [`trace`]. What it teaches against Spark Streaming and Storm: state is exactly-once
//! because every operator restores the same consistent cut and the sources rewind to it;
//! without alignment (at-least-once mode) the cut is not consistent and replays count twice;
//! output is exactly-once end to end only through a transactional (2PC) sink.

pub mod job;
pub mod mini_cluster;
pub mod trace;

pub use job::{CheckpointingMode, FlinkJob};
pub use mini_cluster::{FlinkReport, MiniCluster};
pub use trace::FlinkEvent;
