//! Session windows in a streaming aggregation: Spark 3.5's plan for
//! `groupBy(session_window($"time", gap), keys..)` (`AggUtils.planStreamingAggregationForSession`,
//! `sql/core/.../execution/aggregate/AggUtils.scala`): a partial aggregation per key and
//! single-event session `[time, time + gap)`, then `SessionWindowStateStoreRestoreExec`
//! (drops late rows, reads the key's stored sessions), `MergingSessionsExec` (merges the
//! input's sessions with the stored ones, sorted by start), and
//! `SessionWindowStateStoreSaveExec` (replaces the key's sessions in the store, evicts the
//! closed ones), all in `sql/core/.../execution/streaming/statefulOperators.scala`,
//! `MergingSessionsExec.scala` / `MergingSessionsIterator.scala`, and
//! `state/StreamingSessionWindowStateManager.scala`.
//!
//! The rules, as Spark 3.5.3 ran them (tests/fixtures/structured/session_*.json):
//! - a row is late when its single-event session ends at or before the previous batch's
//!   watermark (`end <= eventTimeWatermarkForLateEvents`), in every output mode; each
//!   (key, session) group of the batch's partial aggregation counts once in
//!   `numRowsDroppedByWatermark`;
//! - sessions of a key merge when the next one (sorted by start) starts at or before the
//!   current one's end (`[10:00, 10:05)` and `[10:05, 10:10)` merge into `[10:00, 10:10)`);
//!   the merged session ends at the latest end, i.e. the last event + gap;
//! - every session of a key that had input this batch is written again:
//!   `numRowsUpdated` counts them all, merged or not;
//! - append mode emits a session when the watermark for eviction reaches its end
//!   (`end <= eventTimeWatermarkForEviction`) and removes it, so a later event cannot
//!   re-open it: it opens a new session; complete mode emits every stored session at every
//!   batch and evicts none;
//! - update mode is refused by the checker (`Update output mode not supported for session
//!   window`), and so is a session window without another grouping key (Spark: "Global
//!   aggregation with session window in streaming query is not supported.").

use super::dataset::BoundAgg;
use super::expressions::Expr;
use super::state_store::{AggBuffer, OperatorState};
use super::stateful_operators::{
    new_buffer, output_row, update_buffer, LateRow, OperatorContext, OperatorMetrics,
};
use super::types::{Cell, Row};
use super::unsupported_operation_checker::OutputMode;
use crate::event_time::{EventTime, TimeWindow};
use std::collections::BTreeMap;

/// One session of a key: its window and its aggregation buffers.
type Session = (TimeWindow, Vec<AggBuffer>);

/// The grouping keys without the session window (the key sessions are merged within).
fn group_of(key: &Row, at: usize) -> Row {
    key.iter()
        .enumerate()
        .filter(|(i, _)| *i != at)
        .map(|(_, c)| c.clone())
        .collect()
}

/// The full key row: `group` with `w` put back at position `at`.
fn key_with(group: &Row, at: usize, w: TimeWindow) -> Row {
    let mut k = group.clone();
    k.insert(at.min(k.len()), Cell::Window(w));
    k
}

/// `MergingSessionsIterator`: merges sessions sorted by start, a session joining the current
/// one when it starts at or before the current one's end.
pub fn merge_sessions(mut sessions: Vec<Session>) -> Vec<Session> {
    sessions.sort_by_key(|(w, _)| (w.start, w.end));
    let mut out: Vec<Session> = Vec::new();
    for (w, bufs) in sessions {
        match out.last_mut() {
            Some((cur, cb)) if w.start <= cur.end => {
                cur.end = EventTime(cur.end.0.max(w.end.0));
                for (a, b) in cb.iter_mut().zip(&bufs) {
                    a.merge(b);
                }
            }
            _ => out.push((w, bufs)),
        }
    }
    out
}

/// A streaming aggregation over `keys`, one of which (at `session_at`) is a
/// `session_window(..)`, for one batch: see the module doc. Returns the rows the output
/// mode emits (keys then aggregates) and the operator's figures.
#[allow(clippy::too_many_arguments)]
pub fn aggregate_sessions(
    ctx: &OperatorContext,
    op_id: usize,
    input: Vec<Row>,
    keys: &[Expr],
    session_at: usize,
    aggs: &[BoundAgg],
    watermark_key: Option<usize>,
    store: &mut OperatorState,
    late: &mut Vec<LateRow>,
) -> (Vec<Row>, OperatorMetrics) {
    let OperatorState::Aggregate(state) = store else {
        return (Vec::new(), OperatorMetrics::default());
    };
    let mut m = OperatorMetrics {
        operator_name: "sessionWindowStateStoreSaveExec".into(),
        ..OperatorMetrics::default()
    };
    // Partial aggregation: (key, single-event session) -> buffers and input rows.
    let mut partial: BTreeMap<Row, (Vec<AggBuffer>, Vec<Row>)> = BTreeMap::new();
    for row in &input {
        let key: Row = keys.iter().map(|k| k.eval(row)).collect();
        // SessionWindowing filters out rows whose time is NULL.
        if !matches!(key.get(session_at), Some(Cell::Window(_))) {
            continue;
        }
        let e = partial
            .entry(key)
            .or_insert_with(|| (aggs.iter().map(new_buffer).collect(), Vec::new()));
        for (b, a) in e.0.iter_mut().zip(aggs) {
            update_buffer(b, a, row);
        }
        e.1.push(row.clone());
    }
    // SessionWindowStateStoreRestoreExec: late rows dropped, in every output mode.
    let mut by_group: BTreeMap<Row, Vec<Session>> = BTreeMap::new();
    for (key, (bufs, rows)) in partial {
        let Some(Cell::Window(w)) = key.get(session_at).cloned() else {
            continue;
        };
        if watermark_key.is_some() && w.end.0 <= ctx.watermark_late {
            m.num_rows_dropped_by_watermark += 1;
            for r in rows {
                let t = w.start.0;
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
        by_group
            .entry(group_of(&key, session_at))
            .or_default()
            .push((w, bufs));
    }
    // MergingSessionsExec with the stored sessions, then the save: the key's sessions
    // replace what was stored.
    for (group, mut sessions) in by_group {
        let stored: Vec<Row> = state
            .keys()
            .filter(|k| group_of(k, session_at) == group)
            .cloned()
            .collect();
        for k in stored {
            if let (Some(Cell::Window(w)), Some(v)) = (k.get(session_at).cloned(), state.remove(&k))
            {
                sessions.push((w, v));
            }
        }
        for (w, bufs) in merge_sessions(sessions) {
            state.insert(key_with(&group, session_at, w), bufs);
            m.num_rows_updated += 1;
        }
    }
    let mut emitted = Vec::new();
    match ctx.mode {
        OutputMode::Complete => {
            emitted = state.iter().map(|(k, v)| output_row(k, v)).collect();
        }
        OutputMode::Append | OutputMode::Update => {
            if watermark_key.is_some() {
                let closed: Vec<Row> = state
                    .keys()
                    .filter(|k| match k.get(session_at) {
                        Some(Cell::Window(w)) => w.end.0 <= ctx.watermark_evict,
                        _ => false,
                    })
                    .cloned()
                    .collect();
                for k in closed {
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
