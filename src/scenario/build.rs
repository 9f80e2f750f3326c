//! Building a scenario: from the program's syntax tree to a started `StreamingContext`.
//!
//! Each statement's right-hand side is a chain of method calls on a stream; each method is
//! one of Spark's DStream operators, called with Spark's argument order (see
//! [`OPERATORS`]). Function arguments are compiled by `expr::compile`; `transform` lambdas
//! are compiled into an [`RddPlan`] that runs the same operators on the batch's RDD. Engine
//! errors raised while building (a window that is not a multiple of the batch interval) are
//! reported at the call's position.

mod broadcast;
mod foreach;
mod sketches;

use super::ast::{Expr, ExprKind, Literal, Span};
use super::error::ScenarioError;
use super::limits;
pub use super::operators::OPERATORS;
pub use super::rdd_plan::{RddOp, RddPlan};
use super::spec::{Scenario, SourceKind};
use crate::io::QueueSource;
use crate::models::dstream::ops::{JoinKind, OpCtx};
use crate::models::dstream::Config;
use crate::models::dstream::TransformFn;
use crate::models::dstream::{DStream, Rdd, SparkError, StreamingContext};
use crate::scenario::expr::{compile, eval_const, Func};
use crate::sim::{Duration, Time};
use crate::value::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Options of one run of a scenario.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The root seed.
    pub seed: u64,
    /// Where `saveAsTextFiles` writes (the scenario's `output_dir` wins if it sets one).
    pub output_dir: PathBuf,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            seed: 0,
            output_dir: PathBuf::from("out"),
        }
    }
}

/// A built, started scenario.
pub struct Built {
    /// The started context.
    pub ssc: StreamingContext,
    /// Named streams (sources and the program's variables).
    pub streams: BTreeMap<String, DStream>,
    /// Where `run` stops by default (the scenario's `run_for`).
    pub default_until: Time,
    /// Every operator call of the program, by name, with its position (`file:line:col`),
    /// in program order: [`Built::locate`] names the operator of a failed job.
    pub operators: Vec<(String, String)>,
}

struct Builder<'a> {
    scenario: &'a Scenario,
    streams: BTreeMap<String, DStream>,
    stateful_at: Option<Span>,
    /// Per built DStream: (depth, paths) of its lineage down to the input streams, for
    /// [`limits::MAX_LINEAGE_DEPTH`] and [`limits::MAX_LINEAGE_PATHS`].
    lineage: BTreeMap<usize, Lineage>,
    /// Operator calls seen so far: name and `file:line:col`.
    operators: Vec<(String, String)>,
    /// The position of the operator being built (`file:line:col: `), put before the
    /// errors its functions raise at run time.
    op_at: String,
    /// The lineage of the parents of each method call being built (innermost last).
    frames: Vec<Lineage>,
}

/// The longest chain and the number of paths from a DStream down to the input streams.
#[derive(Clone, Copy, Default)]
struct Lineage {
    depth: u64,
    paths: u64,
}

impl Lineage {
    /// Adds a parent: the deepest chain and the sum of the paths.
    fn add(&mut self, parent: Lineage) {
        self.depth = self.depth.max(parent.depth);
        self.paths = self.paths.saturating_add(parent.paths);
    }
}

impl Scenario {
    /// Builds the program on a new context and starts it.
    ///
    /// # Errors
    /// A [`ScenarioError`] at the position of the offending name, call or argument, with
    /// Spark's message for engine rules (window multiples, missing checkpoint directory, no
    /// output operation).
    pub fn build(&self, options: &RunOptions) -> Result<Built, ScenarioError> {
        self.build_and_start(options)
    }

    /// Builds the program without starting (the context is then in state `Initialized`);
    /// [`Scenario::build`] builds and starts.
    ///
    /// # Errors
    /// As [`Scenario::build`], without the start-time checks.
    pub fn build_graph(
        &self,
        options: &RunOptions,
    ) -> Result<(Built, Option<Span>), ScenarioError> {
        let mut config = Config::new(self.batch_interval);
        config.block_interval = self.block_interval;
        config.default_parallelism = self.default_parallelism;
        config.seed = options.seed;
        config.cluster = self.cluster.clone();
        if let Some(rates) = &self.cluster.random_faults {
            // Random faults are drawn from the run's seed, between the first batch and the
            // end of the scenario's run.
            let drawn = crate::cluster::FaultPlan::at_rates(
                &crate::sim::rng::SeedTree::new(options.seed),
                rates,
                self.cluster.workers,
                Time::ZERO.plus(self.batch_interval),
                Time::ZERO.plus(self.run_for),
            );
            config.cluster.faults.faults.extend(drawn.faults);
            config.cluster.faults.faults.sort_by_key(|(t, _)| *t);
        }
        config.output_dir = self
            .output_dir
            .clone()
            .unwrap_or_else(|| options.output_dir.clone());
        let ssc =
            StreamingContext::new(config).map_err(|e| self.err(Span::default(), e.to_string()))?;
        if let Some(dir) = &self.checkpoint {
            ssc.checkpoint(dir);
        }
        if let Some(r) = self.remember {
            ssc.remember(r);
        }
        let mut b = Builder {
            scenario: self,
            streams: BTreeMap::new(),
            stateful_at: None,
            lineage: BTreeMap::new(),
            frames: Vec::new(),
            operators: Vec::new(),
            op_at: String::new(),
        };
        for src in &self.sources {
            let s = match &src.kind {
                SourceKind::Socket {
                    records, reliable, ..
                }
                | SourceKind::Csv {
                    records, reliable, ..
                } => ssc.receiver_stream_with(&src.name, records.clone(), *reliable),
                SourceKind::Queue {
                    batches,
                    one_at_a_time,
                    default,
                } => ssc.queue_stream(
                    &src.name,
                    QueueSource {
                        queue: batches.iter().cloned().collect(),
                        one_at_a_time: *one_at_a_time,
                        default: default.clone(),
                    },
                ),
                SourceKind::Files { dir, drops } => {
                    ssc.text_file_stream(&src.name, dir, drops.clone())
                }
                SourceKind::KafkaDirect {
                    records,
                    partitions,
                } => ssc.kafka_direct_stream(&src.name, records, *partitions),
                SourceKind::Batches {
                    batches,
                    partitions,
                } => ssc.test_stream(&src.name, batches.clone(), *partitions),
            }
            .map_err(|e| self.err(src.span, e.to_string()))?;
            b.lineage.insert(s.id(), Lineage { depth: 0, paths: 1 });
            b.streams.insert(src.name.clone(), s);
        }
        crate::scenario::expr::broadcast::clear();
        for st in &self.program.statements {
            let taken = |n: &str| self.datasets.contains_key(n) || b.streams.contains_key(n);
            if broadcast::statement(self, &ssc, taken, st)? {
                continue;
            }
            let result = b.stream_expr(&st.expr, true)?;
            match (&st.target, result) {
                (Some(target), Some(s)) => {
                    if self.datasets.contains_key(&target.name) || b.streams.contains_key(&target.name) {
                        return Err(self.err(target.span, format!("`{}` is already defined; pick another name", target.name)));
                    }
                    s.set_name(&target.name);
                    b.streams.insert(target.name.clone(), s);
                }
                (Some(target), None) => {
                    return Err(self.err(
                        target.span,
                        format!("`{}` would name the result of an output operation, which is not a stream; write the output operation on its own line", target.name),
                    ))
                }
                (None, _) => {}
            }
        }
        let stateful_at = b.stateful_at;
        let operators = b.operators;
        let until = Time::ZERO.plus(self.run_for);
        Ok((
            Built {
                ssc,
                streams: b.streams,
                default_until: until,
                operators,
            },
            stateful_at,
        ))
    }

    fn build_and_start(&self, options: &RunOptions) -> Result<Built, ScenarioError> {
        let (built, stateful_at) = self.build_graph(options)?;
        built.ssc.start().map_err(|e| {
            let at = match e {
                SparkError::CheckpointDirNotSet
                | SparkError::CheckpointIntervalNotMultiple { .. } => {
                    stateful_at.unwrap_or(self.pipeline_span)
                }
                _ => self.pipeline_span,
            };
            let hint = match e {
                SparkError::CheckpointDirNotSet => {
                    " (add `checkpoint = \"checkpoints/NAME\"` under [context])"
                }
                SparkError::NoOutputOperations => {
                    " (add an output operation, e.g. `counts.print()`)"
                }
                _ => "",
            };
            self.err(at, format!("{e}{hint}"))
        })?;
        Ok(built)
    }

    fn err(&self, at: Span, message: String) -> ScenarioError {
        ScenarioError::at(&self.path, at.line, at.col, message)
    }
}

fn describe_expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Lit(Literal::Str(s)) => format!("the string \"{s}\""),
        ExprKind::Lit(Literal::Duration(d)) => format!("the duration {d}"),
        ExprKind::Lit(_) => "a constant".into(),
        ExprKind::Var(v) => format!("`{v}`"),
        ExprKind::Lambda { .. } => "a function".into(),
        ExprKind::Call { func, .. } => format!("`{}(...)`", func.name),
        ExprKind::Method { name, .. } => format!("`...{}(...)`", name.name),
        _ => "an expression".into(),
    }
}

impl Builder<'_> {
    fn err(&self, at: Span, message: impl Into<String>) -> ScenarioError {
        self.scenario.err(at, message.into())
    }

    fn names(&self) -> String {
        let mut all: Vec<&str> = self.streams.keys().map(String::as_str).collect();
        all.extend(self.scenario.datasets.keys().map(String::as_str));
        if all.is_empty() {
            "(none yet)".into()
        } else {
            all.join(", ")
        }
    }

    fn lookup(&self, name: &str, at: Span) -> Result<DStream, ScenarioError> {
        if let Some(s) = self.streams.get(name) {
            return Ok(s.clone());
        }
        if self.scenario.datasets.contains_key(name) {
            return Err(self.err(at, format!("`{name}` is a static dataset, not a stream; use it inside transform, e.g. `s.transform(rdd => rdd.join({name}))`")));
        }
        Err(self.err(
            at,
            format!(
                "unknown stream `{name}`; streams defined so far: {}",
                self.names()
            ),
        ))
    }

    /// Evaluates a stream expression. Returns `None` for an output operation (allowed only
    /// at statement level).
    fn stream_expr(&mut self, e: &Expr, top: bool) -> Result<Option<DStream>, ScenarioError> {
        match &e.kind {
            ExprKind::Var(name) => Ok(Some(self.lookup(name, e.span)?)),
            ExprKind::Method { recv, name, args } => {
                let Some(stream) = self.stream_expr(recv, false)? else {
                    return Err(self.err(
                        recv.span,
                        "an output operation returns nothing, so nothing can follow it",
                    ));
                };
                let args = args.clone().unwrap_or_default();
                let recv_lineage = self.lineage_of(&stream);
                self.frames.push(recv_lineage);
                let out = self.apply(&stream, &name.name, &args, name.span);
                let mut lineage = self.frames.pop().unwrap_or_default();
                let out = out?;
                if let Some(new) = &out {
                    if new.id() != stream.id() {
                        lineage.depth += 1;
                        self.check_lineage(lineage, name.span)?;
                        self.lineage.insert(new.id(), lineage);
                    }
                }
                if out.is_none() && !top {
                    return Err(self.err(
                        name.span,
                        format!(
                            "`{}` is an output operation; it must end its statement",
                            name.name
                        ),
                    ));
                }
                Ok(out)
            }
            _ => Err(self.err(
                e.span,
                format!(
                    "expected a stream, e.g. `lines` or `lines.map(f)`, found {}",
                    describe_expr(e)
                ),
            )),
        }
    }

    fn func(&self, e: &Expr, arity: usize) -> Result<Func, ScenarioError> {
        let f = compile(e, arity).map_err(|c| self.err(c.span, c.message))?;
        Ok(if self.op_at.is_empty() {
            f
        } else {
            f.with_error_context(&self.op_at)
        })
    }

    /// Refuses a number without a unit where a duration (`what`) may stand, saying a
    /// duration needs a unit (rather than that a function was expected).
    fn no_bare_number(&self, e: &Expr, what: &str) -> Result<(), ScenarioError> {
        let n = match &e.kind {
            ExprKind::Lit(Literal::Int(n)) => n.to_string(),
            ExprKind::Lit(Literal::Float(x)) => x.to_string(),
            _ => return Ok(()),
        };
        Err(self.err(
            e.span,
            format!("`{n}` is a number without a unit; {what} is a duration, which needs a unit: {n}ms, {n}s, {n}min or {n}h"),
        ))
    }

    fn duration(&self, e: &Expr, what: &str) -> Result<Duration, ScenarioError> {
        self.no_bare_number(e, what)?;
        match &e.kind {
            ExprKind::Lit(Literal::Duration(d)) => Ok(*d),
            _ => Err(self.err(
                e.span,
                format!(
                    "{what} must be a duration like 10s or 500ms, found {}",
                    describe_expr(e)
                ),
            )),
        }
    }

    fn count_arg(&self, e: &Expr, what: &str) -> Result<usize, ScenarioError> {
        let max = limits::MAX_PARTITIONS;
        match &e.kind {
            ExprKind::Lit(Literal::Int(n)) if *n >= 1 && n.unsigned_abs() <= max as u64 => {
                Ok(*n as usize)
            }
            ExprKind::Lit(Literal::Int(n)) if *n >= 1 => Err(self.err(
                e.span,
                format!("{what} is {n}, over the limit of {max} partitions (MAX_PARTITIONS, src/scenario/limits.rs): each partition is a task of every batch"),
            )),
            ExprKind::Lit(Literal::Int(n)) => Err(self.err(
                e.span,
                format!("{what} must be a positive integer, found {n}"),
            )),
            _ => Err(self.err(
                e.span,
                format!(
                    "{what} must be a positive integer (at most {max}), found {}",
                    describe_expr(e)
                ),
            )),
        }
    }

    fn is_duration(e: &Expr) -> bool {
        matches!(e.kind, ExprKind::Lit(Literal::Duration(_)))
    }

    fn arity(
        &self,
        name: &str,
        args: &[Expr],
        at: Span,
        min: usize,
        max: usize,
    ) -> Result<(), ScenarioError> {
        if args.len() < min || args.len() > max {
            let form = OPERATORS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, f)| *f)
                .unwrap_or(name);
            return Err(self.err(
                at,
                format!(
                    "{name} takes {} argument{}: {form}; found {}",
                    if min == max {
                        min.to_string()
                    } else {
                        format!("{min} to {max}")
                    },
                    if max == 1 { "" } else { "s" },
                    args.len()
                ),
            ));
        }
        Ok(())
    }

    fn engine<T>(&self, at: Span, r: Result<T, SparkError>) -> Result<T, ScenarioError> {
        r.map_err(|e| self.err(at, e.to_string()))
    }

    fn opt_partitions(&self, args: &[Expr], i: usize) -> Result<Option<usize>, ScenarioError> {
        args.get(i)
            .map(|a| self.count_arg(a, "numPartitions"))
            .transpose()
    }

    fn apply(
        &mut self,
        s: &DStream,
        name: &str,
        args: &[Expr],
        at: Span,
    ) -> Result<Option<DStream>, ScenarioError> {
        let position = format!("{}:{}:{}", self.scenario.path.display(), at.line, at.col);
        self.op_at = format!("{position}: ");
        self.operators.push((name.to_string(), position));
        let one_fn = |b: &Self, arity: usize| -> Result<Func, ScenarioError> {
            b.arity(name, args, at, 1, 1)?;
            b.func(&args[0], arity)
        };
        let r = match name {
            "map" => s.map(one_fn(self, 1)?),
            "flatMap" => s.flat_map(one_fn(self, 1)?),
            "filter" => s.filter(one_fn(self, 1)?),
            "mapPartitions" => s.map_partitions(one_fn(self, 1)?),
            "mapValues" => s.map_values(one_fn(self, 1)?),
            "flatMapValues" => s.flat_map_values(one_fn(self, 1)?),
            "glom" => {
                self.arity(name, args, at, 0, 0)?;
                s.glom()
            }
            "count" => {
                self.arity(name, args, at, 0, 0)?;
                s.count()
            }
            "persist" | "cache" => {
                self.arity(name, args, at, 0, 1)?;
                Ok(s.clone())
            }
            "repartition" => {
                self.arity(name, args, at, 1, 1)?;
                s.repartition(self.count_arg(&args[0], "numPartitions")?)
            }
            "reduce" => s.reduce(one_fn(self, 2)?),
            "countByValue" => {
                self.arity(name, args, at, 0, 1)?;
                s.count_by_value(self.opt_partitions(args, 0)?)
            }
            "reduceByKey" => {
                self.arity(name, args, at, 1, 2)?;
                s.reduce_by_key(self.func(&args[0], 2)?, self.opt_partitions(args, 1)?)
            }
            "groupByKey" => {
                self.arity(name, args, at, 0, 1)?;
                s.group_by_key(self.opt_partitions(args, 0)?)
            }
            "union" => {
                self.arity(name, args, at, 1, 64)?;
                let mut others = Vec::new();
                for a in args {
                    others.push(self.stream_arg(a)?);
                }
                s.union(&others)
            }
            "join" | "leftOuterJoin" | "rightOuterJoin" | "fullOuterJoin" => {
                self.arity(name, args, at, 1, 2)?;
                let kind = match name {
                    "join" => JoinKind::Inner,
                    "leftOuterJoin" => JoinKind::LeftOuter,
                    "rightOuterJoin" => JoinKind::RightOuter,
                    _ => JoinKind::FullOuter,
                };
                let other = self.stream_arg(&args[0])?;
                s.join(&other, kind, self.opt_partitions(args, 1)?)
            }
            "cogroup" => {
                self.arity(name, args, at, 1, 2)?;
                let other = self.stream_arg(&args[0])?;
                s.cogroup(&other, self.opt_partitions(args, 1)?)
            }
            "transform" => {
                self.arity(name, args, at, 1, 1)?;
                let f = self.transform_fn(&args[0], 1)?;
                s.transform(&[], f)
            }
            "transformWith" => {
                self.arity(name, args, at, 2, 2)?;
                let other = self.stream_arg(&args[0])?;
                let f = self.transform_fn(&args[1], 2)?;
                s.transform(&[other], f)
            }
            "updateStateByKey" => {
                self.arity(name, args, at, 1, 3)?;
                self.stateful_at.get_or_insert(at);
                let time_aware =
                    matches!(&args[0].kind, ExprKind::Lambda { params, .. } if params.len() == 4);
                let f = self.func(&args[0], if time_aware { 4 } else { 2 })?;
                let (mut n, mut initial) = (None, None);
                for a in &args[1..] {
                    match &a.kind {
                        ExprKind::Lit(Literal::Int(_)) => {
                            n = Some(self.count_arg(a, "numPartitions")?)
                        }
                        _ => initial = Some(self.dataset_arg(a)?.as_ref().clone()),
                    }
                }
                s.update_state_by_key(f, time_aware, n, initial)
            }
            "window" => {
                self.arity(name, args, at, 1, 2)?;
                let w = self.duration(&args[0], "windowLength")?;
                let sl = args
                    .get(1)
                    .map(|a| self.duration(a, "slideInterval"))
                    .transpose()?;
                s.window(w, sl)
            }
            "countByWindow" => {
                self.arity(name, args, at, 2, 2)?;
                self.stateful_at.get_or_insert(at);
                let w = self.duration(&args[0], "windowLength")?;
                let sl = self.duration(&args[1], "slideInterval")?;
                s.count_by_window(w, sl)
            }
            "reduceByWindow" => {
                self.arity(name, args, at, 3, 4)?;
                let f = self.func(&args[0], 2)?;
                if args.len() == 4 {
                    self.stateful_at.get_or_insert(at);
                    let inv = self.func(&args[1], 2)?;
                    let w = self.duration(&args[2], "windowLength")?;
                    let sl = self.duration(&args[3], "slideInterval")?;
                    s.reduce_by_window_inv(f, inv, w, sl)
                } else {
                    let w = self.duration(&args[1], "windowLength")?;
                    let sl = self.duration(&args[2], "slideInterval")?;
                    s.reduce_by_window(f, w, sl)
                }
            }
            "reduceByKeyAndWindow" => {
                self.arity(name, args, at, 2, 6)?;
                let f = self.func(&args[0], 2)?;
                self.no_bare_number(
                    &args[1],
                    "the window length (or the inverse function, e.g. `sub`)",
                )?;
                if Self::is_duration(&args[1]) {
                    self.arity(name, args, at, 2, 4)?;
                    let w = self.duration(&args[1], "windowLength")?;
                    let sl = args
                        .get(2)
                        .map(|a| self.duration(a, "slideInterval"))
                        .transpose()?;
                    s.reduce_by_key_and_window(f, w, sl, self.opt_partitions(args, 3)?)
                } else {
                    self.arity(name, args, at, 3, 6)?;
                    self.stateful_at.get_or_insert(at);
                    let inv = self.func(&args[1], 2)?;
                    let w = self.duration(&args[2], "windowLength")?;
                    let sl = args
                        .get(3)
                        .map(|a| self.duration(a, "slideInterval"))
                        .transpose()?;
                    let n = self.opt_partitions(args, 4)?;
                    let filter = args.get(5).map(|a| self.func(a, 1)).transpose()?;
                    s.reduce_by_key_and_window_inv(f, inv, w, sl, n, filter)
                }
            }
            "countByValueAndWindow" => {
                self.arity(name, args, at, 2, 3)?;
                self.stateful_at.get_or_insert(at);
                let w = self.duration(&args[0], "windowLength")?;
                let sl = self.duration(&args[1], "slideInterval")?;
                s.count_by_value_and_window(w, sl, self.opt_partitions(args, 2)?)
            }
            "groupByKeyAndWindow" => {
                self.arity(name, args, at, 1, 3)?;
                let w = self.duration(&args[0], "windowLength")?;
                let sl = args
                    .get(1)
                    .map(|a| self.duration(a, "slideInterval"))
                    .transpose()?;
                s.group_by_key_and_window(w, sl, self.opt_partitions(args, 2)?)
            }
            "sample"
            | "sampleByWindow"
            | "heavyHitters"
            | "heavyHittersByWindow"
            | "approxDistinct"
            | "approxDistinctByWindow"
            | "approxDistinctByKey"
            | "approxQuantile"
            | "approxQuantileByWindow"
            | "approxCountByValueAndWindow"
            | "weightedSample"
            | "freqItems"
            | "approxSumOverLast" => self.sketch_op(s, name, args, at)?,
            "checkpoint" => {
                self.arity(name, args, at, 1, 1)?;
                let d = self.duration(&args[0], "interval")?;
                s.checkpoint(d)
            }
            "print" | "pprint" => {
                self.arity(name, args, at, 0, 1)?;
                let n = args
                    .first()
                    .map(|a| self.count_arg(a, "num"))
                    .transpose()?
                    .unwrap_or(10);
                self.engine(at, s.print(n))?;
                return Ok(None);
            }
            "saveAsTextFiles" => {
                self.arity(name, args, at, 1, 2)?;
                let text = |b: &Self, e: &Expr| -> Result<String, ScenarioError> {
                    match &e.kind {
                        ExprKind::Lit(Literal::Str(s)) => Ok(s.clone()),
                        _ => Err(b.err(
                            e.span,
                            format!("expected a string, found {}", describe_expr(e)),
                        )),
                    }
                };
                let prefix = text(self, &args[0])?;
                let suffix = args.get(1).map(|a| text(self, a)).transpose()?;
                self.engine(at, s.save_as_text_files(&prefix, suffix.as_deref()))?;
                return Ok(None);
            }
            "foreachRDD" => {
                if args.len() != 1 {
                    return Err(self.err(at, foreach::FOREACH_FORMS));
                }
                let pattern =
                    foreach::foreach_pattern(&args[0]).map_err(|(sp, m)| self.err(sp, m))?;
                self.engine(at, s.foreach_rdd_connections(pattern))?;
                return Ok(None);
            }
            other => {
                let known: Vec<&str> = OPERATORS.iter().map(|(n, _)| *n).collect();
                let hint = crate::scenario::expr::suggest_name(other, known.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(self.err(
                    at,
                    format!(
                        "unknown DStream operation `{other}`{hint}; operations are: {}",
                        known.join(", ")
                    ),
                ));
            }
        };
        Ok(Some(self.engine(at, r)?))
    }

    fn stream_arg(&mut self, e: &Expr) -> Result<DStream, ScenarioError> {
        match self.stream_expr(e, false)? {
            Some(s) => {
                // Another parent of the call being built: checked before the engine
                // builds the call, which could otherwise walk 2^40 paths.
                let parent = self.lineage_of(&s);
                if let Some(mut frame) = self.frames.pop() {
                    frame.add(parent);
                    let checked = self.check_lineage(
                        Lineage {
                            depth: frame.depth + 1,
                            paths: frame.paths,
                        },
                        e.span,
                    );
                    self.frames.push(frame);
                    checked?;
                }
                Ok(s)
            }
            None => Err(self.err(e.span, "expected a stream")),
        }
    }

    /// The lineage of a stream built so far (an unknown one counts as an input stream).
    fn lineage_of(&self, s: &DStream) -> Lineage {
        self.lineage
            .get(&s.id())
            .copied()
            .unwrap_or(Lineage { depth: 0, paths: 1 })
    }

    /// Refuses a DStream whose lineage is deeper than [`limits::MAX_LINEAGE_DEPTH`] or has
    /// more paths than [`limits::MAX_LINEAGE_PATHS`].
    fn check_lineage(&self, l: Lineage, at: Span) -> Result<(), ScenarioError> {
        if l.depth > limits::MAX_LINEAGE_DEPTH {
            return Err(self.err(at, format!(
                "this DStream is {} transformations deep, over the limit of {} (MAX_LINEAGE_DEPTH, src/scenario/limits.rs): the engine computes a DStream by recursing into its parents; shorten the chain",
                l.depth,
                limits::MAX_LINEAGE_DEPTH
            )));
        }
        if l.paths > limits::MAX_LINEAGE_PATHS {
            return Err(self.err(at, format!(
                "this DStream reaches its input streams along more than {} paths (MAX_LINEAGE_PATHS, src/scenario/limits.rs): each path computes its stream again every batch (as in Spark without cache()), e.g. `a = a.union(a)` doubles them; union distinct streams instead",
                limits::MAX_LINEAGE_PATHS
            )));
        }
        Ok(())
    }

    fn dataset_arg(&self, e: &Expr) -> Result<Arc<Vec<Value>>, ScenarioError> {
        match &e.kind {
            ExprKind::Var(name) => match self.scenario.datasets.get(name) {
                Some(d) => Ok(Arc::new(d.clone())),
                None => Err(self.err(e.span, format!("unknown dataset `{name}`; datasets: {}", self.scenario.datasets.keys().cloned().collect::<Vec<_>>().join(", ")))),
            },
            ExprKind::Call { func, args } if func.name == "parallelize" && args.len() == 1 => {
                let v = eval_const(&args[0]).map_err(|c| self.err(c.span, c.message))?;
                match v {
                    Value::Seq(_, items) => Ok(Arc::new(items.to_vec())),
                    other => Err(self.err(args[0].span, format!("parallelize needs a list, e.g. parallelize(List((\"a\", 1))), found {other}"))),
                }
            }
            _ => Err(self.err(e.span, format!("expected a dataset (a name from [datasets] or parallelize(List(...))), found {}", describe_expr(e)))),
        }
    }

    fn transform_fn(&mut self, e: &Expr, n_params: usize) -> Result<TransformFn, ScenarioError> {
        let ExprKind::Lambda { params, body } = &e.kind else {
            return Err(self.err(e.span, format!("transform needs a function of the batch's RDD, e.g. `rdd => rdd.join(dataset)`, found {}", describe_expr(e))));
        };
        if params.len() != n_params {
            return Err(self.err(
                e.span,
                format!(
                    "this function gets {n_params} RDD{}, but the lambda takes {}",
                    if n_params == 1 { "" } else { "s" },
                    params.len()
                ),
            ));
        }
        let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
        let plan = self.rdd_plan(body, &names)?;
        Ok(Arc::new(move |ctx: &mut OpCtx, rdds: &[Rdd], _t: Time| {
            plan.run(ctx, rdds).map(Some)
        }))
    }

    fn rdd_plan(&self, e: &Expr, params: &[String]) -> Result<RddPlan, ScenarioError> {
        match &e.kind {
            ExprKind::Var(name) => {
                if let Some(i) = params.iter().position(|p| p == name) {
                    Ok(RddPlan::Param(i))
                } else {
                    Ok(RddPlan::Dataset(self.dataset_arg(e)?))
                }
            }
            ExprKind::Call { .. } => Ok(RddPlan::Dataset(self.dataset_arg(e)?)),
            ExprKind::Method { recv, name, args } => {
                let input = Box::new(self.rdd_plan(recv, params)?);
                let args = args.clone().unwrap_or_default();
                let at = name.span;
                let nm = name.name.as_str();
                let one_fn = |arity: usize| -> Result<Func, ScenarioError> {
                    self.arity(nm, &args, at, 1, 1)?;
                    self.func(&args[0], arity)
                };
                let opt_n = |i: usize| self.opt_partitions(&args, i);
                let mut other = None;
                let op = match nm {
                    "map" => RddOp::Map(one_fn(1)?),
                    "flatMap" => RddOp::FlatMap(one_fn(1)?),
                    "filter" => RddOp::Filter(one_fn(1)?),
                    "mapPartitions" => RddOp::MapPartitions(one_fn(1)?),
                    "mapValues" => RddOp::MapValues(one_fn(1)?),
                    "flatMapValues" => RddOp::FlatMapValues(one_fn(1)?),
                    "glom" => RddOp::Glom,
                    "distinct" => RddOp::Distinct,
                    "repartition" => {
                        self.arity(nm, &args, at, 1, 1)?;
                        RddOp::Repartition(self.count_arg(&args[0], "numPartitions")?)
                    }
                    "reduceByKey" => {
                        self.arity(nm, &args, at, 1, 2)?;
                        RddOp::ReduceByKey(self.func(&args[0], 2)?, opt_n(1)?)
                    }
                    "groupByKey" => RddOp::GroupByKey(opt_n(0)?),
                    "countByValue" => RddOp::CountByValue(opt_n(0)?),
                    "sortByKey" => RddOp::SortByKey(!matches!(
                        args.first().map(|a| &a.kind),
                        Some(ExprKind::Lit(Literal::Bool(false)))
                    )),
                    "sortBy" => {
                        self.arity(nm, &args, at, 1, 2)?;
                        let asc = !matches!(
                            args.get(1).map(|a| &a.kind),
                            Some(ExprKind::Lit(Literal::Bool(false)))
                        );
                        RddOp::SortBy(self.func(&args[0], 1)?, asc)
                    }
                    "join" | "leftOuterJoin" | "rightOuterJoin" | "fullOuterJoin" | "cogroup"
                    | "union" => {
                        self.arity(nm, &args, at, 1, 2)?;
                        other = Some(Box::new(self.rdd_plan(&args[0], params)?));
                        match nm {
                            "join" => RddOp::Join(JoinKind::Inner, opt_n(1)?),
                            "leftOuterJoin" => RddOp::Join(JoinKind::LeftOuter, opt_n(1)?),
                            "rightOuterJoin" => RddOp::Join(JoinKind::RightOuter, opt_n(1)?),
                            "fullOuterJoin" => RddOp::Join(JoinKind::FullOuter, opt_n(1)?),
                            "cogroup" => RddOp::Cogroup(opt_n(1)?),
                            _ => RddOp::Union,
                        }
                    }
                    other_name => {
                        const RDD_OPS: &[&str] = &[
                            "map",
                            "flatMap",
                            "filter",
                            "mapPartitions",
                            "mapValues",
                            "flatMapValues",
                            "glom",
                            "distinct",
                            "repartition",
                            "reduceByKey",
                            "groupByKey",
                            "countByValue",
                            "sortByKey",
                            "sortBy",
                            "join",
                            "leftOuterJoin",
                            "rightOuterJoin",
                            "fullOuterJoin",
                            "cogroup",
                            "union",
                        ];
                        let hint = crate::scenario::expr::suggest_name(
                            other_name,
                            RDD_OPS.iter().copied(),
                        )
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                        return Err(self.err(at, format!(
                            "unknown RDD operation `{other_name}` in transform{hint}; RDD operations are: {}",
                            RDD_OPS.join(", ")
                        )));
                    }
                };
                Ok(RddPlan::Op { op, input, other })
            }
            _ => Err(self.err(
                e.span,
                format!(
                    "expected an RDD expression such as `rdd.map(f)`, found {}",
                    describe_expr(e)
                ),
            )),
        }
    }
}

impl Built {
    /// Where a failed job's operator was written: for an error naming an operator (a
    /// record that is not a pair), the positions of the program's calls of that operator
    /// (or of its windowed forms, e.g. `reduceByKeyAndWindow` for `reduceByKey`), as
    /// `" (at wc.toml:5:9)"` or `" (at one of ...)"`; empty when the error already names its
    /// position or no call matches.
    pub fn locate(&self, e: &SparkError) -> String {
        let SparkError::NotAPair { op, .. } = e else {
            return String::new();
        };
        let mut at: Vec<&str> = self
            .operators
            .iter()
            .filter(|(name, _)| name == op)
            .map(|(_, p)| p.as_str())
            .collect();
        if at.is_empty() {
            at = self
                .operators
                .iter()
                .filter(|(name, _)| name.starts_with(op.as_str()))
                .map(|(_, p)| p.as_str())
                .collect();
        }
        match at.as_slice() {
            [] => String::new(),
            [one] => format!(" (at {one})"),
            many => format!(" (at one of {})", many.join(", ")),
        }
    }

    /// Runs batch by batch up to `end` (inclusive), writing every `print()` output to `out`
    /// as it happens, exactly as Spark prints it. Stops at the first failed job.
    ///
    /// # Errors
    /// `Ok(Err(e))` when a job failed (the output before it was written); `Err` when writing
    /// to `out` failed (e.g. a closed pipe).
    pub fn run_printing(
        &self,
        end: Time,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<Result<(), SparkError>> {
        let mut seen = self.ssc.trace_len();
        while let Some(t) = self.ssc.next_batch_time() {
            if t > end {
                break;
            }
            let step = self.ssc.run_until(t);
            for e in self.ssc.trace_since(seen) {
                if let crate::models::dstream::Event::Output { op, lines, .. } = &e {
                    // print() as Spark prints it; a connection-counting foreachRDD's one
                    // line (Spark prints nothing for it; the count is the simulator's).
                    if op == "print" || op == "foreachRDD" {
                        for l in lines {
                            writeln!(out, "{l}")?;
                        }
                    }
                }
            }
            seen = self.ssc.trace_len();
            if let Err(e) = step {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }
}
