//! `ReceiverSupervisorImpl` (`receiver/ReceiverSupervisorImpl.scala`): every block
//! interval the block generator cuts a block; the supervisor stores it
//! (`pushAndReportBlock`: block manager, replica, write-ahead log), reports it to the
//! driver's tracker, and a reliable receiver acknowledges it to its source.

use super::driver::{Core, Scheduled};
use super::input_dstreams::InputSource;
use super::receiver_tracker::fail_receiver;
use super::trace::Event;
use crate::cluster::network::Delivery;
use crate::cluster::{Fault, Mechanism};
use crate::sim::{Duration, Time};
use rand::Rng;

/// The block generator of receiver `input` at `t`: receive, cut a block, store and
/// replicate it (and log it), report it to the tracker, send the acknowledgement.
pub(super) fn block_tick(core: &mut Core, input: usize, t: Time) {
    let InputSource::Receiver(r) = &mut core.inputs.sources[input] else {
        return;
    };
    if core
        .inputs
        .cluster
        .config
        .disabled
        .contains(&Mechanism::Acknowledgement)
    {
        // Without acknowledgements the source cannot tell what arrived: it replays
        // nothing, as for an unreliable receiver.
        r.reliable = false;
    }
    let (start, dropped) = r.receive_from(t);
    // Usually the block is exactly what was just received: the ledger then notes both in one
    // pass once the block is stored (the lives read back the same; the other paths below
    // note the reception first, as before).
    let received_all = start == 0;
    let block = r.cut_block(t);
    let (worker, reliable) = (r.worker, r.reliable);
    match &block {
        Some(_) if received_all => {}
        Some((_, b)) => core.inputs.ledger.received(input, &b.offsets[start..], t),
        None => core
            .inputs
            .ledger
            .received(input, &r.buffered_offsets()[start..], t),
    }
    if !dropped.is_empty() {
        core.inputs
            .ledger
            .dropped(input, &dropped, t, "sent while the receiver was down");
    }
    let (Some((seq, b)), Some(w)) = (block, worker) else {
        return;
    };
    if core.inputs.cluster.config.wal && core.take_armed(|f| *f == Fault::FailWalWrite).is_some() {
        if received_all {
            core.inputs.ledger.received(input, &b.offsets, t);
        }
        // The block could not be made durable: the receiver reports the error and restarts;
        // nothing was acknowledged, so a reliable source sends the records again.
        core.emit(Event::ProtocolFault {
            time: t,
            fault: "fail wal-write".into(),
            detail: format!("{} of {}: the write-ahead log write failed; the block is dropped and the receiver restarts", b.id, core.inputs.names[input]),
        });
        fail_receiver(
            core,
            input,
            t,
            "buffered in a receiver whose write-ahead log write failed",
        );
        if !reliable {
            core.inputs.ledger.dropped(
                input,
                &b.offsets,
                t,
                "in a block whose write-ahead log write failed",
            );
        }
        return;
    }
    let b = std::sync::Arc::new(b);
    // `logged`: what the write-ahead log holds, not what the configuration asked for.
    let (holders, logged) = core.inputs.cluster.store(w, std::sync::Arc::clone(&b));
    let replicated = holders.len() > 1;
    if received_all {
        core.inputs
            .ledger
            .received_and_stored(input, &b.offsets, t, &b.id, replicated, logged);
    } else {
        core.inputs
            .ledger
            .stored(input, &b.offsets, &b.id, replicated, logged);
    }
    let e = Event::BlockStored {
        time: t,
        stream: core.inputs.names[input].clone(),
        block: b.id.to_string(),
        records: b.records.len(),
        stored_on: holders
            .iter()
            .map(|&h| core.inputs.cluster.workers[h].name.clone())
            .collect(),
        logged,
    };
    core.emit(e);
    let cluster = &mut core.inputs.cluster;
    let report_arrived = match cluster.network.send(&cluster.workers[w].name, "driver") {
        Delivery::After(lat) if lat.ms() == 0 => {
            core.inputs.tracker.add_block(t, b);
            true
        }
        Delivery::After(lat) => {
            core.in_flight.insert((input, seq), b);
            let epoch = core.epoch;
            core.schedule(t.plus(lat), Scheduled::BlockReport { input, seq, epoch });
            false
        }
        lost => {
            // pushAndReportBlock failed: the receiver reports the error and restarts; the
            // block is stored but the driver never hears of it.
            core.emit(Event::MessageLost {
                time: t,
                message: format!(
                    "block report {} from {} to the driver",
                    b.id, core.inputs.cluster.workers[w].name
                ),
                reason: if lost == Delivery::Partitioned {
                    "network partition".into()
                } else {
                    "message loss".into()
                },
            });
            fail_receiver(
                core,
                input,
                t,
                "buffered in a receiver whose block report was lost",
            );
            return;
        }
    };
    let stream = &core.inputs.names[input];
    let kill_after_store = core
        .armed
        .iter()
        .position(|f| matches!(f, Fault::KillReceiverAfterStore(s) if s == stream));
    if let Some(i) = kill_after_store {
        core.armed.remove(i);
        let stream = core.inputs.names[input].clone();
        // Stored (and reported), but the receiver dies before the acknowledgement leaves:
        // a reliable source will send the block's records again.
        core.emit(Event::ProtocolFault {
            time: t,
            fault: format!("kill receiver {stream} after-store"),
            detail: "the receiver died after storing its block, before acknowledging it".into(),
        });
        fail_receiver(
            core,
            input,
            t,
            "buffered in a receiver that died after storing a block",
        );
        return;
    }
    let ack_on_timer = core
        .inputs
        .cluster
        .config
        .disabled
        .contains(&Mechanism::AckAfterReport);
    if reliable && (report_arrived || ack_on_timer) {
        send_ack(core, input, seq, t, 0);
    }
}

/// The tracker answered `AddBlock` for block number `seq` of receiver `input` at `t` (after
/// logging it when the write-ahead log is on), `answer_ms` virtual milliseconds of network
/// latency back to the receiver: `pushAndReportBlock` returns, `store()` returns, and a
/// reliable receiver acknowledges the block to its source (`ReceiverSupervisorImpl`,
/// `ReceivedBlockTracker.addBlock`; the guide's "Receiver Reliability"). Nothing is
/// acknowledged before the driver holds the block, so a driver that dies with the report in
/// flight leaves the records unacknowledged, and the source sends them again.
pub(super) fn send_ack(core: &mut Core, input: usize, seq: u64, t: Time, answer_ms: u64) {
    let (worker, reliable) = match &core.inputs.sources[input] {
        InputSource::Receiver(r) => (r.worker, r.reliable),
        _ => return,
    };
    let Some(w) = worker.filter(|_| reliable) else {
        return;
    };
    let worker_name = core.inputs.cluster.workers[w].name.clone();
    let (lo, hi) = core.inputs.cluster.config.ack_latency_ms;
    let mut latency = answer_ms + core.ack_rng.random_range(lo..=hi.max(lo));
    match core.inputs.cluster.network.send(&worker_name, "source") {
        Delivery::After(extra) => latency += extra.ms(),
        lost => {
            core.emit(Event::MessageLost {
                time: t,
                message: format!(
                    "acknowledgement of input-{}-{seq} to the source",
                    core.inputs.names[input]
                ),
                reason: if lost == Delivery::Partitioned {
                    "network partition".into()
                } else {
                    "message loss".into()
                },
            });
            return;
        }
    }
    let epoch = core.epoch;
    core.schedule(
        t.plus(Duration::from_ms(latency)),
        Scheduled::Ack { input, seq, epoch },
    );
}

/// The block interval timer of receiver `input` fired at `t` (`BlockGenerator`'s
/// `RecurringTimer`): cut and push a block, and arm the next tick.
pub(super) fn on_block_interval(core: &mut Core, input: usize, t: Time, epoch: u64) {
    if epoch == core.epoch {
        block_tick(core, input, t);
        let next = t.plus(core.config.block_interval);
        core.schedule(next, Scheduled::BlockTick { input, epoch });
    }
}

/// Block number `seq`'s acknowledgement reached the source of receiver `input`: a reliable
/// source will not send those records again.
pub(super) fn on_ack(core: &mut Core, input: usize, seq: u64, epoch: u64) {
    if epoch == core.epoch {
        if let InputSource::Receiver(r) = &mut core.inputs.sources[input] {
            if r.worker.is_some() {
                r.ack(seq);
            }
        }
    }
}

/// The tracker's answer to block `seq`'s `AddBlock` travels back to receiver `input` at `t`:
/// `store()` returns and a reliable receiver acknowledges the block to its source
/// ([`send_ack`]). A lost answer fails `pushAndReportBlock`: the receiver restarts.
pub(super) fn on_add_block_answer(core: &mut Core, input: usize, seq: u64, t: Time) {
    let worker = match &core.inputs.sources[input] {
        InputSource::Receiver(r) if r.reliable => r.worker,
        _ => None,
    };
    let Some(w) = worker else {
        return;
    };
    let worker_name = core.inputs.cluster.workers[w].name.clone();
    match core.inputs.cluster.network.send("driver", &worker_name) {
        Delivery::After(lat) => send_ack(core, input, seq, t, lat.ms()),
        lost => {
            core.emit(Event::MessageLost {
                time: t,
                message: format!(
                    "answer to the block report input-{}-{seq} from the driver to {worker_name}",
                    core.inputs.names[input]
                ),
                reason: if lost == Delivery::Partitioned {
                    "network partition".into()
                } else {
                    "message loss".into()
                },
            });
            fail_receiver(
                core,
                input,
                t,
                "buffered in a receiver whose block report went unanswered",
            );
        }
    }
}
