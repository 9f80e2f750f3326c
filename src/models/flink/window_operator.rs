//! Keyed event-time windows: `WindowOperator`
//! (`flink-streaming-java/.../runtime/operators/windowing/WindowOperator.java`) with the
//! `EventTimeTrigger` (`.../api/windowing/triggers/EventTimeTrigger.java`), tumbling and
//! sliding assigners (`TumblingEventTimeWindows`, `SlidingEventTimeWindows`; window
//! assignment is the shared `event_time::sliding_windows`), allowed lateness and the late-data
//! side output.
//!
//! The rules, as `WindowOperator` states them:
//! - `processElement`: for each window the element is assigned to, skip it if the window is
//!   late (`cleanupTime(window) <= watermark`, where `cleanupTime = maxTimestamp +
//!   allowedLateness`); else add the element to the window's contents and ask the trigger:
//!   `EventTimeTrigger.onElement` fires at once if `window.maxTimestamp() <= watermark` (a
//!   late firing, within the allowed lateness) and otherwise registers an event-time timer at
//!   `maxTimestamp`; register the cleanup timer. An element that went into no window and is
//!   late (`timestamp + allowedLateness <= watermark`) goes to the side output (or is
//!   dropped, `numLateRecordsDropped`).
//! - `processWatermark`: the timer service sets its watermark, then fires every timer at or
//!   below it: `EventTimeTrigger.onEventTime` fires when the timer is the window's
//!   `maxTimestamp`; at the cleanup time the window's contents are cleared.
//!
//! Timers are a set of `(timestamp, key, window)`: registering one twice is one timer (with
//! zero lateness the firing timer is also the cleanup timer). Timers of one timestamp fire
//! in (key, window) order here; Flink's heap does not order them, so the oracle compares
//! firings of one watermark as a set.

use crate::event_time::{sliding_windows, window::check_window, EventTime, TimeWindow};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A record's word: `(record offset, position in the record)`: its identity in the ledger.
pub type Origin = (u64, u32);

/// `window(TumblingEventTimeWindows.of(size, offset))` (slide = size) or
/// `SlidingEventTimeWindows.of(size, slide, offset)`, then `allowedLateness(lateness)` and
/// `sideOutputLateData(tag)` if `side_output_late`. Units: event-time milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSpec {
    /// Window length.
    pub size_ms: i64,
    /// Window slide (the size for tumbling windows).
    pub slide_ms: i64,
    /// Offset of the window starts from the epoch.
    pub offset_ms: i64,
    /// `allowedLateness`: how long after the window's end its contents are kept for late
    /// firings; 0 by default.
    pub allowed_lateness_ms: i64,
    /// `sideOutputLateData`: late elements go to a side output instead of being dropped.
    pub side_output_late: bool,
}

impl WindowSpec {
    /// Tumbling windows of `size_ms`, no lateness, late data to the side output.
    pub fn tumbling(size_ms: i64) -> WindowSpec {
        WindowSpec {
            size_ms,
            slide_ms: size_ms,
            offset_ms: 0,
            allowed_lateness_ms: 0,
            side_output_late: true,
        }
    }

    /// Checks the spec with Flink's rules (size and slide positive, slide at most the size,
    /// `|offset| < slide`, lateness not negative).
    ///
    /// # Errors
    /// What is wrong and what would be valid.
    pub fn check(&self) -> Result<(), String> {
        check_window(self.size_ms, self.slide_ms, self.offset_ms)?;
        if self.allowed_lateness_ms < 0 {
            return Err(format!(
                "The allowed lateness ({} ms) can not be negative.",
                self.allowed_lateness_ms
            ));
        }
        Ok(())
    }
}

/// What the operator emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowOutput {
    /// The window function ran over a window's contents.
    Fired {
        /// The key.
        key: Value,
        /// The window.
        window: TimeWindow,
        /// The elements in the window, in arrival order.
        contents: Vec<(Origin, i64)>,
        /// The watermark when it fired (`Context.currentWatermark()`).
        watermark: i64,
        /// True for a firing caused by a late element (within the allowed lateness).
        late_firing: bool,
    },
    /// A late element went to the side output (or was dropped).
    Late {
        /// The key.
        key: Value,
        /// The element's timestamp.
        timestamp: i64,
        /// The element.
        origin: Origin,
        /// The watermark that made it late.
        watermark: i64,
    },
}

/// One keyed subtask's `WindowOperator` state: window contents (`ListState` per key and
/// window, as a `ProcessWindowFunction` keeps them), the event-time timers and the current
/// watermark. A `Clone` is its checkpoint snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowOperator {
    spec: WindowSpec,
    contents: BTreeMap<(Value, TimeWindow), Vec<(Origin, i64)>>,
    timers: BTreeSet<(i64, Value, TimeWindow)>,
    watermark: i64,
}

impl WindowOperator {
    /// A new operator (the watermark at `Long.MIN_VALUE`). The spec is assumed checked
    /// ([`WindowSpec::check`]); an invalid one assigns no windows.
    pub fn new(spec: WindowSpec) -> WindowOperator {
        WindowOperator {
            spec,
            contents: BTreeMap::new(),
            timers: BTreeSet::new(),
            watermark: i64::MIN,
        }
    }

    /// The operator's watermark (the timer service's `currentWatermark`).
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// After a restore: the watermark is not part of a checkpoint, so it starts again from
    /// `Long.MIN_VALUE` (the timers and contents are restored).
    pub fn reset_watermark(&mut self) {
        self.watermark = i64::MIN;
    }

    /// Windows with contents, and how many elements each holds.
    pub fn open_windows(&self) -> impl Iterator<Item = (&Value, &TimeWindow, usize)> {
        self.contents.iter().map(|((k, w), c)| (k, w, c.len()))
    }

    /// Pending event-time timers.
    pub fn timers(&self) -> usize {
        self.timers.len()
    }

    /// `cleanupTime`: `maxTimestamp + allowedLateness`, or `Long.MAX_VALUE` on overflow.
    fn cleanup_time(&self, w: &TimeWindow) -> i64 {
        w.max_timestamp()
            .0
            .checked_add(self.spec.allowed_lateness_ms)
            .unwrap_or(i64::MAX)
    }

    /// `processElement`: returns the late firings and the side-output element, if any, and
    /// whether the element went into at least one window.
    pub fn process_element(
        &mut self,
        key: &Value,
        timestamp: i64,
        origin: Origin,
    ) -> (Vec<WindowOutput>, bool) {
        let s = self.spec;
        let windows = sliding_windows(EventTime(timestamp), s.size_ms, s.slide_ms, s.offset_ms)
            .unwrap_or_default();
        let mut out = Vec::new();
        let mut skipped = true;
        for w in windows {
            let cleanup = self.cleanup_time(&w);
            if cleanup <= self.watermark {
                continue; // isWindowLate
            }
            skipped = false;
            let c = self.contents.entry((key.clone(), w)).or_default();
            c.push((origin, timestamp));
            // EventTimeTrigger.onElement.
            if w.max_timestamp().0 <= self.watermark {
                out.push(WindowOutput::Fired {
                    key: key.clone(),
                    window: w,
                    contents: c.clone(),
                    watermark: self.watermark,
                    late_firing: true,
                });
            } else {
                self.timers.insert((w.max_timestamp().0, key.clone(), w));
            }
            // registerCleanupTimer.
            if cleanup != i64::MAX {
                self.timers.insert((cleanup, key.clone(), w));
            }
        }
        let late = timestamp.saturating_add(s.allowed_lateness_ms) <= self.watermark;
        if skipped && late {
            out.push(WindowOutput::Late {
                key: key.clone(),
                timestamp,
                origin,
                watermark: self.watermark,
            });
        }
        (out, !skipped)
    }

    /// `processWatermark`: advances the watermark (never back) and fires the timers at or
    /// below it, in (timestamp, key, window) order.
    pub fn process_watermark(&mut self, watermark: i64) -> Vec<WindowOutput> {
        let mut out = Vec::new();
        if watermark <= self.watermark {
            return out;
        }
        self.watermark = watermark;
        while let Some(first) = self.timers.first().cloned() {
            if first.0 > watermark {
                break;
            }
            self.timers.pop_first();
            let (time, key, w) = first;
            let slot = (key, w);
            if let Some(c) = self.contents.get(&slot) {
                // EventTimeTrigger.onEventTime: fire at the window's maxTimestamp.
                if time == w.max_timestamp().0 {
                    out.push(WindowOutput::Fired {
                        key: slot.0.clone(),
                        window: w,
                        contents: c.clone(),
                        watermark,
                        late_firing: false,
                    });
                }
            }
            if time == self.cleanup_time(&w) {
                // clearAllState: the contents and the trigger's timer.
                self.contents.remove(&slot);
                self.timers.remove(&(w.max_timestamp().0, slot.0, w));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(o: &[WindowOutput]) -> Vec<(i64, usize, bool)> {
        o.iter()
            .filter_map(|x| match x {
                WindowOutput::Fired {
                    window,
                    contents,
                    late_firing,
                    ..
                } => Some((window.start.0, contents.len(), *late_firing)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_window_fires_when_the_watermark_passes_its_max_timestamp() {
        let mut op = WindowOperator::new(WindowSpec::tumbling(10));
        let k = Value::str("a");
        op.process_element(&k, 3, (0, 0));
        op.process_element(&k, 9, (1, 0));
        assert!(
            op.process_watermark(8).is_empty(),
            "9 = maxTimestamp not reached"
        );
        assert_eq!(fired(&op.process_watermark(9)), [(0, 2, false)]);
        // The window is cleaned up with it (no lateness): a later element is late.
        let (o, taken) = op.process_element(&k, 5, (2, 0));
        assert!(!taken);
        assert!(matches!(o[..], [WindowOutput::Late { watermark: 9, .. }]));
    }

    #[test]
    fn allowed_lateness_refires_with_the_whole_contents() {
        let mut op = WindowOperator::new(WindowSpec {
            allowed_lateness_ms: 5,
            ..WindowSpec::tumbling(10)
        });
        let k = Value::str("a");
        op.process_element(&k, 1, (0, 0));
        assert_eq!(fired(&op.process_watermark(12)), [(0, 1, false)]);
        let (o, taken) = op.process_element(&k, 2, (1, 0));
        assert!(taken);
        assert_eq!(fired(&o), [(0, 2, true)]);
        // Cleanup at 9 + 5 = 14: after it the window is gone and the element is late.
        assert!(op.process_watermark(14).is_empty());
        assert_eq!(op.open_windows().count(), 0);
        let (o, _) = op.process_element(&k, 4, (2, 0));
        assert!(matches!(o[..], [WindowOutput::Late { .. }]));
    }

    #[test]
    fn sliding_windows_fire_each_window_once() {
        let mut op = WindowOperator::new(WindowSpec {
            slide_ms: 5,
            ..WindowSpec::tumbling(10)
        });
        let k = Value::str("a");
        op.process_element(&k, 7, (0, 0));
        let f = fired(&op.process_watermark(i64::MAX));
        assert_eq!(f, [(0, 1, false), (5, 1, false)]);
        assert_eq!(op.timers(), 0);
    }
}
