//! Session windows in Structured Streaming (`session_window`), each rule checked on the
//! model: sessions merging at their boundary and across micro-batches, a closed session not
//! re-opened, late rows dropped and counted, Spark's refusals (update mode, no other grouping
//! key, a gap that is not positive), and the bundled flights scenario. The batch-by-batch
//! comparison with Spark 3.5.3 is tests/structured_oracle.rs (fixtures session_*.json).

use std::path::Path;
use stream_sim::check::structured::{replay_case, summarize};
use stream_sim::event_time::{EventTime, TimeWindow};
use stream_sim::models::structured::session_window::merge_sessions;
use stream_sim::scenario::structured::{load, parse, structured_dir};

const MIN: i64 = 60_000;

fn fixture(name: &str) -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/structured")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn w(a: i64, b: i64) -> TimeWindow {
    TimeWindow {
        start: EventTime(a * MIN),
        end: EventTime(b * MIN),
    }
}

#[test]
fn sessions_touching_at_the_end_merge_and_a_gap_keeps_them_apart() {
    // MergingSessionsIterator: the next session (by start) joins when start <= current end.
    let one = |x| vec![stream_sim::models::structured::state_store::AggBuffer::Count(x)];
    let merged = merge_sessions(vec![
        (w(5, 10), one(1)),
        (w(0, 5), one(2)),
        (w(11, 16), one(4)),
    ]);
    let got: Vec<_> = merged.iter().map(|(w, b)| (*w, b.clone())).collect();
    assert_eq!(got, vec![(w(0, 10), one(3)), (w(11, 16), one(4))]);
    // A session inside another keeps the outer end.
    let merged = merge_sessions(vec![(w(0, 20), one(1)), (w(3, 8), one(1))]);
    assert_eq!(merged[0].0, w(0, 20));
}

fn rows_of(batches: &[serde_json::Value], id: u64) -> String {
    batches
        .iter()
        .find(|b| b["batch_id"] == id)
        .map(|b| b["rows"].to_string())
        .unwrap_or_default()
}

#[test]
fn a_row_between_two_stored_sessions_merges_them_and_closed_sessions_stay_closed() {
    let batches = replay_case(&fixture("session_append_count"))
        .unwrap()
        .unwrap();
    // Batch 1 (no data, watermark 10:10): c's 10:00 and 10:05 were one session
    // [10:00, 10:10) (they touch), closed at the watermark.
    let b1 = rows_of(&batches, 1);
    assert!(
        b1.contains(r#"{"end":"2013-01-01 10:10:00","start":"2013-01-01 10:00:00"},"c",2"#)
            || b1.contains(r#"{"start":"2013-01-01 10:00:00","end":"2013-01-01 10:10:00"},"c",2"#),
        "{b1}"
    );
    // a's 10:06 came after its session [10:00, 10:08) was emitted: a new session.
    assert!(rows_of(&batches, 3).contains("10:06:00"), "{batches:?}");
    // a's 10:17 bridged the stored [10:14, 10:19) and [10:20, 10:25): one session of 3.
    let b5 = rows_of(&batches, 5);
    assert!(b5.contains("2013-01-01 10:14:00") && b5.contains("2013-01-01 10:25:00"));
    assert!(b5.contains(r#""a",3"#), "{b5}");
    // a's 10:02 in batch 4 was late (its session ended 10:07 <= watermark 10:12).
    let b4 = batches.iter().find(|b| b["batch_id"] == 4).unwrap();
    assert_eq!(b4["state"][0]["numRowsDroppedByWatermark"], 1);
    // Every session of a key with input is written again.
    assert_eq!(b4["state"][0]["numRowsUpdated"], 3);
}

const Q: &str = r#"
name = "t"
model = "structured"
query = '''
events
  .withWatermark("time", "10 minutes")
  .groupBy(session_window($"time", "5 minutes"), $"key")
  .count()
'''
[writeStream]
outputMode = "append"
trigger = "default"
format = "memory"
[sources.events]
type = "rows"
schema = "time timestamp, key string"
rows = [
  ["1s", "2013-01-01 12:01:00", "a"],
  ["2s", "2013-01-01 12:30:00", "b"],
  ["3s", "2013-01-01 12:03:00", "a"],
]
"#;

fn err(text: &str) -> String {
    parse(text, Path::new("t.toml")).unwrap_err().to_string()
}

#[test]
fn update_mode_no_other_key_and_a_zero_gap_are_refused() {
    assert!(parse(Q, Path::new("t.toml")).is_ok());
    let e = err(&Q.replace("\"append\"", "\"update\""));
    assert!(
        e.contains(
            "Update output mode not supported for session window on streaming DataFrames/DataSets"
        ),
        "{e}"
    );
    let e = err(&Q.replace(", $\"key\")", ")"));
    assert!(
        e.contains("Global aggregation with session window in streaming query is not supported."),
        "{e}"
    );
    let e = err(&Q.replace("\"5 minutes\")", "\"0 seconds\")"));
    assert!(e.starts_with("t.toml:"), "{e}");
    assert!(e.contains("gap duration must be greater than zero"), "{e}");
    assert!(parse(
        &Q.replace("\"append\"", "\"complete\""),
        Path::new("t.toml")
    )
    .is_ok());
}

#[test]
fn a_late_row_is_dropped_listed_with_its_delay_and_the_session_closes_at_the_watermark() {
    let sc = parse(Q, Path::new("t.toml")).unwrap();
    let mut q = sc.start();
    q.run_until(sc.until);
    // 12:30 moves the watermark to 12:20: a's session [12:01, 12:06) closes, and 12:03
    // (session ending 12:08 <= 12:20) is late.
    let late = q.late_rows();
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0].delay_ms, 17 * MIN);
    let em = q.emissions();
    assert_eq!(em.len(), 1, "{em:?}");
    assert_eq!(em[0].row, vec!["a".to_string(), "1".to_string()]);
    assert_eq!(
        em[0].window.end.0 - em[0].window.start.0,
        5 * MIN,
        "a single event's session is [t, t + gap)"
    );
}

#[test]
fn the_flights_scenario_emits_each_carrier_session_once_after_the_watermark_passes_it() {
    let sc = load(&structured_dir().join("flights-session-windows.toml")).unwrap();
    let mut q = sc.start();
    q.run_until(sc.until);
    let s = summarize(&q);
    assert!(s.out_of_order > 50 && s.dropped > 0, "{s:?}");
    let em = q.emissions();
    assert!(em.len() >= 20, "{}", em.len());
    let mut keys: Vec<_> = em.iter().map(|e| (e.row[0].clone(), e.window)).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a session emitted twice");
    // Sessions of a carrier never overlap nor touch: they would have merged.
    for pair in keys.windows(2) {
        if pair[0].0 == pair[1].0 {
            assert!(pair[0].1.end < pair[1].1.start, "{pair:?}");
        }
    }
    // Each is emitted in a batch whose watermark reached its end.
    let wm: std::collections::BTreeMap<u64, i64> = q
        .progress()
        .iter()
        .filter_map(|p| {
            let t = p.event_time.get("watermark")?;
            Some((p.batch_id, parse_iso(t)))
        })
        .collect();
    for e in &em {
        assert!(wm[&e.batch_id] >= e.window.end.0, "{e:?}");
    }
    assert!(q.printed().contains("|session_window"));
}

fn parse_iso(t: &str) -> i64 {
    // 2013-01-01T10:35:00.000Z
    let d = chrono_like(t);
    d.expect("an ISO time")
}

fn chrono_like(t: &str) -> Option<i64> {
    let (date, time) = t.trim_end_matches('Z').split_once('T')?;
    let dp: Vec<i64> = date
        .split('-')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let (hms, ms) = time.split_once('.').unwrap_or((time, "0"));
    let tp: Vec<i64> = hms
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m, d) = (dp[0] - i64::from(dp[1] <= 2), dp[1], dp[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + tp[0]) * 60 + tp[1]) * 60_000 + tp[2] * 1000 + ms.parse::<i64>().ok()?)
}
