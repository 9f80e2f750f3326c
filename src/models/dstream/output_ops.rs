//! Output operations: `print`, `saveAsTextFiles`, `foreachRDD` (`DStream.scala`,
//! `ForEachDStream.scala`), run in definition order by each batch's job set.
//!
//! `foreachRDD` with one of the programming guide's connection patterns ("Design Patterns
//! for using foreachRDD", `streaming-programming-guide.md`) is an [`OutputKind::Connections`]
//! sink whose only effect is to count the connections it opens, per batch and in total:
//!
//! | pattern | guide's code | connections per batch |
//! |---|---|---|
//! | [`ConnectionPattern::PerRecord`] | `rdd.foreach { record => createNewConnection() ... }` | one per record |
//! | [`ConnectionPattern::PerPartition`] | `rdd.foreachPartition { part => createNewConnection() ... }` | one per partition (task), empty ones too |
//! | [`ConnectionPattern::Pool`] | `rdd.foreachPartition { part => ConnectionPool.getConnection() ... }` | only what the executors' pools lack |
//!
//! The pool is the guide's "static, lazily initialized pool of connections": one per
//! executor JVM, so it lives as long as the executor. A task takes a connection and returns
//! it; an executor's pool grows to the number of its tasks that run at once (at most its
//! cores). Partition `p` of a batch runs on the `p`-th live worker, round robin (the
//! simulator does not place tasks one by one, see `task_scheduler.rs`). A worker found dead
//! at a batch loses its pool; a driver restart loses them all (executors die with the
//! driver).

use super::dstream_graph::StreamId;
use super::error::SparkError;
use super::rdd::Rdd;
use crate::sim::Time;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A callback for `foreachRDD`: the batch's RDD and time.
pub type ForeachFn = Rc<dyn Fn(&Rdd, Time)>;

/// An output operation.
#[derive(Clone)]
pub enum OutputKind {
    /// `print(num)`: the first `num` records of every batch, Spark's format.
    Print(usize),
    /// `saveAsTextFiles(prefix, suffix)`.
    SaveAsTextFiles {
        /// File name prefix (a path under the output directory).
        prefix: String,
        /// Optional suffix.
        suffix: Option<String>,
    },
    /// `foreachRDD(f)`.
    ForeachRdd(ForeachFn),
    /// `foreachRDD` writing every record through connections opened as `pattern` says:
    /// counts the connections (see the module doc).
    Connections(ConnectionSink),
}

/// Where a `foreachRDD` sink opens its connections (the guide's design patterns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionPattern {
    /// `createNewConnection()` inside `rdd.foreach`: one connection per record.
    PerRecord,
    /// `createNewConnection()` inside `rdd.foreachPartition`: one per partition.
    PerPartition,
    /// `ConnectionPool.getConnection()` inside `rdd.foreachPartition`: a static, lazily
    /// created pool per executor, reused across batches.
    Pool,
    /// `createNewConnection()` on the driver, before `rdd.foreach`: Spark fails the job
    /// when the batch runs, because the connection cannot be serialized into the task.
    CreatedOnDriver,
}

impl ConnectionPattern {
    /// The pattern in words, as the sink's report line prints it.
    pub fn describe(self) -> &'static str {
        match self {
            ConnectionPattern::PerRecord => "a connection per record",
            ConnectionPattern::PerPartition => "a connection per partition",
            ConnectionPattern::Pool => "a static pool per executor",
            ConnectionPattern::CreatedOnDriver => "a connection made on the driver",
        }
    }
}

/// A connection-counting `foreachRDD` sink and its executors' pools.
#[derive(Clone, Debug)]
pub struct ConnectionSink {
    /// Where connections are opened.
    pub pattern: ConnectionPattern,
    /// Connections in each executor's pool (by worker name), for [`ConnectionPattern::Pool`].
    pools: BTreeMap<String, usize>,
    /// The driver incarnation the pools belong to (executors die with the driver).
    epoch: u64,
    /// Connections opened since the context started.
    created_total: u64,
}

impl ConnectionSink {
    /// A sink with empty pools.
    pub fn new(pattern: ConnectionPattern) -> ConnectionSink {
        ConnectionSink {
            pattern,
            pools: BTreeMap::new(),
            epoch: 0,
            created_total: 0,
        }
    }

    /// Connections opened since the context started.
    pub fn created_total(&self) -> u64 {
        self.created_total
    }

    /// Writes one batch's RDD: counts the connections opened, given the live workers
    /// (`(name, cores)`, in cluster order) and the driver's incarnation `epoch`. Returns the
    /// report line.
    ///
    /// # Errors
    /// [`ConnectionPattern::CreatedOnDriver`]: Spark's "Task not serializable" (the
    /// `SparkException` `ClosureCleaner.ensureSerializable` throws when `rdd.foreach` ships
    /// a closure holding the connection).
    fn write(
        &mut self,
        rdd: &Rdd,
        t: Time,
        live: &[(String, usize)],
        epoch: u64,
    ) -> Result<String, SparkError> {
        if self.pattern == ConnectionPattern::CreatedOnDriver {
            return Err(SparkError::InvalidArgument(format!(
                "org.apache.spark.SparkException: Task not serializable (batch {t}); Caused by: java.io.NotSerializableException: Connection (the connection was made on the driver, outside rdd.foreach: make it inside foreachPartition, or take it from a static pool)"
            )));
        }
        if epoch != self.epoch {
            self.pools.clear();
            self.epoch = epoch;
        }
        self.pools
            .retain(|name, _| live.iter().any(|(n, _)| n == name));
        let partitions = rdd.num_partitions();
        let records = rdd.count();
        let (created, reused) = match self.pattern {
            ConnectionPattern::PerRecord | ConnectionPattern::CreatedOnDriver => {
                (records as u64, 0)
            }
            ConnectionPattern::PerPartition => (partitions as u64, 0),
            ConnectionPattern::Pool => {
                let mut created = 0u64;
                let mut borrowed = 0u64;
                for (i, (name, cores)) in live.iter().enumerate() {
                    // Partitions i, i + n, i + 2n, ... run on this worker.
                    let tasks = (partitions + live.len() - 1 - i) / live.len();
                    let at_once = tasks.min((*cores).max(1));
                    let pool = self.pools.entry(name.clone()).or_insert(0);
                    created += at_once.saturating_sub(*pool) as u64;
                    *pool = (*pool).max(at_once);
                    borrowed += tasks as u64;
                }
                (created, borrowed.saturating_sub(created))
            }
        };
        self.created_total += created;
        let pools = if self.pattern == ConnectionPattern::Pool {
            let sizes: Vec<String> = self
                .pools
                .iter()
                .map(|(n, c)| format!("{n}: {c}"))
                .collect();
            format!("; pools {{{}}}", sizes.join(", "))
        } else {
            String::new()
        };
        Ok(format!(
            "foreachRDD at {t} ({}): {partitions} partitions, {records} records: {created} connections opened, {reused} reused; {} opened since start{pools}",
            self.pattern.describe(),
            self.created_total
        ))
    }
}

impl OutputKind {
    /// Spark's name of the operation.
    pub fn name(&self) -> &'static str {
        match self {
            OutputKind::Print(_) => "print",
            OutputKind::SaveAsTextFiles { .. } => "saveAsTextFiles",
            OutputKind::ForeachRdd(_) | OutputKind::Connections(_) => "foreachRDD",
        }
    }
}

/// A registered output operation.
#[derive(Clone)]
pub struct Output {
    /// The stream it runs on.
    pub stream: StreamId,
    /// What it does.
    pub kind: OutputKind,
}

/// Spark's `print(num)` output for one batch: the header, up to `num` records, `...` if
/// there are more, and an empty line (`DStream.print`).
pub fn print_lines(rdd: &Rdd, t: Time, num: usize) -> Vec<String> {
    let dashes = "-------------------------------------------".to_string();
    let mut lines = vec![dashes.clone(), format!("Time: {t}"), dashes];
    let mut it = rdd.iter();
    for v in it.by_ref().take(num) {
        lines.push(v.to_string());
    }
    if it.next().is_some() {
        lines.push("...".into());
    }
    lines.push(String::new());
    lines
}

pub(super) fn run_output(
    output_dir: &std::path::Path,
    kind: &OutputKind,
    rdd: &Rdd,
    t: Time,
) -> Result<Vec<String>, SparkError> {
    match kind {
        OutputKind::Print(num) => Ok(print_lines(rdd, t, *num)),
        OutputKind::SaveAsTextFiles { prefix, suffix } => {
            let name = match suffix {
                Some(s) if !s.is_empty() => format!("{prefix}-{}.{s}", t.ms()),
                _ => format!("{prefix}-{}", t.ms()),
            };
            let dir = output_dir.join(&name);
            let io = |e: std::io::Error| {
                SparkError::InvalidArgument(format!(
                    "saveAsTextFiles: cannot write {}: {e}",
                    dir.display()
                ))
            };
            std::fs::create_dir_all(&dir).map_err(io)?;
            let mut written = Vec::new();
            for (i, p) in rdd.partitions().iter().enumerate() {
                let file = format!("part-{i:05}");
                let mut text = String::new();
                for v in p {
                    text.push_str(&v.to_string());
                    text.push('\n');
                }
                std::fs::write(dir.join(&file), text).map_err(io)?;
                written.push(format!("{name}/{file} ({} records)", p.len()));
            }
            std::fs::write(dir.join("_SUCCESS"), "").map_err(io)?;
            Ok(written)
        }
        OutputKind::ForeachRdd(f) => {
            f(rdd, t);
            Ok(Vec::new())
        }
        OutputKind::Connections(_) => Err(SparkError::InvalidArgument(
            "a connection-counting foreachRDD runs through run_output_op".into(),
        )),
    }
}

/// Runs output operation `index` of `outputs` on the batch's RDD: as [`run_output`], and for
/// a connection-counting `foreachRDD` counts the connections against the cluster's live
/// executors (the driver's incarnation is `epoch`), keeping the pools in `outputs` (the
/// driver's, so a snapshot holds them too).
///
/// # Errors
/// As [`run_output`]; "Task not serializable" for a connection made on the driver.
pub(super) fn run_output_op(
    outputs: &mut [Output],
    index: usize,
    cluster: &crate::cluster::Cluster,
    epoch: u64,
    output_dir: &std::path::Path,
    rdd: &Rdd,
    t: Time,
) -> Result<Vec<String>, SparkError> {
    let live: Vec<(String, usize)> = if cluster.driver_alive {
        cluster
            .workers
            .iter()
            .filter(|w| w.alive)
            .map(|w| (w.name.clone(), w.cores))
            .collect()
    } else {
        Vec::new()
    };
    let Some(out) = outputs.get_mut(index) else {
        return Ok(Vec::new());
    };
    match &mut out.kind {
        OutputKind::Connections(sink) => {
            // A job runs only with a free core, so at least one worker is live here.
            let live = if live.is_empty() {
                vec![("driver".to_string(), 1)]
            } else {
                live
            };
            Ok(vec![sink.write(rdd, t, &live, epoch)?, String::new()])
        }
        kind => {
            let kind = kind.clone();
            run_output(output_dir, &kind, rdd, t)
        }
    }
}
