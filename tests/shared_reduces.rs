//! Identical `reduceByKey`s computed once (`models::dstream::dstream_graph::shared`): with
//! sharing on or off, every bundled scenario, and the word count under drawn faults (worker
//! and driver failures, lost blocks), prints the same output, records the same trace (RDD
//! ids, lineage depths, record counts, event order) and the same ledger.

use stream_sim::check::sweep::{swarm, FailMode};
use stream_sim::scenario::{self, RunOptions, Scenario};

/// Everything observable of one run: the printed output, every trace event as JSON, and
/// every ledger record's life.
fn observe(sc: &Scenario, seed: u64, share: bool) -> String {
    let options = RunOptions {
        seed,
        output_dir: std::env::temp_dir().join(format!(
            "stream-sim-shared-{}-{seed}-{share}-{}",
            sc.name,
            std::process::id()
        )),
    };
    let built = sc.build(&options).expect("builds");
    built.ssc.share_identical_reduces(share);
    let mut printed = Vec::new();
    let outcome = built
        .run_printing(built.default_until, &mut printed)
        .expect("writing to memory");
    let mut out = String::from_utf8_lossy(&printed).into_owned();
    if let Err(e) = outcome {
        out.push_str(&format!("failed: {e}\n"));
    }
    for e in built.ssc.trace().iter() {
        out.push_str(&e.to_json());
        out.push('\n');
    }
    for (id, life) in built.ssc.ledger().records() {
        out.push_str(&format!("{id:?} {life:?}\n"));
    }
    out
}

fn load(name: &str) -> Scenario {
    scenario::load(&scenario::resolve(name).expect("bundled")).expect("valid scenario")
}

/// Lines that differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  on:  {x}\n  off: {y}", i + 1);
        }
    }
    format!("lengths {} and {}", a.len(), b.len())
}

#[test]
fn every_bundled_scenario_is_the_same_with_and_without_sharing() {
    for name in scenario::bundled_names() {
        let sc = load(&name);
        let on = observe(&sc, 7, true);
        let off = observe(&sc, 7, false);
        assert!(on == off, "{name}: {}", first_difference(&on, &off));
    }
}

#[test]
fn wordcount_under_faults_is_the_same_with_and_without_sharing() {
    let sc = load("wordcount");
    for seed in 1..=12 {
        let drawn = swarm(&sc, seed, FailMode::Any);
        let on = observe(&drawn, seed, true);
        let off = observe(&drawn, seed, false);
        assert!(
            on == off,
            "wordcount seed {seed}: {}",
            first_difference(&on, &off)
        );
    }
}

/// In the bundled word count, `wordCounts = pairs.reduceByKey(sum)` and the per-batch
/// `reduceByKey` inside `reduceByKeyAndWindow(sum, sub, ...)` hold one copy of the data at
/// every time both remember (computed once), `pairs` is pipelined into both, and neither
/// happens with sharing off.
#[test]
fn wordcount_reduces_pairs_once_per_batch() {
    use stream_sim::models::dstream::Op;
    let sc = load("wordcount");
    for share in [true, false] {
        let options = RunOptions {
            seed: 7,
            output_dir: std::env::temp_dir().join(format!(
                "stream-sim-shared-once-{share}-{}",
                std::process::id()
            )),
        };
        let built = sc.build(&options).expect("builds");
        built.ssc.share_identical_reduces(share);
        let mut printed = Vec::new();
        let _ = built
            .run_printing(built.default_until, &mut printed)
            .expect("writing to memory");
        let shared_times = built.ssc.with_graph(|g| {
            let counts = g.find("wordCounts").expect("wordCounts");
            let twin = g
                .nodes()
                .iter()
                .find(|n| {
                    n.id() != counts.id()
                        && n.parents == counts.parents
                        && matches!(n.op, Op::ReduceByKey(..))
                })
                .expect("the window's reduceByKey");
            let both: Vec<_> = counts
                .generated()
                .iter()
                .filter_map(|(t, r)| twin.generated().get(t).map(|r2| r.shares_data(r2)))
                .collect();
            assert!(!both.is_empty(), "no time both remember");
            // `pairs` (and `words`) are pipelined into the reduceByKeys: never computed
            // with sharing on, nobody having looked at them
            let pairs = g.find("pairs").expect("pairs");
            let deferred = pairs.generated().values().all(|r| !r.is_materialized());
            assert_eq!(deferred, share, "pairs pipelined when sharing is {share}");
            both.iter().filter(|s| **s).count() == both.len()
        });
        assert_eq!(shared_times, share, "share = {share}");
    }
}
