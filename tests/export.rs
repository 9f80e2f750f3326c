//! `stream-sim export`: the Scala and PySpark programs written for bundled scenarios (insta
//! snapshots), the errors for what Spark lacks, the README, the comparison `--verify` makes
//! (fed here a capture built from the simulator's own run, so no Spark is needed), and the
//! recorded outcome of `--verify` on real Spark 3.5.3 for every bundled scenario
//! (tests/fixtures/export/verify.json, written by scripts/export-verify-all.sh).

use stream_sim::spark::export::verify::{first_difference, parse_capture, Outcome};
use stream_sim::spark::export::{escape, export, prepare, Plan, Target};

fn plan(name: &str) -> Plan {
    prepare(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The program's main file for `name` in `target`.
fn program(name: &str, target: Target) -> String {
    let p = plan(name);
    let ex = export(&p, target).unwrap_or_else(|e| panic!("{name}: {e}"));
    ex.files[&ex.main_files[0]].clone()
}

#[test]
fn scala_programs() {
    for name in [
        "wordcount",
        "book-windows",
        "book-state",
        "kafka-direct",
        "tests/fixtures/export/join.toml",
    ] {
        let snap = format!(
            "scala_{}",
            name.rsplit('/')
                .next()
                .unwrap_or(name)
                .trim_end_matches(".toml")
        );
        insta::assert_snapshot!(snap, program(name, Target::Scala));
    }
}

#[test]
fn pyspark_programs() {
    for name in [
        "wordcount",
        "book-windows",
        "book-state",
        "tests/fixtures/export/join.toml",
    ] {
        let snap = format!(
            "pyspark_{}",
            name.rsplit('/')
                .next()
                .unwrap_or(name)
                .trim_end_matches(".toml")
        );
        insta::assert_snapshot!(snap, program(name, Target::PySpark));
    }
}

#[test]
fn the_kafka_cluster_main_uses_the_direct_stream() {
    // The cluster run reads Kafka with the 0-10 direct stream; the local run replays batches.
    let p = plan("kafka-direct");
    let ex = export(&p, Target::Scala).expect("export");
    let cluster = &ex.files["KafkaDirectCluster.scala"];
    assert!(
        cluster.contains("KafkaUtils.createDirectStream[String, String]"),
        "{cluster}"
    );
    assert!(ex.files["build.sbt"].contains("spark-streaming-kafka-0-10"));
}

#[test]
fn errors_name_what_spark_lacks() {
    let cases: &[(&str, Target, &str)] = &[
        (
            "tests/fixtures/export/sketch.toml",
            Target::Scala,
            "sketch.toml:4:33: `heavyHitters` is one of the simulator's sketch operators",
        ),
        (
            "flights",
            Target::Scala,
            "source `flights` is a csvEventStream",
        ),
        (
            "scenarios/storm/storm-flights.toml",
            Target::Scala,
            "model = \"storm\": export writes Spark Streaming (DStream) programs",
        ),
        (
            "kafka-direct",
            Target::PySpark,
            "PySpark 3.x has no Kafka DStream",
        ),
    ];
    for (name, target, want) in cases {
        let got = prepare(name).and_then(|p| export(&p, *target).map(|_| String::new()));
        match got {
            Err(e) => assert!(e.contains(want), "{name}: {e}\nwanted: {want}"),
            Ok(_) => panic!("{name} exported; wanted the error {want}"),
        }
    }
}

#[test]
fn readme_has_the_submit_line_and_what_was_left_out() {
    let p = plan("worker-failure");
    let ex = export(&p, Target::Scala).expect("export");
    let r = &ex.files["README.md"];
    assert!(
        r.contains("spark-submit --class streamsim.workerfailure.WorkerFailureCluster"),
        "{r}"
    );
    assert!(
        r.contains("python3 replay_server.py data/lines.timed 9999"),
        "{r}"
    );
    assert!(
        r.contains("spark.streaming.clock=org.apache.spark.util.ManualClock"),
        "{r}"
    );
    assert!(
        r.contains("## Left out\n\n- the fault schedule (2 fault line(s))"),
        "{r}"
    );
    assert!(ex.files.contains_key("data/lines.batches"));
    assert!(ex.files.contains_key("replay_server.py"));
    let clean = plan("book-transformations");
    let r = &export(&clean, Target::Scala).expect("export").files["README.md"];
    assert!(
        r.contains("Nothing: the scenario uses only Spark features."),
        "{r}"
    );
}

#[test]
fn input_batches_are_the_simulators_blocks() {
    // book-batches: 4 lines/s, a block every 500 ms, a batch every 2 s: 4 partitions of 2 lines.
    let p = plan("book-batches");
    let ex = export(&p, Target::Scala).expect("export");
    let data = &ex.files["data/lines.batches"];
    assert!(data.contains("\nbatch 2000 4\n"), "{data}");
    assert_eq!(escape("a\tb\\c\n"), "a\\tb\\\\c\\n");
}

/// A capture as the program prints it with --verify, built from the simulator's batches.
fn capture_of(p: &Plan) -> String {
    let mut s = String::new();
    for (i, batches) in p.sim.outputs.iter().enumerate() {
        for (t, parts) in batches {
            s.push_str(&format!("@@stream-sim out {} {t} {}\n", i + 1, parts.len()));
            // Spark's order inside a partition may differ: reversed here
            for (k, part) in parts.iter().enumerate() {
                for r in part.iter().rev() {
                    s.push_str(&format!(
                        "@@stream-sim rec {} {t} {k} {}\n",
                        i + 1,
                        escape(r)
                    ));
                }
            }
        }
    }
    s.push_str("@@stream-sim end\n");
    s
}

#[test]
fn verify_compares_batch_by_batch() {
    let p = plan("book-windows");
    let text = capture_of(&p);
    let (spark, ended) = parse_capture(&text);
    assert!(ended);
    assert_eq!(first_difference(&p, &spark), None);
    // one record fewer in one batch: the first difference names the output and the batch
    let broken = text.replacen("@@stream-sim rec 3 3000 1 (a,2)\n", "", 1);
    assert_ne!(broken, text, "the capture should hold (a,2) at 3000 ms");
    let (spark, _) = parse_capture(&broken);
    let d = first_difference(&p, &spark).expect("a difference");
    assert!(
        d.starts_with("output 3 (`incremental.print()` at scenarios/book-windows.toml:"),
        "{d}"
    );
    assert!(
        d.contains("batch 3000 ms: only in the simulator: (a,2) x1; only in Spark: nothing"),
        "{d}"
    );
    // a missing batch
    let cut: String = text
        .lines()
        .filter(|l| !l.contains(" 1 7000 "))
        .map(|l| format!("{l}\n"))
        .collect();
    let (spark, _) = parse_capture(&cut);
    let d = first_difference(&p, &spark).expect("a difference");
    assert!(
        d.contains("the simulator has a batch at 7000 ms, Spark has none"),
        "{d}"
    );
    let _ = Outcome::Agree(0);
}

#[test]
fn the_verify_record_covers_every_bundled_scenario() {
    let text = std::fs::read_to_string("tests/fixtures/export/verify.json").expect("verify.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let rows = doc["scenarios"].as_array().expect("scenarios");
    let names = stream_sim::scenario::bundled_names();
    for n in &names {
        let row = rows.iter().find(|r| r["scenario"] == n.as_str());
        let Some(row) = row else {
            panic!("{n} has no outcome in verify.json: run scripts/export-verify-all.sh");
        };
        let o = row["outcome"].as_str().unwrap_or("");
        assert!(
            ["agree", "differ", "not-exported"].contains(&o),
            "{n}: outcome {o}"
        );
        // a scenario that exports now must have been run on Spark, and one that was not
        // exported must still be refused
        assert_eq!(prepare(n).is_ok(), o != "not-exported", "{n}: recorded {o}");
    }
    assert_eq!(
        rows.len(),
        names.len(),
        "verify.json lists a scenario that is not bundled"
    );
}
