//! Memory of time-travel snapshots: builds the bundled `wordcount` scenario, runs `BATCHES`
//! batches (first argument, default 300) and keeps a snapshot of the context after every 10th,
//! as the REPL keeps them in the middle of a long session. Run it under `valgrind --tool=massif` (the system
//! allocator, unlike the `stream-sim` binary's mimalloc) to see which parts of the state
//! each snapshot copies.

use stream_sim::scenario::{load, resolve, RunOptions};
use stream_sim::sim::Time;

fn main() -> Result<(), String> {
    let batches: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().map_err(|e| format!("BATCHES: {e}")))
        .transpose()?
        .unwrap_or(300)
        .clamp(1, 1_000_000);
    let sc = load(&resolve("wordcount").map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let built = sc
        .build(&RunOptions::default())
        .map_err(|e| e.to_string())?;
    let mut kept = Vec::new();
    for k in 1..=batches {
        let t = Time::ZERO.plus(sc.batch_interval * k);
        built.ssc.run_until(t).map_err(|e| e.to_string())?;
        if k % 10 == 0 {
            kept.push(built.ssc.snapshot());
        }
    }
    println!("{} snapshots kept", kept.len());
    Ok(())
}
