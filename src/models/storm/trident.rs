//! Trident (`storm-client/src/jvm/org/apache/storm/trident/`): Storm's micro-batches with
//! transaction ids, and the three kinds of state that Trident's docs ("Trident State")
//! contrast: non-transactional, transactional (`TransactionalMap`) and
//! opaque-transactional (`OpaqueMap`).
//!
//! The master batch coordinator (`MasterBatchCoordinator`) starts a batch every
//! `batch_interval` with the next transaction id; the spout's batch for txid `n` is the
//! records that arrived in its interval (a transactional spout: a replay of `n` holds the
//! same records). The batch's words are counted per key and each key's count is written to
//! a state store that survives every failure (an external database), key by key, and the
//! batch commits; batches commit strictly in txid order. A worker failure while a batch is
//! being written fails the batch after some keys were written: it is replayed with the same
//! txid, and the state decides:
//!
//! | state | stores per key | on a replay of txid n | result |
//! |---|---|---|---|
//! | non-transactional | `value` | adds again | keys written before the failure are counted twice |
//! | transactional | `(value, txid)` | skips a key whose stored txid is n | exactly-once |
//! | opaque | `(prev, value, txid)` | recomputes from `prev` when the txid is n | exactly-once, even if the batch's content changed |
//!
//! The price is latency: a record waits for its batch to close and commit.

use crate::cluster::FaultPlan;
use crate::func::Func;
use crate::io::TimedRecords;
use crate::ledger::Ledger;
use crate::sim::{Duration, Time};
use crate::value::Value;
use std::collections::BTreeMap;

/// Which state a Trident topology persists its counts into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateKind {
    /// A plain map: a replayed batch adds again.
    NonTransactional,
    /// `TransactionalMap`: `(value, txid)`.
    Transactional,
    /// `OpaqueMap`: `(prev, value, txid)`.
    Opaque,
}

/// A Trident word count: `newStream(spout).each(split).groupBy(word)
/// .persistentAggregate(state, new Count())`. Defaults: 500 ms batches, 20 µs per record,
/// 10 µs per state write, 5 s to recover a failed batch, transactional state.
#[derive(Clone, Debug)]
pub struct TridentJob {
    /// How each record becomes words.
    pub split: Func,
    /// The batch interval (a new txid each).
    pub batch_interval: Duration,
    /// Virtual microseconds per record processed.
    pub record_us: f64,
    /// Virtual microseconds per key written to the state.
    pub write_us: f64,
    /// How long until a failed batch is replayed (the batch times out and the worker is
    /// replaced).
    pub recovery: Duration,
    /// The state.
    pub state: StateKind,
    /// Faults: `kill worker-N` fails the batch being processed.
    pub faults: FaultPlan,
}

#[derive(Clone, Debug, Default)]
struct Stored {
    prev: i64,
    value: i64,
    txid: u64,
}

/// The outcome of a Trident run.
#[derive(Clone, Debug)]
pub struct TridentRun {
    /// The counts in the state store at the end.
    pub state: BTreeMap<Value, i64>,
    /// The per-record ledger (written out once per time a record's words entered the state).
    pub ledger: Ledger,
    /// Batches committed and batches replayed.
    pub committed: u64,
    /// Batches that failed and were replayed.
    pub replayed: u64,
    /// Arrival to commit of every record, p50 and p99, virtual ms.
    pub latency_ms: (u64, u64),
}

/// Runs `job` over `source` until every record's batch has committed (at most `until`).
pub fn run(job: &TridentJob, source: &TimedRecords, until: Time) -> TridentRun {
    let mut store: BTreeMap<Value, Stored> = BTreeMap::new();
    // How many times each word (record offset, position) entered the state.
    let mut applied: BTreeMap<(u64, u32), u32> = BTreeMap::new();
    let mut ledger = Ledger::default();
    let mut faults: Vec<Time> = job
        .faults
        .faults
        .iter()
        .filter(|(_, f)| matches!(f, crate::cluster::Fault::KillWorker(_)))
        .map(|(t, _)| *t)
        .collect();
    faults.sort();
    let records: Vec<(Time, u64, Value)> = source
        .iter()
        .enumerate()
        .map(|(o, (t, v))| (t, o as u64, v.clone()))
        .collect();
    let interval = job.batch_interval.ms().max(1);
    let (mut clock, mut txid, mut committed, mut replayed) = (Time::ZERO, 0u64, 0, 0);
    let mut latencies = Vec::new();
    let mut next_record = 0;
    while next_record < records.len() && clock <= until {
        txid += 1;
        // The batch of txid n: the records that arrived in its interval.
        let close = Time(txid * interval);
        let start = next_record;
        while next_record < records.len() && records[next_record].0 < close {
            next_record += 1;
        }
        let batch = &records[start..next_record];
        clock = clock.max(close);
        for (t, o, _) in batch {
            ledger.received(0, &[*o], *t);
            ledger.allocated(0, &[*o], close);
        }
        // groupBy(word) + Count: one aggregate per key, with the words that made it.
        let mut groups: BTreeMap<Value, Vec<(u64, u32)>> = BTreeMap::new();
        for (_, o, v) in batch {
            let words = match job.split.call1(v) {
                Ok(Value::Seq(_, items)) => items.to_vec(),
                Ok(other) => vec![other],
                Err(_) => Vec::new(),
            };
            for (i, w) in words.into_iter().enumerate() {
                groups.entry(w).or_default().push((*o, i as u32));
            }
        }
        let words: usize = groups.values().map(Vec::len).sum();
        loop {
            let processing = Duration::from_ms(
                ((words as f64 * job.record_us + groups.len() as f64 * job.write_us) / 1000.0)
                    .ceil() as u64,
            );
            let done = clock.plus(processing);
            // A worker failure while the batch is written: keys written up to then stay.
            let failure = faults.iter().position(|f| *f >= clock && *f < done);
            let written_keys = match failure {
                Some(i) => {
                    let f = faults.remove(i);
                    let frac = (f.ms() - clock.ms()) as f64 / processing.ms().max(1) as f64;
                    ((groups.len() as f64) * frac).floor() as usize
                }
                None => groups.len(),
            };
            for (key, origins) in groups.iter().take(written_keys) {
                let n = origins.len() as i64;
                let s = store.entry(key.clone()).or_default();
                let apply = match job.state {
                    StateKind::NonTransactional => {
                        s.value += n;
                        true
                    }
                    StateKind::Transactional => {
                        if s.txid == txid {
                            false
                        } else {
                            s.value += n;
                            s.txid = txid;
                            true
                        }
                    }
                    StateKind::Opaque => {
                        if s.txid == txid {
                            // Recompute from prev: the earlier attempt's update is replaced.
                            s.value = s.prev + n;
                            false
                        } else {
                            s.prev = s.value;
                            s.value += n;
                            s.txid = txid;
                            true
                        }
                    }
                };
                if apply {
                    for origin in origins {
                        *applied.entry(*origin).or_insert(0) += 1;
                    }
                }
            }
            match failure {
                Some(_) => {
                    replayed += 1;
                    clock = done.max(clock).plus(job.recovery);
                }
                None => {
                    clock = done;
                    committed += 1;
                    for (t, _, _) in batch {
                        latencies.push(clock.ms() - t.ms());
                    }
                    break;
                }
            }
        }
    }
    let mut times: BTreeMap<u64, u32> = BTreeMap::new();
    for ((o, _), n) in &applied {
        let e = times.entry(*o).or_insert(0);
        *e = (*e).max(*n);
    }
    for (o, n) in times {
        for _ in 0..n {
            ledger.output(0, &[o]);
        }
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    TridentRun {
        state: store.into_iter().map(|(k, s)| (k, s.value)).collect(),
        ledger,
        committed,
        replayed,
        latency_ms: (pct(0.5), pct(0.99)),
    }
}
