//! The driver's event loop on the virtual clock: takes the next event off the queue and hands
//! it to the component Spark would run it in.
//!
//! Spark runs these components on threads (`JobGenerator`'s `EventLoop`, the
//! `RecurringTimer`s of the batch and block intervals, `ReceiverTracker`'s RPC endpoint);
//! here each is an event at a virtual instant, ordered by `(time, event class, sequence)`.

use super::driver::{Core, Scheduled};
use super::error::SparkError;
use super::failures::inject;
use super::input_dstreams::InputSource;
use super::job_generator::{on_batch_timer, restart_driver};
use super::job_scheduler::on_job_start;
use super::receiver_supervisor::{on_ack, on_add_block_answer, on_block_interval};
use super::receiver_tracker::{on_block_report, restart_receiver};
use super::trace::Event;
use std::cmp::Reverse;

/// Takes the next event off the queue and delivers it (the driver's event loop).
///
/// # Errors
/// The error of a job that failed.
pub(super) fn process_next(core: &mut Core) -> Result<(), SparkError> {
    let Some(Reverse((t, _, _, what))) = core.queue.pop() else {
        return Ok(());
    };
    core.clock = t;
    match what {
        Scheduled::Fault { index } => {
            let fault = core.inputs.cluster.config.faults.faults[index].1.clone();
            inject(core, t, &fault);
        }
        Scheduled::FileDrop { input, index } => {
            if let InputSource::Files { dir, drops, .. } = &core.inputs.sources[input] {
                let d = &drops[index];
                let e = Event::FileAppendIgnored {
                    time: t,
                    file: format!("{dir}/{}", d.name),
                    records: d.lines.len(),
                };
                core.emit(e);
            }
        }
        Scheduled::DriverRestart => return restart_driver(core, t),
        Scheduled::ReceiverRestart { input } => restart_receiver(core, input, t),
        Scheduled::Ack { input, seq, epoch } => on_ack(core, input, seq, epoch),
        Scheduled::BlockReport { input, seq, epoch } => {
            if on_block_report(core, input, seq, epoch) {
                on_add_block_answer(core, input, seq, t);
            }
        }
        Scheduled::BlockTick { input, epoch } => on_block_interval(core, input, t, epoch),
        Scheduled::Batch { epoch } => return on_batch_timer(core, t, epoch),
        Scheduled::JobStart { epoch } => return on_job_start(core, t, epoch),
        Scheduled::RateUpdate {
            input,
            rate,
            batch,
            epoch,
        } => super::rate_controller::on_rate_update(core, t, input, rate, batch, epoch),
        Scheduled::StopDeadline { epoch } => super::graceful_stop::on_deadline(core, t, epoch),
        Scheduled::StopDone { epoch } => super::graceful_stop::on_done(core, t, epoch),
    }
    Ok(())
}
