//! What each fault does to a running DStream application: worker and driver failures,
//! network changes, and faults armed for a protocol point. No Spark class: in Spark these
//! are the machines failing under it.

use super::driver::{Core, Scheduled};
use super::input_dstreams::InputSource;
use super::receiver_tracker::{fail_receiver, kill_receiver, receiver_inputs};
use super::trace::Event;
use crate::cluster::Fault;
use crate::sim::Time;

/// Takes an armed protocol-point fault matching `pred`, if any ([`Core::take_armed`]).
pub(super) fn take_armed(core: &mut Core, pred: impl Fn(&Fault) -> bool) -> Option<Fault> {
    core.take_armed(pred)
}

/// Applies a fault at `t`.
pub(super) fn inject(core: &mut Core, t: Time, fault: &Fault) {
    if fault.is_protocol_point() {
        core.armed.push(fault.clone());
        core.emit(Event::FaultArmed {
            time: t,
            fault: fault.to_string(),
        });
        return;
    }
    match fault {
        Fault::KillWorker(name) => {
            let Some(w) = core.inputs.cluster.worker_index(name) else {
                core.emit(Event::Warning {
                    time: t,
                    message: format!("no worker named {name}; nothing killed"),
                });
                return;
            };
            if !core.inputs.cluster.workers[w].alive {
                return;
            }
            let blocks_lost = core.inputs.cluster.workers[w].blocks.len();
            super::task_scheduler::on_worker_lost(core, w);
            core.inputs.cluster.kill_worker(w);
            let mut receivers = Vec::new();
            for input in receiver_inputs(core) {
                let on_it = matches!(&core.inputs.sources[input], InputSource::Receiver(r) if r.worker == Some(w));
                if on_it && core.inputs.cluster.driver_alive {
                    let lost = fail_receiver(
                        core,
                        input,
                        t,
                        &format!("buffered in the receiver on {name} when it failed"),
                    );
                    receivers.push(format!(
                        "{} ({lost} buffered records lost)",
                        core.inputs.names[input]
                    ));
                }
            }
            core.emit(Event::WorkerKilled {
                time: t,
                worker: name.clone(),
                blocks_lost,
                receivers,
            });
        }
        Fault::RestartWorker(name) => {
            if let Some(w) = core.inputs.cluster.worker_index(name) {
                core.inputs.cluster.restart_worker(w);
                core.emit(Event::WorkerRestarted {
                    time: t,
                    worker: name.clone(),
                });
            }
        }
        Fault::Partition(a, b, one_way) => {
            core.inputs.cluster.network.partition(a, b, *one_way);
            core.emit(Event::NetworkChanged {
                time: t,
                change: fault.to_string(),
            });
        }
        Fault::Heal => {
            core.inputs.cluster.network.heal();
            core.emit(Event::NetworkChanged {
                time: t,
                change: "heal".into(),
            });
        }
        Fault::Loss(p) => {
            core.inputs.cluster.network.loss = *p;
            core.emit(Event::NetworkChanged {
                time: t,
                change: fault.to_string(),
            });
        }
        Fault::Latency(lo, hi) => {
            core.inputs.cluster.network.latency_ms = (*lo, *hi);
            core.emit(Event::NetworkChanged {
                time: t,
                change: fault.to_string(),
            });
        }
        Fault::KillReceiverAfterStore(_)
        | Fault::KillDriverAfterCheckpoint
        | Fault::FailWalWrite
        | Fault::FailAllocationWrite
        | Fault::FailTask(_)
        | Fault::FailOutput(_)
        | Fault::FailCheckpointWrite => {}
        Fault::Stop { graceful } => super::graceful_stop::request_stop(core, t, *graceful),
        Fault::StorageFull(full) => {
            core.inputs.cluster.storage_full = *full;
            let message = if *full {
                "reliable storage is full: every checkpoint write fails (CheckpointWriter logs it and goes on) until `heal storage`".to_string()
            } else {
                "reliable storage accepts writes again".to_string()
            };
            core.emit(Event::Warning { time: t, message });
        }
        Fault::SlowStorage(ms) => {
            core.inputs.cluster.storage_write_ms = *ms;
            core.emit(Event::Warning {
                time: t,
                message: format!("reliable storage is slow: each checkpoint write takes {ms} ms, one at a time on the CheckpointWriter's thread"),
            });
        }
        Fault::SlowWorker(name, factor) => {
            if let Some(w) = core.inputs.cluster.worker_index(name) {
                core.inputs.cluster.workers[w].slowdown = *factor;
                core.emit(Event::Warning {
                    time: t,
                    message: format!("{name} is a straggler: its tasks take {factor}x as long"),
                });
            }
        }
        Fault::KillDriver => {
            if !core.inputs.cluster.driver_alive {
                return;
            }
            for input in receiver_inputs(core) {
                kill_receiver(
                    core,
                    input,
                    t,
                    "buffered in a receiver when the driver (and its executors) failed",
                );
            }
            core.inputs.cluster.kill_driver();
            let unwritten = core.checkpoint_writer.driver_died(t);
            if !unwritten.is_empty() {
                core.emit(Event::Warning {
                    time: t,
                    message: format!(
                        "checkpoint writes still running on slow storage died with the driver: {}",
                        unwritten
                            .iter()
                            .map(|x| x.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            // The tracker's memory dies with the driver (the restarted driver rebuilds it from
            // the tracker's log alone, `job_generator::restart_driver`); until then the REPL
            // can still show what the dead driver knew.
            let keep_checkpointed = core.checkpoint_dir.is_some();
            core.graph.forget_all(keep_checkpointed);
            core.epoch += 1;
            // Batches generated but not run are pending in the checkpoint: recovery re-runs them.
            core.waiting.clear();
            core.busy_until = t;
            let delay = core.inputs.cluster.config.driver_restart_delay;
            core.schedule(t.plus(delay), Scheduled::DriverRestart);
            core.emit(Event::DriverKilled {
                time: t,
                restart_at: t.plus(delay),
            });
        }
    }
}
