//! Structured Streaming rules, each checked on the model through its scenario files: output
//! modes and Spark's messages (positioned in the file), triggers, no-data batches, the
//! watermark's history, progress reports, the emissions per window, and recovery after a
//! driver failure (exactly-once only with an idempotent sink). The batch-by-batch
//! comparison with real Spark is tests/structured_oracle.rs.

use std::path::Path;
use stream_sim::check::structured::{run_command, summarize};
use stream_sim::check::Verdict;
use stream_sim::models::structured::Trigger;
use stream_sim::scenario::structured::{load, parse, structured_dir};
use stream_sim::sim::Time;

const WORDS: &str = r#"
name = "t"
model = "structured"
query = '''
words
  .withWatermark("time", "10 minutes")
  .groupBy(window($"time", "10 minutes"), $"word")
  .count()
'''
[writeStream]
outputMode = "append"
trigger = "default"
format = "memory"
[sources.words]
type = "rows"
schema = "time timestamp, word string"
rows = [
  ["1s", "2013-01-01 12:01:00", "a"],
  ["2s", "2013-01-01 12:25:00", "b"],
  ["3s", "2013-01-01 12:02:00", "c"],
]
"#;

fn with(find: &str, replace: &str) -> String {
    assert!(WORDS.contains(find), "{find}");
    WORDS.replacen(find, replace, 1)
}

fn err(text: &str) -> String {
    parse(text, Path::new("t.toml")).unwrap_err().to_string()
}

#[test]
fn append_without_a_watermark_is_refused_in_sparks_words_at_the_group_by() {
    let e = err(&with(".withWatermark(\"time\", \"10 minutes\")\n", ""));
    assert!(e.starts_with("t.toml:6:6: AnalysisException: Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark"), "{e}");
    // Update mode allows it; complete needs an aggregation.
    let update =
        with(".withWatermark(\"time\", \"10 minutes\")\n", "").replace("\"append\"", "\"update\"");
    assert!(parse(&update, Path::new("t.toml")).is_ok());
    let e = err(&with(
        "  .groupBy(window($\"time\", \"10 minutes\"), $\"word\")\n  .count()\n",
        "",
    )
    .replace("\"append\"", "\"complete\""));
    assert!(e.contains("Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets"), "{e}");
}

#[test]
fn bad_event_time_input_gets_a_positioned_error() {
    let e = err(&with("withWatermark(\"time\"", "withWatermark(\"word\""));
    assert!(e.contains("t.toml:6:4: AnalysisException: [EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE] The event time `word` has the invalid type \"STRING\""), "{e}");
    let e = err(&with("withWatermark(\"time\"", "withWatermark(\"tme\""));
    assert!(e.contains("t.toml:6:4") && e.contains("tme"), "{e}");
    let e = err(&with("\"2013-01-01 12:02:00\"", "\"12:02\""));
    assert!(
        e.contains("t.toml:") && e.contains("column `time`") && e.contains("not a timestamp"),
        "{e}"
    );
    let e = err(&with("$\"word\")", "$\"wrd\")"));
    assert!(
        e.contains("[UNRESOLVED_COLUMN.WITH_SUGGESTION]") && e.contains("t.toml:7:"),
        "{e}"
    );
    let e = err(&with(
        "\"10 minutes\")\n  .groupBy",
        "\"ten minutes\")\n  .groupBy",
    ));
    assert!(
        e.contains("t.toml:6:26") && e.contains("did not match"),
        "{e}"
    );
}

#[test]
fn append_writes_a_window_once_when_the_watermark_passes_its_end() {
    let sc = parse(WORDS, Path::new("t.toml")).unwrap();
    let mut q = sc.start();
    q.run_until(Time(60_000));
    let em = q.emissions();
    // 12:25 moves the watermark to 12:15: a no-data batch writes [12:00, 12:10) once; then
    // (12:02, c) arrives behind it and is dropped, 13 minutes behind the watermark.
    assert_eq!(em.len(), 1, "{em:?}");
    let late = q.late_rows();
    assert_eq!(late.len(), 1);
    assert_eq!(
        (late[0].row[1].as_str(), late[0].delay_ms),
        ("c", 13 * 60_000)
    );
    assert!(em
        .iter()
        .all(|e| e.window.to_string().starts_with("{2013-01-01 12:00:00")));
    let h = q.watermark_history();
    assert_eq!(h.len(), 2, "12:01 - 10 min, then 12:25 - 10 min");
    assert!(
        h[1].why
            .contains("max event time 2013-01-01 12:25:00 minus delay 600000 ms"),
        "{}",
        h[1].why
    );
    // A no-data batch ran for the watermark's move (noDataMicroBatches).
    assert!(q.progress().iter().any(|p| p.num_input_rows == 0));
    let off = with(
        "format = \"memory\"",
        "format = \"memory\"\n[conf]\n\"spark.sql.streaming.noDataMicroBatches.enabled\" = false",
    );
    let mut q = parse(&off, Path::new("t.toml")).unwrap().start();
    q.run_until(Time(60_000));
    assert!(q.progress().iter().all(|p| p.num_input_rows > 0));
}

#[test]
fn triggers_once_and_available_now_stop_on_their_own() {
    let at = |arrivals: &str, trigger: &str| {
        let text = with("trigger = \"default\"", &format!("trigger = \"{trigger}\""))
            .replace("\"1s\"", arrivals)
            .replace("\"2s\"", arrivals)
            .replace("\"3s\"", arrivals);
        let sc = parse(&text, Path::new("t.toml")).unwrap();
        let mut q = sc.start();
        q.run_until(Time(60_000));
        (q.is_stopped(), q.progress().len(), sc.config.trigger)
    };
    let (stopped, batches, t) = at("\"0s\"", "Once");
    assert_eq!((stopped, batches, t), (true, 1, Trigger::Once));
    // AvailableNow: the data batch, then the no-data batch the watermark calls for.
    let (stopped, batches, _) = at("\"0s\"", "AvailableNow");
    assert_eq!((stopped, batches), (true, 2));
    let sc = parse(
        &with(
            "trigger = \"default\"",
            "trigger = \"ProcessingTime(5 seconds)\"",
        ),
        Path::new("t.toml"),
    )
    .unwrap();
    let mut q = sc.start();
    q.run_until(Time(60_000));
    // Data at 1 s, 2 s, 3 s: one batch at 5 s reads all three.
    assert_eq!(q.progress()[0].num_input_rows, 3);
    assert_eq!(q.progress()[0].timestamp, "1970-01-01T00:00:05.000Z");
}

#[test]
fn progress_reports_have_the_fields_of_streaming_query_progress() {
    let sc = parse(WORDS, Path::new("t.toml")).unwrap();
    let mut q = sc.start();
    q.run_until(Time(60_000));
    let json: serde_json::Value = serde_json::from_str(&q.progress()[0].json()).unwrap();
    for k in [
        "batchId",
        "numInputRows",
        "inputRowsPerSecond",
        "processedRowsPerSecond",
        "durationMs",
        "eventTime",
        "stateOperators",
        "sources",
        "sink",
    ] {
        assert!(json.get(k).is_some(), "{k} missing in {json}");
    }
    assert_eq!(json["eventTime"]["watermark"], "1970-01-01T00:00:00.000Z");
    assert_eq!(json["stateOperators"][0]["numRowsTotal"], 1);
}

#[test]
fn a_driver_failure_after_the_sink_write_is_exactly_once_only_with_an_idempotent_sink() {
    let sc = load(&structured_dir().join("flights-driver-failure.toml")).unwrap();
    assert!(sc.config.idempotent_sink);
    let judge = |sc: &stream_sim::scenario::structured::StructuredScenario| {
        let mut reference = sc.without_faults().start();
        reference.run_until(sc.until);
        let mut faulty = sc.start();
        faulty.run_until(sc.until.plus(stream_sim::sim::Duration::from_secs(60)));
        (
            Verdict::compare(reference.ledger(), faulty.ledger(), sc.until),
            faulty,
        )
    };
    let (v, q) = judge(&sc);
    assert_eq!(v.label(), "exactly-once", "{v}");
    assert!(
        q.writes().iter().any(|w| w.skipped),
        "the re-run batch reached the sink and was ignored"
    );
    let mut at_least = sc.clone();
    at_least.config.idempotent_sink = false;
    let (v, _) = judge(&at_least);
    assert_eq!(v.label(), "at-least-once", "{v}");
    assert!(!v.duplicated.is_empty());
    let out = run_command(&sc, None, false, true, None).unwrap();
    assert!(out.stderr.contains("exactly-once"), "{}", out.stderr);
    assert!(
        out.stderr.contains("\"event\":\"Recovered\""),
        "{}",
        out.stderr
    );
}

#[test]
fn flights_drop_late_flights_and_emit_each_window_once() {
    let sc = load(&structured_dir().join("flights-watermark.toml")).unwrap();
    let mut q = sc.start();
    q.run_until(sc.until);
    let s = summarize(&q);
    assert!(s.out_of_order > 50, "{s:?}");
    assert!(s.dropped > 0 && s.late_rows as u64 >= s.dropped, "{s:?}");
    assert!(q.late_rows().iter().all(|l| l.delay_ms >= 0));
    // Append mode: one emission per window and origin.
    let em = q.emissions();
    let mut keys: Vec<_> = em.iter().map(|e| (e.window, e.row[0].clone())).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
    assert!(q.printed().contains("Batch: 0\n-------------------------------------------\n+------+------+-----+\n|window|origin|count|"));
}

/// The summary's "out of order" counts only rows a micro-batch read: stopped after a few
/// batches, the run cannot have more rows out of order than it read (it counted every row
/// of the source: 135 of January's flights, against the handful read by then).
#[test]
fn out_of_order_counts_only_the_rows_read() {
    let sc = load(&structured_dir().join("flights-watermark.toml")).unwrap();
    let mut q = sc.start();
    q.run_until(Time(sc.until.ms() / 5));
    let s = summarize(&q);
    assert!(s.input_rows > 0, "{s:?}");
    assert!(s.out_of_order as u64 <= s.input_rows, "{s:?}");
    let mut whole = sc.start();
    whole.run_until(sc.until);
    let all = summarize(&whole);
    assert!(all.out_of_order > s.out_of_order, "{all:?}");
}

#[test]
fn every_bundled_structured_scenario_loads_and_runs_deterministically() {
    let mut names: Vec<_> = std::fs::read_dir(structured_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for p in names {
        let sc = load(&p).unwrap_or_else(|e| panic!("{e}"));
        let run = || {
            let mut q = sc.start();
            q.run_until(sc.until);
            (
                q.printed().to_string(),
                serde_json::to_string(q.trace()).unwrap(),
            )
        };
        let (a, b) = (run(), run());
        assert_eq!(a, b, "{} is not deterministic", p.display());
        assert!(a.0.contains("Batch: 0"), "{}", p.display());
    }
}

#[test]
fn the_trace_file_holds_the_inspectors() {
    let sc = load(&structured_dir().join("flights-watermark.toml")).unwrap();
    let path = std::env::temp_dir().join(format!("ss-trace-{}.jsonl", std::process::id()));
    run_command(&sc, None, false, false, Some(&path)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    for key in [
        "\"OffsetLogWritten\"",
        "\"BatchCommitted\"",
        "\"progress\":{",
        "\"why\":",
        "\"late\":{",
        "\"state\":{",
        "\"emission\":{",
    ] {
        assert!(text.contains(key), "{key} missing from the trace");
    }
    assert!(text
        .lines()
        .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
}

#[test]
fn a_stream_stream_left_outer_join_without_a_range_is_refused() {
    let sc = std::fs::read_to_string(structured_dir().join("flights-weather.toml")).unwrap();
    let no_range = sc.replace(
        r#" && $"sched_dep" >= $"obs" && $"sched_dep" < $"obs" + expr("interval 1 hour")"#,
        "",
    );
    assert_ne!(sc, no_range);
    let e = parse(&no_range, &structured_dir().join("w.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Stream-stream LeftOuter join between two streaming DataFrame/Datasets is not supported without a watermark in the join keys, or a watermark on the nullable side and an appropriate range condition"), "{e}");
    let update = sc.replace("outputMode = \"append\"", "outputMode = \"update\"");
    let e = parse(&update, &structured_dir().join("w.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Join between two streaming DataFrames/Datasets is not supported in Update output mode, only in Append output mode"), "{e}");
}
