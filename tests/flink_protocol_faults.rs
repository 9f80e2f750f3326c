//! Faults at points of Flink's checkpoint protocol, from the REPL and from a scenario file,
//! and the watermark idleness of a quiet source (`WatermarkStrategy.withIdleness`).
//!
//! The two paths of `TwoPhaseCommitSinkFunction` on recovery: a checkpoint that completed
//! before the job died has its pre-committed transactions committed on recovery
//! (`recoverAndCommit`); a checkpoint one subtask never acknowledged (it died after the
//! barrier, before its snapshot) is aborted by the `CheckpointCoordinator`, and what the
//! other subtasks pre-committed for it is aborted (`recoverAndAbort`). Either way the
//! committed output holds every record once.

use stream_sim::check::flink::run_command;
use stream_sim::models::flink::{FlinkEvent, ProtocolFault};
use stream_sim::repl::record_at_a_time::{run_script, RatSession};
use stream_sim::scenario::flink::{load, resolve};
use stream_sim::sim::Time;

/// The numbers of the REPL's `ledger` line: (read, once, more than once, not yet).
fn ledger_numbers(line: &str) -> (u64, u64, u64, u64) {
    let n = |after: &str| -> u64 {
        let i = line
            .find(after)
            .unwrap_or_else(|| panic!("`{after}` in {line}"))
            + after.len();
        line[i..]
            .trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| panic!("a number after `{after}` in {line}"))
    };
    (
        n("ledger:"),
        n("once:"),
        n("more than once:"),
        n("not (yet):"),
    )
}

/// `fail after-precommit 3`: checkpoint 3 completes, every sink has pre-committed, the job
/// dies before notifyCheckpointComplete; the restart commits those transactions, and in the
/// end every record is committed exactly once.
#[test]
fn after_precommit_commits_on_recovery() {
    let mut s = RatSession::new("flink-wordcount", 0).expect("loads");
    let armed = s.execute("fail after-precommit 3");
    assert!(armed.starts_with("armed:"), "{armed}");
    assert!(s
        .execute("checkpoint")
        .contains("armed: fail after-precommit 3"));
    let at_fault = s.execute("run until 3s");
    assert!(
        at_fault.contains(r#""event":"protocol_fault""#),
        "{at_fault}"
    );
    assert!(
        at_fault.contains("before notifyCheckpointComplete"),
        "{at_fault}"
    );
    let c = s.execute("checkpoint");
    assert!(c.contains("last completed: 3 "), "{c}");
    assert!(
        !c.contains("pre-committed records [0, 0]"),
        "checkpoint 3's transactions wait, pre-committed: {c}"
    );
    let (read, _, more, _) = ledger_numbers(&s.execute("ledger"));
    assert!(read > 0 && more == 0);
    let restart = s.execute("run until 4s");
    assert!(
        restart.contains(r#""event":"transactions_recovered","time":4000,"restored_checkpoint":3"#),
        "{restart}"
    );
    assert!(
        !restart.contains(r#""committed_records":0"#),
        "recoverAndCommit commits what checkpoint 3 pre-committed: {restart}"
    );
    assert!(restart.contains(r#""from_checkpoint":3"#), "{restart}");
    s.execute("run until 30s");
    let (read, once, more, not_yet) = ledger_numbers(&s.execute("ledger"));
    assert_eq!(
        (read, once, more, not_yet),
        (400, 400, 0, 0),
        "no loss, no duplicate in the committed output"
    );
}

/// `fail after-barrier 3 keyed[1]`: keyed[0] snapshots and pre-commits for checkpoint 3,
/// keyed[1] dies before its snapshot; the checkpoint is aborted, the job restores
/// checkpoint 2 and aborts keyed[0]'s transaction for 3; every record is committed once.
#[test]
fn after_barrier_aborts_the_checkpoint_and_its_transactions() {
    let mut s = RatSession::new("flink-wordcount", 0).expect("loads");
    assert!(s
        .execute("fail after-barrier 3 keyed[1]")
        .starts_with("armed:"));
    let at_fault = s.execute("run until 3500ms");
    assert!(
        at_fault.contains(r#""event":"checkpoint_aborted","time":3000,"id":3"#),
        "{at_fault}"
    );
    assert!(
        at_fault.contains("already snapshotted: keyed[0]"),
        "{at_fault}"
    );
    let c = s.execute("checkpoint");
    assert!(c.contains("last completed: 2 "), "{c}");
    let restart = s.execute("run until 4s");
    assert!(
        restart
            .contains(r#""restored_checkpoint":2,"committed_records":0,"aborted_checkpoints":[3]"#),
        "{restart}"
    );
    assert!(!restart.contains(r#""aborted_records":0"#), "{restart}");
    s.execute("run until 30s");
    assert_eq!(
        ledger_numbers(&s.execute("ledger")),
        (400, 400, 0, 0),
        "the replayed records are committed once, after the restart"
    );
}

/// Arming refuses what cannot strike, naming what would be valid; Storm has no such points.
#[test]
fn protocol_faults_are_checked() {
    let mut s = RatSession::new("flink-wordcount", 0).expect("loads");
    let e = s.execute("fail after-barrier 2 keyed[7]");
    assert!(e.contains("keyed[0] .. keyed[1]"), "{e}");
    let e = s.execute("fail after-lunch 2");
    assert!(
        e.contains("fail after-barrier CHECKPOINT_ID keyed[K]"),
        "{e}"
    );
    let e = s.execute("fail after-precommit zero");
    assert!(e.contains("not a checkpoint id"), "{e}");
    s.execute("run until 2500ms");
    let e = s.execute("fail after-precommit 2");
    assert!(
        e.contains("already past") && e.contains("next checkpoint is 3"),
        "{e}"
    );
    let mut storm = RatSession::new("storm-wordcount", 0).expect("loads");
    assert!(storm.execute("fail after-precommit 2").contains("Flink's"));
}

/// `kill taskmanager-N` and `kill worker-N` strike now; an unknown node is refused.
#[test]
fn kill_from_the_repl() {
    let mut s = RatSession::new("flink-wordcount", 0).expect("loads");
    s.execute("run until 2500ms");
    let k = s.execute("kill taskmanager-2");
    assert!(
        k.contains("at 2500 ms: kill worker-2") && k.contains("task manager worker-2 lost"),
        "{k}"
    );
    let r = s.execute("run until 3500ms");
    assert!(r.contains(r#""from_checkpoint":2"#), "{r}");
    assert!(s.execute("kill worker-3").contains("N in 1..=2"));
    s.execute("run until 30s");
    assert_eq!(ledger_numbers(&s.execute("ledger")), (400, 400, 0, 0));

    let mut storm = RatSession::new("storm-flights", 0).expect("loads");
    storm.execute("run until 5s");
    let k = storm.execute("kill worker-1");
    assert!(k.contains(r#""event":"worker_killed","time":5000"#), "{k}");
    let l = storm.execute("ledger");
    assert!(l.contains("state lost for good: "), "{l}");
}

/// `step record N` stops after N source records and says what each did.
#[test]
fn step_record_by_record() {
    let mut s = RatSession::new("flink-wordcount", 0).expect("loads");
    let out = s.execute("step record 3");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].contains("source[0] read offset 0"), "{out}");
    assert!(lines[1].contains("source[1] read offset 1"), "{out}");
    assert!(lines[2].contains("element(s) to keyed["), "{out}");
    assert_eq!(lines[3], "time 100 ms", "{out}");
    assert!(s.execute("step record 0").contains("1..=10000"));
    assert!(s.execute("step record x").contains("not a count"));

    let mut storm = RatSession::new("storm-wordcount", 0).expect("loads");
    let out = storm.execute("step record 2");
    assert!(out.contains("lines[0] emitted offset 0 as tree "), "{out}");
    assert!(out.contains("emitted offset 1 as tree "), "{out}");
    let mut text = Vec::new();
    run_script(&mut storm, "step record\nquit\n".as_bytes(), &mut text).expect("runs");
    let text = String::from_utf8(text).expect("utf8");
    assert!(text.contains("emitted offset 2"), "{text}");
}

/// The scenario-file form: `protocol_faults` in `[job]`; both bundled scenarios keep every
/// record committed once, and their runs show the protocol events.
#[test]
fn protocol_faults_in_scenario_files() {
    let out = run_command("flink-wordcount-after-precommit", 0, true, false).expect("runs");
    assert!(out.contains(r#""fault":"fail after-precommit 3""#), "{out}");
    assert!(out.contains(r#""restored_checkpoint":3"#), "{out}");
    assert!(out.contains("exactly-once: 400 delivered once"), "{out}");
    let out = run_command("flink-wordcount-after-barrier", 0, true, false).expect("runs");
    assert!(out.contains(r#""event":"checkpoint_aborted""#), "{out}");
    assert!(out.contains(r#""aborted_checkpoints":[3]"#), "{out}");
    assert!(out.contains("exactly-once: 400 delivered once"), "{out}");
    let sc = load(&resolve("flink-wordcount-after-barrier").expect("bundled")).expect("loads");
    assert_eq!(
        sc.job.protocol_faults,
        [ProtocolFault::AfterBarrier {
            checkpoint: 3,
            subtask: 1
        }]
    );
}

/// A scenario's bad `protocol_faults` line is refused with the file, line and column.
#[test]
fn a_bad_protocol_fault_line_names_its_place() {
    let dir = std::env::temp_dir().join("stream-sim-flink-protocol-faults");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = std::fs::read_to_string(resolve("flink-wordcount-after-barrier").expect("bundled"))
        .expect("reads")
        .replace(
            "fail after-barrier 3 keyed[1]",
            "fail after-barrier 3 keyed[9]",
        )
        .replace(
            "../data/",
            &format!("{}/scenarios/data/", env!("CARGO_MANIFEST_DIR")),
        );
    let path = dir.join("bad.toml");
    std::fs::write(&path, text).expect("writes");
    let e = match load(&path) {
        Ok(_) => panic!("keyed[9] of 2 subtasks is refused"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("bad.toml:") && e.contains("protocol_faults: line 1"),
        "{e}"
    );
    assert!(e.contains("keyed[0] .. keyed[1]"), "{e}");
}

/// One partition goes quiet: without idleness every keyed subtask's watermark stays at the
/// quiet channel's and the windows stall; with `idleness = "5s"` the quiet source marks
/// itself idle, the valves leave it out, and the windows fire.
#[test]
fn idleness_lets_windows_fire_past_a_quiet_partition() {
    let sc = load(&resolve("flink-flights-idle-partition").expect("bundled")).expect("loads");
    assert!(sc.job.idleness.is_some());
    let with = sc.run(0, true);
    let mut stalled =
        load(&resolve("flink-flights-idle-partition").expect("bundled")).expect("loads");
    stalled.job.idleness = None;
    let without = stalled.run(0, true);
    let last = |c: &stream_sim::models::flink::MiniCluster| {
        c.firings()
            .iter()
            .map(|f| f.window.end)
            .max()
            .expect("fired")
    };
    assert!(
        with.firings().len() > 2 * without.firings().len(),
        "{} firings with idleness, {} without",
        with.firings().len(),
        without.firings().len()
    );
    assert!(last(&with) > last(&without));
    assert!(with.trace().iter().any(|e| matches!(
        e,
        FlinkEvent::WatermarkStatus {
            source: 1,
            idle: true,
            time
        } if *time > Time(60_000)
    )));
    assert!(!without
        .trace()
        .iter()
        .any(|e| matches!(e, FlinkEvent::WatermarkStatus { .. })));
    // The REPL's barriers view names the idle channel.
    let mut s = RatSession::new("flink-flights-idle-partition", 0).expect("loads");
    s.execute("run until 80s");
    let b = s.execute("barriers");
    assert!(b.contains("idle channels [1]"), "{b}");
}
