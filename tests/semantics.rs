//! The semantics table: every case in `tests/oracle/cases.json` was run on real Spark 3.5.3
//! (Scala API, see tests/oracle/README.md) and carries Spark's output per batch; this test
//! runs the same pipeline (its `sim` field, in our pipeline language) through the simulator
//! and demands the same batch times, the same records per batch (as multisets: inside a
//! shuffled partition Spark's order is its hash table's) and the same partition counts, or
//! the same error message. Every case here is therefore confirmed on Spark.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use stream_sim::scenario::parse::parse_program;
use stream_sim::scenario::spec::{Scenario, SourceKind, SourceSpec};
use stream_sim::scenario::{RunOptions, ScenarioError};
use stream_sim::sim::{Duration, Time};
use stream_sim::value::Value;

type Batches = Vec<(u64, Vec<Vec<Value>>)>;

/// What running a case produced: outputs per batch time, and the error if any.
struct Outcome {
    outputs: Batches,
    error: Option<String>,
}

fn inputs(j: Option<&serde_json::Value>) -> Vec<Option<Vec<Value>>> {
    match j {
        Some(serde_json::Value::Array(batches)) => batches
            .iter()
            .map(|b| match b {
                serde_json::Value::Array(recs) => Some(recs.iter().map(Value::from_json).collect()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Runs `sim` over streams `a` and `b` (the case's inputs) for `num_batches` batches.
fn check(case: &serde_json::Value) -> Result<Outcome, ScenarioError> {
    let batch_ms = case["batch_ms"].as_u64().unwrap_or(1000);
    let partitions = case["partitions"].as_u64().unwrap_or(2) as usize;
    let sim = case["sim"].as_str().unwrap_or_default();
    let path = PathBuf::from(format!(
        "tests/oracle/cases.json#{}",
        case["name"].as_str().unwrap_or("?")
    ));
    let program = parse_program(&format!("out = {sim}"))
        .map_err(|e| ScenarioError::at(&path, e.span.line, e.span.col, e.message))?;
    let mut sources = vec![SourceSpec {
        name: "a".into(),
        kind: SourceKind::Batches {
            batches: inputs(case.get("inputs")),
            partitions,
        },
        span: Default::default(),
    }];
    if case.get("inputs2").is_some() {
        sources.push(SourceSpec {
            name: "b".into(),
            kind: SourceKind::Batches {
                batches: inputs(case.get("inputs2")),
                partitions,
            },
            span: Default::default(),
        });
    }
    let scenario = Scenario {
        name: "case".into(),
        description: String::new(),
        path,
        batch_interval: Duration::from_ms(batch_ms),
        block_interval: Duration::from_ms(200),
        default_parallelism: 2,
        checkpoint: Some("checkpoint".into()),
        remember: None,
        run_for: Duration::from_ms(batch_ms),
        output_dir: None,
        sources,
        datasets: BTreeMap::new(),
        program,
        pipeline_span: Default::default(),
        cluster: Default::default(),
    };
    let (built, _) = scenario.build_graph(&RunOptions::default())?;
    let out = built.streams["out"].clone();
    let seen: Rc<RefCell<Batches>> = Rc::default();
    let sink = Rc::clone(&seen);
    out.foreach_rdd(move |rdd, t| sink.borrow_mut().push((t.ms(), rdd.partitions().to_vec())))
        .map_err(|e| ScenarioError::at(&scenario.path, 0, 0, e.to_string()))?;
    if let Err(e) = built.ssc.start() {
        return Ok(Outcome {
            outputs: Vec::new(),
            error: Some(e.to_string()),
        });
    }
    let end = Time(batch_ms * case["num_batches"].as_u64().unwrap_or(1));
    let error = built.ssc.run_until(end).err().map(|e| e.to_string());
    let outputs = seen.borrow().clone();
    Ok(Outcome { outputs, error })
}

fn canonical(records: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap_or_default())
        .collect();
    v.sort();
    v
}

fn canonical_json(records: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = records
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| serde_json::to_string(r).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Compares one case with Spark's answer; returns a description of every difference.
fn compare(case: &serde_json::Value, outcome: Result<Outcome, ScenarioError>) -> Vec<String> {
    let mut diffs = Vec::new();
    let expect_error = case["expect_error"].as_str();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            match expect_error {
                Some(msg) if e.message.contains(msg) => {}
                Some(msg) => diffs.push(format!("build error `{}`, Spark's: `{msg}`", e.message)),
                None => diffs.push(format!("build error: {e}")),
            }
            return diffs;
        }
    };
    match (expect_error, &outcome.error) {
        (Some(msg), Some(got)) if got.contains(msg) => {}
        (Some(msg), got) => diffs.push(format!("error {got:?}, Spark's: `{msg}`")),
        (None, Some(got)) => diffs.push(format!("unexpected error: {got}")),
        (None, None) => {}
    }
    let times: Vec<u64> = case["expected_times_ms"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
        .unwrap_or_default();
    let ours: Vec<u64> = outcome.outputs.iter().map(|(t, _)| *t).collect();
    if ours != times {
        diffs.push(format!("batch times {ours:?}, Spark's {times:?}"));
        return diffs;
    }
    let expected = case["expected"].as_array().cloned().unwrap_or_default();
    let parts: Vec<u64> = case["expected_partitions"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
        .unwrap_or_default();
    for (i, (t, partitions)) in outcome.outputs.iter().enumerate() {
        let flat: Vec<Value> = partitions.iter().flatten().cloned().collect();
        let (got, want) = (canonical(&flat), canonical_json(&expected[i]));
        if got != want {
            diffs.push(format!("at {t} ms: ours {got:?}, Spark's {want:?}"));
        }
        if let Some(&p) = parts.get(i) {
            if partitions.len() as u64 != p {
                diffs.push(format!(
                    "at {t} ms: {} partitions, Spark's {p}",
                    partitions.len()
                ));
            }
        }
    }
    diffs
}

#[test]
fn every_case_matches_real_spark() {
    let text = std::fs::read_to_string("tests/oracle/cases.json").expect("tests/oracle/cases.json");
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).expect("valid JSON");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        // Recovery from a checkpoint belongs to the cluster issue; those cases are checked
        // here on their uninterrupted run ("expected"), which Spark also recorded.
        if case["sim"].is_null() {
            continue;
        }
        checked += 1;
        let diffs = compare(case, check(case));
        if !diffs.is_empty() {
            failures.push(format!(
                "{name} ({}):\n    {}",
                case["sim"],
                diffs.join("\n    ")
            ));
        }
    }
    assert!(checked >= 100, "only {checked} cases ran");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ from Spark:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A case that cannot fail would prove nothing: a wrong answer must be caught.
#[test]
fn the_comparison_catches_a_wrong_answer() {
    let mut case: serde_json::Value = serde_json::from_str(
        r#"{"name": "probe", "batch_ms": 1000, "inputs": [[1, 2]], "num_batches": 1, "sim": "a.map(x => x + 1)",
            "expected": [[2, 4]], "expected_partitions": [2], "expected_times_ms": [1000]}"#,
    )
    .expect("json");
    assert_eq!(compare(&case, check(&case)).len(), 1);
    case["expected"] = serde_json::json!([[2, 3]]);
    assert!(compare(&case, check(&case)).is_empty());
}
