//! The trace: every engine event, typed, in the order it happened (no one Spark file: what
//! Spark logs and shows in its Streaming tab, as typed events).
//!
//! The trace is the single record of a run: `--trace FILE.jsonl` writes it one JSON object
//! per line, the REPL and the snapshot tests read it, and `print()` output is an event too
//! (nothing prints behind its back). Two runs of one scenario with one seed give the same
//! trace byte for byte.

use crate::sim::Time;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One engine event. Serialized with an `event` tag, e.g.
/// `{"event":"block_stored","time":200,"receiver":0,...}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// `ssc.start()` succeeded.
    ContextStarted {
        /// Virtual time of the start (ms).
        time: Time,
        /// Batch interval (ms).
        batch_interval_ms: u64,
        /// Block interval (ms).
        block_interval_ms: u64,
        /// Root seed.
        seed: u64,
        /// Zero time (ms).
        zero_time: Time,
    },
    /// A warning Spark would log (e.g. starting twice).
    Warning {
        /// When.
        time: Time,
        /// Spark's log message.
        message: String,
    },
    /// A receiver's block generator cut a block of the records received in the last block
    /// interval and stored it (`BlockGenerator` then `ReceivedBlockHandler`).
    BlockStored {
        /// When.
        time: Time,
        /// The input stream's name.
        stream: String,
        /// Block id, `input-<stream>-<n>`.
        block: String,
        /// Records in the block.
        records: usize,
        /// Workers whose executors hold it (the first is the receiver's).
        stored_on: Vec<String>,
        /// Whether it was written to the write-ahead log.
        logged: bool,
    },
    /// Allocated blocks found in no live executor and not in the log: Spark skips them
    /// (`ReceiverInputDStream.createBlockRDD`) and their records are lost.
    BlocksNotFound {
        /// The batch time.
        time: Time,
        /// The input stream.
        stream: String,
        /// The missing blocks.
        blocks: Vec<String>,
        /// Spark's log message.
        message: String,
    },
    /// A worker's machine failed.
    WorkerKilled {
        /// When.
        time: Time,
        /// Which.
        worker: String,
        /// Blocks its executor held.
        blocks_lost: usize,
        /// Receivers that died with it.
        receivers: Vec<String>,
    },
    /// A worker came back (empty).
    WorkerRestarted {
        /// When.
        time: Time,
        /// Which.
        worker: String,
    },
    /// The driver failed, and every executor with it.
    DriverKilled {
        /// When.
        time: Time,
        /// When the deployment restarts it.
        restart_at: Time,
    },
    /// The driver restarted; with a checkpoint it recovered and re-ran batches.
    DriverRestarted {
        /// When.
        time: Time,
        /// Whether `getOrCreate` found a checkpoint.
        recovered_from_checkpoint: bool,
        /// Batch times run again now (from the last checkpoint time to the restart time).
        rerun: Vec<Time>,
        /// The driver's records-processed accumulator just before the failure. Accumulators
        /// are not recovered from a checkpoint (the guide's warning): it starts again at 0.
        accumulator_lost: u64,
    },
    /// The restarted driver built its `ReceivedBlockTracker` anew from the tracker's
    /// write-ahead log (`recoverPastEvents`); without a log (no checkpoint directory) it
    /// starts empty.
    TrackerRecovered {
        /// When.
        time: Time,
        /// Log events replayed (`BlockAddition`, `BatchAllocation`, `BatchCleanup`).
        events_replayed: usize,
        /// Blocks added but not allocated before the failure, queued again.
        queued_blocks: usize,
        /// Batch allocations recovered.
        allocated_batches: usize,
    },
    /// A receiver (re)started on a worker.
    ReceiverStarted {
        /// When.
        time: Time,
        /// Its stream.
        stream: String,
        /// Where.
        worker: String,
    },
    /// The network changed: a partition, a heal, a loss rate or a latency range.
    NetworkChanged {
        /// When.
        time: Time,
        /// What changed, as written in a fault line.
        change: String,
    },
    /// A message was lost on the network.
    MessageLost {
        /// When it was sent.
        time: Time,
        /// Which message.
        message: String,
        /// Why: a partition or the loss rate.
        reason: String,
    },
    /// A protocol-point fault was armed: it strikes at its protocol point.
    FaultArmed {
        /// When.
        time: Time,
        /// The fault, as written.
        fault: String,
    },
    /// A protocol-point fault struck.
    ProtocolFault {
        /// When.
        time: Time,
        /// The fault, as written.
        fault: String,
        /// What happened.
        detail: String,
    },
    /// A batch's jobs could not run.
    BatchNotProcessed {
        /// The batch time.
        time: Time,
        /// Why.
        reason: String,
    },
    /// The job generator allocated the queued blocks to a batch (`ReceivedBlockTracker`).
    BatchAllocation {
        /// The batch time.
        time: Time,
        /// Block ids, per input stream in order.
        blocks: Vec<String>,
    },
    /// `textFileStream` selected a new file for a batch.
    FileSelected {
        /// The batch time.
        time: Time,
        /// The stream.
        stream: String,
        /// The file.
        file: String,
        /// Lines read.
        records: usize,
    },
    /// Data appended to a file already seen; Spark does not read it.
    FileAppendIgnored {
        /// When it was appended.
        time: Time,
        /// The file.
        file: String,
        /// Lines appended.
        records: usize,
    },
    /// A DStream produced its RDD for a batch.
    RddComputed {
        /// The batch time.
        time: Time,
        /// The stream's name (`#id` when unnamed).
        stream: String,
        /// The RDD id.
        rdd: u64,
        /// Partition count.
        partitions: usize,
        /// Record count.
        records: usize,
        /// True when this RDD was checkpointed (lineage cut).
        checkpointed: bool,
        /// Its lineage depth (RDDs on the longest path to a source or checkpoint).
        lineage_depth: usize,
    },
    /// An output operation ran. For `print` the lines are exactly what Spark prints.
    Output {
        /// The batch time.
        time: Time,
        /// The output operation's index (definition order).
        index: usize,
        /// `print`, `saveAsTextFiles` or `foreachRDD`.
        op: String,
        /// The stream it runs on.
        stream: String,
        /// Printed lines (print) or written paths (saveAsTextFiles).
        lines: Vec<String>,
    },
    /// A batch finished all its output operations (the `StreamingListener` figures).
    BatchCompleted {
        /// The batch time.
        time: Time,
        /// Records received for the batch (all input streams).
        input_records: usize,
        /// Wait before processing started (ms).
        scheduling_delay_ms: u64,
        /// Time the jobs took (ms).
        processing_time_ms: u64,
        /// Scheduling delay plus processing time (ms).
        total_delay_ms: u64,
    },
    /// Old RDDs were forgotten after the batch (`clearMetadata`).
    RddsCleared {
        /// The batch time.
        time: Time,
        /// The stream.
        stream: String,
        /// Times of the forgotten RDDs.
        times: Vec<Time>,
    },
    /// A job failed; the context stops with this error.
    JobFailed {
        /// The batch time.
        time: Time,
        /// The error.
        message: String,
    },
    /// The context stopped.
    ContextStopped {
        /// When.
        time: Time,
    },
    /// A `RateController` published a new rate for an input stream (backpressure,
    /// `PIDRateEstimator`): a receiver's block generator or a direct Kafka stream now takes
    /// at most `rate` records per second.
    RateUpdated {
        /// When (the batch's processing end).
        time: Time,
        /// The input stream.
        stream: String,
        /// Records per second (capped by `spark.streaming.receiver.maxRate`).
        rate: u64,
        /// The batch whose completion gave it.
        batch: Time,
    },
    /// `ssc.stop(stopGracefully)` was called.
    StopRequested {
        /// When.
        time: Time,
        /// Whether all received data is processed first.
        graceful: bool,
        /// What happens next, in words.
        detail: String,
    },
    /// A task of a batch's job failed (`TaskSetManager.handleFailedTask`); it is retried
    /// until `spark.task.maxFailures` attempts failed.
    TaskFailed {
        /// The batch time.
        time: Time,
        /// Attempt number (1-based).
        attempt: u32,
        /// `spark.task.maxFailures`.
        max_failures: u32,
        /// Why, in Spark's words.
        reason: String,
    },
    /// Speculative copies of slow tasks were launched (`spark.speculation`).
    TasksSpeculated {
        /// The batch time.
        time: Time,
        /// Copies launched.
        copies: usize,
        /// Processing time without speculation (virtual ms).
        without_ms: u64,
        /// Processing time with it (virtual ms).
        with_ms: u64,
    },
    /// Partitions of remembered RDDs lost with a worker were recomputed from their lineage
    /// (or from their last checkpoint) when a batch read them again.
    PartitionsRecomputed {
        /// The batch that needed them.
        time: Time,
        /// The stream whose RDD lost them.
        stream: String,
        /// The RDD's batch time.
        rdd_time: Time,
        /// Partitions recomputed.
        partitions: usize,
        /// Records they hold.
        records: usize,
        /// `lineage` or `checkpoint`.
        from: String,
        /// Virtual ms the recomputation cost the batch.
        cost_ms: u64,
    },
    /// A metadata checkpoint could not be written (`CheckpointWriter` logs and goes on:
    /// recovery then reads an older one).
    CheckpointWriteFailed {
        /// When.
        time: Time,
        /// The checkpoint's batch time.
        checkpoint_time: Time,
        /// Spark's log message.
        message: String,
    },
}

impl Event {
    /// The event's virtual time.
    pub fn time(&self) -> Time {
        match self {
            Event::ContextStarted { time, .. }
            | Event::Warning { time, .. }
            | Event::BlockStored { time, .. }
            | Event::BatchAllocation { time, .. }
            | Event::FileSelected { time, .. }
            | Event::FileAppendIgnored { time, .. }
            | Event::RddComputed { time, .. }
            | Event::Output { time, .. }
            | Event::BatchCompleted { time, .. }
            | Event::RddsCleared { time, .. }
            | Event::JobFailed { time, .. }
            | Event::BlocksNotFound { time, .. }
            | Event::WorkerKilled { time, .. }
            | Event::WorkerRestarted { time, .. }
            | Event::DriverKilled { time, .. }
            | Event::DriverRestarted { time, .. }
            | Event::TrackerRecovered { time, .. }
            | Event::ReceiverStarted { time, .. }
            | Event::BatchNotProcessed { time, .. }
            | Event::FaultArmed { time, .. }
            | Event::NetworkChanged { time, .. }
            | Event::MessageLost { time, .. }
            | Event::ProtocolFault { time, .. }
            | Event::ContextStopped { time }
            | Event::RateUpdated { time, .. }
            | Event::StopRequested { time, .. }
            | Event::TaskFailed { time, .. }
            | Event::TasksSpeculated { time, .. }
            | Event::PartitionsRecomputed { time, .. }
            | Event::CheckpointWriteFailed { time, .. } => *time,
        }
    }

    /// The event as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"event\":\"unserializable\",\"error\":\"{e}\"}}"))
    }
}

/// The same enum as [`Event`], for serde's remote derive: the compact binary form of the
/// trace's frozen chunks ([`postcard`], externally tagged by variant index; `Event`'s own
/// serialization is internally tagged JSON, which a non-self-describing format cannot read
/// back). The compiler checks that it matches `Event` field for field.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Event")]
#[allow(dead_code)]
enum EventWire {
    ContextStarted {
        time: Time,
        batch_interval_ms: u64,
        block_interval_ms: u64,
        seed: u64,
        zero_time: Time,
    },
    Warning {
        time: Time,
        message: String,
    },
    BlockStored {
        time: Time,
        stream: String,
        block: String,
        records: usize,
        stored_on: Vec<String>,
        logged: bool,
    },
    BlocksNotFound {
        time: Time,
        stream: String,
        blocks: Vec<String>,
        message: String,
    },
    WorkerKilled {
        time: Time,
        worker: String,
        blocks_lost: usize,
        receivers: Vec<String>,
    },
    WorkerRestarted {
        time: Time,
        worker: String,
    },
    DriverKilled {
        time: Time,
        restart_at: Time,
    },
    DriverRestarted {
        time: Time,
        recovered_from_checkpoint: bool,
        rerun: Vec<Time>,
        accumulator_lost: u64,
    },
    TrackerRecovered {
        time: Time,
        events_replayed: usize,
        queued_blocks: usize,
        allocated_batches: usize,
    },
    ReceiverStarted {
        time: Time,
        stream: String,
        worker: String,
    },
    NetworkChanged {
        time: Time,
        change: String,
    },
    MessageLost {
        time: Time,
        message: String,
        reason: String,
    },
    FaultArmed {
        time: Time,
        fault: String,
    },
    ProtocolFault {
        time: Time,
        fault: String,
        detail: String,
    },
    BatchNotProcessed {
        time: Time,
        reason: String,
    },
    BatchAllocation {
        time: Time,
        blocks: Vec<String>,
    },
    FileSelected {
        time: Time,
        stream: String,
        file: String,
        records: usize,
    },
    FileAppendIgnored {
        time: Time,
        file: String,
        records: usize,
    },
    RddComputed {
        time: Time,
        stream: String,
        rdd: u64,
        partitions: usize,
        records: usize,
        checkpointed: bool,
        lineage_depth: usize,
    },
    Output {
        time: Time,
        index: usize,
        op: String,
        stream: String,
        lines: Vec<String>,
    },
    BatchCompleted {
        time: Time,
        input_records: usize,
        scheduling_delay_ms: u64,
        processing_time_ms: u64,
        total_delay_ms: u64,
    },
    RddsCleared {
        time: Time,
        stream: String,
        times: Vec<Time>,
    },
    JobFailed {
        time: Time,
        message: String,
    },
    ContextStopped {
        time: Time,
    },
    RateUpdated {
        time: Time,
        stream: String,
        rate: u64,
        batch: Time,
    },
    StopRequested {
        time: Time,
        graceful: bool,
        detail: String,
    },
    TaskFailed {
        time: Time,
        attempt: u32,
        max_failures: u32,
        reason: String,
    },
    TasksSpeculated {
        time: Time,
        copies: usize,
        without_ms: u64,
        with_ms: u64,
    },
    PartitionsRecomputed {
        time: Time,
        stream: String,
        rdd_time: Time,
        partitions: usize,
        records: usize,
        from: String,
        cost_ms: u64,
    },
    CheckpointWriteFailed {
        time: Time,
        checkpoint_time: Time,
        message: String,
    },
}

/// One event, serialized through [`EventWire`].
struct WireOut<'a>(&'a Event);

impl Serialize for WireOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EventWire::serialize(self.0, s)
    }
}

/// One event, deserialized through [`EventWire`].
struct WireIn(Event);

impl<'de> Deserialize<'de> for WireIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        EventWire::deserialize(d).map(WireIn)
    }
}

/// A run of events kept encoded: [`postcard`] one after another, then LZ4 (`lz4_flex`'s
/// block format with the size prepended). An idle `wordcount` batch (15 events, about
/// 1.8 KB of JSON, about 2.5 KB in memory as `Event`s) takes about 100 bytes.
#[derive(Debug)]
struct Chunk {
    /// Number of events.
    events: usize,
    /// The encoded events.
    bytes: Box<[u8]>,
}

impl Chunk {
    fn encode(events: &[Event]) -> Chunk {
        let mut raw = Vec::with_capacity(events.len() * 48);
        for e in events {
            // Writing to a Vec cannot fail and every field of every event is serializable,
            // so an error is a bug: report it rather than drop the bytes encoded so far.
            raw = match postcard::to_extend(&WireOut(e), std::mem::take(&mut raw)) {
                Ok(v) => v,
                Err(e) => panic!("bug: a trace event does not encode: {e}"),
            };
        }
        let chunk = Chunk {
            events: events.len(),
            bytes: lz4_flex::compress_prepend_size(&raw).into_boxed_slice(),
        };
        debug_assert_eq!(
            chunk.decode(),
            events,
            "a trace chunk reads back as written"
        );
        chunk
    }

    /// The events, decoded. A chunk is only ever written by [`Chunk::encode`], so decoding
    /// cannot fail short of a bug, which it reports.
    fn decode(&self) -> Vec<Event> {
        let raw = match lz4_flex::decompress_size_prepended(&self.bytes) {
            Ok(raw) => raw,
            Err(e) => panic!("bug: a frozen trace chunk does not decompress: {e}"),
        };
        let mut out = Vec::with_capacity(self.events);
        let mut rest: &[u8] = &raw;
        while out.len() < self.events {
            match postcard::take_from_bytes::<WireIn>(rest) {
                Ok((WireIn(e), r)) => {
                    out.push(e);
                    rest = r;
                }
                Err(e) => panic!("bug: a frozen trace chunk does not decode: {e}"),
            }
        }
        out
    }
}

/// The events of a run, kept compact and cheap to clone: every 512 events (`Trace::CHUNK`)
/// are frozen into an encoded, shared chunk (postcard, then lz4; decoded again on read), and
/// the chunks are grouped 64 at a time (`Trace::GROUP`) into shared groups. A clone (a time-travel snapshot of a
/// context) copies at most a group's worth of chunk pointers and encodes the events after
/// the last full chunk into one short chunk of its own; pushing onto such a clone decodes
/// that chunk back first. Measured on `wordcount`: about 13 bytes per event, against about
/// 160 as `Event`s (`trace_bytes_per_event` below).
#[derive(Debug, Default)]
pub struct Trace {
    /// Full groups of [`Trace::GROUP`] full chunks.
    groups: Vec<Arc<[Arc<Chunk>]>>,
    /// The chunks after the groups (fewer than [`Trace::GROUP`]): all full, except the last
    /// when a clone sealed the events after the last full chunk (`tail` is then empty).
    chunks: Vec<Arc<Chunk>>,
    /// The events after the last chunk, decoded.
    tail: Vec<Event>,
    /// Number of events.
    len: usize,
}

impl Clone for Trace {
    /// The same events; the events after the last full chunk are sealed into a short chunk,
    /// so the clone is small.
    fn clone(&self) -> Trace {
        let mut chunks = self.chunks.clone();
        if !self.tail.is_empty() {
            chunks.push(Arc::new(Chunk::encode(&self.tail)));
        }
        Trace {
            groups: self.groups.clone(),
            chunks,
            tail: Vec::new(),
            len: self.len,
        }
    }
}

impl Trace {
    /// Events per frozen chunk.
    const CHUNK: usize = 512;
    /// Chunks per group.
    const GROUP: usize = 64;

    /// Appends an event.
    pub fn push(&mut self, e: Event) {
        self.thaw();
        self.tail.push(e);
        self.len += 1;
        if self.tail.len() == Self::CHUNK {
            self.chunks.push(Arc::new(Chunk::encode(&self.tail)));
            self.tail.clear();
            if self.chunks.len() == Self::GROUP {
                self.groups.push(std::mem::take(&mut self.chunks).into());
            }
        }
    }

    /// Decodes a short chunk sealed by a clone back into the tail, so pushing goes on.
    fn thaw(&mut self) {
        if self.tail.is_empty() && self.chunks.last().is_some_and(|c| c.events < Self::CHUNK) {
            if let Some(c) = self.chunks.pop() {
                self.tail = c.decode();
            }
        }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no event was recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Chunk number `k` (0-based, in event order).
    fn chunk(&self, k: usize) -> Option<&Arc<Chunk>> {
        let grouped = self.groups.len() * Self::GROUP;
        if k < grouped {
            self.groups
                .get(k / Self::GROUP)
                .and_then(|g| g.get(k % Self::GROUP))
        } else {
            self.chunks.get(k - grouped)
        }
    }

    /// Calls `f` on every event from index `from` on, in order, decoding one chunk at a
    /// time.
    pub fn for_each_from(&self, from: usize, mut f: impl FnMut(&Event)) {
        if from >= self.len {
            return;
        }
        let mut k = from / Self::CHUNK;
        let mut skip = from % Self::CHUNK;
        while let Some(c) = self.chunk(k) {
            for e in c.decode().iter().skip(skip) {
                f(e);
            }
            skip = 0;
            k += 1;
        }
        let tail_start = self.len - self.tail.len();
        for e in self.tail.iter().skip(from.saturating_sub(tail_start)) {
            f(e);
        }
    }

    /// The events from index `from` on, copied.
    pub fn since(&self, from: usize) -> Vec<Event> {
        if from >= self.len {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(self.len - from);
        let mut k = from / Self::CHUNK;
        let mut skip = from % Self::CHUNK;
        while let Some(c) = self.chunk(k) {
            out.extend(c.decode().into_iter().skip(skip));
            skip = 0;
            k += 1;
        }
        let tail_start = self.len - self.tail.len();
        out.extend(
            self.tail
                .iter()
                .skip(from.saturating_sub(tail_start))
                .cloned(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stopped(i: u64) -> Event {
        Event::ContextStopped { time: Time(i) }
    }

    fn times(t: &Trace, from: usize) -> Vec<u64> {
        let mut via_each = Vec::new();
        t.for_each_from(from, |e| via_each.push(e.time().ms()));
        let via_since: Vec<u64> = t.since(from).iter().map(|e| e.time().ms()).collect();
        assert_eq!(
            via_each, via_since,
            "for_each_from and since agree from {from}"
        );
        via_since
    }

    #[test]
    fn chunked_trace_reads_back_in_order_from_any_index() {
        let mut t = Trace::default();
        for i in 0..1300u64 {
            t.push(stopped(i));
        }
        let snapshot = t.clone();
        t.push(stopped(9999));
        assert_eq!(t.len(), 1301);
        assert_eq!(snapshot.len(), 1300);
        for from in [0, 1, 511, 512, 513, 1024, 1299, 1300, 1301] {
            let want: Vec<u64> = (from as u64..1300).chain(std::iter::once(9999)).collect();
            let want: Vec<u64> = if from <= 1300 { want } else { Vec::new() };
            assert_eq!(times(&t, from), want, "from {from}");
            let want_snap: Vec<u64> = (from as u64..1300).collect();
            assert_eq!(times(&snapshot, from), want_snap, "snapshot from {from}");
        }
    }

    /// Clones taken anywhere (mid-chunk, on a chunk or group boundary) read back the same
    /// events, and pushing onto a clone (a restored snapshot) goes on in order.
    #[test]
    fn clones_seal_and_thaw_their_tail() {
        let n = Trace::CHUNK * Trace::GROUP + 3 * Trace::CHUNK + 7;
        let mut t = Trace::default();
        let mut clones = Vec::new();
        for i in 0..n as u64 {
            t.push(Event::RddsCleared {
                time: Time(i),
                stream: format!("s{}", i % 7),
                times: vec![Time(i / 2)],
            });
            if [1, 511, 512, 513, 32767, 32768, 32769, 33000].contains(&i) {
                clones.push((i as usize + 1, t.clone()));
            }
        }
        assert_eq!(t.groups.len(), 1);
        let all = t.since(0);
        assert_eq!(all.len(), n);
        for (len, c) in clones {
            assert_eq!(c.len(), len);
            assert_eq!(c.since(0), all[..len], "clone of {len} events");
            let mut restored = c.clone();
            for e in &all[len..] {
                restored.push(e.clone());
            }
            assert_eq!(restored.since(0), all, "clone of {len} events, pushed on");
            assert_eq!(restored.since(len - 1), all[len - 1..]);
        }
    }

    /// The point of the encoding: an idle batch's events take far less than as `Event`s.
    #[test]
    fn trace_bytes_per_event() {
        let mut t = Trace::default();
        for b in 0..1000u64 {
            for s in [
                "lines",
                "words",
                "pairs",
                "wordCounts",
                "#4",
                "windowedWordCounts",
            ] {
                t.push(Event::RddComputed {
                    time: Time(b * 1000),
                    stream: s.into(),
                    rdd: b * 17,
                    partitions: 2,
                    records: 0,
                    checkpointed: false,
                    lineage_depth: 3,
                });
                t.push(Event::RddsCleared {
                    time: Time(b * 1000),
                    stream: s.into(),
                    times: vec![Time((b * 1000).saturating_sub(50_000))],
                });
            }
        }
        let bytes: usize = (0..).map_while(|k| t.chunk(k)).map(|c| c.bytes.len()).sum();
        let per_event = bytes as f64 / t.len() as f64;
        assert!(per_event < 20.0, "{per_event:.1} bytes per event");
    }
}
