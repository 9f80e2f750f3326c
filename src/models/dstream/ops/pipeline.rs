//! Pipelined narrow operators (Spark's stage pipelining: `DAGScheduler` puts a chain of
//! narrow dependencies, `flatMap -> map -> the map side of reduceByKey`, in one stage, and a
//! task runs it as nested iterators over the partition, `MapPartitionsRDD.compute` calling
//! its parent's `iterator`, so no intermediate partition is ever stored).
//!
//! A [`Step`] is one narrow operator. [`stream_chain`] pushes each record of a source
//! partition through a chain of steps, depth first, into a sink: the sink sees exactly the
//! records, in exactly the order, that materializing each step in turn would give (each
//! record's outputs stay together and in order). It counts the records each step makes per
//! partition, which is all the trace needs of an intermediate RDD. Any error stops the pass
//! with [`Fallback`]: the caller then computes the chain step by step, as without
//! pipelining, so that the error (and which step raised it first) is the unpipelined one.

use super::grouped::{fold, Combiner};
use super::{flatten_into, Combined, Grouped, Partition};
use crate::func::{EvalError, Func};
use crate::models::dstream::rdd::{PartitionFn, Rdd};
use crate::value::Value;
use std::sync::Arc;

/// One narrow operator that can be pipelined.
#[derive(Clone, Debug)]
pub enum Step {
    /// `map(f)`.
    Map(Func),
    /// `flatMap(f)`.
    FlatMap(Func),
    /// `filter(f)`.
    Filter(Func),
}

/// The pipelined pass hit an error; the caller must compute the chain step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback;

impl Step {
    /// The operator's Spark name (`map`, `flatMap`, `filter`), as in `MapPartitionsRDD[..]`.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Map(_) => "map",
            Step::FlatMap(_) => "flatMap",
            Step::Filter(_) => "filter",
        }
    }

    /// Whether the output keeps the input's partitioner (`filter` does, as in Spark).
    pub fn keeps_partitioner(&self) -> bool {
        matches!(self, Step::Filter(_))
    }

    /// Applies the step to one partition, records in order (what `map`, `flatMap` and
    /// `filter` compute, and what a deferred RDD computes when first looked at).
    ///
    /// # Errors
    /// The function's error, or a `filter` function that returned a non-boolean.
    pub fn apply_partition(&self, p: &Partition, out: &mut Partition) -> Result<(), EvalError> {
        match self {
            Step::Map(f) => {
                for v in p {
                    out.push(f.call1(v)?);
                }
            }
            Step::FlatMap(f) => {
                for v in p {
                    if !f.call_flat(v, out)? {
                        flatten_into("flatMap", f.call1(v)?, out)?;
                    }
                }
            }
            Step::Filter(f) => {
                for v in p {
                    if keep(f, v)? {
                        out.push(v.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// The step as a shared per-partition function (for [`Rdd::deferred`]).
    pub fn partition_fn(&self) -> PartitionFn {
        let step = self.clone();
        Arc::new(move |p: &Partition, out: &mut Partition| step.apply_partition(p, out))
    }
}

fn keep(f: &Func, v: &Value) -> Result<bool, EvalError> {
    match f.call1(v)? {
        Value::Bool(b) => Ok(b),
        other => Err(EvalError {
            message: format!(
                "filter needs a function returning true or false, but it returned {other}"
            ),
        }),
    }
}

/// What a chain hands its consumer: `(record, None)`, or `(x, Some(c))` for the pair
/// `(x, c)` a last `map(pair(c))` made, not built (see [`Func::pair_const`]).
pub type Sink<'s> = dyn FnMut(&Value, Option<&Value>) -> Result<(), Fallback> + 's;

/// Pushes `v` through `steps` into `sink`, depth first; `counts[i]` counts the records step
/// `i` made, `bufs[i]` is step `i`'s scratch (for `flatMap`).
fn feed(
    steps: &[Step],
    bufs: &mut [Vec<Value>],
    counts: &mut [usize],
    v: &Value,
    sink: &mut Sink<'_>,
) -> Result<(), Fallback> {
    let Some((step, rest)) = steps.split_first() else {
        return sink(v, None);
    };
    let (Some((buf, rest_bufs)), Some((count, rest_counts))) =
        (bufs.split_first_mut(), counts.split_first_mut())
    else {
        return Err(Fallback);
    };
    match step {
        Step::Map(f) => {
            if let (Some(c), true) = (f.pair_const(), rest.is_empty()) {
                *count += 1;
                return sink(v, Some(c));
            }
            let out = f.call1(v).map_err(|_| Fallback)?;
            *count += 1;
            feed(rest, rest_bufs, rest_counts, &out, sink)
        }
        Step::Filter(f) => {
            if keep(f, v).map_err(|_| Fallback)? {
                *count += 1;
                feed(rest, rest_bufs, rest_counts, v, sink)?;
            }
            Ok(())
        }
        Step::FlatMap(f) => {
            let mut items = std::mem::take(buf);
            items.clear();
            if !f.call_flat(v, &mut items).map_err(|_| Fallback)? {
                let whole = f.call1(v).map_err(|_| Fallback)?;
                flatten_into("flatMap", whole, &mut items).map_err(|_| Fallback)?;
            }
            *count += items.len();
            let mut result = Ok(());
            for x in &items {
                result = feed(rest, rest_bufs, rest_counts, x, sink);
                if result.is_err() {
                    break;
                }
            }
            items.clear();
            *buf = items;
            result
        }
    }
}

/// Streams every record of `source` through `steps`, partition by partition, calling
/// `start(p)` before partition `p` and `sink(record)` for each record the last step makes.
/// Returns, per step, the number of records it made in each partition.
///
/// # Errors
/// [`Fallback`] on the first error of a step or of the sink.
pub fn stream_chain(
    source: &Rdd,
    steps: &[Step],
    start: &mut dyn FnMut(usize, usize) -> Result<(), Fallback>,
    sink: &mut Sink<'_>,
) -> Result<Vec<Vec<usize>>, Fallback> {
    let parts = source.partitions();
    let mut lens: Vec<Vec<usize>> = vec![Vec::with_capacity(parts.len()); steps.len()];
    let mut bufs: Vec<Vec<Value>> = vec![Vec::new(); steps.len()];
    let mut counts = vec![0usize; steps.len()];
    for (i, p) in parts.iter().enumerate() {
        start(i, p.len())?;
        counts.iter_mut().for_each(|c| *c = 0);
        for v in p {
            feed(steps, &mut bufs, &mut counts, v, sink)?;
        }
        for (l, c) in lens.iter_mut().zip(&counts) {
            l.push(*c);
        }
    }
    Ok(lens)
}

/// What a fused pass returns: the output partitions, the per-step record counts (one list
/// per step, one count per source partition), and the output records' approx_bytes when the
/// pass counted them as it made them.
pub type Pass = (Vec<Partition>, Vec<Vec<usize>>, Option<u64>);

/// A narrow consumer pipelined: `steps` (the consumer's own step last) over `source`, its
/// output partitions materialized. Returns the partitions, the per-step counts and `None`
/// (no byte count: see [`reduce_by_key_fused`]).
///
/// # Errors
/// [`Fallback`] on any error.
pub fn narrow_fused(source: &Rdd, steps: &[Step]) -> Result<Pass, Fallback> {
    let parts = std::cell::RefCell::new(Vec::<Partition>::with_capacity(source.num_partitions()));
    let lens = stream_chain(
        source,
        steps,
        &mut |_, len| {
            parts.borrow_mut().push(Vec::with_capacity(len));
            Ok(())
        },
        &mut |v, c| {
            let record = match c {
                // what `pair(c)` returns
                Some(c) => Value::pair(v.clone(), c.clone()),
                None => v.clone(),
            };
            match parts.borrow_mut().last_mut() {
                Some(out) => out.push(record),
                None => return Err(Fallback),
            }
            Ok(())
        },
    )?;
    Ok((parts.into_inner(), lens, None))
}

/// `steps` as `head ++ [flatMap(split(sep)), map(pair(c))]` ([`Func::split_literal`],
/// [`Func::pair_const`]): `(head, sep, c)`.
fn split_pair_tail(steps: &[Step]) -> Option<(&[Step], &str, &Value)> {
    match steps {
        [head @ .., Step::FlatMap(split), Step::Map(pair)] => {
            Some((head, split.split_literal()?, pair.pair_const()?))
        }
        _ => None,
    }
}

/// What [`reduce_by_key_fused`] keeps while streaming.
struct Fused<A> {
    /// The sealed combiners of the partitions done.
    done: Vec<Combined<A>>,
    /// The combiner of the partition being read.
    local: Option<Grouped<A>>,
    /// With a split tail: the words (parts) each partition made so far.
    words: Vec<usize>,
}

impl<A> Fused<A> {
    fn seal(&mut self, partitioned: bool) {
        if let Some(local) = self.local.take() {
            self.done.push(super::seal_combiner(local, !partitioned));
        }
    }
}

/// `reduceByKey(f, n)` over `steps` applied to `source`, pipelined: the map-side combine
/// takes each record as the last step makes it. `partitioned` says whether the chain's
/// output is already hash-partitioned into `n`. Returns the output partitions (as
/// [`super::reduce_by_key`] makes them), the per-step counts, and the output records'
/// approx_bytes (summed as they were made, for [`Rdd::with_approx_bytes`]). `hint` is a
/// guess at the keys of a combiner (the caller's from its previous batch): each combiner
/// starts with room for a quarter more than the most keys one has held in that batch or
/// this one; `hint` is then set to the most keys a combiner held this time. No effect on
/// any result.
///
/// A chain ending in `flatMap(split(sep))`, `map(pair(c))` (the word count) hands the
/// combiner each word borrowed from its line ([`crate::value::java_split_each`],
/// `Grouped::upsert_str`): a word becomes a value only as a new key, and neither the
/// words nor the pairs are made; the two steps' counts are the words. The combiner's keys,
/// values, order and errors are those of the records the two steps would make. With an
/// `Int` c and a sum (`Func::adds_ints`) the combiners keep each count as an `i64`
/// (`Combiner`): every value is an `Int`.
///
/// # Errors
/// [`Fallback`] on any error, the reduce side's included.
pub fn reduce_by_key_fused(
    source: &Rdd,
    steps: &[Step],
    f: &Func,
    n: usize,
    partitioned: bool,
    hint: &mut usize,
) -> Result<Pass, Fallback> {
    let time = crate::sim::Time::ZERO;
    let input = |chain, sep| FusedInput {
        source,
        chain,
        sep,
        f,
        n,
        partitioned,
    };
    match split_pair_tail(steps) {
        // the word count's `pair(c)` for an `Int` c, summed: every value is an `Int`, the
        // combiners keep the `i64`s ([`Combiner`])
        Some((head, sep, &Value::Int(c))) if f.adds_ints() => {
            let word = |local: &mut Grouped<i64>, w: &str| {
                local.upsert_str(w, || c, |acc| i64::merge(acc, &c, f))
            };
            fused(&input(head, Some(sep)), hint, word, words_only)
        }
        Some((head, sep, one)) => {
            let word = |local: &mut Grouped<Value>, w: &str| {
                local.upsert_str(w, || one.clone(), |acc| fold(acc, one, f))
            };
            fused(&input(head, Some(sep)), hint, word, words_only)
        }
        None => {
            let word = |_: &mut Grouped<Value>, _: &str| Err(EvalError::new("no split tail"));
            let record = |local: &mut Grouped<Value>, v: &Value, c: Option<&Value>| {
                match c {
                    Some(c) => super::combine_pair(local, v, c, f, "reduceByKey", time),
                    None => super::combine_record(local, v, f, "reduceByKey", time),
                }
                .map_err(|_| Fallback)
            };
            fused(&input(steps, None), hint, word, record)
        }
    }
}

/// What a [`fused`] pass reads: `chain` (the steps before a split tail on `sep`, or all of
/// them) over `source`, reduced by `f` into `n` partitions (`partitioned`: the chain's
/// output already is).
struct FusedInput<'a> {
    source: &'a Rdd,
    chain: &'a [Step],
    sep: Option<&'a str>,
    f: &'a Func,
    n: usize,
    partitioned: bool,
}

/// The record sink of a pass with a split tail, which hands the combiner words and never
/// calls it (a record that is not a line to split falls back before): a fallback too.
fn words_only<A>(_: &mut Grouped<A>, _: &Value, _: Option<&Value>) -> Result<(), Fallback> {
    Err(Fallback)
}

/// [`reduce_by_key_fused`] with combiners of `A`: the input's chain streamed into `word`
/// for each word of its split tail, or into `record` for each record the chain makes (as
/// [`Sink`] hands it).
fn fused<A: Combiner>(
    input: &FusedInput<'_>,
    hint: &mut usize,
    mut word: impl FnMut(&mut Grouped<A>, &str) -> Result<(), EvalError>,
    mut record: impl FnMut(&mut Grouped<A>, &Value, Option<&Value>) -> Result<(), Fallback>,
) -> Result<Pass, Fallback> {
    let FusedInput {
        source,
        chain,
        sep,
        f,
        n,
        partitioned,
    } = *input;
    let n = n.max(1);
    let first_hint = *hint;
    let time = crate::sim::Time::ZERO;
    let state = std::cell::RefCell::new(Fused {
        done: Vec::new(),
        local: None,
        words: Vec::new(),
    });
    let mut lens = stream_chain(
        source,
        chain,
        &mut |_, len| {
            let mut st = state.borrow_mut();
            st.seal(partitioned);
            // A guess at the keys (no effect on the order): the most a combiner held in
            // the caller's previous batch or in this one so far, or the source's record
            // count when more, with a quarter more room (a table that fills up doubles
            // and moves its entries).
            let most = st
                .done
                .iter()
                .map(Combined::len)
                .fold(first_hint, usize::max);
            let hint = most.max(len) + most.max(len) / 4;
            st.local = Some(Grouped::with_capacity(hint));
            st.words.push(0);
            Ok(())
        },
        &mut |v, c| {
            let mut st = state.borrow_mut();
            let Fused { local, words, .. } = &mut *st;
            let local = local.as_mut().ok_or(Fallback)?;
            match (sep, c, v) {
                // a record that is not a string (a pair included): split fails on it
                (Some(sep), None, Value::Str(line)) => {
                    let count = words.last_mut().ok_or(Fallback)?;
                    crate::value::java_split_each(line, sep, |w| {
                        *count += 1;
                        word(local, w)
                    })
                    .map_err(|_| Fallback)
                }
                (Some(_), _, _) => Err(Fallback),
                (None, c, v) => record(local, v, c),
            }
        },
    )?;
    let mut st = state.into_inner();
    st.seal(partitioned);
    *hint = st.done.iter().map(Combined::len).max().unwrap_or(0);
    if sep.is_some() {
        // flatMap made the words, map one pair per word
        lens.push(st.words.clone());
        lens.push(st.words);
    }
    let (parts, bytes) =
        super::reduce_side(st.done, f, n, "reduceByKey", time).map_err(|_| Fallback)?;
    Ok((parts, lens, Some(bytes)))
}
