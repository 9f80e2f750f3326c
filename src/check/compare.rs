//! `stream-sim compare`: one input and one fault schedule through several models, judged by
//! the same per-record ledger: the word count over the fortune lines in Spark Streaming
//! (micro-batches, a reliable receiver with the write-ahead log, a checkpoint), Storm
//! (per-tuple acking, a reliable spout) and Flink (aligned checkpoints, a two-phase-commit
//! sink).
//!
//! For each model, against the same model without faults: the guarantee kept per record
//! (lost, duplicated: for Storm and Flink's state a duplicate is a record whose words
//! updated the state twice), the latency from a record's arrival to its output (p50, p99),
//! the throughput of records written out, and the longest pause in output (how long
//! recovery stopped the pipeline). A `kill driver` fault is the driver for Spark, Nimbus for
//! Storm, the JobManager for Flink; `kill worker-N` a worker, supervisor slot or task
//! manager.

use super::verdict::Verdict;
use crate::cluster::FaultPlan;
use crate::io::TimedRecords;
use crate::ledger::Ledger;
use crate::models::dstream::{Config, Event, StreamingContext};
use crate::models::flink::{FlinkJob, MiniCluster};
use crate::models::storm::{BoltLogic, Grouping, LocalCluster, StormConfig, TopologyBuilder};
use crate::scenario::expr::compile;
use crate::scenario::parse::parse_expr;
use crate::sim::{Duration, Time};
use std::collections::BTreeMap;
use std::path::Path;

/// Lines per virtual second of the compared input.
pub const RATE: f64 = 20.0;
/// How long the input lasts and the window judged, virtual time.
pub const RUN_FOR: Duration = Duration::from_ms(20_000);
/// How long each model may go on after [`RUN_FOR`] so that replays come through.
pub const DRAIN: Duration = Duration::from_ms(40_000);

/// One model's row of the comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The model.
    pub model: &'static str,
    /// How it was run.
    pub setup: &'static str,
    /// The per-record verdict against the same model without faults.
    pub verdict: Verdict,
    /// Arrival to output, p50 and p99, virtual ms.
    pub latency_ms: (u64, u64),
    /// Records written out per virtual second over the judged window.
    pub throughput_per_s: f64,
    /// The longest time without any output inside the judged window, virtual ms.
    pub longest_pause_ms: u64,
    /// Records whose state updates were lost for good (Storm: a dead worker's in-memory
    /// counts, for trees already acked; see `check::storm::state_loss`); 0 for the others.
    pub state_lost: usize,
}

impl Row {
    /// The guarantee kept, state included: the verdict's label, or for a run whose state
    /// lost updates `at-most-once for the state` (`none for the state` with duplicates too).
    pub fn guarantee(&self) -> &'static str {
        if self.state_lost == 0 {
            self.verdict.label()
        } else if self.verdict.duplicated.is_empty() {
            "at-most-once for the state"
        } else {
            "none for the state"
        }
    }
}

fn lines() -> Result<TimedRecords, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/data/fortunes/lines.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let n = (RATE * RUN_FOR.ms() as f64 / 1000.0) as usize;
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .map(String::from)
        .collect();
    Ok(TimedRecords::lines_at_rate(lines, RATE, Time::ZERO))
}

fn func(src: &str, arity: usize) -> Result<crate::func::Func, String> {
    let e = parse_expr(src).map_err(|e| e.to_string())?;
    compile(&e, arity).map_err(|e| e.to_string())
}

fn percentiles(mut v: Vec<u64>) -> (u64, u64) {
    if v.is_empty() {
        return (0, 0);
    }
    v.sort_unstable();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99))
}

fn longest_pause(mut times: Vec<Time>) -> u64 {
    times.retain(|t| *t <= Time::ZERO.plus(RUN_FOR + DRAIN));
    times.sort_unstable();
    let mut prev = Time::ZERO;
    let mut pause = 0;
    for t in times {
        if prev < Time::ZERO.plus(RUN_FOR) {
            pause = pause.max(t.ms() - prev.ms());
        }
        prev = t;
    }
    pause
}

/// The DStream word count: records of a batch are written out when its job completes.
/// Returns the ledger and, per record offset, when it was first written out.
fn dstream(faults: &FaultPlan, seed: u64) -> Result<(Ledger, BTreeMap<u64, Time>), String> {
    let mut config = Config::new(Duration::from_ms(1000));
    config.seed = seed;
    config.cluster.wal = true;
    config.cluster.faults = faults.clone();
    config.output_dir = std::env::temp_dir().join("stream-sim-compare");
    let ssc = StreamingContext::new(config).map_err(|e| e.to_string())?;
    ssc.checkpoint("checkpoints/compare");
    let e = |e: crate::models::dstream::SparkError| e.to_string();
    let counts = ssc
        .receiver_stream_with("lines", lines()?, true)
        .map_err(e)?
        .flat_map(func(r#"split(" ")"#, 1)?)
        .map_err(e)?
        .map(func("pair(1)", 1)?)
        .map_err(e)?
        .reduce_by_key(func("sum", 2)?, None)
        .map_err(e)?;
    counts.foreach_rdd(|_, _| {}).map_err(e)?;
    ssc.start().map_err(e)?;
    ssc.run_until(Time::ZERO.plus(RUN_FOR + DRAIN)).map_err(e)?;
    let done: BTreeMap<Time, Time> = ssc
        .trace()
        .iter()
        .filter_map(|ev| match ev {
            Event::BatchCompleted {
                time,
                total_delay_ms,
                ..
            } => Some((*time, time.plus(Duration::from_ms(*total_delay_ms)))),
            _ => None,
        })
        .collect();
    let ledger = ssc.ledger();
    let mut out = BTreeMap::new();
    for ((_, o), life) in ledger.records() {
        if life.outputs == 0 {
            continue;
        }
        if let Some(t) = life.batches.iter().filter_map(|b| done.get(b)).min() {
            out.insert(o, *t);
        }
    }
    Ok((ledger, out))
}

/// A Storm run's ledger, the times its trees were acked, and complete latency p50 / p99.
type StormRun = (Ledger, Vec<Time>, (u64, u64));

fn storm(faults: &FaultPlan, seed: u64) -> Result<StormRun, String> {
    let topology = TopologyBuilder::new("lines", 1)
        .and_then(|b| {
            b.set_bolt(
                "split",
                BoltLogic::FlatMap(
                    func(r#"split(" ")"#, 1)
                        .map_err(crate::models::storm::topology::TopologyError)?,
                ),
                2,
                "lines",
                Grouping::Shuffle,
            )
        })
        .and_then(|b| b.set_bolt("count", BoltLogic::Count, 2, "split", Grouping::Fields))
        .map_err(|e| e.0)?
        .create_topology();
    let config = StormConfig {
        seed,
        faults: faults.clone(),
        message_timeout: Duration::from_ms(5000),
        ..StormConfig::default()
    };
    let mut c = LocalCluster::submit_topology(topology, &lines()?, config);
    c.run_until(Time::ZERO.plus(RUN_FOR + DRAIN));
    let r = c.report();
    Ok((
        c.ledger().clone(),
        c.ack_times().to_vec(),
        r.complete_latency_ms,
    ))
}

fn flink(faults: &FaultPlan, seed: u64) -> Result<(Ledger, BTreeMap<u64, Time>), String> {
    let job = FlinkJob {
        flat_map: Some(func(r#"split(" ")"#, 1)?),
        two_phase_sink: true,
        seed,
        faults: faults.clone(),
        ..FlinkJob::default()
    };
    let mut c = MiniCluster::execute(job, &lines()?);
    c.run_until(Time::ZERO.plus(RUN_FOR + DRAIN));
    Ok((c.ledger(), c.first_commits().clone()))
}

/// What every model's row is judged against: the input's arrival times and the judged
/// window.
pub struct Judge {
    arrivals: BTreeMap<u64, Time>,
    cutoff: Time,
    secs: f64,
}

impl Judge {
    fn new() -> Result<Judge, String> {
        Ok(Judge {
            arrivals: lines()?
                .iter()
                .enumerate()
                .map(|(o, (t, _))| (o as u64, t))
                .collect(),
            cutoff: Time::ZERO.plus(RUN_FOR),
            secs: RUN_FOR.ms() as f64 / 1000.0,
        })
    }

    fn latency_of(&self, out: &BTreeMap<u64, Time>) -> (u64, u64) {
        percentiles(
            out.iter()
                .filter_map(|(o, t)| self.arrivals.get(o).map(|a| t.ms().saturating_sub(a.ms())))
                .collect(),
        )
    }

    fn in_window(&self, out: &BTreeMap<u64, Time>) -> f64 {
        out.iter()
            .filter(|(o, _)| self.arrivals.get(o).is_some_and(|a| *a <= self.cutoff))
            .count() as f64
            / self.secs
    }

    /// A row from the reference and faulty ledgers and the faulty run's first-output times.
    fn row(
        &self,
        model: &'static str,
        setup: &'static str,
        reference: &Ledger,
        faulty: &Ledger,
        out: &BTreeMap<u64, Time>,
    ) -> Row {
        Row {
            model,
            setup,
            verdict: Verdict::compare(reference, faulty, self.cutoff),
            latency_ms: self.latency_of(out),
            throughput_per_s: self.in_window(out),
            longest_pause_ms: longest_pause(out.values().copied().collect()),
            state_lost: 0,
        }
    }
}

/// One model's row: the word count run without and with the faults, judged.
type ModelRow = fn(&FaultPlan, u64, &Judge) -> Result<Row, String>;

/// The models `compare` knows, in table order. Adding a model is one function and one line
/// here.
pub const MODELS: &[(&str, ModelRow)] = &[
    ("dstream", dstream_row),
    ("storm", storm_row),
    ("flink", flink_row),
];

fn dstream_row(faults: &FaultPlan, seed: u64, j: &Judge) -> Result<Row, String> {
    let (r, _) = dstream(&FaultPlan::default(), seed)?;
    let (f, out) = dstream(faults, seed)?;
    Ok(j.row(
        "dstream",
        "1 s batches, reliable receiver, WAL, checkpoint",
        &r,
        &f,
        &out,
    ))
}

fn storm_row(faults: &FaultPlan, seed: u64, j: &Judge) -> Result<Row, String> {
    let (r, _, _) = storm(&FaultPlan::default(), seed)?;
    let (f, acks, latency) = storm(faults, seed)?;
    Ok(Row {
        model: "storm",
        setup: "reliable spout, acker, 5 s message timeout",
        verdict: Verdict::compare(&r, &f, j.cutoff),
        latency_ms: latency,
        throughput_per_s: acks.iter().filter(|t| **t <= j.cutoff).count() as f64 / j.secs,
        longest_pause_ms: longest_pause(acks),
        state_lost: super::storm::state_loss(&f).map_or(0, |l| l.records.len()),
    })
}

fn flink_row(faults: &FaultPlan, seed: u64, j: &Judge) -> Result<Row, String> {
    let (r, _) = flink(&FaultPlan::default(), seed)?;
    let (f, out) = flink(faults, seed)?;
    Ok(j.row("flink", "1 s aligned checkpoints, 2PC sink", &r, &f, &out))
}

/// Parses `--models`: names separated by commas, each one of [`MODELS`].
///
/// # Errors
/// An unknown or repeated name, or an empty list, with the names that would be valid.
pub fn parse_models(list: &str) -> Result<Vec<&'static str>, String> {
    let known: Vec<&str> = MODELS.iter().map(|(n, _)| *n).collect();
    let mut out: Vec<&'static str> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some((n, _)) = MODELS.iter().find(|(n, _)| *n == name) else {
            return Err(format!(
                "--models: unknown model `{name}`; the models are {}",
                known.join(", ")
            ));
        };
        if out.contains(n) {
            return Err(format!("--models: `{name}` is listed twice"));
        }
        out.push(n);
    }
    if out.is_empty() {
        return Err(format!(
            "--models: no model given; the models are {}",
            known.join(", ")
        ));
    }
    Ok(out)
}

/// Runs every model without and with `faults` (seed `seed`) and returns their rows.
///
/// # Errors
/// The bundled data cannot be read, or a model refuses the job (a bug).
pub fn compare(faults: &FaultPlan, seed: u64) -> Result<Vec<Row>, String> {
    let all: Vec<&str> = MODELS.iter().map(|(n, _)| *n).collect();
    compare_models(&all, faults, seed)
}

/// Runs the named models (names from [`MODELS`], in the order given) without and with
/// `faults` and returns their rows.
///
/// # Errors
/// An unknown model name, or as [`compare`].
pub fn compare_models(models: &[&str], faults: &FaultPlan, seed: u64) -> Result<Vec<Row>, String> {
    let judge = Judge::new()?;
    models
        .iter()
        .map(|name| {
            let (_, f) = MODELS
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| format!("unknown model `{name}`"))?;
            f(faults, seed, &judge)
        })
        .collect()
}

/// The rows as a Markdown table.
pub fn render(faults: &FaultPlan, rows: &[Row]) -> String {
    let plan: Vec<String> = faults
        .faults
        .iter()
        .map(|(t, f)| format!("at {t} {f}"))
        .collect();
    let mut out = vec![
        format!(
            "word count over {} fortune lines at {RATE} lines/s, judged over the first {RUN_FOR}; faults: {}",
            (RATE * RUN_FOR.ms() as f64 / 1000.0) as u64,
            if plan.is_empty() { "none".to_string() } else { plan.join("; ") }
        ),
        String::new(),
        "| model | setup | guarantee kept | lost | duplicated | latency p50 / p99 | throughput | longest output pause |".into(),
        "|---|---|---|---|---|---|---|---|".into(),
    ];
    for r in rows {
        out.push(format!(
            "| {} | {} | {} | {} | {} | {} / {} ms | {:.1} records/s | {} ms |",
            r.model,
            r.setup,
            r.guarantee(),
            if r.state_lost == 0 {
                r.verdict.lost.len().to_string()
            } else {
                format!("{} (+{} state updates)", r.verdict.lost.len(), r.state_lost)
            },
            r.verdict.duplicated.len(),
            r.latency_ms.0,
            r.latency_ms.1,
            r.throughput_per_s,
            r.longest_pause_ms
        ));
    }
    out.push(String::new());
    out.push("A duplicate is a record written out twice: a re-run batch (dstream), or words counted into the state in two attempts (storm: replayed tuple trees). A lost state update is a record whose words were counted in a bolt's memory on a worker that died after its tuple tree was acked: nothing replays it (storm). Flink's state is restored to a consistent checkpoint and its sink commits per checkpoint: exactly-once, at the cost of a checkpoint interval of latency.".into());
    out.join("\n")
}
