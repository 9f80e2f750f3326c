//! `LocalCluster` (`storm-server/src/main/java/org/apache/storm/LocalCluster.java`) on the
//! virtual clock: a topology's tasks on workers, tuples on the network, the acker, and the
//! spout executor's pending map with its timeout (`SpoutExecutor.java`).
//!
//! Record at a time: a spout task emits each source record as a tuple tree rooted at a
//! random 64-bit id; every task executes its input queue one tuple after the other, at
//! `execute_us` virtual microseconds a tuple; tuples between workers cross the shared
//! `Network` (`cluster::network`: seeded latency, loss, partitions). The
//! acker ([`super::acker`]) reports a completed tree to the spout, which forgets the record;
//! a tree not complete within the message timeout (between one and two
//! `topology.message.timeout.secs`, the spout's [`RotatingMap`] of two buckets) fails, and
//! a reliable spout replays the record as a new tree. So processing is at-least-once: a
//! stateful counting bolt that already counted part of a replayed record counts it again.
//! `topology.max.spout.pending` bounds the trees in flight per spout task.
//!
//! Failures ([`crate::cluster::Fault`]): a worker's death loses its tasks' queues, the
//! in-memory state of its bolts, its acker's values and the pending map of its spout task
//! (a reliable source, like Kafka's spout, replays from the last acked offset when the task
//! comes back); the supervisor restarts the worker after `worker_restart_delay`. Nimbus
//! (`kill driver`) is not on the data path: the topology runs on. Network faults drop
//! tuples and acks, which surfaces as timeouts and replays.
//!
//! Ledger hooks: a record is *received* each time a spout emits it, and *written out* once
//! per tree (attempt) in which any of its tuples reached a stateful or sink bolt: a record
//! written out twice is one whose state was updated twice.

use super::acker::{Acker, AckerMessage, AckerVerdict};
use super::config::StormConfig;
use super::rotating_map::RotatingMap;
use super::topology::{BoltLogic, Grouping, Topology};
use super::trace::StormEvent;
use crate::cluster::network::{Delivery, Network};
use crate::cluster::Fault;
use crate::io::TimedRecords;
use crate::ledger::Ledger;
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, EventQueue, Time};
use crate::value::Value;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

mod inspect;

#[derive(Clone, Debug)]
struct Tuple {
    value: Value,
    /// The tree's root id and this tuple's edge id (`None`: unanchored).
    anchor: Option<(u64, u64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Fault {
        index: usize,
    },
    WorkerRestart {
        worker: usize,
    },
    Tick,
    Progress,
    /// A tuple (index into `in_flight`) reaches a task.
    Deliver {
        slot: u64,
    },
    /// A message reaches an acker task.
    ToAcker {
        slot: u64,
    },
    /// The acker's verdict reaches a spout task.
    ToSpout {
        slot: u64,
    },
    /// A task works through its queue.
    Run {
        task: usize,
    },
}

impl Ev {
    fn class(self) -> u8 {
        match self {
            Ev::Fault { .. } => 0,
            Ev::WorkerRestart { .. } => 1,
            Ev::Tick => 2,
            Ev::ToSpout { .. } => 3,
            Ev::ToAcker { .. } => 4,
            Ev::Deliver { .. } => 5,
            Ev::Run { .. } => 6,
            Ev::Progress => 7,
        }
    }
}

/// What a task is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Spout task number `k` of the spout.
    Spout(usize),
    /// A task of bolt number `b`.
    Bolt(usize),
    /// An acker task.
    Acker,
}

#[derive(Clone, Debug)]
struct SpoutState {
    /// Records of this task, in arrival order: (arrival, offset, value).
    records: Vec<(Time, u64, Value)>,
    next: usize,
    replay: VecDeque<(u64, Value)>,
    /// root -> (offset, value, first emission of this record).
    pending: RotatingMap<u64, (u64, Value, Time)>,
    /// Verdicts waiting to be handled.
    verdicts: VecDeque<AckerVerdict>,
}

#[derive(Clone, Debug)]
struct Task {
    name: String,
    role: Role,
    worker: usize,
    queue: VecDeque<Tuple>,
    /// The earliest `Run` event pending for the task, if any.
    scheduled: Option<Time>,
    counts: BTreeMap<Value, i64>,
    /// Record offsets whose updates are in `counts` (the in-memory state's provenance),
    /// with how many updates each.
    provenance: BTreeMap<u64, u32>,
    /// When the task's executor thread is next free, virtual microseconds.
    free_at_us: u64,
    spout: Option<Box<SpoutState>>,
    acker: Acker,
}

/// Per spout task, the offsets of its pending records; per acker task, its pending
/// `(root, XOR value)` pairs.
pub type PendingTrees = (Vec<(String, Vec<u64>)>, Vec<(String, Vec<(u64, u64)>)>);

/// A topology running on the virtual clock.
#[derive(Clone, Debug)]
pub struct LocalCluster {
    config: StormConfig,
    topology: Topology,
    tasks: Vec<Task>,
    /// Task indices per bolt.
    bolt_tasks: Vec<Vec<usize>>,
    acker_tasks: Vec<usize>,
    alive: Vec<bool>,
    network: Network,
    clock: Time,
    queue: EventQueue<Ev>,
    in_flight: BTreeMap<u64, (usize, Tuple)>,
    to_acker: BTreeMap<u64, (usize, AckerMessage)>,
    to_spout: BTreeMap<u64, (usize, AckerVerdict)>,
    slot: u64,
    ids: ChaCha8Rng,
    shuffle: ChaCha8Rng,
    ledger: Ledger,
    /// Roots whose record has reached state or a sink (one write per attempt).
    applied: BTreeSet<u64>,
    root_offset: BTreeMap<u64, u64>,
    trace: Vec<StormEvent>,
    counters: [u64; 5],
    since: [u64; 5],
    latencies: Vec<u64>,
    /// When each acked tree completed, in order.
    ack_times: Vec<Time>,
    /// Values that reached the sink bolts, in order, with their time (bounded).
    outputs: Vec<(Time, Value)>,
    /// What each spout emission did, when the REPL steps record by record (`None`: off).
    record_log: Option<Vec<String>>,
}

/// Most values kept from the sinks (later ones are counted, not kept).
pub const MAX_OUTPUTS: usize = 100_000;

const EMITTED: usize = 0;
const ACKED: usize = 1;
const FAILED: usize = 2;
const TIMED_OUT: usize = 3;
const UPDATES: usize = 4;

impl LocalCluster {
    /// `submitTopology`: places the tasks on workers round robin (spout tasks, then each
    /// bolt's, then one acker per worker, `topology.acker.executors` defaulting to the
    /// number of workers) and starts the clock at 0.
    pub fn submit_topology(
        topology: Topology,
        source: &TimedRecords,
        config: StormConfig,
    ) -> LocalCluster {
        let workers = config.workers.max(1);
        let seeds = SeedTree::new(config.seed);
        let mut tasks = Vec::new();
        let place = |name: String, role: Role, tasks: &mut Vec<Task>| {
            let worker = tasks.len() % workers;
            tasks.push(Task {
                name,
                role,
                worker,
                queue: VecDeque::new(),
                scheduled: None,
                counts: BTreeMap::new(),
                provenance: BTreeMap::new(),
                free_at_us: 0,
                spout: None,
                acker: Acker::default(),
            });
            tasks.len() - 1
        };
        let p = topology.spout_parallelism;
        for k in 0..p {
            let i = place(
                format!("{}[{k}]", topology.spout),
                Role::Spout(k),
                &mut tasks,
            );
            let records = source
                .iter()
                .enumerate()
                .filter(|(o, _)| o % p == k)
                .map(|(o, (t, v))| (t, o as u64, v.clone()))
                .collect();
            tasks[i].spout = Some(Box::new(SpoutState {
                records,
                next: 0,
                replay: VecDeque::new(),
                pending: RotatingMap::new(2),
                verdicts: VecDeque::new(),
            }));
        }
        let mut bolt_tasks = Vec::new();
        for (b, bolt) in topology.bolts.iter().enumerate() {
            let ids = (0..bolt.parallelism)
                .map(|k| place(format!("{}[{k}]", bolt.id), Role::Bolt(b), &mut tasks))
                .collect();
            bolt_tasks.push(ids);
        }
        let acker_tasks = (0..workers)
            .map(|k| place(format!("__acker[{k}]"), Role::Acker, &mut tasks))
            .collect();
        let mut network = Network::new(seeds.rng("network"));
        network.latency_ms = config.latency_ms;
        let mut c = LocalCluster {
            alive: vec![true; workers],
            network,
            clock: Time::ZERO,
            queue: EventQueue::default(),
            in_flight: BTreeMap::new(),
            to_acker: BTreeMap::new(),
            to_spout: BTreeMap::new(),
            slot: 0,
            ids: seeds.rng("storm/tuple-ids"),
            shuffle: seeds.rng("storm/shuffle"),
            ledger: Ledger::default(),
            applied: BTreeSet::new(),
            root_offset: BTreeMap::new(),
            trace: Vec::new(),
            counters: [0; 5],
            since: [0; 5],
            latencies: Vec::new(),
            ack_times: Vec::new(),
            outputs: Vec::new(),
            record_log: None,
            tasks,
            bolt_tasks,
            acker_tasks,
            topology,
            config,
        };
        let placed = c
            .tasks
            .iter()
            .map(|t| format!("{} on {}", t.name, worker_name(t.worker)))
            .collect();
        c.trace.push(StormEvent::TopologySubmitted {
            time: Time::ZERO,
            tasks: placed,
        });
        for k in 0..c.tasks.len() {
            if matches!(c.tasks[k].role, Role::Spout(_)) {
                let first = c.tasks[k]
                    .spout
                    .as_ref()
                    .and_then(|s| s.records.first().map(|r| r.0));
                if let Some(at) = first {
                    c.schedule_run(k, at);
                }
            }
        }
        let timeout = c.config.message_timeout;
        c.schedule(Time::ZERO.plus(timeout), Ev::Tick);
        c.schedule(Time::ZERO.plus(Duration::from_ms(1000)), Ev::Progress);
        for index in 0..c.config.faults.faults.len() {
            let at = c.config.faults.faults[index].0;
            c.schedule(at, Ev::Fault { index });
        }
        c
    }

    fn schedule(&mut self, at: Time, ev: Ev) {
        self.queue.push(at, ev.class(), ev);
    }

    /// Makes sure the task runs at `at` (or earlier): a later pending run stays, and is
    /// then a harmless extra look at the queue.
    fn schedule_run(&mut self, task: usize, at: Time) {
        let at = at.max(self.clock);
        if self.tasks[task].scheduled.is_none_or(|s| at < s) {
            self.tasks[task].scheduled = Some(at);
            self.schedule(at, Ev::Run { task });
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

    /// The virtual clock.
    pub fn now(&self) -> Time {
        self.clock
    }

    /// The trace so far.
    pub fn trace(&self) -> &[StormEvent] {
        &self.trace
    }

    /// The per-record ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The counting bolts' state, merged over their tasks (what a query of the counts
    /// would read now).
    pub fn state(&self) -> BTreeMap<Value, i64> {
        let mut all = BTreeMap::new();
        for t in &self.tasks {
            for (k, v) in &t.counts {
                *all.entry(k.clone()).or_insert(0) += v;
            }
        }
        all
    }

    /// The values the sink bolts received, with their times (at most [`MAX_OUTPUTS`]).
    pub fn outputs(&self) -> &[(Time, Value)] {
        &self.outputs
    }

    fn handle(&mut self, t: Time, ev: Ev) {
        match ev {
            Ev::Fault { index } => {
                let fault = self.config.faults.faults[index].1.clone();
                self.inject(t, &fault);
            }
            Ev::WorkerRestart { worker } => self.restart_worker(t, worker),
            Ev::Tick => {
                self.tick(t);
                let timeout = self.config.message_timeout;
                self.schedule(t.plus(timeout), Ev::Tick);
            }
            Ev::Progress => {
                let d: Vec<u64> = (0..5).map(|i| self.counters[i] - self.since[i]).collect();
                self.since = self.counters;
                let pending = self.pending_count();
                self.trace.push(StormEvent::Progress {
                    time: t,
                    emitted: d[EMITTED],
                    acked: d[ACKED],
                    failed: d[FAILED],
                    timed_out: d[TIMED_OUT],
                    pending,
                    state_updates: d[UPDATES],
                });
                self.schedule(t.plus(Duration::from_ms(1000)), Ev::Progress);
            }
            Ev::Deliver { slot } => {
                if let Some((task, tuple)) = self.in_flight.remove(&slot) {
                    if self.alive[self.tasks[task].worker] {
                        self.tasks[task].queue.push_back(tuple);
                        self.schedule_run(task, t);
                    }
                }
            }
            Ev::ToAcker { slot } => {
                if let Some((task, msg)) = self.to_acker.remove(&slot) {
                    if self.alive[self.tasks[task].worker] {
                        if let Some(v) = self.tasks[task].acker.execute(msg) {
                            let spout_task = match v {
                                AckerVerdict::Complete { spout_task, .. }
                                | AckerVerdict::Failed { spout_task, .. } => spout_task,
                            };
                            let from = self.tasks[task].worker;
                            if let Some(lat) = self.send(from, self.tasks[spout_task].worker) {
                                let s = self.next_slot();
                                self.to_spout.insert(s, (spout_task, v));
                                self.schedule(t.plus(lat), Ev::ToSpout { slot: s });
                            }
                        }
                    }
                }
            }
            Ev::ToSpout { slot } => {
                if let Some((task, v)) = self.to_spout.remove(&slot) {
                    if self.alive[self.tasks[task].worker] {
                        if let Some(s) = self.tasks[task].spout.as_mut() {
                            s.verdicts.push_back(v);
                        }
                        self.schedule_run(task, t);
                    }
                }
            }
            Ev::Run { task } => {
                if self.tasks[task].scheduled == Some(t) {
                    self.tasks[task].scheduled = None;
                }
                if self.alive[self.tasks[task].worker] {
                    self.run_task(t, task);
                }
            }
        }
    }

    fn next_slot(&mut self) -> u64 {
        self.slot += 1;
        self.slot
    }

    /// A message from worker `from` to worker `to`: its latency, or `None` when lost.
    fn send(&mut self, from: usize, to: usize) -> Option<Duration> {
        if from == to {
            return Some(Duration::ZERO);
        }
        match self.network.send(&worker_name(from), &worker_name(to)) {
            Delivery::After(lat) => Some(lat),
            Delivery::Lost | Delivery::Partitioned => None,
        }
    }

    /// How many tuples the task can execute in the millisecond starting at `t`, given when
    /// its executor thread is free and `execute_us` per tuple (at least one when it is free
    /// now, so a slow task takes one tuple and is busy for several milliseconds).
    fn budget(&self, t: Time, task: usize) -> usize {
        let start = (t.ms() * 1000).max(self.tasks[task].free_at_us);
        let end = (t.ms() + 1) * 1000;
        if start >= end {
            return 0;
        }
        let per = self.config.execute_us.max(0.001);
        (((end - start) as f64 / per).ceil() as usize).max(1)
    }

    /// Marks `n` tuples' work done on `task` from `t` on.
    fn spend(&mut self, t: Time, task: usize, n: usize) {
        let start = (t.ms() * 1000).max(self.tasks[task].free_at_us);
        self.tasks[task].free_at_us = start + (n as f64 * self.config.execute_us).round() as u64;
    }

    fn run_task(&mut self, t: Time, task: usize) {
        let budget = self.budget(t, task);
        let (done, more) = match self.tasks[task].role {
            Role::Spout(_) => self.run_spout(t, task, budget),
            Role::Bolt(b) => {
                let mut n = 0;
                while n < budget {
                    let Some(tuple) = self.tasks[task].queue.pop_front() else {
                        break;
                    };
                    self.execute(t, task, b, tuple);
                    n += 1;
                }
                (n, !self.tasks[task].queue.is_empty())
            }
            Role::Acker => (0, false),
        };
        self.spend(t, task, done);
        if more {
            let free_ms = self.tasks[task].free_at_us.div_ceil(1000);
            let next = Time(free_ms.max(t.ms() + 1));
            self.schedule_run(task, next);
        }
    }

    /// The spout executor: handle the acker's verdicts, then call `nextTuple` while the
    /// budget and `max.spout.pending` allow. Returns the tuples emitted and whether to run
    /// again as soon as the task is free.
    fn run_spout(&mut self, t: Time, task: usize, budget: usize) -> (usize, bool) {
        let reliable = self.config.reliable;
        let mut spout = self.tasks[task]
            .spout
            .take()
            .expect("a spout task has a spout");
        while let Some(v) = spout.verdicts.pop_front() {
            match v {
                AckerVerdict::Complete { root, .. } => {
                    if let Some((_, _, first)) = spout.pending.remove(&root) {
                        self.counters[ACKED] += 1;
                        self.latencies.push(t.ms() - first.ms());
                        self.ack_times.push(t);
                    }
                }
                AckerVerdict::Failed { root, .. } => {
                    if let Some((o, v, _)) = spout.pending.remove(&root) {
                        self.counters[FAILED] += 1;
                        spout.replay.push_back((o, v));
                    }
                }
            }
        }
        let mut n = 0;
        let limit = self.config.max_spout_pending;
        while n < budget && limit.is_none_or(|m| spout.pending.len() < m) {
            let next = if let Some(r) = spout.replay.pop_front() {
                Some((r, None))
            } else if spout.next < spout.records.len() && spout.records[spout.next].0 <= t {
                let (at, o, v) = spout.records[spout.next].clone();
                spout.next += 1;
                Some(((o, v), Some(at)))
            } else {
                None
            };
            let Some(((offset, value), first)) = next else {
                break;
            };
            n += 1;
            self.counters[EMITTED] += 1;
            // A record-at-a-time model has no batches: the record enters processing when the
            // spout emits it (the ledger's "allocated").
            self.ledger.received(0, &[offset], t);
            self.ledger.allocated(0, &[offset], t);
            let root = if reliable {
                Some(self.ids.random::<u64>())
            } else {
                None
            };
            let sent_before = self.slot;
            let edges = self.emit(t, task, 0, &value, root);
            if self.record_log.is_some() {
                let targets: Vec<String> = (sent_before + 1..=self.slot)
                    .filter_map(|s| self.in_flight.get(&s))
                    .map(|(k, _)| self.tasks[*k].name.clone())
                    .collect();
                let text = value.to_string();
                let short: String = text.chars().take(60).collect();
                let line = format!(
                    "{} ms  {} emitted offset {offset}{}{}: tuple to {}  {short}{}",
                    t.ms(),
                    self.tasks[task].name,
                    if first.is_none() { " (replay)" } else { "" },
                    root.map_or(" unanchored".to_string(), |r| format!(" as tree {r:016x}")),
                    if targets.is_empty() {
                        "nobody (lost on the network)".to_string()
                    } else {
                        targets.join(", ")
                    },
                    if text.chars().count() > 60 { "..." } else { "" }
                );
                if let Some(log) = self.record_log.as_mut() {
                    log.push(line);
                }
            }
            if let Some(root) = root {
                self.root_offset.insert(root, offset);
                let first = t;
                spout.pending.put(root, (offset, value, first));
                self.ack_message(
                    t,
                    task,
                    root,
                    AckerMessage::Init {
                        root,
                        val: edges,
                        spout_task: task,
                    },
                );
            }
        }
        let blocked = limit.is_some_and(|m| spout.pending.len() >= m);
        let ready = !spout.replay.is_empty()
            || (spout.next < spout.records.len() && spout.records[spout.next].0 <= t);
        let next_arrival = spout.records.get(spout.next).map(|r| r.0);
        self.tasks[task].spout = Some(spout);
        if ready && !blocked {
            return (n, true);
        }
        if !blocked {
            if let Some(at) = next_arrival {
                if at > t {
                    self.schedule_run(task, at);
                }
            }
        }
        (n, false)
    }

    /// Emits `value` from a task of component `from_component` (0 = the spout, b + 1 = bolt
    /// b) to every subscribed bolt by its grouping, anchored to `root`; returns the XOR of
    /// the new edge ids.
    fn emit(
        &mut self,
        t: Time,
        task: usize,
        from_component: usize,
        value: &Value,
        root: Option<u64>,
    ) -> u64 {
        let from_id = if from_component == 0 {
            self.topology.spout.clone()
        } else {
            self.topology.bolts[from_component - 1].id.clone()
        };
        let mut xor = 0u64;
        for b in 0..self.topology.bolts.len() {
            let (input, grouping) = self.topology.bolts[b].input.clone();
            if input != from_id {
                continue;
            }
            let targets: Vec<usize> = match grouping {
                Grouping::All => self.bolt_tasks[b].clone(),
                Grouping::Shuffle => {
                    let n = self.bolt_tasks[b].len();
                    vec![self.bolt_tasks[b][self.shuffle.random_range(0..n)]]
                }
                Grouping::Fields => {
                    let key = value.as_pair().map_or(value, |(k, _)| k);
                    let n = self.bolt_tasks[b].len() as i64;
                    let k = (i64::from(key.partition_hash())).rem_euclid(n) as usize;
                    vec![self.bolt_tasks[b][k]]
                }
            };
            for target in targets {
                let anchor = root.map(|r| {
                    let id = self.ids.random::<u64>();
                    xor ^= id;
                    (r, id)
                });
                let tuple = Tuple {
                    value: value.clone(),
                    anchor,
                };
                let (wf, wt) = (self.tasks[task].worker, self.tasks[target].worker);
                if let Some(lat) = self.send(wf, wt) {
                    let s = self.next_slot();
                    self.in_flight.insert(s, (target, tuple));
                    self.schedule(t.plus(lat), Ev::Deliver { slot: s });
                }
            }
        }
        xor
    }

    fn ack_message(&mut self, t: Time, task: usize, root: u64, msg: AckerMessage) {
        let acker = self.acker_tasks[(root % self.acker_tasks.len() as u64) as usize];
        let (wf, wt) = (self.tasks[task].worker, self.tasks[acker].worker);
        if let Some(lat) = self.send(wf, wt) {
            let s = self.next_slot();
            self.to_acker.insert(s, (acker, msg));
            self.schedule(t.plus(lat), Ev::ToAcker { slot: s });
        }
    }

    /// A bolt task's `execute(input)`: the logic, emits anchored to the input, then
    /// `ack(input)` (or `fail` when the logic fails on the value).
    fn execute(&mut self, t: Time, task: usize, b: usize, input: Tuple) {
        let root = input.anchor.map(|(r, _)| r);
        let logic = self.topology.bolts[b].logic.clone();
        let outs: Result<Vec<Value>, String> = match &logic {
            BoltLogic::FlatMap(f) => {
                f.call1(&input.value)
                    .map_err(|e| e.to_string())
                    .map(|v| match v {
                        Value::Seq(_, items) => items.to_vec(),
                        other => vec![other],
                    })
            }
            BoltLogic::Map(f) => f
                .call1(&input.value)
                .map(|v| vec![v])
                .map_err(|e| e.to_string()),
            BoltLogic::Filter(f) => match f.call1(&input.value) {
                Ok(Value::Bool(true)) => Ok(vec![input.value.clone()]),
                Ok(_) => Ok(Vec::new()),
                Err(e) => Err(e.to_string()),
            },
            BoltLogic::Count => {
                let key = input.value.clone();
                let c = self.tasks[task].counts.entry(key.clone()).or_insert(0);
                *c += 1;
                let c = *c;
                self.counters[UPDATES] += 1;
                if let Some(&o) = root.and_then(|r| self.root_offset.get(&r)) {
                    *self.tasks[task].provenance.entry(o).or_insert(0) += 1;
                }
                self.applied_once(root);
                Ok(vec![Value::pair(key, Value::Int(c))])
            }
            BoltLogic::Sink => {
                self.applied_once(root);
                if self.outputs.len() < MAX_OUTPUTS {
                    self.outputs.push((t, input.value.clone()));
                }
                Ok(Vec::new())
            }
        };
        let Some((root, id)) = input.anchor else {
            for v in outs.unwrap_or_default() {
                self.emit(t, task, b + 1, &v, None);
            }
            return;
        };
        match outs {
            Ok(values) => {
                let mut val = id;
                for v in values {
                    val ^= self.emit(t, task, b + 1, &v, Some(root));
                }
                self.ack_message(t, task, root, AckerMessage::Ack { root, val });
            }
            Err(_) => self.ack_message(t, task, root, AckerMessage::Fail { root }),
        }
    }

    /// Ledger hook: the tree `root` changed state or reached a sink; its record is written
    /// out once per tree.
    fn applied_once(&mut self, root: Option<u64>) {
        if let Some(r) = root {
            if self.applied.insert(r) {
                if let Some(&o) = self.root_offset.get(&r) {
                    self.ledger.output(0, &[o]);
                }
            }
        }
    }

    /// The system tick every `topology.message.timeout.secs`: the spouts' pending maps
    /// rotate (what expires has timed out and fails) and the ackers drop abandoned values.
    fn tick(&mut self, t: Time) {
        for task in 0..self.tasks.len() {
            if !self.alive[self.tasks[task].worker] {
                continue;
            }
            if self.tasks[task].role == Role::Acker {
                self.tasks[task].acker.rotate();
                continue;
            }
            let name = self.tasks[task].name.clone();
            let Some(s) = self.tasks[task].spout.as_mut() else {
                continue;
            };
            let expired = s.pending.rotate();
            if expired.is_empty() {
                continue;
            }
            let mut records = Vec::new();
            for (_, (o, v, _)) in expired {
                records.push(o);
                s.replay.push_back((o, v));
            }
            records.sort_unstable();
            self.counters[TIMED_OUT] += records.len() as u64;
            self.trace.push(StormEvent::TreesTimedOut {
                time: t,
                task: name,
                records,
            });
            self.schedule_run(task, t);
        }
    }

    fn inject(&mut self, t: Time, fault: &Fault) {
        match fault {
            Fault::KillWorker(name) => {
                if let Some(w) = worker_index(name, self.alive.len()) {
                    self.kill_worker(t, w);
                }
            }
            Fault::RestartWorker(name) => {
                if let Some(w) = worker_index(name, self.alive.len()) {
                    self.restart_worker(t, w);
                }
            }
            Fault::KillDriver => self.trace.push(StormEvent::NimbusKilled { time: t }),
            Fault::Partition(a, b, one_way) => {
                self.network.partition(a, b, *one_way);
                self.network_changed(t, fault);
            }
            Fault::Heal => {
                self.network.heal();
                self.network_changed(t, fault);
            }
            Fault::Loss(p) => {
                self.network.loss = *p;
                self.network_changed(t, fault);
            }
            Fault::Latency(lo, hi) => {
                self.network.latency_ms = (*lo, *hi);
                self.network_changed(t, fault);
            }
            // Protocol points of the DStream model have no meaning here.
            _ => {}
        }
    }

    fn network_changed(&mut self, t: Time, fault: &Fault) {
        self.trace.push(StormEvent::NetworkChanged {
            time: t,
            change: fault.to_string(),
        });
    }

    fn kill_worker(&mut self, t: Time, w: usize) {
        if !self.alive[w] {
            return;
        }
        self.alive[w] = false;
        let reliable = self.config.reliable;
        let (mut queued_lost, mut pending_lost, mut state_lost) = (0, 0, Vec::new());
        let mut lost_updates: Vec<(Vec<u64>, String)> = Vec::new();
        for task in self.tasks.iter_mut().filter(|k| k.worker == w) {
            queued_lost += task.queue.len();
            task.queue.clear();
            if !task.counts.is_empty() {
                let keys = key_list(&task.counts);
                let offsets: Vec<u64> = std::mem::take(&mut task.provenance).into_keys().collect();
                state_lost.push(format!(
                    "{}: {} keys ({keys}), updates of {} records",
                    task.name,
                    task.counts.len(),
                    offsets.len()
                ));
                lost_updates.push((
                    offsets,
                    format!(
                        "{} died with the in-memory counts of {} (keys {keys})",
                        worker_name(w),
                        task.name
                    ),
                ));
                task.counts.clear();
            }
            task.acker = Acker::default();
            if let Some(s) = task.spout.as_mut() {
                s.verdicts.clear();
                let lost: Vec<(u64, Value)> = s
                    .pending
                    .iter()
                    .map(|(_, (o, v, _))| (*o, v.clone()))
                    .collect();
                pending_lost += lost.len();
                s.pending = RotatingMap::new(2);
                if reliable {
                    // The source (a Kafka spout) re-reads from the last acked offset.
                    let mut all: Vec<(u64, Value)> = lost;
                    all.extend(s.replay.drain(..));
                    all.sort_by_key(|(o, _)| *o);
                    s.replay = all.into();
                }
            }
        }
        for (offsets, why) in lost_updates {
            self.ledger.state_lost(0, &offsets, t, &why);
        }
        self.trace.push(StormEvent::WorkerKilled {
            time: t,
            worker: worker_name(w),
            queued_lost,
            state_lost,
            pending_lost,
        });
        let delay = self.config.worker_restart_delay;
        self.schedule(t.plus(delay), Ev::WorkerRestart { worker: w });
    }

    fn restart_worker(&mut self, t: Time, w: usize) {
        if self.alive[w] {
            return;
        }
        self.alive[w] = true;
        self.trace.push(StormEvent::WorkerRestarted {
            time: t,
            worker: worker_name(w),
        });
        for task in 0..self.tasks.len() {
            if self.tasks[task].worker == w && matches!(self.tasks[task].role, Role::Spout(_)) {
                self.schedule_run(task, t);
            }
        }
    }
}

/// The 8 largest counts (`"key"=count`, keys quoted), then how many keys more.
fn key_list(counts: &BTreeMap<Value, i64>) -> String {
    let mut top: Vec<(&Value, &i64)> = counts.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let mut shown: Vec<String> = top
        .iter()
        .take(8)
        .map(|(k, n)| format!("{:?}={n}", k.to_string()))
        .collect();
    if top.len() > 8 {
        shown.push(format!("and {} more", top.len() - 8));
    }
    shown.join(", ")
}

fn worker_name(w: usize) -> String {
    format!("worker-{}", w + 1)
}

fn worker_index(name: &str, n: usize) -> Option<usize> {
    let k: usize = name.strip_prefix("worker-")?.parse().ok()?;
    (1..=n).contains(&k).then(|| k - 1)
}
