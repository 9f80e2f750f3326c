//! Time travel: snapshots of the context after batches, and the faults the user injected.
//!
//! After every batch the session keeps a [`Snapshot`] of the whole context, in a bounded
//! map: every batch of the last [`RECENT`] batches, every [`SPARSE`]th batch before them up
//! to [`MIDDLE`] batches back, every [`RARE`]th beyond (plus the state before the first
//! batch). A snapshot clones the driver's `Core`: the trace's full chunks, blocks and RDD
//! data are shared, and each new snapshot shares RDD data identical to the previous
//! snapshot's ([`Snapshot::share_data_with`]: a window over idle input is recomputed equal
//! every slide, 2.6 MB per `wordcount` snapshot before). `back` and `goto` restore the nearest
//! snapshot at or before the target and step forward from it; the engine is deterministic,
//! so the replay is exact.
//!
//! Faults typed at the prompt are part of the session's timeline: they are kept here in
//! order and, since every injected fault acts strictly after the instant it was typed at
//! (a fault "now" acts 1 ms later), re-injecting the ones a snapshot does not hold right
//! after restoring it reproduces the run exactly. A new fault invalidates the snapshots at
//! or after its time.

use crate::cluster::Fault;
use crate::models::dstream::Snapshot;
use crate::models::dstream::StreamingContext;
use crate::sim::{Duration, Time};
use std::collections::BTreeMap;

/// Batches kept one by one, counting back from the newest snapshot.
pub const RECENT: u64 = 50;
/// Before those, one batch in this many is kept, for the last [`MIDDLE`] batches ...
pub const SPARSE: u64 = 10;
/// ... (counting back from the newest snapshot) ...
pub const MIDDLE: u64 = 2000;
/// ... and one in this many before. Each snapshot keeps about 40 KB of its own on
/// `wordcount` (the trace's newest events, encoded; the receiver tracker; RDD data not
/// shared with the previous snapshot), so their number is kept small; the replay from one
/// to the next (up to 99 idle batches at about 1 ms) bounds `goto`'s time.
pub const RARE: u64 = 100;

/// The snapshots and injected faults of a session.
pub struct History {
    /// Snapshot key (the clock when it was taken) -> (snapshot, number of injected faults
    /// it holds).
    snapshots: BTreeMap<Time, (Snapshot, usize)>,
    /// Faults injected at the prompt, in order: `(when it acts, what)`.
    injected: Vec<(Time, Fault)>,
    zero: Time,
    batch: Duration,
}

impl History {
    /// A history holding the context's current state as its first snapshot.
    pub fn new(ssc: &StreamingContext) -> History {
        let zero = ssc.with_graph(|g| g.zero_time());
        let batch = ssc.config().batch_interval;
        let mut snapshots = BTreeMap::new();
        snapshots.insert(ssc.now(), (ssc.snapshot(), 0));
        History {
            snapshots,
            injected: Vec::new(),
            zero,
            batch,
        }
    }

    /// The batch number of a time (batch 1 is the first batch after zero time).
    pub fn batch_number(&self, t: Time) -> u64 {
        t.ms().saturating_sub(self.zero.ms()) / self.batch.ms().max(1)
    }

    /// The time of batch `k`.
    pub fn batch_time(&self, k: u64) -> Option<Time> {
        k.checked_mul(self.batch.ms())
            .and_then(|ms| ms.checked_add(self.zero.ms()))
            .map(Time)
    }

    /// Whether a snapshot at `key` stays when the newest is at `newest`: every batch of the
    /// last [`RECENT`], every [`SPARSE`]th of the last [`MIDDLE`], every [`RARE`]th before
    /// (and the state before the first batch).
    fn keeps(&self, key: Time, newest: Time) -> bool {
        if key <= self.zero {
            return true;
        }
        let age = self
            .batch_number(newest)
            .saturating_sub(self.batch_number(key));
        if age < RECENT {
            return true;
        }
        let k = self.batch_number(key);
        key.is_aligned(self.zero, self.batch)
            && (k.is_multiple_of(RARE) || (k.is_multiple_of(SPARSE) && age < MIDDLE))
    }

    /// Records the context's state now (after a batch), if the thinning would keep it when
    /// the run ends at `horizon`, then thins the map.
    pub fn record(&mut self, ssc: &StreamingContext, horizon: Time) {
        let key = ssc.now();
        if self.snapshots.contains_key(&key) {
            // The same instant of the same timeline: the same state.
            return;
        }
        let newest = self
            .snapshots
            .keys()
            .next_back()
            .copied()
            .unwrap_or(key)
            .max(key)
            .max(horizon);
        if !self.keeps(key, newest) {
            return;
        }
        let mut snap = ssc.snapshot();
        if let Some((_, (older, _))) = self.snapshots.range(..key).next_back() {
            snap.share_data_with(older);
            ssc.adopt_data_of(&snap);
        }
        self.snapshots.insert(key, (snap, self.injected.len()));
        let newest = self.snapshots.keys().next_back().copied().unwrap_or(key);
        let old: Vec<Time> = self
            .snapshots
            .keys()
            .copied()
            .filter(|k| !self.keeps(*k, newest))
            .collect();
        for k in old {
            self.snapshots.remove(&k);
        }
    }

    /// The faults injected at the prompt, in order: `(when it acts, what)`.
    pub fn injected_faults(&self) -> &[(Time, Fault)] {
        &self.injected
    }

    /// Records a fault injected at the prompt (already scheduled in the context): the
    /// snapshots at or after its time no longer hold the future; the others get it again
    /// when restored. The snapshot of the current instant is retaken with it.
    pub fn injected(&mut self, ssc: &StreamingContext, at: Time, fault: Fault) {
        self.injected.push((at, fault));
        self.snapshots.retain(|k, _| *k < at);
        let now = ssc.now();
        if self.snapshots.contains_key(&now) {
            self.snapshots
                .insert(now, (ssc.snapshot(), self.injected.len()));
        }
    }

    /// Restores the latest snapshot at or before `target` (re-injecting the faults it does
    /// not hold) and returns its key; `None` (and nothing restored) when there is none or it
    /// is not later than `not_before` (stepping on from the current state is as good).
    pub fn restore_before(
        &self,
        ssc: &StreamingContext,
        target: Time,
        not_before: Option<Time>,
    ) -> Option<Time> {
        let (key, (snap, held)) = self.snapshots.range(..=target).next_back()?;
        if not_before.is_some_and(|t| *key <= t) {
            return None;
        }
        ssc.restore(snap);
        for (at, fault) in &self.injected[(*held).min(self.injected.len())..] {
            // Cannot fail: the worker existed when the fault was first injected.
            let _ = ssc.inject(*at, fault.clone());
        }
        Some(*key)
    }
}
