//! The record-at-a-time REPL (`stream-sim repl` on a Storm or Flink scenario): stepping by
//! virtual time, Flink's `barriers` (a channel blocked for alignment while the other
//! channel's barrier is in flight) and `checkpoint` (who snapshotted, what completed),
//! Storm's `tuples` and `acks`, and the views refused on the other model.

use stream_sim::repl::record_at_a_time::{model_of, run_script, RatSession};

/// Flink under a 30 ms skew: 3 ms after checkpoint 1 is triggered each keyed subtask has
/// the barrier of its local channel and blocks it; nothing has snapshotted yet. A second
/// later checkpoint 1 is complete with the sources' offsets.
#[test]
fn flink_barriers_and_checkpoint_views() {
    assert_eq!(model_of("flink-wordcount-skew-aligned"), Some("flink"));
    assert_eq!(model_of("storm-wordcount"), Some("storm"));
    assert_eq!(model_of("wordcount"), None);
    let mut s = RatSession::new("flink-wordcount-skew-aligned", 0).expect("loads");
    // The answer lists the faults and recoveries it went through: here the scenario's
    // network latency set at 0 ms.
    assert_eq!(
        s.execute("run until 1003ms"),
        "time 1003 ms\n{\"event\":\"network_changed\",\"time\":0,\"change\":\"latency 30ms..30ms\"}"
    );
    let b = s.execute("barriers");
    assert!(
        b.contains("keyed[0]: barriers from channels [0], blocked [true, false]"),
        "{b}"
    );
    let c = s.execute("checkpoint");
    assert!(
        c.contains("checkpoint 1 pending; snapshotted: [false, false]"),
        "{c}"
    );
    s.execute("step 1s");
    let c = s.execute("checkpoint");
    assert!(c.contains("last completed: 1 (source offsets"), "{c}");
    assert!(s.execute("tuples").contains("a Storm view"));
    assert!(s
        .execute("frobnicate")
        .contains("unknown command `frobnicate`"));
    assert!(s.execute("step 2 parsecs").contains("step:"));
}

/// Storm: the views read the spout's pending map and the ackers' XOR values; a script
/// session echoes each command.
#[test]
fn storm_tuples_and_acks_views() {
    let mut s = RatSession::new("storm-wordcount-worker-failure", 0).expect("loads");
    let mut out = Vec::new();
    run_script(
        &mut s,
        "step 8100ms\ntuples\nacks\nbarriers\nquit\nstep\n".as_bytes(),
        &mut out,
    )
    .expect("runs");
    let text = String::from_utf8(out).expect("utf8");
    assert!(
        text.starts_with("Storm scenario `storm-wordcount-worker-failure`"),
        "{text}"
    );
    assert!(text.contains("> tuples\nlines[0]:"), "{text}");
    assert!(text.contains("__acker[0]:"), "{text}");
    assert!(text.contains("a Flink view"), "{text}");
    assert!(!text.contains("> step\n"), "stops at quit: {text}");
    assert!(RatSession::new("storm-trident-opaque", 0)
        .err()
        .is_some_and(|e| e.contains("Trident")));
}
