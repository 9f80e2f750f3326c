//! `DStream`: the operator API (`DStream.scala`, `PairDStreamFunctions.scala`): each
//! method adds a node to the graph, checked as Spark checks it, and returns its handle.

use super::dstream_graph::{Op, StreamId, TransformFn};
use super::error::SparkError;
use super::ops::JoinKind;
use super::output_ops::OutputKind;
use super::rdd::Rdd;
use super::streaming_context::{DStream, StreamingContext};
use crate::func::Func;
use crate::sim::{Duration, Time};
use crate::value::Value;
use std::rc::Rc;

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

    /// `foreachRDD` with one of the guide's connection patterns: writes every record
    /// through connections opened as `pattern` says, and reports per batch how many it
    /// opened (an `Output` event with one line; see `output_ops`).
    ///
    /// # Errors
    /// Lifecycle errors (after start or stop).
    pub fn foreach_rdd_connections(
        &self,
        pattern: super::output_ops::ConnectionPattern,
    ) -> Result<(), SparkError> {
        self.ctx.add_output(
            self.id,
            OutputKind::Connections(super::output_ops::ConnectionSink::new(pattern)),
        )
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
