//! `stream-sim upgrade`: new application code deployed against a running application, the
//! three ways the programming guide discusses ("Upgrading Application Code" under "Deploying
//! Applications"), each shown as Spark behaves.
//!
//! - [`UpgradePath::RestartFromCheckpoint`]: the old application is stopped and the new jar
//!   started on the same checkpoint directory with `StreamingContext.getOrCreate(checkpointDir,
//!   createFunc)` (`StreamingContext.scala`). A checkpoint is present, so `createFunc` (the new
//!   code) is never called: `CheckpointReader.read` (`Checkpoint.scala`) deserializes the OLD
//!   `DStreamGraph` (its operators and closures), the batch interval and the `SparkConf`
//!   (`Checkpoint.createSparkConf` reloads only `propertiesToReload`: `spark.yarn.app.id`,
//!   `spark.driver.host`, `spark.master`, `spark.ui.port`, ... none of which a scenario sets),
//!   and `JobGenerator.restart` re-runs the batches from the checkpoint on. The new code
//!   silently does not run. When the new jar's classes no longer deserialize what the
//!   checkpoint holds (a changed `serialVersionUID`, a removed class: `--classes incompatible`,
//!   which the simulator cannot infer from two scenario files), `CheckpointReader.read` tries
//!   every `checkpoint-<time>` file, newest first, logs "Error reading checkpoint from file
//!   ..." for each, and throws `SparkException("Failed to read checkpoint from directory
//!   ...")`: the new application does not start.
//! - [`UpgradePath::Parallel`]: "the upgraded Spark Streaming application is started and run
//!   in parallel to the existing application. Once the new one (receiving the same data as
//!   the old one) has been warmed up and is ready for prime time, the old one can be brought
//!   down." Both write out what arrives in the overlap (duplicates), and the source must send
//!   to two destinations (two Kafka consumer groups; a socket source must broadcast).
//! - [`UpgradePath::GracefulFreshCheckpoint`]: "the existing application is shutdown
//!   gracefully (see `StreamingContext.stop(...)` ...) which ensure data that has been
//!   received is completely processed before shutdown. Then the upgraded application can be
//!   started, which will start processing from the same point where the earlier application
//!   left off. Note that this can be done only with input sources that support source-side
//!   buffering (like Kafka) as data needs to be buffered while the previous application was
//!   down and the upgraded application is not yet up. And restarting from earlier checkpoint
//!   information of pre-upgrade code cannot be done", so the new application starts with an
//!   empty checkpoint directory. Where it starts is then the source's business: a fresh
//!   direct Kafka stream starts from its configured starting offsets ([`StartingOffsets`]:
//!   `auto.offset.reset = latest`, the guide's example, skips what was appended while no
//!   application ran), a socket source that does not buffer loses what it sent meanwhile.
//!
//! Each application is one run of the simulator; a new application started at `S` is a run
//! whose virtual time 0 is `S`, fed what its source delivers from `S` on (times shifted back
//! by `S` here and forward again in the report). Records keep their identity across the runs
//! (their index in the source), so the report counts, per record of the shared source, how
//! many times the two applications together wrote it out.

use crate::cluster::{Fault, FaultPlan};
use crate::io::sources::TimedRecords;
use crate::ledger::Ledger;
use crate::models::dstream::Event;
use crate::scenario::spec::SourceKind;
use crate::scenario::{RunOptions, Scenario};
use crate::sim::{Duration, Time};
use std::collections::BTreeMap;

/// The most lines of output the report lists per application (the rest are counted).
pub const MAX_OUTPUT_LINES: usize = 400;

/// How the new code is deployed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum UpgradePath {
    /// Stop the old application, start the new jar with `getOrCreate` on the same checkpoint
    /// directory.
    RestartFromCheckpoint,
    /// Start the new application beside the old one; bring the old one down once the new one
    /// is warmed up.
    Parallel,
    /// Stop the old application gracefully, start the new one with an empty checkpoint
    /// directory.
    GracefulFreshCheckpoint,
}

impl UpgradePath {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            UpgradePath::RestartFromCheckpoint => "restart-from-checkpoint",
            UpgradePath::Parallel => "parallel",
            UpgradePath::GracefulFreshCheckpoint => "graceful-fresh-checkpoint",
        }
    }
}

/// Where a direct Kafka stream without a checkpoint starts reading
/// (`ConsumerStrategies.Subscribe` with the consumer's `auto.offset.reset`, or offsets the
/// old application committed with `commitAsync`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StartingOffsets {
    /// `auto.offset.reset = latest` (the guide's example): what is appended from the start on.
    Latest,
    /// `auto.offset.reset = earliest`: the whole topic again.
    Earliest,
    /// The offsets the old application committed after each batch (`commitAsync` in the same
    /// `group.id`): right after the last range it processed.
    Committed,
}

/// Whether the new jar can deserialize what the old checkpoint holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Classes {
    /// The classes named in the checkpoint deserialize (same or compatible classes).
    Compatible,
    /// They do not (a changed `serialVersionUID`, a class removed or renamed).
    Incompatible,
}

/// The settings of one upgrade.
#[derive(Clone, Debug)]
pub struct UpgradeOptions {
    /// How the new code is deployed.
    pub path: UpgradePath,
    /// When the upgrade starts: the old application is stopped (restart, graceful) or the new
    /// one started beside it (parallel), virtual time.
    pub at: Time,
    /// Parallel: how long both run before the old one is brought down (gracefully).
    pub overlap: Duration,
    /// Between the old application's end and the new one's start (restart, graceful).
    pub redeploy: Duration,
    /// Restart from checkpoint: whether the new jar reads the old checkpoint.
    pub classes: Classes,
    /// A fresh direct Kafka stream's starting offsets.
    pub starting_offsets: StartingOffsets,
    /// The root seed of both runs.
    pub seed: u64,
}

/// What the two applications did to the records of the shared source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records that arrived at the source by the checked time.
    pub arrived: usize,
    /// Of those, written out exactly once (by either application).
    pub once: usize,
    /// Written out more than once (by one application re-running, or by both).
    pub duplicated: usize,
    /// Of the duplicated, those written by both applications.
    pub by_both: usize,
    /// Never written out.
    pub never: usize,
    /// Output executions (batch x output operation) of the old code, and of the new code.
    pub old_code_outputs: usize,
    /// See `old_code_outputs`.
    pub new_code_outputs: usize,
}

/// The outcome: the text the command prints, and the figures.
#[derive(Clone, Debug)]
pub struct UpgradeReport {
    /// The report, as printed.
    pub text: String,
    /// The figures.
    pub counts: Counts,
    /// The error the new application's start threw, if it did (Spark's words).
    pub start_error: Option<String>,
}

/// One application run: its events with global times and its ledger mapped to source indices.
struct App {
    label: &'static str,
    code: String,
    events: Vec<Event>,
    /// Per input, per source index: times written out.
    writes: Vec<BTreeMap<usize, u32>>,
    /// Per input: the source indices it received (read).
    read: Vec<std::collections::BTreeSet<usize>>,
}

/// The checked time: the old scenario's `run_for`.
fn until_of(old: &Scenario) -> Time {
    Time(old.run_for.ms())
}

/// Runs `upgrade` of `old` to `new` as `opts` says.
///
/// # Errors
/// Sources that differ between the two files, a source kind the upgrade cannot follow
/// (queues, files), a restart from checkpoint without a shared checkpoint directory, a build
/// error or a failed job: each as a sentence naming the file.
pub fn upgrade(
    old: &Scenario,
    new: &Scenario,
    opts: &UpgradeOptions,
) -> Result<UpgradeReport, String> {
    same_sources(old, new)?;
    let until = until_of(old);
    if opts.at.ms() == 0 || opts.at >= until {
        return Err(format!(
            "--at {} must be after 0 and before {}'s run_for ({until})",
            opts.at,
            old.path.display()
        ));
    }
    let mut text = Vec::new();
    let old_name = old.path.display().to_string();
    let new_name = new.path.display().to_string();
    text.push(format!(
        "upgrade {old_name} -> {new_name}, path {}, at {}",
        opts.path.name(),
        opts.at
    ));
    let (apps, start_error) = match opts.path {
        UpgradePath::RestartFromCheckpoint => restart_from_checkpoint(old, new, opts, &mut text)?,
        UpgradePath::Parallel => parallel(old, new, opts, &mut text)?,
        UpgradePath::GracefulFreshCheckpoint => graceful_fresh(old, new, opts, &mut text)?,
    };
    let counts = tally(old, &apps, until);
    text.push(String::new());
    text.push("outputs (global batch time, application, code: the records printed):".into());
    let mut rows: Vec<(Time, usize, String)> = Vec::new();
    for (k, app) in apps.iter().enumerate() {
        let mut recovered = false;
        for e in &app.events {
            match e {
                Event::DriverRestarted {
                    recovered_from_checkpoint: true,
                    ..
                } => recovered = true,
                Event::Output {
                    time,
                    stream,
                    lines,
                    ..
                } => {
                    let code = if recovered {
                        format!("{}, recovered", app.code)
                    } else {
                        app.code.clone()
                    };
                    rows.push((
                        *time,
                        k,
                        format!(
                            "  {:>9}  {:<3} {code:<28} {stream}: {}",
                            format!("{} ms", time.ms()),
                            app.label,
                            printed_records(lines)
                        ),
                    ));
                }
                _ => {}
            }
        }
    }
    rows.sort_by_key(|(t, k, _)| (*t, *k));
    let hidden = rows.len().saturating_sub(MAX_OUTPUT_LINES);
    text.extend(rows.into_iter().take(MAX_OUTPUT_LINES).map(|(_, _, l)| l));
    if hidden > 0 {
        text.push(format!(
            "  ... {hidden} more output(s) (at most {MAX_OUTPUT_LINES} listed)"
        ));
    }
    text.push(String::new());
    text.push(format!(
        "records that arrived at the source by {until}: {}",
        counts.arrived
    ));
    text.push(format!("  written out once:            {}", counts.once));
    text.push(format!(
        "  written out more than once:  {} ({} of them by both applications)",
        counts.duplicated, counts.by_both
    ));
    let never_note = if has_kafka(old) {
        "not lost from the topic, but no application read them"
    } else {
        "lost"
    };
    if counts.never > 0 {
        text.push(format!(
            "  never written out:           {} ({never_note})",
            counts.never
        ));
    } else {
        text.push("  never written out:           0".into());
    }
    text.push(format!(
        "output executions: {} by the old code ({old_name}), {} by the new code ({new_name})",
        counts.old_code_outputs, counts.new_code_outputs
    ));
    if let Some(e) = &start_error {
        text.push(format!("the new application did not start: {e}"));
    }
    Ok(UpgradeReport {
        text: text.join("\n"),
        counts,
        start_error,
    })
}

/// A `print()`'s records on one line (its `Time:` header and rules left out), at most 90
/// characters.
fn printed_records(lines: &[String]) -> String {
    let recs: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.is_empty() && !l.starts_with("---") && !l.starts_with("Time: "))
        .collect();
    let joined = if recs.is_empty() {
        "(nothing)".to_string()
    } else {
        recs.join(" ")
    };
    if joined.chars().count() > 90 {
        format!("{}...", joined.chars().take(87).collect::<String>())
    } else {
        joined
    }
}

fn has_kafka(sc: &Scenario) -> bool {
    sc.sources
        .iter()
        .any(|s| matches!(s.kind, SourceKind::KafkaDirect { .. }))
}

/// The records of a source, with arrival times, and its Kafka partition count (0: not Kafka).
fn records_of(kind: &SourceKind) -> Option<(&TimedRecords, usize)> {
    match kind {
        SourceKind::Socket { records, .. } | SourceKind::Csv { records, .. } => Some((records, 0)),
        SourceKind::KafkaDirect {
            records,
            partitions,
        } => Some((records, (*partitions).max(1))),
        _ => None,
    }
}

/// The two files must read the same data: same source names, kinds and records.
fn same_sources(old: &Scenario, new: &Scenario) -> Result<(), String> {
    let names = |sc: &Scenario| {
        sc.sources
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    };
    if names(old) != names(new) {
        return Err(format!(
            "{} reads sources {:?} but {} reads {:?}: an upgrade keeps the input (the same data, the same stream names)",
            old.path.display(),
            names(old),
            new.path.display(),
            names(new)
        ));
    }
    for (a, b) in old.sources.iter().zip(&new.sources) {
        let (Some((ra, pa)), Some((rb, pb))) = (records_of(&a.kind), records_of(&b.kind)) else {
            return Err(format!(
                "source `{}`: upgrade follows socketTextStream, csvEventStream and kafkaDirectStream sources (records with arrival times), not queues or files",
                a.name
            ));
        };
        let same = pa == pb
            && ra.len() == rb.len()
            && ra
                .iter()
                .zip(rb.iter())
                .all(|(x, y)| x.0 == y.0 && x.1 == y.1)
            && std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind);
        if !same {
            return Err(format!(
                "source `{}` differs between {} and {} (kind, partitions, records or their times): both applications must read the same data",
                a.name,
                old.path.display(),
                new.path.display()
            ));
        }
    }
    Ok(())
}

/// Whether a socket or CSV source's receiver is reliable (its source keeps what was not
/// acknowledged and sends it when a receiver connects again).
fn reliable(kind: &SourceKind) -> bool {
    matches!(
        kind,
        SourceKind::Socket { reliable: true, .. } | SourceKind::Csv { reliable: true, .. }
    )
}

/// `sc` with `faults` added to its own.
fn with_faults(sc: &Scenario, faults: &[(Time, Fault)]) -> Scenario {
    let mut out = sc.clone();
    out.cluster.faults.faults.extend(faults.iter().cloned());
    out.cluster.faults.faults.sort_by_key(|(t, _)| *t);
    out
}

/// Runs `sc` to `end` (its own virtual time) and keeps what the report needs.
fn run_app(
    sc: &Scenario,
    end: Time,
    seed: u64,
    start: Time,
    label: &'static str,
    code: String,
    kept: &[Vec<usize>],
) -> Result<App, String> {
    let options = RunOptions {
        seed,
        output_dir: std::env::temp_dir().join(format!("stream-sim-upgrade-{}", std::process::id())),
    };
    let built = sc
        .build(&options)
        .map_err(|e| format!("{}: {e}", sc.path.display()))?;
    let mut sink = std::io::sink();
    built
        .run_printing(end, &mut sink)
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{}: job failed: {e}", sc.path.display()))?;
    let events = built
        .ssc
        .trace()
        .into_iter()
        .map(|e| shift(e, start))
        .collect();
    let (writes, read) = mapped(sc, &built.ssc.ledger(), kept);
    Ok(App {
        label,
        code,
        events,
        writes,
        read,
    })
}

/// An event with its time moved `by` later (only the kinds the report reads).
fn shift(e: Event, by: Time) -> Event {
    match e {
        Event::Output {
            time,
            index,
            op,
            stream,
            lines,
        } => Event::Output {
            time: time.plus(Duration::from_ms(by.ms())),
            index,
            op,
            stream,
            lines,
        },
        Event::ContextStopped { time } => Event::ContextStopped {
            time: time.plus(Duration::from_ms(by.ms())),
        },
        other => other,
    }
}

/// The ledger by source index: writes and reads per input. `kept[input]` maps the run's
/// record index to the source's (empty: the identity).
fn mapped(
    sc: &Scenario,
    ledger: &Ledger,
    kept: &[Vec<usize>],
) -> (
    Vec<BTreeMap<usize, u32>>,
    Vec<std::collections::BTreeSet<usize>>,
) {
    let n = sc.sources.len();
    let mut writes = vec![BTreeMap::new(); n];
    let mut read = vec![std::collections::BTreeSet::new(); n];
    for ((input, id), life) in ledger.records() {
        let Some(src) = sc.sources.get(input) else {
            continue;
        };
        let Some((_, partitions)) = records_of(&src.kind) else {
            continue;
        };
        // Kafka: log partition in the high bits, offset in the low bits; lines are dealt
        // round-robin, so index = offset * partitions + partition.
        let local = if partitions > 0 {
            let (p, o) = (id >> 40, id & ((1 << 40) - 1));
            (o as usize) * partitions + p as usize
        } else {
            id as usize
        };
        let index = match kept.get(input) {
            Some(k) if !k.is_empty() => match k.get(local) {
                Some(i) => *i,
                None => continue,
            },
            _ => local,
        };
        if !life.received.is_empty() {
            read[input].insert(index);
        }
        if life.outputs > 0 {
            *writes[input].entry(index).or_default() += life.outputs;
        }
    }
    (writes, read)
}

/// Runs the new code (`new`) as an application started at `start` ([`started_at`]) until
/// the global time `end`, fed the records for which `delivers(input, index, arrival)` holds.
///
/// # Errors
/// A build error or a failed job, as text.
fn run_new_code(
    new: &Scenario,
    start: Time,
    end: Time,
    seed: u64,
    delivers: impl Fn(usize, usize, Time) -> bool,
) -> Result<App, String> {
    let (sc, kept, zero) = started_at(new, start, |input, i, t| delivers(input, i, t).then_some(t));
    run_app(
        &sc,
        Time(end.ms().saturating_sub(zero.ms())),
        seed,
        zero,
        "new",
        format!("new code ({})", new.name),
        &kept,
    )
}

/// `new` as an application started at `start`, fed by each source what `delivers` says of
/// each record (`Some(arrival)` in the global clock, or `None`). Its timer starts as
/// `RecurringTimer.getStartTime` does, its first batch at the first multiple of the batch
/// interval after `start`: the run's virtual time 0 is the multiple at or before `start`
/// (returned), and records delivered before `start` arrive at `start`. Also returns, per
/// input, the run's record index to the source's.
fn started_at(
    new: &Scenario,
    start: Time,
    delivers: impl Fn(usize, usize, Time) -> Option<Time>,
) -> (Scenario, Vec<Vec<usize>>, Time) {
    let b = new.batch_interval.ms().max(1);
    let zero = Time(start.ms() / b * b);
    let mut sc = new.clone();
    let mut kept_all = Vec::new();
    for (input, src) in sc.sources.iter_mut().enumerate() {
        let Some((records, _)) = records_of(&src.kind) else {
            kept_all.push(Vec::new());
            continue;
        };
        let mut kept = Vec::new();
        let mut shifted = Vec::new();
        for (i, (t, v)) in records.iter().enumerate() {
            if let Some(at) = delivers(input, i, t) {
                kept.push(i);
                shifted.push((Time(at.max(start).ms() - zero.ms()), v.clone()));
            }
        }
        // Stable by arrival: records delivered at once keep their source order.
        let fresh = TimedRecords::new(shifted);
        match &mut src.kind {
            SourceKind::Socket { records, .. }
            | SourceKind::Csv { records, .. }
            | SourceKind::KafkaDirect { records, .. } => *records = fresh,
            _ => {}
        }
        kept_all.push(kept);
    }
    // A fresh application: whatever checkpoint directory it names holds nothing yet.
    sc.cluster.faults = FaultPlan::default();
    sc.cluster.random_faults = None;
    (sc, kept_all, zero)
}

/// How far an application runs past the checked time: restart delays plus three batches.
fn drain(sc: &Scenario, redeploy: Duration) -> Duration {
    redeploy + sc.cluster.receiver_restart_delay + sc.batch_interval * 3
}

fn program_text(sc: &Scenario) -> Option<String> {
    let text = std::fs::read_to_string(&sc.path).ok()?;
    let v: toml::Value = toml::from_str(&text).ok()?;
    v.get("pipeline")?.as_str().map(str::to_string)
}

/// What the new file asks for that a recovered context ignores.
fn ignored_changes(old: &Scenario, new: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let (po, pn) = (program_text(old), program_text(new));
    if po != pn {
        let lines = |p: &Option<String>| -> Vec<String> {
            p.as_deref()
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("//"))
                .map(str::to_string)
                .collect()
        };
        let (lo, ln) = (lines(&po), lines(&pn));
        for l in ln.iter().filter(|l| !lo.contains(l)) {
            out.push(format!("the new program's line `{l}` (never run)"));
        }
        for l in lo.iter().filter(|l| !ln.contains(l)) {
            out.push(format!(
                "the old program's line `{l}` (still runs: recovered)"
            ));
        }
    }
    if old.batch_interval != new.batch_interval {
        out.push(format!(
            "batch interval {} (the checkpoint's {} is kept: it is part of the recovered graph)",
            new.batch_interval, old.batch_interval
        ));
    }
    if format!("{:?}", old.cluster.conf) != format!("{:?}", new.cluster.conf) {
        out.push("the new [conf] (the checkpoint's SparkConf is recovered; only propertiesToReload such as spark.master, spark.driver.host, spark.yarn.app.id are read again)".into());
    }
    out
}

/// The checkpoint files on reliable storage when the old application ended, as its trace
/// shows them: one per batch generated before then (`JobGenerator.doCheckpoint`; a batch's
/// input RDD, allocation or completion marks it), minus failed writes, the newest
/// [`crate::models::dstream::checkpoint::MAX_FILES`] kept.
fn checkpoint_files(events: &[Event]) -> Vec<Time> {
    let mut times = std::collections::BTreeSet::new();
    for e in events {
        match e {
            Event::DriverKilled { .. } | Event::ContextStopped { .. } => break,
            Event::BatchAllocation { time, .. }
            | Event::RddComputed { time, .. }
            | Event::BatchCompleted { time, .. }
            | Event::BatchNotProcessed { time, .. } => {
                times.insert(*time);
            }
            Event::CheckpointWriteFailed {
                checkpoint_time, ..
            } => {
                times.remove(checkpoint_time);
            }
            _ => {}
        }
    }
    let v: Vec<Time> = times.into_iter().collect();
    let keep = crate::models::dstream::checkpoint::MAX_FILES;
    v[v.len().saturating_sub(keep)..].to_vec()
}

type Ran = (Vec<App>, Option<String>);

fn restart_from_checkpoint(
    old: &Scenario,
    new: &Scenario,
    opts: &UpgradeOptions,
    text: &mut Vec<String>,
) -> Result<Ran, String> {
    let Some(dir) = old.checkpoint.clone() else {
        return Err(format!(
            "{} sets no checkpoint directory ([context] checkpoint): there is nothing to restart from; getOrCreate would call createFunc (see --path graceful-fresh-checkpoint)",
            old.path.display()
        ));
    };
    if new.checkpoint.as_deref() != Some(dir.as_str()) {
        return Err(format!(
            "{} names checkpoint directory {:?}, not the old application's {dir:?}: getOrCreate would find no checkpoint there and call createFunc, a fresh start (see --path graceful-fresh-checkpoint)",
            new.path.display(),
            new.checkpoint
        ));
    }
    let until = until_of(old);
    let old_label = format!("old code ({})", old.name);
    text.push(
        "  The old application is stopped (its driver killed) and the new jar started with".into(),
    );
    text.push(format!(
        "  StreamingContext.getOrCreate({dir:?}, createFunc) after {}.",
        opts.redeploy
    ));
    if opts.classes == Classes::Incompatible {
        let stopped = with_faults(old, &[(opts.at, Fault::Stop { graceful: false })]);
        let end = until.plus(drain(old, opts.redeploy));
        let app = run_app(&stopped, end, opts.seed, Time(0), "old", old_label, &[])?;
        let files = checkpoint_files(&app.events);
        let start = opts.at.plus(opts.redeploy);
        text.push(format!("  {start}: CheckpointReader.read({dir:?})"));
        let names: Vec<String> = files
            .iter()
            .rev()
            .map(|t| format!("{dir}/checkpoint-{}", t.ms()))
            .collect();
        text.push(format!("    Checkpoint files found: {}", names.join(",")));
        for f in &names {
            text.push(format!("    Attempting to load checkpoint from file {f}"));
            text.push(format!("    WARN Error reading checkpoint from file {f}"));
            text.push("      java.io.InvalidClassException: <a class of the old jar's graph or closures>; local class incompatible: stream classdesc serialVersionUID = <old>, local class serialVersionUID = <new>".into());
        }
        let err = format!(
            "org.apache.spark.SparkException: Failed to read checkpoint from directory {dir} (caused by the last read error: java.io.InvalidClassException)"
        );
        text.push(format!("    {err}"));
        text.push("  Neither code runs after the stop: the checkpoint must be deleted (or another directory named), which is --path graceful-fresh-checkpoint.".into());
        return Ok((vec![app], Some(err)));
    }
    let mut killed = with_faults(old, &[(opts.at, Fault::KillDriver)]);
    killed.cluster.driver_restart_delay = opts.redeploy;
    let end = until.plus(drain(old, opts.redeploy));
    let app = run_app(&killed, end, opts.seed, Time(0), "old", old_label, &[])?;
    let files = checkpoint_files(&app.events);
    let restart = app.events.iter().find_map(|e| match e {
        Event::DriverRestarted { time, rerun, .. } => Some((*time, rerun.clone())),
        _ => None,
    });
    if let (Some(latest), Some((t, rerun))) = (files.last(), restart) {
        text.push(format!(
            "  {t}: checkpoint found ({} file(s)); read {dir}/checkpoint-{}",
            files.len(),
            latest.ms()
        ));
        text.push(format!(
            "  createFunc is NOT called: {}'s program never runs.",
            new.path.display()
        ));
        text.push(format!(
            "  Recovered from the checkpoint: {}'s DStream graph and closures, batch interval {}, SparkConf; JobGenerator.restart re-runs {} batch(es): {}",
            old.path.display(),
            old.batch_interval,
            rerun.len(),
            rerun.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
        ));
    } else {
        text.push("  No checkpoint had been written by then: getOrCreate calls createFunc (the old code ran no batch); try a later --at.".into());
    }
    let ignored = ignored_changes(old, new);
    if ignored.is_empty() {
        text.push("  (The two files' programs, batch intervals and conf are the same: nothing to ignore.)".into());
    } else {
        text.push("  Ignored from the new file:".into());
        for l in ignored {
            text.push(format!("    - {l}"));
        }
    }
    Ok((vec![app], None))
}

fn parallel(
    old: &Scenario,
    new: &Scenario,
    opts: &UpgradeOptions,
    text: &mut Vec<String>,
) -> Result<Ran, String> {
    let until = until_of(old);
    let down = opts.at.plus(opts.overlap);
    text.push(format!(
        "  The new application starts at {} with its own (empty) checkpoint directory, beside the old one;",
        opts.at
    ));
    text.push(format!(
        "  at {down} the old one is brought down (ssc.stop(stopGracefully = true))."
    ));
    text.push("  Both receive the same data: the source must send to two destinations (two Kafka consumer".into());
    text.push("  groups read one topic; a socket source must broadcast to both receivers).".into());
    let stopped = with_faults(old, &[(down, Fault::Stop { graceful: true })]);
    let end = until.plus(drain(old, opts.redeploy));
    let old_app = run_app(
        &stopped,
        end,
        opts.seed,
        Time(0),
        "old",
        format!("old code ({})", old.name),
        &[],
    )?;
    let start = opts.at;
    let new_app = run_new_code(new, start, end, opts.seed, |input, _, t| {
        match &new.sources[input].kind {
            SourceKind::KafkaDirect { .. } => match opts.starting_offsets {
                StartingOffsets::Earliest => true,
                // A new consumer group has no committed offsets: latest.
                _ => t > start,
            },
            _ => t >= start,
        }
    })?;
    let stop = old_app.events.iter().find_map(|e| match e {
        Event::ContextStopped { time } => Some(*time),
        _ => None,
    });
    if let Some(s) = stop {
        text.push(format!(
            "  The old application stopped at {s}; from {start} to {s} both wrote out what arrived (the duplicate window)."
        ));
    }
    text.push("  The new application's state starts empty: its running state and windows hold nothing from".into());
    text.push("  before its start (warming up is waiting until its windows are full; updateStateByKey's state".into());
    text.push("  only catches up if the new code seeds it, e.g. with an initialRDD).".into());
    Ok((vec![old_app, new_app], None))
}

fn graceful_fresh(
    old: &Scenario,
    new: &Scenario,
    opts: &UpgradeOptions,
    text: &mut Vec<String>,
) -> Result<Ran, String> {
    let until = until_of(old);
    let stopped = with_faults(old, &[(opts.at, Fault::Stop { graceful: true })]);
    let end = until.plus(drain(old, opts.redeploy));
    let old_app = run_app(
        &stopped,
        end,
        opts.seed,
        Time(0),
        "old",
        format!("old code ({})", old.name),
        &[],
    )?;
    let stop = old_app
        .events
        .iter()
        .find_map(|e| match e {
            Event::ContextStopped { time } => Some(*time),
            _ => None,
        })
        .unwrap_or(opts.at);
    let start = stop.plus(opts.redeploy);
    text.push(format!(
        "  {}: ssc.stop(stopGracefully = true): the receivers stop; every received block is processed; stopped at {stop}.",
        opts.at
    ));
    text.push(format!(
        "  {start}: the new application starts with an empty checkpoint directory (a different one, or the old one deleted): getOrCreate calls createFunc, the new code runs from a fresh state."
    ));
    let mut notes = Vec::new();
    for src in &new.sources {
        notes.push(match (&src.kind, opts.starting_offsets) {
            (SourceKind::KafkaDirect { .. }, StartingOffsets::Latest) => format!(
                "  source `{}` (Kafka direct, auto.offset.reset = latest): a fresh direct stream starts at the offsets of {start}; what was appended after the old application's last offset range and before then is skipped.",
                src.name
            ),
            (SourceKind::KafkaDirect { .. }, StartingOffsets::Earliest) => format!(
                "  source `{}` (Kafka direct, auto.offset.reset = earliest): the fresh direct stream reads the topic from the beginning: everything the old application wrote out is written again.",
                src.name
            ),
            (SourceKind::KafkaDirect { .. }, StartingOffsets::Committed) => format!(
                "  source `{}` (Kafka direct, offsets committed by the old application with commitAsync): the new one starts right after the old one's last range: the topic buffered what arrived meanwhile.",
                src.name
            ),
            (k, _) if reliable(k) => format!(
                "  source `{}` (reliable receiver): the source kept what no receiver took and sends it when the new receiver connects.",
                src.name
            ),
            _ => format!(
                "  source `{}` (a socket without buffering): what it sent while no receiver listened ({} to {start}) is gone.",
                src.name, opts.at
            ),
        });
    }
    text.extend(notes);
    let new_app = run_new_code(new, start, end, opts.seed, |input, i, t| {
        match &new.sources[input].kind {
            SourceKind::KafkaDirect { .. } => match opts.starting_offsets {
                StartingOffsets::Latest => t > start,
                StartingOffsets::Earliest => true,
                StartingOffsets::Committed => !old_app.read[input].contains(&i),
            },
            k if reliable(k) => !old_app.read[input].contains(&i),
            _ => t >= start,
        }
    })?;
    Ok((vec![old_app, new_app], None))
}

/// Per record of the shared source that arrived by `until`: how often the applications
/// together wrote it out.
fn tally(old: &Scenario, apps: &[App], until: Time) -> Counts {
    let mut c = Counts::default();
    for (input, src) in old.sources.iter().enumerate() {
        let Some((records, _)) = records_of(&src.kind) else {
            continue;
        };
        for (i, (t, _)) in records.iter().enumerate() {
            if t > until {
                continue;
            }
            c.arrived += 1;
            let per: Vec<u32> = apps
                .iter()
                .map(|a| a.writes[input].get(&i).copied().unwrap_or(0))
                .collect();
            let total: u32 = per.iter().sum();
            match total {
                0 => c.never += 1,
                1 => c.once += 1,
                _ => {
                    c.duplicated += 1;
                    if per.iter().filter(|n| **n > 0).count() > 1 {
                        c.by_both += 1;
                    }
                }
            }
        }
    }
    for a in apps {
        let n = a
            .events
            .iter()
            .filter(|e| matches!(e, Event::Output { .. }))
            .count();
        if a.label == "old" {
            c.old_code_outputs += n;
        } else {
            c.new_code_outputs += n;
        }
    }
    c
}
