//! Blocks and where they live: the block manager's unit of storage (Spark's `BlockManager`,
//! `core/src/main/scala/org/apache/spark/storage/BlockManager.scala`, and `StreamBlockId`).
//!
//! A receiver's block generator cuts blocks; the cluster stores each on an executor's block
//! manager (and a replica, and the write-ahead log on reliable storage); tasks read them back.
//! Every model that stores received data in blocks uses this type.

use crate::sim::Time;
use crate::value::Value;
use std::sync::Arc;

/// A block of received records.
#[derive(Clone, Debug)]
pub struct Block {
    /// `input-<stream>-<n>` (Spark's `StreamBlockId` names it `input-<stream>-<unique id>`).
    /// Shared, not copied: the executors' block maps, the write-ahead log, the tracker and
    /// the ledger all key on this one allocation (issue 15: a `String` per map was most of
    /// `Cluster::store`).
    pub id: Arc<str>,
    /// The input stream it belongs to.
    pub input: usize,
    /// When it was cut (virtual ms).
    pub time: Time,
    /// Its records, in arrival order.
    pub records: Arc<Vec<Value>>,
    /// Each record's offset in its source (the ledger's record identity).
    pub offsets: Arc<Vec<u64>>,
}
