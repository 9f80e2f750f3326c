//! RDD operations (`RDD.scala`, `PairRDDFunctions.scala`, `CoGroupedRDD.scala`): what every
//! DStream transformation does to the RDD of one batch.
//!
//! These are Spark's RDD semantics, reduced to what a DStream can observe: the records of
//! each partition and their order. Narrow operations (`map`, `filter`, ...) work partition by
//! partition and keep order; shuffles (`reduceByKey`, `groupByKey`, `cogroup`, joins,
//! `repartition`) place each key in partition `nonNegativeMod(key.hashCode, n)` exactly as
//! Spark's `HashPartitioner` does (Java's `hashCode` for strings and integers). Inside a
//! shuffled partition, keys come in the order they were first seen (input partitions in
//! order); Spark's order there is its hash table's, so the *set* per partition matches Spark
//! and the order is our deterministic choice (documented in ARCHITECTURE.md).
//!
//! `transform` lambdas in scenario files call these same functions on the batch's RDD.

use super::error::SparkError;
use super::rdd::{Lineage, Partition, Rdd};
use crate::func::{EvalError, Func};
use crate::sim::Time;
use crate::value::prefetch::prefetch;
use crate::value::{SeqKind, Value};
use std::sync::Arc;

mod cogroup_heads;
mod grouped;
mod pipeline;
pub use cogroup_heads::{CogroupHeads, DistinctKeyHashes};
use grouped::{fold, map_side_order, AppendOnlyTable, Combiner, Grouped, PREFETCH_AHEAD};
pub use grouped::{map_side_order_of_codes, partition_of_code};
pub use pipeline::{narrow_fused, reduce_by_key_fused, stream_chain, Fallback, Pass, Step};

/// Context for computing RDDs: id allocation, default parallelism, and the origin to record
/// in lineage.
#[derive(Debug, Clone)]
pub struct OpCtx {
    next_id: u64,
    /// Partitions of a shuffle when the operator names none (`spark.default.parallelism`;
    /// for `local[n]` this is n).
    pub default_parallelism: usize,
    /// The batch time being computed.
    pub time: Time,
    /// The name of the DStream being computed (for lineage).
    pub stream: String,
}

impl OpCtx {
    /// A context whose first RDD id is `first_id`.
    pub fn new(first_id: u64, default_parallelism: usize) -> OpCtx {
        OpCtx {
            next_id: first_id,
            default_parallelism: default_parallelism.max(1),
            time: Time::ZERO,
            stream: String::new(),
        }
    }

    /// The next unused RDD id.
    pub fn peek_id(&self) -> u64 {
        self.next_id
    }

    /// Allocates an RDD id.
    pub fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A lineage node for a new RDD made by `op` from `parents`.
    pub fn lineage(&mut self, op: &str, parents: &[&Rdd], shuffle: bool) -> Lineage {
        Lineage {
            id: self.fresh_id(),
            op: op.to_string(),
            origin: Some((self.stream.clone(), self.time)),
            shuffle,
            checkpointed: false,
            parents: parents.iter().map(|r| Arc::clone(r.lineage())).collect(),
            depth: 1 + parents.iter().map(|r| r.lineage().depth).max().unwrap_or(0),
        }
    }

    fn fail(&self, op: &str, error: EvalError) -> SparkError {
        SparkError::Function {
            op: op.to_string(),
            time: self.time,
            error,
        }
    }

    /// An RDD of the given records sliced as `parallelize` slices them.
    pub fn parallelize(&mut self, records: Vec<Value>, slices: usize, op: &str) -> Rdd {
        let parts = super::rdd::slice_like_parallelize(records, slices);
        let lineage = self.lineage(op, &[], false);
        Rdd::new(parts, None, lineage)
    }

    /// An RDD with no partitions (`sc.emptyRDD`).
    pub fn empty(&mut self) -> Rdd {
        let lineage = self.lineage("EmptyRDD", &[], false);
        Rdd::new(Vec::new(), None, lineage)
    }
}

fn pair<'a>(op: &str, v: &'a Value) -> Result<(&'a Value, &'a Value), SparkError> {
    v.as_pair().ok_or_else(|| SparkError::NotAPair {
        op: op.to_string(),
        found: v.to_string(),
    })
}

/// Items of a value a `flatMap` function returned: a sequence's elements, an option's 0 or 1.
fn flatten_into(op: &str, v: Value, out: &mut Partition) -> Result<(), EvalError> {
    match v {
        Value::Seq(_, items) | Value::Tuple(items) => {
            out.extend(items.iter().cloned());
            Ok(())
        }
        Value::Opt(Some(x)) => {
            out.push((*x).clone());
            Ok(())
        }
        Value::Opt(None) => Ok(()),
        other => Err(EvalError {
            message: format!(
                "{op} needs a function returning a collection, but it returned {other} ({})",
                other.kind_name()
            ),
        }),
    }
}

fn narrow(
    ctx: &mut OpCtx,
    rdd: &Rdd,
    op: &str,
    keep_partitioner: bool,
    mut f: impl FnMut(&Partition, &mut Partition) -> Result<(), EvalError>,
) -> Result<Rdd, SparkError> {
    let mut parts = Vec::with_capacity(rdd.num_partitions());
    for p in rdd.partitions() {
        let mut out = Vec::with_capacity(p.len());
        f(p, &mut out).map_err(|e| ctx.fail(op, e))?;
        parts.push(out);
    }
    let lineage = ctx.lineage(&format!("MapPartitionsRDD[{op}]"), &[rdd], false);
    let partitioner = if keep_partitioner {
        rdd.partitioner()
    } else {
        None
    };
    Ok(Rdd::new(parts, partitioner, lineage))
}

/// `map(f)`: one output record per input record.
pub fn map(ctx: &mut OpCtx, rdd: &Rdd, f: &Func) -> Result<Rdd, SparkError> {
    let step = Step::Map(f.clone());
    narrow(ctx, rdd, "map", false, |p, out| {
        step.apply_partition(p, out)
    })
}

/// `flatMap(f)`: `f` returns a collection whose elements become records.
pub fn flat_map(ctx: &mut OpCtx, rdd: &Rdd, f: &Func) -> Result<Rdd, SparkError> {
    let step = Step::FlatMap(f.clone());
    narrow(ctx, rdd, "flatMap", false, |p, out| {
        step.apply_partition(p, out)
    })
}

/// `filter(f)`: keeps records for which `f` is `true` (keeps the partitioner, as Spark does).
pub fn filter(ctx: &mut OpCtx, rdd: &Rdd, f: &Func) -> Result<Rdd, SparkError> {
    let step = Step::Filter(f.clone());
    narrow(ctx, rdd, "filter", true, |p, out| {
        step.apply_partition(p, out)
    })
}

/// `mapPartitions(f)`: `f` receives the partition as a `List` and returns a collection.
pub fn map_partitions(ctx: &mut OpCtx, rdd: &Rdd, f: &Func) -> Result<Rdd, SparkError> {
    narrow(ctx, rdd, "mapPartitions", false, |p, out| {
        let arg = Value::list(p.clone());
        flatten_into("mapPartitions", f.call1(&arg)?, out)
    })
}

/// `glom()`: each partition becomes one record, an array of its records.
pub fn glom(ctx: &mut OpCtx, rdd: &Rdd) -> Result<Rdd, SparkError> {
    narrow(ctx, rdd, "glom", false, |p, out| {
        out.push(Value::seq(SeqKind::Array, p.clone()));
        Ok(())
    })
}

/// `mapValues(f)`: `(k, v)` to `(k, f(v))`, keeping the partitioner.
pub fn map_values(ctx: &mut OpCtx, rdd: &Rdd, f: &Func) -> Result<Rdd, SparkError> {
    let mut bad = None;
    let out = narrow(ctx, rdd, "mapValues", true, |p, out| {
        for v in p {
            let Some((k, x)) = v.as_pair() else {
                bad = Some(v.to_string());
                return Ok(());
            };
            out.push(Value::pair(k.clone(), f.call1(x)?));
        }
        Ok(())
    })?;
    match bad {
        Some(found) => Err(SparkError::NotAPair {
            op: "mapValues".into(),
            found,
        }),
        None => Ok(out),
    }
}

/// `flatMapValues(f)`: `(k, v)` to `(k, x)` for every `x` in `f(v)`, keeping the partitioner.
pub fn flat_map_values(ctx: &mut OpCtx, rdd: &Rdd, f: &Func) -> Result<Rdd, SparkError> {
    let mut bad = None;
    let out = narrow(ctx, rdd, "flatMapValues", true, |p, out| {
        for v in p {
            let Some((k, x)) = v.as_pair() else {
                bad = Some(v.to_string());
                return Ok(());
            };
            let mut items = Vec::new();
            flatten_into("flatMapValues", f.call1(x)?, &mut items)?;
            out.extend(items.into_iter().map(|i| Value::pair(k.clone(), i)));
        }
        Ok(())
    })?;
    match bad {
        Some(found) => Err(SparkError::NotAPair {
            op: "flatMapValues".into(),
            found,
        }),
        None => Ok(out),
    }
}

/// `repartition(n)`: a shuffle that deals each input partition's records round-robin over
/// `n` outputs, exactly as Spark 3.5's `RDD.coalesce(n, shuffle = true)` (core/src/main/scala/
/// org/apache/spark/rdd/RDD.scala): partition `index` starts at
/// `new XORShiftRandom(index).nextInt(n)`, each record takes `position + 1` as its key, and
/// `HashPartitioner(n)` sends it to `nonNegativeMod(position, n)`. The `CoalescedRDD` over the
/// shuffle keeps its `n` partitions one to one (no locality preferences).
pub fn repartition(ctx: &mut OpCtx, rdd: &Rdd, n: usize) -> Result<Rdd, SparkError> {
    if n == 0 {
        return Err(SparkError::InvalidArgument(
            "Number of partitions (0) must be positive.".into(),
        ));
    }
    let n32 = i32::try_from(n).unwrap_or(i32::MAX);
    let mut outs: Vec<Partition> = vec![Vec::new(); n];
    for (index, p) in rdd.partitions().iter().enumerate() {
        let mut position = repartition_start(index as i32, n32);
        for v in p {
            position = position.wrapping_add(1);
            outs[position.rem_euclid(n32) as usize].push(v.clone());
        }
    }
    let lineage = ctx.lineage("ShuffledRDD[repartition]", &[rdd], true);
    Ok(Rdd::new(outs, None, lineage))
}

/// `new XORShiftRandom(index).nextInt(n)` (Spark's org.apache.spark.util.random.
/// XORShiftRandom, a `java.util.Random` whose `next(bits)` is a 64-bit xorshift seeded by
/// `hashSeed`: `MurmurHash3.bytesHash` of the seed's 8 big-endian bytes, low word with
/// `arraySeed`, high word seeded with the low one), with `java.util.Random.nextInt(bound)`'s
/// rejection loop. `n > 0`. Pinned against Spark 3.5.3 by scripts/spark-diff-hashes.scala.
pub fn repartition_start(index: i32, n: i32) -> i32 {
    use crate::value::murmur3::{bytes_hash, ARRAY_SEED};
    let bytes = i64::from(index).to_be_bytes();
    let low = bytes_hash(&bytes, ARRAY_SEED);
    let high = bytes_hash(&bytes, low);
    let mut seed = ((i64::from(high) << 32) | (i64::from(low) & 0xFFFF_FFFF)) as u64;
    let mut next31 = || {
        let mut s = seed ^ (seed << 21);
        s ^= s >> 35;
        s ^= s << 4;
        seed = s;
        (s & ((1u64 << 31) - 1)) as i32
    };
    let n = n.max(1);
    let m = n - 1;
    let mut r = next31();
    if n & m == 0 {
        return ((i64::from(n) * i64::from(r)) >> 31) as i32;
    }
    let mut u = r;
    loop {
        r = u % n;
        if u.wrapping_sub(r).wrapping_add(m) >= 0 {
            return r;
        }
        u = next31();
    }
}

/// `sc.union(rdds)`: when every RDD has the same hash partitioner, partition `i` of the result
/// concatenates partition `i` of each (`PartitionerAwareUnionRDD`); otherwise the partitions
/// are listed one RDD after another (`UnionRDD`).
pub fn union(ctx: &mut OpCtx, rdds: &[&Rdd]) -> Rdd {
    let first = rdds.first().and_then(|r| r.partitioner());
    let aware = first.is_some() && rdds.iter().all(|r| r.partitioner() == first);
    if let (true, Some(n)) = (aware, first) {
        let mut outs: Vec<Partition> = vec![Vec::new(); n];
        for r in rdds {
            for (i, p) in r.partitions().iter().enumerate() {
                outs[i].extend(p.iter().cloned());
            }
        }
        let lineage = ctx.lineage("PartitionerAwareUnionRDD", rdds, false);
        Rdd::new(outs, Some(n), lineage)
    } else {
        let parts = rdds
            .iter()
            .flat_map(|r| r.partitions().iter().cloned())
            .collect();
        let lineage = ctx.lineage("UnionRDD", rdds, false);
        Rdd::new(parts, None, lineage)
    }
}

/// `reduceByKey(f, n)`: combine values per key within each input partition (map-side
/// combine), then merge the partial results per key in input-partition order, into `n`
/// hash partitions.
pub fn reduce_by_key(
    ctx: &mut OpCtx,
    rdd: &Rdd,
    f: &Func,
    n: usize,
    op: &str,
) -> Result<Rdd, SparkError> {
    let n = n.max(1);
    // combineByKey over an RDD already hash-partitioned into n combines within each
    // partition, records in order, without a shuffle (PairRDDFunctions.combineByKeyWithClassTag)
    let already_partitioned = rdd.partitioner() == Some(n);
    let mut locals: Vec<Combined> = Vec::with_capacity(rdd.num_partitions());
    for p in rdd.partitions() {
        // at most one key per record: the table never grows (no effect on the order)
        let mut local: Grouped<Value> = Grouped::with_capacity(p.len());
        for v in p {
            combine_record(&mut local, v, f, op, ctx.time)?;
        }
        locals.push(seal_combiner(local, !already_partitioned));
    }
    let (parts, bytes) = reduce_side(locals, f, n, op, ctx.time)?;
    let lineage = ctx.lineage(&format!("ShuffledRDD[{op}]"), &[rdd], true);
    Ok(Rdd::new(parts, Some(n), lineage).with_approx_bytes(bytes))
}

/// One map partition's combiner: its keys and values (see [`Combiner`]) in first-seen order,
/// their hashCodes, and `order`, the order in which they reach the reduce side.
struct Combined<A = Value> {
    entries: Vec<(Value, A)>,
    codes: Vec<i32>,
    order: Vec<u32>,
}

impl<A> Combined<A> {
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The map side of `reduceByKey` for one record: each key's hash and hashCode are computed
/// once per key and partition (they choose the reduce partition, the table slot there and
/// Spark's AppendOnlyMap slot).
fn combine_record(
    local: &mut Grouped<Value>,
    v: &Value,
    f: &Func,
    op: &str,
    time: Time,
) -> Result<(), SparkError> {
    let (k, x) = pair(op, v)?;
    combine_pair(local, k, x, f, op, time)
}

/// [`combine_record`] of the pair `(k, x)`.
fn combine_pair(
    local: &mut Grouped<Value>,
    k: &Value,
    x: &Value,
    f: &Func,
    op: &str,
    time: Time,
) -> Result<(), SparkError> {
    local
        .upsert(
            k,
            || k.partition_hash(),
            || x.clone(),
            |acc| fold(acc, x, f),
        )
        .map_err(|error| SparkError::Function {
            op: op.to_string(),
            time,
            error,
        })
}

/// A map partition's combiner, in the order its keys reach the reduce side: sorted by
/// hashCode (stable: keys with equal hashCodes keep their first-seen order, see
/// [`grouped::map_side_order`]) unless the input was already partitioned. Sorts key numbers,
/// not the entries.
fn seal_combiner<A>(local: Grouped<A>, sort: bool) -> Combined<A> {
    let order = if sort {
        map_side_order_of_codes(&local.codes)
    } else {
        (0..local.entries.len() as u32).collect()
    };
    Combined {
        entries: local.entries,
        codes: local.codes,
        order,
    }
}

/// The reduce side of `reduceByKey`: merges the combiners, map partition by map partition,
/// into `n` hash partitions in Spark's order. Returns them with their records'
/// [`Value::approx_bytes`] summed as the records are made (what [`Rdd::approx_bytes`] would
/// sum, without a second walk: the batch's shuffle figure asks for it).
fn reduce_side<A: Combiner>(
    locals: Vec<Combined<A>>,
    f: &Func,
    n: usize,
    op: &str,
    time: Time,
) -> Result<(Vec<Partition>, u64), SparkError> {
    // Each output holds at least as many keys as the most any one combiner sends it and at
    // most as many as all send it (an over-count: map partitions share keys): it starts
    // with room for all, up to four times the most, so that it seldom grows (no effect on
    // the order, which is the slots').
    let mut room: Vec<(usize, usize)> = vec![(0, 0); n];
    for local in &locals {
        let mut sent = vec![0usize; n];
        for &code in &local.codes {
            sent[partition_of_code(code, n)] += 1;
        }
        for ((all, most), s) in room.iter_mut().zip(sent) {
            *all += s;
            *most = (*most).max(s);
        }
    }
    let mut outs: Vec<AppendOnlyTable<A>> = room
        .into_iter()
        .map(|(all, most)| AppendOnlyTable::with_capacity(all.min(4 * most)))
        .collect();
    for mut local in locals {
        for (j, &i) in local.order.iter().enumerate() {
            if let Some(&ahead) = local.order.get(j + PREFETCH_AHEAD) {
                prefetch(&local.entries, ahead as usize);
            }
            let i = i as usize;
            let (k, x) = std::mem::take(&mut local.entries[i]);
            let code = local.codes[i];
            outs[partition_of_code(code, n)]
                .change_value(k, code, x, |acc, x| A::merge(acc, &x, f))
                .map_err(|error| SparkError::Function {
                    op: op.to_string(),
                    time,
                    error,
                })?;
        }
    }
    let mut bytes = 0usize;
    let parts = outs
        .into_iter()
        .map(|g| {
            let mut out = Vec::with_capacity(g.len());
            out.extend(g.into_spark_order().map(|(k, v)| {
                // a pair's approx_bytes: 4 per field and the fields'
                bytes += 8 + k.approx_bytes() + v.approx_bytes();
                Value::pair(k, v.into_value())
            }));
            out
        })
        .collect();
    Ok((parts, bytes as u64))
}

/// `distinct()` of an RDD that has a partitioner (RDD.scala, Spark 3.5): no shuffle; each
/// partition drops its duplicates through an `ExternalAppendOnlyMap` (records inserted in
/// order, yielded in slot order, see `spark_map_order`), keeping the partitioner. Without a
/// partitioner Spark shuffles (`map(x => (x, null)).reduceByKey((x, _) => x, n).map(_._1)`).
pub fn distinct_in_partitions(ctx: &mut OpCtx, rdd: &Rdd) -> Result<Rdd, SparkError> {
    narrow(ctx, rdd, "distinct", true, |p, out| {
        let mut seen: Grouped<()> = Grouped::with_capacity(p.len());
        for v in p {
            seen.upsert(v, || v.partition_hash(), || (), |_| Ok(()))?;
        }
        out.extend(seen.into_spark_order().map(|(k, ())| k));
        Ok(())
    })
}

/// `groupByKey(n)`: `(k, CompactBuffer(values...))` per key, values in arrival order.
pub fn group_by_key(ctx: &mut OpCtx, rdd: &Rdd, n: usize) -> Result<Rdd, SparkError> {
    group_by_key_into(ctx, rdd, n, SeqKind::CompactBuffer)
}

/// `groupByKey` with the values collected into a sequence of `kind`: `CompactBuffer` for
/// the RDD operation (`PairRDDFunctions.groupByKey`), `ArrayBuffer` for the DStream one,
/// which Spark builds with `combineByKey` into an `ArrayBuffer`
/// (`PairDStreamFunctions.groupByKey`; Spark 3.5 prints `ArrayBuffer(..)` there).
///
/// # Errors
/// A record that is not a pair.
pub fn group_by_key_into(
    ctx: &mut OpCtx,
    rdd: &Rdd,
    n: usize,
    kind: SeqKind,
) -> Result<Rdd, SparkError> {
    let n = n.max(1);
    let mut outs: Vec<Grouped<Vec<Value>>> = (0..n).map(|_| Grouped::new()).collect();
    for p in rdd.partitions() {
        if kind == SeqKind::ArrayBuffer {
            // the DStream's combineByKey combines map-side: per map partition, the keys in
            // hash-code order, each with its values in record order
            let mut local: Grouped<Vec<Value>> = Grouped::with_capacity(p.len() / 4);
            for v in p {
                let (k, x) = pair("groupByKey", v)?;
                let _ = local.upsert(
                    k,
                    || k.partition_hash(),
                    || vec![x.clone()],
                    |acc| {
                        acc.push(x.clone());
                        Ok(())
                    },
                );
            }
            let hashes = std::mem::take(&mut local.hashes);
            let mut local: Vec<(i32, Value, (Vec<Value>, u64))> = local
                .codes
                .into_iter()
                .zip(local.entries)
                .zip(hashes)
                .map(|((c, (k, xs)), h)| (c, k, (xs, h)))
                .collect();
            if rdd.partitioner() != Some(n) {
                map_side_order(&mut local);
            }
            for (code, k, (xs, hash)) in local {
                let target = &mut outs[partition_of_code(code, n)];
                match target.find(hash, &k) {
                    Some(slot) => target.entries[slot].1.extend(xs),
                    None => target.push_new(hash, code, k, xs),
                }
            }
            continue;
        }
        for v in p {
            let (k, x) = pair("groupByKey", v)?;
            let code = k.partition_hash();
            let target = &mut outs[partition_of_code(code, n)];
            let _ = target.upsert(
                k,
                || code,
                || vec![x.clone()],
                |acc| {
                    acc.push(x.clone());
                    Ok(())
                },
            );
        }
    }
    let parts = outs
        .into_iter()
        .map(|g| {
            g.into_spark_order()
                .map(|(k, vs)| Value::pair(k, Value::seq(kind, vs)))
                .collect()
        })
        .collect();
    let lineage = ctx.lineage("ShuffledRDD[groupByKey]", &[rdd], true);
    Ok(Rdd::new(parts, Some(n), lineage))
}

/// Per output partition, `(key, one list of values per input RDD)` in Spark's key order (the
/// slots of `CoGroupedRDD`'s `ExternalAppendOnlyMap`).
pub type CogroupPartitions = Vec<Vec<(Value, Vec<Vec<Value>>)>>;

/// The cogroup of several pair RDDs: per key, one list of values per input RDD.
/// Returns the partitions of `(key, [values of rdd 0, values of rdd 1, ...])`.
pub fn cogroup_raw(rdds: &[&Rdd], n: usize, op: &str) -> Result<CogroupPartitions, SparkError> {
    let n = n.max(1);
    let m = rdds.len();
    let mut outs: Vec<Grouped<Vec<Vec<Value>>>> = (0..n).map(|_| Grouped::new()).collect();
    for (i, r) in rdds.iter().enumerate() {
        for v in r.iter() {
            let (k, x) = pair(op, v)?;
            let code = k.partition_hash();
            let target = &mut outs[partition_of_code(code, n)];
            let _ = target.upsert(
                k,
                || code,
                || {
                    let mut lists = vec![Vec::new(); m];
                    lists[i].push(x.clone());
                    lists
                },
                |lists| {
                    lists[i].push(x.clone());
                    Ok(())
                },
            );
        }
    }
    // CoGroupedRDD inserts every input's records into an ExternalAppendOnlyMap, input by
    // input, and yields its slot order
    Ok(outs
        .into_iter()
        .map(|g| g.into_spark_order().collect())
        .collect())
}

/// `cogroup(other, n)`: `(k, (CompactBuffer(vs), CompactBuffer(ws)))`.
pub fn cogroup(ctx: &mut OpCtx, rdds: &[&Rdd], n: usize) -> Result<Rdd, SparkError> {
    let groups = cogroup_raw(rdds, n, "cogroup")?;
    let parts = groups
        .into_iter()
        .map(|entries| {
            entries
                .into_iter()
                .map(|(k, lists)| {
                    let bufs = lists
                        .into_iter()
                        .map(|l| Value::seq(SeqKind::CompactBuffer, l))
                        .collect();
                    Value::pair(k, Value::tuple(bufs))
                })
                .collect()
        })
        .collect();
    let lineage = ctx.lineage("CoGroupedRDD", rdds, true);
    Ok(Rdd::new(parts, Some(n.max(1)), lineage))
}

/// The four joins of `PairRDDFunctions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// `join`: `(k, (v, w))` for keys on both sides.
    Inner,
    /// `leftOuterJoin`: `(k, (v, Some(w)))` or `(k, (v, None))`.
    LeftOuter,
    /// `rightOuterJoin`: `(k, (Some(v), w))` or `(k, (None, w))`.
    RightOuter,
    /// `fullOuterJoin`: `(k, (Option(v), Option(w)))`.
    FullOuter,
}

impl JoinKind {
    /// The operator's Spark name.
    pub fn name(self) -> &'static str {
        match self {
            JoinKind::Inner => "join",
            JoinKind::LeftOuter => "leftOuterJoin",
            JoinKind::RightOuter => "rightOuterJoin",
            JoinKind::FullOuter => "fullOuterJoin",
        }
    }
}

/// A join of two pair RDDs into `n` partitions, built on the cogroup as Spark builds it.
pub fn join(
    ctx: &mut OpCtx,
    left: &Rdd,
    right: &Rdd,
    kind: JoinKind,
    n: usize,
) -> Result<Rdd, SparkError> {
    let groups = cogroup_raw(&[left, right], n, kind.name())?;
    let some = |v: &Value| Value::some(v.clone());
    let parts = groups
        .into_iter()
        .map(|entries| {
            let mut out = Vec::new();
            for (k, lists) in entries {
                let (vs, ws) = (&lists[0], &lists[1]);
                let mut emit =
                    |a: Value, b: Value| out.push(Value::pair(k.clone(), Value::pair(a, b)));
                match kind {
                    JoinKind::Inner => {
                        for v in vs {
                            for w in ws {
                                emit(v.clone(), w.clone());
                            }
                        }
                    }
                    JoinKind::LeftOuter => {
                        for v in vs {
                            if ws.is_empty() {
                                emit(v.clone(), Value::none());
                            }
                            for w in ws {
                                emit(v.clone(), some(w));
                            }
                        }
                    }
                    JoinKind::RightOuter => {
                        for w in ws {
                            if vs.is_empty() {
                                emit(Value::none(), w.clone());
                            }
                            for v in vs {
                                emit(some(v), w.clone());
                            }
                        }
                    }
                    JoinKind::FullOuter => {
                        if vs.is_empty() {
                            for w in ws {
                                emit(Value::none(), some(w));
                            }
                        } else if ws.is_empty() {
                            for v in vs {
                                emit(some(v), Value::none());
                            }
                        } else {
                            for v in vs {
                                for w in ws {
                                    emit(some(v), some(w));
                                }
                            }
                        }
                    }
                }
            }
            out
        })
        .collect();
    let lineage = ctx.lineage(
        &format!("MapPartitionsRDD[{}] of CoGroupedRDD", kind.name()),
        &[left, right],
        true,
    );
    Ok(Rdd::new(parts, Some(n.max(1)), lineage))
}

/// `count()` as Spark's `DStream.count` computes it: `(null, 1)` per record unioned with one
/// `(null, 0)`, reduced by key into the default parallelism, so an empty batch gives `[0]`.
pub fn count(ctx: &mut OpCtx, rdd: &Rdd) -> Result<Rdd, SparkError> {
    let n = ctx.default_parallelism;
    let mut parts: Vec<Partition> = vec![Vec::new(); n];
    parts[Value::Null.partition_of(n)].push(Value::Int(rdd.count() as i64));
    let lineage = ctx.lineage("MapPartitionsRDD[count] of ShuffledRDD", &[rdd], true);
    Ok(Rdd::new(parts, None, lineage))
}

/// `reduce(f)` as Spark's `DStream.reduce`: `map((null, _)).reduceByKey(f, 1).map(_._2)`,
/// one partition; an empty batch gives `[]`. Values are combined per partition first.
pub fn reduce(ctx: &mut OpCtx, rdd: &Rdd, f: &Func) -> Result<Rdd, SparkError> {
    let mut acc: Option<Value> = None;
    for p in rdd.partitions() {
        let mut local: Option<Value> = None;
        for v in p {
            local = Some(match local {
                None => v.clone(),
                Some(a) => f.call2(&a, v).map_err(|e| ctx.fail("reduce", e))?,
            });
        }
        if let Some(l) = local {
            acc = Some(match acc {
                None => l,
                Some(a) => f.call2(&a, &l).map_err(|e| ctx.fail("reduce", e))?,
            });
        }
    }
    let lineage = ctx.lineage("MapPartitionsRDD[reduce] of ShuffledRDD", &[rdd], true);
    Ok(Rdd::new(vec![acc.into_iter().collect()], None, lineage))
}

/// `countByValue(n)`: `map((_, 1L)).reduceByKey(_ + _, n)`.
pub fn count_by_value(ctx: &mut OpCtx, rdd: &Rdd, n: usize) -> Result<Rdd, SparkError> {
    let n = n.max(1);
    let mut outs: Vec<Grouped<i64>> = (0..n).map(|_| Grouped::new()).collect();
    for p in rdd.partitions() {
        // map-side combine, then the combined counts in hash-code order (see reduce_by_key)
        let mut local: Grouped<i64> = Grouped::with_capacity(p.len() / 4);
        for v in p {
            let _ = local.upsert(
                v,
                || v.partition_hash(),
                || 1,
                |c| {
                    *c += 1;
                    Ok(())
                },
            );
        }
        let hashes = std::mem::take(&mut local.hashes);
        let mut local: Vec<(i32, Value, (i64, u64))> = local
            .codes
            .into_iter()
            .zip(local.entries)
            .zip(hashes)
            .map(|((code, (k, c)), h)| (code, k, (c, h)))
            .collect();
        map_side_order(&mut local);
        for (code, k, (c, hash)) in local {
            let target = &mut outs[partition_of_code(code, n)];
            match target.find(hash, &k) {
                Some(slot) => target.entries[slot].1 += c,
                None => target.push_new(hash, code, k, c),
            }
        }
    }
    let parts = outs
        .into_iter()
        .map(|g| {
            g.into_spark_order()
                .map(|(k, c)| Value::pair(k, Value::Int(c)))
                .collect()
        })
        .collect();
    let lineage = ctx.lineage("ShuffledRDD[countByValue]", &[rdd], true);
    Ok(Rdd::new(parts, Some(n), lineage))
}
