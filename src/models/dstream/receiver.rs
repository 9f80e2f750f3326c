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

/// `input-<stream>-<n>`, Spark's `StreamBlockId.name`, written straight into its one
/// allocation (`format!` and a copy into an `Arc` were most of cutting a block).
fn block_id(stream: usize, n: u64) -> Arc<str> {
    fn digits(mut v: u64, out: &mut [u8; 20]) -> &[u8] {
        let mut i = out.len();
        loop {
            i -= 1;
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                return &out[i..];
            }
        }
    }
    let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
    let (stream, n) = (digits(stream as u64, &mut a), digits(n, &mut b));
    let mut buf = [0u8; 48];
    let mut len = 0;
    for part in [&b"input-"[..], stream, b"-", n] {
        buf[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    // Only ASCII digits and `input-` were written.
    Arc::from(std::str::from_utf8(&buf[..len]).unwrap_or_default())
}

/// A block's offsets and records, shared with the block.
type BlockData = (Arc<Vec<u64>>, Arc<Vec<Value>>);

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
    /// The block generator's buffer: each record's offset in the source, and the records
    /// (kept apart so that a block takes both as they are, without unzipping).
    buffer_offsets: Vec<u64>,
    buffer: Vec<Value>,
    /// Blocks stored but not acknowledged, by block number: their offsets and records,
    /// shared with the block itself (a reliable receiver keeps them for replay).
    unacked: BTreeMap<u64, BlockData>,
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
            buffer_offsets: Vec::new(),
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
        let (start, dropped) = self.receive_from(t);
        (self.buffer_offsets[start..].to_vec(), dropped)
    }

    /// [`Receiver::receive`] without copying the received offsets: returns where they start
    /// in [`Receiver::buffered_offsets`] (its length when nothing was received) and the
    /// offsets lost because nobody listened.
    pub fn receive_from(&mut self, t: Time) -> (usize, Vec<u64>) {
        let start = self.buffer_offsets.len();
        if self.worker.is_none() {
            if self.reliable {
                return (start, Vec::new());
            }
            return (start, self.source.skip_until(t));
        }
        if self.stopped {
            return (start, Vec::new());
        }
        if self.limiter.rate().is_none() && self.held.is_empty() {
            while let Some((o, v)) = self.replay.pop_front() {
                self.buffer_offsets.push(o);
                self.buffer.push(v);
            }
            self.source
                .pull_split(t, &mut self.buffer_offsets, &mut self.buffer);
        } else {
            // BlockGenerator.addData -> waitToPush: only what the limiter admits enters the
            // buffer; the rest waits at the source, replayed records first.
            let mut arrived = Vec::new();
            self.source.pull_with_offsets(t, &mut arrived);
            self.held.extend(arrived);
            let wanting = self.replay.len() + self.held.len();
            let mut n = self.limiter.admit(t, wanting);
            while n > 0 {
                let Some((o, v)) = self.replay.pop_front().or_else(|| self.held.pop_front()) else {
                    break;
                };
                self.buffer_offsets.push(o);
                self.buffer.push(v);
                n -= 1;
            }
        }
        (start, Vec::new())
    }

    /// The offsets of the records in the block generator's buffer, in arrival order.
    pub fn buffered_offsets(&self) -> &[u64] {
        &self.buffer_offsets
    }

    /// The block generator's tick at `t`: the buffer becomes one block, or nothing if empty;
    /// returns the block's number (the `<n>` of `input-<stream>-<n>`) with it. A reliable
    /// receiver keeps the block's records until the block is acknowledged.
    pub fn cut_block(&mut self, t: Time) -> Option<(u64, Block)> {
        if self.buffer.is_empty() || self.worker.is_none() {
            return None;
        }
        let records = Arc::new(std::mem::take(&mut self.buffer));
        let offsets = Arc::new(std::mem::take(&mut self.buffer_offsets));
        let seq = self.next_block;
        let id = block_id(self.stream_id, seq);
        self.next_block += 1;
        if self.reliable {
            self.unacked
                .insert(seq, (Arc::clone(&offsets), Arc::clone(&records)));
        }
        Some((
            seq,
            Block {
                id,
                input: self.input,
                time: t,
                records,
                offsets,
            },
        ))
    }

    /// The source saw the acknowledgement of block number `seq`: it will not be sent again.
    pub fn ack(&mut self, seq: u64) {
        self.unacked.remove(&seq);
    }

    /// The receiver dies (its worker or the driver failed). Returns the offsets lost with
    /// it: the buffer of an unreliable receiver. A reliable receiver's buffer and
    /// unacknowledged blocks are queued for replay instead.
    pub fn kill(&mut self) -> Vec<u64> {
        self.worker = None;
        let buffer = std::mem::take(&mut self.buffer);
        let buffer_offsets = std::mem::take(&mut self.buffer_offsets);
        if self.reliable {
            let mut again: Vec<(u64, Value)> = Vec::new();
            for (offsets, records) in std::mem::take(&mut self.unacked).into_values() {
                again.extend(offsets.iter().copied().zip(records.iter().cloned()));
            }
            again.extend(buffer_offsets.into_iter().zip(buffer));
            again.sort_by_key(|(o, _)| *o);
            again.dedup_by_key(|(o, _)| *o);
            self.replay.extend(again);
            Vec::new()
        } else {
            buffer_offsets
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: u64) -> TimedRecords {
        TimedRecords::new(
            (0..n)
                .map(|i| (Time(i * 100), Value::str(&format!("r{i}"))))
                .collect(),
        )
    }

    /// A reliable receiver's blocks share their records with what it keeps for replay; a
    /// death replays every unacknowledged record once, in offset order, and an
    /// acknowledged block's records never.
    #[test]
    fn unacknowledged_blocks_are_replayed_in_offset_order() {
        let mut r = Receiver::new(0, 3, lines(10));
        r.reliable = true;
        r.start_on(0);
        assert_eq!(r.receive(Time(200)), (vec![0, 1, 2], Vec::new()));
        let (seq, b0) = r.cut_block(Time(200)).expect("a block");
        assert_eq!((seq, &*b0.id), (0, "input-3-0"));
        assert_eq!(b0.offsets.as_slice(), [0, 1, 2]);
        assert_eq!(r.receive(Time(400)), (vec![3, 4], Vec::new()));
        let (seq, b1) = r.cut_block(Time(400)).expect("a block");
        assert_eq!((seq, &*b1.id), (1, "input-3-1"));
        let (start, _) = r.receive_from(Time(500));
        assert_eq!((start, r.buffered_offsets()), (0, &[5][..]));
        r.ack(0);
        assert!(r.kill().is_empty());
        r.start_on(1);
        let (again, _) = r.receive(Time(500));
        assert_eq!(again, [3, 4, 5]);
        let (_, b) = r.cut_block(Time(600)).expect("a block");
        let mut expected = b1.records.as_ref().clone();
        expected.push(Value::str("r5"));
        assert_eq!(b.records.as_slice(), expected.as_slice());
    }

    /// Block ids read as `format!("input-{stream}-{n}")` would write them.
    #[test]
    fn block_ids_are_spark_stream_block_names() {
        for (stream, n) in [(0, 0), (3, 9), (10, 1234567), (usize::MAX, u64::MAX)] {
            assert_eq!(&*block_id(stream, n), format!("input-{stream}-{n}"));
        }
    }

    /// An unreliable receiver loses its buffer when it dies, and nothing is replayed.
    #[test]
    fn an_unreliable_receiver_loses_its_buffer() {
        let mut r = Receiver::new(0, 0, lines(5));
        r.start_on(0);
        let (start, dropped) = r.receive_from(Time(300));
        assert_eq!((start, dropped.len()), (0, 0));
        assert_eq!(r.kill(), [0, 1, 2, 3]);
        r.start_on(0);
        assert_eq!(r.receive(Time(400)), (vec![4], Vec::new()));
    }
}
