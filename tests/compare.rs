//! `stream-sim compare`: the same fortune word count and fault schedule through Spark
//! Streaming, Storm and Flink, each judged by the same per-record verdict. It pins the
//! course's lesson: under a worker failure Storm replays tuple trees and counts words twice
//! while Flink restores a consistent checkpoint; under a driver failure Spark Streaming
//! re-runs its last batch (duplicates) while Storm, whose Nimbus is off the data path, is
//! untouched; nobody loses a record with a reliable source.

use stream_sim::check::compare::{compare, render};
use stream_sim::cluster::FaultPlan;

fn row<'a>(
    rows: &'a [stream_sim::check::compare::Row],
    model: &str,
) -> &'a stream_sim::check::compare::Row {
    rows.iter().find(|r| r.model == model).expect("model row")
}

/// A worker failure: Storm at-least-once with state updated twice, Flink exactly-once and
/// paused by its restart, Spark without loss.
#[test]
fn a_worker_failure_side_by_side() {
    let plan = FaultPlan::parse("at 8s kill worker-2").expect("fault");
    let rows = compare(&plan, 0).expect("runs");
    assert_eq!(row(&rows, "storm").verdict.label(), "at-least-once");
    assert!(!row(&rows, "storm").verdict.duplicated.is_empty());
    assert_eq!(row(&rows, "flink").verdict.label(), "exactly-once");
    assert!(row(&rows, "flink").longest_pause_ms >= 1000);
    assert!(row(&rows, "dstream").verdict.lost.is_empty());
    let table = render(&plan, &rows);
    assert!(table.contains("| storm | reliable spout"), "{table}");
}

/// A driver failure: Spark re-runs batches (duplicates, a pause of the driver restart
/// delay), Storm goes on, Flink fails over to its last checkpoint, exactly-once.
#[test]
fn a_driver_failure_side_by_side() {
    let plan = FaultPlan::parse("at 8s kill driver").expect("fault");
    let rows = compare(&plan, 0).expect("runs");
    let d = row(&rows, "dstream");
    assert_eq!(d.verdict.label(), "at-least-once", "{:?}", d.verdict);
    assert!(d.longest_pause_ms >= 5000, "{d:?}");
    assert_eq!(row(&rows, "storm").verdict.label(), "exactly-once");
    assert_eq!(row(&rows, "flink").verdict.label(), "exactly-once");
}
