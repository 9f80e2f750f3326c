//! The incremental window of `reduceByKeyAndWindow` with an inverse function (Spark's
//! `ReducedWindowedDStream.compute`, streaming/dstream/ReducedWindowedDStream.scala): the
//! previous window's RDD cogrouped with the batches that left and the batches that entered.
//! See [`Graph::compute_reduced_window`].
//!
//! Each slide keeps, next to the window RDD it outputs, its keys' hashes
//! ([`ops::DistinctKeyHashes`]): the next slide's cogroup takes that RDD as its first input
//! and enters its keys (distinct, as every cogroup's output keys are) without hashing or
//! looking them up again. The hashes live in the window's node of the graph ([`WindowKeys`]),
//! with a weak handle on the data they describe ([`DataRef`]: it keeps no record alive), so
//! a window RDD that comes from anywhere else (a checkpoint, the REPL's time travel, a
//! snapshot that shares an equal copy) is simply hashed again: same result, no shortcut. A
//! snapshot of the graph clones them with the node.

use super::{Graph, InputProvider, Node, StreamId};
use crate::func::Func;
use crate::models::dstream::error::SparkError;
use crate::models::dstream::ops::{self, OpCtx};
use crate::models::dstream::rdd::{DataRef, Rdd};
use crate::sim::{Duration, Time};
use crate::value::Value;
use std::sync::Arc;

/// The latest window RDD a `ReducedWindowedDStream` output (a weak handle on its data),
/// with its keys' hashes (record by record in [`Rdd::iter`] order): what its next slide's
/// cogroup needs to enter the previous window's keys without hashing them.
#[derive(Clone)]
pub(super) struct WindowKeys {
    /// The window RDD's data.
    rdd: DataRef,
    /// Its keys' hashes.
    hashes: Arc<ops::DistinctKeyHashes>,
}

/// The kept key hashes as the live graph holds them ([`Node`]'s `window_keys`): a cache
/// that a clone of the graph (a REPL snapshot, a fork) does not carry. Snapshots that
/// carried it kept every slide's hashes alive: on `wordcount`, whose window keeps every word
/// ever seen (no filter function: counts fall to 0 and stay), about 280 KB a snapshot, 358 MB
/// over the 1,250 snapshots of `step 100000` (`bench` figure 5: 614 MiB against 256 before
/// the cache). A restored or forked graph hashes its window's keys again at its next slide,
/// with the same results.
#[derive(Default)]
pub(super) struct KeptKeys(pub(super) Option<WindowKeys>);

impl Clone for KeptKeys {
    fn clone(&self) -> Self {
        KeptKeys(None)
    }
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
        // The hashes kept for the previous window, if this node output that very RDD
        // (taken: this slide leaves its own output's).
        let known = self.nodes[id]
            .window_keys
            .0
            .take()
            .filter(|k| k.rdd.is_data_of(&previous))
            .map(|k| k.hashes);
        let groups = ops::CogroupHeads::with_distinct_first(
            &all,
            partitions,
            "reduceByKeyAndWindow",
            known.as_deref(),
        )?;
        let mut out_hashes = ops::DistinctKeyHashes {
            hashes: Vec::with_capacity(groups.num_keys()),
            codes: Vec::with_capacity(groups.num_keys()),
        };
        let n_old = old.len() as u32;
        let fail = |e| SparkError::Function {
            op: "reduceByKeyAndWindow".into(),
            time: t,
            error: e,
        };
        // The reduce of a run of head records (their values, in order), `None` if empty.
        let reduce_all = |records: &[(u32, &Value)]| -> Result<Option<Value>, SparkError> {
            let mut values = records.iter().map(|&(_, r)| value_of(r));
            let Some(first) = values.next() else {
                return Ok(None);
            };
            let mut acc = first.clone();
            for v in values {
                acc = reduce.call2(&acc, v).map_err(fail)?;
            }
            Ok(Some(acc))
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
                        // then the new; a key's heads are in input order.
                        let (prev, rest) = match records {
                            [(0, p), rest @ ..] => (Some(value_of(p)), rest),
                            _ => (None, records),
                        };
                        let (old_heads, new_heads) =
                            rest.split_at(rest.partition_point(|&(i, _)| i <= n_old));
                        let value = match prev {
                            None => match reduce_all(new_heads)? {
                                Some(v) => v,
                                None => {
                                    return Err(SparkError::InvalidArgument(
                                        "Neither previous window has value for key, nor new values found. Are you sure your key class hashes consistently?".into(),
                                    ))
                                }
                            },
                            Some(prev) => {
                                let mut v = match reduce_all(old_heads)? {
                                    Some(o) => inverse.call2(prev, &o).map_err(fail)?,
                                    None => prev.clone(),
                                };
                                if let Some(n) = reduce_all(new_heads)? {
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
        self.nodes[id].window_keys.0 = Some(WindowKeys {
            rdd: rdd.data_ref(),
            hashes: Arc::new(out_hashes),
        });
        Ok(Some(rdd))
    }
}

/// The value of a head record (a pair: [`ops::CogroupHeads`] checked it).
fn value_of(record: &Value) -> &Value {
    match record.as_pair() {
        Some((_, v)) => v,
        None => &Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_lines::{pair1, split, Lines};
    use super::super::{InputKind, Op};
    use super::*;
    use crate::func::EvalError;

    fn input() -> Lines {
        Lines(vec![
            vec![vec!["a b a", "the c"], vec!["b  b"]],
            vec![],
            vec![vec!["c"], vec![], vec!["a the a"]],
            vec![vec!["d a"]],
            vec![vec!["b"], vec!["a d"]],
            vec![vec!["e"]],
            vec![],
            vec![vec!["f g h i j k l m n o p q r s"]],
            vec![vec!["a"]],
            vec![],
            vec![],
            vec![vec!["z y x w v u t s"]],
        ])
    }

    fn native(name: &str, f: fn(&[Value]) -> Result<Value, EvalError>) -> Func {
        let arity = if name == "positive" { 1 } else { 2 };
        Func::native(name, arity, f)
    }

    fn int(v: &Value) -> Result<i64, EvalError> {
        match v {
            Value::Int(x) => Ok(*x),
            _ => Err(EvalError::new("not an Int")),
        }
    }

    /// `lines.flatMap(split).map(pair(1)).reduceByKeyAndWindow(sum, sub, 4s, 2s, 3,
    /// filter)`: the window's stream id.
    fn graph(filter: bool) -> (Graph, StreamId) {
        let sum = native("sum", |a| Ok(Value::Int(int(&a[0])? + int(&a[1])?)));
        let sub = native("sub", |a| Ok(Value::Int(int(&a[0])? - int(&a[1])?)));
        let positive = native("positive", |a| match a[0].as_pair() {
            Some((_, v)) => Ok(Value::Bool(int(v)? > 0)),
            None => Err(EvalError::new("not a pair")),
        });
        let mut g = Graph::new();
        let s = Some(Duration::from_secs(1));
        let lines = g.add(Op::Input(0, InputKind::Test), vec![], s).expect("in");
        let words = g.add(Op::FlatMap(split()), vec![lines], None).expect("w");
        let pairs = g.add(Op::Map(pair1()), vec![words], None).expect("p");
        let reduced = g
            .add(Op::ReduceByKey(sum.clone(), 3), vec![pairs], None)
            .expect("r");
        let window = Op::ReducedWindow {
            reduce: sum,
            inverse: sub,
            filter: filter.then_some(positive),
            window: Duration::from_secs(4),
            partitions: 3,
        };
        let id = g
            .add(window, vec![reduced], Some(Duration::from_secs(2)))
            .expect("window");
        g.initialize(Time::ZERO, &[id], None, true).expect("init");
        (g, id)
    }

    /// Computes the window at 2 s, 4 s, ... up to `n` s (forgetting the kept hashes before
    /// each slide when `forget`), starting from `g` and `inputs`; returns each window's
    /// records, and checks that each slide leaves its output's hashes in the node.
    fn slides(g: &mut Graph, id: StreamId, from: u64, n: u64, forget: bool) -> Vec<String> {
        let mut ctx = OpCtx::new(0, 2);
        let mut inputs = input();
        let mut out = Vec::new();
        for k in (from..=n).step_by(2) {
            if forget {
                g.nodes[id].window_keys.0 = None;
            }
            let t = Time(k * 1000);
            let rdd = g
                .get_or_compute(id, t, &mut ctx, &mut inputs, &mut |_, _, _| {})
                .expect("computes")
                .expect("an RDD");
            let kept = g.nodes[id].window_keys.0.as_ref().expect("kept");
            assert!(kept.rdd.is_data_of(&rdd));
            assert_eq!(kept.hashes.hashes.len(), rdd.count());
            out.push(format!("{t} {:?}", rdd.partitions()));
            g.clear_old(t);
        }
        out
    }

    #[test]
    fn window_slides_equal_with_and_without_the_kept_key_hashes() {
        // The previous window's key hashes, kept in the window's node, change nothing: each
        // slide equals one that hashes every key again, with and without a filter.
        for filter in [false, true] {
            let (mut g, id) = graph(filter);
            let fast = slides(&mut g, id, 2, 14, false);
            let (mut g, id) = graph(filter);
            let plain = slides(&mut g, id, 2, 14, true);
            assert_eq!(fast, plain);
            assert!(fast.iter().any(|w| w.contains("Int(0)")) != filter);
        }
    }

    #[test]
    fn a_cloned_graph_leaves_the_window_key_hashes_and_slides_on_identically() {
        // A snapshot (a clone of the graph) does not carry the hashes of its latest window
        // (a cache of the live graph: carried, every snapshot kept its own) and slides on
        // exactly as the original does, hashing the keys again.
        let (mut g, id) = graph(false);
        let first = slides(&mut g, id, 2, 6, false);
        let mut copy = g.clone();
        assert!(g.nodes[id].window_keys.0.is_some());
        assert!(copy.nodes[id].window_keys.0.is_none());
        let rest = slides(&mut g, id, 8, 14, false);
        assert_eq!(slides(&mut copy, id, 8, 14, false), rest);
        let (mut plain, id) = graph(false);
        let all = slides(&mut plain, id, 2, 14, true);
        assert_eq!([first, rest].concat(), all);
    }
}
