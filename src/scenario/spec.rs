//! The scenario file's schema: TOML tables checked into a [`Scenario`].
//!
//! Reading is two steps (parse, then validate): serde reads the TOML into raw tables, then
//! every duration, file and column is checked and the pipeline program is parsed, with each
//! error placed at its line and column in the file.

use super::ast::{Expr, ExprKind, Program, Span};
use super::error::ScenarioError;
use super::parse::parse_program;
pub use super::toml_errors::line_col;
use super::toml_errors::{locate_key, other_model, plain_toml_message, span_of};
use crate::cluster::conf::ConfValue;
use crate::cluster::{ClusterConfig, Fault, FaultPlan, SinkKind};
use crate::io::sources::{
    parse_civil, read_csv_events, read_csv_records, CsvEventSpec, EventTime, FileDrop, TimedRecords,
};
use crate::sim::{Duration, Time};
use crate::value::Value;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    pipeline: Spanned<String>,
    context: Spanned<RawContext>,
    #[serde(default)]
    sources: BTreeMap<String, Spanned<RawSource>>,
    #[serde(default)]
    datasets: BTreeMap<String, Spanned<RawDataset>>,
    cluster: Option<Spanned<RawCluster>>,
    /// `SparkConf` keys under Spark's names (`"spark.streaming.receiver.maxRate" = 500`).
    #[serde(default)]
    conf: BTreeMap<String, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    workers: Option<usize>,
    cores: Option<usize>,
    replication: Option<usize>,
    wal: Option<bool>,
    sink: Option<String>,
    expect: Option<String>,
    receiver_restart_delay: Option<String>,
    driver_restart_delay: Option<String>,
    faults: Option<Spanned<String>>,
    random_faults: Option<RawRates>,
    task_launch_us: Option<u64>,
    record_us: Option<f64>,
    byte_us: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    batch_interval: Spanned<String>,
    block_interval: Option<Spanned<String>>,
    default_parallelism: Option<Spanned<i64>>,
    checkpoint: Option<String>,
    remember: Option<Spanned<String>>,
    run_for: Option<Spanned<String>>,
    output_dir: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum RawSource {
    #[serde(rename = "socketTextStream")]
    Socket {
        file: String,
        rate: f64,
        start: Option<String>,
        skip: Option<usize>,
        limit: Option<usize>,
        reliable: Option<bool>,
    },
    #[serde(rename = "csvEventStream")]
    Csv {
        file: String,
        columns: Vec<String>,
        event_time: RawEventTime,
        speedup: f64,
        from: Option<String>,
        until: Option<String>,
        start: Option<String>,
        reliable: Option<bool>,
    },
    #[serde(rename = "kafkaStream")]
    KafkaReceiver {
        file: String,
        rate: f64,
        skip: Option<usize>,
        limit: Option<usize>,
    },
    #[serde(rename = "kafkaDirectStream")]
    KafkaDirect {
        file: String,
        rate: f64,
        partitions: Option<usize>,
        skip: Option<usize>,
        limit: Option<usize>,
    },
    #[serde(rename = "queueStream")]
    Queue {
        batches: Vec<Vec<toml::Value>>,
        one_at_a_time: Option<bool>,
        default: Option<Vec<toml::Value>>,
        partitions: Option<usize>,
    },
    #[serde(rename = "textFileStream")]
    Files { dir: String, files: Vec<RawDrop> },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRates {
    worker_kills_per_min: Option<f64>,
    driver_kills_per_min: Option<f64>,
    worker_downtime: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEventTime {
    day: [String; 3],
    hhmm: Option<String>,
    hour: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDrop {
    at: String,
    name: String,
    file: Option<String>,
    lines: Option<Vec<String>>,
    #[serde(default)]
    append: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataset {
    file: Option<String>,
    columns: Option<Vec<String>>,
    records: Option<Vec<toml::Value>>,
}

/// A validated source: its name (the stream's name in the program) and data.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    /// The stream's name.
    pub name: String,
    /// What it is.
    pub kind: SourceKind,
    /// Where its table is in the file.
    pub span: Span,
}

/// The kinds of source a scenario can declare.
#[derive(Clone, Debug)]
pub enum SourceKind {
    /// `socketTextStream`: lines replayed at a rate (lines per virtual second).
    Socket {
        /// The lines with their arrival times.
        records: TimedRecords,
        /// The file they come from (for `streams`).
        file: String,
        /// Whether the receiver is reliable (acknowledges; the source replays).
        reliable: bool,
    },
    /// `csvEventStream`: CSV rows replayed by event time.
    Csv {
        /// The rows with their arrival times.
        records: TimedRecords,
        /// The file.
        file: String,
        /// Whether the receiver is reliable.
        reliable: bool,
    },
    /// `kafkaDirectStream`: a file's lines appended at a rate, round-robin, to a topic of
    /// `partitions` partitions, read by the direct approach.
    KafkaDirect {
        /// The lines with their append times.
        records: TimedRecords,
        /// Partitions of the topic.
        partitions: usize,
    },
    /// `queueStream`.
    Queue {
        /// Batches of records.
        batches: Vec<Vec<Value>>,
        /// oneAtATime.
        one_at_a_time: bool,
        /// defaultRDD.
        default: Option<Vec<Value>>,
    },
    /// Fixed batches: batch k (0-based) at time `(k+1) * batch`, `None` = no RDD (Spark's
    /// `TestInputStream`; used by the semantics tests, not written in scenario files).
    Batches {
        /// Per batch, the records or `None`.
        batches: Vec<Option<Vec<Value>>>,
        /// Partitions per batch RDD.
        partitions: usize,
    },
    /// `textFileStream` over a simulated directory.
    Files {
        /// The directory's name.
        dir: String,
        /// The files dropped into it.
        drops: Vec<FileDrop>,
    },
}

/// A validated scenario, ready to build.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name (the file stem unless given).
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The file.
    pub path: PathBuf,
    /// Batch interval.
    pub batch_interval: Duration,
    /// Block interval (200 ms unless given).
    pub block_interval: Duration,
    /// Default parallelism (2 unless given).
    pub default_parallelism: usize,
    /// Checkpoint directory, if any.
    pub checkpoint: Option<String>,
    /// `remember` duration, if any.
    pub remember: Option<Duration>,
    /// How long `run` runs without `--until`/`--batches` (30 batches unless given).
    pub run_for: Duration,
    /// Output directory for saveAsTextFiles (relative to the working directory), if given.
    pub output_dir: Option<PathBuf>,
    /// Sources, in name order (their input numbers).
    pub sources: Vec<SourceSpec>,
    /// Static datasets by name.
    pub datasets: BTreeMap<String, Vec<Value>>,
    /// The program, with spans in file coordinates.
    pub program: Program,
    /// Position of the pipeline's first character.
    pub pipeline_span: Span,
    /// The cluster and its faults (`[cluster]`; defaults without it).
    pub cluster: ClusterConfig,
}

impl Scenario {
    /// A copy sharing no record memory with `self`, for running on another thread
    /// (`sweep`): shared `Arc`s would make the threads contend on reference counts.
    pub fn deep_copy(&self) -> Scenario {
        let mut out = self.clone();
        for src in &mut out.sources {
            match &mut src.kind {
                SourceKind::Socket { records, .. }
                | SourceKind::Csv { records, .. }
                | SourceKind::KafkaDirect { records, .. } => *records = records.deep_copy(),
                SourceKind::Queue {
                    batches, default, ..
                } => {
                    *batches = batches
                        .iter()
                        .map(|b| b.iter().map(Value::deep_copy).collect())
                        .collect();
                    if let Some(d) = default {
                        *d = d.iter().map(Value::deep_copy).collect();
                    }
                }
                SourceKind::Batches { batches, .. } => {
                    *batches = batches
                        .iter()
                        .map(|b| {
                            b.as_ref()
                                .map(|recs| recs.iter().map(Value::deep_copy).collect())
                        })
                        .collect();
                }
                SourceKind::Files { .. } => {}
            }
        }
        for records in out.datasets.values_mut() {
            *records = records.iter().map(Value::deep_copy).collect();
        }
        out
    }
}

/// The lines of `file` (relative to the scenario's folder), skipping `skip` and keeping at
/// most `limit`.
///
/// # Errors
/// A message naming the file when it cannot be read.
fn read_lines(
    base_dir: &Path,
    file: &str,
    skip: Option<usize>,
    limit: Option<usize>,
) -> Result<Vec<String>, String> {
    let full = base_dir.join(file);
    let content = read_bounded(&full, super::limits::MAX_FILE_BYTES, "MAX_FILE_BYTES")?;
    Ok(content
        .lines()
        .skip(skip.unwrap_or(0))
        .take(limit.unwrap_or(usize::MAX))
        .map(str::to_string)
        .collect())
}

/// The text of `path`, reading at most `max` bytes (`/dev/zero` or a huge file is refused
/// after `max` bytes, not read without bound).
///
/// # Errors
/// When the file cannot be read, is not UTF-8, or is larger than `max` bytes (the message
/// names the limit `limit_name`).
pub(crate) fn read_bounded(path: &Path, max: u64, limit_name: &str) -> Result<String, String> {
    use std::io::Read;
    let f =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "{} is larger than {} MiB, the limit on one file ({limit_name}, src/scenario/limits.rs): the simulator keeps its records in memory; use a smaller file, or `skip`/`limit` on a part of it",
            path.display(),
            max >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "cannot read {}: it is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Converts a TOML value of a queue or dataset into a record (arrays of 2 or 3 become
/// tuples, other arrays lists).
pub fn toml_value(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::str(s),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(x) => Value::Float(*x),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::str(&d.to_string()),
        toml::Value::Array(items) => {
            let items: Vec<Value> = items.iter().map(toml_value).collect();
            if items.len() == 2 || items.len() == 3 {
                Value::tuple(items)
            } else {
                Value::list(items)
            }
        }
        toml::Value::Table(t) => Value::str(&t.to_string()),
    }
}

/// Parses and validates a scenario's text; `path` names the file in errors and anchors
/// relative data paths.
///
/// # Errors
/// The first problem, with its position in the file.
pub fn parse_scenario(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        if let Some(err) = other_model(text, path) {
            return err;
        }
        let message = plain_toml_message(e.message().trim());
        let start = e.span().map(|s| s.start);
        let (offset, message) = match start.and_then(|s| locate_key(text, s, &message)) {
            Some((offset, key)) => (Some(offset), format!("`{key}`: {message}")),
            None => (start, message),
        };
        let (line, col) = offset.map(|s| line_col(text, s)).unwrap_or((0, 0));
        ScenarioError::at(path, line, col, message)
    })?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let err_at = |offset: usize, msg: String| {
        let (line, col) = line_col(text, offset);
        ScenarioError::at(path, line, col, msg)
    };
    let duration = |s: &Spanned<String>, what: &str| -> Result<Duration, ScenarioError> {
        Duration::parse(s.get_ref()).map_err(|m| err_at(s.span().start, format!("{what}: {m}")))
    };

    let ctx_span = raw.context.span().start;
    let ctx = raw.context.into_inner();
    let batch_interval = duration(&ctx.batch_interval, "batch_interval")?;
    if batch_interval.ms() == 0 {
        return Err(err_at(
            ctx.batch_interval.span().start,
            "batch_interval must be positive, e.g. \"1s\"".into(),
        ));
    }
    let block_interval = match &ctx.block_interval {
        Some(b) => duration(b, "block_interval")?,
        None => Duration::from_ms(200),
    };
    if block_interval.ms() == 0 {
        return Err(err_at(
            ctx_span,
            "block_interval must be positive, e.g. \"200ms\"".into(),
        ));
    }
    let default_parallelism = match &ctx.default_parallelism {
        Some(p) if *p.get_ref() >= 1 && *p.get_ref() <= 1024 => *p.get_ref() as usize,
        Some(p) => {
            return Err(err_at(
                p.span().start,
                format!(
                    "default_parallelism must be between 1 and 1024, found {}",
                    p.get_ref()
                ),
            ))
        }
        None => 2,
    };
    let remember = ctx
        .remember
        .as_ref()
        .map(|r| duration(r, "remember"))
        .transpose()?;
    let run_for = match &ctx.run_for {
        Some(r) => duration(r, "run_for")?,
        None => Duration::from_ms(batch_interval.ms().saturating_mul(30)),
    };
    {
        let (what, at) = match &ctx.run_for {
            Some(r) => (format!("run_for = \"{}\"", r.get_ref()), r.span().start),
            None => (
                format!("the default run_for (30 batches = {run_for})"),
                ctx.batch_interval.span().start,
            ),
        };
        super::limits::check_run_length(
            &what,
            batch_interval,
            block_interval,
            Time::ZERO.plus(run_for),
            super::limits::MAX_BATCHES,
        )
        .map_err(|m| {
            err_at(
                at,
                format!("{m} (MAX_BATCHES); shorten run_for or lengthen the interval, or go further with `stream-sim run --until T --max-batches N`"),
            )
        })?;
    }

    let mut sources = Vec::new();
    for (name, spanned) in &raw.sources {
        let at = spanned.span().start;
        let kind = match spanned.get_ref() {
            RawSource::Socket {
                file,
                rate,
                start,
                skip,
                limit,
                reliable,
            } => {
                if !(*rate > 0.0 && rate.is_finite()) {
                    return Err(err_at(at, format!("source `{name}`: rate must be a positive number of lines per second, found {rate}")));
                }
                let lines = read_lines(&base_dir, file, *skip, *limit)
                    .map_err(|m| err_at(at, format!("source `{name}`: {m}")))?;
                let start = match start {
                    Some(s) => Duration::parse(s)
                        .map_err(|m| err_at(at, format!("source `{name}`: start: {m}")))?,
                    None => Duration::ZERO,
                };
                SourceKind::Socket {
                    records: TimedRecords::lines_at_rate(lines, *rate, Time::ZERO.plus(start)),
                    file: file.clone(),
                    reliable: reliable.unwrap_or(false),
                }
            }
            RawSource::Csv {
                file,
                columns,
                event_time,
                speedup,
                from,
                until,
                start,
                reliable,
            } => {
                if !(*speedup > 0.0 && speedup.is_finite()) {
                    return Err(err_at(
                        at,
                        format!(
                            "source `{name}`: speedup must be a positive number, found {speedup}"
                        ),
                    ));
                }
                let et = match (&event_time.hhmm, &event_time.hour) {
                    (Some(h), None) => EventTime::DayAndHhmm {
                        day: event_time.day.clone(),
                        hhmm: h.clone(),
                    },
                    (None, Some(h)) => EventTime::DayAndHour {
                        day: event_time.day.clone(),
                        hour: h.clone(),
                    },
                    _ => {
                        return Err(err_at(
                            at,
                            format!("source `{name}`: event_time needs exactly one of `hhmm` (a HHMM column) or `hour` (an hour column) beside `day`"),
                        ))
                    }
                };
                let civil = |s: &Option<String>,
                             what: &str|
                 -> Result<Option<i64>, ScenarioError> {
                    s.as_ref()
                        .map(|v| {
                            parse_civil(v).ok_or_else(|| {
                                err_at(at, format!("source `{name}`: {what} `{v}` is not a date like \"2013-01-01\" or \"2013-01-01 06:00\""))
                            })
                        })
                        .transpose()
                };
                let spec = CsvEventSpec {
                    columns: columns.clone(),
                    event_time: et,
                    speedup: *speedup,
                    from_minute: civil(from, "from")?,
                    until_minute: civil(until, "until")?,
                };
                let start = match start {
                    Some(s) => Duration::parse(s)
                        .map_err(|m| err_at(at, format!("source `{name}`: start: {m}")))?,
                    None => Duration::ZERO,
                };
                let records = read_csv_events(&base_dir.join(file), &spec, Time::ZERO.plus(start))
                    .map_err(|m| err_at(at, format!("source `{name}`: {m}")))?;
                SourceKind::Csv {
                    records,
                    file: file.clone(),
                    reliable: reliable.unwrap_or(false),
                }
            }
            RawSource::KafkaReceiver {
                file,
                rate,
                skip,
                limit,
            } => {
                // KafkaUtils.createStream: a receiver that commits offsets only once a block
                // is stored (a reliable receiver) over a log that can replay from them.
                if !(*rate > 0.0 && rate.is_finite()) {
                    return Err(err_at(at, format!("source `{name}`: rate must be a positive number of records per second, found {rate}")));
                }
                let lines = read_lines(&base_dir, file, *skip, *limit)
                    .map_err(|m| err_at(at, format!("source `{name}`: {m}")))?;
                SourceKind::Socket {
                    records: TimedRecords::lines_at_rate(lines, *rate, Time::ZERO),
                    file: file.clone(),
                    reliable: true,
                }
            }
            RawSource::KafkaDirect {
                file,
                rate,
                partitions,
                skip,
                limit,
            } => {
                if !(*rate > 0.0 && rate.is_finite()) {
                    return Err(err_at(at, format!("source `{name}`: rate must be a positive number of records per second, found {rate}")));
                }
                let p = partitions.unwrap_or(2);
                if !(1..=1024).contains(&p) {
                    return Err(err_at(
                        at,
                        format!(
                            "source `{name}`: partitions must be between 1 and 1024, found {p}"
                        ),
                    ));
                }
                let lines = read_lines(&base_dir, file, *skip, *limit)
                    .map_err(|m| err_at(at, format!("source `{name}`: {m}")))?;
                SourceKind::KafkaDirect {
                    records: TimedRecords::lines_at_rate(lines, *rate, Time::ZERO),
                    partitions: p,
                }
            }
            // `partitions`: each queued RDD is `sc.makeRDD(batch, partitions)`; one RDD a
            // batch from the first, then empty ones, exactly Spark's TestInputStream.
            RawSource::Queue {
                batches,
                one_at_a_time,
                default,
                partitions: Some(p),
            } => {
                if *one_at_a_time == Some(false)
                    || default.is_some()
                    || *p == 0
                    || *p > super::limits::MAX_PARTITIONS
                {
                    return Err(err_at(at, format!("source `{name}`: partitions (1 to {}) goes with one RDD a batch and no default (oneAtATime = true, no defaultRDD)", super::limits::MAX_PARTITIONS)));
                }
                SourceKind::Batches {
                    batches: batches
                        .iter()
                        .map(|b| Some(b.iter().map(toml_value).collect()))
                        .collect(),
                    partitions: *p,
                }
            }
            RawSource::Queue {
                batches,
                one_at_a_time,
                default,
                partitions: None,
            } => SourceKind::Queue {
                batches: batches
                    .iter()
                    .map(|b| b.iter().map(toml_value).collect())
                    .collect(),
                one_at_a_time: one_at_a_time.unwrap_or(true),
                default: default.as_ref().map(|d| d.iter().map(toml_value).collect()),
            },
            RawSource::Files { dir, files } => {
                if files.len() > super::limits::MAX_FILE_DROPS {
                    return Err(err_at(
                        at,
                        format!(
                            "source `{name}`: {} files, over the limit of {} files per textFileStream (MAX_FILE_DROPS, src/scenario/limits.rs); put several lines in one file",
                            files.len(),
                            super::limits::MAX_FILE_DROPS
                        ),
                    ));
                }
                let mut drops = Vec::new();
                for f in files {
                    let at_d = Duration::parse(&f.at).map_err(|m| {
                        err_at(at, format!("source `{name}`, file `{}`: at: {m}", f.name))
                    })?;
                    let lines = match (&f.file, &f.lines) {
                        (Some(file), None) => {
                            read_lines(&base_dir, file, None, None)
                                .map_err(|m| err_at(at, format!("source `{name}`: {m}")))?
                        }
                        (None, Some(lines)) => lines.clone(),
                        _ => {
                            return Err(err_at(
                                at,
                                format!("source `{name}`, file `{}`: give exactly one of `file` (a path) or `lines` (a list of strings)", f.name),
                            ))
                        }
                    };
                    drops.push(FileDrop {
                        at: Time::ZERO.plus(at_d),
                        name: f.name.clone(),
                        lines,
                        append: f.append,
                    });
                }
                drops.sort_by_key(|d| d.at);
                SourceKind::Files {
                    dir: dir.clone(),
                    drops,
                }
            }
        };
        sources.push(SourceSpec {
            name: name.clone(),
            kind,
            span: span_of(text, at),
        });
    }

    let mut datasets = BTreeMap::new();
    for (name, spanned) in &raw.datasets {
        let at = spanned.span().start;
        let d = spanned.get_ref();
        let records = match (&d.file, &d.records) {
            (Some(file), None) => {
                let columns = d.columns.clone().ok_or_else(|| {
                    err_at(at, format!("dataset `{name}`: a CSV dataset needs `columns`, e.g. columns = [\"carrier\", \"name\"]"))
                })?;
                read_csv_records(&base_dir.join(file), &columns).map_err(|m| err_at(at, format!("dataset `{name}`: {m}")))?
            }
            (None, Some(records)) => records.iter().map(toml_value).collect(),
            _ => {
                return Err(err_at(
                    at,
                    format!("dataset `{name}`: give exactly one of `file` (a CSV path, with `columns`) or `records` (a list)"),
                ))
            }
        };
        datasets.insert(name.clone(), records);
    }

    let mut cluster = match &raw.cluster {
        None => ClusterConfig::default(),
        Some(spanned) => {
            let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
            cluster_config(spanned, ctx.checkpoint.is_some(), &names, text, path)?
        }
    };
    for (key, value) in &raw.conf {
        let v = match value.get_ref() {
            toml::Value::Integer(i) => ConfValue::Number(*i as f64),
            toml::Value::Float(x) => ConfValue::Number(*x),
            toml::Value::Boolean(b) => ConfValue::Bool(*b),
            toml::Value::String(s) => ConfValue::Text(s.clone()),
            other => {
                return Err(err_at(
                    value.span().start,
                    format!("conf: `{key}` needs a number, a boolean or a string, found {other}"),
                ))
            }
        };
        cluster
            .conf
            .set(key, &v)
            .map_err(|m| err_at(value.span().start, format!("conf: {m}")))?;
    }

    // The program: find where its text starts in the file to shift positions.
    let pspan = raw.pipeline.span();
    let raw_text = &text[pspan.start..pspan.end];
    let mut offset = pspan.start;
    for delim in ["'''", "\"\"\"", "'", "\""] {
        if raw_text.starts_with(delim) {
            offset += delim.len();
            if delim.len() == 3 {
                if text[offset..].starts_with("\r\n") {
                    offset += 2;
                } else if text[offset..].starts_with('\n') {
                    offset += 1;
                }
            }
            break;
        }
    }
    let base = span_of(text, offset);
    let shift = |s: Span| -> Span {
        if s.line <= 1 {
            Span {
                line: base.line,
                col: base.col + s.col.saturating_sub(1),
            }
        } else {
            Span {
                line: base.line + s.line - 1,
                col: s.col,
            }
        }
    };
    let mut program = parse_program(raw.pipeline.get_ref()).map_err(|e| {
        let e = e.shifted(shift);
        ScenarioError::at(path, e.span.line, e.span.col, e.message)
    })?;
    for st in &mut program.statements {
        st.span = shift(st.span);
        if let Some(t) = st.target.as_mut() {
            t.span = shift(t.span);
        }
        shift_expr(&mut st.expr, &shift);
    }

    let name = raw.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into())
    });
    Ok(Scenario {
        name,
        description: raw.description.clone().unwrap_or_default(),
        path: path.to_path_buf(),
        batch_interval,
        block_interval,
        default_parallelism,
        checkpoint: ctx.checkpoint.clone(),
        remember,
        run_for,
        output_dir: ctx.output_dir.as_ref().map(PathBuf::from),
        sources,
        datasets,
        program,
        pipeline_span: base,
        cluster,
    })
}

fn shift_expr(e: &mut Expr, shift: &dyn Fn(Span) -> Span) {
    e.span = shift(e.span);
    match &mut e.kind {
        ExprKind::Lit(_) | ExprKind::Var(_) => {}
        ExprKind::Tuple(items) => items.iter_mut().for_each(|x| shift_expr(x, shift)),
        ExprKind::Call { func, args } => {
            func.span = shift(func.span);
            args.iter_mut().for_each(|x| shift_expr(x, shift));
        }
        ExprKind::Method { recv, name, args } => {
            shift_expr(recv, shift);
            name.span = shift(name.span);
            if let Some(args) = args {
                args.iter_mut().for_each(|x| shift_expr(x, shift));
            }
        }
        ExprKind::Lambda { params, body } => {
            params.iter_mut().for_each(|p| p.span = shift(p.span));
            shift_expr(body, shift);
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            shift_expr(lhs, shift);
            shift_expr(rhs, shift);
        }
        ExprKind::Unary { expr, .. } => shift_expr(expr, shift),
        ExprKind::If { cond, then_, else_ } => {
            shift_expr(cond, shift);
            shift_expr(then_, shift);
            shift_expr(else_, shift);
        }
    }
}

/// Validates the `[cluster]` table.
fn cluster_config(
    spanned: &Spanned<RawCluster>,
    has_checkpoint: bool,
    streams: &[&str],
    text: &str,
    path: &Path,
) -> Result<ClusterConfig, ScenarioError> {
    let at = spanned.span().start;
    let err_at = |offset: usize, msg: String| {
        let (line, col) = line_col(text, offset);
        ScenarioError::at(path, line, col, msg)
    };
    let c = spanned.get_ref();
    let mut cfg = ClusterConfig::default();
    if let Some(w) = c.workers {
        if !(1..=64).contains(&w) {
            return Err(err_at(
                at,
                format!("cluster: workers must be between 1 and 64, found {w}"),
            ));
        }
        cfg.workers = w;
    }
    if let Some(k) = c.cores {
        if !(1..=64).contains(&k) {
            return Err(err_at(
                at,
                format!("cluster: cores (per worker) must be between 1 and 64, found {k}"),
            ));
        }
        cfg.cores_per_worker = k;
    }
    if let Some(r) = c.replication {
        if !(1..=cfg.workers).contains(&r) {
            return Err(err_at(
                at,
                format!("cluster: replication must be between 1 (off) and the number of workers ({}), found {r}", cfg.workers),
            ));
        }
        cfg.replication = r;
    }
    cfg.wal = c.wal.unwrap_or(false);
    if cfg.wal && !has_checkpoint {
        return Err(err_at(
            at,
            "Cannot enable receiver write-ahead log without checkpoint directory set. Please use streamingContext.checkpoint() to set the checkpoint directory. (add `checkpoint = \"checkpoints/NAME\"` under [context])".into(),
        ));
    }
    cfg.sink = match c.sink.as_deref() {
        None | Some("at-least-once") => SinkKind::AtLeastOnce,
        Some("idempotent") => SinkKind::Idempotent,
        Some("transactional") => SinkKind::Transactional,
        Some(other) => {
            return Err(err_at(
                at,
                format!(
                    "cluster: sink must be \"at-least-once\", \"idempotent\" or \"transactional\", found \"{other}\""
                ),
            ))
        }
    };
    if let Some(e) = &c.expect {
        cfg.expect = Some(
            crate::cluster::Guarantee::parse(e).map_err(|m| err_at(at, format!("cluster: {m}")))?,
        );
    }
    if let Some(d) = &c.receiver_restart_delay {
        cfg.receiver_restart_delay = Duration::parse(d)
            .map_err(|m| err_at(at, format!("cluster: receiver_restart_delay: {m}")))?;
    }
    if let Some(d) = &c.driver_restart_delay {
        cfg.driver_restart_delay = Duration::parse(d)
            .map_err(|m| err_at(at, format!("cluster: driver_restart_delay: {m}")))?;
    }
    if let Some(r) = &c.random_faults {
        let rate = |x: Option<f64>, what: &str| -> Result<f64, ScenarioError> {
            match x {
                None => Ok(0.0),
                Some(v) if (0.0..=600.0).contains(&v) => Ok(v),
                Some(v) => Err(err_at(at, format!("cluster: random_faults.{what} must be between 0 and 600 per minute, found {v}"))),
            }
        };
        let downtime = match &r.worker_downtime {
            Some(d) => Duration::parse(d)
                .map_err(|m| err_at(at, format!("cluster: random_faults.worker_downtime: {m}")))?,
            None => Duration::from_secs(5),
        };
        cfg.random_faults = Some(crate::cluster::faults::FaultRates {
            worker_kills_per_min: rate(r.worker_kills_per_min, "worker_kills_per_min")?,
            driver_kills_per_min: rate(r.driver_kills_per_min, "driver_kills_per_min")?,
            worker_downtime: downtime,
        });
    }
    if let Some(us) = c.task_launch_us {
        cfg.cost.task_launch_us = us;
    }
    if let Some(us) = c.byte_us {
        if !(us >= 0.0 && us.is_finite()) {
            return Err(err_at(
                at,
                format!(
                    "cluster: byte_us must be a non-negative number of microseconds, found {us}"
                ),
            ));
        }
        cfg.cost.byte_us = us;
    }
    if let Some(us) = c.record_us {
        if !(us >= 0.0 && us.is_finite()) {
            return Err(err_at(
                at,
                format!(
                    "cluster: record_us must be a non-negative number of microseconds, found {us}"
                ),
            ));
        }
        cfg.cost.record_us = us;
    }
    if let Some(f) = &c.faults {
        let fstart = f.span().start;
        let raw_f = &text[fstart..f.span().end];
        let skip = if raw_f.starts_with("'''") || raw_f.starts_with("\"\"\"") {
            3 + usize::from(text[fstart + 3..].starts_with('\n'))
        } else {
            1
        };
        cfg.faults = FaultPlan::parse(f.get_ref()).map_err(|(l, col, m)| {
            let (bl, bc) = line_col(text, fstart + skip);
            let (line, col) = if l <= 1 {
                (bl, bc + col - 1)
            } else {
                (bl + l - 1, col)
            };
            ScenarioError::at(path, line, col, format!("faults: {m}"))
        })?;
        for (_, fault) in &cfg.faults.faults {
            if let Fault::KillReceiverAfterStore(name) = fault {
                if !streams.contains(&name.as_str()) {
                    return Err(err_at(
                        fstart,
                        format!(
                            "faults: there is no stream `{name}`; the sources are: {}",
                            streams.join(", ")
                        ),
                    ));
                }
            }
            if let Fault::KillWorker(w) | Fault::RestartWorker(w) | Fault::SlowWorker(w, _) = fault
            {
                let n: usize = w.trim_start_matches("worker-").parse().unwrap_or(0);
                if n == 0 || n > cfg.workers {
                    return Err(err_at(
                        fstart,
                        format!(
                            "faults: there is no {w}; the workers are worker-1 .. worker-{}",
                            cfg.workers
                        ),
                    ));
                }
            }
        }
    }
    Ok(cfg)
}
