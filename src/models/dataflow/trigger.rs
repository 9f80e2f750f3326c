//! Triggers: when a window's pane fires. A transcription of Beam Python's `TriggerFn`s in
//! `apache_beam/transforms/trigger.py` (the code the oracle, the Python DirectRunner, runs),
//! which are the Python twins of Java's runners-core state machines
//! (`runners/core-java/.../triggers/`): `DefaultTrigger` = `DefaultTriggerStateMachine`,
//! `AfterWatermark` = `AfterWatermarkStateMachine` (early and late firings),
//! `AfterProcessingTime` = `AfterProcessingTimeStateMachine`, `AfterCount` =
//! `AfterPaneStateMachine`, `Repeatedly` = `RepeatedlyStateMachine`, `AfterAny` =
//! `AfterFirstStateMachine`, `AfterAll` = `AfterAllStateMachine`, `AfterEach` =
//! `AfterEachStateMachine`.
//!
//! Each trigger answers four questions about one window of one key: `on_element` (an element
//! arrived: count it, set timers), `on_merge` (sessions merged into this window),
//! `should_fire` (at a watermark or timer), `on_fire` (it fired: returns whether the trigger
//! is finished). State lives in [`KeyState`] under names prefixed by the trigger's position
//! (`early`, `late`, `0/`, `1/`), as Python's `NestedContext` does.

use super::state::{Domain, KeyState, TagKind};
use crate::event_time::TimeWindow;
use std::fmt;

/// A trigger (Beam Python's `TriggerFn` subclasses).
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// `DefaultTrigger()`: fires when the watermark passes the end of the window, and again
    /// for every late element (semantically `Repeatedly(AfterWatermark())`).
    Default,
    /// `AfterWatermark(early=..., late=...)`: early firings (repeated) before the watermark
    /// passes the end of the window, the on-time firing, late firings (repeated) after.
    AfterWatermark {
        /// The early trigger, already wrapped in `Repeatedly` as Python does.
        early: Option<Box<Trigger>>,
        /// The late trigger, wrapped in `Repeatedly`.
        late: Option<Box<Trigger>>,
    },
    /// `AfterProcessingTime(delay)`: fires once, `delay_ms` of processing time after the
    /// first element of the pane.
    AfterProcessingTime {
        /// Delay in processing-time ms (Python takes seconds).
        delay_ms: i64,
    },
    /// `AfterCount(n)`: fires once the pane holds at least `n` elements.
    AfterCount(i64),
    /// `Repeatedly(t)`: fires whenever `t` does and never finishes.
    Repeatedly(Box<Trigger>),
    /// `AfterAny(t1, t2, ...)`: fires when any fires; finishes when any finishes.
    AfterAny(Vec<Trigger>),
    /// `AfterAll(t1, t2, ...)`: fires when all would fire; finishes when all finish.
    AfterAll(Vec<Trigger>),
    /// `AfterEach(t1, t2, ...)`: each in turn.
    AfterEach(Vec<Trigger>),
    /// `Always()`: fires on every element (Python's batch trigger).
    Always,
    /// `_Never()`: never fires (only the end of input flushes).
    Never,
}

/// The window, state and clock a trigger sees (`TriggerContext` / `NestedContext`).
pub struct Ctx<'a> {
    /// The key's state.
    pub st: &'a mut KeyState,
    /// The window being triggered.
    pub window: TimeWindow,
    /// Name prefix of this trigger's state and timers.
    pub prefix: String,
    /// The runner's processing-time clock, ms.
    pub now: i64,
}

impl Ctx<'_> {
    /// The context of a sub-trigger (`NestedContext(context, prefix)`).
    pub fn nest(&mut self, p: &str) -> Ctx<'_> {
        Ctx {
            st: self.st,
            window: self.window,
            prefix: format!("{}{p}", self.prefix),
            now: self.now,
        }
    }

    fn set_timer(&mut self, name: &str, domain: Domain, t: i64) {
        let n = format!("{}{name}", self.prefix);
        self.st.set_timer(&self.window, &n, domain, t);
    }

    fn clear_timer(&mut self, name: &str, domain: Domain) {
        let n = format!("{}{name}", self.prefix);
        self.st.clear_timer(&self.window, &n, domain);
    }

    fn add(&mut self, tag: &str, kind: TagKind, v: i64) {
        let n = format!("{}{tag}", self.prefix);
        self.st.add_tag(&self.window, &n, kind, v);
    }

    fn get(&self, tag: &str, kind: TagKind) -> i64 {
        let n = format!("{}{tag}", self.prefix);
        self.st.get_tag(&self.window, &n, kind)
    }

    fn clear(&mut self, tag: &str) {
        let n = format!("{}{tag}", self.prefix);
        self.st.clear_tag(&self.window, &n);
    }
}

const LATE_TAG: &str = "is_late";
const COUNT_TAG: &str = "count";
const HAS_TIMER_TAG: &str = "has_timer";
const INDEX_TAG: &str = "index";

impl Trigger {
    /// `AfterWatermark(early, late)` with Python's wrapping of both in `Repeatedly`.
    pub fn after_watermark(early: Option<Trigger>, late: Option<Trigger>) -> Trigger {
        Trigger::AfterWatermark {
            early: early.map(|t| Box::new(Trigger::Repeatedly(Box::new(t)))),
            late: late.map(|t| Box::new(Trigger::Repeatedly(Box::new(t)))),
        }
    }

    fn is_late(late: &Option<Box<Trigger>>, ctx: &Ctx<'_>) -> bool {
        late.is_some() && ctx.get(LATE_TAG, TagKind::Max) != 0
    }

    /// `on_element`: an element of `ctx.window` arrived.
    pub fn on_element(&self, ctx: &mut Ctx<'_>) {
        match self {
            Trigger::Default => {
                let end = ctx.window.end.0;
                let name = ctx.window.to_string();
                ctx.set_timer(&name, Domain::Watermark, end);
            }
            Trigger::AfterWatermark { early, late } => {
                if Trigger::is_late(late, ctx) {
                    if let Some(l) = late {
                        l.on_element(&mut ctx.nest("late"));
                    }
                } else {
                    let end = ctx.window.end.0;
                    ctx.set_timer("", Domain::Watermark, end);
                    if let Some(e) = early {
                        e.on_element(&mut ctx.nest("early"));
                    }
                }
            }
            Trigger::AfterProcessingTime { delay_ms } => {
                if ctx.get(HAS_TIMER_TAG, TagKind::Max) == 0 {
                    let t = ctx.now + delay_ms;
                    ctx.set_timer("", Domain::RealTime, t);
                }
                ctx.add(HAS_TIMER_TAG, TagKind::Max, 1);
            }
            Trigger::AfterCount(_) => ctx.add(COUNT_TAG, TagKind::Count, 1),
            Trigger::Repeatedly(t) => t.on_element(ctx),
            Trigger::AfterAny(ts) | Trigger::AfterAll(ts) => {
                for (ix, t) in ts.iter().enumerate() {
                    t.on_element(&mut ctx.nest(&format!("{ix}/")));
                }
            }
            Trigger::AfterEach(ts) => {
                let ix = ctx.get(INDEX_TAG, TagKind::Max) as usize;
                if let Some(t) = ts.get(ix) {
                    t.on_element(&mut ctx.nest(&format!("{ix}/")));
                }
            }
            Trigger::Always | Trigger::Never => {}
        }
    }

    /// `on_merge`: the windows `to_be_merged` became `ctx.window`.
    pub fn on_merge(&self, to_be_merged: &[TimeWindow], ctx: &mut Ctx<'_>) {
        match self {
            Trigger::Default => {
                for w in to_be_merged {
                    let name = w.to_string();
                    ctx.clear_timer(&name, Domain::Watermark);
                }
            }
            Trigger::AfterWatermark { early, late } => {
                if Trigger::is_late(late, ctx) {
                    if let Some(l) = late {
                        l.on_merge(to_be_merged, &mut ctx.nest("late"));
                    }
                } else {
                    for w in to_be_merged {
                        if w.end != ctx.window.end {
                            ctx.clear_timer("", Domain::Watermark);
                        }
                    }
                    if let Some(e) = early {
                        e.on_merge(to_be_merged, &mut ctx.nest("early"));
                    }
                }
            }
            Trigger::Repeatedly(t) => t.on_merge(to_be_merged, ctx),
            Trigger::AfterAny(ts) | Trigger::AfterAll(ts) => {
                for (ix, t) in ts.iter().enumerate() {
                    t.on_merge(to_be_merged, &mut ctx.nest(&format!("{ix}/")));
                }
            }
            Trigger::AfterEach(ts) => {
                let ix = ctx.get(INDEX_TAG, TagKind::Max) as usize;
                if let Some(t) = ts.get(ix) {
                    t.on_merge(to_be_merged, &mut ctx.nest(&format!("{ix}/")));
                }
            }
            Trigger::AfterProcessingTime { .. }
            | Trigger::AfterCount(_)
            | Trigger::Always
            | Trigger::Never => {}
        }
    }

    /// `should_fire` at `watermark` (for a processing-time timer Python passes the timer's
    /// timestamp here, and so do we in the Python-fidelity mode).
    pub fn should_fire(&self, domain: Domain, watermark: i64, ctx: &mut Ctx<'_>) -> bool {
        match self {
            Trigger::Default => {
                if watermark >= ctx.window.end.0 {
                    let name = ctx.window.to_string();
                    ctx.clear_timer(&name, Domain::Watermark);
                }
                watermark >= ctx.window.end.0
            }
            Trigger::AfterWatermark { early, late } => {
                if Trigger::is_late(late, ctx) {
                    late.as_ref()
                        .is_some_and(|l| l.should_fire(domain, watermark, &mut ctx.nest("late")))
                } else if watermark >= ctx.window.end.0 {
                    ctx.clear_timer("", Domain::Watermark);
                    true
                } else if let Some(e) = early {
                    e.should_fire(domain, watermark, &mut ctx.nest("early"))
                } else {
                    false
                }
            }
            Trigger::AfterProcessingTime { .. } => domain == Domain::RealTime,
            Trigger::AfterCount(n) => ctx.get(COUNT_TAG, TagKind::Count) >= *n,
            Trigger::Repeatedly(t) => t.should_fire(domain, watermark, ctx),
            Trigger::AfterAny(ts) => {
                // Python's any() over a generator: stops at the first true sub-trigger.
                for (ix, t) in ts.iter().enumerate() {
                    if t.should_fire(domain, watermark, &mut ctx.nest(&format!("{ix}/"))) {
                        return true;
                    }
                }
                false
            }
            Trigger::AfterAll(ts) => {
                for (ix, t) in ts.iter().enumerate() {
                    if !t.should_fire(domain, watermark, &mut ctx.nest(&format!("{ix}/"))) {
                        return false;
                    }
                }
                true
            }
            Trigger::AfterEach(ts) => {
                let ix = ctx.get(INDEX_TAG, TagKind::Max) as usize;
                match ts.get(ix) {
                    Some(t) => t.should_fire(domain, watermark, &mut ctx.nest(&format!("{ix}/"))),
                    None => false,
                }
            }
            Trigger::Always => true,
            Trigger::Never => false,
        }
    }

    /// `on_fire`: the pane fired at `watermark`; returns whether the trigger finished.
    pub fn on_fire(&self, watermark: i64, ctx: &mut Ctx<'_>) -> bool {
        match self {
            Trigger::Default => false,
            Trigger::AfterWatermark { early, late } => {
                if Trigger::is_late(late, ctx) {
                    late.as_ref()
                        .is_some_and(|l| l.on_fire(watermark, &mut ctx.nest("late")))
                } else if watermark >= ctx.window.end.0 {
                    ctx.add(LATE_TAG, TagKind::Max, 1);
                    late.is_none()
                } else {
                    if let Some(e) = early {
                        e.on_fire(watermark, &mut ctx.nest("early"));
                    }
                    false
                }
            }
            Trigger::AfterProcessingTime { .. } | Trigger::AfterCount(_) => true,
            Trigger::Repeatedly(t) => {
                if t.on_fire(watermark, ctx) {
                    t.reset(ctx);
                }
                false
            }
            Trigger::AfterAny(ts) | Trigger::AfterAll(ts) => {
                let mut finished = Vec::new();
                for (ix, t) in ts.iter().enumerate() {
                    let mut sub = ctx.nest(&format!("{ix}/"));
                    if t.should_fire(Domain::Watermark, watermark, &mut sub) {
                        finished.push(t.on_fire(watermark, &mut sub));
                    }
                }
                match self {
                    Trigger::AfterAny(_) => finished.iter().any(|f| *f),
                    _ => finished.iter().all(|f| *f),
                }
            }
            Trigger::AfterEach(ts) => {
                let mut ix = ctx.get(INDEX_TAG, TagKind::Max) as usize;
                if let Some(t) = ts.get(ix) {
                    if t.on_fire(watermark, &mut ctx.nest(&format!("{ix}/"))) {
                        ix += 1;
                        ctx.add(INDEX_TAG, TagKind::Max, ix as i64);
                    }
                    ix == ts.len()
                } else {
                    false
                }
            }
            Trigger::Always => false,
            Trigger::Never => true,
        }
    }

    /// `reset`: clears the trigger's state for the window.
    pub fn reset(&self, ctx: &mut Ctx<'_>) {
        match self {
            Trigger::Default => {
                let name = ctx.window.to_string();
                ctx.clear_timer(&name, Domain::Watermark);
            }
            Trigger::AfterWatermark { early, late } => {
                if late.is_some() {
                    ctx.clear(LATE_TAG);
                }
                if let Some(e) = early {
                    e.reset(&mut ctx.nest("early"));
                }
                if let Some(l) = late {
                    l.reset(&mut ctx.nest("late"));
                }
            }
            Trigger::AfterProcessingTime { .. } => ctx.clear(HAS_TIMER_TAG),
            Trigger::AfterCount(_) => ctx.clear(COUNT_TAG),
            Trigger::Repeatedly(t) => t.reset(ctx),
            Trigger::AfterAny(ts) | Trigger::AfterAll(ts) => {
                for (ix, t) in ts.iter().enumerate() {
                    t.reset(&mut ctx.nest(&format!("{ix}/")));
                }
            }
            Trigger::AfterEach(ts) => {
                ctx.clear(INDEX_TAG);
                for (ix, t) in ts.iter().enumerate() {
                    t.reset(&mut ctx.nest(&format!("{ix}/")));
                }
            }
            Trigger::Always | Trigger::Never => {}
        }
    }

    /// `has_ontime_pane`: whether the trigger fires when the watermark passes the window.
    pub fn has_ontime_pane(&self) -> bool {
        match self {
            Trigger::Default | Trigger::AfterWatermark { .. } => true,
            Trigger::AfterProcessingTime { .. }
            | Trigger::AfterCount(_)
            | Trigger::Always
            | Trigger::Never => false,
            Trigger::Repeatedly(t) => t.has_ontime_pane(),
            Trigger::AfterAny(ts) | Trigger::AfterAll(ts) | Trigger::AfterEach(ts) => {
                ts.iter().any(Trigger::has_ontime_pane)
            }
        }
    }

    /// `may_lose_data(windowing)` reduced to Python's `MAY_FINISH` test: true when the
    /// trigger may finish, after which a window's later data is dropped. `GroupByKey`
    /// refuses such "unsafe" triggers unless `--allow_unsafe_triggers` is given.
    pub fn may_finish(&self, allowed_lateness_ms: i64) -> bool {
        match self {
            Trigger::Default | Trigger::Repeatedly(_) | Trigger::Always => false,
            Trigger::AfterWatermark { late, .. } => {
                if allowed_lateness_ms == 0 {
                    false
                } else {
                    match late {
                        None => true,
                        Some(l) => l.may_finish(allowed_lateness_ms),
                    }
                }
            }
            Trigger::AfterProcessingTime { .. } | Trigger::AfterCount(_) => true,
            Trigger::Never => false,
            Trigger::AfterAny(ts) => ts.iter().any(|t| t.may_finish(allowed_lateness_ms)),
            Trigger::AfterAll(ts) | Trigger::AfterEach(ts) => {
                ts.iter().all(|t| t.may_finish(allowed_lateness_ms))
            }
        }
    }
}

/// Beam Python's `repr`: `AfterWatermark(early=AfterProcessingTime(delay=60), late=AfterCount(1))`.
impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |ts: &[Trigger]| {
            ts.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let inner = |t: &Trigger| match t {
            Trigger::Repeatedly(u) => u.to_string(),
            other => other.to_string(),
        };
        match self {
            Trigger::Default => write!(f, "DefaultTrigger()"),
            Trigger::AfterWatermark { early, late } => {
                let mut q = Vec::new();
                if let Some(e) = early {
                    q.push(format!("early={}", inner(e)));
                }
                if let Some(l) = late {
                    q.push(format!("late={}", inner(l)));
                }
                write!(f, "AfterWatermark({})", q.join(", "))
            }
            Trigger::AfterProcessingTime { delay_ms } => {
                write!(f, "AfterProcessingTime(delay={})", delay_ms / 1000)
            }
            Trigger::AfterCount(n) => write!(f, "AfterCount({n})"),
            Trigger::Repeatedly(t) => write!(f, "Repeatedly({t})"),
            Trigger::AfterAny(ts) => write!(f, "AfterAny({})", list(ts)),
            Trigger::AfterAll(ts) => write!(f, "AfterAll({})", list(ts)),
            Trigger::AfterEach(ts) => write!(f, "AfterEach({})", list(ts)),
            Trigger::Always => write!(f, "Always()"),
            Trigger::Never => write!(f, "_Never()"),
        }
    }
}
