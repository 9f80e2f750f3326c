//! The state of the stateful operators and its checkpoints: Spark's `StateStore` with the
//! `HDFSBackedStateStoreProvider` (`sql/core/.../execution/streaming/state/`). Each
//! micro-batch that commits writes version `batchId + 1` of every operator's store to the
//! checkpoint location (reliable storage, which a driver failure spares); a restarted query
//! loads the version of its last committed batch. `spark.sql.streaming.minBatchesToRetain`
//! (100) versions are kept.

use super::types::{Cell, Row};
use crate::event_time::EventTime;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The running buffer of one aggregate (the aggregation buffer Spark stores per key).
#[derive(Clone, Debug, PartialEq)]
pub enum AggBuffer {
    /// `count`: rows (or non-null values) so far.
    Count(i64),
    /// `sum` over longs (NULL until a non-null value).
    SumLong(Option<i64>),
    /// `sum` over doubles.
    SumDouble(Option<f64>),
    /// `avg`: sum and count of non-null values.
    Avg(f64, i64),
    /// `min` so far.
    Min(Option<Cell>),
    /// `max` so far.
    Max(Option<Cell>),
}

impl AggBuffer {
    /// The aggregate's value.
    pub fn result(&self) -> Cell {
        match self {
            AggBuffer::Count(n) => Cell::Long(*n),
            AggBuffer::SumLong(s) => s.map_or(Cell::Null, Cell::Long),
            AggBuffer::SumDouble(s) => s.map_or(Cell::Null, Cell::Double),
            AggBuffer::Avg(_, 0) => Cell::Null,
            AggBuffer::Avg(s, n) => Cell::Double(s / *n as f64),
            AggBuffer::Min(c) | AggBuffer::Max(c) => c.clone().unwrap_or(Cell::Null),
        }
    }

    /// Merges another buffer of the same function (`merge` of the declarative aggregate).
    pub fn merge(&mut self, other: &AggBuffer) {
        match (self, other) {
            (AggBuffer::Count(a), AggBuffer::Count(b)) => *a += b,
            (AggBuffer::SumLong(a), AggBuffer::SumLong(Some(b))) => {
                *a = Some(a.unwrap_or(0).wrapping_add(*b));
            }
            (AggBuffer::SumDouble(a), AggBuffer::SumDouble(Some(b))) => {
                *a = Some(a.unwrap_or(0.0) + b);
            }
            (AggBuffer::Avg(s, n), AggBuffer::Avg(s2, n2)) => {
                *s += s2;
                *n += n2;
            }
            (AggBuffer::Min(a), AggBuffer::Min(Some(b))) if a.as_ref().is_none_or(|x| b < x) => {
                *a = Some(b.clone());
            }
            (AggBuffer::Max(a), AggBuffer::Max(Some(b))) if a.as_ref().is_none_or(|x| b > x) => {
                *a = Some(b.clone());
            }
            _ => {}
        }
    }
}

/// A stored row of a stream-stream join side, and whether it has matched (for outer joins).
#[derive(Clone, Debug, PartialEq)]
pub struct JoinStateRow {
    /// The row.
    pub row: Row,
    /// Its event time (for eviction).
    pub time: Option<EventTime>,
    /// Whether a row of the other side matched it.
    pub matched: bool,
}

/// One key's stored state (`FlatMapGroupsWithStateExecHelper.StateData`): the encoded value
/// (none after `remove()` with a timeout still set) and the timeout timestamp.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupStateRow {
    /// The state value.
    pub value: Option<Row>,
    /// The timeout timestamp, ms (`NO_TIMESTAMP` = none).
    pub timeout_ms: Option<i64>,
}

/// One operator's store.
#[derive(Clone, Debug, PartialEq)]
pub enum OperatorState {
    /// A streaming aggregation: key -> buffers.
    Aggregate(BTreeMap<Row, Vec<AggBuffer>>),
    /// A streaming deduplication: key -> the event time of the first row (for eviction).
    Deduplicate(BTreeMap<Row, Option<EventTime>>),
    /// A stream-stream join: the left and right rows kept.
    Join(Vec<JoinStateRow>, Vec<JoinStateRow>),
    /// `[flat]mapGroupsWithState`: key -> state value and timeout.
    GroupsWithState(BTreeMap<Row, GroupStateRow>),
}

impl OperatorState {
    /// Rows in the store (`numRowsTotal`).
    pub fn len(&self) -> usize {
        match self {
            OperatorState::Aggregate(m) => m.len(),
            OperatorState::Deduplicate(m) => m.len(),
            OperatorState::Join(l, r) => l.len() + r.len(),
            OperatorState::GroupsWithState(m) => m.len(),
        }
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The store's contents as printable lines, sorted by key.
    pub fn describe(&self) -> Vec<String> {
        let row = |r: &Row| r.iter().map(Cell::to_string).collect::<Vec<_>>().join(", ");
        match self {
            OperatorState::Aggregate(m) => m
                .iter()
                .map(|(k, v)| {
                    let vals: Vec<String> = v.iter().map(|b| b.result().to_string()).collect();
                    format!("[{}] -> [{}]", row(k), vals.join(", "))
                })
                .collect(),
            OperatorState::Deduplicate(m) => m
                .iter()
                .map(|(k, t)| {
                    format!(
                        "[{}]{}",
                        row(k),
                        t.map(|t| format!(" (event time {t})")).unwrap_or_default()
                    )
                })
                .collect(),
            OperatorState::Join(l, r) => l
                .iter()
                .map(|s| ("left", s))
                .chain(r.iter().map(|s| ("right", s)))
                .map(|(side, s)| {
                    format!(
                        "{side}: [{}]{}",
                        row(&s.row),
                        if s.matched { " matched" } else { "" }
                    )
                })
                .collect(),
            OperatorState::GroupsWithState(m) => m
                .iter()
                .map(|(k, s)| {
                    format!(
                        "[{}] -> {}{}",
                        row(k),
                        s.value
                            .as_ref()
                            .map_or("(removed)".to_string(), |v| format!("[{}]", row(v))),
                        s.timeout_ms
                            .map(|t| format!(" (timeout at {})", EventTime(t)))
                            .unwrap_or_default()
                    )
                })
                .collect(),
        }
    }
}

/// All operators' stores of a query, by operator id. Shared (`Arc`) between the running
/// query and the checkpoint versions, so a checkpoint costs a pointer copy of the
/// unchanged operators.
pub type StateStores = BTreeMap<usize, Arc<OperatorState>>;

/// The checkpointed versions of the stores (`HDFSBackedStateStoreProvider`'s delta and
/// snapshot files, on reliable storage).
#[derive(Clone, Debug, Default)]
pub struct StateCheckpoint {
    versions: BTreeMap<u64, StateStores>,
}

/// `spark.sql.streaming.minBatchesToRetain`.
pub const MIN_BATCHES_TO_RETAIN: u64 = 100;

impl StateCheckpoint {
    /// Writes `version` (= committed batch id + 1) and drops versions older than the
    /// retained ones.
    pub fn commit(&mut self, version: u64, stores: &StateStores) {
        self.versions.insert(version, stores.clone());
        let keep_from = version.saturating_sub(MIN_BATCHES_TO_RETAIN);
        self.versions = self.versions.split_off(&keep_from);
    }

    /// Loads `version` (0: empty stores).
    pub fn load(&self, version: u64) -> StateStores {
        self.versions.get(&version).cloned().unwrap_or_default()
    }

    /// The versions kept.
    pub fn versions(&self) -> Vec<u64> {
        self.versions.keys().copied().collect()
    }
}
