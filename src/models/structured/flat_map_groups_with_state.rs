//! Arbitrary stateful processing: the operator of `mapGroupsWithState` /
//! `flatMapGroupsWithState` with timeouts, as Spark 3.5 runs it: `FlatMapGroupsWithStateExec.scala`
//! (`sql/core/src/main/scala/org/apache/spark/sql/execution/streaming/`), with
//! `FlatMapGroupsWithStateExecHelper`'s state rows (the user's state plus a timeout timestamp).
//!
//! Per micro-batch and per key (the operator's `processDataWithPartition`):
//! 1. with `EventTimeTimeout`, input rows whose event time is at or below the watermark for
//!    late events are dropped (`numRowsDroppedByWatermark`); with the other timeouts nothing
//!    is dropped;
//! 2. every key with new rows calls the function once with its rows (`hasTimedOut` false);
//! 3. then every stored key whose timeout timestamp is set and strictly below the threshold
//!    (the batch's processing time for `ProcessingTimeTimeout`, the watermark for eviction for
//!    `EventTimeTimeout`) calls it with no rows and `hasTimedOut` true;
//! 4. after each call the state is written back when it was updated, removed, or its timeout
//!    changed; removed without a timeout, the key leaves the store. The timeout is *not*
//!    carried from one call to the next: a call that does not set it clears it.
//!
//! The function itself comes from the layer above as a
//! [`GroupFunction`](super::group_state::GroupFunction) (the scenario's
//! Scala `def`); the state it keeps is stored encoded as a [`Row`].

use super::group_state::{GroupFn, GroupStateImpl, GroupStateTimeout};
use super::state_store::GroupStateRow;
use super::stateful_operators::{LateRow, OperatorContext, OperatorMetrics};
use super::types::{Cell, Row, Schema};
use std::collections::BTreeMap;

/// The settings of one `FlatMapGroupsWithStateExec`.
#[derive(Debug)]
pub struct GroupsWithStateSpec<'a> {
    /// The function.
    pub func: &'a GroupFn,
    /// The input schema.
    pub input: &'a Schema,
    /// The timeout kind.
    pub timeout: GroupStateTimeout,
    /// The input's event-time column (the one with watermark metadata).
    pub event_time: Option<usize>,
    /// The batch's timestamp, ms (`batchTimestampMs`).
    pub batch_timestamp_ms: i64,
}

/// `FlatMapGroupsWithStateExec` for one batch over `store`: returns the output rows and the
/// operator's figures.
///
/// # Errors
/// The first failure of the key function or of the function (the query then fails, as the
/// Spark task and then the query do).
pub fn flat_map_groups_with_state(
    ctx: &OperatorContext,
    op_id: usize,
    input: Vec<Row>,
    spec: &GroupsWithStateSpec<'_>,
    store: &mut BTreeMap<Row, GroupStateRow>,
    late: &mut Vec<LateRow>,
) -> Result<(Vec<Row>, OperatorMetrics), String> {
    let mut m = OperatorMetrics {
        operator_name: "flatMapGroupsWithState".into(),
        ..OperatorMetrics::default()
    };
    // Late rows: only with an event-time timeout (processDataWithPartition's filteredIter).
    let mut groups: BTreeMap<Row, Vec<Row>> = BTreeMap::new();
    for row in input {
        if spec.timeout == GroupStateTimeout::EventTimeTimeout && ctx.has_watermark {
            let t = spec
                .event_time
                .and_then(|i| row.get(i))
                .and_then(Cell::as_time);
            if let Some(t) = t.filter(|t| t.0 <= ctx.watermark_late) {
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
        let key = spec.func.0.key(spec.input, &row)?;
        groups.entry(key).or_default().push(row);
    }
    let mut out = Vec::new();
    for (key, rows) in groups {
        call_and_update(ctx, spec, &key, rows, false, store, &mut m, &mut out)?;
    }
    // processTimedOutState.
    let threshold = match spec.timeout {
        GroupStateTimeout::NoTimeout => None,
        GroupStateTimeout::ProcessingTimeTimeout => Some(spec.batch_timestamp_ms),
        GroupStateTimeout::EventTimeTimeout => Some(ctx.watermark_evict),
    };
    if let Some(th) = threshold {
        let timing_out: Vec<Row> = store
            .iter()
            .filter(|(_, s)| s.timeout_ms.is_some_and(|t| t < th))
            .map(|(k, _)| k.clone())
            .collect();
        for key in timing_out {
            call_and_update(ctx, spec, &key, Vec::new(), true, store, &mut m, &mut out)?;
        }
    }
    m.num_rows_total = store.len() as u64;
    Ok((out, m))
}

/// `callFunctionAndUpdateState` and its `onIteratorCompletion`.
#[allow(clippy::too_many_arguments)]
fn call_and_update(
    ctx: &OperatorContext,
    spec: &GroupsWithStateSpec<'_>,
    key: &Row,
    rows: Vec<Row>,
    timed_out: bool,
    store: &mut BTreeMap<Row, GroupStateRow>,
    m: &mut OperatorMetrics,
    out: &mut Vec<Row>,
) -> Result<(), String> {
    let before = store.get(key).cloned();
    let mut gs = GroupStateImpl::new(
        before.as_ref().and_then(|s| s.value.clone()),
        spec.batch_timestamp_ms,
        ctx.watermark_evict,
        spec.timeout,
        timed_out,
        ctx.has_watermark,
    );
    out.extend(spec.func.0.call(spec.input, key, rows, &mut gs)?);
    let old_timeout = before.as_ref().and_then(|s| s.timeout_ms);
    if gs.has_removed() && gs.timeout_timestamp().is_none() {
        // Spark counts the removal whether or not the key was stored.
        store.remove(key);
        m.num_rows_removed += 1;
    } else if gs.has_updated() || gs.has_removed() || gs.timeout_timestamp() != old_timeout {
        store.insert(
            key.clone(),
            GroupStateRow {
                value: gs.get_option().cloned(),
                timeout_ms: gs.timeout_timestamp(),
            },
        );
        m.num_rows_updated += 1;
    }
    Ok(())
}
