//! Spark 3.5 Structured Streaming on the virtual clock: a query is an incremental view of an
//! unbounded input table, run in micro-batches (`sql/core/src/main/scala/org/apache/spark/sql/execution/streaming/`).
//!
//! A query is a [`dataset::LogicalPlan`] (what `Dataset.scala` builds: select, where,
//! withColumn, withWatermark, groupBy(window(..) or session_window(..), ..).agg(..),
//! dropDuplicates, join,
//! groupByKey(..).\[flat\]mapGroupsWithState(..) with [`group_state`]'s timeouts),
//! analysed into a physical plan ([`dataset::Exec`]), checked against the output mode
//! ([`unsupported_operation_checker`]), and run by [`micro_batch_execution::StreamingQuery`]:
//! triggers, the offset and commit logs, the watermark ([`watermark_tracker`]), the
//! stateful operators ([`stateful_operators`], [`session_window`], [`symmetric_hash_join`]) over checkpointed
//! state ([`state_store`]), a console or memory sink, and a progress report per batch
//! ([`progress_reporter`]).
//!
//! Inspectors for the front ends: [`StreamingQuery::watermark_history`],
//! [`StreamingQuery::state`], [`StreamingQuery::late_rows`], [`StreamingQuery::progress`],
//! [`StreamingQuery::emissions`] (per window: the answer and the processing time it was
//! emitted), [`StreamingQuery::trace`].
//!
//! Where this differs from Spark, deliberately: rows of a batch reach the sink sorted (Spark's
//! order is its hash partitions'); the sink, not the plan, decides printing; a batch's cost
//! is a linear model of its input rows; a worker lost during a batch re-runs all of the
//! batch's tasks (Spark re-runs only the lost executor's), from the source's offsets and the
//! checkpointed state store version.

pub mod console_sink;
pub mod dataset;
pub mod expressions;
pub mod flat_map_groups_with_state;
pub mod group_state;
pub mod incremental_execution;
pub mod join_condition;
pub mod micro_batch_execution;
pub mod offset_seq_log;
pub mod progress_reporter;
pub mod session_window;
pub mod state_store;
pub mod stateful_operators;
pub mod symmetric_hash_join;
pub mod trace;
pub mod types;
pub mod unsupported_operation_checker;
pub mod watermark_tracker;

pub use dataset::{AggExpr, AggFunc, AnalysisError, JoinType, LogicalPlan, Node};
pub use expressions::{BinOp, Expr, Func};
pub use group_state::{FuncOutputMode, GroupFn, GroupFunction, GroupStateImpl, GroupStateTimeout};
pub use micro_batch_execution::{
    Emission, QueryConfig, SinkFormat, SinkWrite, StreamSource, StreamingQuery, Trigger,
};
pub use types::{Cell, DataType, Field, Row, Schema};
pub use unsupported_operation_checker::{check_for_streaming, OutputMode};
pub use watermark_tracker::MultipleWatermarkPolicy;
