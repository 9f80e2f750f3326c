//! WindowFns: where in event time an element belongs. Follows Beam's Python
//! `apache_beam/transforms/window.py` (`FixedWindows`, `SlidingWindows`, `Sessions`,
//! `GlobalWindows`) and the Java `FixedWindows.java`, `SlidingWindows.java`, `Sessions.java`
//! and `MergingWindowFn.java` in `sdks/java/core/.../transforms/windowing/`.
//!
//! Windows are half-open `[start, end)` in event-time milliseconds (Beam counts in
//! microseconds; every instant here is a whole millisecond, so `max_timestamp = end - 1 ms`
//! stands for Beam's `end - 1 µs`).

use crate::event_time::{sliding_windows, EventTime, TimeWindow};
use std::fmt;

/// The end of Beam's global window in ms: `GlobalWindow.max_timestamp()` is
/// `MAX_TIMESTAMP - 1 day`; a watermark at [`WATERMARK_INFINITY`] passes it.
pub const GLOBAL_WINDOW_END: i64 = i64::MAX / 2 - 86_400_000;

/// The watermark `advance_watermark_to_infinity()` sets (Beam's `MAX_TIMESTAMP`).
pub const WATERMARK_INFINITY: i64 = i64::MAX / 2;

/// The watermark before any input (Beam's `MIN_TIMESTAMP`).
pub const WATERMARK_NEG_INFINITY: i64 = i64::MIN / 2;

/// The global window `[MIN_TIMESTAMP, GLOBAL_WINDOW_END)`.
pub fn global_window() -> TimeWindow {
    TimeWindow::new(WATERMARK_NEG_INFINITY, GLOBAL_WINDOW_END)
}

/// A windowing function. Sizes, periods, offsets and gaps are event-time milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowFn {
    /// `FixedWindows(size, offset)`: `start = t - (t - offset) mod size`.
    Fixed {
        /// Window length.
        size_ms: i64,
        /// Shift of the window grid from the epoch.
        offset_ms: i64,
    },
    /// `SlidingWindows(size, period, offset)`: every window of length `size` starting at
    /// `offset + k * period` that holds `t`, latest start first.
    Sliding {
        /// Window length.
        size_ms: i64,
        /// Distance between window starts.
        period_ms: i64,
        /// Shift of the window grid from the epoch.
        offset_ms: i64,
    },
    /// `Sessions(gap)`: each element gets `[t, t + gap)`; overlapping windows merge.
    Sessions {
        /// The gap duration.
        gap_ms: i64,
    },
    /// `GlobalWindows()`: one window for all time.
    Global,
}

impl WindowFn {
    /// The windows of an element at event time `t`, in Beam's order (`assign`).
    ///
    /// # Errors
    /// Beam's messages for sizes that cannot be windowed (checked at construction in Beam;
    /// [`WindowFn::validate`] gives the same text).
    pub fn assign(&self, t: i64) -> Result<Vec<TimeWindow>, String> {
        match *self {
            WindowFn::Fixed { size_ms, offset_ms } => {
                let start = t - (t - offset_ms).rem_euclid(size_ms);
                Ok(vec![TimeWindow::new(start, start + size_ms)])
            }
            WindowFn::Sliding {
                size_ms,
                period_ms,
                offset_ms,
            } => sliding_windows(EventTime(t), size_ms, period_ms, offset_ms % period_ms),
            WindowFn::Sessions { gap_ms } => Ok(vec![TimeWindow::new(t, t + gap_ms)]),
            WindowFn::Global => Ok(vec![global_window()]),
        }
    }

    /// Checks the parameters with the words of Beam's Python constructors.
    ///
    /// # Errors
    /// `FixedWindows`: "The size parameter must be strictly positive."; `SlidingWindows`:
    /// "The size parameter must be strictly positive." / "The period parameter must be
    /// strictly positive."; `Sessions`: "The gap_size parameter must be strictly positive."
    /// (our wording for Beam's silent acceptance of a zero gap, which merges nothing).
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            WindowFn::Fixed { size_ms, .. } if size_ms <= 0 => {
                Err("The size parameter must be strictly positive.".into())
            }
            WindowFn::Sliding { size_ms, .. } if size_ms <= 0 => {
                Err("The size parameter must be strictly positive.".into())
            }
            WindowFn::Sliding { period_ms, .. } if period_ms <= 0 => {
                Err("The period parameter must be strictly positive.".into())
            }
            WindowFn::Sessions { gap_ms } if gap_ms <= 0 => {
                Err("The gap_size parameter must be strictly positive.".into())
            }
            _ => Ok(()),
        }
    }

    /// Whether windows of this function merge (`MergingWindowFn`).
    pub fn is_merging(&self) -> bool {
        matches!(self, WindowFn::Sessions { .. })
    }

    /// `Sessions.merge`: sorts the windows by start and merges each run of overlapping
    /// windows into their span. Returns `(to_be_merged, merge_result)` for each run of two
    /// or more; nothing for non-merging functions.
    pub fn merge(&self, windows: &[TimeWindow]) -> Vec<(Vec<TimeWindow>, TimeWindow)> {
        if !self.is_merging() {
            return Vec::new();
        }
        let mut sorted = windows.to_vec();
        // Python's sort is stable on start; ties keep the given order.
        sorted.sort_by_key(|w| w.start);
        let mut out = Vec::new();
        let mut to_merge: Vec<TimeWindow> = Vec::new();
        let mut end = i64::MIN;
        for w in sorted {
            if !to_merge.is_empty() && end > w.start.0 {
                end = end.max(w.end.0);
                to_merge.push(w);
            } else {
                if to_merge.len() > 1 {
                    out.push((to_merge.clone(), TimeWindow::new(to_merge[0].start.0, end)));
                }
                end = w.end.0;
                to_merge = vec![w];
            }
        }
        if to_merge.len() > 1 {
            out.push((to_merge.clone(), TimeWindow::new(to_merge[0].start.0, end)));
        }
        out
    }
}

/// Beam Python's constructor text, durations in seconds: `FixedWindows(120)`.
impl fmt::Display for WindowFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = seconds;
        match *self {
            WindowFn::Fixed {
                size_ms,
                offset_ms: 0,
            } => write!(f, "FixedWindows({})", s(size_ms)),
            WindowFn::Fixed { size_ms, offset_ms } => {
                write!(f, "FixedWindows({}, {})", s(size_ms), s(offset_ms))
            }
            WindowFn::Sliding {
                size_ms,
                period_ms,
                offset_ms,
            } => write!(
                f,
                "SlidingWindows({}, {}, {})",
                s(size_ms),
                s(period_ms),
                s(offset_ms)
            ),
            WindowFn::Sessions { gap_ms } => write!(f, "Sessions({})", s(gap_ms)),
            WindowFn::Global => write!(f, "GlobalWindows()"),
        }
    }
}

/// A duration in seconds as Beam's Python API takes it: `120`, `0.5`.
pub fn seconds(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        format!("{}", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_merge_overlapping_runs_only() {
        // Three sessions of gap 10: [0,10) and [5,15) overlap, [15,25) only touches.
        let fn_ = WindowFn::Sessions { gap_ms: 10 };
        let w = [
            TimeWindow::new(15, 25),
            TimeWindow::new(0, 10),
            TimeWindow::new(5, 15),
        ];
        let m = fn_.merge(&w);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].1, TimeWindow::new(0, 15));
        assert_eq!(m[0].0, vec![TimeWindow::new(0, 10), TimeWindow::new(5, 15)]);
    }

    #[test]
    fn fixed_windows_with_offset() {
        let f = WindowFn::Fixed {
            size_ms: 10,
            offset_ms: 3,
        };
        assert_eq!(f.assign(2).unwrap(), [TimeWindow::new(-7, 3)]);
        assert_eq!(f.assign(3).unwrap(), [TimeWindow::new(3, 13)]);
        assert!(WindowFn::Fixed {
            size_ms: 0,
            offset_ms: 0
        }
        .validate()
        .is_err());
    }
}
