//! The heads of a cogroup ([`CogroupHeads`]): what `ReducedWindowedDStream.compute`
//! (streaming/dstream/ReducedWindowedDStream.scala) takes from its `CoGroupedRDD`
//! (core/rdd/CoGroupedRDD.scala) over the previous window, the old and the new batches: the
//! first value of each key in each input, keys in the slot order of the cogroup's
//! `ExternalAppendOnlyMap` (see [`crate::value::append_only_map_order_of_codes`]).

use super::grouped::{key_hash, partition_of_code};
use super::pair;
use crate::models::dstream::error::SparkError;
use crate::models::dstream::rdd::Rdd;
use crate::value::{append_only_map_order_of_codes, Value};

/// The heads of a cogroup: for every key, the first value it has in each input RDD (in RDD
/// order), without copying any value. What `ReducedWindowedDStream` needs: its inputs are
/// reduced RDDs, one value per key, and it takes the head of each list as Spark does
/// (`arrayOfValues.head` in `ReducedWindowedDStream.compute`).
///
/// One allocation per batch for all values instead of one list per key and input: keys are
/// numbered in first-seen order (over the inputs, then their partitions, as
/// [`cogroup_raw`](super::cogroup_raw)), and the heads are sorted by key number (stable, so
/// in RDD order).
pub struct CogroupHeads<'a> {
    /// The keys, by key number (first-seen order), borrowed from the inputs.
    keys: Vec<&'a Value>,
    /// The keys' hashes in the table, by key number.
    hashes: Vec<u64>,
    /// The keys' `hashCode`s, by key number.
    codes: Vec<i32>,
    /// Per output partition, its key numbers in Spark's order (see [`CogroupHeads::partition`]).
    by_partition: Vec<Vec<u32>>,
    /// `start[k]..start[k + 1]` is key `k`'s range in `heads`.
    start: Vec<u32>,
    /// `(input RDD index, record)`, grouped by key, in input order within a key: the
    /// whole `(key, value)` record, so that a caller can reuse it (see
    /// [`CogroupHeads::head_records`]).
    heads: Vec<(u32, &'a Value)>,
}

/// The hashes of the keys of an RDD whose keys are all distinct, record by record in
/// [`Rdd::iter`] order: what a cogroup computed for them, kept so that the next cogroup over
/// the same RDD neither hashes its keys again nor looks them up (see
/// [`CogroupHeads::with_distinct_first`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistinctKeyHashes {
    /// The key's hash in the cogroup's own table.
    pub hashes: Vec<u64>,
    /// The key's `hashCode` ([`Value::partition_hash`]).
    pub codes: Vec<i32>,
}

impl<'a> CogroupHeads<'a> {
    /// Groups `rdds` by key into `n` hash partitions (`nonNegativeMod(hashCode, n)`).
    ///
    /// # Errors
    /// [`SparkError::NotAPair`] (naming `op`) for the first record that is not a pair.
    pub fn new(rdds: &[&'a Rdd], n: usize, op: &str) -> Result<CogroupHeads<'a>, SparkError> {
        Self::with_distinct_first(rdds, n, op, None)
    }

    /// As [`CogroupHeads::new`], with the key hashes of `rdds[0]` given when its keys are
    /// all distinct (`first`: the hashes a previous cogroup computed for the records it
    /// output, see [`CogroupHeads::key_hashes`]). Its records then enter the table without a
    /// lookup and without hashing. Ignored (everything hashed) when its length is not the
    /// number of records of `rdds[0]`. The result is the same as [`CogroupHeads::new`]'s:
    /// distinct keys would each have been new, in the same first-seen order.
    ///
    /// # Errors
    /// As [`CogroupHeads::new`].
    pub fn with_distinct_first(
        rdds: &[&'a Rdd],
        n: usize,
        op: &str,
        first: Option<&DistinctKeyHashes>,
    ) -> Result<CogroupHeads<'a>, SparkError> {
        let n = n.max(1);
        let first = first.filter(|f| {
            let len = rdds.first().map_or(0, |r| r.count());
            f.hashes.len() == len && f.codes.len() == len
        });
        let total: usize = rdds.iter().map(|r| r.count()).sum();
        let mut index: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(total);
        let mut keys: Vec<&'a Value> = Vec::with_capacity(total);
        let mut hashes: Vec<u64> = Vec::with_capacity(total);
        let mut codes: Vec<i32> = Vec::with_capacity(total);
        // Per key: 1 + the index of the last input it was seen in (0: not yet), and how many
        // inputs it was seen in.
        let mut seen: Vec<(u32, u32)> = Vec::with_capacity(total);
        let mut by_partition: Vec<Vec<u32>> = (0..n).map(|_| Vec::new()).collect();
        let mut found: Vec<(u32, u32, &'a Value)> = Vec::with_capacity(total);
        let mut skip = 0;
        if let (Some(f), Some(r)) = (first, rdds.first()) {
            for ((v, &hash), &code) in r.iter().zip(&f.hashes).zip(&f.codes) {
                let (k, _) = pair(op, v)?;
                let s = keys.len() as u32;
                keys.push(k);
                hashes.push(hash);
                codes.push(code);
                seen.push((1, 1));
                by_partition[partition_of_code(code, n)].push(s);
                index.insert_unique(hash, s, |&s| hashes[s as usize]);
                found.push((s, 0, v));
            }
            skip = 1;
        }
        for (i, r) in rdds.iter().enumerate().skip(skip) {
            let tag = i as u32 + 1;
            for v in r.iter() {
                let (k, _) = pair(op, v)?;
                let hash = key_hash(k);
                let slot = match index.find(hash, |&s| keys[s as usize] == k) {
                    Some(&s) => s,
                    None => {
                        let s = keys.len() as u32;
                        let code = k.partition_hash();
                        keys.push(k);
                        hashes.push(hash);
                        codes.push(code);
                        seen.push((0, 0));
                        by_partition[partition_of_code(code, n)].push(s);
                        index.insert_unique(hash, s, |&s| hashes[s as usize]);
                        s
                    }
                };
                let (last, count) = &mut seen[slot as usize];
                if *last != tag {
                    *last = tag;
                    *count += 1;
                    found.push((slot, i as u32, v));
                }
            }
        }
        // Each partition's keys in Spark's order: CoGroupedRDD's ExternalAppendOnlyMap slots.
        let mut part_codes: Vec<i32> = Vec::new();
        for part in &mut by_partition {
            if part.len() > 1 {
                part_codes.clear();
                part_codes.extend(part.iter().map(|&k| codes[k as usize]));
                let null = part
                    .iter()
                    .position(|&k| matches!(keys[k as usize], Value::Null));
                let order = append_only_map_order_of_codes(&part_codes, null);
                *part = order.into_iter().map(|i| part[i as usize]).collect();
            }
        }
        // Counting sort by key number, stable: `start[k]` first holds the end of key `k`'s
        // range, and filling from the last record down leaves it at the range's start.
        let mut start: Vec<u32> = Vec::with_capacity(keys.len() + 1);
        let mut acc = 0u32;
        for &(_, c) in &seen {
            acc += c;
            start.push(acc);
        }
        start.push(acc);
        static NULL: Value = Value::Null;
        let placeholder = (0u32, &NULL);
        let mut heads: Vec<(u32, &'a Value)> = vec![placeholder; found.len()];
        for &(slot, i, x) in found.iter().rev() {
            let at = &mut start[slot as usize];
            *at -= 1;
            heads[*at as usize] = (i, x);
        }
        Ok(CogroupHeads {
            keys,
            hashes,
            codes,
            by_partition,
            start,
            heads,
        })
    }

    /// Key number `k`'s hash in the table and its `hashCode`, as
    /// [`DistinctKeyHashes`] keeps them.
    pub fn key_hashes(&self, k: u32) -> (u64, i32) {
        (self.hashes[k as usize], self.codes[k as usize])
    }

    /// Number of distinct keys (over all partitions).
    pub fn num_keys(&self) -> usize {
        self.keys.len()
    }

    /// Number of output partitions.
    pub fn num_partitions(&self) -> usize {
        self.by_partition.len()
    }

    /// The key numbers of output partition `p`, in Spark's order (`CoGroupedRDD`'s map's).
    pub fn partition(&self, p: usize) -> &[u32] {
        &self.by_partition[p]
    }

    /// Key number `k`.
    pub fn key(&self, k: u32) -> &'a Value {
        self.keys[k as usize]
    }

    /// The heads of key number `k`: `(input index, first value in that input)`, in input
    /// order.
    pub fn heads(&self, k: u32) -> impl Iterator<Item = (u32, &'a Value)> + Clone + '_ {
        self.head_records(k).iter().map(|&(i, r)| (i, second(r)))
    }

    /// The heads of key number `k` as whole records: `(input index, first (key, value)
    /// record of the key in that input)`, in input order. A caller that would rebuild a
    /// record equal to one of these can clone it instead (an `Arc` clone, no allocation).
    pub fn head_records(&self, k: u32) -> &[(u32, &'a Value)] {
        let k = k as usize;
        &self.heads[self.start[k] as usize..self.start[k + 1] as usize]
    }
}

/// The value of a record [`CogroupHeads::new`] accepted (a pair: checked there).
fn second(record: &Value) -> &Value {
    match record.as_pair() {
        Some((_, v)) => v,
        None => &Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::dstream::ops::{cogroup_raw, OpCtx};

    fn rdd(ctx: &mut OpCtx, parts: Vec<Vec<(&str, i64)>>) -> Rdd {
        let parts = parts
            .into_iter()
            .map(|p| {
                p.into_iter()
                    .map(|(k, v)| Value::pair(Value::str(k), Value::Int(v)))
                    .collect()
            })
            .collect();
        Rdd::new(parts, None, ctx.lineage("test", &[], false))
    }

    #[test]
    fn cogroup_heads_agree_with_the_heads_of_cogroup_raw() {
        // CogroupHeads gives, per partition and key in the same order as cogroup_raw, the
        // first value of the key in each input (the heads ReducedWindowedDStream takes).
        let mut ctx = OpCtx::new(0, 2);
        let a = rdd(&mut ctx, vec![vec![("x", 1), ("y", 2)], vec![("x", 3)]]);
        let b = rdd(&mut ctx, vec![vec![("z", 4), ("y", 5), ("y", 6)]]);
        let c = rdd(&mut ctx, vec![vec![], vec![("w", 7), ("x", 8)]]);
        let rdds = [&a, &b, &c];
        for n in 1..4 {
            let raw = cogroup_raw(&rdds, n, "test").unwrap();
            let heads = CogroupHeads::new(&rdds, n, "test").unwrap();
            assert_eq!(heads.num_partitions(), raw.len());
            for (p, entries) in raw.iter().enumerate() {
                let keys = heads.partition(p);
                assert_eq!(keys.len(), entries.len());
                for (&k, (key, lists)) in keys.iter().zip(entries) {
                    assert_eq!(heads.key(k), key);
                    let want: Vec<(u32, Value)> = lists
                        .iter()
                        .enumerate()
                        .filter_map(|(i, l)| l.first().map(|v| (i as u32, v.clone())))
                        .collect();
                    let got: Vec<(u32, Value)> =
                        heads.heads(k).map(|(i, v)| (i, v.clone())).collect();
                    assert_eq!(got, want);
                    let records: Vec<(u32, Value)> = heads
                        .head_records(k)
                        .iter()
                        .map(|&(i, r)| (i, r.clone()))
                        .collect();
                    let rebuilt: Vec<(u32, Value)> = want
                        .iter()
                        .map(|(i, v)| (*i, Value::pair(key.clone(), v.clone())))
                        .collect();
                    assert_eq!(records, rebuilt);
                }
            }
        }
    }

    /// Everything a `CogroupHeads` yields, in order: per partition, per key, the key, its
    /// hashes and its head records.
    type HeadsView = Vec<Vec<(Value, (u64, i32), Vec<(u32, Value)>)>>;

    fn view(h: &CogroupHeads) -> HeadsView {
        (0..h.num_partitions())
            .map(|p| {
                h.partition(p)
                    .iter()
                    .map(|&k| {
                        let heads = h
                            .head_records(k)
                            .iter()
                            .map(|&(i, r)| (i, r.clone()))
                            .collect();
                        (h.key(k).clone(), h.key_hashes(k), heads)
                    })
                    .collect()
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn cogroup_heads_with_known_distinct_first_input_equal_plain_ones(
            batches in proptest::collection::vec(
                proptest::collection::vec((0u16..300, -2i64..3), 0..40), 1..5),
            n in 1usize..4,
            keep_mod in 1u16..4,
        ) {
            // A window: the output of one cogroup (distinct keys, some filtered out as
            // reduceByKeyAndWindow's filter does) is the first input of the next, with the
            // hashes the first computed; the next cogroup must equal the plain one.
            let mut ctx = OpCtx::new(0, 2);
            let word = |w: u16| Value::str(&format!("w{}", u32::from(w) * 7919 % 1000));
            let rdds: Vec<Rdd> = batches
                .iter()
                .map(|b| {
                    let records = b.iter().map(|&(w, c)| Value::pair(word(w), Value::Int(c)));
                    let lineage = ctx.lineage("test", &[], false);
                    Rdd::new(vec![records.collect()], None, lineage)
                })
                .collect();
            let refs: Vec<&Rdd> = rdds.iter().collect();
            let first = CogroupHeads::new(&refs, n, "test").unwrap();
            let mut known = DistinctKeyHashes::default();
            let mut parts = Vec::new();
            for p in 0..first.num_partitions() {
                let mut out = Vec::new();
                for (j, &k) in first.partition(p).iter().enumerate() {
                    if (j as u16).is_multiple_of(keep_mod) {
                        let (hash, code) = first.key_hashes(k);
                        known.hashes.push(hash);
                        known.codes.push(code);
                        out.push(first.head_records(k)[0].1.clone());
                    }
                }
                parts.push(out);
            }
            let window = Rdd::new(parts, Some(n), ctx.lineage("window", &[], true));
            let mut next: Vec<&Rdd> = vec![&window];
            next.extend(refs.iter().rev());
            let plain = CogroupHeads::new(&next, n, "test").unwrap();
            let fast = CogroupHeads::with_distinct_first(&next, n, "test", Some(&known)).unwrap();
            proptest::prop_assert_eq!(view(&fast), view(&plain));
            // Hashes of the wrong length are ignored.
            known.codes.pop();
            let ignored = CogroupHeads::with_distinct_first(&next, n, "test", Some(&known)).unwrap();
            proptest::prop_assert_eq!(view(&ignored), view(&plain));
        }
    }

    #[test]
    fn cogroup_heads_reject_a_record_that_is_not_a_pair() {
        // A record that is not a pair is an error naming the operation, as in cogroup_raw.
        let mut ctx = OpCtx::new(0, 2);
        let bad = Rdd::new(
            vec![vec![Value::Int(1)]],
            None,
            ctx.lineage("test", &[], false),
        );
        let err = CogroupHeads::new(&[&bad], 2, "reduceByKeyAndWindow")
            .err()
            .unwrap();
        assert!(matches!(err, SparkError::NotAPair { ref op, .. } if op == "reduceByKeyAndWindow"));
    }
}
