//! Per-key trigger state: Beam Python's `MergeableStateAdapter` over `InMemoryUnmergedState`
//! (`apache_beam/transforms/trigger.py`). Each window maps to a list of state ids; merging
//! sessions moves the ids of the merged windows to the result, so the result's state is the
//! union of theirs (Java: `MergingStateAccessor`, `ActiveWindowSet` in runners-core).

use crate::event_time::TimeWindow;
use crate::value::Value;
use std::collections::BTreeMap;

/// The time domain of a timer (`TimeDomain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Domain {
    /// Event time: fires when the input watermark reaches the timer.
    Watermark,
    /// Processing time (`REAL_TIME`): fires when the runner's clock reaches it.
    RealTime,
}

/// How values of a combining state tag merge (`_CombiningValueStateTag`'s combine fn, or
/// a set tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// `CountCombineFn`: the number of values added, over all ids.
    Count,
    /// `any`, `max`, or a non-empty set: the largest value added (0 when none).
    Max,
}

/// The raw state of one state id.
#[derive(Clone, Debug, Default)]
pub struct RawState {
    /// Combining and set tags by their prefixed name: the list of values added, as
    /// Python's `InMemoryUnmergedState` keeps them (the reader applies its combine fn; two
    /// tags of one name share the list, as a top-level `AfterEach`'s `index` shares the
    /// driver's pane `index` in Beam Python).
    pub tags: BTreeMap<String, Vec<i64>>,
    /// The `elements` list state: the pane's buffered values.
    pub elements: Vec<Value>,
    /// The watermark hold, event-time ms.
    pub hold: Option<i64>,
}

/// A timer: (state id, name, domain) at a timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timer {
    /// The state id the timer belongs to.
    pub window_id: u64,
    /// Its prefixed name (`''`, `early`, `0/`, ...).
    pub name: String,
    /// Event or processing time.
    pub domain: Domain,
    /// When it fires, ms of its domain.
    pub timestamp: i64,
}

/// One state id's timers: (name, domain, timestamp), in insertion order.
type TimerSlots = Vec<(String, Domain, i64)>;

/// The state of one key: window ids, raw states and timers.
#[derive(Clone, Debug, Default)]
pub struct KeyState {
    /// Window -> its state ids, in Python dict insertion order.
    window_ids: Vec<(TimeWindow, Vec<u64>)>,
    counter: u64,
    raw: BTreeMap<u64, RawState>,
    /// Timers by state id, in insertion order (Python's dict of dicts).
    timers: Vec<(u64, TimerSlots)>,
}

impl KeyState {
    /// The windows with state (`known_windows`), in insertion order.
    pub fn known_windows(&self) -> Vec<TimeWindow> {
        self.window_ids.iter().map(|(w, _)| *w).collect()
    }

    fn ids(&self, w: &TimeWindow) -> Vec<u64> {
        self.window_ids
            .iter()
            .find(|(x, _)| x == w)
            .map(|(_, ids)| ids.clone())
            .unwrap_or_default()
    }

    fn id(&mut self, w: &TimeWindow) -> u64 {
        if let Some((_, ids)) = self.window_ids.iter().find(|(x, _)| x == w) {
            return ids[0];
        }
        if self.window_ids.is_empty() {
            self.counter = 0;
        }
        self.counter += 1;
        let id = self.counter;
        self.window_ids.push((*w, vec![id]));
        id
    }

    /// The window a state id belongs to now (`get_window`).
    pub fn window_of(&self, id: u64) -> Option<TimeWindow> {
        self.window_ids
            .iter()
            .find(|(_, ids)| ids.contains(&id))
            .map(|(w, _)| *w)
    }

    /// Adds to a combining tag of `w`.
    pub fn add_tag(&mut self, w: &TimeWindow, tag: &str, kind: TagKind, v: i64) {
        let id = self.id(w);
        let _ = kind;
        self.raw
            .entry(id)
            .or_default()
            .tags
            .entry(tag.to_string())
            .or_default()
            .push(v);
    }

    /// Reads a combining tag of `w`, merged over its ids (0 when unset).
    pub fn get_tag(&self, w: &TimeWindow, tag: &str, kind: TagKind) -> i64 {
        let vals = self
            .ids(w)
            .into_iter()
            .filter_map(|id| self.raw.get(&id).and_then(|r| r.tags.get(tag)))
            .flatten()
            .copied();
        match kind {
            TagKind::Count => vals.count() as i64,
            TagKind::Max => vals.max().unwrap_or(0),
        }
    }

    /// Clears a tag of `w` over all its ids.
    pub fn clear_tag(&mut self, w: &TimeWindow, tag: &str) {
        for id in self.ids(w) {
            if let Some(r) = self.raw.get_mut(&id) {
                r.tags.remove(tag);
            }
        }
    }

    /// Appends a value to `w`'s elements.
    pub fn add_element(&mut self, w: &TimeWindow, v: Value) {
        let id = self.id(w);
        self.raw.entry(id).or_default().elements.push(v);
    }

    /// `w`'s elements over all its ids, in id order.
    pub fn elements(&self, w: &TimeWindow) -> Vec<Value> {
        self.ids(w)
            .into_iter()
            .filter_map(|id| self.raw.get(&id))
            .flat_map(|r| r.elements.iter().cloned())
            .collect()
    }

    /// Number of buffered elements of `w`.
    pub fn element_count(&self, w: &TimeWindow) -> usize {
        self.ids(w)
            .into_iter()
            .filter_map(|id| self.raw.get(&id))
            .map(|r| r.elements.len())
            .sum()
    }

    /// Clears `w`'s elements.
    pub fn clear_elements(&mut self, w: &TimeWindow) {
        for id in self.ids(w) {
            if let Some(r) = self.raw.get_mut(&id) {
                r.elements.clear();
            }
        }
    }

    /// Adds a watermark hold (combined by max, `OutputAtEndOfWindowImpl.combine`).
    pub fn add_hold(&mut self, w: &TimeWindow, t: i64) {
        let id = self.id(w);
        let r = self.raw.entry(id).or_default();
        r.hold = Some(r.hold.map_or(t, |h| h.max(t)));
    }

    /// `w`'s hold over its ids (max), if any.
    pub fn hold(&self, w: &TimeWindow) -> Option<i64> {
        self.ids(w)
            .into_iter()
            .filter_map(|id| self.raw.get(&id).and_then(|r| r.hold))
            .max()
    }

    /// Clears `w`'s holds.
    pub fn clear_hold(&mut self, w: &TimeWindow) {
        for id in self.ids(w) {
            if let Some(r) = self.raw.get_mut(&id) {
                r.hold = None;
            }
        }
    }

    /// The earliest hold of the key (`get_earliest_hold`), over every state id.
    pub fn earliest_hold(&self) -> Option<i64> {
        self.raw.values().filter_map(|r| r.hold).min()
    }

    /// `MergeableStateAdapter.merge`: the ids of each merged window move to the result.
    pub fn merge(&mut self, to_be_merged: &[TimeWindow], result: &TimeWindow) {
        for w in to_be_merged {
            if w == result {
                continue;
            }
            if let Some(pos) = self.window_ids.iter().position(|(x, _)| x == w) {
                let (_, ids) = self.window_ids.remove(pos);
                match self.window_ids.iter_mut().find(|(x, _)| x == result) {
                    Some((_, r)) => r.extend(ids),
                    None => self.window_ids.push((*result, ids)),
                }
            }
        }
    }

    /// Sets (or moves) a timer of `w` (`set_timer`: keyed by name and domain).
    pub fn set_timer(&mut self, w: &TimeWindow, name: &str, domain: Domain, t: i64) {
        let id = self.id(w);
        let slot = match self.timers.iter().position(|(i, _)| *i == id) {
            Some(p) => &mut self.timers[p].1,
            None => {
                self.timers.push((id, Vec::new()));
                &mut self.timers.last_mut().expect("just pushed").1
            }
        };
        match slot.iter_mut().find(|(n, d, _)| n == name && *d == domain) {
            Some(e) => e.2 = t,
            None => slot.push((name.to_string(), domain, t)),
        }
    }

    /// Clears a timer of `w` over all its ids.
    pub fn clear_timer(&mut self, w: &TimeWindow, name: &str, domain: Domain) {
        for id in self.ids(w) {
            if let Some(p) = self.timers.iter().position(|(i, _)| *i == id) {
                self.timers[p]
                    .1
                    .retain(|(n, d, _)| !(n == name && *d == domain));
            }
        }
    }

    /// Removes and returns the timers due at `watermark` (event time) or `now` (processing
    /// time), in insertion order (`get_timers(clear=True)`).
    pub fn take_due_timers(&mut self, watermark: i64, now: i64) -> Vec<Timer> {
        let mut out = Vec::new();
        for (id, ts) in &mut self.timers {
            ts.retain(|(n, d, t)| {
                let marker = match d {
                    Domain::Watermark => watermark,
                    Domain::RealTime => now,
                };
                if *t <= marker {
                    out.push(Timer {
                        window_id: *id,
                        name: n.clone(),
                        domain: *d,
                        timestamp: *t,
                    });
                    false
                } else {
                    true
                }
            });
        }
        self.timers.retain(|(_, ts)| !ts.is_empty());
        out
    }

    /// Every pending timer (for inspection), in insertion order.
    pub fn pending_timers(&self) -> Vec<Timer> {
        self.timers
            .iter()
            .flat_map(|(id, ts)| {
                ts.iter().map(move |(n, d, t)| Timer {
                    window_id: *id,
                    name: n.clone(),
                    domain: *d,
                    timestamp: *t,
                })
            })
            .collect()
    }
}
