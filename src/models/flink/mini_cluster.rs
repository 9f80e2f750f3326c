//! A Flink job on a `MiniCluster` (`flink-runtime/.../minicluster/MiniCluster.java`) on the
//! virtual clock: source subtasks, keyed subtasks with one input channel per source subtask,
//! the `CheckpointCoordinator` (`flink-runtime/.../checkpoint/CheckpointCoordinator.java`)
//! injecting barriers, barrier alignment (`SingleCheckpointBarrierHandler`) or tracking
//! (`CheckpointBarrierTracker`, at-least-once), restore from the last completed checkpoint,
//! and a two-phase-commit sink (`TwoPhaseCommitSinkFunction`).
//!
//! Asynchronous barrier snapshotting (Carbone et al. 2015): every checkpoint interval the
//! coordinator tells each source subtask to snapshot its offset and emit barrier `n` on all
//! its output channels, in order with its records. A keyed subtask that sees barrier `n` on
//! one channel blocks that channel (exactly-once mode) until barrier `n` has arrived on all
//! of them, then snapshots its keyed state, acknowledges and unblocks: its snapshot holds
//! exactly the records before the barriers. The checkpoint is complete when every subtask
//! has acknowledged; the sink then commits the transaction it pre-committed at the barrier.
//! A failure (a task manager or the JobManager) cancels every task; after the restart delay
//! all of them restore the last completed checkpoint and the sources rewind to its offsets,
//! so each record's effect on the state is counted exactly once. In at-least-once mode no
//! channel is blocked: records that arrive after their channel's barrier but before the last
//! barrier are counted into the snapshot, and counted again when a restore replays them.
//!
//! Ledger hooks: a record is received and allocated when its source subtask reads it, and
//! written out as many times as its updates are in the final keyed state (with a 2PC sink:
//! in the committed output), counted per word and maximised over the record's words; so a
//! record counted twice is a duplicate, one restored away is lost.

use super::job::{CheckpointingMode, FlinkJob};
use super::trace::FlinkEvent;
use crate::cluster::Fault;
use crate::io::TimedRecords;
use crate::ledger::Ledger;
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, EventQueue, Time};
use crate::value::Value;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A record's word: `(record offset, position in the record)`.
type Origin = (u64, u32);

#[derive(Clone, Debug)]
enum Element {
    Record(Origin, Value),
    Barrier(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Fault { index: usize },
    Restart,
    Trigger,
    Deliver { slot: u64 },
    Run { task: usize },
}

impl Ev {
    fn class(self) -> u8 {
        match self {
            Ev::Fault { .. } => 0,
            Ev::Restart => 1,
            Ev::Trigger => 2,
            Ev::Deliver { .. } => 3,
            Ev::Run { .. } => 4,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct SourceTask {
    records: Vec<(Time, u64, Value)>,
    next: usize,
}

#[derive(Clone, Debug, Default)]
struct KeyedState {
    counts: BTreeMap<Value, i64>,
    /// How many times each word's update is in `counts` (the state's provenance).
    applied: BTreeMap<Origin, u32>,
}

#[derive(Clone, Debug, Default)]
struct KeyedTask {
    channels: Vec<VecDeque<Element>>,
    blocked: Vec<bool>,
    barriers: BTreeSet<usize>,
    aligning_since: Option<Time>,
    next_channel: usize,
    state: KeyedState,
    /// The sink's open transaction (chained after the operator): outputs since the last
    /// barrier.
    txn: Vec<(Origin, Value)>,
    /// Pre-committed transactions by checkpoint id.
    precommitted: BTreeMap<u64, Vec<(Origin, Value)>>,
}

#[derive(Clone, Debug)]
struct Snapshot {
    id: u64,
    offsets: Vec<usize>,
    states: Vec<Option<KeyedState>>,
    started: Time,
    alignment_ms: u64,
}

/// The counters and figures of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FlinkReport {
    /// Checkpoints completed.
    pub checkpoints_completed: u64,
    /// Longest barrier alignment at a keyed subtask (first barrier to last), virtual ms.
    pub alignment_ms_max: u64,
    /// Job restarts.
    pub restarts: u64,
    /// Records read by the sources (replays included).
    pub records_read: u64,
    /// Keyed state updates (replays included).
    pub state_updates: u64,
    /// Records in committed sink transactions (with a 2PC sink).
    pub committed_outputs: u64,
}

/// A job running on the virtual clock.
#[derive(Clone, Debug)]
pub struct MiniCluster {
    job: FlinkJob,
    sources: Vec<SourceTask>,
    keyed: Vec<KeyedTask>,
    /// Task manager of each task: sources first, then keyed subtasks.
    placement: Vec<usize>,
    free_at_us: Vec<u64>,
    scheduled: Vec<Option<Time>>,
    running: bool,
    clock: Time,
    queue: EventQueue<Ev>,
    in_flight: BTreeMap<u64, (usize, usize, Element)>,
    channel_last: BTreeMap<(usize, usize), Time>,
    slot: u64,
    latency_ms: (u64, u64),
    net: ChaCha8Rng,
    next_checkpoint: u64,
    pending: Option<Snapshot>,
    completed: Option<Snapshot>,
    committed: BTreeMap<Origin, u32>,
    /// When each record's first update was committed.
    first_commit: BTreeMap<u64, Time>,
    committed_values: Vec<(Time, Value)>,
    received: Ledger,
    trace: Vec<FlinkEvent>,
    report: FlinkReport,
}

impl MiniCluster {
    /// `env.execute()`: places subtasks on task managers round robin and starts the clock.
    pub fn execute(job: FlinkJob, source: &TimedRecords) -> MiniCluster {
        let ps = job.source_parallelism.clamp(1, super::job::MAX_PARALLELISM);
        let pk = job.keyed_parallelism.clamp(1, super::job::MAX_PARALLELISM);
        let tms = job.task_managers.max(1);
        let sources = (0..ps)
            .map(|s| SourceTask {
                records: source
                    .iter()
                    .enumerate()
                    .filter(|(o, _)| o % ps == s)
                    .map(|(o, (t, v))| (t, o as u64, v.clone()))
                    .collect(),
                next: 0,
            })
            .collect();
        let keyed = (0..pk)
            .map(|_| KeyedTask {
                channels: vec![VecDeque::new(); ps],
                blocked: vec![false; ps],
                ..KeyedTask::default()
            })
            .collect();
        let n = ps + pk;
        let seeds = SeedTree::new(job.seed);
        let mut c = MiniCluster {
            placement: (0..n).map(|i| i % tms).collect(),
            free_at_us: vec![0; n],
            scheduled: vec![None; n],
            running: true,
            clock: Time::ZERO,
            queue: EventQueue::default(),
            in_flight: BTreeMap::new(),
            channel_last: BTreeMap::new(),
            slot: 0,
            latency_ms: (0, 0),
            net: seeds.rng("network"),
            next_checkpoint: 1,
            pending: None,
            completed: None,
            committed: BTreeMap::new(),
            first_commit: BTreeMap::new(),
            committed_values: Vec::new(),
            received: Ledger::default(),
            trace: Vec::new(),
            report: FlinkReport {
                checkpoints_completed: 0,
                alignment_ms_max: 0,
                restarts: 0,
                records_read: 0,
                state_updates: 0,
                committed_outputs: 0,
            },
            sources,
            keyed,
            job,
        };
        c.start_sources(Time::ZERO);
        if let Some(i) = c.job.checkpoint_interval {
            c.schedule(Time::ZERO.plus(i), Ev::Trigger);
        }
        for index in 0..c.job.faults.faults.len() {
            let at = c.job.faults.faults[index].0;
            c.schedule(at, Ev::Fault { index });
        }
        c
    }

    fn schedule(&mut self, at: Time, ev: Ev) {
        self.queue.push(at, ev.class(), ev);
    }

    fn schedule_run(&mut self, task: usize, at: Time) {
        let at = at.max(self.clock);
        if self.scheduled[task].is_none_or(|s| at < s) {
            self.scheduled[task] = Some(at);
            self.schedule(at, Ev::Run { task });
        }
    }

    fn start_sources(&mut self, t: Time) {
        for s in 0..self.sources.len() {
            let src = &self.sources[s];
            if let Some(r) = src.records.get(src.next) {
                let at = r.0.max(t);
                self.schedule_run(s, at);
            }
        }
    }

    /// Runs every event at or before `until`.
    pub fn run_until(&mut self, until: Time) {
        while let Some((t, ev)) = self.queue.pop_until(until) {
            self.clock = t;
            self.handle(t, ev);
        }
        self.clock = self.clock.max(until);
    }

    /// The trace so far.
    pub fn trace(&self) -> &[FlinkEvent] {
        &self.trace
    }

    /// The figures so far.
    pub fn report(&self) -> FlinkReport {
        self.report.clone()
    }

    /// The keyed counts now, merged over subtasks.
    pub fn state(&self) -> BTreeMap<Value, i64> {
        let mut all = BTreeMap::new();
        for k in &self.keyed {
            for (w, n) in &k.state.counts {
                *all.entry(w.clone()).or_insert(0) += n;
            }
        }
        all
    }

    /// The values of committed sink transactions, with their commit times.
    pub fn committed_outputs(&self) -> &[(Time, Value)] {
        &self.committed_values
    }

    /// When each record's output first became visible (its first update committed by the
    /// 2PC sink), by record offset.
    pub fn first_commits(&self) -> &BTreeMap<u64, Time> {
        &self.first_commit
    }

    /// The per-record ledger: received and allocated as the sources read; written out as
    /// many times as the record's updates are in the keyed state now (with a 2PC sink: in
    /// the committed output), maximised over its words.
    pub fn ledger(&self) -> Ledger {
        let mut ledger = self.received.clone();
        let mut times: BTreeMap<u64, u32> = BTreeMap::new();
        let mut add = |m: &BTreeMap<Origin, u32>| {
            for ((o, _), n) in m {
                let e = times.entry(*o).or_insert(0);
                *e = (*e).max(*n);
            }
        };
        if self.job.two_phase_sink {
            add(&self.committed);
        } else {
            for k in &self.keyed {
                add(&k.state.applied);
            }
        }
        for (o, n) in times {
            for _ in 0..n {
                ledger.output(0, &[o]);
            }
        }
        ledger
    }

    fn handle(&mut self, t: Time, ev: Ev) {
        match ev {
            Ev::Fault { index } => {
                let f = self.job.faults.faults[index].1.clone();
                self.inject(t, &f);
            }
            Ev::Restart => self.restart(t),
            Ev::Trigger => {
                self.trigger(t);
                if let Some(i) = self.job.checkpoint_interval {
                    self.schedule(t.plus(i), Ev::Trigger);
                }
            }
            Ev::Deliver { slot } => {
                if let Some((k, ch, e)) = self.in_flight.remove(&slot) {
                    if self.running {
                        self.keyed[k].channels[ch].push_back(e);
                        let task = self.sources.len() + k;
                        self.schedule_run(task, t);
                    }
                }
            }
            Ev::Run { task } => {
                if self.scheduled[task] == Some(t) {
                    self.scheduled[task] = None;
                }
                if self.running {
                    self.run(t, task);
                }
            }
        }
    }

    fn budget(&self, t: Time, task: usize) -> usize {
        let start = (t.ms() * 1000).max(self.free_at_us[task]);
        let end = (t.ms() + 1) * 1000;
        if start >= end {
            return 0;
        }
        (((end - start) as f64 / self.job.record_us.max(0.001)).ceil() as usize).max(1)
    }

    fn run(&mut self, t: Time, task: usize) {
        let budget = self.budget(t, task);
        let ps = self.sources.len();
        let (done, more) = if task < ps {
            self.run_source(t, task, budget)
        } else {
            self.run_keyed(t, task - ps, budget)
        };
        let start = (t.ms() * 1000).max(self.free_at_us[task]);
        self.free_at_us[task] = start + (done as f64 * self.job.record_us).round() as u64;
        if more {
            let next = Time(self.free_at_us[task].div_ceil(1000).max(t.ms() + 1));
            self.schedule_run(task, next);
        } else if task < ps {
            let src = &self.sources[task];
            if let Some(r) = src.records.get(src.next) {
                let at = r.0;
                self.schedule_run(task, at);
            }
        }
    }

    /// A source subtask with its chained flatMap: reads what has arrived, emits each word to
    /// the keyed subtask of its key (`keyBy`: hash mod parallelism).
    fn run_source(&mut self, t: Time, s: usize, budget: usize) -> (usize, bool) {
        let mut n = 0;
        while n < budget {
            let src = &mut self.sources[s];
            let Some((at, o, v)) = src.records.get(src.next).cloned() else {
                break;
            };
            if at > t {
                break;
            }
            src.next += 1;
            n += 1;
            self.report.records_read += 1;
            self.received.received(0, &[o], t);
            self.received.allocated(0, &[o], t);
            let words = match &self.job.flat_map {
                Some(f) => match f.call1(&v) {
                    Ok(Value::Seq(_, items)) => items.to_vec(),
                    Ok(other) => vec![other],
                    Err(_) => Vec::new(),
                },
                None => vec![v],
            };
            for (i, w) in words.into_iter().enumerate() {
                let k =
                    (i64::from(w.partition_hash())).rem_euclid(self.keyed.len() as i64) as usize;
                self.send(t, s, k, Element::Record((o, i as u32), w));
            }
        }
        let src = &self.sources[s];
        let more = src.records.get(src.next).is_some_and(|r| r.0 <= t);
        (n, more)
    }

    /// Sends an element from source subtask `s` to keyed subtask `k`, in channel order.
    fn send(&mut self, t: Time, s: usize, k: usize, e: Element) {
        let (a, b) = (self.placement[s], self.placement[self.sources.len() + k]);
        let lat = if a == b {
            0
        } else {
            let (lo, hi) = self.latency_ms;
            if hi > lo {
                self.net.random_range(lo..=hi)
            } else {
                lo
            }
        };
        // A channel is a TCP connection: in order, whatever each element's latency.
        let last = self
            .channel_last
            .get(&(s, k))
            .copied()
            .unwrap_or(Time::ZERO);
        let at = t.plus(Duration::from_ms(lat)).max(last);
        self.channel_last.insert((s, k), at);
        self.slot += 1;
        self.in_flight.insert(self.slot, (k, s, e));
        self.schedule(at, Ev::Deliver { slot: self.slot });
    }

    fn run_keyed(&mut self, t: Time, k: usize, budget: usize) -> (usize, bool) {
        let ps = self.sources.len();
        let mut n = 0;
        while n < budget {
            let task = &mut self.keyed[k];
            let Some(ch) = (0..ps)
                .map(|i| (task.next_channel + i) % ps)
                .find(|&c| !task.blocked[c] && !task.channels[c].is_empty())
            else {
                break;
            };
            task.next_channel = (ch + 1) % ps;
            let Some(e) = task.channels[ch].pop_front() else {
                break;
            };
            match e {
                Element::Record(origin, w) => {
                    n += 1;
                    let c = task.state.counts.entry(w.clone()).or_insert(0);
                    *c += 1;
                    let c = *c;
                    *task.state.applied.entry(origin).or_insert(0) += 1;
                    if self.job.two_phase_sink {
                        task.txn.push((origin, Value::pair(w, Value::Int(c))));
                    }
                    self.report.state_updates += 1;
                }
                Element::Barrier(id) => self.on_barrier(t, k, ch, id),
            }
        }
        let task = &self.keyed[k];
        let more = (0..ps).any(|c| !task.blocked[c] && !task.channels[c].is_empty());
        (n, more)
    }

    /// Barrier `id` arrived on channel `ch` of keyed subtask `k`.
    fn on_barrier(&mut self, t: Time, k: usize, ch: usize, id: u64) {
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
        let alignment = t.ms() - task.aligning_since.map_or(t.ms(), Time::ms);
        task.barriers.clear();
        task.aligning_since = None;
        task.blocked = vec![false; ps];
        let txn = std::mem::take(&mut task.txn);
        task.precommitted.insert(id, txn);
        let state = task.state.clone();
        self.report.alignment_ms_max = self.report.alignment_ms_max.max(alignment);
        let Some(p) = self.pending.as_mut().filter(|p| p.id == id) else {
            return;
        };
        p.states[k] = Some(state);
        p.alignment_ms = p.alignment_ms.max(alignment);
        if p.states.iter().all(Option::is_some) {
            self.complete(t);
        }
        let task = self.sources.len() + k;
        self.schedule_run(task, t);
    }

    /// The coordinator triggers checkpoint `n`: each source snapshots its offset and emits
    /// the barrier (one checkpoint at a time: a trigger while one is pending is skipped).
    fn trigger(&mut self, t: Time) {
        if !self.running || self.pending.is_some() {
            return;
        }
        let id = self.next_checkpoint;
        self.next_checkpoint += 1;
        self.pending = Some(Snapshot {
            id,
            offsets: self.sources.iter().map(|s| s.next).collect(),
            states: vec![None; self.keyed.len()],
            started: t,
            alignment_ms: 0,
        });
        self.trace
            .push(FlinkEvent::CheckpointTriggered { time: t, id });
        for s in 0..self.sources.len() {
            for k in 0..self.keyed.len() {
                self.send(t, s, k, Element::Barrier(id));
            }
        }
    }

    /// Every subtask acknowledged: the checkpoint is complete; `notifyCheckpointComplete`
    /// lets the sinks commit what they pre-committed up to it.
    fn complete(&mut self, t: Time) {
        let Some(p) = self.pending.take() else {
            return;
        };
        self.report.checkpoints_completed += 1;
        self.trace.push(FlinkEvent::CheckpointCompleted {
            time: t,
            id: p.id,
            duration_ms: t.ms() - p.started.ms(),
            alignment_ms: p.alignment_ms,
        });
        let id = p.id;
        self.completed = Some(p);
        if self.job.two_phase_sink {
            self.commit_up_to(t, id);
        }
    }

    fn commit_up_to(&mut self, t: Time, id: u64) {
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

    fn inject(&mut self, t: Time, fault: &Fault) {
        match fault {
            Fault::KillWorker(name) => {
                let w = name
                    .strip_prefix("worker-")
                    .and_then(|k| k.parse::<usize>().ok())
                    .filter(|k| (1..=self.job.task_managers.max(1)).contains(k));
                if let Some(w) = w {
                    if self.placement.contains(&(w - 1)) {
                        self.fail(t, format!("task manager {name} lost"));
                    }
                }
            }
            Fault::KillDriver => self.fail(t, "JobManager failover (high availability)".into()),
            Fault::Latency(lo, hi) => {
                self.latency_ms = (*lo, *hi);
                self.trace.push(FlinkEvent::NetworkChanged {
                    time: t,
                    change: fault.to_string(),
                });
            }
            Fault::Partition(..) => {
                self.fail(t, format!("a network partition broke a channel ({fault})"))
            }
            _ => {}
        }
    }

    /// A failure cancels every task (global failover): channels, open transactions and the
    /// pending checkpoint are gone; the job restarts after the restart delay.
    fn fail(&mut self, t: Time, reason: String) {
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
        let d = self.job.restart_delay;
        self.schedule(t.plus(d), Ev::Restart);
    }

    /// Every task restores the last completed checkpoint: keyed state, source offsets; the
    /// sinks commit what that checkpoint pre-committed and abort the rest
    /// (`recoverAndCommit`, `recoverAndAbort`).
    fn restart(&mut self, t: Time) {
        self.running = true;
        self.report.restarts += 1;
        let ps = self.sources.len();
        let restored = self.completed.clone();
        let id = restored.as_ref().map(|c| c.id);
        if let Some(id) = id {
            if self.job.two_phase_sink {
                self.commit_up_to(t, id);
            }
        }
        for k in 0..self.keyed.len() {
            let task = &mut self.keyed[k];
            task.precommitted.clear();
            task.blocked = vec![false; ps];
            task.barriers.clear();
            task.aligning_since = None;
            task.state = restored
                .as_ref()
                .and_then(|c| c.states[k].clone())
                .unwrap_or_default();
        }
        let offsets: Vec<usize> = match &restored {
            Some(c) => c.offsets.clone(),
            // No checkpoint: the sources go on from where they were (what was in flight and
            // the state are lost).
            None => self.sources.iter().map(|s| s.next).collect(),
        };
        for (s, o) in offsets.iter().enumerate() {
            self.sources[s].next = *o;
        }
        self.free_at_us = vec![t.ms() * 1000; self.free_at_us.len()];
        self.channel_last.clear();
        self.trace.push(FlinkEvent::JobRestarted {
            time: t,
            from_checkpoint: id,
            source_offsets: offsets,
        });
        self.start_sources(t);
    }
}
