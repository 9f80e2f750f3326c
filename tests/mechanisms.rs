//! The mechanisms of issue 10 that Spark has and the simulator lacked, each shown by its
//! bundled scenario against the same scenario without it: receiver rate limit and
//! backpressure, `maxRatePerPartition`, graceful stop, task failures and retries,
//! stragglers and speculation, recomputation of partitions lost with a worker, failed
//! checkpoint writes. Each test fails when the mechanism is taken out (the "without" run
//! would have to show the same figures).

use stream_sim::cluster::conf::SparkConf;
use stream_sim::ledger::Ledger;
use stream_sim::models::dstream::Event;
use stream_sim::scenario::{self, RunOptions, Scenario};
use stream_sim::sim::Time;

fn options(seed: u64) -> RunOptions {
    RunOptions {
        seed,
        output_dir: std::env::temp_dir().join(format!("stream-sim-mech-{}", std::process::id())),
    }
}

fn load(name: &str) -> Scenario {
    scenario::load(&scenario::resolve(name).expect("bundled")).expect("valid")
}

/// Runs `sc` to its end: the trace and the ledger.
fn run(sc: &Scenario, seed: u64) -> (Vec<Event>, Ledger) {
    let built = sc.build(&options(seed)).expect("builds");
    let mut sink = std::io::sink();
    let end = built.default_until;
    built
        .run_printing(end, &mut sink)
        .expect("memory")
        .expect("no job failure stops the context");
    (built.ssc.trace(), built.ssc.ledger())
}

/// `(batch time, input records, total delay ms, processing ms)` of every completed batch.
fn batches(trace: &[Event]) -> Vec<(Time, usize, u64, u64)> {
    trace
        .iter()
        .filter_map(|e| match e {
            Event::BatchCompleted {
                time,
                input_records,
                total_delay_ms,
                processing_time_ms,
                ..
            } => Some((*time, *input_records, *total_delay_ms, *processing_time_ms)),
            _ => None,
        })
        .collect()
}

/// Records some receiver received but no completed batch wrote out.
fn received_never_written(ledger: &Ledger) -> usize {
    ledger
        .records()
        .filter(|(_, l)| !l.received.is_empty() && l.outputs == 0)
        .count()
}

/// Backpressure (PIDRateEstimator through the RateController) makes a falling-behind job
/// recover: its last total delay is far below the unthrottled job's, and rates were
/// published. Without the setting the same file falls behind.
#[test]
fn backpressure_makes_a_falling_behind_job_recover() {
    let with = load("falling-behind-backpressure");
    let mut without = with.clone();
    without.cluster.conf = SparkConf::default();
    let (t_with, _) = run(&with, 0);
    let (t_without, _) = run(&without, 0);
    let last = |t: &[Event]| batches(t).last().expect("batches").2;
    let peak = |t: &[Event]| batches(t).iter().map(|b| b.2).max().unwrap_or(0);
    assert!(
        t_with
            .iter()
            .any(|e| matches!(e, Event::RateUpdated { .. })),
        "rates published"
    );
    assert!(last(&t_without) > 5_000, "without: {}", last(&t_without));
    assert!(
        last(&t_with) < 2_000 && last(&t_with) * 4 < last(&t_without),
        "with {} ms, without {} ms",
        last(&t_with),
        last(&t_without)
    );
    // It recovers: the delay comes down from its peak.
    assert!(last(&t_with) < peak(&t_with), "peak {}", peak(&t_with));
}

/// `spark.streaming.receiver.maxRate`: no batch takes more than a second of the limit
/// (plus a block's rounding), and the delay stays under the batch interval.
#[test]
fn receiver_max_rate_caps_every_batch() {
    let sc = load("falling-behind-max-rate");
    let (trace, ledger) = run(&sc, 0);
    let b = batches(&trace);
    assert!(b.iter().all(|x| x.1 <= 150), "{b:?}");
    assert!(b.iter().all(|x| x.2 <= 1_000), "{b:?}");
    // Nothing is dropped: what was not admitted waits at the source.
    assert!(ledger.records().all(|(_, l)| l.dropped.is_none()));
    let mut without = sc.clone();
    without.cluster.conf = SparkConf::default();
    let (t2, _) = run(&without, 0);
    assert!(batches(&t2).iter().any(|x| x.1 > 150));
}

/// `spark.streaming.kafka.maxRatePerPartition` spreads the catch-up batch after a driver
/// outage over several batches (at most 60 records/s x 3 partitions x 1 s each).
#[test]
fn kafka_max_rate_per_partition_spreads_the_catch_up() {
    let sc = load("kafka-max-rate");
    let (trace, ledger) = run(&sc, 0);
    let most = batches(&trace).iter().map(|b| b.1).max().unwrap_or(0);
    assert!(most <= 180, "largest batch {most}");
    let mut without = sc.clone();
    without.cluster.conf = SparkConf::default();
    let (t2, _) = run(&without, 0);
    let most2 = batches(&t2).iter().map(|b| b.1).max().unwrap_or(0);
    assert!(most2 > 500, "the catch-up batch without the limit: {most2}");
    assert!(ledger.records().all(|(_, l)| l.dropped.is_none()));
}

/// A graceful stop processes everything received; a stop that is not graceful loses what
/// was queued, and the ledger counts it.
#[test]
fn graceful_stop_processes_all_received_data() {
    let (trace, ledger) = run(&load("graceful-stop"), 0);
    let stopped = trace.iter().find_map(|e| match e {
        Event::ContextStopped { time } => Some(*time),
        _ => None,
    });
    assert!(stopped.is_some_and(|t| t > Time(10_500)), "{stopped:?}");
    assert_eq!(received_never_written(&ledger), 0);
    let (trace2, ledger2) = run(&load("graceful-stop-now"), 0);
    let lost = received_never_written(&ledger2);
    assert!(lost > 100, "not graceful: {lost} lost");
    assert!(trace2.iter().any(|e| matches!(
        e,
        Event::StopRequested {
            graceful: false,
            ..
        }
    )));
    assert!(ledger2.records().any(|(_, l)| l
        .dropped
        .as_ref()
        .is_some_and(|d| d.1.contains("not gracefully"))));
}

/// Task retries cost time; 4 failures abort the batch's job (its output lost, later
/// batches go on); an output task failing half way writes half its records twice.
#[test]
fn task_failures_retry_abort_and_partial_writes() {
    let (trace, ledger) = run(&load("task-failures"), 0);
    let failed: Vec<(Time, u32)> = trace
        .iter()
        .filter_map(|e| match e {
            Event::TaskFailed { time, attempt, .. } => Some((*time, *attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed,
        [
            (Time(4000), 1),
            (Time(4000), 2),
            (Time(7000), 1),
            (Time(7000), 2),
            (Time(7000), 3),
            (Time(7000), 4),
            (Time(10_000), 1)
        ]
    );
    let b = batches(&trace);
    let proc = |t: u64| b.iter().find(|x| x.0 == Time(t)).map(|x| x.3).unwrap();
    assert!(proc(4000) > proc(3000), "{} vs {}", proc(4000), proc(3000));
    assert!(trace
        .iter()
        .any(|e| matches!(e, Event::JobFailed { time, .. } if *time == Time(7000))));
    let printed = |t: u64| {
        trace
            .iter()
            .any(|e| matches!(e, Event::Output { time, .. } if *time == Time(t)))
    };
    assert!(!printed(7000) && printed(8000), "batch 7 s lost, 8 s runs");
    let of_batch = |t: u64| {
        ledger
            .records()
            .filter(|(_, l)| l.batches.contains(&Time(t)))
            .map(|(_, l)| l.outputs)
            .collect::<Vec<u32>>()
    };
    assert!(of_batch(7000).iter().all(|&o| o == 0));
    let tenth = of_batch(10_000);
    assert_eq!(tenth.iter().filter(|&&o| o == 2).count(), tenth.len() / 2);
}

/// A straggler slows every batch; speculation brings the delay back.
#[test]
fn speculation_beats_a_straggler() {
    let (slow, _) = run(&load("straggler"), 0);
    let (spec, _) = run(&load("straggler-speculation"), 0);
    let last = |t: &[Event]| batches(t).last().expect("batches").2;
    let before = batches(&slow)
        .iter()
        .find(|b| b.0 == Time(4000))
        .map(|b| b.3)
        .unwrap();
    let after = batches(&slow)
        .iter()
        .find(|b| b.0 == Time(6000))
        .map(|b| b.3)
        .unwrap();
    assert!(after > before * 2, "straggler: {before} -> {after} ms");
    assert!(spec
        .iter()
        .any(|e| matches!(e, Event::TasksSpeculated { copies, .. } if *copies > 0)));
    assert!(
        last(&spec) * 2 < last(&slow),
        "{} vs {}",
        last(&spec),
        last(&slow)
    );
}

/// Partitions of windows and state on a dead worker are recomputed by the next batch,
/// which pays for it.
#[test]
fn lost_partitions_are_recomputed_from_lineage() {
    let sc = load("worker-failure-recompute");
    let (trace, _) = run(&sc, 0);
    let recomputed: Vec<&Event> = trace
        .iter()
        .filter(|e| matches!(e, Event::PartitionsRecomputed { .. }))
        .collect();
    assert!(!recomputed.is_empty());
    assert!(recomputed
        .iter()
        .all(|e| matches!(e, Event::PartitionsRecomputed { time, .. } if *time == Time(9000))));
    let mut calm = sc.clone();
    calm.cluster.faults = Default::default();
    let (t2, _) = run(&calm, 0);
    let proc = |t: &[Event]| {
        batches(t)
            .iter()
            .find(|b| b.0 == Time(9000))
            .map(|b| b.3)
            .unwrap()
    };
    assert!(
        proc(&trace) > proc(&t2),
        "{} vs {}",
        proc(&trace),
        proc(&t2)
    );
}

/// Failed checkpoint writes: the application goes on, and recovery re-runs from the older
/// checkpoint (4 s) instead of the newest batch before the failure.
#[test]
fn failed_checkpoint_writes_make_recovery_use_an_older_checkpoint() {
    let (trace, ledger) = run(&load("checkpoint-storage-full"), 0);
    assert!(trace
        .iter()
        .any(|e| matches!(e, Event::CheckpointWriteFailed { checkpoint_time, .. } if *checkpoint_time == Time(5000))));
    let rerun = trace.iter().find_map(|e| match e {
        Event::DriverRestarted { rerun, .. } => Some(rerun.clone()),
        _ => None,
    });
    assert_eq!(rerun.and_then(|r| r.first().copied()), Some(Time(4000)));
    // The WAL and the reliable receiver still lose nothing.
    assert_eq!(received_never_written(&ledger), 0);
}

/// The REPL injects the new faults with the scenario's own grammar: `stop graceful`,
/// `slow worker-2 4x`, `fail task 4`, `fail storage`; a bad factor is named.
#[test]
fn repl_injects_the_new_faults() {
    use stream_sim::repl::Session;
    let sc = load("wordcount");
    let mut s = Session::new(&sc, &RunOptions::default()).expect("session");
    let out = s.execute("slow worker-2 4x");
    assert!(out.contains("slow worker-2 4x: injected"), "{out}");
    let out = s.execute("slow worker-2 fast");
    assert!(out.contains("slowdown factor"), "{out}");
    let out = s.execute("fail task 4");
    assert!(out.contains("fail task 4: injected"), "{out}");
    let out = s.execute("fail storage");
    assert!(out.contains("fail storage: injected"), "{out}");
    s.execute("step 3");
    let out = s.execute("stop graceful");
    assert!(out.contains("stop graceful: injected"), "{out}");
}

/// Slow reliable storage: checkpoint writes queue on the writer's one thread, and those
/// still running when the driver dies die with it, so recovery starts further back.
#[test]
fn slow_checkpoint_writes_die_with_the_driver() {
    let mut sc = load("checkpoint-storage-full");
    sc.cluster.faults =
        stream_sim::cluster::FaultPlan::parse("at 4500ms slow storage 3s\nat 9500ms kill driver")
            .expect("fault lines");
    let (trace, ledger) = run(&sc, 0);
    assert!(trace.iter().any(
        |e| matches!(e, Event::Warning { message, .. } if message.contains("died with the driver"))
    ));
    let rerun = trace.iter().find_map(|e| match e {
        Event::DriverRestarted { rerun, .. } => rerun.first().copied(),
        _ => None,
    });
    // Writes of 5 s, 6 s, 7 s ... each take 3 s one after the other: by 9.5 s only the
    // checkpoint of 5 s (done at 8 s) is on storage.
    assert_eq!(rerun, Some(Time(5000)));
    assert_eq!(received_never_written(&ledger), 0);
}

/// `stream-sim run --check` on a stopped context ends (nothing is pending after a stop)
/// and counts what the non-graceful stop lost.
#[test]
fn check_counts_what_a_stop_loses() {
    let sc = load("graceful-stop-now");
    let report = stream_sim::check::verify(&sc, &options(0), Time(15_000)).expect("verifies");
    assert!(!report.verdict.lost.is_empty());
    let sc = load("graceful-stop");
    let report = stream_sim::check::verify(&sc, &options(0), Time(10_000)).expect("verifies");
    assert!(report.verdict.lost.is_empty(), "{}", report.verdict);
}
