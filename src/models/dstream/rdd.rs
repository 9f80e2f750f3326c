//! RDDs (`core/.../rdd/RDD.scala`): the immutable, partitioned data of one batch of one
//! DStream, with its lineage.
//!
//! An [`Rdd`] holds its partitions (each a `Vec<Value>`), an optional hash partitioner (the
//! number of partitions a key-based shuffle spread it over, Spark's `HashPartitioner(n)`), and
//! a [`Lineage`] node naming the operation and the parent RDDs it was computed from. Lineage
//! is what a lost partition would be recomputed from (the cluster issue); a checkpointed RDD
//! cuts it. RDDs are cheap to clone: partitions and lineage are shared.
//!
//! An RDD may be *deferred* ([`Rdd::deferred`]): a narrow step (`map`, `flatMap`, `filter`)
//! that its child computed record by record in the same stage, as Spark pipelines narrow
//! dependencies; its partition and record counts are known, its records are computed from its
//! parent on the first look ([`Rdd::partitions`], [`Rdd::iter`]). Nothing else differs.

use crate::func::EvalError;
use crate::sim::Time;
use crate::value::Value;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock, Weak};

/// The records of one partition, in order.
pub type Partition = Vec<Value>;

/// One node of an RDD's lineage graph.
#[derive(Debug)]
pub struct Lineage {
    /// The RDD's id, unique within a run, assigned in creation order (deterministic).
    pub id: u64,
    /// The operation that made it, as Spark would name the RDD (`MapPartitionsRDD[map]`,
    /// `ShuffledRDD[reduceByKey]`, `BlockRDD`, `UnionRDD`, ...).
    pub op: String,
    /// The DStream (by name or `#id`) and batch time it belongs to, if any.
    pub origin: Option<(String, Time)>,
    /// True when the RDD depends on its parents through a shuffle (wide dependency).
    pub shuffle: bool,
    /// True when the RDD was checkpointed: its parents are then forgotten.
    pub checkpointed: bool,
    /// The parents (empty for sources and checkpointed RDDs).
    pub parents: Vec<Arc<Lineage>>,
    /// Length of the longest path to a source or checkpoint (1 for those): what a lost
    /// partition's recomputation would have to walk. Grows without bound for a state stream
    /// that is never checkpointed.
    pub depth: usize,
}

impl Lineage {
    /// The longest path from this RDD to a source or checkpoint, in RDDs (the lineage of a
    /// state stream without checkpoints grows without bound).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Renders the lineage as an indented tree (like Spark's `RDD.toDebugString`), at most
    /// `max_depth` levels deep.
    pub fn render(&self, max_depth: usize) -> String {
        let mut out = String::new();
        self.render_into(&mut out, 0, max_depth);
        out
    }

    fn render_into(&self, out: &mut String, level: usize, max_depth: usize) {
        let indent = "  ".repeat(level);
        let origin = match &self.origin {
            Some((s, t)) => format!(" of {s} at {t}"),
            None => String::new(),
        };
        let mark = if self.checkpointed {
            " [checkpointed: lineage cut]"
        } else if self.shuffle {
            " [shuffle]"
        } else {
            ""
        };
        let _ = writeln!(out, "{indent}({}) {}{origin}{mark}", self.id, self.op);
        if level + 1 >= max_depth && !self.parents.is_empty() {
            let _ = writeln!(out, "{indent}  ... ({} more levels)", self.depth() - 1);
            return;
        }
        for p in &self.parents {
            p.render_into(out, level + 1, max_depth);
        }
    }
}

/// The data of one batch of one DStream.
#[derive(Clone)]
pub struct Rdd {
    data: Arc<Data>,
    partitioner: Option<usize>,
    lineage: Arc<Lineage>,
}

impl std::fmt::Debug for Rdd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rdd")
            .field("id", &self.lineage.id)
            .field("op", &self.lineage.op)
            .field("partitioner", &self.partitioner)
            .field("deferred", &self.data.deferred.is_some())
            .field("partitions", &self.data.parts.get())
            .finish()
    }
}

/// A weak handle on an RDD's data allocation ([`Rdd::data_ref`]): it tells whether an RDD
/// holds that very data ([`DataRef::is_data_of`]) without keeping the records alive, so a
/// cache keyed by it (the window's kept key hashes) never holds on to data that everything
/// else dropped or replaced (a snapshot sharing an equal copy).
#[derive(Clone)]
pub struct DataRef(Weak<Data>);

impl DataRef {
    /// Whether `rdd` holds the data this handle was taken from (the allocation cannot be
    /// reused while the handle exists, so this never confuses two allocations).
    pub fn is_data_of(&self, rdd: &Rdd) -> bool {
        std::ptr::eq(self.0.as_ptr(), Arc::as_ptr(&rdd.data))
    }
}

/// A narrow step applied to one partition (`map`, `flatMap`, `filter`): the records of a
/// parent partition in, the records of the child partition out, in order.
pub type PartitionFn =
    Arc<dyn Fn(&Partition, &mut Partition) -> Result<(), EvalError> + Send + Sync>;

/// The records of an RDD: materialized, or (for a narrow step that a consumer in the same
/// stage streamed through, as Spark pipelines narrow dependencies within a stage) computed
/// from the parent on the first look.
struct Data {
    parts: OnceLock<Vec<Partition>>,
    deferred: Option<Deferred>,
    /// The sum of the records' [`Value::approx_bytes`], once asked for or given (see
    /// [`Rdd::approx_bytes`]).
    bytes: OnceLock<u64>,
}

/// How to compute a deferred RDD: its parent and the step, and the record count of each
/// partition (known from the consumer's pass, so the trace never needs the records).
struct Deferred {
    parent: Rdd,
    step: PartitionFn,
    lens: Vec<usize>,
    total: usize,
}

impl Rdd {
    /// An RDD with the given partitions, partitioner and lineage node.
    pub fn new(partitions: Vec<Partition>, partitioner: Option<usize>, lineage: Lineage) -> Rdd {
        Rdd {
            data: Arc::new(Data {
                parts: OnceLock::from(partitions),
                deferred: None,
                bytes: OnceLock::new(),
            }),
            partitioner,
            lineage: Arc::new(lineage),
        }
    }

    /// An RDD whose records are `step` applied to each partition of `parent`, computed on the
    /// first look at them (Spark's pipelined narrow dependency: a stage computes
    /// `flatMap -> map -> the map side of reduceByKey` record by record). `lens[p]` is the
    /// number of records of partition `p`, counted by the pass that streamed through it.
    /// `step` must be deterministic and must have succeeded on every partition of `parent`.
    pub fn deferred(
        parent: Rdd,
        step: PartitionFn,
        lens: Vec<usize>,
        partitioner: Option<usize>,
        lineage: Lineage,
    ) -> Rdd {
        let total = lens.iter().sum();
        Rdd {
            data: Arc::new(Data {
                parts: OnceLock::new(),
                deferred: Some(Deferred {
                    parent,
                    step,
                    lens,
                    total,
                }),
                bytes: OnceLock::new(),
            }),
            partitioner,
            lineage: Arc::new(lineage),
        }
    }

    fn parts(&self) -> &Vec<Partition> {
        self.data.parts.get_or_init(|| match &self.data.deferred {
            Some(d) => d.materialize(),
            None => Vec::new(),
        })
    }

    /// Whether the records are computed (false for a deferred RDD nobody has looked at).
    pub fn is_materialized(&self) -> bool {
        self.data.parts.get().is_some()
    }

    /// The partitions, in order (a deferred RDD computes them now).
    pub fn partitions(&self) -> &[Partition] {
        self.parts()
    }

    /// Number of partitions (a batch of a receiver stream has one per non-empty block).
    pub fn num_partitions(&self) -> usize {
        match (&self.data.deferred, self.data.parts.get()) {
            (_, Some(p)) => p.len(),
            (Some(d), None) => d.lens.len(),
            (None, None) => 0,
        }
    }

    /// Number of records of partition `p` (0 past the last), without computing a deferred
    /// RDD.
    pub fn partition_len(&self, p: usize) -> usize {
        match (&self.data.deferred, self.data.parts.get()) {
            (_, Some(parts)) => parts.get(p).map_or(0, Vec::len),
            (Some(d), None) => d.lens.get(p).copied().unwrap_or(0),
            (None, None) => 0,
        }
    }

    /// `Some(n)` when the RDD is hash-partitioned by key into `n` partitions.
    pub fn partitioner(&self) -> Option<usize> {
        self.partitioner
    }

    /// The lineage node.
    pub fn lineage(&self) -> &Arc<Lineage> {
        &self.lineage
    }

    /// A handle on this RDD's data allocation that keeps none of its records alive (see
    /// [`DataRef`]).
    pub fn data_ref(&self) -> DataRef {
        DataRef(Arc::downgrade(&self.data))
    }

    /// Whether both RDDs hold the very same data (one shared allocation).
    pub fn shares_data(&self, other: &Rdd) -> bool {
        Arc::ptr_eq(&self.data, &other.data)
    }

    /// A new RDD (its own partitioner and lineage: id, operation, origin) holding this RDD's
    /// data, shared, not copied: for a computation known to give exactly these records in
    /// this order (two identical `reduceByKey`s of the same parent RDD, see
    /// `dstream_graph::shared`).
    pub fn with_same_data(&self, partitioner: Option<usize>, lineage: Lineage) -> Rdd {
        Rdd {
            data: Arc::clone(&self.data),
            partitioner,
            lineage: Arc::new(lineage),
        }
    }

    /// Makes this RDD hold `other`'s data allocation when `same(self, other)` says the data
    /// is identical (time travel's snapshots share repeated data); returns whether it does.
    pub fn share_data_if(
        &mut self,
        other: &Rdd,
        same: impl Fn(&[Partition], &[Partition]) -> bool,
    ) -> bool {
        if self.shares_data(other) {
            return true;
        }
        if self.partitioner == other.partitioner && same(self.parts(), other.parts()) {
            self.data = Arc::clone(&other.data);
            return true;
        }
        false
    }

    /// The RDD's id.
    pub fn id(&self) -> u64 {
        self.lineage.id
    }

    /// Total number of records.
    pub fn count(&self) -> usize {
        match (&self.data.deferred, self.data.parts.get()) {
            (_, Some(p)) => p.iter().map(Vec::len).sum(),
            (Some(d), None) => d.total,
            (None, None) => 0,
        }
    }

    /// The sum of the records' [`Value::approx_bytes`] (what a shuffle of this RDD moves, in
    /// bytes, approximately), computed once per data allocation: RDDs sharing their data
    /// ([`Rdd::with_same_data`]) compute it once. A deferred RDD computes its records.
    pub fn approx_bytes(&self) -> u64 {
        *self
            .data
            .bytes
            .get_or_init(|| self.iter().map(Value::approx_bytes).sum::<usize>() as u64)
    }

    /// This RDD, its [`Rdd::approx_bytes`] given as `bytes` (counted by whoever made the
    /// records, as they were made), unless already known. `bytes` must be the sum the
    /// records would give.
    pub fn with_approx_bytes(self, bytes: u64) -> Rdd {
        let _ = self.data.bytes.set(bytes);
        self
    }

    /// All records, partition by partition (Spark's `collect()` order).
    pub fn iter(&self) -> impl Iterator<Item = &Value> {
        self.parts().iter().flatten()
    }

    /// All records as a vector (`collect()`).
    pub fn collect(&self) -> Vec<Value> {
        self.iter().cloned().collect()
    }

    /// The same data with its lineage cut (a checkpointed copy).
    pub fn checkpointed(&self, id: u64) -> Rdd {
        Rdd {
            data: Arc::clone(&self.data),
            partitioner: self.partitioner,
            lineage: Arc::new(Lineage {
                id,
                op: format!("ReliableCheckpointRDD (of {})", self.lineage.op),
                origin: self.lineage.origin.clone(),
                shuffle: false,
                checkpointed: true,
                parents: Vec::new(),
                depth: 1,
            }),
        }
    }
}

impl Deferred {
    /// Applies the step to every partition of the parent. The step succeeded on these very
    /// records when the consumer streamed through them (and is deterministic), so an error
    /// here cannot happen; should one happen anyway, the partition keeps the records made
    /// before it (never a panic).
    fn materialize(&self) -> Vec<Partition> {
        let mut parts = Vec::with_capacity(self.lens.len());
        for (i, p) in self.parent.partitions().iter().enumerate() {
            let mut out = Vec::with_capacity(self.lens.get(i).copied().unwrap_or(0));
            let ok = (self.step)(p, &mut out).is_ok();
            debug_assert!(
                ok,
                "a deferred narrow step failed on records it passed before"
            );
            parts.push(out);
        }
        parts
    }
}

/// Splits `records` into `n` slices the way `SparkContext.parallelize(seq, n)` does
/// (`ParallelCollectionRDD.slice`): slice `i` holds `[i*len/n, (i+1)*len/n)`.
pub fn slice_like_parallelize(records: Vec<Value>, n: usize) -> Vec<Partition> {
    let n = n.max(1);
    let len = records.len();
    let mut out = Vec::with_capacity(n);
    let mut it = records.into_iter();
    for i in 0..n {
        let start = i * len / n;
        let end = (i + 1) * len / n;
        out.push(it.by_ref().take(end - start).collect());
    }
    out
}

/// `java.util.Random`, needed to place records exactly as Spark's `repartition` does.
#[derive(Clone, Debug)]
pub struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    /// `new java.util.Random(seed)`.
    pub fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed as u64 ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        (self.seed >> (48 - bits)) as i64 as i32
    }

    /// `nextInt(bound)` for `bound > 0`.
    pub fn next_int(&mut self, bound: i32) -> i32 {
        debug_assert!(bound > 0);
        if bound & (-bound) == bound {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }
}

/// Scala's `scala.util.hashing.byteswap32`, which seeds `repartition`'s placement.
pub fn byteswap32(v: i32) -> i32 {
    let hc = v.wrapping_mul(0x9e37_75cd_u32 as i32);
    let hc = hc.swap_bytes();
    hc.wrapping_mul(0x9e37_75cd_u32 as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallelize_slices_like_spark() {
        let recs: Vec<Value> = (1..=5).map(Value::Int).collect();
        let parts = slice_like_parallelize(recs, 2);
        assert_eq!(parts[0], vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(parts[1], vec![Value::Int(3), Value::Int(4), Value::Int(5)]);
    }

    fn lineage(id: u64) -> Lineage {
        Lineage {
            id,
            op: "test".into(),
            origin: None,
            shuffle: true,
            checkpointed: false,
            parents: Vec::new(),
            depth: 1,
        }
    }

    #[test]
    fn approx_bytes_is_the_sum_over_records_shared_with_the_data() {
        // The memo equals the plain sum, for the RDD and for one sharing its data.
        let recs = vec![
            vec![Value::pair(Value::str("word"), Value::Int(3))],
            vec![],
            vec![Value::str("a"), Value::Null],
        ];
        let want: usize = recs.iter().flatten().map(Value::approx_bytes).sum();
        let a = Rdd::new(recs, Some(3), lineage(1));
        let b = a.with_same_data(Some(3), lineage(2));
        assert_eq!(b.approx_bytes(), want as u64);
        assert_eq!(a.data.bytes.get(), Some(&(want as u64)));
        assert_eq!(a.approx_bytes(), want as u64);
        let empty = Rdd::new(Vec::new(), None, lineage(3));
        assert_eq!(empty.approx_bytes(), 0);
    }

    #[test]
    fn a_data_ref_knows_its_data_and_keeps_no_record_alive() {
        let recs = || vec![vec![Value::str("a")]];
        let a = Rdd::new(recs(), None, lineage(1));
        let handle = a.data_ref();
        assert!(handle.is_data_of(&a));
        assert!(handle.is_data_of(&a.with_same_data(None, lineage(2))));
        assert!(!handle.is_data_of(&Rdd::new(recs(), None, lineage(3))));
        assert_eq!(Arc::strong_count(&a.data), 1);
    }

    #[test]
    fn java_random_matches_the_jvm() {
        // new java.util.Random(42).nextInt(10) == 0, then 3 (known JVM values).
        let mut r = JavaRandom::new(42);
        assert_eq!(r.next_int(10), 0);
        assert_eq!(r.next_int(10), 3);
    }
}
