//! A Flink job on a `MiniCluster` (`flink-runtime/.../minicluster/MiniCluster.java`) on the
//! virtual clock: source subtasks with their watermark generators, keyed subtasks with one
//! input channel per source subtask, a `StatusWatermarkValve` and a keyed operator (a count
//! in `ValueState`, or a `WindowOperator`), and a two-phase-commit sink chained after it.
//! Checkpoints, savepoints, failures and restore are in [`super::checkpoint_coordinator`].
//!
//! Channels are in order (a TCP connection each): records, watermarks and barriers from one
//! source subtask reach a keyed subtask in the order they were sent, after a seeded network
//! latency between task managers (none inside one). Each subtask processes up to one
//! virtual millisecond of work (`record_us` per record) per run; what it cannot take waits
//! in its input queue (backpressure).
//!
//! Ledger hooks: a record is received and allocated when its source subtask reads it, and
//! written out as many times as its updates are in the final keyed state (with a 2PC sink
//! and a count: in the committed output), counted per word and maximised over the record's
//! words; so a record counted twice is a duplicate, one restored away is lost. For windows
//! the ledger follows the window state the same way; the firings are listed in
//! [`MiniCluster::firings`].

use super::job::{FlinkJob, KeyedOperator};
use super::trace::FlinkEvent;
use super::watermarks::{BoundedOutOfOrdernessWatermarks, StatusWatermarkValve, WatermarkEmission};
use super::window_operator::{Origin, WindowOperator, WindowOutput};
use crate::event_time::{EventRecord, TimeWindow};
use crate::io::TimedRecords;
use crate::ledger::Ledger;
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, EventQueue, Time};
use crate::value::Value;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// An element on a channel.
#[derive(Clone, Debug)]
pub(super) enum Element {
    /// A word: its origin, value, event timestamp (ms) and when its source read it.
    Record(Origin, Value, i64, Time),
    /// Checkpoint barrier `n`.
    Barrier(u64),
    /// A watermark (event-time ms).
    Watermark(i64),
    /// A `WatermarkStatus`: the source subtask went idle (`true`) or active again.
    Status(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Ev {
    Fault { index: usize },
    Savepoint { index: usize },
    Restart,
    Trigger,
    Watermarks,
    Deliver { slot: u64 },
    Run { task: usize },
}

impl Ev {
    fn class(self) -> u8 {
        match self {
            Ev::Fault { .. } => 0,
            Ev::Savepoint { .. } => 1,
            Ev::Restart => 2,
            Ev::Trigger => 3,
            Ev::Watermarks => 4,
            Ev::Deliver { .. } => 5,
            Ev::Run { .. } => 6,
        }
    }
}

/// One source record: arrival, offset, value, event timestamp (ms).
pub(super) type SourceRecord = (Time, u64, Value, i64);

#[derive(Clone, Debug)]
pub(super) struct SourceTask {
    pub(super) records: Vec<SourceRecord>,
    pub(super) next: usize,
    pub(super) watermarks: BoundedOutOfOrdernessWatermarks,
    /// Stopped by stop-with-savepoint.
    pub(super) stopped: bool,
    /// When it last read a record (the idleness timer's activity).
    pub(super) last_read: Time,
    /// Marked idle (`WatermarkStatus.IDLE`).
    pub(super) idle: bool,
}

#[derive(Clone, Debug, Default)]
pub(super) struct KeyedState {
    pub(super) counts: BTreeMap<Value, i64>,
    /// How many times each word's update is in the state (the state's provenance).
    pub(super) applied: BTreeMap<Origin, u32>,
    pub(super) window: Option<WindowOperator>,
}

#[derive(Clone, Debug)]
pub(super) struct KeyedTask {
    pub(super) channels: Vec<VecDeque<Element>>,
    pub(super) blocked: Vec<bool>,
    /// Channels whose barrier of the current checkpoint has arrived.
    pub(super) barriers: BTreeSet<usize>,
    pub(super) aligning_since: Option<Time>,
    /// Unaligned: channels whose records are still being recorded into the channel state.
    pub(super) recording: Vec<bool>,
    /// Unaligned: the in-flight records of the current checkpoint, by channel.
    pub(super) channel_state: Vec<(usize, Element)>,
    /// Unaligned: the state snapshotted at the first barrier, acknowledged at the last.
    pub(super) snapshot: Option<KeyedState>,
    pub(super) next_channel: usize,
    pub(super) state: KeyedState,
    pub(super) valve: StatusWatermarkValve,
    /// The sink's open transaction (chained after the operator): outputs since the last
    /// barrier.
    pub(super) txn: Vec<(Origin, Value)>,
    /// Pre-committed transactions by checkpoint id.
    pub(super) precommitted: BTreeMap<u64, Vec<(Origin, Value)>>,
}

/// A window's result as the `ProcessWindowFunction` emitted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowFiring {
    /// When (virtual time).
    pub time: Time,
    /// The keyed subtask.
    pub subtask: usize,
    /// The key.
    pub key: Value,
    /// The window.
    pub window: TimeWindow,
    /// Elements in the window.
    pub count: usize,
    /// The sum of the elements' record offsets (which elements: a checksum).
    pub offset_sum: u64,
    /// The operator's watermark when it fired (`Context.currentWatermark()`).
    pub watermark: i64,
    /// Caused by a late element within the allowed lateness.
    pub late_firing: bool,
}

/// A late element, sent to the side output (`sideOutputLateData`) or dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateElement {
    /// When (virtual time).
    pub time: Time,
    /// The key.
    pub key: Value,
    /// Its event timestamp, ms.
    pub timestamp: i64,
    /// Its record offset.
    pub offset: u64,
    /// The watermark that made it late.
    pub watermark: i64,
}

/// The counters and figures of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FlinkReport {
    /// Checkpoints completed (savepoints included).
    pub checkpoints_completed: u64,
    /// Longest time a keyed subtask held a channel blocked for barrier alignment, virtual
    /// ms (0 with unaligned checkpoints, which block nothing).
    pub alignment_ms_max: u64,
    /// Records stored as channel state by unaligned checkpoints (the in-flight data).
    pub in_flight_persisted: u64,
    /// Job restarts.
    pub restarts: u64,
    /// Records read by the sources (replays included).
    pub records_read: u64,
    /// Keyed state updates (replays included).
    pub state_updates: u64,
    /// Records in committed sink transactions (with a 2PC sink).
    pub committed_outputs: u64,
}

/// The checkpoint or savepoint of a job: source offsets, keyed states, and (unaligned) the
/// in-flight records of each keyed subtask's channels.
#[derive(Clone, Debug)]
pub(super) struct Snapshot {
    pub(super) id: u64,
    pub(super) offsets: Vec<usize>,
    pub(super) states: Vec<Option<KeyedState>>,
    pub(super) channel_state: Vec<Vec<(usize, Element)>>,
    pub(super) started: Time,
    pub(super) alignment_ms: u64,
    pub(super) savepoint: bool,
    pub(super) stop: bool,
}

/// A job running on the virtual clock.
#[derive(Clone, Debug)]
pub struct MiniCluster {
    pub(super) job: FlinkJob,
    pub(super) sources: Vec<SourceTask>,
    pub(super) keyed: Vec<KeyedTask>,
    /// Task manager of each task: sources first, then keyed subtasks.
    pub(super) placement: Vec<usize>,
    pub(super) free_at_us: Vec<u64>,
    pub(super) scheduled: Vec<Option<Time>>,
    pub(super) running: bool,
    pub(super) clock: Time,
    pub(super) queue: EventQueue<Ev>,
    pub(super) in_flight: BTreeMap<u64, (usize, usize, Element)>,
    pub(super) channel_last: BTreeMap<(usize, usize), Time>,
    pub(super) slot: u64,
    pub(super) latency_ms: (u64, u64),
    pub(super) net: ChaCha8Rng,
    pub(super) next_checkpoint: u64,
    pub(super) pending: Option<Snapshot>,
    pub(super) completed: Option<Snapshot>,
    pub(super) savepoint: Option<Snapshot>,
    pub(super) committed: BTreeMap<Origin, u32>,
    /// When each record's first update was committed.
    pub(super) first_commit: BTreeMap<u64, Time>,
    pub(super) committed_values: Vec<(Time, Value)>,
    pub(super) received: Ledger,
    pub(super) trace: Vec<FlinkEvent>,
    pub(super) report: FlinkReport,
    pub(super) firings: Vec<WindowFiring>,
    pub(super) late: Vec<LateElement>,
    /// Source read to keyed processing, per record processed, virtual ms.
    pub(super) record_latency_ms: Vec<u64>,
    /// Protocol faults waiting for their point.
    pub(super) armed: Vec<super::job::ProtocolFault>,
    /// What each source record did, when the REPL steps record by record (`None`: off).
    pub(super) record_log: Option<Vec<String>>,
}

impl MiniCluster {
    /// `env.execute()` over records without event time (their event time is their arrival):
    /// places subtasks on task managers round robin and starts the clock.
    pub fn execute(job: FlinkJob, source: &TimedRecords) -> MiniCluster {
        let records = source
            .iter()
            .enumerate()
            .map(|(o, (t, v))| (t, o as u64, v.clone(), t.ms() as i64))
            .collect();
        MiniCluster::start(job, records)
    }

    /// `env.execute()` over records with their own event time (out of order, as
    /// `event_time::read_out_of_order_csv` replays them).
    pub fn execute_events(job: FlinkJob, source: &[EventRecord]) -> MiniCluster {
        let records = source
            .iter()
            .map(|r| (r.arrival, r.offset, r.value.clone(), r.event_time.0))
            .collect();
        MiniCluster::start(job, records)
    }

    fn start(job: FlinkJob, records: Vec<SourceRecord>) -> MiniCluster {
        let ps = job.source_parallelism.clamp(1, super::job::MAX_PARALLELISM);
        let pk = job.keyed_parallelism.clamp(1, super::job::MAX_PARALLELISM);
        let tms = job.task_managers.max(1);
        let sources = (0..ps)
            .map(|s| SourceTask {
                records: records
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % ps == s)
                    .map(|(_, r)| r.clone())
                    .collect(),
                next: 0,
                watermarks: BoundedOutOfOrdernessWatermarks::new(job.out_of_orderness_ms),
                stopped: false,
                last_read: Time::ZERO,
                idle: false,
            })
            .collect();
        let keyed = (0..pk).map(|_| KeyedTask::new(&job, ps)).collect();
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
            savepoint: None,
            committed: BTreeMap::new(),
            first_commit: BTreeMap::new(),
            committed_values: Vec::new(),
            received: Ledger::default(),
            trace: Vec::new(),
            report: FlinkReport {
                checkpoints_completed: 0,
                alignment_ms_max: 0,
                in_flight_persisted: 0,
                restarts: 0,
                records_read: 0,
                state_updates: 0,
                committed_outputs: 0,
            },
            firings: Vec::new(),
            late: Vec::new(),
            record_latency_ms: Vec::new(),
            armed: job.protocol_faults.clone(),
            record_log: None,
            sources,
            keyed,
            job,
        };
        c.start_sources(Time::ZERO);
        if let Some(i) = c.job.checkpoint_interval {
            c.schedule(Time::ZERO.plus(i), Ev::Trigger);
        }
        if let (KeyedOperator::Window(_), Some(i)) = (c.job.operator, c.watermark_tick()) {
            c.schedule(Time::ZERO.plus(i), Ev::Watermarks);
        }
        for index in 0..c.job.faults.faults.len() {
            let at = c.job.faults.faults[index].0;
            c.schedule(at, Ev::Fault { index });
        }
        for index in 0..c.job.savepoints.len() {
            let at = c.job.savepoints[index].0;
            c.schedule(at, Ev::Savepoint { index });
        }
        c
    }

    /// How often the sources' periodic watermark work runs (`onPeriodicEmit`, which also
    /// checks the idleness timer): the emission interval, or with per-element emission and
    /// an idleness timeout, the default 200 ms.
    fn watermark_tick(&self) -> Option<Duration> {
        match (self.job.watermarks, self.job.idleness) {
            (WatermarkEmission::Periodic(i), _) => Some(i.max(Duration::from_ms(1))),
            (WatermarkEmission::PerEvent, Some(_)) => Some(Duration::from_ms(200)),
            (WatermarkEmission::PerEvent, None) => None,
        }
    }

    pub(super) fn schedule(&mut self, at: Time, ev: Ev) {
        self.queue.push(at, ev.class(), ev);
    }

    pub(super) fn schedule_run(&mut self, task: usize, at: Time) {
        let at = at.max(self.clock);
        if self.scheduled[task].is_none_or(|s| at < s) {
            self.scheduled[task] = Some(at);
            self.schedule(at, Ev::Run { task });
        }
    }

    pub(super) fn start_sources(&mut self, t: Time) {
        for s in 0..self.sources.len() {
            if self.sources[s].stopped {
                continue;
            }
            let src = &self.sources[s];
            match src.records.get(src.next) {
                Some(r) => {
                    let at = r.0.max(t);
                    self.schedule_run(s, at);
                }
                // Already at the end: a bounded source still owes its final watermark.
                None => self.schedule_run(s, t),
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

    /// Whether the job is running (false while it waits for a restart, or after
    /// stop-with-savepoint).
    pub fn is_running(&self) -> bool {
        self.running
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

    /// Every window firing so far, in the order they were emitted (a print sink: firings
    /// before a failure stay, replays fire again).
    pub fn firings(&self) -> &[WindowFiring] {
        &self.firings
    }

    /// Late elements (side output or dropped), in the order they were seen.
    pub fn late_elements(&self) -> &[LateElement] {
        &self.late
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

    /// Time from a source reading a record to the keyed operator processing it, p50 and p99,
    /// virtual ms (what barrier alignment adds to).
    pub fn record_latency_ms(&self) -> (u64, u64) {
        let mut v = self.record_latency_ms.clone();
        if v.is_empty() {
            return (0, 0);
        }
        v.sort_unstable();
        let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        (at(0.5), at(0.99))
    }

    /// The virtual time the job has run to.
    pub fn now(&self) -> Time {
        self.clock
    }

    /// The per-record ledger: received and allocated as the sources read; written out as
    /// many times as the record's updates are in the keyed state now (with a 2PC sink and a
    /// count: in the committed output), maximised over its words.
    pub fn ledger(&self) -> Ledger {
        let mut ledger = self.received.clone();
        let mut times: BTreeMap<u64, u32> = BTreeMap::new();
        let mut add = |m: &BTreeMap<Origin, u32>| {
            for ((o, _), n) in m {
                let e = times.entry(*o).or_insert(0);
                *e = (*e).max(*n);
            }
        };
        if self.job.two_phase_sink && self.job.operator == KeyedOperator::Count {
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

    pub(super) fn handle(&mut self, t: Time, ev: Ev) {
        match ev {
            Ev::Fault { index } => {
                let f = self.job.faults.faults[index].1.clone();
                self.inject(t, &f);
            }
            Ev::Savepoint { index } => {
                let cmd = self.job.savepoints[index].1;
                self.savepoint_command(t, cmd);
            }
            Ev::Restart => self.restart(t, false),
            Ev::Trigger => {
                self.trigger(t, false, false);
                if let Some(i) = self.job.checkpoint_interval {
                    self.schedule(t.plus(i), Ev::Trigger);
                }
            }
            Ev::Watermarks => {
                if self.running {
                    let periodic = matches!(self.job.watermarks, WatermarkEmission::Periodic(_));
                    for s in 0..self.sources.len() {
                        // `WatermarksWithIdleness.onPeriodicEmit`: idle after no record for
                        // longer than the timeout, and then no watermark.
                        let src = &self.sources[s];
                        let quiet = self.job.idleness.is_some_and(|d| {
                            !src.stopped && t.ms() - src.last_read.ms().min(t.ms()) > d.ms()
                        });
                        if quiet {
                            if !src.idle {
                                self.sources[s].idle = true;
                                self.trace.push(FlinkEvent::WatermarkStatus {
                                    time: t,
                                    source: s,
                                    idle: true,
                                });
                                self.broadcast(t, s, Element::Status(true));
                            }
                            continue;
                        }
                        if periodic {
                            if let Some(w) = self.sources[s].watermarks.emit() {
                                self.broadcast(t, s, Element::Watermark(w));
                            }
                        }
                    }
                }
                if let Some(i) = self.watermark_tick() {
                    self.schedule(t.plus(i), Ev::Watermarks);
                }
            }
            Ev::Deliver { slot } => {
                if let Some((k, ch, e)) = self.in_flight.remove(&slot) {
                    if self.running {
                        self.deliver(t, k, ch, e);
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

    /// An element reaches keyed subtask `k`'s input channel `ch`. With unaligned
    /// checkpoints a barrier is handled at once (it overtakes the queue) and records of a
    /// channel being recorded are copied into the channel state.
    fn deliver(&mut self, t: Time, k: usize, ch: usize, e: Element) {
        let unaligned = self.unaligned();
        if let (true, Element::Barrier(id)) = (unaligned, &e) {
            self.on_unaligned_barrier(t, k, ch, *id);
            return;
        }
        let task = &mut self.keyed[k];
        if unaligned && task.recording[ch] && matches!(e, Element::Record(..)) {
            task.channel_state.push((ch, e.clone()));
            self.report.in_flight_persisted += 1;
        }
        task.channels[ch].push_back(e);
        let task = self.sources.len() + k;
        self.schedule_run(task, t);
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
            if let Some(r) = src.records.get(src.next).filter(|_| !src.stopped) {
                let at = r.0;
                self.schedule_run(task, at);
            }
        }
    }

    /// A source subtask with its chained flatMap and timestamp/watermark assigner: reads
    /// what has arrived, emits each word to the keyed subtask of its key (`keyBy`: hash mod
    /// parallelism), then (per-element emission) its watermark; a bounded source emits
    /// `Long.MAX_VALUE` after its last record.
    fn run_source(&mut self, t: Time, s: usize, budget: usize) -> (usize, bool) {
        let mut n = 0;
        let per_event = self.job.watermarks == WatermarkEmission::PerEvent
            && matches!(self.job.operator, KeyedOperator::Window(_));
        while n < budget && !self.sources[s].stopped {
            let src = &mut self.sources[s];
            let Some((at, o, v, ts)) = src.records.get(src.next).cloned() else {
                break;
            };
            if at > t {
                break;
            }
            src.next += 1;
            src.watermarks.on_event(ts);
            src.last_read = t;
            if src.idle {
                src.idle = false;
                self.trace.push(FlinkEvent::WatermarkStatus {
                    time: t,
                    source: s,
                    idle: false,
                });
                self.broadcast(t, s, Element::Status(false));
            }
            n += 1;
            self.report.records_read += 1;
            self.received.received(0, &[o], t);
            self.received.allocated(0, &[o], t);
            let shown = self.record_log.as_ref().map(|_| v.to_string());
            let words = match &self.job.flat_map {
                Some(f) => match f.call1(&v) {
                    Ok(Value::Seq(_, items)) => items.to_vec(),
                    Ok(other) => vec![other],
                    Err(_) => Vec::new(),
                },
                None => vec![v],
            };
            let mut to = vec![0usize; self.keyed.len()];
            let n_words = words.len();
            for (i, w) in words.into_iter().enumerate() {
                let k =
                    (i64::from(w.partition_hash())).rem_euclid(self.keyed.len() as i64) as usize;
                to[k] += 1;
                self.send(t, s, k, Element::Record((o, i as u32), w, ts, t));
            }
            if let Some(log) = self.record_log.as_mut() {
                let sent: Vec<String> = to
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(k, n)| format!("keyed[{k}] x{n}"))
                    .collect();
                let text = shown.unwrap_or_default();
                let short: String = text.chars().take(60).collect();
                let et = if matches!(self.job.operator, KeyedOperator::Window(_)) {
                    format!(" (event time {})", crate::event_time::EventTime(ts))
                } else {
                    String::new()
                };
                log.push(format!(
                    "{} ms  source[{s}] read offset {o}{et}: {n_words} element(s) to {}  {short}{}",
                    t.ms(),
                    if sent.is_empty() {
                        "nobody".to_string()
                    } else {
                        sent.join(", ")
                    },
                    if text.chars().count() > 60 { "..." } else { "" }
                ));
            }
            if per_event {
                if let Some(w) = self.sources[s].watermarks.emit() {
                    self.broadcast(t, s, Element::Watermark(w));
                }
            }
        }
        let src = &self.sources[s];
        if self.job.bounded && !src.stopped && src.next >= src.records.len() {
            if let Some(w) = self.sources[s].watermarks.emit_end() {
                self.broadcast(t, s, Element::Watermark(w));
            }
        }
        let src = &self.sources[s];
        let more = !src.stopped && src.records.get(src.next).is_some_and(|r| r.0 <= t);
        (n, more)
    }

    /// Sends an element from source subtask `s` to every keyed subtask.
    pub(super) fn broadcast(&mut self, t: Time, s: usize, e: Element) {
        for k in 0..self.keyed.len() {
            self.send(t, s, k, e.clone());
        }
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
                Element::Record(origin, w, ts, read) => {
                    n += 1;
                    self.record_latency_ms
                        .push(t.ms().saturating_sub(read.ms()));
                    self.process_record(t, k, origin, w, ts);
                }
                Element::Watermark(w) => {
                    let task = &mut self.keyed[k];
                    if let Some(new) = task.valve.input_watermark(ch, w) {
                        let outs = task
                            .state
                            .window
                            .as_mut()
                            .map(|op| op.process_watermark(new))
                            .unwrap_or_default();
                        self.emit_window(t, k, outs);
                    }
                }
                Element::Barrier(id) => self.on_barrier(t, k, ch, id),
                Element::Status(idle) => {
                    let task = &mut self.keyed[k];
                    if let Some(new) = task.valve.input_status(ch, idle) {
                        let outs = task
                            .state
                            .window
                            .as_mut()
                            .map(|op| op.process_watermark(new))
                            .unwrap_or_default();
                        self.emit_window(t, k, outs);
                    }
                }
            }
        }
        let task = &self.keyed[k];
        let more = (0..ps).any(|c| !task.blocked[c] && !task.channels[c].is_empty());
        (n, more)
    }

    fn process_record(&mut self, t: Time, k: usize, origin: Origin, w: Value, ts: i64) {
        let two_phase = self.job.two_phase_sink;
        let task = &mut self.keyed[k];
        if let Some(op) = task.state.window.as_mut() {
            let (outs, taken) = op.process_element(&w, ts, origin);
            if taken {
                *task.state.applied.entry(origin).or_insert(0) += 1;
                self.report.state_updates += 1;
            }
            self.emit_window(t, k, outs);
            return;
        }
        let c = task.state.counts.entry(w.clone()).or_insert(0);
        *c += 1;
        let c = *c;
        *task.state.applied.entry(origin).or_insert(0) += 1;
        if two_phase {
            task.txn.push((origin, Value::pair(w, Value::Int(c))));
        }
        self.report.state_updates += 1;
    }

    /// The window operator's outputs: firings to the print list, the trace and (2PC) the
    /// open transaction; late elements to the side output.
    fn emit_window(&mut self, t: Time, k: usize, outs: Vec<WindowOutput>) {
        for o in outs {
            match o {
                WindowOutput::Fired {
                    key,
                    window,
                    contents,
                    watermark,
                    late_firing,
                } => {
                    let count = contents.len();
                    self.trace.push(FlinkEvent::WindowFired {
                        time: t,
                        key: key.to_string(),
                        window: window.to_string(),
                        count,
                        watermark,
                        late_firing,
                    });
                    if self.job.two_phase_sink {
                        let v = Value::tuple(vec![
                            key.clone(),
                            Value::str(&window.to_string()),
                            Value::Int(count as i64),
                        ]);
                        let origin = contents.last().map_or((0, 0), |c| c.0);
                        self.keyed[k].txn.push((origin, v));
                    }
                    self.firings.push(WindowFiring {
                        time: t,
                        subtask: k,
                        key,
                        window,
                        count,
                        offset_sum: contents.iter().map(|((o, _), _)| *o).sum(),
                        watermark,
                        late_firing,
                    });
                }
                WindowOutput::Late {
                    key,
                    timestamp,
                    origin,
                    watermark,
                } => {
                    self.trace.push(FlinkEvent::LateElement {
                        time: t,
                        key: key.to_string(),
                        timestamp,
                        watermark,
                        side_output: self.window_spec().is_some_and(|s| s.side_output_late),
                    });
                    self.late.push(LateElement {
                        time: t,
                        key,
                        timestamp,
                        offset: origin.0,
                        watermark,
                    });
                }
            }
        }
    }

    fn window_spec(&self) -> Option<super::window_operator::WindowSpec> {
        match self.job.operator {
            KeyedOperator::Window(s) => Some(s),
            KeyedOperator::Count => None,
        }
    }

    pub(super) fn unaligned(&self) -> bool {
        self.job.unaligned && self.job.mode == super::job::CheckpointingMode::ExactlyOnce
    }
}

impl KeyedTask {
    pub(super) fn new(job: &FlinkJob, ps: usize) -> KeyedTask {
        KeyedTask {
            channels: vec![VecDeque::new(); ps],
            blocked: vec![false; ps],
            barriers: BTreeSet::new(),
            aligning_since: None,
            recording: vec![false; ps],
            channel_state: Vec::new(),
            snapshot: None,
            next_channel: 0,
            state: KeyedState {
                window: match job.operator {
                    KeyedOperator::Window(spec) => Some(WindowOperator::new(spec)),
                    KeyedOperator::Count => None,
                },
                ..KeyedState::default()
            },
            valve: StatusWatermarkValve::new(ps),
            txn: Vec::new(),
            precommitted: BTreeMap::new(),
        }
    }
}
