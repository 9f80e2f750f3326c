//! Every Structured Streaming case recorded from real Spark 3.5.3
//! (`scripts/oracle-structured.py` -> `tests/fixtures/structured/*.json`) replayed in the
//! simulator and compared micro-batch by micro-batch: the rows the sink received (as a
//! multiset), the batch ids (including no-data batches), the watermark each batch used, the
//! input rows, and each stateful operator's numRowsTotal, numRowsUpdated and
//! numRowsDroppedByWatermark; for analysis errors, Spark's message. No Spark is needed.

use serde_json::Value as Json;
use std::path::Path;
use stream_sim::check::structured::replay_case;

fn fixtures() -> Vec<(String, Json)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/structured");
    let mut v: Vec<(String, Json)> = std::fs::read_dir(&dir)
        .expect("the fixtures folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn sorted_rows(b: &Json) -> Vec<String> {
    let mut rows: Vec<String> = b["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| r.to_string())
        .collect();
    rows.sort();
    rows
}

/// The differences between Spark's batches and ours, empty when they agree.
fn diff(name: &str, case: &Json) -> Vec<String> {
    let expected = &case["expected"];
    let got = match replay_case(case) {
        Ok(g) => g,
        Err(e) => return vec![format!("{name}: the case does not load: {e}")],
    };
    let mut out = Vec::new();
    match (expected.get("error").and_then(Json::as_str), got) {
        (Some(spark), Err(ours)) => {
            if !spark.contains(&ours) {
                out.push(format!("{name}: error\n  spark: {spark}\n  ours:  {ours}"));
            }
        }
        (Some(spark), Ok(_)) => out.push(format!(
            "{name}: Spark refused the query ({spark}); we ran it"
        )),
        (None, Err(ours)) => out.push(format!(
            "{name}: Spark ran the query; we refused it: {ours}"
        )),
        (None, Ok(batches)) => {
            let exp = expected["batches"].as_array().cloned().unwrap_or_default();
            if exp.len() != batches.len() {
                out.push(format!(
                    "{name}: {} batches in Spark, {} here (ids spark {:?}, ours {:?})",
                    exp.len(),
                    batches.len(),
                    exp.iter()
                        .map(|b| b["batch_id"].clone())
                        .collect::<Vec<_>>(),
                    batches
                        .iter()
                        .map(|b| b["batch_id"].clone())
                        .collect::<Vec<_>>()
                ));
            }
            for (e, g) in exp.iter().zip(&batches) {
                let id = &e["batch_id"];
                for k in ["batch_id", "num_input_rows", "watermark", "state"] {
                    if e[k] != g[k] {
                        out.push(format!(
                            "{name} batch {id}: {k} spark {} ours {}",
                            e[k], g[k]
                        ));
                    }
                }
                if sorted_rows(e) != sorted_rows(g) {
                    out.push(format!(
                        "{name} batch {id}: rows\n  spark {:?}\n  ours  {:?}",
                        sorted_rows(e),
                        sorted_rows(g)
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn every_spark_case_agrees_batch_by_batch() {
    let cases = fixtures();
    let mut failures = Vec::new();
    for (name, case) in &cases {
        failures.extend(diff(name, case));
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 40, "only {} oracle cases", cases.len());
}

#[test]
fn the_guide_example_drops_the_donkey_in_append_and_update_modes() {
    // The guide's (12:04, donkey) arrives when the previous batch's watermark is 12:11: both
    // of its windows end at or before 12:11, so Spark drops them (2 keys), in both modes.
    for name in ["guide_append", "guide_update"] {
        let case = fixtures().into_iter().find(|c| c.0 == name).unwrap().1;
        let batches = replay_case(&case).unwrap().unwrap();
        let last = batches.last().unwrap();
        assert_eq!(last["state"][0]["numRowsDroppedByWatermark"], 2, "{name}");
        assert!(!last["rows"].to_string().contains("donkey"), "{name}");
    }
}
