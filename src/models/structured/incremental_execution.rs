//! One micro-batch of a query plan: Spark's `IncrementalExecution`
//! (`sql/core/.../execution/streaming/IncrementalExecution.scala`) runs the physical plan on
//! the batch's new rows, giving each stateful operator its store and its two watermarks,
//! and `EventTimeWatermarkExec` records the event times it sees (`EventTimeStats`).

use super::dataset::{Exec, ExecOp};
use super::flat_map_groups_with_state::{flat_map_groups_with_state, GroupsWithStateSpec};
use super::group_state::GroupStateTimeout;
use super::state_store::{OperatorState, StateStores};
use super::stateful_operators::{
    aggregate, deduplicate, LateRow, OperatorContext, OperatorMetrics,
};
use super::symmetric_hash_join::{stream_static, stream_stream, JoinSpec};
use super::types::{Cell, Row};
use super::unsupported_operation_checker::OutputMode;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `EventTimeStats` of one watermark operator in one batch: max, min, sum and count of the
/// event times it saw, ms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EventTimeStats {
    /// Largest event time.
    pub max: i64,
    /// Smallest event time.
    pub min: i64,
    /// Sum (for the average).
    pub sum: f64,
    /// Rows seen.
    pub count: u64,
}

impl EventTimeStats {
    fn add(&mut self, t: i64) {
        if self.count == 0 {
            self.max = t;
            self.min = t;
        } else {
            self.max = self.max.max(t);
            self.min = self.min.min(t);
        }
        self.sum += t as f64;
        self.count += 1;
    }
}

/// What running the plan on one batch gave.
#[derive(Debug, Default)]
pub struct BatchResult {
    /// The rows the sink receives.
    pub output: Vec<Row>,
    /// Per watermark operator, what it saw.
    pub event_time: Vec<EventTimeStats>,
    /// Per stateful operator id, its figures.
    pub operators: BTreeMap<usize, OperatorMetrics>,
    /// Rows dropped as late.
    pub late: Vec<LateRow>,
    /// The exception that failed the batch (a user function's), in Spark's words.
    pub error: Option<String>,
    /// Per source, the rows its scan produced when a filter was pushed into it (see
    /// [`is_pushable`](super::expressions::is_pushable)): what `numInputRows` counts.
    pub scanned: BTreeMap<usize, u64>,
}

/// The inputs of a batch and the query's settings for it.
#[derive(Debug)]
pub struct BatchInput<'a> {
    /// The batch id.
    pub batch_id: u64,
    /// This batch's new rows per source.
    pub sources: &'a [Vec<Row>],
    /// Output mode.
    pub mode: OutputMode,
    /// The watermark of the previous batch (late events), ms.
    pub watermark_late: i64,
    /// This batch's watermark (eviction), ms.
    pub watermark_evict: i64,
    /// Number of watermark operators in the plan.
    pub watermarks: usize,
    /// The batch's timestamp, virtual ms.
    pub batch_timestamp_ms: i64,
}

/// Runs the plan for one batch over `stores` (updated in place).
pub fn execute(plan: &Exec, input: &BatchInput<'_>, stores: &mut StateStores) -> BatchResult {
    let mut res = BatchResult {
        event_time: vec![EventTimeStats::default(); input.watermarks],
        ..BatchResult::default()
    };
    let ctx = OperatorContext {
        batch_id: input.batch_id,
        mode: input.mode,
        watermark_late: input.watermark_late,
        watermark_evict: input.watermark_evict,
        has_watermark: input.watermarks > 0,
        batch_timestamp_ms: input.batch_timestamp_ms,
    };
    res.output = run(plan, input, &ctx, stores, &mut res);
    res
}

fn store(stores: &mut StateStores, id: usize, empty: OperatorState) -> &mut OperatorState {
    Arc::make_mut(stores.entry(id).or_insert_with(|| Arc::new(empty)))
}

fn run(
    plan: &Exec,
    input: &BatchInput<'_>,
    ctx: &OperatorContext,
    stores: &mut StateStores,
    res: &mut BatchResult,
) -> Vec<Row> {
    match &plan.op {
        ExecOp::Source(i) => input.sources.get(*i).cloned().unwrap_or_default(),
        ExecOp::Static(rows) => rows.clone(),
        ExecOp::Project(c, exprs) => run(c, input, ctx, stores, res)
            .into_iter()
            .map(|r| exprs.iter().map(|e| e.eval(&r)).collect())
            .collect(),
        ExecOp::Filter(c, cond) => {
            let rows = run(c, input, ctx, stores, res);
            if let ExecOp::Source(i) = c.op {
                // A file source evaluates the pushable parts of the filter while reading.
                let mut parts = Vec::new();
                super::expressions::conjuncts(cond.clone(), &mut parts);
                let pushed: Vec<_> = parts
                    .into_iter()
                    .filter(super::expressions::is_pushable)
                    .collect();
                let n = rows
                    .iter()
                    .filter(|r| pushed.iter().all(|p| matches!(p.eval(r), Cell::Bool(true))))
                    .count();
                *res.scanned.entry(i).or_default() += n as u64;
            }
            rows.into_iter()
                .filter(|r| matches!(cond.eval(r), Cell::Bool(true)))
                .collect()
        }
        ExecOp::Watermark {
            child, column, id, ..
        } => {
            let rows = run(child, input, ctx, stores, res);
            for r in &rows {
                let t = match r.get(*column) {
                    Some(Cell::Timestamp(t)) => Some(t.0),
                    Some(Cell::Window(w)) => Some(w.end.0),
                    _ => None,
                };
                if let (Some(t), Some(s)) = (t, res.event_time.get_mut(*id)) {
                    s.add(t);
                }
            }
            rows
        }
        ExecOp::Aggregate {
            child,
            keys,
            aggs,
            watermark_key,
            op_id,
        } => {
            let rows = run(child, input, ctx, stores, res);
            let st = store(stores, *op_id, OperatorState::Aggregate(BTreeMap::new()));
            // A session_window(..) key: MergingSessionsExec and the session state store.
            let session_at = keys.iter().position(|k| k.session_gap().is_some());
            let (out, m) = match session_at {
                Some(at) => super::session_window::aggregate_sessions(
                    ctx,
                    *op_id,
                    rows,
                    keys,
                    at,
                    aggs,
                    *watermark_key,
                    st,
                    &mut res.late,
                ),
                None => aggregate(
                    ctx,
                    *op_id,
                    rows,
                    keys,
                    aggs,
                    *watermark_key,
                    st,
                    &mut res.late,
                ),
            };
            res.operators.insert(*op_id, m);
            out
        }
        ExecOp::Deduplicate {
            child,
            keys,
            event_time,
            evicts,
            op_id,
        } => {
            let rows = run(child, input, ctx, stores, res);
            let st = store(stores, *op_id, OperatorState::Deduplicate(BTreeMap::new()));
            let (out, m) = deduplicate(
                ctx,
                *op_id,
                rows,
                keys,
                *event_time,
                *evicts,
                st,
                &mut res.late,
            );
            res.operators.insert(*op_id, m);
            out
        }
        ExecOp::GroupsWithState {
            child,
            spec,
            event_time,
            op_id,
        } => {
            let rows = run(child, input, ctx, stores, res);
            if res.error.is_some() {
                return Vec::new();
            }
            let st = store(
                stores,
                *op_id,
                OperatorState::GroupsWithState(BTreeMap::new()),
            );
            let OperatorState::GroupsWithState(map) = st else {
                return Vec::new();
            };
            let gspec = GroupsWithStateSpec {
                func: &spec.func,
                input: &child.schema,
                timeout: spec.timeout,
                event_time: *event_time,
                batch_timestamp_ms: ctx.batch_timestamp_ms,
            };
            match flat_map_groups_with_state(ctx, *op_id, rows, &gspec, map, &mut res.late) {
                Ok((out, m)) => {
                    res.operators.insert(*op_id, m);
                    out
                }
                Err(e) => {
                    res.error = Some(e);
                    Vec::new()
                }
            }
        }
        ExecOp::Join {
            left,
            right,
            cond,
            join_type,
            event_time,
            retention_ms,
            op_id,
            ..
        } => {
            let l = run(left, input, ctx, stores, res);
            let r = run(right, input, ctx, stores, res);
            let widths = (left.schema.fields.len(), right.schema.fields.len());
            match op_id {
                None => stream_static(l, r, widths, cond, *join_type),
                Some(id) => {
                    let spec = JoinSpec {
                        cond,
                        join_type: *join_type,
                        widths,
                        event_time: (event_time.0, event_time.1.map(|i| i - widths.0)),
                        retention_ms: *retention_ms,
                    };
                    let st = store(stores, *id, OperatorState::Join(Vec::new(), Vec::new()));
                    let (out, m) = stream_stream(ctx, *id, l, r, &spec, st, &mut res.late);
                    res.operators.insert(*id, m);
                    out
                }
            }
        }
    }
}

/// `shouldRunAnotherBatch` of the last execution's stateful operators given the watermark
/// the next batch would use: aggregations in append or update mode and deduplications
/// when the watermark moved past the one this batch evicted with; stream-stream joins when
/// they also clean state by the watermark; `[flat]mapGroupsWithState` with an event-time
/// timeout when the watermark moved, and always with a processing-time timeout.
pub fn should_run_another_batch(
    plan: &Exec,
    mode: OutputMode,
    evicted_with: i64,
    new_watermark: i64,
) -> bool {
    let moved = new_watermark > evicted_with;
    plan.any(&|op| match op {
        ExecOp::Aggregate { .. } => {
            matches!(mode, OutputMode::Append | OutputMode::Update) && moved
        }
        ExecOp::Deduplicate { .. } => moved,
        ExecOp::Join {
            op_id: Some(_),
            retention_ms,
            ..
        } => moved && (retention_ms.0.is_some() || retention_ms.1.is_some()),
        // FlatMapGroupsWithStateExec.shouldRunAnotherBatch.
        ExecOp::GroupsWithState { spec, .. } => match spec.timeout {
            GroupStateTimeout::ProcessingTimeTimeout => true,
            GroupStateTimeout::EventTimeTimeout => moved,
            GroupStateTimeout::NoTimeout => false,
        },
        _ => false,
    })
}
