//! `stream-sim compare --models dstream,structured,dataflow`: one event-time question asked
//! of the three models on the same out-of-order data, answered window by window.
//!
//! The question: **departures per origin airport per hour of scheduled departure** on
//! 2013-01-01, 05:00 to 12:00. The flights arrive in order of *actual* departure
//! (`event_time::replay`: event time = scheduled departure, arrival = scheduled +
//! `dep_delay`), one hour of event time in 5 virtual seconds (speedup 720), so a flight
//! 2 hours late arrives 10 virtual seconds after the flights of its hour.
//!
//! - **DStream** (Spark Streaming) has no event time: `reduceByKey` per 5 s batch counts the
//!   flights that *departed* in that hour (processing-time windows, the guide's only kind).
//!   A delayed flight is counted in the hour it departed, not the hour it was scheduled.
//! - **Structured Streaming**: `withWatermark("sched_dep", "1 hour")`,
//!   `groupBy(window($"sched_dep", "1 hour"), $"origin").count()` in append mode, a trigger
//!   every 5 s: each window is written once, when the watermark (max event time seen minus
//!   1 hour, from the previous micro-batch) passes its end; flights later than that are
//!   dropped (`numRowsDroppedByWatermark`).
//! - **Dataflow** (Beam): `FixedWindows(1 hour)`, `AfterWatermark(late=AfterCount(1))`,
//!   accumulating, `allowed_lateness=2 hours`, a heuristic watermark 1 hour behind the
//!   newest event: an ON_TIME pane when the watermark passes the window, a LATE pane per
//!   late flight within the allowed lateness, dropped past it.
//!
//! The table gives, per window and origin, the exact count and each model's answer with the
//! processing time it was emitted; then per model the late or misplaced flights, the rows
//! dropped, the windows whose final answer is exact, and the emission delay (emission time
//! minus the instant the window's end passes on the replay clock).

use super::verdict::Verdict;
use crate::cluster::FaultPlan;
use crate::event_time::{read_out_of_order_csv, Arrival, EventTime, OutOfOrderCsv, TimeWindow};
use crate::io::sources::EventTime as Clock;
use crate::ledger::Ledger;
use crate::scenario::dataflow::DataflowScenario;
use crate::scenario::{self, spec::parse_scenario, RunOptions};
use crate::sim::Time;
use crate::value::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The event-time models `compare` knows, in table order.
pub const EVENT_TIME_MODELS: [&str; 3] = ["dstream", "structured", "dataflow"];

/// Event ms per virtual ms: one hour of departures in 5 virtual seconds.
pub const SPEEDUP: f64 = 720.0;

const FROM: &str = "2013-01-01 05:00";
const UNTIL: &str = "2013-01-01 12:00";
const HOUR: i64 = 3_600_000;

/// One model's answer for one window and origin: `(answer, emission time)` in emission
/// order (several for Dataflow's panes, with their timing).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answers {
    /// `(label, count, virtual ms)`: label empty, or EARLY / ON_TIME / LATE.
    pub emitted: Vec<(String, i64, u64)>,
}

impl Answers {
    fn last(&self) -> Option<i64> {
        self.emitted.last().map(|(_, c, _)| *c)
    }
}

/// What one model did with the late flights.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lateness {
    /// Flights that arrived late in the model's own sense (DStream: counted in another
    /// hour than scheduled; Structured: behind the watermark; Dataflow: behind the input
    /// watermark).
    pub late: usize,
    /// Of those, dropped from every answer.
    pub dropped: usize,
    /// Up to 10 examples: `(flight's event time, how late in event ms, what happened)`.
    pub examples: Vec<(EventTime, i64, String)>,
}

/// The whole comparison.
#[derive(Clone, Debug, Default)]
pub struct EventTimeComparison {
    /// The models compared, in order.
    pub models: Vec<String>,
    /// Per (window, origin): the exact count, and per model its answers.
    pub rows: BTreeMap<(TimeWindow, String), (i64, BTreeMap<String, Answers>)>,
    /// Per model: its late flights.
    pub lateness: BTreeMap<String, Lateness>,
    /// Flights replayed, and how many arrived behind the newest event time before them.
    pub flights: (usize, usize),
    /// Structured's watermark after each micro-batch `(virtual ms, event ms)`, and
    /// Dataflow's input watermark at each move.
    pub watermarks: BTreeMap<String, Vec<(u64, i64)>>,
    /// Every flight: `(event time, arrival virtual ms, late)`, for the diagram.
    pub points: Vec<(i64, u64, bool)>,
    /// The fault lines the models ran under (empty: none).
    pub faults: Vec<String>,
    /// Per model, with faults: the per-record verdict against its run without them.
    pub verdicts: BTreeMap<String, Verdict>,
    /// With Dataflow: the same pipeline under each watermark estimator.
    pub estimators: Vec<EstimatorRun>,
}

/// The Dataflow pipeline of the comparison under one watermark estimator: which flights it
/// makes late, and how soon it fires the on-time panes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EstimatorRun {
    /// `perfect`, `heuristic(1h)`, `percentile(99)`.
    pub label: String,
    /// The flights behind the watermark when they arrived, in arrival order:
    /// `(scheduled departure, how far behind the watermark in event ms, dropped)`.
    pub late: Vec<(EventTime, i64, bool)>,
    /// Mean and largest ON_TIME emission delay after the window's end passes on the replay
    /// clock, virtual ms.
    pub on_time_delay_ms: (u64, u64),
    /// Windows whose final answer is the exact count.
    pub exact: usize,
}

/// The estimators compared, as `[watermark]` lines (the heuristic is the comparison's).
pub const ESTIMATORS: [&str; 4] = [
    "estimator = \"perfect\"",
    HEURISTIC,
    "estimator = \"percentile\"\npercentile = 99",
    "estimator = \"percentile\"\npercentile = 95",
];

fn data_dir() -> PathBuf {
    scenario::scenarios_dir().join("data")
}

/// Runs the comparison for `models` (a subset of [`EVENT_TIME_MODELS`]).
///
/// # Errors
/// An unknown model name (listing the valid ones), or a model's run failing.
pub fn compare_event_time(models: &[String]) -> Result<EventTimeComparison, String> {
    compare_event_time_with_faults(models, &FaultPlan::default())
}

/// Runs the comparison for `models` under `faults` (each model without them too, and judged
/// record by record against that run: `verdicts`). DStream takes the faults as its
/// `[cluster] faults`; Structured Streaming as its `[run] faults` (it models `kill driver`:
/// Spark retries a lost worker's tasks); Dataflow takes the first as its `[runner] faults`
/// (`kill worker-N`: the bundles since the last commit are retried; `kill driver`: the
/// pipeline is resubmitted).
///
/// # Errors
/// As [`compare_event_time`], or a fault a model cannot take (its loader's message).
pub fn compare_event_time_with_faults(
    models: &[String],
    faults: &FaultPlan,
) -> Result<EventTimeComparison, String> {
    let lines: Vec<String> = faults
        .faults
        .iter()
        .map(|(t, f)| format!("at {} {f}", crate::sim::Duration(t.ms())))
        .collect();
    let text = lines.join("\n");
    for m in models {
        if !EVENT_TIME_MODELS.contains(&m.as_str()) {
            return Err(format!(
                "`{m}` is not an event-time model here; use some of: {}",
                EVENT_TIME_MODELS.join(", ")
            ));
        }
    }
    let mut out = EventTimeComparison {
        models: models.to_vec(),
        faults: lines,
        ..EventTimeComparison::default()
    };
    truth(&mut out)?;
    for m in models {
        match m.as_str() {
            "dstream" => dstream(&mut out, &text)?,
            "structured" => structured(&mut out, &text)?,
            _ => dataflow(&mut out, &text)?,
        }
    }
    Ok(out)
}

/// The Dataflow pipeline under each of [`ESTIMATORS`].
fn estimators(out: &mut EventTimeComparison) -> Result<(), String> {
    for est in ESTIMATORS {
        let sc = dataflow_scenario(est, "")?;
        let run = super::dataflow::run(&sc)?;
        let r = &run.runner;
        let late = r
            .late_records()
            .iter()
            .map(|l| {
                (
                    EventTime(l.element.timestamp),
                    l.behind_ms,
                    !l.dropped_from.is_empty(),
                )
            })
            .collect();
        let mut delays = Vec::new();
        let mut last: BTreeMap<(TimeWindow, String), i64> = BTreeMap::new();
        for p in r.panes().iter().filter(|p| !p.retraction) {
            let origin = match &p.key {
                Value::Str(s) => s.to_string(),
                other => other.to_string(),
            };
            if p.info.timing == crate::models::dataflow::Timing::OnTime {
                delays.push(
                    (p.emitted_at_ms.max(0) as u64).saturating_sub(virtual_of(p.window.end.0)),
                );
            }
            last.insert((p.window, origin), p.output.as_int().unwrap_or(0));
        }
        let exact = out
            .rows
            .iter()
            .filter(|(k, (n, _))| last.get(*k) == Some(n))
            .count();
        out.estimators.push(EstimatorRun {
            label: sc.estimator.label(),
            late,
            on_time_delay_ms: (
                if delays.is_empty() {
                    0
                } else {
                    delays.iter().sum::<u64>() / delays.len() as u64
                },
                delays.iter().copied().max().unwrap_or(0),
            ),
            exact,
        });
    }
    Ok(())
}

fn origin_ms() -> i64 {
    EventTime::parse(FROM).map_or(0, |t| t.0)
}

fn window_of(t: i64) -> TimeWindow {
    let start = t - t.rem_euclid(HOUR);
    TimeWindow::new(start, start + HOUR)
}

/// The virtual instant an event time passes on the replay clock.
fn virtual_of(event_ms: i64) -> u64 {
    ((event_ms - origin_ms()).max(0) as f64 / SPEEDUP).round() as u64
}

fn truth(out: &mut EventTimeComparison) -> Result<(), String> {
    let spec = OutOfOrderCsv {
        columns: vec!["origin".into()],
        event_time: Clock::DayAndHhmm {
            day: ["year".into(), "month".into(), "day".into()],
            hhmm: "sched_dep_time".into(),
        },
        arrival: Arrival::DelayColumn("dep_delay".into()),
        from: Some(EventTime::parse(FROM)?),
        until: Some(EventTime::parse(UNTIL)?),
        speedup: SPEEDUP,
    };
    let records = read_out_of_order_csv(
        &data_dir().join("nycflights13/flights-2013-01.csv"),
        &spec,
        Time::ZERO,
    )?;
    let late = records.iter().filter(|r| r.behind_ms > 0).count();
    out.flights = (records.len(), late);
    for r in &records {
        let origin = r.value.to_string();
        out.rows
            .entry((window_of(r.event_time.0), origin))
            .or_default()
            .0 += 1;
        out.points
            .push((r.event_time.0, r.arrival.ms(), r.behind_ms > 0));
    }
    Ok(())
}

/// The DStream program's counts per (window, origin), its batch completion times and its
/// ledger, run with `faults` (fault lines; empty: none).
type DStreamRun = (
    BTreeMap<(TimeWindow, String), i64>,
    BTreeMap<u64, u64>,
    Ledger,
);

fn dstream_run(faults: &str) -> Result<DStreamRun, String> {
    let cluster = if faults.is_empty() {
        String::new()
    } else {
        format!("[cluster]\nfaults = \"\"\"\n{faults}\n\"\"\"\n")
    };
    let text = format!(
        r#"
pipeline = '''
perHour = flights.map(origin => (origin, 1)).reduceByKey((a, b) => a + b)
perHour.print(3)
'''

[context]
batch_interval = "5s"
run_for = "60s"

{cluster}
[sources.flights]
type = "csvEventStream"
file = "data/nycflights13/flights-2013-01.csv"
columns = ["origin"]
event_time = {{ day = ["year", "month", "day"], hhmm = "dep_time" }}
from = "{FROM}"
until = "{UNTIL}"
speedup = 720
"#
    );
    let path = scenario::scenarios_dir().join("compare-event-time.toml");
    let sc = parse_scenario(&text, &path).map_err(|e| e.to_string())?;
    let built = sc
        .build(&RunOptions {
            seed: 0,
            output_dir: std::env::temp_dir().join("stream-sim-compare"),
        })
        .map_err(|e| e.to_string())?;
    let id = built
        .streams
        .get("perHour")
        .map(|s| s.id())
        .ok_or("the DStream program lost its stream")?;
    let end = Time::ZERO.plus(sc.run_for);
    let mut counts: BTreeMap<(TimeWindow, String), i64> = BTreeMap::new();
    let mut at: BTreeMap<u64, u64> = BTreeMap::new();
    while let Some(t) = built.ssc.next_batch_time() {
        if t > end {
            break;
        }
        built.ssc.run_until(t).map_err(|e| e.to_string())?;
        let recs = built.ssc.with_graph(|g| {
            g.node(id)
                .generated()
                .get(&t)
                .map(|r| r.collect())
                .unwrap_or_default()
        });
        // The batch at t holds the arrivals of (t - 5 s, t]: departures of the hour that
        // ends at t on the replay clock.
        let start = origin_ms() + (t.ms() as i64 / 5000 - 1) * HOUR;
        for r in recs {
            if let Some((k, v)) = r.as_pair() {
                let n = v.as_int().unwrap_or(0);
                counts.insert((TimeWindow::new(start, start + HOUR), k.to_string()), n);
            }
        }
    }
    for e in built.ssc.trace() {
        if let crate::models::dstream::Event::BatchCompleted {
            time,
            total_delay_ms,
            ..
        } = e
        {
            at.insert(time.ms(), time.ms() + total_delay_ms);
        }
    }
    Ok((counts, at, built.ssc.ledger()))
}

fn dstream(out: &mut EventTimeComparison, faults: &str) -> Result<(), String> {
    let (counts, at, ledger) = dstream_run(faults)?;
    if !faults.is_empty() {
        let (_, _, reference) = dstream_run("")?;
        out.verdicts.insert(
            "dstream".into(),
            Verdict::compare(&reference, &ledger, Time(u64::MAX)),
        );
    }
    let mut lateness = Lateness::default();
    for ((w, origin), (_, answers)) in out.rows.iter_mut() {
        let n = counts.get(&(*w, origin.clone())).copied().unwrap_or(0);
        let batch = virtual_of(w.end.0);
        answers.insert(
            "dstream".into(),
            Answers {
                emitted: vec![(String::new(), n, at.get(&batch).copied().unwrap_or(batch))],
            },
        );
    }
    // Misplaced: flights whose actual departure hour is not their scheduled hour.
    for (ev, arr, _) in &out.points {
        let actual = origin_ms() + (*arr as f64 * SPEEDUP) as i64;
        if window_of(actual) != window_of(*ev) {
            lateness.late += 1;
            if lateness.examples.len() < 10 {
                lateness.examples.push((
                    EventTime(*ev),
                    actual - ev,
                    format!(
                        "counted in the hour of {}",
                        EventTime(window_of(actual).start.0)
                    ),
                ));
            }
        }
    }
    out.lateness.insert("dstream".into(), lateness);
    Ok(())
}

fn structured(out: &mut EventTimeComparison, all_faults: &str) -> Result<(), String> {
    // Structured Streaming's scenarios take `kill driver` only: Spark retries a lost
    // worker's tasks inside the micro-batch, which changes no result.
    let faults = all_faults
        .lines()
        .filter(|l| l.trim_end().ends_with("kill driver"))
        .collect::<Vec<_>>()
        .join("\n");
    let faults = faults.as_str();
    let run_faults = if faults.is_empty() {
        String::new()
    } else {
        format!("faults = \"\"\"\n{faults}\n\"\"\"")
    };
    let text = format!(
        r#"
name = "compare-structured"
model = "structured"
query = '''
flights
  .withWatermark("sched_dep", "1 hour")
  .groupBy(window($"sched_dep", "1 hour"), $"origin")
  .count()
'''

[writeStream]
outputMode = "append"
trigger = "ProcessingTime(5 seconds)"
format = "console"

[run]
until = "150s"
{run_faults}

[sources.flights]
type = "flights"
file = "../data/nycflights13/flights-2013-01.csv"
columns = ["origin"]
event_time = "sched_dep"
from = "{FROM}"
until = "{UNTIL}"
speedup = 720
"#
    );
    let path = scenario::structured::structured_dir().join("compare-event-time.toml");
    let sc = scenario::structured::parse(&text, &path).map_err(|e| e.to_string())?;
    let mut q = sc.start();
    q.run_until(sc.until);
    if !all_faults.is_empty() {
        let mut reference = sc.without_faults().start();
        reference.run_until(sc.until);
        out.verdicts.insert(
            "structured".into(),
            Verdict::compare(reference.ledger(), q.ledger(), Time(u64::MAX)),
        );
    }
    for e in q.emissions().into_iter().filter(|e| e.kept) {
        let origin = e.row.first().cloned().unwrap_or_default();
        let n: i64 = e.row.get(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        if let Some((_, answers)) = out.rows.get_mut(&(e.window, origin)) {
            answers
                .entry("structured".into())
                .or_default()
                .emitted
                .push((String::new(), n, e.at.ms()));
        }
    }
    let late = q.late_rows();
    let mut lateness = Lateness {
        late: late.len(),
        dropped: late.len(),
        examples: Vec::new(),
    };
    for l in late.iter().take(10) {
        lateness.examples.push((
            EventTime(l.event_time_ms),
            l.watermark_ms - l.event_time_ms,
            format!(
                "dropped in batch {} (watermark {})",
                l.batch_id,
                EventTime(l.watermark_ms)
            ),
        ));
    }
    out.lateness.insert("structured".into(), lateness);
    out.watermarks.insert(
        "structured".into(),
        q.watermark_history()
            .iter()
            .map(|m| (m.at.ms(), m.to_ms))
            .collect(),
    );
    Ok(())
}

/// The Dataflow pipeline of the comparison with `estimator` (a `[watermark]` table's
/// lines) and `faults` (fault lines; the first is the failure; empty: none).
fn dataflow_text(estimator: &str, faults: &str) -> String {
    let runner = match faults.lines().map(str::trim).find(|l| !l.is_empty()) {
        None => String::new(),
        Some(f) => format!("[runner]\nfaults = \"{f}\"\n"),
    };
    format!(
        r#"
name = "compare-dataflow"
model = "dataflow"
pipeline = '''
departures
  | WindowInto(FixedWindows(1 hour),
               trigger=AfterWatermark(late=AfterCount(1)),
               accumulation_mode=ACCUMULATING,
               allowed_lateness=2 hours)
  | CombinePerKey(CountCombineFn())
'''

[source.departures]
file = "../data/nycflights13/flights-2013-01.csv"
key = "origin"
event_time = "sched_dep_time"
arrival_delay = "dep_delay"
from = "{FROM}"
until = "{UNTIL}"
speedup = 720

[watermark]
{estimator}
interval = "1s"

{runner}
"#
    )
}

/// The comparison's heuristic watermark: 1 hour behind the newest scheduled departure.
const HEURISTIC: &str = "estimator = \"heuristic\"\nmax_out_of_orderness = \"1h\"";

fn dataflow_scenario(estimator: &str, faults: &str) -> Result<DataflowScenario, String> {
    let path: &Path = &scenario::scenarios_dir().join("dataflow/compare-event-time.toml");
    scenario::dataflow::parse(&dataflow_text(estimator, faults), path).map_err(|e| e.to_string())
}

fn dataflow(out: &mut EventTimeComparison, faults: &str) -> Result<(), String> {
    let sc = dataflow_scenario(HEURISTIC, faults)?;
    let run = super::dataflow::run(&sc)?;
    if let Some(v) = run.verdict() {
        out.verdicts.insert("dataflow".into(), v);
    }
    estimators(out)?;
    for p in run.runner.panes().iter().filter(|p| !p.retraction) {
        let origin = match &p.key {
            Value::Str(s) => s.to_string(),
            other => other.to_string(),
        };
        if let Some((_, answers)) = out.rows.get_mut(&(p.window, origin)) {
            answers.entry("dataflow".into()).or_default().emitted.push((
                p.info.timing.name().to_string(),
                p.output.as_int().unwrap_or(0),
                p.emitted_at_ms.max(0) as u64,
            ));
        }
    }
    let late = run.runner.late_records();
    let mut lateness = Lateness {
        late: late.len(),
        dropped: late.iter().filter(|l| !l.dropped_from.is_empty()).count(),
        examples: Vec::new(),
    };
    for l in late.iter().take(10) {
        lateness.examples.push((
            EventTime(l.element.timestamp),
            l.behind_ms,
            if l.dropped_from.is_empty() {
                "fired in a LATE pane".to_string()
            } else {
                format!(
                    "dropped{}",
                    l.reason
                        .as_ref()
                        .map_or(String::new(), |r| format!(": {r}"))
                )
            },
        ));
    }
    out.lateness.insert("dataflow".into(), lateness);
    out.watermarks.insert(
        "dataflow".into(),
        run.runner
            .watermark_history()
            .iter()
            .map(|w| (w.at_ms.max(0) as u64, w.watermark))
            .collect(),
    );
    Ok(())
}

fn secs(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// The table and the per-model figures, as `compare` prints them.
pub fn render(c: &EventTimeComparison) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Departures per origin per hour of scheduled departure, 2013-01-01 {}-{} ({} flights, {} of them arriving behind a newer one). Answers are `count @ processing time` (virtual; 1 h of event time = 5 s).\n",
        &FROM[11..],
        &UNTIL[11..],
        c.flights.0,
        c.flights.1
    );
    let _ = write!(s, "| window | origin | exact |");
    for m in &c.models {
        let _ = write!(s, " {m} |");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "|---|---|---|{}", "---|".repeat(c.models.len()));
    for ((w, origin), (exact, answers)) in &c.rows {
        let _ = write!(
            s,
            "| {}-{} | {origin} | {exact} |",
            &w.start.to_string()[11..16],
            &w.end.to_string()[11..16]
        );
        for m in &c.models {
            let cell = answers.get(m).map_or("-".to_string(), |a| {
                a.emitted
                    .iter()
                    .map(|(label, n, at)| {
                        let mark = if *n == *exact { "" } else { "*" };
                        if label.is_empty() {
                            format!("{n}{mark} @ {}", secs(*at))
                        } else {
                            format!("{label} {n}{mark} @ {}", secs(*at))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            let _ = write!(s, " {} |", if cell.is_empty() { "-" } else { &cell });
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\n`*`: differs from the exact count. `-`: never emitted (Structured Streaming's append mode writes a window only once the watermark passes its end; after the last flight the watermark stops moving).\n"
    );
    let _ = writeln!(
        s,
        "| model | late flights | dropped | windows exact (final answer) | emission delay after the window's end, mean / max |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for m in &c.models {
        let l = c.lateness.get(m).cloned().unwrap_or_default();
        let (mut exact, mut total, mut delays) = (0, 0, Vec::new());
        for ((w, _), (n, answers)) in &c.rows {
            total += 1;
            if let Some(a) = answers.get(m) {
                if a.last() == Some(*n) {
                    exact += 1;
                }
                if let Some((_, _, at)) = a
                    .emitted
                    .iter()
                    .find(|(label, _, _)| label.is_empty() || label == "ON_TIME")
                {
                    delays.push(at.saturating_sub(virtual_of(w.end.0)));
                }
            }
        }
        let mean = if delays.is_empty() {
            0
        } else {
            delays.iter().sum::<u64>() / delays.len() as u64
        };
        let _ = writeln!(
            s,
            "| {m} | {} | {} | {exact} of {total} | {} / {} |",
            l.late,
            l.dropped,
            secs(mean),
            secs(delays.iter().copied().max().unwrap_or(0))
        );
    }
    for m in &c.models {
        let Some(l) = c.lateness.get(m) else { continue };
        if l.examples.is_empty() {
            continue;
        }
        let what = match m.as_str() {
            "dstream" => "flights counted in another hour than scheduled (processing-time windows)",
            "structured" => "rows dropped by the watermark",
            _ => "records behind the watermark",
        };
        let _ = writeln!(s, "\n{m}: {} {what}; the first:", l.late);
        for (t, behind, what) in &l.examples {
            let off = if m == "dstream" {
                format!("departed {:+} min from schedule", behind / 60_000)
            } else {
                format!("{} min behind the watermark", behind / 60_000)
            };
            let _ = writeln!(s, "  scheduled {t}, {off}: {what}");
        }
    }
    render_estimators(&mut s, c);
    render_verdicts(&mut s, c);
    s
}

/// The Dataflow pipeline under each watermark estimator: how many flights each makes late,
/// what that buys in emission delay, and the first flights each makes late.
fn render_estimators(s: &mut String, c: &EventTimeComparison) {
    if c.estimators.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nDataflow under each watermark estimator (same pipeline; perfect: the oldest flight still to come; heuristic(1h): the newest scheduled departure seen minus 1 hour; percentile(p): the latest time before which p % of the flights have arrived, \"Streaming Systems\" ch. 3):\n"
    );
    let _ = writeln!(
        s,
        "| watermark | late flights | dropped | windows exact (final answer) | ON_TIME delay after the window's end, mean / max |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for e in &c.estimators {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} of {} | {} / {} |",
            e.label,
            e.late.len(),
            e.late.iter().filter(|l| l.2).count(),
            e.exact,
            c.rows.len(),
            secs(e.on_time_delay_ms.0),
            secs(e.on_time_delay_ms.1)
        );
    }
    for e in &c.estimators {
        if e.late.is_empty() {
            let _ = writeln!(s, "\n{}: no flight late", e.label);
            continue;
        }
        let _ = writeln!(
            s,
            "\n{}: {} flights late; the first:",
            e.label,
            e.late.len()
        );
        for (t, behind, dropped) in e.late.iter().take(5) {
            let _ = writeln!(
                s,
                "  scheduled {t}, {} min behind the watermark: {}",
                behind / 60_000,
                if *dropped {
                    "dropped (past allowed lateness)"
                } else {
                    "fired in a LATE pane"
                }
            );
        }
    }
}

/// Under faults: each model's per-record verdict against its run without them.
fn render_verdicts(s: &mut String, c: &EventTimeComparison) {
    if c.faults.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nUnder faults ({}), each model judged record by record against its run without them:\n",
        c.faults.join("; ")
    );
    let _ = writeln!(
        s,
        "| model | guarantee | delivered once | lost | duplicated |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for m in &c.models {
        match c.verdicts.get(m) {
            Some(v) => {
                let _ = writeln!(
                    s,
                    "| {m} | {} | {} | {} | {} |",
                    if v.delivered_once == 0 && v.lost.is_empty() && v.duplicated.is_empty() {
                        "nothing to judge"
                    } else {
                        v.label()
                    },
                    v.delivered_once,
                    v.lost.len(),
                    v.duplicated.len()
                );
            }
            None => {
                let _ = writeln!(s, "| {m} | - | - | - | - |");
            }
        }
    }
}
