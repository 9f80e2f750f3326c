//! What a [`LocalCluster`] shows and takes from outside while it runs (the REPL's views and
//! commands, and the report): pending tuple trees and the ackers' XOR values, the counters,
//! faults injected now, and stepping record by record with a log of what each spout
//! emission did. No Storm file: what Storm UI's topology and component pages show.

use super::{LocalCluster, PendingTrees, ACKED, EMITTED, FAILED, TIMED_OUT, UPDATES};
use crate::cluster::Fault;
use crate::models::storm::config::StormReport;
use crate::sim::Time;

impl LocalCluster {
    /// Pending trees per spout task with their records' offsets, and every acker's pending
    /// XOR values: what the REPL's `tuples` / `acks` views show.
    pub fn pending_trees(&self) -> PendingTrees {
        let spouts = self
            .tasks
            .iter()
            .filter_map(|t| {
                t.spout.as_ref().map(|s| {
                    (
                        t.name.clone(),
                        s.pending.iter().map(|(_, (o, _, _))| *o).collect(),
                    )
                })
            })
            .collect();
        let ackers = self
            .acker_tasks
            .iter()
            .map(|&a| (self.tasks[a].name.clone(), self.tasks[a].acker.pending()))
            .collect();
        (spouts, ackers)
    }

    /// When each acked tree completed (the record's processing was done), in order.
    pub fn ack_times(&self) -> &[Time] {
        &self.ack_times
    }

    /// The counters, latency and throughput so far.
    pub fn report(&self) -> StormReport {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        let pct = |p: f64| -> u64 {
            if l.is_empty() {
                0
            } else {
                l[((l.len() as f64 - 1.0) * p).round() as usize]
            }
        };
        let secs = (self.clock.ms().max(1)) as f64 / 1000.0;
        StormReport {
            emitted: self.counters[EMITTED],
            acked: self.counters[ACKED],
            failed: self.counters[FAILED],
            timed_out: self.counters[TIMED_OUT],
            state_updates: self.counters[UPDATES],
            complete_latency_ms: (pct(0.5), pct(0.99)),
            throughput_per_s: self.counters[ACKED] as f64 / secs,
            pending: self.pending_count(),
        }
    }

    pub(super) fn pending_count(&self) -> usize {
        self.tasks
            .iter()
            .filter_map(|t| t.spout.as_ref().map(|s| s.pending.len()))
            .sum()
    }

    /// Workers (`worker-1` ..).
    pub fn workers(&self) -> usize {
        self.alive.len()
    }

    /// Injects `fault` now (the REPL's `kill`): as if the scenario had scheduled it at the
    /// current virtual time.
    pub fn inject_now(&mut self, fault: &Fault) {
        let t = self.clock;
        self.inject(t, fault);
    }

    /// Turns the per-record log on or off (what [`LocalCluster::take_record_log`] returns).
    pub fn set_record_log(&mut self, on: bool) {
        self.record_log = on.then(Vec::new);
    }

    /// The lines logged since the last call: one per spout emission (time, spout task,
    /// offset, first emission or replay, the tree's root id, the tuples sent).
    pub fn take_record_log(&mut self) -> Vec<String> {
        self.record_log
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Runs events until the spouts have emitted `n` more records (replays included) or the
    /// next event is after `until`; returns how many were emitted. The clock stops at the
    /// last event run.
    pub fn run_records(&mut self, n: u64, until: Time) -> u64 {
        let start = self.counters[EMITTED];
        while self.counters[EMITTED] < start + n {
            let Some((t, ev)) = self.queue.pop_until(until) else {
                self.clock = self.clock.max(until);
                break;
            };
            self.clock = t;
            self.handle(t, ev);
        }
        self.counters[EMITTED] - start
    }
}
