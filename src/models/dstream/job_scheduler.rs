//! `JobScheduler` (`scheduler/JobScheduler.scala`): runs each batch's job set on the cores
//! receivers leave free, one job set at a time (`spark.streaming.concurrentJobs = 1`), and
//! records its scheduling delay, processing time and total delay.

use super::config::State;
use super::driver::{Core, Scheduled};
use super::dstream_graph::Node;
use super::error::SparkError;
use super::input_dstreams::InputSource;
use super::rdd::Rdd;
use super::receiver_tracker::receiver_inputs;
use super::trace::Event;
use crate::cluster::SinkKind;
use crate::sim::{Duration, Time};

/// A job failed: the context stops (as `awaitTermination` rethrows the error).
pub(super) fn fail(core: &mut Core, t: Time, e: SparkError) -> SparkError {
    core.emit(Event::JobFailed {
        time: t,
        message: e.to_string(),
    });
    core.failure = Some(e.clone());
    core.state = State::Stopped;
    core.emit(Event::ContextStopped { time: t });
    e
}

/// Runs batch `t` now, or, without a free core, queues it and polls again a batch interval
/// later.
pub(super) fn run_or_wait(core: &mut Core, t: Time) -> Result<(), SparkError> {
    match process_batch(core, t) {
        Ok(true) => Ok(()),
        Ok(false) => {
            let first = core.waiting.is_empty();
            core.waiting.push_front(t);
            if first {
                let at = core.clock.plus(core.config.batch_interval);
                let epoch = core.epoch;
                core.schedule(at, Scheduled::JobStart { epoch });
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// JobScheduler running the jobs of batch `t` now: the output operations in order, then
/// the batch's figures from the cost model, and cleanup.
pub(super) fn process_batch(core: &mut Core, t: Time) -> Result<bool, SparkError> {
    let receivers = receiver_inputs(core);
    // The guide's starvation rule: each receiver holds a core; with no core left, jobs are
    // generated but never run.
    let held = receivers
        .iter()
        .filter(
            |&&i| matches!(&core.inputs.sources[i], InputSource::Receiver(r) if r.worker.is_some()),
        )
        .count();
    if core.inputs.cluster.live_cores() <= held {
        // No core to run a task on: the batch's jobs wait (for ever, if receivers hold
        // every core; until a worker comes back, if workers are down).
        if core.stalled.insert(t) {
            let cores = core.inputs.cluster.live_cores();
            let reason = if held > 0 && cores == held {
                format!("{held} receiver(s) hold all {cores} core(s): data is received but never processed (give the application more cores than receivers)")
            } else {
                format!("no free core ({cores} live core(s), {held} held by receivers): the batch waits for a worker")
            };
            core.emit(Event::BatchNotProcessed { time: t, reason });
        }
        return Ok(false);
    }
    let outputs = core.outputs.clone();
    let (mut tasks, mut work_records, mut shuffled_bytes) = (0u64, 0u64, 0u64);
    // Task-level faults armed for this batch (`fail task N`, `fail output half-way N`).
    let (mut fail_task, mut fail_output) = super::task_scheduler::take_task_faults(core);
    let (mut retries, mut aborted) = (0u32, false);
    for (index, out) in outputs.iter().enumerate() {
        if !core.graph.is_time_valid(out.stream, t) {
            continue;
        }
        let mut computed = Vec::new();
        let result = {
            let mut on_new = |node: &Node, time: Time, rdd: &Rdd| {
                if rdd.lineage().shuffle {
                    shuffled_bytes += rdd.approx_bytes();
                }
                computed.push(Event::RddComputed {
                    time,
                    stream: node.label(),
                    rdd: rdd.id(),
                    partitions: rdd.num_partitions(),
                    records: rdd.count(),
                    checkpointed: rdd.lineage().checkpointed,
                    lineage_depth: rdd.lineage().depth,
                });
            };
            core.graph
                .get_or_compute(out.stream, t, &mut core.ctx, &mut core.inputs, &mut on_new)
        };
        for e in std::mem::take(&mut core.inputs.events) {
            core.emit(e);
        }
        for e in computed {
            if let Event::RddComputed {
                partitions,
                records,
                ..
            } = &e
            {
                tasks += *partitions as u64;
                work_records += *records as u64;
            }
            core.emit(e);
        }
        let Some(rdd) = result? else { continue };
        let label = core.graph.node(out.stream).label();
        if core.inputs.cluster.config.sink == SinkKind::Transactional && core.written.contains(t) {
            // The transaction of this batch committed before the failure: the re-run finds
            // its (batch time, operation) in the commit log and writes nothing.
            core.emit(Event::Warning {
                time: t,
                message: format!("transactional sink: batch {t} of {label} already committed; the re-run writes nothing"),
            });
            continue;
        }
        if fail_task > 0 || fail_output > 0 {
            let (n, half_way) = if fail_task > 0 {
                (std::mem::take(&mut fail_task), false)
            } else {
                (std::mem::take(&mut fail_output), true)
            };
            let (failed, abort) = failed_attempts(core, t, n, half_way);
            retries += failed;
            if abort {
                aborted = true;
                continue;
            }
        }
        let lines = super::output_ops::run_output_op(
            &mut core.outputs,
            index,
            &core.inputs.cluster,
            core.epoch,
            &core.config.output_dir,
            &rdd,
            t,
        )?;
        core.emit(Event::Output {
            time: t,
            index,
            op: out.kind.name().to_string(),
            stream: label,
            lines,
        });
    }
    // The batch completed: its input records have been written out (once more, for an
    // at-least-once sink; once per batch time for a transactional one, whose re-run writes
    // nothing). An idempotent sink keys the output by batch time: a re-run overwrites the
    // first write, so the sink holds the last one, whatever it contains.
    let offsets = core.inputs.batch_offsets.remove(&t).unwrap_or_default();
    let mut per_input: std::collections::BTreeMap<usize, u64> = Default::default();
    for (input, offs) in &offsets {
        *per_input.entry(*input).or_default() += offs.len() as u64;
    }
    // A job that aborted wrote nothing more than its failed attempts did: the batch's
    // output is lost (Spark goes on with the next batch).
    let offsets = if aborted { Vec::new() } else { offsets };
    let first_write = !aborted && core.written.insert(t);
    let sink = core.inputs.cluster.config.sink;
    if sink == SinkKind::Idempotent && !aborted {
        if let Some(old) = core.sink_contents.remove(&t) {
            for (input, offs) in old {
                core.inputs.ledger.output_overwritten(input, &offs);
            }
        }
        core.sink_contents.insert(t, offsets.clone());
    }
    if first_write || sink != SinkKind::Transactional {
        for (input, offs) in offsets {
            core.inputs.ledger.output(input, &offs);
        }
    }
    let input_records = core.inputs.records_at.remove(&t).unwrap_or(0);
    core.accumulator += input_records as u64;
    core.last_batch = Some(t);
    // The cost model: every task pays the launch overhead, every record each operator
    // touches pays its cost, every byte a shuffle moves pays its cost; tasks share the
    // cores the receivers leave free.
    let cost = core.inputs.cluster.config.cost;
    let free = core.inputs.cluster.live_cores().saturating_sub(held).max(1) as f64;
    let work_us = tasks as f64 * cost.task_launch_us as f64
        + work_records as f64 * cost.record_us
        + shuffled_bytes as f64 * cost.byte_us;
    let recompute_us = super::task_scheduler::recompute_lost(core, t);
    let processing_ms =
        super::task_scheduler::processing_ms(core, t, tasks, work_us, free, retries, recompute_us);
    let start = core.clock.max(t);
    core.busy_until = start.plus(Duration::from_ms(processing_ms));
    let scheduling_delay_ms = start.ms() - t.ms();
    core.emit(Event::BatchCompleted {
        time: t,
        input_records,
        scheduling_delay_ms,
        processing_time_ms: processing_ms,
        total_delay_ms: scheduling_delay_ms + processing_ms,
    });
    super::rate_controller::on_batch_completed(
        core,
        t,
        start,
        processing_ms,
        scheduling_delay_ms,
        &per_input,
    );
    for (stream, times) in core.graph.clear_old(t) {
        let label = core.graph.node(stream).label();
        core.emit(Event::RddsCleared {
            time: t,
            stream: label,
            times,
        });
    }
    let max_remember = core
        .graph
        .nodes()
        .iter()
        .map(|n| n.remember)
        .max()
        .unwrap_or_default();
    if let Some(threshold) = t.checked_minus(max_remember) {
        let done = core.inputs.tracker.cleanup(t, threshold);
        core.inputs.cluster.forget_blocks(&done);
    }
    core.stalled.remove(&t);
    super::graceful_stop::after_batch(core);
    Ok(true)
}

/// `n` attempts of a task of batch `t`'s first output job fail (`half_way`: each after
/// writing half of its partition to the sink); it is retried until `spark.task.maxFailures`
/// attempts failed, then the job aborts. Returns `(failed attempts to pay for, aborted)`.
/// A half-way write stays in an at-least-once sink (the retry writes those records again),
/// is overwritten in an idempotent one (but stays if the job aborts), and is rolled back
/// by a transactional one.
fn failed_attempts(core: &mut Core, t: Time, n: u32, half_way: bool) -> (u32, bool) {
    let max = core.inputs.cluster.config.conf.task_max_failures;
    let failed = n.min(max);
    let abort = n >= max;
    let reason = if half_way {
        "java.io.IOException: the sink failed after half of the partition was written"
    } else {
        "java.lang.RuntimeException: task failed (injected)"
    };
    let half: Vec<(usize, Vec<u64>)> = core
        .inputs
        .batch_offsets
        .get(&t)
        .map(|v| {
            v.iter()
                .map(|(i, o)| (*i, o[..o.len() / 2].to_vec()))
                .collect()
        })
        .unwrap_or_default();
    let sink = core.inputs.cluster.config.sink;
    for attempt in 1..=failed {
        core.emit(Event::TaskFailed {
            time: t,
            attempt,
            max_failures: max,
            reason: reason.to_string(),
        });
        let stays = match sink {
            SinkKind::AtLeastOnce => true,
            SinkKind::Idempotent => abort && attempt == 1,
            SinkKind::Transactional => false,
        };
        if half_way && stays {
            for (input, offs) in &half {
                core.inputs.ledger.output(*input, offs);
            }
        }
    }
    if abort {
        let message = super::task_scheduler::abort_message(t, max, reason);
        core.emit(Event::JobFailed { time: t, message });
        core.emit(Event::Warning {
            time: t,
            message: format!("batch {t}: its output job aborted; the scheduler goes on with the next batch and this batch's output is lost (awaitTermination would rethrow the error)"),
        });
    }
    (failed, abort)
}

/// `JobScheduler.submitJobSet` for batch `t`: one job set runs at a time
/// (`spark.streaming.concurrentJobs = 1`), so a job set submitted while another still runs,
/// or while others wait, waits its turn (scheduling delay); otherwise it runs now, or waits
/// for a free core.
///
/// # Errors
/// The error of a job that failed (the context is then stopped).
pub(super) fn submit_job_set(core: &mut Core, t: Time) -> Result<(), SparkError> {
    let now = core.clock;
    if core.busy_until > now || !core.waiting.is_empty() {
        if core.waiting.is_empty() {
            let (at, epoch) = (core.busy_until, core.epoch);
            core.schedule(at, Scheduled::JobStart { epoch });
        }
        if let Some(&stuck) = core.stalled.iter().next() {
            core.emit(Event::BatchNotProcessed {
                time: t,
                reason: format!("queued behind batch {stuck}, which waits for a free core"),
            });
        }
        core.waiting.push_back(t);
        return Ok(());
    }
    if let Err(e) = run_or_wait(core, t) {
        core.last_batch = Some(t);
        return Err(fail(core, t, e));
    }
    Ok(())
}

/// The scheduler takes the next waiting job set at `t` (a core came free, or the previous
/// job set finished).
///
/// # Errors
/// The error of a job that failed.
pub(super) fn on_job_start(core: &mut Core, t: Time, epoch: u64) -> Result<(), SparkError> {
    if epoch != core.epoch {
        return Ok(());
    }
    let Some(bt) = core.waiting.pop_front() else {
        return Ok(());
    };
    match process_batch(core, bt) {
        Ok(true) => {
            if !core.waiting.is_empty() {
                let at = core.busy_until.max(t);
                core.schedule(at, Scheduled::JobStart { epoch });
            }
        }
        Ok(false) => {
            // Still no free core: wait another batch interval.
            core.waiting.push_front(bt);
            let at = t.plus(core.config.batch_interval);
            core.schedule(at, Scheduled::JobStart { epoch });
        }
        Err(e) => {
            core.last_batch = Some(bt);
            return Err(fail(core, bt, e));
        }
    }
    Ok(())
}
