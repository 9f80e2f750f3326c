//! `DStreamGraph` (`DStreamGraph.scala`) and the DStream classes' `compute`
//! (`dstream/*DStream.scala`): streams, the operators between them, and how each produces
//! the RDD of a batch time.
//!
//! Every node mirrors one of Spark's DStream classes (`MappedDStream`, `WindowedDStream`,
//! `ReducedWindowedDStream`, `StateDStream`, ...) and follows its `compute(validTime)`.
//! Composite operators are expanded into nodes the way `DStream.scala` and
//! `PairDStreamFunctions.scala` expand them (e.g. `countByWindow` is
//! `map(_ => 1L).reduceByWindow(_ + _, _ - _, ...)`), so their edge cases match Spark's by
//! construction; `streams` in the REPL shows the expansion.
//!
//! Rules (SPARK-RULES.md, "Time"): a stream has an RDD at time `t` only if `t > zeroTime`
//! and `(t - zeroTime)` is a multiple of its slide duration; generated RDDs are cached per
//! time and forgotten once older than the stream's remember duration.

use super::error::SparkError;
use super::ops::{self, JoinKind, OpCtx};
use super::rdd::Rdd;
use crate::func::Func;
use crate::sim::{Duration, Time};
use crate::value::{SeqKind, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

mod pipelined;
mod shared;
#[cfg(test)]
mod test_lines;
mod window;

/// Index of a stream in the graph (creation order).
pub type StreamId = usize;

/// A function from the RDDs of the parents at a batch time to the RDD of a `transform` or
/// `transformWith` stream. Returning `Ok(None)` is Spark's `null` ("Transform function must
/// not return null").
pub type TransformFn =
    Arc<dyn Fn(&mut OpCtx, &[Rdd], Time) -> Result<Option<Rdd>, SparkError> + Send + Sync>;

/// What an input stream reads; the engine asks its [`InputProvider`] for the RDD at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A receiver-based stream (`socketTextStream` and the CSV event source): the RDD of a
    /// batch is the blocks allocated to it, one partition per block (`BlockRDD`).
    Receiver,
    /// `queueStream`.
    Queue,
    /// `textFileStream` over a simulated directory.
    FileStream,
    /// `KafkaUtils.createDirectStream` over a partitioned log.
    KafkaDirect,
    /// A test input: batch k (0-based) at time `(k+1) * batch` (Spark's `TestInputStream`).
    Test,
}

/// Where input streams get their data from: implemented by the simulation, which owns the
/// receivers, the block tracker, the queues and the simulated directories.
pub trait InputProvider {
    /// The RDD of input stream `stream` (input number `input`) at batch time `t`, or `None`
    /// when the stream has no RDD for that time.
    fn input_rdd(
        &mut self,
        ctx: &mut OpCtx,
        input: usize,
        t: Time,
    ) -> Result<Option<Rdd>, SparkError>;
}

/// The operator of a node.
#[derive(Clone)]
pub enum Op {
    /// An input stream (input number, kind).
    Input(usize, InputKind),
    /// `map(f)`.
    Map(Func),
    /// `flatMap(f)`.
    FlatMap(Func),
    /// `filter(f)`.
    Filter(Func),
    /// `mapPartitions(f)`.
    MapPartitions(Func),
    /// `glom()`.
    Glom,
    /// `repartition(n)`.
    Repartition(usize),
    /// `mapValues(f)`.
    MapValues(Func),
    /// `flatMapValues(f)`.
    FlatMapValues(Func),
    /// `union(others)`.
    Union,
    /// `count()`.
    Count,
    /// `reduce(f)`.
    Reduce(Func),
    /// `countByValue(n)`.
    CountByValue(usize),
    /// `reduceByKey(f, n)` (also the internal reduce steps of window operators).
    ReduceByKey(Func, usize),
    /// `groupByKey(n)`.
    GroupByKey(usize),
    /// The last step of `groupByKeyAndWindow`: merge the windowed `CompactBuffer`s per key
    /// into one `ArrayBuffer` (`combineByKey` in `PairDStreamFunctions`).
    ConcatGroups(usize),
    /// `join`, `leftOuterJoin`, `rightOuterJoin`, `fullOuterJoin` with `n` partitions.
    Join(JoinKind, usize),
    /// `cogroup(other, n)`.
    Cogroup(usize),
    /// `transform` / `transformWith` (and `repartition`, which Spark builds on transform).
    Transform(TransformFn),
    /// `window(length, slide)`.
    Window {
        /// Window length.
        window: Duration,
    },
    /// `reduceByKeyAndWindow` with an inverse function (`ReducedWindowedDStream`); the
    /// parent is the per-batch `reduceByKey` of the original stream.
    ReducedWindow {
        /// The reduce function.
        reduce: Func,
        /// The inverse reduce function.
        inverse: Func,
        /// Keys whose new value fails the filter leave the window state.
        filter: Option<Func>,
        /// Window length.
        window: Duration,
        /// Partitions of the result.
        partitions: usize,
    },
    /// `updateStateByKey(f)` (`StateDStream`).
    UpdateState {
        /// `(values: Seq, state: Option) => Option`, or with `time_aware` the 4-argument
        /// `(time, key, values, state) => Option`.
        update: Func,
        /// Whether `update` takes the batch time and key too.
        time_aware: bool,
        /// Partitions of the state.
        partitions: usize,
        /// The initial state, if any.
        initial: Option<Vec<Value>>,
    },
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Op {
    /// A short description (`map(pair(1))`, `window(30s)`, ...) for `streams` and traces.
    pub fn describe(&self) -> String {
        match self {
            Op::Input(i, k) => format!("input #{i} ({k:?})"),
            Op::Map(f) => format!("map({})", f.name()),
            Op::FlatMap(f) => format!("flatMap({})", f.name()),
            Op::Filter(f) => format!("filter({})", f.name()),
            Op::MapPartitions(f) => format!("mapPartitions({})", f.name()),
            Op::Glom => "glom()".into(),
            Op::Repartition(n) => format!("repartition({n})"),
            Op::MapValues(f) => format!("mapValues({})", f.name()),
            Op::FlatMapValues(f) => format!("flatMapValues({})", f.name()),
            Op::Union => "union".into(),
            Op::Count => "count()".into(),
            Op::Reduce(f) => format!("reduce({})", f.name()),
            Op::CountByValue(n) => format!("countByValue({n})"),
            Op::ReduceByKey(f, n) => format!("reduceByKey({}, {n})", f.name()),
            Op::GroupByKey(n) => format!("groupByKey({n})"),
            Op::ConcatGroups(n) => format!("combineByKey(concatenate groups, {n})"),
            Op::Join(k, n) => format!("{}({n})", k.name()),
            Op::Cogroup(n) => format!("cogroup({n})"),
            Op::Transform(_) => "transform".into(),
            Op::Window { window } => format!("window({window})"),
            Op::ReducedWindow {
                reduce,
                inverse,
                filter,
                window,
                partitions,
            } => format!(
                "reduceByKeyAndWindow({}, {}, {window}, {partitions}{})",
                reduce.name(),
                inverse.name(),
                filter
                    .as_ref()
                    .map(|f| format!(", {}", f.name()))
                    .unwrap_or_default()
            ),
            Op::UpdateState {
                update,
                partitions,
                initial,
                ..
            } => format!(
                "updateStateByKey({}, {partitions}{})",
                update.name(),
                if initial.is_some() {
                    ", initialRDD"
                } else {
                    ""
                }
            ),
        }
    }

    /// Spark's class for a stream with this operator.
    pub fn spark_class(&self) -> &'static str {
        match self {
            Op::Input(_, InputKind::Receiver) => "ReceiverInputDStream",
            Op::Input(_, InputKind::Queue) => "QueueInputDStream",
            Op::Input(_, InputKind::FileStream) => "FileInputDStream",
            Op::Input(_, InputKind::KafkaDirect) => "DirectKafkaInputDStream",
            Op::Input(_, InputKind::Test) => "TestInputStream",
            Op::Map(_) | Op::Count | Op::Reduce(_) => "MappedDStream",
            Op::FlatMap(_) => "FlatMappedDStream",
            Op::Filter(_) => "FilteredDStream",
            Op::MapPartitions(_) => "MapPartitionedDStream",
            Op::Glom => "GlommedDStream",
            Op::MapValues(_) => "MapValuedDStream",
            Op::FlatMapValues(_) => "FlatMapValuedDStream",
            Op::Union => "UnionDStream",
            Op::CountByValue(_) | Op::ReduceByKey(..) | Op::GroupByKey(_) | Op::ConcatGroups(_) => {
                "ShuffledDStream"
            }
            Op::Repartition(_) | Op::Join(..) | Op::Cogroup(_) | Op::Transform(_) => {
                "TransformedDStream"
            }
            Op::Window { .. } => "WindowedDStream",
            Op::ReducedWindow { .. } => "ReducedWindowedDStream",
            Op::UpdateState { .. } => "StateDStream",
        }
    }
}

/// One DStream.
#[derive(Clone)]
pub struct Node {
    id: StreamId,
    /// The name the program gave it (`words`), if any.
    pub name: Option<String>,
    /// What it computes.
    pub op: Op,
    /// Parent streams, in order.
    pub parents: Vec<StreamId>,
    /// How often it produces an RDD.
    pub slide: Duration,
    /// How long its RDDs are kept (set at start).
    pub remember: Duration,
    /// Whether Spark forces checkpointing of this stream (`StateDStream`,
    /// `ReducedWindowedDStream`).
    pub must_checkpoint: bool,
    /// The data checkpoint interval, if checkpointed.
    pub checkpoint_interval: Option<Duration>,
    generated: BTreeMap<Time, Rdd>,
    /// A `ReducedWindowedDStream`'s latest window RDD (a weak handle on its data) with its
    /// keys' hashes, for its next slide (see `dstream_graph/window.rs`); empty for every
    /// other stream. A cache of the live graph: a clone (a snapshot) starts without it.
    window_keys: window::KeptKeys,
    /// The most keys one map-side combiner held in this stream's latest pipelined
    /// `reduceByKey` (0 before one): the next batch's first combiner starts with that much
    /// room. A capacity only, with no effect on any result.
    combine_hint: usize,
}

impl Node {
    /// The stream's id.
    pub fn id(&self) -> StreamId {
        self.id
    }

    /// Its name, or `#id` for streams the program did not name (internal steps of composite
    /// operators).
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("#{}", self.id),
        }
    }

    /// The RDDs it currently remembers, by time.
    pub fn generated(&self) -> &BTreeMap<Time, Rdd> {
        &self.generated
    }
}

/// The whole graph: nodes in creation order.
#[derive(Default, Clone)]
pub struct Graph {
    nodes: Vec<Node>,
    zero: Time,
    /// `pipelined[id]`: stream `id` is a narrow step (`map`, `flatMap`, `filter`) whose only
    /// child pipelines it (see [`Graph::initialize`]).
    pipelined: Vec<bool>,
    /// Identical `reduceByKey`s computed once (`dstream_graph/shared.rs`).
    shared: shared::Shared,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// All nodes, by id.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// One node.
    pub fn node(&self, id: StreamId) -> &Node {
        &self.nodes[id]
    }

    /// A node by name.
    pub fn find(&self, name: &str) -> Option<&Node> {
        self.nodes
            .iter()
            .find(|n| n.name.as_deref() == Some(name) || n.label() == name)
    }

    /// Gives a node a name (the scenario's variable name), unless it has one.
    pub fn name(&mut self, id: StreamId, name: &str) {
        if self.nodes[id].name.is_none() {
            self.nodes[id].name = Some(name.to_string());
        }
    }

    /// Zero time (start time minus one batch interval; 0 for a clock started at 0).
    pub fn zero_time(&self) -> Time {
        self.zero
    }

    /// Adds a node with the given operator and parents; its slide is `slide` or, when
    /// `None`, its first parent's.
    pub fn add(
        &mut self,
        op: Op,
        parents: Vec<StreamId>,
        slide: Option<Duration>,
    ) -> Result<StreamId, SparkError> {
        let parent_slide = parents.first().map(|&p| self.nodes[p].slide);
        if matches!(
            op,
            Op::Union | Op::Join(..) | Op::Cogroup(_) | Op::Transform(_)
        ) && parents.len() > 1
        {
            let first = parent_slide.unwrap_or_default();
            if parents.iter().any(|&p| self.nodes[p].slide != first) {
                return Err(SparkError::DifferentSlides);
            }
        }
        let slide = slide.or(parent_slide).ok_or_else(|| {
            SparkError::InvalidArgument("a stream needs a parent or a slide duration".into())
        })?;
        let must_checkpoint = matches!(op, Op::ReducedWindow { .. } | Op::UpdateState { .. });
        let id = self.nodes.len();
        self.nodes.push(Node {
            id,
            name: None,
            op,
            parents,
            slide,
            remember: slide,
            must_checkpoint,
            checkpoint_interval: None,
            generated: BTreeMap::new(),
            window_keys: window::KeptKeys::default(),
            combine_hint: 0,
        });
        Ok(id)
    }

    /// Sets a stream's data checkpoint interval (`DStream.checkpoint(interval)`).
    pub fn set_checkpoint_interval(&mut self, id: StreamId, interval: Duration) {
        self.nodes[id].checkpoint_interval = Some(interval);
    }

    /// Prepares the graph for a start at zero time `zero` with the given output streams:
    /// default checkpoint intervals, remember durations (as `DStream.initialize` and
    /// `DStream.remember`), then the start-time validation (`validateAtStart`).
    ///
    /// # Errors
    /// [`SparkError::CheckpointDirNotSet`] when a checkpointed stream exists and
    /// `has_checkpoint_dir` is false; [`SparkError::CheckpointIntervalNotMultiple`].
    pub fn initialize(
        &mut self,
        zero: Time,
        outputs: &[StreamId],
        remember: Option<Duration>,
        has_checkpoint_dir: bool,
    ) -> Result<(), SparkError> {
        self.zero = zero;
        for n in &mut self.nodes {
            if n.must_checkpoint && n.checkpoint_interval.is_none() {
                let k = 10_000u64.div_ceil(n.slide.ms().max(1));
                n.checkpoint_interval = Some(n.slide * k);
            }
            let mut min = n.slide;
            if let Some(c) = n.checkpoint_interval {
                if min <= c {
                    min = c * 2;
                }
            }
            n.remember = min;
        }
        for &o in outputs {
            self.remember(o, remember);
        }
        self.plan_pipelines(outputs);
        for n in &self.nodes {
            if let Some(c) = n.checkpoint_interval {
                if !has_checkpoint_dir {
                    return Err(SparkError::CheckpointDirNotSet);
                }
                if !c.is_multiple_of(n.slide) {
                    return Err(SparkError::CheckpointIntervalNotMultiple {
                        class: n.op.spark_class().to_string(),
                        interval: c,
                        slide: n.slide,
                    });
                }
            }
        }
        Ok(())
    }

    fn remember(&mut self, id: StreamId, d: Option<Duration>) {
        let node = &mut self.nodes[id];
        if let Some(d) = d {
            if d > node.remember {
                node.remember = d;
            }
        }
        let parent_remember = match &node.op {
            Op::Window { window } | Op::ReducedWindow { window, .. } => node.remember + *window,
            _ => node.remember,
        };
        for p in node.parents.clone() {
            self.remember(p, Some(parent_remember));
        }
    }

    /// True when stream `id` produces an RDD at `t` (`DStream.isTimeValid`).
    pub fn is_time_valid(&self, id: StreamId, t: Time) -> bool {
        t > self.zero && t.is_aligned(self.zero, self.nodes[id].slide)
    }

    /// The RDD of stream `id` at `t`, computing and caching it (and its parents') if needed
    /// (`DStream.getOrCompute`). `None` when `t` is not valid for the stream or it produced
    /// nothing.
    pub fn get_or_compute(
        &mut self,
        id: StreamId,
        t: Time,
        ctx: &mut OpCtx,
        inputs: &mut dyn InputProvider,
        on_new: &mut dyn FnMut(&Node, Time, &Rdd),
    ) -> Result<Option<Rdd>, SparkError> {
        if let Some(r) = self.nodes[id].generated.get(&t) {
            return Ok(Some(r.clone()));
        }
        if !self.is_time_valid(id, t) {
            return Ok(None);
        }
        let computed = self.compute(id, t, ctx, inputs, on_new)?;
        let Some(mut rdd) = computed else {
            return Ok(None);
        };
        let node = &self.nodes[id];
        if let Some(c) = node.checkpoint_interval {
            if t.is_aligned(self.zero, c) {
                rdd = rdd.checkpointed(ctx.fresh_id());
            }
        }
        on_new(node, t, &rdd);
        self.nodes[id].generated.insert(t, rdd.clone());
        Ok(Some(rdd))
    }

    /// The RDDs of stream `id` at the valid times in `[from, to]` (`DStream.slice`, with
    /// times at or before zero time skipped).
    pub fn slice(
        &mut self,
        id: StreamId,
        from: Option<Time>,
        to: Option<Time>,
        ctx: &mut OpCtx,
        inputs: &mut dyn InputProvider,
        on_new: &mut dyn FnMut(&Node, Time, &Rdd),
    ) -> Result<Vec<Rdd>, SparkError> {
        let (Some(from), Some(to)) = (from, to) else {
            return Ok(Vec::new());
        };
        let slide = self.nodes[id].slide.ms();
        let zero = self.zero.ms();
        // Align both ends down to the stream's slide, as Spark's slice does.
        let align = |t: u64| {
            if t >= zero {
                zero + (t - zero) / slide * slide
            } else {
                t
            }
        };
        let (mut t, end) = (align(from.ms()), align(to.ms()));
        let mut out = Vec::new();
        while t <= end {
            if t > zero {
                if let Some(r) = self.get_or_compute(id, Time(t), ctx, inputs, on_new)? {
                    out.push(r);
                }
            }
            t += slide;
        }
        Ok(out)
    }

    /// The batch times a window of stream `id` covers at `t`: the parent's valid times in
    /// `[t - window + parent_slide, t]` (for `window <stream>` in the REPL).
    pub fn window_times(&self, id: StreamId, t: Time) -> Option<Vec<Time>> {
        let node = &self.nodes[id];
        let window = match &node.op {
            Op::Window { window } | Op::ReducedWindow { window, .. } => *window,
            _ => return None,
        };
        let parent = node.parents[0];
        let ps = self.nodes[parent].slide;
        let from = (t.ms() + ps.ms()).saturating_sub(window.ms());
        let mut times = Vec::new();
        let mut x = from;
        while x <= t.ms() {
            if self.is_time_valid(parent, Time(x)) {
                times.push(Time(x));
            }
            x += ps.ms();
        }
        Some(times)
    }

    fn parent_rdd(
        &mut self,
        id: StreamId,
        k: usize,
        t: Time,
        ctx: &mut OpCtx,
        inputs: &mut dyn InputProvider,
        on_new: &mut dyn FnMut(&Node, Time, &Rdd),
    ) -> Result<Option<Rdd>, SparkError> {
        let p = self.nodes[id].parents[k];
        self.get_or_compute(p, t, ctx, inputs, on_new)
    }

    fn compute(
        &mut self,
        id: StreamId,
        t: Time,
        ctx: &mut OpCtx,
        inputs: &mut dyn InputProvider,
        on_new: &mut dyn FnMut(&Node, Time, &Rdd),
    ) -> Result<Option<Rdd>, SparkError> {
        let op = self.nodes[id].op.clone();
        let label = self.nodes[id].label();
        // Parents first (they set ctx.stream/time for their own lineage).
        macro_rules! parent {
            ($k:expr) => {{
                let r = self.parent_rdd(id, $k, t, ctx, inputs, on_new)?;
                ctx.stream = label.clone();
                ctx.time = t;
                r
            }};
        }
        macro_rules! unary {
            (|$r:ident| $body:expr) => {{
                match parent!(0) {
                    Some($r) => Ok(Some($body?)),
                    None => Ok(None),
                }
            }};
        }
        ctx.stream = label.clone();
        ctx.time = t;
        if let Some(r) = self.compute_pipelined(id, t, ctx, inputs, on_new)? {
            return Ok(r);
        }
        match op {
            Op::Input(i, _) => inputs.input_rdd(ctx, i, t),
            Op::Map(f) => unary!(|r| ops::map(ctx, &r, &f)),
            Op::FlatMap(f) => unary!(|r| ops::flat_map(ctx, &r, &f)),
            Op::Filter(f) => unary!(|r| ops::filter(ctx, &r, &f)),
            Op::MapPartitions(f) => unary!(|r| ops::map_partitions(ctx, &r, &f)),
            Op::Glom => unary!(|r| ops::glom(ctx, &r)),
            Op::Repartition(n) => match parent!(0) {
                Some(r) => Ok(Some(ops::repartition(ctx, &r, n)?)),
                None => Err(SparkError::MissingParent(t)),
            },
            Op::MapValues(f) => unary!(|r| ops::map_values(ctx, &r, &f)),
            Op::FlatMapValues(f) => unary!(|r| ops::flat_map_values(ctx, &r, &f)),
            // count is built on transform in Spark, so a missing parent RDD is an error.
            Op::Count => match parent!(0) {
                Some(r) => Ok(Some(ops::count(ctx, &r)?)),
                None => Err(SparkError::MissingParent(t)),
            },
            Op::Reduce(f) => unary!(|r| ops::reduce(ctx, &r, &f)),
            Op::CountByValue(n) => unary!(|r| ops::count_by_value(ctx, &r, n)),
            Op::ReduceByKey(f, n) => unary!(|r| ops::reduce_by_key(ctx, &r, &f, n, "reduceByKey")),
            // PairDStreamFunctions.groupByKey: combineByKey into an ArrayBuffer.
            Op::GroupByKey(n) => {
                unary!(|r| ops::group_by_key_into(ctx, &r, n, SeqKind::ArrayBuffer))
            }
            Op::ConcatGroups(n) => unary!(|r| concat_groups(ctx, &r, n)),
            Op::Union => {
                let mut rdds = Vec::new();
                for k in 0..self.nodes[id].parents.len() {
                    match parent!(k) {
                        Some(r) => rdds.push(r),
                        None => return Err(SparkError::UnionMissingParent(t)),
                    }
                }
                let refs: Vec<&Rdd> = rdds.iter().collect();
                Ok(Some(ops::union(ctx, &refs)))
            }
            Op::Join(kind, n) => {
                let (Some(a), Some(b)) = (parent!(0), parent!(1)) else {
                    return Err(SparkError::MissingParent(t));
                };
                Ok(Some(ops::join(ctx, &a, &b, kind, n)?))
            }
            Op::Cogroup(n) => {
                let (Some(a), Some(b)) = (parent!(0), parent!(1)) else {
                    return Err(SparkError::MissingParent(t));
                };
                Ok(Some(ops::cogroup(ctx, &[&a, &b], n)?))
            }
            Op::Transform(f) => {
                let mut rdds = Vec::new();
                for k in 0..self.nodes[id].parents.len() {
                    match parent!(k) {
                        Some(r) => rdds.push(r),
                        None => return Err(SparkError::MissingParent(t)),
                    }
                }
                match f(ctx, &rdds, t)? {
                    Some(r) => Ok(Some(r)),
                    None => Err(SparkError::TransformReturnedNull),
                }
            }
            Op::Window { window } => {
                let parent = self.nodes[id].parents[0];
                let ps = self.nodes[parent].slide;
                let from = Some(Time((t.ms() + ps.ms()).saturating_sub(window.ms())));
                let rdds = self.slice(parent, from, Some(t), ctx, inputs, on_new)?;
                ctx.stream = label.clone();
                ctx.time = t;
                let refs: Vec<&Rdd> = rdds.iter().collect();
                Ok(Some(ops::union(ctx, &refs)))
            }
            Op::ReducedWindow {
                reduce,
                inverse,
                filter,
                window,
                partitions,
            } => self.compute_reduced_window(
                id,
                t,
                ctx,
                inputs,
                on_new,
                (&reduce, &inverse, filter.as_ref(), window, partitions),
            ),
            Op::UpdateState {
                update,
                time_aware,
                partitions,
                initial,
            } => self.compute_state(
                id, t, ctx, inputs, on_new, &update, time_aware, partitions, initial,
            ),
        }
    }

    /// `StateDStream.compute`: cogroup the batch with the previous state and apply the
    /// update function to every key (new values or not); `None` removes the key.
    #[allow(clippy::too_many_arguments)]
    fn compute_state(
        &mut self,
        id: StreamId,
        t: Time,
        ctx: &mut OpCtx,
        inputs: &mut dyn InputProvider,
        on_new: &mut dyn FnMut(&Node, Time, &Rdd),
        update: &Func,
        time_aware: bool,
        partitions: usize,
        initial: Option<Vec<Value>>,
    ) -> Result<Option<Rdd>, SparkError> {
        let label = self.nodes[id].label();
        let slide = self.nodes[id].slide;
        let previous = match t.checked_minus(slide) {
            Some(pt) => self.get_or_compute(id, pt, ctx, inputs, on_new)?,
            None => None,
        };
        let parent = self.parent_rdd(id, 0, t, ctx, inputs, on_new)?;
        ctx.stream = label;
        ctx.time = t;
        let initial_rdd = match (&previous, initial) {
            (None, Some(init)) => {
                Some(ctx.parallelize(init, partitions, "ParallelCollectionRDD[initialRDD]"))
            }
            _ => None,
        };
        let prev = previous.as_ref().or(initial_rdd.as_ref());
        let fail = |e| SparkError::Function {
            op: "updateStateByKey".into(),
            time: t,
            error: e,
        };
        let call =
            |k: &Value, values: Vec<Value>, state: Option<&Value>| -> Result<Value, SparkError> {
                let values = Value::seq(SeqKind::List, values);
                let state = match state {
                    Some(s) => Value::some(s.clone()),
                    None => Value::none(),
                };
                let r = if time_aware {
                    update.call(&[Value::Int(t.ms() as i64), k.clone(), values, state])
                } else {
                    update.call2(&values, &state)
                };
                r.map_err(fail)
            };
        let emit = |out: &mut Vec<Value>, k: Value, r: Value| -> Result<(), SparkError> {
            match r {
                Value::Opt(Some(s)) => out.push(Value::pair(k, (*s).clone())),
                Value::Opt(None) => {}
                other => {
                    return Err(fail(crate::func::EvalError {
                        message: format!(
                            "the update function must return Some(state) or None, not {other}"
                        ),
                    }))
                }
            }
            Ok(())
        };
        let (parts, parents): (Vec<Vec<Value>>, Vec<&Rdd>) = match (prev, parent.as_ref()) {
            (Some(prev), Some(batch)) => {
                let groups = ops::cogroup_raw(&[batch, prev], partitions, "updateStateByKey")?;
                let mut parts = Vec::new();
                for entries in groups {
                    let mut out = Vec::new();
                    for (k, mut lists) in entries {
                        let state = lists[1].first().cloned();
                        let values = std::mem::take(&mut lists[0]);
                        let r = call(&k, values, state.as_ref())?;
                        emit(&mut out, k, r)?;
                    }
                    parts.push(out);
                }
                (parts, vec![batch, prev])
            }
            (Some(prev), None) => {
                let mut parts = Vec::new();
                for p in prev.partitions() {
                    let mut out = Vec::new();
                    for rec in p {
                        let (k, s) = rec.as_pair().ok_or_else(|| SparkError::NotAPair {
                            op: "updateStateByKey".into(),
                            found: rec.to_string(),
                        })?;
                        let r = call(k, Vec::new(), Some(s))?;
                        emit(&mut out, k.clone(), r)?;
                    }
                    parts.push(out);
                }
                (parts, vec![prev])
            }
            (None, Some(batch)) => {
                let groups = ops::cogroup_raw(&[batch], partitions, "updateStateByKey")?;
                let mut parts = Vec::new();
                for entries in groups {
                    let mut out = Vec::new();
                    for (k, mut lists) in entries {
                        let values = std::mem::take(&mut lists[0]);
                        let r = call(&k, values, None)?;
                        emit(&mut out, k, r)?;
                    }
                    parts.push(out);
                }
                (parts, vec![batch])
            }
            (None, None) => return Ok(None),
        };
        let lineage = ctx.lineage(
            "MapPartitionsRDD[updateStateByKey] of CoGroupedRDD",
            &parents,
            true,
        );
        Ok(Some(Rdd::new(parts, Some(partitions), lineage)))
    }

    /// Each stream's remembered RDDs, mutable (time travel shares their data).
    pub fn generated_mut(&mut self) -> impl Iterator<Item = &mut BTreeMap<Time, Rdd>> {
        self.nodes.iter_mut().map(|n| &mut n.generated)
    }

    /// The state of a state stream (or the window value of a windowed stream) most recently
    /// computed at or before `t`.
    pub fn latest_at(&self, id: StreamId, t: Time) -> Option<(Time, &Rdd)> {
        self.nodes[id]
            .generated
            .range(..=t)
            .next_back()
            .map(|(t, r)| (*t, r))
    }

    /// The driver died: every generated RDD is gone, except (with `keep_checkpointed`) the
    /// checkpointed RDDs, which are in reliable storage and come back with the checkpoint.
    pub fn forget_all(&mut self, keep_checkpointed: bool) {
        for n in &mut self.nodes {
            n.generated
                .retain(|_, r| keep_checkpointed && r.lineage().checkpointed);
            n.window_keys.0 = None;
        }
    }

    /// Forgets RDDs older than each stream's remember duration (`DStream.clearMetadata`):
    /// those with time `<= t - remember`. Returns (stream, times) of what was dropped.
    pub fn clear_old(&mut self, t: Time) -> Vec<(StreamId, Vec<Time>)> {
        let mut dropped = Vec::new();
        for n in &mut self.nodes {
            let Some(limit) = t.checked_minus(n.remember) else {
                continue;
            };
            // Nothing old enough (the common case): no map is split or rebuilt.
            if n.generated
                .first_key_value()
                .is_none_or(|(k, _)| *k > limit)
            {
                continue;
            }
            let keep = n.generated.split_off(&Time(limit.ms() + 1));
            let old = std::mem::replace(&mut n.generated, keep);
            if !old.is_empty() {
                dropped.push((n.id, old.into_keys().collect()));
            }
        }
        dropped
    }
}

fn concat_groups(ctx: &mut OpCtx, rdd: &Rdd, n: usize) -> Result<Rdd, SparkError> {
    let groups = ops::cogroup_raw(&[rdd], n, "groupByKeyAndWindow")?;
    let parts = groups
        .into_iter()
        .map(|entries| {
            entries
                .into_iter()
                .map(|(k, lists)| {
                    let mut all = Vec::new();
                    for buf in &lists[0] {
                        if let Value::Seq(_, items) = buf {
                            all.extend(items.iter().cloned());
                        }
                    }
                    Value::pair(k, Value::seq(SeqKind::ArrayBuffer, all))
                })
                .collect()
        })
        .collect();
    let lineage = ctx.lineage("ShuffledRDD[combineByKey]", &[rdd], true);
    Ok(Rdd::new(parts, Some(n.max(1)), lineage))
}
