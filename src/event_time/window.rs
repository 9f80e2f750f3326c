//! Event-time window assignment: which windows an instant belongs to.
//!
//! The three event-time systems agree on it, so it is written once:
//! - Spark 3.5, `sql/catalyst/.../analysis/ResolveTimeWindows.scala` (`TimeWindowing`):
//!   `lastStart = t - (t - startTime + slide) % slide`, then the windows
//!   `lastStart - i * slide` for `i` in `0 until ceil(size / slide)`, kept when
//!   `start <= t < end`.
//! - Beam, `SlidingWindows.assignWindows` (`FixedWindows` is the case `period == size`):
//!   `for (start = lastStartFor(t); start > t - size; start -= period)`.
//! - Flink, `SlidingEventTimeWindows.assignWindows` with
//!   `TimeWindow.getWindowStartWithOffset`: the same loop.
//!
//! All three give the same windows in the same order: the latest start first. Windows are
//! half-open, `[start, end)`: an event exactly at `end` belongs to the next window. The
//! remainder here is Euclidean, so instants before the epoch fall in the window that holds
//! them (Spark's Java `%` would misplace them; no data here is older than 1970).

use super::timestamp::EventTime;
use std::fmt;

/// A window of event time, `[start, end)`, in milliseconds since the epoch. Spark's
/// `window` struct column, Beam's `IntervalWindow`, Flink's `TimeWindow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeWindow {
    /// First instant inside the window (inclusive).
    pub start: EventTime,
    /// First instant after the window (exclusive).
    pub end: EventTime,
}

impl TimeWindow {
    /// The window `[start, end)`.
    pub fn new(start: i64, end: i64) -> TimeWindow {
        TimeWindow {
            start: EventTime(start),
            end: EventTime(end),
        }
    }

    /// True when `t` is inside `[start, end)`.
    pub fn contains(&self, t: EventTime) -> bool {
        self.start <= t && t < self.end
    }

    /// The largest instant inside the window, `end - 1` (Beam's `maxTimestamp`, Flink's
    /// `maxTimestamp`): the window fires on time when the watermark passes it.
    pub fn max_timestamp(&self) -> EventTime {
        EventTime(self.end.0 - 1)
    }

    /// Whether the two windows overlap or touch (Beam's session merging: `intersects`
    /// there means overlapping; touching windows with a gap of zero do not merge).
    pub fn intersects(&self, other: &TimeWindow) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The smallest window covering both (`IntervalWindow.span`, `TimeWindow.cover`).
    pub fn span(&self, other: &TimeWindow) -> TimeWindow {
        TimeWindow {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Spark's text for a window struct in `show()`: `{2013-01-01 05:00:00, 2013-01-01 05:10:00}`.
impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}, {}}}", self.start, self.end)
    }
}

/// The windows of length `size_ms` sliding every `slide_ms`, offset by `offset_ms` from the
/// epoch, that contain `t`: latest start first (see the module doc for the three sources).
/// Tumbling windows are `slide_ms == size_ms`; one window then.
///
/// Shapes: `ceil(size / slide)` windows at most; exactly that many when `slide` divides
/// `size`. Units: milliseconds of event time.
///
/// # Errors
/// A size or slide of zero or less, a slide longer than the size (Spark: "The slide duration
/// (…) must be less than or equal to the windowDuration (…)."), or an offset whose magnitude
/// is not below the slide (Spark: "The absolute value of start time (…) must be less than the
/// slideDuration (…).").
pub fn sliding_windows(
    t: EventTime,
    size_ms: i64,
    slide_ms: i64,
    offset_ms: i64,
) -> Result<Vec<TimeWindow>, String> {
    check_window(size_ms, slide_ms, offset_ms)?;
    let last_start = t.0 - (t.0 - offset_ms).rem_euclid(slide_ms);
    let mut out = Vec::with_capacity(((size_ms + slide_ms - 1) / slide_ms) as usize);
    let mut start = last_start;
    while start > t.0 - size_ms {
        out.push(TimeWindow::new(start, start + size_ms));
        start -= slide_ms;
    }
    Ok(out)
}

/// Checks a window's length, slide and offset with Spark's wording (`TimeWindow.scala`).
///
/// # Errors
/// As [`sliding_windows`].
pub fn check_window(size_ms: i64, slide_ms: i64, offset_ms: i64) -> Result<(), String> {
    if size_ms <= 0 {
        return Err(format!(
            "The window duration ({size_ms} ms) must be greater than 0."
        ));
    }
    if slide_ms <= 0 {
        return Err(format!(
            "The slide duration ({slide_ms} ms) must be greater than 0."
        ));
    }
    if slide_ms > size_ms {
        return Err(format!(
            "The slide duration ({slide_ms} ms) must be less than or equal to the windowDuration ({size_ms} ms)."
        ));
    }
    if offset_ms.abs() >= slide_ms {
        return Err(format!(
            "The absolute value of start time ({offset_ms} ms) must be less than the slideDuration ({slide_ms} ms)."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn the_guide_example_windows() {
        // The Structured Streaming guide: 10-minute windows sliding every 5 minutes; an
        // event at 12:07 is in 12:00-12:10 and 12:05-12:15.
        let t = EventTime::parse("2013-01-01 12:07:00").unwrap();
        let w = sliding_windows(t, 10 * MIN, 5 * MIN, 0).unwrap();
        let text: Vec<String> = w.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            text,
            [
                "{2013-01-01 12:05:00, 2013-01-01 12:15:00}",
                "{2013-01-01 12:00:00, 2013-01-01 12:10:00}"
            ]
        );
    }

    #[test]
    fn boundaries_are_half_open() {
        let t = EventTime(10 * MIN);
        let w = sliding_windows(t, 10 * MIN, 10 * MIN, 0).unwrap();
        assert_eq!(w, [TimeWindow::new(10 * MIN, 20 * MIN)]);
        assert!(w[0].contains(t) && !TimeWindow::new(0, 10 * MIN).contains(t));
        assert_eq!(w[0].max_timestamp(), EventTime(20 * MIN - 1));
    }

    #[test]
    fn every_window_holds_the_instant_and_none_is_missed() {
        for (size, slide, offset) in [(10, 5, 0), (10, 3, 1), (7, 7, -2), (12, 4, 3)] {
            for t in -30..30 {
                let w = sliding_windows(EventTime(t), size, slide, offset).unwrap();
                assert!(w.iter().all(|w| w.contains(EventTime(t))));
                // Brute force: every window start = offset + k * slide holding t.
                let n = (-40..40)
                    .map(|k| TimeWindow::new(offset + k * slide, offset + k * slide + size))
                    .filter(|w| w.contains(EventTime(t)))
                    .count();
                assert_eq!(
                    w.len(),
                    n,
                    "size {size} slide {slide} offset {offset} t {t}"
                );
                assert!(w.windows(2).all(|p| p[0].start > p[1].start));
            }
        }
    }

    #[test]
    fn bad_windows_use_sparks_words() {
        assert!(sliding_windows(EventTime(0), 5, 10, 0)
            .unwrap_err()
            .contains("must be less than or equal to the windowDuration"));
        assert!(sliding_windows(EventTime(0), 10, 5, 5)
            .unwrap_err()
            .contains("must be less than the slideDuration"));
        assert!(sliding_windows(EventTime(0), 0, 0, 0).is_err());
    }
}
