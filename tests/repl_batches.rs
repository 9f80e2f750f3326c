//! Issue 13, the hidden state: every batch time is visible in `step`, `metrics` and `run`
//! (queued and why, re-run, never run); `step` announces faults and recoveries inline;
//! `metrics` judges stability by Spark's rule; `whatif` judges by records and by output
//! batches on one horizon; `faults` lists the run's faults; print headers carry labels;
//! colours follow NO_COLOR. Scripted sessions on bundled scenarios.

use std::process::Command;
use stream_sim::repl::{use_color, Session};
use stream_sim::scenario::{self, RunOptions};

const BIN: &str = env!("CARGO_BIN_EXE_stream-sim");

fn session(name: &str) -> Session {
    let path = scenario::resolve(name).unwrap_or_else(|e| panic!("{e}"));
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    Session::new(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn batches_that_wait_for_a_core_are_announced() {
    // The repro: on flights, after `kill worker-1` worker-2 holds both receivers on
    // its 2 cores; `step 2` printed nothing. It must say the batches are queued and why.
    let mut s = session("flights");
    s.execute("step 6");
    s.execute("kill worker-1");
    let out = s.execute("step 2");
    assert!(
        out.contains("batch 35000 ms: queued: no free core: 2 receiver(s) hold all 2 core(s)"),
        "{out}"
    );
    assert!(
        out.contains("batch 40000 ms: queued: behind batch 35000 ms"),
        "{out}"
    );
    let metrics = s.execute("metrics");
    assert!(metrics.contains("active batches (2):"), "{metrics}");
    assert!(
        metrics.contains("verdict: NOT PROCESSING: batch 35000 ms waits for a free core"),
        "{metrics}"
    );
    assert!(!metrics.contains("stable"), "{metrics}");
}

#[test]
fn starvation_is_not_silent() {
    // Every batch of the starvation scenario waits for the core the receiver holds: `step`
    // says so for each batch, `run` says so on stderr, `--check` refuses to call it
    // exactly-once and fails.
    let mut s = session("starvation");
    let out = s.execute("step 3");
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(
        out.starts_with("batch 1000 ms: queued: no free core"),
        "{out}"
    );
    let run = Command::new(BIN)
        .args(["run", "starvation", "--until", "5s"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("batches: 5 batches: 0 completed, 1 queued (no free core), 4 queued"),
        "{err}"
    );
    assert_eq!(run.status.code(), Some(0), "{err}");
    let check = Command::new(BIN)
        .args(["run", "starvation", "--until", "5s", "--check"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(!err.contains("exactly-once"), "{err}");
    assert!(err.contains("nothing to judge"), "{err}");
    assert_eq!(check.status.code(), Some(1), "{err}");
}

#[test]
fn a_driver_failure_is_announced_with_its_reruns_and_state() {
    // driver-failure-wal: the driver dies at 6.5 s; `step` must say so, say which batches
    // the recovered driver runs again, mark the batch that ran twice, and say what the
    // state stream restarts from.
    let mut s = session("driver-failure-wal");
    let out = s.execute("step 12");
    for want in [
        "FAULT 6500 ms: the driver failed",
        "batch 7000 ms: never run: not generated (yet): the driver is down (failed at 6500 ms); when it restarts at 11500 ms",
        "RECOVERY 11500 ms: the driver restarted and recovered from its checkpoint; it runs again batches 6000 ms, 7000 ms",
        "the records-processed accumulator was 61 and starts again at 0",
        "`total` starts empty (no checkpointed state)",
        "batch 6000 ms: 10 input records (queued 5500 ms before it ran); RE-RUN: this batch ran 2 times",
        "batch 7000 ms: 4 input records (queued 4550 ms before it ran); run by the recovered driver",
    ] {
        assert!(out.contains(want), "missing `{want}` in:\n{out}");
    }
    let metrics = s.execute("metrics 20");
    assert!(metrics.contains("2 (re-run)"), "{metrics}");
}

#[test]
fn metrics_uses_sparks_stability_rule() {
    // falling-behind: every batch takes longer than the 1 s interval to process, so it is
    // not stable, whatever the total delays do; wordcount keeps up.
    let mut s = session("falling-behind");
    s.execute("step 10");
    let out = s.execute("metrics");
    assert!(out.contains("verdict: FALLING BEHIND: "), "{out}");
    assert!(
        out.contains("took at least the batch interval (1s) to process"),
        "{out}"
    );
    let mut w = session("wordcount");
    w.execute("step 6");
    let out = w.execute("metrics");
    assert!(
        out.contains("verdict: stable: each of the last 5 batches was processed in less than the batch interval"),
        "{out}"
    );
}

#[test]
fn metrics_exports_every_batch_as_csv() {
    let mut s = session("flights");
    s.execute("step 6");
    s.execute("kill worker-1");
    s.execute("step 2");
    let path = std::env::temp_dir().join(format!("stream-sim-metrics-{}.csv", std::process::id()));
    let out = s.execute(&format!("metrics --csv {}", path.display()));
    assert!(out.contains("wrote 8 batches to"), "{out}");
    let csv = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&path);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "batch_ms,state,input_records,scheduling_delay_ms,processing_time_ms,total_delay_ms,runs,detail"
    );
    assert_eq!(lines.len(), 9, "{csv}");
    assert!(
        lines[7].starts_with("35000,queued,,,,,0,no free core"),
        "{csv}"
    );
}

#[test]
fn whatif_judges_by_records_and_output_batches_on_one_horizon() {
    // driver-failure-wal, `whatif reliable off`: it said "0 of 22 output batches differ"
    // above "46 lost" (outputs compared up to now, records past it). Both now run past
    // now, and both measures are given.
    let mut s = session("driver-failure-wal");
    s.execute("step 12");
    let out = s.execute("whatif reliable off");
    assert!(out.contains("46 lost"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("by output batches: "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(!line.starts_with("by output batches: 0 of"), "{out}");
    assert!(out.contains("by records"), "{out}");
}

#[test]
fn faults_are_listed_and_going_back_says_which_are_kept() {
    let mut s = session("wordcount");
    s.execute("step 3");
    s.execute("at 8s kill driver");
    let out = s.execute("faults");
    assert!(
        out.contains("1. at 8000 ms kill driver (typed at the prompt; pending)"),
        "{out}"
    );
    s.execute("step 2");
    let out = s.execute("back 2");
    assert!(
        out.contains("kept 1 fault typed at the prompt, still to come: at 8000 ms kill driver"),
        "{out}"
    );
}

#[test]
fn print_headers_are_labelled_in_the_repl_and_exact_when_off() {
    let mut s = session("flights");
    let out = s.execute("step 1");
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("Time: ")).collect();
    assert!(headers.len() > 1, "{out}");
    assert!(
        headers.iter().all(|h| h.starts_with("Time: 5000 ms [")),
        "{out}"
    );
    s.execute("labels off");
    let out = s.execute("step 1");
    assert!(
        out.lines()
            .filter(|l| l.starts_with("Time: "))
            .all(|h| h == "Time: 10000 ms"),
        "{out}"
    );
    let run = Command::new(BIN)
        .args(["run", "wordcount", "--batches", "1", "--label-prints"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.contains("Time: 1000 ms ["), "{out}");
}

#[test]
fn colours_only_on_a_terminal_without_no_color() {
    use std::ffi::OsStr;
    assert!(use_color(true, None));
    assert!(use_color(true, Some(OsStr::new(""))));
    assert!(!use_color(true, Some(OsStr::new("1"))));
    assert!(!use_color(false, None));
    let mut s = session("wordcount");
    assert!(!s.execute("bogus").contains('\u{1b}'));
    s.set_color(true);
    let err = s.execute("bogus");
    assert!(err.starts_with("\u{1b}[31munknown command"), "{err}");
}

#[test]
fn streams_typed_before_the_first_step_join_the_graph() {
    // spark-shell habit: define a stream and its output at the prompt, then step.
    let mut s = session("wordcount");
    let out = s.execute("lengths = lines.map(l => l.length())");
    assert_eq!(out, "`lengths` joins the graph (no batch has run yet)");
    s.execute("lengths.count().print()");
    assert!(s.stream_names().contains(&"lengths".to_string()));
    let out = s.execute("step 1");
    assert!(out.contains("Time: 1000 ms [#"), "{out}");
}

#[test]
fn streams_typed_after_the_first_step_are_refused_as_spark_refuses_them() {
    // After the first batch: Spark's own error, the statement kept, and `restart` replays
    // from zero with the new graph (same seed: the old outputs come back identical).
    let mut s = session("wordcount");
    let first = s.execute("step 2");
    let out = s.execute("big = words.filter(w => w.length() > 8)");
    assert!(
        out.starts_with("java.lang.IllegalStateException: Adding new inputs, transformations, and output operations after starting a context is not supported"),
        "{out}"
    );
    assert!(out.contains("`restart`"), "{out}");
    assert!(!s.stream_names().contains(&"big".to_string()));
    s.execute("big.print()");
    let out = s.execute("restart");
    assert_eq!(
        out,
        "restart: a new context from zero (2 statement(s) added to the graph), the same seed and faults; replayed 2 batch(es) to 2000 ms"
    );
    assert!(s.stream_names().contains(&"big".to_string()));
    assert_eq!(s.context().now().ms(), 2000);
    let mut fresh = session("wordcount");
    fresh.execute("big = words.filter(w => w.length() > 8)");
    fresh.execute("big.print()");
    let again = fresh.execute("step 2");
    assert!(
        again.contains(first.lines().nth(3).unwrap_or("?")),
        "{again}"
    );
    assert_eq!(s.execute("step 1"), { fresh.execute("step 1") });
}

#[test]
fn reload_reads_the_edited_file_and_cancel_removes_a_pending_fault() {
    let dir = std::env::temp_dir().join(format!("stream-sim-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let src = scenario::resolve("driver-failure-wal").unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{e}"));
    let data = src
        .canonicalize()
        .unwrap_or_else(|e| panic!("{e}"))
        .parent()
        .map(|p| p.join("data"))
        .unwrap_or_default();
    let text = text.replace("file = \"data/", &format!("file = \"{}/", data.display()));
    let file = dir.join("edit.toml");
    std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
    let sc = scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let mut s = Session::new(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    s.execute("step 3");
    // The scenario's driver failure at 6.5 s is pending: cancel it, and no driver fails.
    let listed = s.execute("faults");
    assert!(
        listed.contains("1. at 6500 ms kill driver (scenario; pending)"),
        "{listed}"
    );
    let out = s.execute("cancel 1");
    assert_eq!(
        out,
        "cancel: removed at 6500 ms kill driver; replayed 3 batch(es) to 3000 ms"
    );
    let out = s.execute("step 5");
    assert!(!out.contains("FAULT"), "{out}");
    // Edit the file (print the running total only, and drop the fault: reload reads the
    // file, so a fault cancelled at the prompt but still in the file would come back),
    // then reload.
    let edited = text
        .replace("perBatch.print()\n", "")
        .replace("at 6500ms kill driver\n", "");
    std::fs::write(&file, edited).unwrap_or_else(|e| panic!("{e}"));
    let out = s.execute("reload");
    assert!(out.starts_with("reload: read "), "{out}");
    assert!(out.ends_with("replayed 8 batch(es) to 8000 ms"), "{out}");
    let out = s.execute("step 1");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.matches("Time: 9000 ms").count(), 1, "{out}");
}

#[test]
fn ledger_shows_the_record_s_content() {
    // The record's content (its line of the source, as Spark prints it) and when the
    // source sent it, above its life in the engine.
    let mut s = session("wordcount");
    s.execute("step 3");
    let out = s.execute("ledger 0");
    let text = std::fs::read_to_string("scenarios/data/fortunes/lines.txt")
        .unwrap_or_else(|e| panic!("{e}"));
    let first = text.lines().next().unwrap_or_default();
    assert!(out.contains(&format!("  content:     {first}\n")), "{out}");
    assert!(out.contains("  sent at:     "), "{out}");
}

#[test]
fn plots_mark_the_batches_that_did_not_complete() {
    // starvation: no batch completes, yet the chart is drawn with every batch time marked.
    let mut s = session("starvation");
    s.execute("step 3");
    let path = std::env::temp_dir().join(format!("stream-sim-unrun-{}.svg", std::process::id()));
    let out = s.execute(&format!("plot delays {}", path.display()));
    let svg = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    assert!(
        out.ends_with(
            "0 batches, 0 failures marked, 3 batches that did not complete marked with a cross"
        ),
        "{out}"
    );
    assert!(
        svg.contains("batch not completed (queued or never run): 3"),
        "{svg}"
    );
}
