//! `stream-sim import`: the guide's programs (tests/fixtures/import/*.scala) become scenarios
//! that load, build and compute exactly what the same pipeline written in stream-sim's own
//! notation computes; an operation we do not model is refused at its position in the file.

use std::cell::RefCell;
use std::rc::Rc;
use stream_sim::scenario::{self, RunOptions};
use stream_sim::sim::{Duration, Time};
use stream_sim::spark::{import_scala, ImportOptions};

fn opts() -> ImportOptions {
    let data = std::fs::canonicalize("scenarios/data/fortunes/lines.txt").expect("fortunes");
    ImportOptions {
        data: data.display().to_string(),
        rate: 10.0,
        run_for: Duration::from_ms(30_000),
    }
}

fn import(name: &str) -> Result<String, String> {
    let path = format!("tests/fixtures/import/{name}.scala");
    let text = std::fs::read_to_string(&path).expect("fixture");
    import_scala(&path, &text, &opts())
}

/// What stream `out` of the scenario text computes, batch by batch (records printed).
type Batches = Vec<(u64, Vec<String>)>;

fn outputs(toml: &str, out: &str, tag: &str) -> Batches {
    let dir = std::env::temp_dir().join(format!("stream-sim-import-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("s.toml");
    std::fs::write(&path, toml).expect("write");
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let (built, _) = sc
        .build_graph(&RunOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let seen: Rc<RefCell<Batches>> = Rc::default();
    let sink = Rc::clone(&seen);
    built.streams[out]
        .foreach_rdd(move |rdd, t| {
            let mut v: Vec<String> = rdd
                .partitions()
                .concat()
                .iter()
                .map(|x| x.to_string())
                .collect();
            v.sort();
            sink.borrow_mut().push((t.ms(), v));
        })
        .expect("foreachRDD");
    built.ssc.start().expect("start");
    built.ssc.run_until(Time(30_000)).expect("run");
    let r = seen.borrow().clone();
    r
}

/// The imported scenario with its pipeline replaced by `native`.
fn with_pipeline(toml: &str, native: &str) -> String {
    let start = toml.find("pipeline = '''").expect("pipeline");
    let end = toml[start + 14..].find("'''").expect("end") + start + 17;
    format!(
        "{}pipeline = '''\n{native}\n'''{}",
        &toml[..start],
        &toml[end..]
    )
}

#[test]
fn network_word_count() {
    let toml = import("NetworkWordCount").unwrap_or_else(|e| panic!("{e}"));
    assert!(toml.contains("batch_interval = \"1s\""), "{toml}");
    assert!(toml.contains("type = \"socketTextStream\""), "{toml}");
    let native = "words = lines.flatMap(split(\" \"))\npairs = words.map(pair(1))\nwordCounts = pairs.reduceByKey(sum)\nwordCounts.print()";
    let a = outputs(&toml, "wordCounts", "nwc-a");
    let b = outputs(&with_pipeline(&toml, native), "wordCounts", "nwc-b");
    assert_eq!(a.len(), 30);
    assert_eq!(a, b);
}

#[test]
fn windowed_word_count() {
    let toml = import("WindowedNetworkWordCount").unwrap_or_else(|e| panic!("{e}"));
    let native = "words = lines.flatMap(split(\" \"))\npairs = words.map(pair(1))\nwindowedWordCounts = pairs.reduceByKeyAndWindow(sum, 30s, 10s)\nwindowedWordCounts.print()";
    let a = outputs(&toml, "windowedWordCounts", "w-a");
    let b = outputs(&with_pipeline(&toml, native), "windowedWordCounts", "w-b");
    assert_eq!(
        a.iter().map(|x| x.0).collect::<Vec<_>>(),
        vec![10_000, 20_000, 30_000]
    );
    assert_eq!(a, b);
}

#[test]
fn stateful_word_count() {
    let toml = import("StatefulNetworkWordCount").unwrap_or_else(|e| panic!("{e}"));
    assert!(toml.contains("checkpoint = \"checkpoint\""), "{toml}");
    assert!(
        toml.contains("saveAsTextFiles(\"counts\", \"txt\")"),
        "{toml}"
    );
    let native = "words = lines.flatMap(split(\" \"))\npairs = words.map(pair(1))\nrunningCounts = pairs.updateStateByKey((values, state) => Some(state.getOrElse(0) + values.sum))\nrunningCounts.print()";
    let a = outputs(&toml, "runningCounts", "s-a");
    let b = outputs(&with_pipeline(&toml, native), "runningCounts", "s-b");
    assert_eq!(a, b);
    assert!(a.last().is_some_and(|(_, r)| r.len() > 10));
}

#[test]
fn unsupported_operations_are_refused_with_their_position() {
    let e = import("MapWithState").unwrap_err();
    assert!(
        e.starts_with("tests/fixtures/import/MapWithState.scala:10:23: `mapWithState` is not an operation stream-sim models"),
        "{e}"
    );
    let e = import_scala(
        "Q.scala",
        "val ssc = new StreamingContext(conf, Seconds(1))\nval q = ssc.queueStream(rdds)\n",
        &opts(),
    )
    .unwrap_err();
    assert!(e.starts_with("Q.scala:2:13: queueStream"), "{e}");
    let e = import_scala(
        "N.scala",
        "val lines = ssc.socketTextStream(\"h\", 1)\n",
        &opts(),
    )
    .unwrap_err();
    assert!(e.contains("no `new StreamingContext"), "{e}");
    let e = import_scala(
        "P.scala",
        "val ssc = new StreamingContext(conf, Seconds(1))\nval x = (\n",
        &opts(),
    )
    .unwrap_err();
    assert!(e.starts_with("P.scala:2:9:"), "{e}");
}
