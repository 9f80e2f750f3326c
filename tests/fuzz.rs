//! The fuzzing budget CI runs (issue 13): proptest generates and mutates scenario files
//! and REPL command sequences, and requires of every input: no panic, no hang (each input
//! within a time bound), every scenario error positioned (`file:line:col`, line and column
//! at least 1), every REPL error named after its command, and the same input giving the
//! same output twice. The case counts are fixed (no wall-clock budget), so the run is the
//! same everywhere; `STREAM_SIM_FUZZ_CASES` scales them (e.g. for a longer local run).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use std::time::{Duration as WallDuration, Instant};
use stream_sim::repl::Session;
use stream_sim::scenario::spec::parse_scenario;
use stream_sim::scenario::RunOptions;
use stream_sim::sim::Time;

/// Cases per property, scaled by `STREAM_SIM_FUZZ_CASES` (a multiplier; default 1).
fn cases(base: u32) -> u32 {
    let k: u32 = std::env::var("STREAM_SIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    base.saturating_mul(k.max(1))
}

/// The slowest any one input may be before it counts as a hang.
const HANG: WallDuration = WallDuration::from_secs(10);

/// Seeds for the mutator: small valid scenarios over every source type that needs no file.
const SEEDS: &[&str] = &[
    r#"name = "q"
pipeline = '''
words = lines.flatMap(split(" "))
pairs = words.map(pair(1))
counts = pairs.reduceByKey(sum)
counts.print()
w = pairs.reduceByKeyAndWindow(sum, sub, 4s, 2s)
w.filter(kv => kv._2 > 0).print()
'''
[context]
batch_interval = "1s"
checkpoint = "checkpoints/fuzz"
run_for = "6s"
[sources.lines]
type = "queueStream"
batches = [["a b", "c a"], ["b b"], [], ["a"]]
"#,
    r#"name = "s"
pipeline = '''
pairs = nums.map(x => (x % 3, x))
state = pairs.updateStateByKey(runningSum)
state.print()
j = pairs.join(pairs.mapValues(v => v * 2))
j.count().print()
'''
[context]
batch_interval = "2s"
checkpoint = "checkpoints/fuzz2"
[sources.nums]
type = "queueStream"
one_at_a_time = false
batches = [[1, 2, 3], [4, 5], [6]]
"#,
    r#"name = "f"
pipeline = '''
logs.union(logs.map(l => l.toUpperCase)).window(4s, 2s).print(5)
logs.transform(rdd => rdd.distinct().sortBy(x => x, true)).print()
'''
[context]
batch_interval = "2s"
block_interval = "500ms"
run_for = "8s"
[sources.logs]
type = "textFileStream"
dir = "logs"
[[sources.logs.files]]
at = "1s"
name = "a.log"
lines = ["x", "y"]
[[sources.logs.files]]
at = "3s"
name = "b.log"
lines = ["y", "z"]
"#,
];

/// Fragments the mutator inserts: the grammar's tokens, durations at the limits, huge
/// numbers, quotes that open strings, and operator calls.
const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "=",
    "==",
    "=>",
    ".",
    ",",
    "\"",
    "'''",
    "\n",
    " ",
    "#",
    "_3",
    "._1",
    "0",
    "-1",
    "1000000",
    "99999999999999999999",
    "1.5",
    "10000h",
    "1ms",
    "0ms",
    "5min",
    "map(x => x)",
    ".union(lines)",
    ".window(3s)",
    ".reduceByKey(sum)",
    ".print()",
    "x => x / 0",
    "sum",
    "null",
    "None",
    "Some(1)",
    "List(1, 2)",
    "true",
    "[context]",
    "[sources.z]",
    "type = \"socketTextStream\"",
    "file = \"/dev/zero\"",
    "batch_interval = \"10000h\"",
    "run_for = \"1h\"",
    "checkpoint = \"c\"",
    "rate = 0",
    "default_parallelism = 0",
    "é",
    "\u{0}",
    "\\",
    "//",
    "/*",
    "a = a.union(a)\n",
];

/// One edit of a text at a byte position (snapped to a character boundary).
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, usize),
    Delete(usize, usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(p, f)| Edit::Insert(p, f)),
        2 => (any::<usize>(), 1usize..12).prop_map(|(p, n)| Edit::Delete(p, n)),
        1 => any::<usize>().prop_map(Edit::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
    ]
}

fn boundary(text: &str, p: usize) -> usize {
    let mut p = p % (text.len() + 1);
    while !text.is_char_boundary(p) {
        p -= 1;
    }
    p
}

fn apply(text: &str, e: &Edit) -> String {
    let mut t = text.to_string();
    match *e {
        Edit::Insert(p, f) => {
            let p = boundary(&t, p);
            t.insert_str(p, FRAGMENTS[f]);
        }
        Edit::Delete(p, n) => {
            let a = boundary(&t, p);
            let b = boundary(&t, (a + n).min(t.len()));
            if b > a {
                t.replace_range(a..b, "");
            }
        }
        Edit::DuplicateLine(i) => {
            let mut lines: Vec<&str> = t.split('\n').collect();
            let i = i % lines.len();
            lines.insert(i, lines[i]);
            t = lines.join("\n");
        }
        Edit::SwapLines(i, j) => {
            let mut lines: Vec<&str> = t.split('\n').collect();
            let n = lines.len();
            lines.swap(i % n, j % n);
            t = lines.join("\n");
        }
    }
    t
}

/// What a scenario text does: its error (checked positioned), or the first batches of
/// its printed output.
fn outcome(text: &str) -> String {
    let path = Path::new("scenarios/fuzz.toml");
    let sc = match parse_scenario(text, path) {
        Ok(sc) => sc,
        Err(e) => {
            assert!(
                e.line >= 1 && e.col >= 1,
                "unpositioned error `{e}` for:\n{text}"
            );
            return format!("error: {e}");
        }
    };
    let options = RunOptions {
        seed: 7,
        output_dir: std::env::temp_dir().join("stream-sim-fuzz-out"),
    };
    let built = match sc.build(&options) {
        Ok(b) => b,
        Err(e) => {
            assert!(
                e.line >= 1 && e.col >= 1,
                "unpositioned error `{e}` for:\n{text}"
            );
            return format!("error: {e}");
        }
    };
    // A few batches at most: the properties are about the front end, not long runs.
    let end = Time::ZERO
        .plus(sc.batch_interval * 3)
        .min(built.default_until);
    let mut out = Vec::new();
    let r = built.run_printing(end, &mut out);
    built.ssc.stop();
    format!("{}\n{r:?}", String::from_utf8_lossy(&out))
}

#[test]
fn scenario_files_fuzzed() {
    // Proves, over 16,000 mutants (1 to 6 edits) of valid scenarios: parsing and building
    // never panics nor hangs, every error names line and column, and the same text gives
    // the same output twice (determinism).
    let mut runner = TestRunner::new(Config {
        cases: cases(16_000),
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    let strategy = (
        0..SEEDS.len(),
        proptest::collection::vec(edit_strategy(), 1..6),
    );
    let result = runner.run(&strategy, |(seed, edits)| {
        let mut text = SEEDS[seed].to_string();
        for e in &edits {
            text = apply(&text, e);
        }
        let t0 = Instant::now();
        let a = outcome(&text);
        prop_assert!(t0.elapsed() < HANG, "slow ({:?}) on:\n{text}", t0.elapsed());
        // Determinism: the same text again gives the same outcome (only for the texts
        // that run, to keep the budget for more inputs).
        if !a.starts_with("error: ") {
            let b = outcome(&text);
            prop_assert_eq!(a, b);
        }
        Ok(())
    });
    eprintln!(
        "scenario_files_fuzzed: {} inputs in {:.1} s",
        cases(16_000),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The REPL's commands and arguments the sequence generator draws from.
const COMMANDS: &[&str] = &[
    "step",
    "step 2",
    "step 0",
    "step -1",
    "step 100000",
    "step 99999999999999999999",
    "run until 5s",
    "run until 40",
    "run until 10000h",
    "run until",
    "time",
    "streams",
    "show counts",
    "show counts 2s",
    "show nosuch",
    "show lines 1000000000000000",
    "lineage counts",
    "blocks",
    "window w",
    "window counts",
    "trace 3",
    "trace -1",
    "goto 3",
    "goto 999",
    "goto 0",
    "goto 18446744073709551615",
    "back",
    "back 2",
    "forward",
    "metrics",
    "kill worker-1",
    "kill worker-9",
    "kill driver",
    "kill",
    "predict counts",
    "a b",
    "none",
    "cancel",
    "=step",
    "whatif wal on",
    "whatif reliable off",
    "help",
    "help step",
    "help nosuch",
    "nosuch",
    "",
    "   ",
    "#comment",
    "\u{0}",
    "é",
    "step\tstep",
    "save /nonexistent/dir/x.toml",
    "plot counts",
    "ledger",
    "faults",
    "wal",
];

#[test]
fn repl_sequences_fuzzed() {
    // Proves, over 4,000 sequences of 1 to 8 commands on a small scenario: no command
    // panics or hangs, every error names its command (or says the command is unknown),
    // and the same sequence on a fresh session gives the same transcript.
    let path = Path::new("scenarios/fuzz.toml");
    let sc = parse_scenario(SEEDS[0], path).unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions {
        seed: 3,
        output_dir: std::env::temp_dir().join("stream-sim-fuzz-out"),
    };
    let mut runner = TestRunner::new(Config {
        cases: cases(4_000),
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    let strategy = proptest::collection::vec(0..COMMANDS.len(), 1..8);
    let result = runner.run(&strategy, |seq| {
        let transcript = |check: bool| -> Result<String, TestCaseError> {
            let mut s = Session::new(&sc, &options).map_err(TestCaseError::fail)?;
            let mut out = String::new();
            for &i in &seq {
                let line = COMMANDS[i];
                let t0 = Instant::now();
                let r = s.try_execute(line);
                prop_assert!(t0.elapsed() < HANG, "`{line}` took {:?}", t0.elapsed());
                if let (true, Err(e)) = (check, &r) {
                    let word = line.split_whitespace().next().unwrap_or_default();
                    prop_assert!(
                        e.starts_with(word)
                            || e.starts_with("unknown command")
                            || e.starts_with("predict")
                            || e.contains(&format!("{word}:")),
                        "error of `{line}` does not name the command: {e}"
                    );
                }
                let (Ok(text) | Err(text)) = r;
                out.push_str(&format!("> {line}\n{text}\n"));
            }
            Ok(out)
        };
        let a = transcript(true)?;
        let b = transcript(false)?;
        prop_assert_eq!(a, b);
        Ok(())
    });
    eprintln!(
        "repl_sequences_fuzzed: {} sequences in {:.1} s",
        cases(4_000),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
