//! Broadcast variables after the driver's recovery from a checkpoint (issue 17, the guide's
//! "Accumulators, Broadcast Variables, and Checkpoints"), against what Spark 3.5.3 printed
//! (`tests/fixtures/broadcast/spark-3.5.3.txt`, written by `scripts/oracle-broadcast.sh`: two
//! JVMs, the first halted after three batches, the second recovering with
//! `StreamingContext.getOrCreate`), and the pipeline language's forms for them and for
//! `foreachRDD { rdd => ... }`.

use stream_sim::models::dstream::Event;
use stream_sim::scenario::{self, parse, spec, RunOptions, Scenario};

const FIXTURE: &str = include_str!("fixtures/broadcast/spark-3.5.3.txt");

/// The exceptions Spark's recovered run raised for `variant` (the `ORACLE error` lines after
/// `## variant recover`: the first is the job's, then its causes).
fn spark_errors(variant: &str) -> Vec<&'static str> {
    let header = format!("## {variant} recover");
    FIXTURE
        .lines()
        .skip_while(|l| *l != header)
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("ORACLE error "))
        .collect()
}

fn bundled(name: &str) -> Scenario {
    scenario::load(&scenario::resolve(name).expect("bundled")).expect("valid")
}

/// A variant of a bundled scenario with its pipeline replaced (data resolved as the bundled
/// file's).
fn variant(name: &str, edit: impl Fn(String) -> String) -> Scenario {
    let path = scenario::resolve(name).expect("bundled");
    let text = std::fs::read_to_string(&path).expect("readable");
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit of {name} took");
    spec::parse_scenario(&edited, &path).expect("valid")
}

/// The run's printed output and the message of its failed job, if one failed.
fn run(sc: &Scenario) -> (String, Option<String>) {
    let built = sc.build(&RunOptions::default()).expect("builds");
    let mut printed = Vec::new();
    let _ = built
        .run_printing(built.default_until, &mut printed)
        .expect("memory");
    let failed = built.ssc.trace().into_iter().find_map(|e| match e {
        Event::JobFailed { message, .. } => Some(message),
        _ => None,
    });
    (String::from_utf8(printed).expect("utf-8"), failed)
}

fn check_error(sc: &Scenario) -> String {
    match sc.build(&RunOptions::default()) {
        Ok(_) => panic!("should not build"),
        Err(e) => e.to_string(),
    }
}

/// The fixture holds what the simulator is compared with: the recovered job's error
/// (broadcast_0, read as the new driver's task binary) and its cause chain.
#[test]
fn the_fixture_records_sparks_errors() {
    let captured = spark_errors("captured");
    assert!(captured.len() >= 2, "{captured:?}");
    assert!(captured[0]
        .starts_with("org.apache.spark.SparkException: Job aborted due to stage failure"));
    assert!(captured[1].starts_with("java.lang.ClassCastException: class [B cannot be cast"));
    let late = spark_errors("captured-late");
    assert!(
        late[1].contains("Failed to get broadcast_5_piece0 of broadcast_5"),
        "{late:?}"
    );
    assert!(spark_errors("singleton").is_empty());
    assert!(FIXTURE.contains("## singleton recover\nORACLE batch (cat,2) (dog,2) (saw,2)"));
}

/// A broadcast captured by a checkpointed function: the first recovered job that reads it
/// fails with Spark's exception, word for word.
#[test]
fn captured_broadcast_fails_after_recovery_as_spark_does() {
    let (printed, failed) = run(&bundled("broadcast-recovery"));
    let failed = failed.expect("the recovered job fails");
    let spark = spark_errors("captured")[1];
    assert!(
        failed.contains(spark),
        "simulator: {failed}\nSpark: {spark}"
    );
    assert!(
        failed.starts_with("Job aborted at time 6000 ms: filter failed"),
        "{failed}"
    );
    // before the failure each batch printed both counts
    assert!(printed.contains("Time: 5000 ms"));
    assert!(!printed.contains("Time: 7000 ms"));
}

/// A captured id beyond those the new driver has made is missing altogether.
#[test]
fn an_id_the_new_driver_has_not_reached_is_missing_as_in_spark() {
    let sc = variant("broadcast-recovery", |t| {
        t.replace(
            "excluded = sc.broadcast(",
            "b0 = sc.broadcast(0)\nb1 = sc.broadcast(1)\nb2 = sc.broadcast(2)\nb3 = sc.broadcast(3)\nb4 = sc.broadcast(4)\nexcluded = sc.broadcast(",
        )
    });
    let failed = run(&sc).1.expect("the recovered job fails");
    let spark = spark_errors("captured-late")[1];
    assert!(
        failed.contains(spark),
        "simulator: {failed}\nSpark: {spark}"
    );
}

/// The guide's singleton: the new driver makes the broadcast again and the run goes on, with
/// the same kept-word counts as the run that captured the broadcast printed before failing.
#[test]
fn the_guides_singleton_survives_the_restart() {
    let (fixed, failed) = run(&bundled("broadcast-recovery-fixed"));
    assert_eq!(failed, None);
    assert!(fixed.contains("Time: 12000 ms"));
    let (captured, _) = run(&bundled("broadcast-recovery"));
    let upto = |s: &str| s[..s.find("Time: 6000 ms").expect("batch 6000")].to_string();
    assert_eq!(upto(&fixed), upto(&captured));
    // the exclude list is applied: fewer kept words than words in some batch
    assert!(fixed.contains("-------------------------------------------\nTime: 2000 ms"));
}

/// Without a checkpoint the restarted driver runs the program again, which makes the
/// broadcast again: nothing fails (`StreamingContext.getOrCreate`'s creating function).
#[test]
fn without_a_checkpoint_the_program_makes_its_broadcast_again() {
    let sc = variant("broadcast-recovery", |t| {
        t.replace("checkpoint = \"checkpoints/broadcast-recovery\"\n", "")
            .replace("wal = true\n", "")
    });
    assert_eq!(run(&sc).1, None);
}

/// Reading a broadcast any other way than `.value` is refused at build time, naming the form.
#[test]
fn broadcasts_are_read_with_value() {
    let sc = variant("broadcast-recovery", |t| {
        t.replace("!excluded.value.contains(w)", "!excluded.contains(w)")
    });
    let e = check_error(&sc);
    assert!(
        e.contains("`excluded` is a broadcast variable: read it with `excluded.value`"),
        "{e}"
    );
    let sc = variant("broadcast-recovery-fixed", |t| {
        t.replace("excludeList.value.contains(w)", "excludeList.contains(w)")
    });
    let e = check_error(&sc);
    assert!(e.contains("is a broadcast: read it with `.value`"), "{e}");
    let sc = variant("broadcast-recovery", |t| {
        t.replace("excluded = sc.broadcast(", "sc.broadcast(")
    });
    let e = check_error(&sc);
    assert!(e.contains("a broadcast needs a name"), "{e}");
}

/// An `object` must be the guide's singleton of a broadcast.
#[test]
fn objects_other_than_the_broadcast_singleton_are_refused() {
    let acc = "object DroppedWordsCounter {\n  @volatile private var instance: LongAccumulator = null\n  def getInstance(sc: SparkContext): LongAccumulator = {\n    if (instance == null) instance = sc.longAccumulator(\"DroppedWordsCounter\")\n    instance\n  }\n}\nlines.print()";
    let e = parse::parse_program(acc).unwrap_err().to_string();
    assert!(e.contains("only broadcast singletons are simulated"), "{e}");
    let e = parse::parse_program("object Foo { def bar = 1 }\nlines.print()")
        .unwrap_err()
        .to_string();
    assert!(e.contains("has no `def getInstance"), "{e}");
    // the broadcast's value keeps its place in the file
    let bad = "object L {\n  def getInstance(sc: SparkContext) = sc.broadcast(Seq(\"a\",))\n}";
    let e = parse::parse_program(bad).unwrap_err();
    assert_eq!(e.span.line, 2, "{e}");
}

/// `foreachRDD { rdd => ... }` and `{ (rdd, time) => ... }` read as the parenthesised forms,
/// with `val`s in the braces' body.
#[test]
fn foreach_rdd_brace_forms_parse_like_the_parenthesised_ones() {
    let cases = [
        (
            "words.foreachRDD { rdd =>\n  rdd.foreachPartition { partitionOfRecords =>\n    val connection = ConnectionPool.getConnection()\n    partitionOfRecords.foreach(record => connection.send(record))\n  }\n}",
            "words.foreachRDD(rdd => rdd.foreachPartition(partitionOfRecords => { val connection = ConnectionPool.getConnection(); partitionOfRecords.foreach(record => connection.send(record)) }))",
        ),
        (
            "words.foreachRDD { (rdd: RDD[String], time: Time) =>\n  val n = 1\n  rdd.foreach(record => createNewConnection().send(record))\n}",
            "words.foreachRDD((rdd, time) => rdd.foreach(record => createNewConnection().send(record)))",
        ),
        ("s.map { x => x + 1 }", "s.map(x => x + 1)"),
        ("s.map { x =>\n val y = x * 2\n y + 1 }", "s.map(x => x * 2 + 1)"),
    ];
    for (braces, parens) in cases {
        let a = parse::parse_program(braces).expect(braces);
        let b = parse::parse_program(parens).expect(parens);
        let show = |p: &stream_sim::scenario::ast::Program| {
            p.statements
                .iter()
                .map(|s| parse::unparse(&s.expr))
                .collect::<Vec<_>>()
        };
        assert_eq!(show(&a), show(&b), "{braces}");
    }
}

/// The brace form runs: book-connections' pattern written as the guide writes it counts the
/// same connections.
#[test]
fn foreach_rdd_brace_form_runs_like_the_parenthesised_one() {
    let braces = variant("book-connections", |t| {
        t.replace(
            "words.foreachRDD(rdd => rdd.foreachPartition(partitionOfRecords => {\n  val connection = ConnectionPool.getConnection()\n  partitionOfRecords.foreach(record => connection.send(record))\n}))",
            "words.foreachRDD { rdd =>\n  rdd.foreachPartition { partitionOfRecords =>\n    val connection = ConnectionPool.getConnection()\n    partitionOfRecords.foreach(record => connection.send(record))\n  }\n}",
        )
    });
    let paren = bundled("book-connections");
    assert_eq!(run(&braces), run(&paren));
}

/// `export` refuses a broadcast scenario with the reason (the exported program cannot
/// restart its driver), instead of writing a program that behaves otherwise.
#[test]
fn export_refuses_broadcasts_with_the_reason() {
    for name in ["broadcast-recovery", "broadcast-recovery-fixed"] {
        let Err(e) = stream_sim::spark::export::prepare(name) else {
            panic!("{name} exported");
        };
        assert!(e.contains("broadcast variables are not exported"), "{e}");
        assert!(e.contains(&format!("scenarios/{name}.toml:")), "{e}");
    }
}

/// Time travel keeps broadcasts honest: a snapshot taken before the driver's failure, restored
/// after the recovered job failed, runs the batches before the failure again without error
/// (the snapshot holds which driver made each broadcast).
#[test]
fn a_snapshot_before_the_failure_restores_the_live_broadcast() {
    use stream_sim::sim::{Duration, Time};
    let sc = bundled("broadcast-recovery");
    let built = sc.build(&RunOptions::default()).expect("builds");
    let at = |s: u64| Time::ZERO.plus(Duration::from_secs(s));
    built.ssc.run_until(at(5)).expect("runs to 5 s");
    let before = built.ssc.snapshot();
    assert!(
        built.ssc.run_until(at(12)).is_err(),
        "the recovered job fails"
    );
    built.ssc.restore(&before);
    built
        .ssc
        .run_until(at(6))
        .expect("the first driver's broadcast reads again");
}
