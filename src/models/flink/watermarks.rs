//! Watermarks: the bounded-out-of-orderness generator at the sources
//! (`flink-core/.../api/common/eventtime/BoundedOutOfOrdernessWatermarks.java`, emitted by
//! `TimestampsAndWatermarksOperator`'s `WatermarkEmitter`) and the per-input-channel
//! combination at a task with several inputs
//! (`flink-streaming-java/.../runtime/watermarkstatus/StatusWatermarkValve.java`).
//!
//! A source subtask tracks the largest timestamp it has seen; its watermark is
//! `max - out_of_orderness - 1` ("no element with a timestamp at or below this will come, as
//! far as we know"). It is emitted periodically (`pipeline.auto-watermark-interval`, 200 ms by
//! default) or after every element, and only when it is larger than the last one emitted. A
//! task downstream holds one watermark per input channel and its own watermark is the minimum
//! over them: one slow source holds every window back. A bounded source emits
//! `Long.MAX_VALUE` when it ends, which fires every remaining window.

use crate::sim::Duration;

/// `Watermark.MAX_WATERMARK`: the end of event time, emitted when a bounded input ends.
pub const MAX_WATERMARK: i64 = i64::MAX;

/// When a source subtask emits its watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatermarkEmission {
    /// `onPeriodicEmit` every this much processing (virtual) time:
    /// `ExecutionConfig.setAutoWatermarkInterval`, 200 ms by default.
    Periodic(Duration),
    /// After every element (a `WatermarkGenerator` emitting in `onEvent`): the watermark
    /// depends on the input order only, not on timing; what the oracle fixtures use.
    PerEvent,
}

/// `BoundedOutOfOrdernessWatermarks`: the largest timestamp seen, and the watermark it
/// implies. Units: event-time milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundedOutOfOrdernessWatermarks {
    out_of_orderness_ms: i64,
    max_timestamp: i64,
    /// The `WatermarkEmitter`'s last emitted watermark (`Long.MIN_VALUE` before the first).
    emitted: i64,
}

impl BoundedOutOfOrdernessWatermarks {
    /// `forBoundedOutOfOrderness(out_of_orderness)`: the maximum starts at
    /// `Long.MIN_VALUE + out_of_orderness + 1`, so the first watermark is `Long.MIN_VALUE`
    /// (which the emitter never emits). A negative bound is taken as zero (Flink refuses it).
    pub fn new(out_of_orderness_ms: i64) -> BoundedOutOfOrdernessWatermarks {
        let d = out_of_orderness_ms.max(0);
        BoundedOutOfOrdernessWatermarks {
            out_of_orderness_ms: d,
            max_timestamp: i64::MIN + d + 1,
            emitted: i64::MIN,
        }
    }

    /// `onEvent`: remembers the element's timestamp if it is the largest.
    pub fn on_event(&mut self, timestamp: i64) {
        self.max_timestamp = self.max_timestamp.max(timestamp);
    }

    /// `onPeriodicEmit` through the `WatermarkEmitter`: the watermark
    /// `max - out_of_orderness - 1` if it is larger than the last one emitted, else `None`.
    pub fn emit(&mut self) -> Option<i64> {
        let w = self.max_timestamp - self.out_of_orderness_ms - 1;
        self.emit_value(w)
    }

    /// The end of a bounded input: `Long.MAX_VALUE`, once.
    pub fn emit_end(&mut self) -> Option<i64> {
        self.emit_value(MAX_WATERMARK)
    }

    fn emit_value(&mut self, w: i64) -> Option<i64> {
        if w <= self.emitted {
            return None;
        }
        self.emitted = w;
        Some(w)
    }

    /// The last watermark emitted (`Long.MIN_VALUE` before the first).
    pub fn emitted(&self) -> i64 {
        self.emitted
    }
}

/// `StatusWatermarkValve`: one watermark and one `WatermarkStatus` per input channel; the
/// task's watermark is the minimum over the *aligned* channels (active, and caught up with
/// the last output), output when it advances. An idle channel (its source marked itself
/// `IDLE`, `WatermarkStrategy.withIdleness`) is left out of the minimum, so one quiet source
/// no longer holds every window back; when the last active channel goes idle, the largest
/// channel watermark is flushed. A channel that becomes active again rejoins the minimum
/// only once its watermark has caught up with the last output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusWatermarkValve {
    channels: Vec<i64>,
    idle: Vec<bool>,
    aligned: Vec<bool>,
    last_output: i64,
}

impl StatusWatermarkValve {
    /// A valve over `channels` input channels, each active, aligned, at `Long.MIN_VALUE`.
    pub fn new(channels: usize) -> StatusWatermarkValve {
        let n = channels.max(1);
        StatusWatermarkValve {
            channels: vec![i64::MIN; n],
            idle: vec![false; n],
            aligned: vec![true; n],
            last_output: i64::MIN,
        }
    }

    /// `inputWatermark(watermark, channelIndex)`: a channel's watermark only moves forward
    /// (an idle channel's is ignored); returns the task's new watermark (the minimum over
    /// aligned channels) when it advanced. An out-of-range channel is ignored.
    pub fn input_watermark(&mut self, channel: usize, watermark: i64) -> Option<i64> {
        let c = self.channels.get_mut(channel)?;
        if self.idle[channel] || watermark <= *c {
            return None;
        }
        *c = watermark;
        if !self.aligned[channel] && watermark >= self.last_output {
            self.aligned[channel] = true;
        }
        self.new_min_across_aligned()
    }

    /// `inputWatermarkStatus(status, channelIndex)`: channel `channel` goes idle (`true`)
    /// or active. Returns the task's new watermark when it advanced (the minimum over the
    /// remaining aligned channels, or the flush of the largest when every channel is idle).
    pub fn input_status(&mut self, channel: usize, idle: bool) -> Option<i64> {
        if channel >= self.channels.len() || self.idle[channel] == idle {
            return None;
        }
        self.idle[channel] = idle;
        if idle {
            self.aligned[channel] = false;
            if self.idle.iter().all(|i| *i) {
                if self.channels[channel] == self.last_output {
                    let max = self.channels.iter().copied().max().unwrap_or(i64::MIN);
                    if max > self.last_output {
                        self.last_output = max;
                        return Some(max);
                    }
                }
                None
            } else if self.channels[channel] == self.last_output {
                self.new_min_across_aligned()
            } else {
                None
            }
        } else {
            if self.channels[channel] >= self.last_output {
                self.aligned[channel] = true;
            }
            None
        }
    }

    fn new_min_across_aligned(&mut self) -> Option<i64> {
        let min = self
            .channels
            .iter()
            .zip(&self.aligned)
            .filter(|(_, a)| **a)
            .map(|(w, _)| *w)
            .min()?;
        if min > self.last_output {
            self.last_output = min;
            Some(min)
        } else {
            None
        }
    }

    /// The watermark of each channel.
    pub fn channels(&self) -> &[i64] {
        &self.channels
    }

    /// Which channels are idle.
    pub fn idle(&self) -> &[bool] {
        &self.idle
    }

    /// The task's watermark: the last one output.
    pub fn current(&self) -> i64 {
        self.last_output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_out_of_orderness_is_max_minus_delay_minus_one() {
        let mut g = BoundedOutOfOrdernessWatermarks::new(10);
        assert_eq!(g.emit(), None, "Long.MIN_VALUE is never emitted");
        g.on_event(100);
        assert_eq!(g.emit(), Some(89));
        g.on_event(50);
        assert_eq!(g.emit(), None, "an older element does not move it");
        g.on_event(101);
        assert_eq!(g.emit(), Some(90));
        assert_eq!(g.emit_end(), Some(MAX_WATERMARK));
        assert_eq!(g.emit_end(), None);
    }

    #[test]
    fn the_valve_takes_the_minimum_over_channels() {
        let mut v = StatusWatermarkValve::new(2);
        assert_eq!(v.input_watermark(0, 100), None, "channel 1 is still at MIN");
        assert_eq!(v.input_watermark(1, 50), Some(50));
        assert_eq!(v.input_watermark(1, 40), None, "a channel never goes back");
        assert_eq!(v.input_watermark(1, 150), Some(100));
        assert_eq!(v.input_watermark(0, 120), Some(120));
        assert_eq!(v.input_watermark(7, 500), None);
        assert_eq!(v.current(), 120);
    }

    #[test]
    fn an_idle_channel_leaves_the_minimum_and_rejoins_when_caught_up() {
        let mut v = StatusWatermarkValve::new(2);
        assert_eq!(v.input_watermark(0, 100), None, "channel 1 holds it at MIN");
        assert_eq!(
            v.input_status(1, true),
            Some(100),
            "channel 1 idle: channel 0 alone"
        );
        assert_eq!(
            v.input_watermark(1, 500),
            None,
            "an idle channel's watermark is ignored"
        );
        assert_eq!(v.input_watermark(0, 200), Some(200));
        assert_eq!(
            v.input_status(1, false),
            None,
            "active again, still at MIN: not aligned"
        );
        assert_eq!(
            v.input_watermark(0, 300),
            Some(300),
            "channel 1 is not in the minimum yet"
        );
        assert_eq!(
            v.input_watermark(1, 250),
            None,
            "below the output: still not aligned"
        );
        assert_eq!(
            v.input_watermark(1, 350),
            None,
            "aligned now; the minimum is 300"
        );
        assert_eq!(v.input_watermark(0, 400), Some(350));
        assert_eq!(v.idle(), &[false, false]);
    }

    #[test]
    fn when_every_channel_is_idle_the_largest_watermark_is_flushed() {
        let mut v = StatusWatermarkValve::new(2);
        v.input_watermark(0, 100);
        assert_eq!(v.input_watermark(1, 50), Some(50));
        assert_eq!(
            v.input_status(0, true),
            None,
            "channel 0 was not the minimum"
        );
        assert_eq!(
            v.input_status(1, true),
            Some(100),
            "the last active channel flushes"
        );
    }
}
