//! Sketch operators: a streaming algorithm from the `stream-algorithms` crate run on every
//! batch (or window) of a DStream, one summary per partition, merged at the driver.
//!
//! Each operator is built only from the public [`DStream`] API: the windowed forms are
//! `window(w, s)` followed by the per-batch form, and the per-batch form is a `transform`
//! whose function plays both roles of a Spark job: it builds one summary per input
//! partition (what each task would do in `mapPartitions`) and merges the summaries in
//! partition order (what the driver does with the collected summaries). A window's RDD is
//! the union of its batches' partitions, so over a window the per-partition summaries are
//! per-block, per-batch summaries and the merge spans both partitions and batches; every
//! algorithm here is *mergeable*, so the merged summary carries the same guarantee as one
//! built over the whole window at once.
//!
//! | operator | scenario form | records emitted (one partition) | guarantee |
//! | --- | --- | --- | --- |
//! | [`DStream::sample`] | `sample(k)` | `min(k, n)` input records | uniform `k`-subset of the batch |
//! | [`DStream::sample_by_window`] | `sampleByWindow(k, w, s)` | `min(k, n)` input records | uniform `k`-subset of the window |
//! | [`DStream::heavy_hitters`] | `heavyHitters(k)` | `(item, (estimate, lower, upper))` | `lower <= f(item) <= upper`; every item with `f > n/(k+1)` listed |
//! | [`DStream::heavy_hitters_by_window`] | `heavyHittersByWindow(k, w, s)` | as above, over the window | as above, `n` = window size |
//! | [`DStream::approx_distinct`] | `approxDistinct([p])` | one `(estimate, relativeStandardError)` | relative standard error `1.04/sqrt(2^p)` |
//! | [`DStream::approx_distinct_by_window`] | `approxDistinctByWindow(w, s, [p])` | as above, over the window (panes merged) | as above |
//! | [`DStream::approx_distinct_by_key`] | `approxDistinctByKey([p])` | `(key, (estimate, relativeStandardError))` per key, since the start | as above, per key |
//! | [`DStream::approx_quantile`] | `approxQuantile(probabilities, [k])` | `(probability, Some(estimate))` per probability, then `(rankError, bound)` | every estimate's rank within `bound` of the asked rank (KLL, deterministic bound) |
//! | [`DStream::approx_count_by_value_and_window`] | `approxCountByValueAndWindow(w, s, [eps], [delta])` | `(record, (estimate, errorBound))` per record of the last slide | `f <= estimate <= f + errorBound` w.p. `1 - delta` (Count-Min, window by pane subtraction) |
//! | [`DStream::freq_items`] | `freqItems(k)` | `(item, (estimate, lower, upper))`, fewer than `k` | `lower <= f <= upper`; every item above `n/k` listed (Space-Saving, mergeable) |
//! | [`DStream::approx_sum_over_last`] | `approxSumOverLast(n, [r])` | one `(estimate, (lower, upper))` per batch | sum of the last `n` records within `1/r` (exponential histogram, in state) |
//! | [`DStream::weighted_sample`] | `weightedSample(k)` on `(item, weight)` | at most `k` `(item, adjustedWeight)` | unbiased subset sums, variance-optimal (VarOpt, mergeable) |
//! | [`DStream::approx_quantile_by_window`] | `approxQuantileByWindow(probabilities, w, s, [k])` | as above, over the window (panes merged) | as above |
//!
//! Here `n` is the number of records in the batch (or window) and `f(x)` the number of
//! records equal to `x`.
//!
//! **Panes.** `approxDistinctByWindow` and `approxQuantileByWindow` do not re-read the
//! window's records on every slide: each batch's records become one sketch (a *pane*, one
//! record holding the sketch's versioned serialized form, [`stream_algorithms::serial`]),
//! and the window merges its panes with `reduceByWindow(merge, w, s)`, which is Spark's
//! `reduce(f).window(w, s).reduce(f)` (`DStream.reduceByWindow`). The window then holds one
//! record per batch. HyperLogLog merges exactly, so the answer equals a sketch of the whole
//! window; KLL's merge keeps its rank-error bound. `heavyHitters` and `sample` still
//! summarise the window's records: their summaries hold records, whose serialized form
//! would need a reader for every `Value` kind. `approxDistinctByKey` keeps a serialized
//! sketch per key as `updateStateByKey` state, checkpointed with the state stream, so it
//! survives a driver failure. The operators of the crate's second set of sketches
//! (Count-Min windows, VarOpt, Space-Saving, the exponential histogram) live in
//! `more_sketches.rs`, on the same helpers.
//!
//! **Showing the sketch state.** The emitted RDD *is* the merged sketch's state, so the
//! REPL's `show <stream> [time]` prints it like any other stream (`show top` lists the
//! Misra–Gries counters with their bounds), and `print()` prints it as Spark would.
//!
//! **Determinism.** Randomness (only the samplers use any) comes from the context's seed
//! tree: partition `i` of the batch at time `t` of stream `name` draws from
//! `seeds().rng("sketch/{name}/{t_ms}/part/{i}")` and the `j`-th driver merge from
//! `seeds().rng("sketch/{name}/{t_ms}/merge/{j}")`, so a batch's sample depends only on the
//! root seed, the stream's name (its label in the graph: the scenario variable, or `#id`)
//! and the batch time, never on what ran before. Items are hashed (HyperLogLog) through a
//! fixed, tagged, length-prefixed byte encoding of the [`Value`] and the algorithms
//! crate's portable hash, never `std`'s `RandomState`; Misra–Gries keys are ordered by
//! `Value`'s total order, so no hash-map iteration order reaches the output.

use super::dstream_graph::TransformFn;
use super::error::SparkError;
use super::ops::OpCtx;
use super::rdd::Rdd;
use super::streaming_context::DStream;
use crate::func::{EvalError, Func};
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, Time};
use crate::value::{SeqKind, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use stream_algorithms::reservoir::{self, ReservoirR};
use stream_algorithms::{CountMin, HyperLogLog, Kll, MisraGries, ReservoirL};

/// The largest `k` a sampler or a heavy-hitters summary accepts (each partition's summary
/// holds up to `k` items).
pub const MAX_K: usize = 100_000;

/// HyperLogLog precision used when none is given: `2^12 = 4096` registers, relative
/// standard error `1.04 / 64 = 1.625 %`.
pub const DEFAULT_PRECISION: u8 = 12;

pub(super) fn check_k(op: &str, k: usize) -> Result<(), SparkError> {
    if k == 0 || k > MAX_K {
        return Err(SparkError::InvalidArgument(format!(
            "{op}: k must be between 1 and {MAX_K}, found {k}"
        )));
    }
    Ok(())
}

/// Validates a HyperLogLog precision given as a count (scenario argument): `4..=18`.
///
/// # Errors
/// [`SparkError::InvalidArgument`] outside `4..=18`.
pub fn precision(p: usize) -> Result<u8, SparkError> {
    match u8::try_from(p) {
        Ok(p) if (4..=18).contains(&p) => Ok(p),
        _ => Err(SparkError::InvalidArgument(format!(
            "approxDistinct: precision must be between 4 and 18 (2^p registers), found {p}"
        ))),
    }
}

/// KLL size used when none is given: `k = 200` (rank error within about 1 % of `n`; the
/// algorithms crate measured 0.85 % worst, 0.40 % mean over its tests).
pub const DEFAULT_KLL_K: usize = 200;

/// The most probabilities one `approxQuantile` call may ask for.
pub const MAX_PROBABILITIES: usize = 100;

/// Validates `approxQuantile`'s probabilities (each in `[0, 1]`, 1 to
/// [`MAX_PROBABILITIES`] of them) and `k` (`8..=`[`MAX_K`]).
///
/// # Errors
/// [`SparkError::InvalidArgument`] naming the bad value and the valid range.
pub fn check_quantile_args(probabilities: &[f64], k: usize) -> Result<(), SparkError> {
    if probabilities.is_empty() || probabilities.len() > MAX_PROBABILITIES {
        return Err(SparkError::InvalidArgument(format!(
            "approxQuantile: between 1 and {MAX_PROBABILITIES} probabilities, found {}",
            probabilities.len()
        )));
    }
    if let Some(p) = probabilities.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(SparkError::InvalidArgument(format!(
            "approxQuantile: each probability must be in [0, 1], found {p}"
        )));
    }
    if !(8..=MAX_K).contains(&k) {
        return Err(SparkError::InvalidArgument(format!(
            "approxQuantile: k must be between 8 and {MAX_K}, found {k}"
        )));
    }
    Ok(())
}

/// `approxQuantile`'s probabilities from the scenario argument (`List(0.5, 0.99)`: numbers);
/// `None` when it is not a sequence of numbers.
pub fn probabilities_of(v: &Value) -> Option<Vec<f64>> {
    match v {
        Value::Seq(_, items) => items
            .iter()
            .map(|x| match x {
                Value::Float(f) => Some(*f),
                Value::Int(n) => Some(*n as f64),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// KLL with size `k` per partition, merged at the driver; one record per probability
/// `(probability, estimate)` (an empty batch: `(probability, None)`), and a last record
/// `("rankError", bound)` with the sketch's worst-case rank error in records.
fn approx_quantile_rdd(
    ctx: &mut OpCtx,
    seeds: SeedTree,
    probabilities: &[f64],
    k: usize,
    rdd: &Rdd,
    t: Time,
) -> Result<Rdd, SparkError> {
    let acc = kll_of_rdd(ctx, seeds, k, rdd, t)?;
    let records = quantile_records(&acc, probabilities, k)
        .map_err(|e| SparkError::InvalidArgument(e.message))?;
    Ok(emit(ctx, rdd, &format!("approxQuantile(k={k})"), records))
}

/// The KLL sketch of an RDD's numbers: one of size `k` per partition (randomness
/// `sketch/{stream}/{t}/part/{i}`), merged in partition order into one seeded
/// `sketch/{stream}/{t}/merge/0`.
///
/// # Errors
/// A record that is not a number; a bad `k`.
fn kll_of_rdd(
    ctx: &mut OpCtx,
    seeds: SeedTree,
    k: usize,
    rdd: &Rdd,
    t: Time,
) -> Result<Kll, SparkError> {
    let base = format!("sketch/{}/{}", ctx.stream, t.ms());
    let bad = |e: stream_algorithms::kll::KllError| {
        SparkError::InvalidArgument(format!("approxQuantile: {e}"))
    };
    let k32 = u32::try_from(k).unwrap_or(u32::MAX);
    let mut acc = Kll::new(k32, seeds.rng(&format!("{base}/merge/0"))).map_err(bad)?;
    for (i, part) in rdd.partitions().iter().enumerate() {
        let mut local = Kll::new(k32, seeds.rng(&format!("{base}/part/{i}"))).map_err(bad)?;
        for v in part {
            let x = match v {
                Value::Int(n) => *n as f64,
                Value::Float(f) => *f,
                other => {
                    return Err(SparkError::InvalidArgument(format!(
                    "approxQuantile: records must be numbers (Int or Double), found {} `{other}`",
                    other.kind_name()
                )))
                }
            };
            local.add(x).map_err(bad)?;
        }
        acc.merge(&local).map_err(bad)?;
    }
    Ok(acc)
}

/// The single-partition result RDD of a sketch operator.
pub(super) fn emit(ctx: &mut OpCtx, parent: &Rdd, op: &str, records: Vec<Value>) -> Rdd {
    let lineage = ctx.lineage(&format!("SketchRDD[{op}] (driver merge)"), &[parent], false);
    Rdd::new(vec![records], None, lineage)
}

/// A uniform `min(k, n)`-subset of `rdd`'s records: Algorithm L per partition, merged at the
/// driver by the exact hypergeometric merge. Sorted by `Value`'s order (the reservoir's slot
/// order carries no information).
fn sample_rdd(
    ctx: &mut OpCtx,
    seeds: SeedTree,
    k: usize,
    rdd: &Rdd,
    t: Time,
) -> Result<Rdd, SparkError> {
    let base = format!("sketch/{}/{}", ctx.stream, t.ms());
    let mut acc: ReservoirR<Value> = ReservoirR::new(k, seeds.rng(&format!("{base}/merge/0")));
    for (i, part) in rdd.partitions().iter().enumerate() {
        let mut local = ReservoirL::new(k, seeds.rng(&format!("{base}/part/{i}")));
        local.extend_from_slice(part);
        let rng = seeds.rng(&format!("{base}/merge/{}", i + 1));
        acc = reservoir::merge(&acc, &local, rng).map_err(|e| {
            SparkError::InvalidArgument(format!("sample: merging partition {i}: {e}"))
        })?;
    }
    let mut records = acc.sample().to_vec();
    records.sort();
    Ok(emit(ctx, rdd, &format!("sample(k={k})"), records))
}

/// Misra–Gries with `k` counters per partition, merged (Agarwal et al.); every counter as
/// `(item, (estimate, lower, upper))`, by estimate descending then item ascending.
fn heavy_hitters_rdd(ctx: &mut OpCtx, k: usize, rdd: &Rdd) -> Result<Rdd, SparkError> {
    let mut acc: MisraGries<Value> = MisraGries::new(k);
    for (i, part) in rdd.partitions().iter().enumerate() {
        let mut local = MisraGries::new(k);
        for v in part {
            local.add(v.clone());
        }
        acc.merge(&local).map_err(|e| {
            SparkError::InvalidArgument(format!("heavyHitters: merging partition {i}: {e}"))
        })?;
    }
    let d = acc.max_error();
    let mut rows: Vec<(&Value, u64)> = acc.counters().iter().map(|(x, &c)| (x, c)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let int = |c: u64| Value::Int(i64::try_from(c).unwrap_or(i64::MAX));
    let records = rows
        .into_iter()
        .map(|(x, c)| {
            Value::pair(
                x.clone(),
                Value::tuple(vec![int(c), int(c), int(c.saturating_add(d))]),
            )
        })
        .collect();
    Ok(emit(ctx, rdd, &format!("heavyHitters(k={k})"), records))
}

/// HyperLogLog with `2^p` registers per partition, merged by register-wise max; one record
/// `(estimate, relativeStandardError)`.
fn approx_distinct_rdd(ctx: &mut OpCtx, p: u8, rdd: &Rdd) -> Result<Rdd, SparkError> {
    let acc = hll_of_rdd(p, rdd)?;
    Ok(emit(
        ctx,
        rdd,
        &format!("approxDistinct(p={p})"),
        vec![distinct_record(&acc)],
    ))
}

/// A canonical byte encoding of a value: a kind tag, then the contents, with lengths in
/// front of strings and sequences, so distinct values encode to distinct bytes (`"1"` and
/// `1`, `("a,b",c)` and `(a,"b,c")` differ) and equal values to equal bytes on every
/// platform.
pub fn encode(v: &Value, out: &mut Vec<u8>) {
    let len = |n: usize, out: &mut Vec<u8>| out.extend_from_slice(&(n as u64).to_le_bytes());
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
        Value::Int(i) => {
            out.push(2);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(x) => {
            out.push(3);
            out.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        Value::Str(s) => {
            out.push(4);
            len(s.len(), out);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Tuple(fields) => {
            out.push(5);
            len(fields.len(), out);
            for f in fields.iter() {
                encode(f, out);
            }
        }
        Value::Opt(None) => out.push(6),
        Value::Opt(Some(x)) => {
            out.push(7);
            encode(x, out);
        }
        Value::Seq(kind, items) => {
            out.push(8);
            out.push(match kind {
                SeqKind::List => 0,
                SeqKind::CompactBuffer => 1,
                SeqKind::ArrayBuffer => 2,
                SeqKind::Array => 3,
                SeqKind::Set => 4,
                SeqKind::Map => 5,
            });
            len(items.len(), out);
            for x in items.iter() {
                encode(x, out);
            }
        }
    }
}

/// A sketch carried in a record: its versioned serialized form (the algorithms crate's serde
/// format, [`stream_algorithms::serial`], version 1) as JSON text. Panes of windowed sketch
/// operators and the state of [`DStream::approx_distinct_by_key`] are such records, so they
/// are remembered, windowed and checkpointed like any other record.
///
/// # Errors
/// [`SparkError::InvalidArgument`] if the sketch cannot be written (it always can).
pub(super) fn sketch_record<S: Serialize>(sketch: &S) -> Result<Value, SparkError> {
    serde_json::to_string(sketch)
        .map(|t| Value::str(&t))
        .map_err(|e| SparkError::InvalidArgument(format!("cannot serialize a sketch: {e}")))
}

/// Reads a sketch back from [`sketch_record`]'s form, checking its version and invariants.
///
/// # Errors
/// An [`EvalError`] naming the operator when the record is not a serialized sketch of the
/// expected kind and version.
pub(super) fn read_sketch<S: DeserializeOwned>(op: &str, v: &Value) -> Result<S, EvalError> {
    match v {
        Value::Str(text) => serde_json::from_str(text)
            .map_err(|e| EvalError::new(format!("{op}: not a serialized sketch: {e}"))),
        other => Err(EvalError::new(format!(
            "{op}: expected a serialized sketch, found {} `{other}`",
            other.kind_name()
        ))),
    }
}

/// A sketch type whose summaries merge (the pane merge of the windowed operators).
pub(super) trait PaneSketch: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Merges `other` into `self`.
    fn merge_pane(&mut self, other: &Self) -> Result<(), String>;
}

impl PaneSketch for HyperLogLog {
    fn merge_pane(&mut self, other: &Self) -> Result<(), String> {
        self.merge(other).map_err(|e| e.to_string())
    }
}

impl PaneSketch for CountMin {
    fn merge_pane(&mut self, other: &Self) -> Result<(), String> {
        self.merge(other).map_err(|e| e.to_string())
    }
}

impl PaneSketch for Kll {
    fn merge_pane(&mut self, other: &Self) -> Result<(), String> {
        self.merge(other).map_err(|e| e.to_string())
    }
}

/// The reduce function of a pane-merged window: reads two serialized sketches, merges the
/// second into the first (earlier panes first: `reduce` folds in partition and batch
/// order), writes the result.
pub(super) fn merge_func<S: PaneSketch>(op: &'static str) -> Func {
    Func::native(&format!("merge ({op} panes)"), 2, move |a| {
        let mut acc: S = read_sketch(op, &a[0])?;
        let other: S = read_sketch(op, &a[1])?;
        acc.merge_pane(&other)
            .map_err(|e| EvalError::new(format!("{op}: {e}")))?;
        sketch_record(&acc).map_err(|e| EvalError::new(e.to_string()))
    })
}

/// The HyperLogLog of an RDD's records: one sketch per partition, merged in partition order.
fn hll_of_rdd(p: u8, rdd: &Rdd) -> Result<HyperLogLog, SparkError> {
    let new = || {
        HyperLogLog::new(p).map_err(|e| SparkError::InvalidArgument(format!("approxDistinct: {e}")))
    };
    let mut acc = new()?;
    let mut buf = Vec::new();
    for part in rdd.partitions() {
        let mut local = new()?;
        for v in part {
            buf.clear();
            encode(v, &mut buf);
            local.add_bytes(&buf);
        }
        acc.merge(&local)
            .map_err(|e| SparkError::InvalidArgument(format!("approxDistinct: {e}")))?;
    }
    Ok(acc)
}

/// `(estimate, relativeStandardError)` of a HyperLogLog, the record `approxDistinct` emits.
fn distinct_record(hll: &HyperLogLog) -> Value {
    // `estimate` is finite and at most about 2^64; the cast saturates.
    Value::pair(
        Value::Int(hll.estimate().round() as i64),
        Value::Float(hll.standard_error()),
    )
}

/// The KLL pane of one batch: a sketch per partition (randomness
/// `sketch/{stream}/{t}/part/{i}`), merged into one seeded `sketch/{stream}/{t}/merge/0`,
/// emitted as one serialized record.
fn kll_pane_rdd(
    ctx: &mut OpCtx,
    seeds: SeedTree,
    k: usize,
    rdd: &Rdd,
    t: Time,
) -> Result<Rdd, SparkError> {
    let kll = kll_of_rdd(ctx, seeds, k, rdd, t)?;
    let record = sketch_record(&kll)?;
    Ok(emit(
        ctx,
        rdd,
        &format!("approxQuantile pane (k={k})"),
        vec![record],
    ))
}

/// One record per probability `(probability, Some(estimate))` (`None` when empty), then
/// `("rankError", bound)`.
fn quantile_records(kll: &Kll, probabilities: &[f64], k: usize) -> Result<Vec<Value>, EvalError> {
    let estimates = kll
        .quantiles(probabilities)
        .map_err(|e| EvalError::new(format!("approxQuantile(k={k}): {e}")))?;
    let mut records: Vec<Value> = probabilities
        .iter()
        .zip(estimates)
        .map(|(p, e)| {
            Value::pair(
                Value::Float(*p),
                match e {
                    Some(x) => Value::Opt(Some(Arc::new(Value::Float(x)))),
                    None => Value::Opt(None),
                },
            )
        })
        .collect();
    let bound = i64::try_from(kll.worst_case_rank_error()).unwrap_or(i64::MAX);
    records.push(Value::pair(Value::str("rankError"), Value::Int(bound)));
    Ok(records)
}

impl DStream {
    /// `sample(k)`: per batch, a uniform random sample of `min(k, n)` of the batch's `n`
    /// records, without replacement.
    ///
    /// Shape: the sampled records themselves, unchanged, in one partition, sorted by
    /// `Value`'s order. Guarantee: every `min(k, n)`-subset of the batch's records is equally
    /// likely (exact, no approximation; records equal in value are distinct records).
    /// Algorithm: Algorithm L reservoir per partition (K.-H. Li, "Reservoir-sampling
    /// algorithms of time complexity O(n(1+log(N/n)))", ACM TOMS 20(4), 1994), merged at the
    /// driver by the exact hypergeometric split (`stream_algorithms::reservoir::merge`).
    /// Randomness: seed, stream name and batch time only (module docs).
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] unless `1 <= k <=` [`MAX_K`]; lifecycle errors.
    pub fn sample(&self, k: usize) -> Result<DStream, SparkError> {
        check_k("sample", k)?;
        let seeds = self.context().seeds();
        let f: TransformFn =
            Arc::new(
                move |ctx: &mut OpCtx, rdds: &[Rdd], t: Time| match rdds.first() {
                    Some(r) => sample_rdd(ctx, seeds, k, r, t).map(Some),
                    None => Ok(None),
                },
            );
        self.transform(&[], f)
    }

    /// `sampleByWindow(k, windowLength, slideInterval)`: every `slide`, a uniform random
    /// sample of `min(k, n)` of the `n` records in the last `window`: `window(w, s)` then
    /// [`DStream::sample`].
    ///
    /// Shape and guarantee as [`DStream::sample`], over the window (durations are virtual
    /// time; both must be multiples of this stream's slide). Each window's sample is drawn
    /// afresh, so overlapping windows' samples are independent given their contents.
    ///
    /// # Errors
    /// As [`DStream::window`] and [`DStream::sample`].
    pub fn sample_by_window(
        &self,
        k: usize,
        window: Duration,
        slide: Duration,
    ) -> Result<DStream, SparkError> {
        check_k("sampleByWindow", k)?;
        self.window(window, Some(slide))?.sample(k)
    }

    /// `heavyHitters(k)`: per batch, the Misra–Gries summary with `k` counters, built per
    /// partition and merged at the driver.
    ///
    /// Shape: one record per counter (at most `k`), `(item, (estimate, lower, upper))` with
    /// `Int` counts, in one partition, sorted by estimate descending then item ascending.
    /// `estimate = lower` is the counter (Misra–Gries never over-counts); `upper = lower +
    /// D`, where `D <= floor(n/(k+1))` is the merged summary's a-posteriori error. Guarantee
    /// (deterministic): `lower <= f(item) <= upper` for every listed item, and every item
    /// with `f > n/(k+1)` is listed; an unlisted item has `f <= D`. Algorithms: J. Misra and
    /// D. Gries, "Finding repeated elements", Sci. Comput. Program. 2(2), 1982; the merge of
    /// P. K. Agarwal et al., "Mergeable summaries", PODS 2012.
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] unless `1 <= k <=` [`MAX_K`]; lifecycle errors.
    pub fn heavy_hitters(&self, k: usize) -> Result<DStream, SparkError> {
        check_k("heavyHitters", k)?;
        let f: TransformFn =
            Arc::new(
                move |ctx: &mut OpCtx, rdds: &[Rdd], _t: Time| match rdds.first() {
                    Some(r) => heavy_hitters_rdd(ctx, k, r).map(Some),
                    None => Ok(None),
                },
            );
        self.transform(&[], f)
    }

    /// `heavyHittersByWindow(k, windowLength, slideInterval)`: [`DStream::heavy_hitters`]
    /// over the last `window`, every `slide` (`window(w, s)` then `heavy_hitters(k)`); `n`
    /// in the guarantee is the number of records in the window.
    ///
    /// # Errors
    /// As [`DStream::window`] and [`DStream::heavy_hitters`].
    pub fn heavy_hitters_by_window(
        &self,
        k: usize,
        window: Duration,
        slide: Duration,
    ) -> Result<DStream, SparkError> {
        check_k("heavyHittersByWindow", k)?;
        self.window(window, Some(slide))?.heavy_hitters(k)
    }

    /// `approxDistinct([p])`: per batch, the number of distinct records estimated by a
    /// HyperLogLog sketch with `2^p` one-byte registers per partition, merged at the driver by
    /// register-wise max (the sketch of the union).
    ///
    /// Shape: exactly one record `(estimate, relativeStandardError)`: the estimate rounded to
    /// an `Int`, and `1.04 / sqrt(2^p)` as a `Double` (`0.01625` at the default `p = 12`);
    /// an empty batch gives `(0, ..)`. Guarantee: not a hard bound; the estimate (Ertl's
    /// improved raw estimator, 2017, with no switch to linear counting) has a relative root
    /// mean square error of about that standard error at every count; the algorithms crate's
    /// tests assert the measured table. Records are distinct when their values differ. Algorithm: P.
    /// Flajolet, É. Fusy, O. Gandouet and F. Meunier, "HyperLogLog: the analysis of a
    /// near-optimal cardinality estimation algorithm", AofA 2007.
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] unless `4 <= p <= 18`; lifecycle errors.
    pub fn approx_distinct(&self, p: u8) -> Result<DStream, SparkError> {
        precision(usize::from(p))?;
        let f: TransformFn =
            Arc::new(
                move |ctx: &mut OpCtx, rdds: &[Rdd], _t: Time| match rdds.first() {
                    Some(r) => approx_distinct_rdd(ctx, p, r).map(Some),
                    None => Ok(None),
                },
            );
        self.transform(&[], f)
    }

    /// `approxQuantile(probabilities, [k])`: per batch, the quantiles of the records (numbers)
    /// estimated by a KLL sketch of size `k` per partition (Karnin, Lang, Liberty, "Optimal
    /// quantile approximation in streams", FOCS 2016), merged at the driver. The name follows
    /// Spark SQL's `DataFrameStatFunctions.approxQuantile`.
    ///
    /// Shape: one record `(probability, Some(estimate))` per probability, in the order given
    /// (`None` for an empty batch), then `("rankError", bound)`: every estimate's rank is
    /// within `bound` records of the asked rank (the sketch's deterministic worst case).
    /// Randomness (the compactors' coin) as the samplers', from the seed tree.
    ///
    /// # Errors
    /// [`check_quantile_args`]'s; at run time, a record that is not a number.
    pub fn approx_quantile(&self, probabilities: &[f64], k: usize) -> Result<DStream, SparkError> {
        check_quantile_args(probabilities, k)?;
        let seeds = self.context().seeds();
        let probabilities: Arc<[f64]> = Arc::from(probabilities);
        let f: TransformFn =
            Arc::new(
                move |ctx: &mut OpCtx, rdds: &[Rdd], t: Time| match rdds.first() {
                    Some(r) => approx_quantile_rdd(ctx, seeds, &probabilities, k, r, t).map(Some),
                    None => Ok(None),
                },
            );
        self.transform(&[], f)
    }

    /// `approxQuantileByWindow(probabilities, windowLength, slideInterval, [k])`:
    /// [`DStream::approx_quantile`] over the last `window`, every `slide`, by merging one KLL
    /// pane per batch (module doc, "Panes"): `reduceByWindow(merge, w, s)` over the panes,
    /// then the quantiles of the merged sketch. Randomness as the per-batch form's, per pane.
    ///
    /// # Errors
    /// As [`DStream::window`] and [`DStream::approx_quantile`].
    pub fn approx_quantile_by_window(
        &self,
        probabilities: &[f64],
        window: Duration,
        slide: Duration,
        k: usize,
    ) -> Result<DStream, SparkError> {
        check_quantile_args(probabilities, k)?;
        let seeds = self.context().seeds();
        let pane: TransformFn = Arc::new(move |ctx: &mut OpCtx, rdds: &[Rdd], t: Time| match rdds
            .first()
        {
            Some(r) => kll_pane_rdd(ctx, seeds, k, r, t).map(Some),
            None => Ok(None),
        });
        let probabilities: Arc<[f64]> = Arc::from(probabilities);
        let finish = Func::native("finishKll", 1, move |a| {
            let kll: Kll = read_sketch("approxQuantileByWindow", &a[0])?;
            Ok(Value::list(quantile_records(&kll, &probabilities, k)?))
        });
        let flatten = Func::native("identity", 1, |a| Ok(a[0].clone()));
        self.transform(&[], pane)?
            .reduce_by_window(merge_func::<Kll>("approxQuantileByWindow"), window, slide)?
            .map(finish)?
            .flat_map(flatten)
    }

    /// `approxDistinctByWindow(windowLength, slideInterval, [p])`:
    /// [`DStream::approx_distinct`] over the last `window`, every `slide`, by merging one
    /// HyperLogLog pane per batch (module doc, "Panes"): exactly the registers a sketch of
    /// the window's records would hold.
    ///
    /// # Errors
    /// As [`DStream::window`] and [`DStream::approx_distinct`].
    pub fn approx_distinct_by_window(
        &self,
        window: Duration,
        slide: Duration,
        p: u8,
    ) -> Result<DStream, SparkError> {
        precision(usize::from(p))?;
        let pane: TransformFn = Arc::new(move |ctx: &mut OpCtx, rdds: &[Rdd], _t: Time| match rdds
            .first()
        {
            Some(r) => {
                let hll = hll_of_rdd(p, r)?;
                let op = format!("approxDistinct pane (p={p})");
                Ok(Some(emit(ctx, r, &op, vec![sketch_record(&hll)?])))
            }
            None => Ok(None),
        });
        let finish = Func::native("finishHyperLogLog", 1, |a| {
            let hll: HyperLogLog = read_sketch("approxDistinctByWindow", &a[0])?;
            Ok(distinct_record(&hll))
        });
        self.transform(&[], pane)?
            .reduce_by_window(
                merge_func::<HyperLogLog>("approxDistinctByWindow"),
                window,
                slide,
            )?
            .map(finish)
    }

    /// `approxDistinctByKey([p])`: for every key of a pair stream, the number of distinct
    /// values seen so far, over the whole run, estimated by a HyperLogLog sketch kept as the
    /// key's `updateStateByKey` state.
    ///
    /// Shape: `(key, (estimate, relativeStandardError))` per key ever seen, as
    /// [`DStream::approx_distinct`] gives per batch. The state of each key is the sketch in
    /// its versioned serialized form (the algorithms crate's serde format, version 1, as
    /// JSON text): the state stream is checkpointed like any `updateStateByKey` (every
    /// checkpoint interval, `DStreamCheckpointData`), so the sketches survive a driver
    /// failure and a restart from the checkpoint continues the counts exactly. Memory: `2^p`
    /// bytes per key (4 KiB at the default `p = 12`). Guarantee as
    /// [`DStream::approx_distinct`], per key.
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] unless `4 <= p <= 18`; lifecycle errors (a checkpoint
    /// directory is required, as for every `updateStateByKey`); at run time, a record that
    /// is not a pair.
    pub fn approx_distinct_by_key(&self, p: u8) -> Result<DStream, SparkError> {
        precision(usize::from(p))?;
        let update = Func::native("updateHyperLogLog", 2, move |a| {
            let mut hll = match &a[1] {
                Value::Opt(Some(state)) => {
                    read_sketch::<HyperLogLog>("approxDistinctByKey", state)?
                }
                _ => HyperLogLog::new(p)
                    .map_err(|e| EvalError::new(format!("approxDistinctByKey: {e}")))?,
            };
            if let Value::Seq(_, values) = &a[0] {
                let mut buf = Vec::new();
                for v in values.iter() {
                    buf.clear();
                    encode(v, &mut buf);
                    hll.add_bytes(&buf);
                }
            }
            Ok(Value::some(
                sketch_record(&hll).map_err(|e| EvalError::new(e.to_string()))?,
            ))
        });
        let finish = Func::native("finishHyperLogLog", 1, |a| {
            let hll: HyperLogLog = read_sketch("approxDistinctByKey", &a[0])?;
            Ok(distinct_record(&hll))
        });
        self.update_state_by_key(update, false, None, None)?
            .map_values(finish)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves: the byte encoding separates values whose printed forms coincide.
    #[test]
    fn encoding_is_injective_on_lookalikes() {
        let enc = |v: &Value| {
            let mut b = Vec::new();
            encode(v, &mut b);
            b
        };
        let a = Value::tuple(vec![Value::str("a,b"), Value::str("c")]);
        let b = Value::tuple(vec![Value::str("a"), Value::str("b,c")]);
        assert_eq!(a.to_string(), b.to_string());
        assert_ne!(enc(&a), enc(&b));
        assert_ne!(enc(&Value::str("1")), enc(&Value::Int(1)));
        assert_eq!(enc(&Value::str("x")), enc(&Value::str("x")));
    }

    // Proves: k and precision are validated instead of panicking or allocating wildly.
    #[test]
    fn arguments_are_validated() {
        assert!(check_k("t", 0).is_err());
        assert!(check_k("t", MAX_K + 1).is_err());
        assert!(check_k("t", 1).is_ok());
        assert!(precision(3).is_err());
        assert!(precision(19).is_err());
        assert!(precision(300).is_err());
        assert_eq!(precision(12).ok(), Some(12));
    }
}
