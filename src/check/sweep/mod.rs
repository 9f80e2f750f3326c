//! Swarm testing and sweeps: many seeds, each with a random failure and varied knobs
//! ([`knobs`]), run on all cores; the result does not depend on thread timing. Each
//! violation of the scenario's declared guarantee is shrunk to a minimal fault schedule
//! ([`shrink()`]) and printed with the command that replays it.
//!
//! Speed: the fault-free reference run a verdict compares against is computed once per set
//! of knobs that can change it ([`Knobs::reference_key`]) and reused across seeds when it
//! cannot depend on the seed ([`reference_reuse`]); so is its settled run (input stopped at
//! the horizon, backlog drained), which a verdict whose losses all sit in queued batches
//! needs: the first such verdict computes it and keeps it with the reference.

pub mod knobs;
pub mod report;
pub mod shrink;

pub use knobs::{draw, draw_with, FailMode, Knobs, Vary};
pub use shrink::{shrink, Shrunk};

use super::verify::{reference_run, verify_keeping, Keep, Reference, Report};
use crate::scenario::{RunOptions, Scenario};
use crate::sim::Time;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Swarm testing: `sc` with the knobs seed `seed` draws ([`draw`]).
pub fn swarm(sc: &Scenario, seed: u64, mode: FailMode) -> Scenario {
    let k = draw(sc, seed, mode);
    // The drawn block interval is never above the batch interval, so this cannot fail.
    k.apply(sc).unwrap_or_else(|_| sc.clone())
}

/// Whether the reference run of `sc` (faults and random fault rates removed) cannot depend
/// on the seed, so a sweep may run it once per set of knobs: `Ok` unless the pipeline calls
/// an operator that draws from the seed (`sample`, `approxQuantile`,
/// `approxQuantileByWindow`: `models::dstream::sketches`). Without faults the seed draws
/// nothing else that reaches an output: the network draws only with latency or loss set
/// (faults), and the acknowledgement latencies only move when a source may forget a
/// record, which matters to a replay after a failure and there is none.
///
/// # Errors
/// Why it may depend on the seed.
pub fn reference_reuse(sc: &Scenario) -> Result<(), String> {
    // Conservative: any identifier with one of these names turns reuse off.
    let program = format!("{:?}", sc.program);
    for op in ["sample", "approxQuantile", "approxQuantileByWindow"] {
        if program.contains(&format!("name: \"{op}\"")) {
            return Err(format!(
                "not reused: the pipeline calls {op}, which draws from the seed"
            ));
        }
    }
    Ok(())
}

/// Counts over a sweep.
#[derive(Clone, Debug, Default)]
pub struct SweepResult {
    /// Seeds run.
    pub runs: u64,
    /// Runs per label (`exactly-once`, `at-least-once`, `at-most-once`, `none`, `error`).
    pub labels: BTreeMap<String, u64>,
    /// Runs that lost data.
    pub with_loss: u64,
    /// Runs that duplicated data.
    pub with_duplicates: u64,
    /// The first few seeds with loss or duplicates (or errors), or with a declared
    /// guarantee (`expect`) the first few that break it: `(seed, summary)`.
    pub first_failing: Vec<(u64, String)>,
    /// The knobs of each seed in `first_failing` and of each group's first seed.
    pub knobs: BTreeMap<u64, Knobs>,
    /// Runs that broke the scenario's declared guarantee (`expect`; 0 without one).
    pub violations: u64,
    /// Runs that would break it but whose every lost record still sits in a queued batch
    /// after the check settled them (`Report::backlog_cut`: the input stopped at the
    /// horizon and the backlog drained for up to `verify::SETTLE_LIMIT_FACTOR` times the checked
    /// length, in both runs): counted here, not as violations; `(runs, first seed)`.
    pub undecided: (u64, u64),
    /// Those runs grouped by the cause of their first lost (else duplicated) record, with
    /// record ids, block ids and times blanked out: `cause -> (runs, first seed)`.
    pub violation_causes: BTreeMap<String, (u64, u64)>,
    /// Each group's first seed shrunk to a minimal fault schedule (when asked).
    pub shrunk: BTreeMap<String, Shrunk>,
    /// Records lost, per run that completed (in seed order).
    pub lost_per_run: Vec<u64>,
    /// Records duplicated, per run that completed (in seed order).
    pub duplicated_per_run: Vec<u64>,
    /// Reference runs computed (one per seed without reuse).
    pub reference_runs: u64,
    /// `None` when the reference runs were reused across seeds, else why not.
    pub reuse_refused: Option<String>,
}

impl Default for SweepConfig {
    /// Every knob varied, reference reuse and shrinking on (what `stream-sim sweep` runs).
    fn default() -> Self {
        SweepConfig {
            shrink: true,
            reuse_reference: true,
            vary: Vary::All,
        }
    }
}

/// How a sweep runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepConfig {
    /// Shrink the first seed of each violation group ([`shrink()`]).
    pub shrink: bool,
    /// Reuse the reference run across seeds when [`reference_reuse`] allows it.
    pub reuse_reference: bool,
    /// Which knobs each seed varies.
    pub vary: Vary,
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

type Cell = Arc<OnceLock<Result<Arc<Reference>, String>>>;

/// One seed's outcome: the seed, its knobs, its report or error.
type Checked = (u64, Knobs, Result<Report, String>);

/// Reference runs by [`Knobs::reference_key`], each computed once (other threads asking
/// for the same key wait for it).
#[derive(Default)]
struct References {
    cells: Mutex<BTreeMap<String, Cell>>,
    computed: AtomicU64,
}

impl References {
    fn get(
        &self,
        key: String,
        compute: impl FnOnce() -> Result<Reference, String>,
    ) -> Result<Arc<Reference>, String> {
        let cell = match self.cells.lock() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            Err(_) => return Err("a sweep thread panicked".into()),
        };
        cell.get_or_init(|| {
            self.computed.fetch_add(1, Ordering::Relaxed);
            compute().map(Arc::new)
        })
        .clone()
    }
}

/// One seed's case, checked: the knobs applied to `sc`, against a reference from `refs`
/// (or computed for this seed when `refs` is `None`).
fn check_case(
    sc: &Scenario,
    seed: u64,
    knobs: &Knobs,
    options: &RunOptions,
    refs: Option<&References>,
    computed: &AtomicU64,
) -> Result<Report, String> {
    let case = knobs.apply(sc)?;
    let opts = RunOptions {
        seed,
        output_dir: options.output_dir.clone(),
    };
    let until = Time::ZERO.plus(sc.run_for);
    let reference = match refs {
        Some(r) => r.get(knobs.reference_key(), || reference_run(&case, &opts, until))?,
        None => {
            computed.fetch_add(1, Ordering::Relaxed);
            Arc::new(reference_run(&case, &opts, until)?)
        }
    };
    // Only the verdict and causes are kept per seed: 10,000 ledgers, traces and batch
    // tables would not fit (and copying them is a seed's cost).
    verify_keeping(&case, &opts, until, &reference, Keep::Verdict)
}

/// The group of a report's first cause ([`cause_group`]), `?` without one.
fn group_of(rep: &Report) -> String {
    rep.causes
        .first()
        .map_or("?".to_string(), |c| cause_group(c))
}

/// Runs `seeds` through the classic swarm ([`Vary::Classic`]: the knobs the semantics
/// table measures) + verify on `threads` threads, with reference reuse and shrinking on;
/// `progress` is called after each seed.
/// The result does not depend on thread timing (results are merged by seed).
pub fn sweep(
    sc: &Scenario,
    seeds: std::ops::RangeInclusive<u64>,
    mode: FailMode,
    threads: usize,
    options: &RunOptions,
    progress: &(dyn Fn() + Sync),
) -> SweepResult {
    sweep_with(
        sc,
        seeds,
        mode,
        threads,
        options,
        progress,
        SweepConfig {
            vary: Vary::Classic,
            ..SweepConfig::default()
        },
    )
}

/// [`sweep()`] with a [`SweepConfig`].
pub fn sweep_with(
    sc: &Scenario,
    seeds: std::ops::RangeInclusive<u64>,
    mode: FailMode,
    threads: usize,
    options: &RunOptions,
    progress: &(dyn Fn() + Sync),
    config: SweepConfig,
) -> SweepResult {
    let next = AtomicU64::new(*seeds.start());
    let end = *seeds.end();
    let reuse = if config.reuse_reference {
        reference_reuse(sc)
    } else {
        Err("not reused: turned off".to_string())
    };
    let refs = References::default();
    let computed = AtomicU64::new(0);
    let results: Mutex<Vec<Checked>> = Mutex::new(Vec::new());
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
                    let knobs = draw_with(&local, seed, mode, config.vary);
                    let r = check_case(
                        &local,
                        seed,
                        &knobs,
                        options,
                        reuse.is_ok().then_some(&refs),
                        &computed,
                    );
                    if let Ok(mut v) = results.lock() {
                        v.push((seed, knobs, r));
                    }
                    progress();
                }
            });
        }
    });
    let mut all = results.into_inner().unwrap_or_default();
    all.sort_by_key(|(seed, _, _)| *seed);
    let mut out = SweepResult {
        reuse_refused: reuse.clone().err(),
        ..SweepResult::default()
    };
    for (seed, knobs, r) in all {
        out.runs += 1;
        match r {
            Ok(rep) => {
                *out.labels
                    .entry(rep.verdict.label().to_string())
                    .or_default() += 1;
                let loss = !rep.verdict.lost.is_empty();
                let dup = !rep.verdict.duplicated.is_empty();
                if let Some(g) = sc.cluster.expect {
                    if !g.kept(loss, dup) && rep.backlog_cut {
                        if out.undecided.0 == 0 {
                            out.undecided.1 = seed;
                            out.knobs.insert(seed, knobs.clone());
                        }
                        out.undecided.0 += 1;
                    } else if !g.kept(loss, dup) {
                        out.violations += 1;
                        let group = out
                            .violation_causes
                            .entry(group_of(&rep))
                            .or_insert((0, seed));
                        group.0 += 1;
                        if group.1 == seed {
                            out.knobs.insert(seed, knobs.clone());
                        }
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
                    .map_or(loss || dup, |g| !g.kept(loss, dup) && !rep.backlog_cut);
                if failing && out.first_failing.len() < 5 {
                    out.first_failing.push((
                        seed,
                        format!("{} ({})", rep.verdict, knobs::schedule_text(&rep.faults)),
                    ));
                    out.knobs.insert(seed, knobs);
                }
            }
            Err(e) => {
                *out.labels.entry("error".into()).or_default() += 1;
                if out.first_failing.len() < 5 {
                    out.first_failing.push((seed, format!("error: {e}")));
                    out.knobs.insert(seed, knobs);
                }
            }
        }
    }
    if let (Some(g), true) = (sc.cluster.expect, config.shrink) {
        for (group, (_, seed)) in &out.violation_causes {
            let Some(start) = out.knobs.get(seed) else {
                continue;
            };
            let mut fails = |k: &Knobs| {
                check_case(
                    sc,
                    *seed,
                    k,
                    options,
                    reuse.is_ok().then_some(&refs),
                    &computed,
                )
                .is_ok_and(|rep| {
                    !rep.backlog_cut
                        && !g.kept(
                            !rep.verdict.lost.is_empty(),
                            !rep.verdict.duplicated.is_empty(),
                        )
                        && group_of(&rep) == *group
                })
            };
            let s = shrink(*seed, start, &mut fails);
            out.shrunk.insert(group.clone(), s);
        }
    }
    out.reference_runs = refs.computed.load(Ordering::Relaxed) + computed.load(Ordering::Relaxed);
    out
}

/// The command that replays seed `seed` with `knobs` on `scenario` (as the user named it)
/// and checks it against its reference run.
pub fn replay_command(scenario: &str, seed: u64, knobs: &Knobs) -> String {
    let settings = knobs.settings();
    let mut cmd = format!("stream-sim run {scenario} --seed {seed}");
    if !settings.is_empty() {
        cmd.push_str(&format!(" --knobs '{settings}'"));
    }
    cmd.push_str(&format!(" --faults '{}' --check", knobs.schedule()));
    cmd
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
