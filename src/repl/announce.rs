//! What `step` (and a fault typed at the prompt) says inline as it happens: faults,
//! recoveries and re-runs from the trace, and every batch whose state changed (queued, and
//! why; completed, re-run; never run), from the batch listener (`check::batches`).

use super::args::plural;
use super::session::Session;
use crate::check::batches::{BatchLog, BatchRow, BatchState};
use crate::models::dstream::{Event, StreamingContext};
use crate::sim::Time;
use std::collections::BTreeMap;

/// The line announcing a fault, a recovery or a lost block, or `None` for other events.
/// `stateful` names the state streams (for what a driver restart does to them) and
/// `checkpointed` their last checkpointed RDD times.
pub(super) fn announce(e: &Event, ssc: &StreamingContext) -> Option<String> {
    let c = ssc.cluster();
    Some(match e {
        Event::WorkerKilled {
            time,
            worker,
            blocks_lost,
            receivers,
        } => {
            let mut s = format!(
                "FAULT {time}: {worker} failed: its executor's {blocks_lost} block{} are gone (replicas on other workers and the write-ahead log survive)",
                plural(*blocks_lost)
            );
            if !receivers.is_empty() {
                s.push_str(&format!(
                    "; receivers that died with it: {}, restarted on a live worker after {}",
                    receivers.join(", "),
                    c.config.receiver_restart_delay
                ));
            }
            s
        }
        Event::WorkerRestarted { time, worker } => {
            format!("RECOVERY {time}: {worker} restarted, with an empty executor")
        }
        Event::DriverKilled { time, restart_at } => format!(
            "FAULT {time}: the driver failed: every executor died with it (all blocks in memory, every receiver, the RDDs the graph remembered); the deployment restarts it at {restart_at}"
        ),
        Event::DriverRestarted {
            time,
            recovered_from_checkpoint,
            rerun,
            accumulator_lost,
        } => {
            let mut s = format!("RECOVERY {time}: the driver restarted");
            if *recovered_from_checkpoint {
                s.push_str(" and recovered from its checkpoint");
                if rerun.is_empty() {
                    s.push_str("; no batch to run again");
                } else {
                    s.push_str(&format!(
                        "; it runs again batch{} {} (the pending times and the checkpoint time until the restart: JobGenerator.restart)",
                        if rerun.len() == 1 { "" } else { "es" },
                        times(rerun)
                    ));
                }
            } else {
                s.push_str(" without a checkpoint: a new context, so every stream starts empty and no batch is run again");
            }
            if *accumulator_lost > 0 {
                s.push_str(&format!(
                    "; the records-processed accumulator was {accumulator_lost} and starts again at 0 (accumulators are not checkpointed)"
                ));
            }
            let stateful = state_streams(ssc, *time);
            if !stateful.is_empty() {
                s.push_str("\n  state after the restart: ");
                s.push_str(&stateful.join("; "));
            }
            s
        }
        Event::TrackerRecovered {
            time,
            events_replayed,
            queued_blocks,
            allocated_batches,
        } => format!(
            "RECOVERY {time}: the block tracker replayed {events_replayed} event{} of its write-ahead log: {queued_blocks} block{} queued again, {allocated_batches} batch allocation{} recovered",
            plural(*events_replayed),
            plural(*queued_blocks),
            plural(*allocated_batches)
        ),
        Event::ReceiverStarted {
            time,
            stream,
            worker,
        } if time.ms() > 0 => format!("RECOVERY {time}: receiver {stream} started on {worker}"),
        Event::BlocksNotFound {
            time,
            stream,
            blocks,
            ..
        } => format!(
            "LOST: {} block{} of {stream} allocated to batch {time} found in no live executor and not in the write-ahead log: their records are skipped ({})",
            blocks.len(),
            plural(blocks.len()),
            blocks.join(", ")
        ),
        Event::NetworkChanged { time, change } => format!("FAULT {time}: network: {change}"),
        Event::FaultArmed { time, fault } => {
            format!("FAULT {time}: armed `{fault}`: it strikes at its protocol point")
        }
        Event::ProtocolFault {
            time,
            fault,
            detail,
        } => format!("FAULT {time}: {fault}: {detail}"),
        _ => return None,
    })
}

/// What each state stream (`updateStateByKey`, `mapWithState`) holds after a driver
/// restart at `at`: its last checkpointed RDD before the failure, or nothing.
fn state_streams(ssc: &StreamingContext, at: Time) -> Vec<String> {
    let names: Vec<String> = ssc.with_graph(|g| {
        g.nodes()
            .iter()
            .filter(|n| {
                let d = n.op.describe();
                d.starts_with("updateStateByKey") || d.starts_with("mapWithState")
            })
            .map(|n| n.label())
            .collect()
    });
    if names.is_empty() {
        return Vec::new();
    }
    let mut last: BTreeMap<String, Time> = BTreeMap::new();
    ssc.for_each_event(0, |e| {
        if let Event::RddComputed {
            time,
            stream,
            checkpointed: true,
            ..
        } = e
        {
            if *time <= at && names.contains(stream) {
                last.insert(stream.clone(), *time);
            }
        }
    });
    names
        .iter()
        .map(|n| match (last.get(n), ssc.checkpoint_dir().is_some()) {
            (Some(t), true) => format!(
                "`{n}` starts again from its last checkpointed state (batch {t}); what later batches added is recomputed only for the batches run again, so totals can drop"
            ),
            _ => format!("`{n}` starts empty (no checkpointed state): its totals drop to what arrives from now on"),
        })
        .collect()
}

fn times(ts: &[Time]) -> String {
    const SHOWN: usize = 8;
    let mut s: Vec<String> = ts.iter().take(SHOWN).map(Time::to_string).collect();
    if ts.len() > SHOWN {
        s.push(format!("... ({} in all)", ts.len()));
    }
    s.join(", ")
}

impl Session {
    /// The batch listener, fed up to the end of the trace (kept between commands; time
    /// travel drops it, see [`Session::forget_batch_log`]).
    pub(super) fn batch_log(&mut self) -> &BatchLog {
        let len = self.built.ssc.trace_len();
        let log = match self.batch_log.take() {
            Some(log) if log.seen() <= len => log,
            _ => BatchLog::new(),
        };
        let mut log = log;
        self.built
            .ssc
            .for_each_event(log.seen(), |e| log.observe(e));
        self.batch_log.insert(log)
    }

    /// Drops the batch listener: the trace was rewound.
    pub(super) fn forget_batch_log(&mut self) {
        self.batch_log = None;
    }

    /// Every batch time so far and its state now.
    pub(super) fn batch_rows(&mut self) -> Vec<BatchRow> {
        let now = self.built.ssc.now();
        let queue = self.built.ssc.job_queue();
        self.batch_log().rows(now, &queue)
    }
}

/// The lines for the batches whose state differs between `before` and `after`: a batch
/// that completed gets its summary (input records, blocks, and whether it waited or ran
/// again), any other state its reason.
pub(super) fn changed_batches(
    before: &[BatchRow],
    after: &[BatchRow],
    blocks: &BTreeMap<Time, usize>,
    files: &BTreeMap<Time, usize>,
) -> Vec<String> {
    let old: BTreeMap<Time, &BatchRow> = before.iter().map(|r| (r.time, r)).collect();
    let mut out = Vec::new();
    for row in after {
        let prev = old.get(&row.time);
        let same = prev.is_some_and(|p| {
            p.runs == row.runs
                && match (&p.state, &row.state) {
                    (BatchState::Running { .. }, BatchState::Completed) => true,
                    (a, b) => a == b,
                }
        });
        if same {
            continue;
        }
        match &row.state {
            BatchState::Completed | BatchState::Running { .. } => {
                if prev.is_some_and(|p| p.runs == row.runs) {
                    continue;
                }
                let mut s = format!(
                    "batch {}: {} input record{}",
                    row.time,
                    row.input_records,
                    plural(row.input_records),
                );
                if let Some(&b) = blocks.get(&row.time) {
                    s.push_str(&format!(", {b} block{}", plural(b)));
                } else if prev.is_none() {
                    s.push_str(", 0 blocks");
                }
                if let Some(&f) = files.get(&row.time) {
                    s.push_str(&format!(", {f} new file{}", plural(f)));
                }
                if let Some(d) = row.scheduling_delay_ms.filter(|d| *d > 0) {
                    s.push_str(&format!(" (queued {d} ms before it ran)"));
                }
                if row.runs > 1 {
                    s.push_str(&format!(
                        "; RE-RUN: this batch ran {} times (the recovered driver ran it again)",
                        row.runs
                    ));
                } else if row.rerun {
                    s.push_str("; run by the recovered driver");
                }
                out.push(s);
            }
            // `step` reports a failed job with its position itself.
            BatchState::Failed { .. } => {}
            _ => out.push(row.to_string()),
        }
    }
    out
}

impl Session {
    /// `faults`: every fault of the run (the scenario's and those typed at the prompt), with
    /// whether it already happened.
    pub(super) fn faults(&self, args: &[&str]) -> Result<String, String> {
        super::args::no_args("faults", args)?;
        let ssc = &self.built.ssc;
        let now = ssc.now();
        let plan = ssc.cluster().config.faults.faults;
        if plan.is_empty() {
            return Ok(
                "faults: none scheduled (inject one with `kill worker-1`, or `at 30s kill driver`)"
                    .into(),
            );
        }
        let from_file = self
            .scenario
            .as_ref()
            .map_or(0, |sc| sc.cluster.faults.faults.len());
        let mut lines = vec![format!("faults (clock at {now}):")];
        for (i, (at, fault)) in plan.iter().enumerate() {
            let source = if i < from_file {
                "scenario"
            } else {
                "typed at the prompt"
            };
            let status = if *at <= now { "happened" } else { "pending" };
            lines.push(format!("  {}. at {at} {fault} ({source}; {status})", i + 1));
        }
        Ok(lines.join("\n"))
    }

    /// `labels on|off`: name the stream after each `print()` header.
    pub(super) fn labels_command(&mut self, args: &[&str]) -> Result<String, String> {
        match args {
            ["on"] => self.labels = true,
            ["off"] => self.labels = false,
            [] => {}
            _ => return Err("labels: expected on or off, e.g. 'labels off'".into()),
        }
        Ok(format!(
            "labels {}: print() headers read `Time: 5000 ms{}`",
            if self.labels { "on" } else { "off" },
            if self.labels {
                " [counts]` (the stream's name after Spark's header)"
            } else {
                "` (exactly as Spark prints them)"
            }
        ))
    }
}
