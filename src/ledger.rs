//! The per-record ledger: what happened to every input record.
//!
//! The [`Ledger`] follows each record (identified by its input stream and offset in the
//! source) through the steps where Spark Streaming can lose or repeat it (the guide's
//! "Semantics of Received Data"): received by a receiver, stored in a block, replicated,
//! logged to the write-ahead log, allocated to a batch, and written out by a completed batch.
//!
//! A model writes it through its ledger hooks (`received`, `stored`, `allocated`, `output`,
//! `dropped`) as records move; the checker (`check::verdict`) reads it afterwards and compares
//! a faulty run with its reference run. It lives on the shared floor, below every model and
//! above nothing but `sim`, so that models can write it without importing the checker
//! (ARCHITECTURE.md, "Layers").

use crate::sim::Time;
use serde::Serialize;
use std::collections::BTreeMap;

/// A record's identity: (input stream number, offset in its source).
pub type RecordId = (usize, u64);

/// A record's few times or blocks, held in place (no allocation) up to `N` of them: almost
/// every record is received once, stored in one block and allocated to one batch, and a run
/// records millions (issue 15: a heap `Vec` per field was a third of the ledger's cost).
/// Read it as a slice.
pub type Few<T, const N: usize> = smallvec::SmallVec<[T; N]>;

/// The life of one input record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecordLife {
    /// Times a receiver received it (twice when a reliable source sent it again).
    pub received: Few<Time, 2>,
    /// Blocks it was stored in.
    pub blocks: Few<std::sync::Arc<str>, 1>,
    /// Whether some block holding it was replicated to a second executor.
    pub replicated: bool,
    /// Whether some block holding it reached the write-ahead log.
    pub logged: bool,
    /// Batches it was allocated to.
    pub batches: Few<Time, 2>,
    /// Times a completed batch wrote it out (counting re-runs for an at-least-once sink).
    pub outputs: u32,
    /// Why it was dropped, if it was: `(when, what destroyed it)`.
    pub dropped: Option<(Time, String)>,
}

/// Per-record ledger of one run.
///
/// Records are kept in shared chunks of 1,024 consecutive offsets; a clone (a snapshot for
/// time travel) shares them, and a write copies only the chunk it touches, which is almost
/// always a recent one.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    chunks: BTreeMap<(usize, u64), std::sync::Arc<Vec<Option<RecordLife>>>>,
    /// Inputs read without a receiver (direct Kafka, files, queues): each batch reads its
    /// records itself, so "received" means "read by a batch".
    without_receiver: std::collections::BTreeSet<usize>,
    /// State updates of records that were lost after they were made: `(when, what
    /// destroyed them)` per record (a Storm bolt's in-memory counts die with its worker).
    /// Kept beside the records' lives, so a model that never loses state leaves them as
    /// they were.
    state_lost: BTreeMap<RecordId, Vec<(Time, String)>>,
}

impl Ledger {
    const CHUNK_BITS: u32 = 10;
    const CHUNK: usize = 1 << Self::CHUNK_BITS;

    /// Applies `f` to the lives of `offsets` of `input` (looking each chunk up once per run
    /// of offsets in it).
    fn each(&mut self, input: usize, offsets: &[u64], mut f: impl FnMut(&mut RecordLife)) {
        let mut i = 0;
        while i < offsets.len() {
            let key = (input, offsets[i] >> Self::CHUNK_BITS);
            let chunk = self
                .chunks
                .entry(key)
                .or_insert_with(|| std::sync::Arc::new(vec![None; Self::CHUNK]));
            let chunk = std::sync::Arc::make_mut(chunk);
            while i < offsets.len() && offsets[i] >> Self::CHUNK_BITS == key.1 {
                let slot = (offsets[i] as usize) & (Self::CHUNK - 1);
                f(chunk[slot].get_or_insert_with(RecordLife::default));
                i += 1;
            }
        }
    }

    /// A receiver received the records.
    pub fn received(&mut self, input: usize, offsets: &[u64], t: Time) {
        self.each(input, offsets, |l| l.received.push(t));
    }

    /// The records were destroyed before they reached a block (or never reached a receiver).
    pub fn dropped(&mut self, input: usize, offsets: &[u64], t: Time, why: &str) {
        self.each(input, offsets, |l| l.dropped = Some((t, why.to_string())));
    }

    /// State updates the records had made were lost at `t` (`why`: what held them and what
    /// destroyed it, e.g. a worker's death taking a bolt's in-memory counts). Additive: the
    /// records' outputs stay counted; [`Ledger::state_lost_for_good`] judges them.
    pub fn state_lost(&mut self, input: usize, offsets: &[u64], t: Time, why: &str) {
        for o in offsets {
            self.state_lost
                .entry((input, *o))
                .or_default()
                .push((t, why.to_string()));
        }
    }

    /// The state losses recorded for a record (see [`Ledger::state_lost`]).
    pub fn state_losses(&self, id: RecordId) -> &[(Time, String)] {
        self.state_lost.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Whether a record's effect on the state is gone for good: some of its state updates
    /// were lost and the record was not received (emitted) again after the last loss (a
    /// replay re-applies the updates, so only records already complete, and so never
    /// replayed, keep the loss).
    pub fn state_lost_for_good(&self, id: RecordId) -> bool {
        match self.state_losses(id).last() {
            Some((t, _)) => self
                .get(id)
                .and_then(|l| l.received.last())
                .is_none_or(|r| r <= t),
            None => false,
        }
    }

    /// The records whose state updates are lost for good ([`Ledger::state_lost_for_good`]),
    /// in id order, with the last loss's time and cause.
    pub fn states_lost(&self) -> Vec<(RecordId, Time, String)> {
        self.state_lost
            .iter()
            .filter(|(id, _)| self.state_lost_for_good(**id))
            .filter_map(|(id, l)| l.last().map(|(t, w)| (*id, *t, w.clone())))
            .collect()
    }

    /// The records were stored in `block`.
    pub fn stored(
        &mut self,
        input: usize,
        offsets: &[u64],
        block: &std::sync::Arc<str>,
        replicated: bool,
        logged: bool,
    ) {
        self.each(input, offsets, |l| {
            l.blocks.push(std::sync::Arc::clone(block));
            l.replicated |= replicated;
            l.logged |= logged;
        });
    }

    /// [`Ledger::received`] at `t` then [`Ledger::stored`] in `block`, in one pass over the
    /// records: the block generator cut a block of exactly the records it had just received
    /// (the usual block tick). The lives read back the same as after the two calls.
    pub fn received_and_stored(
        &mut self,
        input: usize,
        offsets: &[u64],
        t: Time,
        block: &std::sync::Arc<str>,
        replicated: bool,
        logged: bool,
    ) {
        self.each(input, offsets, |l| {
            l.received.push(t);
            l.blocks.push(std::sync::Arc::clone(block));
            l.replicated |= replicated;
            l.logged |= logged;
        });
    }

    /// The records were allocated to batch `t`.
    pub fn allocated(&mut self, input: usize, offsets: &[u64], t: Time) {
        self.each(input, offsets, |l| l.batches.push(t));
    }

    /// A completed batch wrote the records out.
    pub fn output(&mut self, input: usize, offsets: &[u64]) {
        self.each(input, offsets, |l| l.outputs += 1);
    }

    /// An idempotent sink overwrote the output that had written the records (a re-run of
    /// their batch wrote other contents under the same key): they are no longer written out.
    pub fn output_overwritten(&mut self, input: usize, offsets: &[u64]) {
        self.each(input, offsets, |l| l.outputs = l.outputs.saturating_sub(1));
    }

    /// Input `input` has no receiver: its batches read their records themselves (a direct
    /// Kafka stream's offset ranges, new files, a queue).
    pub fn mark_without_receiver(&mut self, input: usize) {
        self.without_receiver.insert(input);
    }

    /// Whether input `input` has no receiver (see [`Ledger::mark_without_receiver`]).
    pub fn is_without_receiver(&self, input: usize) -> bool {
        self.without_receiver.contains(&input)
    }

    /// One record's life.
    pub fn get(&self, id: RecordId) -> Option<&RecordLife> {
        let slot = (id.1 as usize) & (Self::CHUNK - 1);
        self.chunks
            .get(&(id.0, id.1 >> Self::CHUNK_BITS))?
            .get(slot)?
            .as_ref()
    }

    /// Every record's life, in id order.
    pub fn records(&self) -> impl Iterator<Item = (RecordId, &RecordLife)> {
        self.chunks.iter().flat_map(|((input, c), chunk)| {
            chunk.iter().enumerate().filter_map(move |(slot, l)| {
                l.as_ref()
                    .map(|l| ((*input, (c << Self::CHUNK_BITS) | slot as u64), l))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// The block tick's one-pass note (`received_and_stored`) leaves every life as
    /// `received` then `stored` do, across a chunk boundary and on records already
    /// received once (a replay).
    #[test]
    fn received_and_stored_reads_back_as_the_two_calls() {
        let block: Arc<str> = Arc::from("input-0-7");
        let offsets: Vec<u64> = (1020..1030).collect();
        let mut two = Ledger::default();
        let mut one = Ledger::default();
        for l in [&mut two, &mut one] {
            l.received(0, &[1021, 1025], Time(100));
        }
        two.received(0, &offsets, Time(200));
        two.stored(0, &offsets, &block, true, false);
        one.received_and_stored(0, &offsets, Time(200), &block, true, false);
        let a: Vec<_> = two.records().collect();
        let b: Vec<_> = one.records().collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 10);
        let life = one.get((0, 1021)).expect("recorded");
        assert_eq!(life.received.as_slice(), [Time(100), Time(200)]);
        assert_eq!(&*life.blocks[0], "input-0-7");
        assert!(life.replicated && !life.logged);
    }
}
