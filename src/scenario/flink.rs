//! Flink scenarios: a TOML file that declares a job (a source over real data, an optional
//! flatMap, `keyBy` to a keyed count or to event-time windows), its checkpoint settings,
//! its faults and savepoint commands, built into a [`MiniCluster`] (`check::flink` runs and
//! judges it for `stream-sim flink`).
//!
//! ```toml
//! name = "flink-wordcount"
//! model = "flink"
//! [job]
//! run_for = "20s"
//! task_managers = 2
//! checkpoint_interval = "1s"     # enableCheckpointing; omit for none
//! mode = "EXACTLY_ONCE"          # or AT_LEAST_ONCE (CheckpointingMode)
//! unaligned = false              # enableUnalignedCheckpoints
//! two_phase_sink = true          # a TwoPhaseCommitSinkFunction after the keyed operator
//! faults = "at 8s kill worker-2"
//! savepoints = "at 12s stop-with-savepoint"   # savepoint | stop-with-savepoint | resume
//! [source]                       # lines of a file at a rate ...
//! type = "lines"
//! file = "../data/fortunes/lines.txt"
//! rate = 20
//! parallelism = 2
//! [operator]
//! flat_map = 'split(" ")'
//! parallelism = 2
//! ```
//!
//! A `type = "csv"` source replays a CSV file out of order (arrival = event time + the
//! `delay_column` minutes, event time = the date columns and `hhmm`), keyed by `key`; an
//! `[operator.window]` table (`size`, `slide`, `allowed_lateness`) makes the keyed operator
//! a `WindowOperator`, with `out_of_orderness` and `watermark_interval` ("per-event" or a
//! duration) for the sources' watermarks, and `idleness` (`WatermarkStrategy.withIdleness`:
//! a source subtask without records for that long is marked idle and left out of the
//! downstream watermark minimum). `quiet_partition` and `quiet_after` in `[source]` (csv
//! only) silence one partition after a time, to show what idleness is for. `[job]
//! protocol_faults` lists faults at checkpoint protocol points, one a line:
//! `fail after-barrier CHECKPOINT_ID keyed[K]`, `fail after-precommit CHECKPOINT_ID`. Bundled Flink scenarios live in
//! `scenarios/flink/`. Errors name the file, line and column, and what would be valid.

use super::error::ScenarioError;
use super::expr::compile;
use super::parse::parse_expr;
use super::toml_errors::line_col;
use crate::cluster::{Fault, FaultPlan};
use crate::event_time::{read_out_of_order_csv, Arrival, EventRecord, EventTime, OutOfOrderCsv};
use crate::io::sources::EventTime as Clock;
use crate::io::TimedRecords;
use crate::models::flink::{
    CheckpointingMode, FlinkJob, KeyedOperator, MiniCluster, ProtocolFault, SavepointCommand,
    WatermarkEmission, WindowSpec,
};
use crate::sim::{Duration, Time};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The longest run a Flink scenario may ask for (`run_for`), virtual time.
pub const MAX_RUN_FOR: Duration = Duration::from_ms(3_600_000);

/// Most records a source may read.
pub const MAX_RECORDS: usize = 1_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlink {
    name: String,
    #[serde(default)]
    description: String,
    model: Spanned<String>,
    job: RawJob,
    source: RawSource,
    #[serde(default)]
    operator: Option<RawOperator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    run_for: Spanned<String>,
    #[serde(default)]
    task_managers: Option<Spanned<usize>>,
    #[serde(default)]
    checkpoint_interval: Option<Spanned<String>>,
    #[serde(default)]
    mode: Option<Spanned<String>>,
    #[serde(default)]
    unaligned: Option<bool>,
    #[serde(default)]
    two_phase_sink: Option<bool>,
    #[serde(default)]
    record_us: Option<Spanned<f64>>,
    #[serde(default)]
    restart_delay: Option<Spanned<String>>,
    #[serde(default)]
    faults: Option<Spanned<String>>,
    #[serde(default)]
    savepoints: Option<Spanned<String>>,
    #[serde(default)]
    protocol_faults: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    file: Spanned<String>,
    #[serde(default)]
    rate: Option<f64>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    parallelism: Option<usize>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    delay_column: Option<String>,
    #[serde(default)]
    from: Option<Spanned<String>>,
    #[serde(default)]
    until: Option<Spanned<String>>,
    #[serde(default)]
    speedup: Option<f64>,
    #[serde(default)]
    quiet_partition: Option<Spanned<usize>>,
    #[serde(default)]
    quiet_after: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperator {
    #[serde(default)]
    flat_map: Option<Spanned<String>>,
    #[serde(default)]
    parallelism: Option<usize>,
    #[serde(default)]
    out_of_orderness: Option<Spanned<String>>,
    #[serde(default)]
    watermark_interval: Option<Spanned<String>>,
    #[serde(default)]
    idleness: Option<Spanned<String>>,
    #[serde(default)]
    window: Option<Spanned<RawWindow>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    size: String,
    #[serde(default)]
    slide: Option<String>,
    #[serde(default)]
    allowed_lateness: Option<String>,
}

/// The records a Flink scenario's source replays.
#[derive(Clone, Debug)]
pub enum FlinkSource {
    /// Lines at a rate (event time = arrival).
    Lines(TimedRecords),
    /// Records out of order, each with its event time.
    Events(Vec<EventRecord>),
}

/// A loaded Flink scenario: the job, its input, how long it runs.
#[derive(Clone, Debug)]
pub struct FlinkScenario {
    /// The scenario's name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The job and its settings (the seed is set per run).
    pub job: FlinkJob,
    /// The input.
    pub source: FlinkSource,
    /// How long to run, virtual time (the run goes on for a drain of 10 s more, so that
    /// restarts come through).
    pub run_for: Duration,
}

/// The folder of bundled Flink scenarios.
pub fn flink_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/flink")
}

/// A path, or the name of a bundled Flink scenario (`scenarios/flink/NAME.toml`).
///
/// # Errors
/// Neither exists; the error lists the bundled names.
pub fn resolve(name_or_path: &str) -> Result<PathBuf, ScenarioError> {
    super::resolve_in(&flink_dir(), "Flink", name_or_path)
}

/// Loads a Flink scenario file.
///
/// # Errors
/// As [`parse`].
pub fn load(path: &Path) -> Result<FlinkScenario, ScenarioError> {
    parse(&super::read_text(path)?, path)
}

/// Parses fault-like lines `at TIME savepoint | stop-with-savepoint | resume`.
fn parse_savepoints(text: &str) -> Result<Vec<(Time, SavepointCommand)>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || {
            (
                i + 1,
                format!("`{line}`: write `at TIME savepoint`, `at TIME stop-with-savepoint` or `at TIME resume`"),
            )
        };
        let mut words = line.split_whitespace();
        if words.next() != Some("at") {
            return Err(bad());
        }
        let at = words
            .next()
            .and_then(|w| Duration::parse(w).ok())
            .ok_or_else(bad)?;
        let cmd = match words.next() {
            Some("savepoint") => SavepointCommand::Trigger,
            Some("stop-with-savepoint") => SavepointCommand::StopWithSavepoint,
            Some("resume") => SavepointCommand::ResumeFromSavepoint,
            _ => return Err(bad()),
        };
        if words.next().is_some() {
            return Err(bad());
        }
        out.push((Time::ZERO.plus(at), cmd));
    }
    Ok(out)
}

/// Parses a Flink scenario from its text (`path` names it in errors and anchors relative
/// data paths).
///
/// # Errors
/// A [`ScenarioError`] at the offending key: bad TOML, unknown keys, a model other than
/// `flink`, bad durations, an unknown mode or source type, a function that does not compile,
/// a bad window, a fault naming a task manager the job does not have, a limit exceeded.
pub fn parse(text: &str, path: &Path) -> Result<FlinkScenario, ScenarioError> {
    let raw: RawFlink = super::from_toml(text, path)?;
    let at = |offset: usize, msg: String| {
        let (line, col) = line_col(text, offset);
        ScenarioError::at(path, line, col, msg)
    };
    if raw.model.get_ref() != "flink" {
        return Err(at(
            raw.model.span().start,
            format!(
                "model `{}` is not a Flink scenario; `stream-sim flink` runs files with model = \"flink\"",
                raw.model.get_ref()
            ),
        ));
    }
    let duration = |s: &Spanned<String>, what: &str| {
        Duration::parse(s.get_ref()).map_err(|m| at(s.span().start, format!("{what}: {m}")))
    };
    let j = raw.job;
    let run_for = duration(&j.run_for, "run_for")?;
    if run_for > MAX_RUN_FOR || run_for.ms() == 0 {
        return Err(at(
            j.run_for.span().start,
            format!("run_for must be positive and at most {MAX_RUN_FOR} (the limit on a Flink run's length)"),
        ));
    }
    let mut job = FlinkJob::default();
    if let Some(n) = &j.task_managers {
        if *n.get_ref() == 0 || *n.get_ref() > 64 {
            return Err(at(n.span().start, "task_managers must be 1..=64".into()));
        }
        job.task_managers = *n.get_ref();
    }
    job.checkpoint_interval = match &j.checkpoint_interval {
        None => None,
        Some(d) => {
            let i = duration(d, "checkpoint_interval")?;
            if i.ms() < 10 {
                return Err(at(
                    d.span().start,
                    "checkpoint_interval must be at least 10ms (Flink's minimum); omit it to disable checkpoints".into(),
                ));
            }
            Some(i)
        }
    };
    if let Some(m) = &j.mode {
        job.mode = match m.get_ref().as_str() {
            "EXACTLY_ONCE" => CheckpointingMode::ExactlyOnce,
            "AT_LEAST_ONCE" => CheckpointingMode::AtLeastOnce,
            other => {
                return Err(at(
                    m.span().start,
                    format!("unknown mode `{other}`; expected EXACTLY_ONCE or AT_LEAST_ONCE"),
                ))
            }
        };
    }
    job.unaligned = j.unaligned.unwrap_or(false);
    job.two_phase_sink = j.two_phase_sink.unwrap_or(false);
    if let Some(us) = &j.record_us {
        if !(0.0..=1_000_000.0).contains(us.get_ref()) {
            return Err(at(
                us.span().start,
                "record_us must be within 0..=1000000 virtual microseconds".into(),
            ));
        }
        job.record_us = *us.get_ref();
    }
    if let Some(d) = &j.restart_delay {
        job.restart_delay = duration(d, "restart_delay")?;
    }
    if let Some(f) = &j.faults {
        job.faults = FaultPlan::parse(f.get_ref()).map_err(|(l, c, m)| {
            at(f.span().start, format!("faults: line {l}, column {c}: {m}"))
        })?;
        for (_, fault) in &job.faults.faults {
            if let Fault::KillWorker(w) | Fault::RestartWorker(w) = fault {
                let known = w
                    .strip_prefix("worker-")
                    .and_then(|k| k.parse::<usize>().ok())
                    .is_some_and(|k| (1..=job.task_managers).contains(&k));
                if !known {
                    return Err(at(
                        f.span().start,
                        format!(
                            "faults: there is no {w}; the task managers are worker-1 .. worker-{}",
                            job.task_managers
                        ),
                    ));
                }
            }
        }
    }
    if let Some(p) = &j.protocol_faults {
        let keyed = raw
            .operator
            .as_ref()
            .and_then(|o| o.parallelism)
            .unwrap_or(2)
            .clamp(1, 64);
        for (i, line) in p.get_ref().lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.first() != Some(&"fail") {
                return Err(at(
                    p.span().start,
                    format!(
                        "protocol_faults: line {}: `{line}`: write `fail after-barrier CHECKPOINT_ID keyed[K]` or `fail after-precommit CHECKPOINT_ID`",
                        i + 1
                    ),
                ));
            }
            let f = ProtocolFault::parse(&words[1..], keyed).map_err(|m| {
                at(
                    p.span().start,
                    format!("protocol_faults: line {}: {m}", i + 1),
                )
            })?;
            job.protocol_faults.push(f);
        }
        if !job.protocol_faults.is_empty() && job.checkpoint_interval.is_none() {
            return Err(at(
                p.span().start,
                "protocol_faults need checkpoints: set checkpoint_interval".into(),
            ));
        }
    }
    if let Some(s) = &j.savepoints {
        job.savepoints = parse_savepoints(s.get_ref())
            .map_err(|(l, m)| at(s.span().start, format!("savepoints: line {l}: {m}")))?;
    }
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let src = raw.source;
    let file = base.join(src.file.get_ref());
    job.source_parallelism = src.parallelism.unwrap_or(1).clamp(1, 64);
    let source = match src.kind.get_ref().as_str() {
        "lines" => {
            if let Some(q) = &src.quiet_partition {
                return Err(at(
                    q.span().start,
                    "quiet_partition is for csv sources (a lines source has no partitions to silence)".into(),
                ));
            }
            let body = std::fs::read_to_string(&file).map_err(|e| {
                at(
                    src.file.span().start,
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            let limit = src.limit.unwrap_or(MAX_RECORDS).min(MAX_RECORDS);
            let lines: Vec<String> = body
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(limit)
                .map(String::from)
                .collect();
            let rate = src.rate.unwrap_or(20.0);
            if !(rate > 0.0 && rate <= 1_000_000.0) {
                return Err(at(
                    src.kind.span().start,
                    "rate must be within (0, 1000000] lines per second".into(),
                ));
            }
            FlinkSource::Lines(TimedRecords::lines_at_rate(lines, rate, Time::ZERO))
        }
        "csv" => {
            let date = |s: &Option<Spanned<String>>| -> Result<Option<EventTime>, ScenarioError> {
                s.as_ref()
                    .map(|d| EventTime::parse(d.get_ref()).map_err(|m| at(d.span().start, m)))
                    .transpose()
            };
            let spec = OutOfOrderCsv {
                columns: vec![src.key.clone().unwrap_or_else(|| "carrier".into())],
                event_time: Clock::DayAndHhmm {
                    day: ["year".into(), "month".into(), "day".into()],
                    hhmm: "sched_dep_time".into(),
                },
                arrival: Arrival::DelayColumn(
                    src.delay_column
                        .clone()
                        .unwrap_or_else(|| "dep_delay".into()),
                ),
                from: date(&src.from)?,
                until: date(&src.until)?,
                speedup: src.speedup.unwrap_or(720.0),
            };
            let mut records = read_out_of_order_csv(&file, &spec, Time::ZERO)
                .map_err(|m| at(src.file.span().start, m))?;
            records.truncate(src.limit.unwrap_or(MAX_RECORDS).min(MAX_RECORDS));
            if let Some(q) = &src.quiet_partition {
                let p = *q.get_ref();
                if p >= job.source_parallelism {
                    return Err(at(
                        q.span().start,
                        format!(
                            "quiet_partition must be below the source parallelism ({}): partitions are 0 .. {}",
                            job.source_parallelism,
                            job.source_parallelism - 1
                        ),
                    ));
                }
                let after = match &src.quiet_after {
                    Some(d) => duration(d, "quiet_after")?,
                    None => {
                        return Err(at(
                            q.span().start,
                            "quiet_partition needs quiet_after (when the partition stops receiving records), e.g. quiet_after = \"20s\"".into(),
                        ))
                    }
                };
                // The partition receives nothing after `after`: its later records never
                // arrive within the run (they keep their place, so the other partitions
                // read what they read before).
                let never = Time::ZERO.plus(MAX_RUN_FOR + DRAIN + Duration::from_ms(1000));
                let ps = job.source_parallelism;
                for (i, r) in records.iter_mut().enumerate() {
                    if i % ps == p && r.arrival > Time::ZERO.plus(after) {
                        r.arrival = never;
                    }
                }
            }
            FlinkSource::Events(records)
        }
        other => {
            return Err(at(
                src.kind.span().start,
                format!("unknown source type `{other}`; expected lines or csv"),
            ))
        }
    };
    if let Some(op) = raw.operator {
        job.keyed_parallelism = op.parallelism.unwrap_or(2).clamp(1, 64);
        if let Some(f) = &op.flat_map {
            let start = f.span().start + 1;
            let expr = parse_expr(f.get_ref()).map_err(|e| at(start, e.to_string()))?;
            job.flat_map = Some(
                compile(&expr, 1)
                    .map_err(|e| at(start + (e.span.col as usize).saturating_sub(1), e.message))?,
            );
        }
        if let Some(d) = &op.out_of_orderness {
            job.out_of_orderness_ms = duration(d, "out_of_orderness")?.ms() as i64;
        }
        if let Some(d) = &op.idleness {
            let i = duration(d, "idleness")?;
            if i.ms() == 0 {
                return Err(at(
                    d.span().start,
                    "idleness must be positive (WatermarkStrategy.withIdleness); omit it for none"
                        .into(),
                ));
            }
            job.idleness = Some(i);
        }
        if let Some(w) = &op.watermark_interval {
            job.watermarks = if w.get_ref() == "per-event" {
                WatermarkEmission::PerEvent
            } else {
                WatermarkEmission::Periodic(duration(w, "watermark_interval")?)
            };
        }
        if let Some(w) = &op.window {
            let pos = w.span().start;
            let ms = |s: &str| {
                Duration::parse(s)
                    .map(|d| d.ms() as i64)
                    .map_err(|m| at(pos, format!("window: {m}")))
            };
            let r = w.get_ref();
            let size = ms(&r.size)?;
            let spec = WindowSpec {
                size_ms: size,
                slide_ms: r.slide.as_deref().map(ms).transpose()?.unwrap_or(size),
                offset_ms: 0,
                allowed_lateness_ms: r
                    .allowed_lateness
                    .as_deref()
                    .map(ms)
                    .transpose()?
                    .unwrap_or(0),
                side_output_late: true,
            };
            spec.check().map_err(|m| at(pos, format!("window: {m}")))?;
            job.operator = KeyedOperator::Window(spec);
        }
    }
    Ok(FlinkScenario {
        name: raw.name,
        description: raw.description,
        job,
        source,
        run_for,
    })
}

/// How long a Flink scenario runs past `run_for`, so that a restart and its replay come
/// through.
pub const DRAIN: Duration = Duration::from_ms(10_000);

impl FlinkScenario {
    /// Starts the job (with its faults and savepoint commands, seed `seed`) at time zero
    /// without running it: for stepping.
    pub fn execute(&self, seed: u64) -> MiniCluster {
        let mut job = self.job.clone();
        job.seed = seed;
        match &self.source {
            FlinkSource::Lines(l) => MiniCluster::execute(job, l),
            FlinkSource::Events(e) => MiniCluster::execute_events(job, e),
        }
    }

    /// Runs the scenario with `seed` (and its faults, protocol faults and savepoint
    /// commands, unless `faults` is false) for `run_for` plus [`DRAIN`].
    pub fn run(&self, seed: u64, faults: bool) -> MiniCluster {
        let mut job = self.job.clone();
        job.seed = seed;
        if !faults {
            job.faults = FaultPlan::default();
            job.savepoints.clear();
            job.protocol_faults.clear();
        }
        let mut c = match &self.source {
            FlinkSource::Lines(l) => MiniCluster::execute(job, l),
            FlinkSource::Events(e) => MiniCluster::execute_events(job, e),
        };
        c.run_until(Time::ZERO.plus(self.run_for + DRAIN));
        c
    }
}
