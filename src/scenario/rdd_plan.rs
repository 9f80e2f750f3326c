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
/// collect order sorted, which is what a program can observe): the records in the order of
/// a stable sort of their keys, `key` evaluated once per record (see [`sorted_order`]).
fn sort_rdd(
    ctx: &mut OpCtx,
    a: &Rdd,
    ascending: bool,
    key: impl Fn(&Value) -> Result<Value, SparkError>,
) -> Result<Rdd, SparkError> {
    let n = a.count();
    let mut inputs: Vec<&Value> = Vec::with_capacity(n);
    let mut keys = SortKeys::with_capacity(n);
    for v in a.iter() {
        keys.push(key(v)?);
        inputs.push(v);
    }
    let order = sorted_order(keys, ascending);
    // As `slice_like_parallelize` of the sorted records, without building them whole first.
    let parts_n = a.num_partitions().max(1);
    let len = order.len();
    let parts = (0..parts_n)
        .map(|i| {
            let (start, end) = (i * len / parts_n, (i + 1) * len / parts_n);
            order
                .get(start..end)
                .unwrap_or_default()
                .iter()
                .filter_map(|&j| inputs.get(j).map(|v| (*v).clone()))
                .collect()
        })
        .collect();
    let lineage = ctx.lineage("ShuffledRDD[sortByKey]", &[a], true);
    Ok(Rdd::new(parts, None, lineage))
}

/// The sort keys of a partition's records, kept as plain integers while every key is an
/// `Int` (the usual `sortBy(kv => kv._2)`), which sorts in a third of the memory.
enum SortKeys {
    /// All keys so far are `Int`s.
    Ints(Vec<i64>),
    /// Some key is not.
    Values(Vec<Value>),
}

impl SortKeys {
    fn with_capacity(n: usize) -> SortKeys {
        SortKeys::Ints(Vec::with_capacity(n))
    }

    fn push(&mut self, k: Value) {
        match (&mut *self, k) {
            (SortKeys::Ints(v), Value::Int(i)) => v.push(i),
            (SortKeys::Ints(v), k) => {
                let mut values: Vec<Value> = Vec::with_capacity(v.capacity().max(v.len() + 1));
                values.extend(v.iter().map(|&i| Value::Int(i)));
                values.push(k);
                *self = SortKeys::Values(values);
            }
            (SortKeys::Values(v), k) => v.push(k),
        }
    }
}

/// A counting sort of `Int` keys when they span few values (word counts: a few hundred
/// distinct counts among thousands of words): the stable order in linear time, each record
/// placed after the earlier ones of its key. `None` when the keys span more than twice
/// their number plus 256 values (then a comparison sort is cheaper).
fn counting_order(ints: &[i64], ascending: bool) -> Option<Vec<usize>> {
    let (&min, &max) = (ints.iter().min()?, ints.iter().max()?);
    // The exact differences, as `max >= k >= min` (they fit in a `u64`).
    let range = max.wrapping_sub(min) as u64;
    if range >= (ints.len() as u64).saturating_mul(2).saturating_add(256) {
        return None;
    }
    let range = usize::try_from(range).ok()?;
    let bucket = |k: i64| {
        let d = k.wrapping_sub(min) as u64 as usize;
        if ascending {
            d
        } else {
            range - d
        }
    };
    // starts[b] is where the next record of bucket b goes.
    let mut starts = vec![0usize; range + 2];
    for &k in ints {
        starts[bucket(k) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut order = vec![0usize; ints.len()];
    for (i, &k) in ints.iter().enumerate() {
        let at = &mut starts[bucket(k)];
        order[*at] = i;
        *at += 1;
    }
    Some(order)
}

/// The indices of the records in the order of a stable sort of their keys by
/// [`Value`]'s order (reversed when not `ascending`; equal keys keep their input order).
/// An unstable sort of `(key, index)` gives exactly that order, the index breaking ties.
fn sorted_order(keys: SortKeys, ascending: bool) -> Vec<usize> {
    match keys {
        SortKeys::Ints(ints) if u32::try_from(ints.len()).is_ok() => {
            if let Some(order) = counting_order(&ints, ascending) {
                return order;
            }
            // `!k` reverses the order of `i64`s exactly (it is `-k - 1`).
            let mut pairs: Vec<(i64, u32)> = ints
                .iter()
                .zip(0u32..)
                .map(|(&k, i)| (if ascending { k } else { !k }, i))
                .collect();
            pairs.sort_unstable();
            pairs.into_iter().map(|(_, i)| i as usize).collect()
        }
        SortKeys::Ints(ints) => sorted_order(
            SortKeys::Values(ints.into_iter().map(Value::Int).collect()),
            ascending,
        ),
        SortKeys::Values(values) => {
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_unstable_by(|&x, &y| {
                let (kx, ky) = (&values[x], &values[y]);
                let by_key = if ascending { kx.cmp(ky) } else { ky.cmp(kx) };
                by_key.then(x.cmp(&y))
            });
            order
        }
    }
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

#[cfg(test)]
mod tests {
    use super::sort_rdd;
    use crate::models::dstream::ops::OpCtx;
    use crate::models::dstream::{Rdd, SparkError};
    use crate::value::Value;
    use proptest::prelude::*;

    /// The plain sort: every `(key, record)` pair built, a stable sort of the pairs, then
    /// `slice_like_parallelize` (what `sort_rdd` computed before its fast path).
    fn plain(a: &Rdd, ascending: bool, key: impl Fn(&Value) -> Value) -> Vec<Vec<Value>> {
        let mut keyed: Vec<(Value, Value)> = a.iter().map(|v| (key(v), v.clone())).collect();
        keyed.sort_by(|x, y| {
            if ascending {
                x.0.cmp(&y.0)
            } else {
                y.0.cmp(&x.0)
            }
        });
        let records = keyed.into_iter().map(|(_, v)| v).collect();
        crate::models::dstream::rdd::slice_like_parallelize(records, a.num_partitions().max(1))
    }

    fn key_of(v: &Value) -> Value {
        v.as_pair().map(|(_, c)| c.clone()).unwrap_or(Value::Null)
    }

    fn count() -> impl Strategy<Value = Value> {
        prop_oneof![
            8 => prop_oneof![Just(i64::MIN), Just(i64::MAX), -3i64..4].prop_map(Value::Int),
            1 => prop_oneof![Just(f64::NAN), Just(-0.0), Just(2.0)].prop_map(Value::Float),
            1 => Just(Value::str("b")),
        ]
    }

    proptest! {
        #[test]
        fn sort_by_gives_the_plain_stable_sort(
            parts in proptest::collection::vec(
                proptest::collection::vec((0u16..50, count()), 0..30), 1..5),
            ascending in any::<bool>(),
            wide in any::<bool>(),
        ) {
            // Narrow Int keys take the counting sort, wide ones the comparison sort.
            // Many ties (few distinct counts), sometimes keys of other kinds after Ints.
            let mut ctx = OpCtx::new(0, 2);
            let lineage = ctx.lineage("test", &[], false);
            let parts: Vec<Vec<Value>> = parts
                .into_iter()
                .map(|p| {
                    p.into_iter()
                        .map(|(w, c)| {
                            let c = match c {
                                Value::Int(i) if !wide && (i == i64::MIN || i == i64::MAX) => {
                                    Value::Int(i.signum() * 2)
                                }
                                other => other,
                            };
                            Value::pair(Value::str(&format!("w{w}")), c)
                        })
                        .collect()
                })
                .collect();
            let a = Rdd::new(parts, None, lineage);
            let want = plain(&a, ascending, key_of);
            let got = sort_rdd(&mut ctx, &a, ascending, |v| Ok(key_of(v))).expect("sorts");
            let got: Vec<Vec<Value>> = got.partitions().to_vec();
            prop_assert_eq!(format!("{got:?}"), format!("{want:?}"));
        }
    }

    #[test]
    fn sort_by_stops_at_the_first_key_error() {
        let mut ctx = OpCtx::new(0, 2);
        let lineage = ctx.lineage("test", &[], false);
        let a = Rdd::new(vec![vec![Value::Int(1), Value::Int(2)]], None, lineage);
        let err = sort_rdd(&mut ctx, &a, true, |v| match v {
            Value::Int(2) => Err(SparkError::InvalidArgument("bad key 2".into())),
            other => Ok(other.clone()),
        });
        assert!(matches!(err, Err(SparkError::InvalidArgument(m)) if m == "bad key 2"));
    }
}
