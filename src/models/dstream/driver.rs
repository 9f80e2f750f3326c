//! The driver's state (no one Spark file: the fields of `StreamingContext`, `JobScheduler`,
//! `JobGenerator`, `ReceiverTracker` and the cluster under them, in one `Core`) and the
//! kinds of event its loop delivers (`event_loop.rs`).
//!
//! Spark runs these components on threads (`JobGenerator`'s `EventLoop`, the
//! `RecurringTimer`s of the batch and block intervals, `ReceiverTracker`'s RPC endpoint);
//! here each is an event at a virtual instant, ordered by `(time, event class, sequence)`.
//! Keeping their state in one plain struct makes a context's whole state one `Clone`
//! snapshot (ARCHITECTURE.md, "Decisions").

use super::checkpoint::CheckpointWriter;
use super::config::{Config, State};
use super::dstream_graph::Graph;
use super::error::SparkError;
use super::input_dstreams::Inputs;
use super::ops::OpCtx;
use super::output_ops::Output;
use super::trace::{Event, Trace};
use crate::cluster::{Block, Fault};
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, Time};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Scheduled {
    /// Fault number `index` of the plan.
    Fault {
        index: usize,
    },
    FileDrop {
        input: usize,
        index: usize,
    },
    DriverRestart,
    ReceiverRestart {
        input: usize,
    },
    /// A block's acknowledgement reaches the source (block number `seq` of the receiver).
    Ack {
        input: usize,
        seq: u64,
        epoch: u64,
    },
    BlockTick {
        input: usize,
        epoch: u64,
    },
    Batch {
        epoch: u64,
    },
    /// The job scheduler takes the next waiting batch.
    JobStart {
        epoch: u64,
    },
    /// A block report reaches the driver's tracker.
    BlockReport {
        input: usize,
        seq: u64,
        epoch: u64,
    },
    /// A `RateController`'s new rate reaches input `input` (backpressure).
    RateUpdate {
        input: usize,
        rate: u64,
        batch: Time,
        epoch: u64,
    },
    /// A graceful stop's timeout (`spark.streaming.gracefulStopTimeout`).
    StopDeadline {
        epoch: u64,
    },
    /// The last job set of a stop finished.
    StopDone {
        epoch: u64,
    },
}

impl Scheduled {
    /// At equal times: faults, file drops, restarts, acknowledgements, block ticks, batches.
    pub(super) fn class(self) -> u8 {
        match self {
            Scheduled::Fault { .. } => 0,
            Scheduled::FileDrop { .. } => 1,
            Scheduled::DriverRestart => 2,
            Scheduled::ReceiverRestart { .. } => 3,
            Scheduled::Ack { .. } => 4,
            Scheduled::BlockTick { .. } => 5,
            Scheduled::Batch { .. } => 6,
            Scheduled::JobStart { .. } => 7,
            Scheduled::BlockReport { .. } => 4,
            Scheduled::RateUpdate { .. } => 3,
            Scheduled::StopDeadline { .. } | Scheduled::StopDone { .. } => 8,
        }
    }
}

/// The input records one output write held: `(input, offsets)`.
pub(super) type SinkRecords = (usize, std::sync::Arc<Vec<u64>>);

#[derive(Clone)]
pub(super) struct Core {
    pub(super) config: Config,
    pub(super) state: State,
    pub(super) checkpoint_dir: Option<String>,
    pub(super) remember: Option<Duration>,
    pub(super) graph: Graph,
    pub(super) outputs: Vec<Output>,
    pub(super) inputs: Inputs,
    pub(super) ctx: OpCtx,
    pub(super) clock: Time,
    pub(super) queue: BinaryHeap<Reverse<(Time, u8, u64, Scheduled)>>,
    pub(super) seq: u64,
    pub(super) trace: Trace,
    pub(super) failure: Option<SparkError>,
    pub(super) last_batch: Option<Time>,
    pub(super) seeds: SeedTree,
    /// Incremented when the driver dies: events of the old driver are void.
    pub(super) epoch: u64,
    /// The metadata checkpoints written so far (on reliable storage: they survive the driver).
    pub(super) checkpoint_writer: CheckpointWriter,
    /// Batch times whose output an idempotent sink has already written.
    pub(super) written: crate::sim::TimeRuns,
    /// What an idempotent sink holds per batch time: the input records of the last write
    /// (a re-run overwrites the first write, so the sink keeps the last one).
    pub(super) sink_contents: BTreeMap<Time, Vec<SinkRecords>>,
    pub(super) ack_rng: ChaCha8Rng,
    /// Index of the first trace event not yet written to the sink.
    pub(super) sink_from: usize,
    /// When the running batch's jobs finish.
    pub(super) busy_until: Time,
    /// Protocol-point faults waiting for their moment.
    pub(super) armed: Vec<Fault>,
    /// Block reports on the network, by (input, block number).
    pub(super) in_flight: BTreeMap<(usize, u64), std::sync::Arc<Block>>,
    /// Batches that found no free core (reported once each).
    pub(super) stalled: BTreeSet<Time>,
    /// A driver-side accumulator counting the input records of completed batches, as a
    /// program would with `sc.longAccumulator`: not recovered from a checkpoint.
    pub(super) accumulator: u64,
    /// The driver's broadcast variables (`broadcast.rs`): they die with the driver.
    pub(super) broadcasts: super::broadcast::Broadcasts,
    /// Batches generated but waiting for the previous one to finish.
    pub(super) waiting: VecDeque<Time>,
    /// When kept ([`super::StreamingContext::keep_outputs`]): per (output operation, batch
    /// time), the printed lines of its last execution and how many times it ran, as the
    /// trace's `Output` events say, so a check reads them without decoding the trace.
    pub(super) outputs_kept: Option<OutputTable>,
}

/// Per (output operation index, batch time): the last execution's printed lines (shared)
/// and the number of executions.
pub(super) type OutputTable = BTreeMap<(usize, Time), (std::sync::Arc<[String]>, u32)>;

impl Core {
    pub(super) fn schedule(&mut self, at: Time, what: Scheduled) {
        self.seq += 1;
        self.queue.push(Reverse((at, what.class(), self.seq, what)));
    }

    /// Takes an armed protocol-point fault matching `pred`, if any.
    pub(super) fn take_armed(&mut self, pred: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let i = self.armed.iter().position(pred)?;
        Some(self.armed.remove(i))
    }

    pub(super) fn emit(&mut self, e: Event) {
        if let (
            Some(table),
            Event::Output {
                time, index, lines, ..
            },
        ) = (&mut self.outputs_kept, &e)
        {
            let last: std::sync::Arc<[String]> = std::sync::Arc::from(lines.as_slice());
            let entry = table.entry((*index, *time)).or_insert((last.clone(), 0));
            entry.0 = last;
            entry.1 += 1;
        }
        self.trace.push(e);
    }

    pub(super) fn check_can_add(&self) -> Result<(), SparkError> {
        match self.state {
            State::Initialized => Ok(()),
            State::Active => Err(SparkError::AddAfterStart),
            State::Stopped => Err(SparkError::AddAfterStop),
        }
    }
}
