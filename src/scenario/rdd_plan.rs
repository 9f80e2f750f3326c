//! `RddPlan`: the RDD operations a `transform` lambda runs on the batch's RDD, compiled at
//! build time from the lambda's syntax tree (the same operators as the DStream API, applied
//! to one RDD: `models::dstream::ops`).

use crate::models::dstream::ops::{self, JoinKind, OpCtx};
use crate::models::dstream::{Rdd, SparkError};
use crate::scenario::expr::Func;
use crate::sim::Time;
use crate::value::Value;
use std::sync::Arc;

/// A program of RDD operations inside a `transform` lambda, compiled at build time.
#[derive(Clone, Debug)]
pub enum RddPlan {
    /// The lambda's n-th parameter (the batch's RDD of the n-th stream).
    Param(usize),
    /// A static dataset (a named one, or `parallelize(List(...))`).
    Dataset(Arc<Vec<Value>>),
    /// An operation on a plan.
    Op {
        /// The operation.
        op: RddOp,
        /// Its input.
        input: Box<RddPlan>,
        /// A second input (joins, union, cogroup).
        other: Option<Box<RddPlan>>,
    },
}

/// The RDD operations a `transform` lambda can use.
#[derive(Clone, Debug)]
pub enum RddOp {
    /// `map(f)`.
    Map(Func),
    /// `flatMap(f)`.
    FlatMap(Func),
    /// `filter(f)`.
    Filter(Func),
    /// `mapPartitions(f)`.
    MapPartitions(Func),
    /// `mapValues(f)`.
    MapValues(Func),
    /// `flatMapValues(f)`.
    FlatMapValues(Func),
    /// `glom()`.
    Glom,
    /// `repartition(n)`.
    Repartition(usize),
    /// `reduceByKey(f, [n])`.
    ReduceByKey(Func, Option<usize>),
    /// `groupByKey([n])`.
    GroupByKey(Option<usize>),
    /// `countByValue()` as an RDD of `(value, count)` (an RDD action in Spark; here a
    /// transformation so it can be printed).
    CountByValue(Option<usize>),
    /// Joins.
    Join(JoinKind, Option<usize>),
    /// `cogroup(other, [n])`.
    Cogroup(Option<usize>),
    /// `union(other)`.
    Union,
    /// `distinct()`.
    Distinct,
    /// `sortByKey([ascending])`.
    SortByKey(bool),
    /// `sortBy(f, [ascending])`.
    SortBy(Func, bool),
}

impl RddPlan {
    /// Runs the plan on the parameters' RDDs.
    ///
    /// # Errors
    /// The operation's error (a function failed, records not pairs).
    pub fn run(&self, ctx: &mut OpCtx, params: &[Rdd]) -> Result<Rdd, SparkError> {
        match self {
            RddPlan::Param(i) => params.get(*i).cloned().ok_or_else(|| {
                SparkError::InvalidArgument(format!("transform has no RDD parameter {i}"))
            }),
            RddPlan::Dataset(records) => {
                let n = ctx.default_parallelism;
                Ok(ctx.parallelize(
                    records.as_ref().clone(),
                    n,
                    "ParallelCollectionRDD[dataset]",
                ))
            }
            RddPlan::Op { op, input, other } => {
                let a = input.run(ctx, params)?;
                let b = match other {
                    Some(o) => Some(o.run(ctx, params)?),
                    None => None,
                };
                // Without numPartitions an RDD shuffle takes Partitioner.defaultPartitioner's
                // count: spark.default.parallelism is not set (local mode, spark-submit's
                // default), so the largest parent's partition count (Partitioner.scala).
                // A DStream operator instead uses the context's default parallelism.
                let dp = default_partitions(&a, b.as_ref());
                let n = |x: &Option<usize>| x.unwrap_or(dp);
                let second = || {
                    b.clone().ok_or_else(|| {
                        SparkError::InvalidArgument("this operation needs a second RDD".into())
                    })
                };
                match op {
                    RddOp::Map(f) => ops::map(ctx, &a, f),
                    RddOp::FlatMap(f) => ops::flat_map(ctx, &a, f),
                    RddOp::Filter(f) => ops::filter(ctx, &a, f),
                    RddOp::MapPartitions(f) => ops::map_partitions(ctx, &a, f),
                    RddOp::MapValues(f) => ops::map_values(ctx, &a, f),
                    RddOp::FlatMapValues(f) => ops::flat_map_values(ctx, &a, f),
                    RddOp::Glom => ops::glom(ctx, &a),
                    RddOp::Repartition(k) => ops::repartition(ctx, &a, *k),
                    RddOp::ReduceByKey(f, k) => ops::reduce_by_key(ctx, &a, f, n(k), "reduceByKey"),
                    RddOp::GroupByKey(k) => ops::group_by_key(ctx, &a, n(k)),
                    RddOp::CountByValue(k) => ops::count_by_value(ctx, &a, n(k)),
                    RddOp::Join(kind, k) => ops::join(ctx, &a, &second()?, *kind, n(k)),
                    RddOp::Cogroup(k) => ops::cogroup(ctx, &[&a, &second()?], n(k)),
                    RddOp::Union => Ok(ops::union(ctx, &[&a, &second()?])),
                    RddOp::Distinct if a.partitioner().is_some() => {
                        ops::distinct_in_partitions(ctx, &a)
                    }
                    RddOp::Distinct => {
                        let keyed = ops::map(
                            ctx,
                            &a,
                            &Func::native("x => (x, null)", 1, |v| {
                                Ok(Value::pair(v[0].clone(), Value::Null))
                            }),
                        )?;
                        let reduced = ops::reduce_by_key(
                            ctx,
                            &keyed,
                            &Func::native("(x, _) => x", 2, |v| Ok(v[0].clone())),
                            a.num_partitions().max(1),
                            "distinct",
                        )?;
                        ops::map(
                            ctx,
                            &reduced,
                            &Func::native("_._1", 1, |v| {
                                Ok(v[0].as_pair().map(|(k, _)| k.clone()).unwrap_or_default())
                            }),
                        )
                    }
                    RddOp::SortByKey(asc) => sort_rdd(ctx, &a, *asc, |v| {
                        Ok(v.as_pair()
                            .map(|(k, _)| k.clone())
                            .unwrap_or_else(|| v.clone()))
                    }),
                    RddOp::SortBy(f, asc) => sort_rdd(ctx, &a, *asc, |v| {
                        f.call1(v).map_err(|e| SparkError::Function {
                            op: "sortBy".into(),
                            time: Time::ZERO,
                            error: e,
                        })
                    }),
                }
            }
        }
    }
}

/// A total sort of an RDD, split back into as many partitions (range partitioning keeps the
/// collect order sorted, which is what a program can observe).
fn sort_rdd(
    ctx: &mut OpCtx,
    a: &Rdd,
    ascending: bool,
    key: impl Fn(&Value) -> Result<Value, SparkError>,
) -> Result<Rdd, SparkError> {
    let mut keyed = Vec::with_capacity(a.count());
    for v in a.iter() {
        keyed.push((key(v)?, v.clone()));
    }
    keyed.sort_by(|x, y| {
        if ascending {
            x.0.cmp(&y.0)
        } else {
            y.0.cmp(&x.0)
        }
    });
    let records: Vec<Value> = keyed.into_iter().map(|(_, v)| v).collect();
    let parts =
        crate::models::dstream::rdd::slice_like_parallelize(records, a.num_partitions().max(1));
    let lineage = ctx.lineage("ShuffledRDD[sortByKey]", &[a], true);
    Ok(Rdd::new(parts, None, lineage))
}

/// `Partitioner.defaultPartitioner(rdd, others)` with spark.default.parallelism unset: the
/// largest parent's partition count, unless the parent with the most partitions among those
/// that have a partitioner has an eligible one (`log10(max) - log10(its count) < 1`) or at
/// least as many partitions, which is then reused (Partitioner.scala, Spark 3.5).
fn default_partitions(a: &Rdd, b: Option<&Rdd>) -> usize {
    let rdds: Vec<&Rdd> = std::iter::once(a).chain(b).collect();
    let max = rdds
        .iter()
        .map(|r| r.num_partitions())
        .max()
        .unwrap_or(1)
        .max(1);
    let with = rdds
        .iter()
        .filter_map(|r| r.partitioner().filter(|n| *n > 0))
        .max();
    match with {
        Some(p) if ((max as f64).log10() - (p as f64).log10()) < 1.0 || max <= p => p,
        _ => max,
    }
}
