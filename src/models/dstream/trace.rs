//! The trace: every engine event, typed, in the order it happened (no one Spark file: what
//! Spark logs and shows in its Streaming tab, as typed events).
//!
//! The trace is the single record of a run: `--trace FILE.jsonl` writes it one JSON object
//! per line, the REPL and the snapshot tests read it, and `print()` output is an event too
//! (nothing prints behind its back). Two runs of one scenario with one seed give the same
//! trace byte for byte.

use crate::sim::Time;
use serde::Serialize;

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

/// The events of a run, cheap to clone: full chunks of events are frozen and shared, so a
/// snapshot of a context (time travel) copies at most one chunk of events, not the trace.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    frozen: Vec<std::sync::Arc<[Event]>>,
    tail: Vec<Event>,
    len: usize,
}

impl Trace {
    /// Events per frozen chunk.
    const CHUNK: usize = 512;

    /// Appends an event.
    pub fn push(&mut self, e: Event) {
        self.tail.push(e);
        self.len += 1;
        if self.tail.len() == Self::CHUNK {
            self.frozen.push(std::mem::take(&mut self.tail).into());
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

    /// The events from index `from` on, in order.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = &Event> {
        let chunk = from / Self::CHUNK;
        let skip = from % Self::CHUNK;
        self.frozen
            .iter()
            .skip(chunk)
            .flat_map(|c| c.iter())
            .chain(self.tail.iter())
            .skip(if chunk <= self.frozen.len() {
                skip
            } else {
                from
            })
    }

    /// The events from index `from` on, copied.
    pub fn since(&self, from: usize) -> Vec<Event> {
        if from >= self.len {
            return Vec::new();
        }
        self.iter_from(from).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_trace_reads_back_in_order_from_any_index() {
        let mut t = Trace::default();
        for i in 0..1300u64 {
            t.push(Event::ContextStopped { time: Time(i) });
        }
        let snapshot = t.clone();
        t.push(Event::ContextStopped { time: Time(9999) });
        assert_eq!(t.len(), 1301);
        assert_eq!(snapshot.len(), 1300);
        for from in [0, 1, 511, 512, 513, 1024, 1299, 1300, 1301] {
            let got: Vec<u64> = t.since(from).iter().map(|e| e.time().ms()).collect();
            let want: Vec<u64> = (from as u64..1300)
                .chain(std::iter::once(9999))
                .skip_while(|_| false)
                .collect();
            let want: Vec<u64> = if from <= 1300 { want } else { Vec::new() };
            assert_eq!(got, want, "from {from}");
        }
    }
}
