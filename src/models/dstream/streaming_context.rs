//! `StreamingContext` and `DStream`: the Spark-shaped API, and the run loop on the virtual
//! clock.
//!
//! A program creates a context, input streams, transformations and output operations, then
//! calls [`StreamingContext::start`]; nothing runs before. After start, [`run_until`] and
//! [`step`] advance the virtual clock through a discrete-event loop ordered by
//! `(time, event class, sequence number)`: at equal times files appear first, then block
//! generators cut blocks, then the job generator runs the batch, so a block cut at exactly
//! a batch time belongs to that batch.
//!
//! Lifecycle rules (SOURCES.md "Model"; `StreamingContext.scala`): nothing can be added
//! after start ([`SparkError::AddAfterStart`]) or stop; a stopped context cannot be
//! restarted ([`SparkError::AlreadyStopped`]); start needs an output operation
//! ([`SparkError::NoOutputOperations`]); stateful streams need `checkpoint(dir)`.
//!
//! [`run_until`]: StreamingContext::run_until
//! [`step`]: StreamingContext::step

use super::dstream_graph::{Graph, InputKind, InputProvider, Node, Op, StreamId, TransformFn};
use super::error::SparkError;
use super::ops::{JoinKind, OpCtx};
use super::rdd::{slice_like_parallelize, Rdd};
use super::receiver::{ReceivedBlockTracker, Receiver};
use super::trace::{Event, Trace};
use crate::cluster::network::Delivery;
use crate::cluster::Block;
use crate::cluster::{Cluster, ClusterConfig, Fault, SinkKind};
use crate::func::Func;
use crate::io::{FileDrop, QueueSource, TimedRecords};
use crate::ledger::Ledger;
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, Time};
use crate::value::Value;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

/// Settings of a context. Defaults: block interval 200 ms (`spark.streaming.blockInterval`),
/// default parallelism 2 (`local[2]`), seed 0, output directory `out`.
#[derive(Clone, Debug)]
pub struct Config {
    /// The batch interval (virtual ms).
    pub batch_interval: Duration,
    /// The receivers' block interval (virtual ms).
    pub block_interval: Duration,
    /// Partitions of shuffles when an operator names none.
    pub default_parallelism: usize,
    /// Root seed of all randomness.
    pub seed: u64,
    /// Where `saveAsTextFiles` writes (a real directory).
    pub output_dir: PathBuf,
    /// The cluster: workers, replication, write-ahead log, faults.
    pub cluster: ClusterConfig,
}

impl Config {
    /// A configuration with the given batch interval and the defaults above.
    pub fn new(batch_interval: Duration) -> Config {
        Config {
            batch_interval,
            block_interval: Duration::from_ms(200),
            default_parallelism: 2,
            seed: 0,
            output_dir: PathBuf::from("out"),
            cluster: ClusterConfig::default(),
        }
    }
}

/// `StreamingContextState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Created, not started: streams and outputs can be added.
    Initialized,
    /// Started: the clock runs.
    Active,
    /// Stopped: cannot be restarted.
    Stopped,
}

/// A callback for `foreachRDD`: the batch's RDD and time.
pub type ForeachFn = Rc<dyn Fn(&Rdd, Time)>;

/// An output operation.
#[derive(Clone)]
pub enum OutputKind {
    /// `print(num)`: the first `num` records of every batch, Spark's format.
    Print(usize),
    /// `saveAsTextFiles(prefix, suffix)`.
    SaveAsTextFiles {
        /// File name prefix (a path under the output directory).
        prefix: String,
        /// Optional suffix.
        suffix: Option<String>,
    },
    /// `foreachRDD(f)`.
    ForeachRdd(ForeachFn),
}

impl OutputKind {
    /// Spark's name of the operation.
    pub fn name(&self) -> &'static str {
        match self {
            OutputKind::Print(_) => "print",
            OutputKind::SaveAsTextFiles { .. } => "saveAsTextFiles",
            OutputKind::ForeachRdd(_) => "foreachRDD",
        }
    }
}

/// A registered output operation.
#[derive(Clone)]
pub struct Output {
    /// The stream it runs on.
    pub stream: StreamId,
    /// What it does.
    pub kind: OutputKind,
}

/// Where an input stream's data comes from.
#[derive(Clone, Debug)]
pub enum InputSource {
    /// A receiver replaying timed records (socket text, CSV events).
    Receiver(Receiver),
    /// `queueStream`.
    Queue(QueueSource),
    /// `textFileStream` over a simulated directory.
    Files {
        /// The directory's name.
        dir: String,
        /// Files (and appends) in order of appearance.
        drops: Vec<FileDrop>,
        /// Names already selected.
        seen: BTreeSet<String>,
        /// Files (indexes into `drops`) each batch selected (checkpointed metadata).
        selected: BTreeMap<Time, Vec<usize>>,
    },
    /// A Kafka-like partitioned log read by the direct approach
    /// (`KafkaUtils.createDirectStream`): no receiver; each batch reads the offset range
    /// `[last until, latest)` of every partition, one RDD partition per log partition. The
    /// log is durable (Kafka replicates it) and the offset ranges per batch are checkpoint
    /// metadata, so a re-run batch reads exactly the same records.
    KafkaDirect {
        /// Per log partition, records with the time they were appended, in offset order.
        log: Vec<Vec<(Time, Value)>>,
        /// Next offset to read, per partition (driver state, checkpointed).
        next: Vec<u64>,
        /// Offset ranges `[from, until)` per partition chosen for each batch.
        ranges: BTreeMap<Time, Vec<(u64, u64)>>,
    },
    /// Fixed batches (`None` = no RDD at that time), sliced into `partitions`.
    Test {
        /// Batch k's records.
        batches: Vec<Option<Vec<Value>>>,
        /// Partitions per batch RDD.
        partitions: usize,
    },
}

/// The record offsets of one input stream that went into a batch.
type InputOffsets = (usize, Arc<Vec<u64>>);

#[derive(Clone)]
struct Inputs {
    sources: Vec<InputSource>,
    names: Vec<String>,
    tracker: ReceivedBlockTracker,
    batch: Duration,
    default_parallelism: usize,
    records_at: BTreeMap<Time, usize>,
    events: Vec<Event>,
    cluster: Cluster,
    ledger: Ledger,
    /// Per batch time, the record offsets its input RDDs were built from (for the ledger).
    batch_offsets: BTreeMap<Time, Vec<InputOffsets>>,
}

impl InputProvider for Inputs {
    fn input_rdd(
        &mut self,
        ctx: &mut OpCtx,
        input: usize,
        t: Time,
    ) -> Result<Option<Rdd>, SparkError> {
        let name = self.names[input].clone();
        let rdd = match &mut self.sources[input] {
            InputSource::Receiver(_) => {
                // ReceiverInputDStream.createBlockRDD: read each allocated block from a live
                // executor or the write-ahead log; blocks found nowhere are skipped with
                // Spark's error message (their records are lost).
                let mut parts: Vec<Vec<Value>> = Vec::new();
                let mut missing = Vec::new();
                for b in self.tracker.blocks_of(t, input) {
                    match self.cluster.read(&b.id) {
                        Some((block, _)) => {
                            parts.push(block.records.as_ref().clone());
                            self.batch_offsets
                                .entry(t)
                                .or_default()
                                .push((input, Arc::clone(&block.offsets)));
                        }
                        None => missing.push(b.id.clone()),
                    }
                }
                if !missing.is_empty() {
                    self.events.push(Event::BlocksNotFound {
                        time: t,
                        stream: name.clone(),
                        blocks: missing,
                        message: "Some blocks could not be recovered as they were not found in memory. To prevent such data loss, enable Write Ahead Log (see programming guide for more details).".into(),
                    });
                }
                let lineage = ctx.lineage(
                    if self.cluster.config.wal {
                        "WriteAheadLogBackedBlockRDD"
                    } else {
                        "BlockRDD"
                    },
                    &[],
                    false,
                );
                Rdd::new(parts, None, lineage)
            }
            InputSource::Queue(q) => {
                let mut taken = Vec::new();
                if q.one_at_a_time && !q.queue.is_empty() {
                    taken.extend(q.queue.pop_front());
                } else {
                    taken.extend(q.queue.drain(..));
                }
                let n = self.default_parallelism;
                if taken.is_empty() {
                    match &q.default {
                        Some(d) => {
                            ctx.parallelize(d.clone(), n, "ParallelCollectionRDD[defaultRDD]")
                        }
                        None => ctx.empty(),
                    }
                } else {
                    let rdds: Vec<Rdd> = taken
                        .into_iter()
                        .map(|recs| ctx.parallelize(recs, n, "ParallelCollectionRDD"))
                        .collect();
                    if rdds.len() == 1 {
                        rdds.into_iter().next().unwrap_or_else(|| ctx.empty())
                    } else {
                        let refs: Vec<&Rdd> = rdds.iter().collect();
                        super::ops::union(ctx, &refs)
                    }
                }
            }
            InputSource::Files {
                dir,
                drops,
                seen,
                selected,
            } => {
                // FileInputDStream: a batch reads the files that appeared since the last one;
                // the selection per batch is checkpoint metadata, so a batch re-run after
                // driver recovery reads the same files again.
                let chosen: Vec<usize> = match selected.get(&t) {
                    Some(c) => c.clone(),
                    None => {
                        let c: Vec<usize> = drops
                            .iter()
                            .enumerate()
                            .filter(|(_, d)| {
                                !d.append
                                    && d.at <= t
                                    && d.at != Time::ZERO
                                    && !seen.contains(&d.name)
                            })
                            .map(|(k, _)| k)
                            .collect();
                        selected.insert(t, c.clone());
                        c
                    }
                };
                let mut parts = Vec::new();
                for k in chosen {
                    let d = &drops[k];
                    seen.insert(d.name.clone());
                    self.events.push(Event::FileSelected {
                        time: t,
                        stream: name.clone(),
                        file: format!("{dir}/{}", d.name),
                        records: d.lines.len(),
                    });
                    // Record identity: file number in the high bits, line in the low bits.
                    let offsets: Vec<u64> = (0..d.lines.len() as u64)
                        .map(|l| ((k as u64) << 32) | l)
                        .collect();
                    self.ledger.received(input, &offsets, t);
                    self.ledger.allocated(input, &offsets, t);
                    self.batch_offsets
                        .entry(t)
                        .or_default()
                        .push((input, Arc::new(offsets)));
                    parts.push(d.lines.iter().map(|l| Value::str(l)).collect());
                }
                let lineage =
                    ctx.lineage("UnionRDD of NewHadoopRDD (one per new file)", &[], false);
                Rdd::new(parts, None, lineage)
            }
            InputSource::KafkaDirect { log, next, ranges } => {
                let chosen = match ranges.get(&t) {
                    Some(r) => r.clone(),
                    None => {
                        let r: Vec<(u64, u64)> = log
                            .iter()
                            .zip(next.iter())
                            .map(|(part, &from)| {
                                (from, part.partition_point(|(at, _)| *at <= t) as u64)
                            })
                            .collect();
                        for (n, (_, until)) in next.iter_mut().zip(&r) {
                            *n = (*n).max(*until);
                        }
                        ranges.insert(t, r.clone());
                        r
                    }
                };
                let mut parts = Vec::with_capacity(log.len());
                for (p, (from, until)) in chosen.iter().enumerate() {
                    let records: Vec<Value> = log[p][*from as usize..*until as usize]
                        .iter()
                        .map(|(_, v)| v.clone())
                        .collect();
                    // Record identity: log partition in the high bits, offset in the low bits.
                    let offsets: Vec<u64> =
                        (*from..*until).map(|o| ((p as u64) << 40) | o).collect();
                    self.ledger.received(input, &offsets, t);
                    self.ledger.allocated(input, &offsets, t);
                    self.batch_offsets
                        .entry(t)
                        .or_default()
                        .push((input, Arc::new(offsets)));
                    parts.push(records);
                }
                let lineage = ctx.lineage("KafkaRDD (offset ranges)", &[], false);
                Rdd::new(parts, None, lineage)
            }
            InputSource::Test {
                batches,
                partitions,
            } => {
                let k = (t.ms() / self.batch.ms().max(1)).saturating_sub(1) as usize;
                match batches.get(k) {
                    Some(None) => return Ok(None),
                    Some(Some(recs)) => {
                        let parts = slice_like_parallelize(recs.clone(), *partitions);
                        let lineage = ctx.lineage("ParallelCollectionRDD", &[], false);
                        Rdd::new(parts, None, lineage)
                    }
                    None => {
                        let parts = slice_like_parallelize(Vec::new(), *partitions);
                        let lineage = ctx.lineage("ParallelCollectionRDD", &[], false);
                        Rdd::new(parts, None, lineage)
                    }
                }
            }
        };
        *self.records_at.entry(t).or_default() += rdd.count();
        Ok(Some(rdd))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Scheduled {
    /// Fault number `index` of the plan.
    Fault {
        index: usize,
    },
    FileDrop {
        input: usize,
        index: usize,
    },
    DriverRestart,
    ReceiverRestart {
        input: usize,
    },
    /// A block's acknowledgement reaches the source (block number `seq` of the receiver).
    Ack {
        input: usize,
        seq: u64,
        epoch: u64,
    },
    BlockTick {
        input: usize,
        epoch: u64,
    },
    Batch {
        epoch: u64,
    },
    /// The job scheduler takes the next waiting batch.
    JobStart {
        epoch: u64,
    },
    /// A block report reaches the driver's tracker.
    BlockReport {
        input: usize,
        seq: u64,
        epoch: u64,
    },
}

impl Scheduled {
    /// At equal times: faults, file drops, restarts, acknowledgements, block ticks, batches.
    fn class(self) -> u8 {
        match self {
            Scheduled::Fault { .. } => 0,
            Scheduled::FileDrop { .. } => 1,
            Scheduled::DriverRestart => 2,
            Scheduled::ReceiverRestart { .. } => 3,
            Scheduled::Ack { .. } => 4,
            Scheduled::BlockTick { .. } => 5,
            Scheduled::Batch { .. } => 6,
            Scheduled::JobStart { .. } => 7,
            Scheduled::BlockReport { .. } => 4,
        }
    }
}

#[derive(Clone)]
struct Core {
    config: Config,
    state: State,
    checkpoint_dir: Option<String>,
    remember: Option<Duration>,
    graph: Graph,
    outputs: Vec<Output>,
    inputs: Inputs,
    ctx: OpCtx,
    clock: Time,
    queue: BinaryHeap<Reverse<(Time, u8, u64, Scheduled)>>,
    seq: u64,
    trace: Trace,
    failure: Option<SparkError>,
    last_batch: Option<Time>,
    seeds: SeedTree,
    /// Incremented when the driver dies: events of the old driver are void.
    epoch: u64,
    /// The time of the last metadata checkpoint (the last batch generated with a
    /// checkpoint directory set).
    last_checkpoint: Option<Time>,
    /// Batch times whose output an idempotent sink has already written.
    written: BTreeSet<Time>,
    ack_rng: ChaCha8Rng,
    /// Index of the first trace event not yet written to the sink.
    sink_from: usize,
    /// When the running batch's jobs finish.
    busy_until: Time,
    /// Protocol-point faults waiting for their moment.
    armed: Vec<Fault>,
    /// Block reports on the network, by (input, block number).
    in_flight: BTreeMap<(usize, u64), Block>,
    /// Batches that found no free core (reported once each).
    stalled: BTreeSet<Time>,
    /// A driver-side accumulator counting the input records of completed batches, as a
    /// program would with `sc.longAccumulator`: not recovered from a checkpoint.
    accumulator: u64,
    /// Batches generated but waiting for the previous one to finish.
    waiting: VecDeque<Time>,
}

impl Core {
    fn schedule(&mut self, at: Time, what: Scheduled) {
        self.seq += 1;
        self.queue.push(Reverse((at, what.class(), self.seq, what)));
    }

    fn emit(&mut self, e: Event) {
        self.trace.push(e);
    }

    fn check_can_add(&self) -> Result<(), SparkError> {
        match self.state {
            State::Initialized => Ok(()),
            State::Active => Err(SparkError::AddAfterStart),
            State::Stopped => Err(SparkError::AddAfterStop),
        }
    }
}

/// The entry point: Spark's `StreamingContext` on a virtual clock.
///
/// Cloning gives another handle to the same context.
#[derive(Clone)]
pub struct StreamingContext {
    core: Rc<RefCell<Core>>,
    sink: Rc<RefCell<Option<Box<dyn Write>>>>,
}

/// A copy of a context's whole state at one instant (graph, RDDs, receivers, cluster, ledger,
/// trace, clock and pending events), for time travel: [`StreamingContext::restore`] puts it
/// back. RDD data is shared, so a snapshot costs about the size of the trace.
#[derive(Clone)]
pub struct Snapshot {
    core: Core,
}

/// A discretized stream: a handle to one node of its context's graph. Methods mirror
/// Spark's `DStream` and `PairDStreamFunctions` (Scala API), name for name.
#[derive(Clone)]
pub struct DStream {
    ctx: StreamingContext,
    id: StreamId,
}

impl StreamingContext {
    /// A context with the given configuration, in state `Initialized` at virtual time 0.
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] for a zero batch or block interval.
    pub fn new(config: Config) -> Result<StreamingContext, SparkError> {
        if config.batch_interval.ms() == 0 || config.block_interval.ms() == 0 {
            return Err(SparkError::InvalidArgument(
                "the batch interval and the block interval must be positive durations".into(),
            ));
        }
        let inputs = Inputs {
            sources: Vec::new(),
            names: Vec::new(),
            tracker: ReceivedBlockTracker::default(),
            batch: config.batch_interval,
            default_parallelism: config.default_parallelism,
            records_at: BTreeMap::new(),
            events: Vec::new(),
            cluster: Cluster::new(
                config.cluster.clone(),
                SeedTree::new(config.seed).rng("network"),
            ),
            ledger: Ledger::default(),
            batch_offsets: BTreeMap::new(),
        };
        let seed = config.seed;
        let core = Core {
            ctx: OpCtx::new(0, config.default_parallelism),
            seeds: SeedTree::new(config.seed),
            config,
            state: State::Initialized,
            checkpoint_dir: None,
            remember: None,
            graph: Graph::new(),
            outputs: Vec::new(),
            inputs,
            clock: Time::ZERO,
            queue: BinaryHeap::new(),
            seq: 0,
            trace: Trace::default(),
            failure: None,
            last_batch: None,
            epoch: 0,
            last_checkpoint: None,
            written: BTreeSet::new(),
            ack_rng: SeedTree::new(seed).rng("cluster/acks"),
            sink_from: 0,
            busy_until: Time::ZERO,
            armed: Vec::new(),
            in_flight: BTreeMap::new(),
            stalled: BTreeSet::new(),
            accumulator: 0,
            waiting: VecDeque::new(),
        };
        Ok(StreamingContext {
            core: Rc::new(RefCell::new(core)),
            sink: Rc::new(RefCell::new(None)),
        })
    }

    /// The configuration.
    pub fn config(&self) -> Config {
        self.core.borrow().config.clone()
    }

    /// The seed tree of this run.
    pub fn seeds(&self) -> SeedTree {
        self.core.borrow().seeds
    }

    /// The lifecycle state.
    pub fn state(&self) -> State {
        self.core.borrow().state
    }

    /// The virtual clock.
    pub fn now(&self) -> Time {
        self.core.borrow().clock
    }

    /// `checkpoint(directory)`: enables checkpointing (required by stateful streams).
    pub fn checkpoint(&self, dir: &str) {
        self.core.borrow_mut().checkpoint_dir = Some(dir.to_string());
    }

    /// The checkpoint directory, if set.
    pub fn checkpoint_dir(&self) -> Option<String> {
        self.core.borrow().checkpoint_dir.clone()
    }

    /// `remember(duration)`: keep every stream's RDDs at least this long.
    pub fn remember(&self, d: Duration) {
        self.core.borrow_mut().remember = Some(d);
    }

    /// Streams every trace event, as JSON lines, to `w`: those so far, then each new one.
    pub fn set_trace_sink(&self, w: Box<dyn Write>) {
        self.core.borrow_mut().sink_from = 0;
        *self.sink.borrow_mut() = Some(w);
        self.flush_sink();
    }

    /// Writes trace events not yet written to the sink (if any).
    fn flush_sink(&self) {
        let mut sink = self.sink.borrow_mut();
        if let Some(w) = sink.as_mut() {
            let mut core = self.core.borrow_mut();
            for e in core.trace.iter_from(core.sink_from) {
                let _ = writeln!(w, "{}", e.to_json());
            }
            core.sink_from = core.trace.len();
        }
    }

    /// The whole state now, for [`StreamingContext::restore`].
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            core: self.core.borrow().clone(),
        }
    }

    /// Puts back a state taken by [`StreamingContext::snapshot`] of this context. Stepping
    /// on from it gives the same results as the first time (the RNG streams are restored
    /// too). The trace sink, if any, is not rewound.
    pub fn restore(&self, snapshot: &Snapshot) {
        let mut core = snapshot.core.clone();
        core.sink_from = core.trace.len();
        *self.core.borrow_mut() = core;
    }

    /// Every event so far.
    pub fn trace(&self) -> Vec<Event> {
        self.core.borrow().trace.since(0)
    }

    /// Number of events so far.
    pub fn trace_len(&self) -> usize {
        self.core.borrow().trace.len()
    }

    /// Events from index `from` on.
    pub fn trace_since(&self, from: usize) -> Vec<Event> {
        self.core.borrow().trace.since(from)
    }

    /// The error that stopped the context, if a job failed.
    pub fn failure(&self) -> Option<SparkError> {
        self.core.borrow().failure.clone()
    }

    /// Time of the last completed batch.
    pub fn last_batch(&self) -> Option<Time> {
        self.core.borrow().last_batch
    }

    /// Runs `f` with read access to the graph (for inspection: `streams`, `show`, ...).
    pub fn with_graph<R>(&self, f: impl FnOnce(&Graph) -> R) -> R {
        f(&self.core.borrow().graph)
    }

    /// The blocks allocated to batch `t` for input `input` (ids and record counts).
    pub fn blocks_of(&self, t: Time, input: usize) -> Vec<(String, usize)> {
        let core = self.core.borrow();
        core.inputs
            .tracker
            .blocks_of(t, input)
            .iter()
            .map(|b| (b.id.clone(), b.records.len()))
            .collect()
    }

    /// The registered output operations, in order.
    pub fn outputs(&self) -> Vec<(StreamId, String)> {
        let core = self.core.borrow();
        core.outputs
            .iter()
            .map(|o| (o.stream, o.kind.name().to_string()))
            .collect()
    }

    /// A handle to an existing stream.
    pub fn stream(&self, id: StreamId) -> DStream {
        DStream {
            ctx: self.clone(),
            id,
        }
    }

    fn add_input(
        &self,
        name: &str,
        source: InputSource,
        kind: InputKind,
    ) -> Result<DStream, SparkError> {
        let mut core = self.core.borrow_mut();
        core.check_can_add()?;
        let input = core.inputs.sources.len();
        let batch = core.config.batch_interval;
        let id = core
            .graph
            .add(Op::Input(input, kind), Vec::new(), Some(batch))?;
        core.graph.name(id, name);
        let source = match source {
            InputSource::Receiver(r) => {
                let reliable = r.reliable;
                let mut fresh = Receiver::new(input, id, r.into_source());
                fresh.reliable = reliable;
                InputSource::Receiver(fresh)
            }
            other => other,
        };
        core.inputs.sources.push(source);
        core.inputs.names.push(name.to_string());
        drop(core);
        Ok(self.stream(id))
    }

    /// A socket-style text stream (`socketTextStream`): a receiver that gets `records` (lines
    /// with arrival times) and cuts a block every block interval.
    ///
    /// # Errors
    /// [`SparkError::AddAfterStart`] / [`SparkError::AddAfterStop`].
    pub fn receiver_stream(
        &self,
        name: &str,
        records: TimedRecords,
    ) -> Result<DStream, SparkError> {
        self.receiver_stream_with(name, records, false)
    }

    /// A receiver-based stream whose receiver is reliable (`reliable = true`: it
    /// acknowledges stored blocks and its source replays what was not acknowledged) or not
    /// (a socket).
    ///
    /// # Errors
    /// As [`StreamingContext::receiver_stream`].
    pub fn receiver_stream_with(
        &self,
        name: &str,
        records: TimedRecords,
        reliable: bool,
    ) -> Result<DStream, SparkError> {
        let mut r = Receiver::new(0, 0, records);
        r.reliable = reliable;
        self.add_input(name, InputSource::Receiver(r), InputKind::Receiver)
    }

    /// `queueStream(queue, oneAtATime, defaultRDD)`.
    ///
    /// # Errors
    /// As [`StreamingContext::receiver_stream`].
    pub fn queue_stream(&self, name: &str, queue: QueueSource) -> Result<DStream, SparkError> {
        self.add_input(name, InputSource::Queue(queue), InputKind::Queue)
    }

    /// `textFileStream(dir)`: files dropped into the simulated directory at their times.
    /// A file is read whole by the first batch at or after it appears; appends are ignored;
    /// files present at start (time 0) are ignored (`newFilesOnly`).
    ///
    /// # Errors
    /// As [`StreamingContext::receiver_stream`].
    pub fn text_file_stream(
        &self,
        name: &str,
        dir: &str,
        drops: Vec<FileDrop>,
    ) -> Result<DStream, SparkError> {
        self.add_input(
            name,
            InputSource::Files {
                dir: dir.to_string(),
                drops,
                seen: BTreeSet::new(),
                selected: BTreeMap::new(),
            },
            InputKind::FileStream,
        )
    }

    /// A Kafka-like topic of `partitions` partitions read with the direct approach; the
    /// records are appended round-robin at their times.
    ///
    /// # Errors
    /// As [`StreamingContext::receiver_stream`].
    pub fn kafka_direct_stream(
        &self,
        name: &str,
        records: &TimedRecords,
        partitions: usize,
    ) -> Result<DStream, SparkError> {
        let n = partitions.max(1);
        let mut log: Vec<Vec<(Time, Value)>> = vec![Vec::new(); n];
        for (i, (t, v)) in records.iter().enumerate() {
            log[i % n].push((t, v.clone()));
        }
        self.add_input(
            name,
            InputSource::KafkaDirect {
                log,
                next: vec![0; n],
                ranges: BTreeMap::new(),
            },
            InputKind::KafkaDirect,
        )
    }

    /// A test input stream: batch k (0-based) at time `(k+1) * batch`, sliced into
    /// `partitions` like `parallelize`; `None` means no RDD; past the end, empty RDDs.
    ///
    /// # Errors
    /// As [`StreamingContext::receiver_stream`].
    pub fn test_stream(
        &self,
        name: &str,
        batches: Vec<Option<Vec<Value>>>,
        partitions: usize,
    ) -> Result<DStream, SparkError> {
        self.add_input(
            name,
            InputSource::Test {
                batches,
                partitions: partitions.max(1),
            },
            InputKind::Test,
        )
    }

    /// `ssc.union(streams)`.
    ///
    /// # Errors
    /// [`SparkError::DifferentSlides`], lifecycle errors.
    pub fn union(&self, streams: &[DStream]) -> Result<DStream, SparkError> {
        let parents = streams.iter().map(|s| s.id).collect();
        self.add(Op::Union, parents, None)
    }

    fn add(
        &self,
        op: Op,
        parents: Vec<StreamId>,
        slide: Option<Duration>,
    ) -> Result<DStream, SparkError> {
        let mut core = self.core.borrow_mut();
        core.check_can_add()?;
        let id = core.graph.add(op, parents, slide)?;
        drop(core);
        Ok(self.stream(id))
    }

    fn add_output(&self, stream: StreamId, kind: OutputKind) -> Result<(), SparkError> {
        let mut core = self.core.borrow_mut();
        core.check_can_add()?;
        core.outputs.push(Output { stream, kind });
        Ok(())
    }

    /// `start()`: validates the graph and starts the clock.
    ///
    /// # Errors
    /// [`SparkError::AlreadyStopped`], [`SparkError::NoOutputOperations`],
    /// [`SparkError::CheckpointDirNotSet`], [`SparkError::CheckpointIntervalNotMultiple`].
    /// Starting an active context only logs a warning, as Spark does.
    pub fn start(&self) -> Result<(), SparkError> {
        let mut core = self.core.borrow_mut();
        match core.state {
            State::Active => {
                let time = core.clock;
                core.emit(Event::Warning {
                    time,
                    message: "StreamingContext has already been started".into(),
                });
                return Ok(());
            }
            State::Stopped => return Err(SparkError::AlreadyStopped),
            State::Initialized => {}
        }
        if core.outputs.is_empty() {
            return Err(SparkError::NoOutputOperations);
        }
        let outputs: Vec<StreamId> = core.outputs.iter().map(|o| o.stream).collect();
        let remember = core.remember;
        let has_dir = core.checkpoint_dir.is_some();
        let zero = core.clock;
        core.graph.initialize(zero, &outputs, remember, has_dir)?;
        core.state = State::Active;
        let batch = core.config.batch_interval;
        let block = core.config.block_interval;
        for i in 0..core.inputs.sources.len() {
            match &core.inputs.sources[i] {
                InputSource::Receiver(_) => core.schedule(
                    zero.plus(block),
                    Scheduled::BlockTick { input: i, epoch: 0 },
                ),
                InputSource::Files { drops, .. } => {
                    let times: Vec<(usize, Time)> = drops
                        .iter()
                        .enumerate()
                        .filter(|(_, d)| d.append)
                        .map(|(k, d)| (k, d.at))
                        .collect();
                    for (index, at) in times {
                        core.schedule(at, Scheduled::FileDrop { input: i, index });
                    }
                }
                _ => {}
            }
        }
        core.schedule(zero.plus(batch), Scheduled::Batch { epoch: 0 });
        // Receivers start on workers in turn (receiver k on worker k mod N).
        for (k, input) in receiver_inputs(&core).into_iter().enumerate() {
            let n = core.inputs.cluster.workers.len().max(1);
            let w = core.inputs.cluster.live_worker_from(k % n, None);
            if let (InputSource::Receiver(r), Some(w)) = (&mut core.inputs.sources[input], w) {
                r.start_on(w);
            }
        }
        for index in 0..core.inputs.cluster.config.faults.faults.len() {
            let at = core.inputs.cluster.config.faults.faults[index].0;
            core.schedule(at, Scheduled::Fault { index });
        }
        let seed = core.seeds.seed();
        core.emit(Event::ContextStarted {
            time: zero,
            batch_interval_ms: batch.ms(),
            block_interval_ms: block.ms(),
            seed,
            zero_time: zero,
        });
        Ok(())
    }

    /// `stop()`: stops the clock for good.
    pub fn stop(&self) {
        {
            let mut core = self.core.borrow_mut();
            if core.state != State::Stopped {
                core.state = State::Stopped;
                let time = core.clock;
                core.emit(Event::ContextStopped { time });
            }
        }
        self.flush_sink();
        if let Some(w) = self.sink.borrow_mut().as_mut() {
            let _ = w.flush();
        }
    }

    /// Virtual time at which the next batch runs, if the context is active (while the driver
    /// is down: when it restarts and re-runs the batches it must).
    pub fn next_batch_time(&self) -> Option<Time> {
        let core = self.core.borrow();
        if core.state != State::Active {
            return None;
        }
        core.queue
            .iter()
            .filter(|Reverse((_, _, _, what))| {
                matches!(what, Scheduled::DriverRestart)
                    || matches!(what, Scheduled::Batch { epoch } | Scheduled::JobStart { epoch } if *epoch == core.epoch)
            })
            .map(|Reverse((t, ..))| *t)
            .min()
    }

    /// Advances the clock through every event at or before `until`.
    ///
    /// # Errors
    /// The error of a failed job (the context is then stopped, as
    /// `awaitTermination` rethrows it in Spark).
    pub fn run_until(&self, until: Time) -> Result<(), SparkError> {
        loop {
            let next = {
                let core = self.core.borrow();
                if core.state != State::Active {
                    return match &core.failure {
                        Some(e) => Err(e.clone()),
                        None => Ok(()),
                    };
                }
                matches!(core.queue.peek(), Some(Reverse((t, ..))) if *t <= until)
            };
            if !next {
                {
                    let mut core = self.core.borrow_mut();
                    if until > core.clock {
                        core.clock = until;
                    }
                }
                self.flush_sink();
                return Ok(());
            }
            let r = self.process_next();
            self.flush_sink();
            r?;
        }
    }

    /// Runs until the next batch has completed; returns the virtual time it ran at.
    ///
    /// # Errors
    /// As [`StreamingContext::run_until`].
    pub fn step(&self) -> Result<Option<Time>, SparkError> {
        match self.next_batch_time() {
            Some(t) => {
                self.run_until(t)?;
                Ok(Some(t))
            }
            None => Ok(None),
        }
    }

    /// Schedules `fault` at virtual time `at` (now or later; an earlier time means now).
    /// Used by the REPL's `kill`, `restart` and `at` commands; the fault is recorded like a
    /// scenario's, so a replay of the same commands reproduces it.
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] for a worker that does not exist.
    pub fn inject(&self, at: Time, fault: Fault) -> Result<(), SparkError> {
        let mut core = self.core.borrow_mut();
        if let Fault::KillWorker(w) | Fault::RestartWorker(w) = &fault {
            if core.inputs.cluster.worker_index(w).is_none() {
                let n = core.inputs.cluster.workers.len();
                return Err(SparkError::InvalidArgument(format!(
                    "there is no {w}; the workers are worker-1 .. worker-{n}"
                )));
            }
        }
        let at = at.max(core.clock);
        let index = core.inputs.cluster.config.faults.faults.len();
        core.inputs.cluster.config.faults.faults.push((at, fault));
        core.schedule(at, Scheduled::Fault { index });
        Ok(())
    }

    /// The driver's records-processed accumulator: input records of the batches completed
    /// since the driver (re)started. Like Spark's accumulators it is not checkpointed, so it
    /// restarts from 0 after a driver failure (the guide's warning; compare with the ledger).
    pub fn accumulator(&self) -> u64 {
        self.core.borrow().accumulator
    }

    /// The per-record ledger so far (what happened to every input record).
    pub fn ledger(&self) -> Ledger {
        self.core.borrow().inputs.ledger.clone()
    }

    /// A snapshot of the cluster: workers, their blocks, the driver, the log.
    pub fn cluster(&self) -> Cluster {
        self.core.borrow().inputs.cluster.clone()
    }

    fn process_next(&self) -> Result<(), SparkError> {
        let mut guard = self.core.borrow_mut();
        let core = &mut *guard;
        let Some(Reverse((t, _, _, what))) = core.queue.pop() else {
            return Ok(());
        };
        core.clock = t;
        match what {
            Scheduled::Fault { index } => {
                let fault = core.inputs.cluster.config.faults.faults[index].1.clone();
                inject(core, t, &fault);
            }
            Scheduled::FileDrop { input, index } => {
                if let InputSource::Files { dir, drops, .. } = &core.inputs.sources[input] {
                    let d = &drops[index];
                    let e = Event::FileAppendIgnored {
                        time: t,
                        file: format!("{dir}/{}", d.name),
                        records: d.lines.len(),
                    };
                    core.emit(e);
                }
            }
            Scheduled::DriverRestart => return restart_driver(core, t),
            Scheduled::ReceiverRestart { input } => restart_receiver(core, input, t),
            Scheduled::Ack { input, seq, epoch } => {
                if epoch == core.epoch {
                    if let InputSource::Receiver(r) = &mut core.inputs.sources[input] {
                        if r.worker.is_some() {
                            let block = format!("input-{}-{seq}", r.stream_id);
                            r.ack(&block);
                        }
                    }
                }
            }
            Scheduled::BlockReport { input, seq, epoch } => {
                if let Some(b) = core.in_flight.remove(&(input, seq)) {
                    if epoch == core.epoch {
                        core.inputs.tracker.add_block(b);
                    }
                }
            }
            Scheduled::BlockTick { input, epoch } => {
                if epoch == core.epoch {
                    block_tick(core, input, t);
                    let next = t.plus(core.config.block_interval);
                    core.schedule(next, Scheduled::BlockTick { input, epoch });
                }
            }
            Scheduled::Batch { epoch } => {
                if epoch != core.epoch {
                    return Ok(());
                }
                generate_batch(core, t);
                let next = t.plus(core.config.batch_interval);
                core.schedule(next, Scheduled::Batch { epoch });
                if core.checkpoint_dir.is_some()
                    && take_armed(core, |f| *f == Fault::KillDriverAfterCheckpoint).is_some()
                {
                    core.emit(Event::ProtocolFault {
                        time: t,
                        fault: "kill driver after-checkpoint".into(),
                        detail: format!(
                            "the driver died after checkpointing batch {t}, before running it"
                        ),
                    });
                    inject(core, t, &Fault::KillDriver);
                    return Ok(());
                }
                // One job set runs at a time (spark.streaming.concurrentJobs = 1): a batch
                // generated while the previous one still runs waits (scheduling delay).
                if core.busy_until > t || !core.waiting.is_empty() {
                    if core.waiting.is_empty() {
                        let at = core.busy_until;
                        core.schedule(at, Scheduled::JobStart { epoch });
                    }
                    if let Some(&stuck) = core.stalled.iter().next() {
                        core.emit(Event::BatchNotProcessed {
                            time: t,
                            reason: format!(
                                "queued behind batch {stuck}, which waits for a free core"
                            ),
                        });
                    }
                    core.waiting.push_back(t);
                    return Ok(());
                }
                if let Err(e) = run_or_wait(core, t) {
                    core.last_batch = Some(t);
                    return Err(fail(core, t, e));
                }
            }
            Scheduled::JobStart { epoch } => {
                if epoch != core.epoch {
                    return Ok(());
                }
                let Some(bt) = core.waiting.pop_front() else {
                    return Ok(());
                };
                match process_batch(core, bt) {
                    Ok(true) => {
                        if !core.waiting.is_empty() {
                            let at = core.busy_until.max(t);
                            core.schedule(at, Scheduled::JobStart { epoch });
                        }
                    }
                    Ok(false) => {
                        // Still no free core: wait another batch interval.
                        core.waiting.push_front(bt);
                        let at = t.plus(core.config.batch_interval);
                        core.schedule(at, Scheduled::JobStart { epoch });
                    }
                    Err(e) => {
                        core.last_batch = Some(bt);
                        return Err(fail(core, bt, e));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A job failed: the context stops (as `awaitTermination` rethrows the error).
fn fail(core: &mut Core, t: Time, e: SparkError) -> SparkError {
    core.emit(Event::JobFailed {
        time: t,
        message: e.to_string(),
    });
    core.failure = Some(e.clone());
    core.state = State::Stopped;
    core.emit(Event::ContextStopped { time: t });
    e
}

/// The block generator of receiver `input` at `t`: receive, cut a block, store and
/// replicate it (and log it), report it to the tracker, send the acknowledgement.
fn block_tick(core: &mut Core, input: usize, t: Time) {
    let InputSource::Receiver(r) = &mut core.inputs.sources[input] else {
        return;
    };
    let (received, dropped) = r.receive(t);
    let block = r.cut_block(t);
    let (worker, reliable) = (r.worker, r.reliable);
    core.inputs.ledger.received(input, &received, t);
    if !dropped.is_empty() {
        core.inputs
            .ledger
            .dropped(input, &dropped, t, "sent while the receiver was down");
    }
    let (Some(b), Some(w)) = (block, worker) else {
        return;
    };
    let stream = core.inputs.names[input].clone();
    if core.inputs.cluster.config.wal && take_armed(core, |f| *f == Fault::FailWalWrite).is_some() {
        // The block could not be made durable: the receiver reports the error and restarts;
        // nothing was acknowledged, so a reliable source sends the records again.
        core.emit(Event::ProtocolFault {
            time: t,
            fault: "fail wal-write".into(),
            detail: format!("{} of {stream}: the write-ahead log write failed; the block is dropped and the receiver restarts", b.id),
        });
        fail_receiver(
            core,
            input,
            t,
            "buffered in a receiver whose write-ahead log write failed",
        );
        if !reliable {
            core.inputs.ledger.dropped(
                input,
                &b.offsets,
                t,
                "in a block whose write-ahead log write failed",
            );
        }
        return;
    }
    let holders = core.inputs.cluster.store(w, b.clone());
    let logged = core.inputs.cluster.config.wal;
    core.inputs
        .ledger
        .stored(input, &b.offsets, &b.id, holders.len() > 1, logged);
    let names = |c: &Cluster, hs: &[usize]| {
        hs.iter()
            .map(|&h| c.workers[h].name.clone())
            .collect::<Vec<_>>()
    };
    let e = Event::BlockStored {
        time: t,
        stream: core.inputs.names[input].clone(),
        block: b.id.clone(),
        records: b.records.len(),
        stored_on: names(&core.inputs.cluster, &holders),
        logged,
    };
    let seq =
        b.id.rsplit('-')
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
    core.emit(e);
    let worker_name = core.inputs.cluster.workers[w].name.clone();
    match core.inputs.cluster.network.send(&worker_name, "driver") {
        Delivery::After(lat) if lat.ms() == 0 => core.inputs.tracker.add_block(b),
        Delivery::After(lat) => {
            core.in_flight.insert((input, seq), b);
            let epoch = core.epoch;
            core.schedule(t.plus(lat), Scheduled::BlockReport { input, seq, epoch });
        }
        lost => {
            // pushAndReportBlock failed: the receiver reports the error and restarts; the
            // block is stored but the driver never hears of it.
            core.emit(Event::MessageLost {
                time: t,
                message: format!("block report {} from {worker_name} to the driver", b.id),
                reason: if lost == Delivery::Partitioned {
                    "network partition".into()
                } else {
                    "message loss".into()
                },
            });
            fail_receiver(
                core,
                input,
                t,
                "buffered in a receiver whose block report was lost",
            );
            return;
        }
    }
    if take_armed(
        core,
        |f| matches!(f, Fault::KillReceiverAfterStore(s) if *s == stream),
    )
    .is_some()
    {
        // Stored (and reported), but the receiver dies before the acknowledgement leaves:
        // a reliable source will send the block's records again.
        core.emit(Event::ProtocolFault {
            time: t,
            fault: format!("kill receiver {stream} after-store"),
            detail: "the receiver died after storing its block, before acknowledging it".into(),
        });
        fail_receiver(
            core,
            input,
            t,
            "buffered in a receiver that died after storing a block",
        );
        return;
    }
    if reliable {
        let (lo, hi) = core.inputs.cluster.config.ack_latency_ms;
        let mut latency = core.ack_rng.random_range(lo..=hi.max(lo));
        match core.inputs.cluster.network.send(&worker_name, "source") {
            Delivery::After(extra) => latency += extra.ms(),
            lost => {
                core.emit(Event::MessageLost {
                    time: t,
                    message: format!(
                        "acknowledgement of input-{}-{seq} to the source",
                        core.inputs.names[input]
                    ),
                    reason: if lost == Delivery::Partitioned {
                        "network partition".into()
                    } else {
                        "message loss".into()
                    },
                });
                return;
            }
        }
        let epoch = core.epoch;
        core.schedule(
            t.plus(Duration::from_ms(latency)),
            Scheduled::Ack { input, seq, epoch },
        );
    }
}

/// Kills the receiver of `input` (pulling first what arrived up to `t`, which dies in its
/// buffer if it is unreliable); returns the records lost.
fn kill_receiver(core: &mut Core, input: usize, t: Time, why: &str) -> usize {
    let InputSource::Receiver(r) = &mut core.inputs.sources[input] else {
        return 0;
    };
    let (received, dropped) = r.receive(t);
    let lost = r.kill();
    core.inputs.ledger.received(input, &received, t);
    core.inputs
        .ledger
        .dropped(input, &dropped, t, "sent while the receiver was down");
    core.inputs.ledger.dropped(input, &lost, t, why);
    lost.len()
}

/// A receiver fails (its worker died, a report or log write failed, a protocol-point
/// fault): it dies as [`kill_receiver`] describes and the receiver tracker restarts it after
/// `spark.streaming.receiverRestartDelay`. Returns the records lost with it.
fn fail_receiver(core: &mut Core, input: usize, t: Time, why: &str) -> usize {
    let lost = kill_receiver(core, input, t, why);
    let delay = core.inputs.cluster.config.receiver_restart_delay;
    core.schedule(t.plus(delay), Scheduled::ReceiverRestart { input });
    lost
}

fn receiver_inputs(core: &Core) -> Vec<usize> {
    core.inputs
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, InputSource::Receiver(_)))
        .map(|(i, _)| i)
        .collect()
}

/// Takes an armed protocol-point fault matching `pred`, if any.
fn take_armed(core: &mut Core, pred: impl Fn(&Fault) -> bool) -> Option<Fault> {
    let i = core.armed.iter().position(pred)?;
    Some(core.armed.remove(i))
}

/// Applies a fault at `t`.
fn inject(core: &mut Core, t: Time, fault: &Fault) {
    if fault.is_protocol_point() {
        core.armed.push(fault.clone());
        core.emit(Event::FaultArmed {
            time: t,
            fault: fault.to_string(),
        });
        return;
    }
    match fault {
        Fault::KillWorker(name) => {
            let Some(w) = core.inputs.cluster.worker_index(name) else {
                core.emit(Event::Warning {
                    time: t,
                    message: format!("no worker named {name}; nothing killed"),
                });
                return;
            };
            if !core.inputs.cluster.workers[w].alive {
                return;
            }
            let blocks_lost = core.inputs.cluster.workers[w].blocks.len();
            core.inputs.cluster.kill_worker(w);
            let mut receivers = Vec::new();
            for input in receiver_inputs(core) {
                let on_it = matches!(&core.inputs.sources[input], InputSource::Receiver(r) if r.worker == Some(w));
                if on_it && core.inputs.cluster.driver_alive {
                    let lost = fail_receiver(
                        core,
                        input,
                        t,
                        &format!("buffered in the receiver on {name} when it failed"),
                    );
                    receivers.push(format!(
                        "{} ({lost} buffered records lost)",
                        core.inputs.names[input]
                    ));
                }
            }
            core.emit(Event::WorkerKilled {
                time: t,
                worker: name.clone(),
                blocks_lost,
                receivers,
            });
        }
        Fault::RestartWorker(name) => {
            if let Some(w) = core.inputs.cluster.worker_index(name) {
                core.inputs.cluster.restart_worker(w);
                core.emit(Event::WorkerRestarted {
                    time: t,
                    worker: name.clone(),
                });
            }
        }
        Fault::Partition(a, b, one_way) => {
            core.inputs.cluster.network.partition(a, b, *one_way);
            core.emit(Event::NetworkChanged {
                time: t,
                change: fault.to_string(),
            });
        }
        Fault::Heal => {
            core.inputs.cluster.network.heal();
            core.emit(Event::NetworkChanged {
                time: t,
                change: "heal".into(),
            });
        }
        Fault::Loss(p) => {
            core.inputs.cluster.network.loss = *p;
            core.emit(Event::NetworkChanged {
                time: t,
                change: fault.to_string(),
            });
        }
        Fault::Latency(lo, hi) => {
            core.inputs.cluster.network.latency_ms = (*lo, *hi);
            core.emit(Event::NetworkChanged {
                time: t,
                change: fault.to_string(),
            });
        }
        Fault::KillReceiverAfterStore(_)
        | Fault::KillDriverAfterCheckpoint
        | Fault::FailWalWrite
        | Fault::FailAllocationWrite => {}
        Fault::KillDriver => {
            if !core.inputs.cluster.driver_alive {
                return;
            }
            for input in receiver_inputs(core) {
                kill_receiver(
                    core,
                    input,
                    t,
                    "buffered in a receiver when the driver (and its executors) failed",
                );
            }
            core.inputs.cluster.kill_driver();
            let logged = core.inputs.cluster.config.wal && core.checkpoint_dir.is_some();
            if !logged {
                core.inputs.tracker.clear();
            }
            let keep_checkpointed = core.checkpoint_dir.is_some();
            core.graph.forget_all(keep_checkpointed);
            core.epoch += 1;
            // Batches generated but not run are pending in the checkpoint: recovery re-runs them.
            core.waiting.clear();
            core.busy_until = t;
            let delay = core.inputs.cluster.config.driver_restart_delay;
            core.schedule(t.plus(delay), Scheduled::DriverRestart);
            core.emit(Event::DriverKilled {
                time: t,
                restart_at: t.plus(delay),
            });
        }
    }
}

/// Starts a dead receiver again on a live worker (Spark's `ReceiverTracker` reschedules it).
fn restart_receiver(core: &mut Core, input: usize, t: Time) {
    if !core.inputs.cluster.driver_alive {
        return;
    }
    let preferred = input % core.inputs.cluster.workers.len().max(1);
    let Some(w) = core.inputs.cluster.live_worker_from(preferred, None) else {
        let delay = core.inputs.cluster.config.receiver_restart_delay;
        core.schedule(t.plus(delay), Scheduled::ReceiverRestart { input });
        return;
    };
    let InputSource::Receiver(r) = &mut core.inputs.sources[input] else {
        return;
    };
    // What an unreliable source sent while nobody listened is gone.
    let (_, dropped) = r.receive(t);
    r.start_on(w);
    core.inputs
        .ledger
        .dropped(input, &dropped, t, "sent while the receiver was down");
    let worker = core.inputs.cluster.workers[w].name.clone();
    core.emit(Event::ReceiverStarted {
        time: t,
        stream: core.inputs.names[input].clone(),
        worker,
    });
}

/// The deployment restarts the driver: executors and receivers start again and, with a
/// checkpoint directory, `StreamingContext.getOrCreate` recovers: the batches from the last
/// checkpoint time up to the restart time run again (JobGenerator.restart), reading their
/// blocks from the write-ahead log when there is one.
fn restart_driver(core: &mut Core, t: Time) -> Result<(), SparkError> {
    core.inputs.cluster.driver_alive = true;
    let epoch = core.epoch;
    let block = core.config.block_interval;
    let inputs = receiver_inputs(core);
    for &input in &inputs {
        restart_receiver(core, input, t);
        core.schedule(t.plus(block), Scheduled::BlockTick { input, epoch });
    }
    let batch = core.config.batch_interval;
    let zero = core.graph.zero_time();
    // The timer restarts at the next batch boundary after now (RecurringTimer.getRestartTime).
    let restart_time = Time(zero.ms() + ((t.ms() - zero.ms()) / batch.ms() + 1) * batch.ms());
    if core.checkpoint_dir.is_none() {
        // A new context without a checkpoint: a direct Kafka stream starts from the latest
        // offsets (auto.offset.reset = largest); what was appended meanwhile is skipped.
        for src in &mut core.inputs.sources {
            if let InputSource::KafkaDirect { log, next, .. } = src {
                for (n, part) in next.iter_mut().zip(log.iter()) {
                    *n = part.partition_point(|(at, _)| *at <= t) as u64;
                }
            }
        }
    }
    let rerun: Vec<Time> = match (core.checkpoint_dir.is_some(), core.last_checkpoint) {
        (true, Some(c)) => (0..)
            .map(|k| c.plus(batch * k))
            .take_while(|x| *x < restart_time)
            .collect(),
        _ => Vec::new(),
    };
    if let Some(&first) = rerun.first() {
        core.inputs.tracker.rewind_to(first);
    }
    let accumulator_lost = std::mem::take(&mut core.accumulator);
    core.emit(Event::DriverRestarted {
        time: t,
        recovered_from_checkpoint: core.checkpoint_dir.is_some() && core.last_checkpoint.is_some(),
        rerun: rerun.clone(),
        accumulator_lost,
    });
    for bt in rerun {
        generate_batch(core, bt);
        if !core.waiting.is_empty() {
            core.waiting.push_back(bt);
            continue;
        }
        if let Err(e) = run_or_wait(core, bt) {
            return Err(fail(core, bt, e));
        }
    }
    core.schedule(restart_time, Scheduled::Batch { epoch });
    Ok(())
}

/// Runs batch `t` now, or, without a free core, queues it and polls again a batch interval
/// later.
fn run_or_wait(core: &mut Core, t: Time) -> Result<(), SparkError> {
    match process_batch(core, t) {
        Ok(true) => Ok(()),
        Ok(false) => {
            let first = core.waiting.is_empty();
            core.waiting.push_front(t);
            if first {
                let at = core.clock.plus(core.config.batch_interval);
                let epoch = core.epoch;
                core.schedule(at, Scheduled::JobStart { epoch });
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// JobGenerator.generateJobs: allocate the queued blocks to batch `t` and write the
/// metadata checkpoint of time `t`.
fn generate_batch(core: &mut Core, t: Time) {
    let receivers = receiver_inputs(core);
    let logged = core.checkpoint_dir.is_some();
    if logged
        && !receivers.is_empty()
        && take_armed(core, |f| *f == Fault::FailAllocationWrite).is_some()
    {
        // ReceivedBlockTracker: if writing the allocation to the log fails, the blocks stay
        // queued (and go to the next batch).
        core.emit(Event::ProtocolFault {
            time: t,
            fault: "fail allocation-write".into(),
            detail: format!("writing the allocation of batch {t} failed; its blocks stay queued for the next batch"),
        });
    } else if !receivers.is_empty() && !core.inputs.tracker.has_allocation(t) {
        if let Some(blocks) = core.inputs.tracker.allocate(t, &receivers) {
            for &input in &receivers {
                let allocated: Vec<(Vec<u64>, Time)> = core
                    .inputs
                    .tracker
                    .blocks_of(t, input)
                    .iter()
                    .map(|b| (b.offsets.as_ref().clone(), t))
                    .collect();
                for (offsets, time) in allocated {
                    core.inputs.ledger.allocated(input, &offsets, time);
                }
            }
            core.emit(Event::BatchAllocation { time: t, blocks });
        }
    }
    if core.checkpoint_dir.is_some() {
        core.last_checkpoint = Some(t);
    }
}

/// JobScheduler running the jobs of batch `t` now: the output operations in order, then
/// the batch's figures from the cost model, and cleanup.
fn process_batch(core: &mut Core, t: Time) -> Result<bool, SparkError> {
    let receivers = receiver_inputs(core);
    // The guide's starvation rule: each receiver holds a core; with no core left, jobs are
    // generated but never run.
    let held = receivers
        .iter()
        .filter(
            |&&i| matches!(&core.inputs.sources[i], InputSource::Receiver(r) if r.worker.is_some()),
        )
        .count();
    if core.inputs.cluster.live_cores() <= held {
        // No core to run a task on: the batch's jobs wait (for ever, if receivers hold
        // every core; until a worker comes back, if workers are down).
        if core.stalled.insert(t) {
            let cores = core.inputs.cluster.live_cores();
            let reason = if held > 0 && cores == held {
                format!("{held} receiver(s) hold all {cores} core(s): data is received but never processed (give the application more cores than receivers)")
            } else {
                format!("no free core ({cores} live core(s), {held} held by receivers): the batch waits for a worker")
            };
            core.emit(Event::BatchNotProcessed { time: t, reason });
        }
        return Ok(false);
    }
    let outputs = core.outputs.clone();
    let (mut tasks, mut work_records, mut shuffled_bytes) = (0u64, 0u64, 0u64);
    for (index, out) in outputs.iter().enumerate() {
        if !core.graph.is_time_valid(out.stream, t) {
            continue;
        }
        let mut computed = Vec::new();
        let result = {
            let mut on_new = |node: &Node, time: Time, rdd: &Rdd| {
                if rdd.lineage().shuffle {
                    shuffled_bytes += rdd.iter().map(Value::approx_bytes).sum::<usize>() as u64;
                }
                computed.push(Event::RddComputed {
                    time,
                    stream: node.label(),
                    rdd: rdd.id(),
                    partitions: rdd.num_partitions(),
                    records: rdd.count(),
                    checkpointed: rdd.lineage().checkpointed,
                    lineage_depth: rdd.lineage().depth,
                });
            };
            core.graph
                .get_or_compute(out.stream, t, &mut core.ctx, &mut core.inputs, &mut on_new)
        };
        for e in std::mem::take(&mut core.inputs.events) {
            core.emit(e);
        }
        for e in computed {
            if let Event::RddComputed {
                partitions,
                records,
                ..
            } = &e
            {
                tasks += *partitions as u64;
                work_records += *records as u64;
            }
            core.emit(e);
        }
        let Some(rdd) = result? else { continue };
        let label = core.graph.node(out.stream).label();
        if core.inputs.cluster.config.sink == SinkKind::Transactional && core.written.contains(&t) {
            // The transaction of this batch committed before the failure: the re-run finds
            // its (batch time, operation) in the commit log and writes nothing.
            core.emit(Event::Warning {
                time: t,
                message: format!("transactional sink: batch {t} of {label} already committed; the re-run writes nothing"),
            });
            continue;
        }
        let lines = run_output(&core.config, &out.kind, &rdd, t)?;
        core.emit(Event::Output {
            time: t,
            index,
            op: out.kind.name().to_string(),
            stream: label,
            lines,
        });
    }
    // The batch completed: its input records have been written out (once more, for an
    // at-least-once sink; once per batch time, for an idempotent or transactional one).
    let first_write = core.written.insert(t);
    let offsets = core.inputs.batch_offsets.remove(&t).unwrap_or_default();
    if first_write || core.inputs.cluster.config.sink == SinkKind::AtLeastOnce {
        for (input, offs) in offsets {
            core.inputs.ledger.output(input, &offs);
        }
    }
    let input_records = core.inputs.records_at.remove(&t).unwrap_or(0);
    core.accumulator += input_records as u64;
    core.last_batch = Some(t);
    // The cost model: every task pays the launch overhead, every record each operator
    // touches pays its cost, every byte a shuffle moves pays its cost; tasks share the
    // cores the receivers leave free.
    let cost = core.inputs.cluster.config.cost;
    let free = core.inputs.cluster.live_cores().saturating_sub(held).max(1) as f64;
    let work_us = tasks as f64 * cost.task_launch_us as f64
        + work_records as f64 * cost.record_us
        + shuffled_bytes as f64 * cost.byte_us;
    let processing_ms = (work_us / 1000.0 / free).ceil() as u64;
    let start = core.clock.max(t);
    core.busy_until = start.plus(Duration::from_ms(processing_ms));
    let scheduling_delay_ms = start.ms() - t.ms();
    core.emit(Event::BatchCompleted {
        time: t,
        input_records,
        scheduling_delay_ms,
        processing_time_ms: processing_ms,
        total_delay_ms: scheduling_delay_ms + processing_ms,
    });
    for (stream, times) in core.graph.clear_old(t) {
        let label = core.graph.node(stream).label();
        core.emit(Event::RddsCleared {
            time: t,
            stream: label,
            times,
        });
    }
    let max_remember = core
        .graph
        .nodes()
        .iter()
        .map(|n| n.remember)
        .max()
        .unwrap_or_default();
    if let Some(threshold) = t.checked_minus(max_remember) {
        let done = core.inputs.tracker.cleanup(threshold);
        core.inputs.cluster.forget_blocks(&done);
    }
    core.stalled.remove(&t);
    Ok(true)
}

/// Spark's `print(num)` output for one batch: the header, up to `num` records, `...` if
/// there are more, and an empty line (`DStream.print`).
pub fn print_lines(rdd: &Rdd, t: Time, num: usize) -> Vec<String> {
    let dashes = "-------------------------------------------".to_string();
    let mut lines = vec![dashes.clone(), format!("Time: {t}"), dashes];
    let mut it = rdd.iter();
    for v in it.by_ref().take(num) {
        lines.push(v.to_string());
    }
    if it.next().is_some() {
        lines.push("...".into());
    }
    lines.push(String::new());
    lines
}

fn run_output(
    config: &Config,
    kind: &OutputKind,
    rdd: &Rdd,
    t: Time,
) -> Result<Vec<String>, SparkError> {
    match kind {
        OutputKind::Print(num) => Ok(print_lines(rdd, t, *num)),
        OutputKind::SaveAsTextFiles { prefix, suffix } => {
            let name = match suffix {
                Some(s) if !s.is_empty() => format!("{prefix}-{}.{s}", t.ms()),
                _ => format!("{prefix}-{}", t.ms()),
            };
            let dir = config.output_dir.join(&name);
            let io = |e: std::io::Error| {
                SparkError::InvalidArgument(format!(
                    "saveAsTextFiles: cannot write {}: {e}",
                    dir.display()
                ))
            };
            std::fs::create_dir_all(&dir).map_err(io)?;
            let mut written = Vec::new();
            for (i, p) in rdd.partitions().iter().enumerate() {
                let file = format!("part-{i:05}");
                let mut text = String::new();
                for v in p {
                    text.push_str(&v.to_string());
                    text.push('\n');
                }
                std::fs::write(dir.join(&file), text).map_err(io)?;
                written.push(format!("{name}/{file} ({} records)", p.len()));
            }
            std::fs::write(dir.join("_SUCCESS"), "").map_err(io)?;
            Ok(written)
        }
        OutputKind::ForeachRdd(f) => {
            f(rdd, t);
            Ok(Vec::new())
        }
    }
}

impl DStream {
    /// The stream's id in its graph.
    pub fn id(&self) -> StreamId {
        self.id
    }

    /// The context.
    pub fn context(&self) -> &StreamingContext {
        &self.ctx
    }

    /// Names the stream (the scenario's variable name).
    pub fn set_name(&self, name: &str) {
        self.ctx.core.borrow_mut().graph.name(self.id, name);
    }

    /// The slide duration.
    pub fn slide_duration(&self) -> Duration {
        self.ctx.core.borrow().graph.node(self.id).slide
    }

    fn default_partitions(&self, n: Option<usize>) -> usize {
        n.unwrap_or(self.ctx.core.borrow().config.default_parallelism)
            .max(1)
    }

    fn unary(&self, op: Op) -> Result<DStream, SparkError> {
        self.ctx.add(op, vec![self.id], None)
    }

    /// `map(f)`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn map(&self, f: Func) -> Result<DStream, SparkError> {
        self.unary(Op::Map(f))
    }

    /// `flatMap(f)`: `f` returns a collection.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn flat_map(&self, f: Func) -> Result<DStream, SparkError> {
        self.unary(Op::FlatMap(f))
    }

    /// `filter(f)`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn filter(&self, f: Func) -> Result<DStream, SparkError> {
        self.unary(Op::Filter(f))
    }

    /// `mapPartitions(f)`: `f` gets a partition as a `List`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn map_partitions(&self, f: Func) -> Result<DStream, SparkError> {
        self.unary(Op::MapPartitions(f))
    }

    /// `glom()`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn glom(&self) -> Result<DStream, SparkError> {
        self.unary(Op::Glom)
    }

    /// `repartition(n)`.
    ///
    /// # Errors
    /// Lifecycle errors; `n == 0`.
    pub fn repartition(&self, n: usize) -> Result<DStream, SparkError> {
        if n == 0 {
            return Err(SparkError::InvalidArgument(
                "Number of partitions (0) must be positive.".into(),
            ));
        }
        self.unary(Op::Repartition(n))
    }

    /// `mapValues(f)`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn map_values(&self, f: Func) -> Result<DStream, SparkError> {
        self.unary(Op::MapValues(f))
    }

    /// `flatMapValues(f)`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn flat_map_values(&self, f: Func) -> Result<DStream, SparkError> {
        self.unary(Op::FlatMapValues(f))
    }

    /// `union(others)`.
    ///
    /// # Errors
    /// [`SparkError::DifferentSlides`], lifecycle errors.
    pub fn union(&self, others: &[DStream]) -> Result<DStream, SparkError> {
        let mut parents = vec![self.id];
        parents.extend(others.iter().map(|o| o.id));
        self.ctx.add(Op::Union, parents, None)
    }

    /// `count()`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn count(&self) -> Result<DStream, SparkError> {
        self.unary(Op::Count)
    }

    /// `reduce(f)`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn reduce(&self, f: Func) -> Result<DStream, SparkError> {
        self.unary(Op::Reduce(f))
    }

    /// `countByValue([numPartitions])`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn count_by_value(&self, n: Option<usize>) -> Result<DStream, SparkError> {
        let n = self.default_partitions(n);
        self.unary(Op::CountByValue(n))
    }

    /// `reduceByKey(f, [numPartitions])`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn reduce_by_key(&self, f: Func, n: Option<usize>) -> Result<DStream, SparkError> {
        let n = self.default_partitions(n);
        self.unary(Op::ReduceByKey(f, n))
    }

    /// `groupByKey([numPartitions])`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn group_by_key(&self, n: Option<usize>) -> Result<DStream, SparkError> {
        let n = self.default_partitions(n);
        self.unary(Op::GroupByKey(n))
    }

    /// `join`, `leftOuterJoin`, `rightOuterJoin`, `fullOuterJoin` with `other`.
    ///
    /// # Errors
    /// [`SparkError::DifferentSlides`], lifecycle errors.
    pub fn join(
        &self,
        other: &DStream,
        kind: JoinKind,
        n: Option<usize>,
    ) -> Result<DStream, SparkError> {
        let n = self.default_partitions(n);
        self.ctx
            .add(Op::Join(kind, n), vec![self.id, other.id], None)
    }

    /// `cogroup(other, [numPartitions])`.
    ///
    /// # Errors
    /// [`SparkError::DifferentSlides`], lifecycle errors.
    pub fn cogroup(&self, other: &DStream, n: Option<usize>) -> Result<DStream, SparkError> {
        let n = self.default_partitions(n);
        self.ctx.add(Op::Cogroup(n), vec![self.id, other.id], None)
    }

    /// `transform(f)` (one parent) or `transformWith(other, f)` (with `others`).
    ///
    /// # Errors
    /// [`SparkError::DifferentSlides`], lifecycle errors.
    pub fn transform(&self, others: &[DStream], f: TransformFn) -> Result<DStream, SparkError> {
        let mut parents = vec![self.id];
        parents.extend(others.iter().map(|o| o.id));
        self.ctx.add(Op::Transform(f), parents, None)
    }

    /// `updateStateByKey(f, [numPartitions], [initialRDD])`; `time_aware` passes
    /// `(time, key, values, state)` instead of `(values, state)`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn update_state_by_key(
        &self,
        f: Func,
        time_aware: bool,
        n: Option<usize>,
        initial: Option<Vec<Value>>,
    ) -> Result<DStream, SparkError> {
        let partitions = self.default_partitions(n);
        self.unary(Op::UpdateState {
            update: f,
            time_aware,
            partitions,
            initial,
        })
    }

    fn check_window(
        &self,
        window: Duration,
        slide: Duration,
        reduced: bool,
    ) -> Result<(), SparkError> {
        let ps = self.slide_duration();
        if !window.is_multiple_of(ps) {
            return Err(SparkError::WindowNotMultiple {
                window,
                parent_slide: ps,
                reduced,
            });
        }
        if !slide.is_multiple_of(ps) {
            return Err(SparkError::SlideNotMultiple {
                slide,
                parent_slide: ps,
                reduced,
            });
        }
        Ok(())
    }

    /// `window(windowLength, [slideInterval])`.
    ///
    /// # Errors
    /// [`SparkError::WindowNotMultiple`], [`SparkError::SlideNotMultiple`], lifecycle errors.
    pub fn window(&self, window: Duration, slide: Option<Duration>) -> Result<DStream, SparkError> {
        let slide = slide.unwrap_or_else(|| self.slide_duration());
        self.check_window(window, slide, false)?;
        self.ctx
            .add(Op::Window { window }, vec![self.id], Some(slide))
    }

    /// `reduceByKeyAndWindow(f, window, [slide], [numPartitions])` without an inverse:
    /// `reduceByKey(f).window(w, s).reduceByKey(f)`.
    ///
    /// # Errors
    /// Window validation and lifecycle errors.
    pub fn reduce_by_key_and_window(
        &self,
        f: Func,
        window: Duration,
        slide: Option<Duration>,
        n: Option<usize>,
    ) -> Result<DStream, SparkError> {
        self.reduce_by_key(f.clone(), n)?
            .window(window, slide)?
            .reduce_by_key(f, n)
    }

    /// `reduceByKeyAndWindow(f, invF, window, slide, [numPartitions], [filterFunc])`:
    /// the incremental form (`ReducedWindowedDStream`), which needs a checkpoint directory.
    ///
    /// # Errors
    /// Window validation and lifecycle errors.
    pub fn reduce_by_key_and_window_inv(
        &self,
        f: Func,
        inverse: Func,
        window: Duration,
        slide: Option<Duration>,
        n: Option<usize>,
        filter: Option<Func>,
    ) -> Result<DStream, SparkError> {
        let slide = slide.unwrap_or_else(|| self.slide_duration());
        let partitions = self.default_partitions(n);
        self.check_window(window, slide, true)?;
        let reduced = self.reduce_by_key(f.clone(), Some(partitions))?;
        self.ctx.add(
            Op::ReducedWindow {
                reduce: f,
                inverse,
                filter,
                window,
                partitions,
            },
            vec![reduced.id],
            Some(slide),
        )
    }

    /// `countByWindow(window, slide)`: `map(_ => 1L).reduceByWindow(_ + _, _ - _, w, s)`.
    ///
    /// # Errors
    /// Window validation and lifecycle errors.
    pub fn count_by_window(
        &self,
        window: Duration,
        slide: Duration,
    ) -> Result<DStream, SparkError> {
        let one = Func::native("_ => 1L", 1, |_| Ok(Value::Int(1)));
        self.map(one)?
            .reduce_by_window_inv(add_fn(), sub_fn(), window, slide)
    }

    /// `reduceByWindow(f, window, slide)`: `reduce(f).window(w, s).reduce(f)`.
    ///
    /// # Errors
    /// Window validation and lifecycle errors.
    pub fn reduce_by_window(
        &self,
        f: Func,
        window: Duration,
        slide: Duration,
    ) -> Result<DStream, SparkError> {
        self.reduce(f.clone())?
            .window(window, Some(slide))?
            .reduce(f)
    }

    /// `reduceByWindow(f, invF, window, slide)`:
    /// `map((1, _)).reduceByKeyAndWindow(f, invF, w, s, 1).map(_._2)`.
    ///
    /// # Errors
    /// Window validation and lifecycle errors.
    pub fn reduce_by_window_inv(
        &self,
        f: Func,
        inverse: Func,
        window: Duration,
        slide: Duration,
    ) -> Result<DStream, SparkError> {
        let keyed = Func::native("x => (1, x)", 1, |a| {
            Ok(Value::pair(Value::Int(1), a[0].clone()))
        });
        let second = Func::native("_._2", 1, |a| {
            Ok(a[0].as_pair().map(|(_, v)| v.clone()).unwrap_or_default())
        });
        self.map(keyed)?
            .reduce_by_key_and_window_inv(f, inverse, window, Some(slide), Some(1), None)?
            .map(second)
    }

    /// `countByValueAndWindow(window, slide, [numPartitions])`: counts per value with the
    /// inverse form and a `count != 0` filter, so zero counts are dropped.
    ///
    /// # Errors
    /// Window validation and lifecycle errors.
    pub fn count_by_value_and_window(
        &self,
        window: Duration,
        slide: Duration,
        n: Option<usize>,
    ) -> Result<DStream, SparkError> {
        let keyed = Func::native("x => (x, 1L)", 1, |a| {
            Ok(Value::pair(a[0].clone(), Value::Int(1)))
        });
        let nonzero = Func::native("x => x._2 != 0L", 1, |a| {
            Ok(Value::Bool(
                a[0].as_pair()
                    .map(|(_, v)| v != &Value::Int(0))
                    .unwrap_or(true),
            ))
        });
        self.map(keyed)?.reduce_by_key_and_window_inv(
            add_fn(),
            sub_fn(),
            window,
            Some(slide),
            n,
            Some(nonzero),
        )
    }

    /// `groupByKeyAndWindow(window, [slide], [numPartitions])`:
    /// `groupByKey.window.combineByKey(concatenate)`, values as `ArrayBuffer`.
    ///
    /// # Errors
    /// Window validation and lifecycle errors.
    pub fn group_by_key_and_window(
        &self,
        window: Duration,
        slide: Option<Duration>,
        n: Option<usize>,
    ) -> Result<DStream, SparkError> {
        let n = self.default_partitions(n);
        self.group_by_key(Some(n))?
            .window(window, slide)?
            .unary(Op::ConcatGroups(n))
    }

    /// `checkpoint(interval)`: checkpoint this stream's RDDs every `interval`.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn checkpoint(&self, interval: Duration) -> Result<DStream, SparkError> {
        let mut core = self.ctx.core.borrow_mut();
        core.check_can_add()?;
        core.graph.set_checkpoint_interval(self.id, interval);
        drop(core);
        Ok(self.clone())
    }

    /// `print([num])` (10 by default).
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn print(&self, num: usize) -> Result<(), SparkError> {
        self.ctx.add_output(self.id, OutputKind::Print(num))
    }

    /// `saveAsTextFiles(prefix, [suffix])`: per batch a directory
    /// `prefix-TIME_IN_MS[.suffix]` under the output directory, one `part-NNNNN` per
    /// partition.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn save_as_text_files(&self, prefix: &str, suffix: Option<&str>) -> Result<(), SparkError> {
        self.ctx.add_output(
            self.id,
            OutputKind::SaveAsTextFiles {
                prefix: prefix.to_string(),
                suffix: suffix.map(str::to_string),
            },
        )
    }

    /// `foreachRDD(f)`: `f` runs on the driver with each batch's RDD and time.
    ///
    /// # Errors
    /// Lifecycle errors.
    pub fn foreach_rdd(&self, f: impl Fn(&Rdd, Time) + 'static) -> Result<(), SparkError> {
        self.ctx
            .add_output(self.id, OutputKind::ForeachRdd(Rc::new(f)))
    }
}

/// `_ + _` on integers and doubles.
pub fn add_fn() -> Func {
    Func::native("_ + _", 2, |a| arith(&a[0], &a[1], false))
}

/// `_ - _` on integers and doubles.
pub fn sub_fn() -> Func {
    Func::native("_ - _", 2, |a| arith(&a[0], &a[1], true))
}

fn arith(a: &Value, b: &Value, sub: bool) -> crate::func::EvalResult {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(Value::Int(if sub {
            x.wrapping_sub(*y)
        } else {
            x.wrapping_add(*y)
        })),
        (Value::Int(x), Value::Float(y)) => Ok(Value::Float(if sub {
            *x as f64 - y
        } else {
            *x as f64 + y
        })),
        (Value::Float(x), Value::Int(y)) => Ok(Value::Float(if sub {
            x - *y as f64
        } else {
            x + *y as f64
        })),
        (Value::Float(x), Value::Float(y)) => Ok(Value::Float(if sub { x - y } else { x + y })),
        _ => Err(crate::func::EvalError {
            message: format!(
                "cannot {} {} and {}",
                if sub { "subtract" } else { "add" },
                a,
                b
            ),
        }),
    }
}
