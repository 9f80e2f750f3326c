//! Receivers, the block generator and the driver's `ReceivedBlockTracker`.
//!
//! A receiver pulls the records its source delivered since the last tick into a buffer;
//! every block interval the block generator turns a non-empty buffer into a block (an empty
//! buffer makes no block, as in Spark's `BlockGenerator.updateCurrentBuffer`). Blocks are
//! reported to the tracker, which queues them per stream until the job generator allocates
//! all queued blocks to the next batch (SPARK-RULES.md, "Received blocks").

use crate::io::TimedRecords;
use crate::sim::Time;
use crate::value::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A block of received records.
#[derive(Clone, Debug)]
pub struct Block {
    /// `input-<stream>-<n>` (Spark's `StreamBlockId` names it `input-<stream>-<unique id>`).
    pub id: String,
    /// The input stream it belongs to.
    pub input: usize,
    /// When it was cut (virtual ms).
    pub time: Time,
    /// Its records, in arrival order.
    pub records: Arc<Vec<Value>>,
}

/// One receiver: its source and the block generator's current buffer.
#[derive(Clone, Debug)]
pub struct Receiver {
    /// The input stream number the receiver feeds.
    pub input: usize,
    /// The stream id used in block ids (Spark's receiver stream id).
    pub stream_id: usize,
    source: TimedRecords,
    next_block: u64,
}

impl Receiver {
    /// A receiver for input `input` reading `source`.
    pub fn new(input: usize, stream_id: usize, source: TimedRecords) -> Receiver {
        Receiver {
            input,
            stream_id,
            source,
            next_block: 0,
        }
    }

    /// The block generator's tick at `t`: everything received up to `t` becomes one block,
    /// or nothing if no record arrived.
    pub fn cut_block(&mut self, t: Time) -> Option<Block> {
        let mut buffer = Vec::new();
        if self.source.pull_until(t, &mut buffer) == 0 {
            return None;
        }
        let id = format!("input-{}-{}", self.stream_id, self.next_block);
        self.next_block += 1;
        Some(Block {
            id,
            input: self.input,
            time: t,
            records: Arc::new(buffer),
        })
    }

    /// The source, consumed (used when the engine assigns the receiver its stream).
    pub fn into_source(self) -> TimedRecords {
        self.source
    }

    /// Records the source has not delivered yet.
    pub fn remaining(&self) -> usize {
        self.source.remaining()
    }
}

/// The driver's record of received blocks: queued (not yet allocated) and allocated per
/// batch time.
#[derive(Clone, Debug, Default)]
pub struct ReceivedBlockTracker {
    queued: BTreeMap<usize, Vec<Block>>,
    allocated: BTreeMap<Time, BTreeMap<usize, Vec<Block>>>,
    last_allocated: Option<Time>,
}

impl ReceivedBlockTracker {
    /// Adds a reported block to its stream's queue (`addBlock`).
    pub fn add_block(&mut self, block: Block) {
        self.queued.entry(block.input).or_default().push(block);
    }

    /// Allocates every queued block to batch `t` (`allocateBlocksToBatch`). A time at or
    /// before the last allocated time does nothing: the blocks stay queued. Returns the
    /// allocated block ids (empty allocations are still recorded).
    pub fn allocate(&mut self, t: Time, inputs: &[usize]) -> Option<Vec<String>> {
        if self.last_allocated.is_some_and(|last| t <= last) {
            return None;
        }
        let mut batch = BTreeMap::new();
        let mut ids = Vec::new();
        for &i in inputs {
            let blocks = self.queued.remove(&i).unwrap_or_default();
            ids.extend(blocks.iter().map(|b| b.id.clone()));
            batch.insert(i, blocks);
        }
        self.allocated.insert(t, batch);
        self.last_allocated = Some(t);
        Some(ids)
    }

    /// The blocks of input `input` allocated to batch `t`.
    pub fn blocks_of(&self, t: Time, input: usize) -> &[Block] {
        self.allocated
            .get(&t)
            .and_then(|b| b.get(&input))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Blocks reported but not yet allocated, per input.
    pub fn queued(&self) -> &BTreeMap<usize, Vec<Block>> {
        &self.queued
    }

    /// Drops allocations of batches older than `threshold` (`cleanupOldBatches`); returns
    /// the times dropped.
    pub fn cleanup(&mut self, threshold: Time) -> Vec<Time> {
        let keep = self.allocated.split_off(&threshold);
        let old = std::mem::replace(&mut self.allocated, keep);
        old.into_keys().collect()
    }
}
