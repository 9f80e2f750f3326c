//! The Storm model's trace: typed events, one JSON object a line (no Storm file: what its
//! UI and logs show).

use crate::sim::Time;
use serde::Serialize;

/// One event of a Storm run's trace (one JSON object a line).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StormEvent {
    /// The topology was submitted: each task and the worker it runs on.
    TopologySubmitted {
        /// When.
        time: Time,
        /// `component[index] on worker-N`.
        tasks: Vec<String>,
    },
    /// Counts over the last second of virtual time.
    Progress {
        /// End of the second.
        time: Time,
        /// Tuple trees the spouts emitted (replays included).
        emitted: u64,
        /// Trees completed (spout `ack`).
        acked: u64,
        /// Trees failed by a bolt or on arrival of `__ack_fail`.
        failed: u64,
        /// Trees that timed out.
        timed_out: u64,
        /// Trees in flight at the end of the second.
        pending: usize,
        /// Updates of bolt state (counts) during the second.
        state_updates: u64,
    },
    /// Trees timed out at a spout task (`topology.message.timeout.secs`); a reliable spout
    /// replays their records.
    TreesTimedOut {
        /// When.
        time: Time,
        /// The spout task.
        task: String,
        /// The records' offsets.
        records: Vec<u64>,
    },
    /// A worker process died.
    WorkerKilled {
        /// When.
        time: Time,
        /// Its name.
        worker: String,
        /// Tuples waiting in its tasks' queues, gone.
        queued_lost: usize,
        /// Keys of in-memory bolt state lost, per task.
        state_lost: Vec<String>,
        /// Trees pending at its spout task: replayed when it restarts (reliable spout) or
        /// lost.
        pending_lost: usize,
    },
    /// A worker came back (empty).
    WorkerRestarted {
        /// When.
        time: Time,
        /// Its name.
        worker: String,
    },
    /// Nimbus died; the topology keeps running (Nimbus is not on the data path).
    NimbusKilled {
        /// When.
        time: Time,
    },
    /// The network changed (a fault line).
    NetworkChanged {
        /// When.
        time: Time,
        /// The fault, as written.
        change: String,
    },
}
