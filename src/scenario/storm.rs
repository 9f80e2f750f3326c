//! Storm scenarios: a TOML file that declares a topology (one spout over real data, bolts
//! with their logic, parallelism and grouping), its `topology.*` settings and its faults,
//! built into a [`LocalCluster`] (`check::storm` runs and judges it for `stream-sim storm`).
//!
//! ```toml
//! name = "storm-wordcount"
//! model = "storm"
//! [topology]
//! run_for = "20s"
//! workers = 2
//! message_timeout = "30s"      # topology.message.timeout.secs
//! max_spout_pending = 100      # topology.max.spout.pending (omit: unbounded)
//! faults = "at 5s kill worker-2"
//! [spout.lines]                # exactly one spout: lines of a file at a rate
//! file = "../data/fortunes/lines.txt"
//! rate = 20
//! skip = 0                    # lines skipped first (a CSV header)
//! [[bolts]]
//! id = "split"
//! logic = "flatMap"            # flatMap | map | filter | count | sink
//! function = 'split(" ")'      # for flatMap, map and filter
//! parallelism = 2
//! input = "lines"
//! grouping = "shuffle"         # shuffle | fields | all
//! ```
//!
//! Bundled Storm scenarios live in `scenarios/storm/`. Errors name the file, line and
//! column, and what would be valid.

use super::error::ScenarioError;
use super::expr::compile;
use super::parse::parse_expr;
use super::toml_errors::line_col;
use crate::cluster::{Fault, FaultPlan};
use crate::io::TimedRecords;
use crate::models::storm::trident::{StateKind, TridentJob, TridentRun};
use crate::models::storm::{BoltLogic, Grouping, LocalCluster, StormConfig, TopologyBuilder};
use crate::sim::{Duration, Time};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The longest run a Storm scenario may ask for (`run_for`), virtual time.
pub const MAX_RUN_FOR: Duration = Duration::from_ms(3_600_000);

/// Most lines a spout may read from its file.
pub const MAX_LINES: usize = 1_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorm {
    name: String,
    #[serde(default)]
    description: String,
    model: Spanned<String>,
    topology: RawTopology,
    spout: Spanned<BTreeMap<String, RawSpout>>,
    #[serde(default)]
    bolts: Vec<RawBolt>,
    #[serde(default)]
    trident: Option<Spanned<RawTrident>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrident {
    state: Spanned<String>,
    function: Spanned<String>,
    #[serde(default)]
    batch_interval: Option<Spanned<String>>,
    #[serde(default)]
    recovery: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopology {
    run_for: Spanned<String>,
    #[serde(default)]
    workers: Option<Spanned<usize>>,
    #[serde(default)]
    message_timeout: Option<Spanned<String>>,
    #[serde(default)]
    max_spout_pending: Option<usize>,
    #[serde(default)]
    execute_us: Option<Spanned<f64>>,
    #[serde(default)]
    worker_restart_delay: Option<Spanned<String>>,
    #[serde(default)]
    reliable: Option<bool>,
    #[serde(default)]
    faults: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpout {
    file: Spanned<String>,
    rate: f64,
    /// Lines skipped at the start of the file (a CSV header), as a socket source's `skip`.
    #[serde(default)]
    skip: usize,
    #[serde(default)]
    parallelism: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBolt {
    id: String,
    logic: Spanned<String>,
    #[serde(default)]
    function: Option<Spanned<String>>,
    #[serde(default)]
    parallelism: Option<usize>,
    input: Spanned<String>,
    #[serde(default)]
    grouping: Option<Spanned<String>>,
}

/// A loaded Storm scenario: the topology, its settings and its input.
#[derive(Clone, Debug)]
pub struct StormScenario {
    /// The scenario's name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The topology.
    pub builder: TopologyBuilder,
    /// Settings and faults (the seed is set per run).
    pub config: StormConfig,
    /// The spout's records with their arrival times.
    pub source: TimedRecords,
    /// How long to run, virtual time.
    pub run_for: Duration,
    /// A Trident topology instead of bolts (`[trident]`: `newStream(spout).each(function)
    /// .groupBy(word).persistentAggregate(state, Count)`).
    pub trident: Option<TridentJob>,
}

/// The folder of bundled Storm scenarios.
pub fn storm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/storm")
}

/// A path, or the name of a bundled Storm scenario (`scenarios/storm/NAME.toml`).
///
/// # Errors
/// Neither exists; the error lists the bundled names.
pub fn resolve(name_or_path: &str) -> Result<PathBuf, ScenarioError> {
    super::resolve_in(&storm_dir(), "Storm", name_or_path)
}

/// Loads a Storm scenario file.
///
/// # Errors
/// A [`ScenarioError`] at the offending key: unreadable file, bad TOML, unknown keys, a
/// model other than `storm`, bad durations, an unknown logic or grouping, a function that
/// does not compile, a topology that does not wire up, a limit exceeded.
pub fn load(path: &Path) -> Result<StormScenario, ScenarioError> {
    parse(&super::read_text(path)?, path)
}

/// Parses a Storm scenario from its text (`path` names it in errors and anchors relative
/// data paths).
///
/// # Errors
/// As [`load`].
pub fn parse(text: &str, path: &Path) -> Result<StormScenario, ScenarioError> {
    let raw: RawStorm = super::from_toml(text, path)?;
    let at = |offset: usize, msg: String| {
        let (line, col) = line_col(text, offset);
        ScenarioError::at(path, line, col, msg)
    };
    if raw.model.get_ref() != "storm" {
        return Err(at(
            raw.model.span().start,
            format!(
                "model `{}` is not a Storm scenario; `stream-sim storm` runs files with model = \"storm\" (DStream scenarios run with `stream-sim run`)",
                raw.model.get_ref()
            ),
        ));
    }
    let duration = |s: &Spanned<String>, what: &str| {
        Duration::parse(s.get_ref()).map_err(|m| at(s.span().start, format!("{what}: {m}")))
    };
    let t = raw.topology;
    let run_for = duration(&t.run_for, "run_for")?;
    if run_for > MAX_RUN_FOR || run_for.ms() == 0 {
        return Err(at(
            t.run_for.span().start,
            format!(
                "run_for must be positive and at most {} (the limit on a Storm run's length)",
                MAX_RUN_FOR
            ),
        ));
    }
    let mut config = StormConfig::default();
    if let Some(w) = &t.workers {
        if *w.get_ref() == 0 || *w.get_ref() > 64 {
            return Err(at(w.span().start, "workers must be 1..=64".into()));
        }
        config.workers = *w.get_ref();
    }
    if let Some(d) = &t.message_timeout {
        config.message_timeout = duration(d, "message_timeout")?;
        if config.message_timeout.ms() == 0 {
            return Err(at(
                d.span().start,
                "message_timeout must be positive".into(),
            ));
        }
    }
    if let Some(d) = &t.worker_restart_delay {
        config.worker_restart_delay = duration(d, "worker_restart_delay")?;
    }
    config.max_spout_pending = t.max_spout_pending.filter(|m| *m > 0);
    if let Some(us) = &t.execute_us {
        if !(0.0..=1_000_000.0).contains(us.get_ref()) {
            return Err(at(
                us.span().start,
                "execute_us must be within 0..=1000000 virtual microseconds".into(),
            ));
        }
        config.execute_us = *us.get_ref();
    }
    config.reliable = t.reliable.unwrap_or(true);
    if let Some(f) = &t.faults {
        config.faults = FaultPlan::parse(f.get_ref()).map_err(|(l, c, m)| {
            let (line, col) = line_col(text, f.span().start);
            // Fault lines start on the line after a multi-line string's opening quotes.
            let line =
                if f.get_ref().starts_with('\n') || text[f.span().start..].starts_with("\"\"\"") {
                    line + l
                } else {
                    line + l - 1
                };
            ScenarioError::at(path, line, if l == 1 { col + c } else { c }, m)
        })?;
    }
    // A fault must name a worker of this topology (`worker-1` .. `worker-N`).
    if let Some(f) = &t.faults {
        for (_, fault) in &config.faults.faults {
            if let Fault::KillWorker(w) | Fault::RestartWorker(w) = fault {
                let known = w
                    .strip_prefix("worker-")
                    .and_then(|k| k.parse::<usize>().ok())
                    .is_some_and(|k| (1..=config.workers).contains(&k));
                if !known {
                    return Err(at(
                        f.span().start,
                        format!(
                            "faults: there is no {w}; the workers are worker-1 .. worker-{}",
                            config.workers
                        ),
                    ));
                }
            }
        }
    }
    let spouts = raw.spout.get_ref();
    let (Some((spout_id, spout)), 1) = (spouts.iter().next(), spouts.len()) else {
        return Err(at(
            raw.spout.span().start,
            format!(
                "a topology here has exactly one spout; found {}",
                spouts.len()
            ),
        ));
    };
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let file = base.join(spout.file.get_ref());
    let body = std::fs::read_to_string(&file).map_err(|e| {
        at(
            spout.file.span().start,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    let lines: Vec<String> = body
        .lines()
        .skip(spout.skip)
        .take(MAX_LINES)
        .map(String::from)
        .collect();
    if !(spout.rate > 0.0 && spout.rate <= 1_000_000.0) {
        return Err(at(
            spout.file.span().start,
            "rate must be within (0, 1000000] lines per second".into(),
        ));
    }
    let source = TimedRecords::lines_at_rate(lines, spout.rate, Time::ZERO);
    let mut builder = TopologyBuilder::new(spout_id, spout.parallelism.unwrap_or(1))
        .map_err(|e| at(raw.spout.span().start, e.0))?;
    for b in raw.bolts {
        let function = |arity: usize| -> Result<crate::func::Func, ScenarioError> {
            let Some(f) = &b.function else {
                return Err(at(
                    b.logic.span().start,
                    format!(
                        "logic `{}` needs a `function`, e.g. function = 'split(\" \")'",
                        b.logic.get_ref()
                    ),
                ));
            };
            let start = f.span().start + 1;
            let expr = parse_expr(f.get_ref()).map_err(|e| at(start, e.to_string()))?;
            compile(&expr, arity)
                .map_err(|e| at(start + (e.span.col as usize).saturating_sub(1), e.message))
        };
        let logic = match b.logic.get_ref().as_str() {
            "flatMap" => BoltLogic::FlatMap(function(1)?),
            "map" => BoltLogic::Map(function(1)?),
            "filter" => BoltLogic::Filter(function(1)?),
            "count" => BoltLogic::Count,
            "sink" => BoltLogic::Sink,
            other => {
                return Err(at(
                    b.logic.span().start,
                    format!(
                        "unknown logic `{other}`; expected flatMap, map, filter, count or sink"
                    ),
                ))
            }
        };
        let grouping = match b
            .grouping
            .as_ref()
            .map(|g| (g.get_ref().as_str(), g.span().start))
        {
            None | Some(("shuffle", _)) => Grouping::Shuffle,
            Some(("fields", _)) => Grouping::Fields,
            Some(("all", _)) => Grouping::All,
            Some((other, pos)) => {
                return Err(at(
                    pos,
                    format!("unknown grouping `{other}`; expected shuffle, fields or all"),
                ))
            }
        };
        builder = builder
            .set_bolt(
                &b.id,
                logic,
                b.parallelism.unwrap_or(1),
                b.input.get_ref(),
                grouping,
            )
            .map_err(|e| at(b.input.span().start, e.0))?;
    }
    let trident = match &raw.trident {
        None => None,
        Some(t) => Some(trident_job(&builder, t, &config, &at)?),
    };
    Ok(StormScenario {
        name: raw.name,
        description: raw.description,
        builder,
        config,
        source,
        run_for,
        trident,
    })
}

/// The `[trident]` table: a Trident word count instead of bolts.
fn trident_job(
    builder: &TopologyBuilder,
    t: &Spanned<RawTrident>,
    config: &StormConfig,
    at: &dyn Fn(usize, String) -> ScenarioError,
) -> Result<TridentJob, ScenarioError> {
    if !builder.clone().create_topology().bolts.is_empty() {
        return Err(at(
            t.span().start,
            "a scenario has either [[bolts]] or a [trident] table, not both".into(),
        ));
    }
    let r = t.get_ref();
    let state = match r.state.get_ref().as_str() {
        "non-transactional" => StateKind::NonTransactional,
        "transactional" => StateKind::Transactional,
        "opaque" => StateKind::Opaque,
        other => {
            return Err(at(
                r.state.span().start,
                format!("unknown Trident state `{other}`; expected non-transactional, transactional or opaque"),
            ))
        }
    };
    let start = r.function.span().start + 1;
    let expr = parse_expr(r.function.get_ref()).map_err(|e| at(start, e.to_string()))?;
    let split = compile(&expr, 1)
        .map_err(|e| at(start + (e.span.col as usize).saturating_sub(1), e.message))?;
    let dur = |d: &Option<Spanned<String>>, what: &str, default: Duration| match d {
        None => Ok(default),
        Some(s) => Duration::parse(s.get_ref())
            .map_err(|m| at(s.span().start, format!("{what}: {m}")))
            .and_then(|v| {
                if v.ms() == 0 {
                    Err(at(s.span().start, format!("{what} must be positive")))
                } else {
                    Ok(v)
                }
            }),
    };
    Ok(TridentJob {
        split,
        batch_interval: dur(&r.batch_interval, "batch_interval", Duration::from_ms(500))?,
        record_us: config.execute_us,
        write_us: config.execute_us / 2.0,
        recovery: dur(&r.recovery, "recovery", Duration::from_ms(5000))?,
        state,
        faults: config.faults.clone(),
    })
}

impl StormScenario {
    /// Submits the topology (with its faults, seed `seed`) without running it: for stepping.
    pub fn submit(&self, seed: u64) -> LocalCluster {
        let mut config = self.config.clone();
        config.seed = seed;
        LocalCluster::submit_topology(self.builder.clone().create_topology(), &self.source, config)
    }

    /// Runs the `[trident]` topology, if there is one, with (or without) its faults, until
    /// `run_for` plus a drain of the recovery time and 10 s.
    pub fn run_trident(&self, faults: bool) -> Option<TridentRun> {
        let mut job = self.trident.clone()?;
        if !faults {
            job.faults = FaultPlan::default();
        }
        let until = Time::ZERO.plus(self.run_for + job.recovery + Duration::from_ms(10_000));
        Some(crate::models::storm::trident::run(
            &job,
            &self.source,
            until,
        ))
    }

    /// Runs the scenario with `seed` (and its faults, unless `faults` is false) for
    /// `run_for` plus twice the message timeout, so that replays come through.
    pub fn run(&self, seed: u64, faults: bool) -> LocalCluster {
        let mut config = self.config.clone();
        config.seed = seed;
        if !faults {
            config.faults = FaultPlan::default();
        }
        let drain = config.message_timeout * 2 + config.worker_restart_delay;
        let mut c = LocalCluster::submit_topology(
            self.builder.clone().create_topology(),
            &self.source,
            config,
        );
        c.run_until(Time::ZERO.plus(self.run_for + drain));
        c
    }
}
