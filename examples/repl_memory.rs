//! Memory and `goto` time of a REPL session: opens the bundled `wordcount` scenario in a
//! [`stream_sim::repl::Session`], runs `step N` (first argument, default 2000), then times
//! `goto` to a few batches. Run it under `/usr/bin/time -f %M` for the peak memory, or under
//! `valgrind --tool=massif` to see what the time-travel snapshots hold.

use std::time::Instant;
use stream_sim::repl::Session;
use stream_sim::scenario::{load, resolve, RunOptions};

fn main() -> Result<(), String> {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().map_err(|e| format!("N: {e}")))
        .transpose()?
        .unwrap_or(2000)
        .clamp(1, 100_000);
    let sc = load(&resolve("wordcount").map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let mut s = Session::new(&sc, &RunOptions::default())?;
    let start = Instant::now();
    let out = s.execute(&format!("step {n}"));
    println!(
        "step {n}: {:.2} s, {} bytes of output",
        start.elapsed().as_secs_f64(),
        out.len()
    );
    for k in [n / 2, n - n / 3, 1, n] {
        let start = Instant::now();
        let out = s.execute(&format!("goto {}", k.max(1)));
        let first = out.lines().next().unwrap_or("");
        println!(
            "goto {k}: {:.1} ms ({first})",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
