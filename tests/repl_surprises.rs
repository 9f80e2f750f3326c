//! Issue 13's REPL "surprises", in scripted sessions: `predict` no longer grades the next
//! command as a guess, nor another batch when the asked one did not run; a bare number in
//! `run until` is refused with the readings it could have; `goto` past run_for says so.

use stream_sim::repl::Session;
use stream_sim::scenario::{self, RunOptions};

/// A fresh session on a bundled scenario, seed 0.
fn session(name: &str) -> Session {
    let path = scenario::resolve(name).unwrap_or_else(|e| panic!("{e}"));
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    Session::new(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn predict_runs_a_command_typed_instead_of_an_answer() {
    // Proves `step 10` typed after `predict` runs as a command (it was graded as the
    // records "10 step"), and that `=` forces an answer that begins with a command name.
    let mut s = session("wordcount");
    s.execute("step 2");
    s.execute("predict wordCounts");
    let out = s.execute("step 3");
    assert!(
        out.starts_with("predict: cancelled: `step` is a command, so it ran as one"),
        "{out}"
    );
    assert!(!out.contains("not quite"), "{out}");
    assert_eq!(s.context().now().ms(), 5000, "the step ran");
    s.execute("predict words");
    let out = s.execute("= step");
    assert!(out.contains("predict: not quite"), "{out}");
    assert!(out.contains("not in the output: step"), "{out}");
}

#[test]
fn predict_grades_nothing_when_the_asked_batch_did_not_complete() {
    // Proves that on `flights` after `kill worker-1` (the asked batch is queued, not run),
    // predict says that batch did not complete instead of grading the last completed one.
    let mut s = session("flights");
    s.execute("step 6");
    s.execute("kill worker-1");
    let ask = s.execute("predict avgDelay");
    assert!(ask.contains("at 35000 ms"), "{ask}");
    let out = s.execute("none");
    assert!(
        out.contains("predict: the batch at 35000 ms did not complete"),
        "{out}"
    );
    assert!(
        !out.contains("predict: correct") && !out.contains("not quite"),
        "{out}"
    );
}

#[test]
fn run_until_a_bare_number_is_refused_with_its_readings() {
    // Proves `run until 40` (which ran until 40 ms) is refused, offering 40s, 40ms and
    // `step 40`, and runs nothing.
    let mut s = session("wordcount");
    let out = s.execute("run until 40");
    assert_eq!(
        out,
        "run: `40` has no unit: write `run until 40s` (40 seconds) or `run until 40ms`, or `step 40` for 40 batches of 1s"
    );
    assert_eq!(s.context().now().ms(), 0);
    let out = s.execute("run until 3s");
    assert!(out.ends_with("clock at 3000 ms; 3 batches run"), "{out}");
}

#[test]
fn goto_past_run_for_says_so() {
    // Proves `goto 999` (batch 999, far past wordcount's run_for of 60 s) notes that it is
    // past run_for and that a bare number is a batch number; within run_for, no note.
    let mut s = session("wordcount");
    let out = s.execute("goto 5");
    assert!(!out.contains("note"), "{out}");
    let out = s.execute("goto 999");
    assert!(
        out.starts_with("goto: note: 999000 ms (batch 999) is past the scenario's run_for, which ends at 60000 ms (batch 60)"),
        "{out}"
    );
}

#[test]
fn window_without_a_time_shows_the_latest_window() {
    // Proves `window <stream>` after a batch off the window's slide (13 s, slide 10 s)
    // shows the latest window (10 s) with a note, instead of an error; an explicit time
    // off the slide is still an error naming the nearest valid times.
    let mut s = session("wordcount");
    s.execute("step 13");
    let out = s.execute("window windowedWordCounts");
    assert!(
        out.starts_with("13000 ms is not on `windowedWordCounts`'s slide (10s); showing its latest window, at 10000 ms"),
        "{out}"
    );
    assert!(out.contains("at 10000 ms covers 10 batches"), "{out}");
    let out = s.execute("window windowedWordCounts 13s");
    assert!(
        out.starts_with("window: `windowedWordCounts` has no RDD at 13000 ms"),
        "{out}"
    );
}

#[test]
fn help_examples_name_streams_of_the_loaded_scenario() {
    // Proves the help's examples (and the usage in errors) name streams of the loaded
    // scenario: on `flights`, `help show` and a bare `show` suggest `show named 3s` (they
    // suggested `counts`, which flights does not have), and `help ledger` a flights source.
    let mut s = session("flights");
    let out = s.execute("help show");
    assert!(out.contains("e.g. show named 3s"), "{out}");
    let out = s.execute("show");
    assert_eq!(
        out,
        "show: expected 'show <stream> [time]', e.g. 'show named 3s'"
    );
    let out = s.execute("help ledger");
    assert!(out.contains("ledger flights 42"), "{out}");
    let mut s = session("wordcount");
    let out = s.execute("help predict");
    assert!(out.contains("predict wordCounts"), "{out}");
}
