//! `RotatingMap` (`storm-client/src/jvm/org/apache/storm/utils/RotatingMap.java`): a map of
//! buckets where each `rotate` expires the oldest bucket.
//!
//! Storm times tuple trees out with it: the spout executor keeps its pending tuples in a
//! `RotatingMap` of 2 buckets rotated every `topology.message.timeout.secs`, so a tree times
//! out between one and two timeouts after it was emitted; the acker keeps its ack values in
//! one of 3 buckets (`Acker.TIMEOUT_BUCKET_NUM`) so that an abandoned tree's entry is
//! eventually dropped.

use std::collections::{BTreeMap, VecDeque};

/// Keys in `buckets`: new and refreshed keys go to the head, `rotate` drops the tail.
/// Lookups cost O(buckets × log n).
#[derive(Clone, Debug)]
pub struct RotatingMap<K: Ord + Clone, V: Clone> {
    buckets: VecDeque<BTreeMap<K, V>>,
}

impl<K: Ord + Clone, V: Clone> RotatingMap<K, V> {
    /// A map of `buckets` buckets (at least 2, as Storm requires).
    pub fn new(buckets: usize) -> RotatingMap<K, V> {
        RotatingMap {
            buckets: (0..buckets.max(2)).map(|_| BTreeMap::new()).collect(),
        }
    }

    /// Puts `key` in the head bucket (taking it out of any older one).
    pub fn put(&mut self, key: K, value: V) {
        for b in self.buckets.iter_mut().skip(1) {
            b.remove(&key);
        }
        if let Some(head) = self.buckets.front_mut() {
            head.insert(key, value);
        }
    }

    /// The value of `key`, in whichever bucket it is.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.buckets.iter_mut().find_map(|b| b.get_mut(key))
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.buckets.iter_mut().find_map(|b| b.remove(key))
    }

    /// True when `key` is in some bucket.
    pub fn contains(&self, key: &K) -> bool {
        self.buckets.iter().any(|b| b.contains_key(key))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(BTreeMap::len).sum()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the oldest bucket and opens a new head bucket; returns what expired, in key
    /// order.
    pub fn rotate(&mut self) -> BTreeMap<K, V> {
        let dead = self.buckets.pop_back().unwrap_or_default();
        self.buckets.push_front(BTreeMap::new());
        dead
    }

    /// Every key and value, oldest bucket first, in key order within a bucket.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.buckets.iter().rev().flat_map(|b| b.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key expires on the second rotation after it was put, unless it was refreshed.
    #[test]
    fn keys_expire_after_all_buckets_rotate() {
        let mut m = RotatingMap::new(2);
        m.put(1, "a");
        assert!(m.rotate().is_empty());
        m.put(2, "b");
        let dead = m.rotate();
        assert_eq!(dead.keys().copied().collect::<Vec<_>>(), [1]);
        m.put(2, "b again");
        assert!(m.rotate().is_empty());
        assert_eq!(m.rotate().keys().copied().collect::<Vec<_>>(), [2]);
        assert!(m.is_empty());
    }
}
