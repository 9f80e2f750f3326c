//! Checking: a faulty run against its reference run, sweeps over seeds, and the guide's
//! fault-tolerance table measured.
//!
//! [`verify()`] runs a scenario twice with one seed, without and with its faults, and compares
//! the per-record ledgers ([`Verdict`]). [`swarm`] turns a seed into a random failure plus
//! varied knobs (block interval, acknowledgement latency: swarm testing), [`sweep()`] runs many
//! seeds on all cores, and [`semantics_table`] reproduces the programming guide's table
//! ("Fault-tolerance Semantics") from measurements.
//!
//! The one checking module: the [`Ledger`](crate::ledger::Ledger) it reads is written by the
//! models below it, through their ledger hooks.

pub mod batches;
pub mod compare;
pub mod dataflow;
pub mod event_time;
pub mod flink;
pub mod semantics;
pub mod storm;
pub mod structured;
pub mod sweep;
pub mod upgrade;
pub mod verdict;
pub mod verify;

pub use batches::{batch_rows, BatchLog, BatchRow, BatchState};
pub use semantics::{
    cell_scenario, render_table, semantics_table, semantics_table_with, Cell, Row, GUIDE_TABLE,
};
pub use sweep::{
    reference_reuse, replay_command, spread, swarm, sweep, sweep_with, FailMode, Knobs, Shrunk,
    SweepConfig, SweepResult, Vary,
};
pub use verdict::Verdict;
pub use verify::{reference_run, verify, verify_with, OutputDiff, Reference, Report};
