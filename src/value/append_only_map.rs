//! Spark's `AppendOnlyMap` (Spark 3.5, core/src/main/scala/org/apache/spark/util/collection/
//! AppendOnlyMap.scala): the open-addressing table under every `ExternalAppendOnlyMap` of a
//! shuffle's reduce side (`reduceByKey`, `combineByKey`, `CoGroupedRDD`, `distinct`). Its slot
//! order is the order in which the reduce side yields its keys, so it is what a printed
//! `reduceByKey` result shows: this module keeps the slots exactly as Spark does.
//!
//! Spark's class holds keys and values in one `Array[AnyRef]`; here a slot holds the number
//! of an entry (kept by the caller, in insertion order) and the key's rehashed `hashCode`.
//! The rules, as the class has them:
//! - `initialCapacity` 64 slots; `LOAD_FACTOR` 0.7: once more than `(0.7 * capacity).toInt`
//!   keys are in, `growTable` doubles the table and re-inserts the old slots in slot order;
//! - a key's first slot is `rehash(key.hashCode) & mask`, with `rehash` Guava's
//!   `Hashing.murmur3_32().hashInt`; a taken slot sends the probe `+1`, then `+2`, ...
//!   (`changeValue`, `update`);
//! - the `null` key lives outside the slots (`haveNullValue`) and the iterator yields it
//!   first: callers keep it aside ([`crate::value::append_only_map_order_of_codes`]), but it
//!   counts toward the 70 % (`changeValue` calls `incrementSize` for it too), so callers
//!   report it once, when it first comes ([`AppendOnlyMap::count_null_key`]).
//!
//! Spark compares keys with `equals` at every taken slot of the probe; this table first
//! compares the rehashed codes, which equal keys share (Java's `hashCode` contract, kept by
//! [`crate::value::Value::partition_hash`]), so it skips only slots `equals` would reject.
//! A map that would spill to disk is not modelled.

use super::murmur3::{finalize_hash, mix};

/// `AppendOnlyMap`'s `initialCapacity` (its default, as `ExternalAppendOnlyMap` creates it).
pub const INITIAL_CAPACITY: usize = 64;

/// A free slot.
const EMPTY: u64 = u64::MAX;

/// `AppendOnlyMap.rehash(h)`: Guava's `murmur3_32().hashInt(h)`, seed 0.
#[inline]
pub fn rehash(code: i32) -> u32 {
    finalize_hash(mix(0, code), 4) as u32
}

/// The slots of one `AppendOnlyMap`: which entry sits where. The entries themselves (keys
/// and values) are the caller's, numbered in insertion order; see the module doc.
#[derive(Debug, Clone)]
pub struct AppendOnlyMap {
    /// `EMPTY`, or the key's [`rehash`] (high half) and its entry number (low half): growing
    /// reads a key's first slot from its old slot, not from the entries.
    slots: Vec<u64>,
    /// Keys in the table (`curSize`), the `null` key included.
    size: usize,
}

impl Default for AppendOnlyMap {
    fn default() -> Self {
        Self::new()
    }
}

impl AppendOnlyMap {
    /// An empty table of [`INITIAL_CAPACITY`] slots.
    pub fn new() -> Self {
        AppendOnlyMap {
            slots: vec![EMPTY; INITIAL_CAPACITY],
            size: 0,
        }
    }

    /// Keys in the table (`curSize`: the `null` key included once counted).
    pub fn len(&self) -> usize {
        self.size
    }

    /// No keys in the table.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// `changeValue` of the `null` key the first time: one more key (its value is the
    /// caller's, outside the slots), which may grow the table.
    pub fn count_null_key(&mut self) {
        self.increment_size();
    }

    /// Slots in the table (`capacity`, a power of two).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// `changeValue`'s probe for a key whose `hashCode` is `code`: the number of the entry
    /// among those already in for which `is_key` holds (asked only of entries with the same
    /// rehashed code), or, when there is none, takes the first free slot for the new entry
    /// number `entry` and returns `None` (growing the table past 70 %). `entry` must fit in
    /// 32 bits and not be in the table.
    #[inline]
    pub fn find_or_insert(
        &mut self,
        code: i32,
        entry: u32,
        mut is_key: impl FnMut(u32) -> bool,
    ) -> Option<u32> {
        let rehashed = rehash(code);
        let mask = self.slots.len() - 1;
        let mut pos = rehashed as usize & mask;
        let mut delta = 1;
        loop {
            let slot = self.slots[pos];
            if slot == EMPTY {
                self.slots[pos] = (u64::from(rehashed) << 32) | u64::from(entry);
                self.increment_size();
                return None;
            }
            if (slot >> 32) as u32 == rehashed && is_key(slot as u32) {
                return Some(slot as u32);
            }
            pos = (pos + delta) & mask;
            delta += 1;
        }
    }

    /// Inserts the entry number `entry` for a key with `hashCode` `code` that is known not to
    /// be in the table (distinct keys given in insertion order).
    pub fn insert_new(&mut self, code: i32, entry: u32) {
        let _ = self.find_or_insert(code, entry, |_| false);
    }

    /// `incrementSize`: one more key; `growTable` once more than 70 % of the slots are used.
    fn increment_size(&mut self) {
        self.size += 1;
        // (0.7 * capacity).toInt: 7 * capacity / 10 exactly, as a power of two times 7 is
        // never a multiple of 10
        if self.size > self.slots.len() * 7 / 10 {
            self.grow_table();
        }
    }

    /// `growTable`: twice the slots, the old ones re-inserted in slot order.
    fn grow_table(&mut self) {
        let doubled = vec![EMPTY; 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, doubled);
        let mask = self.slots.len() - 1;
        for packed in old.into_iter().filter(|&s| s != EMPTY) {
            let mut pos = (packed >> 32) as usize & mask;
            let mut delta = 1;
            while self.slots[pos] != EMPTY {
                pos = (pos + delta) & mask;
                delta += 1;
            }
            self.slots[pos] = packed;
        }
    }

    /// The entry numbers in slot order: the order of `iterator` (after the `null` key, which
    /// the caller keeps).
    pub fn into_slot_order(self) -> impl Iterator<Item = u32> {
        self.slots
            .into_iter()
            .filter(|&s| s != EMPTY)
            .map(|s| s as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rehash` is Guava's `murmur3_32().hashInt`, i.e. MurmurHash3_x86_32 of the int's four
    /// little-endian bytes with seed 0: values of a plain Python transcription of the
    /// reference C code (Austin Appleby's `MurmurHash3.cpp`).
    #[test]
    fn rehash_is_guavas_hash_int() {
        assert_eq!(rehash(0) as i32, 593_689_054);
        assert_eq!(rehash(1) as i32, -68_075_478);
        assert_eq!(rehash(-1) as i32, 1_982_413_648);
        assert_eq!(rehash(2112) as i32, -506_449_132);
    }

    /// A key found again gives its entry; a new key is inserted once; the table grows past
    /// 70 % of its slots, at 45 keys first.
    #[test]
    fn finds_inserts_and_grows() {
        let mut m = AppendOnlyMap::new();
        let keys: Vec<i32> = (0..100).map(|k| k * 31).collect();
        for (i, &k) in keys.iter().enumerate() {
            let found = m.find_or_insert(k, i as u32, |j| keys[j as usize] == k);
            assert_eq!(found, None);
            assert_eq!(m.capacity(), if i < 44 { 64 } else if i < 89 { 128 } else { 256 });
        }
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(m.find_or_insert(k, 999, |j| keys[j as usize] == k), Some(i as u32));
        }
        assert_eq!(m.len(), 100);
        m.count_null_key();
        assert_eq!(m.len(), 101);
        let mut order: Vec<u32> = m.into_slot_order().collect();
        order.sort_unstable();
        assert_eq!(order, (0..100).collect::<Vec<u32>>());
    }

    /// Different keys with one `hashCode` share a probe sequence and are told apart by
    /// `is_key`.
    #[test]
    fn equal_codes_are_told_apart_by_the_key() {
        let mut m = AppendOnlyMap::new();
        let keys = ["Aa", "BB", "Aa", "BB", "C"];
        let codes = [2112, 2112, 2112, 2112, 67];
        let mut entries: Vec<&str> = Vec::new();
        for (k, c) in keys.iter().zip(codes) {
            let next = entries.len() as u32;
            if m.find_or_insert(c, next, |j| entries[j as usize] == *k).is_none() {
                entries.push(k);
            }
        }
        assert_eq!(entries, ["Aa", "BB", "C"]);
        assert_eq!(m.len(), 3);
    }
}
