//! `ReceivedBlockTracker` (`scheduler/ReceivedBlockTracker.scala`): the driver's record of
//! received blocks, queued per stream until the job generator allocates them to a batch,
//! with its own write-ahead log on reliable storage.
//!
//! Every change of state is first written to the tracker's log as one of three events, as
//! in Spark: [`TrackerLogEvent::BlockAddition`] (`addBlock`),
//! [`TrackerLogEvent::BatchAllocation`] (`allocateBlocksToBatch`) and
//! [`TrackerLogEvent::BatchCleanup`] (`cleanupOldBatches`). The log is on exactly when the
//! context has a checkpoint directory (`createWriteAheadLog` maps the checkpoint directory
//! to `<dir>/receivedBlockMetadata`); it is independent of the *receiver's* write-ahead log
//! (`spark.streaming.receiver.writeAheadLog.enable`), which stores the blocks' data.
//!
//! When the driver dies, the tracker's memory dies with it. A restarted driver builds a new
//! tracker from the log alone ([`ReceivedBlockTracker::recover`], Spark's
//! `recoverPastEvents`): an added block goes back to its stream's queue, an allocation
//! empties the queues and records the batch (so blocks added but never allocated are queued
//! again, and allocated ones are not), a cleanup forgets batches. Without a log the new
//! tracker starts empty.
//!
//! The log rolls into segments of [`ROLLING_INTERVAL`] (Spark's
//! `spark.streaming.driver.writeAheadLog.rollingIntervalSecs`, 60 s); cleanup deletes the
//! segments that end before the cleanup threshold (`FileBasedWriteAheadLog.clean`).

use crate::cluster::Block;
use crate::sim::{Duration, Time};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long one segment of the tracker's log covers before the log rolls to a new one
/// (`spark.streaming.driver.writeAheadLog.rollingIntervalSecs`, default 60 s).
pub const ROLLING_INTERVAL: Duration = Duration::from_ms(60_000);

/// One record of the tracker's write-ahead log (`ReceivedBlockTrackerLogEvent`).
#[derive(Clone, Debug, PartialEq)]
pub enum TrackerLogEvent {
    /// `BlockAdditionEvent`: a receiver reported a block (its metadata; the data itself is
    /// in the executors and, with the receiver's WAL, in reliable storage).
    BlockAddition {
        /// The input stream number.
        input: usize,
        /// The block id (`input-<stream>-<n>`), shared with the block.
        block: Arc<str>,
        /// Records in the block.
        records: usize,
    },
    /// `BatchAllocationEvent`: every queued block was allocated to batch `time`.
    BatchAllocation {
        /// The batch time.
        time: Time,
        /// The block ids allocated, per input stream in input order (an empty list is
        /// still recorded). A short sorted list, not a map: one allocation, where a
        /// `BTreeMap` node took about 370 bytes per batch in every time-travel snapshot.
        blocks: Vec<(usize, Vec<Arc<str>>)>,
    },
    /// `BatchCleanupEvent`: the allocations of these batch times were forgotten.
    BatchCleanup {
        /// The batch times cleaned up.
        times: Vec<Time>,
    },
}

/// One segment (file) of the tracker's log: the events written in `[start, start +
/// ROLLING_INTERVAL)` of virtual time.
#[derive(Clone, Debug)]
pub struct LogSegment {
    /// When the segment was opened (virtual ms).
    pub start: Time,
    /// The last instant it covers (exclusive).
    pub end: Time,
    /// Its records, in the order written, each with the time it was written.
    pub events: Vec<(Time, TrackerLogEvent)>,
}

/// The tracker's write-ahead log on reliable storage: survives every failure. Blocks are
/// kept with their events only so that recovery can hand the same `Block` values back (the
/// real log holds serialized `ReceivedBlockInfo`, which names the same data).
#[derive(Clone, Debug, Default)]
pub struct TrackerLog {
    segments: Vec<LogSegment>,
    /// Each block the live events name, with how many live events name it.
    blocks: BTreeMap<Arc<str>, (Arc<Block>, u32)>,
    deleted_segments: usize,
}

impl TrackerLog {
    /// Appends `event` at `t`, rolling to a new segment when the current one is over, and
    /// counts it for each block it names.
    fn write(&mut self, t: Time, event: TrackerLogEvent) {
        for_named(&event, |id| {
            if let Some(b) = self.blocks.get_mut(id) {
                b.1 += 1;
            }
        });
        self.append(t, event);
    }

    /// Appends `event` at `t` without counting it for the blocks it names (the caller did).
    fn append(&mut self, t: Time, event: TrackerLogEvent) {
        let roll = self.segments.last().is_none_or(|s| t >= s.end);
        if roll {
            self.segments.push(LogSegment {
                start: t,
                end: t.plus(ROLLING_INTERVAL),
                events: Vec::new(),
            });
        }
        if let Some(s) = self.segments.last_mut() {
            s.events.push((t, event));
        }
    }

    /// Deletes the segments that end at or before `threshold` (`clean(threshTime)`); a block
    /// is forgotten once no remaining event names it.
    ///
    /// Cost: proportional to the deleted segments' events (reference counts per block), not
    /// to the whole log.
    fn clean(&mut self, threshold: Time) {
        let keep_from = self.segments.partition_point(|s| s.end <= threshold);
        if keep_from == 0 {
            return;
        }
        let dead: Vec<LogSegment> = self.segments.drain(..keep_from).collect();
        self.deleted_segments += dead.len();
        for (_, e) in dead.iter().flat_map(|s| s.events.iter()) {
            for_named(e, |id| {
                if let Some(b) = self.blocks.get_mut(id) {
                    b.1 -= 1;
                    if b.1 == 0 {
                        self.blocks.remove(id);
                    }
                }
            });
        }
    }

    /// The live segments, oldest first.
    pub fn segments(&self) -> &[LogSegment] {
        &self.segments
    }

    /// How many segments cleanup has deleted so far.
    pub fn deleted_segments(&self) -> usize {
        self.deleted_segments
    }

    /// Every event of the live segments, in the order written.
    pub fn events(&self) -> impl Iterator<Item = &(Time, TrackerLogEvent)> {
        self.segments.iter().flat_map(|s| s.events.iter())
    }
}

/// Calls `f` on each block id an event names, in order.
fn for_named(e: &TrackerLogEvent, mut f: impl FnMut(&str)) {
    match e {
        TrackerLogEvent::BlockAddition { block, .. } => f(block),
        TrackerLogEvent::BatchAllocation { blocks, .. } => {
            for id in blocks.iter().flat_map(|(_, ids)| ids) {
                f(id);
            }
        }
        TrackerLogEvent::BatchCleanup { .. } => {}
    }
}

/// One batch's blocks per input, in input order (shared with the executors storing them).
type BatchBlocks = Vec<(usize, Vec<Arc<Block>>)>;

/// The driver's record of received blocks: queued (not yet allocated) and allocated per
/// batch time, and its write-ahead log when there is a checkpoint directory.
#[derive(Clone, Debug, Default)]
pub struct ReceivedBlockTracker {
    queued: BTreeMap<usize, Vec<Arc<Block>>>,
    /// Per batch time, the blocks per input in input order (a short sorted list: see
    /// [`TrackerLogEvent::BatchAllocation`]).
    allocated: BTreeMap<Time, BatchBlocks>,
    last_allocated: Option<Time>,
    log: Option<TrackerLog>,
}

impl ReceivedBlockTracker {
    /// A tracker with no blocks; `logged` turns its write-ahead log on (the context has a
    /// checkpoint directory).
    pub fn new(logged: bool) -> ReceivedBlockTracker {
        ReceivedBlockTracker {
            log: logged.then(TrackerLog::default),
            ..ReceivedBlockTracker::default()
        }
    }

    /// Turns the log on (the context was given a checkpoint directory before it started).
    pub fn enable_log(&mut self) {
        if self.log.is_none() {
            self.log = Some(TrackerLog::default());
        }
    }

    /// The write-ahead log, if on.
    pub fn log(&self) -> Option<&TrackerLog> {
        self.log.as_ref()
    }

    /// Adds a reported block to its stream's queue (`addBlock`), after logging it. The
    /// block is shared with the executors that store it.
    pub fn add_block(&mut self, t: Time, block: Arc<Block>) {
        if let Some(log) = &mut self.log {
            // Named by the one event written next: counted here, not looked up again.
            log.blocks.insert(block.id.clone(), (Arc::clone(&block), 1));
            log.append(
                t,
                TrackerLogEvent::BlockAddition {
                    input: block.input,
                    block: block.id.clone(),
                    records: block.records.len(),
                },
            );
        }
        self.queued.entry(block.input).or_default().push(block);
    }

    /// Allocates every queued block of `inputs` to batch `t` (`allocateBlocksToBatch`),
    /// after logging the allocation. A time at or before the last allocated time does
    /// nothing: the blocks stay queued. Returns the allocated block ids (empty allocations
    /// are still recorded).
    pub fn allocate(&mut self, t: Time, inputs: &[usize]) -> Option<Vec<String>> {
        if self.last_allocated.is_some_and(|last| t <= last) {
            return None;
        }
        let mut batch = BTreeMap::new();
        let mut ids = Vec::new();
        for &i in inputs {
            let blocks = self.queued.remove(&i).unwrap_or_default();
            ids.extend(blocks.iter().map(|b| b.id.to_string()));
            batch.insert(i, blocks);
        }
        let batch: BatchBlocks = batch.into_iter().collect();
        if let Some(log) = &mut self.log {
            let blocks = batch
                .iter()
                .map(|(i, bs)| (*i, bs.iter().map(|b| b.id.clone()).collect()))
                .collect();
            log.write(t, TrackerLogEvent::BatchAllocation { time: t, blocks });
        }
        self.allocated.insert(t, batch);
        self.last_allocated = Some(t);
        Some(ids)
    }

    /// The blocks of input `input` allocated to batch `t`.
    pub fn blocks_of(&self, t: Time, input: usize) -> &[Arc<Block>] {
        self.allocated
            .get(&t)
            .and_then(|b| b.iter().find(|(i, _)| *i == input))
            .map(|(_, blocks)| blocks.as_slice())
            .unwrap_or(&[])
    }

    /// Blocks reported but not yet allocated, per input.
    pub fn queued(&self) -> &BTreeMap<usize, Vec<Arc<Block>>> {
        &self.queued
    }

    /// Drops allocations of batches older than `threshold` (`cleanupOldBatches`), logging
    /// the cleanup and deleting the log segments that end before `threshold`; returns the
    /// ids of the dropped batches' blocks, which executors and the receivers' log can then
    /// delete. `now` is when the cleanup runs.
    pub fn cleanup(&mut self, now: Time, threshold: Time) -> Vec<String> {
        let keep = self.allocated.split_off(&threshold);
        let old = std::mem::replace(&mut self.allocated, keep);
        if let Some(log) = &mut self.log {
            if !old.is_empty() {
                let times = old.keys().copied().collect();
                log.write(now, TrackerLogEvent::BatchCleanup { times });
            }
            log.clean(threshold);
        }
        old.into_values()
            .flat_map(|per_input| {
                per_input
                    .into_iter()
                    .flat_map(|(_, bs)| bs)
                    .map(|b| b.id.to_string())
            })
            .collect()
    }

    /// The tracker a restarted driver builds (Spark creates a new `ReceivedBlockTracker`
    /// with `recoverFromWriteAheadLog`): replays this tracker's log if it has one
    /// (`recoverPastEvents`), or starts empty. Nothing of the dead driver's memory is used.
    /// Returns the new tracker and how many log events were replayed.
    pub fn recover(&self) -> (ReceivedBlockTracker, usize) {
        let Some(log) = &self.log else {
            return (ReceivedBlockTracker::default(), 0);
        };
        let mut fresh = ReceivedBlockTracker {
            log: Some(log.clone()),
            ..ReceivedBlockTracker::default()
        };
        let block = |id: &Arc<str>| log.blocks.get(id).map(|(b, _)| Arc::clone(b));
        let mut replayed = 0;
        for (_, event) in log.events() {
            replayed += 1;
            match event {
                TrackerLogEvent::BlockAddition {
                    input, block: id, ..
                } => {
                    if let Some(b) = block(id) {
                        fresh.queued.entry(*input).or_default().push(b);
                    }
                }
                TrackerLogEvent::BatchAllocation { time, blocks } => {
                    // When the blocks were allocated, the queues were emptied.
                    fresh.queued.clear();
                    let batch = blocks
                        .iter()
                        .map(|(i, ids)| (*i, ids.iter().filter_map(block).collect()))
                        .collect();
                    fresh.allocated.insert(*time, batch);
                    fresh.last_allocated = Some(*time);
                }
                TrackerLogEvent::BatchCleanup { times } => {
                    for t in times {
                        fresh.allocated.remove(t);
                    }
                }
            }
        }
        (fresh, replayed)
    }

    /// Batch allocations held.
    pub fn allocated_batches(&self) -> usize {
        self.allocated.len()
    }

    /// Lets batch times at or after `t` be allocated again (recovery re-runs them), keeping
    /// the allocations the log recorded.
    pub fn rewind_to(&mut self, t: Time) {
        if self.last_allocated.is_some_and(|last| last >= t) {
            self.last_allocated = self.allocated.range(..t).next_back().map(|(k, _)| *k);
        }
    }

    /// True when batch `t` already has an allocation (replayed from the log).
    pub fn has_allocation(&self, t: Time) -> bool {
        self.allocated.contains_key(&t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(input: usize, n: u64, at: u64) -> Arc<Block> {
        Arc::new(Block {
            id: format!("input-{input}-{n}").into(),
            input,
            time: Time(at),
            records: Arc::new(Vec::new()),
            offsets: Arc::new(vec![n]),
        })
    }

    fn ids(blocks: &[Arc<Block>]) -> Vec<String> {
        blocks.iter().map(|b| b.id.to_string()).collect()
    }

    /// Recovery rebuilds the tracker from its log alone: allocated blocks stay allocated,
    /// blocks added after the last allocation go back to the queue.
    #[test]
    fn recovery_replays_the_log() {
        let mut t = ReceivedBlockTracker::new(true);
        t.add_block(Time(200), block(0, 0, 200));
        t.add_block(Time(400), block(0, 1, 400));
        t.allocate(Time(1000), &[0]);
        t.add_block(Time(1200), block(0, 2, 1200));
        let (r, replayed) = t.recover();
        assert_eq!(replayed, 4);
        assert_eq!(ids(r.blocks_of(Time(1000), 0)), ["input-0-0", "input-0-1"]);
        assert_eq!(ids(&r.queued()[&0]), ["input-0-2"]);
        assert!(r.has_allocation(Time(1000)));
        // The recovered tracker refuses to allocate the logged batch again.
        let mut r = r;
        assert_eq!(r.allocate(Time(1000), &[0]), None);
        assert_eq!(r.allocate(Time(2000), &[0]), Some(vec!["input-0-2".into()]));
    }

    /// Without a log (no checkpoint directory) a restarted driver's tracker is empty.
    #[test]
    fn without_a_log_recovery_starts_empty() {
        let mut t = ReceivedBlockTracker::new(false);
        t.add_block(Time(200), block(0, 0, 200));
        t.allocate(Time(1000), &[0]);
        let (r, replayed) = t.recover();
        assert_eq!(replayed, 0);
        assert!(r.queued().is_empty());
        assert!(!r.has_allocation(Time(1000)));
        assert!(r.log().is_none());
    }

    /// Cleanup is logged, replayed, and deletes the segments that end before the threshold.
    #[test]
    fn cleanup_is_logged_and_old_segments_are_deleted() {
        let mut t = ReceivedBlockTracker::new(true);
        t.add_block(Time(500), block(0, 0, 500));
        t.allocate(Time(1000), &[0]);
        t.add_block(Time(61_000), block(0, 1, 61_000));
        t.allocate(Time(62_000), &[0]);
        assert_eq!(t.log().map(|l| l.segments().len()), Some(2));
        let dropped = t.cleanup(Time(130_000), Time(62_000));
        assert_eq!(dropped, ["input-0-0"]);
        let log = t.log().expect("log on");
        assert_eq!(log.deleted_segments(), 1);
        assert!(matches!(
            log.events().last(),
            Some((_, TrackerLogEvent::BatchCleanup { times })) if times == &[Time(1000)]
        ));
        let (r, _) = t.recover();
        assert!(!r.has_allocation(Time(1000)));
        assert_eq!(ids(r.blocks_of(Time(62_000), 0)), ["input-0-1"]);
    }
}
