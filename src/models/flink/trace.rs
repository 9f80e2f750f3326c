//! The Flink model's trace: typed events, one JSON object a line (no Flink file: what its
//! web UI's checkpoint and job views show).

use crate::sim::Time;
use serde::Serialize;

/// One event of a Flink run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum FlinkEvent {
    /// The coordinator triggered a checkpoint: the sources snapshot and emit barriers.
    CheckpointTriggered {
        /// When.
        time: Time,
        /// The checkpoint id.
        id: u64,
    },
    /// Every subtask acknowledged the checkpoint.
    CheckpointCompleted {
        /// When.
        time: Time,
        /// The checkpoint id.
        id: u64,
        /// From trigger to completion, virtual ms.
        duration_ms: u64,
        /// The longest barrier alignment at a keyed subtask (first barrier to last), ms:
        /// the latency cost of exactly-once alignment.
        alignment_ms: u64,
    },
    /// The sinks committed their pre-committed transactions up to a checkpoint.
    TransactionsCommitted {
        /// When.
        time: Time,
        /// Up to this checkpoint.
        checkpoint: u64,
        /// Records made visible.
        records: u64,
    },
    /// The job failed: every task was cancelled.
    JobFailed {
        /// When.
        time: Time,
        /// Why.
        reason: String,
        /// Records in open sink transactions, aborted.
        uncommitted_records_aborted: usize,
    },
    /// The job restarted from a checkpoint (or from nothing).
    JobRestarted {
        /// When.
        time: Time,
        /// The completed checkpoint restored, if any.
        from_checkpoint: Option<u64>,
        /// Each source subtask's position (records of its partition) after the restore.
        source_offsets: Vec<usize>,
    },
    /// The network changed.
    NetworkChanged {
        /// When.
        time: Time,
        /// The fault, as written.
        change: String,
    },
}
