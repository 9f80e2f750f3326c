//! The sketch operators of the algorithms crate's second set of sketches, on the helpers of
//! `sketches.rs` (panes and state as serialized sketches, the driver merge): Count-Min over a
//! window kept by pane subtraction, VarOpt's weighted sample, Space-Saving's frequent items,
//! and an exponential histogram's sum over the last `n` records. The module table of
//! `sketches.rs` lists every sketch operator with its shape and guarantee.

use super::dstream_graph::TransformFn;
use super::error::SparkError;
use super::ops::OpCtx;
use super::rdd::Rdd;
use super::sketches::{check_k, emit, encode, merge_func, read_sketch, sketch_record};
use super::streaming_context::DStream;
use crate::func::{EvalError, Func};
use crate::sim::{Duration, Time};
use crate::value::Value;
use std::sync::Arc;
use stream_algorithms::{CountMin, ExpHistogram, SpaceSaving, VarOpt};

/// Count-Min's default error: counts over-estimated by at most `eps` of the window's records
/// (width `ceil(e / eps)` = 272 counters per row)...
pub const DEFAULT_CM_EPS: f64 = 0.01;

/// ...with probability at least `1 - delta` per item (depth `ceil(ln(1 / delta))` = 5 rows).
pub const DEFAULT_CM_DELTA: f64 = 0.01;

/// The most items one `weightedSample` may keep.
pub const MAX_WEIGHTED_K: usize = 10_000;

impl DStream {
    /// `approxCountByValueAndWindow(windowLength, slideInterval, [eps], [delta])`: every
    /// `slide`, the number of times each record seen in the last slide occurred in the last
    /// `window`, estimated by a Count-Min sketch (G. Cormode and S. Muthukrishnan, "An
    /// improved data stream summary: the count-min sketch and its applications", J.
    /// Algorithms 55(1), 2005), the sketch analog of `countByValueAndWindow`.
    ///
    /// The window's sketch is kept the way Spark keeps `reduceByKeyAndWindow` with an inverse
    /// function: one sketch per batch (a pane, serialized), and every slide the previous
    /// window's sketch plus the panes that entered minus the panes that left
    /// (`reduceByWindow(merge, subtract, w, s)`; Count-Min is linear, so subtraction is exact
    /// and the result equals a sketch of the window's records). Like that form it needs a
    /// checkpoint directory.
    ///
    /// Shape: `(record, (estimate, errorBound))` for each distinct record of the last slide,
    /// in one partition, by estimate descending then record. Guarantee: `estimate >= f`
    /// always, and `estimate <= f + errorBound` with probability at least `1 - delta`, where
    /// `errorBound = ceil(e / width * n)` and `n` is the number of records in the window.
    /// Memory: `width * depth` counters per pane and per window, whatever the window holds.
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] unless `0 < eps <= 1` and `0 < delta < 1`; window
    /// validation and lifecycle errors (a checkpoint directory is required).
    pub fn approx_count_by_value_and_window(
        &self,
        window: Duration,
        slide: Duration,
        eps: f64,
        delta: f64,
    ) -> Result<DStream, SparkError> {
        let bad = |e: stream_algorithms::count_min::CountMinError| {
            SparkError::InvalidArgument(format!("approxCountByValueAndWindow: {e}"))
        };
        // Every pane must share the hash functions: one seed for the stream.
        let seed = {
            use rand::Rng;
            self.context()
                .seeds()
                .rng("sketch/countMin")
                .random::<u64>()
        };
        CountMin::new(eps, delta, seed).map_err(bad)?;
        let pane: TransformFn = Arc::new(move |ctx: &mut OpCtx, rdds: &[Rdd], _t: Time| {
            let Some(r) = rdds.first() else {
                return Ok(None);
            };
            let mut cm = CountMin::new(eps, delta, seed).map_err(bad)?;
            let mut buf = Vec::new();
            for part in r.partitions() {
                for v in part {
                    buf.clear();
                    encode(v, &mut buf);
                    cm.add(&buf[..]);
                }
            }
            let op = format!("approxCountByValueAndWindow pane (eps={eps})");
            Ok(Some(emit(ctx, r, &op, vec![sketch_record(&cm)?])))
        });
        let subtract = Func::native("subtract (Count-Min panes)", 2, |a| {
            let op = "approxCountByValueAndWindow";
            let mut acc: CountMin = read_sketch(op, &a[0])?;
            let gone: CountMin = read_sketch(op, &a[1])?;
            acc.subtract(&gone)
                .map_err(|e| EvalError::new(format!("{op}: {e}")))?;
            sketch_record(&acc).map_err(|e| EvalError::new(e.to_string()))
        });
        let windowed = self.transform(&[], pane)?.reduce_by_window_inv(
            merge_func::<CountMin>("approxCountByValueAndWindow"),
            subtract,
            window,
            slide,
        )?;
        let recent = self.window(slide, Some(slide))?;
        let answer: TransformFn = Arc::new(move |ctx: &mut OpCtx, rdds: &[Rdd], _t: Time| {
            let (Some(sketch), Some(recent)) = (rdds.first(), rdds.get(1)) else {
                return Ok(None);
            };
            let Some(record) = sketch.iter().next() else {
                return Ok(None);
            };
            let cm: CountMin = read_sketch("approxCountByValueAndWindow", record)
                .map_err(|e| SparkError::InvalidArgument(e.message))?;
            let bound = (cm.epsilon() * cm.total() as f64).ceil() as i64;
            let mut items: Vec<Value> = recent.iter().cloned().collect();
            items.sort();
            items.dedup();
            let mut buf = Vec::new();
            let mut rows: Vec<(i64, Value)> = items
                .into_iter()
                .map(|v| {
                    buf.clear();
                    encode(&v, &mut buf);
                    (i64::try_from(cm.estimate(&buf[..])).unwrap_or(i64::MAX), v)
                })
                .collect();
            rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            let records = rows
                .into_iter()
                .map(|(est, v)| Value::pair(v, Value::pair(Value::Int(est), Value::Int(bound))))
                .collect();
            let op = format!("approxCountByValueAndWindow(eps={eps})");
            Ok(Some(emit(ctx, sketch, &op, records)))
        });
        windowed.transform(&[recent], answer)
    }

    /// `freqItems(k)`: per batch, the frequent records by the Space-Saving summary (A.
    /// Metwally, D. Agrawal, A. El Abbadi, "Efficient computation of frequent and top-k
    /// elements in data streams", ICDT 2005) with `k` counters per partition, merged at the
    /// driver by the mergeable-summaries merge (P. K. Agarwal et al., PODS 2012): the
    /// over-estimating counterpart of [`DStream::heavy_hitters`]' Misra-Gries. The name is
    /// Spark SQL's `DataFrameStatFunctions.freqItems`, which answers the same question with
    /// Karp, Shenker and Papadimitriou's algorithm.
    ///
    /// Shape: fewer than `k` records `(item, (estimate, lower, upper))` (the merge keeps at
    /// most `k - 1` counters: the items whose merged count stands above its error floor),
    /// `Int` counts, in one partition, by estimate descending then item. `estimate = upper` is the counter
    /// (Space-Saving never under-counts a monitored item); `lower = count - error`.
    /// Guarantee (deterministic): `lower <= f(item) <= upper`, and every item with
    /// `f > n/k` is listed.
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] unless `1 <= k <=` [`MAX_K`](super::sketches::MAX_K); lifecycle errors.
    pub fn freq_items(&self, k: usize) -> Result<DStream, SparkError> {
        check_k("freqItems", k)?;
        let f: TransformFn = Arc::new(move |ctx: &mut OpCtx, rdds: &[Rdd], _t: Time| {
            let Some(r) = rdds.first() else {
                return Ok(None);
            };
            let mut acc: SpaceSaving<Value> = SpaceSaving::new(k);
            for part in r.partitions() {
                let mut local: SpaceSaving<Value> = SpaceSaving::new(k);
                for v in part {
                    local.add(v.clone());
                }
                acc.merge(&local)
                    .map_err(|e| SparkError::InvalidArgument(format!("freqItems: {e}")))?;
            }
            let records = acc
                .top(k)
                .into_iter()
                .map(|(item, c)| {
                    let (hi, lo) = (c.count as i64, c.count.saturating_sub(c.error) as i64);
                    Value::pair(
                        item,
                        Value::tuple(vec![Value::Int(hi), Value::Int(lo), Value::Int(hi)]),
                    )
                })
                .collect();
            Ok(Some(emit(ctx, r, &format!("freqItems(k={k})"), records)))
        });
        self.transform(&[], f)
    }

    /// `approxSumOverLast(n, [r])`: after every batch, the sum of the last `n` records
    /// (numbers `>= 0`, in arrival order across batches) estimated by an exponential
    /// histogram (M. Datar, A. Gionis, P. Indyk, R. Motwani, "Maintaining stream statistics
    /// over sliding windows", SIAM J. Comput. 31(6), 2002) in `O(r log n)` buckets, instead
    /// of keeping the `n` records: a count-based sliding window, which DStream windows (by
    /// time) do not give.
    ///
    /// The histogram is the `updateStateByKey` state of one key, in its versioned serialized
    /// form, so it is checkpointed and survives a driver failure.
    ///
    /// Shape: one record `(estimate, (lower, upper))` per batch (`Int`s), in one partition.
    /// Guarantee (deterministic): `lower <= sum <= upper` and the relative error is at most
    /// `1/r`. Records of a batch enter in partition order.
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] unless `n >= 1` and `r >= 1`; lifecycle errors (a
    /// checkpoint directory is required); at run time, a record that is not a number `>= 0`.
    pub fn approx_sum_over_last(&self, n: u64, r: u64) -> Result<DStream, SparkError> {
        ExpHistogram::new(n, r)
            .map_err(|e| SparkError::InvalidArgument(format!("approxSumOverLast: {e}")))?;
        let op = "approxSumOverLast";
        let keyed = Func::native("x => (\"last\", x)", 1, |a| {
            Ok(Value::pair(Value::str("last"), a[0].clone()))
        });
        let update = Func::native("updateExpHistogram", 2, move |a| {
            let mut eh = match &a[1] {
                Value::Opt(Some(state)) => read_sketch::<ExpHistogram>(op, state)?,
                _ => ExpHistogram::new(n, r).map_err(|e| EvalError::new(format!("{op}: {e}")))?,
            };
            if let Value::Seq(_, values) = &a[0] {
                for v in values.iter() {
                    let x = match v {
                        Value::Int(i) if *i >= 0 => *i as u64,
                        Value::Float(f) if *f >= 0.0 && f.is_finite() => f.round() as u64,
                        other => {
                            return Err(EvalError::new(format!(
                                "{op}: records must be numbers >= 0, found {} `{other}`",
                                other.kind_name()
                            )))
                        }
                    };
                    eh.add(x);
                }
            }
            Ok(Value::some(
                sketch_record(&eh).map_err(|e| EvalError::new(e.to_string()))?,
            ))
        });
        let finish = Func::native("finishExpHistogram", 1, move |a| {
            let state = a[0].as_pair().map(|(_, s)| s.clone()).unwrap_or_default();
            let eh: ExpHistogram = read_sketch(op, &state)?;
            let (lo, hi) = eh.bounds();
            Ok(Value::pair(
                Value::Int(eh.estimate() as i64),
                Value::pair(Value::Int(lo as i64), Value::Int(hi as i64)),
            ))
        });
        self.map(keyed)?
            .update_state_by_key(update, false, Some(1), None)?
            .map(finish)
    }

    /// `weightedSample(k)`: per batch, a sample of at most `k` of a pair stream's
    /// `(item, weight)` records, with VarOpt's adjusted weights (E. Cohen, N. Duffield, H.
    /// Kaplan, C. Lund, M. Thorup, "Stream sampling for variance-optimal estimation of subset
    /// sums", SODA 2009): one sample per partition, merged at the driver (VarOpt samples are
    /// mergeable: the merge re-samples the union of the two samples with their adjusted
    /// weights).
    ///
    /// Shape: `(item, adjustedWeight)` records (`Double`), at most `k`, in one partition,
    /// sorted by `Value`'s order. Guarantee: for any subset of the batch, the sum of the
    /// adjusted weights of its sampled items is an unbiased estimate of its total weight,
    /// with the least variance any `k`-sample achieves; the adjusted weights of the whole
    /// sample add up to the batch's total weight exactly (up to rounding). Items heavier
    /// than the threshold `tau` are kept with their own weight. Randomness: seed, stream name
    /// and batch time only (module docs).
    ///
    /// # Errors
    /// [`SparkError::InvalidArgument`] unless `1 <= k <=` [`MAX_WEIGHTED_K`]; at run time, a
    /// record that is not `(item, weight)` with a positive finite number as weight.
    pub fn weighted_sample(&self, k: usize) -> Result<DStream, SparkError> {
        if !(1..=MAX_WEIGHTED_K).contains(&k) {
            return Err(SparkError::InvalidArgument(format!(
                "weightedSample: k must be between 1 and {MAX_WEIGHTED_K}, found {k}"
            )));
        }
        let seeds = self.context().seeds();
        let f: TransformFn = Arc::new(move |ctx: &mut OpCtx, rdds: &[Rdd], t: Time| {
            let Some(r) = rdds.first() else {
                return Ok(None);
            };
            let base = format!("sketch/{}/{}", ctx.stream, t.ms());
            let bad = |e: stream_algorithms::varopt::VarOptError| {
                SparkError::InvalidArgument(format!("weightedSample: {e}"))
            };
            let mut acc: VarOpt<Value> =
                VarOpt::new(k, seeds.rng(&format!("{base}/merge/0"))).map_err(bad)?;
            for (i, part) in r.partitions().iter().enumerate() {
                let mut local: VarOpt<Value> =
                    VarOpt::new(k, seeds.rng(&format!("{base}/part/{i}"))).map_err(bad)?;
                for v in part {
                    let weight = v.as_pair().and_then(|(_, w)| match w {
                        Value::Int(n) => Some(*n as f64),
                        Value::Float(x) => Some(*x),
                        _ => None,
                    });
                    match (v.as_pair(), weight) {
                        (Some((item, _)), Some(w)) if w.is_finite() && w > 0.0 => {
                            local.add(item.clone(), w).map_err(bad)?;
                        }
                        _ => {
                            return Err(SparkError::InvalidArgument(format!(
                                "weightedSample: records must be (item, weight) with a positive number as weight, found {} `{v}`",
                                v.kind_name()
                            )))
                        }
                    }
                }
                acc.merge(&local).map_err(bad)?;
            }
            let mut sample = acc.sample();
            sample.sort_by(|a, b| a.0.cmp(&b.0));
            let records = sample
                .into_iter()
                .map(|(item, w)| Value::pair(item, Value::Float(w)))
                .collect();
            Ok(Some(emit(
                ctx,
                r,
                &format!("weightedSample(k={k})"),
                records,
            )))
        });
        self.transform(&[], f)
    }
}
