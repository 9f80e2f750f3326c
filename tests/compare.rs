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
    // The counts kept in the dead worker's bolt are gone, and acked trees are not replayed:
    // the state kept no guarantee at all.
    assert!(
        row(&rows, "storm").state_lost > 0,
        "{:?}",
        row(&rows, "storm")
    );
    assert_eq!(row(&rows, "storm").guarantee(), "none for the state");
    assert_eq!(row(&rows, "flink").state_lost, 0);
    assert_eq!(row(&rows, "flink").guarantee(), "exactly-once");
    assert_eq!(row(&rows, "flink").verdict.label(), "exactly-once");
    assert!(row(&rows, "flink").longest_pause_ms >= 1000);
    assert!(row(&rows, "dstream").verdict.lost.is_empty());
    let table = render(&plan, &rows);
    assert!(table.contains("| storm | reliable spout"), "{table}");
    assert!(table.contains("| none for the state | 0 (+"), "{table}");
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
    assert_eq!(
        row(&rows, "storm").guarantee(),
        "exactly-once",
        "Nimbus holds no state"
    );
    assert_eq!(row(&rows, "flink").verdict.label(), "exactly-once");
}

/// `--models` takes a list, in the order given, and refuses an unknown or repeated name
/// with the valid names; a subset runs only those models.
#[test]
fn models_are_chosen_by_name() {
    use stream_sim::check::compare::{compare_models, parse_models};
    assert_eq!(
        parse_models("flink, storm").expect("valid"),
        ["flink", "storm"]
    );
    let e = parse_models("storm,spark").unwrap_err();
    assert!(
        e.contains("`spark`") && e.contains("dstream, storm, flink"),
        "{e}"
    );
    assert!(parse_models("storm,storm").is_err());
    assert!(parse_models("").is_err());
    let plan = FaultPlan::parse("at 8s kill worker-2").expect("fault");
    let rows = compare_models(&["flink", "storm"], &plan, 0).expect("runs");
    let names: Vec<&str> = rows.iter().map(|r| r.model).collect();
    assert_eq!(names, ["flink", "storm"]);
}

/// The semantics table's model rows: over a few seeds and failure times, nobody loses a
/// record, Storm duplicates under a worker failure, Flink never does.
#[test]
fn the_semantics_table_has_a_row_per_model() {
    use stream_sim::check::semantics::{model_table, render_model_table};
    use stream_sim::check::FailMode;
    let cells = model_table(2).expect("runs");
    assert_eq!(cells.len(), 6);
    assert!(cells.iter().all(|c| c.agrees), "{cells:?}");
    let storm = cells
        .iter()
        .find(|c| c.model == "storm" && c.kind == FailMode::Worker)
        .expect("cell");
    assert!(storm.with_duplicates > 0);
    // The dead worker's counting bolt takes its counts with it: the row must say so.
    assert!(storm.with_state_lost > 0, "{storm:?}");
    assert!(cells
        .iter()
        .filter(|c| c.model == "flink")
        .all(|c| c.with_duplicates == 0));
    let table = render_model_table(&cells);
    assert!(table.contains("state lost of 2 runs"), "{table}");
    assert!(
        table.contains("| flink |") && table.contains("| dstream |"),
        "{table}"
    );
}
