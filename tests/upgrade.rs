//! `stream-sim upgrade` (issue 10): new application code deployed against a running one, the
//! programming guide's ways ("Upgrading Application Code"), on the bundled pair
//! scenarios/upgrade-old.toml and upgrade-new.toml (one Kafka topic, two programs). Each test
//! pins what Spark does: getOrCreate on an old checkpoint never runs the new code; an
//! unreadable checkpoint stops the start with CheckpointReader's words; running in parallel
//! writes the overlap twice; a graceful stop and a fresh checkpoint lose or repeat what the
//! source's starting offsets say.

use stream_sim::check::upgrade::{
    upgrade, Classes, StartingOffsets, UpgradeOptions, UpgradePath, UpgradeReport,
};
use stream_sim::scenario::spec::SourceKind;
use stream_sim::scenario::{self, Scenario};
use stream_sim::sim::{Duration, Time};

fn load(name: &str) -> Scenario {
    scenario::load(&scenario::resolve(name).expect("bundled")).expect("loads")
}

fn opts(path: UpgradePath) -> UpgradeOptions {
    UpgradeOptions {
        path,
        at: Time(10_000),
        overlap: Duration::from_ms(5000),
        redeploy: Duration::from_ms(2000),
        classes: Classes::Compatible,
        starting_offsets: StartingOffsets::Latest,
        seed: 0,
    }
}

fn run(o: &UpgradeOptions) -> UpgradeReport {
    upgrade(&load("upgrade-old"), &load("upgrade-new"), o).expect("upgrade runs")
}

/// getOrCreate with a checkpoint present never calls createFunc: the new program's outputs
/// (its `words` stream, its "events (v2)" label) never appear; the old graph runs on after
/// the restart, re-running the batches from the checkpoint (at-least-once: duplicates, no
/// loss).
#[test]
fn restart_from_checkpoint_runs_the_old_code() {
    let r = run(&opts(UpgradePath::RestartFromCheckpoint));
    assert_eq!(r.counts.new_code_outputs, 0, "{}", r.text);
    assert!(r.text.contains("createFunc is NOT called"), "{}", r.text);
    assert!(!r.text.contains("words: "), "{}", r.text);
    assert!(!r.text.contains("(events (v2),"), "{}", r.text);
    assert!(
        r.text.contains("old code (upgrade-old), recovered"),
        "{}",
        r.text
    );
    assert!(r
        .text
        .contains("the new program's line `words.print()` (never run)"));
    assert_eq!(r.counts.never, 0);
    assert!(r.counts.duplicated > 0, "the re-run batch is written twice");
    assert!(r.start_error.is_none());
}

/// Classes that no longer deserialize: every checkpoint file is tried, newest first, and the
/// start fails with "Failed to read checkpoint from directory ..."; nothing runs after the
/// stop.
#[test]
fn incompatible_classes_fail_the_start() {
    let mut o = opts(UpgradePath::RestartFromCheckpoint);
    o.classes = Classes::Incompatible;
    let r = run(&o);
    let err = r.start_error.clone().expect("the start fails");
    assert!(
        err.contains("Failed to read checkpoint from directory checkpoints/upgrade"),
        "{err}"
    );
    assert!(
        r.text
            .contains("Error reading checkpoint from file checkpoints/upgrade/checkpoint-9000"),
        "{}",
        r.text
    );
    assert!(r.text.contains("InvalidClassException"));
    assert_eq!(r.counts.new_code_outputs, 0);
    assert!(!r.text.contains("  11000 ms"), "{}", r.text);
    assert!(r.counts.never >= 90, "{:?}", r.counts);
}

/// A restart needs the same checkpoint directory: another one is a fresh start, said so.
#[test]
fn restart_needs_the_old_checkpoint_directory() {
    let mut new = load("upgrade-new");
    new.checkpoint = Some("checkpoints/upgrade-v2".into());
    let e = upgrade(
        &load("upgrade-old"),
        &new,
        &opts(UpgradePath::RestartFromCheckpoint),
    )
    .expect_err("refused");
    assert!(
        e.contains("getOrCreate would find no checkpoint there"),
        "{e}"
    );
}

/// In parallel both applications write what arrives in the overlap: duplicates by both, no
/// loss, and the new code's outputs appear.
#[test]
fn parallel_writes_the_overlap_twice() {
    let r = run(&opts(UpgradePath::Parallel));
    assert_eq!(r.counts.never, 0, "{}", r.text);
    assert!(r.counts.by_both >= 50, "{:?}", r.counts);
    assert!(r.counts.new_code_outputs > 0);
    assert!(r.text.contains("(events (v2),10)"), "{}", r.text);
    assert!(r.text.contains("two destinations"));
}

/// A graceful stop and a fresh checkpoint: with auto.offset.reset = latest the records
/// appended while no application ran are skipped; from the committed offsets nothing is lost
/// or repeated; from the earliest offsets everything the old application wrote is written
/// again.
#[test]
fn graceful_fresh_checkpoint_depends_on_the_starting_offsets() {
    let mut o = opts(UpgradePath::GracefulFreshCheckpoint);
    let latest = run(&o);
    assert!(latest.counts.never > 0, "{}", latest.text);
    assert_eq!(latest.counts.duplicated, 0);
    o.starting_offsets = StartingOffsets::Committed;
    let committed = run(&o);
    assert_eq!(committed.counts.never, 0, "{}", committed.text);
    assert_eq!(committed.counts.duplicated, 0, "{}", committed.text);
    o.starting_offsets = StartingOffsets::Earliest;
    let earliest = run(&o);
    assert_eq!(earliest.counts.never, 0);
    assert!(earliest.counts.by_both >= 100, "{:?}", earliest.counts);
}

/// A receiver source: a reliable one keeps what no receiver took while no application ran
/// and sends it to the new receiver; an unreliable socket loses it.
#[test]
fn graceful_fresh_checkpoint_needs_a_buffering_source() {
    let mut old = load("driver-failure-wal");
    old.cluster.faults = Default::default();
    let o = opts(UpgradePath::GracefulFreshCheckpoint);
    let reliable = upgrade(&old, &old, &o).expect("runs");
    assert_eq!(reliable.counts.never, 0, "{}", reliable.text);
    for s in &mut old.sources {
        if let SourceKind::Socket { reliable, .. } = &mut s.kind {
            *reliable = false;
        }
    }
    let unreliable = upgrade(&old, &old, &o).expect("runs");
    assert!(unreliable.counts.never > 0, "{}", unreliable.text);
    assert!(unreliable.text.contains("is gone"));
}

/// The two files must read the same data.
#[test]
fn different_sources_are_refused() {
    let e = upgrade(
        &load("upgrade-old"),
        &load("kafka-direct"),
        &opts(UpgradePath::Parallel),
    )
    .expect_err("refused");
    assert!(
        e.contains("both applications must read the same data") || e.contains("reads sources"),
        "{e}"
    );
}
