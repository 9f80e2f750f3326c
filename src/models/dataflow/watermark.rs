//! Watermarks for real out-of-order data, and recovery after a failure.
//!
//! A replayed source (records with an arrival on the virtual clock and an event time) becomes
//! the same `TestStream` events the oracle uses: processing time advances to each arrival,
//! the records arrive as one bundle per instant, and every `interval_ms` of processing time
//! the source's watermark estimate is published (Beam's `UnboundedSource.getWatermark`,
//! polled by the runner). Two estimators, as "Streaming 102" contrasts them:
//! - **perfect**: the least event time of the records not yet arrived: no record is ever
//!   late (possible here because the whole file is known in advance);
//! - **heuristic** (bounded out-of-orderness): the greatest event time seen minus a fixed
//!   allowance (Flink's `forBoundedOutOfOrderness`, a common Beam custom
//!   `TimestampPolicy`); records further behind than the allowance arrive late.
//!
//! Recovery ([`run_with_failure`]): Dataflow commits each bundle's state changes and outputs
//! atomically, and its sources are replayable (unacknowledged messages are redelivered), so
//! a worker failure loses only uncommitted work, which is replayed: the answers are those of
//! the run without the failure, emitted later. Without checkpointed state, the keys' windows
//! restart empty and counts are lost.

use super::runner::{DirectRunner, Element, TestStreamEvent};
use super::window_fn::WATERMARK_NEG_INFINITY;
use serde::Serialize;

/// How the source estimates its watermark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum WatermarkEstimator {
    /// The least event time still to arrive.
    Perfect,
    /// The greatest event time seen minus `max_delay_ms`.
    BoundedOutOfOrderness {
        /// The allowance, event-time ms.
        max_delay_ms: i64,
    },
}

/// A record of the replayed source: arrival (processing time, virtual ms) and the element.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrival {
    /// Processing time of arrival, virtual ms.
    pub at_ms: i64,
    /// The element, with its event time.
    pub element: Element,
}

/// Turns arrivals (sorted by `at_ms`) into `TestStream` events: watermark estimates every
/// `interval_ms` of processing time, one bundle per arrival instant, and the watermark to
/// infinity after the last record. Shapes: O(records + ticks) events.
pub fn test_stream_events(
    arrivals: &[Arrival],
    estimator: &WatermarkEstimator,
    interval_ms: i64,
) -> Vec<TestStreamEvent> {
    let interval_ms = interval_ms.max(1);
    // suffix_min[i]: least event time among arrivals[i..].
    let mut suffix_min = vec![i64::MAX; arrivals.len() + 1];
    for i in (0..arrivals.len()).rev() {
        suffix_min[i] = suffix_min[i + 1].min(arrivals[i].element.timestamp);
    }
    let mut out = Vec::new();
    let mut clock = 0i64;
    let mut wm = WATERMARK_NEG_INFINITY;
    let mut max_seen = i64::MIN;
    let mut next_tick = interval_ms;
    let mut i = 0;
    let estimate = |arrived: usize, max_seen: i64| -> Option<(i64, String)> {
        match estimator {
            WatermarkEstimator::Perfect => (arrived < arrivals.len()).then(|| {
                let t = suffix_min[arrived];
                (t, "perfect: the oldest record still to arrive".to_string())
            }),
            WatermarkEstimator::BoundedOutOfOrderness { max_delay_ms } => (max_seen > i64::MIN)
                .then(|| {
                    (
                        max_seen - max_delay_ms,
                        format!(
                            "heuristic: newest event time seen ({}) - {} ms",
                            super::pane::instant(max_seen),
                            max_delay_ms
                        ),
                    )
                }),
        }
    };
    while i < arrivals.len() {
        let at = arrivals[i].at_ms;
        // Watermark ticks up to and including the arrival instant come first.
        while next_tick <= at {
            if next_tick > clock {
                out.push(TestStreamEvent::AdvanceProcessingTime(next_tick - clock));
                clock = next_tick;
            }
            if let Some((t, why)) = estimate(i, max_seen) {
                if t > wm {
                    wm = t;
                    out.push(TestStreamEvent::AdvanceWatermarkTo(t, why));
                }
            }
            next_tick += interval_ms;
        }
        if at > clock {
            out.push(TestStreamEvent::AdvanceProcessingTime(at - clock));
            clock = at;
        }
        let mut bundle = Vec::new();
        while i < arrivals.len() && arrivals[i].at_ms == at {
            max_seen = max_seen.max(arrivals[i].element.timestamp);
            bundle.push(arrivals[i].element.clone());
            i += 1;
        }
        out.push(TestStreamEvent::AddElements(bundle));
    }
    out.push(TestStreamEvent::AdvanceProcessingTime(interval_ms));
    out.push(TestStreamEvent::AdvanceWatermarkToInfinity);
    out
}

/// What a failure run measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecoveryReport {
    /// Processing time of the failure, virtual ms.
    pub failed_at_ms: i64,
    /// Processing time of the last committed checkpoint before it, virtual ms.
    pub restored_from_ms: i64,
    /// Input bundles replayed from the source after the restore.
    pub bundles_replayed: usize,
    /// Panes emitted between the checkpoint and the failure and emitted again after the
    /// replay (a sink keyed by (key, window, pane index) keeps one of each).
    pub panes_reemitted: usize,
    /// Processing time lost to the restart, virtual ms.
    pub restart_delay_ms: i64,
}

/// Runs `events` on `runner`, kills the worker at processing time `fail_at_ms`, and
/// recovers: with `checkpointed` state, from the last checkpoint (taken every
/// `checkpoint_interval_ms` of processing time; 0 = after every bundle, as Dataflow commits)
/// with the source replayed from there (the replayed bundles arrive at the restart instant);
/// without, with empty state and the source going on from the failure. The restart takes
/// `restart_delay_ms` of processing time.
/// Returns the runner at the end (its panes are the sink's, duplicates removed by pane
/// identity) and the report.
///
/// # Errors
/// As [`DirectRunner::apply`].
pub fn run_with_failure(
    mut runner: DirectRunner,
    events: &[TestStreamEvent],
    fail_at_ms: i64,
    checkpoint_interval_ms: i64,
    restart_delay_ms: i64,
    checkpointed: bool,
) -> Result<(DirectRunner, RecoveryReport), String> {
    let fresh = runner.clone();
    let mut checkpoint = (runner.clone(), 0usize, 0i64);
    let mut next_checkpoint = checkpoint_interval_ms;
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
        runner.apply(&events[i])?;
        i += 1;
        if checkpoint_interval_ms == 0 || runner.clock_ms() >= next_checkpoint {
            checkpoint = (runner.clone(), i, runner.clock_ms());
            while next_checkpoint <= runner.clock_ms() {
                next_checkpoint += checkpoint_interval_ms.max(1);
            }
        }
    }
    let emitted_before = runner.panes().to_vec();
    let failed_at = fail_at_ms;
    let (mut rec, from_ix, restored_from) = if checkpointed {
        checkpoint
    } else {
        // State lost: empty windows; the source moves on from the failure point. The
        // clock and watermark carry on from the failed runner's.
        let mut r = fresh;
        for ev in &events[..i] {
            if let TestStreamEvent::AddElements(_) = ev {
                continue;
            }
            r.apply(ev)?;
        }
        (r, i, failed_at)
    };
    rec.apply(&TestStreamEvent::AdvanceProcessingTime(
        (failed_at - rec.clock_ms()).max(0) + restart_delay_ms,
    ))?;
    let bundles_replayed = events[from_ix..i]
        .iter()
        .filter(|e| matches!(e, TestStreamEvent::AddElements(_)))
        .count();
    // The lost work is redelivered as a backlog at the restart instant (no processing time
    // passes while it is replayed); then the source goes on.
    for ev in &events[from_ix..i] {
        if !matches!(ev, TestStreamEvent::AdvanceProcessingTime(_)) {
            rec.apply(ev)?;
        }
    }
    for ev in &events[i..] {
        rec.apply(ev)?;
    }
    let reemitted = emitted_before
        .iter()
        .skip(checkpoint_len(&emitted_before, restored_from))
        .count();
    Ok((
        rec,
        RecoveryReport {
            failed_at_ms: failed_at,
            restored_from_ms: restored_from,
            bundles_replayed,
            panes_reemitted: if checkpointed { reemitted } else { 0 },
            restart_delay_ms,
        },
    ))
}

fn checkpoint_len(panes: &[super::pane::Pane], at_ms: i64) -> usize {
    panes.iter().filter(|p| p.emitted_at_ms <= at_ms).count()
}
