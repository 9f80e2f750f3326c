//! The limits on what a scenario, a run and a REPL session may ask for. Each is checked
//! before the work starts, and its error names the limit and how to go further, so that no
//! input hangs the simulator, overflows its stack or grows its memory without end.
//!
//! Measured (release build, `/usr/bin/time -f %M stream-sim run wordcount --until T`): a run
//! keeps about 0.35 KB per batch of bookkeeping (57.8 MB peak at 2,000 batches, 60.0 MB at
//! 20,000, 108.9 MB at 100,000: the allocator keeps the pages it frees, `main/allocator.rs`,
//! which adds about 6 MB there), so [`MAX_BATCHES`] bounds a run at about 110 MB. Of that,
//! about 130 bytes per
//! batch are the trace, whose full chunks are kept encoded (`models::dstream::trace`: it took
//! about 2.5 KB per batch as events, 279.5 MB at 100,000 batches), and about 265 bytes the
//! batch rows the run's `batches:` summary builds from it at the end
//! (`check::batch_rows`; heaptrack of `run wordcount --until 20000s`). The ledger grows
//! with the records read, not the batches. A REPL session also keeps time-travel snapshots:
//! 234 MB peak after `step 100000` of `wordcount` (`scripts/repl_goto_times.py`), about
//! 1,230 snapshots of about 40 KB. The engine computes a DStream by recursing into its parents, about
//! 15 KB of stack per level (debug build), so [`MAX_LINEAGE_DEPTH`] levels fit in the 256 MiB
//! stack `stream-sim` runs on (main.rs `STACK_BYTES`).

use crate::sim::{Duration, Time};

/// The most batch intervals one run (`run_for`, `--until`, `--batches`) or one REPL session
/// may cover, unless raised with `--max-batches`.
pub const MAX_BATCHES: u64 = 100_000;

/// The most block intervals one run may cover, per allowed batch: a receiver cuts a block
/// every block interval, so a long run of short block intervals is as costly as many
/// batches. The limit is `MAX_BLOCKS_PER_BATCH * max_batches`.
pub const MAX_BLOCKS_PER_BATCH: u64 = 10;

/// The largest data file a source may read (`file = ...`), in bytes (64 MiB): the
/// simulator keeps a source's records in memory.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The largest scenario file, in bytes (16 MiB).
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// The most partitions an operator may ask for (`repartition(n)`, `reduceByKey(f, n)`):
/// each partition is a task of every batch.
pub const MAX_PARTITIONS: usize = 100_000;

/// The most files one `textFileStream` source may drop into its directory.
pub const MAX_FILE_DROPS: usize = 1_000;

/// The longest chain of DStreams from an output operation down to an input stream (each
/// transformation adds one level; the engine recurses once per level).
pub const MAX_LINEAGE_DEPTH: u64 = 1_000;

/// The most paths from an output operation down to the input streams: a DStream reached
/// along two paths (`a.union(a)`) is computed twice per batch, as Spark does without
/// `cache()`, so `a = a.union(a)` repeated 40 times would compute `a` 2^40 times.
pub const MAX_LINEAGE_PATHS: u64 = 10_000;

/// Checks that running from time zero to `end` stays within `max_batches` batch intervals
/// and `MAX_BLOCKS_PER_BATCH * max_batches` block intervals.
///
/// # Errors
/// A sentence naming what was asked for (`what`, e.g. "run_for = 1h"), the number of
/// intervals it covers and the limit; the caller adds how to raise it.
pub fn check_run_length(
    what: &str,
    batch_interval: Duration,
    block_interval: Duration,
    end: Time,
    max_batches: u64,
) -> Result<(), String> {
    let batches = end.ms() / batch_interval.ms().max(1);
    if batches > max_batches {
        return Err(format!(
            "{what} covers {batches} batches of {batch_interval}, over the limit of {max_batches} batches per run"
        ));
    }
    let blocks = end.ms() / block_interval.ms().max(1);
    let max_blocks = max_batches.saturating_mul(MAX_BLOCKS_PER_BATCH);
    if blocks > max_blocks {
        return Err(format!(
            "{what} covers {blocks} block intervals of {block_interval}, over the limit of {max_blocks} block intervals per run ({MAX_BLOCKS_PER_BATCH} per allowed batch)"
        ));
    }
    Ok(())
}
