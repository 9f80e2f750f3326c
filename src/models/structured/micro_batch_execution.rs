//! The micro-batch loop on the virtual clock: Spark's `MicroBatchExecution`
//! (`sql/core/.../execution/streaming/MicroBatchExecution.scala`) with its trigger executors
//! (`TriggerExecutor.scala`: `ProcessingTimeExecutor`, `SingleBatchExecutor`,
//! `MultiBatchExecutor`).
//!
//! Each trigger runs `constructNextBatch`: the sources' latest offsets, and the watermark the
//! tracker computed at the end of the previous batch; a batch runs if there is new data or
//! (with `spark.sql.streaming.noDataMicroBatches.enabled`) if the last execution's stateful
//! operators need another batch because the watermark moved (`shouldRunAnotherBatch`). The
//! batch's offsets and watermark go to the offset log first; then `runBatch` executes the
//! plan, the sink gets the output, the tracker updates the watermark from the event times
//! seen, and the commit log and the state store checkpoint record the batch.
//!
//! Time: a batch takes `batch_base_ms + rows * row_cost_us / 1000` of virtual time, then the
//! commit log write takes `commit_ms`. A `ProcessingTime(interval)` trigger fires at the next
//! multiple of the interval after the previous batch ends (`ProcessingTimeExecutor.nextBatchTime`);
//! the default trigger fires again as soon as a batch ends, polling every 10 ms
//! (`spark.sql.streaming.pollingDelay`) when there is nothing to do.
//!
//! A driver failure (`at 6s kill driver`) loses the running batch and every in-memory
//! structure; after the cluster's driver restart delay the query restarts from its
//! checkpoint (`populateStartOffsets`): the offset log, the commit log and the state store
//! versions, which live on reliable storage.

use super::console_sink::{batch_header, show};
use super::dataset::{Analyzed, Exec};
use super::incremental_execution::{execute, should_run_another_batch, BatchInput};
use super::offset_seq_log::{CommitLog, OffsetSeq, OffsetSeqLog};
use super::progress_reporter::{
    iso, per_second, SinkProgress, SourceProgress, StreamingQueryProgress,
};
use super::state_store::{StateCheckpoint, StateStores};
use super::stateful_operators::LateRow;
use super::trace::StructuredEvent;
use super::types::{Row, Schema};
use super::unsupported_operation_checker::OutputMode;
use super::watermark_tracker::{MultipleWatermarkPolicy, WatermarkTracker};
use crate::cluster::{Fault, FaultPlan};
use crate::event_time::{EventTime, TimeWindow};
use crate::ledger::Ledger;
use crate::sim::{Duration, Time};
use std::collections::BTreeSet;

/// `Trigger`: when micro-batches run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// `Trigger.ProcessingTime(interval)`; an interval of 0 is the default trigger.
    ProcessingTime(Duration),
    /// `Trigger.Once()`: one batch of what is available at the start, then stop.
    Once,
    /// `Trigger.AvailableNow()`: what is available at the start, in as many batches as
    /// needed (plus the no-data batches the watermark calls for), then stop.
    AvailableNow,
}

/// Where the output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkFormat {
    /// `format("console")`, with `numRows` and `truncate`.
    Console {
        /// Rows shown per batch (20).
        num_rows: usize,
        /// Cell width cut (20; 0 for `truncate = false`).
        truncate: usize,
    },
    /// `format("memory")` / `foreachBatch`: rows kept per batch, printed nowhere.
    Memory,
}

/// A query's settings. Defaults: default trigger, append, `min` policy, no-data batches on,
/// 50 ms per batch plus 20 us per input row, 10 ms commit, console sink, not idempotent,
/// driver restarted 5 s after a failure, 10,000 batches at most.
#[derive(Clone, Debug)]
pub struct QueryConfig {
    /// The query's name (`queryName`).
    pub name: String,
    /// The trigger.
    pub trigger: Trigger,
    /// The output mode.
    pub output_mode: OutputMode,
    /// `spark.sql.streaming.multipleWatermarkPolicy`.
    pub policy: MultipleWatermarkPolicy,
    /// `spark.sql.streaming.noDataMicroBatches.enabled`.
    pub no_data_batches: bool,
    /// Fixed virtual cost of a batch, ms.
    pub batch_base_ms: u64,
    /// Virtual cost per input row, microseconds.
    pub row_cost_us: u64,
    /// Virtual time between the sink write and the commit log write, ms.
    pub commit_ms: u64,
    /// The sink.
    pub sink: SinkFormat,
    /// Whether the sink ignores a batch id it already has (`FileStreamSink`, a
    /// `foreachBatch` keyed by batch id): exactly-once after a restart.
    pub idempotent_sink: bool,
    /// Faults: driver failures (the query restarts from its checkpoint) and worker failures
    /// (the running batch's tasks re-run, reading the source again and reloading the state
    /// store from its checkpointed version: the same result, later).
    pub faults: FaultPlan,
    /// How long the driver takes to come back.
    pub driver_restart_delay: Duration,
    /// The most micro-batches a run may execute.
    pub max_batches: u64,
}

impl Default for QueryConfig {
    fn default() -> QueryConfig {
        QueryConfig {
            name: "query".into(),
            trigger: Trigger::ProcessingTime(Duration::ZERO),
            output_mode: OutputMode::Append,
            policy: MultipleWatermarkPolicy::Min,
            no_data_batches: true,
            batch_base_ms: 50,
            row_cost_us: 20,
            commit_ms: 10,
            sink: SinkFormat::Console {
                num_rows: 20,
                truncate: 20,
            },
            idempotent_sink: false,
            faults: FaultPlan::default(),
            driver_restart_delay: Duration::from_secs(5),
            max_batches: 10_000,
        }
    }
}

/// A streaming source: records with their arrival on the virtual clock, replayable from any
/// offset (a file source, Kafka, `MemoryStream`).
#[derive(Clone, Debug)]
pub struct StreamSource {
    /// Its name.
    pub name: String,
    /// `(arrival, row)`, sorted by arrival; a record's offset is its position.
    pub records: Vec<(Time, Row)>,
    /// The Kafka source's `maxOffsetsPerTrigger`: the most records one micro-batch takes
    /// from this source (`KafkaMicroBatchStream.latestOffset` with a `ReadMaxRows` limit);
    /// `None` takes everything available.
    pub max_offsets_per_trigger: Option<u64>,
}

impl StreamSource {
    /// The latest offset at time `t`: records arrived at or before `t`.
    pub fn latest_offset(&self, t: Time) -> u64 {
        self.records.partition_point(|(a, _)| *a <= t) as u64
    }
}

/// What the sink received from one batch execution.
#[derive(Clone, Debug, PartialEq)]
pub struct SinkWrite {
    /// Batch id.
    pub batch_id: u64,
    /// Virtual time of the write.
    pub at: Time,
    /// The rows.
    pub rows: Vec<Row>,
    /// Whether an idempotent sink ignored it (it had this batch id).
    pub skipped: bool,
}

/// A window's answer as the sink got it, and when: see [`StreamingQuery::emissions`].
#[derive(Clone, Debug, PartialEq)]
pub struct Emission {
    /// The event-time window.
    pub window: TimeWindow,
    /// The row's other cells, printed (the other grouping keys, then the aggregates).
    pub row: Vec<String>,
    /// The batch that emitted it.
    pub batch_id: u64,
    /// Processing time of the emission (the sink write), virtual.
    pub at: Time,
    /// Whether the sink kept it (false for a re-run an idempotent sink ignored).
    pub kept: bool,
}

#[derive(Clone, Debug)]
struct Planned {
    batch_id: u64,
    seq: OffsetSeq,
    start: Vec<u64>,
    has_new_data: bool,
    replay: bool,
}

/// A running query: `StreamingQuery` + `MicroBatchExecution`, with its checkpoint.
#[derive(Clone, Debug)]
pub struct StreamingQuery {
    config: QueryConfig,
    plan: Analyzed,
    sources: Vec<StreamSource>,
    // Reliable storage: survives a driver failure.
    offset_log: OffsetSeqLog,
    commit_log: CommitLog,
    checkpoint: StateCheckpoint,
    sink_batches: BTreeSet<u64>,
    // The driver's memory.
    tracker: WatermarkTracker,
    stores: StateStores,
    committed: Vec<u64>,
    next_batch: u64,
    last_evicted_with: Option<i64>,
    pending: Option<Planned>,
    last_trigger_start: Option<Time>,
    available_now_target: Option<Vec<u64>>,
    // The clock and what happened.
    now: Time,
    faults_done: usize,
    stopped: bool,
    executed: u64,
    progress: Vec<StreamingQueryProgress>,
    writes: Vec<SinkWrite>,
    late: Vec<LateRow>,
    trace: Vec<StructuredEvent>,
    printed: String,
    ledger: Ledger,
    exception: Option<String>,
    // Worker failures already applied inside a batch (time, worker).
    workers_lost: Vec<(Time, String)>,
}

impl StreamingQuery {
    /// `writeStream...start()`: a query over analysed `plan` and its `sources`, at time 0.
    pub fn start(plan: Analyzed, sources: Vec<StreamSource>, config: QueryConfig) -> Self {
        let mut ledger = Ledger::default();
        for i in 0..sources.len() {
            ledger.mark_without_receiver(i);
        }
        StreamingQuery {
            tracker: WatermarkTracker::new(config.policy, plan.watermarks),
            committed: vec![0; sources.len()],
            config,
            plan,
            sources,
            offset_log: OffsetSeqLog::default(),
            commit_log: CommitLog::default(),
            checkpoint: StateCheckpoint::default(),
            sink_batches: BTreeSet::new(),
            stores: StateStores::new(),
            next_batch: 0,
            last_evicted_with: None,
            pending: None,
            last_trigger_start: None,
            available_now_target: None,
            now: Time::ZERO,
            faults_done: 0,
            stopped: false,
            executed: 0,
            progress: Vec::new(),
            writes: Vec::new(),
            late: Vec::new(),
            trace: Vec::new(),
            printed: String::new(),
            ledger,
            exception: None,
            workers_lost: Vec::new(),
        }
    }

    /// The output schema.
    pub fn schema(&self) -> &Schema {
        &self.plan.plan.schema
    }

    /// The physical plan.
    pub fn plan(&self) -> &Exec {
        &self.plan.plan
    }

    /// Runs the triggers due at or before virtual time `end` and leaves the query running, so
    /// that a later call goes on from there (the REPL steps trigger by trigger this way);
    /// [`StreamingQuery::run_until`] also stops the query at `end`.
    pub fn advance_to(&mut self, end: Time) {
        while !self.stopped && self.now <= end && self.executed < self.config.max_batches {
            if self.strike_faults_before(self.now) {
                continue;
            }
            self.trigger(end);
        }
    }

    /// Runs triggers until virtual time `end` (inclusive), the query stops (Once,
    /// AvailableNow) or `max_batches` batches ran.
    pub fn run_until(&mut self, end: Time) {
        while !self.stopped && self.now <= end && self.executed < self.config.max_batches {
            if self.strike_faults_before(self.now) {
                continue;
            }
            self.trigger(end);
        }
        if self.now > end || self.stopped {
            self.trace.push(StructuredEvent::Stopped {
                at: self.now.min(end),
            });
            self.stopped = true;
        }
    }

    /// Applies a driver failure due at or before `t`; true if one struck (the clock then
    /// stands at the restart).
    fn strike_faults_before(&mut self, t: Time) -> bool {
        while let Some((at, f)) = self.config.faults.faults.get(self.faults_done).cloned() {
            if at > t {
                return false;
            }
            self.faults_done += 1;
            match f {
                Fault::KillDriver => {
                    self.kill_driver(at, None, false);
                    return true;
                }
                Fault::KillWorker(worker) if !self.workers_lost.contains(&(at, worker.clone())) => {
                    self.trace.push(StructuredEvent::ExecutorLost {
                        at,
                        worker,
                        running_batch: None,
                        state_version: None,
                        snapshot_version: None,
                        delta_files: None,
                        rerun_until: None,
                    });
                }
                _ => {}
            }
        }
        false
    }

    fn next_kill_in(&self, from: Time, until: Time) -> Option<Time> {
        self.config.faults.faults[self.faults_done..]
            .iter()
            .find(|(at, f)| *f == Fault::KillDriver && *at > from && *at < until)
            .map(|(at, _)| *at)
    }

    fn next_worker_kill_in(&self, from: Time, until: Time) -> Option<(Time, String)> {
        self.config.faults.faults[self.faults_done..]
            .iter()
            .find_map(|(at, f)| match f {
                Fault::KillWorker(w)
                    if *at >= from
                        && *at < until
                        && !self.workers_lost.contains(&(*at, w.clone())) =>
                {
                    Some((*at, w.clone()))
                }
                _ => None,
            })
    }

    fn kill_driver(&mut self, at: Time, running: Option<u64>, after_sink: bool) {
        self.trace.push(StructuredEvent::DriverKilled {
            at,
            running_batch: running,
            after_sink_write: after_sink,
        });
        self.now = at.plus(self.config.driver_restart_delay);
        self.recover();
    }

    /// `populateStartOffsets` from the logs, and the state store version of the last
    /// committed batch.
    fn recover(&mut self) {
        self.tracker = WatermarkTracker::new(self.config.policy, self.plan.watermarks);
        self.last_evicted_with = None;
        self.pending = None;
        self.last_trigger_start = None;
        let latest = self.offset_log.latest().map(|(b, s)| (b, s.clone()));
        let commit = self.commit_log.latest();
        let (next, version) = match (&latest, commit) {
            (None, _) => {
                self.committed = vec![0; self.sources.len()];
                (0, 0)
            }
            (Some((n, seq)), Some((c, wm))) if c == *n => {
                self.committed = seq.offsets.clone();
                self.tracker.set_watermark(wm);
                (n + 1, n + 1)
            }
            (Some((n, seq)), _) => {
                self.committed = n
                    .checked_sub(1)
                    .and_then(|p| self.offset_log.get(p))
                    .map(|s| s.offsets.clone())
                    .unwrap_or_else(|| vec![0; self.sources.len()]);
                self.tracker.set_watermark(seq.batch_watermark_ms);
                self.pending = Some(Planned {
                    batch_id: *n,
                    start: self.committed.clone(),
                    has_new_data: seq.offsets != self.committed,
                    seq: seq.clone(),
                    replay: true,
                });
                (*n, *n)
            }
        };
        self.next_batch = next;
        self.stores = self.checkpoint.load(version);
        if self.config.trigger == Trigger::AvailableNow {
            self.available_now_target = None;
        }
        self.trace.push(StructuredEvent::Recovered {
            at: self.now,
            latest_offset_batch: latest.map(|(b, _)| b),
            latest_commit_batch: commit.map(|(b, _)| b),
            next_batch: next,
            watermark_ms: self.tracker.current(),
            state_version: version,
        });
    }

    /// The end offsets of the next batch: what is available (for AvailableNow, what was
    /// available at the start), capped per source at `maxOffsetsPerTrigger` records past
    /// the committed offsets.
    fn latest_offsets(&self, t: Time) -> Vec<u64> {
        let mut l: Vec<u64> = self.sources.iter().map(|s| s.latest_offset(t)).collect();
        if let Some(target) = &self.available_now_target {
            l = target.clone();
        }
        for (i, s) in self.sources.iter().enumerate() {
            if let (Some(max), Some(c)) = (s.max_offsets_per_trigger, self.committed.get(i)) {
                l[i] = l[i].min(c + max);
            }
        }
        l
    }

    /// `constructNextBatch` at time `t`: the batch to run, or none.
    fn construct_next_batch(&mut self, t: Time) -> Option<Planned> {
        if let Some(p) = self.pending.take() {
            return Some(p);
        }
        let latest = self.latest_offsets(t);
        let has_new_data = latest != self.committed;
        let wm = self.tracker.current();
        let another = self.config.no_data_batches
            && self.last_evicted_with.is_some_and(|e| {
                should_run_another_batch(&self.plan.plan, self.config.output_mode, e, wm)
            });
        if !has_new_data && !another {
            return None;
        }
        Some(Planned {
            batch_id: self.next_batch,
            seq: OffsetSeq {
                offsets: latest,
                batch_watermark_ms: wm,
                batch_timestamp_ms: t.0,
            },
            start: self.committed.clone(),
            has_new_data,
            replay: false,
        })
    }

    fn trigger(&mut self, end: Time) {
        let t = self.now;
        if self.config.trigger == Trigger::AvailableNow && self.available_now_target.is_none() {
            self.available_now_target =
                Some(self.sources.iter().map(|s| s.latest_offset(t)).collect());
        }
        let planned = self.construct_next_batch(t);
        let Some(p) = planned else {
            self.trace.push(StructuredEvent::TriggerIdle { at: t });
            match self.config.trigger {
                Trigger::Once | Trigger::AvailableNow => self.stopped = true,
                Trigger::ProcessingTime(iv) if iv.ms() == 0 => self.now = t.plus(Duration(10)),
                Trigger::ProcessingTime(iv) => self.now = next_batch_time(t, iv),
            }
            let _ = end;
            return;
        };
        self.run_batch(t, p);
        match self.config.trigger {
            Trigger::Once => self.stopped = true,
            Trigger::ProcessingTime(iv) if iv.ms() > 0 => {
                self.now = next_batch_time(self.now, iv);
            }
            _ => {}
        }
    }

    /// `runBatch`: offset log, execution, sink, watermark, commit log, state checkpoint.
    fn run_batch(&mut self, t: Time, p: Planned) {
        let id = p.batch_id;
        if !p.replay {
            self.offset_log.add(id, p.seq.clone());
        }
        self.trace.push(StructuredEvent::OffsetLogWritten {
            at: t,
            batch_id: id,
            offsets: p.seq.offsets.clone(),
            watermark_ms: p.seq.batch_watermark_ms,
            has_new_data: p.has_new_data,
            replay: p.replay,
        });
        let inputs: Vec<Vec<Row>> = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (a, b) = (p.start[i] as usize, p.seq.offsets[i] as usize);
                s.records[a.min(b)..b.min(s.records.len())]
                    .iter()
                    .map(|(_, r)| r.clone())
                    .collect()
            })
            .collect();
        for (i, _) in self.sources.iter().enumerate() {
            let offs: Vec<u64> = (p.start[i]..p.seq.offsets[i]).collect();
            self.ledger.received(i, &offs, t);
            self.ledger.allocated(i, &offs, Time(id));
        }
        // The watermark for late events is the previous batch's (batch -1: 0).
        let wm_late = id
            .checked_sub(1)
            .and_then(|b| self.offset_log.get(b))
            .map_or(0, |s| s.batch_watermark_ms);
        let mut stores = self.stores.clone();
        let res = execute(
            &self.plan.plan,
            &BatchInput {
                batch_id: id,
                sources: &inputs,
                mode: self.config.output_mode,
                watermark_late: wm_late,
                watermark_evict: p.seq.batch_watermark_ms,
                watermarks: self.plan.watermarks,
                batch_timestamp_ms: p.seq.batch_timestamp_ms as i64,
            },
            &mut stores,
        );
        if let Some(message) = res.error.clone() {
            self.executed += 1;
            self.trace.push(StructuredEvent::QueryFailed {
                at: t,
                batch_id: id,
                message: message.clone(),
            });
            self.printed.push_str(&format!(
                "ERROR MicroBatchExecution: Query {} terminated with error\n{message}\n",
                self.config.name
            ));
            self.exception = Some(message);
            self.stopped = true;
            return;
        }
        let read: Vec<u64> = inputs.iter().map(|v| v.len() as u64).collect();
        // numInputRows: what each source's scan produced.
        let counted: Vec<u64> = (0..inputs.len())
            .map(|i| res.scanned.get(&i).copied().unwrap_or(read[i]))
            .collect();
        let rows_in: u64 = counted.iter().sum();
        let cost =
            self.config.batch_base_ms + read.iter().sum::<u64>() * self.config.row_cost_us / 1000;
        let mut sink_at = t.plus(Duration(cost));
        // An executor lost while the batch's tasks run: they run again from the start.
        while let Some((k, worker)) = self.next_worker_kill_in(t, sink_at) {
            sink_at = k.plus(Duration(cost));
            self.workers_lost.push((k, worker.clone()));
            let (snapshot, deltas) = snapshot_and_deltas(id);
            self.trace.push(StructuredEvent::ExecutorLost {
                at: k,
                worker,
                running_batch: Some(id),
                state_version: Some(id),
                snapshot_version: Some(snapshot),
                delta_files: Some(deltas),
                rerun_until: Some(sink_at),
            });
        }
        let commit_at = sink_at.plus(Duration(self.config.commit_ms));
        self.executed += 1;
        // A driver failure during the batch.
        if let Some(k) = self.next_kill_in(t, commit_at) {
            let after_sink = k >= sink_at;
            if after_sink {
                self.sink_write(id, sink_at, &res.output, &p);
            }
            self.faults_done += 1;
            self.kill_driver(k, Some(id), after_sink);
            return;
        }
        for (op, m) in &res.operators {
            if m.num_rows_dropped_by_watermark > 0 {
                self.trace.push(StructuredEvent::LateRowsDropped {
                    at: sink_at,
                    batch_id: id,
                    op_id: *op,
                    rows: m.num_rows_dropped_by_watermark,
                });
            }
        }
        self.sink_write(id, sink_at, &res.output, &p);
        let observed: Vec<Option<i64>> = res
            .event_time
            .iter()
            .map(|s| (s.count > 0).then_some(s.max))
            .collect();
        let delays = self.watermark_delays();
        let before = self.tracker.current();
        if self.tracker.update(id, sink_at, &observed, &delays) {
            let mv = self.tracker.history().last().cloned();
            if let Some(mv) = mv {
                self.trace.push(StructuredEvent::WatermarkAdvanced {
                    at: sink_at,
                    batch_id: id,
                    from_ms: before,
                    to_ms: mv.to_ms,
                    why: mv.why,
                });
            }
        }
        self.commit_log.add(id, self.tracker.current());
        self.checkpoint.commit(id + 1, &stores);
        self.stores = stores;
        self.trace.push(StructuredEvent::BatchCommitted {
            at: commit_at,
            batch_id: id,
            next_watermark_ms: self.tracker.current(),
        });
        self.late.extend(res.late.iter().cloned());
        self.committed = p.seq.offsets.clone();
        self.next_batch = id + 1;
        self.last_evicted_with = Some(p.seq.batch_watermark_ms);
        // Progress.
        let since_last = self
            .last_trigger_start
            .map_or(0, |l| t.0.saturating_sub(l.0));
        self.last_trigger_start = Some(t);
        let duration = commit_at.0 - t.0;
        let mut event_time = std::collections::BTreeMap::new();
        let seen: Vec<_> = res.event_time.iter().filter(|s| s.count > 0).collect();
        if !seen.is_empty() {
            let max = seen.iter().map(|s| s.max).max().unwrap_or(0);
            let min = seen.iter().map(|s| s.min).min().unwrap_or(0);
            let (sum, n) = seen
                .iter()
                .fold((0.0, 0u64), |(a, c), s| (a + s.sum, c + s.count));
            event_time.insert("max".into(), iso(max));
            event_time.insert("min".into(), iso(min));
            event_time.insert("avg".into(), iso((sum / n as f64).round() as i64));
        }
        if self.plan.watermarks > 0 {
            event_time.insert("watermark".into(), iso(p.seq.batch_watermark_ms));
        }
        let sources = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let n = counted[i];
                SourceProgress {
                    description: s.name.clone(),
                    start_offset: (id > 0).then_some(p.start[i]),
                    end_offset: p.seq.offsets[i],
                    // With maxOffsetsPerTrigger the source reports how far behind the
                    // batch is (SPARK-34854); without it the batch reads up to the latest.
                    latest_offset: match s.max_offsets_per_trigger {
                        Some(_) => s.latest_offset(t).max(p.seq.offsets[i]),
                        None => p.seq.offsets[i],
                    },
                    num_input_rows: n,
                    input_rows_per_second: per_second(n, since_last),
                    processed_rows_per_second: per_second(n, duration),
                }
            })
            .collect();
        let mut duration_ms = std::collections::BTreeMap::new();
        duration_ms.insert("addBatch".into(), cost);
        duration_ms.insert("walCommit".into(), 0);
        duration_ms.insert("commitOffsets".into(), self.config.commit_ms);
        duration_ms.insert("triggerExecution".into(), duration);
        self.progress.push(StreamingQueryProgress {
            name: self.config.name.clone(),
            timestamp: iso(t.0 as i64),
            batch_id: id,
            num_input_rows: rows_in,
            input_rows_per_second: per_second(rows_in, since_last),
            processed_rows_per_second: per_second(rows_in, duration),
            duration_ms,
            event_time,
            state_operators: res.operators.values().cloned().collect(),
            sources,
            sink: SinkProgress {
                description: match self.config.sink {
                    SinkFormat::Console { .. } => {
                        "org.apache.spark.sql.execution.streaming.ConsoleTable$@0".into()
                    }
                    SinkFormat::Memory => "MemorySink".into(),
                },
                num_output_rows: res.output.len() as u64,
            },
        });
        self.now = commit_at;
    }

    fn watermark_delays(&self) -> Vec<i64> {
        let mut d = vec![0; self.plan.watermarks];
        collect_delays(&self.plan.plan, &mut d);
        d
    }

    fn sink_write(&mut self, id: u64, at: Time, rows: &[Row], p: &Planned) {
        let skipped = self.config.idempotent_sink && self.sink_batches.contains(&id);
        self.sink_batches.insert(id);
        let mut rows = rows.to_vec();
        rows.sort();
        if !skipped {
            for i in 0..self.sources.len() {
                let offs: Vec<u64> = (p.start[i]..p.seq.offsets[i]).collect();
                self.ledger.output(i, &offs);
            }
            if let SinkFormat::Console { num_rows, truncate } = self.config.sink {
                self.printed.push_str(&batch_header(id));
                self.printed
                    .push_str(&show(self.schema(), &rows, num_rows, truncate));
            }
        }
        self.trace.push(StructuredEvent::SinkWrite {
            at,
            batch_id: id,
            rows: rows.len(),
            skipped,
        });
        self.writes.push(SinkWrite {
            batch_id: id,
            at,
            rows,
            skipped,
        });
    }

    // ----- inspectors -----

    /// The exception that terminated the query (`StreamingQuery.exception`), if one did.
    pub fn exception(&self) -> Option<&str> {
        self.exception.as_deref()
    }

    /// The current virtual time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Whether the query has stopped.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// One progress report per executed batch (`recentProgress`).
    pub fn progress(&self) -> &[StreamingQueryProgress] {
        &self.progress
    }

    /// Every sink write, in order (a batch re-run after a failure appears twice).
    pub fn writes(&self) -> &[SinkWrite] {
        &self.writes
    }

    /// What the console sink printed.
    pub fn printed(&self) -> &str {
        &self.printed
    }

    /// The trace.
    pub fn trace(&self) -> &[StructuredEvent] {
        &self.trace
    }

    /// The watermark's moves, each with its reason.
    pub fn watermark_history(&self) -> &[super::watermark_tracker::WatermarkMove] {
        self.tracker.history()
    }

    /// The global watermark now, ms.
    pub fn watermark_ms(&self) -> i64 {
        self.tracker.current()
    }

    /// Rows dropped as late, with their delay behind the watermark.
    pub fn late_rows(&self) -> &[LateRow] {
        &self.late
    }

    /// Each stateful operator's store now, as printable lines (operator id, lines).
    pub fn state(&self) -> Vec<(usize, Vec<String>)> {
        self.stores
            .iter()
            .map(|(id, s)| (*id, s.describe()))
            .collect()
    }

    /// The offset log, the commit log, and the state versions checkpointed.
    pub fn checkpoint(&self) -> (&OffsetSeqLog, &CommitLog, Vec<u64>) {
        (
            &self.offset_log,
            &self.commit_log,
            self.checkpoint.versions(),
        )
    }

    /// The per-record ledger (read by the checker).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Per window, each answer the sink received and the processing time it received it:
    /// one [`Emission`] per output row holding a `window` column, in sink order. In append
    /// mode a window appears once, when the watermark passes its end; in update mode once
    /// per batch that changed it; in complete mode at every batch. The compare command of
    /// the three models reads this (answer = `row`, emission time = `at`).
    pub fn emissions(&self) -> Vec<Emission> {
        let Some(wi) = self
            .schema()
            .fields
            .iter()
            .position(|f| f.data_type == super::types::DataType::Window)
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for w in &self.writes {
            for r in &w.rows {
                if let Some(super::types::Cell::Window(win)) = r.get(wi) {
                    out.push(Emission {
                        window: *win,
                        row: r
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i != wi)
                            .map(|(_, c)| c.to_string())
                            .collect(),
                        batch_id: w.batch_id,
                        at: w.at,
                        kept: !w.skipped,
                    });
                }
            }
        }
        out
    }

    /// The sources.
    pub fn sources(&self) -> &[StreamSource] {
        &self.sources
    }

    /// The event time of a row written in the trace's units, for messages.
    pub fn time_text(ms: i64) -> String {
        EventTime(ms).to_string()
    }
}

fn collect_delays(plan: &Exec, d: &mut [i64]) {
    use super::dataset::ExecOp;
    match &plan.op {
        ExecOp::Watermark {
            child,
            delay_ms,
            id,
            ..
        } => {
            if let Some(x) = d.get_mut(*id) {
                *x = *delay_ms;
            }
            collect_delays(child, d);
        }
        ExecOp::Project(c, _) | ExecOp::Filter(c, _) => collect_delays(c, d),
        ExecOp::Aggregate { child, .. }
        | ExecOp::Deduplicate { child, .. }
        | ExecOp::GroupsWithState { child, .. } => collect_delays(child, d),
        ExecOp::Join { left, right, .. } => {
            collect_delays(left, d);
            collect_delays(right, d);
        }
        ExecOp::Source(_) | ExecOp::Static(_) => {}
    }
}

/// `spark.sql.streaming.stateStore.minDeltasForSnapshot`: the maintenance task writes a
/// snapshot file once this many delta files have accumulated.
pub const MIN_DELTAS_FOR_SNAPSHOT: u64 = 10;

/// Which snapshot and how many delta files `HDFSBackedStateStoreProvider.loadMap` reads for
/// `version`, the maintenance task having written a snapshot every
/// [`MIN_DELTAS_FOR_SNAPSHOT`] versions (snapshot 0 = the empty store).
pub fn snapshot_and_deltas(version: u64) -> (u64, u64) {
    let snapshot = version / MIN_DELTAS_FOR_SNAPSHOT * MIN_DELTAS_FOR_SNAPSHOT;
    (snapshot, version - snapshot)
}

/// `ProcessingTimeExecutor.nextBatchTime`: the next multiple of the interval after `now`.
pub fn next_batch_time(now: Time, interval: Duration) -> Time {
    let iv = interval.ms().max(1);
    Time(now.0 / iv * iv + iv)
}
