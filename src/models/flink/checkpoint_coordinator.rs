//! Checkpoints, savepoints, failures and restore of a [`MiniCluster`] job: the
//! `CheckpointCoordinator` (`flink-runtime/.../checkpoint/CheckpointCoordinator.java`),
//! barrier alignment (`SingleCheckpointBarrierHandler` with `WaitingForFirstBarrier` /
//! `CollectingBarriers`), barrier tracking at least once (`CheckpointBarrierTracker`),
//! unaligned checkpoints (`AlternatingWaitingForFirstBarrierUnaligned`,
//! `ChannelStateWriter`, FLIP-76), savepoints (`triggerSavepoint`,
//! `triggerSynchronousSavepoint` for stop-with-savepoint) and the two-phase-commit sink
//! (`TwoPhaseCommitSinkFunction`).
//!
//! Asynchronous barrier snapshotting (Carbone et al. 2015): every checkpoint interval the
//! coordinator tells each source subtask to snapshot its offset and emit barrier `n` on all
//! its output channels, in order with its records. In exactly-once mode a keyed subtask that
//! sees barrier `n` on one channel blocks that channel until barrier `n` has arrived on all
//! of them (alignment: its latency cost is the time channels stay blocked), then snapshots
//! its state, acknowledges and unblocks. At least once, no channel is blocked: records that
//! arrive after their channel's barrier are counted into the snapshot, and again after a
//! restore. Unaligned, the first barrier overtakes every queued record: the subtask
//! snapshots at once, and the records queued before the barriers (and those still arriving
//! on channels whose barrier has not come) are written into the checkpoint as channel state;
//! nothing blocks, the snapshot is larger, and a restore feeds that channel state back in
//! before the rewound sources.
//!
//! A checkpoint completes when every subtask has acknowledged; `notifyCheckpointComplete`
//! lets the sink commit the transactions it pre-committed at the barrier. A failure (a task
//! manager, the JobManager, a broken channel) cancels every task and aborts the open
//! transactions; after the restart delay every task restores the last completed checkpoint
//! and the sources rewind to its offsets. Since Flink 1.15 (FLIP-193) an intermediate
//! savepoint neither commits side effects nor serves failover; stop-with-savepoint commits
//! and finishes the job; a job resumed from a savepoint restores it like a checkpoint.
//! Savepoints are always aligned.

use super::job::{CheckpointingMode, ProtocolFault, SavepointCommand};
use super::mini_cluster::{Element, Ev, KeyedState, MiniCluster, Snapshot};
use super::trace::FlinkEvent;
use super::watermarks::{BoundedOutOfOrdernessWatermarks, StatusWatermarkValve};
use crate::cluster::Fault;
use crate::sim::{Duration, Time};
use std::collections::BTreeSet;

impl MiniCluster {
    /// The coordinator triggers checkpoint (or savepoint) `n`: each source snapshots its
    /// offset and emits the barrier. One at a time: a periodic trigger while one is pending
    /// is skipped. Returns whether it was triggered.
    pub(super) fn trigger(&mut self, t: Time, savepoint: bool, stop: bool) -> bool {
        if !self.running || self.pending.is_some() {
            return false;
        }
        let id = self.next_checkpoint;
        self.next_checkpoint += 1;
        self.pending = Some(Snapshot {
            id,
            offsets: self.sources.iter().map(|s| s.next).collect(),
            states: vec![None; self.keyed.len()],
            channel_state: vec![Vec::new(); self.keyed.len()],
            started: t,
            alignment_ms: 0,
            savepoint,
            stop,
        });
        self.trace.push(FlinkEvent::CheckpointTriggered {
            time: t,
            id,
            savepoint,
        });
        if stop {
            // `triggerSynchronousSavepoint(terminate)`: the sources stop after the barrier.
            for s in &mut self.sources {
                s.stopped = true;
            }
        }
        for s in 0..self.sources.len() {
            self.broadcast(t, s, Element::Barrier(id));
        }
        true
    }

    fn pending_is_savepoint(&self, id: u64) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|p| p.id == id && p.savepoint)
    }

    /// An armed `fail after-barrier id keyed[k]` strikes as barrier `id` reaches subtask
    /// `k`: the subtask dies before its snapshot, so it never acknowledges; the coordinator
    /// aborts the checkpoint (`abortPendingCheckpoint`, `TASK_FAILURE`) and the job fails
    /// over. Returns whether it struck.
    fn strike_after_barrier(&mut self, t: Time, k: usize, id: u64) -> bool {
        let f = ProtocolFault::AfterBarrier {
            checkpoint: id,
            subtask: k,
        };
        let Some(i) = self.armed.iter().position(|a| *a == f) else {
            return false;
        };
        self.armed.remove(i);
        let acked: Vec<String> = self
            .pending
            .as_ref()
            .map(|p| {
                p.states
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.is_some())
                    .map(|(j, _)| format!("keyed[{j}]"))
                    .collect()
            })
            .unwrap_or_default();
        self.trace.push(FlinkEvent::ProtocolFault {
            time: t,
            fault: f.to_string(),
            what: format!(
                "barrier {id} reached keyed[{k}], which died before its snapshot and never acknowledged (already snapshotted: {})",
                if acked.is_empty() { "none".to_string() } else { acked.join(", ") }
            ),
        });
        self.trace.push(FlinkEvent::CheckpointAborted {
            time: t,
            id,
            reason: format!("TASK_FAILURE: keyed[{k}] failed before acknowledging"),
        });
        self.fail(
            t,
            format!("keyed[{k}] failed after barrier {id}, before its snapshot"),
            true,
        );
        true
    }

    /// Barrier `id` reached the head of channel `ch` of keyed subtask `k` (aligned or at
    /// least once).
    pub(super) fn on_barrier(&mut self, t: Time, k: usize, ch: usize, id: u64) {
        if self.strike_after_barrier(t, k, id) {
            return;
        }
        let ps = self.sources.len();
        let exactly_once = self.job.mode == CheckpointingMode::ExactlyOnce;
        let task = &mut self.keyed[k];
        if task.barriers.is_empty() {
            task.aligning_since = Some(t);
        }
        task.barriers.insert(ch);
        if exactly_once {
            task.blocked[ch] = true;
        }
        if task.barriers.len() < ps {
            return;
        }
        // Aligned (or, at least once, the last barrier seen): snapshot, pre-commit,
        // acknowledge, unblock.
        let alignment = if exactly_once {
            t.ms() - task.aligning_since.map_or(t.ms(), Time::ms)
        } else {
            0
        };
        task.barriers.clear();
        task.aligning_since = None;
        task.blocked = vec![false; ps];
        let txn = std::mem::take(&mut task.txn);
        task.precommitted.insert(id, txn);
        let state = task.state.clone();
        self.acknowledge(t, k, id, state, Vec::new(), alignment);
        let task = self.sources.len() + k;
        self.schedule_run(task, t);
    }

    /// Unaligned: barrier `id` arrived on channel `ch` of keyed subtask `k` and is handled at
    /// once. The first one snapshots the state and the queued records; the last one
    /// completes the channel state and acknowledges. Savepoints go the aligned way.
    pub(super) fn on_unaligned_barrier(&mut self, t: Time, k: usize, ch: usize, id: u64) {
        if self.strike_after_barrier(t, k, id) {
            return;
        }
        if self.pending_is_savepoint(id) {
            let task = &mut self.keyed[k];
            task.channels[ch].push_back(Element::Barrier(id));
            let task = self.sources.len() + k;
            self.schedule_run(task, t);
            return;
        }
        let ps = self.sources.len();
        let task = &mut self.keyed[k];
        if task.barriers.is_empty() {
            // Snapshot now; every record queued before the barriers is in-flight data.
            let mut persisted = 0u64;
            task.channel_state.clear();
            for (c, q) in task.channels.iter().enumerate() {
                for e in q {
                    if matches!(e, Element::Record(..)) {
                        task.channel_state.push((c, e.clone()));
                        persisted += 1;
                    }
                }
            }
            task.recording = (0..ps).map(|c| c != ch).collect();
            let txn = std::mem::take(&mut task.txn);
            task.precommitted.insert(id, txn);
            task.aligning_since = Some(t);
            task.snapshot = Some(task.state.clone());
            self.report.in_flight_persisted += persisted;
        }
        let task = &mut self.keyed[k];
        task.barriers.insert(ch);
        task.recording[ch] = false;
        if task.barriers.len() < ps {
            return;
        }
        task.barriers.clear();
        task.aligning_since = None;
        let channel_state = std::mem::take(&mut task.channel_state);
        let state = task.snapshot.take().unwrap_or_default();
        self.acknowledge(t, k, id, state, channel_state, 0);
    }

    /// Subtask `k` acknowledges checkpoint `id` with its state (and channel state).
    fn acknowledge(
        &mut self,
        t: Time,
        k: usize,
        id: u64,
        state: KeyedState,
        channel_state: Vec<(usize, Element)>,
        alignment: u64,
    ) {
        self.report.alignment_ms_max = self.report.alignment_ms_max.max(alignment);
        let Some(p) = self.pending.as_mut().filter(|p| p.id == id) else {
            return;
        };
        p.states[k] = Some(state);
        p.channel_state[k] = channel_state;
        p.alignment_ms = p.alignment_ms.max(alignment);
        if p.states.iter().all(Option::is_some) {
            self.complete(t);
        }
    }

    /// Every subtask acknowledged: the checkpoint is complete; `notifyCheckpointComplete`
    /// lets the sinks commit what they pre-committed up to it (not for an intermediate
    /// savepoint, FLIP-193).
    fn complete(&mut self, t: Time) {
        let Some(p) = self.pending.take() else {
            return;
        };
        self.report.checkpoints_completed += 1;
        let in_flight = p.channel_state.iter().map(Vec::len).sum();
        self.trace.push(FlinkEvent::CheckpointCompleted {
            time: t,
            id: p.id,
            duration_ms: t.ms() - p.started.ms(),
            alignment_ms: p.alignment_ms,
            in_flight_records: in_flight,
            savepoint: p.savepoint,
        });
        let (id, savepoint, stop) = (p.id, p.savepoint, p.stop);
        if savepoint {
            self.savepoint = Some(p);
        } else {
            self.completed = Some(p);
        }
        let f = ProtocolFault::AfterPrecommit { checkpoint: id };
        if let Some(i) = self
            .armed
            .iter()
            .position(|a| *a == f)
            .filter(|_| !savepoint)
        {
            self.armed.remove(i);
            let records: usize = self
                .keyed
                .iter()
                .filter_map(|k| k.precommitted.get(&id))
                .map(Vec::len)
                .sum();
            self.trace.push(FlinkEvent::ProtocolFault {
                time: t,
                fault: f.to_string(),
                what: format!(
                    "checkpoint {id} completed and every sink pre-committed its transaction ({records} records), but the job died before notifyCheckpointComplete reached the sinks: nothing of it is committed yet"
                ),
            });
            self.fail(
                t,
                format!("failed after checkpoint {id} completed, before notifyCheckpointComplete"),
                true,
            );
            return;
        }
        if self.job.two_phase_sink && (!savepoint || stop) {
            self.commit_up_to(t, id);
        }
        if stop {
            self.running = false;
            self.trace.push(FlinkEvent::JobStopped {
                time: t,
                savepoint: id,
            });
        }
    }

    pub(super) fn commit_up_to(&mut self, t: Time, id: u64) {
        let mut records = 0;
        for k in 0..self.keyed.len() {
            let later = self.keyed[k].precommitted.split_off(&(id + 1));
            let done = std::mem::replace(&mut self.keyed[k].precommitted, later);
            for (_, txn) in done {
                for (origin, v) in txn {
                    *self.committed.entry(origin).or_insert(0) += 1;
                    self.first_commit.entry(origin.0).or_insert(t);
                    self.committed_values.push((t, v));
                    records += 1;
                }
            }
        }
        self.report.committed_outputs += records;
        self.trace.push(FlinkEvent::TransactionsCommitted {
            time: t,
            checkpoint: id,
            records,
        });
    }

    pub(super) fn savepoint_command(&mut self, t: Time, cmd: SavepointCommand) {
        match cmd {
            SavepointCommand::Trigger | SavepointCommand::StopWithSavepoint => {
                let stop = cmd == SavepointCommand::StopWithSavepoint;
                if !self.running {
                    return;
                }
                if !self.trigger(t, true, stop) {
                    // A checkpoint is in progress: try again a millisecond later.
                    let index = self
                        .job
                        .savepoints
                        .iter()
                        .position(|(_, c)| *c == cmd)
                        .unwrap_or(0);
                    self.schedule(t.plus(Duration::from_ms(1)), Ev::Savepoint { index });
                }
            }
            SavepointCommand::ResumeFromSavepoint => {
                if self.savepoint.is_some() {
                    if self.running {
                        self.fail(t, "cancelled to resume from a savepoint".into(), false);
                    }
                    self.restart(t, true);
                }
            }
        }
    }

    pub(super) fn inject(&mut self, t: Time, fault: &Fault) {
        match fault {
            Fault::KillWorker(name) => {
                let w = name
                    .strip_prefix("worker-")
                    .and_then(|k| k.parse::<usize>().ok())
                    .filter(|k| (1..=self.job.task_managers.max(1)).contains(k));
                if let Some(w) = w {
                    if self.placement.contains(&(w - 1)) {
                        self.fail(t, format!("task manager {name} lost"), true);
                    }
                }
            }
            Fault::KillDriver => {
                self.fail(t, "JobManager failover (high availability)".into(), true)
            }
            Fault::Latency(lo, hi) => {
                self.latency_ms = (*lo, *hi);
                self.trace.push(FlinkEvent::NetworkChanged {
                    time: t,
                    change: fault.to_string(),
                });
            }
            Fault::Partition(..) => self.fail(
                t,
                format!("a network partition broke a channel ({fault})"),
                true,
            ),
            _ => {}
        }
    }

    /// A failure cancels every task (global failover): channels, open transactions and the
    /// pending checkpoint are gone; with `restart`, the job restarts after the restart delay.
    pub(super) fn fail(&mut self, t: Time, reason: String, restart: bool) {
        if !self.running {
            return;
        }
        self.running = false;
        let mut aborted = 0;
        for k in &mut self.keyed {
            aborted += k.txn.len();
            k.txn.clear();
            for c in &mut k.channels {
                c.clear();
            }
        }
        self.in_flight.clear();
        self.pending = None;
        self.trace.push(FlinkEvent::JobFailed {
            time: t,
            reason,
            uncommitted_records_aborted: aborted,
        });
        if restart {
            let d = self.job.restart_delay;
            self.schedule(t.plus(d), Ev::Restart);
        }
    }

    /// Every task restores the last completed checkpoint (or, resuming, the savepoint):
    /// keyed state, channel state, source offsets; with none completed yet, empty state and
    /// the sources' initial offsets (`DefaultExecutionGraph` restarts from scratch when the
    /// `CheckpointCoordinator` has no checkpoint to restore), or, with checkpointing off,
    /// empty state and the sources' auto-committed offsets; the sinks commit what that checkpoint
    /// pre-committed and abort the rest (`recoverAndCommit`, `recoverAndAbort`). Watermarks
    /// start again from `Long.MIN_VALUE` (they are not part of a checkpoint).
    pub(super) fn restart(&mut self, t: Time, from_savepoint: bool) {
        if self.running {
            return;
        }
        self.running = true;
        self.report.restarts += 1;
        let ps = self.sources.len();
        let restored = if from_savepoint {
            self.savepoint.clone()
        } else {
            self.completed.clone()
        };
        let id = restored.as_ref().map(|c| c.id);
        if self.job.two_phase_sink {
            let (mut committed_records, mut aborted_records) = (0, 0);
            let mut aborted = BTreeSet::new();
            for k in &self.keyed {
                for (c, txn) in &k.precommitted {
                    if id.is_some_and(|id| *c <= id) {
                        committed_records += txn.len();
                    } else {
                        aborted.insert(*c);
                        aborted_records += txn.len();
                    }
                }
            }
            if committed_records > 0 || !aborted.is_empty() {
                self.trace.push(FlinkEvent::TransactionsRecovered {
                    time: t,
                    restored_checkpoint: id,
                    committed_records,
                    aborted_checkpoints: aborted.into_iter().collect(),
                    aborted_records,
                });
            }
        }
        if let Some(id) = id {
            // The restored state holds the pre-committed transaction: `recoverAndCommit`.
            if self.job.two_phase_sink {
                self.commit_up_to(t, id);
            }
        }
        for k in 0..self.keyed.len() {
            let fresh = super::mini_cluster::KeyedTask::new(&self.job, ps);
            let task = &mut self.keyed[k];
            task.precommitted.clear();
            task.blocked = vec![false; ps];
            task.barriers.clear();
            task.aligning_since = None;
            task.recording = vec![false; ps];
            task.channel_state.clear();
            task.snapshot = None;
            task.valve = StatusWatermarkValve::new(ps);
            task.state = restored
                .as_ref()
                .and_then(|c| c.states[k].clone())
                .unwrap_or(fresh.state);
            if let Some(w) = task.state.window.as_mut() {
                w.reset_watermark();
            }
            // Recovered channel state is read before anything new.
            if let Some(c) = &restored {
                for (ch, e) in &c.channel_state[k] {
                    task.channels[*ch].push_back(e.clone());
                }
            }
        }
        let offsets: Vec<usize> = match &restored {
            Some(c) => c.offsets.clone(),
            // Checkpointing on, none completed yet: the job starts again from scratch, its
            // sources from their initial offsets (a Kafka source's `OffsetsInitializer`, a
            // file source's first split; offsets are committed back only when a checkpoint
            // completes), so nothing is lost and everything read before is read again.
            None if self.job.checkpoint_interval.is_some() => vec![0; self.sources.len()],
            // Checkpointing off: the consumer resumes from the offsets the Kafka client's
            // periodic auto-commit stored (here: where the sources were), and the keyed
            // state, never snapshotted, is lost ("Kafka Consumers Offset Committing
            // Behaviour Configuration" in Flink's Kafka connector documentation).
            None => self.sources.iter().map(|s| s.next).collect(),
        };
        for (s, o) in offsets.iter().enumerate() {
            let src = &mut self.sources[s];
            src.next = *o;
            src.stopped = false;
            src.idle = false;
            src.last_read = t;
            src.watermarks = BoundedOutOfOrdernessWatermarks::new(self.job.out_of_orderness_ms);
        }
        self.free_at_us = vec![t.ms() * 1000; self.free_at_us.len()];
        self.channel_last.clear();
        self.trace.push(FlinkEvent::JobRestarted {
            time: t,
            from_checkpoint: id,
            from_savepoint,
            source_offsets: offsets,
        });
        self.start_sources(t);
        for k in 0..self.keyed.len() {
            self.schedule_run(ps + k, t);
        }
    }
}
