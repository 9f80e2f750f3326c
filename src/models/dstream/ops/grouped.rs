//! The per-partition key table under every shuffle of [`super`] (Spark's `AppendOnlyMap`
//! and the map-side combiner of `ExternalSorter`): keys in first-seen order, each with its
//! hash and its JVM `hashCode` (computed once per key and table: the `hashCode` chooses the
//! shuffle partition, the map-side order and the `AppendOnlyMap` slot order, see
//! [`crate::value::append_only_map_order_of_codes`]).

use crate::func::EvalError;
use crate::value::{append_only_map_order_of_codes, Value};

/// Per-partition key order: a map from key to slot plus the slots in first-seen order.
pub(super) struct Grouped<A> {
    /// Indexes into `entries`, found by the key's hash (computed once per lookup; kept in
    /// `hashes` so that growing the table never hashes a key again).
    index: hashbrown::HashTable<usize>,
    /// The keys and their values, in first-seen order.
    pub(super) entries: Vec<(Value, A)>,
    /// `hashes[i]` is the hash of `entries[i].0`.
    pub(super) hashes: Vec<u64>,
    /// `codes[i]` is the JVM `hashCode` of `entries[i].0` ([`Value::partition_hash`]),
    /// computed once per key: it chooses the shuffle partition and the `AppendOnlyMap` slot.
    pub(super) codes: Vec<i32>,
}

/// `nonNegativeMod(code, n)`: the hash partition of a key with JVM `hashCode` `code`
/// (Spark's `HashPartitioner.getPartition`), as [`Value::partition_of`].
pub(super) fn partition_of_code(code: i32, n: usize) -> usize {
    let n = n.max(1) as i32;
    let m = code % n;
    (if m < 0 { m + n } else { m }) as usize
}

pub(super) fn key_hash(key: &Value) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(key)
}

impl<A> Grouped<A> {
    pub(super) fn new() -> Self {
        Grouped {
            index: hashbrown::HashTable::new(),
            entries: Vec::new(),
            hashes: Vec::new(),
            codes: Vec::new(),
        }
    }

    pub(super) fn with_capacity(n: usize) -> Self {
        Grouped {
            index: hashbrown::HashTable::with_capacity(n),
            entries: Vec::with_capacity(n),
            hashes: Vec::with_capacity(n),
            codes: Vec::with_capacity(n),
        }
    }

    /// The slot of `key`, if present.
    pub(super) fn find(&self, hash: u64, key: &Value) -> Option<usize> {
        self.index
            .find(hash, |&i| {
                self.hashes[i] == hash && self.entries[i].0 == *key
            })
            .copied()
    }

    /// Appends a new key (which must not be present) whose `hashCode` is `code`.
    pub(super) fn push_new(&mut self, hash: u64, code: i32, key: Value, value: A) {
        let slot = self.entries.len();
        self.entries.push((key, value));
        self.hashes.push(hash);
        self.codes.push(code);
        let hashes = &self.hashes;
        self.index.insert_unique(hash, slot, |&i| hashes[i]);
    }

    /// Updates `key`'s value, or inserts `init()`; `code` gives the key's `hashCode` (only
    /// asked for a new key).
    pub(super) fn upsert(
        &mut self,
        key: &Value,
        code: impl FnOnce() -> i32,
        init: impl FnOnce() -> A,
        update: impl FnOnce(&mut A) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        let hash = key_hash(key);
        match self.find(hash, key) {
            Some(slot) => update(&mut self.entries[slot].1),
            None => {
                self.push_new(hash, code(), key.clone(), init());
                Ok(())
            }
        }
    }

    /// The entries in the order Spark's `ExternalAppendOnlyMap` yields them (see
    /// [`spark_map_order`]), using the `hashCode`s kept with the keys.
    pub(super) fn into_spark_order(self) -> impl Iterator<Item = (Value, A)>
    where
        A: Default,
    {
        spark_map_order(self.entries, &self.codes)
    }
}

/// The entries (distinct keys, in the order they reached Spark's reduce side) in the order
/// Spark's `ExternalAppendOnlyMap` yields them: see [`append_only_map_order`].
/// `codes[i]` is the `hashCode` of `entries[i]`'s key. Each entry is moved out once (its
/// place left `Default`), so there is no second vector of the entries.
pub(super) fn spark_map_order<A: Default>(
    mut entries: Vec<(Value, A)>,
    codes: &[i32],
) -> impl Iterator<Item = (Value, A)> {
    let order: Vec<u32> = if entries.len() < 2 {
        (0..entries.len() as u32).collect()
    } else {
        let null = entries.iter().position(|(k, _)| matches!(k, Value::Null));
        append_only_map_order_of_codes(codes, null)
    };
    order
        .into_iter()
        .map(move |i| std::mem::take(&mut entries[i as usize]))
}

/// A map-side combine writes each map partition's keys sorted by `key.hashCode`
/// (`ExternalSorter`'s default key comparator when there is an aggregator and no ordering),
/// so they reach the reduce side in that order: sorts one map partition's combined entries,
/// each given with its key's `hashCode`, so (stable; keys with equal hash codes keep their
/// first-seen order).
pub(super) fn map_side_order<K, A>(entries: &mut [(i32, K, A)]) {
    entries.sort_by_key(|e| e.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The partition from a kept `hashCode` is the one `Value::partition_of` computes.
    #[test]
    fn partition_of_code_agrees_with_partition_of() {
        let keys = [
            Value::str("hello"),
            Value::str("spark"),
            Value::Int(-3),
            Value::Int(i64::from(i32::MIN)),
            Value::Int(3_000_000_000),
            Value::pair(Value::str("a"), Value::Int(1)),
            Value::Null,
        ];
        for k in &keys {
            for n in [1, 2, 3, 7, 64] {
                assert_eq!(
                    partition_of_code(k.partition_hash(), n),
                    k.partition_of(n),
                    "{k} in {n}"
                );
            }
        }
    }

    /// The table yields its entries in `AppendOnlyMap` order, the `null` key first.
    #[test]
    fn grouped_yields_spark_order() {
        let mut g: Grouped<i64> = Grouped::new();
        for w in ["a", "b", "c", "a", "b"] {
            let k = Value::str(w);
            g.upsert(
                &k,
                || k.partition_hash(),
                || 1,
                |c| {
                    *c += 1;
                    Ok(())
                },
            )
            .expect("counts");
        }
        g.upsert(&Value::Null, || 0, || 9, |_| Ok(()))
            .expect("null");
        let got: Vec<String> = g
            .into_spark_order()
            .map(|(k, c)| format!("{k}={c}"))
            .collect();
        let keys = [Value::str("a"), Value::str("b"), Value::str("c")];
        let order = crate::value::append_only_map_order(keys.iter());
        let mut want = vec!["null=9".to_string()];
        want.extend(
            order
                .iter()
                .map(|&i| format!("{}={}", keys[i], [2, 2, 1][i])),
        );
        assert_eq!(got, want);
    }
}
