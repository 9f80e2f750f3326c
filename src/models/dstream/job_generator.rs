//! `JobGenerator` (`scheduler/JobGenerator.scala`): the batch timer, `generateJobs`
//! (allocate the received blocks, then the jobs), `doCheckpoint`, and `restart` after a
//! driver failure.

use super::checkpoint::Checkpoint;
use super::driver::{Core, Scheduled};
use super::error::SparkError;
use super::failures::{inject, take_armed};
use super::input_dstreams::InputSource;
use super::job_scheduler::submit_job_set;
use super::receiver_tracker::{receiver_inputs, restart_receiver};
use super::trace::Event;
use crate::cluster::{Fault, Mechanism};
use crate::sim::Time;

/// JobGenerator.generateJobs: allocate the queued blocks to batch `t`; with `checkpoint`
/// (a batch of the timer, not one rescheduled by a restart), then write the metadata
/// checkpoint of time `t` (`doCheckpoint`).
pub(super) fn generate_batch(core: &mut Core, t: Time, checkpoint: bool) {
    let receivers = receiver_inputs(core);
    let logged = core.checkpoint_dir.is_some();
    if logged
        && !receivers.is_empty()
        && take_armed(core, |f| *f == Fault::FailAllocationWrite).is_some()
    {
        // ReceivedBlockTracker: if writing the allocation to the log fails, the blocks stay
        // queued (and go to the next batch).
        core.emit(Event::ProtocolFault {
            time: t,
            fault: "fail allocation-write".into(),
            detail: format!("writing the allocation of batch {t} failed; its blocks stay queued for the next batch"),
        });
    } else if !receivers.is_empty() && !core.inputs.tracker.has_allocation(t) {
        if let Some(blocks) = core.inputs.tracker.allocate(t, &receivers) {
            for &input in &receivers {
                let allocated: Vec<(Vec<u64>, Time)> = core
                    .inputs
                    .tracker
                    .blocks_of(t, input)
                    .iter()
                    .map(|b| (b.offsets.as_ref().clone(), t))
                    .collect();
                for (offsets, time) in allocated {
                    core.inputs.ledger.allocated(input, &offsets, time);
                }
            }
            core.emit(Event::BatchAllocation { time: t, blocks });
        }
    }
    if checkpoint {
        do_checkpoint(core, t);
    }
}

/// JobGenerator.doCheckpoint: with a checkpoint directory, write the `Checkpoint` of time
/// `t` with the pending times (`JobScheduler.getPendingTimes`: the job sets waiting, the
/// one still running, and `t` itself).
fn do_checkpoint(core: &mut Core, t: Time) {
    if core.checkpoint_dir.is_none() {
        return;
    }
    let mut pending_times: Vec<Time> = core.waiting.iter().copied().collect();
    if core.busy_until > t {
        pending_times.extend(core.last_batch);
    }
    pending_times.push(t);
    pending_times.sort();
    pending_times.dedup();
    let checkpoint = Checkpoint {
        checkpoint_time: t,
        pending_times,
    };
    if core.inputs.cluster.storage_full
        || take_armed(core, |f| *f == Fault::FailCheckpointWrite).is_some()
    {
        // CheckpointWriteHandler: after its attempts fail it logs and gives up; the
        // application goes on, and a recovery reads the newest file that was written.
        let dir = core.checkpoint_dir.clone().unwrap_or_default();
        core.emit(Event::CheckpointWriteFailed {
            time: core.clock,
            checkpoint_time: t,
            message: format!(
                "Could not write checkpoint for time {} ms to file '{dir}/checkpoint-{}'",
                t.ms(),
                t.ms()
            ),
        });
        return;
    }
    let (now, write_ms) = (core.clock, core.inputs.cluster.storage_write_ms);
    core.checkpoint_writer.write_at(checkpoint, now, write_ms);
}

/// The deployment restarts the driver: executors and receivers start again and, with a
/// checkpoint directory, `StreamingContext.getOrCreate` recovers: the batches from the last
/// checkpoint time up to the restart time run again (JobGenerator.restart), reading their
/// blocks from the write-ahead log when there is one.
pub(super) fn restart_driver(core: &mut Core, t: Time) -> Result<(), SparkError> {
    core.inputs.cluster.driver_alive = true;
    let epoch = core.epoch;
    // JobScheduler.start: a new ReceiverTracker builds its ReceivedBlockTracker from the
    // tracker's log before any receiver starts (without a log it starts empty).
    let (tracker, events_replayed) = core.inputs.tracker.recover();
    core.inputs.tracker = tracker;
    if core.inputs.tracker.log().is_some() {
        let queued_blocks = core.inputs.tracker.queued().values().map(Vec::len).sum();
        let allocated_batches = core.inputs.tracker.allocated_batches();
        core.emit(Event::TrackerRecovered {
            time: t,
            events_replayed,
            queued_blocks,
            allocated_batches,
        });
    }
    let block = core.config.block_interval;
    let inputs = receiver_inputs(core);
    for &input in &inputs {
        restart_receiver(core, input, t);
        core.schedule(t.plus(block), Scheduled::BlockTick { input, epoch });
    }
    let batch = core.config.batch_interval;
    let zero = core.graph.zero_time();
    // The timer restarts at the next batch boundary after now (RecurringTimer.getRestartTime).
    let restart_time = Time(zero.ms() + ((t.ms() - zero.ms()) / batch.ms() + 1) * batch.ms());
    let recovered = core.checkpoint_dir.is_some() && core.checkpoint_writer.latest().is_some();
    if !recovered {
        // A new context without a checkpoint (none configured, or none written yet:
        // `StreamingContext.getOrCreate` then calls the creating function): a direct Kafka stream starts from the latest
        // offsets (auto.offset.reset = largest); what was appended meanwhile is skipped.
        for src in &mut core.inputs.sources {
            if let InputSource::KafkaDirect { log, next, .. } = src {
                for (n, part) in next.iter_mut().zip(log.iter()) {
                    *n = part.partition_point(|(at, _)| *at <= t) as u64;
                }
            }
        }
    }
    // JobGenerator.restart: pendingTimes ++ (checkpointTime until restartTime).
    let rerun: Vec<Time> = if core.checkpoint_dir.is_some()
        && !core
            .inputs
            .cluster
            .config
            .disabled
            .contains(&Mechanism::RerunAfterRestart)
    {
        let mut times = core
            .checkpoint_writer
            .times_to_reschedule(restart_time, batch);
        // Test-only switch: bug 2 reintroduced (the pending times forgotten).
        if let (true, Some(c)) = (
            core.inputs
                .cluster
                .config
                .disabled
                .contains(&Mechanism::RerunPending),
            core.checkpoint_writer.latest(),
        ) {
            times.retain(|x| *x >= c.checkpoint_time);
        }
        times
    } else {
        Vec::new()
    };
    if let Some(&first) = rerun.first() {
        core.inputs.tracker.rewind_to(first);
    }
    let accumulator_lost = std::mem::take(&mut core.accumulator);
    core.broadcasts.driver_restarted(recovered);
    core.emit(Event::DriverRestarted {
        time: t,
        recovered_from_checkpoint: recovered,
        rerun: rerun.clone(),
        accumulator_lost,
    });
    // Each rescheduled batch is a job set submitted to the scheduler: they run one after
    // the other, not all at the restart instant.
    for bt in rerun {
        if bt < t {
            core.inputs.generated_at.insert(bt, t);
        }
        generate_batch(core, bt, false);
        submit_job_set(core, bt)?;
    }
    core.schedule(restart_time, Scheduled::Batch { epoch });
    Ok(())
}

/// The batch timer fired at `t` (`JobGenerator`'s `GenerateJobs` event): generate the
/// batch, arm the next tick, and hand the job set to the scheduler.
///
/// # Errors
/// The error of a job that failed.
pub(super) fn on_batch_timer(core: &mut Core, t: Time, epoch: u64) -> Result<(), SparkError> {
    if epoch != core.epoch || !super::graceful_stop::timer_may_fire(core, t) {
        return Ok(());
    }
    generate_batch(core, t, true);
    super::graceful_stop::after_generate(core, t);
    let next = t.plus(core.config.batch_interval);
    core.schedule(next, Scheduled::Batch { epoch });
    if core.checkpoint_dir.is_some()
        && take_armed(core, |f| *f == Fault::KillDriverAfterCheckpoint).is_some()
    {
        core.emit(Event::ProtocolFault {
            time: t,
            fault: "kill driver after-checkpoint".into(),
            detail: format!("the driver died after checkpointing batch {t}, before running it"),
        });
        inject(core, t, &Fault::KillDriver);
        return Ok(());
    }
    submit_job_set(core, t)
}
