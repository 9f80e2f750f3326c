//! The Dataflow model (Akidau et al., "The Dataflow Model", VLDB 2015; "Streaming 101" and
//! "Streaming 102") as Apache Beam runs it: *what* is computed (a keyed `GroupByKey` or
//! `CombinePerKey`), *where* in event time (fixed, sliding and session windows), *when* in
//! processing time (triggers on the watermark with early and late firings, on processing
//! time, on counts, repeated and composed), and *how* refinements relate (discarding,
//! accumulating, accumulating & retracting).
//!
//! The code transcribes Beam Python 2.61, the SDK the oracle runs (`TestStream` on the
//! DirectRunner in streaming mode); each module names its Python file and the Java
//! runners-core class it mirrors:
//! - [`window_fn`]: `FixedWindows`, `SlidingWindows`, `Sessions` (merging), `GlobalWindows`.
//! - [`trigger`]: the `TriggerFn`s (`AfterWatermarkStateMachine`, `AfterPaneStateMachine`,
//!   `AfterProcessingTimeStateMachine`, `RepeatedlyStateMachine`, `AfterFirst/All/Each`).
//! - [`state`]: per-key state and timers (`MergeableStateAdapter`).
//! - [`runner`]: the `GeneralTriggerDriver` (`ReduceFnRunner`, `PaneInfoTracker`,
//!   `WatermarkHold`) inside the DirectRunner's watermark manager, fed `TestStream` events.
//! - [`pane`]: `PaneInfo` and the emitted panes.
//! - [`combine`]: the per-key combiners.
//! - [`watermark`]: watermark estimators for real out-of-order data (perfect, heuristic,
//!   percentile), turning a replayed source into `TestStream` events.
//! - [`recovery`]: worker and driver failures (bundle retry from committed state, state
//!   lost from memory, resubmission), with the per-record ledger adjusted for each.
//!
//! # Inspection
//! [`DirectRunner`] exposes the watermark history with reasons, the panes of a window, the
//! late and dropped records with their delay, and the state per key and window; its
//! ledger (`crate::ledger`) records each record's deliveries and commits, which the
//! checker judges against a run without failures.
//! [`emissions`] gives, per key and window, every answer and the processing time it was
//! emitted at: what `compare` and the event-time/processing-time plot read.

pub mod combine;
pub mod pane;
pub mod recovery;
pub mod runner;
pub mod state;
pub mod trigger;
pub mod watermark;
pub mod window_fn;

pub use combine::CombineFn;
pub use pane::{Pane, PaneInfo, Timing};
pub use runner::{
    AccumulationMode, DirectRunner, Element, Fidelity, LateRecord, TestStreamEvent, WatermarkStep,
    Windowing,
};
pub use trigger::Trigger;
pub use window_fn::WindowFn;

use crate::event_time::TimeWindow;
use crate::value::Value;
use serde::Serialize;

/// One emission of a window's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Emission {
    /// Processing time of the emission, virtual ms.
    pub emitted_at_ms: i64,
    /// The answer (the combined value; for a retraction, the value withdrawn).
    pub output: Value,
    /// EARLY, ON_TIME or LATE.
    pub timing: Timing,
    /// The pane index.
    pub index: i64,
    /// True when this emission withdraws an earlier answer.
    pub retraction: bool,
}

/// Every answer of one key's window, in emission order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowEmissions {
    /// The key.
    pub key: Value,
    /// The window.
    #[serde(serialize_with = "pane::ser_window")]
    pub window: TimeWindow,
    /// Its emissions, earliest first.
    pub emissions: Vec<Emission>,
}

/// Per key and window (sorted by window start, then end, then key), every answer and when
/// it was emitted: the table `compare --models ...,dataflow` prints and the firings the
/// event-time/processing-time plot draws. Shapes: one entry per (key, window) that fired at
/// least once; emissions in processing-time order; times in virtual ms (processing) and
/// event-time ms (windows).
pub fn emissions(panes: &[Pane]) -> Vec<WindowEmissions> {
    let mut map: std::collections::BTreeMap<(TimeWindow, Value), Vec<Emission>> =
        std::collections::BTreeMap::new();
    for p in panes {
        map.entry((p.window, p.key.clone()))
            .or_default()
            .push(Emission {
                emitted_at_ms: p.emitted_at_ms,
                output: p.output.clone(),
                timing: p.info.timing,
                index: p.info.index,
                retraction: p.retraction,
            });
    }
    map.into_iter()
        .map(|((window, key), emissions)| WindowEmissions {
            key,
            window,
            emissions,
        })
        .collect()
}
