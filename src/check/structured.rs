//! `stream-sim run SCENARIO` for Structured Streaming scenarios (`model = "structured"`):
//! runs the query, prints what the console sink printed; `--progress` adds each batch's
//! `StreamingQueryProgress` JSON, `--trace FILE` writes the trace and the inspectors (the
//! watermark's moves and why, late rows with their delay, the state store, the emissions per
//! window), and `--check` judges every input record against the same run without faults.
//!
//! Also [`replay_case`]: an oracle case recorded from real Spark (tests/fixtures/structured/),
//! replayed in the model with the oracle's timing (step `k`'s rows arrive together, each step
//! drained as `processAllAvailable()` drains it), giving what the fixture compares.

use super::verdict::Verdict;
use crate::event_time::EventTime;
use crate::models::structured::progress_reporter::iso;
use crate::models::structured::{
    check_for_streaming, Cell, MultipleWatermarkPolicy, OutputMode, QueryConfig, Schema,
    SinkFormat, StreamSource, StreamingQuery,
};
use crate::scenario::structured::query::{parse_query, Catalog};
use crate::scenario::structured::{parse_schema, typed_cell, StructuredScenario};
use crate::sim::{Duration, Time};
use serde_json::{json, Value as Json};
use std::io::Write;
use std::path::Path;

/// What the run command prints: stdout (the console sink, progress) and stderr (the summary,
/// the check).
#[derive(Debug, Default)]
pub struct RunOutput {
    /// For stdout.
    pub stdout: String,
    /// For stderr.
    pub stderr: String,
}

/// Figures of a run: batches, rows, late rows, emission delay.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Micro-batches executed (re-runs included).
    pub batches: usize,
    /// Of which no-data batches.
    pub no_data_batches: usize,
    /// Input rows read.
    pub input_rows: u64,
    /// Rows (keys, for an aggregation) dropped by the watermark.
    pub dropped: u64,
    /// Input rows behind the dropped keys, with their delay.
    pub late_rows: usize,
    /// Of the rows read, those whose event time is behind the newest already read (out of
    /// order).
    pub out_of_order: usize,
    /// Windows emitted, and the mean and max delay from the window's end (in event time,
    /// mapped through the source's speedup) to the emission, in virtual ms.
    pub windows_emitted: usize,
    /// Mean processing-time delay of an emission after the arrival of the window's last
    /// input row, virtual ms.
    pub mean_emission_delay_ms: f64,
    /// Largest such delay.
    pub max_emission_delay_ms: u64,
    /// Rows the sink received over the run (`StreamingQueryProgress.sink.numOutputRows`
    /// summed): what a query without windows, such as `flatMapGroupsWithState`, wrote.
    pub rows_written: u64,
    /// The final watermark.
    pub watermark: String,
}

/// Computes the run's figures.
pub fn summarize(q: &StreamingQuery) -> Summary {
    let p = q.progress();
    let mut out_of_order = 0;
    for (i, s) in q.sources().iter().enumerate() {
        let ti = s
            .records
            .first()
            .and_then(|r| r.1.iter().rposition(|c| matches!(c, Cell::Timestamp(_))));
        // Only the rows some micro-batch read (up to the furthest end offset in the
        // progress): a run that stopped early, or whose first batch failed, read fewer
        // than the source holds.
        let read = p
            .iter()
            .filter_map(|b| b.sources.get(i))
            .map(|sp| sp.end_offset as usize)
            .max()
            .unwrap_or(0);
        let mut newest = i64::MIN;
        for (_, r) in s.records.iter().take(read) {
            if let Some(Cell::Timestamp(t)) = ti.and_then(|i| r.get(i)) {
                if t.0 < newest {
                    out_of_order += 1;
                }
                newest = newest.max(t.0);
            }
        }
    }
    // Emission delay: the sink write time minus the arrival of the last input row whose
    // event time falls in the window (the earliest the window's answer could be complete).
    let em = q.emissions();
    let mut delays = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for e in em.iter().filter(|e| e.kept) {
        if !seen.insert((e.window, e.row.first().cloned())) {
            continue;
        }
        let last_arrival = q
            .sources()
            .iter()
            .flat_map(|s| s.records.iter())
            .filter(|(_, r)| {
                r.iter()
                    .any(|c| matches!(c, Cell::Timestamp(t) if e.window.contains(*t)))
            })
            .map(|(a, _)| a.0)
            .max();
        if let Some(a) = last_arrival {
            delays.push(e.at.0.saturating_sub(a));
        }
    }
    Summary {
        batches: p.len(),
        no_data_batches: p.iter().filter(|b| b.num_input_rows == 0).count(),
        input_rows: p.iter().map(|b| b.num_input_rows).sum(),
        dropped: p
            .iter()
            .flat_map(|b| b.state_operators.iter())
            .map(|o| o.num_rows_dropped_by_watermark)
            .sum(),
        late_rows: q.late_rows().len(),
        out_of_order,
        windows_emitted: seen.len(),
        mean_emission_delay_ms: if delays.is_empty() {
            0.0
        } else {
            delays.iter().sum::<u64>() as f64 / delays.len() as f64
        },
        max_emission_delay_ms: delays.iter().copied().max().unwrap_or(0),
        rows_written: p.iter().map(|b| b.sink.num_output_rows).sum(),
        watermark: EventTime(q.watermark_ms()).to_string(),
    }
}

/// `stream-sim run` for a Structured Streaming scenario.
///
/// # Errors
/// A trace file that cannot be written.
pub fn run_command(
    sc: &StructuredScenario,
    until: Option<Time>,
    progress: bool,
    check: bool,
    trace: Option<&Path>,
) -> Result<RunOutput, String> {
    let end = until.unwrap_or(sc.until);
    let mut q = sc.start();
    q.run_until(end);
    let mut out = RunOutput {
        stdout: q.printed().to_string(),
        ..RunOutput::default()
    };
    if progress {
        for p in q.progress() {
            out.stdout.push_str(&p.json());
            out.stdout.push('\n');
        }
    }
    let s = summarize(&q);
    // A query without event-time windows (flatMapGroupsWithState, a plain projection) has
    // no window to time its emissions by: say how many rows it wrote instead.
    let emitted = if s.windows_emitted == 0 && s.rows_written > 0 {
        format!("{} rows written", s.rows_written)
    } else {
        format!(
            "{} windows emitted, emission delay mean {:.0} ms max {} ms after the window's last row arrived",
            s.windows_emitted, s.mean_emission_delay_ms, s.max_emission_delay_ms
        )
    };
    out.stderr.push_str(&format!(
        "{}: {} micro-batches ({} without data), {} input rows ({} out of order), {} dropped by the watermark ({} late input rows), {emitted}, watermark {}\n",
        sc.name, s.batches, s.no_data_batches, s.input_rows, s.out_of_order, s.dropped, s.late_rows, s.watermark
    ));
    for e in q.trace() {
        use crate::models::structured::trace::StructuredEvent as E;
        if matches!(e, E::DriverKilled { .. } | E::Recovered { .. }) {
            out.stderr
                .push_str(&serde_json::to_string(e).unwrap_or_default());
            out.stderr.push('\n');
        }
    }
    if let Some(path) = trace {
        write_trace(&q, path)?;
    }
    if check {
        let mut reference = sc.without_faults().start();
        reference.run_until(end);
        let extra =
            sc.config.driver_restart_delay.ms() * (sc.config.faults.faults.len() as u64 + 1);
        let mut faulty = sc.start();
        faulty.run_until(end.plus(Duration(extra + 60_000)));
        let v = Verdict::compare(reference.ledger(), faulty.ledger(), end);
        out.stderr.push_str(&format!("{v}\n"));
        // The last answer the sink kept for each window and key, in both runs.
        type Finals = std::collections::BTreeMap<(String, String), Vec<String>>;
        let finals = |q: &StreamingQuery| -> Finals {
            q.emissions()
                .into_iter()
                .filter(|e| e.kept)
                .map(|e| {
                    let key = e.row.first().cloned().unwrap_or_default();
                    ((e.window.to_string(), key), e.row)
                })
                .collect()
        };
        let (a, b) = (finals(&reference), finals(&faulty));
        let same = a.iter().filter(|(k, v)| b.get(*k) == Some(*v)).count();
        out.stderr.push_str(&format!(
            "final answers: {} windows and keys without faults, {} with the faults, {} identical\n",
            a.len(),
            b.len(),
            same
        ));
    }
    Ok(out)
}

/// Writes the trace (one JSON object a line) followed by the inspectors as JSON lines:
/// `{"progress": ..}` per batch, `{"watermark": ..}` per move, `{"late": ..}` per late row,
/// `{"state": ..}` per operator, `{"emission": ..}` per window row emitted.
///
/// # Errors
/// The file cannot be written.
pub fn write_trace(q: &StreamingQuery, path: &Path) -> Result<(), String> {
    let f = std::fs::File::create(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    let mut line = |v: String| writeln!(w, "{v}").map_err(|e| format!("{}: {e}", path.display()));
    for e in q.trace() {
        line(serde_json::to_string(e).unwrap_or_default())?;
    }
    for p in q.progress() {
        line(json!({ "progress": p }).to_string())?;
    }
    for m in q.watermark_history() {
        line(json!({ "watermark": m, "from": EventTime(m.from_ms).to_string(), "to": EventTime(m.to_ms).to_string() }).to_string())?;
    }
    for l in q.late_rows() {
        line(
            json!({ "late": l, "event_time": EventTime(l.event_time_ms).to_string() }).to_string(),
        )?;
    }
    for (op, lines) in q.state() {
        line(json!({ "state": { "operator": op, "rows": lines } }).to_string())?;
    }
    for e in q.emissions() {
        line(json!({ "emission": { "window": e.window.to_string(), "row": e.row, "batch_id": e.batch_id, "at_ms": e.at.0, "kept": e.kept } }).to_string())?;
    }
    Ok(())
}

/// One micro-batch as the oracle fixtures record it.
pub fn batch_json(q: &StreamingQuery, schema: &Schema) -> Vec<Json> {
    let _ = schema;
    q.progress()
        .iter()
        .zip(q.writes())
        .map(|(p, w)| {
            let mut rows: Vec<Json> = w
                .rows
                .iter()
                .map(|r| Json::Array(r.iter().map(Cell::to_json).collect()))
                .collect();
            rows.sort_by_key(|r| r.to_string());
            json!({
                "batch_id": p.batch_id,
                "num_input_rows": p.num_input_rows,
                "watermark": p.event_time.get("watermark"),
                "rows": rows,
                "state": p.state_operators.iter().map(|o| json!({
                    "numRowsTotal": o.num_rows_total,
                    "numRowsUpdated": o.num_rows_updated,
                    "numRowsDroppedByWatermark": o.num_rows_dropped_by_watermark,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// What a replayed case gave: an analysis error, or the batches.
pub type Replayed = Result<Vec<Json>, String>;

/// Replays an oracle case (`{"query", "output_mode", "conf", "sources": {name: {"schema",
/// "steps": [[row, ..], ..]}}, "statics": {name: {"schema", "rows"}}}`): step `k`'s rows of
/// every source arrive at `10 s * k`; the default trigger then runs the data batch and any
/// no-data batch the watermark calls for before the next step, as `processAllAvailable()`
/// does between the oracle's steps.
///
/// # Errors
/// A malformed case (not an analysis error: those are the `Err` inside [`Replayed`]).
pub fn replay_case(case: &Json) -> Result<Replayed, String> {
    let obj = |v: &Json, k: &str| v.get(k).cloned().unwrap_or(Json::Null);
    let query = case["query"].as_str().ok_or("case without a query")?;
    let mode = OutputMode::parse(case["output_mode"].as_str().unwrap_or("append"))?;
    let mut streams = Vec::new();
    let mut sources = Vec::new();
    if let Some(m) = case["sources"].as_object() {
        for (name, s) in m {
            let schema = parse_schema(s["schema"].as_str().ok_or("a source without a schema")?)?;
            let mut records = Vec::new();
            for (k, step) in obj(s, "steps")
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                for r in step.as_array().cloned().unwrap_or_default() {
                    let cells = r.as_array().cloned().unwrap_or_default();
                    let mut row = Vec::new();
                    for (c, f) in cells.iter().zip(&schema.fields) {
                        row.push(json_cell(c, f.data_type)?);
                    }
                    records.push((Time(k as u64 * 10_000), row));
                }
            }
            streams.push((name.clone(), schema));
            sources.push(StreamSource {
                name: name.clone(),
                records,
                max_offsets_per_trigger: None,
            });
        }
    }
    let mut statics = Vec::new();
    if let Some(m) = case["statics"].as_object() {
        for (name, s) in m {
            let schema = parse_schema(s["schema"].as_str().ok_or("a static without a schema")?)?;
            let mut rows = Vec::new();
            for r in obj(s, "rows").as_array().cloned().unwrap_or_default() {
                let cells = r.as_array().cloned().unwrap_or_default();
                let mut row = Vec::new();
                for (c, f) in cells.iter().zip(&schema.fields) {
                    row.push(json_cell(c, f.data_type)?);
                }
                rows.push(row);
            }
            statics.push((name.clone(), schema, rows));
        }
    }
    let functions = match case["functions"].as_str() {
        Some(f) => crate::scenario::structured::scala_fn::parse_functions(f, 0)
            .map_err(|(at, m)| format!("functions offset {at}: {m}"))?,
        None => Default::default(),
    };
    let cat = Catalog {
        streams: &streams,
        statics: &statics,
        functions: &functions,
    };
    let plan = parse_query(query, &cat).map_err(|(at, m)| format!("query offset {at}: {m}"))?;
    let analyzed = match plan.analyze() {
        Ok(a) => a,
        Err(e) => return Ok(Err(e.message)),
    };
    if let Err(e) = check_for_streaming(&analyzed.plan, mode) {
        return Ok(Err(e.message));
    }
    let mut config = QueryConfig {
        output_mode: mode,
        sink: SinkFormat::Memory,
        ..QueryConfig::default()
    };
    if let Some(p) = case["conf"]["spark.sql.streaming.multipleWatermarkPolicy"].as_str() {
        config.policy = MultipleWatermarkPolicy::parse(p)?;
    }
    if let Some(b) = case["conf"]["spark.sql.streaming.noDataMicroBatches.enabled"].as_str() {
        config.no_data_batches = b == "true";
    }
    let steps = sources
        .iter()
        .flat_map(|s| s.records.last().map(|r| r.0 .0))
        .max()
        .unwrap_or(0);
    let schema = analyzed.plan.schema.clone();
    let mut q = StreamingQuery::start(analyzed, sources, config);
    q.run_until(Time(steps + 9_000));
    if let Some(e) = q.exception() {
        return Ok(Err(e.to_string()));
    }
    Ok(Ok(batch_json(&q, &schema)))
}

/// A fixture's cell read as the JSON file source reads it (PERMISSIVE mode): a timestamp
/// that does not parse is NULL.
fn json_cell(c: &Json, t: crate::models::structured::DataType) -> Result<Cell, String> {
    match typed_cell(c.as_str(), c.as_f64(), c.is_null(), t) {
        Err(_) if t == crate::models::structured::DataType::Timestamp => Ok(Cell::Null),
        r => r,
    }
}

/// Re-exported for the oracle fixtures: an instant as progress prints it.
pub fn iso_text(ms: i64) -> String {
    iso(ms)
}
