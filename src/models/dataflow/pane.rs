//! Panes: one firing of one window for one key, and its `PaneInfo`. Follows Beam Python's
//! `apache_beam/utils/windowed_value.py` (`PaneInfo`, `PaneInfoTiming`) and Java's
//! `PaneInfo.java` (`sdks/java/core/.../transforms/windowing/`).

use crate::event_time::{EventTime, TimeWindow};
use crate::value::Value;
use serde::Serialize;
use std::fmt;

/// When a pane fired against the watermark (`PaneInfo.Timing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Timing {
    /// Before the watermark passed the end of the window (speculative).
    #[serde(rename = "EARLY")]
    Early,
    /// The one pane fired when the watermark passed the end of the window.
    #[serde(rename = "ON_TIME")]
    OnTime,
    /// After the on-time pane, or after the watermark passed the window's end.
    #[serde(rename = "LATE")]
    Late,
    /// Beam's UNKNOWN (not produced by triggers; kept for completeness of parsing).
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

impl Timing {
    /// Beam's name: `EARLY`, `ON_TIME`, `LATE`, `UNKNOWN`.
    pub fn name(self) -> &'static str {
        match self {
            Timing::Early => "EARLY",
            Timing::OnTime => "ON_TIME",
            Timing::Late => "LATE",
            Timing::Unknown => "UNKNOWN",
        }
    }

    /// Parses Beam's name.
    pub fn parse(s: &str) -> Option<Timing> {
        Some(match s {
            "EARLY" => Timing::Early,
            "ON_TIME" => Timing::OnTime,
            "LATE" => Timing::Late,
            "UNKNOWN" => Timing::Unknown,
            _ => return None,
        })
    }
}

/// `PaneInfo(is_first, is_last, timing, index, nonspeculative_index)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PaneInfo {
    /// The first pane of this window (index 0).
    pub is_first: bool,
    /// The trigger finished: no pane follows.
    pub is_last: bool,
    /// EARLY, ON_TIME or LATE.
    pub timing: Timing,
    /// 0, 1, 2, ... over all panes of the window.
    pub index: i64,
    /// -1 for EARLY panes, then 0 (the on-time pane), 1, 2, ... (Java: `onTimeIndex`).
    pub nonspeculative_index: i64,
}

/// One emitted pane: what the downstream transform receives, with when it was emitted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pane {
    /// The grouping key.
    pub key: Value,
    /// The window (after merging, for sessions).
    #[serde(serialize_with = "ser_window")]
    pub window: TimeWindow,
    /// The grouped values of the pane, in arrival order (GroupByKey's iterable).
    pub values: Vec<Value>,
    /// The combined output: the values themselves for GroupByKey, the combiner's result
    /// for CombinePerKey.
    pub output: Value,
    /// The output element's timestamp (the window's max timestamp, Beam's default
    /// `TimestampCombiner.OUTPUT_AT_EOW`), event-time ms.
    pub timestamp: i64,
    /// Timing, index, first/last.
    pub info: PaneInfo,
    /// Processing time of the emission: the runner's clock, virtual ms.
    pub emitted_at_ms: i64,
    /// The GroupAlsoByWindow step's input watermark at the emission, event-time ms.
    pub input_watermark: i64,
    /// Its output watermark (input watermark held back by pending windows' holds).
    pub output_watermark: i64,
    /// True for a retraction (accumulating & retracting mode only): `output` withdraws
    /// the value this window emitted before.
    pub retraction: bool,
}

pub use super::window_fn::seconds;

/// An event-time instant as printed in pane lines: the clock time of day when the date is
/// 1970-01-01 (`12:01:59.999`), else the full timestamp; `-inf` / `+inf` at the extremes.
pub fn instant(ms: i64) -> String {
    if ms <= super::window_fn::WATERMARK_NEG_INFINITY {
        return "-inf".into();
    }
    if ms >= super::window_fn::WATERMARK_INFINITY {
        return "+inf".into();
    }
    let full = EventTime(ms).to_string();
    match full.strip_prefix("1970-01-01 ") {
        Some(t) => t.to_string(),
        None => full,
    }
}

/// A window as `[12:00:00, 12:02:00)`, or `[global window]`.
pub fn window_text(w: &TimeWindow) -> String {
    if *w == super::window_fn::global_window() {
        return "[global window]".into();
    }
    format!("[{}, {})", instant(w.start.0), instant(w.end.0))
}

/// A processing-time instant on the virtual clock, as the project prints durations (`35s`,
/// `34583ms`, `2min`).
pub fn processing(ms: i64) -> String {
    crate::sim::Duration::from_ms(ms.max(0) as u64).to_string()
}

/// One line per pane, in the style of the Streaming Systems book's `FormatAsStrings`:
/// `[12:00:00, 12:02:00): TeamX:14 12:01:59.999 ON_TIME index=1 onTimeIndex=0 isLast`,
/// followed by when it was emitted and the watermark then.
impl fmt::Display for Pane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.info;
        write!(
            f,
            "{}: {}:{}{} {} {:<7} index={}",
            window_text(&self.window),
            self.key,
            if self.retraction { "-" } else { "" },
            self.output,
            instant(self.timestamp),
            i.timing.name(),
            i.index
        )?;
        if i.nonspeculative_index > -1 {
            write!(f, " onTimeIndex={}", i.nonspeculative_index)?;
        }
        if i.is_first {
            write!(f, " isFirst")?;
        }
        if i.is_last {
            write!(f, " isLast")?;
        }
        if self.retraction {
            write!(f, " retraction")?;
        }
        write!(
            f,
            "  (emitted at {}, watermark {})",
            processing(self.emitted_at_ms),
            instant(self.input_watermark)
        )
    }
}

/// Serializes a window as `[start_ms, end_ms]` (the shared `TimeWindow` has no serde).
pub fn ser_window<S: serde::Serializer>(w: &TimeWindow, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    [w.start.0, w.end.0].serialize(s)
}

/// Serializes windows as `[[start_ms, end_ms], ...]`.
pub fn ser_windows<S: serde::Serializer>(ws: &[TimeWindow], s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    ws.iter()
        .map(|w| [w.start.0, w.end.0])
        .collect::<Vec<_>>()
        .serialize(s)
}
