//! The stateful operators of a micro-batch: Spark's `statefulOperators.scala`
//! (`sql/core/.../execution/streaming/`): `StateStoreRestoreExec` + `StateStoreSaveExec`
//! around a streaming aggregation, and `StreamingDeduplicateExec`; each with
//! `WatermarkSupport`'s two watermarks and `shouldRunAnotherBatch`.
//!
//! Two watermarks per batch (Spark 3.5's `WatermarkPropagator`, with
//! `spark.sql.streaming.statefulOperator.allowMultiple` on by default): rows are *late*
//! against the watermark of the previous batch (`eventTimeWatermarkForLateEvents`), and
//! state is *evicted* against this batch's watermark (`eventTimeWatermarkForEviction`). Both
//! predicates are `time <= watermark`, on a window's `end` when the column is a window.
//!
//! | output mode | late keys dropped | rows emitted | state evicted |
//! |---|---|---|---|
//! | append | yes | keys evicted this batch | yes |
//! | update | yes (with a watermark) | keys updated this batch | yes (with a watermark) |
//! | complete | no | every key | never |

use super::dataset::{AggFunc, BoundAgg};
use super::expressions::Expr;
use super::state_store::{AggBuffer, OperatorState};
use super::types::{Cell, DataType, Row};
use super::unsupported_operation_checker::OutputMode;
use serde::Serialize;
use std::collections::BTreeMap;

/// A stateful operator's figures for one batch (`StateOperatorProgress`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorMetrics {
    /// `stateStoreSave`, `dedupe` or `symmetricHashJoin`.
    pub operator_name: String,
    /// Rows in the store after the batch.
    pub num_rows_total: u64,
    /// Rows written this batch.
    pub num_rows_updated: u64,
    /// Rows evicted this batch.
    pub num_rows_removed: u64,
    /// Rows dropped as late.
    pub num_rows_dropped_by_watermark: u64,
}

/// A row dropped as late, with its delay behind the watermark.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LateRow {
    /// The batch that dropped it.
    pub batch_id: u64,
    /// The stateful operator that dropped it.
    pub op_id: usize,
    /// The input row.
    pub row: Vec<String>,
    /// Its event time, ms since the epoch.
    pub event_time_ms: i64,
    /// The watermark it was judged against (the previous batch's), ms.
    pub watermark_ms: i64,
    /// How far behind the watermark it was: `watermark - event_time`, ms (0 when it was
    /// exactly at the watermark, or when its window's end was).
    pub delay_ms: i64,
}

/// What a stateful operator needs from its batch.
#[derive(Debug)]
pub struct OperatorContext {
    /// The batch id.
    pub batch_id: u64,
    /// The output mode.
    pub mode: OutputMode,
    /// `eventTimeWatermarkForLateEvents`, ms.
    pub watermark_late: i64,
    /// `eventTimeWatermarkForEviction`, ms.
    pub watermark_evict: i64,
    /// Whether the query defines a watermark at all.
    pub has_watermark: bool,
    /// The batch's timestamp (`batchTimestampMs`), virtual ms.
    pub batch_timestamp_ms: i64,
}

/// A fresh aggregation buffer for `a`.
pub(crate) fn new_buffer(a: &BoundAgg) -> AggBuffer {
    match a.func {
        AggFunc::Count | AggFunc::CountStar => AggBuffer::Count(0),
        AggFunc::Sum if a.data_type == DataType::Double => AggBuffer::SumDouble(None),
        AggFunc::Sum => AggBuffer::SumLong(None),
        AggFunc::Avg => AggBuffer::Avg(0.0, 0),
        AggFunc::Min => AggBuffer::Min(None),
        AggFunc::Max => AggBuffer::Max(None),
    }
}

/// Adds `row`'s value of `a` to buffer `b`.
pub(crate) fn update_buffer(b: &mut AggBuffer, a: &BoundAgg, row: &[Cell]) {
    let v = a.arg.as_ref().map(|e| e.eval(row)).unwrap_or(Cell::Null);
    let one = match (&*b, a.func) {
        (_, AggFunc::CountStar) => AggBuffer::Count(1),
        (_, AggFunc::Count) => AggBuffer::Count(i64::from(!v.is_null())),
        (_, _) if v.is_null() => return,
        (AggBuffer::SumLong(_), _) => AggBuffer::SumLong(match v {
            Cell::Long(i) => Some(i),
            _ => None,
        }),
        (AggBuffer::SumDouble(_), _) => AggBuffer::SumDouble(v.as_f64()),
        (AggBuffer::Avg(..), _) => AggBuffer::Avg(v.as_f64().unwrap_or(0.0), 1),
        (AggBuffer::Min(_), _) => AggBuffer::Min(Some(v)),
        (AggBuffer::Max(_), _) => AggBuffer::Max(Some(v)),
        _ => return,
    };
    b.merge(&one);
}

/// One key's partial aggregation in a batch: its buffers and its input rows with their
/// event times (kept to list the rows of a key dropped as late).
type PartialGroup = (Vec<AggBuffer>, Vec<(Row, Option<i64>)>);

/// The event time a key is judged by: a window's end, or the timestamp itself.
fn key_time(c: &Cell) -> Option<i64> {
    match c {
        Cell::Window(w) => Some(w.end.0),
        Cell::Timestamp(t) => Some(t.0),
        _ => None,
    }
}

/// A streaming aggregation for one batch (`StateStoreRestoreExec`, the merge, then
/// `StateStoreSaveExec.doExecute`): groups `input` by `keys` (expanding a `window(..)` key
/// into every window of the row), drops late keys, merges into the store, evicts, and
/// returns the rows the output mode emits (keys then aggregates).
#[allow(clippy::too_many_arguments)]
pub fn aggregate(
    ctx: &OperatorContext,
    op_id: usize,
    input: Vec<Row>,
    keys: &[Expr],
    aggs: &[BoundAgg],
    watermark_key: Option<usize>,
    store: &mut OperatorState,
    late: &mut Vec<LateRow>,
) -> (Vec<Row>, OperatorMetrics) {
    let OperatorState::Aggregate(state) = store else {
        return (Vec::new(), OperatorMetrics::default());
    };
    let mut m = OperatorMetrics {
        operator_name: "stateStoreSave".into(),
        ..OperatorMetrics::default()
    };
    // Partial aggregation of this batch: key -> (buffers, input rows with their event time).
    let window_at = keys.iter().position(|k| k.windows(&[]).is_some());
    let mut partial: BTreeMap<Row, PartialGroup> = BTreeMap::new();
    for row in &input {
        let base: Row = keys.iter().map(|k| k.eval(row)).collect();
        let row_time = window_at.and_then(|w| match &keys[w] {
            Expr::Window { time, .. } => time.eval(row).as_time().map(|t| t.0),
            Expr::Alias(inner, _) => match &**inner {
                Expr::Window { time, .. } => time.eval(row).as_time().map(|t| t.0),
                _ => None,
            },
            _ => None,
        });
        let expanded: Vec<Row> = match window_at {
            Some(w) => keys[w]
                .windows(row)
                .unwrap_or_default()
                .into_iter()
                .map(|win| {
                    let mut k = base.clone();
                    k[w] = win;
                    k
                })
                .collect(),
            None => vec![base],
        };
        for key in expanded {
            let t = row_time.or_else(|| watermark_key.and_then(|i| key_time(&key[i])));
            let e = partial
                .entry(key)
                .or_insert_with(|| (aggs.iter().map(new_buffer).collect(), Vec::new()));
            for (b, a) in e.0.iter_mut().zip(aggs) {
                update_buffer(b, a, row);
            }
            e.1.push((row.clone(), t));
        }
    }
    let filter_late = ctx.mode != OutputMode::Complete && watermark_key.is_some();
    let mut emitted = Vec::new();
    for (key, (bufs, rows)) in partial {
        if filter_late {
            let kt = watermark_key.and_then(|i| key_time(&key[i]));
            if kt.is_some_and(|t| t <= ctx.watermark_late) {
                m.num_rows_dropped_by_watermark += 1;
                for (r, t) in rows {
                    let t = t.unwrap_or(0);
                    late.push(LateRow {
                        batch_id: ctx.batch_id,
                        op_id,
                        row: r.iter().map(Cell::to_string).collect(),
                        event_time_ms: t,
                        watermark_ms: ctx.watermark_late,
                        delay_ms: (ctx.watermark_late - t).max(0),
                    });
                }
                continue;
            }
        }
        let entry = state
            .entry(key.clone())
            .or_insert_with(|| aggs.iter().map(new_buffer).collect());
        for (s, b) in entry.iter_mut().zip(&bufs) {
            s.merge(b);
        }
        m.num_rows_updated += 1;
        if ctx.mode == OutputMode::Update {
            emitted.push(output_row(&key, entry));
        }
    }
    match ctx.mode {
        OutputMode::Complete => {
            emitted = state.iter().map(|(k, v)| output_row(k, v)).collect();
        }
        OutputMode::Append | OutputMode::Update => {
            if let Some(i) = watermark_key {
                let evict: Vec<Row> = state
                    .keys()
                    .filter(|k| key_time(&k[i]).is_some_and(|t| t <= ctx.watermark_evict))
                    .cloned()
                    .collect();
                for k in evict {
                    if let Some(v) = state.remove(&k) {
                        m.num_rows_removed += 1;
                        if ctx.mode == OutputMode::Append {
                            emitted.push(output_row(&k, &v));
                        }
                    }
                }
            }
        }
    }
    m.num_rows_total = state.len() as u64;
    (emitted, m)
}

/// The output row: the key's cells, then each buffer's result.
pub(crate) fn output_row(key: &Row, bufs: &[AggBuffer]) -> Row {
    let mut r = key.clone();
    r.extend(bufs.iter().map(AggBuffer::result));
    r
}

/// `StreamingDeduplicateExec` for one batch: drops late rows (event time at or below the
/// previous batch's watermark), emits the first row of each key, and evicts keys whose
/// event time is at or below this batch's watermark when the event-time column is a key.
#[allow(clippy::too_many_arguments)]
pub fn deduplicate(
    ctx: &OperatorContext,
    op_id: usize,
    input: Vec<Row>,
    keys: &[usize],
    event_time: Option<usize>,
    evicts: bool,
    store: &mut OperatorState,
    late: &mut Vec<LateRow>,
) -> (Vec<Row>, OperatorMetrics) {
    let OperatorState::Deduplicate(state) = store else {
        return (Vec::new(), OperatorMetrics::default());
    };
    let mut m = OperatorMetrics {
        operator_name: "dedupe".into(),
        ..OperatorMetrics::default()
    };
    let mut out = Vec::new();
    for row in input {
        let t = event_time.and_then(|i| row.get(i).and_then(Cell::as_time));
        if let Some(t) = t {
            if t.0 <= ctx.watermark_late {
                m.num_rows_dropped_by_watermark += 1;
                late.push(LateRow {
                    batch_id: ctx.batch_id,
                    op_id,
                    row: row.iter().map(Cell::to_string).collect(),
                    event_time_ms: t.0,
                    watermark_ms: ctx.watermark_late,
                    delay_ms: ctx.watermark_late - t.0,
                });
                continue;
            }
        }
        let key: Row = keys.iter().map(|&i| row[i].clone()).collect();
        if let std::collections::btree_map::Entry::Vacant(e) = state.entry(key) {
            e.insert(t);
            m.num_rows_updated += 1;
            out.push(row);
        }
    }
    if evicts {
        let before = state.len();
        state.retain(|_, t| t.is_none_or(|t| t.0 > ctx.watermark_evict));
        m.num_rows_removed = (before - state.len()) as u64;
    }
    m.num_rows_total = state.len() as u64;
    (out, m)
}
