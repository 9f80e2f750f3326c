//! The knobs a sweep varies per seed (swarm testing: Groce et al., "Swarm Testing",
//! ISSTA 2012), written so a run can be replayed from the command line without the sweep:
//! `--knobs 'block=200ms,ack=1..50ms,rate=x2,record_us=400' --faults 'at 1000ms latency
//! 0ms..400ms; at 6100ms kill driver'`.
//!
//! A seed draws, each from its own stream of the seed tree (so adding a knob keeps the
//! other draws): the block interval (`swarm`), the acknowledgement latency (`swarm`), the
//! failure kind (`swarm`, `swarm/kind`) and time (`faults`), network latency
//! (`swarm/network`) and loss (`swarm/loss`) from the first batch on, load: the sources'
//! rate and the cost per record (`swarm/load`), and a storage protocol point
//! (`swarm/protocol`: a failed write-ahead-log or allocation write). The protocol points
//! are those of [`crate::cluster::Fault::is_protocol_point`].

use crate::cluster::faults::FailureKind;
use crate::cluster::{Fault, FaultPlan};
use crate::io::TimedRecords;
use crate::scenario::spec::SourceKind;
use crate::scenario::Scenario;
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, Time};
use rand::Rng;

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

/// The most a rate factor may be (`rate=xN`), a limit on the records a replayed run adds
/// per virtual second.
pub const MAX_RATE_FACTOR: u32 = 16;

/// Everything a sweep varies for one seed, beside the seed itself (which still draws the
/// network's and the acknowledgements' latencies inside the run). `None` keeps the
/// scenario's own setting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Knobs {
    /// `block=200ms`: the block interval (`spark.streaming.blockInterval`), at most the
    /// batch interval.
    pub block_interval: Option<Duration>,
    /// `ack=1..50ms`: the range of acknowledgement latencies, virtual ms.
    pub ack_latency_ms: Option<(u64, u64)>,
    /// `rate=x2`: the socket and Kafka sources deliver their records this many times
    /// faster (arrival times divided by it); 1 to [`MAX_RATE_FACTOR`].
    pub rate_factor: Option<u32>,
    /// `record_us=400`: the cost per record per operator, virtual µs
    /// ([`crate::cluster::CostModel::record_us`]).
    pub record_us: Option<f64>,
    /// The faults, replacing the scenario's.
    pub faults: FaultPlan,
}

impl Knobs {
    /// The knobs without faults, as `--knobs` takes them (`block=200ms,ack=1..50ms`);
    /// empty when every setting is the scenario's.
    pub fn settings(&self) -> String {
        let mut parts = Vec::new();
        if let Some(b) = self.block_interval {
            parts.push(format!("block={}ms", b.ms()));
        }
        if let Some((lo, hi)) = self.ack_latency_ms {
            parts.push(format!("ack={lo}..{hi}ms"));
        }
        if let Some(f) = self.rate_factor {
            parts.push(format!("rate=x{f}"));
        }
        if let Some(us) = self.record_us {
            parts.push(format!("record_us={us}"));
        }
        parts.join(",")
    }

    /// The fault schedule as `--faults` takes it: `at 6100ms kill driver; at ...`.
    pub fn schedule(&self) -> String {
        schedule_text(&self.faults)
    }

    /// The settings that can change the fault-free reference run: the block interval, the
    /// rate and the cost. (Faults are not part of a reference run; the acknowledgement
    /// latency only moves when a source may forget records, which matters only to a replay
    /// after a failure.)
    pub fn reference_key(&self) -> String {
        format!(
            "block={:?} rate={:?} record_us={:?}",
            self.block_interval.map(Duration::ms),
            self.rate_factor,
            self.record_us
        )
    }

    /// Parses `--knobs` text (`block=200ms,ack=1..50ms,rate=x2,record_us=400`; empty for
    /// none) into `self`, leaving the faults alone.
    ///
    /// # Errors
    /// The first bad setting, with the valid forms.
    pub fn parse_settings(&mut self, text: &str) -> Result<(), String> {
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| {
                format!("--knobs: `{part}` is not name=value; knobs are block=200ms, ack=1..50ms, rate=x2, record_us=400")
            })?;
            match name.trim() {
                "block" => {
                    let d = Duration::parse(value)
                        .map_err(|m| format!("--knobs: block: {m}"))?;
                    if d.ms() == 0 {
                        return Err("--knobs: block must be at least 1ms".into());
                    }
                    self.block_interval = Some(d);
                }
                "ack" => {
                    let (lo, hi) = value.split_once("..").unwrap_or((value, value));
                    let lo_d = Duration::parse(if lo.ends_with("ms") || lo.ends_with('s') {
                        lo.to_string()
                    } else {
                        format!("{lo}ms")
                    }
                    .as_str());
                    match (lo_d, Duration::parse(hi)) {
                        (Ok(a), Ok(b)) if a <= b => self.ack_latency_ms = Some((a.ms(), b.ms())),
                        _ => {
                            return Err(format!(
                                "--knobs: ack needs a range like 1..50ms, found `{value}`"
                            ))
                        }
                    }
                }
                "rate" => match value.trim_start_matches('x').parse::<u32>() {
                    Ok(f) if (1..=MAX_RATE_FACTOR).contains(&f) => self.rate_factor = Some(f),
                    _ => {
                        return Err(format!(
                            "--knobs: rate needs a factor x1 to x{MAX_RATE_FACTOR}, found `{value}`"
                        ))
                    }
                },
                "record_us" => match value.parse::<f64>() {
                    Ok(us) if (0.0..=1e7).contains(&us) => self.record_us = Some(us),
                    _ => {
                        return Err(format!(
                            "--knobs: record_us needs microseconds between 0 and 10000000, found `{value}`"
                        ))
                    }
                },
                other => {
                    return Err(format!(
                        "--knobs: unknown knob `{other}`; knobs are block, ack, rate and record_us"
                    ))
                }
            }
        }
        Ok(())
    }

    /// Parses a `--faults` schedule (fault lines separated by `;` or newlines, as in a
    /// scenario's `faults`) into `self.faults`.
    ///
    /// # Errors
    /// The first bad fault, with its position in the text.
    pub fn parse_schedule(&mut self, text: &str) -> Result<(), String> {
        let lines = text.replace(';', "\n");
        self.faults = FaultPlan::parse(&lines)
            .map_err(|(line, col, m)| format!("--faults: fault {line}, column {col}: {m}"))?;
        Ok(())
    }

    /// `sc` with these knobs: the settings given, and these faults instead of the
    /// scenario's (random fault rates are kept).
    ///
    /// # Errors
    /// A block interval above the batch interval.
    pub fn apply(&self, sc: &Scenario) -> Result<Scenario, String> {
        let mut out = sc.clone();
        if let Some(b) = self.block_interval {
            if b > sc.batch_interval {
                return Err(format!(
                    "--knobs: block={}ms is above the batch interval ({}ms)",
                    b.ms(),
                    sc.batch_interval.ms()
                ));
            }
            out.block_interval = b;
        }
        if let Some(range) = self.ack_latency_ms {
            out.cluster.ack_latency_ms = range;
        }
        if let Some(f) = self.rate_factor.filter(|f| *f > 1) {
            for src in &mut out.sources {
                if let SourceKind::Socket { records, .. }
                | SourceKind::KafkaDirect { records, .. } = &mut src.kind
                {
                    *records = TimedRecords::new(
                        records
                            .iter()
                            .map(|(t, v)| (Time(t.ms() / u64::from(f)), v.clone()))
                            .collect(),
                    );
                }
            }
        }
        if let Some(us) = self.record_us {
            out.cluster.cost.record_us = us;
        }
        out.cluster.faults = self.faults.clone();
        Ok(out)
    }
}

/// Fault lines joined by `; ` in a form [`FaultPlan::parse`] reads back.
pub fn schedule_text(plan: &FaultPlan) -> String {
    plan.faults
        .iter()
        .map(|(t, f)| format!("at {}ms {f}", t.ms()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Records per batch interval of the scenario's timed sources (socket, CSV, Kafka): their
/// count over the span of their arrival times.
fn records_per_batch(sc: &Scenario) -> f64 {
    let mut per_ms = 0.0;
    for src in &sc.sources {
        if let SourceKind::Socket { records, .. }
        | SourceKind::Csv { records, .. }
        | SourceKind::KafkaDirect { records, .. } = &src.kind
        {
            let first = records.iter().next().map_or(0, |(t, _)| t.ms());
            let last = records.last_arrival().map_or(0, Time::ms);
            per_ms += records.len() as f64 / (last.saturating_sub(first).max(1)) as f64;
        }
    }
    per_ms * sc.batch_interval.ms() as f64
}

/// The first source with a receiver (socket or CSV), by name.
fn first_receiver(sc: &Scenario) -> Option<&str> {
    sc.sources.iter().find_map(|s| match s.kind {
        SourceKind::Socket { .. } | SourceKind::Csv { .. } => Some(s.name.as_str()),
        _ => None,
    })
}

/// The knobs seed `seed` draws for `sc` (module docs): one failure of the kind `mode` asks
/// for at a time uniform in the middle of the run (from two batches in to two batches
/// before the end), a quarter of them at a protocol point instead (a receiver killed right
/// after storing a block, or the driver right after a checkpoint, when the scenario has a
/// receiver or a checkpoint); block interval 100, 200 or 500 ms (never above the batch
/// interval); acknowledgement latency up to 10, 50 or 500 ms; from the first batch on,
/// network latency (none for half the seeds, else up to 100 or 400 ms) and loss (none for
/// half, else 1 % or 5 %); load: the sources twice as fast for a quarter of the seeds, and
/// for a quarter each a cost per record of 4 or 6 times the batch interval over the
/// records per batch times the program's statements (about 0.75 and 1.15 times the batch
/// interval of busy time once the tasks run in parallel); with the write-ahead
/// log, a quarter of the seeds also fail one log write (block or allocation).
pub fn draw(sc: &Scenario, seed: u64, mode: FailMode) -> Knobs {
    draw_with(sc, seed, mode, Vary::All)
}

/// Which knobs a sweep varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vary {
    /// Every knob of [`draw`].
    All,
    /// The first sweep's knobs only (block interval, acknowledgement latency, network
    /// latency, a worker or driver failure at a time): what the semantics table measures,
    /// the guide's table being about those failures. Their draws are the same as under
    /// `All`, from the same streams.
    Classic,
}

/// [`draw`], varying the knobs `vary` names.
pub fn draw_with(sc: &Scenario, seed: u64, mode: FailMode, vary: Vary) -> Knobs {
    let all = vary == Vary::All;
    let seeds = SeedTree::new(seed);
    let mut knobs = seeds.rng("swarm");
    let mut out = Knobs::default();
    let block = [100, 200, 500][knobs.random_range(0..3)];
    if block <= sc.batch_interval.ms() {
        out.block_interval = Some(Duration::from_ms(block));
    }
    out.ack_latency_ms = Some((1, [10, 50, 500][knobs.random_range(0..3)]));
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
    let mut faults = FaultPlan::random(&seeds, kind, from, until);
    // A quarter of the failures strike at a protocol point instead, armed at that time.
    let mut point = seeds.rng("swarm/kind");
    if all && point.random_range(0..4) == 0 {
        if let Some((_, f)) = faults.faults.first_mut() {
            match kind {
                FailureKind::Worker => {
                    if let Some(stream) = first_receiver(sc) {
                        *f = Fault::KillReceiverAfterStore(stream.to_string());
                    }
                }
                FailureKind::Driver => {
                    if sc.checkpoint.is_some() {
                        *f = Fault::KillDriverAfterCheckpoint;
                    }
                }
            }
        }
    }
    let first_batch = Time::ZERO.plus(sc.batch_interval);
    // Network latency between the nodes from the first batch on, from its own stream so
    // the other knobs keep their draws: none for half the seeds, else up to 100 or 400 ms
    // (a block report or its answer in flight when a failure strikes).
    let mut net = seeds.rng("swarm/network");
    let max_latency = [0, 0, 100, 400][net.random_range(0..4)];
    let mut early = Vec::new();
    if max_latency > 0 {
        early.push((first_batch, Fault::Latency(0, max_latency)));
    }
    let mut loss = seeds.rng("swarm/loss");
    let p = [0.0, 0.0, 0.01, 0.05][loss.random_range(0..4)];
    if all && p > 0.0 {
        early.push((first_batch, Fault::Loss(p)));
    }
    faults.faults.splice(0..0, early);
    let mut load = seeds.rng("swarm/load");
    if all && load.random_range(0..4) == 0 {
        out.rate_factor = Some(2);
    }
    // Nominal load factors: the operators run as parallel tasks on the free cores, so the
    // busy time per batch comes to about a fifth of the nominal figure (measured on
    // driver-failure-wal: 4 gives about 0.75 of the batch interval, 6 about 1.15, a job
    // that falls behind and queues batches).
    let utilization = [0.0, 0.0, 4.0, 6.0][load.random_range(0..4)];
    let per_batch = records_per_batch(sc) * f64::from(out.rate_factor.unwrap_or(1));
    if all && utilization > 0.0 && per_batch >= 1.0 {
        let ops = sc.program.statements.len().max(1) as f64;
        let us = utilization * sc.batch_interval.ms() as f64 * 1000.0 / (per_batch * ops);
        out.record_us = Some(us.round().max(1.0));
    }
    if all && sc.cluster.wal {
        let mut storage = seeds.rng("swarm/protocol");
        if storage.random_range(0..4) == 0 {
            let at = Time(storage.random_range(from.ms()..until.ms().max(from.ms() + 1)));
            let fault = if storage.random_range(0..2) == 0 {
                Fault::FailWalWrite
            } else {
                Fault::FailAllocationWrite
            };
            faults.faults.push((at, fault));
        }
    }
    faults.faults.sort_by_key(|(t, _)| *t);
    out.faults = faults;
    out
}
