//! A Flink streaming job (`StreamExecutionEnvironment`, `DataStream.keyBy`,
//! `CheckpointConfig`, `TwoPhaseCommitSinkFunction`): a replayable source with parallelism,
//! a chained flatMap, a `keyBy` to a keyed counting operator, and an optional two-phase
//! commit sink; and its settings.
//!
//! The shape is the one the course compares with Spark and Storm: `env.addSource(...)
//! .setParallelism(p).flatMap(f).keyBy(w -> w).map(count in ValueState).addSink(2PC sink)`.
//! Each source subtask reads every `p`-th record of the input (a Kafka partition each);
//! every flatMap subtask is chained to its source (same task, no channel); every keyed
//! subtask has one input channel from each flatMap subtask, so barrier alignment matters.

use super::watermarks::WatermarkEmission;
use super::window_operator::WindowSpec;
use crate::cluster::FaultPlan;
use crate::func::Func;
use crate::sim::{Duration, Time};

/// What the keyed operator after `keyBy` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyedOperator {
    /// A running count per key in `ValueState` (the word count).
    Count,
    /// `window(...)` on event time, a `ProcessWindowFunction` counting each window's
    /// elements (`WindowOperator`).
    Window(WindowSpec),
}

/// A savepoint command at a virtual instant (`flink savepoint`, `flink stop
/// --savepointPath`, `flink run -s`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SavepointCommand {
    /// `flink savepoint JOB`: a savepoint (a checkpoint the user owns); the job goes on.
    Trigger,
    /// `flink stop JOB`: a savepoint, then the sources stop and the job finishes; the 2PC
    /// sink commits everything up to it.
    StopWithSavepoint,
    /// `flink run -s SAVEPOINT`: starts the job again from the latest savepoint (state and
    /// source offsets), whether the job was stopped or failed.
    ResumeFromSavepoint,
}

/// A fault at a point of the checkpoint protocol (the REPL's `fail ...`, a scenario's
/// `protocol_faults`): it waits for its point instead of striking at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolFault {
    /// `fail after-barrier N keyed[K]`: keyed subtask `K` dies after barrier `N` reached it
    /// and before it snapshots its state. It never acknowledges: the coordinator aborts the
    /// pending checkpoint (`CheckpointCoordinator.abortPendingCheckpoint`, reason
    /// `TASK_FAILURE`: "declined"), the job fails over and restores the previous completed
    /// checkpoint; what the sinks pre-committed for `N` is aborted.
    AfterBarrier {
        /// The checkpoint id.
        checkpoint: u64,
        /// The keyed subtask.
        subtask: usize,
    },
    /// `fail after-precommit N`: every subtask pre-committed its sink transaction for
    /// checkpoint `N` and acknowledged, the checkpoint completed, but the job dies before
    /// `notifyCheckpointComplete` reaches the sinks. On recovery the restored state holds the
    /// pre-committed transactions: `TwoPhaseCommitSinkFunction.initializeState` commits them
    /// (`recoverAndCommit`) and aborts the one opened after the barrier (`recoverAndAbort`).
    AfterPrecommit {
        /// The checkpoint id.
        checkpoint: u64,
    },
}

impl ProtocolFault {
    /// Parses `after-barrier N keyed[K]` (or `... K`) or `after-precommit N` (the words
    /// after `fail`), for a job with `keyed` keyed subtasks.
    ///
    /// # Errors
    /// What is wrong and the forms that would be valid.
    pub fn parse(words: &[&str], keyed: usize) -> Result<ProtocolFault, String> {
        const FORMS: &str =
            "write `fail after-barrier CHECKPOINT_ID keyed[K]` or `fail after-precommit CHECKPOINT_ID`";
        let id = |w: Option<&&str>| -> Result<u64, String> {
            let w = w.ok_or_else(|| format!("fail: the checkpoint id is missing; {FORMS}"))?;
            match w.parse::<u64>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(format!(
                    "fail: `{w}` is not a checkpoint id (checkpoints are numbered from 1); {FORMS}"
                )),
            }
        };
        match words.first().copied() {
            Some("after-barrier") => {
                let checkpoint = id(words.get(1))?;
                let w = words.get(2).ok_or_else(|| {
                    format!(
                        "fail after-barrier: name the subtask, keyed[0] .. keyed[{}]",
                        keyed.saturating_sub(1)
                    )
                })?;
                let inner = w
                    .strip_prefix("keyed[")
                    .and_then(|r| r.strip_suffix(']'))
                    .unwrap_or(w);
                match inner.parse::<usize>() {
                    Ok(k) if k < keyed => Ok(ProtocolFault::AfterBarrier {
                        checkpoint,
                        subtask: k,
                    }),
                    _ => Err(format!(
                        "fail after-barrier: there is no subtask `{w}`; the keyed subtasks are keyed[0] .. keyed[{}] (sources snapshot when they emit the barrier)",
                        keyed.saturating_sub(1)
                    )),
                }
            }
            Some("after-precommit") => Ok(ProtocolFault::AfterPrecommit {
                checkpoint: id(words.get(1))?,
            }),
            Some(other) => Err(format!("fail: unknown protocol point `{other}`; {FORMS}")),
            None => Err(format!("fail: {FORMS}")),
        }
    }

    /// The checkpoint it waits for.
    pub fn checkpoint(self) -> u64 {
        match self {
            ProtocolFault::AfterBarrier { checkpoint, .. }
            | ProtocolFault::AfterPrecommit { checkpoint } => checkpoint,
        }
    }
}

impl std::fmt::Display for ProtocolFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtocolFault::AfterBarrier {
                checkpoint,
                subtask,
            } => write!(f, "fail after-barrier {checkpoint} keyed[{subtask}]"),
            ProtocolFault::AfterPrecommit { checkpoint } => {
                write!(f, "fail after-precommit {checkpoint}")
            }
        }
    }
}

/// `CheckpointingMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointingMode {
    /// `EXACTLY_ONCE`: barriers are aligned: an operator with several inputs blocks each
    /// input whose barrier has arrived until all have, so its snapshot holds exactly the
    /// records before the barrier.
    ExactlyOnce,
    /// `AT_LEAST_ONCE`: no alignment (`CheckpointBarrierTracker`): records that arrive
    /// after their channel's barrier but before the last one are counted into the snapshot,
    /// and counted again after a restore rewinds the sources.
    AtLeastOnce,
}

/// A job and its settings. Defaults: parallelism 2 for the source and for the keyed
/// operator, a count per key, checkpoints every 1 s in exactly-once mode (aligned), no 2PC
/// sink, 20 µs per record per operator, 2 task managers, restart 1 s after a failure
/// (fixed-delay restart strategy), watermarks every 200 ms with no out-of-orderness, an
/// unbounded input, no savepoints, seed 0, no faults, no idleness.
#[derive(Clone, Debug)]
pub struct FlinkJob {
    /// Source (and chained flatMap) parallelism.
    pub source_parallelism: usize,
    /// The flatMap applied to each record (e.g. `split(" ")`); `None` passes records on.
    pub flat_map: Option<Func>,
    /// Keyed operator parallelism (`keyBy` then count per key in `ValueState`).
    pub keyed_parallelism: usize,
    /// Whether a two-phase-commit sink follows the keyed operator.
    pub two_phase_sink: bool,
    /// `enableCheckpointing(interval)`; `None` disables checkpoints.
    pub checkpoint_interval: Option<Duration>,
    /// `CheckpointingMode`.
    pub mode: CheckpointingMode,
    /// Virtual microseconds one operator takes per record.
    pub record_us: f64,
    /// Task managers, named `worker-1` ...; subtasks are spread over them round robin.
    pub task_managers: usize,
    /// `RestartStrategies.fixedDelayRestart(_, delay)`: the job restarts this long after a
    /// task manager fails.
    pub restart_delay: Duration,
    /// What the keyed operator does: count per key, or event-time windows.
    pub operator: KeyedOperator,
    /// `WatermarkStrategy.forBoundedOutOfOrderness(d)`: `d` in event-time ms.
    pub out_of_orderness_ms: i64,
    /// When the sources emit watermarks (periodically, 200 ms by default, or per element).
    pub watermarks: WatermarkEmission,
    /// A bounded input: each source emits `Long.MAX_VALUE` after its last record, which fires
    /// every remaining window (as Flink's bounded sources do).
    pub bounded: bool,
    /// `CheckpointConfig.enableUnalignedCheckpoints()`: barriers overtake buffered records and
    /// those records are stored in the checkpoint as channel state; no channel is blocked.
    /// Exactly-once mode only (Flink ignores it at least once).
    pub unaligned: bool,
    /// Savepoint commands at virtual instants.
    pub savepoints: Vec<(Time, SavepointCommand)>,
    /// Root seed.
    pub seed: u64,
    /// Faults (`kill worker-N` kills a task manager; `kill driver` the JobManager).
    pub faults: FaultPlan,
    /// Faults at points of the checkpoint protocol.
    pub protocol_faults: Vec<ProtocolFault>,
    /// `WatermarkStrategy.withIdleness(timeout)`: a source subtask that has read no record
    /// for this long (processing time) is marked idle (`WatermarkStatus.IDLE`) and the
    /// keyed subtasks' valves leave its channel out of their minimum; `None`: never idle.
    pub idleness: Option<Duration>,
}

impl Default for FlinkJob {
    fn default() -> FlinkJob {
        FlinkJob {
            source_parallelism: 2,
            flat_map: None,
            keyed_parallelism: 2,
            two_phase_sink: false,
            checkpoint_interval: Some(Duration::from_ms(1000)),
            mode: CheckpointingMode::ExactlyOnce,
            record_us: 20.0,
            task_managers: 2,
            restart_delay: Duration::from_ms(1000),
            operator: KeyedOperator::Count,
            out_of_orderness_ms: 0,
            watermarks: WatermarkEmission::Periodic(Duration::from_ms(200)),
            bounded: false,
            unaligned: false,
            savepoints: Vec::new(),
            seed: 0,
            faults: FaultPlan::default(),
            protocol_faults: Vec::new(),
            idleness: None,
        }
    }
}

/// Most subtasks an operator may have.
pub const MAX_PARALLELISM: usize = 64;
