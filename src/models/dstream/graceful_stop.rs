//! `StreamingContext.stop(stopSparkContext, stopGracefully)` as `JobScheduler.stop` runs it
//! (`scheduler/JobScheduler.scala`, `ReceiverTracker.stop`, `JobGenerator.stop`,
//! `util/RecurringTimer.scala`).
//!
//! Both kinds first stop the receivers (`ReceiverTracker.stop`): each block generator pushes
//! what its buffer holds as a last block (`BlockGenerator.stop`) and receives nothing more.
//!
//! - **Graceful** (`JobGenerator.stop(processReceivedData = true)`): wait until the tracker
//!   has no unallocated block (a batch has taken them), then `timer.stop(interruptTimer =
//!   false)`: the timer finishes the interval it is waiting for and fires once more
//!   (`RecurringTimer.loop`), so two more batches are generated; the last one is the stop
//!   time. Then wait until every batch up to it has been processed, at most
//!   `spark.streaming.gracefulStopTimeout` (10 batch intervals) from the call; past that the
//!   timer stops at once and the job sets already queued still run
//!   (`jobExecutor.awaitTermination(1 hour)`). Nothing received is lost.
//! - **Not graceful**: the timer stops at once (`timer.stop(true)`); the job set running
//!   finishes (our jobs write their output when they start), the job sets waiting are
//!   dropped (`jobExecutor.shutdownNow`), blocks not allocated are never processed. The
//!   ledger marks those records dropped.

use super::config::State;
use super::driver::{Core, Scheduled};
use super::input_dstreams::{InputSource, Stopping};
use super::receiver_supervisor::block_tick;
use super::receiver_tracker::receiver_inputs;
use super::trace::Event;
use crate::sim::{Duration, Time};

/// `ssc.stop(stopGracefully = graceful)` at `t`.
pub(super) fn request_stop(core: &mut Core, t: Time, graceful: bool) {
    if core.state != State::Active || core.inputs.mech.stopping.is_some() {
        return;
    }
    // ReceiverTracker.stop: every block generator pushes its buffer as a last block.
    let receivers = receiver_inputs(core);
    for &input in &receivers {
        block_tick(core, input, t);
        if let InputSource::Receiver(r) = &mut core.inputs.sources[input] {
            r.stop();
        }
    }
    let batch = core.config.batch_interval;
    if graceful {
        let timeout = core
            .inputs
            .cluster
            .config
            .conf
            .graceful_stop_timeout
            .unwrap_or(default_timeout(batch));
        core.emit(Event::StopRequested {
            time: t,
            graceful,
            detail: format!("receivers stopped (their buffers pushed as last blocks); the batches run until every received block is processed (timeout {timeout})"),
        });
        core.inputs.mech.stopping = Some(Stopping {
            requested: t,
            stop_time: None,
        });
        let epoch = core.epoch;
        core.schedule(t.plus(timeout), Scheduled::StopDeadline { epoch });
        return;
    }
    // Not graceful: the timer stops now; waiting job sets and unallocated blocks are dropped.
    let mut dropped = 0usize;
    let waiting: Vec<Time> = core.waiting.drain(..).collect();
    for bt in &waiting {
        for input in receivers.clone() {
            let offs: Vec<Vec<u64>> = core
                .inputs
                .tracker
                .blocks_of(*bt, input)
                .iter()
                .map(|b| b.offsets.as_ref().clone())
                .collect();
            for o in offs {
                dropped += o.len();
                core.inputs.ledger.dropped(
                    input,
                    &o,
                    t,
                    &format!("allocated to batch {bt}, which had not run when the context stopped (not gracefully)"),
                );
            }
        }
    }
    let queued: Vec<(usize, Vec<u64>)> = core
        .inputs
        .tracker
        .queued()
        .iter()
        .flat_map(|(i, bs)| bs.iter().map(|b| (*i, b.offsets.as_ref().clone())))
        .collect();
    for (input, o) in queued {
        dropped += o.len();
        core.inputs.ledger.dropped(
            input,
            &o,
            t,
            "received but not yet allocated to a batch when the context stopped (not gracefully)",
        );
    }
    core.emit(Event::StopRequested {
        time: t,
        graceful,
        detail: format!(
            "the timer stops now: {} waiting batch(es) dropped, {dropped} received record(s) never processed",
            waiting.len()
        ),
    });
    finish(core, t);
}

/// The batch timer fired at `t` during a graceful stop: whether to generate it. Sets the
/// stop time when the tracker has no unallocated block left after batch `t`.
pub(super) fn timer_may_fire(core: &Core, t: Time) -> bool {
    match &core.inputs.mech.stopping {
        Some(Stopping {
            stop_time: Some(st),
            ..
        }) => t <= *st,
        _ => true,
    }
}

/// After batch `t` was generated: once every received block is allocated, `timer.stop(false)`
/// lets the timer fire twice more (the interval it waits for, then one last).
pub(super) fn after_generate(core: &mut Core, t: Time) {
    let batch = core.config.batch_interval;
    let unallocated =
        core.inputs.tracker.queued().values().any(|q| !q.is_empty()) || !core.in_flight.is_empty();
    if let Some(s) = &mut core.inputs.mech.stopping {
        if s.stop_time.is_none() && t >= s.requested && !unallocated {
            s.stop_time = Some(t.plus(batch * 2));
        }
    }
}

/// A batch completed: with a stop in progress, the context stops once every batch up to
/// the stop time has been processed.
pub(super) fn after_batch(core: &mut Core) {
    let Some(Stopping {
        stop_time: Some(st),
        ..
    }) = &core.inputs.mech.stopping
    else {
        return;
    };
    if core.last_batch.is_some_and(|b| b >= *st) && core.waiting.is_empty() {
        let (at, epoch) = (core.busy_until, core.epoch);
        core.schedule(at, Scheduled::StopDone { epoch });
    }
}

/// `spark.streaming.gracefulStopTimeout` passed: the timer stops at once; job sets already
/// queued still run.
pub(super) fn on_deadline(core: &mut Core, t: Time, epoch: u64) {
    if epoch != core.epoch || core.state != State::Active {
        return;
    }
    let last = core.waiting.back().copied().or(core.last_batch);
    if let Some(s) = &mut core.inputs.mech.stopping {
        let timeout = t.ms() - s.requested.ms();
        let st = last.unwrap_or(t);
        s.stop_time = Some(s.stop_time.map_or(st, |x| x.min(st)));
        core.emit(Event::Warning {
            time: t,
            message: format!("Timed out while stopping the job generator (timeout = {timeout})"),
        });
        if core.waiting.is_empty() {
            let at = core.busy_until.max(t);
            core.schedule(at, Scheduled::StopDone { epoch });
        }
    }
}

/// The last job set finished: the context is stopped.
pub(super) fn on_done(core: &mut Core, t: Time, epoch: u64) {
    if epoch == core.epoch && core.state == State::Active {
        finish(core, t);
    }
}

fn finish(core: &mut Core, t: Time) {
    core.state = State::Stopped;
    core.clock = core.clock.max(t);
    core.emit(Event::ContextStopped { time: t });
}

/// The default `spark.streaming.gracefulStopTimeout`: 10 batch intervals.
pub fn default_timeout(batch: Duration) -> Duration {
    batch * 10
}
