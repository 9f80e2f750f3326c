//! Joins of a stream: with a static DataFrame (each batch joins its rows with the static
//! rows, as `BroadcastHashJoinExec` does), and of two streams:
//! `StreamingSymmetricHashJoinExec` (`sql/core/.../execution/streaming/StreamingSymmetricHashJoinExec.scala`).
//!
//! A stream-stream join keeps both sides' rows in state. In a batch, each new left row is
//! joined with the right state, then stored; each new right row is joined with the left
//! state (which now holds this batch's left rows), then stored, so a pair of new rows
//! matches once. Rows at or below the previous batch's watermark are dropped as late
//! (`numRowsDroppedByWatermark`). A side's rows are evicted when the condition's time range
//! says no future row of the other side can match them (`time <= watermark + bound`, see
//! [`join_condition`](super::join_condition)); an outer join emits an evicted row that never
//! matched with NULLs for the other side: that is when outer results appear.

use super::dataset::JoinType;
use super::expressions::Expr;
use super::state_store::{JoinStateRow, OperatorState};
use super::stateful_operators::{LateRow, OperatorContext, OperatorMetrics};
use super::types::{Cell, Row};
use crate::event_time::EventTime;

fn joined(l: &Row, r: &Row) -> Row {
    let mut x = l.clone();
    x.extend(r.iter().cloned());
    x
}

fn holds(cond: &Expr, row: &Row) -> bool {
    matches!(cond.eval(row), Cell::Bool(true))
}

/// A stream joined with static rows (stream on the left for inner and left outer; on the
/// right for inner and right outer).
pub fn stream_static(
    left: Vec<Row>,
    right: Vec<Row>,
    widths: (usize, usize),
    cond: &Expr,
    join_type: JoinType,
) -> Vec<Row> {
    let mut out = Vec::new();
    let mut right_matched = vec![false; right.len()];
    for l in &left {
        let mut any = false;
        for (j, r) in right.iter().enumerate() {
            let row = joined(l, r);
            if holds(cond, &row) {
                any = true;
                right_matched[j] = true;
                out.push(row);
            }
        }
        if !any && matches!(join_type, JoinType::LeftOuter | JoinType::FullOuter) {
            out.push(joined(l, &vec![Cell::Null; widths.1]));
        }
    }
    if matches!(join_type, JoinType::RightOuter) {
        for (j, r) in right.iter().enumerate() {
            if !right_matched[j] {
                out.push(joined(&vec![Cell::Null; widths.0], r));
            }
        }
    }
    out
}

/// The shape of a stream-stream join.
#[derive(Debug)]
pub struct JoinSpec<'a> {
    /// The condition over left ++ right columns.
    pub cond: &'a Expr,
    /// Join type.
    pub join_type: JoinType,
    /// Column counts (left, right).
    pub widths: (usize, usize),
    /// Event-time columns (left index in left rows, right index in right rows).
    pub event_time: (Option<usize>, Option<usize>),
    /// State bounds from the condition (see the module doc).
    pub retention_ms: (Option<i64>, Option<i64>),
}

fn time_of(row: &Row, col: Option<usize>) -> Option<EventTime> {
    col.and_then(|i| row.get(i)).and_then(Cell::as_time)
}

/// One batch of `StreamingSymmetricHashJoinExec`.
pub fn stream_stream(
    ctx: &OperatorContext,
    op_id: usize,
    left: Vec<Row>,
    right: Vec<Row>,
    spec: &JoinSpec<'_>,
    store: &mut OperatorState,
    late: &mut Vec<LateRow>,
) -> (Vec<Row>, OperatorMetrics) {
    let OperatorState::Join(ls, rs) = store else {
        return (Vec::new(), OperatorMetrics::default());
    };
    let mut m = OperatorMetrics {
        operator_name: "symmetricHashJoin".into(),
        ..OperatorMetrics::default()
    };
    let mut drop_late = |rows: Vec<Row>, col: Option<usize>, m: &mut OperatorMetrics| {
        rows.into_iter()
            .filter(|r| match time_of(r, col) {
                Some(t) if ctx.has_watermark && t.0 <= ctx.watermark_late => {
                    m.num_rows_dropped_by_watermark += 1;
                    late.push(LateRow {
                        batch_id: ctx.batch_id,
                        op_id,
                        row: r.iter().map(Cell::to_string).collect(),
                        event_time_ms: t.0,
                        watermark_ms: ctx.watermark_late,
                        delay_ms: ctx.watermark_late - t.0,
                    });
                    false
                }
                _ => true,
            })
            .collect::<Vec<Row>>()
    };
    let left = drop_late(left, spec.event_time.0, &mut m);
    let right = drop_late(right, spec.event_time.1, &mut m);
    let mut out = Vec::new();
    for l in left {
        let mut matched = false;
        for s in rs.iter_mut() {
            let row = joined(&l, &s.row);
            if holds(spec.cond, &row) {
                matched = true;
                s.matched = true;
                out.push(row);
            }
        }
        ls.push(JoinStateRow {
            time: time_of(&l, spec.event_time.0),
            row: l,
            matched,
        });
        m.num_rows_updated += 1;
    }
    for r in right {
        let mut matched = false;
        for s in ls.iter_mut() {
            let row = joined(&s.row, &r);
            if holds(spec.cond, &row) {
                matched = true;
                s.matched = true;
                out.push(row);
            }
        }
        rs.push(JoinStateRow {
            time: time_of(&r, spec.event_time.1),
            row: r,
            matched,
        });
        m.num_rows_updated += 1;
    }
    // Remove old state; an outer join emits the unmatched rows it removes.
    let wm = ctx.watermark_evict;
    let outer_left = matches!(spec.join_type, JoinType::LeftOuter | JoinType::FullOuter);
    let outer_right = matches!(spec.join_type, JoinType::RightOuter | JoinType::FullOuter);
    if ctx.has_watermark {
        if let Some(b) = spec.retention_ms.0 {
            ls.retain(|s| {
                let gone = s.time.is_some_and(|t| t.0 <= wm + b);
                if gone {
                    m.num_rows_removed += 1;
                    if outer_left && !s.matched {
                        out.push(joined(&s.row, &vec![Cell::Null; spec.widths.1]));
                    }
                }
                !gone
            });
        }
        if let Some(b) = spec.retention_ms.1 {
            rs.retain(|s| {
                let gone = s.time.is_some_and(|t| t.0 <= wm + b);
                if gone {
                    m.num_rows_removed += 1;
                    if outer_right && !s.matched {
                        out.push(joined(&vec![Cell::Null; spec.widths.0], &s.row));
                    }
                }
                !gone
            });
        }
    }
    m.num_rows_total = (ls.len() + rs.len()) as u64;
    (out, m)
}
