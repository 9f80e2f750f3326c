//! `StreamingContext` (`StreamingContext.scala`): the entry point, its lifecycle, the input
//! streams, and running the virtual clock (the `DStream` handle is defined here too; its
//! operators are in `dstream.rs`).
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

use super::checkpoint::CheckpointWriter;
use super::config::{Config, State};
use super::driver::{Core, Scheduled};
use super::dstream_graph::{Graph, InputKind, Op, StreamId};
use super::error::SparkError;
use super::input_dstreams::{InputSource, Inputs};
use super::ops::OpCtx;
use super::output_ops::{Output, OutputKind};
use super::rdd::{Partition, Rdd};
use super::received_block_tracker::{LogSegment, ReceivedBlockTracker};
use super::receiver::Receiver;
use super::receiver_tracker::receiver_inputs;
use super::trace::{Event, Trace};
use crate::cluster::{Cluster, Fault};
use crate::io::{FileDrop, QueueSource, TimedRecords};
use crate::ledger::Ledger;
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, Time, TimeRuns};
use crate::value::Value;
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::io::Write;
use std::rc::Rc;

/// The entry point: Spark's `StreamingContext` on a virtual clock.
///
/// Cloning gives another handle to the same context.
#[derive(Clone)]
pub struct StreamingContext {
    pub(super) core: Rc<RefCell<Core>>,
    pub(super) sink: Rc<RefCell<Option<Box<dyn Write>>>>,
}

/// A copy of a context's whole state at one instant (graph, RDDs, receivers, cluster, ledger,
/// trace, clock and pending events), for time travel: [`StreamingContext::restore`] puts it
/// back. RDD data, blocks and the trace's full chunks are shared with the context, so a
/// snapshot costs what its maps and the trace's last chunk take (about 110 KB for
/// `wordcount` once its input ends; [`Snapshot::share_data_with`] shares equal RDD data
/// between snapshots too).
#[derive(Clone)]
pub struct Snapshot {
    core: Core,
    broadcasts: super::broadcast::Registry,
}

impl Snapshot {
    /// Makes this snapshot's RDDs share the data of `older`'s (an earlier snapshot of the
    /// same run) wherever a stream's RDD holds exactly the same records as one `older`
    /// remembers for that stream, or as an earlier RDD of the same stream here: a windowed
    /// stream over idle input recomputes the same window every slide, and each snapshot
    /// would otherwise keep its own copy of it (issue 15: 5 MB per `wordcount` snapshot).
    /// Nothing observable changes: only equal data is shared, compared exactly
    /// (`identical`).
    pub fn share_data_with(&mut self, older: &Snapshot) {
        let olds: Vec<Vec<&Rdd>> = older
            .core
            .graph
            .nodes()
            .iter()
            .map(|n| n.generated().values().rev().collect())
            .collect();
        for (id, generated) in self.core.graph.generated_mut().enumerate() {
            let mut seen: Vec<Rdd> = Vec::new();
            for rdd in generated.values_mut() {
                let candidates = seen
                    .iter()
                    .rev()
                    .chain(olds.get(id).into_iter().flatten().copied());
                if rdd.num_partitions() > 0 {
                    for c in candidates.take(MAX_SHARE_CANDIDATES) {
                        if rdd.share_data_if(c, same_partitions) {
                            break;
                        }
                    }
                }
                seen.push(rdd.clone());
            }
        }
    }
}

/// The most earlier RDDs of a stream [`Snapshot::share_data_with`] compares one RDD with.
const MAX_SHARE_CANDIDATES: usize = 8;

fn same_partitions(a: &[Partition], b: &[Partition]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(v, w)| identical(v, w)))
}

/// Exact equality of two values: same variant, same sequence kind, floats bit for bit
/// (`Value`'s own `==` follows its `Ord`, which ignores a sequence's kind).
pub(crate) fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Tuple(x), Value::Tuple(y)) => {
            std::sync::Arc::ptr_eq(x, y)
                || (x.len() == y.len() && x.iter().zip(y.iter()).all(|(v, w)| identical(v, w)))
        }
        (Value::Opt(x), Value::Opt(y)) => match (x, y) {
            (None, None) => true,
            (Some(v), Some(w)) => identical(v, w),
            _ => false,
        },
        (Value::Seq(k, x), Value::Seq(l, y)) => {
            k == l && x.len() == y.len() && x.iter().zip(y.iter()).all(|(v, w)| identical(v, w))
        }
        _ => false,
    }
}

/// The job scheduler's queue at one instant ([`StreamingContext::job_queue`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobQueue {
    /// Batch times generated and waiting to run, oldest first (`spark.streaming.concurrentJobs
    /// = 1`: one job set at a time).
    pub waiting: Vec<Time>,
    /// Those of them that found no free core (receivers hold every core, or workers are
    /// down), in time order.
    pub no_free_core: Vec<Time>,
    /// The batch whose jobs are still running now, and the virtual instant they finish.
    pub running: Option<(Time, Time)>,
}

/// A discretized stream: a handle to one node of its context's graph. Methods mirror
/// Spark's `DStream` and `PairDStreamFunctions` (Scala API), name for name.
#[derive(Clone)]
pub struct DStream {
    pub(super) ctx: StreamingContext,
    pub(super) id: StreamId,
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
            generated_at: BTreeMap::new(),
            mech: Default::default(),
        };
        let seed = config.seed;
        let batch = config.batch_interval;
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
            checkpoint_writer: CheckpointWriter::default(),
            written: TimeRuns::new(batch),
            sink_contents: BTreeMap::new(),
            ack_rng: SeedTree::new(seed).rng("cluster/acks"),
            sink_from: 0,
            busy_until: Time::ZERO,
            armed: Vec::new(),
            in_flight: BTreeMap::new(),
            stalled: BTreeSet::new(),
            accumulator: 0,
            broadcasts: Default::default(),
            waiting: VecDeque::new(),
            outputs_kept: None,
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
    pub(super) fn flush_sink(&self) {
        let mut sink = self.sink.borrow_mut();
        if let Some(w) = sink.as_mut() {
            let mut core = self.core.borrow_mut();
            core.trace.for_each_from(core.sink_from, |e| {
                let _ = writeln!(w, "{}", e.to_json());
            });
            core.sink_from = core.trace.len();
        }
    }

    /// The whole state now, for [`StreamingContext::restore`].
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            core: self.core.borrow().clone(),
            broadcasts: self.core.borrow().broadcasts.state(),
        }
    }

    /// Makes the context's remembered RDDs hold the data allocations of the same RDDs in
    /// `snapshot` (taken from this context and then given to
    /// [`Snapshot::share_data_with`]): the next snapshot then shares them without
    /// comparing. The data is the same either way.
    pub fn adopt_data_of(&self, snapshot: &Snapshot) {
        let mut core = self.core.borrow_mut();
        let theirs: Vec<&BTreeMap<Time, Rdd>> = snapshot
            .core
            .graph
            .nodes()
            .iter()
            .map(|n| n.generated())
            .collect();
        for (id, generated) in core.graph.generated_mut().enumerate() {
            let Some(other) = theirs.get(id) else {
                continue;
            };
            for (t, rdd) in generated.iter_mut() {
                if let Some(o) = other.get(t).filter(|o| o.id() == rdd.id()) {
                    // The same RDD (same id), its data shared or replaced by equal data.
                    rdd.share_data_if(o, |_, _| true);
                }
            }
        }
    }

    /// Puts back a state taken by [`StreamingContext::snapshot`] of this context. Stepping
    /// on from it gives the same results as the first time (the RNG streams are restored
    /// too). The trace sink, if any, is not rewound.
    pub fn restore(&self, snapshot: &Snapshot) {
        let mut core = snapshot.core.clone();
        core.sink_from = core.trace.len();
        core.broadcasts.set_state(snapshot.broadcasts.clone());
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

    /// The batches generated and not yet completed, oldest first
    /// (`JobScheduler.getPendingTimes`): the job sets waiting for their turn or for a free
    /// core, and the one still running at the current instant.
    pub fn pending_times(&self) -> Vec<Time> {
        let core = self.core.borrow();
        if core.state == State::Stopped {
            // A stopped context runs nothing more (`ssc.stop`, or a failed job).
            return Vec::new();
        }
        let mut times: Vec<Time> = core.waiting.iter().copied().collect();
        if core.busy_until > core.clock {
            times.extend(core.last_batch);
        }
        times.sort();
        times.dedup();
        times
    }

    /// What the job scheduler holds now (`JobScheduler`'s job sets; Spark's Streaming tab
    /// lists them as active batches): the batches waiting their turn, oldest first, which
    /// of them found no free core, and the job set still running with the instant it ends.
    /// Read-only; for the REPL, `metrics` and the report.
    pub fn job_queue(&self) -> JobQueue {
        let core = self.core.borrow();
        JobQueue {
            waiting: core.waiting.iter().copied().collect(),
            no_free_core: core.stalled.iter().copied().collect(),
            running: core
                .last_batch
                .filter(|_| core.busy_until > core.clock)
                .map(|t| (t, core.busy_until)),
        }
    }

    /// The record at `offset` of input `input`'s receiver source (its identity in the
    /// ledger), as Spark would print it, and when it arrives; `None` for another kind of
    /// input or an offset past the source. Read-only, for the REPL's `ledger`.
    pub fn source_record(&self, input: usize, offset: u64) -> Option<(Time, String)> {
        let core = self.core.borrow();
        match core.inputs.sources.get(input)? {
            InputSource::Receiver(r) => r.source_record(offset).map(|(t, v)| (t, v.to_string())),
            _ => None,
        }
    }

    /// Calls `f` on every event from index `from` on, in order, without copying the trace.
    pub fn for_each_event(&self, from: usize, mut f: impl FnMut(&Event)) {
        let core = self.core.borrow();
        core.trace.for_each_from(from, &mut f);
    }

    /// From now on, keeps per (output operation, batch time) the printed lines of its last
    /// execution and how many times it ran (what the trace's `Output` events say), for
    /// [`StreamingContext::kept_outputs`]. Snapshots taken after this keep the table too.
    pub fn keep_outputs(&self) {
        let mut core = self.core.borrow_mut();
        core.outputs_kept.get_or_insert_with(Default::default);
    }

    /// The table [`StreamingContext::keep_outputs`] keeps (`None` unless asked for): per
    /// (output operation index, batch time), the last execution's lines and the number of
    /// executions since it was asked for.
    #[allow(clippy::type_complexity)]
    pub fn kept_outputs(&self) -> Option<BTreeMap<(usize, Time), (std::sync::Arc<[String]>, u32)>> {
        self.core.borrow().outputs_kept.clone()
    }

    /// Time of the last completed batch.
    pub fn last_batch(&self) -> Option<Time> {
        self.core.borrow().last_batch
    }

    /// Runs `f` with read access to the graph (for inspection: `streams`, `show`, ...).
    pub fn with_graph<R>(&self, f: impl FnOnce(&Graph) -> R) -> R {
        f(&self.core.borrow().graph)
    }

    /// Whether identical `reduceByKey`s share their data ([`Graph::share_identical_reduces`];
    /// on by default, changes nothing observable): call before the first batch.
    pub fn share_identical_reduces(&self, on: bool) {
        self.core.borrow_mut().graph.share_identical_reduces(on);
    }

    /// The blocks allocated to batch `t` for input `input` (ids and record counts).
    pub fn blocks_of(&self, t: Time, input: usize) -> Vec<(String, usize)> {
        let core = self.core.borrow();
        core.inputs
            .tracker
            .blocks_of(t, input)
            .iter()
            .map(|b| (b.id.to_string(), b.records.len()))
            .collect()
    }

    /// The ReceivedBlockTracker's write-ahead log (`<checkpoint dir>/receivedBlockMetadata`),
    /// if the context has a checkpoint directory and has started: its live segments, and how
    /// many older segments cleanup deleted.
    pub fn tracker_log(&self) -> Option<(Vec<LogSegment>, usize)> {
        let core = self.core.borrow();
        core.inputs
            .tracker
            .log()
            .map(|l| (l.segments().to_vec(), l.deleted_segments()))
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

    pub(super) fn add_input(
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
                fresh.limiter = super::rate_limiter::RateLimiter::new(&core.config.cluster.conf);
                InputSource::Receiver(fresh)
            }
            other => {
                // No receiver: a batch reads its records itself (direct Kafka, files, queue).
                core.inputs.ledger.mark_without_receiver(input);
                other
            }
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

    pub(super) fn add(
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

    pub(super) fn add_output(&self, stream: StreamId, kind: OutputKind) -> Result<(), SparkError> {
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
        if has_dir {
            // ReceivedBlockTracker.createWriteAheadLog: the tracker logs to
            // <checkpoint dir>/receivedBlockMetadata.
            core.inputs.tracker.enable_log();
        }
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
            let r = super::event_loop::process_next(&mut self.core.borrow_mut());
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
        if let Fault::KillWorker(w) | Fault::RestartWorker(w) | Fault::SlowWorker(w, _) = &fault {
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

    /// Sets `spark.streaming.gracefulStopTimeout` (`None`: 10 batch intervals) as the
    /// `[conf]` key sets it at build: a graceful stop requested from now on waits at most
    /// this long (`graceful_stop.rs`). For `check::verify`, which settles a run from its
    /// snapshot instead of building it again with the key set.
    pub fn set_graceful_stop_timeout(&self, timeout: Option<Duration>) {
        let mut core = self.core.borrow_mut();
        core.config.cluster.conf.graceful_stop_timeout = timeout;
        core.inputs.cluster.config.conf.graceful_stop_timeout = timeout;
    }
}

impl StreamingContext {
    /// Measurement aid for time travel's memory (issue 15): clones each part of the
    /// context's state in turn and reports, per part, what `live_bytes` (the caller's
    /// count of live heap bytes, e.g. a counting global allocator in a test) grew by while
    /// the clone was alive: what one [`Snapshot`] costs, part by part. Not for programs.
    #[doc(hidden)]
    pub fn snapshot_cost_by_part(
        &self,
        live_bytes: &dyn Fn() -> usize,
    ) -> Vec<(&'static str, usize)> {
        fn cost<T: Clone>(v: &T, live: &dyn Fn() -> usize) -> usize {
            let before = live();
            let c = v.clone();
            let after = live();
            drop(c);
            after.saturating_sub(before)
        }
        let core = self.core.borrow();
        let i = &core.inputs;
        let l = live_bytes;
        vec![
            ("whole", cost(&*core, l)),
            ("config", cost(&core.config, l)),
            ("graph", cost(&core.graph, l)),
            ("outputs", cost(&core.outputs, l)),
            ("ctx", cost(&core.ctx, l)),
            ("queue", cost(&core.queue, l)),
            ("trace", cost(&core.trace, l)),
            ("checkpoint_writer", cost(&core.checkpoint_writer, l)),
            ("written", cost(&core.written, l)),
            ("sink_contents", cost(&core.sink_contents, l)),
            ("armed", cost(&core.armed, l)),
            ("in_flight", cost(&core.in_flight, l)),
            ("stalled", cost(&core.stalled, l)),
            ("waiting", cost(&core.waiting, l)),
            ("inputs.sources", cost(&i.sources, l)),
            ("inputs.tracker", cost(&i.tracker, l)),
            ("inputs.records_at", cost(&i.records_at, l)),
            ("inputs.events", cost(&i.events, l)),
            ("inputs.cluster", cost(&i.cluster, l)),
            ("inputs.ledger", cost(&i.ledger, l)),
            ("inputs.batch_offsets", cost(&i.batch_offsets, l)),
            ("inputs.generated_at", cost(&i.generated_at, l)),
            ("inputs.mech", cost(&i.mech, l)),
        ]
    }
}

impl Snapshot {
    /// Measurement aid for time travel's memory (issue 15): drops this snapshot part by
    /// part and reports, per part, how many bytes `live_bytes` (the caller's count of live
    /// heap bytes) fell by: what the snapshot alone keeps alive (data still shared with the
    /// live context or another snapshot frees nothing). Not for programs.
    #[doc(hidden)]
    pub fn retained_by_part(self, live_bytes: &dyn Fn() -> usize) -> Vec<(String, usize)> {
        let mut core = self.core;
        let mut out = Vec::new();
        let mut freed = |name: String, f: &mut dyn FnMut()| {
            let before = live_bytes();
            f();
            out.push((name, before.saturating_sub(live_bytes())));
        };
        freed("graph".into(), &mut || core.graph = Graph::new());
        freed("trace".into(), &mut || core.trace = Trace::default());
        freed("inputs.tracker".into(), &mut || {
            core.inputs.tracker = Default::default()
        });
        freed("inputs.sources".into(), &mut || core.inputs.sources.clear());
        freed("inputs.cluster.wal".into(), &mut || {
            core.inputs.cluster.wal.clear()
        });
        freed("inputs.cluster.workers".into(), &mut || {
            core.inputs.cluster.workers.clear()
        });
        freed("inputs.ledger".into(), &mut || {
            core.inputs.ledger = Default::default()
        });
        freed("checkpoint_writer".into(), &mut || {
            core.checkpoint_writer = Default::default()
        });
        freed("outputs".into(), &mut || core.outputs.clear());
        freed("sink_contents".into(), &mut || core.sink_contents.clear());
        freed("rest".into(), &mut || drop(std::mem::take(&mut core.queue)));
        drop(core);
        out
    }
}
