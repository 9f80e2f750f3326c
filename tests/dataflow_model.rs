//! Rules of the Dataflow model that the Beam oracle cannot show: the accumulating &
//! retracting mode (declared in Beam, run by no runner) checked against Table 2-1 of
//! "Streaming Systems" / the accumulation-modes table of "Streaming 102"; the runners-core
//! fidelity; watermark estimators; recovery after a failure; bad pipelines' positioned
//! errors.

use stream_sim::event_time::TimeWindow;
use stream_sim::models::dataflow::watermark::{
    run_with_failure, test_stream_events, Arrival, WatermarkEstimator,
};
use stream_sim::models::dataflow::{
    AccumulationMode, CombineFn, DirectRunner, Element, Fidelity, TestStreamEvent, Timing, Trigger,
    WindowFn, Windowing,
};
use stream_sim::value::Value;

const MIN: i64 = 60_000;

fn el(v: i64, t: i64) -> TestStreamEvent {
    TestStreamEvent::AddElements(vec![Element {
        key: Value::str("TeamX"),
        value: Value::Int(v),
        timestamp: t,
        offset: 0,
    }])
}

fn wm(t: i64) -> TestStreamEvent {
    TestStreamEvent::AdvanceWatermarkTo(t, "test".into())
}

fn pt(d: i64) -> TestStreamEvent {
    TestStreamEvent::AdvanceProcessingTime(d)
}

/// Table 2-1: one window [12:06, 12:08) gets 3 (an early pane), then 8 and 1 (the
/// on-time pane), then 4 (a late pane). Early firings 1 minute after the first element,
/// late firings per element.
fn table_2_1(mode: AccumulationMode) -> Vec<(i64, bool, Timing)> {
    let w0 = 12 * 60 * MIN;
    let windowing = Windowing {
        window_fn: WindowFn::Fixed {
            size_ms: 2 * MIN,
            offset_ms: 0,
        },
        trigger: Trigger::after_watermark(
            Some(Trigger::AfterProcessingTime { delay_ms: MIN }),
            Some(Trigger::AfterCount(1)),
        ),
        accumulation_mode: mode,
        allowed_lateness_ms: 60 * MIN,
    };
    let mut r = DirectRunner::new(windowing, CombineFn::Sum, Fidelity::RunnersCore);
    for ev in [
        wm(w0 + 6 * MIN),
        el(3, w0 + 6 * MIN + 39_000),
        pt(MIN),
        el(8, w0 + 7 * MIN + 26_000),
        el(1, w0 + 7 * MIN + 46_000),
        wm(w0 + 8 * MIN),
        el(4, w0 + 7 * MIN + 1000),
        TestStreamEvent::AdvanceWatermarkToInfinity,
    ] {
        r.apply(&ev).unwrap();
    }
    r.panes()
        .iter()
        .map(|p| {
            let Value::Int(v) = p.output else {
                panic!("sum")
            };
            (v, p.retraction, p.info.timing)
        })
        .collect()
}

/// The three columns of Table 2-1, including the sums: discarding 16, accumulating 31,
/// accumulating & retracting 16 (= the final value).
#[test]
fn table_2_1_accumulation_modes() {
    use Timing::*;
    let d = table_2_1(AccumulationMode::Discarding);
    assert_eq!(d, [(3, false, Early), (9, false, OnTime), (4, false, Late)]);
    let a = table_2_1(AccumulationMode::Accumulating);
    assert_eq!(
        a,
        [(3, false, Early), (12, false, OnTime), (16, false, Late)]
    );
    let r = table_2_1(AccumulationMode::AccumulatingAndRetracting);
    assert_eq!(
        r,
        [
            (3, false, Early),
            (3, true, OnTime),
            (12, false, OnTime),
            (12, true, Late),
            (16, false, Late)
        ]
    );
    let sum = |v: &[(i64, bool, Timing)]| -> i64 {
        v.iter().map(|(x, neg, _)| if *neg { -x } else { *x }).sum()
    };
    assert_eq!((sum(&d), sum(&a), sum(&r)), (16, 31, 16));
}

/// Sessions under accumulating & retracting: when late data merges two sessions, both
/// sessions' last answers are withdrawn before the merged session's answer, so the net sum
/// per key always equals the accumulating answers of the surviving sessions.
#[test]
fn merged_sessions_retract_their_old_answers() {
    let windowing = |mode| Windowing {
        window_fn: WindowFn::Sessions { gap_ms: MIN },
        trigger: Trigger::after_watermark(None, Some(Trigger::AfterCount(1))),
        accumulation_mode: mode,
        allowed_lateness_ms: 60 * MIN,
    };
    let events = [
        el(5, 0),
        el(7, 90_000),
        wm(3 * MIN),
        // Late, and between the two sessions: merges [0, 60s) and [90s, 150s).
        el(9, 45_000),
        TestStreamEvent::AdvanceWatermarkToInfinity,
    ];
    let mut r = DirectRunner::new(
        windowing(AccumulationMode::AccumulatingAndRetracting),
        CombineFn::Sum,
        Fidelity::RunnersCore,
    );
    for e in &events {
        r.apply(e).unwrap();
    }
    let lines: Vec<(TimeWindow, i64, bool)> = r
        .panes()
        .iter()
        .map(|p| {
            let Value::Int(v) = p.output else { panic!() };
            (p.window, v, p.retraction)
        })
        .collect();
    assert_eq!(
        lines,
        [
            (TimeWindow::new(0, MIN), 5, false),
            (TimeWindow::new(90_000, 150_000), 7, false),
            (TimeWindow::new(0, MIN), 5, true),
            (TimeWindow::new(90_000, 150_000), 7, true),
            (TimeWindow::new(0, 150_000), 21, false),
        ]
    );
    let net: i64 = lines
        .iter()
        .map(|(_, v, neg)| if *neg { -v } else { *v })
        .sum();
    assert_eq!(net, 21);
}

/// Runners-core fidelity: a pane fired by processing time after the watermark passed the
/// window is LATE (Java's PaneInfoTracker), where Beam Python calls it EARLY because it
/// compares the timer's processing time with the window's end.
#[test]
fn runners_core_times_processing_time_panes_against_the_watermark() {
    let run = |fidelity| {
        let windowing = Windowing {
            window_fn: WindowFn::Fixed {
                size_ms: 2 * MIN,
                offset_ms: 0,
            },
            trigger: Trigger::after_watermark(
                None,
                Some(Trigger::AfterProcessingTime { delay_ms: 10_000 }),
            ),
            accumulation_mode: AccumulationMode::Accumulating,
            allowed_lateness_ms: 60 * MIN,
        };
        let mut r = DirectRunner::new(windowing, CombineFn::Sum, fidelity);
        let t0 = 12 * 60 * MIN;
        for e in [el(1, t0), wm(t0 + 5 * MIN), el(2, t0 + 1000), pt(10_000)] {
            r.apply(&e).unwrap();
        }
        r.panes().iter().map(|p| p.info.timing).collect::<Vec<_>>()
    };
    assert_eq!(run(Fidelity::RunnersCore), [Timing::OnTime, Timing::Late]);
    assert_eq!(
        run(Fidelity::PythonDirectRunner),
        [Timing::OnTime, Timing::Early]
    );
}

fn arrivals() -> Vec<Arrival> {
    // Event times 0..10 minutes; every third record arrives 4 minutes late.
    (0..30)
        .map(|i| {
            let t = i * 20_000;
            let delay = if i % 3 == 0 { 4 * MIN } else { 0 };
            (t + delay, t)
        })
        .map(|(at, t)| Arrival {
            at_ms: at / 60,
            element: Element {
                key: Value::str("k"),
                value: Value::Int(1),
                timestamp: t,
                offset: 0,
            },
        })
        .collect::<Vec<_>>()
}

fn sorted(mut a: Vec<Arrival>) -> Vec<Arrival> {
    a.sort_by_key(|x| x.at_ms);
    a
}

/// A perfect watermark makes no record late; a heuristic one that allows less than the
/// real delay makes the delayed records late, and they are dropped without allowed
/// lateness.
#[test]
fn perfect_and_heuristic_watermarks() {
    let a = sorted(arrivals());
    let windowing = Windowing {
        window_fn: WindowFn::Fixed {
            size_ms: MIN,
            offset_ms: 0,
        },
        trigger: Trigger::Default,
        accumulation_mode: AccumulationMode::Discarding,
        allowed_lateness_ms: 0,
    };
    let run = |est: WatermarkEstimator| {
        let mut r = DirectRunner::new(windowing.clone(), CombineFn::Count, Fidelity::RunnersCore);
        for e in test_stream_events(&a, &est, 500) {
            r.apply(&e).unwrap();
        }
        r
    };
    let perfect = run(WatermarkEstimator::Perfect);
    assert!(perfect.late_records().is_empty());
    let total: i64 = perfect
        .panes()
        .iter()
        .map(|p| if let Value::Int(n) = p.output { n } else { 0 })
        .sum();
    assert_eq!(total, 30);
    let heuristic = run(WatermarkEstimator::BoundedOutOfOrderness { max_delay_ms: MIN });
    assert!(!heuristic.late_records().is_empty());
    assert!(
        heuristic.dropped_records().len() >= 5,
        "{}",
        heuristic.dropped_records().len()
    );
    let h = heuristic.watermark_history();
    assert!(h[..h.len() - 1]
        .iter()
        .all(|s| s.reason.starts_with("heuristic")));
    assert_eq!(h[h.len() - 1].reason, "advance_watermark_to_infinity()");
}

/// Checkpointed state and a replayable source give, after a failure, exactly the panes of
/// the run without it; state kept only in memory loses counts.
#[test]
fn recovery_from_checkpointed_state_is_exactly_once() {
    let a = sorted(arrivals());
    let windowing = Windowing {
        window_fn: WindowFn::Fixed {
            size_ms: 5 * MIN,
            offset_ms: 0,
        },
        trigger: Trigger::after_watermark(None, Some(Trigger::AfterCount(1))),
        accumulation_mode: AccumulationMode::Accumulating,
        allowed_lateness_ms: 60 * MIN,
    };
    let events = test_stream_events(&a, &WatermarkEstimator::Perfect, 500);
    let fresh = DirectRunner::new(windowing, CombineFn::Count, Fidelity::RunnersCore);
    let mut reference = fresh.clone();
    for e in &events {
        reference.apply(e).unwrap();
    }
    let answers = |r: &DirectRunner| {
        let mut v: Vec<String> = r
            .panes()
            .iter()
            .map(|p| format!("{:?} {} {}", p.window, p.info.index, p.output))
            .collect();
        v.sort();
        v
    };
    let (ok, rep) = run_with_failure(fresh.clone(), &events, 4000, 2000, 1000, true).unwrap();
    assert_eq!(answers(&ok), answers(&reference));
    assert!(rep.bundles_replayed > 0);
    let (lossy, _) = run_with_failure(fresh, &events, 4000, 2000, 1000, false).unwrap();
    assert_ne!(answers(&lossy), answers(&reference));
}

/// The Streaming 102 team-score example (Beam's fixture
/// team-early-late-heuristic-accumulating: early firings every minute of processing time,
/// the heuristic watermark, a late firing per late score) in accumulating & retracting
/// mode, which no Beam runner executes: its panes are the accumulating panes the oracle
/// recorded, each one after a window's first preceded by the retraction of the window's
/// previous answer; the net sum is the 48 points scored. The listing prints retractions
/// as such (`TeamX:-5 ... retraction`).
#[test]
fn team_score_accumulating_and_retracting() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dataflow/team-early-late-heuristic-accumulating.json");
    let case: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ms = |j: &serde_json::Value| (j.as_f64().unwrap() * 1000.0).round() as i64;
    let mut events = Vec::new();
    for ev in case["events"].as_array().unwrap() {
        events.push(match ev[0].as_str().unwrap() {
            "add" => TestStreamEvent::AddElements(
                ev[1]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| Element {
                        key: Value::str(e[0].as_str().unwrap()),
                        value: Value::Int(e[1].as_i64().unwrap()),
                        timestamp: ms(&e[2]),
                        offset: 0,
                    })
                    .collect(),
            ),
            "wm" => wm(ms(&ev[1])),
            "pt" => pt(ms(&ev[1])),
            _ => TestStreamEvent::AdvanceWatermarkToInfinity,
        });
    }
    let text = case["pipeline"]
        .as_str()
        .unwrap()
        .replace("ACCUMULATING,", "ACCUMULATING_AND_RETRACTING,");
    let built = stream_sim::scenario::dataflow::pipeline::build(&text, false).unwrap();
    assert_eq!(
        built.windowing.accumulation_mode,
        AccumulationMode::AccumulatingAndRetracting
    );
    let mut r = DirectRunner::new(built.windowing, built.combine, Fidelity::PythonDirectRunner);
    for e in &events {
        r.apply(e).unwrap();
    }
    let panes = r.panes();
    // The non-retractions are the oracle's accumulating panes, in order.
    let oracle: Vec<(i64, i64, i64)> = case["panes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["window"][0].as_i64().unwrap(),
                p["index"].as_i64().unwrap(),
                p["value"].as_i64().unwrap(),
            )
        })
        .collect();
    let ours: Vec<(i64, i64, i64)> = panes
        .iter()
        .filter(|p| !p.retraction)
        .map(|p| (p.window.start.0, p.info.index, p.output.as_int().unwrap()))
        .collect();
    assert_eq!(ours, oracle);
    // Each retraction withdraws the window's previous answer, just before its next one.
    let mut last: std::collections::BTreeMap<i64, i64> = Default::default();
    for (i, p) in panes.iter().enumerate() {
        let v = p.output.as_int().unwrap();
        if p.retraction {
            assert_eq!(last.get(&p.window.start.0), Some(&v), "pane {i}");
            let next = &panes[i + 1];
            assert!(!next.retraction && next.window == p.window);
        } else {
            let had = last.insert(p.window.start.0, v);
            assert_eq!(had.is_some(), i > 0 && panes[i - 1].retraction, "pane {i}");
        }
    }
    let net: i64 = panes
        .iter()
        .map(|p| p.output.as_int().unwrap() * if p.retraction { -1 } else { 1 })
        .sum();
    assert_eq!(net, 48);
    let first_window: Vec<String> = panes
        .iter()
        .filter(|p| p.window.start.0 == 43_200_000)
        .map(|p| p.to_string())
        .collect();
    assert_eq!(
        first_window,
        [
            "[12:00:00, 12:02:00): TeamX:5 12:01:59.999 EARLY   index=0 isFirst  (emitted at 6min, watermark 12:00:00)",
            "[12:00:00, 12:02:00): TeamX:-5 12:01:59.999 ON_TIME index=1 onTimeIndex=0 retraction  (emitted at 6min, watermark 12:02:00)",
            "[12:00:00, 12:02:00): TeamX:5 12:01:59.999 ON_TIME index=1 onTimeIndex=0  (emitted at 6min, watermark 12:02:00)",
            "[12:00:00, 12:02:00): TeamX:-5 12:01:59.999 LATE    index=2 onTimeIndex=1 retraction  (emitted at 499s, watermark 12:06:00)",
            "[12:00:00, 12:02:00): TeamX:14 12:01:59.999 LATE    index=2 onTimeIndex=1  (emitted at 499s, watermark 12:06:00)",
        ]
    );
}
