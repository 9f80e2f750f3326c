//! Tasks as Spark's `TaskSetManager` (`core/src/main/scala/org/apache/spark/scheduler/
//! TaskSetManager.scala`) runs them, as far as a batch's time and output depend on it:
//! failed attempts and `spark.task.maxFailures`, stragglers and `spark.speculation`, and the
//! recomputation of cached partitions lost with a worker (`RDD.getOrCompute` falls back to
//! the lineage, or to the checkpoint file when the RDD was checkpointed).
//!
//! A batch without a slow worker, a failed task or a lost partition costs exactly what the
//! cost model in `job_scheduler` says (work spread evenly over the free cores). Otherwise
//! its tasks are placed one by one on the free core that frees first (a straggler's cores
//! run `slowdown` times slower), and with speculation, once `quantile` of the tasks have
//! finished, a task running longer than `multiplier` times their median (at least 100 ms,
//! `spark.speculation.min.threshold`), checked every 100 ms (`spark.speculation.interval`),
//! gets a copy on a healthy core; the first copy to finish wins.

use super::driver::Core;
use super::input_dstreams::{InputSource, LostPartitions};
use super::trace::Event;
use crate::cluster::Fault;
use crate::sim::Time;

/// A worker is about to die: the cached partitions of RDDs that later batches read again
/// (RDDs remembered past their own batch: a window's parents; a state stream's latest) which lived on it are
/// noted for recomputation. Partition `p` of such an RDD is cached on worker `p mod N` (the
/// executors take a stage's tasks in turn).
pub(super) fn on_worker_lost(core: &mut Core, w: usize) {
    let n = core.inputs.cluster.workers.len().max(1);
    let mut lost = Vec::new();
    for node in core.graph.nodes() {
        if node.remember <= node.slide {
            continue;
        }
        // A state stream (StateDStream, ReducedWindowedDStream) reads only its latest RDD
        // again; recomputing it walks back through the older ones (its lineage steps).
        let skip = if node.must_checkpoint {
            node.generated().len().saturating_sub(1)
        } else {
            0
        };
        for (time, rdd) in node.generated().iter().skip(skip) {
            let (mut partitions, mut records) = (0, 0);
            // (record counts only: a deferred RDD is not computed for this)
            for p in (0..rdd.num_partitions()).filter(|p| p % n == w) {
                partitions += 1;
                records += rdd.partition_len(p);
            }
            if partitions > 0 {
                lost.push(LostPartitions {
                    stream: node.id(),
                    rdd_time: *time,
                    partitions,
                    records,
                });
            }
        }
    }
    core.inputs.mech.lost.extend(lost);
}

/// Batch `t` reads the remembered RDDs again: their lost partitions are recomputed, each
/// record once per step of its lineage (once, from the checkpoint file, when the RDD was
/// checkpointed), each partition a task. Returns the cost in virtual microseconds (on one
/// core) and records a `PartitionsRecomputed` event per RDD.
pub(super) fn recompute_lost(core: &mut Core, t: Time) -> f64 {
    if core.inputs.mech.lost.is_empty() {
        return 0.0;
    }
    let cost = core.inputs.cluster.config.cost;
    let mut total = 0.0;
    for l in std::mem::take(&mut core.inputs.mech.lost) {
        let node = core.graph.node(l.stream);
        let Some(rdd) = node.generated().get(&l.rdd_time) else {
            continue;
        };
        let checkpointed = rdd.lineage().checkpointed;
        let steps = if checkpointed {
            1
        } else {
            rdd.lineage().depth.max(1)
        };
        let us = l.partitions as f64 * cost.task_launch_us as f64
            + l.records as f64 * steps as f64 * cost.record_us;
        total += us;
        let e = Event::PartitionsRecomputed {
            time: t,
            stream: node.label(),
            rdd_time: l.rdd_time,
            partitions: l.partitions,
            records: l.records,
            from: if checkpointed {
                "checkpoint".into()
            } else {
                format!("lineage ({steps} steps)")
            },
            cost_ms: (us / 1000.0).ceil() as u64,
        };
        core.emit(e);
    }
    total
}

/// The armed task faults for the batch about to run: `(fail task N, fail output half-way N)`.
pub(super) fn take_task_faults(core: &mut Core) -> (u32, u32) {
    let task = match core.take_armed(|f| matches!(f, Fault::FailTask(_))) {
        Some(Fault::FailTask(n)) => n,
        _ => 0,
    };
    let output = match core.take_armed(|f| matches!(f, Fault::FailOutput(_))) {
        Some(Fault::FailOutput(n)) => n,
        _ => 0,
    };
    (task, output)
}

/// Spark's message when a task failed `max` times (`TaskSetManager.abort`).
pub(super) fn abort_message(t: Time, max: u32, reason: &str) -> String {
    let stage = t.ms() / 1000;
    format!(
        "Job aborted due to stage failure: Task 0 in stage {stage}.0 failed {max} times, most recent failure: Lost task 0.{} in stage {stage}.0: {reason}",
        max - 1
    )
}

/// The batch's processing time in virtual ms: `work_us` of work in `tasks` tasks over `free`
/// cores, plus `retries` failed attempts of one task and `extra_us` of recomputation.
/// Without a slow worker, retries or recomputation: `ceil(work_us / 1000 / free)`, the cost
/// model's figure.
pub(super) fn processing_ms(
    core: &mut Core,
    t: Time,
    tasks: u64,
    work_us: f64,
    free: f64,
    retries: u32,
    extra_us: f64,
) -> u64 {
    let slow = core
        .inputs
        .cluster
        .workers
        .iter()
        .any(|w| w.alive && w.slowdown > 1.0);
    if !slow && retries == 0 && extra_us == 0.0 {
        return (work_us / 1000.0 / free).ceil() as u64;
    }
    let n = tasks.max(1);
    let per_task = work_us / n as f64;
    let mut us = if slow {
        let (without, with, copies) = place_tasks(core, n, per_task);
        if copies > 0 {
            core.emit(Event::TasksSpeculated {
                time: t,
                copies,
                without_ms: (without / 1000.0).ceil() as u64,
                with_ms: (with / 1000.0).ceil() as u64,
            });
        }
        with
    } else {
        work_us / free
    };
    us += retries as f64 * per_task + extra_us / free;
    (us / 1000.0).ceil() as u64
}

/// Places `n` tasks of `per_task` µs on the free cores (cores of live workers not held by a
/// receiver), each on the core that frees first. Returns the span without speculation,
/// the span with it (equal when `spark.speculation` is off) and the copies launched.
fn place_tasks(core: &Core, n: u64, per_task: f64) -> (f64, f64, usize) {
    let cluster = &core.inputs.cluster;
    let held = |w: usize| {
        core.inputs
            .sources
            .iter()
            .filter(|s| matches!(s, InputSource::Receiver(r) if r.worker == Some(w)))
            .count()
    };
    let mut slots: Vec<(f64, f64)> = Vec::new();
    for (i, w) in cluster.workers.iter().enumerate() {
        if w.alive {
            for _ in 0..w.cores.saturating_sub(held(i)) {
                slots.push((0.0, w.slowdown));
            }
        }
    }
    if slots.is_empty() {
        slots.push((0.0, 1.0));
    }
    let mut runs: Vec<(f64, f64)> = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let (k, _) = slots
            .iter()
            .enumerate()
            .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
            .unwrap_or((0, &(0.0, 1.0)));
        let (start, factor) = slots[k];
        let end = start + per_task * factor;
        slots[k].0 = end;
        runs.push((start, end));
    }
    let without = runs.iter().map(|r| r.1).fold(0.0, f64::max);
    let conf = &cluster.config.conf;
    if !conf.speculation {
        return (without, without, 0);
    }
    // checkSpeculatableTasks: at least max(floor(quantile * n), 1) tasks done.
    let need = ((conf.speculation_quantile * n as f64).floor() as usize).max(1);
    let mut ends: Vec<f64> = runs.iter().map(|r| r.1).collect();
    ends.sort_by(f64::total_cmp);
    let Some(&q_time) = ends.get(need - 1) else {
        return (without, without, 0);
    };
    let mut done: Vec<f64> = runs
        .iter()
        .filter(|r| r.1 <= q_time)
        .map(|r| r.1 - r.0)
        .collect();
    done.sort_by(f64::total_cmp);
    let median = done.get(done.len() / 2).copied().unwrap_or(per_task);
    let threshold = (conf.speculation_multiplier * median).max(100_000.0);
    let healthy = cluster
        .workers
        .iter()
        .filter(|w| w.alive)
        .map(|w| w.slowdown)
        .fold(f64::INFINITY, f64::min);
    let interval = 100_000.0;
    let mut copies = 0;
    let mut with: f64 = 0.0;
    for &(start, end) in &runs {
        let mut finish = end;
        if end > q_time {
            let launch = ((q_time.max(start + threshold)) / interval).ceil() * interval;
            let copy_end = launch + per_task * healthy;
            if copy_end < end {
                copies += 1;
                finish = copy_end;
            }
        }
        with = with.max(finish);
    }
    (without, with, copies)
}
