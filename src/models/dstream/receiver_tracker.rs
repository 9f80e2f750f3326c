//! `ReceiverTracker` (`scheduler/ReceiverTracker.scala`): where receivers run, and their
//! restart (after `spark.streaming.receiverRestartDelay`) when they fail.

use super::driver::{Core, Scheduled};
use super::input_dstreams::InputSource;
use super::trace::Event;
use crate::sim::Time;

/// Kills the receiver of `input` (pulling first what arrived up to `t`, which dies in its
/// buffer if it is unreliable); returns the records lost.
pub(super) fn kill_receiver(core: &mut Core, input: usize, t: Time, why: &str) -> usize {
    let InputSource::Receiver(r) = &mut core.inputs.sources[input] else {
        return 0;
    };
    let (received, dropped) = r.receive(t);
    let lost = r.kill();
    core.inputs.ledger.received(input, &received, t);
    core.inputs
        .ledger
        .dropped(input, &dropped, t, "sent while the receiver was down");
    core.inputs.ledger.dropped(input, &lost, t, why);
    lost.len()
}

/// A receiver fails (its worker died, a report or log write failed, a protocol-point
/// fault): it dies as [`kill_receiver`] describes and the receiver tracker restarts it after
/// `spark.streaming.receiverRestartDelay`. Returns the records lost with it.
pub(super) fn fail_receiver(core: &mut Core, input: usize, t: Time, why: &str) -> usize {
    let lost = kill_receiver(core, input, t, why);
    let delay = core.inputs.cluster.config.receiver_restart_delay;
    core.schedule(t.plus(delay), Scheduled::ReceiverRestart { input });
    lost
}

pub(super) fn receiver_inputs(core: &Core) -> Vec<usize> {
    core.inputs
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, InputSource::Receiver(_)))
        .map(|(i, _)| i)
        .collect()
}

/// Starts a dead receiver again on a live worker (Spark's `ReceiverTracker` reschedules it).
pub(super) fn restart_receiver(core: &mut Core, input: usize, t: Time) {
    if !core.inputs.cluster.driver_alive {
        return;
    }
    let preferred = input % core.inputs.cluster.workers.len().max(1);
    let Some(w) = core.inputs.cluster.live_worker_from(preferred, None) else {
        let delay = core.inputs.cluster.config.receiver_restart_delay;
        core.schedule(t.plus(delay), Scheduled::ReceiverRestart { input });
        return;
    };
    let InputSource::Receiver(r) = &mut core.inputs.sources[input] else {
        return;
    };
    // What an unreliable source sent while nobody listened is gone.
    let (_, dropped) = r.receive(t);
    r.start_on(w);
    core.inputs
        .ledger
        .dropped(input, &dropped, t, "sent while the receiver was down");
    let worker = core.inputs.cluster.workers[w].name.clone();
    core.emit(Event::ReceiverStarted {
        time: t,
        stream: core.inputs.names[input].clone(),
        worker,
    });
}

/// A block report (`AddBlock`) reached the driver: the tracker queues (and logs) the block,
/// unless the report came from a receiver of a driver that has since died. Returns whether
/// the tracker answers (`true` for `AddBlock`'s reply), which the receiver supervisor then
/// receives (`receiver_supervisor::on_add_block_answer`).
pub(super) fn on_block_report(core: &mut Core, input: usize, seq: u64, epoch: u64) -> bool {
    let Some(b) = core.in_flight.remove(&(input, seq)) else {
        return false;
    };
    if epoch != core.epoch {
        return false;
    }
    let t = core.clock;
    core.inputs.tracker.add_block(t, b);
    if core
        .inputs
        .cluster
        .config
        .disabled
        .contains(&crate::cluster::Mechanism::AckAfterReport)
    {
        return false; // acknowledged on its own timer already
    }
    true
}
