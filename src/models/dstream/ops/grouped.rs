//! The per-partition key table under every shuffle of [`super`] (Spark's `AppendOnlyMap`
//! and the map-side combiner of `ExternalSorter`): keys in first-seen order, each with its
//! hash and its JVM `hashCode` (computed once per key and table: the `hashCode` chooses the
//! shuffle partition, the map-side order and the `AppendOnlyMap` slot order, see
//! [`crate::value::append_only_map_order_of_codes`]).

use crate::func::{EvalError, Func};
use crate::value::murmur3::string_hash_code;
use crate::value::prefetch::prefetch;
use crate::value::{append_only_map_order_of_codes, AppendOnlyMap, Text, Value};

/// How many entries ahead of its read an entry read out of memory order is asked for
/// ([`prefetch`]).
pub(super) const PREFETCH_AHEAD: usize = 8;

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
pub fn partition_of_code(code: i32, n: usize) -> usize {
    let n = n.max(1) as i32;
    let m = code % n;
    (if m < 0 { m + n } else { m }) as usize
}

pub(super) fn key_hash(key: &Value) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(key)
}

/// [`key_hash`] of `Value::str(word)`, without building it.
pub(super) fn str_key_hash(word: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    Text::hash_str_value(word, &mut h);
    h.finish()
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
            // (the table's control bytes already sort out most other hashes)
            .find(hash, |&i| self.entries[i].0 == *key)
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
        let new_key = || (key.clone(), code());
        self.upsert_by(key_hash(key), |k| k == key, new_key, init, update)
    }

    /// [`Grouped::upsert`] of the key `Value::str(word)`, the word borrowed: hashed and
    /// compared as that value would be ([`str_key_hash`]), the value built only for a new
    /// key, whose `hashCode` is then Java's `String.hashCode` of the word.
    pub(super) fn upsert_str(
        &mut self,
        word: &str,
        init: impl FnOnce() -> A,
        update: impl FnOnce(&mut A) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        let is_word = |k: &Value| matches!(k, Value::Str(t) if t.eq_str(word));
        let new_key = || (Value::str(word), string_hash_code(word));
        self.upsert_by(str_key_hash(word), is_word, new_key, init, update)
    }

    /// The one probe under both upserts: the entry of the key whose hash is `hash` and for
    /// which `is_key` holds, updated; or a new entry of `new_key()` (the key and its
    /// `hashCode`) with `init()`.
    #[inline]
    fn upsert_by(
        &mut self,
        hash: u64,
        is_key: impl Fn(&Value) -> bool,
        new_key: impl FnOnce() -> (Value, i32),
        init: impl FnOnce() -> A,
        update: impl FnOnce(&mut A) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        let (entries, hashes) = (&self.entries, &self.hashes);
        match self
            .index
            .entry(hash, |&i| is_key(&entries[i].0), |&i| hashes[i])
        {
            hashbrown::hash_table::Entry::Occupied(slot) => {
                let slot = *slot.get();
                update(&mut self.entries[slot].1)
            }
            hashbrown::hash_table::Entry::Vacant(vacant) => {
                let slot = self.entries.len();
                vacant.insert(slot);
                let (key, code) = new_key();
                self.entries.push((key, init()));
                self.hashes.push(hash);
                self.codes.push(code);
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

/// A reduce partition's `ExternalAppendOnlyMap` that never spills (Spark 3.5,
/// core/.../util/collection/ExternalAppendOnlyMap.scala, `insertAll` into its
/// `SizeTrackingAppendOnlyMap`): the entries in insertion order, found through the slots of
/// Spark's [`AppendOnlyMap`], which also give the order the reduce side yields them in; the
/// `null` key aside, yielded first. One probe per record finds the key and its slot.
pub(super) struct AppendOnlyTable<A> {
    slots: AppendOnlyMap,
    /// The keys and their values, in insertion order (the numbers the slots hold).
    entries: Vec<(Value, A)>,
    /// The entry number of the `null` key (`haveNullValue`).
    null: Option<u32>,
}

impl<A: Default> AppendOnlyTable<A> {
    /// An empty table; `n` is a guess at the keys (room for the entries only: the slots
    /// start at Spark's 64 and grow as Spark's do).
    pub(super) fn with_capacity(n: usize) -> Self {
        AppendOnlyTable {
            slots: AppendOnlyMap::new(),
            entries: Vec::with_capacity(n),
            null: None,
        }
    }

    /// Keys in the table, the `null` key included.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// `changeValue(key, ...)` for a key whose `hashCode` is `code`: `merge(old, value)`
    /// when the key is in the table, else the key is inserted with `value`.
    ///
    /// # Errors
    /// `merge`'s error (the table keeps the key with its value as it was).
    #[inline]
    pub(super) fn change_value<E>(
        &mut self,
        key: Value,
        code: i32,
        value: A,
        merge: impl FnOnce(&mut A, A) -> Result<(), E>,
    ) -> Result<(), E> {
        let next = self.entries.len() as u32;
        let found = if matches!(key, Value::Null) {
            let found = self.null;
            if found.is_none() {
                self.slots.count_null_key();
                self.null = Some(next);
            }
            found
        } else {
            let entries = &self.entries;
            self.slots
                .find_or_insert(code, next, |j| entries[j as usize].0 == key)
        };
        match found {
            Some(j) => merge(&mut self.entries[j as usize].1, value),
            None => {
                self.entries.push((key, value));
                Ok(())
            }
        }
    }

    /// The entries as Spark's `AppendOnlyMap.iterator` yields them: the `null` key first,
    /// then the slots in order. Each entry is moved out once.
    pub(super) fn into_spark_order(self) -> impl Iterator<Item = (Value, A)> {
        let AppendOnlyTable {
            slots,
            mut entries,
            null,
        } = self;
        let order: Vec<u32> = null.into_iter().chain(slots.into_slot_order()).collect();
        (0..order.len()).map(move |j| {
            if let Some(&ahead) = order.get(j + PREFETCH_AHEAD) {
                prefetch(&entries, ahead as usize);
            }
            std::mem::take(&mut entries[order[j] as usize])
        })
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

/// The order in which a map-side combine's keys reach the reduce side (Spark 3.5's
/// `ExternalSorter` with an aggregator and no ordering sorts its `PartitionedAppendOnlyMap`
/// by partition, then key `hashCode`, stably), as `map_side_order` sorts them, given their
/// `hashCode`s in first-seen order: returns the key numbers sorted by (code, first-seen
/// number), which is unique, so the unstable sort gives the stable order. Both are packed
/// in one `u64` (the code's sign bit flipped, so that the unsigned order is the `i32`
/// order) and sorted as plain integers, about a third of the time of sorting the numbers by
/// a looked-up pair.
pub fn map_side_order_of_codes(codes: &[i32]) -> Vec<u32> {
    let mut packed: Vec<u64> = codes
        .iter()
        .zip(0u32..)
        .map(|(&code, i)| (u64::from(code as u32 ^ 0x8000_0000) << 32) | u64::from(i))
        .collect();
    packed.sort_unstable();
    packed.into_iter().map(|p| p as u32).collect()
}

/// What `reduceByKey`'s combiners keep per key, from the map side's combine to the reduce
/// side's output record: a [`Value`]; or, when the reduce function is a sum of `Int`s
/// ([`Func::adds_ints`]) and every value is an `Int` (the word count's `pair(1)` then
/// `sum`), the `i64` itself. A key's entry is then 32 bytes instead of 48: a third less
/// memory for the combiners and the reduce side's tables to move (issue 15; the value in
/// the output record is the same `Int`).
pub(super) trait Combiner: Default {
    /// `acc = f(acc, x)` ([`fold`] for a [`Value`]).
    ///
    /// # Errors
    /// The function's error.
    fn merge(acc: &mut Self, x: &Self, f: &Func) -> Result<(), EvalError>;

    /// The value of the key's output record.
    fn into_value(self) -> Value;

    /// [`Value::approx_bytes`] of [`Combiner::into_value`], without making it.
    fn approx_bytes(&self) -> usize;
}

impl Combiner for Value {
    #[inline]
    fn merge(acc: &mut Value, x: &Value, f: &Func) -> Result<(), EvalError> {
        fold(acc, x, f)
    }

    #[inline]
    fn into_value(self) -> Value {
        self
    }

    #[inline]
    fn approx_bytes(&self) -> usize {
        Value::approx_bytes(self)
    }
}

/// An `Int`'s combiner, only ever merged by a function for which [`Func::adds_ints`] holds
/// (`sum` of two `Int`s is their `wrapping_add`, as [`fold`] computes it).
impl Combiner for i64 {
    #[inline]
    fn merge(acc: &mut i64, x: &i64, f: &Func) -> Result<(), EvalError> {
        debug_assert!(
            f.adds_ints(),
            "an i64 combiner merged by a function that is not a sum"
        );
        *acc = acc.wrapping_add(*x);
        Ok(())
    }

    #[inline]
    fn into_value(self) -> Value {
        Value::Int(self)
    }

    #[inline]
    fn approx_bytes(&self) -> usize {
        Value::Int(*self).approx_bytes()
    }
}

/// `acc = f(acc, x)`, the reduce function folding one more value into a key's: for a `sum`
/// of two `Int`s ([`Func::adds_ints`]) the `wrapping_add` it computes, in place, without
/// calling it or building its arguments; otherwise the call.
///
/// # Errors
/// The function's error.
#[inline]
pub(super) fn fold(acc: &mut Value, x: &Value, f: &Func) -> Result<(), EvalError> {
    if let (true, Value::Int(a), Value::Int(b)) = (f.adds_ints(), &mut *acc, x) {
        *a = a.wrapping_add(*b);
        return Ok(());
    }
    *acc = f.call2(acc, x)?;
    Ok(())
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

    /// The reduce side's table folds a repeated key into its first value and yields Spark's
    /// `AppendOnlyMap` order: the `null` key first, counted toward the 70 % (with 44 other
    /// keys it grows the table: the case pinned to Spark in `value::tests`).
    #[test]
    fn append_only_table_folds_and_yields_spark_order() {
        let keys: Vec<Value> = std::iter::once(Value::Null)
            .chain((1..=44).map(|i| Value::Int(i * 7)))
            .collect();
        let mut t: AppendOnlyTable<i64> = AppendOnlyTable::with_capacity(4);
        for k in keys.iter().chain(keys.iter().rev()) {
            t.change_value(k.clone(), k.partition_hash(), 1, |acc, x| {
                *acc += x;
                Ok::<(), ()>(())
            })
            .expect("adds");
        }
        let got: Vec<(Value, i64)> = t.into_spark_order().collect();
        let want: Vec<(Value, i64)> = crate::value::append_only_map_order(keys.iter())
            .into_iter()
            .map(|i| (keys[i].clone(), 2))
            .collect();
        assert_eq!(got, want);
        assert_eq!(got[0].0, Value::Null);
    }

    proptest::proptest! {
        /// The packed sort gives the order of a stable sort of the key numbers by
        /// hashCode (what `map_side_order` and ExternalSorter's comparator give), negative
        /// codes, `i32::MIN` and equal codes included.
        #[test]
        fn packed_order_is_the_stable_sort_by_code(
            codes in proptest::collection::vec(
                proptest::prop_oneof![
                    -3i32..3,
                    proptest::prelude::Just(i32::MIN),
                    proptest::prelude::Just(i32::MAX),
                    proptest::prelude::any::<i32>(),
                ],
                0..200,
            ),
        ) {
            let mut want: Vec<(i32, u32, ())> =
                codes.iter().zip(0u32..).map(|(&c, i)| (c, i, ())).collect();
            map_side_order(&mut want);
            let want: Vec<u32> = want.into_iter().map(|(_, i, ())| i).collect();
            proptest::prop_assert_eq!(map_side_order_of_codes(&codes), want);
        }

        /// `upsert` (one probe) keeps the keys in first-seen order with their hashes and
        /// codes, folds each later value into the first, and `find` finds every key.
        #[test]
        fn upsert_keeps_first_seen_order_and_folds(
            keys in proptest::collection::vec(0i64..40, 0..300),
        ) {
            let mut g: Grouped<i64> = Grouped::with_capacity(2);
            for &k in &keys {
                let v = Value::Int(k);
                g.upsert(&v, || v.partition_hash(), || 1, |c| {
                    *c += 1;
                    Ok(())
                })
                .expect("counts");
            }
            let mut first_seen: Vec<i64> = Vec::new();
            for &k in &keys {
                if !first_seen.contains(&k) {
                    first_seen.push(k);
                }
            }
            let got: Vec<(Value, i64)> = g.entries.clone();
            let want: Vec<(Value, i64)> = first_seen
                .iter()
                .map(|&k| (Value::Int(k), keys.iter().filter(|&&x| x == k).count() as i64))
                .collect();
            proptest::prop_assert_eq!(got, want);
            for (slot, (k, _)) in g.entries.iter().enumerate() {
                proptest::prop_assert_eq!(g.hashes[slot], key_hash(k));
                proptest::prop_assert_eq!(g.codes[slot], k.partition_hash());
                proptest::prop_assert_eq!(g.find(key_hash(k), k), Some(slot));
            }
            proptest::prop_assert_eq!(g.find(key_hash(&Value::Int(99)), &Value::Int(99)), None);
        }
    }

    /// The entry sizes `Combiner`'s doc gives: a key with an `i64` count takes 32 bytes, a
    /// key with a `Value` 48.
    #[test]
    fn combiner_entries_are_32_and_48_bytes() {
        assert_eq!(std::mem::size_of::<(Value, i64)>(), 32);
        assert_eq!(std::mem::size_of::<(Value, Value)>(), 48);
    }

    /// `fold` adds marked Ints with `wrapping_add` and calls the function otherwise.
    #[test]
    fn fold_adds_marked_ints_and_calls_otherwise() {
        let called = Func::native("first", 2, |a| Ok(a[0].clone()));
        let marked = called.clone().with_adds_ints();
        let mut acc = Value::Int(i64::MAX);
        fold(&mut acc, &Value::Int(2), &marked).expect("adds");
        assert_eq!(acc, Value::Int(i64::MIN + 1));
        let mut acc = Value::Int(5);
        fold(&mut acc, &Value::Int(2), &called).expect("calls");
        assert_eq!(acc, Value::Int(5));
        let mut acc = Value::Float(5.0);
        fold(&mut acc, &Value::Int(2), &marked).expect("calls");
        assert_eq!(acc, Value::Float(5.0));
    }
}
