//! Receivers and their block generator (`receiver/Receiver.scala`,
//! `receiver/BlockGenerator.scala`); the driver's side is [`super::received_block_tracker`].
//!
//! A receiver runs on a worker and holds one of its cores. It pulls the records its source
//! delivered into a buffer; every block interval the block generator turns a non-empty buffer
//! into a block (an empty buffer makes no block, as in Spark's
//! `BlockGenerator.updateCurrentBuffer`). The block is stored (and replicated, and written to
//! the write-ahead log) by the cluster, then reported to the tracker, which queues blocks per
//! stream until the job generator allocates all queued blocks to the next batch
//! (SPARK-RULES.md, "Received blocks").
//!
//! Reliability (the guide's "Receiver Reliability"): a *reliable* receiver acknowledges a
//! block to its source only after it is stored and replicated; whatever the source delivered
//! but did not see acknowledged is sent again when the receiver restarts. An *unreliable*
//! receiver (a socket) never acknowledges: what sits in its buffer when it dies is lost, and
//! so is whatever the source sends while it is down.

use super::rate_limiter::RateLimiter;
use crate::cluster::Block;
use crate::io::TimedRecords;
use crate::sim::Time;
use crate::value::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// One receiver: its source, the block generator's buffer, and what is not yet acknowledged.
#[derive(Clone, Debug)]
pub struct Receiver {
    /// The input stream number the receiver feeds.
    pub input: usize,
    /// The stream id used in block ids (Spark's receiver stream id).
    pub stream_id: usize,
    /// Whether it acknowledges stored blocks (and its source replays unacknowledged data).
    pub reliable: bool,
    /// The worker it runs on; `None` while it is down.
    pub worker: Option<usize>,
    source: TimedRecords,
    next_block: u64,
    buffer: Vec<(u64, Value)>,
    unacked: BTreeMap<String, Vec<(u64, Value)>>,
    replay: VecDeque<(u64, Value)>,
    /// The block generator's rate limiter (`spark.streaming.receiver.maxRate`,
    /// backpressure); unlimited by default.
    pub limiter: RateLimiter,
    /// Records the source sent that the rate limiter has not admitted yet: they wait at
    /// the source (TCP flow control), not in the receiver.
    held: VecDeque<(u64, Value)>,
    /// `receiver.stop()`: a stopped receiver receives nothing more (graceful or not).
    pub stopped: bool,
}

impl Receiver {
    /// A (running-nowhere-yet) unreliable receiver for input `input` reading `source`.
    pub fn new(input: usize, stream_id: usize, source: TimedRecords) -> Receiver {
        Receiver {
            input,
            stream_id,
            reliable: false,
            worker: None,
            source,
            next_block: 0,
            buffer: Vec::new(),
            unacked: BTreeMap::new(),
            replay: VecDeque::new(),
            limiter: RateLimiter::default(),
            held: VecDeque::new(),
            stopped: false,
        }
    }

    /// The source's record at `offset` (its identity in the ledger) and when it arrives;
    /// read-only, for the REPL's `ledger`.
    pub fn source_record(&self, offset: u64) -> Option<(Time, &Value)> {
        self.source.iter().nth(usize::try_from(offset).ok()?)
    }

    /// The source, consumed (used when the engine assigns the receiver its stream).
    pub fn into_source(self) -> TimedRecords {
        self.source
    }

    /// Receives what the source delivered up to `t`. A dead unreliable receiver's source
    /// sends into the void: returns `(received offsets, offsets lost because nobody listened)`.
    /// A dead reliable receiver's source keeps its data for later.
    pub fn receive(&mut self, t: Time) -> (Vec<u64>, Vec<u64>) {
        if self.worker.is_none() {
            if self.reliable {
                return (Vec::new(), Vec::new());
            }
            return (Vec::new(), self.source.skip_until(t));
        }
        let start = self.buffer.len();
        if self.stopped {
            return (Vec::new(), Vec::new());
        }
        if self.limiter.rate().is_none() && self.held.is_empty() {
            while let Some(r) = self.replay.pop_front() {
                self.buffer.push(r);
            }
            self.source.pull_with_offsets(t, &mut self.buffer);
        } else {
            // BlockGenerator.addData -> waitToPush: only what the limiter admits enters the
            // buffer; the rest waits at the source, replayed records first.
            let mut arrived = Vec::new();
            self.source.pull_with_offsets(t, &mut arrived);
            self.held.extend(arrived);
            let wanting = self.replay.len() + self.held.len();
            let mut n = self.limiter.admit(t, wanting);
            while n > 0 {
                let Some(r) = self.replay.pop_front().or_else(|| self.held.pop_front()) else {
                    break;
                };
                self.buffer.push(r);
                n -= 1;
            }
        }
        (
            self.buffer[start..].iter().map(|(o, _)| *o).collect(),
            Vec::new(),
        )
    }

    /// The block generator's tick at `t`: the buffer becomes one block, or nothing if empty.
    /// A reliable receiver keeps the block's records until the block is acknowledged.
    pub fn cut_block(&mut self, t: Time) -> Option<Block> {
        if self.buffer.is_empty() || self.worker.is_none() {
            return None;
        }
        let taken = std::mem::take(&mut self.buffer);
        let id = format!("input-{}-{}", self.stream_id, self.next_block);
        self.next_block += 1;
        if self.reliable {
            self.unacked.insert(id.clone(), taken.clone());
        }
        let (offsets, records): (Vec<u64>, Vec<Value>) = taken.into_iter().unzip();
        Some(Block {
            id,
            input: self.input,
            time: t,
            records: Arc::new(records),
            offsets: Arc::new(offsets),
        })
    }

    /// The source saw the acknowledgement of `block`: it will not be sent again.
    pub fn ack(&mut self, block: &str) {
        self.unacked.remove(block);
    }

    /// The receiver dies (its worker or the driver failed). Returns the offsets lost with
    /// it: the buffer of an unreliable receiver. A reliable receiver's buffer and
    /// unacknowledged blocks are queued for replay instead.
    pub fn kill(&mut self) -> Vec<u64> {
        self.worker = None;
        let buffer = std::mem::take(&mut self.buffer);
        if self.reliable {
            let mut again: Vec<(u64, Value)> = std::mem::take(&mut self.unacked)
                .into_values()
                .flatten()
                .collect();
            again.extend(buffer);
            again.sort_by_key(|(o, _)| *o);
            again.dedup_by_key(|(o, _)| *o);
            self.replay.extend(again);
            Vec::new()
        } else {
            buffer.into_iter().map(|(o, _)| o).collect()
        }
    }

    /// The receiver starts (again) on `worker`, its rate limiter at its initial rate (a new
    /// `BlockGenerator`).
    pub fn start_on(&mut self, worker: usize) {
        self.worker = Some(worker);
        self.limiter.reset();
    }

    /// Records the source has not delivered yet (those waiting for the rate limiter too).
    pub fn remaining(&self) -> usize {
        self.source.remaining() + self.held.len()
    }

    /// Records waiting at the source for the rate limiter.
    pub fn held_back(&self) -> usize {
        self.held.len()
    }

    /// `receiver.stop()` (`ssc.stop`): it receives nothing more; what its buffer holds is
    /// pushed as a last block by the next block tick (`BlockGenerator.stop`).
    pub fn stop(&mut self) {
        self.stopped = true;
    }
}
