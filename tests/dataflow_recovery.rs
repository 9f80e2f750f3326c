//! The Dataflow runner under failures, judged record by record from its ledger, and the
//! percentile watermark ("Streaming Systems" ch. 3) against the perfect one, on inputs
//! worked by hand.

use std::path::{Path, PathBuf};
use stream_sim::check::dataflow::{cause, run, run_command};
use stream_sim::models::dataflow::recovery::{run_with_plan, FailurePlan, SinkMode};
use stream_sim::models::dataflow::watermark::{
    percentile_watermark, test_stream_events, Arrival, WatermarkEstimator,
};
use stream_sim::models::dataflow::{
    AccumulationMode, CombineFn, DirectRunner, Element, Fidelity, TestStreamEvent, Trigger,
    WindowFn, Windowing,
};
use stream_sim::scenario::dataflow::load;
use stream_sim::value::Value;

const MIN: i64 = 60_000;

fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/dataflow/{name}.toml"))
}

fn variant(name: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(bundled(name)).unwrap();
    assert!(text.contains(from), "{from}");
    let text = text.replace(from, to).replace(
        "\"../data/",
        &format!("\"{}/scenarios/data/", env!("CARGO_MANIFEST_DIR")),
    );
    let p = std::env::temp_dir().join(format!(
        "stream-sim-dataflow-recovery-{}-{}.toml",
        std::process::id(),
        to.len() + from.len() * 7
    ));
    std::fs::write(&p, text).unwrap();
    p
}

// ---- the percentile watermark, by hand ----

// Proves: the estimator's value is the greatest event time before which at least p % of
// the records have arrived. Sorted event times 0, 10, 20, 30, 40 with the record at 20
// missing: before 30 are 3 records, 2 arrived (67 %); before 40, 4 records, 3 arrived
// (75 %). So p = 100 gives 20 (the perfect watermark: the oldest record still to come),
// p = 75 and p = 60 give 40, p = 80 gives 20.
#[test]
fn percentile_watermark_by_hand() {
    let times = [0, 10, 20, 30, 40];
    let arrived = [true, true, false, true, true];
    let w = |p: f64| percentile_watermark(&times, &arrived, p, 0).map(|x| x.1);
    assert_eq!(w(100.0), Some(20));
    assert_eq!(w(80.0), Some(20));
    assert_eq!(w(75.0), Some(40));
    assert_eq!(w(60.0), Some(40));
    // Nothing arrived: only the first time qualifies (nothing is before it).
    assert_eq!(
        percentile_watermark(&times, &[false; 5], 99.0, 0).map(|x| x.1),
        Some(0)
    );
    // Equal event times count together: before 10 are the two records at 0, one arrived.
    let t2 = [0, 0, 10];
    assert_eq!(
        percentile_watermark(&t2, &[true, false, true], 50.0, 0).map(|x| x.1),
        Some(10)
    );
    assert_eq!(
        percentile_watermark(&t2, &[true, false, true], 51.0, 0).map(|x| x.1),
        Some(0)
    );
    // The previous watermark's index is a floor (the watermark never moves back).
    assert_eq!(
        percentile_watermark(&times, &arrived, 100.0, 4).map(|x| x.1),
        Some(40)
    );
    assert_eq!(percentile_watermark(&[], &[], 99.0, 0), None);
}

fn five() -> Vec<Arrival> {
    // (arrival ms, event minute): the record of minute 20 arrives last.
    [(500, 0), (1500, 10), (2500, 30), (3500, 40), (4500, 20)]
        .iter()
        .enumerate()
        .map(|(i, (at, m))| Arrival {
            at_ms: *at,
            element: Element {
                key: Value::str("k"),
                value: Value::Int(1),
                timestamp: m * MIN,
                offset: i as u64,
            },
        })
        .collect()
}

fn watermarks(est: &WatermarkEstimator) -> Vec<(i64, i64)> {
    test_stream_events(&five(), est, 1000)
        .iter()
        .scan(0i64, |clock, e| {
            Some(match e {
                TestStreamEvent::AdvanceProcessingTime(d) => {
                    *clock += d;
                    None
                }
                TestStreamEvent::AdvanceWatermarkTo(t, _) => Some((*clock, t / MIN)),
                _ => None,
            })
        })
        .flatten()
        .collect()
}

// Proves: on the five records above (watermark updated every second), the perfect
// watermark stops at minute 20 until its record arrives, while the 75th-percentile one
// moves to 40 at 3 s (3 of the 4 records before 40 have arrived) and so makes the record
// of minute 20 late by 20 minutes; the perfect one makes none late.
#[test]
fn percentile_and_perfect_watermarks_on_five_records() {
    assert_eq!(
        watermarks(&WatermarkEstimator::Perfect),
        vec![(1000, 10), (2000, 20)]
    );
    let p75 = WatermarkEstimator::Percentile { percent: 75.0 };
    assert_eq!(watermarks(&p75), vec![(1000, 10), (2000, 20), (3000, 40)]);
    let windowing = Windowing {
        window_fn: WindowFn::Fixed {
            size_ms: 10 * MIN,
            offset_ms: 0,
        },
        trigger: Trigger::Default,
        accumulation_mode: AccumulationMode::Discarding,
        allowed_lateness_ms: 60 * MIN,
    };
    let late = |est: &WatermarkEstimator| {
        let mut r = DirectRunner::new(windowing.clone(), CombineFn::Count, Fidelity::RunnersCore);
        for e in test_stream_events(&five(), est, 1000) {
            r.apply(&e).unwrap();
        }
        r.late_records()
            .iter()
            .map(|l| (l.element.timestamp / MIN, l.behind_ms / MIN))
            .collect::<Vec<_>>()
    };
    assert!(late(&WatermarkEstimator::Perfect).is_empty());
    assert_eq!(late(&p75), vec![(20, 20)]);
    let events = test_stream_events(&five(), &p75, 1000);
    let reason = events
        .iter()
        .find_map(|e| match e {
            TestStreamEvent::AdvanceWatermarkTo(t, why) if *t == 40 * MIN => Some(why.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        reason,
        "percentile(75): 3 of the 4 records before it have arrived"
    );
}

// Proves: the scenario option reaches the runner: flights-dataflow with a 99th-percentile
// watermark makes some flights late, and with percentile = 100 none (the perfect one).
#[test]
fn percentile_estimator_in_a_scenario() {
    let p = variant(
        "flights-dataflow",
        "estimator = \"heuristic\"",
        "estimator = \"percentile\"\npercentile = 99",
    );
    let sc = load(&p).unwrap();
    assert_eq!(sc.estimator.label(), "percentile(99)");
    let r = run(&sc).unwrap();
    let late = r.runner.late_records().len();
    assert!(late > 0 && late < 100, "{late}");
    let p = variant(
        "flights-dataflow",
        "estimator = \"heuristic\"",
        "estimator = \"percentile\"\npercentile = 100",
    );
    let r = run(&load(&p).unwrap()).unwrap();
    assert!(r.runner.late_records().is_empty());
}

// ---- failures, record by record ----

// Proves: without failures the ledger has each record delivered once and committed once,
// except the records dropped past the allowed lateness, which say why.
#[test]
fn the_ledger_of_a_run_without_failures() {
    let sc = load(&bundled("flights-dataflow")).unwrap();
    let r = run(&sc).unwrap().runner;
    let mut committed = 0;
    let mut dropped = 0;
    for (_, l) in r.ledger().records() {
        assert_eq!(l.received.len(), 1);
        assert_eq!(l.batches, l.received);
        match &l.dropped {
            None => {
                assert_eq!(l.outputs, 1);
                committed += 1;
            }
            Some((_, why)) => {
                assert_eq!(l.outputs, 0);
                assert!(why.contains("past allowed lateness"), "{why}");
                dropped += 1;
            }
        }
    }
    assert_eq!(committed + dropped, r.elements_in() as usize);
    assert_eq!(dropped, r.dropped_records().len());
}

// Proves: a worker failure with checkpointed state is exactly-once per record: the
// records of the uncommitted bundles were delivered twice, their first attempt rolled back.
#[test]
fn worker_failure_is_exactly_once_per_record() {
    let sc = load(&bundled("flights-dataflow-worker-failure")).unwrap();
    let r = run(&sc).unwrap();
    let v = r.verdict().unwrap();
    assert_eq!(v.label(), "exactly-once", "{v}");
    let rep = r.recovery.as_ref().unwrap();
    assert!(rep.records_rolled_back > 0);
    let twice = r
        .runner
        .ledger()
        .records()
        .filter(|(_, l)| l.received.len() == 2)
        .count();
    assert!(twice >= rep.records_rolled_back, "{twice}");
    let reference = r.reference.as_ref().unwrap();
    assert_eq!(
        v.delivered_once,
        reference.elements_in() as usize - reference.dropped_records().len()
    );
}

// Proves: a side effect performed per bundle attempt is duplicated for exactly the
// records of the retried bundles (at-least-once), while the panes stay exactly-once.
#[test]
fn per_attempt_side_effect_is_duplicated() {
    let sc = load(&bundled("flights-dataflow-side-effect")).unwrap();
    let r = run(&sc).unwrap();
    let v = r.verdict().unwrap();
    assert_eq!(v.label(), "at-least-once", "{v}");
    let rep = r.recovery.as_ref().unwrap();
    assert_eq!(v.duplicated.len(), rep.side_effects_repeated);
    assert!(v.duplicated.len() > 5);
    let why = cause(r.runner.ledger(), v.duplicated[0]);
    assert!(why.contains("2 bundle attempts"), "{why}");
    let out = run_command(&bundled("flights-dataflow-side-effect"), None, true).unwrap();
    assert!(
        out.contains("exactly-once: the same answers, emitted later"),
        "{out}"
    );
    assert!(out.contains("per record: at-least-once"), "{out}");
}

// Proves: state kept only in memory loses the records of every open window (at-most-once),
// each explained, and nothing is duplicated.
#[test]
fn state_in_memory_loses_records() {
    let p = variant(
        "flights-dataflow-worker-failure",
        "checkpointed = true",
        "checkpointed = false",
    );
    let sc = load(&p).unwrap();
    let r = run(&sc).unwrap();
    let v = r.verdict().unwrap();
    assert_eq!(v.label(), "at-most-once", "{v}");
    let rep = r.recovery.as_ref().unwrap();
    assert_eq!(v.lost.len(), rep.records_lost_with_state);
    let why = cause(r.runner.ledger(), v.lost[0]);
    assert!(why.contains("only in worker-1's memory"), "{why}");
    // The lost records are exactly what the windows' final answers miss.
    let finals = |runner: &DirectRunner| {
        let mut m = std::collections::BTreeMap::new();
        for p in runner.panes() {
            m.insert((p.key.clone(), p.window), p.output.as_int().unwrap());
        }
        m
    };
    let (want, got) = (finals(r.reference.as_ref().unwrap()), finals(&r.runner));
    let missing: i64 = want
        .iter()
        .map(|(k, n)| n - got.get(k).copied().unwrap_or(0))
        .sum();
    assert_eq!(missing, v.lost.len() as i64);
}

// Proves: a driver (runner process) failure re-reads the source from its start: with a
// committed sink each record still counts once; with a per-attempt side effect every
// record processed before the failure is written twice, many more than after a worker
// failure.
#[test]
fn driver_failure_replays_everything() {
    let sc = load(&bundled("flights-dataflow-driver-failure")).unwrap();
    let r = run(&sc).unwrap();
    assert_eq!(r.verdict().unwrap().label(), "exactly-once");
    let p = variant(
        "flights-dataflow-driver-failure",
        "restart_delay = \"5s\"",
        "restart_delay = \"5s\"\nsink = \"per-attempt\"",
    );
    let r = run(&load(&p).unwrap()).unwrap();
    let v = r.verdict().unwrap();
    assert_eq!(v.label(), "at-least-once");
    let worker = run(&load(&bundled("flights-dataflow-side-effect")).unwrap()).unwrap();
    assert!(v.duplicated.len() > 5 * worker.verdict().unwrap().duplicated.len());
}

// Proves: the bundle in flight is never committed: even with a commit before every
// bundle, the last bundle before the failure is retried (so a per-attempt side effect
// repeats for its records, and only those).
#[test]
fn the_bundle_in_flight_is_retried() {
    let arrivals: Vec<Arrival> = (0..6)
        .map(|i| Arrival {
            at_ms: 1000 * (i + 1),
            element: Element {
                key: Value::str("k"),
                value: Value::Int(1),
                timestamp: i * MIN,
                offset: i as u64,
            },
        })
        .collect();
    let events = test_stream_events(&arrivals, &WatermarkEstimator::Perfect, 1000);
    let fresh = DirectRunner::new(
        Windowing {
            window_fn: WindowFn::Fixed {
                size_ms: 10 * MIN,
                offset_ms: 0,
            },
            trigger: Trigger::Default,
            accumulation_mode: AccumulationMode::Discarding,
            allowed_lateness_ms: 0,
        },
        CombineFn::Count,
        Fidelity::RunnersCore,
    );
    let plan = |sink| FailurePlan {
        fail_at_ms: 3500,
        what: "worker-1".into(),
        checkpointed: true,
        checkpoint_interval_ms: 0,
        restart_delay_ms: 1000,
        sink,
    };
    let (r, rep) = run_with_plan(fresh.clone(), &events, &plan(SinkMode::PerAttempt)).unwrap();
    assert_eq!(rep.side_effects_repeated, 1);
    assert_eq!(rep.bundles_replayed, 1);
    let twice: Vec<u64> = r
        .ledger()
        .records()
        .filter(|(_, l)| l.outputs == 2)
        .map(|(id, _)| id.1)
        .collect();
    assert_eq!(twice, vec![2], "the bundle of 3 s");
    let (r, rep) = run_with_plan(fresh, &events, &plan(SinkMode::Committed)).unwrap();
    assert_eq!(rep.records_rolled_back, 1);
    assert!(r.ledger().records().all(|(_, l)| l.outputs == 1));
    let count: i64 = r
        .panes()
        .iter()
        .map(|p| p.output.as_int().unwrap_or(0))
        .sum();
    assert_eq!(count, 6);
}

// Proves: a scenario's run compares its watermark with the perfect and the 99th-percentile
// ones on the same source: the perfect one makes no record late but fires on time far
// later (one flight 5 hours late holds it back); the listing names each late record.
#[test]
fn a_scenario_under_each_watermark() {
    use stream_sim::check::dataflow::{
        estimators_for, late_by_estimator, render_late_by_estimator,
    };
    let sc = load(&bundled("flights-dataflow")).unwrap();
    let ests = estimators_for(&sc);
    let labels: Vec<String> = ests.iter().map(|e| e.label()).collect();
    assert_eq!(labels, ["perfect", "heuristic(30min)", "percentile(99)"]);
    let runs = late_by_estimator(&sc, &ests).unwrap();
    let (perfect, heuristic, p99) = (&runs[0], &runs[1], &runs[2]);
    assert!(perfect.1.is_empty());
    assert_eq!(
        heuristic.1.len(),
        run(&sc).unwrap().runner.late_records().len()
    );
    assert!(!p99.1.is_empty() && p99.1.len() < heuristic.1.len());
    assert!(perfect.2.mean_on_time_delay_ms > 5 * p99.2.mean_on_time_delay_ms);
    let text = render_late_by_estimator(&runs, 3);
    assert!(
        text.starts_with("perfect: 0 records late, 0 dropped"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("  ")).count(),
        6,
        "{text}"
    );
    let out = run_command(&bundled("flights-dataflow"), None, false).unwrap();
    assert!(
        out.contains("the same source under other watermarks (late / dropped / ON_TIME delay mean): perfect 0 / 0 /"),
        "{out}"
    );
}
