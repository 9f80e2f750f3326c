//! The runner: Beam Python's DirectRunner in streaming mode, reduced to one keyed
//! `GroupByKey` (`_StreamingGroupByKeyOnly` + `_StreamingGroupAlsoByWindow` in
//! `apache_beam/runners/direct/transform_evaluator.py`) driven by `TestStream` events
//! (`apache_beam/testing/test_stream.py`), with the trigger driver of
//! `apache_beam/transforms/trigger.py` (`GeneralTriggerDriver`, the Python counterpart of
//! Java's runners-core `ReduceFnRunner` + `PaneInfoTracker` + `WatermarkHold`) and the
//! watermark bookkeeping of `apache_beam/runners/direct/watermark_manager.py`
//! (`_TransformWatermarks.refresh`: output watermark = min(input watermark, earliest hold)).
//!
//! Everything happens on a virtual clock: `AdvanceProcessingTime` moves the runner's clock
//! (Python's `TestClock`), `AdvanceWatermarkTo` moves the input watermark, and after each
//! event the due timers fire (event-time timers at or below the input watermark, processing
//! -time timers at or below the clock), round after round until none is due.

use super::combine::CombineFn;
use super::pane::{Pane, PaneInfo, Timing};
use super::state::{Domain, KeyState, TagKind, Timer};
use super::trigger::{Ctx, Trigger};
use super::window_fn::{WindowFn, WATERMARK_INFINITY, WATERMARK_NEG_INFINITY};
use crate::event_time::TimeWindow;
use crate::ledger::Ledger;
use crate::sim::Time;
use crate::value::Value;
use serde::Serialize;
use std::collections::BTreeMap;

/// How fired panes relate to each other (`AccumulationMode`; the paper's third mode is
/// not in Beam's Python or Java SDKs, see [`AccumulationMode::AccumulatingAndRetracting`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AccumulationMode {
    /// Each pane holds only the elements since the previous pane.
    Discarding,
    /// Each pane holds every element of the window so far.
    Accumulating,
    /// As accumulating, and before each new pane of a window a retraction of the value the
    /// window emitted last (and, for sessions, of each merged-away window's last value):
    /// Akidau et al., "The Dataflow Model" (VLDB 2015), section 2.4, and "Streaming 102",
    /// figure 8. Beam declares `ACCUMULATING_AND_RETRACTING` but no runner executes it; here
    /// it is the paper's rule, tested against the paper's tables, not an oracle.
    AccumulatingAndRetracting,
}

impl AccumulationMode {
    /// Beam's name.
    pub fn name(self) -> &'static str {
        match self {
            AccumulationMode::Discarding => "DISCARDING",
            AccumulationMode::Accumulating => "ACCUMULATING",
            AccumulationMode::AccumulatingAndRetracting => "ACCUMULATING_AND_RETRACTING",
        }
    }
}

/// Whose details to follow where Beam's Python DirectRunner and Java's runners-core differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Fidelity {
    /// Beam Python 2.61's `GeneralTriggerDriver` exactly (the oracle): a processing-time
    /// timer passes its own timestamp where the watermark is expected (so a pane fired by
    /// processing time is EARLY whenever that time is below the window's end), and a window
    /// expires when `input_watermark > end + allowed_lateness`.
    PythonDirectRunner,
    /// Java runners-core's rules where they differ: processing-time firings are timed
    /// against the real watermarks (`PaneInfoTracker.describePane`), and a window expires
    /// when `max_timestamp + allowed_lateness < input_watermark`
    /// (`LateDataDroppingDoFnRunner`).
    RunnersCore,
}

/// `Windowing`: the window function, trigger, accumulation mode and allowed lateness.
#[derive(Clone, Debug, PartialEq)]
pub struct Windowing {
    /// Where elements go.
    pub window_fn: WindowFn,
    /// When panes fire.
    pub trigger: Trigger,
    /// How successive panes relate.
    pub accumulation_mode: AccumulationMode,
    /// How long after the watermark passes a window's end its late data is still taken,
    /// event-time ms.
    pub allowed_lateness_ms: i64,
}

/// One input element: key, value, event timestamp.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Element {
    /// The grouping key.
    pub key: Value,
    /// The value.
    pub value: Value,
    /// Event time, ms.
    pub timestamp: i64,
    /// Position in the input (identity for late/dropped listings).
    pub offset: u64,
}

/// One `TestStream` event (Python: `ElementEvent`, `WatermarkEvent`, `ProcessingTimeEvent`).
#[derive(Clone, Debug, PartialEq)]
pub enum TestStreamEvent {
    /// `add_elements([...])`: one bundle.
    AddElements(Vec<Element>),
    /// `advance_watermark_to(t)`, with why it moved (shown in the watermark history).
    AdvanceWatermarkTo(i64, String),
    /// `advance_processing_time(d)`, d in ms.
    AdvanceProcessingTime(i64),
    /// `advance_watermark_to_infinity()`: the end of input.
    AdvanceWatermarkToInfinity,
}

/// One move of the watermark, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WatermarkStep {
    /// Processing time of the move, virtual ms.
    pub at_ms: i64,
    /// The new input watermark, event-time ms.
    pub watermark: i64,
    /// Why it moved: the estimator's reason or the TestStream event.
    pub reason: String,
}

/// An element that arrived behind the watermark.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LateRecord {
    /// The element.
    pub element: Element,
    /// Processing time of arrival, virtual ms.
    pub at_ms: i64,
    /// The input watermark then, event-time ms.
    pub watermark: i64,
    /// How far behind: watermark - timestamp, ms.
    pub behind_ms: i64,
    /// The windows it was dropped from (past allowed lateness, or the trigger finished);
    /// empty when every window took it (it then fires in a LATE pane).
    #[serde(serialize_with = "super::pane::ser_windows")]
    pub dropped_from: Vec<TimeWindow>,
    /// Why it was dropped, when it was.
    pub reason: Option<String>,
}

/// Limit on timer rounds after one event (each round fires every due timer once; a trigger
/// that keeps re-arming an already-due timer would otherwise loop).
pub const MAX_TIMER_ROUNDS: usize = 10_000;

/// Beam Python's DirectRunner's message when the watermarks cannot complete.
pub const STALL: &str = "Exception: Monitor task detected a pipeline stall.";

/// Beam Python's `state.at(window)` nests the trigger's state under `trigger`.
const TRIGGER_PREFIX: &str = "trigger";
const INDEX: &str = "index";
const NONSPECULATIVE_INDEX: &str = "nonspeculative_index";
const TOMBSTONE: &str = "tombstone";

/// A keyed, windowed, triggered `GroupByKey` (then a combine) on the DirectRunner.
#[derive(Clone, Debug)]
pub struct DirectRunner {
    windowing: Windowing,
    combine: CombineFn,
    fidelity: Fidelity,
    keys: Vec<(Value, KeyState)>,
    key_ix: BTreeMap<Value, usize>,
    holds: Vec<Option<i64>>,
    clock_ms: i64,
    input_wm: i64,
    output_wm: i64,
    panes: Vec<Pane>,
    last_emitted: BTreeMap<(Value, TimeWindow), Value>,
    pending_retractions: BTreeMap<(Value, TimeWindow), Vec<(TimeWindow, Value)>>,
    watermarks: Vec<WatermarkStep>,
    late: Vec<LateRecord>,
    elements_in: u64,
    dropped_finished: u64,
    error: Option<String>,
    ledger: Ledger,
    /// Per (key index, window): `(arrival sequence, offset)` of every element added to the
    /// window's state (merged with it for sessions); the last `element_count` of them are
    /// the ones the state holds now.
    contents: BTreeMap<(usize, TimeWindow), Vec<(u64, u64)>>,
    seq: u64,
}

impl DirectRunner {
    /// A runner at processing time 0 with the watermark at minus infinity.
    pub fn new(windowing: Windowing, combine: CombineFn, fidelity: Fidelity) -> DirectRunner {
        DirectRunner {
            windowing,
            combine,
            fidelity,
            keys: Vec::new(),
            key_ix: BTreeMap::new(),
            holds: Vec::new(),
            clock_ms: 0,
            input_wm: WATERMARK_NEG_INFINITY,
            output_wm: WATERMARK_NEG_INFINITY,
            panes: Vec::new(),
            last_emitted: BTreeMap::new(),
            pending_retractions: BTreeMap::new(),
            watermarks: Vec::new(),
            late: Vec::new(),
            elements_in: 0,
            dropped_finished: 0,
            error: None,
            ledger: Ledger::default(),
            contents: BTreeMap::new(),
            seq: 0,
        }
    }

    /// Applies one event, then fires every due timer.
    ///
    /// # Errors
    /// A combiner's error (e.g. `sum` over a string), or a watermark moved backwards
    /// (`TestStream`: "Watermark must strictly-monotonically advance.").
    pub fn apply(&mut self, ev: &TestStreamEvent) -> Result<(), String> {
        match ev {
            TestStreamEvent::AddElements(els) => self.add_elements(els),
            TestStreamEvent::AdvanceWatermarkTo(t, why) => {
                if *t < self.input_wm {
                    return Err("Watermark must strictly-monotonically advance.".into());
                }
                self.move_watermark(*t, why.clone());
            }
            TestStreamEvent::AdvanceProcessingTime(d) => {
                if *d < 0 {
                    return Err("Must advance processing time by positive amount.".into());
                }
                self.clock_ms += d;
            }
            TestStreamEvent::AdvanceWatermarkToInfinity => {
                self.move_watermark(WATERMARK_INFINITY, "advance_watermark_to_infinity()".into())
            }
        }
        self.fire_timers();
        if *ev == TestStreamEvent::AdvanceWatermarkToInfinity
            && self.fidelity == Fidelity::PythonDirectRunner
            && self.output_wm < WATERMARK_INFINITY
            && self.error.is_none()
        {
            // A watermark hold that no pane will ever clear (Beam Python keeps the hold of
            // an element added after its window's on-time pane while the output watermark
            // is behind it): the DirectRunner's monitor sees watermarks that cannot complete.
            self.error = Some(STALL.into());
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn move_watermark(&mut self, t: i64, reason: String) {
        if t > self.input_wm {
            self.input_wm = t;
            self.watermarks.push(WatermarkStep {
                at_ms: self.clock_ms,
                watermark: t,
                reason,
            });
        }
    }

    fn key_index(&mut self, key: &Value) -> usize {
        if let Some(ix) = self.key_ix.get(key) {
            return *ix;
        }
        self.keys.push((key.clone(), KeyState::default()));
        self.holds.push(None);
        self.key_ix.insert(key.clone(), self.keys.len() - 1);
        self.keys.len() - 1
    }

    fn expired(&self, w: &TimeWindow) -> bool {
        let l = self.windowing.allowed_lateness_ms;
        match self.fidelity {
            Fidelity::PythonDirectRunner => self.input_wm > w.end.0.saturating_add(l),
            Fidelity::RunnersCore => w.max_timestamp().0.saturating_add(l) < self.input_wm,
        }
    }

    fn refresh_output_watermark(&mut self) {
        let hold = self.holds.iter().flatten().min().copied();
        self.output_wm = match hold {
            Some(h) => self.input_wm.min(h),
            None => self.input_wm,
        };
    }

    fn add_elements(&mut self, els: &[Element]) {
        self.refresh_output_watermark();
        // _StreamingGroupByKeyOnly: the bundle's elements by key, keys in first-seen order.
        let mut order: Vec<usize> = Vec::new();
        let mut by_key: BTreeMap<usize, Vec<Element>> = BTreeMap::new();
        let at = Time(self.clock_ms.max(0) as u64);
        let offsets: Vec<u64> = {
            let mut o: Vec<u64> = els.iter().map(|e| e.offset).collect();
            o.sort_unstable();
            o
        };
        // The bundle is delivered to the worker; its records belong to the bundle of this
        // instant (the ledger's "batch").
        self.ledger.received(0, &offsets, at);
        self.ledger.allocated(0, &offsets, at);
        for e in els {
            self.elements_in += 1;
            let ix = self.key_index(&e.key);
            if !by_key.contains_key(&ix) {
                order.push(ix);
            }
            by_key.entry(ix).or_default().push(e.clone());
        }
        for ix in order {
            let elems = by_key.remove(&ix).unwrap_or_default();
            self.process_elements(ix, &elems);
            self.holds[ix] = self.keys[ix].1.earliest_hold();
        }
    }

    /// `GeneralTriggerDriver.process_elements` for one key's elements of one bundle.
    fn process_elements(&mut self, ix: usize, elems: &[Element]) {
        let output_wm = self.output_wm;
        let input_wm = self.input_wm;
        let mut w2e: Vec<(TimeWindow, Vec<(Value, u64)>)> = Vec::new();
        for e in elems {
            let windows = match self.windowing.window_fn.assign(e.timestamp) {
                Ok(w) => w,
                Err(m) => {
                    self.error = Some(m);
                    return;
                }
            };
            let mut dropped = Vec::new();
            for w in windows {
                if self.expired(&w) {
                    dropped.push(w);
                    continue;
                }
                let ev = (e.value.clone(), e.offset);
                match w2e.iter_mut().find(|(x, _)| *x == w) {
                    Some((_, v)) => v.push(ev),
                    None => w2e.push((w, vec![ev])),
                }
            }
            if e.timestamp < input_wm || !dropped.is_empty() {
                let reason = (!dropped.is_empty()).then(|| {
                    format!(
                        "past allowed lateness ({} ms): the watermark passed the window's end + allowed lateness",
                        self.windowing.allowed_lateness_ms
                    )
                });
                self.late.push(LateRecord {
                    element: e.clone(),
                    at_ms: self.clock_ms,
                    watermark: input_wm,
                    behind_ms: (input_wm - e.timestamp).max(0),
                    dropped_from: dropped,
                    reason,
                });
            }
        }
        let key = self.keys[ix].0.clone();
        // Merging (sessions).
        let old: Vec<TimeWindow> = self.keys[ix].1.known_windows();
        let mut all = old.clone();
        for (w, _) in &w2e {
            if !all.contains(w) {
                all.push(*w);
            }
        }
        if all.len() != old.len() {
            let mut merged_away: BTreeMap<TimeWindow, TimeWindow> = BTreeMap::new();
            for (to_be_merged, result) in self.windowing.window_fn.merge(&all) {
                let st = &mut self.keys[ix].1;
                for w in &to_be_merged {
                    if *w != result {
                        merged_away.insert(*w, result);
                        st.clear_tag(w, INDEX);
                        st.clear_tag(w, NONSPECULATIVE_INDEX);
                        if let Some(v) = self.last_emitted.remove(&(key.clone(), *w)) {
                            self.pending_retractions
                                .entry((key.clone(), result))
                                .or_default()
                                .push((*w, v));
                        }
                        if let Some(p) = self.pending_retractions.remove(&(key.clone(), *w)) {
                            self.pending_retractions
                                .entry((key.clone(), result))
                                .or_default()
                                .extend(p);
                        }
                    }
                }
                st.merge(&to_be_merged, &result);
                let mut moved: Vec<(u64, u64)> = Vec::new();
                for w in to_be_merged.iter().filter(|w| **w != result) {
                    moved.extend(self.contents.remove(&(ix, *w)).unwrap_or_default());
                }
                if !moved.is_empty() {
                    let c = self.contents.entry((ix, result)).or_default();
                    c.extend(moved);
                    c.sort_unstable();
                }
                let mut ctx = Ctx {
                    st,
                    window: result,
                    prefix: TRIGGER_PREFIX.into(),
                    now: self.clock_ms,
                };
                self.windowing.trigger.on_merge(&to_be_merged, &mut ctx);
            }
            let mut remapped: Vec<(TimeWindow, Vec<(Value, u64)>)> = Vec::new();
            for (mut w, vals) in w2e {
                while let Some(r) = merged_away.get(&w) {
                    w = *r;
                }
                match remapped.iter_mut().find(|(x, _)| *x == w) {
                    Some((_, v)) => v.extend(vals),
                    None => remapped.push((w, vals)),
                }
            }
            w2e = remapped;
            for w in merged_away.keys() {
                self.keys[ix].1.clear_hold(w);
            }
        }
        let mut taken: std::collections::BTreeSet<u64> = Default::default();
        let mut finished_drop: std::collections::BTreeSet<u64> = Default::default();
        for (w, vals) in w2e {
            let st = &mut self.keys[ix].1;
            if st.get_tag(&w, TOMBSTONE, TagKind::Count) != 0 {
                // The trigger finished: Beam drops the window's later elements.
                self.dropped_finished += vals.len() as u64;
                finished_drop.extend(vals.iter().map(|(_, o)| *o));
                continue;
            }
            let c = self.contents.entry((ix, w)).or_default();
            for (_, o) in &vals {
                taken.insert(*o);
                self.seq += 1;
                c.push((self.seq, *o));
            }
            let st = &mut self.keys[ix].1;
            // OUTPUT_AT_EOW: the hold is `timestamp_combiner_impl.merge(window, ...)`, which
            // for a combiner that depends only on the window ignores its (filtered)
            // timestamps: every window that receives elements, late ones included, gets a
            // hold at its max timestamp. (So a late pane fired while that hold holds the
            // output watermark is timed EARLY, and an unfired late hold stalls the pipeline:
            // both as Beam Python 2.61 does.)
            // Java's `WatermarkHold.addHolds` holds only for data that is not late; the
            // runners-core fidelity does the same.
            if self.fidelity == Fidelity::PythonDirectRunner || w.max_timestamp().0 >= output_wm {
                st.add_hold(&w, w.max_timestamp().0);
            }
            let mut ctx = Ctx {
                st,
                window: w,
                prefix: TRIGGER_PREFIX.into(),
                now: self.clock_ms,
            };
            for (v, _) in vals {
                ctx.st.add_element(&w, v);
                self.windowing.trigger.on_element(&mut ctx);
            }
            if self
                .windowing
                .trigger
                .should_fire(Domain::Watermark, input_wm, &mut ctx)
            {
                let finished = self.windowing.trigger.on_fire(input_wm, &mut ctx);
                self.output(ix, w, finished, output_wm, false);
            }
        }
        // The ledger: a record taken into some window's state is committed with the
        // bundle (Dataflow commits a bundle's state changes and outputs atomically); one
        // that no window took is dropped, with why.
        let at = Time(self.clock_ms.max(0) as u64);
        for e in elems {
            if taken.contains(&e.offset) {
                self.ledger.output(0, &[e.offset]);
            } else {
                let why = if finished_drop.contains(&e.offset) {
                    "dropped: its window's trigger had finished (Beam's tombstone)".to_string()
                } else {
                    format!(
                        "dropped: past allowed lateness ({} ms) behind the watermark {}",
                        self.windowing.allowed_lateness_ms,
                        super::pane::instant(input_wm)
                    )
                };
                self.ledger.dropped(0, &[e.offset], at, &why);
            }
        }
    }

    fn fire_timers(&mut self) {
        for _ in 0..MAX_TIMER_ROUNDS {
            self.refresh_output_watermark();
            let mut fired = false;
            for ix in 0..self.keys.len() {
                let due = self.keys[ix]
                    .1
                    .take_due_timers(self.input_wm, self.clock_ms);
                for t in due {
                    fired = true;
                    self.process_timer(ix, &t);
                }
                self.holds[ix] = self.keys[ix].1.earliest_hold();
            }
            if !fired {
                self.refresh_output_watermark();
                return;
            }
        }
        self.error = Some(format!(
            "timers still due after {MAX_TIMER_ROUNDS} rounds (MAX_TIMER_ROUNDS): a trigger re-arms a due timer"
        ));
    }

    /// `GeneralTriggerDriver.process_timer`.
    fn process_timer(&mut self, ix: usize, t: &Timer) {
        let st = &mut self.keys[ix].1;
        let Some(w) = st.window_of(t.window_id) else {
            return;
        };
        if st.get_tag(&w, TOMBSTONE, TagKind::Count) != 0 {
            return;
        }
        let (wm, out_wm) = match (self.fidelity, t.domain) {
            (Fidelity::RunnersCore, Domain::RealTime) => (self.input_wm, self.output_wm),
            _ => (t.timestamp, t.timestamp),
        };
        let mut ctx = Ctx {
            st,
            window: w,
            prefix: TRIGGER_PREFIX.into(),
            now: self.clock_ms,
        };
        if self.windowing.trigger.should_fire(t.domain, wm, &mut ctx) {
            let finished = self.windowing.trigger.on_fire(wm, &mut ctx);
            self.output(ix, w, finished, out_wm, t.domain == Domain::Watermark);
        }
    }

    /// `GeneralTriggerDriver._output`: the pane's info, its values, state cleanup.
    fn output(
        &mut self,
        ix: usize,
        w: TimeWindow,
        finished: bool,
        output_wm: i64,
        maybe_ontime: bool,
    ) {
        let has_ontime = self.windowing.trigger.has_ontime_pane();
        let mode = self.windowing.accumulation_mode;
        let st = &mut self.keys[ix].1;
        let index = st.get_tag(&w, INDEX, TagKind::Count);
        st.add_tag(&w, INDEX, TagKind::Count, 1);
        let (timing, nonspeculative_index) = if output_wm <= w.max_timestamp().0 {
            let n = st.get_tag(&w, NONSPECULATIVE_INDEX, TagKind::Count);
            if n != 0 {
                // Python logs "Watermark moved backwards in time or late data moved window
                // end forward." and keeps counting.
                st.add_tag(&w, NONSPECULATIVE_INDEX, TagKind::Count, 1);
                (Timing::Early, n)
            } else {
                (Timing::Early, -1)
            }
        } else {
            let n = st.get_tag(&w, NONSPECULATIVE_INDEX, TagKind::Count);
            st.add_tag(&w, NONSPECULATIVE_INDEX, TagKind::Count, 1);
            let timing = if maybe_ontime && n == 0 {
                Timing::OnTime
            } else {
                Timing::Late
            };
            (timing, n)
        };
        let info = PaneInfo {
            is_first: index == 0,
            is_last: finished,
            timing,
            index,
            nonspeculative_index,
        };
        let values = st.elements(&w);
        if finished {
            st.clear_elements(&w);
            st.add_tag(&w, TOMBSTONE, TagKind::Count, 1);
        } else if mode == AccumulationMode::Discarding {
            st.clear_elements(&w);
        }
        let timestamp = match st.hold(&w) {
            None => w.max_timestamp().0,
            Some(h) => {
                if !(output_wm < w.end.0 && has_ontime) {
                    st.clear_hold(&w);
                }
                h
            }
        };
        let key = self.keys[ix].0.clone();
        let output = match self.combine.apply(&values) {
            Ok(v) => v,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let mut pane = Pane {
            key: key.clone(),
            window: w,
            values,
            output: output.clone(),
            timestamp,
            info,
            emitted_at_ms: self.clock_ms,
            input_watermark: self.input_wm,
            output_watermark: self.output_wm,
            retraction: false,
        };
        if mode == AccumulationMode::AccumulatingAndRetracting {
            let mut withdrawn: Vec<(TimeWindow, Value)> = self
                .pending_retractions
                .remove(&(key.clone(), w))
                .unwrap_or_default();
            if let Some(prev) = self.last_emitted.get(&(key.clone(), w)) {
                withdrawn.push((w, prev.clone()));
            }
            for (rw, v) in withdrawn {
                let mut r = pane.clone();
                r.window = rw;
                r.timestamp = rw.max_timestamp().0;
                r.output = v;
                r.values = Vec::new();
                r.retraction = true;
                self.panes.push(r);
            }
            self.last_emitted.insert((key, w), output);
        }
        pane.retraction = false;
        self.panes.push(pane);
    }

    // ---- the per-record ledger ----

    /// The per-record ledger of this runner (input 0 is the source; a record's id is its
    /// offset): `received` and `allocated` (the bundle's processing time) each time a bundle
    /// holding it is delivered, `outputs` each time a bundle commits it into a window's
    /// state, `dropped` when no window takes it (past allowed lateness, or the trigger had
    /// finished). The failure harness ([`super::watermark::run_with_failure`]) adjusts it
    /// for rolled-back bundles and lost state.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Puts `earlier` (panes a sink received from a run that died) before this runner's
    /// panes: the failure harness's runner restarted without state still shows what the
    /// sink holds.
    pub fn prepend_panes(&mut self, earlier: Vec<Pane>) {
        let mut all = earlier;
        all.append(&mut self.panes);
        self.panes = all;
    }

    /// Replaces the ledger (the failure harness carries the failed worker's record history
    /// over to the restored runner).
    pub fn set_ledger(&mut self, ledger: Ledger) {
        self.ledger = ledger;
    }

    /// The offsets of the records the state holds now, per key and window (sorted by
    /// window, then key), each list in arrival order: what a worker that keeps its state
    /// only in memory loses when it dies. Windows past their allowed lateness are left out:
    /// their answers are final (Beam's garbage-collection timer clears their state).
    pub fn records_in_state(&self) -> Vec<(Value, TimeWindow, Vec<u64>)> {
        let mut out = Vec::new();
        for ((ix, w), c) in &self.contents {
            let n = self.keys[*ix].1.element_count(w);
            if n == 0 || self.expired(w) {
                continue;
            }
            let held: Vec<u64> = c[c.len().saturating_sub(n)..]
                .iter()
                .map(|(_, o)| *o)
                .collect();
            out.push((self.keys[*ix].0.clone(), *w, held));
        }
        out.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        out
    }

    // ---- inspection (read-only) ----

    /// Every pane emitted so far, in emission order.
    pub fn panes(&self) -> &[Pane] {
        &self.panes
    }

    /// The panes of one window (all keys), in emission order.
    pub fn panes_of(&self, w: &TimeWindow) -> Vec<&Pane> {
        self.panes.iter().filter(|p| p.window == *w).collect()
    }

    /// Each move of the input watermark, with its processing time and reason.
    pub fn watermark_history(&self) -> &[WatermarkStep] {
        &self.watermarks
    }

    /// Elements that arrived behind the watermark (kept or dropped), in arrival order.
    pub fn late_records(&self) -> &[LateRecord] {
        &self.late
    }

    /// Elements dropped from at least one window (past allowed lateness, or a finished
    /// trigger).
    pub fn dropped_records(&self) -> Vec<&LateRecord> {
        self.late
            .iter()
            .filter(|l| !l.dropped_from.is_empty())
            .collect()
    }

    /// Element-window pairs dropped because the window's trigger had finished (Python's
    /// tombstone).
    pub fn dropped_after_finish(&self) -> u64 {
        self.dropped_finished
    }

    /// The runner's processing-time clock, virtual ms.
    pub fn clock_ms(&self) -> i64 {
        self.clock_ms
    }

    /// The GroupAlsoByWindow step's input watermark, event-time ms.
    pub fn input_watermark(&self) -> i64 {
        self.input_wm
    }

    /// Its output watermark (held back by windows still waiting for their on-time pane).
    pub fn output_watermark(&self) -> i64 {
        self.output_wm
    }

    /// Elements received.
    pub fn elements_in(&self) -> u64 {
        self.elements_in
    }

    /// The windowing this runner applies.
    pub fn windowing(&self) -> &Windowing {
        &self.windowing
    }

    /// The per-key computation.
    pub fn combine(&self) -> &CombineFn {
        &self.combine
    }

    /// Per key, each window with state: buffered element count and pending timers
    /// (name, domain, timestamp).
    pub fn state_summary(&self) -> Vec<(Value, TimeWindow, usize, Vec<Timer>)> {
        let mut out = Vec::new();
        for (k, st) in &self.keys {
            let timers = st.pending_timers();
            for w in st.known_windows() {
                let ts: Vec<Timer> = timers
                    .iter()
                    .filter(|t| st.window_of(t.window_id) == Some(w))
                    .cloned()
                    .collect();
                out.push((k.clone(), w, st.element_count(&w), ts));
            }
        }
        out
    }
}
