//! The checkpoint's logs: `OffsetSeqLog` and `CommitLog`
//! (`sql/core/.../execution/streaming/OffsetSeqLog.scala`, `CommitLog.scala`, both
//! `HDFSMetadataLog`s on reliable storage).
//!
//! Before a micro-batch runs, its offsets (the end offset of every source) and its metadata
//! (the watermark it uses, its timestamp, the session's policy) are written to the offset
//! log under its batch id; after the sink has its output, the batch id is written to the
//! commit log with the watermark the next batch will use. A restarted query finds the
//! latest batch in the offset log: committed, it starts the next one; not committed, it
//! runs that batch again with the same offsets and the same watermark, which is what makes
//! a replayable source and an idempotent sink exactly-once.

use serde::Serialize;
use std::collections::BTreeMap;

/// One offset log entry (`OffsetSeq` + `OffsetSeqMetadata`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OffsetSeq {
    /// End offset of each source: records `0..offset` have been read by this batch or an
    /// earlier one.
    pub offsets: Vec<u64>,
    /// `batchWatermarkMs`: the watermark this batch uses.
    pub batch_watermark_ms: i64,
    /// `batchTimestampMs`: the trigger's virtual time.
    pub batch_timestamp_ms: u64,
}

/// The offset log (`offsets/`).
#[derive(Clone, Debug, Default)]
pub struct OffsetSeqLog {
    entries: BTreeMap<u64, OffsetSeq>,
}

impl OffsetSeqLog {
    /// `add(batchId, offsets)`; false (and nothing written) when the id is already there, as
    /// `HDFSMetadataLog.add` refuses to overwrite.
    pub fn add(&mut self, batch_id: u64, entry: OffsetSeq) -> bool {
        if self.entries.contains_key(&batch_id) {
            return false;
        }
        self.entries.insert(batch_id, entry);
        true
    }

    /// `get(batchId)`.
    pub fn get(&self, batch_id: u64) -> Option<&OffsetSeq> {
        self.entries.get(&batch_id)
    }

    /// `getLatest()`.
    pub fn latest(&self) -> Option<(u64, &OffsetSeq)> {
        self.entries.iter().next_back().map(|(k, v)| (*k, v))
    }

    /// Every entry, by batch id.
    pub fn entries(&self) -> &BTreeMap<u64, OffsetSeq> {
        &self.entries
    }
}

/// The commit log (`commits/`): batch id -> `nextBatchWatermarkMs`.
#[derive(Clone, Debug, Default)]
pub struct CommitLog {
    entries: BTreeMap<u64, i64>,
}

impl CommitLog {
    /// `add(batchId, CommitMetadata(nextBatchWatermarkMs))`.
    pub fn add(&mut self, batch_id: u64, next_batch_watermark_ms: i64) {
        self.entries.insert(batch_id, next_batch_watermark_ms);
    }

    /// `getLatest()`.
    pub fn latest(&self) -> Option<(u64, i64)> {
        self.entries.iter().next_back().map(|(k, v)| (*k, *v))
    }

    /// Every entry.
    pub fn entries(&self) -> &BTreeMap<u64, i64> {
        &self.entries
    }
}
