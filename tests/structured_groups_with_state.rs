//! `groupByKey(..).flatMapGroupsWithState(..)` / `mapGroupsWithState(..)` with `GroupState` and
//! timeouts: the bundled flights-sessions scenario, the Scala functions' semantics (an
//! `Iterator` is used up by a traversal, the timeout is reset at every call, `GroupState`'s
//! exceptions), and the positioned errors. The batch-by-batch agreement with real Spark is
//! in tests/structured_oracle.rs (fixtures `fmgws_*`, `mgws_*`).

use std::path::Path;
use stream_sim::models::structured::trace::StructuredEvent;
use stream_sim::scenario::structured::{load, parse};
use stream_sim::sim::Time;

fn scenario(functions: &str, query: &str, mode: &str, rows: &str) -> String {
    format!(
        r#"name = "t"
model = "structured"
functions = '''
{functions}
'''
query = '''
{query}
'''
[writeStream]
outputMode = "{mode}"
format = "memory"
[run]
until = "60s"
[sources.events]
type = "rows"
schema = "time timestamp, key string, value long"
rows = [
{rows}
]
"#
    )
}

const ROWS: &str = r#"  ["1s", "2013-01-01 10:01:00", "a", 1],
  ["1s", "2013-01-01 10:02:00", "b", 2],
  ["11s", "2013-01-01 10:12:00", "a", 4],
  ["21s", "2013-01-01 10:40:00", "c", 9],
"#;

const SESSIONS: &str = r#"
def sessions(key: String, rows: Iterator[Row], state: GroupState[(Long, Long)]): Iterator[(String, Long, java.sql.Timestamp)] = {
  if (state.hasTimedOut) {
    val (n, last) = state.get
    state.remove()
    Iterator((key, n, new java.sql.Timestamp(last)))
  } else {
    val times = rows.map(_.getAs[java.sql.Timestamp]("time").getTime).toSeq
    val old = state.getOption.getOrElse((0L, 0L))
    val s = (old._1 + times.size, math.max(old._2, times.max))
    state.update(s)
    state.setTimeoutTimestamp(s._2, "10 minutes")
    Iterator.empty
  }
}"#;

const Q: &str = r#"events.withWatermark("time", "5 minutes").groupByKey(r => r.getAs[String]("key")).flatMapGroupsWithState(OutputMode.Append, GroupStateTimeout.EventTimeTimeout)(sessions)"#;

fn run(text: &str) -> stream_sim::models::structured::StreamingQuery {
    let s = parse(text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    let mut q = s.start();
    q.run_until(s.until);
    q
}

fn all_rows(q: &stream_sim::models::structured::StreamingQuery) -> Vec<(u64, String)> {
    q.writes()
        .iter()
        .flat_map(|w| {
            w.rows.iter().map(move |r| {
                (
                    w.batch_id,
                    r.iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            })
        })
        .collect()
}

#[test]
fn sessions_close_when_the_watermark_passes_their_timeout() {
    let q = run(&scenario(SESSIONS, Q, "append", ROWS));
    let rows = all_rows(&q);
    // a: last 10:12, timeout 10:22; b: last 10:02, timeout 10:12. The watermark reaches
    // 10:35 after c (10:40) arrives: both time out in the no-data batch that follows, and c
    // stays open (its timeout 10:50 is never passed).
    let names: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        names,
        ["a,2,2013-01-01 10:12:00", "b,1,2013-01-01 10:02:00"],
        "{rows:?}"
    );
    let b = rows[0].0;
    let p = &q.progress()[b as usize];
    assert_eq!(p.num_input_rows, 0, "the timeouts fire in a no-data batch");
    assert_eq!(p.event_time["watermark"], "2013-01-01T10:35:00.000Z");
    assert_eq!(p.state_operators[0].operator_name, "flatMapGroupsWithState");
    assert_eq!(p.state_operators[0].num_rows_total, 1, "only c is left");
    assert_eq!(p.state_operators[0].num_rows_removed, 2);
    let state = q.state();
    assert_eq!(state[0].1.len(), 1);
    assert!(
        state[0].1[0].starts_with("[c] -> [1, 1357036800000] (timeout at 2013-01-01 10:50:00"),
        "{state:?}"
    );
}

#[test]
fn the_timeout_is_reset_at_every_call_unless_set_again() {
    // Only a key's first call sets a timeout (20 minutes after its row): a's second call
    // (10:12) does not set it again, which clears it, so a never times out while b (timeout
    // 10:22, watermark 10:35 at the end) does.
    let f = r#"
def f(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long)] = {
  if (state.hasTimedOut) { state.remove(); Iterator((key, -1L)) }
  else {
    val seq = rows.toSeq
    val rows0 = seq.head.getAs[java.sql.Timestamp]("time").getTime
    val n = state.getOption.getOrElse(0L) + seq.size
    state.update(n)
    if (n == 1) state.setTimeoutTimestamp(rows0, "20 minutes")
    Iterator((key, n))
  }
}"#;
    let q = run(&scenario(
        f,
        &Q.replace("sessions", "f").replace("Append", "Update"),
        "update",
        ROWS,
    ));
    let rows: Vec<String> = all_rows(&q).into_iter().map(|r| r.1).collect();
    assert!(rows.contains(&"b,-1".to_string()), "{rows:?}");
    assert!(!rows.contains(&"a,-1".to_string()), "{rows:?}");
}

#[test]
fn an_iterator_is_used_up_by_a_traversal_as_in_scala() {
    // `rows.size` traverses the Iterator: the following `rows.map(..)` sees nothing, so
    // `.sum` is 0 (Scala's behaviour; `rows.toSeq` first is the fix).
    let f = r#"
def f(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long, Long)] = {
  val n = rows.size
  val total = rows.map(_.getAs[Long]("value")).sum
  state.update(n.toLong)
  Iterator((key, n.toLong, total))
}"#;
    let q = run(&scenario(
        f,
        r#"events.groupByKey(_.getAs[String]("key")).flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.NoTimeout)(f)"#,
        "update",
        ROWS,
    ));
    let rows: Vec<String> = all_rows(&q).into_iter().map(|r| r.1).collect();
    assert!(rows.contains(&"a,1,0".to_string()), "{rows:?}");
}

#[test]
fn a_group_state_exception_fails_the_query_at_its_batch() {
    let f = r#"
def f(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long)] = {
  if (state.hasTimedOut) { state.remove(); Iterator.empty }
  else {
    val t = rows.map(_.getAs[java.sql.Timestamp]("time").getTime).min - 3600000L
    state.update(t)
    state.setTimeoutTimestamp(t)
    Iterator((key, t))
  }
}"#;
    let q = run(&scenario(
        f,
        &Q.replace("sessions", "f").replace("Append", "Update"),
        "update",
        ROWS,
    ));
    let e = q.exception().expect("the query failed");
    assert!(
        e.starts_with("IllegalArgumentException: Timeout timestamp (1357031520000) cannot be earlier than the current watermark (1357034220000)"),
        "{e}"
    );
    assert!(q.is_stopped());
    assert!(q
        .trace()
        .iter()
        .any(|t| matches!(t, StructuredEvent::QueryFailed { batch_id: 2, .. })));
    assert!(q.writes().iter().all(|w| w.batch_id < 2));
    let _ = Time::ZERO;
}

#[test]
fn positioned_errors_for_the_functions_and_the_operator() {
    let err = |functions: &str, query: &str, mode: &str| {
        parse(&scenario(functions, query, mode, ROWS), Path::new("t.toml"))
            .unwrap_err()
            .to_string()
    };
    // The def does not exist: the call's line and column, and the defs there are.
    let e = err(SESSIONS, &Q.replace("(sessions)", "(session)"), "append");
    assert!(
        e.contains("t.toml:21:")
            && e.contains("not found: value session")
            && e.contains("(sessions)"),
        "{e}"
    );
    // No result type.
    let e = err(
        &SESSIONS.replace(": Iterator[(String, Long, java.sql.Timestamp)] =", " ="),
        Q,
        "append",
    );
    assert!(e.contains("declare its result type"), "{e}");
    // A syntax error inside the functions: its own line.
    let e = err(
        &SESSIONS.replace("state.remove()", "state.remove("),
        Q,
        "append",
    );
    assert!(e.contains("t.toml:10:3: expected `)`"), "{e}");
    // Spark's checker: update-mode operator in an append query, and event time without a
    // watermark.
    let e = err(
        SESSIONS,
        &Q.replace("OutputMode.Append", "OutputMode.Update"),
        "append",
    );
    assert!(e.contains("flatMapGroupsWithState in update mode is not supported with Append output mode on a streaming DataFrame/Dataset"), "{e}");
    let e = err(
        SESSIONS,
        &Q.replace(".withWatermark(\"time\", \"5 minutes\")", ""),
        "append",
    );
    assert!(e.contains("Watermark must be specified in the query using '[Dataset/DataFrame].withWatermark()' for using event-time timeout"), "{e}");
    let e = err(
        SESSIONS,
        &Q.replace(
            "GroupStateTimeout.EventTimeTimeout",
            "GroupStateTimeout.Event",
        ),
        "append",
    );
    assert!(e.contains("expected GroupStateTimeout.NoTimeout"), "{e}");
}

#[test]
fn the_bundled_flights_sessions_scenario_writes_sessions_per_tail_number() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/structured");
    let s = load(&dir.join("flights-sessions.toml")).unwrap_or_else(|e| panic!("{e}"));
    let mut q = s.start();
    q.run_until(s.until);
    assert!(q.exception().is_none(), "{:?}", q.exception());
    let rows: Vec<_> = q.writes().iter().flat_map(|w| w.rows.clone()).collect();
    assert!(rows.len() > 100, "{} sessions", rows.len());
    // A session of several departures exists, and every session's first departure is at or
    // before its last.
    assert!(rows
        .iter()
        .any(|r| r[3] > stream_sim::models::structured::Cell::Long(1)));
    assert!(rows.iter().all(|r| r[1] <= r[2]));
    // Late flights were dropped by the event-time timeout's late-row filter.
    assert!(!q.late_rows().is_empty());
}
