//! The Structured Streaming model's typed trace: one event per step of the micro-batch loop
//! (`MicroBatchExecution.runActivatedStream`), one JSON object a line.

use crate::sim::Time;
use serde::Serialize;

/// One trace event.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event")]
pub enum StructuredEvent {
    /// A trigger fired and found nothing to do (no new data, no watermark move that a
    /// stateful operator needs).
    TriggerIdle {
        /// Virtual time.
        at: Time,
    },
    /// The offset log entry was written: the batch is planned.
    OffsetLogWritten {
        /// Virtual time.
        at: Time,
        /// Batch id.
        batch_id: u64,
        /// End offsets per source.
        offsets: Vec<u64>,
        /// The watermark the batch uses, ms.
        watermark_ms: i64,
        /// Whether it has new data (false: a no-data batch, run to move state on).
        has_new_data: bool,
        /// Whether it runs again a batch planned before a failure.
        replay: bool,
    },
    /// The sink received the batch's output.
    SinkWrite {
        /// Virtual time.
        at: Time,
        /// Batch id.
        batch_id: u64,
        /// Rows written.
        rows: usize,
        /// True when an idempotent sink ignored a batch id it already had.
        skipped: bool,
    },
    /// Rows dropped as late by a stateful operator.
    LateRowsDropped {
        /// Virtual time.
        at: Time,
        /// Batch id.
        batch_id: u64,
        /// Operator id.
        op_id: usize,
        /// Rows (keys for an aggregation) dropped.
        rows: u64,
    },
    /// The global watermark moved at the end of a batch.
    WatermarkAdvanced {
        /// Virtual time.
        at: Time,
        /// Batch id.
        batch_id: u64,
        /// Old watermark, ms.
        from_ms: i64,
        /// New watermark, ms.
        to_ms: i64,
        /// Why.
        why: String,
    },
    /// The commit log entry was written and the state checkpointed.
    BatchCommitted {
        /// Virtual time.
        at: Time,
        /// Batch id.
        batch_id: u64,
        /// The next batch's watermark, ms.
        next_watermark_ms: i64,
    },
    /// The driver failed; the running batch (if any) is lost.
    DriverKilled {
        /// Virtual time.
        at: Time,
        /// The batch that was running, if any.
        running_batch: Option<u64>,
        /// Whether the sink had that batch's output already.
        after_sink_write: bool,
    },
    /// The query restarted from its checkpoint.
    Recovered {
        /// Virtual time.
        at: Time,
        /// Latest batch in the offset log.
        latest_offset_batch: Option<u64>,
        /// Latest batch in the commit log.
        latest_commit_batch: Option<u64>,
        /// The batch the query runs next.
        next_batch: u64,
        /// The restored watermark, ms.
        watermark_ms: i64,
        /// The state store version loaded.
        state_version: u64,
    },
    /// A batch failed with an exception (a user function's) and the query terminated
    /// (`StreamingQueryException`); nothing of the batch was written or committed.
    QueryFailed {
        /// Virtual time.
        at: Time,
        /// The failed batch.
        batch_id: u64,
        /// The exception, in Spark's words.
        message: String,
    },
    /// An executor was lost (`kill worker`). During a micro-batch its tasks re-run on
    /// another executor: they read the batch's rows again from the replayable source by the
    /// offsets in the offset log, and reload the state store version the batch started from
    /// (`HDFSBackedStateStoreProvider`: the latest snapshot file, then the delta files after
    /// it); the batch's result is the same, only later.
    ExecutorLost {
        /// Virtual time.
        at: Time,
        /// The worker.
        worker: String,
        /// The batch running, if any.
        running_batch: Option<u64>,
        /// The state store version reloaded (the batch id), if a batch was running.
        state_version: Option<u64>,
        /// The snapshot version it starts from (0: none, the empty store).
        snapshot_version: Option<u64>,
        /// The delta files applied after the snapshot.
        delta_files: Option<u64>,
        /// When the re-run tasks finish (the sink write), if a batch was running.
        rerun_until: Option<Time>,
    },
    /// The query stopped (Once / AvailableNow done, or the end of the run).
    Stopped {
        /// Virtual time.
        at: Time,
    },
}
