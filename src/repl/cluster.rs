//! The REPL's cluster inspectors: `cluster`, `wal`, `checkpoint`, `metrics` and `ledger`,
//! and the block locations `blocks` adds. Each reads the context (never changes it): the
//! cluster's state (`StreamingContext::cluster`), the ledger and the trace.

use crate::check::batches::{BatchRow, BatchState};
use crate::cluster::{Cluster, SinkKind};
use crate::models::dstream::{Event, StreamingContext, TrackerLogEvent};
use crate::models::dstream::{InputKind, Op};
use crate::sim::Time;
use std::collections::BTreeMap;

/// Input streams: (input number, label, kind), in input order.
pub fn inputs(ssc: &StreamingContext) -> Vec<(usize, String, InputKind)> {
    let mut v: Vec<(usize, String, InputKind)> = ssc.with_graph(|g| {
        g.nodes()
            .iter()
            .filter_map(|n| match &n.op {
                Op::Input(i, k) => Some((*i, n.label(), k.clone())),
                _ => None,
            })
            .collect()
    });
    v.sort_by_key(|(i, _, _)| *i);
    v
}

/// Where each receiver runs now (stream name -> worker name, `None` when down), derived
/// from the start rule (receiver k on worker k mod N) and the trace's failures and
/// restarts.
pub fn receivers(ssc: &StreamingContext, cluster: &Cluster) -> BTreeMap<String, Option<String>> {
    let n = cluster.workers.len().max(1);
    let mut at: BTreeMap<String, Option<String>> = inputs(ssc)
        .into_iter()
        .filter(|(_, _, k)| *k == InputKind::Receiver)
        .enumerate()
        .map(|(k, (_, label, _))| (label, Some(cluster.workers[k % n].name.clone())))
        .collect();
    // Read event by event: the trace is kept encoded (a copy of it at 100,000 batches
    // takes about 200 MB).
    ssc.for_each_event(0, |e| match e {
        Event::ReceiverStarted { stream, worker, .. } => {
            at.insert(stream.clone(), Some(worker.clone()));
        }
        Event::WorkerKilled { receivers, .. } => {
            for r in receivers {
                let name = r.split(" (").next().unwrap_or(r).to_string();
                at.insert(name, None);
            }
        }
        Event::DriverKilled { .. } => {
            for w in at.values_mut() {
                *w = None;
            }
        }
        _ => {}
    });
    at
}

/// `cluster`.
pub fn cluster(ssc: &StreamingContext) -> String {
    let c = ssc.cluster();
    let now = ssc.now();
    let mut lines = Vec::new();
    if c.driver_alive {
        lines.push("driver: up".to_string());
    } else {
        let mut down = None;
        ssc.for_each_event(0, |e| {
            if let Event::DriverKilled { time, restart_at } = e {
                down = Some((*time, *restart_at));
            }
        });
        lines.push(match down {
            Some((t, r)) => format!(
                "driver: down since {t} (every executor died with it); the deployment restarts it at {r}"
            ),
            None => "driver: down".into(),
        });
    }
    let recv = receivers(ssc, &c);
    let mut rows = vec![vec![
        "worker".to_string(),
        "state".into(),
        "cores".into(),
        "receivers".into(),
        "blocks held".into(),
    ]];
    for w in &c.workers {
        let here: Vec<&str> = recv
            .iter()
            .filter(|(_, at)| at.as_deref() == Some(w.name.as_str()))
            .map(|(s, _)| s.as_str())
            .collect();
        let state = match (w.alive, c.driver_alive) {
            (true, true) => "up",
            (true, false) => "up (no executor: driver down)",
            (false, _) => "down",
        };
        rows.push(vec![
            w.name.clone(),
            state.into(),
            w.cores.to_string(),
            if here.is_empty() {
                "-".into()
            } else {
                here.join(", ")
            },
            w.blocks.len().to_string(),
        ]);
    }
    lines.push(super::args::table(&rows));
    let down: Vec<&str> = recv
        .iter()
        .filter(|(_, at)| at.is_none())
        .map(|(s, _)| s.as_str())
        .collect();
    if !down.is_empty() {
        lines.push(format!(
            "receivers down (waiting to restart): {}",
            down.join(", ")
        ));
    }
    let cfg = &c.config;
    lines.push(format!(
        "replication: {} ({}); write-ahead log: {}; sink: {}",
        cfg.replication,
        if cfg.replication > 1 {
            "MEMORY_AND_DISK_SER_2"
        } else {
            "MEMORY_AND_DISK_SER, no replica"
        },
        if cfg.wal {
            format!("on, {} blocks logged", c.wal.len())
        } else {
            "off".into()
        },
        match cfg.sink {
            SinkKind::AtLeastOnce => "at-least-once",
            SinkKind::Idempotent => "idempotent",
            SinkKind::Transactional => "transactional",
        }
    ));
    if cfg.faults.faults.is_empty() {
        lines.push("faults: none".into());
    } else {
        lines.push("faults:".into());
        let mut faults: Vec<_> = cfg.faults.faults.iter().collect();
        faults.sort_by_key(|(at, _)| *at);
        for (at, f) in faults {
            let when = if *at <= now { "done" } else { "pending" };
            lines.push(format!("  at {at} {f} ({when})"));
        }
    }
    lines.join("\n")
}

/// Where a block is now, for `blocks`: live executors holding it, the log, and where it was
/// first stored.
pub fn block_location(c: &Cluster, stored: &BTreeMap<String, Vec<String>>, id: &str) -> String {
    let live: Vec<&str> = c
        .workers
        .iter()
        .filter(|w| c.driver_alive && w.alive && w.blocks.contains_key(id))
        .map(|w| w.name.as_str())
        .collect();
    let mut parts = Vec::new();
    if live.is_empty() {
        let was = stored
            .get(id)
            .map(|s| format!(" (stored on {})", s.join(", ")))
            .unwrap_or_default();
        parts.push(format!("in no live executor{was}"));
    } else {
        let what = if live.len() > 1 {
            "replicas"
        } else {
            "one copy"
        };
        parts.push(format!("{what} on {}", live.join(", ")));
    }
    parts.push(if c.wal.contains_key(id) {
        "in the WAL".into()
    } else if c.config.wal {
        "not in the WAL (cleaned up or never logged)".into()
    } else {
        "no WAL".into()
    });
    parts.join("; ")
}

/// Block id -> workers it was stored on, from the trace's `BlockStored` events.
pub fn stored_on(ssc: &StreamingContext) -> BTreeMap<String, Vec<String>> {
    let mut on = BTreeMap::new();
    ssc.for_each_event(0, |e| {
        if let Event::BlockStored {
            block, stored_on, ..
        } = e
        {
            on.insert(block.clone(), stored_on.clone());
        }
    });
    on
}

/// `wal`: the receivers' write-ahead log (the blocks' data), then the ReceivedBlockTracker's
/// own log (block additions, batch allocations, cleanups).
pub fn wal(ssc: &StreamingContext) -> String {
    format!("{}\n{}", receiver_wal(ssc), tracker_log(ssc))
}

/// The ReceivedBlockTracker's log: its segments and its last events.
fn tracker_log(ssc: &StreamingContext) -> String {
    let Some((segments, deleted)) = ssc.tracker_log() else {
        return "tracker log: off (the ReceivedBlockTracker logs to <checkpoint dir>/receivedBlockMetadata only when a checkpoint directory is set): a driver failure loses its queued blocks and allocations".into();
    };
    let events: Vec<&(Time, TrackerLogEvent)> =
        segments.iter().flat_map(|s| s.events.iter()).collect();
    let mut lines = vec![format!(
        "tracker log (receivedBlockMetadata, reliable storage): {} events in {} segment(s) of 60 s, {} older segment(s) deleted by cleanup; a restarted driver replays it",
        events.len(),
        segments.len(),
        deleted
    )];
    const MAX: usize = 12;
    let skip = events.len().saturating_sub(MAX);
    if skip > 0 {
        lines.push(format!("  ... ({skip} older events)"));
    }
    let names: BTreeMap<usize, String> = inputs(ssc).into_iter().map(|(i, l, _)| (i, l)).collect();
    let label = |i: &usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
    for (t, e) in events.into_iter().skip(skip) {
        let text = match e {
            TrackerLogEvent::BlockAddition {
                input,
                block,
                records,
            } => format!(
                "BlockAddition {block} of {} ({records} records)",
                label(input)
            ),
            TrackerLogEvent::BatchAllocation { time, blocks } => {
                let ids: Vec<&str> = blocks
                    .iter()
                    .flat_map(|(_, ids)| ids)
                    .map(|id| &**id)
                    .collect();
                if ids.is_empty() {
                    format!("BatchAllocation {time}: no blocks")
                } else {
                    format!("BatchAllocation {time}: {}", ids.join(", "))
                }
            }
            TrackerLogEvent::BatchCleanup { times } => format!(
                "BatchCleanup {}",
                times
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        lines.push(format!("  {t}: {text}"));
    }
    lines.join("\n")
}

/// The receivers' write-ahead log: the blocks' data on reliable storage.
fn receiver_wal(ssc: &StreamingContext) -> String {
    let c = ssc.cluster();
    if !c.config.wal {
        return "wal: the write-ahead log is off (`[cluster] wal = true` turns it on; it needs a checkpoint directory); received blocks live only in executor memory".into();
    }
    if c.wal.is_empty() {
        return "write-ahead log: on, empty (no block received yet, or all cleaned up)".into();
    }
    let records: usize = c.wal.values().map(|b| b.records.len()).sum();
    let mut lines = vec![format!(
        "write-ahead log: {} blocks, {} records (reliable storage: survives worker and driver failures)",
        c.wal.len(),
        records
    )];
    let names: BTreeMap<usize, String> = inputs(ssc).into_iter().map(|(i, l, _)| (i, l)).collect();
    let mut by_input: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut logged: Vec<_> = c.wal.values().collect();
    logged.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
    for b in logged {
        by_input.entry(b.input).or_default().push(format!(
            "{} ({} records, cut at {})",
            b.id,
            b.records.len(),
            b.time
        ));
    }
    for (input, blocks) in by_input {
        let label = names
            .get(&input)
            .cloned()
            .unwrap_or_else(|| input.to_string());
        lines.push(format!("  {label}:"));
        const MAX: usize = 20;
        let skip = blocks.len().saturating_sub(MAX);
        if skip > 0 {
            lines.push(format!("    ... ({skip} older blocks)"));
        }
        for b in blocks.into_iter().skip(skip) {
            lines.push(format!("    {b}"));
        }
    }
    lines.join("\n")
}

/// `checkpoint`.
pub fn checkpoint(ssc: &StreamingContext) -> String {
    let Some(dir) = ssc.checkpoint_dir() else {
        return "checkpoint: no checkpoint directory is set ([context] checkpoint); after a driver failure the context starts afresh: state, windows and unprocessed batches are lost".into();
    };
    let mut lines = vec![format!("checkpoint directory: {dir}")];
    // One pass over the trace, event by event (it is kept encoded).
    let mut generated: Option<Time> = None;
    let mut rdds: BTreeMap<String, (Time, usize)> = BTreeMap::new();
    let mut restarts = Vec::new();
    ssc.for_each_event(0, |e| match e {
        Event::BatchAllocation { time, .. }
        | Event::BatchCompleted { time, .. }
        | Event::BatchNotProcessed { time, .. } => {
            generated = generated.max(Some(*time));
        }
        Event::RddComputed {
            time,
            stream,
            checkpointed: true,
            ..
        } => {
            let entry = rdds.entry(stream.clone()).or_insert((*time, 0));
            entry.0 = *time;
            entry.1 += 1;
        }
        Event::DriverRestarted { .. } => restarts.push(e.clone()),
        _ => {}
    });
    lines.push(match generated {
        Some(t) => format!(
            "last metadata checkpoint: {t} (derived from the trace: the last batch generated; Spark writes the metadata when a batch's jobs are generated; a recovering driver re-runs the batches from it on)"
        ),
        None => "last metadata checkpoint: none yet (no batch generated)".into(),
    });
    if rdds.is_empty() {
        lines.push("RDD checkpoints: none yet (stateful and windowed streams with an inverse function checkpoint their RDDs every checkpoint interval)".into());
    } else {
        lines.push("RDD checkpoints (lineage cut), latest per stream:".into());
        for (s, (t, n)) in rdds {
            lines.push(format!("  {s}: {t} ({n} so far)"));
        }
    }
    for e in &restarts {
        if let Event::DriverRestarted {
            time,
            recovered_from_checkpoint,
            rerun,
            accumulator_lost,
        } = e
        {
            lines.push(format!(
                "driver restarted at {time}: accumulators start from zero (they are not checkpointed); the records-processed accumulator had counted {accumulator_lost}"
            ));
            lines.push(if *recovered_from_checkpoint {
                format!(
                    "driver restarted at {time}: recovered from the checkpoint, re-ran {}",
                    if rerun.is_empty() {
                        "no batch".into()
                    } else {
                        format!(
                            "{} batches ({} to {})",
                            rerun.len(),
                            rerun[0],
                            rerun[rerun.len() - 1]
                        )
                    }
                )
            } else {
                format!("driver restarted at {time}: no checkpoint to recover from yet")
            });
        }
    }
    lines.join("\n")
}

/// `metrics [n]`: as the Streaming tab, the active batches (queued, and why; running),
/// the last `n` completed batches' figures, the batches that never ran, and whether the job
/// is stable by Spark's rule (the programming guide, "Setting the Right Batch Interval":
/// batches processed as fast as they are generated, so processing time below the batch
/// interval and a scheduling delay that does not grow).
pub fn metrics(rows: &[BatchRow], batch: crate::sim::Duration, n: usize) -> String {
    if rows.is_empty() {
        return "metrics: no batch has been generated yet; run `step` first".into();
    }
    let mut lines = Vec::new();
    let active: Vec<&BatchRow> = rows
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                BatchState::Queued { .. } | BatchState::Running { .. }
            )
        })
        .collect();
    if !active.is_empty() {
        lines.push(format!("active batches ({}):", active.len()));
        let mut table = vec![vec![
            "batch".to_string(),
            "input records".into(),
            "status".into(),
        ]];
        for r in &active {
            let (input, status) = match &r.state {
                BatchState::Running { until } => (
                    r.input_records.to_string(),
                    format!("processing (until {until})"),
                ),
                _ => ("-".to_string(), r.describe()),
            };
            table.push(vec![r.time.to_string(), input, status]);
        }
        lines.push(super::args::table(&table));
    }
    let completed: Vec<&BatchRow> = rows
        .iter()
        .filter(|r| matches!(r.state, BatchState::Completed | BatchState::Running { .. }))
        .filter(|r| r.runs > 0)
        .collect();
    if completed.is_empty() {
        lines.push("completed batches: none".into());
    } else {
        let skip = completed.len().saturating_sub(n);
        lines.push(format!(
            "completed batches (last {} of {}):",
            completed.len() - skip,
            completed.len()
        ));
        let mut table = vec![vec![
            "batch".to_string(),
            "input records".into(),
            "scheduling delay".into(),
            "processing time".into(),
            "total delay".into(),
            "runs".into(),
        ]];
        let ms = |v: Option<u64>| v.map_or("-".to_string(), |v| format!("{v} ms"));
        for r in &completed[skip..] {
            table.push(vec![
                r.time.to_string(),
                r.input_records.to_string(),
                ms(r.scheduling_delay_ms),
                ms(r.processing_time_ms),
                ms(r.total_delay_ms),
                if r.runs > 1 {
                    format!("{} (re-run)", r.runs)
                } else {
                    r.runs.to_string()
                },
            ]);
        }
        lines.push(super::args::table(&table));
    }
    let other: Vec<&BatchRow> = rows
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                BatchState::NeverRun { .. } | BatchState::Failed { .. }
            )
        })
        .collect();
    if !other.is_empty() {
        lines.push(format!("never run or failed ({}):", other.len()));
        for r in other.iter().take(n) {
            lines.push(format!("  {r}"));
        }
        if other.len() > n {
            lines.push(format!("  ... ({} more)", other.len() - n));
        }
    }
    lines.push(stability(rows, &completed, batch));
    lines.join("\n")
}

/// The verdict by Spark's rule: stable when the last 5 completed batches were each
/// processed in less than the batch interval and the scheduling delay did not grow over
/// them; batches that wait for a core mean nothing is processed at all.
fn stability(rows: &[BatchRow], completed: &[&BatchRow], batch: crate::sim::Duration) -> String {
    let starved: Vec<Time> = rows
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                BatchState::Queued {
                    no_free_core: true,
                    ..
                }
            )
        })
        .map(|r| r.time)
        .collect();
    let queued = rows
        .iter()
        .filter(|r| matches!(r.state, BatchState::Queued { .. }))
        .count();
    if let Some(first) = starved.first() {
        return format!(
            "verdict: NOT PROCESSING: batch {first} waits for a free core ({queued} batch{} queued): receivers hold every core, or workers are down",
            if queued == 1 { "" } else { "es" }
        );
    }
    let last: Vec<&&BatchRow> = completed.iter().rev().take(5).rev().collect();
    if last.len() < 3 {
        return format!(
            "verdict: too early to tell ({} completed batch{}; at least 3 needed)",
            last.len(),
            if last.len() == 1 { "" } else { "es" }
        );
    }
    let k = last.len();
    let list = |f: &dyn Fn(&BatchRow) -> Option<u64>| {
        last.iter()
            .map(|r| f(r).map_or("-".into(), |v| v.to_string()))
            .collect::<Vec<String>>()
            .join(", ")
    };
    let processing = list(&|r| r.processing_time_ms);
    let scheduling = list(&|r| r.scheduling_delay_ms);
    let slow: Vec<&&&BatchRow> = last
        .iter()
        .filter(|r| r.processing_time_ms.unwrap_or(0) >= batch.ms())
        .collect();
    let first_delay = last[0].scheduling_delay_ms.unwrap_or(0);
    let last_delay = last[last.len() - 1].scheduling_delay_ms.unwrap_or(0);
    let growing = last_delay > first_delay;
    if slow.is_empty() && !growing {
        let backlog = if queued > 0 {
            format!(
                "; {queued} batch{} still queued (a backlog draining: the delay shrinks)",
                if queued == 1 { " is" } else { "es are" }
            )
        } else {
            String::new()
        };
        return format!(
            "verdict: stable: each of the last {k} batches was processed in less than the batch interval ({batch}; processing times {processing} ms) and the scheduling delay did not grow ({scheduling} ms){backlog}"
        );
    }
    let mut why = Vec::new();
    if !slow.is_empty() {
        why.push(format!(
            "{} of the last {k} batches took at least the batch interval ({batch}) to process ({processing} ms)",
            slow.len()
        ));
    }
    if growing {
        let mut g = format!("the scheduling delay grew ({scheduling} ms)");
        if queued > 0 {
            g.push_str(&format!(
                " and {queued} batch{} wait{} behind the running one",
                if queued == 1 { "" } else { "es" },
                if queued == 1 { "s" } else { "" }
            ));
        }
        why.push(g);
    }
    format!(
        "verdict: FALLING BEHIND: {}; batches are generated faster than they are processed",
        why.join(", and ")
    )
}

/// `ledger [stream] <offset>`.
pub fn ledger(ssc: &StreamingContext, args: &[&str]) -> Result<String, String> {
    let receivers: Vec<(usize, String, InputKind)> = inputs(ssc);
    let names = || {
        receivers
            .iter()
            .map(|(_, l, _)| l.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (input, label, offset) = match args {
        [offset] => {
            if receivers.len() != 1 {
                return Err(format!(
                    "ledger: this scenario has {} input streams ({}); name one, e.g. 'ledger {} {offset}'",
                    receivers.len(),
                    names(),
                    receivers.first().map_or("lines", |r| r.1.as_str())
                ));
            }
            (receivers[0].0, receivers[0].1.clone(), *offset)
        }
        [stream, offset] => match receivers.iter().find(|(_, l, _)| l == stream) {
            Some((i, l, _)) => (*i, l.clone(), *offset),
            None => {
                return Err(format!(
                    "ledger: `{stream}` is not an input stream; input streams are: {}",
                    names()
                ))
            }
        },
        _ => return Err(super::args::usage("ledger")),
    };
    let offset: u64 = offset.parse().map_err(|_| {
        format!("ledger: expected a record offset (0, 1, 2, ... in the source), found `{offset}`; e.g. 'ledger 42'")
    })?;
    let ledger = ssc.ledger();
    let Some(life) = ledger.get((input, offset)) else {
        let known = ledger
            .records()
            .filter(|(id, _)| id.0 == input)
            .map(|(id, _)| id.1);
        let (lo, hi) = known.fold((None, None), |(lo, hi): (Option<u64>, Option<u64>), o| {
            (
                Some(lo.map_or(o, |l| l.min(o))),
                Some(hi.map_or(o, |h| h.max(o))),
            )
        });
        return Err(match (lo, hi) {
            (Some(lo), Some(hi)) => format!(
                "ledger: record {label}#{offset} has not reached a receiver yet; the ledger knows offsets {lo} to {hi} of `{label}`"
            ),
            _ => format!(
                "ledger: nothing of `{label}` is in the ledger yet (only receiver and direct streams are followed); run `step` first"
            ),
        });
    };
    let times = |ts: &[Time]| {
        if ts.is_empty() {
            "-".to_string()
        } else {
            ts.iter()
                .map(Time::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut lines = vec![format!("record {label}#{offset}:")];
    if let Some((at, value)) = ssc.source_record(input, offset) {
        const SHOWN: usize = 200;
        let shown: String = value.chars().take(SHOWN).collect();
        let more = if value.chars().count() > SHOWN {
            " ..."
        } else {
            ""
        };
        lines.push(format!("  content:     {shown}{more}"));
        lines.push(format!("  sent at:     {at}"));
    }
    lines.push(format!("  received:    {}", times(&life.received)));
    lines.push(format!(
        "  blocks:      {}",
        if life.blocks.is_empty() {
            "-".to_string()
        } else {
            life.blocks.join(", ")
        }
    ));
    lines.push(format!(
        "  replicated:  {}",
        if life.replicated { "yes" } else { "no" }
    ));
    lines.push(format!(
        "  logged:      {}",
        if life.logged {
            "yes (in the write-ahead log)"
        } else {
            "no"
        }
    ));
    lines.push(format!("  batches:     {}", times(&life.batches)));
    lines.push(format!(
        "  outputs:     {}",
        match life.outputs {
            0 => "not written out (yet)".to_string(),
            1 => "written out once".to_string(),
            k => format!("written out {k} times (duplicates)"),
        }
    ));
    lines.push(format!(
        "  dropped:     {}",
        match &life.dropped {
            Some((t, why)) => format!("at {t}: {why}"),
            None => "-".into(),
        }
    ));
    Ok(lines.join("\n"))
}
