//! Checking: a faulty run against its reference run, sweeps over seeds, and the guide's
//! fault-tolerance table measured.
//!
//! [`verify`] runs a scenario twice with one seed, without and with its faults, and compares
//! the per-record ledgers ([`Verdict`]). [`swarm`] turns a seed into a random failure plus
//! varied knobs (block interval, acknowledgement latency: swarm testing), [`sweep`] runs many
//! seeds on all cores, and [`semantics_table`] reproduces the programming guide's table
//! ("Fault-tolerance Semantics") from measurements.

use crate::cluster::faults::FailureKind;
use crate::cluster::{FaultPlan, Ledger, SinkKind, Verdict};
use crate::io::FileDrop;
use crate::scenario::spec::{parse_scenario, SourceKind};
use crate::scenario::{RunOptions, Scenario};
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, Time};
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The outcome of one faulty run compared with its reference run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The faults injected.
    pub faults: FaultPlan,
    /// Lost / duplicated / delivered once.
    pub verdict: Verdict,
    /// For the first few lost and duplicated records: `(record, cause)`.
    pub causes: Vec<String>,
    /// The faulty run's ledger.
    pub ledger: Ledger,
    /// Output comparison, per (output operation, batch time) of the reference run.
    pub outputs: OutputDiff,
}

/// How the faulty run's output operations compare with the reference run's, batch by batch
/// (for `print`, the printed records; the last execution of a batch counts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputDiff {
    /// (operation, batch) pairs the reference produced.
    pub batches: usize,
    /// Of those, how many the faulty run produced with other records, or not at all.
    pub differ: usize,
    /// (operation, batch) pairs the faulty run executed more than once.
    pub repeated: usize,
    /// The first differing pair: `(operation index, batch time)`.
    pub first_difference: Option<(usize, Time)>,
}

type Outputs = std::collections::BTreeMap<(usize, Time), (Vec<String>, u32)>;

fn outputs_of(events: &[crate::engine::Event], until: Time) -> Outputs {
    let mut out = Outputs::new();
    for e in events {
        if let crate::engine::Event::Output {
            time, index, lines, ..
        } = e
        {
            if *time <= until {
                let entry = out.entry((*index, *time)).or_default();
                entry.0 = lines.clone();
                entry.1 += 1;
            }
        }
    }
    out
}

impl OutputDiff {
    fn compare(reference: &Outputs, faulty: &Outputs) -> OutputDiff {
        let mut d = OutputDiff {
            batches: reference.len(),
            ..OutputDiff::default()
        };
        for (key, (lines, _)) in reference {
            if faulty.get(key).map(|(l, _)| l) != Some(lines) {
                d.differ += 1;
                d.first_difference.get_or_insert(*key);
            }
        }
        d.repeated = faulty.values().filter(|(_, n)| *n > 1).count();
        d
    }
}

impl std::fmt::Display for OutputDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "outputs: {} of {} batches differ from the reference, {} written more than once",
            self.differ, self.batches, self.repeated
        )?;
        if let Some((op, t)) = self.first_difference {
            write!(f, " (first: output operation {op} at {t})")?;
        }
        Ok(())
    }
}

/// How long after `until` a run continues so replayed data can come through: the restart
/// delays plus three batches.
fn drain(sc: &Scenario) -> Duration {
    sc.cluster.driver_restart_delay + sc.cluster.receiver_restart_delay + sc.batch_interval * 3
}

fn run_ledger(
    sc: &Scenario,
    options: &RunOptions,
    until: Time,
) -> Result<(Ledger, Vec<crate::engine::Event>), String> {
    let built = sc.build(options).map_err(|e| e.to_string())?;
    let mut sink = std::io::sink();
    built
        .run_printing(until, &mut sink)
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("job failed: {e}"))?;
    Ok((built.ssc.ledger(), built.ssc.trace()))
}

/// Runs `sc` without its faults (the reference) and with them, both with `options.seed`,
/// and compares what happened to every input record written out by `until`.
///
/// # Errors
/// A build error or a failed job, as text.
pub fn verify(sc: &Scenario, options: &RunOptions, until: Time) -> Result<Report, String> {
    let mut reference = sc.clone();
    reference.cluster.faults = FaultPlan::default();
    reference.cluster.random_faults = None;
    let end = until.plus(drain(sc));
    let (r, r_events) = run_ledger(&reference, options, end)?;
    let (f, f_events) = run_ledger(sc, options, end)?;
    let verdict = Verdict::compare(&r, &f, until);
    let outputs = OutputDiff::compare(&outputs_of(&r_events, until), &outputs_of(&f_events, until));
    let mut causes = Vec::new();
    for id in verdict.lost.iter().take(3) {
        causes.push(format!(
            "lost {}#{}: {}",
            id.0,
            id.1,
            Verdict::cause(&f, *id)
        ));
    }
    for id in verdict.duplicated.iter().take(3) {
        causes.push(format!(
            "duplicated {}#{}: {}",
            id.0,
            id.1,
            Verdict::cause(&f, *id)
        ));
    }
    Ok(Report {
        seed: options.seed,
        faults: sc.cluster.faults.clone(),
        verdict,
        causes,
        ledger: f,
        outputs,
    })
}

/// Which failures a sweep draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum FailMode {
    /// A worker failure.
    Worker,
    /// A driver failure.
    Driver,
    /// Either, drawn from the seed.
    Any,
}

impl std::str::FromStr for FailMode {
    type Err = String;
    fn from_str(s: &str) -> Result<FailMode, String> {
        match s {
            "worker" => Ok(FailMode::Worker),
            "driver" => Ok(FailMode::Driver),
            "any" => Ok(FailMode::Any),
            other => Err(format!(
                "unknown failure `{other}`; use worker, driver or any"
            )),
        }
    }
}

/// Swarm testing: the scenario with one random failure drawn from `seed` (time uniform in
/// the middle of the run) and knobs varied by the seed: block interval (100, 200 or 500 ms,
/// never above the batch interval) and the acknowledgement latency (up to 10, 50 or 500 ms).
pub fn swarm(sc: &Scenario, seed: u64, mode: FailMode) -> Scenario {
    let seeds = SeedTree::new(seed);
    let mut knobs = seeds.rng("swarm");
    let mut out = sc.clone();
    let block = [100, 200, 500][knobs.random_range(0..3)];
    if block <= sc.batch_interval.ms() {
        out.block_interval = Duration::from_ms(block);
    }
    out.cluster.ack_latency_ms = (1, [10, 50, 500][knobs.random_range(0..3)]);
    let kind = match mode {
        FailMode::Worker => FailureKind::Worker,
        FailMode::Driver => FailureKind::Driver,
        FailMode::Any => {
            if knobs.random_range(0..2) == 0 {
                FailureKind::Worker
            } else {
                FailureKind::Driver
            }
        }
    };
    let from = Time::ZERO.plus(sc.batch_interval * 2);
    let until = Time(
        sc.run_for
            .ms()
            .saturating_sub(sc.batch_interval.ms() * 2)
            .max(from.ms() + 1),
    );
    out.cluster.faults = FaultPlan::random(&seeds, kind, from, until);
    out
}

/// Counts over a sweep.
#[derive(Clone, Debug, Default)]
pub struct SweepResult {
    /// Seeds run.
    pub runs: u64,
    /// Runs per label (`exactly-once`, `at-least-once`, `at-most-once`, `none`, `error`).
    pub labels: std::collections::BTreeMap<String, u64>,
    /// Runs that lost data.
    pub with_loss: u64,
    /// Runs that duplicated data.
    pub with_duplicates: u64,
    /// The first few seeds with loss or duplicates (or errors): `(seed, summary)`.
    pub first_failing: Vec<(u64, String)>,
}

/// Runs `seeds` through [`swarm`] + [`verify`] on `threads` threads; `progress` is called
/// after each seed. The result does not depend on thread timing (results are merged by
/// seed).
pub fn sweep(
    sc: &Scenario,
    seeds: std::ops::RangeInclusive<u64>,
    mode: FailMode,
    threads: usize,
    options: &RunOptions,
    progress: &(dyn Fn() + Sync),
) -> SweepResult {
    let next = AtomicU64::new(*seeds.start());
    let end = *seeds.end();
    let results: Mutex<Vec<(u64, Result<Report, String>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                // Each thread works on its own copy of the data (no shared reference counts).
                let local = sc.deep_copy();
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed > end {
                        break;
                    }
                    let case = swarm(&local, seed, mode);
                    let opts = RunOptions {
                        seed,
                        output_dir: options.output_dir.clone(),
                    };
                    let r = verify(&case, &opts, Time::ZERO.plus(sc.run_for));
                    if let Ok(mut v) = results.lock() {
                        v.push((
                            seed,
                            r.map(|mut rep| {
                                rep.ledger = Ledger::default();
                                rep
                            }),
                        ));
                    }
                    progress();
                }
            });
        }
    });
    let mut all = results.into_inner().unwrap_or_default();
    all.sort_by_key(|(seed, _)| *seed);
    let mut out = SweepResult::default();
    for (seed, r) in all {
        out.runs += 1;
        match r {
            Ok(rep) => {
                *out.labels
                    .entry(rep.verdict.label().to_string())
                    .or_default() += 1;
                let loss = !rep.verdict.lost.is_empty();
                let dup = !rep.verdict.duplicated.is_empty();
                out.with_loss += u64::from(loss);
                out.with_duplicates += u64::from(dup);
                if (loss || dup) && out.first_failing.len() < 5 {
                    let faults: Vec<String> = rep
                        .faults
                        .faults
                        .iter()
                        .map(|(t, f)| format!("at {t} {f}"))
                        .collect();
                    out.first_failing
                        .push((seed, format!("{} ({})", rep.verdict, faults.join(", "))));
                }
            }
            Err(e) => {
                *out.labels.entry("error".into()).or_default() += 1;
                if out.first_failing.len() < 5 {
                    out.first_failing.push((seed, format!("error: {e}")));
                }
            }
        }
    }
    out
}

/// One row of the guide's table: how data is received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// A socket-like receiver without acknowledgements, no write-ahead log.
    UnreliableNoWal,
    /// A reliable receiver, no write-ahead log.
    ReliableNoWal,
    /// An unreliable receiver with the write-ahead log.
    UnreliableWal,
    /// A reliable receiver with the write-ahead log.
    ReliableWal,
    /// Files on a fault-tolerant file system (`textFileStream`), idempotent sink.
    FilesIdempotent,
    /// A Kafka-like log read by the direct approach, idempotent sink.
    KafkaDirectIdempotent,
}

impl Row {
    /// All rows, in table order.
    pub const ALL: [Row; 6] = [
        Row::UnreliableNoWal,
        Row::ReliableNoWal,
        Row::UnreliableWal,
        Row::ReliableWal,
        Row::FilesIdempotent,
        Row::KafkaDirectIdempotent,
    ];

    /// The row's label.
    pub fn label(self) -> &'static str {
        match self {
            Row::UnreliableNoWal => "unreliable receiver, no WAL",
            Row::ReliableNoWal => "reliable receiver, no WAL",
            Row::UnreliableWal => "unreliable receiver, WAL",
            Row::ReliableWal => "reliable receiver, WAL",
            Row::FilesIdempotent => "files + idempotent sink",
            Row::KafkaDirectIdempotent => "Kafka direct + idempotent sink",
        }
    }

    /// What the guide says for this row under `kind`: `(loss possible, duplicates possible)`.
    /// Source: the programming guide's "Fault-tolerance Semantics" table (SOURCES.md).
    pub fn guide(self, kind: FailMode) -> (bool, bool) {
        match (self, kind) {
            // Buffered data is lost; a worker failure re-runs nothing.
            (Row::UnreliableNoWal | Row::UnreliableWal, FailMode::Worker) => (true, false),
            // Driver failure: buffered (and, without the WAL, past) data lost; the batch
            // re-run from the checkpoint writes its output again.
            (Row::UnreliableNoWal | Row::UnreliableWal, _) => (true, true),
            (Row::ReliableNoWal, FailMode::Worker) => (false, true),
            (Row::ReliableNoWal, _) => (true, true),
            (Row::ReliableWal, _) => (false, true),
            (Row::FilesIdempotent | Row::KafkaDirectIdempotent, _) => (false, false),
        }
    }
}

const CELL: &str = r#"
name = "semantics cell"
pipeline = '''
counts = lines.flatMap(words).map(pair(1)).reduceByKey(sum)
counts.print()
'''
[context]
batch_interval = "1s"
checkpoint = "checkpoints/semantics"
run_for = "12s"
[sources.lines]
type = "socketTextStream"
file = "data/fortunes/lines.txt"
rate = 40
limit = 600
"#;

/// The scenario of one table cell: word count over fortune lines (40 lines/s, 1 s batches,
/// 12 s), 2 workers of 2 cores, replication 2.
///
/// # Errors
/// When the bundled data cannot be read.
pub fn cell_scenario(row: Row) -> Result<Scenario, String> {
    let path = crate::scenario::scenarios_dir().join("semantics-cell.toml");
    let mut sc = parse_scenario(CELL, &path).map_err(|e| e.to_string())?;
    sc.cluster.wal = matches!(row, Row::UnreliableWal | Row::ReliableWal);
    if let Some(src) = sc.sources.first_mut() {
        match (&mut src.kind, row) {
            (SourceKind::Socket { reliable, .. }, Row::ReliableNoWal | Row::ReliableWal) => {
                *reliable = true
            }
            (SourceKind::Socket { .. }, Row::FilesIdempotent) => {
                let text = std::fs::read_to_string(
                    crate::scenario::scenarios_dir().join("data/fortunes/lines.txt"),
                )
                .map_err(|e| e.to_string())?;
                let lines: Vec<String> = text.lines().take(600).map(str::to_string).collect();
                let drops = lines
                    .chunks(20)
                    .enumerate()
                    .map(|(i, chunk)| FileDrop {
                        at: Time(500 + 400 * i as u64),
                        name: format!("part-{i:05}.txt"),
                        lines: chunk.to_vec(),
                        append: false,
                    })
                    .collect();
                src.kind = SourceKind::Files {
                    dir: "incoming".into(),
                    drops,
                };
                sc.cluster.sink = SinkKind::Idempotent;
            }
            (SourceKind::Socket { records, .. }, Row::KafkaDirectIdempotent) => {
                src.kind = SourceKind::KafkaDirect {
                    records: records.clone(),
                    partitions: 3,
                };
                sc.cluster.sink = SinkKind::Idempotent;
            }
            _ => {}
        }
    }
    Ok(sc)
}

/// One measured cell.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The row.
    pub row: Row,
    /// The failure.
    pub kind: FailMode,
    /// The sweep.
    pub result: SweepResult,
    /// Whether the measurement agrees with the guide: no loss where it promises none, loss
    /// found where it says data can be lost, no duplicates where it promises exactly-once.
    pub agrees: bool,
}

/// Measures every cell of the table over `seeds` seeds each.
///
/// # Errors
/// When a cell's scenario cannot be built.
pub fn semantics_table(
    seeds: u64,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Cell>, String> {
    let mut cells = Vec::new();
    for row in Row::ALL {
        let sc = cell_scenario(row)?;
        for kind in [FailMode::Worker, FailMode::Driver] {
            let opts = RunOptions {
                seed: 0,
                output_dir: std::env::temp_dir().join("stream-sim-semantics"),
            };
            let result = sweep(&sc, 1..=seeds, kind, threads, &opts, progress);
            let (loss_possible, dup_possible) = row.guide(kind);
            let agrees = !result.labels.contains_key("error")
                && if loss_possible {
                    result.with_loss > 0
                } else {
                    result.with_loss == 0
                }
                && (dup_possible || result.with_duplicates == 0);
            cells.push(Cell {
                row,
                kind,
                result,
                agrees,
            });
        }
    }
    Ok(cells)
}

/// Renders the measured table.
pub fn render_table(cells: &[Cell], seeds: u64) -> String {
    let mut out = format!(
        "Fault-tolerance semantics, measured ({seeds} seeds per cell; runs with loss / runs with duplicates)\n\n| receiving | worker failure | driver failure |\n|---|---|---|\n"
    );
    for row in Row::ALL {
        let cell = |kind| {
            cells
                .iter()
                .find(|c| c.row == row && c.kind == kind)
                .map_or("-".to_string(), |c| {
                    let (loss, dup) = row.guide(kind);
                    let guide = match (loss, dup) {
                        (true, _) => "guide: data can be lost",
                        (false, true) => "guide: zero loss, at-least-once",
                        (false, false) => "guide: exactly-once",
                    };
                    format!(
                        "{} lost / {} dup ({guide}) {}",
                        c.result.with_loss,
                        c.result.with_duplicates,
                        if c.agrees { "agrees" } else { "DISAGREES" }
                    )
                })
        };
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            row.label(),
            cell(FailMode::Worker),
            cell(FailMode::Driver)
        ));
    }
    out
}
