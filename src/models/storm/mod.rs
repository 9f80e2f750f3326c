//! The Storm model: record-at-a-time processing with per-tuple acking (Apache Storm,
//! `storm-client/src/jvm/org/apache/storm/`), on the same virtual clock, cluster network,
//! sources, faults and ledger as the DStream model.
//!
//! Modules follow Storm's classes: [`topology`] (`TopologyBuilder`, groupings),
//! [`acker`] (`Acker`: the XOR of a tuple tree's edge ids), [`rotating_map`]
//! (`RotatingMap`: timeouts), [`local_cluster`] (`LocalCluster`: tasks on workers, the spout
//! executor's pending map, `topology.message.timeout.secs`, `topology.max.spout.pending`,
//! worker failures), [`trident`] (micro-batches with txids and transactional / opaque
//! state). What it teaches against Spark Streaming: Storm tracks every record,
//! not every batch, so a lost tuple is replayed alone (at-least-once), and a stateful bolt
//! that already counted part of the replayed record counts it again.

pub mod acker;
pub mod config;
pub mod local_cluster;
pub mod rotating_map;
pub mod topology;
pub mod trace;
pub mod trident;

pub use config::{StormConfig, StormReport};
pub use local_cluster::{LocalCluster, PendingTrees};
pub use topology::{BoltLogic, Grouping, Topology, TopologyBuilder};
pub use trace::StormEvent;
