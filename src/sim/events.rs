//! The discrete-event queue every model's loop runs on: events at virtual instants, ordered
//! by `(time, class, sequence)`.
//!
//! `class` orders events of one instant by kind (a model decides, e.g. faults before
//! deliveries before task runs); the sequence number, assigned at scheduling, keeps events of
//! one time and class in the order they were scheduled. Nothing else decides what happens
//! next, so a run is a function of its inputs and seed (DESIGN.md, "One sentence per layer").

use super::Time;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A queue of events `E` at virtual times. Push and pop cost O(log n).
#[derive(Clone, Debug)]
pub struct EventQueue<E: Ord> {
    heap: BinaryHeap<Reverse<(Time, u8, u64, E)>>,
    seq: u64,
}

impl<E: Ord> Default for EventQueue<E> {
    fn default() -> EventQueue<E> {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E: Ord> EventQueue<E> {
    /// Schedules `event` of `class` at `at` (after every event already scheduled for the
    /// same time and class).
    pub fn push(&mut self, at: Time, class: u8, event: E) {
        self.seq += 1;
        self.heap.push(Reverse((at, class, self.seq, event)));
    }

    /// Takes the next event if it is due at or before `until`: `(time, event)`.
    pub fn pop_until(&mut self, until: Time) -> Option<(Time, E)> {
        match self.heap.peek() {
            Some(Reverse((t, ..))) if *t <= until => {}
            _ => return None,
        }
        self.heap.pop().map(|Reverse((t, _, _, e))| (t, e))
    }

    /// Number of events pending.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events come out by time, then class, then the order they were scheduled.
    #[test]
    fn order_is_time_class_then_scheduling() {
        let mut q = EventQueue::default();
        q.push(Time(5), 1, "b");
        q.push(Time(5), 0, "a");
        q.push(Time(5), 1, "c");
        q.push(Time(3), 9, "first");
        q.push(Time(9), 0, "late");
        let mut out = Vec::new();
        while let Some((_, e)) = q.pop_until(Time(5)) {
            out.push(e);
        }
        assert_eq!(out, ["first", "a", "b", "c"]);
        assert_eq!(q.len(), 1);
    }
}
