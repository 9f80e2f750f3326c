//! The REPL on the event-time models (`stream-sim repl` on a `model = "structured"` or
//! `model = "dataflow"` scenario): stepping trigger by trigger or by processing time, and the
//! `watermark`, `state`, `late`, `panes` and `progress` views, in scripted sessions.

use stream_sim::repl::event_time::{model_of, EventTimeSession};

fn session(name: &str, lines: &[&str]) -> Vec<String> {
    let mut s = EventTimeSession::new(name).expect("loads");
    lines.iter().map(|l| s.execute(l)).collect()
}

// Proves: a Structured Streaming session steps one trigger at a time (5 s each here),
// prints each micro-batch as the console sink does, and its views show the watermark's
// history (max event time minus 30 minutes, from the previous batch), the state store, the
// rows the watermark dropped with their delay, and what the sink received per window.
#[test]
fn structured_session_steps_triggers_and_shows_the_watermark() {
    assert_eq!(model_of("flights-watermark"), Some("structured"));
    let out = session(
        "flights-watermark",
        &[
            "step",
            "step 2",
            "watermark",
            "run until 240s",
            "late",
            "state",
            "panes 06:00",
            "progress",
            "nonsense",
        ],
    );
    assert!(out[0].ends_with("time 5000 ms"), "{}", out[0]);
    // A micro-batch is written when it completes, just after its trigger.
    assert!(
        out[1].contains("Batch: 0")
            && out[1].contains("Batch: 1")
            && out[1].ends_with("time 15000 ms"),
        "{}",
        out[1]
    );
    assert!(
        out[2].contains("watermark now 2013-01-01")
            && out[2].contains("used from the next batch on"),
        "{}",
        out[2]
    );
    assert!(
        out[4].starts_with("7 rows dropped by the watermark"),
        "{}",
        out[4]
    );
    assert!(out[4].contains("min late"), "{}", out[4]);
    assert!(out[5].starts_with("state operator 0:"), "{}", out[5]);
    assert!(
        out[6].contains("{2013-01-01 06:00:00, 2013-01-01 06:10:00}"),
        "{}",
        out[6]
    );
    assert!(
        out[7].contains("\"numRowsDroppedByWatermark\""),
        "{}",
        out[7]
    );
    assert!(
        out[8].starts_with("unknown command `nonsense`"),
        "{}",
        out[8]
    );
}

// Proves: a Dataflow session advances by processing time and prints each pane as it fires
// (EARLY, ON_TIME, LATE with its index), the watermark history says why it moved, and
// `late` lists the records behind the watermark with their delay and what became of them.
#[test]
fn dataflow_session_prints_panes_as_they_fire() {
    assert_eq!(model_of("flights-dataflow"), Some("dataflow"));
    let out = session(
        "flights-dataflow",
        &[
            "watermark",
            "run until 36s",
            "watermark",
            "late",
            "panes 06:00",
            "progress",
        ],
    );
    assert!(out[0].contains("-infinity"), "{}", out[0]);
    assert!(
        out[1].contains("EARLY") && out[1].contains("ON_TIME"),
        "{}",
        out[1]
    );
    assert!(
        out[2].contains("input watermark now 2013-01-01"),
        "{}",
        out[2]
    );
    assert!(
        out[3].contains("records arrived behind the watermark"),
        "{}",
        out[3]
    );
    assert!(
        out[4].contains("[2013-01-01 06:00:00, 2013-01-01 06:30:00): EWR:9"),
        "{}",
        out[4]
    );
    assert!(
        out[5].starts_with("progress: a Structured Streaming view"),
        "{}",
        out[5]
    );
}

// Proves: DStream scenarios are not taken by this REPL, and limits are named.
#[test]
fn other_scenarios_and_limits() {
    assert_eq!(model_of("wordcount"), None);
    let out = session("guide-watermark", &["run until 2000h", "step 0"]);
    assert!(out[0].contains("MAX_SESSION_TIME"), "{}", out[0]);
    assert!(out[1].contains("not a positive count"), "{}", out[1]);
}

// Proves: `late watermarks` runs the Dataflow pipeline again under the perfect, the
// scenario's heuristic and a percentile watermark and says how many records each makes late
// (the perfect one none); Structured Streaming refuses it with the reason.
#[test]
fn late_watermarks_compares_the_estimators() {
    let out = session("flights-dataflow", &["late watermarks", "late nonsense"]);
    assert!(out[0].starts_with("perfect: 0 records late"), "{}", out[0]);
    assert!(out[0].contains("percentile(99)"), "{}", out[0]);
    assert!(out[1].starts_with("late: unknown argument"), "{}", out[1]);
    let out = session("flights-watermark", &["late watermarks"]);
    assert!(
        out[0].contains("Structured Streaming has one watermark"),
        "{}",
        out[0]
    );
}
