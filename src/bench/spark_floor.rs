//! Figure 1's third line: the word count as Spark's rules require it, and nothing else. The
//! floor under the whole engine's figure: what any faithful engine must compute for
//! `flatMap(split(" "))`, `map(pair(1))`, `reduceByKey(sum)` on a receiver's blocks, written
//! as a plain loop (no receiver, no `Value`, no RDD, no ledger, no scheduler). Words stay
//! borrowed from the lines (`&str`), counts are `i64`, the output records `(&str, i64)`.
//!
//! Per batch, the steps Spark 3.5 takes (each step's source named):
//! 1. **Map side, one task per block** (`BlockRDD` partition; `ShuffleMapTask` runs
//!    `SortShuffleWriter`, core/.../shuffle/sort/SortShuffleWriter.scala, with
//!    `mapSideCombine`): each line is split with Java's `String.split(" ")`
//!    ([`crate::value::java_split_each`]), each word combined into the block's
//!    `ExternalSorter` (core/.../util/collection/ExternalSorter.scala), whose
//!    `PartitionedAppendOnlyMap` keeps one entry per distinct word with its count; here a
//!    `hashbrown` table with FxHash (as the engine's combiner) over the words in first-seen
//!    order. Each distinct word's Java `String.hashCode`
//!    ([`crate::value::murmur3::string_hash_code`]) picks its reduce partition
//!    (`HashPartitioner.getPartition`: `Utils.nonNegativeMod(hashCode, n)`,
//!    core/.../Partitioner.scala) and the order it is written in: `ExternalSorter` with an
//!    aggregator and no ordering sorts by partition, then by `hashCode`
//!    (`keyComparator`), and the sort (`TimSort`) is stable, so equal codes keep their
//!    first-seen order.
//! 2. **Reduce side, one task per reduce partition** (`ShuffledRDD.compute` ->
//!    `BlockStoreShuffleReader.read`, core/.../shuffle/BlockStoreShuffleReader.scala ->
//!    `Aggregator.combineCombinersByKey` -> `ExternalAppendOnlyMap.insertAll`): the blocks'
//!    combiners are read map task by map task, each in its written order, and merged into an
//!    `AppendOnlyMap` (core/.../util/collection/AppendOnlyMap.scala, the project's
//!    [`AppendOnlyMap`]: 64 slots to start, doubled past 70 %), summing counts.
//! 3. **Output**: the `AppendOnlyMap`'s iterator yields each partition's `(word, count)` in
//!    slot order ([`AppendOnlyMap::into_slot_order`]); the `foreachRDD` sink sums the counts.
//!
//! The number of reduce partitions is the engine's default for `reduceByKey` without one:
//! `spark.default.parallelism`, 2 here ([`crate::models::dstream::Config::new`]).
//! [`receiver_blocks`] cuts the lines into batches of blocks as the engine's receiver does
//! (`BlockGenerator`, `ReceivedBlockTracker.allocateBlocksToBatch`); that is done before the
//! clock starts, as the engine's source records are made before its clock starts.
//!
//! The unit test runs the engine on the same lines and checks that every batch's output,
//! partition by partition and record by record, is the floor's.

use crate::models::dstream::ops::{map_side_order_of_codes, partition_of_code};
use crate::value::murmur3::string_hash_code;
use crate::value::{java_split_each, AppendOnlyMap};
use std::convert::Infallible;
use std::ops::Range;

/// Java's `String.split` separator of the word count (`split(" ")`).
pub const SEPARATOR: &str = " ";

/// The lines of each batch's blocks, as the engine's receiver cuts them: `batches[b][k]` is
/// the range of the lines (numbered from 0) in block `k` of batch `b`, batches every
/// `batch_ms` ms of virtual time from the first, blocks in the order they were cut.
///
/// Line `i` arrives at `floor(i * 1000 / rate)` ms (as [`crate::io::TimedRecords::lines_at_rate`]
/// places it; a rate of 0 or less is 1 line/s there and here). Every `block_ms` ms
/// (`spark.streaming.blockInterval`, from `block_ms` on) the block generator cuts what
/// arrived up to and including that instant into a block, none when nothing arrived
/// (`BlockGenerator.updateCurrentBuffer`); the batch at `T` gets the blocks cut at or before
/// `T` and after the previous batch. Batches with no block are listed, empty, up to the last
/// block's. `block_ms` and `batch_ms` of 0 count as 1.
pub fn receiver_blocks(
    n_lines: usize,
    rate: f64,
    block_ms: u64,
    batch_ms: u64,
) -> Vec<Vec<Range<usize>>> {
    let rate = if rate > 0.0 { rate } else { 1.0 };
    let (block_ms, batch_ms) = (block_ms.max(1), batch_ms.max(1));
    let arrival = |i: usize| (i as f64 * 1000.0 / rate).floor() as u64;
    let mut batches: Vec<Vec<Range<usize>>> = Vec::new();
    let mut start = 0;
    while start < n_lines {
        // the first tick at or after the line's arrival, from `block_ms` on
        let tick = arrival(start).div_ceil(block_ms).max(1) * block_ms;
        let mut end = start + 1;
        while end < n_lines && arrival(end) <= tick {
            end += 1;
        }
        let batch = tick.div_ceil(batch_ms) as usize;
        if batches.len() < batch {
            batches.resize(batch, Vec::new());
        }
        batches[batch - 1].push(start..end);
        start = end;
    }
    batches
}

/// One block's map-side combiner: the distinct words in first-seen order, with their counts
/// and `hashCode`s, and the order `ExternalSorter` writes them in.
#[derive(Default)]
struct Combiner<'a> {
    words: Vec<&'a str>,
    counts: Vec<i64>,
    codes: Vec<i32>,
    /// FxHash of each word (for the table's growth).
    hashes: Vec<u64>,
    /// Word numbers sorted by (`hashCode`, first-seen number).
    order: Vec<u32>,
}

impl<'a> Combiner<'a> {
    fn clear(&mut self) {
        self.words.clear();
        self.counts.clear();
        self.codes.clear();
        self.hashes.clear();
        self.order.clear();
    }
}

/// The floor's state across batches: the reduce partitions and reusable room (buffers only;
/// every `AppendOnlyMap` starts afresh per batch and partition, as Spark's tasks do).
pub struct Floor<'a> {
    partitions: usize,
    table: hashbrown::HashTable<u32>,
    combiners: Vec<Combiner<'a>>,
}

impl<'a> Floor<'a> {
    /// A floor reducing into `partitions` reduce partitions (at least 1).
    pub fn new(partitions: usize) -> Floor<'a> {
        Floor {
            partitions: partitions.max(1),
            table: hashbrown::HashTable::new(),
            combiners: Vec::new(),
        }
    }

    /// Step 1 for one block: combine its lines' words into `self.combiners[k]` and sort.
    fn combine_block(&mut self, k: usize, lines: &'a [String]) {
        use std::hash::BuildHasher;
        if self.combiners.len() <= k {
            self.combiners.resize_with(k + 1, Combiner::default);
        }
        let c = &mut self.combiners[k];
        c.clear();
        self.table.clear();
        let table = &mut self.table;
        for line in lines {
            let line: &'a str = line;
            let _ = java_split_each(line, SEPARATOR, |part| {
                // the part as a slice of the line, so that it lives as long as the lines
                // (`java_split_each` lends it for the call only); an empty part may not
                // point into the line
                let w: &'a str = if part.is_empty() {
                    ""
                } else {
                    let at = part.as_ptr() as usize - line.as_ptr() as usize;
                    &line[at..at + part.len()]
                };
                let h = rustc_hash::FxBuildHasher.hash_one(w);
                let (words, hashes) = (&c.words, &c.hashes);
                match table.entry(h, |&i| words[i as usize] == w, |&i| hashes[i as usize]) {
                    hashbrown::hash_table::Entry::Occupied(e) => c.counts[*e.get() as usize] += 1,
                    hashbrown::hash_table::Entry::Vacant(e) => {
                        e.insert(c.words.len() as u32);
                        c.words.push(w);
                        c.counts.push(1);
                        c.codes.push(string_hash_code(w));
                        c.hashes.push(h);
                    }
                }
                Ok::<(), Infallible>(())
            });
        }
        // sorted by hashCode, first-seen order among equal codes (the engine's own sort)
        c.order = map_side_order_of_codes(&c.codes);
    }

    /// One batch: its blocks (ranges of `lines`, in the order cut) through steps 1-3. Returns
    /// each reduce partition's output records in order.
    pub fn batch(
        &mut self,
        lines: &'a [String],
        blocks: &[Range<usize>],
    ) -> Vec<Vec<(&'a str, i64)>> {
        for (k, r) in blocks.iter().enumerate() {
            self.combine_block(k, &lines[r.clone()]);
        }
        let n = self.partitions;
        // room for every partition's share of all the blocks' entries (an over-count: blocks
        // share words), so that the entries never move while merging
        let room = self.combiners[..blocks.len()]
            .iter()
            .map(|c| c.words.len())
            .sum::<usize>()
            / n
            + 16;
        let mut maps: Vec<(AppendOnlyMap, Vec<(&'a str, i64)>)> = (0..n)
            .map(|_| (AppendOnlyMap::new(), Vec::with_capacity(room)))
            .collect();
        for c in &self.combiners[..blocks.len()] {
            for &i in &c.order {
                let i = i as usize;
                let (word, count, code) = (c.words[i], c.counts[i], c.codes[i]);
                let (map, entries) = &mut maps[partition_of_code(code, n)];
                let next = entries.len() as u32;
                match map.find_or_insert(code, next, |j| entries[j as usize].0 == word) {
                    Some(j) => {
                        let acc = &mut entries[j as usize].1;
                        *acc = acc.wrapping_add(count);
                    }
                    None => entries.push((word, count)),
                }
            }
        }
        maps.into_iter()
            .map(|(map, entries)| {
                let mut out = Vec::with_capacity(entries.len());
                out.extend(map.into_slot_order().map(|j| entries[j as usize]));
                out
            })
            .collect()
    }
}

/// The floor over every batch of `batches` (from [`receiver_blocks`]), its output summed as
/// the bench's `foreachRDD` sink does. Returns the words counted (the sum of the counts).
pub fn count(lines: &[String], batches: &[Vec<Range<usize>>], partitions: usize) -> i64 {
    let mut floor = Floor::new(partitions);
    let mut total = 0i64;
    for blocks in batches {
        for part in floor.batch(lines, blocks) {
            total = part.iter().fold(total, |t, &(_, c)| t.wrapping_add(c));
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::TimedRecords;
    use crate::models::dstream::{Config, StreamingContext};
    use crate::scenario::expr::compile;
    use crate::scenario::parse::parse_expr;
    use crate::sim::{Duration, Time};
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Per batch, per partition, the records as `(word, count)`.
    type Output = Vec<Vec<Vec<(String, i64)>>>;

    /// The engine's word count as the bench runs it (`bench::engine`), recording what its
    /// `foreachRDD` sees (every batch with records, partitions in order) and the receiver's
    /// blocks (the block RDD's partitions: their line counts, per batch).
    fn engine(lines: &[String], rate: f64, n: Option<usize>) -> (Output, Vec<Vec<usize>>) {
        let ssc = StreamingContext::new(Config::new(Duration::from_secs(1))).expect("context");
        let source = TimedRecords::lines_at_rate(lines.to_vec(), rate, Time::ZERO);
        let src = ssc.receiver_stream("lines", source).expect("receiver");
        let f = |s: &str, arity| compile(&parse_expr(s).expect("parses"), arity).expect("compiles");
        let counts = src
            .flat_map(f("split(\" \")", 1))
            .and_then(|s| s.map(f("pair(1)", 1)))
            .and_then(|s| s.reduce_by_key(f("sum", 2), n))
            .expect("pipeline");
        let (out, blocks) = (
            Rc::new(RefCell::new(Vec::new())),
            Rc::new(RefCell::new(Vec::new())),
        );
        let sink = Rc::clone(&out);
        counts
            .foreach_rdd(move |rdd, _| {
                let parts: Vec<Vec<(String, i64)>> = rdd
                    .partitions()
                    .iter()
                    .map(|p| {
                        p.iter()
                            .map(|v| {
                                let (w, c) = v.as_pair().expect("a pair");
                                (
                                    w.as_str().expect("a word").to_string(),
                                    c.as_int().expect("a count"),
                                )
                            })
                            .collect()
                    })
                    .collect();
                sink.borrow_mut().push(parts);
            })
            .expect("sink");
        let seen = Rc::clone(&blocks);
        src.foreach_rdd(move |rdd, _| {
            seen.borrow_mut()
                .push(rdd.partitions().iter().map(Vec::len).collect());
        })
        .expect("block sink");
        ssc.start().expect("starts");
        let end_ms = (lines.len() as f64 / rate * 1000.0) as u64 + 2000;
        ssc.run_until(Time(end_ms)).expect("runs");
        let out = out.borrow().clone();
        let blocks = blocks.borrow().clone();
        (out, blocks)
    }

    /// A few hundred lines of the fortune text, then lines with repeated, leading and
    /// trailing spaces, empty lines, and words with equal `hashCode`s ("Aa", "BB",
    /// "AaAa", "BBBB", "AaBB", "BBAa"), repeated so that they span several blocks.
    fn lines() -> Vec<String> {
        let path = crate::scenario::scenarios_dir().join("data/fortunes/lines.txt");
        let text = std::fs::read_to_string(&path).expect("the fortune text");
        let mut lines: Vec<String> = text.lines().take(600).map(str::to_string).collect();
        let odd = [
            "Aa BB Aa  BB",
            "  BB Aa BBBB AaAa AaBB BBAa  ",
            "",
            " ",
            "a  b   c    ",
            "BBAa AaBB Aa",
            "é ü Aa BB",
        ];
        for k in 0..200 {
            lines.insert((k * 7) % lines.len(), odd[k % odd.len()].to_string());
        }
        lines
    }

    /// The floor's output equals the engine's, batch by batch, partition by partition,
    /// record by record (words, counts and order); its blocks are the engine's. With the
    /// default partitions (`None`: 2, as the bench runs) and 3 (negative `hashCode`s then
    /// land by `nonNegativeMod`, not by `%`).
    #[test]
    fn the_floor_is_what_the_engine_computes() {
        for n in [None, Some(3)] {
            the_floor_is_the_engine_with(n);
        }
    }

    fn the_floor_is_the_engine_with(n: Option<usize>) {
        let lines = lines();
        assert_eq!(string_hash_code("Aa"), string_hash_code("BB"));
        let rate = 300.0;
        let (want, engine_blocks) = engine(&lines, rate, n);
        let partitions = n.unwrap_or(Config::new(Duration::from_secs(1)).default_parallelism);
        assert!(want.iter().all(|b| b.len() == partitions));
        let mut batches = receiver_blocks(lines.len(), rate, 200, 1000);
        // the engine runs on past the last block: its batches there have no blocks
        assert!(batches.len() >= 3 && batches.len() <= engine_blocks.len());
        batches.resize(engine_blocks.len(), Vec::new());
        let blocks: Vec<Vec<usize>> = batches
            .iter()
            .map(|b| b.iter().map(|r| r.len()).collect())
            .collect();
        assert_eq!(blocks, engine_blocks, "the blocks of each batch");
        assert!(blocks.iter().filter(|b| b.len() >= 4).count() >= 3);
        let mut floor = Floor::new(partitions);
        let got: Output = batches
            .iter()
            .map(|b| {
                floor
                    .batch(&lines, b)
                    .into_iter()
                    .map(|p| p.into_iter().map(|(w, c)| (w.to_string(), c)).collect())
                    .collect()
            })
            .collect();
        assert_eq!(got.len(), want.len());
        for (b, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "batch {b}, {partitions} partitions");
        }
        let total: i64 = want.iter().flatten().flatten().map(|(_, c)| c).sum();
        assert_eq!(count(&lines, &batches, partitions), total);
    }

    /// The block rule at the edges: a line arriving exactly on a tick is in that tick's
    /// block, the first tick is at `block_ms`, ticks with nothing are skipped, and a block
    /// cut on a batch's time belongs to that batch.
    #[test]
    fn blocks_follow_the_ticks() {
        // 10 lines/s: arrivals 0, 100, ..., 900, 1000, ...
        let b = receiver_blocks(12, 10.0, 200, 1000);
        assert_eq!(b, vec![vec![0..3, 3..5, 5..7, 7..9, 9..11], vec![11..12]]);
        // 1 line/s, blocks every 200 ms: one block per second, cut at 200, 1000, 2000, ...
        let b = receiver_blocks(3, 1.0, 200, 1000);
        assert_eq!(b, vec![vec![0..1, 1..2], vec![2..3]]);
        assert!(receiver_blocks(0, 10.0, 200, 1000).is_empty());
    }
}
