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
        /// A savepoint (triggered by a command) rather than a periodic checkpoint.
        savepoint: bool,
    },
    /// Every subtask acknowledged the checkpoint.
    CheckpointCompleted {
        /// When.
        time: Time,
        /// The checkpoint id.
        id: u64,
        /// From trigger to completion, virtual ms.
        duration_ms: u64,
        /// The longest barrier alignment at a keyed subtask (first barrier to last, while
        /// channels are blocked), ms: the latency cost of aligned exactly-once; 0 at least
        /// once and unaligned.
        alignment_ms: u64,
        /// Records stored as channel state (unaligned checkpoints): the snapshot's extra size.
        in_flight_records: usize,
        /// A savepoint.
        savepoint: bool,
    },
    /// Stop-with-savepoint completed: the job is finished.
    JobStopped {
        /// When.
        time: Time,
        /// The savepoint's id.
        savepoint: u64,
    },
    /// A window fired (the `ProcessWindowFunction` ran).
    WindowFired {
        /// When.
        time: Time,
        /// The key.
        key: String,
        /// The window, `{start, end}`.
        window: String,
        /// Elements in it.
        count: usize,
        /// The operator's watermark, event-time ms.
        watermark: i64,
        /// A late firing (a late element within the allowed lateness).
        late_firing: bool,
    },
    /// An element arrived after its windows' cleanup: side output or dropped.
    LateElement {
        /// When.
        time: Time,
        /// The key.
        key: String,
        /// Its timestamp, event-time ms.
        timestamp: i64,
        /// The watermark that made it late.
        watermark: i64,
        /// Sent to the side output (else dropped).
        side_output: bool,
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
        /// The completed checkpoint (or savepoint) restored, if any.
        from_checkpoint: Option<u64>,
        /// Resumed from a savepoint (`flink run -s`).
        from_savepoint: bool,
        /// Each source subtask's position (records of its partition) after the restore.
        source_offsets: Vec<usize>,
    },
    /// A protocol fault struck (`fail after-barrier`, `fail after-precommit`).
    ProtocolFault {
        /// When.
        time: Time,
        /// The fault, as written.
        fault: String,
        /// What it did at that point.
        what: String,
    },
    /// The coordinator aborted a pending checkpoint (a subtask declined it or failed before
    /// acknowledging): it is never restored.
    CheckpointAborted {
        /// When.
        time: Time,
        /// The checkpoint id.
        id: u64,
        /// Why (`CheckpointFailureReason`).
        reason: String,
    },
    /// On restore, the two-phase-commit sinks settled the transactions they had
    /// pre-committed: those of the restored checkpoint and before are committed
    /// (`recoverAndCommit`), those of later checkpoints that never completed are aborted
    /// (`recoverAndAbort`). Only with a 2PC sink, and only when there was something to settle.
    TransactionsRecovered {
        /// When.
        time: Time,
        /// The checkpoint restored.
        restored_checkpoint: Option<u64>,
        /// Records of pre-committed transactions committed on recovery.
        committed_records: usize,
        /// Checkpoints whose pre-committed transactions were aborted.
        aborted_checkpoints: Vec<u64>,
        /// Records in them.
        aborted_records: usize,
    },
    /// A source subtask's watermark status changed (`WatermarkStrategy.withIdleness`): idle
    /// after no record for the idleness timeout, active again at its next record.
    WatermarkStatus {
        /// When.
        time: Time,
        /// The source subtask.
        source: usize,
        /// `IDLE` (true) or `ACTIVE`.
        idle: bool,
    },
    /// The network changed.
    NetworkChanged {
        /// When.
        time: Time,
        /// The fault, as written.
        change: String,
    },
}
