//! Pipelined narrow operators in the DStream graph (Spark's stage pipelining: `DAGScheduler`
//! puts a chain of narrow dependencies in one stage, and its task computes
//! `flatMap -> map -> the map side of reduceByKey` record by record, `MapPartitionsRDD.compute`
//! calling its parent's `iterator`). See [`Graph::compute_pipelined`].

use super::{Graph, InputProvider, Node, Op, StreamId};
use crate::models::dstream::error::SparkError;
use crate::models::dstream::ops::{self, OpCtx};
use crate::models::dstream::rdd::Rdd;
use crate::sim::Time;

impl Graph {
    /// Plans the pipelines and the shared `reduceByKey`s (see `shared.rs`) for a start with
    /// these output streams.
    pub(super) fn plan_pipelines(&mut self, outputs: &[StreamId]) {
        self.shared.plan(&self.nodes, outputs);
        self.pipelined = self.pipelinable(outputs);
    }

    /// Which streams a child computes record by record in the same stage, as Spark pipelines
    /// narrow dependencies: a `map`, `flatMap` or `filter` with no output operation and no
    /// checkpoint, whose one and only child is a `map`, `flatMap`, `filter` or `reduceByKey`,
    /// or whose children are all identical `reduceByKey`s (one group of `shared.rs`: the
    /// first one computed at a time streams through it, the others take its data). Its RDDs
    /// are then deferred ([`Rdd::deferred`]): counted while the child streams through them,
    /// their records computed only if someone looks (the REPL, a lost worker).
    pub(super) fn pipelinable(&self, outputs: &[StreamId]) -> Vec<bool> {
        let mut children: Vec<Vec<StreamId>> = vec![Vec::new(); self.nodes.len()];
        for n in &self.nodes {
            for &p in &n.parents {
                children[p].push(n.id);
            }
        }
        self.nodes
            .iter()
            .map(|n| {
                let consumer = |op: &Op| {
                    matches!(
                        op,
                        Op::Map(_) | Op::FlatMap(_) | Op::Filter(_) | Op::ReduceByKey(..)
                    )
                };
                let kids = &children[n.id];
                let group = self.shared.group_of(kids.first().copied().unwrap_or(n.id));
                let consumers = match kids.as_slice() {
                    [one] => consumer(&self.nodes[*one].op),
                    [_, _, ..] => {
                        group.is_some() && kids.iter().all(|&c| self.shared.group_of(c) == group)
                    }
                    [] => false,
                };
                matches!(n.op, Op::Map(_) | Op::FlatMap(_) | Op::Filter(_))
                    && n.checkpoint_interval.is_none()
                    && !outputs.contains(&n.id)
                    && consumers
                    && kids.iter().all(|&c| self.nodes[c].slide == n.slide)
            })
            .collect()
    }

    fn step_of(op: &Op) -> Option<ops::Step> {
        match op {
            Op::Map(f) => Some(ops::Step::Map(f.clone())),
            Op::FlatMap(f) => Some(ops::Step::FlatMap(f.clone())),
            Op::Filter(f) => Some(ops::Step::Filter(f.clone())),
            _ => None,
        }
    }

    /// Computes stream `id` at `t` pipelined with the chain of deferred narrow steps above
    /// it (see [`Graph::pipelinable`]), as a Spark task runs a stage: `Ok(None)` when there
    /// is no such chain or the pipelined pass hit an error (the caller then computes step by
    /// step, so errors are those of the unpipelined order), else `Ok(Some(rdd))`.
    ///
    /// Nothing observable differs from computing step by step: every stream of the chain
    /// gets its RDD (deferred), with the same id (ids are given in the same order, each
    /// step's after its parent's, the consumer's last), the same partitions and record
    /// counts (for the trace), and the same `on_new` calls in the same order.
    ///
    /// A `reduceByKey` with identical twins is computed here whole (shared with its twins,
    /// see `shared.rs`), pipelined or not.
    pub(super) fn compute_pipelined(
        &mut self,
        id: StreamId,
        t: Time,
        ctx: &mut OpCtx,
        inputs: &mut dyn InputProvider,
        on_new: &mut dyn FnMut(&Node, Time, &Rdd),
    ) -> Result<Option<Option<Rdd>>, SparkError> {
        match self.shared.group_of(id) {
            Some(g) => self
                .compute_shared_reduce(id, g, t, ctx, inputs, on_new)
                .map(Some),
            None => self.pipelined_pass(id, t, ctx, inputs, on_new),
        }
    }

    /// [`Graph::compute_pipelined`] without sharing: `Ok(None)` when there is no chain to
    /// pipeline or the pass hit an error.
    pub(super) fn pipelined_pass(
        &mut self,
        id: StreamId,
        t: Time,
        ctx: &mut OpCtx,
        inputs: &mut dyn InputProvider,
        on_new: &mut dyn FnMut(&Node, Time, &Rdd),
    ) -> Result<Option<Option<Rdd>>, SparkError> {
        let own = &self.nodes[id].op;
        if !matches!(
            own,
            Op::Map(_) | Op::FlatMap(_) | Op::Filter(_) | Op::ReduceByKey(..)
        ) {
            return Ok(None);
        }
        // The chain: deferred streams above this one not yet computed at t (innermost last).
        let mut chain: Vec<StreamId> = Vec::new();
        let mut p = self.nodes[id].parents[0];
        while self.pipelined.get(p).copied().unwrap_or(false)
            && !self.nodes[p].generated.contains_key(&t)
            && self.is_time_valid(p, t)
        {
            chain.push(p);
            p = self.nodes[p].parents[0];
        }
        if chain.is_empty() {
            return Ok(None);
        }
        chain.reverse();
        let label = self.nodes[id].label();
        let source = self.get_or_compute(p, t, ctx, inputs, on_new)?;
        ctx.stream = label.clone();
        ctx.time = t;
        // Every step of the chain and this stream are unary: no parent RDD, no RDD.
        let Some(source) = source else {
            return Ok(Some(None));
        };
        let mut steps: Vec<ops::Step> = chain
            .iter()
            .filter_map(|&c| Self::step_of(&self.nodes[c].op))
            .collect();
        let mut partitioner = source.partitioner();
        for s in &steps {
            if !s.keeps_partitioner() {
                partitioner = None;
            }
        }
        let op = self.nodes[id].op.clone();
        let fused = match &op {
            Op::ReduceByKey(f, n) => {
                let partitioned = partitioner == Some((*n).max(1));
                let hint = &mut self.nodes[id].combine_hint;
                ops::reduce_by_key_fused(&source, &steps, f, *n, partitioned, hint)
            }
            other => match Self::step_of(other) {
                Some(own_step) => {
                    steps.push(own_step);
                    ops::narrow_fused(&source, &steps)
                }
                None => return Ok(None),
            },
        };
        let Ok((parts, lens, bytes)) = fused else {
            return Ok(None);
        };
        // The chain's RDDs, deferred, in the order step-by-step computing makes them.
        let mut prev = source;
        for (i, &c) in chain.iter().enumerate() {
            let step = &steps[i];
            ctx.stream = self.nodes[c].label();
            ctx.time = t;
            let lineage = ctx.lineage(
                &format!("MapPartitionsRDD[{}]", step.name()),
                &[&prev],
                false,
            );
            let part = if step.keeps_partitioner() {
                prev.partitioner()
            } else {
                None
            };
            let rdd = Rdd::deferred(prev, step.partition_fn(), lens[i].clone(), part, lineage);
            on_new(&self.nodes[c], t, &rdd);
            self.nodes[c].generated.insert(t, rdd.clone());
            prev = rdd;
        }
        ctx.stream = label;
        ctx.time = t;
        let rdd = match &op {
            Op::ReduceByKey(_, n) => {
                let lineage = ctx.lineage("ShuffledRDD[reduceByKey]", &[&prev], true);
                let rdd = Rdd::new(parts, Some((*n).max(1)), lineage);
                match bytes {
                    Some(b) => rdd.with_approx_bytes(b),
                    None => rdd,
                }
            }
            _ => {
                let own_step = &steps[chain.len()];
                let lineage = ctx.lineage(
                    &format!("MapPartitionsRDD[{}]", own_step.name()),
                    &[&prev],
                    false,
                );
                let part = if own_step.keeps_partitioner() {
                    prev.partitioner()
                } else {
                    None
                };
                Rdd::new(parts, part, lineage)
            }
        };
        Ok(Some(Some(rdd)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::{EvalError, Func};
    use crate::models::dstream::dstream_graph::InputKind;
    use crate::sim::Duration;
    use crate::value::Value;

    use super::super::test_lines::Lines;

    fn split() -> Func {
        let words = |v: &Value| -> Result<Vec<Value>, EvalError> {
            let s = v.as_str().ok_or_else(|| EvalError::new("not a string"))?;
            if s.contains('!') {
                return Err(EvalError::new(format!("split failed on {s}")));
            }
            Ok(s.split(' ').map(Value::str).collect())
        };
        Func::native("split", 1, move |a| Ok(Value::list(words(&a[0])?))).with_flat(
            move |v, out| {
                out.extend(words(v)?);
                Ok(())
            },
        )
    }

    fn pair1() -> Func {
        Func::native("pair(1)", 1, |a| {
            Ok(Value::pair(a[0].clone(), Value::Int(1)))
        })
        .with_pair_const(Value::Int(1))
    }

    fn sum() -> Func {
        Func::native("sum", 2, |a| match (&a[0], &a[1]) {
            (Value::Int(x), Value::Int(y)) if x + y < 100 => Ok(Value::Int(x + y)),
            _ => Err(EvalError::new("sum failed")),
        })
    }

    fn not_the() -> Func {
        Func::native("notThe", 1, |a| match a[0].as_str() {
            Some("the") => Err(EvalError::new("filter failed on the")),
            Some(s) => Ok(Value::Bool(!s.is_empty())),
            None => Ok(Value::Bool(true)),
        })
    }

    /// `lines.flatMap(split).map(pair(1)).reduceByKey(sum, 2)` (output) and
    /// `lines.filter(nonEmpty).map(pair(1))` (output); returns the graph and its outputs.
    fn graph() -> (Graph, Vec<StreamId>) {
        let mut g = Graph::new();
        let s = Some(Duration::from_secs(1));
        let lines = g
            .add(Op::Input(0, InputKind::Test), vec![], s)
            .expect("input");
        let words = g
            .add(Op::FlatMap(split()), vec![lines], None)
            .expect("words");
        let pairs = g.add(Op::Map(pair1()), vec![words], None).expect("pairs");
        let counts = g
            .add(Op::ReduceByKey(sum(), 2), vec![pairs], None)
            .expect("counts");
        let kept = g.add(Op::Filter(not_the()), vec![words], None);
        let _ = kept;
        let whole = g.add(Op::Filter(not_the()), vec![lines], None).expect("f");
        let mapped = g.add(Op::Map(pair1()), vec![whole], None).expect("m");
        (g, vec![counts, mapped])
    }

    /// Runs batches 1..=n; returns every on_new call (stream, time, id, partitions, records),
    /// then every remembered RDD's records, or the first error.
    fn run(pipelined: bool, input: &Lines, n: u64) -> Result<Vec<String>, String> {
        let (mut g, outputs) = graph();
        g.initialize(Time::ZERO, &outputs, None, false)
            .map_err(|e| e.to_string())?;
        if !pipelined {
            g.pipelined = vec![false; g.nodes.len()];
        }
        let mut ctx = OpCtx::new(0, 2);
        let mut inputs = Lines(input.0.clone());
        let mut log = Vec::new();
        for k in 1..=n {
            let t = Time(k * 1000);
            for &o in &outputs {
                let mut on_new = |node: &Node, time: Time, rdd: &Rdd| {
                    log.push(format!(
                        "new {} {time} id={} parts={} records={} deferred={}",
                        node.label(),
                        rdd.id(),
                        rdd.num_partitions(),
                        rdd.count(),
                        !rdd.is_materialized()
                    ));
                };
                g.get_or_compute(o, t, &mut ctx, &mut inputs, &mut on_new)
                    .map_err(|e| e.to_string())?;
            }
        }
        for node in g.nodes() {
            for (t, rdd) in node.generated() {
                log.push(format!(
                    "{} {t} {:?} {:?}",
                    node.label(),
                    rdd.partitioner(),
                    rdd.partitions()
                ));
            }
        }
        Ok(log)
    }

    fn input() -> Lines {
        Lines(vec![
            vec![vec!["a b a", "the c"], vec!["b  b"]],
            vec![],
            vec![vec!["c"], vec![], vec!["a the a"]],
        ])
    }

    /// Only a map/flatMap/filter whose only child pipelines it is deferred: `words` has two
    /// children, `whole` and `pairs` one each.
    #[test]
    fn which_streams_are_pipelined() {
        let (mut g, outputs) = graph();
        g.initialize(Time::ZERO, &outputs, None, false)
            .expect("init");
        assert_eq!(
            g.pipelined,
            vec![false, false, true, false, false, true, false]
        );
    }

    /// Pipelined or step by step, the same RDDs (ids, partitions, record counts, in the same
    /// order) and the same records; the pipelined intermediate RDDs stay uncomputed until
    /// looked at.
    #[test]
    fn pipelining_changes_nothing_observable() {
        let on = run(true, &input(), 4).expect("runs");
        let off = run(false, &input(), 4).expect("runs");
        let strip = |log: &[String]| -> Vec<String> {
            log.iter()
                .map(|l| l.replace(" deferred=true", " deferred=false"))
                .collect()
        };
        assert_eq!(strip(&on), strip(&off));
        assert!(on
            .iter()
            .any(|l| l.starts_with("new #2 ") && l.ends_with("deferred=true")));
        assert!(on
            .iter()
            .any(|l| l.starts_with("new #5 ") && l.ends_with("deferred=true")));
        assert!(!off.iter().any(|l| l.ends_with("deferred=true")));
    }

    /// An error is the one computing step by step gives, even when the pipelined pass meets
    /// a later step's error first: here `sum` fails on the first batch's first block, but
    /// `split` fails (on its second block) before `reduceByKey` runs at all.
    #[test]
    fn errors_are_those_of_computing_step_by_step() {
        let many = vec!["x"; 120];
        let bad = Lines(vec![vec![many.clone(), vec!["boom!"]]]);
        let on = run(true, &bad, 1).expect_err("fails");
        let off = run(false, &bad, 1).expect_err("fails");
        assert_eq!(on, off);
        assert!(on.contains("split failed on boom!"), "{on}");
        // and a failure of the consumer itself
        let sum_fails = Lines(vec![vec![many]]);
        let on = run(true, &sum_fails, 1).expect_err("fails");
        assert_eq!(on, run(false, &sum_fails, 1).expect_err("fails"));
        assert!(on.contains("sum failed"), "{on}");
    }
}
