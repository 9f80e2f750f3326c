//! The checkers of the challenges, and the rules a submission must respect.
//!
//! Every checker runs the submission on the simulator with seeds drawn from the challenge's
//! id (`challenge/<id>/seeds` in the seed tree), which the student never sees, and returns a
//! [`Grade`]: one line per criterion, each passed or failed, with the numbers that decided it.

use crate::check::{sweep, FailMode};
use crate::cluster::{FaultPlan, Guarantee};
use crate::models::dstream::Event;
use crate::scenario::ast::{Expr, ExprKind, Literal};
use crate::scenario::{RunOptions, Scenario};
use crate::sim::rng::SeedTree;
use crate::sim::{Duration, Time};
use crate::value::Value;
use rand::Rng;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The most seeded runs one check may ask for (`--runs`).
pub const MAX_RUNS: u64 = 100_000;

/// The outcome of a check: every criterion, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grade {
    /// `(passed, what was checked and what was found)`.
    pub criteria: Vec<(bool, String)>,
}

impl Grade {
    /// True when every criterion passed (and there was at least one).
    pub fn passed(&self) -> bool {
        !self.criteria.is_empty() && self.criteria.iter().all(|(ok, _)| *ok)
    }

    pub(crate) fn add(&mut self, ok: bool, line: String) {
        self.criteria.push((ok, line));
    }

    /// The report `check` prints: `PASS`/`FAIL` per criterion, then the verdict.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (ok, line) in &self.criteria {
            out.push_str(if *ok { "PASS  " } else { "FAIL  " });
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(if self.passed() {
            "\nPassed.\n"
        } else {
            "\nNot yet: see the FAIL lines.\n"
        });
        out
    }
}

/// What a submission must respect, checked before it runs (`[rules]` in `challenge.toml`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Sources that must be declared, by name, with their type (`socketTextStream`, ...).
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// Operators the pipeline may not call (e.g. the exact counters in a sketch challenge).
    #[serde(default)]
    pub forbid: Vec<String>,
    /// Operators whose integer arguments (counters, `k`, precision) are bounded: every
    /// integer literal among the call's arguments must be at most the bound (an omitted
    /// optional argument takes the operator's default, which the challenge allows).
    #[serde(default)]
    pub max_int_arg: BTreeMap<String, u64>,
    /// The write-ahead log may not be turned on.
    #[serde(default)]
    pub no_wal: bool,
    /// Settings the checker imposes whatever the file says: `workers`, `cores`, `record_us`,
    /// `batch_interval_ms`, `run_for_ms`.
    #[serde(default)]
    pub fixed: BTreeMap<String, f64>,
}

impl Rules {
    /// The rules in words, for `show`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (name, kind) in &self.sources {
            out.push_str(&format!("- the source `{name}` must be a `{kind}`\n"));
        }
        if !self.forbid.is_empty() {
            out.push_str(&format!("- not allowed: {}\n", self.forbid.join(", ")));
        }
        for (op, max) in &self.max_int_arg {
            out.push_str(&format!(
                "- `{op}`'s counts (counters, k, precision) at most {max}\n"
            ));
        }
        if self.no_wal {
            out.push_str("- the write-ahead log stays off (`wal = false`)\n");
        }
        for (k, v) in &self.fixed {
            out.push_str(&format!("- the checker sets `{k}` = {v}\n"));
        }
        out
    }

    /// Checks `sc` against the rules and applies the fixed settings; each broken rule is a
    /// failed criterion.
    fn apply(&self, sc: &mut Scenario, grade: &mut Grade) {
        for (name, kind) in &self.sources {
            match sc.sources.iter().find(|s| &s.name == name) {
                Some(s) if source_type(s) == kind => {}
                Some(s) => grade.add(
                    false,
                    format!("source `{name}` must be a {kind}, found {}", source_type(s)),
                ),
                None => grade.add(false, format!("the source `{name}` ({kind}) is missing")),
            }
        }
        let calls = operator_calls(sc);
        for (op, arg, at) in &calls {
            if self.forbid.iter().any(|f| f == op) {
                grade.add(
                    false,
                    format!("{at}: `{op}` is not allowed in this challenge"),
                );
            }
            if let Some(max) = self.max_int_arg.get(op) {
                if let Some(n) = arg.filter(|n| n > max) {
                    grade.add(
                        false,
                        format!("{at}: `{op}` with {n}: at most {max} allowed"),
                    );
                }
            }
        }
        if self.no_wal && sc.cluster.wal {
            grade.add(
                false,
                "the write-ahead log must stay off (wal = false)".into(),
            );
        }
        for (k, v) in &self.fixed {
            match k.as_str() {
                "workers" => sc.cluster.workers = *v as usize,
                "cores" => sc.cluster.cores_per_worker = *v as usize,
                "record_us" => sc.cluster.cost.record_us = *v,
                "batch_interval_ms" => sc.batch_interval = Duration::from_ms(*v as u64),
                "run_for_ms" => sc.run_for = Duration::from_ms(*v as u64),
                _ => {}
            }
        }
    }
}

fn source_type(s: &crate::scenario::spec::SourceSpec) -> &'static str {
    use crate::scenario::spec::SourceKind as K;
    match &s.kind {
        K::Socket { .. } => "socketTextStream",
        K::Csv { .. } => "csvEventStream",
        K::KafkaDirect { .. } => "kafkaDirectStream",
        K::Queue { .. } => "queueStream",
        _ => "other",
    }
}

/// Every method call of the program (the operators, and methods inside functions):
/// `(name, its largest integer literal argument, file:line:col)`.
fn operator_calls(sc: &Scenario) -> Vec<(String, Option<u64>, String)> {
    let mut out = Vec::new();
    for st in &sc.program.statements {
        walk(&st.expr, sc, &mut out);
    }
    out
}

fn walk(e: &Expr, sc: &Scenario, out: &mut Vec<(String, Option<u64>, String)>) {
    match &e.kind {
        ExprKind::Method { recv, name, args } => {
            walk(recv, sc, out);
            let first = args
                .iter()
                .flatten()
                .filter_map(|a| match &a.kind {
                    ExprKind::Lit(Literal::Int(n)) => u64::try_from(*n).ok(),
                    _ => None,
                })
                .max();
            out.push((
                name.name.clone(),
                first,
                format!("{}:{}:{}", sc.path.display(), name.span.line, name.span.col),
            ));
            for a in args.iter().flatten() {
                walk(a, sc, out);
            }
        }
        ExprKind::Call { args, .. } | ExprKind::Tuple(args) => {
            for a in args {
                walk(a, sc, out);
            }
        }
        ExprKind::Lambda { body, .. } => walk(body, sc, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk(lhs, sc, out);
            walk(rhs, sc, out);
        }
        ExprKind::Unary { expr, .. } => walk(expr, sc, out),
        ExprKind::If { cond, then_, else_ } => {
            walk(cond, sc, out);
            walk(then_, sc, out);
            walk(else_, sc, out);
        }
        _ => {}
    }
}

/// The checkers (`[grade]` in `challenge.toml`, by `kind`).
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Grader {
    /// The run keeps the guarantee `expect` (`exactly-once`, `at-least-once`) under one
    /// random failure (`fail`: `worker`, `driver` or `any`) per hidden seed, drawn as
    /// `sweep` draws them (swarm testing), over `runs` seeds; and it delivers at least
    /// `min_delivered` records per run, so an empty pipeline cannot pass.
    Guarantee {
        /// The guarantee to keep.
        expect: String,
        /// The failures drawn.
        fail: String,
        /// Seeds to run.
        runs: u64,
        /// The fewest records delivered (exactly once or more) in the fault-free run.
        min_delivered: usize,
    },
    /// The job keeps up: on each of `runs` hidden seeds, every batch up to `run_for`
    /// completes, its total delay (scheduling delay + processing time, the Streaming tab's)
    /// stays at or below `max_total_delay_ms`, and the stream `stream` holds, batch by batch,
    /// the same records as the reference solution's (as multisets), so the work is done.
    KeepUp {
        /// The largest total delay allowed, virtual ms.
        max_total_delay_ms: u64,
        /// The stream whose records must equal the solution's.
        stream: String,
        /// Seeds to run.
        runs: u64,
    },
    /// An approximation within a tolerance: the checker adds the hidden exact pipeline
    /// `exact` (which defines the stream `__exact`) to the program and compares `stream`
    /// with `__exact` at every batch where both have records. `compare = "topk"`: each of
    /// the `k` largest `(key, count)` of `__exact` is in `stream` as `(key, estimate)` or
    /// `(key, (estimate, ..))` with `|estimate - count| <= tolerance * total`, total being
    /// the sum of the exact counts. `compare = "scalar"`: `stream`'s first record is
    /// `estimate` or `(estimate, ..)` and `__exact`'s is `count`, with
    /// `|estimate - count| <= tolerance * count`.
    Approximate {
        /// The student's stream.
        stream: String,
        /// Pipeline lines defining `__exact` from the sources.
        exact: String,
        /// `topk` or `scalar`.
        compare: String,
        /// For `topk`: how many of the largest keys must be listed.
        #[serde(default)]
        k: usize,
        /// Relative tolerance (0.01 = 1 %).
        tolerance: f64,
    },
    /// The stream `stream` ends the run with the same records after a `fail` failure
    /// (`driver` or `worker`) at a hidden time, on each of `runs` seeds, as without it:
    /// state and windows recovered exactly.
    SameAfterFailure {
        /// The stream compared at the last batch.
        stream: String,
        /// `driver` or `worker`.
        fail: String,
        /// Seeds to run.
        runs: u64,
        /// Virtual ms both runs go on after `run_for`, so data the failure delayed (a
        /// restarted receiver's replay) is processed before the comparison.
        #[serde(default)]
        drain_ms: u64,
    },
    /// An event-time query (a Structured Streaming scenario) on `runs` hidden days of the
    /// flights: at most `max_dropped` of the input rows dropped by the watermark, a mean
    /// emission delay of at most `max_mean_delay_ms`, at least `min_windows` windows written
    /// ([`super::watermark`]).
    Watermark {
        /// Hidden days to replay.
        runs: u64,
        /// The largest share of rows dropped (0.005 = 0.5 %).
        max_dropped: f64,
        /// The largest mean emission delay, virtual ms.
        max_mean_delay_ms: u64,
        /// The fewest windows written.
        min_windows: usize,
    },
}

impl Grader {
    /// The checker in words, for `show`.
    pub fn describe(&self) -> String {
        match self {
            Grader::Guarantee {
                expect, fail, runs, ..
            } => format!(
                "{runs} hidden seeds, each with one random {fail} failure; every run must be {expect}"
            ),
            Grader::KeepUp {
                max_total_delay_ms,
                stream,
                runs,
            } => format!(
                "{runs} hidden seeds; every batch completes with a total delay of at most {max_total_delay_ms} ms, and `{stream}` holds the reference's records"
            ),
            Grader::Approximate {
                stream,
                compare,
                k,
                tolerance,
                ..
            } => match compare.as_str() {
                "topk" => format!(
                    "`{stream}` against the exact answer at every batch: each of the top {k} within {}% of the window's total",
                    tolerance * 100.0
                ),
                _ => format!(
                    "`{stream}` against the exact answer at every batch: within {}%",
                    tolerance * 100.0
                ),
            },
            Grader::SameAfterFailure {
                stream, fail, runs, ..
            } => format!(
                "{runs} hidden seeds, each with a {fail} failure at a hidden time; `{stream}` must end with the records of the fault-free run"
            ),
            Grader::Watermark {
                runs,
                max_dropped,
                max_mean_delay_ms,
                min_windows,
            } => format!(
                "{runs} hidden days of January 2013; on each, at most {}% of the rows dropped by the watermark, a mean emission delay of at most {max_mean_delay_ms} ms, and at least {min_windows} windows written",
                max_dropped * 100.0
            ),
        }
    }

    /// True when the checker compares with the reference solution (it must be loaded).
    pub fn needs_reference(&self) -> bool {
        matches!(self, Grader::KeepUp { .. })
    }

    /// Grades the parsed submission `sc` of the challenge numbered `id` under `rules`;
    /// `reference` is its parsed solution (for [`Grader::needs_reference`]); `runs`
    /// overrides the seed count.
    pub fn grade(
        &self,
        id: u32,
        rules: &Rules,
        reference: Option<Result<Scenario, String>>,
        sc: &Scenario,
        runs: Option<u64>,
    ) -> Grade {
        let mut grade = Grade::default();
        let mut sc = sc.clone();
        rules.apply(&mut sc, &mut grade);
        if !grade.criteria.is_empty() {
            return grade;
        }
        let seeds = SeedTree::new(0x5EED_0000 + u64::from(id));
        let mut draw = seeds.rng("challenge/seeds");
        let n = |r: u64| runs.unwrap_or(r).clamp(1, MAX_RUNS);
        match self {
            Grader::Guarantee {
                expect,
                fail,
                runs: r,
                min_delivered,
            } => {
                let first = draw.random_range(1_000..1_000_000_000u64);
                guarantee(&mut grade, &sc, expect, fail, first, n(*r), *min_delivered);
            }
            Grader::KeepUp {
                max_total_delay_ms,
                stream,
                runs: r,
            } => match reference.unwrap_or_else(|| Err("not loaded".into())) {
                Ok(mut reference) => {
                    rules.apply(&mut reference, &mut Grade::default());
                    for i in 0..n(*r) {
                        let seed = draw.random_range(0..1_000_000_000u64);
                        keep_up(
                            &mut grade,
                            &sc,
                            &reference,
                            stream,
                            *max_total_delay_ms,
                            seed,
                            i + 1,
                        );
                    }
                }
                Err(e) => grade.add(false, format!("the reference solution does not load: {e}")),
            },
            Grader::Approximate {
                stream,
                exact,
                compare,
                k,
                tolerance,
            } => approximate(&mut grade, &sc, stream, exact, compare, *k, *tolerance),
            Grader::SameAfterFailure {
                stream,
                fail,
                runs: r,
                drain_ms,
            } => {
                for _ in 0..n(*r) {
                    let seed = draw.random_range(0..1_000_000_000u64);
                    let frac = draw.random_range(0.25..0.75f64);
                    same_after_failure(&mut grade, &sc, stream, fail, seed, frac, *drain_ms);
                }
            }
            Grader::Watermark { .. } => grade.add(
                false,
                "a watermark challenge grades a Structured Streaming scenario (Challenge::check)"
                    .into(),
            ),
        }
        grade
    }
}

fn options(seed: u64) -> RunOptions {
    RunOptions {
        seed,
        output_dir: std::env::temp_dir()
            .join(format!("stream-sim-challenge-{}", std::process::id())),
    }
}

fn guarantee(
    grade: &mut Grade,
    sc: &Scenario,
    expect: &str,
    fail: &str,
    first: u64,
    runs: u64,
    min_delivered: usize,
) {
    let (Ok(g), Ok(mode)) = (Guarantee::parse(expect), fail.parse::<FailMode>()) else {
        grade.add(
            false,
            format!("challenge error: bad expect `{expect}` or fail `{fail}`"),
        );
        return;
    };
    // The fault-free run must deliver something.
    let mut clean = sc.clone();
    clean.cluster.faults = FaultPlan::default();
    clean.cluster.random_faults = None;
    match crate::check::verify(&clean, &options(first), Time::ZERO.plus(sc.run_for)) {
        Ok(rep) => {
            let n = rep.verdict.delivered_once + rep.verdict.duplicated.len();
            grade.add(
                n >= min_delivered,
                format!(
                    "the fault-free run delivers {n} records (at least {min_delivered} needed)"
                ),
            );
        }
        Err(e) => {
            grade.add(false, format!("the fault-free run fails: {e}"));
            return;
        }
    }
    let mut declared = sc.clone();
    declared.cluster.expect = Some(g);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let result = sweep(
        &declared,
        first..=first + runs - 1,
        mode,
        threads,
        &options(first),
        &|| {},
    );
    let detail = result
        .first_failing
        .first()
        .map_or(String::new(), |(seed, what)| {
            format!("; first: hidden seed #{}: {what}", seed - first + 1)
        });
    grade.add(
        result.violations == 0 && !result.labels.contains_key("error"),
        format!(
            "{} of {runs} runs with a random {fail} failure broke {expect} ({} lost data, {} duplicated){detail}",
            result.violations + result.labels.get("error").copied().unwrap_or(0),
            result.with_loss,
            result.with_duplicates
        ),
    );
}

/// Runs `sc` with `seed` to its `run_for`, collecting `stream`'s records at every batch and
/// the `BatchCompleted` events.
#[allow(clippy::type_complexity)]
fn run_collecting(
    sc: &Scenario,
    seed: u64,
    stream: Option<&str>,
) -> Result<(BTreeMap<Time, Vec<Value>>, Vec<Event>), String> {
    let built = sc.build(&options(seed)).map_err(|e| e.to_string())?;
    let id = match stream {
        Some(name) => Some(
            built
                .streams
                .get(name)
                .map(|s| s.id())
                .ok_or_else(|| format!("the pipeline defines no stream `{name}`"))?,
        ),
        None => None,
    };
    let end = Time::ZERO.plus(sc.run_for);
    let mut records = BTreeMap::new();
    while let Some(t) = built.ssc.next_batch_time() {
        if t > end {
            break;
        }
        built.ssc.run_until(t).map_err(|e| e.to_string())?;
        if let Some(id) = id {
            built.ssc.with_graph(|g| {
                for (time, rdd) in g.node(id).generated().range(..=t) {
                    records.entry(*time).or_insert_with(|| {
                        let mut v = rdd.collect();
                        v.sort();
                        v
                    });
                }
            });
        }
    }
    Ok((records, built.ssc.trace()))
}

fn keep_up(
    grade: &mut Grade,
    sc: &Scenario,
    reference: &Scenario,
    stream: &str,
    max_delay: u64,
    seed: u64,
    nth: u64,
) {
    let (mine, events) = match run_collecting(sc, seed, Some(stream)) {
        Ok(r) => r,
        Err(e) => return grade.add(false, format!("the run fails: {e}")),
    };
    let (theirs, _) = match run_collecting(reference, seed, Some(stream)) {
        Ok(r) => r,
        Err(e) => return grade.add(false, format!("the reference run fails: {e}")),
    };
    let delays: BTreeMap<Time, u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::BatchCompleted {
                time,
                total_delay_ms,
                ..
            } => Some((*time, *total_delay_ms)),
            _ => None,
        })
        .collect();
    let expected = sc.run_for.ms() / sc.batch_interval.ms();
    let worst = delays.iter().max_by_key(|(_, d)| **d);
    let missing: Vec<Time> = (1..=expected)
        .map(|i| Time(i * sc.batch_interval.ms()))
        .filter(|t| !delays.contains_key(t))
        .collect();
    let differ = theirs
        .iter()
        .filter(|(t, recs)| mine.get(t) != Some(recs))
        .map(|(t, _)| *t)
        .next();
    let ok = missing.is_empty() && worst.is_none_or(|(_, d)| *d <= max_delay) && differ.is_none();
    let mut line = format!(
        "hidden seed #{nth}: {} of {expected} batches completed, worst total delay {} ms (at most {max_delay})",
        delays.len().min(expected as usize),
        worst.map_or(0, |(_, d)| *d)
    );
    if let Some(t) = missing.first() {
        line.push_str(&format!("; batch {t} never completed"));
    }
    if let Some((t, _)) = worst.filter(|(_, d)| **d > max_delay) {
        line.push_str(&format!(" (worst at {t})"));
    }
    if let Some(t) = differ {
        line.push_str(&format!("; `{stream}` differs from the reference at {t}"));
    }
    grade.add(ok, line);
}

fn first_number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(n) => Some(*n as f64),
        Value::Float(x) => Some(*x),
        Value::Tuple(f) => f.first().and_then(first_number),
        Value::Opt(Some(x)) => first_number(x),
        _ => None,
    }
}

fn approximate(
    grade: &mut Grade,
    sc: &Scenario,
    stream: &str,
    exact: &str,
    compare: &str,
    k: usize,
    tolerance: f64,
) {
    // The hidden exact pipeline is appended to the student's program.
    let mut with_exact = sc.clone();
    // An output operation makes Spark compute `__exact` (a stream without one is never
    // computed); it prints into the trace only.
    let extra = match crate::scenario::parse::parse_program(&format!("{exact}\n__exact.print(1)\n"))
    {
        Ok(p) => p,
        Err(e) => return grade.add(false, format!("challenge error in its exact pipeline: {e}")),
    };
    with_exact.program.statements.extend(extra.statements);
    let built = match with_exact.build(&options(1)) {
        Ok(b) => b,
        Err(e) => return grade.add(false, format!("the submission does not build: {e}")),
    };
    let (Some(mine), Some(truth)) = (built.streams.get(stream), built.streams.get("__exact"))
    else {
        return grade.add(false, format!("the pipeline defines no stream `{stream}`"));
    };
    let (mine, truth) = (mine.id(), truth.id());
    let end = Time::ZERO.plus(sc.run_for);
    let (mut compared, mut worst, mut first_bad) = (0usize, 0.0f64, None::<String>);
    while let Some(t) = built.ssc.next_batch_time() {
        if t > end {
            break;
        }
        if let Err(e) = built.ssc.run_until(t) {
            return grade.add(false, format!("the run fails at {t}: {e}"));
        }
        let pair = built.ssc.with_graph(|g| {
            let a = g.node(mine).generated().get(&t).map(|r| r.collect());
            let b = g.node(truth).generated().get(&t).map(|r| r.collect());
            a.zip(b)
        });
        let Some((got, exact)) = pair else { continue };
        if exact.is_empty() {
            continue;
        }
        compared += 1;
        let bad = match compare {
            "topk" => {
                let mut counts: Vec<(Value, f64)> = exact
                    .iter()
                    .filter_map(|r| {
                        r.as_pair()
                            .and_then(|(k, v)| Some((k.clone(), first_number(v)?)))
                    })
                    .collect();
                let total: f64 = counts.iter().map(|(_, c)| c).sum();
                counts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                let listed: BTreeMap<Value, f64> = got
                    .iter()
                    .filter_map(|r| {
                        r.as_pair()
                            .and_then(|(k, v)| Some((k.clone(), first_number(v)?)))
                    })
                    .collect();
                let mut bad = None;
                for (key, count) in counts.iter().take(k) {
                    match listed.get(key) {
                        Some(est) => {
                            let err = (est - count).abs() / total.max(1.0);
                            worst = worst.max(err);
                            if err > tolerance && bad.is_none() {
                                bad = Some(format!("at {t}: {key} estimated {est}, exactly {count} (error {:.2}% of {total})", err * 100.0));
                            }
                        }
                        None if bad.is_none() => {
                            bad = Some(format!(
                                "at {t}: {key} (exactly {count}, in the top {k}) is not listed"
                            ));
                        }
                        None => {}
                    }
                }
                bad
            }
            _ => {
                let est = got.first().and_then(first_number);
                let count = exact.first().and_then(first_number).unwrap_or(0.0);
                match est {
                    Some(e) => {
                        let err = (e - count).abs() / count.max(1.0);
                        worst = worst.max(err);
                        (err > tolerance).then(|| {
                            format!(
                                "at {t}: estimated {e}, exactly {count} (error {:.2}%)",
                                err * 100.0
                            )
                        })
                    }
                    None => Some(format!("at {t}: `{stream}` has no number")),
                }
            }
        };
        if first_bad.is_none() {
            first_bad = bad;
        }
    }
    grade.add(
        compared > 0 && first_bad.is_none(),
        format!(
            "{compared} batches compared with the exact answer, worst error {:.2}% (at most {}%){}",
            worst * 100.0,
            tolerance * 100.0,
            first_bad.map_or(String::new(), |b| format!("; first miss {b}"))
        ),
    );
}

fn same_after_failure(
    grade: &mut Grade,
    sc: &Scenario,
    stream: &str,
    fail: &str,
    seed: u64,
    frac: f64,
    drain_ms: u64,
) {
    let mut clean = sc.clone();
    clean.run_for = Duration::from_ms(sc.run_for.ms() + drain_ms);
    clean.cluster.faults = FaultPlan::default();
    clean.cluster.random_faults = None;
    let at = Time(((sc.run_for.ms() as f64 * frac) as u64 / 100) * 100 + 50);
    let fault = match fail {
        "worker" => "kill worker-1",
        _ => "kill driver",
    };
    let mut faulty = clean.clone();
    match FaultPlan::parse(&format!("at {}ms {fault}", at.ms())) {
        Ok(p) => faulty.cluster.faults = p,
        Err((_, _, e)) => return grade.add(false, format!("challenge error: {e}")),
    }
    let a = run_collecting(&clean, seed, Some(stream));
    let b = run_collecting(&faulty, seed, Some(stream));
    match (a, b) {
        (Ok((want, _)), Ok((got, _))) => {
            let last = want.keys().next_back().copied();
            let ok = last.is_some_and(|t| got.get(&t) == want.get(&t) && !want[&t].is_empty());
            grade.add(
                ok,
                match last {
                    Some(t) if ok => format!("{fault} at {at}: `{stream}` at {t} equals the fault-free run ({} records)", want[&t].len()),
                    Some(t) => format!(
                        "{fault} at {at}: `{stream}` at {t} has {} records, the fault-free run {}{}",
                        got.get(&t).map_or(0, Vec::len),
                        want[&t].len(),
                        first_difference(&want[&t], got.get(&t).map_or(&[][..], Vec::as_slice))
                    ),
                    None => format!("`{stream}` produced nothing"),
                },
            );
        }
        (Err(e), _) | (_, Err(e)) => grade.add(false, format!("the run fails: {e}")),
    }
}

fn first_difference(want: &[Value], got: &[Value]) -> String {
    for w in want {
        if !got.contains(w) {
            let key = w.as_pair().map(|(k, _)| k.clone());
            let found = key.and_then(|k| {
                got.iter()
                    .find(|g| g.as_pair().is_some_and(|(gk, _)| *gk == k))
            });
            return match found {
                Some(g) => format!(" (e.g. {w} became {g})"),
                None => format!(" (e.g. {w} is missing)"),
            };
        }
    }
    String::new()
}
