//! Which output modes a streaming query allows, with Spark's `AnalysisException` messages:
//! `UnsupportedOperationChecker.checkForStreaming`
//! (`sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/analysis/UnsupportedOperationChecker.scala`).
//!
//! | query | append | update | complete |
//! |---|---|---|---|
//! | no aggregation | yes | yes | no: "Complete output mode not supported when there are no streaming aggregations ..." |
//! | aggregation, watermark on a grouping key | yes | yes | yes |
//! | aggregation without one | no: "Append output mode not supported when there are streaming aggregations ... without watermark" | yes | yes |
//! | stream-stream join | yes | no: "Join between two streaming DataFrames/Datasets is not supported in Update output mode, only in Append output mode" | no |
//! | stream-stream outer join | needs a watermark on the nullable side and a range condition | | |
//! | `flatMapGroupsWithState(Append, ..)` | yes | no: "flatMapGroupsWithState in append mode is not supported with Update output mode ..." | no |
//! | `flatMapGroupsWithState(Update, ..)`, `mapGroupsWithState` | no | yes | no |
//!
//! With an aggregation in the query, `mapGroupsWithState` and `flatMapGroupsWithState(Update)`
//! are refused, and `flatMapGroupsWithState(Append)` may not follow the aggregation. An
//! `EventTimeTimeout` needs a `withWatermark` below the operator.

use super::dataset::{Exec, ExecOp, JoinType};
use super::group_state::FuncOutputMode;
use serde::Serialize;
use std::fmt;

/// `OutputMode`: what each trigger writes to the sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum OutputMode {
    /// Only new rows that will never change (a window once the watermark passes its end).
    Append,
    /// Rows changed by this trigger.
    Update,
    /// The whole result table.
    Complete,
}

impl OutputMode {
    /// Parses `outputMode("append")` as `InternalOutputModes.apply` does (case-insensitive).
    ///
    /// # Errors
    /// Spark's message for an unknown mode.
    pub fn parse(s: &str) -> Result<OutputMode, String> {
        match s.to_lowercase().as_str() {
            "append" => Ok(OutputMode::Append),
            "update" => Ok(OutputMode::Update),
            "complete" => Ok(OutputMode::Complete),
            _ => Err(format!(
                "[STREAMING_OUTPUT_MODE.INVALID] Invalid streaming output mode: {s}. Accepted output modes are 'Append', 'Complete', 'Update'."
            )),
        }
    }
}

/// Spark prints the modes as `Append`, `Update`, `Complete`.
impl fmt::Display for OutputMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputMode::Append => "Append",
            OutputMode::Update => "Update",
            OutputMode::Complete => "Complete",
        })
    }
}

/// An `AnalysisException` from the checker, with the plan node it names.
#[derive(Clone, Debug, PartialEq)]
pub struct UnsupportedOperation {
    /// The `pos` of the node.
    pub pos: usize,
    /// Spark's message.
    pub message: String,
}

fn aggregates(plan: &Exec, out: &mut Vec<(Option<usize>, usize)>) {
    match &plan.op {
        ExecOp::Aggregate {
            child,
            watermark_key,
            ..
        } => {
            out.push((*watermark_key, plan.pos));
            aggregates(child, out);
        }
        ExecOp::Project(c, _) | ExecOp::Filter(c, _) => aggregates(c, out),
        ExecOp::Watermark { child, .. }
        | ExecOp::Deduplicate { child, .. }
        | ExecOp::GroupsWithState { child, .. } => aggregates(child, out),
        ExecOp::Join { left, right, .. } => {
            aggregates(left, out);
            aggregates(right, out);
        }
        ExecOp::Source(_) | ExecOp::Static(_) => {}
    }
}

/// `checkForStreaming(plan, outputMode)`.
///
/// # Errors
/// The first rule the query breaks, in Spark's words.
pub fn check_for_streaming(plan: &Exec, mode: OutputMode) -> Result<(), UnsupportedOperation> {
    let fail = |pos: usize, message: String| Err(UnsupportedOperation { pos, message });
    let mut aggs = Vec::new();
    aggregates(plan, &mut aggs);
    // `aggregates.head` is the outermost aggregation, as Spark collects top-down.
    match (mode, aggs.first()) {
        (OutputMode::Append, Some((None, pos))) => {
            return fail(
                *pos,
                format!("{mode} output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark"),
            )
        }
        (OutputMode::Complete, None) => {
            return fail(
                plan.pos,
                format!("{mode} output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets"),
            )
        }
        _ => {}
    }
    // Session windows (Spark 3.5: the checker's `Aggregate` case for update mode, and
    // `AggUtils.planStreamingAggregationForSession`'s requirement of a grouping key).
    let session = |global: bool| {
        move |op: &ExecOp| match op {
            ExecOp::Aggregate { keys, .. } => {
                keys.iter().any(|k| k.session_gap().is_some()) && (!global || keys.len() == 1)
            }
            _ => false,
        }
    };
    if mode == OutputMode::Update && plan.any(&session(false)) {
        return fail(
            plan.pos,
            "Update output mode not supported for session window on streaming DataFrames/DataSets"
                .into(),
        );
    }
    if plan.any(&session(true)) {
        return fail(
            plan.pos,
            "Global aggregation with session window in streaming query is not supported.".into(),
        );
    }
    check_joins(plan, mode, !aggs.is_empty())
}

fn check_joins(plan: &Exec, mode: OutputMode, has_aggs: bool) -> Result<(), UnsupportedOperation> {
    match &plan.op {
        ExecOp::Join {
            left,
            right,
            join_type,
            streaming,
            retention_ms,
            ..
        } => {
            let fail = |message: String| {
                Err(UnsupportedOperation {
                    pos: plan.pos,
                    message,
                })
            };
            if streaming.0 && streaming.1 && mode != OutputMode::Append {
                return fail(format!("Join between two streaming DataFrames/Datasets is not supported in {mode} output mode, only in Append output mode"));
            }
            match (join_type, streaming) {
                (JoinType::FullOuter, (true, false)) => {
                    return fail("FullOuter joins with streaming DataFrames/Datasets on the left and a static DataFrame/Dataset on the right is not supported".into())
                }
                (JoinType::FullOuter, (false, true)) => {
                    return fail("FullOuter joins with streaming DataFrames/Datasets on the right and a static DataFrame/Dataset on the left is not supported".into())
                }
                (JoinType::LeftOuter, (false, true)) => {
                    return fail("LeftOuter join with a streaming DataFrame/Dataset on the right and a static DataFrame/Dataset on the left is not supported".into())
                }
                (JoinType::RightOuter, (true, false)) => {
                    return fail("RightOuter join with a streaming DataFrame/Dataset on the left and a static DataFrame/DataSet on the right not supported".into())
                }
                (JoinType::Inner, _) => {}
                (t, (true, true)) => {
                    let ok = match t {
                        JoinType::LeftOuter => retention_ms.0.is_some(),
                        JoinType::RightOuter => retention_ms.1.is_some(),
                        _ => retention_ms.0.is_some() || retention_ms.1.is_some(),
                    };
                    if !ok {
                        return fail(format!("Stream-stream {} join between two streaming DataFrame/Datasets is not supported without a watermark in the join keys, or a watermark on the nullable side and an appropriate range condition", t.name()));
                    }
                }
                _ => {}
            }
            check_joins(left, mode, has_aggs)?;
            check_joins(right, mode, has_aggs)
        }
        ExecOp::Project(c, _) | ExecOp::Filter(c, _) => check_joins(c, mode, has_aggs),
        ExecOp::Watermark { child, .. }
        | ExecOp::Aggregate { child, .. }
        | ExecOp::Deduplicate { child, .. } => check_joins(child, mode, has_aggs),
        ExecOp::GroupsWithState { child, .. } => {
            check_groups_with_state(plan, mode, has_aggs)?;
            check_joins(child, mode, has_aggs)
        }
        ExecOp::Source(_) | ExecOp::Static(_) => Ok(()),
    }
}

/// The `FlatMapGroupsWithState` case of `checkForStreaming`: the operator's output mode
/// against the query's and against aggregations, then the timeout against the watermark.
fn check_groups_with_state(
    plan: &Exec,
    mode: OutputMode,
    has_aggs: bool,
) -> Result<(), UnsupportedOperation> {
    let ExecOp::GroupsWithState { child, spec, .. } = &plan.op else {
        return Ok(());
    };
    let fail = |message: String| {
        Err(UnsupportedOperation {
            pos: plan.pos,
            message,
        })
    };
    // aggsInQuery (`has_aggs`: the whole query's), and those below this operator.
    let mut below = Vec::new();
    aggregates(child, &mut below);
    let in_query = has_aggs;
    if spec.is_map {
        if in_query {
            return fail(
                "mapGroupsWithState is not supported with aggregation on a streaming DataFrame/Dataset"
                    .into(),
            );
        }
        if mode != OutputMode::Update {
            return fail(format!(
                "mapGroupsWithState is not supported with {mode} output mode on a streaming DataFrame/Dataset"
            ));
        }
    } else if !in_query {
        let (name, same) = match spec.func_mode {
            FuncOutputMode::Append => ("append", mode == OutputMode::Append),
            FuncOutputMode::Update => ("update", mode == OutputMode::Update),
        };
        if !same {
            return fail(format!(
                "flatMapGroupsWithState in {name} mode is not supported with {mode} output mode on a streaming DataFrame/Dataset"
            ));
        }
    } else if spec.func_mode == FuncOutputMode::Update {
        return fail(
            "flatMapGroupsWithState in update mode is not supported with aggregation on a streaming DataFrame/Dataset"
                .into(),
        );
    } else if !below.is_empty() {
        return fail(
            "flatMapGroupsWithState in append mode is not supported after aggregation on a streaming DataFrame/Dataset"
                .into(),
        );
    }
    if spec.timeout == super::group_state::GroupStateTimeout::EventTimeTimeout
        && child.schema.event_time_column().is_none()
    {
        return fail("Watermark must be specified in the query using '[Dataset/DataFrame].withWatermark()' for using event-time timeout in a [map|flatMap]GroupsWithState. Event-time timeout not supported without watermark.".into());
    }
    Ok(())
}
