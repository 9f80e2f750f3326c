//! The differential fuzzer's replay: seeded random pipelines over every operator and form
//! (scripts/spark-diff-gen.py), each written both in stream-sim's pipeline language (`sim`)
//! and as a Spark Streaming program (`pipeline_note`, Scala), with what real Spark 3.5.3
//! printed for them (scripts/spark-diff-run.py: per output batch its time, its partition
//! count and every record's printed text, partition by partition) stored in
//! tests/fixtures/spark-diff/cases-*.json. This test runs every `sim` program through the
//! simulator without Spark and compares:
//!
//! - the batch times of the outputs, and the partition count of each output;
//! - the printed text of every record, per partition as a multiset (record order inside a
//!   shuffled partition is Spark's hash table's; ARCHITECTURE.md "Where we differ");
//! - the failure: a case Spark refused to build (or failed while running) must fail here
//!   too, with the outputs before the failure equal.
//!
//! Every case must agree, except the ones listed in
//! tests/fixtures/spark-diff/known-differences.json with the reason, each reason explained in
//! ARCHITECTURE.md's "Where we differ". A new disagreement, or a listed one that now agrees,
//! fails the test.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use stream_sim::scenario::parse::parse_program;
use stream_sim::scenario::spec::{Scenario, SourceKind, SourceSpec};
use stream_sim::scenario::RunOptions;
use stream_sim::sim::{Duration, Time};
use stream_sim::value::Value;

type Batches = Vec<(u64, Vec<Vec<String>>)>;

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

/// The simulator's outputs for a case, and its error (building or running).
fn simulate(case: &serde_json::Value) -> (Batches, Option<String>, bool) {
    let batch_ms = case["batch_ms"].as_u64().unwrap_or(1000);
    let partitions = case["partitions"].as_u64().unwrap_or(2) as usize;
    let path = PathBuf::from(format!(
        "tests/fixtures/spark-diff#{}",
        case["name"].as_str().unwrap_or("?")
    ));
    let program = match parse_program(case["sim"].as_str().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return (Vec::new(), Some(format!("parse: {e}")), true),
    };
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
    let built = match scenario.build_graph(&RunOptions::default()) {
        Ok((b, _)) => b,
        Err(e) => return (Vec::new(), Some(e.to_string()), true),
    };
    let Some(out) = built.streams.get("out").cloned() else {
        return (Vec::new(), Some("no stream `out`".into()), true);
    };
    let seen: Rc<RefCell<Batches>> = Rc::default();
    let sink = Rc::clone(&seen);
    if let Err(e) = out.foreach_rdd(move |rdd, t| {
        let parts = rdd
            .partitions()
            .iter()
            .map(|p| p.iter().map(|v| v.to_string()).collect())
            .collect();
        sink.borrow_mut().push((t.ms(), parts));
    }) {
        return (Vec::new(), Some(e.to_string()), true);
    }
    if let Err(e) = built.ssc.start() {
        return (Vec::new(), Some(e.to_string()), true);
    }
    let end = Time(batch_ms * case["num_batches"].as_u64().unwrap_or(1));
    let error = built.ssc.run_until(end).err().map(|e| e.to_string());
    let outputs = seen.borrow().clone();
    (outputs, error, false)
}

fn spark_batches(case: &serde_json::Value) -> Batches {
    case["spark"]["outputs"]
        .as_array()
        .map(|outs| {
            outs.iter()
                .map(|o| {
                    let parts = o["partitions"]
                        .as_array()
                        .map(|ps| {
                            ps.iter()
                                .map(|p| {
                                    p.as_array()
                                        .map(|r| {
                                            r.iter()
                                                .map(|x| x.as_str().unwrap_or_default().to_string())
                                                .collect()
                                        })
                                        .unwrap_or_default()
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (o["time_ms"].as_u64().unwrap_or(0), parts)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn sorted(p: &[String]) -> Vec<String> {
    let mut v = p.to_vec();
    v.sort();
    v
}

/// The batch time in a Spark error message (`... at time 3000 ms`), if any.
fn error_time(msg: &str) -> Option<u64> {
    let i = msg.find("time ")?;
    msg[i + 5..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The first difference between the simulator and Spark for a case, or None when they agree.
fn first_difference(case: &serde_json::Value) -> Option<String> {
    let spark = &case["spark"];
    let (mut got, err, at_build) = simulate(case);
    let mut want = spark_batches(case);
    if let Some(ce) = spark["construct_error"].as_str() {
        return if at_build && err.is_some() {
            None
        } else {
            Some(format!(
                "Spark refused the pipeline ({ce}); the simulator ran it"
            ))
        };
    }
    if at_build {
        return Some(format!(
            "the simulator refused the pipeline: {}",
            err.unwrap_or_default()
        ));
    }
    if let Some(se) = spark["error"].as_str() {
        let Some(e) = &err else {
            return Some(format!("Spark failed ({se}); the simulator did not"));
        };
        // compare the batches before the failed one
        let t = error_time(se).or_else(|| error_time(e)).unwrap_or(u64::MAX);
        want.retain(|(x, _)| *x < t);
        got.retain(|(x, _)| *x < t);
    } else if let Some(e) = &err {
        return Some(format!("the simulator failed: {e}"));
    }
    if spark["timed_out"].as_bool() == Some(true) {
        // the runner stopped waiting (8 s) before Spark finished every batch: compare the
        // batches Spark did output
        got.truncate(want.len());
    }
    let times = |b: &Batches| b.iter().map(|(t, _)| *t).collect::<Vec<_>>();
    if times(&got) != times(&want) {
        return Some(format!(
            "batch times: simulator {:?}, Spark {:?}",
            times(&got),
            times(&want)
        ));
    }
    for ((t, g), (_, w)) in got.iter().zip(&want) {
        if g.len() != w.len() {
            return Some(format!(
                "at {t} ms: {} partitions, Spark {}",
                g.len(),
                w.len()
            ));
        }
        for (i, (gp, wp)) in g.iter().zip(w).enumerate() {
            if sorted(gp) != sorted(wp) {
                return Some(format!(
                    "at {t} ms, partition {i}: simulator {gp:?}, Spark {wp:?}"
                ));
            }
        }
    }
    None
}

/// Why a case disagrees, judged from the outputs: `stopped` (Spark failed at a later batch
/// and stopped before outputting earlier ones), `placement` (the same records per batch,
/// in other partitions), `order` (the same characters per batch: the order of records inside
/// a shuffled partition shows through mkString, concatenation, a non-commutative reduce or a
/// group's values), or `values`.
fn classify(case: &serde_json::Value) -> &'static str {
    let (mut got, _, _) = simulate(case);
    let mut want = spark_batches(case);
    if let Some(se) = case["spark"]["error"].as_str() {
        // `stopped`: Spark failed at a later batch and the harness stopped the context before
        // Spark output some earlier batches the simulator outputs; the ones it did output agree
        let t = error_time(se).unwrap_or(u64::MAX);
        want.retain(|(x, _)| *x < t);
        got.retain(|(x, _)| *x < t);
        let same = |(tw, w): &(u64, Vec<Vec<String>>)| {
            got.iter().any(|(tg, g)| {
                tg == tw
                    && g.len() == w.len()
                    && g.iter().zip(w).all(|(a, b)| sorted(a) == sorted(b))
            })
        };
        if want.len() < got.len() && want.iter().all(same) {
            return "stopped";
        }
    }
    let flat =
        |b: &Batches| -> Vec<Vec<String>> { b.iter().map(|(_, p)| sorted(&p.concat())).collect() };
    let chars = |b: &Batches| -> Vec<Vec<char>> {
        b.iter()
            .map(|(_, p)| {
                let mut c: Vec<char> = p.concat().concat().chars().collect();
                c.sort();
                c
            })
            .collect()
    };
    let n = got.len().min(want.len());
    let (g, w) = (got[..n].to_vec(), want[..n].to_vec());
    if flat(&g) == flat(&w) {
        "placement"
    } else if chars(&g) == chars(&w) {
        "order"
    } else {
        "values"
    }
}

fn load_cases() -> Vec<serde_json::Value> {
    let dir = PathBuf::from("tests/fixtures/spark-diff");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/spark-diff")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("cases-") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let v: Vec<serde_json::Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        cases.extend(v);
    }
    cases
}

#[test]
fn every_fuzz_case_agrees_with_spark_or_is_a_known_difference() {
    let cases = load_cases();
    let ran: Vec<&serde_json::Value> = cases
        .iter()
        .filter(|c| c["spark"]["outputs"].is_array() || c["spark"]["construct_error"].is_string())
        .collect();
    assert!(ran.len() >= 1000, "only {} cases ran on Spark", ran.len());
    let known: BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/spark-diff/known-differences.json")
            .unwrap_or_else(|_| "{}".into()),
    )
    .expect("known-differences.json");
    let mut disagree = BTreeMap::new();
    for c in &ran {
        if let Some(d) = first_difference(c) {
            disagree.insert(c["name"].as_str().unwrap_or("?").to_string(), d);
        }
    }
    if let Ok(show) = std::env::var("SPARK_DIFF_SHOW") {
        // SPARK_DIFF_SHOW=fuzz-0009,fuzz-0014 prints those cases' first differences
        for n in show.split(',') {
            eprintln!("{n}: {}", disagree.get(n).map_or("agrees", String::as_str));
        }
    }
    let agree = ran.len() - disagree.len();
    eprintln!(
        "spark-diff: {} cases, {} agree with Spark 3.5.3 ({:.1}%), {} known differences",
        ran.len(),
        agree,
        100.0 * agree as f64 / ran.len() as f64,
        disagree.len()
    );
    if std::env::var_os("SPARK_DIFF_WRITE_KNOWN").is_some() {
        let known: BTreeMap<&String, &str> = disagree
            .keys()
            .map(|n| {
                let c = ran.iter().find(|c| c["name"] == n.as_str()).expect("case");
                (n, classify(c))
            })
            .collect();
        std::fs::write(
            "tests/fixtures/spark-diff/known-differences.json",
            serde_json::to_string_pretty(&known).unwrap_or_default() + "\n",
        )
        .expect("write known-differences.json");
        return;
    }
    let new: Vec<String> = disagree
        .iter()
        .filter(|(n, _)| !known.contains_key(*n))
        .map(|(n, d)| {
            let c = ran.iter().find(|c| c["name"] == n.as_str());
            format!(
                "{n}: {d}\n    sim:   {}\n    scala: {}",
                c.and_then(|c| c["sim"].as_str())
                    .unwrap_or_default()
                    .replace('\n', "; "),
                c.and_then(|c| c["pipeline_note"].as_str())
                    .unwrap_or_default()
            )
        })
        .collect();
    let fixed: Vec<&String> = known
        .keys()
        .filter(|n| !disagree.contains_key(*n))
        .collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "{} new disagreements:\n{}\n{} known differences now agree (remove them from known-differences.json): {:?}",
        new.len(),
        new.join("\n"),
        fixed.len(),
        fixed
    );
}

#[test]
fn the_comparison_sees_a_changed_record_and_a_partition_count() {
    let cases = load_cases();
    let case = cases
        .iter()
        .find(|c| {
            first_difference(c).is_none()
                && spark_batches(c)
                    .iter()
                    .any(|(_, p)| p.iter().any(|x| !x.is_empty()))
        })
        .expect("an agreeing case with output");
    let mut bad = (*case).clone();
    let outs = bad["spark"]["outputs"].as_array_mut().expect("outputs");
    let o = outs
        .iter_mut()
        .find(|o| {
            o["partitions"].as_array().is_some_and(|p| {
                p.iter()
                    .any(|x| x.as_array().is_some_and(|r| !r.is_empty()))
            })
        })
        .expect("a batch with records");
    for p in o["partitions"].as_array_mut().expect("partitions") {
        if let Some(r) = p.as_array_mut().and_then(|r| r.first_mut()) {
            *r = serde_json::Value::String("changed".into());
            break;
        }
    }
    assert!(first_difference(&bad).is_some());
    let mut bad = (*case).clone();
    bad["spark"]["outputs"][0]["partitions"]
        .as_array_mut()
        .expect("partitions")
        .push(serde_json::json!([]));
    assert!(first_difference(&bad).is_some());
}

/// `repartition(n)` starts partition `index`'s round-robin at
/// `new XORShiftRandom(index).nextInt(n)`: the values Spark 3.5.3's class gave for indexes
/// 0..12 and n = 1..=12 (scripts/spark-diff-hashes.scala; tests/fixtures/spark-diff/
/// scala-hashes.txt, the `XOR` lines).
#[test]
fn repartition_starts_where_spark_xorshift_random_does() {
    use stream_sim::models::dstream::ops::repartition_start;
    #[rustfmt::skip]
    let spark: [i32; 144] = [0, 0, 2, 0, 3, 2, 2, 1, 5, 8, 3, 8, 0, 0, 0, 0, 3, 3, 5, 1, 0, 3, 10, 3, 0, 1, 1, 3, 3, 4, 1, 7, 4, 8, 10, 4, 0, 1, 2, 2, 2, 5, 6, 5, 2, 7, 10, 11, 0, 1, 1, 2, 3, 1, 1, 4, 7, 3, 4, 1, 0, 1, 1, 3, 0, 1, 1, 7, 1, 5, 5, 1, 0, 1, 2, 3, 0, 2, 3, 6, 8, 0, 4, 2, 0, 0, 1, 1, 0, 4, 1, 3, 4, 0, 2, 4, 0, 1, 2, 2, 0, 5, 1, 4, 5, 5, 5, 11, 0, 1, 2, 2, 3, 2, 4, 5, 5, 8, 6, 8, 0, 0, 2, 0, 4, 5, 4, 1, 5, 9, 8, 5, 0, 1, 2, 2, 2, 2, 2, 5, 2, 2, 6, 2];
    for index in 0..12 {
        for n in 1..=12 {
            assert_eq!(
                repartition_start(index, n),
                spark[(index * 12 + n - 1) as usize],
                "XORShiftRandom({index}).nextInt({n})"
            );
        }
    }
}

/// The Scala 2.12.18 hash codes and orders recorded by scripts/spark-diff-hashes.scala agree
/// with `Value::partition_hash` (the `HASH` lines whose label the test can rebuild are checked
/// in src/value.rs; this checks the file is the one those tests transcribe).
#[test]
fn the_recorded_scala_hashes_are_those_the_unit_tests_pin() {
    let text = std::fs::read_to_string("tests/fixtures/spark-diff/scala-hashes.txt")
        .expect("scala-hashes.txt");
    assert!(text.starts_with("version 2.12.18"));
    let hash = |label: &str| -> i32 {
        text.lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() == 4 && f[0] == "HASH" && f[1] == label).then(|| f[2].parse().ok())?
            })
            .unwrap_or_else(|| panic!("no HASH line for {label}"))
    };
    use stream_sim::value::Value;
    assert_eq!(
        Value::pair(Value::str("a"), Value::Int(1)).partition_hash(),
        hash("(a,1)")
    );
    assert_eq!(
        Value::pair(Value::Int(1), Value::Int(2)).partition_hash(),
        hash("(1,2)")
    );
    assert_eq!(
        Value::pair(Value::str("x"), Value::str("y")).partition_hash(),
        hash("(x,y)")
    );
}
