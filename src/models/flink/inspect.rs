//! What a [`MiniCluster`] shows and takes from outside while it runs (the REPL's views and
//! commands): the `barriers` and `checkpoint` views, faults injected now, protocol faults
//! armed for their checkpoint (`fail after-barrier`, `fail after-precommit`, see
//! [`ProtocolFault`]), and stepping record by record with a log of what each source record
//! did. No Flink file: what its web UI's checkpoint and subtask views show.

use super::job::ProtocolFault;
use super::mini_cluster::MiniCluster;
use super::window_operator::WindowOperator;
use crate::sim::Time;
use std::collections::VecDeque;

/// The checkpoint coordinator seen from outside (the REPL's `checkpoint` view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointView {
    /// The pending checkpoint: its id, whether it is a savepoint, and which keyed subtasks
    /// have acknowledged (snapshotted their state).
    pub pending: Option<(u64, bool, Vec<bool>)>,
    /// The last completed checkpoint (what a failure restores), with its source offsets.
    pub completed: Option<(u64, Vec<usize>)>,
    /// The last completed savepoint.
    pub savepoint: Option<u64>,
    /// Records in the sinks' pre-committed transactions waiting for a checkpoint to
    /// complete, per keyed subtask.
    pub precommitted: Vec<usize>,
    /// Records in the sinks' open transactions, per keyed subtask.
    pub open_transaction: Vec<usize>,
}

/// A keyed subtask seen from outside (the REPL's `barriers` and watermark views).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyedView {
    /// The subtask's watermark (minimum over its channels), event-time ms.
    pub watermark: i64,
    /// Each input channel's watermark.
    pub channel_watermarks: Vec<i64>,
    /// Which input channels are idle (their source marked itself `IDLE`).
    pub idle_channels: Vec<bool>,
    /// Windows holding elements.
    pub open_windows: usize,
    /// Pending event-time timers.
    pub timers: usize,
    /// Channels blocked for barrier alignment.
    pub blocked: Vec<bool>,
    /// Channels whose barrier of the pending checkpoint has arrived.
    pub barriers_received: Vec<usize>,
    /// Elements queued per channel.
    pub queued: Vec<usize>,
}

impl MiniCluster {
    /// Per keyed subtask: its watermark, the watermark of each input channel, the open
    /// windows and pending timers (for windows), the channels blocked for alignment, and
    /// the elements queued per channel.
    pub fn keyed_view(&self) -> Vec<KeyedView> {
        self.keyed
            .iter()
            .map(|k| KeyedView {
                watermark: k.valve.current(),
                channel_watermarks: k.valve.channels().to_vec(),
                idle_channels: k.valve.idle().to_vec(),
                open_windows: k
                    .state
                    .window
                    .as_ref()
                    .map_or(0, |w| w.open_windows().count()),
                timers: k.state.window.as_ref().map_or(0, WindowOperator::timers),
                blocked: k.blocked.clone(),
                barriers_received: k.barriers.iter().copied().collect(),
                queued: k.channels.iter().map(VecDeque::len).collect(),
            })
            .collect()
    }

    /// The coordinator's view: pending checkpoint and its acknowledgements, the last
    /// completed checkpoint and savepoint, the sinks' transactions.
    pub fn checkpoint_view(&self) -> CheckpointView {
        CheckpointView {
            pending: self.pending.as_ref().map(|p| {
                (
                    p.id,
                    p.savepoint,
                    p.states.iter().map(Option::is_some).collect(),
                )
            }),
            completed: self.completed.as_ref().map(|c| (c.id, c.offsets.clone())),
            savepoint: self.savepoint.as_ref().map(|c| c.id),
            precommitted: self
                .keyed
                .iter()
                .map(|k| k.precommitted.values().map(Vec::len).sum())
                .collect(),
            open_transaction: self.keyed.iter().map(|k| k.txn.len()).collect(),
        }
    }

    /// Task managers (`worker-1` ..).
    pub fn task_managers(&self) -> usize {
        self.job.task_managers.max(1)
    }

    /// Injects `fault` now (the REPL's `kill`): as if the scenario had scheduled it at the
    /// current virtual time.
    pub fn inject_now(&mut self, fault: &crate::cluster::Fault) {
        let t = self.clock;
        self.inject(t, fault);
    }

    /// Arms a protocol fault (the REPL's `fail ...`): it strikes when its checkpoint reaches
    /// its point.
    ///
    /// # Errors
    /// Checkpoints are disabled, the subtask does not exist, or the checkpoint is already
    /// past that point (with the next checkpoint id).
    pub fn arm(&mut self, f: ProtocolFault) -> Result<(), String> {
        if self.job.checkpoint_interval.is_none() {
            return Err("fail: this job has no checkpoints (no checkpoint_interval)".into());
        }
        let id = f.checkpoint();
        let pending = self.pending.as_ref().filter(|p| p.id == id);
        let reachable = match (f, pending) {
            (_, None) => id >= self.next_checkpoint,
            (ProtocolFault::AfterBarrier { subtask, .. }, Some(p)) => {
                if subtask >= self.keyed.len() {
                    false
                } else {
                    p.states[subtask].is_none() && self.keyed[subtask].barriers.is_empty()
                }
            }
            (ProtocolFault::AfterPrecommit { .. }, Some(_)) => true,
        };
        if let ProtocolFault::AfterBarrier { subtask, .. } = f {
            if subtask >= self.keyed.len() {
                return Err(format!(
                    "fail: there is no keyed[{subtask}]; the keyed subtasks are keyed[0] .. keyed[{}]",
                    self.keyed.len() - 1
                ));
            }
        }
        if !reachable {
            return Err(format!(
                "fail: checkpoint {id} is already past that point; the next checkpoint is {}",
                self.next_checkpoint
            ));
        }
        if !self.armed.contains(&f) {
            self.armed.push(f);
        }
        Ok(())
    }

    /// The protocol faults still waiting for their point.
    pub fn armed(&self) -> &[ProtocolFault] {
        &self.armed
    }

    /// Turns the per-record log on or off (what [`MiniCluster::take_record_log`] returns).
    pub fn set_record_log(&mut self, on: bool) {
        self.record_log = on.then(Vec::new);
    }

    /// The lines logged since the last call: one per source record read (time, source
    /// subtask, offset, event time, where its elements went).
    pub fn take_record_log(&mut self) -> Vec<String> {
        self.record_log
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Runs events until the sources have read `n` more records (replays included) or the
    /// next event is after `until`; returns how many were read. The clock stops at the last
    /// event run.
    pub fn run_records(&mut self, n: u64, until: Time) -> u64 {
        let start = self.report.records_read;
        while self.report.records_read < start + n {
            let Some((t, ev)) = self.queue.pop_until(until) else {
                self.clock = self.clock.max(until);
                break;
            };
            self.clock = t;
            self.handle(t, ev);
        }
        self.report.records_read - start
    }
}
