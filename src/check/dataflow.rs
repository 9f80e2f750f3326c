//! `stream-sim run <dataflow scenario>`: runs a Dataflow scenario (scenarios/dataflow/,
//! `model = "dataflow"`), prints every pane with its pane info, emission time and the
//! watermark, then a summary (late and dropped records with their delay, emission delay);
//! `--trace FILE` writes the watermark history, panes and late records as JSON lines;
//! `--check` compares a run with a failure against the same run without it.

use crate::check::verdict::Verdict;
use crate::ledger::{Ledger, RecordId};
use crate::models::dataflow::pane::{instant, processing, window_text};
use crate::models::dataflow::recovery::{run_with_plan, RecoveryReport, SinkMode};
use crate::models::dataflow::watermark::{test_stream_events, WatermarkEstimator};
use crate::models::dataflow::{DirectRunner, LateRecord, Pane, Timing};
use crate::scenario::dataflow::DataflowScenario;
use crate::scenario::ScenarioError;
use crate::sim::Time;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// A finished Dataflow run: the runner (panes, watermark history, late records), the
/// failure report and the fault-free reference when the scenario has a failure.
pub struct DataflowRun {
    /// The runner after the run (after recovery, when there was a failure).
    pub runner: DirectRunner,
    /// What the recovery did.
    pub recovery: Option<RecoveryReport>,
    /// The same scenario without its failure.
    pub reference: Option<DirectRunner>,
}

/// Runs a loaded scenario.
///
/// # Errors
/// A runtime error of the pipeline (e.g. a combiner over the wrong type).
pub fn run(sc: &DataflowScenario) -> Result<DataflowRun, String> {
    let events = test_stream_events(&sc.arrivals, &sc.estimator, sc.interval_ms);
    let fresh = DirectRunner::new(
        sc.pipeline.windowing.clone(),
        sc.pipeline.combine.clone(),
        sc.fidelity,
    );
    let mut reference = fresh.clone();
    for ev in &events {
        reference.apply(ev)?;
    }
    match &sc.failure {
        None => Ok(DataflowRun {
            runner: reference,
            recovery: None,
            reference: None,
        }),
        Some(f) => {
            let (runner, report) = run_with_plan(fresh, &events, &f.plan())?;
            Ok(DataflowRun {
                runner,
                recovery: Some(report),
                reference: Some(reference),
            })
        }
    }
}

impl DataflowRun {
    /// The per-record verdict of a failure run against the same run without the failure
    /// (from the two runners' ledgers); `None` without a failure.
    pub fn verdict(&self) -> Option<Verdict> {
        let reference = self.reference.as_ref()?;
        Some(Verdict::compare(
            reference.ledger(),
            self.runner.ledger(),
            Time(u64::MAX),
        ))
    }
}

/// Why a record was lost or duplicated in a Dataflow failure run, from its ledger.
pub fn cause(ledger: &Ledger, id: RecordId) -> String {
    let Some(l) = ledger.get(id) else {
        return "never delivered to the worker".into();
    };
    let times = |v: &[Time]| {
        v.iter()
            .map(|t| processing(t.ms() as i64))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if l.outputs > 1 {
        return format!(
            "delivered in {} bundle attempts (at {}): the retried bundle performed its side effect again ({} writes)",
            l.received.len(),
            times(&l.received),
            l.outputs
        );
    }
    match &l.dropped {
        Some((t, why)) => format!(
            "delivered at {}; at {}: {why}",
            times(&l.received),
            processing(t.ms() as i64)
        ),
        None => format!("delivered at {} but never committed", times(&l.received)),
    }
}

/// Figures of a run: late and dropped records, emission delays.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Elements received.
    pub records: u64,
    /// Records that arrived behind the watermark.
    pub late: usize,
    /// Of those, dropped from a window (past allowed lateness).
    pub dropped: usize,
    /// Largest lateness of a late record, event ms.
    pub max_behind_ms: i64,
    /// Panes by timing: EARLY, ON_TIME, LATE.
    pub panes: [usize; 3],
    /// Mean delay of ON_TIME panes: emission processing time minus the processing time at
    /// which the window's end would pass if no record were delayed, virtual ms.
    pub mean_on_time_delay_ms: i64,
    /// The largest such delay, virtual ms.
    pub max_on_time_delay_ms: i64,
}

/// Computes the [`Summary`] of a runner, with `origin_ms` (event time at virtual 0) and
/// `speedup` (event ms per virtual ms) to place window ends on the processing-time axis.
pub fn summary(r: &DirectRunner, origin_ms: i64, speedup: f64) -> Summary {
    let late = r.late_records();
    let mut panes = [0; 3];
    let mut delays = Vec::new();
    for p in r.panes() {
        match p.info.timing {
            Timing::Early => panes[0] += 1,
            Timing::OnTime => {
                panes[1] += 1;
                let ideal = ((p.window.end.0 - origin_ms) as f64 / speedup).round() as i64;
                delays.push(p.emitted_at_ms - ideal);
            }
            Timing::Late => panes[2] += 1,
            Timing::Unknown => {}
        }
    }
    Summary {
        records: r.elements_in(),
        late: late.len(),
        dropped: late.iter().filter(|l| !l.dropped_from.is_empty()).count(),
        max_behind_ms: late.iter().map(|l| l.behind_ms).max().unwrap_or(0),
        panes,
        mean_on_time_delay_ms: if delays.is_empty() {
            0
        } else {
            delays.iter().sum::<i64>() / delays.len() as i64
        },
        max_on_time_delay_ms: delays.iter().copied().max().unwrap_or(0),
    }
}

/// The estimators a Dataflow run is compared under: the perfect watermark, the
/// scenario's own (when it is neither), and the 99th-percentile watermark.
pub fn estimators_for(sc: &DataflowScenario) -> Vec<WatermarkEstimator> {
    let mut v = vec![WatermarkEstimator::Perfect];
    if !matches!(
        sc.estimator,
        WatermarkEstimator::Perfect | WatermarkEstimator::Percentile { .. }
    ) {
        v.push(sc.estimator.clone());
    }
    v.push(match sc.estimator {
        WatermarkEstimator::Percentile { .. } => sc.estimator.clone(),
        _ => WatermarkEstimator::Percentile { percent: 99.0 },
    });
    v
}

/// One estimator's run of a scenario (without its failure): its label, the records it
/// made late (kept or dropped) and its [`Summary`].
pub type EstimatorLate = (String, Vec<LateRecord>, Summary);

/// Runs `sc` (without its failure) under each of `estimators`: which records each makes
/// late. The `late` listing of the REPL can show it for the scenario it opened.
///
/// # Errors
/// A runtime error of the pipeline.
pub fn late_by_estimator(
    sc: &DataflowScenario,
    estimators: &[WatermarkEstimator],
) -> Result<Vec<EstimatorLate>, String> {
    let mut out = Vec::new();
    for est in estimators {
        let mut r = DirectRunner::new(
            sc.pipeline.windowing.clone(),
            sc.pipeline.combine.clone(),
            sc.fidelity,
        );
        for ev in test_stream_events(&sc.arrivals, est, sc.interval_ms) {
            r.apply(&ev)?;
        }
        out.push((
            est.label(),
            r.late_records().to_vec(),
            summary(&r, sc.origin_ms, sc.speedup),
        ));
    }
    Ok(out)
}

/// The text of [`late_by_estimator`]: per estimator, how many records it makes late and
/// drops, and its first `limit` late records with their delay.
pub fn render_late_by_estimator(runs: &[EstimatorLate], limit: usize) -> String {
    let mut out = String::new();
    for (label, late, s) in runs {
        let _ = writeln!(
            out,
            "{label}: {} records late, {} dropped; ON_TIME emission delay mean {}",
            late.len(),
            s.dropped,
            processing(s.mean_on_time_delay_ms)
        );
        for l in late.iter().take(limit) {
            let _ = writeln!(
                out,
                "  {}:{} event time {} arrived at {}, {} min behind: {}",
                l.element.key,
                l.element.value,
                instant(l.element.timestamp),
                processing(l.at_ms),
                l.behind_ms / 60_000,
                l.reason
                    .clone()
                    .unwrap_or_else(|| "fired in a LATE pane".into())
            );
        }
    }
    out.trim_end().to_string()
}

/// The answers a failure must not change, per key and window: the on-time and late panes'
/// values in order, and the last value. (Early panes fire on processing time, so a restart
/// that delays processing changes how many there are and what each has seen.)
fn settled_answers(panes: &[Pane]) -> BTreeSet<String> {
    let mut per: std::collections::BTreeMap<String, (Vec<String>, String)> = Default::default();
    for p in panes.iter().filter(|p| !p.retraction) {
        let e = per
            .entry(format!("{} {}", p.key, window_text(&p.window)))
            .or_default();
        if p.info.timing != Timing::Early {
            e.0.push(format!("{}={}", p.info.timing.name(), p.output));
        }
        e.1 = p.output.to_string();
    }
    per.into_iter()
        .map(|(k, (settled, last))| format!("{k}: {} final {last}", settled.join(",")))
        .collect()
}

/// Runs `name_or_path` and returns the printed text: the panes, then the summary.
///
/// # Errors
/// A scenario error with its position, or a runtime error.
pub fn run_command(path: &Path, trace: Option<&Path>, check: bool) -> Result<String, String> {
    let sc = crate::scenario::dataflow::load(path).map_err(|e: ScenarioError| e.to_string())?;
    let run = run(&sc)?;
    let r = &run.runner;
    let mut out = String::new();
    let w = &sc.pipeline.windowing;
    let _ = writeln!(
        out,
        "{}: {}",
        sc.name,
        sc.description.lines().next().unwrap_or("")
    );
    let _ = writeln!(
        out,
        "pipeline: {} | WindowInto({}, trigger={}, accumulation_mode={}, allowed_lateness={}) | {}",
        sc.pipeline.source,
        w.window_fn,
        w.trigger,
        w.accumulation_mode.name(),
        crate::models::dataflow::pane::seconds(w.allowed_lateness_ms),
        sc.pipeline.combine
    );
    for p in r.panes() {
        let _ = writeln!(out, "{p}");
    }
    let s = summary(r, sc.origin_ms, sc.speedup);
    let _ = writeln!(
        out,
        "records: {}  late (behind the watermark): {}  dropped (past allowed lateness): {}  latest: {} min behind",
        s.records,
        s.late,
        s.dropped,
        s.max_behind_ms / 60_000
    );
    let _ = writeln!(
        out,
        "panes: {} EARLY, {} ON_TIME, {} LATE; ON_TIME emission delay: mean {}, max {}",
        s.panes[0],
        s.panes[1],
        s.panes[2],
        processing(s.mean_on_time_delay_ms),
        processing(s.max_on_time_delay_ms)
    );
    let _ = writeln!(
        out,
        "watermark: {} moves, last {}",
        r.watermark_history().len(),
        instant(r.input_watermark())
    );
    let others = late_by_estimator(&sc, &estimators_for(&sc))?;
    let _ = writeln!(
        out,
        "the same source under other watermarks (late / dropped / ON_TIME delay mean): {}",
        others
            .iter()
            .map(|(label, late, s)| format!(
                "{label} {} / {} / {}",
                late.len(),
                s.dropped,
                processing(s.mean_on_time_delay_ms)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let (Some(rep), Some(reference)) = (&run.recovery, &run.reference) {
        let f = sc
            .failure
            .as_ref()
            .map(|f| f.what.clone())
            .unwrap_or_default();
        let checkpointed = sc.failure.as_ref().is_some_and(|f| f.checkpointed);
        let restart = if f == "driver" {
            "the pipeline submitted again, its source re-read from the start".to_string()
        } else if checkpointed {
            format!(
                "restored from the last commit, at {}",
                processing(rep.restored_from_ms)
            )
        } else {
            "no checkpoint: state restarts empty, the source goes on from the failure".into()
        };
        let _ = writeln!(
            out,
            "failure: {f} at {}; {restart}; {} bundles replayed from the source; {} panes emitted again (deduplicated by key, window and pane index)",
            processing(rep.failed_at_ms),
            rep.bundles_replayed,
            rep.panes_reemitted
        );
        let sink = sc
            .failure
            .as_ref()
            .map(|f| f.sink)
            .unwrap_or(SinkMode::Committed);
        let _ = writeln!(
            out,
            "records (sink {}): {} rolled back (their uncommitted effect discarded, then redelivered), {} lost with in-memory state, {} with a side effect performed again",
            sink.name(),
            rep.records_rolled_back,
            rep.records_lost_with_state,
            rep.side_effects_repeated
        );
        if check {
            let a = settled_answers(reference.panes());
            let b = settled_answers(r.panes());
            let differ = a.difference(&b).count();
            let _ = writeln!(
                out,
                "check against the run without the failure: {} windows there, {} here; {} with a different on-time, late or final answer{}",
                a.len(),
                b.len(),
                differ,
                if differ == 0 && a.len() == b.len() {
                    " -> exactly-once: the same answers, emitted later"
                } else {
                    " -> answers differ: state was lost"
                }
            );
            if let Some(v) = run.verdict() {
                let _ = writeln!(out, "per record: {v}");
                for id in v.lost.iter().chain(&v.duplicated).take(5) {
                    let _ = writeln!(out, "  record {}: {}", id.1, cause(r.ledger(), *id));
                }
            }
        }
    }
    if let Some(tp) = trace {
        write_trace(r, tp)?;
    }
    Ok(out.trim_end().to_string())
}

/// Writes the run's inspection data as JSON lines: `{"event":"Watermark",...}` for each
/// watermark move (with its reason), `{"event":"Pane",...}` for each pane,
/// `{"event":"Late",...}` for each record behind the watermark (kept or dropped).
///
/// # Errors
/// The file cannot be written.
pub fn write_trace(r: &DirectRunner, path: &Path) -> Result<(), String> {
    use std::io::Write;
    let f = std::fs::File::create(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    let mut put = |kind: &str, v: serde_json::Value| -> Result<(), String> {
        let mut obj = serde_json::Map::new();
        obj.insert("event".into(), kind.into());
        if let serde_json::Value::Object(m) = v {
            obj.extend(m);
        }
        writeln!(w, "{}", serde_json::Value::Object(obj)).map_err(|e| e.to_string())
    };
    let j = |x: &dyn erased::Ser| x.to_json();
    for s in r.watermark_history() {
        put("Watermark", j(s))?;
    }
    for p in r.panes() {
        put("Pane", j(p))?;
    }
    for l in r.late_records() {
        put("Late", j(l))?;
    }
    Ok(())
}

mod erased {
    /// Object-safe serialization to a JSON value.
    pub trait Ser {
        fn to_json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}
