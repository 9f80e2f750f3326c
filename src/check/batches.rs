//! Every batch time and what became of it: Spark's `StreamingJobProgressListener`
//! (`streaming/ui/StreamingJobProgressListener.scala`, with `BatchUIData.scala`) keeps the
//! waiting, running and completed batches the Streaming tab lists; this listener reads the
//! same facts from the trace and the job scheduler's queue, and adds what the tab cannot
//! show: batches run again by a recovered driver, and batches that never ran, with why.
//!
//! A batch time is on the batch-interval grid after the zero time. Its state:
//!
//! | state | from |
//! |---|---|
//! | queued (no free core) | the scheduler's queue and `BatchNotProcessed` |
//! | queued (previous job set running) | the scheduler's queue and its running job set |
//! | running | its `BatchCompleted` figures end after now |
//! | completed (re-run) | `BatchCompleted`, more than once, or in `DriverRestarted`'s re-runs |
//! | failed | `JobFailed` |
//! | never run | a driver failure (not generated while it was down, or generated and lost with it), or the context stopped |
//!
//! [`BatchLog`] is fed events one by one ([`BatchLog::observe`]) and answers
//! [`BatchLog::rows`] for an instant and a queue; [`batch_rows`] does both for a context.

use crate::models::dstream::streaming_context::JobQueue;
use crate::models::dstream::{Event, StreamingContext};
use crate::sim::Time;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What became of one batch time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchState {
    /// Generated, waiting in the job scheduler's queue; `reason` says for what.
    Queued {
        /// Why it waits: no free core, or the previous job set still running.
        reason: String,
        /// True when it waits for a core (receivers hold them all, or workers are down).
        no_free_core: bool,
    },
    /// Its jobs run now and finish at `until`.
    Running {
        /// When the jobs finish (virtual ms).
        until: Time,
    },
    /// Its output operations ran (see [`BatchRow::runs`] for re-runs).
    Completed,
    /// A job of the batch failed; the context stopped.
    Failed {
        /// The error.
        message: String,
    },
    /// The batch never ran, and will not.
    NeverRun {
        /// Why.
        reason: String,
    },
}

impl BatchState {
    /// A one-word name: `queued`, `running`, `completed`, `failed` or `never run`.
    pub fn name(&self) -> &'static str {
        match self {
            BatchState::Queued { .. } => "queued",
            BatchState::Running { .. } => "running",
            BatchState::Completed => "completed",
            BatchState::Failed { .. } => "failed",
            BatchState::NeverRun { .. } => "never run",
        }
    }
}

/// One batch time, as the Streaming tab's batch table shows it (plus re-runs and batches
/// that never ran).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRow {
    /// The batch time.
    pub time: Time,
    /// What became of it.
    pub state: BatchState,
    /// How many times its jobs ran to completion (2 or more: re-run after a driver recovery).
    pub runs: u32,
    /// True when a restarted driver scheduled it again (`JobGenerator.restart`).
    pub rerun: bool,
    /// Input records of its last run.
    pub input_records: usize,
    /// Scheduling delay of its last run (ms).
    pub scheduling_delay_ms: Option<u64>,
    /// Processing time of its last run (ms).
    pub processing_time_ms: Option<u64>,
    /// Total delay of its last run (ms).
    pub total_delay_ms: Option<u64>,
}

impl BatchRow {
    /// The state in words, with its reason: `queued: no free core (...)`,
    /// `completed (ran 2 times: re-run after the driver recovered)`.
    pub fn describe(&self) -> String {
        match &self.state {
            BatchState::Queued { reason, .. } => format!("queued: {reason}"),
            BatchState::Running { until } => format!("running until {until}"),
            BatchState::Completed if self.runs > 1 => format!(
                "completed (ran {} times: re-run by the recovered driver)",
                self.runs
            ),
            BatchState::Completed if self.rerun => {
                "completed (run by the recovered driver)".to_string()
            }
            BatchState::Completed => "completed".to_string(),
            BatchState::Failed { message } => format!("failed: {message}"),
            BatchState::NeverRun { reason } => format!("never run: {reason}"),
        }
    }
}

impl fmt::Display for BatchRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "batch {}: {}", self.time, self.describe())
    }
}

#[derive(Clone, Copy, Debug)]
struct Figures {
    input_records: usize,
    scheduling_delay_ms: u64,
    processing_time_ms: u64,
    total_delay_ms: u64,
    runs: u32,
}

/// The listener: fed the trace event by event, it knows every batch's figures, the driver's
/// failures and re-runs, and why batches waited.
#[derive(Clone, Debug, Default)]
pub struct BatchLog {
    zero: Option<Time>,
    interval_ms: u64,
    completed: BTreeMap<Time, Figures>,
    reasons: BTreeMap<Time, String>,
    failed: BTreeMap<Time, String>,
    stopped: Option<Time>,
    /// Driver failures: (killed at, the timer's restart time once restarted).
    down: Vec<(Time, Option<Time>)>,
    /// When the deployment restarts the driver that failed last.
    restart_at: Option<Time>,
    reruns: BTreeSet<Time>,
    /// Batches generated and not completed when the driver died: batch -> when it died.
    lost_with_driver: BTreeMap<Time, Time>,
    /// Events observed.
    seen: usize,
}

impl BatchLog {
    /// An empty listener.
    pub fn new() -> BatchLog {
        BatchLog::default()
    }

    /// How many events it has observed.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// The first batch time (zero time plus one batch interval), once the context started.
    pub fn first_batch(&self) -> Option<Time> {
        self.zero.map(|z| Time(z.ms() + self.interval_ms))
    }

    /// The batch times on the grid from the first batch up to `until`, inclusive.
    fn grid(&self, until: Time) -> impl Iterator<Item = Time> + '_ {
        self.grid_from(Time::ZERO, until)
    }

    /// The batch times on the grid from the first one at or after `from` up to `until`.
    fn grid_from(&self, from: Time, until: Time) -> impl Iterator<Item = Time> + '_ {
        let step = self.interval_ms.max(1);
        let first = self.first_batch().map_or(u64::MAX, Time::ms);
        let skip = from.ms().saturating_sub(first).div_ceil(step);
        (skip..)
            .map(move |k: u64| first.saturating_add(k.saturating_mul(step)))
            .take_while(move |t| *t <= until.ms() && *t != u64::MAX)
            .map(Time)
    }

    fn down_at(&self, t: Time) -> Option<(Time, Option<Time>)> {
        self.down
            .iter()
            .copied()
            .find(|(k, r)| *k <= t && r.is_none_or(|r| t < r))
    }

    /// Takes one event into account (events in trace order).
    pub fn observe(&mut self, e: &Event) {
        self.seen += 1;
        match e {
            Event::ContextStarted {
                zero_time,
                batch_interval_ms,
                ..
            } => {
                self.zero = Some(*zero_time);
                self.interval_ms = *batch_interval_ms;
            }
            Event::BatchNotProcessed { time, reason } => {
                self.reasons.insert(*time, reason.clone());
            }
            Event::BatchCompleted {
                time,
                input_records,
                scheduling_delay_ms,
                processing_time_ms,
                total_delay_ms,
            } => {
                let runs = self.completed.get(time).map_or(0, |f| f.runs) + 1;
                self.completed.insert(
                    *time,
                    Figures {
                        input_records: *input_records,
                        scheduling_delay_ms: *scheduling_delay_ms,
                        processing_time_ms: *processing_time_ms,
                        total_delay_ms: *total_delay_ms,
                        runs,
                    },
                );
                self.lost_with_driver.remove(time);
            }
            Event::JobFailed { time, message } => {
                self.failed.insert(*time, message.clone());
            }
            Event::ContextStopped { time } => self.stopped = Some(*time),
            Event::DriverKilled { time, restart_at } => {
                self.restart_at = Some(*restart_at);
                let pending: Vec<Time> = self
                    .grid(*time)
                    .filter(|t| {
                        !self.completed.contains_key(t)
                            && self.down_at(*t).is_none()
                            && !self.lost_with_driver.contains_key(t)
                    })
                    .collect();
                for t in pending {
                    self.lost_with_driver.insert(t, *time);
                }
                self.down.push((*time, None));
            }
            Event::DriverRestarted { time, rerun, .. } => {
                let step = self.interval_ms.max(1);
                let zero = self.zero.map_or(0, Time::ms);
                let since = time.ms().saturating_sub(zero);
                let timer = Time(zero + (since / step + 1) * step);
                if let Some(last) = self.down.last_mut() {
                    last.1 = Some(timer);
                }
                for t in rerun {
                    self.reruns.insert(*t);
                    self.lost_with_driver.remove(t);
                }
            }
            _ => {}
        }
    }

    /// Every batch time from the first batch up to `now` (and up to the stop of a stopped
    /// context), with its state given the scheduler's `queue` at `now`.
    pub fn rows(&self, now: Time, queue: &JobQueue) -> Vec<BatchRow> {
        self.rows_from(Time::ZERO, now, queue)
    }

    /// [`BatchLog::rows`] for the batch times at or after `from` only (the REPL's `step`
    /// compares the batches that can still change, not the whole history).
    pub fn rows_from(&self, from: Time, now: Time, queue: &JobQueue) -> Vec<BatchRow> {
        let until = self.stopped.map_or(now, |s| s.min(now));
        let waiting: BTreeSet<Time> = queue.waiting.iter().copied().collect();
        let mut rows = Vec::new();
        for t in self.grid_from(from, until) {
            let figures = self.completed.get(&t);
            let rerun = self.reruns.contains(&t);
            let state = if let Some(f) = figures {
                let end = Time(t.ms() + f.total_delay_ms);
                if end > now && self.stopped.is_none() {
                    BatchState::Running { until: end }
                } else {
                    BatchState::Completed
                }
            } else if let Some(m) = self.failed.get(&t) {
                BatchState::Failed { message: m.clone() }
            } else if waiting.contains(&t) {
                self.queued(t, queue)
            } else if let Some(killed) = self.lost_with_driver.get(&t) {
                let why = match self.down.iter().find(|(k, _)| k == killed) {
                    Some((_, None)) => "the restart decides whether it runs again",
                    _ => "the restarted driver did not run it again (no checkpoint recovered it)",
                };
                BatchState::NeverRun {
                    reason: format!(
                        "generated, then the driver died at {killed} before it ran; {why}"
                    ),
                }
            } else if let (Some((killed, restart)), false) = (self.down_at(t), rerun) {
                BatchState::NeverRun {
                    reason: match restart {
                        Some(r) => format!(
                            "not generated: the driver was down (failed at {killed}; its batch timer restarted at {r}) and no checkpoint recovered this batch"
                        ),
                        None => format!(
                            "not generated (yet): the driver is down (failed at {killed}); when it restarts{} it runs again what its checkpoint says is pending",
                            self.restart_at.map_or(String::new(), |r| format!(" at {r}"))
                        ),
                    },
                }
            } else if let Some(s) = self.stopped {
                BatchState::NeverRun {
                    reason: format!("the context stopped at {s} before it ran"),
                }
            } else if t > now {
                continue;
            } else {
                BatchState::NeverRun {
                    reason: "generated but dropped by the job scheduler".into(),
                }
            };
            rows.push(BatchRow {
                time: t,
                state,
                runs: figures.map_or(0, |f| f.runs),
                rerun,
                input_records: figures.map_or(0, |f| f.input_records),
                scheduling_delay_ms: figures.map(|f| f.scheduling_delay_ms),
                processing_time_ms: figures.map(|f| f.processing_time_ms),
                total_delay_ms: figures.map(|f| f.total_delay_ms),
            });
        }
        // Re-runs off the grid of this listener (none today) and completed batches past
        // `until` are not listed.
        rows
    }

    fn queued(&self, t: Time, queue: &JobQueue) -> BatchState {
        let no_free_core = queue.no_free_core.contains(&t);
        let reason = if let Some(r) = self.reasons.get(&t) {
            if no_free_core {
                format!("no free core: {r}")
            } else {
                r.strip_prefix("queued ").unwrap_or(r).to_string()
            }
        } else if no_free_core {
            "no free core".to_string()
        } else if let Some(&ahead) = queue.waiting.iter().take_while(|w| **w < t).last() {
            format!("the previous job set (batch {ahead}) has not run yet")
        } else if let Some((b, until)) = queue.running {
            format!("the previous job set (batch {b}) is still running, until {until}")
        } else {
            "waiting for the job scheduler".to_string()
        };
        BatchState::Queued {
            reason,
            no_free_core,
        }
    }
}

/// Every batch time of `ssc` so far, with its state now ([`BatchLog::rows`]).
pub fn batch_rows(ssc: &StreamingContext) -> Vec<BatchRow> {
    let mut log = BatchLog::new();
    ssc.for_each_event(0, |e| log.observe(e));
    log.rows(ssc.now(), &ssc.job_queue())
}

/// Counts of [`batch_rows`] by state, e.g. `20 batches: 14 completed (1 re-run), 6 queued
/// (no free core)`; `None` when every batch completed once.
pub fn summary(rows: &[BatchRow]) -> Option<String> {
    let count = |f: &dyn Fn(&BatchRow) -> bool| rows.iter().filter(|r| f(r)).count();
    let completed = count(&|r| matches!(r.state, BatchState::Completed));
    let rerun = count(&|r| r.runs > 1 || (r.rerun && r.runs > 0));
    let running = count(&|r| matches!(r.state, BatchState::Running { .. }));
    let starved =
        count(&|r| matches!(r.state, BatchState::Queued { no_free_core, .. } if no_free_core));
    let behind =
        count(&|r| matches!(r.state, BatchState::Queued { no_free_core, .. } if !no_free_core));
    let failed = count(&|r| matches!(r.state, BatchState::Failed { .. }));
    let never = count(&|r| matches!(r.state, BatchState::NeverRun { .. }));
    if completed == rows.len() && rerun == 0 {
        return None;
    }
    let mut parts = vec![format!("{completed} completed")];
    if rerun > 0 {
        parts[0].push_str(&format!(" ({rerun} re-run by a recovered driver)"));
    }
    for (n, what) in [
        (running, "running"),
        (starved, "queued (no free core)"),
        (behind, "queued (behind the previous job set)"),
        (failed, "failed"),
        (never, "never run"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    Some(format!(
        "{} batch{}: {}",
        rows.len(),
        if rows.len() == 1 { "" } else { "es" },
        parts.join(", ")
    ))
}

/// The rows as CSV, one line a batch time, with a header:
/// `batch_ms,state,input_records,scheduling_delay_ms,processing_time_ms,total_delay_ms,runs,detail`
/// (empty figures for a batch that did not complete; `detail` is the reason of a queued or
/// never-run batch). For a spreadsheet or pandas.
///
/// # Errors
/// None in practice (writing to memory); kept as the csv crate's error text.
pub fn to_csv(rows: &[BatchRow]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = |e: csv::Error| format!("cannot write CSV: {e}");
    w.write_record([
        "batch_ms",
        "state",
        "input_records",
        "scheduling_delay_ms",
        "processing_time_ms",
        "total_delay_ms",
        "runs",
        "detail",
    ])
    .map_err(e)?;
    let opt = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
    for r in rows {
        let detail = match &r.state {
            BatchState::Queued { reason, .. } | BatchState::NeverRun { reason } => reason.clone(),
            BatchState::Failed { message } => message.clone(),
            BatchState::Running { until } => format!("until {}", until.ms()),
            BatchState::Completed => String::new(),
        };
        let done = r.runs > 0;
        w.write_record([
            r.time.ms().to_string(),
            r.state.name().to_string(),
            if done {
                r.input_records.to_string()
            } else {
                String::new()
            },
            opt(r.scheduling_delay_ms),
            opt(r.processing_time_ms),
            opt(r.total_delay_ms),
            r.runs.to_string(),
            detail,
        ])
        .map_err(e)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| format!("cannot write CSV: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("cannot write CSV: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started() -> BatchLog {
        let mut log = BatchLog::new();
        log.observe(&Event::ContextStarted {
            time: Time(0),
            batch_interval_ms: 1000,
            block_interval_ms: 200,
            seed: 0,
            zero_time: Time(0),
        });
        log
    }

    fn done(t: u64, delay: u64) -> Event {
        Event::BatchCompleted {
            time: Time(t),
            input_records: 1,
            scheduling_delay_ms: delay,
            processing_time_ms: 10,
            total_delay_ms: delay + 10,
        }
    }

    /// A batch that waits for a core is listed as queued with the engine's reason, and
    /// the ones behind it as queued behind it; nothing is omitted.
    #[test]
    fn queued_batches_are_listed_with_their_reason() {
        let mut log = started();
        log.observe(&done(1000, 0));
        log.observe(&Event::BatchNotProcessed {
            time: Time(2000),
            reason: "1 receiver(s) hold all 1 core(s)".into(),
        });
        let queue = JobQueue {
            waiting: vec![Time(2000), Time(3000)],
            no_free_core: vec![Time(2000)],
            running: None,
        };
        let rows = log.rows(Time(3000), &queue);
        let states: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            states,
            [
                "batch 1000 ms: completed",
                "batch 2000 ms: queued: no free core: 1 receiver(s) hold all 1 core(s)",
                "batch 3000 ms: queued: the previous job set (batch 2000 ms) has not run yet",
            ]
        );
        assert_eq!(
            summary(&rows).as_deref(),
            Some("3 batches: 1 completed, 1 queued (no free core), 1 queued (behind the previous job set)")
        );
    }

    /// A driver failure: the batch generated before it and not run is lost unless re-run;
    /// batches while it was down are not generated; a re-run batch counts its runs.
    #[test]
    fn driver_failure_marks_lost_rerun_and_never_generated_batches() {
        let mut log = started();
        log.observe(&done(1000, 0));
        log.observe(&done(2000, 0));
        log.observe(&Event::DriverKilled {
            time: Time(2500),
            restart_at: Time(4500),
        });
        log.observe(&Event::DriverRestarted {
            time: Time(4500),
            recovered_from_checkpoint: true,
            rerun: vec![Time(2000)],
            accumulator_lost: 2,
        });
        log.observe(&done(2000, 2500));
        log.observe(&done(5000, 0));
        let rows = log.rows(Time(5000), &JobQueue::default());
        let states: Vec<String> = rows.iter().map(|r| r.describe()).collect();
        assert_eq!(states[0], "completed");
        assert_eq!(
            states[1],
            "completed (ran 2 times: re-run by the recovered driver)"
        );
        assert!(states[2].starts_with("never run: not generated: the driver was down (failed at 2500 ms; its batch timer restarted at 5000 ms)"), "{}", states[2]);
        assert!(states[3].starts_with("never run: not generated"));
        // At 5000 ms the batch of 5000 ms is still processing (10 ms).
        assert_eq!(states[4], "running until 5010 ms");
    }
}
