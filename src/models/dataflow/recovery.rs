//! Failure and recovery of the Dataflow runner, record by record.
//!
//! Dataflow's streaming engine processes a key's input in *bundles* and commits each
//! bundle's state changes, timers and outputs atomically, together with the source position
//! it consumed; a bundle whose worker dies before the commit is retried from the committed
//! state, its outputs discarded, and records redelivered by the source are deduplicated by
//! record id (Akidau et al., "MillWheel: Fault-Tolerant Stream Processing at Internet
//! Scale", VLDB 2013, sections 5.1-5.2 "strong productions" and "exactly-once delivery";
//! "The Dataflow Model", VLDB 2015, section 4.1). Beam's DirectRunner likewise retries a
//! failed bundle from its input, discarding the attempt's output
//! (`apache_beam/runners/direct/executor.py`, `_ExecutorServiceParallelExecutor` /
//! `TransformExecutor.attempt_call`). So:
//!
//! - `kill worker-N`, checkpointed state: the bundle in flight (the last one the worker
//!   processed before dying, not yet committed) and everything since the last commit are
//!   rolled back and redelivered at the restart: every record's effect is committed exactly
//!   once. A side effect performed *while* processing ([`SinkMode::PerAttempt`], e.g. a
//!   DoFn writing each element to an external store) is not rolled back: the retried
//!   bundle's records are written twice.
//! - `kill worker-N`, state only in memory (`checkpointed = false`): the windows' state
//!   dies with the worker and the source goes on from where it was: the records in that
//!   state are lost from every later answer.
//! - `kill driver`: the process running the DirectRunner dies; it keeps state, timers and
//!   the source position in memory, so the pipeline is submitted again and reads its
//!   (replayable) source from the start: answers are rebuilt, and every per-attempt side
//!   effect before the failure happens again.
//!
//! The runner's [`Ledger`] records each delivery (`received`, `allocated` to the bundle's
//! processing time) and each commit into a window's state (`output`); this module adjusts
//! it for the rolled-back attempts and the lost state, so the checker's per-record verdict
//! (`check::verdict::Verdict`) tells lost from duplicated.

use super::runner::{DirectRunner, TestStreamEvent};
use crate::ledger::Ledger;
use crate::sim::Time;
use serde::Serialize;
use std::collections::BTreeSet;

/// What the pipeline's result is, for the per-record ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SinkMode {
    /// Outputs are committed with the bundle's state (Dataflow; the sink keeps one pane per
    /// key, window and pane index): a rolled-back attempt's effects are discarded.
    Committed,
    /// A non-idempotent side effect performed as each element is added to its window (an
    /// external counter, a write per element): every attempt of a bundle performs it again.
    PerAttempt,
}

impl SinkMode {
    /// The scenario's name for it (`sink = "committed" | "per-attempt"`).
    pub fn name(self) -> &'static str {
        match self {
            SinkMode::Committed => "committed",
            SinkMode::PerAttempt => "per-attempt",
        }
    }
}

/// A failure and how the runner recovers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailurePlan {
    /// Processing time of the failure, virtual ms.
    pub fail_at_ms: i64,
    /// `worker-N` or `driver` (see the module doc).
    pub what: String,
    /// Worker failures: state committed to durable storage (false: kept only in memory).
    pub checkpointed: bool,
    /// Processing time between commits, ms (0: every bundle, as Dataflow commits).
    pub checkpoint_interval_ms: i64,
    /// Processing time the restart takes, ms.
    pub restart_delay_ms: i64,
    /// What the ledger counts as a record's output.
    pub sink: SinkMode,
}

/// What a failure run measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecoveryReport {
    /// Processing time of the failure, virtual ms.
    pub failed_at_ms: i64,
    /// Processing time of the last committed checkpoint before it, virtual ms (for a
    /// driver failure, 0: the pipeline starts again).
    pub restored_from_ms: i64,
    /// Input bundles replayed from the source after the restore.
    pub bundles_replayed: usize,
    /// Panes emitted between the checkpoint and the failure and emitted again after the
    /// replay (a sink keyed by (key, window, pane index) keeps one of each).
    pub panes_reemitted: usize,
    /// Processing time lost to the restart, virtual ms.
    pub restart_delay_ms: i64,
    /// Records whose uncommitted effect was rolled back (and redelivered).
    pub records_rolled_back: usize,
    /// Records whose effect died with in-memory state (not redelivered).
    pub records_lost_with_state: usize,
    /// Records whose per-attempt side effect had happened and happens again on replay.
    pub side_effects_repeated: usize,
}

fn bundle_offsets(events: &[TestStreamEvent]) -> Vec<u64> {
    let mut v: Vec<u64> = events
        .iter()
        .flat_map(|e| match e {
            TestStreamEvent::AddElements(els) => els.iter().map(|x| x.offset).collect(),
            _ => Vec::new(),
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn outputs(l: &Ledger, o: u64) -> u32 {
    l.get((0, o)).map_or(0, |x| x.outputs)
}

/// Runs `events` on `runner` with the failure of `plan` (see the module doc), and returns
/// the runner at the end (its panes are the sink's, duplicates removed by pane identity; its
/// ledger holds every attempt) and the report. The worker dies after processing the last
/// bundle delivered at or before `fail_at_ms` and before committing it; commits happen
/// before each bundle, every `checkpoint_interval_ms` of processing time (0: every bundle).
/// The restart takes `restart_delay_ms`; the redelivered bundles arrive at the restart
/// instant (no processing time passes while the backlog is replayed).
///
/// # Errors
/// As [`DirectRunner::apply`].
pub fn run_with_plan(
    mut runner: DirectRunner,
    events: &[TestStreamEvent],
    plan: &FailurePlan,
) -> Result<(DirectRunner, RecoveryReport), String> {
    let fresh = runner.clone();
    let fail_at_ms = plan.fail_at_ms;
    let interval = plan.checkpoint_interval_ms;
    let mut checkpoint = (runner.clone(), 0usize, 0i64);
    let mut next_checkpoint = interval;
    let mut i = 0;
    while i < events.len() {
        let next_clock = runner.clock_ms()
            + match &events[i] {
                TestStreamEvent::AdvanceProcessingTime(d) => *d,
                _ => 0,
            };
        if next_clock > fail_at_ms {
            break;
        }
        if matches!(events[i], TestStreamEvent::AddElements(_))
            && (interval == 0 || runner.clock_ms() >= next_checkpoint)
        {
            // Everything before this bundle is committed.
            checkpoint = (runner.clone(), i, runner.clock_ms());
            while next_checkpoint <= runner.clock_ms() {
                next_checkpoint += interval.max(1);
            }
        }
        runner.apply(&events[i])?;
        i += 1;
    }
    let emitted_before = runner.panes().to_vec();
    let mut ledger = runner.ledger().clone();
    let at = Time(fail_at_ms.max(0) as u64);
    let driver = plan.what == "driver";
    let mut rolled_back = 0;
    let mut lost = 0;
    let mut repeated = 0;
    let mut in_state = Vec::new();
    let (mut rec, from_ix, restored_from) = if driver || !plan.checkpointed {
        // Everything in memory is gone.
        in_state = runner.records_in_state();
        let mut r = fresh;
        let from = if driver {
            // The source is read again from its start; the sink's per-attempt writes stay.
            // With a committed sink (one pane per key, window and pane index) the rerun's
            // panes replace the first run's: each record's effect counts once.
            for o in bundle_offsets(&events[..i]) {
                if outputs(&ledger, o) > 0 {
                    match plan.sink {
                        SinkMode::Committed => {
                            ledger.output_overwritten(0, &[o]);
                            rolled_back += 1;
                        }
                        SinkMode::PerAttempt => repeated += 1,
                    }
                }
            }
            0
        } else {
            // The source moves on from the failure point; the clock and watermark carry
            // on from the failed runner's.
            for ev in &events[..i] {
                if !matches!(ev, TestStreamEvent::AddElements(_)) {
                    r.apply(ev)?;
                }
            }
            i
        };
        (r, from, if driver { 0 } else { fail_at_ms })
    } else {
        let (r, from, t) = checkpoint;
        let committed = r.ledger();
        for o in bundle_offsets(&events[from..i]) {
            if outputs(&ledger, o) > outputs(committed, o) {
                match plan.sink {
                    SinkMode::Committed => {
                        ledger.output_overwritten(0, &[o]);
                        rolled_back += 1;
                    }
                    SinkMode::PerAttempt => repeated += 1,
                }
            }
        }
        (r, from, t)
    };
    rec.set_ledger(ledger);
    rec.apply(&TestStreamEvent::AdvanceProcessingTime(
        (fail_at_ms - rec.clock_ms()).max(0) + plan.restart_delay_ms,
    ))?;
    let bundles_replayed = events[from_ix..i]
        .iter()
        .filter(|e| matches!(e, TestStreamEvent::AddElements(_)))
        .count();
    for ev in &events[from_ix..i] {
        if !matches!(ev, TestStreamEvent::AdvanceProcessingTime(_)) {
            rec.apply(ev)?;
        }
    }
    for ev in &events[i..] {
        rec.apply(ev)?;
    }
    if !driver && !plan.checkpointed && plan.sink == SinkMode::Committed {
        // The records of the lost state are missing from their window's final answer when
        // the window never answered before the failure, or answers again after it (the
        // new answer, counted from empty state, supersedes the one that had them).
        let key_window = |p: &super::pane::Pane| (p.key.clone(), p.window);
        let before: BTreeSet<_> = emitted_before.iter().map(key_window).collect();
        let after: BTreeSet<_> = rec.panes().iter().map(key_window).collect();
        let mut ledger = rec.ledger().clone();
        for (k, w, offsets) in in_state {
            let kw = (k, w);
            if before.contains(&kw) && !after.contains(&kw) {
                continue;
            }
            for o in offsets {
                ledger.output_overwritten(0, &[o]);
                ledger.dropped(
                    0,
                    &[o],
                    at,
                    &format!(
                        "its window's state lived only in {}'s memory (checkpointed = false) and died with it; the window {}",
                        plan.what,
                        if before.contains(&kw) {
                            "answered again after the restart without it"
                        } else {
                            "had not answered yet"
                        }
                    ),
                );
                lost += 1;
            }
        }
        rec.set_ledger(ledger);
    }
    if !driver && !plan.checkpointed {
        // The sink keeps what it received before the failure.
        rec.prepend_panes(emitted_before.clone());
    }
    let reemitted = emitted_before
        .iter()
        .filter(|p| p.emitted_at_ms > restored_from || (driver && p.emitted_at_ms >= 0))
        .count();
    Ok((
        rec,
        RecoveryReport {
            failed_at_ms: fail_at_ms,
            restored_from_ms: restored_from,
            bundles_replayed,
            panes_reemitted: if plan.checkpointed || driver {
                reemitted
            } else {
                0
            },
            restart_delay_ms: plan.restart_delay_ms,
            records_rolled_back: rolled_back,
            records_lost_with_state: lost,
            side_effects_repeated: repeated,
        },
    ))
}

/// [`run_with_plan`] for `kill worker-1` with a committed sink (the earlier signature).
///
/// # Errors
/// As [`DirectRunner::apply`].
pub fn run_with_failure(
    runner: DirectRunner,
    events: &[TestStreamEvent],
    fail_at_ms: i64,
    checkpoint_interval_ms: i64,
    restart_delay_ms: i64,
    checkpointed: bool,
) -> Result<(DirectRunner, RecoveryReport), String> {
    run_with_plan(
        runner,
        events,
        &FailurePlan {
            fail_at_ms,
            what: "worker-1".into(),
            checkpointed,
            checkpoint_interval_ms,
            restart_delay_ms,
            sink: SinkMode::Committed,
        },
    )
}
