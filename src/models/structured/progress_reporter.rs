//! Progress reports: `ProgressReporter` and `StreamingQueryProgress`
//! (`sql/core/.../execution/streaming/ProgressReporter.scala`,
//! `sql/core/src/main/scala/org/apache/spark/sql/streaming/progress.scala`), one per
//! micro-batch, with the same JSON field names as `StreamingQueryProgress.json`.
//!
//! `inputRowsPerSecond` is the batch's input rows over the time since the previous trigger
//! started; `processedRowsPerSecond` over the batch's own duration. Times are virtual.

use super::stateful_operators::OperatorMetrics;
use crate::event_time::EventTime;
use serde::Serialize;
use std::collections::BTreeMap;

/// An instant as Spark's progress prints it: `2013-01-01T05:10:00.000Z`.
pub fn iso(ms: i64) -> String {
    let t = EventTime(ms).to_string();
    let (date, clock) = t.split_once(' ').unwrap_or((&t, "00:00:00"));
    let clock = if clock.contains('.') {
        clock.to_string()
    } else {
        format!("{clock}.000")
    };
    format!("{date}T{clock}Z")
}

/// `SourceProgress`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceProgress {
    /// The source's description.
    pub description: String,
    /// Offset before the batch.
    pub start_offset: Option<u64>,
    /// Offset after the batch.
    pub end_offset: u64,
    /// The latest offset available at the trigger.
    pub latest_offset: u64,
    /// Rows read.
    pub num_input_rows: u64,
    /// Rows per second of trigger interval.
    pub input_rows_per_second: f64,
    /// Rows per second of processing.
    pub processed_rows_per_second: f64,
}

/// `SinkProgress`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SinkProgress {
    /// The sink's description.
    pub description: String,
    /// Rows written.
    pub num_output_rows: u64,
}

/// `StreamingQueryProgress`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamingQueryProgress {
    /// The query's name.
    pub name: String,
    /// The trigger's virtual time.
    pub timestamp: String,
    /// The batch id.
    pub batch_id: u64,
    /// Rows read from all sources.
    pub num_input_rows: u64,
    /// See the module doc.
    pub input_rows_per_second: f64,
    /// See the module doc.
    pub processed_rows_per_second: f64,
    /// Phases of the trigger, ms (`triggerExecution`, `addBatch`, `walCommit`, ...).
    pub duration_ms: BTreeMap<String, u64>,
    /// `avg`, `max`, `min` of the event times seen and the `watermark` this batch used.
    pub event_time: BTreeMap<String, String>,
    /// One entry per stateful operator.
    pub state_operators: Vec<OperatorMetrics>,
    /// One entry per source.
    pub sources: Vec<SourceProgress>,
    /// The sink.
    pub sink: SinkProgress,
}

impl StreamingQueryProgress {
    /// The report as `StreamingQueryProgress.prettyJson` shapes it.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Rows per second with Spark's rule: 0 rows or no time gives 0 (`Double.NaN` there prints
/// as `"NaN"`; a number keeps the JSON valid).
pub fn per_second(rows: u64, ms: u64) -> f64 {
    if ms == 0 || rows == 0 {
        0.0
    } else {
        rows as f64 * 1000.0 / ms as f64
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn instants_print_as_spark_progress_prints_them() {
        assert_eq!(super::iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso(1_500), "1970-01-01T00:00:01.500Z");
    }
}
