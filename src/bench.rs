//! `stream-sim bench`: engine throughput against a bare loop, measured in one run.
//!
//! Word count over the fortune texts through the whole engine (a receiver replaying the
//! lines, blocks every 200 ms, 1 s batches, `flatMap(split(" "))`, `map(pair(1))`,
//! `reduceByKey(sum)`, a `foreachRDD` sink) is timed with the wall clock *outside* the
//! simulation, beside a bare `HashMap<&str, u64>` loop over the same lines. The ratio
//! (engine words per second / bare words per second) is the figure the engine issue asks
//! for: at least 0.25, goal 0.5. Each side runs five times, interleaved; the best time counts.

use crate::io::TimedRecords;
use crate::models::dstream::{Config, StreamingContext};
use crate::scenario::expr::compile;
use crate::scenario::parse::parse_expr;
use crate::sim::{Duration, Time};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

/// The bare loop: split on spaces and count in a `HashMap<&str, u64>`. Returns (seconds,
/// words, distinct words).
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

/// The whole engine on the same lines. Returns (seconds, words counted, lines, virtual end).
fn engine(lines: Vec<String>) -> Result<(f64, u64, usize, u64), String> {
    // 2,000 lines per virtual second, 1 s batches, 200 ms blocks. The source's records are
    // made before the clock starts, as the bare loop's lines exist before its clock starts.
    let rate = 2000.0;
    let n_lines = lines.len();
    let source = TimedRecords::lines_at_rate(lines, rate, Time::ZERO);
    let start = Instant::now();
    let ssc =
        StreamingContext::new(Config::new(Duration::from_secs(1))).map_err(|e| e.to_string())?;
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

/// Runs the benchmark over the fortune texts repeated `repeat` times and returns a report.
///
/// # Errors
/// When the bundled data cannot be read or the pipeline cannot be built.
pub fn run(repeat: usize) -> Result<String, String> {
    let path = crate::scenario::scenarios_dir().join("data/fortunes/lines.txt");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let base: Vec<&str> = text.lines().collect();
    let lines: Vec<String> = (0..repeat.max(1))
        .flat_map(|_| base.iter().map(|l| l.to_string()))
        .collect();

    // Each side runs `ROUNDS` times, interleaved, and the best time counts: the minimum is
    // the least disturbed by whatever else the machine does.
    const ROUNDS: usize = 5;
    let (mut bare_s, mut engine_s) = (f64::MAX, f64::MAX);
    let (mut bare_words, mut distinct, mut engine_words, mut n_lines, mut end_ms) = (0, 0, 0, 0, 0);
    for _ in 0..ROUNDS {
        let (s, w, d) = bare_loop(&lines);
        bare_s = bare_s.min(s);
        (bare_words, distinct) = (w, d);
        let (s, w, n, e) = engine(lines.clone())?;
        engine_s = engine_s.min(s);
        (engine_words, n_lines, end_ms) = (w, n, e);
    }
    let bare_rate = bare_words as f64 / bare_s.max(1e-9);
    let engine_rate = engine_words as f64 / engine_s.max(1e-9);
    Ok(format!(
        "word count over {n_lines} lines ({bare_words} words, {distinct} distinct)\n\
         bare HashMap loop : {bare_rate:>14.0} words/s ({bare_s:.3} s)\n\
         whole engine      : {engine_rate:>14.0} words/s ({engine_s:.3} s, {engine_words} words counted, {} batches)\n\
         ratio engine/bare : {:.3}",
        end_ms / 1000,
        engine_rate / bare_rate
    ))
}
