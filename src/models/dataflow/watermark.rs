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
//! - **percentile** (Akidau, Chernyak, Lax, "Streaming Systems", O'Reilly 2018, chapter 3,
//!   "Percentile Watermarks"): the ordinary watermark is the *minimum* of the event-time
//!   distribution of pending data (the 100th percentile of completeness); a p-th
//!   percentile watermark is instead the greatest event time `W` such that at least p % of
//!   the records with an event time before `W` have arrived. It moves ahead of the
//!   perfect watermark (earlier answers) at the price of about (100 - p) % of records
//!   arriving behind it. Like the perfect one it is computed with hindsight (the replayed
//!   file is known in advance); p = 100 gives the perfect watermark.
//!
//! Recovery after a failure is in [`super::recovery`] (re-exported here).

use super::runner::{Element, TestStreamEvent};
use super::window_fn::WATERMARK_NEG_INFINITY;
use serde::Serialize;

/// How the source estimates its watermark.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum WatermarkEstimator {
    /// The least event time still to arrive.
    Perfect,
    /// The greatest event time seen minus `max_delay_ms`.
    BoundedOutOfOrderness {
        /// The allowance, event-time ms.
        max_delay_ms: i64,
    },
    /// The greatest event time before which at least `percent` % of the records have
    /// arrived (0 < percent <= 100).
    Percentile {
        /// The completeness required, percent.
        percent: f64,
    },
}

impl WatermarkEstimator {
    /// Its name as a scenario writes it, with its parameter: `perfect`,
    /// `heuristic(30min)`, `percentile(99)`.
    pub fn label(&self) -> String {
        match self {
            WatermarkEstimator::Perfect => "perfect".into(),
            WatermarkEstimator::BoundedOutOfOrderness { max_delay_ms } => {
                format!("heuristic({})", crate::sim::Duration(*max_delay_ms as u64))
            }
            WatermarkEstimator::Percentile { percent } => format!("percentile({percent})"),
        }
    }
}

/// The percentile watermark of "Streaming Systems" ch. 3, for the records of `times`
/// (event times, sorted ascending) of which those flagged in `arrived` have arrived: the
/// greatest `times[k]` such that at least `percent` % of the records with an event time
/// below `times[k]` have arrived (`k = 0`, nothing below it, always qualifies), or `None`
/// when there are no records. `start` is a lower bound on the answer's index (the previous
/// watermark's), so a scan is O(records - start). Shapes: `times.len() == arrived.len()`.
pub fn percentile_watermark(
    times: &[i64],
    arrived: &[bool],
    percent: f64,
    start: usize,
) -> Option<(usize, i64)> {
    if times.is_empty() {
        return None;
    }
    let need = percent.clamp(0.0, 100.0) / 100.0;
    let mut best = start.min(times.len() - 1);
    // Records strictly below times[k], and how many of them arrived.
    let mut below = 0usize;
    let mut got = 0usize;
    let mut k = 0;
    while k < times.len() {
        // Group equal event times: the candidate is the first index of each run.
        if k >= start && (below == 0 || got as f64 >= need * below as f64 - 1e-9) {
            best = k;
        }
        let t = times[k];
        while k < times.len() && times[k] == t {
            below += 1;
            got += usize::from(arrived[k]);
            k += 1;
        }
    }
    Some((best, times[best]))
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
    // For the percentile estimator: event times sorted, each arrival's place among them.
    let mut by_time: Vec<(i64, usize)> = arrivals
        .iter()
        .enumerate()
        .map(|(i, a)| (a.element.timestamp, i))
        .collect();
    by_time.sort_unstable();
    let times: Vec<i64> = by_time.iter().map(|(t, _)| *t).collect();
    let mut rank = vec![0usize; arrivals.len()];
    for (r, (_, i)) in by_time.iter().enumerate() {
        rank[*i] = r;
    }
    let arrived_flags = std::cell::RefCell::new(vec![false; arrivals.len()]);
    let last_ix = std::cell::Cell::new(0usize);
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
            WatermarkEstimator::Percentile { percent } => {
                if arrived >= arrivals.len() {
                    return None;
                }
                let flags = arrived_flags.borrow();
                let (ix, t) = percentile_watermark(&times, &flags, *percent, last_ix.get())?;
                last_ix.set(ix);
                let before = ix;
                let got = flags[..ix].iter().filter(|a| **a).count();
                Some((
                    t,
                    format!(
                        "percentile({percent}): {got} of the {before} records before it have arrived"
                    ),
                ))
            }
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
            arrived_flags.borrow_mut()[rank[i]] = true;
            bundle.push(arrivals[i].element.clone());
            i += 1;
        }
        out.push(TestStreamEvent::AddElements(bundle));
    }
    out.push(TestStreamEvent::AdvanceProcessingTime(interval_ms));
    out.push(TestStreamEvent::AdvanceWatermarkToInfinity);
    out
}

pub use super::recovery::{run_with_failure, RecoveryReport};
