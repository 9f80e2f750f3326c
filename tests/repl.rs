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
    assert_eq!(lines[1], "Time: 1000 ms");
    assert!(lines.contains(&"Time: 2000 ms"));
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
    insta::assert_snapshot!("failed_job_session", out);
}
