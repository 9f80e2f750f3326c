//! The incremental window of `reduceByKeyAndWindow` with an inverse function (Spark's
//! `ReducedWindowedDStream.compute`, streaming/dstream/ReducedWindowedDStream.scala): the
//! previous window's RDD cogrouped with the batches that left and the batches that entered.
//! See [`Graph::compute_reduced_window`].
//!
//! Each slide keeps, next to the window RDD it outputs, its keys' hashes
//! ([`ops::DistinctKeyHashes`]): the next slide's cogroup takes that RDD as its first input
//! and enters its keys (distinct, as every cogroup's output keys are) without hashing or
//! looking them up again. The hashes live in a small per-thread table keyed by the RDD's
//! data allocation ([`Rdd::shares_data`]), so a window RDD that comes from anywhere else (a
//! checkpoint, the REPL's time travel) is simply hashed again: same result, no shortcut.

use super::{Graph, InputProvider, Node, StreamId};
use crate::func::Func;
use crate::models::dstream::error::SparkError;
use crate::models::dstream::ops::{self, OpCtx};
use crate::models::dstream::rdd::Rdd;
use crate::sim::{Duration, Time};
use crate::value::Value;
use std::cell::RefCell;
use std::sync::Arc;

/// The most window RDDs whose key hashes a thread keeps (one per windowed stream is enough:
/// a slide consumes the previous slide's entry and leaves its own).
const KEPT_WINDOWS: usize = 8;

thread_local! {
    /// Window RDDs this thread output, with their keys' hashes, newest last.
    static KEY_HASHES: RefCell<Vec<(Rdd, Arc<ops::DistinctKeyHashes>)>> =
        const { RefCell::new(Vec::new()) };
}

/// The key hashes kept for `rdd`'s data, if this thread output it (removed: the slide
/// that asks replaces them with its own output's).
fn take_key_hashes(rdd: &Rdd) -> Option<Arc<ops::DistinctKeyHashes>> {
    KEY_HASHES.with(|kept| {
        let mut kept = kept.borrow_mut();
        let at = kept.iter().position(|(r, _)| r.shares_data(rdd))?;
        Some(kept.remove(at).1)
    })
}

/// Keeps `hashes` for `rdd`'s data, dropping the oldest entry beyond [`KEPT_WINDOWS`].
fn keep_key_hashes(rdd: &Rdd, hashes: ops::DistinctKeyHashes) {
    KEY_HASHES.with(|kept| {
        let mut kept = kept.borrow_mut();
        if kept.len() >= KEPT_WINDOWS {
            kept.remove(0);
        }
        kept.push((rdd.clone(), Arc::new(hashes)));
    })
}

impl Graph {
    /// `ReducedWindowedDStream.compute`: previous window value, minus the reduce of the
    /// batches that left, plus the reduce of the batches that entered (cogroup of all).
    #[allow(clippy::type_complexity)]
    pub(super) fn compute_reduced_window(
        &mut self,
        id: StreamId,
        t: Time,
        ctx: &mut OpCtx,
        inputs: &mut dyn InputProvider,
        on_new: &mut dyn FnMut(&Node, Time, &Rdd),
        (reduce, inverse, filter, window, partitions): (
            &Func,
            &Func,
            Option<&Func>,
            Duration,
            usize,
        ),
    ) -> Result<Option<Rdd>, SparkError> {
        let label = self.nodes[id].label();
        let slide = self.nodes[id].slide;
        let parent = self.nodes[id].parents[0];
        let ps = self.nodes[parent].slide;
        // Windows as closed intervals [begin, end]; begins may fall before the clock start.
        let cur_end = t.ms() as i64;
        let cur_begin = cur_end - window.ms() as i64 + ps.ms() as i64;
        let prev_end = cur_end - slide.ms() as i64;
        let prev_begin = cur_begin - slide.ms() as i64;
        let time = |x: i64| if x >= 0 { Some(Time(x as u64)) } else { None };
        let clamp = |x: i64| Some(Time(x.max(0) as u64));
        // Old RDDs: [prev_begin, cur_begin - ps]; new RDDs: [prev_end + ps, cur_end].
        let old_to = cur_begin - ps.ms() as i64;
        let old = if old_to >= 0 && old_to >= prev_begin {
            self.slice(parent, clamp(prev_begin), time(old_to), ctx, inputs, on_new)?
        } else {
            Vec::new()
        };
        let new = self.slice(
            parent,
            clamp(prev_end + ps.ms() as i64),
            time(cur_end),
            ctx,
            inputs,
            on_new,
        )?;
        let previous = match time(prev_end) {
            Some(pt) => self.get_or_compute(id, pt, ctx, inputs, on_new)?,
            None => None,
        };
        ctx.stream = label;
        ctx.time = t;
        let previous = match previous {
            Some(p) => p,
            None => ctx.empty(),
        };
        let mut all: Vec<&Rdd> = vec![&previous];
        all.extend(old.iter());
        all.extend(new.iter());
        let known = take_key_hashes(&previous);
        let groups = ops::CogroupHeads::with_distinct_first(
            &all,
            partitions,
            "reduceByKeyAndWindow",
            known.as_deref(),
        )?;
        let mut out_hashes = ops::DistinctKeyHashes::default();
        let n_old = old.len() as u32;
        let fail = |e| SparkError::Function {
            op: "reduceByKeyAndWindow".into(),
            time: t,
            error: e,
        };
        let reduce_all =
            |vals: &mut dyn Iterator<Item = &Value>| -> Result<Option<Value>, SparkError> {
                let mut acc: Option<Value> = None;
                for v in vals {
                    acc = Some(match acc {
                        None => v.clone(),
                        Some(a) => reduce.call2(&a, v).map_err(fail)?,
                    });
                }
                Ok(acc)
            };
        let mut parts = Vec::with_capacity(groups.num_partitions());
        for p in 0..groups.num_partitions() {
            let keys = groups.partition(p);
            let mut out = Vec::with_capacity(keys.len());
            for &key in keys {
                let records = groups.head_records(key);
                // A key with neither old nor new values keeps its previous value: its
                // record is the previous window's, shared (Spark builds an equal tuple).
                let record = match records {
                    [(0, previous)] => (*previous).clone(),
                    _ => {
                        // Each reduced RDD has at most one value per key: take the head, as
                        // Spark does. Input 0 is the previous window, then the old batches,
                        // then the new.
                        let heads = groups.heads(key);
                        let prev = heads
                            .clone()
                            .next()
                            .filter(|(i, _)| *i == 0)
                            .map(|(_, v)| v);
                        let mut old_vals = heads
                            .clone()
                            .filter(|(i, _)| (1..=n_old).contains(i))
                            .map(|(_, v)| v);
                        let mut new_vals = heads.filter(|(i, _)| *i > n_old).map(|(_, v)| v);
                        let value = match prev {
                            None => match reduce_all(&mut new_vals)? {
                                Some(v) => v,
                                None => {
                                    return Err(SparkError::InvalidArgument(
                                        "Neither previous window has value for key, nor new values found. Are you sure your key class hashes consistently?".into(),
                                    ))
                                }
                            },
                            Some(prev) => {
                                let mut v = prev.clone();
                                if let Some(o) = reduce_all(&mut old_vals)? {
                                    v = inverse.call2(&v, &o).map_err(fail)?;
                                }
                                if let Some(n) = reduce_all(&mut new_vals)? {
                                    v = reduce.call2(&v, &n).map_err(fail)?;
                                }
                                v
                            }
                        };
                        Value::pair(groups.key(key).clone(), value)
                    }
                };
                let keep = match filter {
                    None => true,
                    Some(f) => match f.call1(&record).map_err(fail)? {
                        Value::Bool(b) => b,
                        other => {
                            return Err(fail(crate::func::EvalError {
                                message: format!(
                                    "the filter function must return true or false, not {other}"
                                ),
                            }))
                        }
                    },
                };
                if keep {
                    let (hash, code) = groups.key_hashes(key);
                    out_hashes.hashes.push(hash);
                    out_hashes.codes.push(code);
                    out.push(record);
                }
            }
            parts.push(out);
        }
        let mut parents_l: Vec<&Rdd> = vec![&previous];
        parents_l.extend(old.iter());
        parents_l.extend(new.iter());
        let lineage = ctx.lineage(
            "MapPartitionsRDD[reduceByKeyAndWindow] of CoGroupedRDD",
            &parents_l,
            true,
        );
        let rdd = Rdd::new(parts, Some(partitions), lineage);
        keep_key_hashes(&rdd, out_hashes);
        Ok(Some(rdd))
    }
}
