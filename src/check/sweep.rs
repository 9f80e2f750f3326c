//! Swarm testing and sweeps: many seeds, each with a random failure and varied knobs, run
//! on all cores; the result does not depend on thread timing.

use super::verify::{verify, Report};
use crate::cluster::faults::FailureKind;
use crate::cluster::{Fault, FaultPlan};
use crate::ledger::Ledger;
use crate::scenario::{RunOptions, Scenario};
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, Time};
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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
/// never above the batch interval), the acknowledgement latency (up to 10, 50 or 500 ms)
/// and the network latency from the first batch on (none, up to 100 ms or up to 400 ms).
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
    // Network latency between the nodes from the first batch on, from its own stream so
    // the other knobs keep their draws: none for half the seeds, else up to 100 or 400 ms
    // (a block report or its answer in flight when a failure strikes).
    let mut net = seeds.rng("swarm/network");
    let max_latency = [0, 0, 100, 400][net.random_range(0..4)];
    if max_latency > 0 {
        out.cluster.faults.faults.insert(
            0,
            (
                Time::ZERO.plus(sc.batch_interval),
                Fault::Latency(0, max_latency),
            ),
        );
    }
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
    /// The first few seeds with loss or duplicates (or errors), or with a declared
    /// guarantee (`expect`) the first few that break it: `(seed, summary)`.
    pub first_failing: Vec<(u64, String)>,
    /// Runs that broke the scenario's declared guarantee (`expect`; 0 without one).
    pub violations: u64,
    /// Those runs grouped by the cause of their first lost (else duplicated) record, with
    /// record ids, block ids and times blanked out: `cause -> (runs, first seed)`.
    pub violation_causes: std::collections::BTreeMap<String, (u64, u64)>,
    /// Records lost, per run that completed (in seed order).
    pub lost_per_run: Vec<u64>,
    /// Records duplicated, per run that completed (in seed order).
    pub duplicated_per_run: Vec<u64>,
}

/// `(min, median, max)` of `values` (the lower median for an even count); zeros if empty.
pub fn spread(values: &[u64]) -> (u64, u64, u64) {
    let mut v = values.to_vec();
    v.sort_unstable();
    match (v.first(), v.get(v.len().saturating_sub(1) / 2), v.last()) {
        (Some(&lo), Some(&mid), Some(&hi)) => (lo, mid, hi),
        _ => (0, 0, 0),
    }
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
                if let Some(g) = sc.cluster.expect {
                    if !g.kept(loss, dup) {
                        out.violations += 1;
                        let cause = rep
                            .causes
                            .first()
                            .map_or("?".to_string(), |c| cause_group(c));
                        out.violation_causes.entry(cause).or_insert((0, seed)).0 += 1;
                    }
                }
                out.lost_per_run.push(rep.verdict.lost.len() as u64);
                out.duplicated_per_run
                    .push(rep.verdict.duplicated.len() as u64);
                out.with_loss += u64::from(loss);
                out.with_duplicates += u64::from(dup);
                // With a declared guarantee, only the runs that break it are reported.
                let failing = sc
                    .cluster
                    .expect
                    .map_or(loss || dup, |g| !g.kept(loss, dup));
                if failing && out.first_failing.len() < 5 {
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

/// A cause line (`lost 0#59: stored in input-0-29 but ...`) as a group: the record id
/// dropped and every number replaced by `N`, so runs that failed the same way group.
fn cause_group(cause: &str) -> String {
    let text = cause.split_once(": ").map_or(cause, |(kind, rest)| {
        if kind.starts_with("lost") || kind.starts_with("duplicated") {
            rest
        } else {
            cause
        }
    });
    let kind = if cause.starts_with("lost") {
        "lost"
    } else {
        "duplicated"
    };
    let mut out = String::new();
    let mut in_number = false;
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(ch);
        }
    }
    format!("{kind}: {out}")
}
