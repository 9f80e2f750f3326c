//! A streaming query's logical plan and its analysis: what `Dataset.scala` builds
//! (`select`, `where`, `withColumn`, `withWatermark`, `groupBy(..).agg(..)`,
//! `dropDuplicates`, `join`) and what the analyzer checks (`CheckAnalysis.scala`:
//! unresolved columns, a watermark on a column that is neither a timestamp nor a window, a
//! filter that is not boolean). Analysis binds every expression to its input schema and
//! numbers the stateful operators and the watermark operators, as `IncrementalExecution`
//! gives each stateful operator its `operatorId`.

use super::expressions::{Expr, Resolved};
use super::group_state::{FuncOutputMode, GroupFn, GroupStateTimeout};
use super::types::{Cell, DataType, Field, Row, Schema};

/// An aggregate function (`functions.scala`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFunc {
    /// `count(col)`: non-null values.
    Count,
    /// `count("*")` / `.count()`: rows.
    CountStar,
    /// `sum(col)`: a long over longs, a double over doubles.
    Sum,
    /// `avg(col)`: a double.
    Avg,
    /// `min(col)`.
    Min,
    /// `max(col)`.
    Max,
}

/// One aggregate of `agg(..)`, with its optional alias.
#[derive(Clone, Debug, PartialEq)]
pub struct AggExpr {
    /// The function.
    pub func: AggFunc,
    /// Its argument (none for `count("*")`).
    pub arg: Option<Expr>,
    /// `.alias("name")`.
    pub alias: Option<String>,
    /// Spark's default name: `count` for `.count()`, `count(1)` for `count("*")`,
    /// `sum(delay)`, ...
    pub default_name: String,
}

/// Join types a streaming query may use (`JoinType.scala`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinType {
    /// `inner`.
    Inner,
    /// `left_outer`.
    LeftOuter,
    /// `right_outer`.
    RightOuter,
    /// `full_outer`.
    FullOuter,
}

impl JoinType {
    /// Spark's name of the type in messages (`LeftOuter`).
    pub fn name(self) -> &'static str {
        match self {
            JoinType::Inner => "Inner",
            JoinType::LeftOuter => "LeftOuter",
            JoinType::RightOuter => "RightOuter",
            JoinType::FullOuter => "FullOuter",
        }
    }
}

/// A logical plan node; `pos` is the caller's handle for positioning errors (the scenario
/// parser's byte offset of the call that made the node).
#[derive(Clone, Debug, PartialEq)]
pub struct LogicalPlan {
    /// What the node does.
    pub node: Node,
    /// Where it was written (opaque to the model; errors return it).
    pub pos: usize,
}

/// The logical operators.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A streaming source (`spark.readStream...load()`), by its index in the query's
    /// sources.
    StreamingRelation {
        /// Index into the query's sources.
        source: usize,
        /// Its name, for messages.
        name: String,
        /// Its schema.
        schema: Schema,
    },
    /// A static DataFrame (`spark.read.csv(..)`), all rows known.
    LocalRelation {
        /// Its name.
        name: String,
        /// Its schema.
        schema: Schema,
        /// Its rows.
        rows: Vec<Row>,
    },
    /// `select(..)`, `withColumn(..)`.
    Project(Box<LogicalPlan>, Vec<Expr>),
    /// `where(..)` / `filter(..)`.
    Filter(Box<LogicalPlan>, Expr),
    /// `withWatermark(column, delay)`.
    EventTimeWatermark(Box<LogicalPlan>, String, i64),
    /// `groupBy(keys).agg(aggs)`.
    Aggregate(Box<LogicalPlan>, Vec<Expr>, Vec<AggExpr>),
    /// `dropDuplicates(columns)` (empty: all columns).
    Deduplicate(Box<LogicalPlan>, Vec<String>),
    /// `left.join(right, condition, type)`.
    Join(Box<LogicalPlan>, Box<LogicalPlan>, Expr, JoinType),
    /// `groupByKey(k).flatMapGroupsWithState(mode, timeout)(f)` or
    /// `groupByKey(k).mapGroupsWithState(timeout)(f)`.
    FlatMapGroupsWithState(Box<LogicalPlan>, GroupsWithState),
}

/// The arguments of `[flat]mapGroupsWithState`.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupsWithState {
    /// The key function and the function.
    pub func: GroupFn,
    /// The function's output schema (from its declared result type, as Spark's encoder).
    pub output: Schema,
    /// The operator's own output mode (`Update` for `mapGroupsWithState`).
    pub func_mode: FuncOutputMode,
    /// The timeout kind.
    pub timeout: GroupStateTimeout,
    /// Whether this is `mapGroupsWithState` (one output row per call).
    pub is_map: bool,
}

/// An analysis error: Spark's `AnalysisException` message and the node it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisError {
    /// The `pos` of the node the error is about.
    pub pos: usize,
    /// Spark's message.
    pub message: String,
}

/// A bound aggregate.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundAgg {
    /// The function.
    pub func: AggFunc,
    /// Its bound argument.
    pub arg: Option<Expr>,
    /// Its result type.
    pub data_type: DataType,
}

/// The analysed (physical) plan: bound expressions, output schemas, operator ids.
#[derive(Clone, Debug, PartialEq)]
pub struct Exec {
    /// The operator.
    pub op: ExecOp,
    /// Its output schema.
    pub schema: Schema,
    /// The logical node's `pos`.
    pub pos: usize,
}

/// Physical operators (`SparkPlan`s of `IncrementalExecution`).
#[derive(Clone, Debug, PartialEq)]
pub enum ExecOp {
    /// Reads this batch's rows of a source (`MicroBatchScanExec`).
    Source(usize),
    /// A static relation (`LocalTableScanExec`).
    Static(Vec<Row>),
    /// `ProjectExec`.
    Project(Box<Exec>, Vec<Expr>),
    /// `FilterExec`.
    Filter(Box<Exec>, Expr),
    /// `EventTimeWatermarkExec`: observes the max event time of the column.
    Watermark {
        /// Input.
        child: Box<Exec>,
        /// The event-time column's index.
        column: usize,
        /// The delay threshold, ms.
        delay_ms: i64,
        /// Index of this watermark operator in the query.
        id: usize,
    },
    /// `StateStoreRestoreExec` + `StateStoreSaveExec` around the aggregation.
    Aggregate {
        /// Input.
        child: Box<Exec>,
        /// Grouping expressions (a `window(..)` among them is expanded).
        keys: Vec<Expr>,
        /// The aggregates.
        aggs: Vec<BoundAgg>,
        /// Index in `keys` of the key carrying watermark metadata (the eviction key).
        watermark_key: Option<usize>,
        /// The stateful operator id.
        op_id: usize,
    },
    /// `StreamingDeduplicateExec`.
    Deduplicate {
        /// Input.
        child: Box<Exec>,
        /// Key columns.
        keys: Vec<usize>,
        /// The event-time column (late rows are dropped on it).
        event_time: Option<usize>,
        /// Whether the event-time column is one of the keys (state is then evicted).
        evicts: bool,
        /// The stateful operator id.
        op_id: usize,
    },
    /// `BroadcastHashJoinExec` with a static side, or `StreamingSymmetricHashJoinExec`.
    Join {
        /// Left input.
        left: Box<Exec>,
        /// Right input.
        right: Box<Exec>,
        /// The condition over left ++ right columns.
        cond: Expr,
        /// Join type.
        join_type: JoinType,
        /// Event-time column indexes (left, right) for state eviction, when both sides
        /// have a watermark.
        event_time: (Option<usize>, Option<usize>),
        /// The state-retention bound each side's rows need, from the condition:
        /// `(left kept until other.time > left.time + a, right kept until ...)`, ms.
        retention_ms: (Option<i64>, Option<i64>),
        /// Whether each side is streaming.
        streaming: (bool, bool),
        /// The stateful operator id (stream-stream only).
        op_id: Option<usize>,
    },
    /// `FlatMapGroupsWithStateExec`.
    GroupsWithState {
        /// Input.
        child: Box<Exec>,
        /// The function and its settings.
        spec: GroupsWithState,
        /// The input's event-time column (watermark metadata), for late rows.
        event_time: Option<usize>,
        /// The stateful operator id.
        op_id: usize,
    },
}

/// What analysis found about a query as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Analyzed {
    /// The physical plan.
    pub plan: Exec,
    /// How many watermark operators (`withWatermark` calls).
    pub watermarks: usize,
    /// How many stateful operators.
    pub stateful: usize,
}

impl LogicalPlan {
    /// Whether the plan reads a streaming source (`isStreaming`).
    pub fn is_streaming(&self) -> bool {
        match &self.node {
            Node::StreamingRelation { .. } => true,
            Node::LocalRelation { .. } => false,
            Node::Project(c, _)
            | Node::Filter(c, _)
            | Node::EventTimeWatermark(c, _, _)
            | Node::Aggregate(c, _, _)
            | Node::Deduplicate(c, _)
            | Node::FlatMapGroupsWithState(c, _) => c.is_streaming(),
            Node::Join(l, r, _, _) => l.is_streaming() || r.is_streaming(),
        }
    }

    /// Binds the plan: schemas, types, operator ids.
    ///
    /// # Errors
    /// The first analysis error, with Spark's message and the node's position.
    pub fn analyze(&self) -> Result<Analyzed, AnalysisError> {
        let mut ids = (0usize, 0usize);
        let plan = self.bind(&mut ids)?;
        let plan = push_filters_below_watermarks(plan);
        Ok(Analyzed {
            plan,
            watermarks: ids.0,
            stateful: ids.1,
        })
    }

    fn err(&self, message: String) -> AnalysisError {
        AnalysisError {
            pos: self.pos,
            message,
        }
    }

    fn bind(&self, ids: &mut (usize, usize)) -> Result<Exec, AnalysisError> {
        let (op, schema) = match &self.node {
            Node::StreamingRelation { source, schema, .. } => {
                (ExecOp::Source(*source), schema.clone())
            }
            Node::LocalRelation { schema, rows, .. } => {
                (ExecOp::Static(rows.clone()), schema.clone())
            }
            Node::Project(child, exprs) => {
                let c = child.bind(ids)?;
                let mut fields = Vec::new();
                let mut bound = Vec::new();
                for e in exprs {
                    let r = e.resolve(&c.schema).map_err(|m| self.err(m))?;
                    fields.push(r.field);
                    bound.push(r.expr);
                }
                (ExecOp::Project(Box::new(c), bound), Schema { fields })
            }
            Node::Filter(child, cond) => {
                let c = child.bind(ids)?;
                let r: Resolved = cond.resolve(&c.schema).map_err(|m| self.err(m))?;
                if r.field.data_type != DataType::Boolean {
                    return Err(self.err(format!(
                        "[DATATYPE_MISMATCH.FILTER_NOT_BOOLEAN] Cannot resolve \"{}\" due to data type mismatch: Filter expression \"{}\" of type \"{}\" is not a boolean.",
                        r.expr.sql(), r.expr.sql(), r.field.data_type.sql()
                    )));
                }
                let schema = c.schema.clone();
                (ExecOp::Filter(Box::new(c), r.expr), schema)
            }
            Node::EventTimeWatermark(child, column, delay_ms) => {
                let c = child.bind(ids)?;
                let i = c.schema.index_of(column).ok_or_else(|| {
                    self.err(format!(
                        "Cannot resolve column name \"{column}\" among ({})",
                        c.schema.names().join(", ")
                    ))
                })?;
                let f = &c.schema.fields[i];
                if !matches!(f.data_type, DataType::Timestamp | DataType::Window) {
                    return Err(self.err(format!(
                        "[EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE] The event time `{}` has the invalid type \"{}\", but expected \"TIMESTAMP\".",
                        f.name,
                        f.data_type.sql()
                    )));
                }
                let mut schema = c.schema.clone();
                // EventTimeWatermark: only the new column carries the delay metadata.
                for (j, f) in schema.fields.iter_mut().enumerate() {
                    f.watermark_delay_ms = (j == i).then_some(*delay_ms);
                }
                let id = ids.0;
                ids.0 += 1;
                (
                    ExecOp::Watermark {
                        child: Box::new(c),
                        column: i,
                        delay_ms: *delay_ms,
                        id,
                    },
                    schema,
                )
            }
            Node::Aggregate(child, keys, aggs) => {
                let c = child.bind(ids)?;
                let mut fields = Vec::new();
                let mut bound_keys = Vec::new();
                let mut watermark_key = None;
                for (k, e) in keys.iter().enumerate() {
                    let r = e.resolve(&c.schema).map_err(|m| self.err(m))?;
                    if r.field.watermark_delay_ms.is_some() && watermark_key.is_none() {
                        watermark_key = Some(k);
                    }
                    fields.push(r.field);
                    bound_keys.push(r.expr);
                }
                let mut bound_aggs = Vec::new();
                for a in aggs {
                    let (arg, t) = match &a.arg {
                        None => (None, DataType::Long),
                        Some(e) => {
                            let r = e.resolve(&c.schema).map_err(|m| self.err(m))?;
                            let t = r.field.data_type;
                            let numeric = matches!(t, DataType::Long | DataType::Double);
                            let out = match a.func {
                                AggFunc::Count | AggFunc::CountStar => DataType::Long,
                                AggFunc::Avg => DataType::Double,
                                AggFunc::Sum => t,
                                AggFunc::Min | AggFunc::Max => t,
                            };
                            if matches!(a.func, AggFunc::Sum | AggFunc::Avg) && !numeric {
                                return Err(self.err(format!(
                                    "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"{}\" due to data type mismatch: The first parameter requires the \"NUMERIC\" or \"ANSI INTERVAL\" type, however \"{}\" has the type \"{}\".",
                                    a.default_name, r.expr.sql(), t.sql()
                                )));
                            }
                            (Some(r.expr), out)
                        }
                    };
                    fields.push(Field::new(a.alias.as_deref().unwrap_or(&a.default_name), t));
                    bound_aggs.push(BoundAgg {
                        func: a.func,
                        arg,
                        data_type: t,
                    });
                }
                let op_id = ids.1;
                ids.1 += 1;
                (
                    ExecOp::Aggregate {
                        child: Box::new(c),
                        keys: bound_keys,
                        aggs: bound_aggs,
                        watermark_key,
                        op_id,
                    },
                    Schema { fields },
                )
            }
            Node::Deduplicate(child, columns) => {
                let c = child.bind(ids)?;
                let keys: Vec<usize> = if columns.is_empty() {
                    (0..c.schema.fields.len()).collect()
                } else {
                    columns
                        .iter()
                        .map(|n| {
                            c.schema.index_of(n).ok_or_else(|| {
                                self.err(format!(
                                    "Cannot resolve column name \"{n}\" among ({})",
                                    c.schema.names().join(", ")
                                ))
                            })
                        })
                        .collect::<Result<_, _>>()?
                };
                let event_time = c.schema.event_time_column();
                let evicts = event_time.is_some_and(|e| keys.contains(&e));
                let schema = c.schema.clone();
                let op_id = ids.1;
                ids.1 += 1;
                (
                    ExecOp::Deduplicate {
                        child: Box::new(c),
                        keys,
                        event_time,
                        evicts,
                        op_id,
                    },
                    schema,
                )
            }
            Node::Join(l, r, cond, join_type) => {
                let (ls, rs) = (l.is_streaming(), r.is_streaming());
                let (lc, rc) = (l.bind(ids)?, r.bind(ids)?);
                let mut fields = lc.schema.fields.clone();
                fields.extend(rc.schema.fields.iter().cloned());
                let schema = Schema { fields };
                let rcond = cond.resolve(&schema).map_err(|m| self.err(m))?;
                let nl = lc.schema.fields.len();
                let et = (
                    lc.schema.event_time_column(),
                    rc.schema.event_time_column().map(|i| i + nl),
                );
                let retention = super::join_condition::retention(&rcond.expr, nl, et);
                let op_id = if ls && rs {
                    let id = ids.1;
                    ids.1 += 1;
                    Some(id)
                } else {
                    None
                };
                let mut out = schema.clone();
                // Outer joins make the nullable side's columns nullable; the watermark
                // metadata stays on both sides' event-time columns.
                for f in out.fields.iter_mut() {
                    if !ls && f.watermark_delay_ms.is_some() {
                        f.watermark_delay_ms = None;
                    }
                }
                (
                    ExecOp::Join {
                        left: Box::new(lc),
                        right: Box::new(rc),
                        cond: rcond.expr,
                        join_type: *join_type,
                        event_time: et,
                        retention_ms: retention,
                        streaming: (ls, rs),
                        op_id,
                    },
                    out,
                )
            }
            Node::FlatMapGroupsWithState(child, spec) => {
                let c = child.bind(ids)?;
                let event_time = c.schema.event_time_column();
                let op_id = ids.1;
                ids.1 += 1;
                (
                    ExecOp::GroupsWithState {
                        child: Box::new(c),
                        spec: spec.clone(),
                        event_time,
                        op_id,
                    },
                    spec.output.clone(),
                )
            }
        };
        Ok(Exec {
            op,
            schema,
            pos: self.pos,
        })
    }
}

/// The optimizer's `PushPredicateThroughNonJoin` for `EventTimeWatermark`: the parts of a
/// filter right above a watermark that do not read the event-time column move below it, so
/// the watermark never sees the rows they reject.
fn push_filters_below_watermarks(plan: Exec) -> Exec {
    use super::expressions::{conjuncts, references};
    let Exec { op, schema, pos } = plan;
    let op = match op {
        ExecOp::Filter(child, cond) => {
            let child = push_filters_below_watermarks(*child);
            match child.op {
                ExecOp::Watermark {
                    child: wchild,
                    column,
                    delay_ms,
                    id,
                } => {
                    let mut parts = Vec::new();
                    conjuncts(cond, &mut parts);
                    let (down, up): (Vec<Expr>, Vec<Expr>) = parts.into_iter().partition(|p| {
                        let mut r = Vec::new();
                        references(p, &mut r);
                        !r.contains(&column)
                    });
                    let and = |v: Vec<Expr>| {
                        v.into_iter().reduce(|a, b| {
                            Expr::Bin(super::expressions::BinOp::And, Box::new(a), Box::new(b))
                        })
                    };
                    let mut inner = *wchild;
                    if let Some(d) = and(down) {
                        inner = Exec {
                            schema: inner.schema.clone(),
                            pos: child.pos,
                            op: ExecOp::Filter(Box::new(inner), d),
                        };
                    }
                    let w = Exec {
                        op: ExecOp::Watermark {
                            child: Box::new(inner),
                            column,
                            delay_ms,
                            id,
                        },
                        schema: child.schema,
                        pos: child.pos,
                    };
                    match and(up) {
                        Some(u) => ExecOp::Filter(Box::new(w), u),
                        None => w.op,
                    }
                }
                other => ExecOp::Filter(
                    Box::new(Exec {
                        op: other,
                        schema: child.schema,
                        pos: child.pos,
                    }),
                    cond,
                ),
            }
        }
        ExecOp::Project(c, e) => ExecOp::Project(Box::new(push_filters_below_watermarks(*c)), e),
        ExecOp::Watermark {
            child,
            column,
            delay_ms,
            id,
        } => ExecOp::Watermark {
            child: Box::new(push_filters_below_watermarks(*child)),
            column,
            delay_ms,
            id,
        },
        ExecOp::Aggregate {
            child,
            keys,
            aggs,
            watermark_key,
            op_id,
        } => ExecOp::Aggregate {
            child: Box::new(push_filters_below_watermarks(*child)),
            keys,
            aggs,
            watermark_key,
            op_id,
        },
        ExecOp::Deduplicate {
            child,
            keys,
            event_time,
            evicts,
            op_id,
        } => ExecOp::Deduplicate {
            child: Box::new(push_filters_below_watermarks(*child)),
            keys,
            event_time,
            evicts,
            op_id,
        },
        ExecOp::GroupsWithState {
            child,
            spec,
            event_time,
            op_id,
        } => ExecOp::GroupsWithState {
            child: Box::new(push_filters_below_watermarks(*child)),
            spec,
            event_time,
            op_id,
        },
        ExecOp::Join {
            left,
            right,
            cond,
            join_type,
            event_time,
            retention_ms,
            streaming,
            op_id,
        } => ExecOp::Join {
            left: Box::new(push_filters_below_watermarks(*left)),
            right: Box::new(push_filters_below_watermarks(*right)),
            cond,
            join_type,
            event_time,
            retention_ms,
            streaming,
            op_id,
        },
        op => op,
    };
    Exec { op, schema, pos }
}

impl Exec {
    /// The stateful aggregations in the plan (for the output-mode rules).
    pub fn has_aggregate(&self) -> bool {
        self.any(&|op| matches!(op, ExecOp::Aggregate { .. }))
    }

    /// True when `f` holds for some operator of the plan.
    pub fn any(&self, f: &dyn Fn(&ExecOp) -> bool) -> bool {
        if f(&self.op) {
            return true;
        }
        match &self.op {
            ExecOp::Source(_) | ExecOp::Static(_) => false,
            ExecOp::Project(c, _) | ExecOp::Filter(c, _) => c.any(f),
            ExecOp::Watermark { child, .. }
            | ExecOp::Aggregate { child, .. }
            | ExecOp::Deduplicate { child, .. }
            | ExecOp::GroupsWithState { child, .. } => child.any(f),
            ExecOp::Join { left, right, .. } => left.any(f) || right.any(f),
        }
    }
}

/// A literal cell, for building plans in tests.
pub fn lit(c: Cell) -> Expr {
    Expr::Lit(c)
}
