//! The verdict: which guarantee a faulty run kept, judged record by record against its
//! reference run.
//!
//! A faulty run is compared with a reference run of the same scenario and input without
//! faults: a record the reference wrote out once is *lost* if the faulty run never wrote it,
//! *duplicated* if it wrote it more than once. The run is labelled with the strongest
//! guarantee that held, and each loss or duplicate is explained from the faulty run's
//! [`Ledger`].

use crate::ledger::{Ledger, RecordId};
use crate::sim::Time;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// The guarantee a faulty run kept, compared with its reference run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Records the reference wrote out and the faulty run never did.
    pub lost: Vec<RecordId>,
    /// Records the faulty run wrote out more than once.
    pub duplicated: Vec<RecordId>,
    /// Records written exactly once.
    pub delivered_once: usize,
}

impl Verdict {
    /// Compares a faulty run's ledger with its reference run's, over the records the
    /// reference wrote out in batches at or before `cutoff` (the faulty run is given longer,
    /// so that data replayed after a restart has time to come through).
    pub fn compare(reference: &Ledger, faulty: &Ledger, cutoff: Time) -> Verdict {
        let mut lost = Vec::new();
        let mut duplicated = Vec::new();
        let mut delivered_once = 0;
        for (id, r) in reference.records() {
            if r.outputs == 0 || r.batches.first().is_none_or(|b| *b > cutoff) {
                continue;
            }
            match faulty.get(id).map_or(0, |l| l.outputs) {
                0 => lost.push(id),
                1 => delivered_once += 1,
                _ => duplicated.push(id),
            }
        }
        Verdict {
            lost,
            duplicated,
            delivered_once,
        }
    }

    /// `exactly-once`, `at-least-once` (duplicates, no loss), `at-most-once` (loss, no
    /// duplicates) or `none` (both).
    pub fn label(&self) -> &'static str {
        match (self.lost.is_empty(), self.duplicated.is_empty()) {
            (true, true) => "exactly-once",
            (true, false) => "at-least-once",
            (false, true) => "at-most-once",
            (false, false) => "none",
        }
    }

    /// Why a record was lost or duplicated, from the faulty run's ledger and the batch times
    /// that run completed (`ran`).
    pub fn cause(faulty: &Ledger, id: RecordId, ran: &BTreeSet<Time>) -> String {
        let direct = faulty.is_without_receiver(id.0);
        let Some(l) = faulty.get(id) else {
            if direct {
                return "no batch read it (no batch's input covered it: a direct Kafka stream whose context started again without a checkpoint reads from the latest offsets)".into();
            }
            return "never reached a receiver".into();
        };
        if let Some((t, why)) = &l.dropped {
            if l.outputs == 0 {
                return format!("{why} at {t}");
            }
        }
        if l.outputs > 1 {
            if direct {
                return format!(
                    "read by {} batch runs without a receiver (a batch re-run after driver recovery reads the same offset range again) and written out {} times",
                    l.received.len(),
                    l.outputs
                );
            }
            if l.received.len() > 1 {
                return format!(
                    "received {} times (the source sent it again after a receiver restart) and written out {} times",
                    l.received.len(),
                    l.outputs
                );
            }
            return format!(
                "its batch ran {} times (re-run after driver recovery) and each run wrote it out",
                l.outputs
            );
        }
        if l.blocks.is_empty() {
            return "received but never stored in a block".into();
        }
        if l.batches.is_empty() {
            return format!(
                "stored in {} but never allocated to a batch",
                l.blocks.join(", ")
            );
        }
        if !l.batches.iter().any(|b| ran.contains(b)) {
            return format!(
                "allocated to batch {} which never ran (still queued when the check stopped)",
                l.batches
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        format!(
            "allocated to batch {} but its block was gone when the batch ran ({}, {})",
            l.batches
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if l.replicated {
                "replicated"
            } else {
                "not replicated"
            },
            if l.logged {
                "logged"
            } else {
                "not in the write-ahead log"
            }
        )
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.delivered_once == 0 && self.lost.is_empty() && self.duplicated.is_empty() {
            // Not "exactly-once: 0 delivered": with nothing written there is nothing to judge.
            return write!(
                f,
                "nothing to judge: the reference run (without faults) wrote out no record, so no guarantee can be told apart"
            );
        }
        write!(
            f,
            "{}: {} delivered once, {} lost, {} duplicated",
            self.label(),
            self.delivered_once,
            self.lost.len(),
            self.duplicated.len()
        )
    }
}

/// The line `counts (top 10 of N): (k,v) ...` for a record-at-a-time model's keyed counts
/// (Storm's counting bolt, Flink's keyed state): largest first, ties by key, so the line
/// does not depend on any map's order; `None` when there are no counts.
pub fn top_counts(state: &std::collections::BTreeMap<crate::value::Value, i64>) -> Option<String> {
    if state.is_empty() {
        return None;
    }
    let mut top: Vec<_> = state.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let shown: Vec<String> = top
        .iter()
        .take(10)
        .map(|(k, v)| format!("({k},{v})"))
        .collect();
    Some(format!(
        "counts (top 10 of {}): {}",
        top.len(),
        shown.join(" ")
    ))
}
