//! The REPL: scripted sessions over the bundled `wordcount` and `flights` scenarios, driven
//! through `Session::execute`, through `run_script`, and through the binary's piped stdin,
//! with snapshots of the transcripts; bad commands (errors named after their command,
//! nothing changed) and garbage input (never a panic).

use std::io::Write as _;
use std::process::{Command, Stdio};
use stream_sim::repl::{run_script, Session};
use stream_sim::scenario::{self, RunOptions};

/// A fresh session on a bundled scenario, seed 0.
fn session(name: &str) -> Session {
    let path = scenario::resolve(name).unwrap_or_else(|e| panic!("{e}"));
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    Session::new(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `script` (one command per line) through `Session::execute` and returns the
/// transcript: each command after `> `, then its output.
fn transcript(s: &mut Session, script: &str) -> String {
    let mut out = String::new();
    for line in script.lines() {
        out.push_str(&format!("> {line}\n"));
        let text = s.execute(line);
        if !text.is_empty() {
            out.push_str(&text);
            out.push('\n');
        }
    }
    out
}

/// The parts of a session's state a command could change.
fn fingerprint(s: &Session) -> (u64, usize, Option<u64>, Option<u64>) {
    let ssc = s.context();
    (
        ssc.now().ms(),
        ssc.trace_len(),
        ssc.last_batch().map(|t| t.ms()),
        ssc.next_batch_time().map(|t| t.ms()),
    )
}

#[test]
fn wordcount_session_covers_every_command() {
    // Proves every command works on the default scenario, in order: help, time, streams,
    // step, show (with valid, invalid, future and forgotten times), lineage, blocks, run
    // until, window on the incremental reduceByKeyAndWindow (and walking up from the stream
    // built on it), trace, and the error messages of bad commands.
    let mut s = session("wordcount");
    let script = "\
help
help show
help nosuch
time
streams
show wordCounts
step
step 2
time
show wordCounts
show words 2s
show wordCounts 1500
show wordCounts 90s
show wrds
show
lineage wordCounts
lineage #4 2000 ms
blocks
blocks 2500
blocks 10s
run until 10s
window windowedWordCounts
window topWords
window wordCounts
state wordCounts
run until 20s
window windowedWordCounts 20s
show wordCounts 1s
show topWords 10s
trace 4
trace x
step 0
step 1 2
run 10s
run until 5s
run until abc
time now
frobnicate
quit";
    let out = transcript(&mut s, script);
    assert!(s.finished());
    insta::assert_snapshot!("wordcount_session", out);
}

#[test]
fn flights_session_covers_state_windows_and_joins() {
    // Proves the stateful and windowed inspection on the flights scenario: the state of an
    // updateStateByKey stream with per-key changes and one key's history, a plain window
    // reached from a stream built on it (perCarrier -> named), the window of a stream-stream
    // join, blocks of two receivers, and the errors for non-state / non-window streams.
    let mut s = session("flights");
    let script = "\
streams
step 6
state delayState
state delayState JFK
state delayState \"EWR\"
state delayState ZZZ
state avgDelay
state
window named
window #14
window withWeather
window avgDelay
show avgDelay
show withWeather
blocks
run until 1min
state delayState LGA
lineage named
lineage delayState
show perCarrier 20s
exit";
    let out = transcript(&mut s, script);
    assert!(s.finished());
    insta::assert_snapshot!("flights_session", out);
}

#[test]
fn bad_commands_name_the_command_and_change_nothing() {
    // Proves that every bad command returns a message starting with the command's name (or
    // "unknown command") and leaves the clock, the trace and the batches untouched.
    let mut s = session("wordcount");
    s.execute("step 2");
    let before = fingerprint(&s);
    let cases = [
        ("step", "step x"),
        ("step", "step 0"),
        ("step", "step 100001"),
        ("step", "step 1 2"),
        ("run", "run"),
        ("run", "run 90s"),
        ("run", "run until"),
        ("run", "run until 1s"),
        ("run", "run until 2s"),
        ("run", "run until 10 parsecs"),
        ("run", "run until 100000h"),
        ("time", "time 3s"),
        ("streams", "streams all"),
        ("show", "show"),
        ("show", "show nosuch"),
        ("show", "show wordCounts soon"),
        ("show", "show wordCounts 2500"),
        ("show", "show wordCounts 60s"),
        ("lineage", "lineage"),
        ("lineage", "lineage #99"),
        ("window", "window"),
        ("window", "window words"),
        ("window", "window windowedWordCounts"),
        ("state", "state"),
        ("state", "state wordCounts"),
        ("blocks", "blocks 1500"),
        ("blocks", "blocks 9s"),
        ("trace", "trace -1"),
        ("trace", "trace 1 2"),
        ("help", "help nosuch"),
        ("help", "help step run"),
        ("quit", "quit now"),
        ("unknown command", "stpe"),
        ("kill", "kill"),
        ("kill", "kill worker-9"),
        ("kill", "kill worker-1 now"),
        ("restart", "restart driver"),
        ("restart", "restart worker-1"),
        ("at", "at"),
        ("at", "at 1s kill driver"),
        ("at", "at 2s kill driver"),
        ("at", "at soon kill driver"),
        ("at", "at 9s smash worker-1"),
        ("at", "at 9s partition worker-1"),
        ("loss", "loss 2"),
        ("fail", "fail everything"),
        ("at", "at 99999999999999h kill driver"),
        ("partition", "partition worker-1 worker-2"),
        ("loss", "loss 10%"),
        ("cluster", "cluster now"),
        ("wal", "wal x"),
        ("checkpoint", "checkpoint x"),
        ("metrics", "metrics x"),
        ("ledger", "ledger"),
        ("ledger", "ledger x"),
        ("ledger", "ledger nosuch 3"),
        ("ledger", "ledger 999999"),
        ("back", "back 0"),
        ("back", "back 3"),
        ("back", "back x"),
        ("goto", "goto"),
        ("goto", "goto soon"),
        ("goto", "goto 100000000000000"),
        ("goto", "goto 100000000000s"),
        ("save", "save"),
        ("load", "load"),
        ("load", "load /nonexistent/scenario.toml"),
        ("plot", "plot"),
        ("plot", "plot pie x.svg"),
        ("plot", "plot delays /nonexistent/dir/x.svg"),
        ("whatif", "whatif"),
        ("whatif", "whatif wal maybe"),
        ("whatif", "whatif wal off"),
        ("whatif", "whatif replication 9"),
        ("whatif", "whatif reliable off"),
        ("whatif", "whatif speed 11"),
        ("predict", "predict"),
        ("predict", "predict nosuch"),
    ];
    for (cmd, line) in cases {
        let r = s.try_execute(line);
        let msg = r.expect_err(line);
        assert!(msg.starts_with(cmd), "{line:?} gave {msg:?}");
        assert_eq!(
            s.execute(line),
            msg,
            "execute and try_execute agree on {line:?}"
        );
        assert_eq!(fingerprint(&s), before, "{line:?} changed the session");
    }
    assert!(!s.finished());
    assert_eq!(
        s.execute("show wrds"),
        "show: unknown stream `wrds`; streams are: lines, words, pairs, wordCounts, windowedWordCounts, topWords (internal steps: #4, #6) (did you mean `words`?)"
    );
    assert_eq!(
        s.execute("run 10s"),
        "run: expected 'run until <time>', e.g. 'run until 90s'"
    );
}

#[test]
fn garbage_input_never_panics() {
    // Proves robustness: odd bytes, huge numbers, extreme times and stray quotes give
    // messages, not panics, and the session stays usable.
    let mut s = session("flights");
    s.execute("step 2");
    let lines = [
        "",
        "   ",
        "\t",
        "# a comment",
        "// another comment",
        "\u{0}",
        "ünïcödé",
        "show \u{202e}x",
        "step 18446744073709551616",
        "step -1",
        "run until 18446744073709551615",
        "run until 99999999999999999999min",
        "run until 1.5ms",
        "show delays 18446744073709551615",
        "show delays 18446744073709551615ms",
        "lineage delays 18446744073709551614",
        "window #4 18446744073709551615",
        "window #4 0",
        "show #4 0",
        "blocks 0",
        "blocks 18446744073709551615",
        "state delayState \"",
        "state delayState (JFK,",
        "trace 18446744073709551615",
        "show #",
        "show #-1",
        "show #18446744073709551616",
        "help \"",
        "kill \u{0}",
        "at 18446744073709551615 kill driver",
        "at 18446744073709551615ms kill worker-1",
        "goto 18446744073709551615",
        "goto 18446744073709551615ms",
        "back 18446744073709551615",
        "ledger 18446744073709551615",
        "ledger delays -1",
        "metrics 18446744073709551615",
        "plot delays \u{0}",
        "save \u{0}/x",
        "load \u{0}",
        "whatif replication 18446744073709551616",
    ];
    for line in lines {
        let _ = s.execute(line);
    }
    assert!(s.execute("step").contains("batch 15000 ms"));
}

#[test]
fn sessions_are_deterministic() {
    // Proves that the same script on the same scenario and seed gives the same transcript.
    let script = "step 3\nshow words\nblocks\ntrace 5";
    let a = transcript(&mut session("wordcount"), script);
    let b = transcript(&mut session("wordcount"), script);
    assert_eq!(a, b);
}

#[test]
fn step_prints_print_output_then_a_summary_per_batch() {
    // Proves the shape of `step`: Spark's print() block (header, records, `...`, blank line)
    // followed by `batch <time>: N input records, M blocks`, once per batch, and that the
    // prompt follows the virtual clock.
    let mut s = session("wordcount");
    assert_eq!(s.prompt(), "stream-sim [0 ms]> ");
    let out = s.execute("step 2");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "-------------------------------------------");
    // Spark's header, then (the REPL's default label) the stream printed.
    assert_eq!(lines[1], "Time: 1000 ms [wordCounts]");
    assert!(lines.contains(&"Time: 2000 ms [wordCounts]"));
    let summaries: Vec<&&str> = lines.iter().filter(|l| l.starts_with("batch ")).collect();
    assert_eq!(summaries.len(), 2);
    assert!(summaries[0].starts_with("batch 1000 ms: ") && summaries[0].ends_with(" blocks"));
    assert_eq!(s.prompt(), "stream-sim [2000 ms]> ");
}

#[test]
fn run_script_echoes_commands_and_stops_at_quit() {
    // Proves the non-terminal loop: a banner, each command echoed after `> `, its output,
    // and nothing read after `quit`.
    let mut s = session("wordcount");
    let mut out = Vec::new();
    run_script(&mut s, "time\nbogus\nquit\nstep\n".as_bytes(), &mut out).expect("script runs");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.starts_with("stream-sim REPL: scenario `wordcount`"));
    assert!(text.contains("\n> time\nclock:"));
    assert!(text.contains("\n> bogus\nunknown command `bogus`"));
    assert!(text.trim_end().ends_with("> quit"));
    assert_eq!(
        s.context().last_batch(),
        None,
        "the step after quit did not run"
    );
}

#[test]
fn binary_repl_reads_piped_stdin() {
    // Proves `stream-sim repl flights` with piped stdin: no line editor, a transcript of
    // the echoed commands and their output on stdout, exit status 0 at the end of input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stream-sim"))
        .args(["repl", "flights"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let script =
        "time\nrun until 30s\nshow avgDelay\nstate delayState EWR\nshow nosuch\nhelp quit\n";
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write the script");
    let output = child.wait_with_output().expect("the binary finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {stderr}",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    insta::assert_snapshot!("binary_flights", stdout);
}

#[test]
fn state_shows_new_changed_and_removed_keys() {
    // Proves `state` on the stateful scenario, whose update function drops a word that
    // misses a batch: the per-key diff against the previous batch and a key's history.
    let mut s = session("stateful");
    let script = "step 5\nstate runningCounts\nstep\nstate runningCounts\nstate runningCounts computer\nstate runningCounts \"the\"\nstate runningCounts love";
    let out = transcript(&mut s, script);
    assert!(out.contains("\"computer\": removed  (was 2)"), "{out}");
    assert!(out.contains("\"computer\": 3  (new key)"), "{out}");
    insta::assert_snapshot!("stateful_session", out);
}

#[test]
fn a_failed_job_stops_the_context_but_inspection_still_works() {
    // Proves what the REPL does when a job fails (`10 / x` on x = 0): the batch's failure
    // is reported, later `step`/`run` say the context is stopped and change nothing, and
    // the inspection commands still answer.
    let dir = std::env::temp_dir().join(format!("stream-sim-repl-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("fails.toml");
    std::fs::write(
        &path,
        r#"name = "fails"
description = "Divides by the input; the second batch holds a zero."
pipeline = '''
inv = nums.map(x => 10 / x)
inv.print()
'''

[context]
batch_interval = "1s"

[sources.nums]
type = "queueStream"
batches = [[1, 2], [0], [5]]
"#,
    )
    .expect("write the scenario");
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut s = Session::new(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let out = transcript(
        &mut s,
        "step 3\nstep\nrun until 10s\ntime\nshow inv 1s\nshow nums 2s\ntrace 3",
    );
    let _ = std::fs::remove_dir_all(&dir);
    // The failing function's position names the scenario file, which lives in a
    // per-process temporary folder.
    let out = out.replace(&dir.display().to_string(), "TMP");
    insta::assert_snapshot!("failed_job_session", out);
}

/// A temporary folder for one test, removed and created afresh.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stream-sim-repl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Every trace event of the session, as JSON lines, for comparisons.
fn every_event(s: &Session) -> Vec<String> {
    s.context()
        .trace()
        .iter()
        .map(stream_sim::models::dstream::Event::to_json)
        .collect()
}

#[test]
fn faults_and_cluster_inspectors_session() {
    // Proves the fault commands and the cluster inspectors on the default scenario: the
    // cluster before and after `kill worker-1` (receiver gone, blocks lost, the replicas
    // left on worker-2 as `blocks` shows), a fault scheduled with `at`, the refusals (bad
    // worker names listing the workers, a time in the past, malformed network faults),
    // a network partition and heal typed as in a scenario, the driver failure and its
    // recovery from the checkpoint (`checkpoint`), `wal` with the
    // log off, `metrics` with its verdict, `ledger` for one record and `trace`.
    let mut s = session("wordcount");
    let script = "\
cluster
step 3
cluster
blocks
kill worker-1
cluster
blocks
kill worker-1
kill worker-7
restart driver
at 1s kill driver
partition worker-1 worker-2
at 9s loss 10%
partition worker-2 | driver
at 7s heal
at 8s restart worker-1
at 9500ms kill driver
cluster
run until 8s
cluster
metrics 3
run until 16s
cluster
checkpoint
wal
metrics
metrics 2
ledger 5
ledger lines 70
ledger 100
trace 3";
    let out = transcript(&mut s, script);
    assert!(out.contains("worker-1  down"), "{out}");
    insta::assert_snapshot!("faults_session", out);
}

#[test]
fn wal_and_blocks_show_where_blocks_live() {
    // Proves `wal` and `blocks` with the write-ahead log on (driver-failure-wal): blocks are
    // listed in the log and, after the driver dies with every executor, `blocks` says the
    // copies in memory are gone but the log still holds them.
    let mut s = session("driver-failure-wal");
    let out = transcript(
        &mut s,
        "step 2\nblocks\nwal\nkill driver\ncluster\nblocks\nwal\ncheckpoint",
    );
    assert!(out.contains("in the WAL"), "{out}");
    assert!(out.contains("BatchAllocation 2000 ms: input-0-5"), "{out}");
    insta::assert_snapshot!("wal_session", out);
}

#[test]
fn time_travel_replays_exactly() {
    // Proves the time-travel round trip: `step 5`, `back 2`, `step 2` prints exactly the
    // last two batches of the first `step 5`; with a fault injected in the middle, going
    // back before it and stepping again replays the fault (same output, same trace); and
    // `goto` by batch number and by time, forwards and backwards, lands on the same states
    // (trace length) as the first run.
    let mut s = session("wordcount");
    let first = s.execute("step 5");
    let back = s.execute("back 2");
    assert_eq!(
        back,
        "back: now at batch 3 (3000 ms), clock 3000 ms; restored the snapshot of 3000 ms, replayed 0 batches"
    );
    let again = s.execute("step 2");
    assert!(
        first.ends_with(&again),
        "first:\n{first}\n\nagain:\n{again}"
    );

    let mut s = session("wordcount");
    s.execute("step 3");
    s.execute("kill worker-1");
    s.execute("at 6500ms restart worker-1");
    let a = s.execute("step 6");
    let trace_a = every_event(&s);
    let len_at_6 = {
        s.execute("goto 6");
        s.context().trace_len()
    };
    let script = "back 4\ngoto 1\ngoto 0\ngoto 4s\ngoto 7500ms\ngoto 9";
    let out = transcript(&mut s, script);
    let b = {
        s.execute("goto 3");
        s.execute("step 6")
    };
    // The replay is the same, except that the worker failure typed at the prompt before
    // the first `step 6` now happens inside the replayed step, which announces it.
    assert_eq!(
        b.split_once('\n')
            .map(|(first, rest)| (first.starts_with("FAULT 3001 ms: worker-1 failed"), rest)),
        Some((true, a.as_str())),
        "the replay after going back differs"
    );
    assert_eq!(
        trace_a,
        every_event(&s),
        "the trace after the replay differs"
    );
    s.execute("goto 6");
    assert_eq!(s.context().trace_len(), len_at_6);
    insta::assert_snapshot!("time_travel_session", out);
}

#[test]
fn a_new_fault_after_going_back_changes_the_future() {
    // Proves that a fault injected after going back replaces the future: the snapshots after
    // it are dropped, so `goto` forward runs the new timeline, the same as a fresh session
    // given the same commands.
    let mut s = session("wordcount");
    s.execute("step 8");
    s.execute("back 5");
    s.execute("kill worker-2");
    s.execute("goto 8");
    let mut fresh = session("wordcount");
    fresh.execute("step 3");
    fresh.execute("kill worker-2");
    fresh.execute("run until 8s");
    assert_eq!(every_event(&s), every_event(&fresh));
}

#[test]
fn save_writes_a_scenario_that_replays_to_the_same_state() {
    // Proves `save`: the file holds the scenario with every fault (the scenario's and the
    // injected ones) in `[cluster] faults` and a replay comment; `load` of it followed by
    // `run until <the clock>` gives the same trace, event for event, as the session; data
    // paths still resolve from another folder.
    let dir = temp_dir("save");
    let file = dir.join("saved.toml");
    let file = file.to_string_lossy().into_owned();
    let mut s = session("worker-failure");
    let script = format!(
        "step 3\nkill worker-2\nat 9s kill driver\nrun until 11s\nsave {file}\nsave\nsave {}/nosuch/x.toml",
        dir.display()
    );
    let out = transcript(&mut s, &script);
    let original = every_event(&s);
    let text = std::fs::read_to_string(&file).expect("saved file");
    assert!(
        text.contains("at 5500ms kill worker-1\nat 12000ms restart worker-1\nat 3001ms kill worker-2\nat 9000ms kill driver\n"),
        "{text}"
    );
    let mut loaded = session("wordcount");
    let load = loaded.execute(&format!("load {file}"));
    assert!(
        load.starts_with("stream-sim REPL: scenario `worker-failure`"),
        "{load}"
    );
    loaded.execute("run until 11001ms");
    assert_eq!(original, every_event(&loaded), "the replay differs");
    let out = out.replace(&dir.display().to_string(), "$TMP");
    // Data paths depend on where the clone and the temporary folder are.
    let text: String = text
        .replace(&dir.display().to_string(), "$TMP")
        .lines()
        .map(|l| {
            if l.starts_with("file = ") {
                "file = <the same data file, from $TMP>\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    insta::assert_snapshot!("save_session", format!("{out}\n--- saved file ---\n{text}"));
}

#[test]
fn plot_writes_svg_charts() {
    // Proves `plot delays` and `plot records`: SVG files with the chart's title, the failure
    // marked; and the errors (no batch yet, unknown chart, unwritable file).
    let dir = temp_dir("plot");
    let mut s = session("worker-failure");
    let d = dir.join("delays.svg").to_string_lossy().into_owned();
    let r = dir.join("records.svg").to_string_lossy().into_owned();
    let script = format!(
        "plot delays {d}\nrun until 10s\nplot delays {d}\nplot records {r}\nplot pie {d}\nplot delays {}/no/such/dir.svg",
        dir.display()
    );
    let out = transcript(&mut s, &script).replace(&dir.display().to_string(), "$TMP");
    for (file, title) in [(&d, "Delays per batch"), (&r, "Input records per batch")] {
        let svg = std::fs::read_to_string(file).expect("svg written");
        assert!(svg.starts_with("<svg"), "{file}");
        assert!(svg.contains(title), "{file}");
        assert!(svg.contains("kill worker-1"), "{file}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    insta::assert_snapshot!("plot_session", out);
}

#[test]
fn whatif_compares_outputs_and_guarantees() {
    // Proves `whatif` on the worker-failure scenario with a fault injected at the prompt:
    // per output batch, same or differs, and the guarantee each setting keeps; and its
    // refusals (a knob already so, an out-of-range value, an unknown knob).
    let mut s = session("worker-failure");
    let script = "\
whatif replication 1
step 4
kill driver
run until 14s
whatif replication 1
whatif reliable on
whatif wal on
whatif replication 2
whatif replication 3
whatif cores 4";
    let out = transcript(&mut s, script);
    insta::assert_snapshot!("whatif_session", out);
}

#[test]
fn predict_grades_the_next_output() {
    // Proves `predict`: the next line is the answer; a right answer (in any order) is
    // graded correct, a wrong one shows what was missed and what is not in the output; a
    // stream without print() is graded on its RDD; `cancel` runs nothing.
    let dir = temp_dir("predict");
    let path = dir.join("double.toml");
    std::fs::write(
        &path,
        r#"name = "double"
pipeline = '''
doubled = nums.map(x => x * 2)
doubled.print()
pairs = nums.map(x => (x % 2, x))
pairs.count().print()
'''

[context]
batch_interval = "1s"

[sources.nums]
type = "queueStream"
batches = [[1, 2, 3], [4, 5], [6], [7, 7]]
"#,
    )
    .expect("write the scenario");
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut s = Session::new(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let out = transcript(
        &mut s,
        "predict doubled\n6 2 4\npredict doubled\n8 10 12\npredict pairs\n(0,6)\npredict doubled\ncancel\npredict doubled\n14;14\npredict nosuch\npredict",
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.contains("predict: correct: 3 records"), "{out}");
    insta::assert_snapshot!("predict_session", out);
}

#[test]
fn help_lists_every_new_command_with_an_example() {
    // Proves that `help` lists the new commands, each with an example, and that
    // `help <command>` explains each (save says that comments are lost).
    let mut s = session("wordcount");
    let all = s.execute("help");
    for cmd in [
        "kill",
        "restart",
        "at",
        "cluster",
        "wal",
        "checkpoint",
        "metrics",
        "ledger",
        "back",
        "goto",
        "save",
        "load",
        "plot",
        "whatif",
        "predict",
    ] {
        let line = all
            .lines()
            .find(|l| l.trim_start().starts_with(cmd))
            .unwrap_or_else(|| panic!("{cmd} missing from help:\n{all}"));
        assert!(line.contains("e.g. "), "{line}");
        assert!(s.try_execute(&format!("help {cmd}")).is_ok(), "help {cmd}");
    }
    assert!(s.execute("help save").contains("comments"));
}

#[test]
fn goto_through_snapshots_that_share_data_replays_exactly() {
    // Proves that snapshots sharing RDD data (issue 15: a snapshot keeps an earlier
    // snapshot's copy of data that is identical, such as wordcount's window over idle
    // input) restore the run exactly: after 700 batches, going back to batches restored
    // from thinned-out snapshots and replaying gives the same output, the same windows and
    // the same trace as a fresh session that stepped there directly.
    // wordcount's input ends at 600 s: past it, snapshots share the (equal) windows.
    let mut long = session("wordcount");
    long.execute("step 700");
    for (target, then) in [(47u64, 40u64), (150, 25), (85, 10), (645, 30)] {
        long.execute(&format!("goto {target}"));
        let replayed = long.execute(&format!("step {then}"));
        let mut fresh = session("wordcount");
        fresh.execute(&format!("step {target}"));
        let direct = fresh.execute(&format!("step {then}"));
        assert_eq!(replayed, direct, "goto {target}, step {then}");
        for cmd in [
            "window windowedWordCounts",
            "show topWords",
            "show wordCounts",
        ] {
            assert_eq!(
                long.execute(cmd),
                fresh.execute(cmd),
                "{cmd} at {target}+{then}"
            );
        }
        assert_eq!(
            every_event(&long),
            every_event(&fresh),
            "trace at {target}+{then}"
        );
    }
}
