//! A worker lost during a Structured Streaming micro-batch (`kill worker-1`): the batch's
//! tasks re-run from the source offsets and the checkpointed state store version, so every
//! batch writes what it writes without the fault, only later; the bundled scenario
//! `structured/flights-worker-failure`, judged by the checker.

use std::path::Path;
use stream_sim::check::structured::run_command;
use stream_sim::models::structured::micro_batch_execution::snapshot_and_deltas;
use stream_sim::models::structured::trace::StructuredEvent;
use stream_sim::scenario::structured::load;

fn scenario() -> stream_sim::scenario::structured::StructuredScenario {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/structured");
    load(&dir.join("flights-worker-failure.toml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_lost_tasks_rerun_and_every_batch_writes_the_same_rows_later() {
    let sc = scenario();
    let mut faulty = sc.start();
    faulty.run_until(sc.until);
    let mut clean = sc.without_faults().start();
    clean.run_until(sc.until);
    let lost: Vec<_> = faulty
        .trace()
        .iter()
        .filter_map(|e| match e {
            StructuredEvent::ExecutorLost {
                running_batch,
                state_version,
                rerun_until,
                at,
                ..
            } => Some((*running_batch, *state_version, *rerun_until, *at)),
            _ => None,
        })
        .collect();
    assert_eq!(lost.len(), 1, "{lost:?}");
    let (batch, version, until, at) = lost[0];
    assert_eq!(batch, Some(2));
    assert_eq!(version, Some(2), "the version the batch started from");
    let a: Vec<_> = clean
        .writes()
        .iter()
        .map(|w| (w.batch_id, &w.rows))
        .collect();
    let b: Vec<_> = faulty
        .writes()
        .iter()
        .map(|w| (w.batch_id, &w.rows))
        .collect();
    assert_eq!(a, b, "the same rows, batch by batch");
    let w2 = |q: &stream_sim::models::structured::StreamingQuery| {
        q.writes().iter().find(|w| w.batch_id == 2).unwrap().at
    };
    assert!(w2(&faulty) > w2(&clean), "the re-run ends later");
    assert_eq!(Some(w2(&faulty)), until);
    assert!(w2(&faulty) > at);
}

#[test]
fn the_checker_judges_the_worker_failure_exactly_once() {
    let out = run_command(&scenario(), None, false, true, None).unwrap();
    assert!(out.stderr.contains("exactly-once"), "{}", out.stderr);
    assert!(out.stderr.contains("identical"), "{}", out.stderr);
}

#[test]
fn state_is_reloaded_from_the_latest_snapshot_and_its_deltas() {
    assert_eq!(snapshot_and_deltas(4), (0, 4));
    assert_eq!(snapshot_and_deltas(10), (10, 0));
    assert_eq!(snapshot_and_deltas(23), (20, 3));
}
