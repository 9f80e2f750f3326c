//! The Storm model on real data (the fortune lines): a word count topology (spout ->
//! split -> count) run record at a time, judged by the same per-record ledger and verdict
//! as the DStream model. It pins what Storm promises: exactly-once-looking runs without
//! faults, at-least-once with state updated twice under worker failures, lost acks and
//! timeouts under load, `max.spout.pending` as the cure for the last, and at-most-once with
//! an unreliable (unanchored) spout.

use std::collections::BTreeMap;
use stream_sim::check::Verdict;
use stream_sim::cluster::FaultPlan;
use stream_sim::func::Func;
use stream_sim::io::TimedRecords;
use stream_sim::models::storm::{
    BoltLogic, Grouping, LocalCluster, StormConfig, StormEvent, TopologyBuilder,
};
use stream_sim::scenario::expr::compile;
use stream_sim::scenario::parse::parse_expr;
use stream_sim::sim::{Duration, Time};
use stream_sim::value::Value;

/// 400 fortune lines at 100 lines per virtual second (4 s of input).
fn source() -> TimedRecords {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/data/fortunes/lines.txt"),
    )
    .expect("bundled fortunes");
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(400)
        .map(String::from)
        .collect();
    TimedRecords::lines_at_rate(lines, 100.0, Time::ZERO)
}

fn split() -> Func {
    compile(&parse_expr(r#"split(" ")"#).expect("parses"), 1).expect("compiles")
}

fn word_count(config: StormConfig) -> LocalCluster {
    let topology = TopologyBuilder::new("lines", 1)
        .and_then(|b| {
            b.set_bolt(
                "split",
                BoltLogic::FlatMap(split()),
                2,
                "lines",
                Grouping::Shuffle,
            )
        })
        .and_then(|b| b.set_bolt("count", BoltLogic::Count, 2, "split", Grouping::Fields))
        .expect("valid topology")
        .create_topology();
    let mut c = LocalCluster::submit_topology(topology, &source(), config);
    c.run_until(Time(60_000));
    c
}

fn faults(text: &str) -> FaultPlan {
    FaultPlan::parse(text).expect("valid faults")
}

/// The exact word counts of the input.
fn exact_counts() -> BTreeMap<Value, i64> {
    let mut m = BTreeMap::new();
    for (_, v) in source().iter() {
        for w in v.as_str().unwrap_or_default().split(' ') {
            *m.entry(Value::str(w)).or_insert(0) += 1;
        }
    }
    m
}

fn verdict(reference: &LocalCluster, faulty: &LocalCluster) -> Verdict {
    Verdict::compare(reference.ledger(), faulty.ledger(), Time(60_000))
}

/// Without faults every tree completes once, the counts are exact, and the ledger writes
/// every record out exactly once.
#[test]
fn without_faults_every_tree_is_acked_once() {
    let c = word_count(StormConfig::default());
    let r = c.report();
    assert_eq!(
        (r.emitted, r.acked, r.failed, r.timed_out, r.pending),
        (400, 400, 0, 0, 0)
    );
    assert_eq!(c.state(), exact_counts());
    let v = verdict(&c, &c);
    assert_eq!(v.label(), "exactly-once");
    assert_eq!(v.delivered_once, 400);
}

/// A worker failure loses the counting bolt's in-memory state on that worker and the trees
/// in flight; the reliable spout replays them after the timeout, so no record is lost but
/// some update the surviving state twice: at-least-once, per record.
#[test]
fn a_worker_failure_replays_and_updates_state_twice() {
    let reference = word_count(StormConfig::default());
    let config = StormConfig {
        message_timeout: Duration::from_ms(3000),
        faults: faults("at 2s kill worker-2"),
        ..StormConfig::default()
    };
    let c = word_count(config);
    let v = verdict(&reference, &c);
    assert!(v.lost.is_empty(), "{v}");
    assert!(
        !v.duplicated.is_empty(),
        "some records update state twice: {v}"
    );
    let r = c.report();
    assert!(r.timed_out > 0, "{r:?}");
    assert!(c.trace().iter().any(|e| matches!(
        e,
        StormEvent::WorkerKilled { state_lost, .. } if !state_lost.is_empty()
    )));
    // The counts are not the exact ones: state lost on worker-2, double counts elsewhere.
    assert_ne!(c.state(), exact_counts());
}

/// Acks lost on the network leave trees incomplete: they time out and replay, and the
/// records whose words were already counted are counted again.
#[test]
fn lost_acks_time_out_and_replay() {
    let reference = word_count(StormConfig::default());
    let config = StormConfig {
        message_timeout: Duration::from_ms(2000),
        faults: faults("at 1s loss 0.05\nat 3s loss 0"),
        ..StormConfig::default()
    };
    let c = word_count(config);
    let v = verdict(&reference, &c);
    assert!(v.lost.is_empty(), "{v}");
    assert!(!v.duplicated.is_empty(), "{v}");
    assert!(c.report().timed_out > 0);
}

/// Under load (execute takes 4 ms a tuple: a task keeps up with 250 tuples a second while
/// the split bolt emits about 5 words a line at 100 lines a second), queues grow until trees
/// time out and replay, which adds load; `max.spout.pending` bounds the trees in flight and
/// the timeouts disappear.
#[test]
fn timeouts_under_load_and_max_spout_pending() {
    let slow = StormConfig {
        execute_us: 4000.0,
        message_timeout: Duration::from_ms(2000),
        ..StormConfig::default()
    };
    let unbounded = word_count(slow.clone());
    assert!(unbounded.report().timed_out > 0, "{:?}", unbounded.report());
    let bounded = word_count(StormConfig {
        max_spout_pending: Some(10),
        ..slow
    });
    let r = bounded.report();
    assert_eq!(r.timed_out, 0, "{r:?}");
    assert_eq!(r.acked, 400, "{r:?}");
    assert_eq!(bounded.state(), exact_counts());
}

/// With an unreliable spout (unanchored tuples) nothing is tracked: a worker failure
/// loses what was in flight for good (at-most-once).
#[test]
fn an_unreliable_spout_loses_records() {
    let reference = word_count(StormConfig::default());
    let c = word_count(StormConfig {
        reliable: false,
        faults: faults("at 2s kill worker-2"),
        ..StormConfig::default()
    });
    let v = verdict(&reference, &c);
    assert!(!v.lost.is_empty(), "{v}");
    assert!(v.duplicated.is_empty(), "{v}");
    assert_eq!(c.report().acked, 0);
}

/// Nimbus is not on the data path: killing it changes nothing.
#[test]
fn nimbus_failure_does_not_stop_the_topology() {
    let reference = word_count(StormConfig::default());
    let c = word_count(StormConfig {
        faults: faults("at 2s kill driver"),
        ..StormConfig::default()
    });
    assert_eq!(verdict(&reference, &c).label(), "exactly-once");
    assert!(c
        .trace()
        .iter()
        .any(|e| matches!(e, StormEvent::NimbusKilled { .. })));
}

/// Same seed, same faults: the same trace and state; another seed shuffles differently.
#[test]
fn runs_are_deterministic() {
    let config = StormConfig {
        seed: 5,
        message_timeout: Duration::from_ms(2000),
        faults: faults("at 1s loss 0.05\nat 2500ms kill worker-1\nat 3s loss 0"),
        ..StormConfig::default()
    };
    let a = word_count(config.clone());
    let b = word_count(config);
    assert_eq!(a.trace(), b.trace());
    assert_eq!(a.state(), b.state());
    assert_eq!(a.report(), b.report());
}

/// Topologies are checked when built.
#[test]
fn bad_topologies_are_refused() {
    let e = TopologyBuilder::new("lines", 1)
        .and_then(|b| b.set_bolt("count", BoltLogic::Count, 2, "split", Grouping::Fields))
        .expect_err("unknown input");
    assert!(e.0.contains("subscribes to `split`"), "{e}");
    assert!(TopologyBuilder::new("lines", 0).is_err());
}

/// The bundled Storm scenarios run from their files: the fault-free one is exactly-once,
/// the worker-failure one at-least-once with duplicates (state updated twice), and the
/// command's report says so.
#[test]
fn bundled_storm_scenarios_run_and_check() {
    let ok =
        stream_sim::check::storm::run_command("storm-wordcount", 0, true, false).expect("runs");
    assert!(ok.contains("exactly-once: 401 delivered once"), "{ok}");
    let faulty =
        stream_sim::check::storm::run_command("storm-wordcount-worker-failure", 0, true, false)
            .expect("runs");
    assert!(faulty.contains("at-least-once"), "{faulty}");
    assert!(faulty.contains("\"event\":\"worker_killed\""), "{faulty}");
}

/// Bad Storm scenario files get positioned errors that say what would be valid.
#[test]
fn storm_scenario_errors_are_positioned() {
    use stream_sim::scenario::storm::parse;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/storm/bad.toml");
    let good = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/storm/storm-wordcount.toml"),
    )
    .expect("bundled");
    let cases = [
        (
            "logic = \"count\"",
            "logic = \"tally\"",
            "unknown logic `tally`; expected flatMap, map, filter, count or sink",
        ),
        (
            "grouping = \"fields\"",
            "grouping = \"random\"",
            "unknown grouping `random`",
        ),
        (
            "function = 'split(\" \")'",
            "function = 'splt(\" \")'",
            "unknown function `splt`",
        ),
        (
            "input = \"split\"",
            "input = \"words\"",
            "subscribes to `words`",
        ),
        (
            "model = \"storm\"",
            "model = \"dstream\"",
            "is not a Storm scenario",
        ),
        ("run_for = \"20s\"", "run_for = \"20 parsecs\"", "run_for"),
        (
            "execute_us = 20.0",
            "execute_us = -1.0",
            "execute_us must be within",
        ),
        (
            "message_timeout = \"30s\"",
            "message_timeout = \"30s\"\nfaults = \"at 1s kill worker-9\"",
            "there is no worker-9",
        ),
    ];
    for (from, to, expected) in cases {
        let text = good.replacen(from, to, 1);
        let e = parse(&text, &path).expect_err(to).to_string();
        // The error is on the (last) line the change wrote.
        let last = to.lines().last().unwrap_or(to);
        let line = text
            .lines()
            .position(|l| l.contains(last))
            .expect("changed line")
            + 1;
        assert!(e.contains(expected), "{to}: {e}");
        assert!(
            e.contains(&format!("bad.toml:{line}:")),
            "{to}: {e} (expected line {line})"
        );
    }
}

/// Trident on the same lines: a worker failure in the middle of writing a batch's counts
/// fails the batch after some keys were written; the replay (same txid) counts those keys
/// twice into non-transactional state, but not into transactional or opaque state, which
/// give exact counts; every record waits for its batch to commit (latency).
#[test]
fn trident_state_kinds_under_a_failed_batch() {
    use stream_sim::models::storm::trident::{run, StateKind, TridentJob};
    let job = |state: StateKind, faults: &str| TridentJob {
        split: split(),
        batch_interval: Duration::from_ms(500),
        record_us: 2000.0,
        write_us: 1000.0,
        recovery: Duration::from_ms(5000),
        state,
        faults: FaultPlan::parse(faults).expect("faults"),
    };
    let until = Time(120_000);
    let reference = run(&job(StateKind::Transactional, ""), &source(), until);
    assert_eq!(reference.state, exact_counts());
    // The batch closing at 2 s takes about 1.3 s to write: kill a worker in the middle.
    let fault = "at 2600ms kill worker-1";
    let plain = run(&job(StateKind::NonTransactional, fault), &source(), until);
    let tx = run(&job(StateKind::Transactional, fault), &source(), until);
    let opaque = run(&job(StateKind::Opaque, fault), &source(), until);
    assert_eq!(plain.replayed, 1);
    let v = Verdict::compare(&reference.ledger, &plain.ledger, until);
    assert!(!v.duplicated.is_empty() && v.lost.is_empty(), "{v}");
    assert_ne!(plain.state, exact_counts());
    for r in [&tx, &opaque] {
        assert_eq!(r.state, exact_counts());
        assert_eq!(
            Verdict::compare(&reference.ledger, &r.ledger, until).label(),
            "exactly-once"
        );
    }
    assert!(
        reference.latency_ms.0 >= 250,
        "records wait for their batch: {:?}",
        reference.latency_ms
    );
}

/// Trident from scenario files: the bundled opaque and non-transactional variants under the
/// same failed batch; only the non-transactional state counts the replayed keys twice. A
/// `[trident]` table beside bolts, or an unknown state, is refused at its position.
#[test]
fn trident_scenarios_run_and_check() {
    use stream_sim::check::storm::run_command;
    let opaque = run_command("storm-trident-opaque", 0, true, false).expect("runs");
    assert!(opaque.contains("1 replayed"), "{opaque}");
    assert!(opaque.contains("exactly-once"), "{opaque}");
    assert!(opaque.contains("state: 0 of"), "{opaque}");
    let plain = run_command("storm-trident-non-transactional", 0, true, false).expect("runs");
    assert!(plain.contains("at-least-once"), "{plain}");
    use stream_sim::scenario::storm::parse;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/storm");
    let text = std::fs::read_to_string(dir.join("storm-trident-opaque.toml")).expect("bundled");
    let bad = text.replace("state = \"opaque\"", "state = \"exactly\"");
    let e = parse(&bad, &dir.join("bad.toml")).unwrap_err().to_string();
    assert!(e.contains("unknown Trident state `exactly`"), "{e}");
    let both = text.replace(
        "[trident]",
        "[[bolts]]\nid = \"count\"\nlogic = \"count\"\ninput = \"lines\"\n\n[trident]",
    );
    let e = parse(&both, &dir.join("bad.toml")).unwrap_err().to_string();
    assert!(e.contains("either [[bolts]] or a [trident] table"), "{e}");
}

/// The bundled flights scenarios: without faults every line counted once; with worker-1
/// killed its counting task's counts are gone although every line was processed once.
#[test]
fn storm_flights_scenarios() {
    use stream_sim::check::storm::run_command;
    let ok = run_command("storm-flights", 0, true, false).expect("runs");
    assert!(ok.contains("counts: 0 of"), "{ok}");
    let faulty = run_command("storm-flights-worker-failure", 0, true, false).expect("runs");
    assert!(faulty.contains("\"state_lost\":[\"count[1]"), "{faulty}");
    assert!(!faulty.contains("counts: 0 of"), "{faulty}");
}

/// A worker's death takes its counting bolt's in-memory counts with it. Records whose trees
/// were acked before the death are never replayed, so the ledger records their lost state
/// update (naming the worker and the bolt's keys), and the check says the state kept no
/// exactly-once, not even at-least-once; a record replayed after the death is restored.
#[test]
fn a_dead_workers_state_is_lost_and_the_ledger_says_so() {
    use stream_sim::check::storm::{run_command, state_loss};
    let reference = word_count(StormConfig::default());
    let c = word_count(StormConfig {
        faults: faults("at 3s kill worker-2"),
        ..StormConfig::default()
    });
    let loss = state_loss(c.ledger()).expect("state lost");
    assert!(!loss.records.is_empty());
    assert!(
        loss.causes
            .keys()
            .all(|w| w.starts_with("worker-2 died with the in-memory counts of count[")),
        "{:?}",
        loss.causes
    );
    for id in &loss.records {
        let life = c.ledger().get(*id).expect("in the ledger");
        assert!(c.ledger().state_lost_for_good(*id));
        assert!(
            life.received.iter().all(|t| *t <= Time(3_000)),
            "never emitted again after the death: {life:?}"
        );
    }
    // A record emitted again after the loss (a replay of a pending tree) re-applies its
    // updates: its loss is not for good.
    let mut ledger = stream_sim::ledger::Ledger::default();
    ledger.received(0, &[7], Time(1_000));
    ledger.state_lost(0, &[7], Time(3_000), "worker-2 died");
    assert_eq!(ledger.states_lost().len(), 1);
    ledger.received(0, &[7], Time(8_000));
    assert!(ledger.states_lost().is_empty(), "replayed after the loss");
    assert!(state_loss(reference.ledger()).is_none());
    // The bundled flights scenario: acked trees, so processing looks exactly-once, but the
    // dead worker's carriers are gone: at most once for the state.
    let out = run_command("storm-flights-worker-failure", 0, true, false).expect("runs");
    assert!(
        out.contains("at-most-once for the state, not exactly-once"),
        "{out}"
    );
    assert!(
        out.contains(r#"worker-1 died with the in-memory counts of count[1] (keys "EV"="#),
        "{out}"
    );
    let out = run_command("storm-wordcount-worker-failure", 0, true, false).expect("runs");
    assert!(
        out.contains("none for the state, not exactly-once"),
        "{out}"
    );
}
