//! `GroupState` and the user function of `mapGroupsWithState` / `flatMapGroupsWithState`:
//! Spark's `GroupStateImpl.scala` (`sql/core/src/main/scala/org/apache/spark/sql/execution/streaming/`)
//! and the `GroupStateTimeout` kinds. The operator that calls the function batch by batch is
//! [`flat_map_groups_with_state`](super::flat_map_groups_with_state).

use super::types::{Cell, Row, Schema};
use std::fmt;
use std::sync::Arc;

/// `GroupStateTimeout`: when a key with no new data calls the function again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupStateTimeout {
    /// `GroupStateTimeout.NoTimeout`.
    NoTimeout,
    /// `GroupStateTimeout.ProcessingTimeTimeout`: `setTimeoutDuration`, on the batch's
    /// processing time.
    ProcessingTimeTimeout,
    /// `GroupStateTimeout.EventTimeTimeout`: `setTimeoutTimestamp`, on the watermark.
    EventTimeTimeout,
}

impl GroupStateTimeout {
    /// Spark's name (`EventTimeTimeout`).
    pub fn name(self) -> &'static str {
        match self {
            GroupStateTimeout::NoTimeout => "NoTimeout",
            GroupStateTimeout::ProcessingTimeTimeout => "ProcessingTimeTimeout",
            GroupStateTimeout::EventTimeTimeout => "EventTimeTimeout",
        }
    }
}

/// The output mode given to `flatMapGroupsWithState(outputMode, ..)` (`Update` for
/// `mapGroupsWithState`), checked against the query's by the
/// [`unsupported_operation_checker`](super::unsupported_operation_checker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncOutputMode {
    /// `OutputMode.Append`.
    Append,
    /// `OutputMode.Update`.
    Update,
}

/// `GroupStateImpl`: the state of one key during one call of the function. Errors are
/// Spark's exception class and message (`IllegalArgumentException: Timeout duration must be
/// positive`).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupStateImpl {
    value: Option<Row>,
    updated: bool,
    removed: bool,
    timeout_ms: Option<i64>,
    batch_processing_ms: i64,
    watermark_ms: i64,
    timeout_conf: GroupStateTimeout,
    has_timed_out: bool,
    watermark_present: bool,
}

impl GroupStateImpl {
    /// `createForStreaming`: the stored value (if any), the batch's processing time and
    /// watermark for eviction (ms), the timeout kind, whether this call is a timeout, and
    /// whether the query defines a watermark.
    pub fn new(
        value: Option<Row>,
        batch_processing_ms: i64,
        watermark_ms: i64,
        timeout_conf: GroupStateTimeout,
        has_timed_out: bool,
        watermark_present: bool,
    ) -> Self {
        GroupStateImpl {
            value,
            updated: false,
            removed: false,
            timeout_ms: None,
            batch_processing_ms,
            watermark_ms,
            timeout_conf,
            has_timed_out,
            watermark_present,
        }
    }

    /// `exists`.
    pub fn exists(&self) -> bool {
        self.value.is_some()
    }

    /// `get`.
    ///
    /// # Errors
    /// `NoSuchElementException` when there is no state.
    pub fn get(&self) -> Result<&Row, String> {
        self.value.as_ref().ok_or_else(|| {
            "NoSuchElementException: State is either not defined or has already been removed"
                .to_string()
        })
    }

    /// `getOption`.
    pub fn get_option(&self) -> Option<&Row> {
        self.value.as_ref()
    }

    /// `update(newValue)`.
    ///
    /// # Errors
    /// `IllegalArgumentException` for a null state.
    pub fn update(&mut self, v: Row) -> Result<(), String> {
        if v.is_empty() || (v.len() == 1 && v[0] == Cell::Null) {
            return Err("IllegalArgumentException: 'null' is not a valid state value".into());
        }
        self.value = Some(v);
        self.updated = true;
        self.removed = false;
        Ok(())
    }

    /// `remove()`.
    pub fn remove(&mut self) {
        self.value = None;
        self.updated = false;
        self.removed = true;
    }

    /// `hasTimedOut`.
    pub fn has_timed_out(&self) -> bool {
        self.has_timed_out
    }

    /// `setTimeoutDuration(durationMs)`: times out at the batch's processing time plus
    /// `duration_ms`.
    ///
    /// # Errors
    /// Without `ProcessingTimeTimeout`, or a duration that is not positive.
    pub fn set_timeout_duration(&mut self, duration_ms: i64) -> Result<(), String> {
        if self.timeout_conf != GroupStateTimeout::ProcessingTimeTimeout {
            return Err("SparkUnsupportedOperationException: Cannot set timeout duration without enabling processing time timeout in [map|flatMap]GroupsWithState.".into());
        }
        if duration_ms <= 0 {
            return Err("IllegalArgumentException: Timeout duration must be positive".into());
        }
        self.timeout_ms = Some(duration_ms + self.batch_processing_ms);
        Ok(())
    }

    /// `setTimeoutTimestamp(timestampMs)`: times out when the watermark passes it.
    ///
    /// # Errors
    /// Without `EventTimeTimeout`, a timestamp that is not positive, or one below the
    /// current watermark.
    pub fn set_timeout_timestamp(&mut self, ts_ms: i64) -> Result<(), String> {
        if self.timeout_conf != GroupStateTimeout::EventTimeTimeout {
            return Err("SparkUnsupportedOperationException: Cannot set timeout timestamp without enabling event time timeout in [map|flatMapGroupsWithState.".into());
        }
        if ts_ms <= 0 {
            return Err("IllegalArgumentException: Timeout timestamp must be positive".into());
        }
        if ts_ms < self.watermark_ms {
            return Err(format!(
                "IllegalArgumentException: Timeout timestamp ({ts_ms}) cannot be earlier than the current watermark ({})",
                self.watermark_ms
            ));
        }
        self.timeout_ms = Some(ts_ms);
        Ok(())
    }

    /// `getCurrentWatermarkMs()`.
    ///
    /// # Errors
    /// When the query defines no watermark.
    pub fn current_watermark_ms(&self) -> Result<i64, String> {
        if !self.watermark_present {
            return Err("SparkUnsupportedOperationException: Cannot get event time watermark timestamp without setting watermark before [map|flatMap]GroupsWithState.".into());
        }
        Ok(self.watermark_ms)
    }

    /// `getCurrentProcessingTimeMs()`: the batch's timestamp (virtual ms).
    pub fn current_processing_time_ms(&self) -> i64 {
        self.batch_processing_ms
    }

    /// The timeout kind.
    pub fn timeout_conf(&self) -> GroupStateTimeout {
        self.timeout_conf
    }

    /// `hasRemoved` (internal API): whether `remove()` was the last change.
    pub fn has_removed(&self) -> bool {
        self.removed
    }

    /// `hasUpdated` (internal API): whether `update(..)` was the last change.
    pub fn has_updated(&self) -> bool {
        self.updated
    }

    /// `getTimeoutTimestamp` (internal API): the timeout this call set, ms.
    pub fn timeout_timestamp(&self) -> Option<i64> {
        self.timeout_ms
    }
}

/// The user's function and key function of `groupByKey(..).flatMapGroupsWithState(..)(f)`,
/// provided by the layer that parsed them. Errors are messages in Spark's words (the
/// exception class first).
pub trait GroupFunction: Send + Sync {
    /// Its name, for plans and messages.
    fn name(&self) -> &str;
    /// The key of an input row (`groupByKey`'s function), encoded as cells.
    ///
    /// # Errors
    /// A failure of the key function on the row.
    fn key(&self, input: &Schema, row: &Row) -> Result<Row, String>;
    /// One call: the key, its rows of this batch (none for a timeout), the state; returns
    /// the output rows (one for `mapGroupsWithState`).
    ///
    /// # Errors
    /// A failure of the function (e.g. `get` on an absent state).
    fn call(
        &self,
        input: &Schema,
        key: &Row,
        rows: Vec<Row>,
        state: &mut GroupStateImpl,
    ) -> Result<Vec<Row>, String>;
}

/// A shared [`GroupFunction`]; equal when it is the same function.
#[derive(Clone)]
pub struct GroupFn(pub Arc<dyn GroupFunction>);

impl fmt::Debug for GroupFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupFn({})", self.0.name())
    }
}

impl PartialEq for GroupFn {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
