//! `maxOffsetsPerTrigger` on the flights source: a micro-batch takes at most that many
//! records, and after a driver failure the backlog is read over several capped micro-batches
//! (Spark's `KafkaMicroBatchStream.latestOffset` with `ReadLimit.maxRows`); the bundled
//! scenario `structured/flights-catch-up`.

use std::path::Path;
use stream_sim::check::structured::run_command;
use stream_sim::models::structured::trace::StructuredEvent;
use stream_sim::scenario::structured::{load, parse};

fn catch_up() -> stream_sim::scenario::structured::StructuredScenario {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/structured");
    load(&dir.join("flights-catch-up.toml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_backlog_after_a_driver_failure_is_read_in_capped_micro_batches() {
    let sc = catch_up();
    let mut q = sc.start();
    q.run_until(sc.until);
    let rows: Vec<u64> = q.progress().iter().map(|p| p.num_input_rows).collect();
    assert!(rows.iter().all(|&n| n <= 20), "{rows:?}");
    let restart = q
        .trace()
        .iter()
        .position(|e| matches!(e, StructuredEvent::Recovered { .. }))
        .expect("the driver restarted");
    // The batches after the restart: at least three in a row at the cap.
    let after: Vec<u64> = q
        .trace()
        .iter()
        .skip(restart)
        .filter_map(|e| match e {
            StructuredEvent::BatchCommitted { batch_id, .. } => {
                Some(q.progress()[*batch_id as usize].num_input_rows)
            }
            _ => None,
        })
        .collect();
    // The first is the batch the offset log had planned before the failure, re-run with its
    // recorded offsets; then the backlog, capped.
    let at_cap = after.iter().skip(1).take_while(|&&n| n == 20).count();
    assert!(at_cap >= 3, "batches after the restart: {after:?}");
    // Each record is read exactly once overall.
    let total: u64 = rows.iter().sum();
    let available: usize = q.sources()[0].records.len();
    assert_eq!(total as usize, available);
    // The same scenario without the cap reads the backlog in one batch.
    let text = std::fs::read_to_string(&sc.path)
        .unwrap()
        .replace("maxOffsetsPerTrigger = 20", "");
    let un = parse(&text, &sc.path).unwrap();
    let mut q2 = un.start();
    q2.run_until(un.until);
    let max = q2
        .progress()
        .iter()
        .map(|p| p.num_input_rows)
        .max()
        .unwrap_or(0);
    assert!(max > 40, "the uncapped run's largest batch: {max}");
}

#[test]
fn the_checker_finds_the_catch_up_exactly_once() {
    let sc = catch_up();
    let out = run_command(&sc, None, false, true, None).unwrap();
    assert!(out.stderr.contains("exactly-once"), "{}", out.stderr);
}

#[test]
fn a_cap_that_is_not_positive_is_refused_at_its_line() {
    let sc = catch_up();
    let text = std::fs::read_to_string(&sc.path)
        .unwrap()
        .replace("maxOffsetsPerTrigger = 20", "maxOffsetsPerTrigger = 0");
    let e = parse(&text, &sc.path).unwrap_err().to_string();
    assert!(
        e.contains("flights-catch-up.toml:37:24")
            && e.contains("maxOffsetsPerTrigger must be a positive number of records, found 0"),
        "{e}"
    );
}
