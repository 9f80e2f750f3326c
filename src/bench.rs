//! `stream-sim bench`: every speed figure of the engine issue (issue 15), measured in one
//! run, each as min / median / max over several rounds.
//!
//! 1. **Whole engine vs bare loop.** Word count over the fortune texts through the whole
//!    engine (a receiver replaying the lines, blocks every 200 ms, 1 s batches,
//!    `flatMap(split(" "))`, `map(pair(1))`, `reduceByKey(sum)`, a `foreachRDD` sink) is
//!    timed with the wall clock *outside* the simulation, beside a bare
//!    `HashMap<&str, u64>` loop over the same lines, interleaved round by round. The ratio
//!    (engine words per second / bare words per second, per round) is the figure;
//!    target at least 0.5. A third loop, interleaved in the same rounds, is the limit of that
//!    figure: [`spark_floor`], the word count doing exactly the work Spark's rules require
//!    (per block: Java's `split(" ")` and the map-side combine, the words sorted by
//!    `String.hashCode`; per reduce partition: an `AppendOnlyMap` merge of the blocks, the
//!    records in its slot order, summed by the sink) on the same blocks, in a plain loop
//!    with words borrowed from the lines and no engine. Printed: its rate, `floor/bare` (the
//!    most engine/bare can be for an engine that follows Spark's rules this way) and
//!    `engine/floor` (what the engine's machinery costs on top of the rules). The
//!    [`WORDCOUNT_ROUNDS`] timed rounds follow [`WORDCOUNT_WARMUP`] untimed ones (a cold
//!    round measures the kernel zeroing fresh pages), whose engine/bare ratio is printed
//!    apart.
//! 2. **One batch over an empty input.** The bundled `wordcount` scenario (its whole graph:
//!    word counts and the incremental 30 s window) with its source emptied, run for
//!    [`EMPTY_BATCHES`] batches; the figure is wall time per batch in µs (target 50 µs or
//!    less): the engine's fixed cost per batch.
//! 3. **A 1,000-batch run of `wordcount`** as bundled (20 lines per virtual second, then
//!    empty batches once the text runs out), with `print()` output written to a sink.
//! 4. **Sweep throughput.** `stream-sim sweep wordcount` through the library
//!    ([`crate::check::sweep()`]: a random failure per seed, each checked against its
//!    fault-free reference run) over [`SWEEP_SEEDS`] seeds on [`SWEEP_THREADS`] threads, in
//!    seeds per second (target 167, i.e. 10,000 seeds in a minute), with the time 10,000
//!    seeds would take, and how many reference runs it computed (the fault-free run is
//!    reused across seeds with the same knobs: `check::sweep::reference_reuse`).
//! 5. **REPL memory and `goto`.** A REPL session on the bundled `wordcount` runs
//!    `step` [`REPL_STEPS`] (its snapshots for going back: `repl::travel`), then `goto`s
//!    back to the middle, near the end and near the start, each timed. The memory figure
//!    is the process's peak resident set (`VmHWM` in `/proc/self/status`) before and
//!    after: this figure runs first, so the peak is the session's (target 300 MB or less
//!    for 100,000 steps, `goto` under 100 ms). `/usr/bin/time -v stream-sim repl` gives
//!    the same figure from outside.
//!
//! Real Spark side by side (the "10x Spark local\[2\]") needs the oracle's JVM and
//! is measured by `scripts/spark-side-by-side.sh`, not here.
//!
//! Wall-clock time here is measurement of the simulator from outside; nothing inside the
//! simulation reads it. Figures vary with the machine's load: report min, median and max.

pub mod spark_floor;

use crate::check::{sweep_with, FailMode, SweepConfig};
use crate::io::TimedRecords;
use crate::models::dstream::{Config, StreamingContext};
use crate::scenario::expr::compile;
use crate::scenario::parse::parse_expr;
use crate::scenario::spec::SourceKind;
use crate::scenario::{RunOptions, Scenario};
use crate::sim::{Duration, Time};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

/// Rounds of the word count (engine and bare loop, interleaved), after
/// [`WORDCOUNT_WARMUP`].
pub const WORDCOUNT_ROUNDS: usize = 7;
/// Untimed warm-up rounds of the word count before [`WORDCOUNT_ROUNDS`]. The first round
/// of each loop is the first to touch its memory: the kernel zeroes every fresh page (a
/// profile of a cold round puts half the bare loop's and of the engine's samples in
/// `clear_page_erms`), so a cold round measures the process's start, not the loop. Its
/// engine/bare ratio is printed beside the spread, not in it.
pub const WORDCOUNT_WARMUP: usize = 1;
/// Batches of the empty-input run.
pub const EMPTY_BATCHES: u64 = 2_000;
/// Rounds of the empty-input run and of the 1,000-batch run.
pub const BATCH_ROUNDS: usize = 5;
/// Batches of the `wordcount` run (figure 3).
pub const LONG_BATCHES: u64 = 1_000;
/// Seeds per sweep round: enough that the round's reference runs (about 18, reused by
/// every later seed with the same knobs) and the process's first touch of its memory (the
/// first seconds of a sweep) weigh on the rate about as much as in a 10,000-seed sweep. With
/// 200 seeds a round the figure's "10,000 seeds would take" read 74–87 s while the sweep
/// itself took 62 s on the same machine.
pub const SWEEP_SEEDS: u64 = 1_000;
/// Sweep rounds.
pub const SWEEP_ROUNDS: usize = 3;
/// Threads of the sweep (the machine has two cores).
pub const SWEEP_THREADS: usize = 2;
/// Steps of the REPL figure.
pub const REPL_STEPS: u64 = 100_000;
/// Set (to anything but empty) to skip figure 5, the REPL session (the slowest, about a
/// minute): for timing figures 1-4 while working on the engine. Printed when skipped.
pub const SKIP_REPL_VAR: &str = "STREAM_SIM_BENCH_SKIP_REPL";

/// The process's peak resident set in MiB (`VmHWM`), when the system says (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Figure 5: a REPL session stepping `steps` batches of `sc`, then `goto`s back. Returns the
/// report lines.
fn repl_figure(sc: &Scenario, steps: u64) -> Result<String, String> {
    let before = peak_rss_mib();
    let mut session = crate::repl::Session::new(sc, &RunOptions::default())?;
    session.set_max_batches(steps + 1);
    let start = Instant::now();
    let out = session.execute(&format!("step {steps}"));
    let stepped = start.elapsed().as_secs_f64();
    let batch_ms = sc.batch_interval.ms();
    let at = |s: &crate::repl::Session| s.context().now().ms();
    if at(&session) < steps * batch_ms {
        let last = out.lines().last().unwrap_or_default().to_string();
        return Err(format!(
            "bench: the REPL's `step {steps}` did not get there: {last}"
        ));
    }
    drop(out);
    let after = peak_rss_mib();
    let mut gotos = Vec::new();
    for target in [steps / 2, steps - steps / 100, 10.min(steps)] {
        let start = Instant::now();
        let out = session.execute(&format!("goto {target}"));
        let ms = start.elapsed().as_secs_f64() * 1e3;
        if at(&session) != target * batch_ms {
            let last = out.lines().last().unwrap_or_default().to_string();
            return Err(format!("bench: the REPL's `goto {target}` failed: {last}"));
        }
        gotos.push(format!("goto {target}: {ms:.1} ms"));
    }
    let mib = |m: Option<f64>| {
        m.map_or("unknown (no /proc/self/status)".to_string(), |m| {
            format!("{m:.0} MiB")
        })
    };
    Ok(format!(
        "5. REPL on wordcount: step {steps} ({stepped:.1} s), then goto back (target: peak <= 300 MB, goto < 100 ms)\n\
         \x20  peak RSS before / after: {} / {}\n\
         \x20  {}\n",
        mib(before),
        mib(after),
        gotos.join(", "),
    ))
}

/// Min, median and max of some measurements (the median of an even count is the upper one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// The smallest.
    pub min: f64,
    /// The middle one.
    pub median: f64,
    /// The largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `xs` (all zero when empty).
    pub fn of(xs: &[f64]) -> Spread {
        let mut v: Vec<f64> = xs.to_vec();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return Spread {
                min: 0.0,
                median: 0.0,
                max: 0.0,
            };
        }
        Spread {
            min: v[0],
            median: v[v.len() / 2],
            max: v[v.len() - 1],
        }
    }

    /// `min / median / max` with `decimals` digits after the point.
    pub fn show(&self, decimals: usize) -> String {
        format!(
            "{:.d$} / {:.d$} / {:.d$}",
            self.min,
            self.median,
            self.max,
            d = decimals
        )
    }
}

/// The bare loop: split on spaces and count in a `HashMap<&str, u64>`. Returns (seconds,
/// words, distinct words).
// (not inlined: a profile, or `callgrind --toggle-collect`, can tell the three loops apart)
#[inline(never)]
fn bare_loop(lines: &[String]) -> (f64, u64, usize) {
    let start = Instant::now();
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let mut words = 0u64;
    for l in lines {
        for w in l.split(' ') {
            *counts.entry(w).or_insert(0) += 1;
            words += 1;
        }
    }
    (start.elapsed().as_secs_f64(), words, counts.len())
}

/// Lines per virtual second of figure 1's receiver.
const WORDCOUNT_RATE: f64 = 2000.0;

/// Figure 1's engine configuration: 1 s batches, the defaults otherwise (200 ms blocks,
/// `spark.default.parallelism` 2).
fn wordcount_config() -> Config {
    Config::new(Duration::from_secs(1))
}

/// The Spark floor ([`spark_floor`]) over the same lines, cut into the engine's blocks
/// before the clock starts (as the engine's source records are). Returns (seconds, words
/// counted).
// (not inlined: a profile, or `callgrind --toggle-collect`, can tell the three loops apart)
#[inline(never)]
fn floor_loop(lines: &[String]) -> (f64, u64) {
    let config = wordcount_config();
    let batches = spark_floor::receiver_blocks(
        lines.len(),
        WORDCOUNT_RATE,
        config.block_interval.ms(),
        config.batch_interval.ms(),
    );
    let start = Instant::now();
    let counted = spark_floor::count(lines, &batches, config.default_parallelism);
    (start.elapsed().as_secs_f64(), counted as u64)
}

/// The whole engine on the same lines. Returns (seconds, words counted, lines, virtual end).
// (not inlined: a profile, or `callgrind --toggle-collect`, can tell the three loops apart)
#[inline(never)]
fn engine(lines: Vec<String>) -> Result<(f64, u64, usize, u64), String> {
    // 2,000 lines per virtual second, 1 s batches, 200 ms blocks. The source's records are
    // made before the clock starts, as the bare loop's lines exist before its clock starts.
    let rate = WORDCOUNT_RATE;
    let n_lines = lines.len();
    let source = TimedRecords::lines_at_rate(lines, rate, Time::ZERO);
    let start = Instant::now();
    let ssc = StreamingContext::new(wordcount_config()).map_err(|e| e.to_string())?;
    let src = ssc
        .receiver_stream("lines", source)
        .map_err(|e| e.to_string())?;
    let f = |s: &str, arity| {
        compile(&parse_expr(s).map_err(|e| e.to_string())?, arity).map_err(|e| e.to_string())
    };
    let counted = Rc::new(Cell::new(0u64));
    let sink = Rc::clone(&counted);
    let (split, pair, sum) = (f("split(\" \")", 1)?, f("pair(1)", 1)?, f("sum", 2)?);
    let e = |e: crate::models::dstream::SparkError| e.to_string();
    let counts = src
        .flat_map(split)
        .map_err(e)?
        .map(pair)
        .map_err(e)?
        .reduce_by_key(sum, None)
        .map_err(e)?;
    counts
        .foreach_rdd(move |rdd, _| {
            let total: i64 = rdd
                .iter()
                .filter_map(|v| v.as_pair().and_then(|(_, n)| n.as_int()))
                .sum();
            sink.set(sink.get() + total as u64);
        })
        .map_err(e)?;
    ssc.start().map_err(|e| e.to_string())?;
    let end_ms = (n_lines as f64 / rate * 1000.0) as u64 + 2000;
    ssc.run_until(Time(end_ms)).map_err(|e| e.to_string())?;
    Ok((
        start.elapsed().as_secs_f64(),
        counted.get(),
        n_lines,
        end_ms,
    ))
}

/// The bundled `wordcount` scenario.
fn wordcount() -> Result<Scenario, String> {
    let path = crate::scenario::resolve("wordcount").map_err(|e| e.to_string())?;
    crate::scenario::load(&path).map_err(|e| e.to_string())
}

/// Builds `sc` and runs it for `batches` batches, printing to a sink; returns the seconds
/// (building included: a run is what a user waits for).
fn timed_run(sc: &Scenario, batches: u64) -> Result<f64, String> {
    let start = Instant::now();
    let built = sc
        .build(&RunOptions::default())
        .map_err(|e| e.to_string())?;
    let end = Time::ZERO.plus(sc.batch_interval * batches);
    built
        .run_printing(end, &mut std::io::sink())
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("job failed: {e}"))?;
    Ok(start.elapsed().as_secs_f64())
}

/// The figures [`run`] can measure, numbered as in the module's doc.
pub const FIGURES: std::ops::RangeInclusive<u8> = 1..=5;

/// Runs the figures numbered in `figures` (every figure when empty), the word count over the
/// fortune texts repeated `repeat` times, and returns the report. Figures not asked for are
/// listed as skipped, so a profile of one figure (`--figure 1`) holds only its work.
///
/// # Errors
/// A figure number outside [`FIGURES`]; the bundled data cannot be read; a pipeline cannot
/// be built or fails.
pub fn run(repeat: usize, figures: &[u8]) -> Result<String, String> {
    if let Some(bad) = figures.iter().find(|f| !FIGURES.contains(f)) {
        return Err(format!(
            "bench: there is no figure {bad}; the figures are {} to {}",
            FIGURES.start(),
            FIGURES.end()
        ));
    }
    let want = |n: u8| figures.is_empty() || figures.contains(&n);
    let mut out = String::new();
    // 5 first: the process's peak memory is then the REPL session's.
    let skip_repl = std::env::var_os(SKIP_REPL_VAR).is_some_and(|v| !v.is_empty());
    let repl = if !want(5) {
        "5. REPL session: skipped (not asked for)\n".to_string()
    } else if skip_repl {
        format!("5. REPL session: skipped ({SKIP_REPL_VAR} is set)\n")
    } else {
        repl_figure(&wordcount()?, REPL_STEPS)?
    };
    let path = crate::scenario::scenarios_dir().join("data/fortunes/lines.txt");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let base: Vec<&str> = text.lines().collect();
    let lines: Vec<String> = (0..repeat.max(1))
        .flat_map(|_| base.iter().map(|l| l.to_string()))
        .collect();

    out.push_str("figures: min / median / max over the rounds\n");
    if want(1) {
        out.push_str(&wordcount_figure(lines)?);
    } else {
        out.push_str("1. word count: skipped (not asked for)\n");
    }
    let sc = wordcount()?;
    if want(2) {
        out.push_str(&empty_figure(&sc)?);
    } else {
        out.push_str("2. one batch over an empty input: skipped (not asked for)\n");
    }
    if want(3) {
        out.push_str(&long_run_figure(&sc)?);
    } else {
        out.push_str("3. a 1000-batch run: skipped (not asked for)\n");
    }
    if want(4) {
        out.push_str(&sweep_figure(&sc));
    } else {
        out.push_str("4. sweep: skipped (not asked for)");
    }
    out.push('\n');
    out.push_str(&repl);
    Ok(out)
}

/// Figure 1: engine vs bare loop vs Spark floor over `lines`, interleaved round by round.
fn wordcount_figure(lines: Vec<String>) -> Result<String, String> {
    let (mut bare_rates, mut engine_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut floor_rates, mut floor_bare, mut engine_floor) = (Vec::new(), Vec::new(), Vec::new());
    let (mut bare_words, mut distinct, mut engine_words, mut n_lines, mut end_ms) = (0, 0, 0, 0, 0);
    let mut cold = Vec::new();
    for round in 0..WORDCOUNT_WARMUP + WORDCOUNT_ROUNDS {
        let (s, w, d) = bare_loop(&lines);
        (bare_words, distinct) = (w, d);
        let bare = w as f64 / s.max(1e-9);
        let (s, floor_words) = floor_loop(&lines);
        let floor = floor_words as f64 / s.max(1e-9);
        let (s, w, n, e) = engine(lines.clone())?;
        (engine_words, n_lines, end_ms) = (w, n, e);
        if floor_words != engine_words {
            return Err(format!(
                "bench: the Spark floor counted {floor_words} words, the engine {engine_words}"
            ));
        }
        let eng = w as f64 / s.max(1e-9);
        if round < WORDCOUNT_WARMUP {
            cold.push(eng / bare);
            continue;
        }
        bare_rates.push(bare / 1e6);
        engine_rates.push(eng / 1e6);
        floor_rates.push(floor / 1e6);
        ratios.push(eng / bare);
        floor_bare.push(floor / bare);
        engine_floor.push(eng / floor);
    }
    Ok(format!(
        "1. word count over {n_lines} lines ({bare_words} words, {distinct} distinct), {WORDCOUNT_ROUNDS} rounds after {WORDCOUNT_WARMUP} untimed warm-up\n\
         \x20  bare HashMap loop      : {} M words/s\n\
         \x20  whole engine           : {} M words/s ({engine_words} words counted, {} batches)\n\
         \x20  ratio engine/bare      : {} (target >= 0.5; cold first round, fresh pages: {})\n\
         \x20  Spark's rules, no engine: {} M words/s (the per-block combine, sort by hashCode, AppendOnlyMap reduce and output records in a plain loop)\n\
         \x20  ratio floor/bare       : {} (the limit of engine/bare: the work of Spark's rules alone)\n\
         \x20  ratio engine/floor     : {}\n",
        Spread::of(&bare_rates).show(2),
        Spread::of(&engine_rates).show(2),
        end_ms / 1000,
        Spread::of(&ratios).show(3),
        cold.iter()
            .map(|r| format!("{r:.3}"))
            .collect::<Vec<_>>()
            .join(", "),
        Spread::of(&floor_rates).show(2),
        Spread::of(&floor_bare).show(3),
        Spread::of(&engine_floor).show(3),
    ))
}

/// Figure 2: one batch of the `wordcount` graph over an empty input.
fn empty_figure(sc: &Scenario) -> Result<String, String> {
    let mut empty = sc.clone();
    for s in &mut empty.sources {
        if let SourceKind::Socket { records, .. } = &mut s.kind {
            *records = TimedRecords::new(Vec::new());
        }
    }
    let mut per_batch = Vec::new();
    for _ in 0..BATCH_ROUNDS {
        per_batch.push(timed_run(&empty, EMPTY_BATCHES)? / EMPTY_BATCHES as f64 * 1e6);
    }
    Ok(format!(
        "2. one batch of the wordcount graph over an empty input ({EMPTY_BATCHES} batches, {BATCH_ROUNDS} rounds)\n\
         \x20  per batch              : {} µs (target <= 50)\n",
        Spread::of(&per_batch).show(1)
    ))
}

/// Figure 3: a 1,000-batch run of `wordcount`.
fn long_run_figure(sc: &Scenario) -> Result<String, String> {
    let mut long = Vec::new();
    for _ in 0..BATCH_ROUNDS {
        long.push(timed_run(sc, LONG_BATCHES)?);
    }
    let per: Vec<f64> = long.iter().map(|s| s / LONG_BATCHES as f64 * 1e6).collect();
    Ok(format!(
        "3. a {LONG_BATCHES}-batch run of wordcount ({BATCH_ROUNDS} rounds)\n\
         \x20  whole run              : {} s\n\
         \x20  per batch              : {} µs\n",
        Spread::of(&long).show(3),
        Spread::of(&per).show(1)
    ))
}

/// Figure 4: the sweep, through the library (what `stream-sim sweep wordcount` runs).
fn sweep_figure(sc: &Scenario) -> String {
    let mut rates = Vec::new();
    let mut runs = 0;
    let mut reference_runs = 0;
    let mut reuse = None;
    for _ in 0..SWEEP_ROUNDS {
        let start = Instant::now();
        let r = sweep_with(
            sc,
            1..=SWEEP_SEEDS,
            FailMode::Any,
            SWEEP_THREADS,
            &RunOptions::default(),
            &|| {},
            SweepConfig::default(),
        );
        let s = start.elapsed().as_secs_f64();
        runs = r.runs;
        reference_runs = r.reference_runs;
        reuse = r.reuse_refused;
        rates.push(r.runs as f64 / s.max(1e-9));
    }
    let rate = Spread::of(&rates);
    format!(
        "4. sweep wordcount --seeds 1..{SWEEP_SEEDS} --threads {SWEEP_THREADS} ({runs} runs, each with its reference run; {SWEEP_ROUNDS} rounds)\n\
         \x20  reference runs         : {reference_runs} per round ({})\n\
         \x20  seeds/s                : {} (target >= 167)\n\
         \x20  10,000 seeds would take: {:.0} / {:.0} / {:.0} s",
        reuse.unwrap_or_else(|| "reused across seeds with the same block interval, rate and cost".into()),
        rate.show(1),
        10_000.0 / rate.max.max(1e-9),
        10_000.0 / rate.median.max(1e-9),
        10_000.0 / rate.min.max(1e-9),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_min_median_max() {
        // The spread of unsorted figures is their min, middle and max.
        let s = Spread::of(&[3.0, 1.0, 2.0, 5.0, 4.0]);
        assert_eq!((s.min, s.median, s.max), (1.0, 3.0, 5.0));
        assert_eq!(s.show(1), "1.0 / 3.0 / 5.0");
    }

    #[test]
    fn an_unknown_figure_is_refused_before_any_work() {
        let e = run(1, &[2, 7]).unwrap_err();
        assert_eq!(e, "bench: there is no figure 7; the figures are 1 to 5");
    }
}
