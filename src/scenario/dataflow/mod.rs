//! Dataflow scenarios (`model = "dataflow"`): a Beam-like pipeline over a real out-of-order
//! source, its watermark estimator and its runner's settings and faults.
//!
//! ```toml
//! name = "flights-dataflow"
//! model = "dataflow"
//! pipeline = '''
//! departures
//!   | WindowInto(FixedWindows(30 minutes),
//!                trigger=AfterWatermark(early=AfterProcessingTime(5), late=AfterCount(1)),
//!                accumulation_mode=ACCUMULATING, allowed_lateness=1 hour)
//!   | CombinePerKey(CountCombineFn())
//! '''
//! [source.departures]              # exactly one source: a CSV replayed out of order
//! file = "../../data/nycflights13/flights-2013-01.csv"
//! key = "origin"                   # the grouping key's column
//! value = "dep_delay"              # the value's column (omit: the value is 1)
//! event_time = "sched_dep_time"    # HHMM column; the date from year, month, day
//! arrival_delay = "dep_delay"      # minutes after the event time the record arrives
//! from = "2013-01-01"              # event-time range kept
//! until = "2013-01-02"
//! speedup = 720                    # event ms per virtual ms (1 hour = 5 virtual s)
//! [watermark]
//! estimator = "heuristic"          # perfect | heuristic (bounded out-of-orderness)
//!                                  # | percentile ("Streaming Systems" ch. 3)
//! max_out_of_orderness = "30min"   # event time, for heuristic
//! # percentile = 99                # for percentile: % of earlier records arrived
//! interval = "1s"                  # processing time between watermark updates
//! [runner]
//! fidelity = "runners-core"        # runners-core (default) | python
//! faults = "at 40s kill worker-1"  # a worker failure (shared fault lines)
//! checkpointed = true              # state committed per bundle, source replayable
//! restart_delay = "5s"
//! sink = "committed"               # committed (default) | per-attempt (a side effect per
//!                                  # bundle attempt, repeated when a bundle is retried)
//! ```
//!
//! Durations inside the pipeline are seconds as in Beam Python (or carry a unit); TOML
//! settings use the project's duration syntax (`30min`, `1s`). Errors name file:line:col.

pub mod pipeline;

use super::error::ScenarioError;
use super::toml_errors::line_col;
use crate::cluster::{Fault, FaultPlan};
use crate::event_time::{read_out_of_order_csv, Arrival as ArrivalRule, EventTime, OutOfOrderCsv};
use crate::io::sources::EventTime as Clock;
use crate::models::dataflow::recovery::{FailurePlan, SinkMode};
use crate::models::dataflow::watermark::{Arrival, WatermarkEstimator};
use crate::models::dataflow::{Element, Fidelity};
use crate::sim::{Duration, Time};
use crate::value::Value;
use pipeline::BuiltPipeline;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Most records a Dataflow scenario may replay.
pub const MAX_RECORDS: usize = 500_000;

/// Most (watermark updates x records) a percentile watermark may scan.
pub const MAX_PERCENTILE_WORK: u128 = 200_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataflow {
    name: String,
    #[serde(default)]
    description: String,
    model: Spanned<String>,
    pipeline: Spanned<String>,
    source: Spanned<BTreeMap<String, RawSource>>,
    #[serde(default)]
    watermark: Option<RawWatermark>,
    #[serde(default)]
    runner: Option<RawRunner>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    file: Spanned<String>,
    key: Spanned<String>,
    #[serde(default)]
    value: Option<Spanned<String>>,
    event_time: Spanned<String>,
    arrival_delay: Spanned<String>,
    #[serde(default)]
    from: Option<Spanned<String>>,
    #[serde(default)]
    until: Option<Spanned<String>>,
    #[serde(default)]
    speedup: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatermark {
    estimator: Spanned<String>,
    #[serde(default)]
    max_out_of_orderness: Option<Spanned<String>>,
    #[serde(default)]
    interval: Option<Spanned<String>>,
    #[serde(default)]
    percentile: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRunner {
    #[serde(default)]
    fidelity: Option<Spanned<String>>,
    #[serde(default)]
    faults: Option<Spanned<String>>,
    #[serde(default)]
    checkpointed: Option<bool>,
    #[serde(default)]
    checkpoint_interval: Option<Spanned<String>>,
    #[serde(default)]
    restart_delay: Option<Spanned<String>>,
    #[serde(default)]
    allow_unsafe_triggers: Option<bool>,
    #[serde(default)]
    sink: Option<Spanned<String>>,
}

/// A worker failure and how the runner recovers.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureSpec {
    /// Processing time of the failure, virtual ms.
    pub at_ms: i64,
    /// The fault line's target (`worker-1`, `driver`).
    pub what: String,
    /// State committed to durable storage (Dataflow's per-bundle commit); false models a
    /// runner that keeps state only in memory.
    pub checkpointed: bool,
    /// Processing time between checkpoints, ms (0: every bundle).
    pub checkpoint_interval_ms: i64,
    /// Processing time the restart takes, ms.
    pub restart_delay_ms: i64,
    /// What the per-record ledger counts as output: the committed result, or a side effect
    /// performed per bundle attempt.
    pub sink: SinkMode,
}

impl FailureSpec {
    /// The recovery plan the runner's harness follows.
    pub fn plan(&self) -> FailurePlan {
        FailurePlan {
            fail_at_ms: self.at_ms,
            what: self.what.clone(),
            checkpointed: self.checkpointed,
            checkpoint_interval_ms: self.checkpoint_interval_ms,
            restart_delay_ms: self.restart_delay_ms,
            sink: self.sink,
        }
    }
}

/// A loaded Dataflow scenario.
#[derive(Clone, Debug)]
pub struct DataflowScenario {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The file.
    pub path: PathBuf,
    /// The pipeline text as written.
    pub pipeline_text: String,
    /// The built pipeline.
    pub pipeline: BuiltPipeline,
    /// The source's records on the virtual clock, by arrival.
    pub arrivals: Vec<Arrival>,
    /// The watermark estimator.
    pub estimator: WatermarkEstimator,
    /// Processing time between watermark updates, ms.
    pub interval_ms: i64,
    /// Python DirectRunner or runners-core details.
    pub fidelity: Fidelity,
    /// The failure, if any.
    pub failure: Option<FailureSpec>,
    /// Event time at virtual time 0 (the `from` instant), ms.
    pub origin_ms: i64,
    /// Event ms per virtual ms.
    pub speedup: f64,
}

/// True when the TOML text declares `model = "dataflow"` (a quick look, before a full load).
pub fn is_dataflow(text: &str) -> bool {
    text.parse::<toml::Table>()
        .ok()
        .and_then(|t| {
            t.get("model")
                .and_then(|m| m.as_str().map(|s| s == "dataflow"))
        })
        .unwrap_or(false)
}

fn at(path: &Path, text: &str, offset: usize, msg: impl Into<String>) -> ScenarioError {
    let (l, c) = line_col(text, offset);
    ScenarioError::at(path, l, c, msg)
}

fn dur(path: &Path, text: &str, s: &Spanned<String>, what: &str) -> Result<i64, ScenarioError> {
    Duration::parse(s.get_ref())
        .map(|d| d.ms() as i64)
        .map_err(|e| at(path, text, s.span().start, format!("{what}: {e}")))
}

/// Reads a Dataflow scenario file and builds its pipeline and source.
///
/// # Errors
/// The first problem, with file:line:col and what would be valid.
pub fn load(path: &Path) -> Result<DataflowScenario, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::at(path, 0, 0, format!("cannot read the scenario: {e}")))?;
    parse(&text, path)
}

/// Parses a Dataflow scenario's text (`path` names it in errors and anchors relative files).
///
/// # Errors
/// As [`load`].
pub fn parse(text: &str, path: &Path) -> Result<DataflowScenario, ScenarioError> {
    let raw: RawDataflow = toml::from_str(text).map_err(|e| {
        let off = e.span().map(|s| s.start).unwrap_or(0);
        at(
            path,
            text,
            off,
            super::toml_errors::plain_toml_message(e.message()),
        )
    })?;
    if raw.model.get_ref() != "dataflow" {
        return Err(at(
            path,
            text,
            raw.model.span().start,
            "this loader reads model = \"dataflow\" files",
        ));
    }
    let allow_unsafe = raw
        .runner
        .as_ref()
        .and_then(|r| r.allow_unsafe_triggers)
        .unwrap_or(false);
    // The pipeline, with positions shifted into the file.
    let span = raw.pipeline.span();
    let lit = &text[span.start..span.end];
    let mut content = span.start
        + if lit.starts_with("'''") || lit.starts_with("\"\"\"") {
            3
        } else {
            1
        };
    if text[content..].starts_with("\r\n") {
        content += 2;
    } else if text[content..].starts_with('\n') {
        content += 1;
    }
    let ptext = raw.pipeline.get_ref().clone();
    let built = pipeline::build(&ptext, allow_unsafe)
        .map_err(|e| at(path, text, content + e.offset, e.message))?;
    let sources = raw.source.get_ref();
    let Some((sname, src)) = sources.iter().next() else {
        return Err(at(
            path,
            text,
            raw.source.span().start,
            "one [source.NAME] table is needed",
        ));
    };
    if sources.len() > 1 {
        return Err(at(
            path,
            text,
            raw.source.span().start,
            "a Dataflow scenario reads exactly one source",
        ));
    }
    if *sname != built.source {
        return Err(at(
            path,
            text,
            content,
            format!(
                "the pipeline reads `{}` but the source is [source.{sname}]",
                built.source
            ),
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let file = dir.join(src.file.get_ref());
    // Columns exist?
    let header = std::fs::read_to_string(&file).map_err(|e| {
        at(
            path,
            text,
            src.file.span().start,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    let mut lines = header.lines();
    let cols: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(|c| c.trim().to_string())
        .collect();
    let first_row: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(|c| c.trim().to_string())
        .collect();
    let mut checks: Vec<(&Spanned<String>, &str)> = vec![
        (&src.key, "key"),
        (&src.event_time, "event_time"),
        (&src.arrival_delay, "arrival_delay"),
    ];
    if let Some(v) = &src.value {
        checks.push((v, "value"));
    }
    for (c, what) in &checks {
        if !cols.iter().any(|x| x == c.get_ref()) {
            return Err(at(
                path,
                text,
                c.span().start,
                format!(
                    "{what}: column `{}` is not in {}; its columns: {}",
                    c.get_ref(),
                    file.display(),
                    cols.join(", ")
                ),
            ));
        }
    }
    for d in ["year", "month", "day"] {
        if !cols.iter().any(|x| x == d) {
            return Err(at(
                path,
                text,
                src.event_time.span().start,
                format!(
                    "event_time: the date columns year, month, day are needed; {} has no `{d}`",
                    file.display()
                ),
            ));
        }
    }
    for (c, what) in [
        (&src.event_time, "event_time"),
        (&src.arrival_delay, "arrival_delay"),
    ] {
        let ix = cols.iter().position(|x| x == c.get_ref()).unwrap_or(0);
        if let Some(v) = first_row.get(ix) {
            if v != "NA" && v.parse::<i64>().is_err() {
                return Err(at(
                    path,
                    text,
                    c.span().start,
                    format!(
                        "{what}: ValueError: invalid literal for int() with base 10: '{v}' (column `{}`, line 2 of {}): an event-time column holds integers (HHMM for event_time, minutes for arrival_delay)",
                        c.get_ref(),
                        file.display()
                    ),
                ));
            }
        }
    }
    let parse_day = |s: &Option<Spanned<String>>| -> Result<Option<EventTime>, ScenarioError> {
        s.as_ref()
            .map(|x| EventTime::parse(x.get_ref()).map_err(|e| at(path, text, x.span().start, e)))
            .transpose()
    };
    let from = parse_day(&src.from)?;
    let until = parse_day(&src.until)?;
    let speedup = src.speedup.as_ref().map(|s| *s.get_ref()).unwrap_or(1.0);
    if !(speedup > 0.0 && speedup.is_finite()) {
        let off = src.speedup.as_ref().map(|s| s.span().start).unwrap_or(0);
        return Err(at(path, text, off, "speedup must be a positive number"));
    }
    let mut columns = vec![src.key.get_ref().clone()];
    if let Some(v) = &src.value {
        columns.push(v.get_ref().clone());
    }
    let spec = OutOfOrderCsv {
        columns,
        event_time: Clock::DayAndHhmm {
            day: ["year".into(), "month".into(), "day".into()],
            hhmm: src.event_time.get_ref().clone(),
        },
        arrival: ArrivalRule::DelayColumn(src.arrival_delay.get_ref().clone()),
        from,
        until,
        speedup,
    };
    let records = read_out_of_order_csv(&file, &spec, Time::ZERO)
        .map_err(|e| at(path, text, src.file.span().start, e))?;
    if records.len() > MAX_RECORDS {
        return Err(at(
            path,
            text,
            src.file.span().start,
            format!(
                "{} records is over MAX_RECORDS ({MAX_RECORDS}); narrow from/until",
                records.len()
            ),
        ));
    }
    let origin_ms = from
        .map(|f| f.0)
        .or(records.iter().map(|r| r.event_time.0).min())
        .unwrap_or(0);
    let arrivals: Vec<Arrival> = records
        .into_iter()
        .map(|r| {
            let (key, value) = match r.value {
                Value::Tuple(t) if t.len() == 2 => (t[0].clone(), t[1].clone()),
                other => (other, Value::Int(1)),
            };
            Arrival {
                at_ms: r.arrival.ms() as i64,
                element: Element {
                    key,
                    value,
                    timestamp: r.event_time.0,
                    offset: r.offset,
                },
            }
        })
        .collect();
    // Watermark.
    let (estimator, interval_ms) = match &raw.watermark {
        None => (WatermarkEstimator::Perfect, 1000),
        Some(w) => {
            let interval = match &w.interval {
                Some(i) => dur(path, text, i, "interval")?.max(1),
                None => 1000,
            };
            let est = match w.estimator.get_ref().as_str() {
                "perfect" => WatermarkEstimator::Perfect,
                "heuristic" => {
                    let Some(m) = &w.max_out_of_orderness else {
                        return Err(at(path, text, w.estimator.span().start, "a heuristic watermark needs max_out_of_orderness (event time, e.g. \"30min\")"));
                    };
                    WatermarkEstimator::BoundedOutOfOrderness {
                        max_delay_ms: dur(path, text, m, "max_out_of_orderness")?,
                    }
                }
                "percentile" => {
                    let Some(p) = &w.percentile else {
                        return Err(at(path, text, w.estimator.span().start, "a percentile watermark needs percentile (the share of earlier records that must have arrived, in percent, e.g. 99)"));
                    };
                    let percent = *p.get_ref();
                    if !(percent > 0.0 && percent <= 100.0) {
                        return Err(at(
                            path,
                            text,
                            p.span().start,
                            format!("percentile {percent}: a percent above 0 and at most 100 (100 is the perfect watermark)"),
                        ));
                    }
                    let ticks = arrivals.last().map_or(0, |a| a.at_ms) / interval + 1;
                    let work = ticks.max(0) as u128 * arrivals.len() as u128;
                    if work > MAX_PERCENTILE_WORK {
                        return Err(at(
                            path,
                            text,
                            w.estimator.span().start,
                            format!("a percentile watermark rescans the records at each of its {ticks} updates: {} record-updates is over MAX_PERCENTILE_WORK ({MAX_PERCENTILE_WORK}); raise interval or narrow from/until", work),
                        ));
                    }
                    WatermarkEstimator::Percentile { percent }
                }
                other => {
                    return Err(at(
                        path,
                        text,
                        w.estimator.span().start,
                        format!("estimator `{other}`: valid estimators are perfect, heuristic and percentile"),
                    ))
                }
            };
            if w.percentile.is_some() && !matches!(est, WatermarkEstimator::Percentile { .. }) {
                let p = w.percentile.as_ref().map_or(0, |p| p.span().start);
                return Err(at(
                    path,
                    text,
                    p,
                    "percentile is read only with estimator = \"percentile\"",
                ));
            }
            (est, interval)
        }
    };
    // Runner.
    let mut fidelity = Fidelity::RunnersCore;
    let mut failure = None;
    if let Some(r) = &raw.runner {
        if let Some(f) = &r.fidelity {
            fidelity = match f.get_ref().as_str() {
                "python" => Fidelity::PythonDirectRunner,
                "runners-core" => Fidelity::RunnersCore,
                other => {
                    return Err(at(
                        path,
                        text,
                        f.span().start,
                        format!("fidelity `{other}`: valid are runners-core and python"),
                    ))
                }
            };
        }
        if let Some(fl) = &r.faults {
            let plan = FaultPlan::parse(fl.get_ref())
                .map_err(|(_, c, m)| at(path, text, fl.span().start + c as usize, m))?;
            if plan.faults.len() > 1 {
                return Err(at(
                    path,
                    text,
                    fl.span().start,
                    "a Dataflow scenario takes one failure",
                ));
            }
            if let Some((t, f)) = plan.faults.first() {
                let what = match f {
                    Fault::KillWorker(w) => w.clone(),
                    Fault::KillDriver => "driver".into(),
                    other => {
                        return Err(at(path, text, fl.span().start, format!("`{other:?}`: a Dataflow scenario models `kill worker-N` and `kill driver` (the runner's harness)")))
                    }
                };
                failure = Some(FailureSpec {
                    at_ms: t.ms() as i64,
                    what,
                    checkpointed: r.checkpointed.unwrap_or(true),
                    checkpoint_interval_ms: match &r.checkpoint_interval {
                        Some(c) => dur(path, text, c, "checkpoint_interval")?,
                        None => 0,
                    },
                    restart_delay_ms: match &r.restart_delay {
                        Some(c) => dur(path, text, c, "restart_delay")?,
                        None => 5000,
                    },
                    sink: match &r.sink {
                        None => SinkMode::Committed,
                        Some(k) => match k.get_ref().as_str() {
                            "committed" => SinkMode::Committed,
                            "per-attempt" => SinkMode::PerAttempt,
                            other => {
                                return Err(at(
                                    path,
                                    text,
                                    k.span().start,
                                    format!("sink `{other}`: valid are committed (outputs committed with the bundle's state) and per-attempt (a side effect each bundle attempt performs)"),
                                ))
                            }
                        },
                    },
                });
            }
        }
    }
    Ok(DataflowScenario {
        name: raw.name,
        description: raw.description,
        path: path.to_path_buf(),
        pipeline_text: ptext,
        pipeline: built,
        arrivals,
        estimator,
        interval_ms,
        fidelity,
        failure,
        origin_ms,
        speedup,
    })
}
