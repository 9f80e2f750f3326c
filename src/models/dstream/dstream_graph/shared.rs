//! Identical `reduceByKey`s computed once. Spark's `ReducedWindowedDStream`
//! (`streaming/.../dstream/ReducedWindowedDStream.scala`) builds its per-batch step as
//! `parent.reduceByKey(reduceFunc, partitioner)` with the `HashPartitioner` of
//! `defaultParallelism`, the very partitioner `parent.reduceByKey(f)` gets: in the guide's
//! word count, `pairs.reduceByKey(sum)` and `pairs.reduceByKeyAndWindow(sum, sub, ...)`
//! reduce the same RDD of `pairs` the same way at every batch time.
//!
//! Two `ReduceByKey` nodes with the same parent stream, the same number of partitions and
//! the same pure function ([`Func::same_as`]: compiled from a scenario expression, never a
//! native closure) give the same records in the same order when they reduce the same parent
//! RDD (`ops::reduce_by_key` is a deterministic function of the parent's partitions, its
//! partitioner, the function and `n`). So the second one computed at a time takes the data
//! of the first ([`Rdd::with_same_data`]), provided both read the very same parent RDD (same
//! id, same data allocation: a parent recomputed after a driver failure is a different RDD,
//! and then nothing is shared). It keeps its own id, lineage, origin and partitioner, and is
//! reported (`on_new`) exactly as when computed: nothing observable changes.

use super::{Graph, InputProvider, Node, Op, StreamId};
use crate::func::Func;
use crate::models::dstream::error::SparkError;
use crate::models::dstream::ops::{self, OpCtx};
use crate::models::dstream::rdd::Rdd;
use crate::sim::{Duration, Time};
use std::collections::BTreeMap;

/// The groups of identical `reduceByKey`s and the data computed by one member and not yet
/// taken by all the others.
#[derive(Clone, Default)]
pub(super) struct Shared {
    /// When set, nothing is shared and no stream is pipelined into a group (for the tests
    /// that check sharing changes nothing, and for A/B measurements).
    pub(super) off: bool,
    /// `group[id]`: for a `reduceByKey` with at least one identical twin, the id of the
    /// first member of its group.
    group: Vec<Option<StreamId>>,
    /// Members of each group, by the group's first member.
    size: BTreeMap<StreamId, usize>,
    /// The longest remember duration of any member: data older than that is dropped.
    keep: Duration,
    /// By (batch time, group): what one member computed.
    done: BTreeMap<(Time, StreamId), Entry>,
    /// The output streams of the last plan (`None` before the graph is initialized).
    outputs: Option<Vec<StreamId>>,
}

#[derive(Clone)]
struct Entry {
    /// The parent RDD it was computed from (held, so the data allocation stays unique).
    parent: Rdd,
    /// The member's RDD, whose data the others take.
    data: Rdd,
    /// Members that have it.
    uses: usize,
}

/// The function, partition count and parent of a `reduceByKey` node.
fn reduce_of(n: &Node) -> Option<(&Func, usize, StreamId)> {
    match (&n.op, n.parents.as_slice()) {
        (Op::ReduceByKey(f, k), &[p]) => Some((f, *k, p)),
        _ => None,
    }
}

impl Shared {
    /// Finds the groups of identical `reduceByKey`s of `nodes` (same parent, same partition
    /// count, same slide, [`Func::same_as`] functions); forgets any data held.
    pub(super) fn plan(&mut self, nodes: &[Node], outputs: &[StreamId]) {
        self.outputs = Some(outputs.to_vec());
        self.done.clear();
        self.size.clear();
        self.group = vec![None; nodes.len()];
        self.keep = Duration::ZERO;
        if self.off {
            return;
        }
        for (i, n) in nodes.iter().enumerate() {
            let Some((f, k, p)) = reduce_of(n) else {
                continue;
            };
            let twin = nodes[..i].iter().find(|m| {
                reduce_of(m).is_some_and(|(g, k2, p2)| {
                    p2 == p && k2.max(1) == k.max(1) && g.same_as(f) && m.slide == n.slide
                })
            });
            if let Some(m) = twin {
                let first = self.group[m.id].unwrap_or(m.id);
                self.group[m.id] = Some(first);
                self.group[i] = Some(first);
            }
        }
        for (i, g) in self.group.iter().enumerate() {
            if let Some(g) = g {
                *self.size.entry(*g).or_default() += 1;
                self.keep = self.keep.max(nodes[i].remember);
            }
        }
    }

    /// The group of stream `id`, if it is a `reduceByKey` with an identical twin.
    pub(super) fn group_of(&self, id: StreamId) -> Option<StreamId> {
        self.group.get(id).copied().flatten()
    }
}

impl Graph {
    /// Whether identical `reduceByKey`s share their data, and a narrow stream feeding only
    /// them is pipelined (on by default). Sharing changes nothing observable (ids, lineage,
    /// events, records); turning it off is for tests that check so and for A/B
    /// measurements. Set it before the first batch (it plans again when the graph is
    /// already initialized).
    pub fn share_identical_reduces(&mut self, on: bool) {
        self.shared.off = !on;
        if let Some(outputs) = self.shared.outputs.take() {
            self.plan_pipelines(&outputs);
        }
    }

    /// Computes `reduceByKey` stream `id` (a member of a group of identical ones) at `t`:
    /// with the data a twin computed from the same parent RDD at `t` if there is such data,
    /// else as without sharing (pipelined if it can be, else step by step), then keeps the
    /// data for the twins.
    pub(super) fn compute_shared_reduce(
        &mut self,
        id: StreamId,
        group: StreamId,
        t: Time,
        ctx: &mut OpCtx,
        inputs: &mut dyn InputProvider,
        on_new: &mut dyn FnMut(&Node, Time, &Rdd),
    ) -> Result<Option<Rdd>, SparkError> {
        let Some((f, n, parent)) = reduce_of(&self.nodes[id]).map(|(f, n, p)| (f.clone(), n, p))
        else {
            return Ok(None);
        };
        // A hit: the parent RDD at t is the one the twin reduced. Computing would only read
        // it (it is already there), so the lineage is all there is to make, as computing
        // would make it (ctx.stream and ctx.time are already this stream's).
        if let Some(p) = self.nodes[parent].generated.get(&t) {
            if let Some(e) = self.shared.done.get_mut(&(t, group)) {
                if e.parent.id() == p.id() && e.parent.shares_data(p) {
                    let lineage = ctx.lineage("ShuffledRDD[reduceByKey]", &[p], true);
                    let rdd = e.data.with_same_data(Some(n.max(1)), lineage);
                    e.uses += 1;
                    if self.shared.size.get(&group).is_some_and(|&s| e.uses >= s) {
                        self.shared.done.remove(&(t, group));
                    }
                    return Ok(Some(rdd));
                }
            }
        }
        let rdd = match self.pipelined_pass(id, t, ctx, inputs, on_new)? {
            Some(r) => r,
            None => {
                let label = self.nodes[id].label();
                let r = self.get_or_compute(parent, t, ctx, inputs, on_new)?;
                ctx.stream = label;
                ctx.time = t;
                match r {
                    Some(r) => Some(ops::reduce_by_key(ctx, &r, &f, n, "reduceByKey")?),
                    None => None,
                }
            }
        };
        if let (Some(r), Some(p)) = (&rdd, self.nodes[parent].generated.get(&t)) {
            let keep = self.shared.keep;
            let done = &mut self.shared.done;
            // Data no member can need any more: older than every member remembers.
            while let Some((&(old, _), _)) = done.first_key_value() {
                if old.ms() + keep.ms() > t.ms() {
                    break;
                }
                done.pop_first();
            }
            let entry = Entry {
                parent: p.clone(),
                data: r.clone(),
                uses: 1,
            };
            done.insert((t, group), entry);
        }
        Ok(rdd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::EvalError;
    use crate::models::dstream::dstream_graph::InputKind;
    use crate::value::Value;

    use super::super::test_lines::{pair1, split, Lines};

    fn input() -> Lines {
        Lines(vec![
            vec![vec!["a b a", "the c"], vec!["b  b"]],
            vec![],
            vec![vec!["c"], vec![], vec!["a the a"]],
            vec![vec!["d a"]],
            vec![vec!["b"], vec!["a d"]],
            vec![vec!["e"]],
        ])
    }

    /// `sum` as a native closure; `key` makes it pure (as the scenario compiler does).
    fn sum(key: Option<&str>) -> Func {
        let f = Func::native("sum", 2, |a| match (&a[0], &a[1]) {
            (Value::Int(x), Value::Int(y)) => Ok(Value::Int(x + y)),
            _ => Err(EvalError::new("sum failed")),
        });
        match key {
            Some(k) => f.with_identity(k),
            None => f,
        }
    }

    /// `words = lines.flatMap(split)`, `pairs = words.map(pair(1))`,
    /// `counts = pairs.reduceByKey(f1, 2)` (output) and
    /// `pairs.reduceByKey(f2, 2).window(3s, 3s)` (output), as the word count's
    /// `reduceByKeyAndWindow` reads its per-batch `reduceByKey` a window later.
    fn graph(f1: Func, f2: Func) -> (Graph, Vec<StreamId>) {
        let mut g = Graph::new();
        let s = Some(Duration::from_secs(1));
        let lines = g.add(Op::Input(0, InputKind::Test), vec![], s).expect("in");
        let words = g.add(Op::FlatMap(split()), vec![lines], None).expect("w");
        let pairs = g.add(Op::Map(pair1()), vec![words], None).expect("p");
        let counts = g.add(Op::ReduceByKey(f1, 2), vec![pairs], None).expect("c");
        let twin = g.add(Op::ReduceByKey(f2, 2), vec![pairs], None).expect("t");
        let window = Op::Window {
            window: Duration::from_secs(3),
        };
        let windowed = g
            .add(window, vec![twin], Some(Duration::from_secs(3)))
            .expect("win");
        (g, vec![counts, windowed])
    }

    const COUNTS: StreamId = 3;
    const TWIN: StreamId = 4;

    /// Runs batches 1..=n (with `forget` after batch `forget_after`, as a driver failure
    /// forgets every RDD); returns the graph and every `on_new` call and remembered RDD.
    fn run(mut g: Graph, outputs: &[StreamId], share: bool, n: u64) -> (Graph, Vec<String>) {
        g.share_identical_reduces(share);
        g.initialize(Time::ZERO, outputs, None, false)
            .expect("init");
        let mut ctx = OpCtx::new(0, 2);
        let mut inputs = input();
        let mut log = Vec::new();
        for k in 1..=n {
            let t = Time(k * 1000);
            for &o in outputs {
                let mut on_new = |node: &Node, time: Time, rdd: &Rdd| {
                    log.push(format!(
                        "new {} {time} id={} parts={} records={} depth={}",
                        node.label(),
                        rdd.id(),
                        rdd.num_partitions(),
                        rdd.count(),
                        rdd.lineage().depth
                    ));
                };
                g.get_or_compute(o, t, &mut ctx, &mut inputs, &mut on_new)
                    .expect("computes");
            }
            g.clear_old(t);
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
        (g, log)
    }

    /// Whether the twin's RDD at `t` holds the very data `counts` computed at `t` (checked
    /// right after batch `t`, while `counts` still remembers it).
    fn shared_at(f1: Func, f2: Func, t: u64) -> bool {
        let (g, outputs) = graph(f1, f2);
        let (g, _) = run(g, &outputs, true, t);
        let a = g
            .node(COUNTS)
            .generated()
            .get(&Time(t * 1000))
            .expect("counts");
        let b = g.node(TWIN).generated().get(&Time(t * 1000)).expect("twin");
        a.shares_data(b)
    }

    #[test]
    fn identical_pure_reduces_share_their_data() {
        let pure = || sum(Some("builtin sum[]"));
        assert!(shared_at(pure(), pure(), 3));
        let (g, outputs) = graph(pure(), pure());
        let (g, _) = run(g, &outputs, true, 1);
        assert_eq!(g.shared.group_of(COUNTS), Some(COUNTS));
        assert_eq!(g.shared.group_of(TWIN), Some(COUNTS));
        // the error context does not count
        let ctx = pure().with_error_context("wc.toml:5:3: ");
        assert!(shared_at(pure(), ctx, 6));
    }

    #[test]
    fn native_or_different_functions_do_not_share() {
        assert!(!shared_at(sum(None), sum(None), 3));
        assert!(!shared_at(
            sum(Some("lambda (a, b) => a + b")),
            sum(None),
            3
        ));
        assert!(!shared_at(
            sum(Some("lambda (a, b) => a + b")),
            sum(Some("lambda (a, b) => b + a")),
            3
        ));
        // the same text, but not the same arity
        let unary = Func::native("sum", 1, |a| Ok(a[0].clone())).with_identity("builtin sum[]");
        assert!(!unary.same_as(&sum(Some("builtin sum[]"))));
        // a different partition count
        let (mut g, outputs) = graph(sum(Some("s")), sum(Some("s")));
        g.nodes[TWIN].op = Op::ReduceByKey(sum(Some("s")), 3);
        let (g, _) = run(g, &outputs, true, 3);
        assert_eq!(g.shared.group_of(TWIN), None);
    }

    /// `pairs` (two children, both in one group) and `words` are pipelined only with sharing.
    #[test]
    fn a_stream_feeding_only_identical_reduces_is_pipelined() {
        let pure = || sum(Some("builtin sum[]"));
        let (g, outputs) = graph(pure(), pure());
        let (g, _) = run(g, &outputs, true, 1);
        assert_eq!(g.pipelined, vec![false, true, true, false, false, false]);
        let (g, outputs) = graph(pure(), pure());
        let (g, _) = run(g, &outputs, false, 1);
        assert_eq!(g.pipelined, vec![false, true, false, false, false, false]);
        let (g, outputs) = graph(sum(None), sum(None));
        let (g, _) = run(g, &outputs, true, 1);
        assert_eq!(g.pipelined, vec![false, true, false, false, false, false]);
    }

    /// With sharing on or off: the same RDDs (ids, partitions, record counts, lineage
    /// depths, in the same order) and the same records.
    #[test]
    fn sharing_changes_nothing_observable() {
        let pure = || sum(Some("builtin sum[]"));
        let (g, outputs) = graph(pure(), pure());
        let (_, on) = run(g, &outputs, true, 6);
        let (g, outputs) = graph(pure(), pure());
        let (_, off) = run(g, &outputs, false, 6);
        assert_eq!(on, off);
        assert!(on.iter().any(|l| l.starts_with("new #4 ")), "{on:?}");
    }

    /// A twin whose parent RDD was recomputed (a driver failure forgot every RDD) is not
    /// the one the data was computed from: nothing is shared, the records are the same.
    #[test]
    fn a_recomputed_parent_is_not_shared() {
        let pure = || sum(Some("builtin sum[]"));
        let (g, outputs) = graph(pure(), pure());
        let (mut g, _) = run(g, &outputs, true, 2);
        let t = Time(2000);
        let old = g.node(COUNTS).generated()[&t].clone();
        g.forget_all(false);
        let mut ctx = OpCtx::new(100, 2);
        let mut inputs = input();
        let mut on_new = |_: &Node, _: Time, _: &Rdd| {};
        let mut get = |g: &mut Graph, id| {
            g.get_or_compute(id, t, &mut ctx, &mut inputs, &mut on_new)
                .expect("computes")
                .expect("an RDD")
        };
        // pairs at t again: a new RDD (new id), while counts' data of the old one is kept
        let pairs = get(&mut g, 2);
        assert!(pairs.id() >= 100);
        assert!(g.shared.done.contains_key(&(t, COUNTS)));
        let twin = get(&mut g, TWIN);
        assert!(!twin.shares_data(&old), "computed from the new pairs");
        assert_eq!(twin.collect(), old.collect());
        // and counts, recomputed, takes the twin's new data
        let counts = get(&mut g, COUNTS);
        assert!(counts.shares_data(&twin));
    }
}
