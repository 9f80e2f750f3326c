//! The Flink model: record-at-a-time operators with durable keyed state and periodic
//! checkpoints by aligned barriers (Apache Flink, `flink-runtime/` and
//! `flink-streaming-java/`), on the same virtual clock, sources, faults and ledger as the
//! other models.
//!
//! Modules: [`job`] (the job and its `CheckpointConfig`), [`mini_cluster`] (subtasks,
//! channels, the keyed operator), [`inspect`] (the REPL's views, faults injected now, protocol faults, stepping by record), [`checkpoint_coordinator`] (barriers: aligned, at least
//! once, unaligned; savepoints; failure and restore; the two-phase-commit sink),
//! [`watermarks`] (`BoundedOutOfOrdernessWatermarks`, `StatusWatermarkValve`),
//! [`window_operator`] (`WindowOperator` with `EventTimeTrigger`, allowed lateness, late
//! side output), [`trace`]. What it teaches against Spark Streaming and Storm: state is exactly-once
//! because every operator restores the same consistent cut and the sources rewind to it;
//! without alignment (at-least-once mode) the cut is not consistent and replays count twice;
//! output is exactly-once end to end only through a transactional (2PC) sink.

pub mod checkpoint_coordinator;
pub mod inspect;
pub mod job;
pub mod mini_cluster;
pub mod trace;
pub mod watermarks;
pub mod window_operator;

pub use inspect::{CheckpointView, KeyedView};
pub use job::{CheckpointingMode, FlinkJob, KeyedOperator, ProtocolFault, SavepointCommand};
pub use mini_cluster::{FlinkReport, LateElement, MiniCluster, WindowFiring};
pub use trace::FlinkEvent;
pub use watermarks::{BoundedOutOfOrdernessWatermarks, StatusWatermarkValve, WatermarkEmission};
pub use window_operator::{WindowOperator, WindowOutput, WindowSpec};
