//! The bundled Dataflow scenarios on real out-of-order flights, and bad Dataflow scenario
//! files: each error names file:line:col and uses Beam's own words where Beam has them.

use std::path::{Path, PathBuf};
use stream_sim::check::dataflow::{run, run_command, summary};
use stream_sim::scenario::dataflow::load;

fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/dataflow/{name}.toml"))
}

/// flights-dataflow: delayed flights arrive behind the heuristic watermark; some refine
/// their window in LATE panes, the latest are dropped past the allowed lateness; the run
/// is deterministic.
#[test]
fn flights_have_late_and_dropped_departures() {
    let sc = load(&bundled("flights-dataflow")).unwrap();
    let r = run(&sc).unwrap();
    let s = summary(&r.runner, sc.origin_ms, sc.speedup);
    assert!(s.records > 800, "{s:?}");
    assert!(s.late > 50 && s.dropped > 0 && s.dropped < s.late, "{s:?}");
    assert!(s.panes.iter().all(|n| *n > 0), "{s:?}");
    // Every record is counted once in its window's last pane unless dropped.
    let mut last: std::collections::BTreeMap<String, i64> = Default::default();
    for p in r.runner.panes() {
        if let stream_sim::value::Value::Int(n) = p.output {
            last.insert(format!("{} {:?}", p.key, p.window), n);
        }
    }
    let counted: i64 = last.values().sum();
    assert_eq!(counted as u64 + s.dropped as u64, s.records);
    let a = run_command(&bundled("flights-dataflow"), None, false).unwrap();
    let b = run_command(&bundled("flights-dataflow"), None, false).unwrap();
    assert_eq!(a, b);
}

/// flights-dataflow-worker-failure: with checkpointed state and a replayable source the
/// failure changes when answers come, not what they are.
#[test]
fn worker_failure_is_exactly_once_with_checkpointed_state() {
    let out = run_command(&bundled("flights-dataflow-worker-failure"), None, true).unwrap();
    assert!(
        out.contains("exactly-once: the same answers, emitted later"),
        "{out}"
    );
    let text = std::fs::read_to_string(bundled("flights-dataflow-worker-failure")).unwrap();
    let lossy = text
        .replace("checkpointed = true", "checkpointed = false")
        .replace(
            "\"../data/",
            &format!("\"{}/scenarios/data/", env!("CARGO_MANIFEST_DIR")),
        );
    let p = write_tmp("lossy", &lossy);
    let out = run_command(&p, None, true).unwrap();
    assert!(out.contains("answers differ: state was lost"), "{out}");
}

fn write_tmp(tag: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "stream-sim-dataflow-{}-{tag}.toml",
        std::process::id()
    ));
    std::fs::write(&p, text).unwrap();
    p
}

fn flights_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(bundled("flights-dataflow")).unwrap();
    assert!(text.contains(from), "{from}");
    text.replace(from, to).replace(
        "\"../data/",
        &format!("\"{}/scenarios/data/", env!("CARGO_MANIFEST_DIR")),
    )
}

fn error_of(tag: &str, text: &str) -> String {
    let p = write_tmp(tag, text);
    let e = load(&p).expect_err("a bad scenario").to_string();
    e.replace(&p.display().to_string(), "FILE")
}

/// Each bad input, with its position and words.
#[test]
fn bad_scenarios_are_positioned_with_beams_words() {
    let cases = [
        ("event_time = \"sched_dep_time\"", "event_time = \"sched_dep\"",
         "FILE:21:14: event_time: column `sched_dep` is not in"),
        ("event_time = \"sched_dep_time\"", "event_time = \"carrier\"",
         "FILE:21:14: event_time: ValueError: invalid literal for int() with base 10: 'UA'"),
        ("accumulation_mode=ACCUMULATING,\n", "\n",
         "FILE:11:5: ValueError: accumulation_mode must be provided for non-trivial triggers"),
        ("late=AfterCount(1)", "late=AfterCount(0)",
         "ValueError: count (0) must be a positive integer."),
        ("AfterProcessingTime(5)", "AfterProcesingTime(5)",
         "NameError: name 'AfterProcesingTime' is not defined (did you mean `AfterProcessingTime`?)"),
        ("trigger=AfterWatermark(early=AfterProcessingTime(5), late=AfterCount(1))", "trigger=AfterCount(5)",
         "ValueError: GroupByKey: Unsafe trigger: `AfterCount(5)` may lose data. Reason: MAY_FINISH. This can be overriden with the --allow_unsafe_triggers flag."),
        ("FixedWindows(30 minutes)", "FixedWindows(0)",
         "ValueError: The size parameter must be strictly positive."),
        ("estimator = \"heuristic\"", "estimator = \"psychic\"",
         "estimator `psychic`: valid estimators are perfect, heuristic and percentile"),
        ("estimator = \"heuristic\"", "estimator = \"percentile\"",
         "a percentile watermark needs percentile"),
        ("estimator = \"heuristic\"", "estimator = \"percentile\"\npercentile = 0",
         "percentile 0: a percent above 0 and at most 100"),
        ("estimator = \"heuristic\"", "estimator = \"heuristic\"\npercentile = 99",
         "percentile is read only with estimator = \"percentile\""),
        ("interval = \"1s\"", "interval = \"1s\"\n[runner]\nfaults = \"at 5s kill worker-1\"\nsink = \"exactly\"",
         "sink `exactly`: valid are committed (outputs committed with the bundle's state) and per-attempt"),
        ("departures\n", "arrivals\n", "the pipeline reads `arrivals` but the source is [source.departures]"),
    ];
    for (i, (from, to, want)) in cases.iter().enumerate() {
        let e = error_of(&format!("bad{i}"), &flights_with(from, to));
        assert!(e.contains(want), "case {i}: want `{want}` in\n{e}");
        assert!(e.starts_with("FILE:"), "case {i}: no position: {e}");
        assert!(!e.starts_with("FILE:0:"), "case {i}: no line: {e}");
    }
}
