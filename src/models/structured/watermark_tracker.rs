//! The query's event-time watermark: Spark's `WatermarkTracker` and `MultipleWatermarkPolicy`
//! (`sql/core/.../execution/streaming/WatermarkTracker.scala`), with the history of every
//! move kept for the inspectors.
//!
//! Each `withWatermark` operator (`EventTimeWatermarkExec`) observes the largest event time
//! of the rows that pass it in a micro-batch. At the end of the batch,
//! `updateWatermark` sets that operator's watermark to `max - delay` if it is larger than
//! before; the global watermark is then the policy's choice over all operators (an operator
//! that has seen no data yet counts as 0), and it only ever moves forward. The next batch
//! uses it: it is written in that batch's offset log entry (`OffsetSeqMetadata.batchWatermarkMs`).

use crate::sim::Time;
use serde::Serialize;

/// `spark.sql.streaming.multipleWatermarkPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MultipleWatermarkPolicy {
    /// `min` (the default): the global watermark follows the slowest input.
    Min,
    /// `max`: it follows the fastest input.
    Max,
}

impl MultipleWatermarkPolicy {
    /// Parses the setting as `MultipleWatermarkPolicy.apply` does (case-insensitive).
    ///
    /// # Errors
    /// Spark's message: `Could not recognize watermark policy '...'`.
    pub fn parse(name: &str) -> Result<MultipleWatermarkPolicy, String> {
        match name.to_lowercase().as_str() {
            "min" => Ok(MultipleWatermarkPolicy::Min),
            "max" => Ok(MultipleWatermarkPolicy::Max),
            _ => Err(format!("Could not recognize watermark policy '{name}'")),
        }
    }
}

/// One move of the global watermark, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WatermarkMove {
    /// The batch whose end computed it (it applies from the next batch on).
    pub batch_id: u64,
    /// Virtual time of the move (the batch's end).
    pub at: Time,
    /// Previous global watermark, ms since the epoch.
    pub from_ms: i64,
    /// New global watermark.
    pub to_ms: i64,
    /// Per watermark operator: (max event time seen in the batch, delay, its watermark
    /// after the batch), `None` where the operator saw no rows.
    pub operators: Vec<(Option<i64>, i64, Option<i64>)>,
    /// The reason in words: which operator's max event time minus which delay, and the policy.
    pub why: String,
}

/// Tracks the global watermark (`WatermarkTracker`).
#[derive(Clone, Debug)]
pub struct WatermarkTracker {
    policy: MultipleWatermarkPolicy,
    operator_watermarks: Vec<Option<i64>>,
    global_ms: i64,
    history: Vec<WatermarkMove>,
}

impl WatermarkTracker {
    /// A tracker for `operators` watermark operators, at watermark 0.
    pub fn new(policy: MultipleWatermarkPolicy, operators: usize) -> WatermarkTracker {
        WatermarkTracker {
            policy,
            operator_watermarks: vec![None; operators],
            global_ms: 0,
            history: Vec::new(),
        }
    }

    /// `setWatermark`: a restarted query restores the watermark from its logs (the per
    /// operator values are not logged and start again from none).
    pub fn set_watermark(&mut self, ms: i64) {
        self.global_ms = ms;
    }

    /// The global watermark, ms since the epoch (`currentWatermark`).
    pub fn current(&self) -> i64 {
        self.global_ms
    }

    /// The moves so far.
    pub fn history(&self) -> &[WatermarkMove] {
        &self.history
    }

    /// `updateWatermark` after batch `batch_id`: `observed[i]` is the largest event time
    /// operator `i` saw (`None`: no rows), `delays[i]` its delay. Returns whether the global
    /// watermark moved.
    pub fn update(
        &mut self,
        batch_id: u64,
        at: Time,
        observed: &[Option<i64>],
        delays: &[i64],
    ) -> bool {
        if self.operator_watermarks.is_empty() {
            return false;
        }
        for (i, max) in observed.iter().enumerate() {
            if let (Some(max), Some(slot)) = (max, self.operator_watermarks.get_mut(i)) {
                let new = max - delays.get(i).copied().unwrap_or(0);
                if slot.is_none_or(|p| new > p) {
                    *slot = Some(new);
                }
            }
        }
        let values = self.operator_watermarks.iter().map(|w| w.unwrap_or(0));
        let chosen = match self.policy {
            MultipleWatermarkPolicy::Min => values.min().unwrap_or(0),
            MultipleWatermarkPolicy::Max => values.max().unwrap_or(0),
        };
        if chosen <= self.global_ms {
            return false;
        }
        let operators: Vec<(Option<i64>, i64, Option<i64>)> = observed
            .iter()
            .enumerate()
            .map(|(i, m)| {
                (
                    *m,
                    delays.get(i).copied().unwrap_or(0),
                    self.operator_watermarks.get(i).copied().flatten(),
                )
            })
            .collect();
        let which = self
            .operator_watermarks
            .iter()
            .position(|w| w.unwrap_or(0) == chosen)
            .unwrap_or(0);
        let why = match (observed.get(which).copied().flatten(), operators.len()) {
            (Some(max), 1) => format!(
                "max event time {} minus delay {} ms",
                crate::event_time::EventTime(max),
                delays.first().copied().unwrap_or(0)
            ),
            (_, n) => format!(
                "{} of {n} watermark operators ({}): operator {which} at {}",
                match self.policy {
                    MultipleWatermarkPolicy::Min => "min",
                    MultipleWatermarkPolicy::Max => "max",
                },
                self.operator_watermarks
                    .iter()
                    .map(|w| w.map_or("none".to_string(), |v| {
                        crate::event_time::EventTime(v).to_string()
                    }))
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::event_time::EventTime(chosen)
            ),
        };
        self.history.push(WatermarkMove {
            batch_id,
            at,
            from_ms: self.global_ms,
            to_ms: chosen,
            operators,
            why,
        });
        self.global_ms = chosen;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_policy_waits_for_every_input_and_never_goes_back() {
        let mut w = WatermarkTracker::new(MultipleWatermarkPolicy::Min, 2);
        assert!(!w.update(0, Time(0), &[Some(100_000), None], &[10_000, 0]));
        assert_eq!(w.current(), 0, "the input without data counts as 0");
        assert!(w.update(1, Time(1), &[None, Some(50_000)], &[10_000, 0]));
        assert_eq!(w.current(), 50_000);
        // A smaller max never lowers an operator's watermark.
        assert!(!w.update(2, Time(2), &[Some(1), Some(2)], &[0, 0]));
        assert_eq!(w.current(), 50_000);
        let mut m = WatermarkTracker::new(MultipleWatermarkPolicy::Max, 2);
        m.update(0, Time(0), &[Some(100_000), None], &[10_000, 0]);
        assert_eq!(m.current(), 90_000);
        assert!(MultipleWatermarkPolicy::parse("avg").is_err());
    }
}
