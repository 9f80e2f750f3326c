//! The Dataflow model against Apache Beam: every fixture under tests/fixtures/dataflow/
//! (recorded by scripts/oracle-beam.py from Beam Python 2.61's DirectRunner with a
//! TestStream) is replayed in the simulator and compared pane by pane: key, window, value,
//! output timestamp, timing, index, nonspeculative index, first/last, and the processing
//! time of the emission. Error cases compare Beam's exception text. Beam is not needed.

use serde_json::Value as Json;
use std::path::Path;
use stream_sim::models::dataflow::window_fn::global_window;
use stream_sim::models::dataflow::{DirectRunner, Element, Fidelity, Pane, TestStreamEvent};
use stream_sim::scenario::dataflow::pipeline;
use stream_sim::value::Value;

fn to_value(j: &Json) -> Value {
    match j {
        Json::Number(n) if n.is_i64() => Value::Int(n.as_i64().unwrap_or(0)),
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::str(s),
        Json::Array(a) => Value::list(a.iter().map(to_value).collect()),
        Json::Bool(b) => Value::Bool(*b),
        Json::Null => Value::Null,
        Json::Object(_) => Value::str(&j.to_string()),
    }
}

fn secs_ms(j: &Json) -> i64 {
    (j.as_f64().expect("a number of seconds") * 1000.0).round() as i64
}

/// The fixture's TestStream events as the runner's.
pub fn events(case: &Json) -> Vec<TestStreamEvent> {
    let mut out = Vec::new();
    let mut offset = 0;
    for ev in case["events"].as_array().expect("events") {
        let kind = ev[0].as_str().expect("event kind");
        out.push(match kind {
            "add" => TestStreamEvent::AddElements(
                ev[1]
                    .as_array()
                    .expect("elements")
                    .iter()
                    .map(|e| {
                        offset += 1;
                        Element {
                            key: to_value(&e[0]),
                            value: to_value(&e[1]),
                            timestamp: secs_ms(&e[2]),
                            offset,
                        }
                    })
                    .collect(),
            ),
            "wm" => {
                TestStreamEvent::AdvanceWatermarkTo(secs_ms(&ev[1]), "advance_watermark_to".into())
            }
            "pt" => TestStreamEvent::AdvanceProcessingTime(secs_ms(&ev[1])),
            "inf" => TestStreamEvent::AdvanceWatermarkToInfinity,
            other => panic!("unknown event {other}"),
        });
    }
    out
}

/// A pane as a comparable line (floats to 9 significant digits; GroupByKey's values
/// sorted, as Beam's iterable has no defined order).
fn line(key: &Value, window: Option<(i64, i64)>, value: &Value, ts: i64, info: String) -> String {
    let v = match value {
        Value::Float(f) => format!("{f:.9e}"),
        Value::Seq(_, items) => {
            let mut s: Vec<String> = items.iter().map(|x| x.to_string()).collect();
            s.sort();
            format!("[{}]", s.join(","))
        }
        other => other.to_string(),
    };
    let w = match window {
        Some((s, e)) => format!("[{s},{e})"),
        None => "global".into(),
    };
    format!("{key} {w} value={v} ts={ts} {info}")
}

/// Timing, index, nonspeculative index, first/last and the emission's processing time.
fn pane_info(timing: &str, index: i64, nsi: i64, (first, last): (bool, bool), pt: i64) -> String {
    format!("{timing} index={index} nsi={nsi} first={first} last={last} pt={pt}")
}

fn ours(p: &Pane) -> String {
    let w = (p.window != global_window()).then_some((p.window.start.0, p.window.end.0));
    let ts = if p.window == global_window() {
        -1
    } else {
        p.timestamp
    };
    line(
        &p.key,
        w,
        &p.output,
        ts,
        pane_info(
            p.info.timing.name(),
            p.info.index,
            p.info.nonspeculative_index,
            (p.info.is_first, p.info.is_last),
            p.emitted_at_ms,
        ),
    )
}

fn beams(j: &Json) -> String {
    let w = match &j["window"] {
        Json::Array(a) => Some((a[0].as_i64().unwrap_or(0), a[1].as_i64().unwrap_or(0))),
        _ => None,
    };
    let ts = if w.is_none() {
        -1
    } else {
        j["timestamp"].as_i64().unwrap_or(0)
    };
    line(
        &to_value(&j["key"]),
        w,
        &to_value(&j["value"]),
        ts,
        pane_info(
            j["timing"].as_str().unwrap_or(""),
            j["index"].as_i64().unwrap_or(0),
            j["nonspeculative_index"].as_i64().unwrap_or(0),
            (
                j["is_first"].as_bool().unwrap_or(false),
                j["is_last"].as_bool().unwrap_or(false),
            ),
            j["processing_time_ms"].as_i64().unwrap_or(-1),
        ),
    )
}

/// Runs one fixture; returns the difference, if any, as text.
pub fn check_case(case: &Json) -> Result<(), String> {
    let text = case["pipeline"].as_str().expect("pipeline");
    let allow = case["allow_unsafe_triggers"].as_bool().unwrap_or(false);
    let built = match pipeline::build(text, allow) {
        Ok(b) => b,
        Err(e) => {
            return match case["error"].as_str() {
                Some(beam)
                    if beam == e.message
                        || beam.ends_with(&e.message)
                        || e.message.starts_with(beam) =>
                {
                    Ok(())
                }
                Some(beam) => Err(format!(
                    "error differs:\n  beam: {beam}\n  ours: {}",
                    e.message
                )),
                None => Err(format!("we refused what Beam ran: {}", e.message)),
            }
        }
    };
    let mut r = DirectRunner::new(built.windowing, built.combine, Fidelity::PythonDirectRunner);
    let mut failed = None;
    for ev in events(case) {
        if let Err(e) = r.apply(&ev) {
            failed = Some(e);
            break;
        }
    }
    match (case["error"].as_str(), &failed) {
        (None, None) => {}
        (Some(b), Some(o)) if b == o => {}
        (b, o) => return Err(format!("outcome differs:\n  beam: {b:?}\n  ours: {o:?}")),
    }
    let mut got: Vec<String> = r.panes().iter().map(ours).collect();
    let mut want: Vec<String> = case["panes"]
        .as_array()
        .expect("panes")
        .iter()
        .map(beams)
        .collect();
    // Beam's order across keys and windows within one instant is its bundles'; compare the
    // panes as sorted lists (each line holds its window, index and processing time).
    got.sort();
    want.sort();
    if got == want {
        Ok(())
    } else {
        let missing: Vec<&String> = want.iter().filter(|w| !got.contains(w)).collect();
        let extra: Vec<&String> = got.iter().filter(|g| !want.contains(g)).collect();
        Err(format!(
            "panes differ ({} beam, {} ours)\n  only in Beam:\n    {}\n  only ours:\n    {}",
            want.len(),
            got.len(),
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n    "),
            extra
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n    ")
        ))
    }
}

fn fixtures() -> Vec<(String, Json)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dataflow");
    let mut out: Vec<(String, Json)> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/dataflow")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("fixture");
            (
                e.file_name().to_string_lossy().into_owned(),
                serde_json::from_str(&text).expect("fixture JSON"),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every recorded Beam case matches, and there are at least 30 of them.
#[test]
fn every_beam_case_matches_pane_by_pane() {
    let cases = fixtures();
    let mut failures = Vec::new();
    for (name, case) in &cases {
        if case["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("TIMEOUT"))
        {
            continue;
        }
        if let Err(e) = check_case(case) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 30, "only {} oracle cases", cases.len());
}
