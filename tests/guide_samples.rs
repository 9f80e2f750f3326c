//! The Spark Streaming Programming Guide's Scala, as printed, in the pipeline language.
//!
//! Each sample below is copied from the Spark Streaming Programming Guide for Spark 3.5
//! (docs/streaming-programming-guide.md of Apache Spark 3.5, Apache License 2.0), section
//! named above it. Where the guide elides code with `...`, the elision is filled in and the
//! filling is said. Every sample must parse, build and run, and print exactly what the same
//! pipeline written in stream-sim's own notation prints (the notation whose operators are
//! confirmed on Spark 3.5.3 in tests/oracle/cases.json), batch by batch and partition by
//! partition. The other Scala forms of issue 14 (named arguments, `ssc.union`,
//! `ssc.transform`, the updateStateByKey forms, case classes) follow.

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

fn lines(batches: &[&[&str]]) -> Vec<Option<Vec<Value>>> {
    batches
        .iter()
        .map(|b| Some(b.iter().map(|s| Value::str(s)).collect()))
        .collect()
}

fn pairs(batches: &[&[(&str, i64)]]) -> Vec<Option<Vec<Value>>> {
    batches
        .iter()
        .map(|b| {
            Some(
                b.iter()
                    .map(|(k, v)| Value::pair(Value::str(k), Value::Int(*v)))
                    .collect(),
            )
        })
        .collect()
}

/// Runs `program` over the named sources (batch interval 1 s, 2 partitions each) and returns
/// what stream `out` computed at each batch: printed records, partition by partition.
fn run(
    program: &str,
    sources: &[(&str, Vec<Option<Vec<Value>>>)],
    datasets: &[(&str, Vec<Value>)],
    out: &str,
    batches: u64,
) -> Result<Batches, String> {
    let path = PathBuf::from("tests/guide_samples.rs");
    let program = parse_program(program).map_err(|e| e.to_string())?;
    let scenario = Scenario {
        name: "guide".into(),
        description: String::new(),
        path,
        batch_interval: Duration::from_ms(1000),
        block_interval: Duration::from_ms(200),
        default_parallelism: 2,
        checkpoint: Some("checkpoint".into()),
        remember: None,
        run_for: Duration::from_ms(1000),
        output_dir: None,
        sources: sources
            .iter()
            .map(|(n, b)| SourceSpec {
                name: (*n).into(),
                kind: SourceKind::Batches {
                    batches: b.clone(),
                    partitions: 2,
                },
                span: Default::default(),
            })
            .collect(),
        datasets: datasets
            .iter()
            .map(|(n, v)| ((*n).to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        program,
        pipeline_span: Default::default(),
        cluster: Default::default(),
    };
    let (built, _) = scenario
        .build_graph(&RunOptions::default())
        .map_err(|e| e.to_string())?;
    let stream = built
        .streams
        .get(out)
        .ok_or_else(|| format!("no stream {out}"))?
        .clone();
    let seen: Rc<RefCell<Batches>> = Rc::default();
    let sink = Rc::clone(&seen);
    stream
        .foreach_rdd(move |rdd, t| {
            let parts = rdd
                .partitions()
                .iter()
                .map(|p| p.iter().map(|v| v.to_string()).collect())
                .collect();
            sink.borrow_mut().push((t.ms(), parts));
        })
        .map_err(|e| e.to_string())?;
    built.ssc.start().map_err(|e| e.to_string())?;
    built
        .ssc
        .run_until(Time(1000 * batches))
        .map_err(|e| e.to_string())?;
    let r = seen.borrow().clone();
    Ok(r)
}

/// The guide's program and stream-sim's own notation give the same batches.
fn same(
    guide: &str,
    native: &str,
    sources: &[(&str, Vec<Option<Vec<Value>>>)],
    datasets: &[(&str, Vec<Value>)],
    out: &str,
    batches: u64,
) -> Batches {
    let g = run(guide, sources, datasets, out, batches)
        .unwrap_or_else(|e| panic!("the guide's code failed: {e}\n{guide}"));
    let n = run(native, sources, datasets, out, batches)
        .unwrap_or_else(|e| panic!("the native program failed: {e}\n{native}"));
    assert_eq!(g, n, "guide:\n{guide}\nnative:\n{native}");
    assert!(
        g.iter().any(|(_, p)| p.iter().any(|x| !x.is_empty())),
        "the sample produced nothing: the comparison would be empty"
    );
    g
}

fn text() -> Vec<Option<Vec<Value>>> {
    lines(&[
        &["hello world", "hello spark"],
        &["spark streaming", "a b a"],
        &[],
        &["world"],
    ])
}

// ---- the guide's samples ------------------------------------------------------------------

/// "A Quick Example" (the Scala tab), copied as printed.
const QUICK_EXAMPLE: &str = r#"
// Split each line into words
val words = lines.flatMap(_.split(" "))

import org.apache.spark.streaming.StreamingContext._ // not necessary since Spark 1.3
// Count each word in each batch
val pairs = words.map(word => (word, 1))
val wordCounts = pairs.reduceByKey(_ + _)

// Print the first ten elements of each RDD generated in this DStream to the console
wordCounts.print()
"#;

#[test]
fn quick_example() {
    let native = r#"words = lines.flatMap(split(" "))
        pairs = words.map(pair(1))
        wordCounts = pairs.reduceByKey(sum)
        wordCounts.print()"#;
    let b = same(
        QUICK_EXAMPLE,
        native,
        &[("lines", text())],
        &[],
        "wordCounts",
        4,
    );
    assert_eq!(b[0].0, 1000);
    let all: Vec<&String> = b[0].1.iter().flatten().collect();
    assert!(all.contains(&&"(hello,2)".to_string()), "{all:?}");
}

/// "UpdateStateByKey Operation": the guide elides the sum (`val newCount = ...  // add the
/// new values with the previous running count to get the new count`); filled in with
/// `runningCount.getOrElse(0) + newValues.sum`.
const UPDATE_STATE_BY_KEY: &str = r#"
def updateFunction(newValues: Seq[Int], runningCount: Option[Int]): Option[Int] = {
    val newCount = runningCount.getOrElse(0) + newValues.sum  // add the new values with the previous running count to get the new count
    Some(newCount)
}
val runningCounts = pairs.updateStateByKey[Int](updateFunction _)
"#;

#[test]
fn update_state_by_key() {
    let native = "runningCounts = pairs.updateStateByKey((values, state) => Some(state.getOrElse(0) + values.sum))";
    let src = pairs(&[&[("a", 1), ("b", 1)], &[("a", 1)], &[], &[("c", 1)]]);
    let b = same(
        UPDATE_STATE_BY_KEY,
        native,
        &[("pairs", src)],
        &[],
        "runningCounts",
        4,
    );
    let last: Vec<&String> = b[3].1.iter().flatten().collect();
    assert!(last.contains(&&"(a,2)".to_string()), "{last:?}");
}

/// "Transform Operation": the guide's `spamInfoRDD` comes from `newAPIHadoopRDD(...)` (here
/// a dataset of the scenario) and its `filter(...)` and trailing `...` are elided; filled in
/// with `filter(kv => kv._2._2 == "ok")` and nothing.
const TRANSFORM: &str = r#"
val cleanedDStream = wordCounts.transform { rdd =>
  rdd.join(spamInfoRDD).filter(kv => kv._2._2 == "ok") // join data stream with spam information to do data cleaning
}
"#;

#[test]
fn transform_operation() {
    let native = r#"cleanedDStream = wordCounts.transform(rdd => rdd.join(spamInfoRDD).filter(kv => kv._2._2 == "ok"))"#;
    let wc = pairs(&[&[("hello", 2), ("spam", 5)], &[("spark", 1)]]);
    let spam = vec![
        Value::pair(Value::str("hello"), Value::str("ok")),
        Value::pair(Value::str("spam"), Value::str("spam")),
        Value::pair(Value::str("spark"), Value::str("ok")),
    ];
    same(
        TRANSFORM,
        native,
        &[("wordCounts", wc)],
        &[("spamInfoRDD", spam)],
        "cleanedDStream",
        2,
    );
}

/// "Window Operations", copied as printed.
const WINDOW: &str = r#"
// Reduce last 30 seconds of data, every 10 seconds
val windowedWordCounts = pairs.reduceByKeyAndWindow((a:Int,b:Int) => (a + b), Seconds(30), Seconds(10))
"#;

#[test]
fn window_operations() {
    let native = "windowedWordCounts = pairs.reduceByKeyAndWindow(sum, 30s, 10s)";
    let src = pairs(&[&[("a", 1)], &[("b", 1)], &[("a", 1)], &[], &[("c", 4)]]);
    let b = same(
        WINDOW,
        native,
        &[("pairs", src)],
        &[],
        "windowedWordCounts",
        40,
    );
    assert_eq!(
        b.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        vec![10_000, 20_000, 30_000, 40_000]
    );
}

/// "Join Operations" / "Stream-stream joins", copied as printed (the declarations
/// `val stream1: DStream[String, String] = ...` are the sources).
const JOINS: &str = r#"
val joinedStream = stream1.join(stream2)
"#;
const WINDOWED_JOINS: &str = r#"
val windowedStream1 = stream1.window(Seconds(20))
val windowedStream2 = stream2.window(Minutes(1))
val joinedStream = windowedStream1.join(windowedStream2)
"#;

fn two_streams() -> Vec<(&'static str, Vec<Option<Vec<Value>>>)> {
    let s = |b: &[&[(&str, &str)]]| -> Vec<Option<Vec<Value>>> {
        b.iter()
            .map(|b| {
                Some(
                    b.iter()
                        .map(|(k, v)| Value::pair(Value::str(k), Value::str(v)))
                        .collect(),
                )
            })
            .collect()
    };
    vec![
        (
            "stream1",
            s(&[&[("a", "1"), ("b", "2")], &[("c", "3")], &[("a", "4")]]),
        ),
        (
            "stream2",
            s(&[&[("a", "x")], &[("c", "y"), ("a", "z")], &[]]),
        ),
    ]
}

#[test]
fn stream_stream_joins() {
    same(
        JOINS,
        "joinedStream = stream1.join(stream2)",
        &two_streams(),
        &[],
        "joinedStream",
        3,
    );
    let native = "windowedStream1 = stream1.window(20s)
        windowedStream2 = stream2.window(1min)
        joinedStream = windowedStream1.join(windowedStream2)";
    same(
        WINDOWED_JOINS,
        native,
        &two_streams(),
        &[],
        "joinedStream",
        3,
    );
}

/// "Join Operations" / "Stream-dataset joins": `stream.window(Seconds(20))...` elides the
/// rest of the chain (nothing filled in) and `dataset` is a dataset of the scenario.
const DATASET_JOIN: &str = r#"
val windowedStream = stream.window(Seconds(20))
val joinedStream = windowedStream.transform { rdd => rdd.join(dataset) }
"#;

#[test]
fn stream_dataset_join() {
    let native = "windowedStream = stream.window(20s)
        joinedStream = windowedStream.transform(rdd => rdd.join(dataset))";
    let streams = two_streams();
    let src = [("stream", streams[0].1.clone())];
    let ds = vec![Value::pair(Value::str("a"), Value::str("A"))];
    same(
        DATASET_JOIN,
        native,
        &src,
        &[("dataset", ds)],
        "joinedStream",
        3,
    );
}

/// "Level of Parallelism in Data Receiving": the guide's `kafkaStreams` is
/// `(1 to numStreams).map { i => KafkaUtils.createStream(...) }`; here two sources in a
/// `Seq`.
const UNION: &str = r#"
val kafkaStreams = Seq(stream1, stream2)
val unifiedStream = streamingContext.union(Seq(stream1, stream2))
unifiedStream.print()
"#;

#[test]
fn union_of_streams() {
    let native = "unifiedStream = stream1.union(stream2)\nunifiedStream.print()";
    same(UNION, native, &two_streams(), &[], "unifiedStream", 3);
}

// ---- the other Scala forms of issue 14 ----------------------------------------------------

#[test]
fn placeholders_durations_and_typed_parameters() {
    let guide = r#"val counts = lines.flatMap(_.split(" ")).map((_, 1)).reduceByKey(_ + _)
        val lengths = counts.map(_._2).map((x: Int) => x + 1)
        val windowed = counts.reduceByKeyAndWindow(_ + _, _ - _, Milliseconds(2000), Seconds(1))"#;
    let native = r#"counts = lines.flatMap(split(" ")).map(pair(1)).reduceByKey(sum)
        lengths = counts.map(kv => kv._2).map(x => x + 1)
        windowed = counts.reduceByKeyAndWindow(sum, sub, 2s, 1s)"#;
    same(guide, native, &[("lines", text())], &[], "lengths", 4);
    same(guide, native, &[("lines", text())], &[], "windowed", 4);
    let b = run(
        "w = lines.window(Minutes(2), Seconds(60))",
        &[("lines", text())],
        &[],
        "w",
        120,
    );
    assert_eq!(b.map(|b| b.len()), Ok(2));
}

#[test]
fn named_arguments() {
    let guide = r#"val w = pairs.reduceByKeyAndWindow(reduceFunc = _ + _, invReduceFunc = _ - _,
            windowDuration = Seconds(2), slideDuration = Seconds(1), numPartitions = 3,
            filterFunc = (kv: (String, Int)) => kv._2 > 0)
        val r = pairs.reduceByKey(_ + _, numPartitions = 4)"#;
    let native = "w = pairs.reduceByKeyAndWindow(sum, sub, 2s, 1s, 3, kv => kv._2 > 0)
        r = pairs.reduceByKey(sum, 4)";
    let src = pairs(&[&[("a", 1), ("b", 1)], &[("a", 1)], &[], &[("c", 1)]]);
    let b = same(guide, native, &[("pairs", src.clone())], &[], "w", 4);
    assert_eq!(b[0].1.len(), 3);
    let b = same(guide, native, &[("pairs", src.clone())], &[], "r", 4);
    assert_eq!(b[0].1.len(), 4);
    // a gap before a named argument, and a name Spark does not have
    let e = run(
        "w = pairs.reduceByKeyAndWindow(_ + _, _ - _, Seconds(2), Seconds(1), filterFunc = kv => true)",
        &[("pairs", src.clone())],
        &[],
        "w",
        1,
    )
    .unwrap_err();
    assert!(e.contains("write `numPartitions` too"), "{e}");
    assert!(e.starts_with("line 1, column 70"), "{e}");
    let e = run(
        "r = pairs.reduceByKey(_ + _, partitions = 4)",
        &[("pairs", src)],
        &[],
        "r",
        1,
    )
    .unwrap_err();
    assert!(
        e.contains("`partitions` is not a parameter of reduceByKey; Spark's parameters: reduceByKey(reduceFunc, numPartitions)"),
        "{e}"
    );
}

#[test]
fn context_union_and_transform() {
    let guide = "val u = ssc.union(Seq(stream1, stream2, stream1))
        val t = ssc.transform(Seq(stream1, stream2), (rdds, time) => rdds(0).join(rdds(1)))
        val t2 = stream1.transform((rdd, time) => rdd.mapValues(_ + \"!\"))";
    let native = "u = stream1.union(stream2, stream1)
        t = stream1.transformWith(stream2, (a, b) => a.join(b))
        t2 = stream1.transform(rdd => rdd.mapValues(v => v + \"!\"))";
    for out in ["u", "t", "t2"] {
        same(guide, native, &two_streams(), &[], out, 3);
    }
    let e = run(
        "t = stream1.transform((rdd, time) => rdd.map(x => time))",
        &two_streams(),
        &[],
        "t",
        1,
    )
    .unwrap_err();
    assert!(e.contains("reads the batch time `time`"), "{e}");
}

#[test]
fn update_state_by_key_forms() {
    let src = pairs(&[&[("a", 1), ("b", 1)], &[("a", 1)], &[], &[("c", 1)]]);
    // with a partitioner and an initial RDD (PairDStreamFunctions.updateStateByKey(updateFunc,
    // partitioner, initialRDD))
    let guide = r#"val initial = ssc.sparkContext.parallelize(Seq(("a", 10), ("z", 5)))
        val s = pairs.updateStateByKey[Int]((values: Seq[Int], state: Option[Int]) =>
          Some(values.sum + state.getOrElse(0)), new HashPartitioner(3), initial)"#;
    let native = r#"s = pairs.updateStateByKey((values, state) => Some(values.sum + state.getOrElse(0)), 3, parallelize(List(("a", 10), ("z", 5))))"#;
    let b = same(guide, native, &[("pairs", src.clone())], &[], "s", 4);
    assert_eq!(b[0].1.len(), 3, "the partitioner's 3 partitions");
    let all: Vec<&String> = b[0].1.iter().flatten().collect();
    assert!(all.contains(&&"(a,11)".to_string()) && all.contains(&&"(z,5)".to_string()));
    // the iterator form, in the shape Spark builds it
    let guide = r#"val s = pairs.updateStateByKey[Int](
          (it: Iterator[(String, Seq[Int], Option[Int])]) =>
            it.flatMap(t => (if (t._2.isEmpty) None else Some(t._2.sum + t._3.getOrElse(0))).map(s => (t._1, s))),
          new HashPartitioner(2), true)"#;
    let native = "s = pairs.updateStateByKey((values, state) => if (values.isEmpty) None else Some(values.sum + state.getOrElse(0)), 2)";
    same(guide, native, &[("pairs", src.clone())], &[], "s", 4);
    // a case class for the state, and a block with a `case` pattern
    let guide = r#"case class Tally(count: Int, batches: Int)
        val s = pairs.updateStateByKey[Tally]((values: Seq[Int], state: Option[Tally]) => {
          val old = state.getOrElse(Tally(0, 0))
          Some(Tally(old.count + values.sum, old.batches + 1))
        })
        val c = s.map { case (word, tally) => (word, tally.count) }"#;
    let native = "s = pairs.updateStateByKey((values, state) => Some((state.getOrElse((0, 0))._1 + values.sum, state.getOrElse((0, 0))._2 + 1)))
        c = s.map(kv => (kv._1, kv._2._1))";
    same(guide, native, &[("pairs", src)], &[], "c", 4);
}

#[test]
fn collections_to_seq_set_map() {
    let guide = r#"val g = pairs.groupByKey().mapValues(_.toSeq.toList.sorted)
        val s = pairs.groupByKey().mapValues(_.toSet.size)"#;
    let native = "g = pairs.groupByKey().mapValues(vs => vs.toList.sorted)
        s = pairs.groupByKey().mapValues(vs => vs.distinct.size)";
    let src = pairs(&[&[("a", 1), ("a", 1), ("b", 2)], &[("a", 3)]]);
    same(guide, native, &[("pairs", src.clone())], &[], "g", 2);
    same(guide, native, &[("pairs", src)], &[], "s", 2);
}

/// queueStream's `partitions`: every queued RDD is `sc.makeRDD(batch, partitions)` (Spark's
/// `ParallelCollectionRDD` slicing), one a batch, then empty batches; with oneAtATime = false
/// or a defaultRDD it is refused with the source named.
#[test]
fn queue_stream_partitions() {
    let dir = std::env::temp_dir().join(format!("stream-sim-queue-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |extra: &str| {
        let p = dir.join("q.toml");
        std::fs::write(
            &p,
            format!(
                "name = \"q\"\ndescription = \"q\"\npipeline = '''\nq.glom().map(_.size).print()\n'''\n\
                 [context]\nbatch_interval = \"1s\"\nrun_for = \"3s\"\n\
                 [sources.q]\ntype = \"queueStream\"\nbatches = [[1, 2, 3, 4, 5], [6]]\n{extra}"
            ),
        )
        .expect("write");
        p
    };
    let sc =
        stream_sim::scenario::load(&write("partitions = 3\n")).unwrap_or_else(|e| panic!("{e}"));
    let (built, _) = sc.build_graph(&RunOptions::default()).expect("build");
    let seen: Rc<RefCell<Vec<usize>>> = Rc::default();
    let sink = Rc::clone(&seen);
    built.streams["q"]
        .foreach_rdd(move |rdd, _| sink.borrow_mut().push(rdd.partitions().len()))
        .expect("foreachRDD");
    built.ssc.start().expect("start");
    built.ssc.run_until(Time(3000)).expect("run");
    assert_eq!(*seen.borrow(), vec![3, 3, 3]);
    let e = stream_sim::scenario::load(&write("partitions = 3\none_at_a_time = false\n"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("source `q`: partitions"), "{e}");
}
