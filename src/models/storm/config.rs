//! A Storm topology's settings (the `topology.*` keys of its `Config`, `Config.java`) and
//! the report of a run.

use crate::cluster::FaultPlan;
use crate::sim::Duration;
use serde::Serialize;

/// Settings of a topology run. Defaults: `topology.message.timeout.secs` 30 s, no
/// `topology.max.spout.pending`, 2 workers, 20 µs per `execute`, a dead worker restarted
/// after 5 s, a reliable spout, seed 0, no faults.
#[derive(Clone, Debug)]
pub struct StormConfig {
    /// `topology.message.timeout.secs` (virtual ms here).
    pub message_timeout: Duration,
    /// `topology.max.spout.pending`: trees in flight per spout task (`None`: unbounded).
    pub max_spout_pending: Option<usize>,
    /// `topology.workers`: worker processes, named `worker-1` ...
    pub workers: usize,
    /// Virtual microseconds one `execute` (or one spout emit) takes on its task.
    pub execute_us: f64,
    /// How long the supervisor takes to restart a dead worker.
    pub worker_restart_delay: Duration,
    /// A reliable spout emits with message ids (anchored trees, replay on failure); an
    /// unreliable one emits unanchored tuples: nothing is tracked, a lost tuple is lost.
    pub reliable: bool,
    /// Root seed.
    pub seed: u64,
    /// Faults at their times.
    pub faults: FaultPlan,
    /// Network latency between workers, virtual ms (drawn uniformly).
    pub latency_ms: (u64, u64),
}

impl Default for StormConfig {
    fn default() -> StormConfig {
        StormConfig {
            message_timeout: Duration::from_ms(30_000),
            max_spout_pending: None,
            workers: 2,
            execute_us: 20.0,
            worker_restart_delay: Duration::from_ms(5000),
            reliable: true,
            seed: 0,
            faults: FaultPlan::default(),
            latency_ms: (0, 0),
        }
    }
}

/// The outcome of a run: counters, latency, and the counting bolts' merged state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StormReport {
    /// Trees emitted (replays included).
    pub emitted: u64,
    /// Trees completed.
    pub acked: u64,
    /// Trees failed.
    pub failed: u64,
    /// Trees timed out.
    pub timed_out: u64,
    /// Bolt state updates.
    pub state_updates: u64,
    /// Complete latency (emission to ack at the spout) of acked trees: p50, p99, virtual ms.
    pub complete_latency_ms: (u64, u64),
    /// Trees acked per virtual second, over the run.
    pub throughput_per_s: f64,
    /// Trees still in flight at the end.
    pub pending: usize,
}
