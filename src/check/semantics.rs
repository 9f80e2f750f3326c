//! The programming guide's fault-tolerance table ("Fault-tolerance Semantics"), measured:
//! one cell per way of receiving data and kind of failure.

use super::sweep::{spread, sweep, FailMode, SweepResult};
use crate::cluster::{Mechanism, SinkKind};
use crate::io::FileDrop;
use crate::scenario::spec::{parse_scenario, SourceKind};
use crate::scenario::{RunOptions, Scenario};
use crate::sim::Time;
use std::collections::BTreeSet;

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

    /// Whether the guide calls the semantics of this cell *undefined* (driver failure
    /// without the write-ahead log: past data lost, duplicates may or may not occur), so
    /// that no duplicates are demanded; every other cell where the guide allows duplicates
    /// says at-least-once, and a measurement must show some.
    pub fn undefined(self, kind: FailMode) -> bool {
        matches!(self, Row::UnreliableNoWal | Row::ReliableNoWal) && kind != FailMode::Worker
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
    semantics_table_with(seeds, threads, progress, &BTreeSet::new())
}

/// [`semantics_table`] with the fault-tolerance mechanisms in `disabled` turned off in every
/// cell (a test's way to show that each cell's rule can fail).
///
/// # Errors
/// When a cell's scenario cannot be built.
pub fn semantics_table_with(
    seeds: u64,
    threads: usize,
    progress: &(dyn Fn() + Sync),
    disabled: &BTreeSet<Mechanism>,
) -> Result<Vec<Cell>, String> {
    let mut cells = Vec::new();
    for row in Row::ALL {
        let mut sc = cell_scenario(row)?;
        sc.cluster.disabled = disabled.clone();
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
                && if !dup_possible {
                    result.with_duplicates == 0
                } else if row.undefined(kind) {
                    true
                } else {
                    // Where the guide says at-least-once, a re-run repeats output: some run
                    // must show it.
                    result.with_duplicates > 0
                };
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

/// The programming guide's own table ("Fault-tolerance Semantics", "Semantics of Received
/// Data"), verbatim in substance: two rows, without and with the write-ahead log.
pub const GUIDE_TABLE: &str = "Fault-tolerance semantics, the programming guide's table\n\n| deployment | worker failure | driver failure |\n|---|---|---|\n| without write-ahead logs | buffered data lost with unreliable receivers; zero data loss with reliable receivers; at-least-once semantics | buffered data lost with unreliable receivers; past data lost with all receivers; undefined semantics |\n| with write-ahead logs | zero data loss with reliable receivers; at-least-once semantics | zero data loss with reliable receivers and files; at-least-once semantics |\n";

/// Renders the guide's table ([`GUIDE_TABLE`]) and beside it the measured one: per cell the
/// runs with loss and with duplicates, the records lost and duplicated per run as
/// min/median/max, what the guide promises, and whether the measurement agrees.
pub fn render_table(cells: &[Cell], seeds: u64) -> String {
    let mut out = format!(
        "{GUIDE_TABLE}\nFault-tolerance semantics, measured ({seeds} seeds per cell; runs with loss / runs with duplicates; records lost and duplicated per run as min/median/max)\n\n| receiving | worker failure | driver failure |\n|---|---|---|\n"
    );
    for row in Row::ALL {
        let cell = |kind| {
            cells
                .iter()
                .find(|c| c.row == row && c.kind == kind)
                .map_or("-".to_string(), |c| {
                    let (loss, dup) = row.guide(kind);
                    let guide = match (loss, dup) {
                        _ if row.undefined(kind) => "guide: past data lost, undefined semantics",
                        (true, _) => "guide: data can be lost",
                        (false, true) => "guide: zero loss, at-least-once",
                        (false, false) => "guide: exactly-once",
                    };
                    let (l0, l1, l2) = spread(&c.result.lost_per_run);
                    let (d0, d1, d2) = spread(&c.result.duplicated_per_run);
                    format!(
                        "{} lost / {} dup; lost {l0}/{l1}/{l2}, dup {d0}/{d1}/{d2} per run ({guide}) {}",
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

/// One row per model of `compare` (Spark Streaming's DStreams with a reliable receiver and
/// the WAL, Storm with acking, Flink with aligned checkpoints and a 2PC sink), measured under
/// a worker failure and a driver (Nimbus, JobManager) failure at a time that varies with the
/// seed, on the fortune word count.
#[derive(Clone, Debug)]
pub struct ModelCell {
    /// The model (a name of `compare::MODELS`).
    pub model: &'static str,
    /// The failure.
    pub kind: FailMode,
    /// Runs measured.
    pub runs: u64,
    /// Runs that lost a record.
    pub with_loss: u64,
    /// Runs with a record written out (or counted into state) twice.
    pub with_duplicates: u64,
    /// Runs in which a record's state update died with a worker's memory and was never
    /// replayed (Storm's in-memory bolt state; `check::storm::state_loss`).
    pub with_state_lost: u64,
    /// What the model promises for this failure (its documentation).
    pub promise: &'static str,
    /// No loss in any run, and no duplicate where the promise is exactly-once.
    pub agrees: bool,
}

/// What each model promises under a failure, and whether duplicates are allowed.
/// Sources: the Spark Streaming guide ("Fault-tolerance Semantics": reliable receivers with
/// the WAL are at-least-once), Storm's "Guaranteeing Message Processing" (a replayed tuple
/// tree updates state again; Nimbus is off the data path), Flink's "Fault Tolerance
/// Guarantees" (exactly-once state with checkpoints, end to end with a 2PC sink).
fn promise(model: &str, kind: FailMode) -> (&'static str, bool) {
    match (model, kind) {
        ("dstream", _) => ("zero loss, at-least-once", true),
        ("storm", FailMode::Worker) => (
            "tuples: zero loss, at-least-once (state updated twice); a bolt's in-memory state dies with its worker",
            true,
        ),
        ("storm", _) => ("exactly-once (Nimbus is off the data path)", false),
        _ => ("exactly-once", false),
    }
}

/// Measures every model of `compare` under a worker and a driver failure, `seeds` runs
/// each (seed `s` fails at `4 + s mod 12` seconds).
///
/// # Errors
/// A model refuses the job or the bundled data cannot be read.
pub fn model_table(seeds: u64) -> Result<Vec<ModelCell>, String> {
    let mut cells = Vec::new();
    for (model, _) in super::compare::MODELS {
        for kind in [FailMode::Worker, FailMode::Driver] {
            let (promise, dup_allowed) = promise(model, kind);
            let (mut with_loss, mut with_duplicates, mut with_state_lost) = (0, 0, 0);
            for seed in 0..seeds {
                let at = 4 + seed % 12;
                let what = if kind == FailMode::Worker {
                    "kill worker-2"
                } else {
                    "kill driver"
                };
                let plan = crate::cluster::FaultPlan::parse(&format!("at {at}s {what}"))
                    .map_err(|(_, _, m)| m)?;
                let rows = super::compare::compare_models(&[model], &plan, seed)?;
                for r in rows {
                    with_loss += u64::from(!r.verdict.lost.is_empty());
                    with_duplicates += u64::from(!r.verdict.duplicated.is_empty());
                    with_state_lost += u64::from(r.state_lost > 0);
                }
            }
            cells.push(ModelCell {
                model,
                kind,
                runs: seeds,
                with_loss,
                with_duplicates,
                with_state_lost,
                promise,
                agrees: with_loss == 0 && (dup_allowed || with_duplicates == 0),
            });
        }
    }
    Ok(cells)
}

/// The model rows as a Markdown table: per model and failure, runs with loss and with
/// duplicates, the promise, and whether the measurement agrees.
pub fn render_model_table(cells: &[ModelCell]) -> String {
    let mut out = String::from(
        "Fault-tolerance semantics per model (fortune word count; runs with loss / runs with duplicates / runs whose in-memory state was lost)\n\n| model | worker failure | driver failure |\n|---|---|---|\n",
    );
    let models: Vec<&str> = super::compare::MODELS.iter().map(|(m, _)| *m).collect();
    for m in models {
        let cell = |kind| {
            cells
                .iter()
                .find(|c| c.model == m && c.kind == kind)
                .map_or("-".to_string(), |c| {
                    let state = if c.with_state_lost > 0 {
                        format!(" / {} state lost", c.with_state_lost)
                    } else {
                        String::new()
                    };
                    format!(
                        "{} lost / {} dup{state} of {} runs (promise: {}) {}",
                        c.with_loss,
                        c.with_duplicates,
                        c.runs,
                        c.promise,
                        if c.agrees { "agrees" } else { "DISAGREES" }
                    )
                })
        };
        out.push_str(&format!(
            "| {m} | {} | {} |\n",
            cell(FailMode::Worker),
            cell(FailMode::Driver)
        ));
    }
    out
}
