//! Issue 13's "Limits on everything" table and its panics, one test per row: each input that
//! used to hang, overflow the stack or grow memory without end is now refused before any
//! work, with an error that names its position, the limit and how to go further; `stream-sim
//! list | head -1` ends quietly; a job that fails at run time names the operator's
//! `file:line:col`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use stream_sim::models::structured::{DataType, Field, Schema};
use stream_sim::repl::Session;
use stream_sim::scenario::structured::query::{parse_query, Catalog};
use stream_sim::scenario::structured::scala_fn::{self, parse_key_fn, Functions};
use stream_sim::scenario::{self, limits, RunOptions};

/// The `stream-sim` binary built for these tests.
const BIN: &str = env!("CARGO_BIN_EXE_stream-sim");

/// A fresh directory for one test's files.
fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stream-sim-limits-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.join("lines.txt"), "a b\nb c\nc a\n").unwrap_or_else(|e| panic!("{e}"));
    d
}

/// A scenario with one socket source reading `file` (relative to its folder), the given
/// program and `[context]` lines, written to `dir/name.toml`.
fn write(dir: &Path, name: &str, program: &str, context: &str, file: &str) -> PathBuf {
    let text = format!(
        "name = \"{name}\"\ndescription = \"x\"\npipeline = '''\n{program}\n'''\n[context]\n{context}\n[sources.lines]\ntype = \"socketTextStream\"\nfile = \"{file}\"\nrate = 20\n"
    );
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p
}

/// The error of loading and building `path`, or a panic if it builds.
fn build_error(path: &Path) -> String {
    match scenario::load(path).and_then(|sc| sc.build(&RunOptions::default()).map(|_| ())) {
        Ok(()) => panic!("{} built, but should have been refused", path.display()),
        Err(e) => e.to_string(),
    }
}

/// Runs the binary with `args`, stdout and stderr captured, under a 60 s watchdog.
fn bin(args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let started = std::time::Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        if started.elapsed().as_secs() > 60 {
            let _ = child.kill();
            panic!("stream-sim {args:?} hung for 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn list_into_a_closed_pipe_ends_quietly() {
    // Proves `stream-sim list | head -1` no longer panics (it exited 101 with "failed
    // printing to stdout: Broken pipe"): the reading end is closed before the binary
    // writes, so every write fails; the binary must exit 0 with nothing on stderr.
    let (reader, writer) = std::io::pipe().unwrap_or_else(|e| panic!("{e}"));
    drop(reader);
    let out = Command::new(BIN)
        .arg("list")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_huge_batch_interval_is_refused_at_its_position() {
    // Proves `batch_interval = "10000h"` (whose default run_for of 30 batches made the
    // receivers cut 5.4 billion blocks: a hang) is refused at the batch_interval, naming
    // the block-interval limit.
    let d = dir("bigbi");
    let p = write(
        &d,
        "bigbi",
        "lines.print()",
        "batch_interval = \"10000h\"",
        "lines.txt",
    );
    let e = build_error(&p);
    assert!(e.contains("bigbi.toml:7:18:"), "{e}");
    assert!(
        e.contains("block intervals") && e.contains("--max-batches"),
        "{e}"
    );
}

#[test]
fn a_run_of_millions_of_batches_is_refused() {
    // Proves `batch_interval = "1ms"` with `run_for = "1h"` (3.6 million batches, memory
    // growing without end) is refused at run_for with the limit's name, and that `check`
    // refuses it too (check and run agree).
    let d = dir("tiny");
    let p = write(
        &d,
        "tiny",
        "lines.print()",
        "batch_interval = \"1ms\"\nblock_interval = \"1ms\"\nrun_for = \"1h\"",
        "lines.txt",
    );
    let e = build_error(&p);
    assert!(e.contains("tiny.toml:9:11:"), "{e}");
    assert!(
        e.contains("3600000 batches") && e.contains("MAX_BATCHES"),
        "{e}"
    );
    let out = bin(&["check", p.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAX_BATCHES"));
}

#[test]
fn until_and_batches_flags_are_bounded_and_raisable() {
    // Proves `--until 100000h` and `--batches 18446744073709551615` (u64::MAX) are refused before running, naming --max-batches, and that
    // --max-batches raises the limit (a small run under a raised limit still works).
    let out = bin(&["run", "wordcount", "--until", "100000h"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("360000000 batches") && err.contains("--max-batches"),
        "{err}"
    );
    let out = bin(&["run", "wordcount", "--batches", &u64::MAX.to_string()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("--max-batches") && !err.contains("panicked"),
        "{err}"
    );
    let out = bin(&["run", "wordcount", "--until", "3s", "--max-batches", "3"]);
    assert_eq!(out.status.code(), Some(0));
    let out = bin(&["run", "wordcount", "--until", "4s", "--max-batches", "3"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_self_union_doubling_forty_times_is_refused() {
    // Proves `a = a.union(a)` chained 40 times (2^40 paths to the input: it never
    // finished building) is refused at the union that crosses MAX_LINEAGE_PATHS.
    let d = dir("union");
    let mut program = String::from("a0 = lines\n");
    for i in 1..=40 {
        program.push_str(&format!("a{i} = a{}.union(a{})\n", i - 1, i - 1));
    }
    program.push_str("a40.print()");
    let p = write(
        &d,
        "union",
        &program,
        "batch_interval = \"1s\"",
        "lines.txt",
    );
    let started = std::time::Instant::now();
    let e = build_error(&p);
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
    // 2^14 = 16384 > 10000: the 14th union, line 4 + 14 = 18, its argument at column 17.
    assert!(e.contains("union.toml:18:17:"), "{e}");
    assert!(e.contains("MAX_LINEAGE_PATHS"), "{e}");
}

/// A program of `n` chained `map`s over `lines`, then `count().print()`.
fn chain(n: usize) -> String {
    let mut program = String::from("s0 = lines\n");
    for i in 1..=n {
        program.push_str(&format!("s{i} = s{}.map(x => x)\n", i - 1));
    }
    program.push_str(&format!("s{n}.count().print()"));
    program
}

#[test]
fn five_thousand_chained_statements_are_refused_not_a_stack_overflow() {
    // Proves 5,000 chained statements (a stack overflow, SIGABRT, when run) are refused
    // at the first statement past MAX_LINEAGE_DEPTH, by `check` as by `run`.
    let d = dir("chain");
    let p = write(
        &d,
        "chain",
        &chain(5000),
        "batch_interval = \"1s\"",
        "lines.txt",
    );
    let e = build_error(&p);
    let line = 4 + limits::MAX_LINEAGE_DEPTH + 1;
    assert!(e.contains(&format!("chain.toml:{line}:")), "{e}");
    assert!(e.contains("MAX_LINEAGE_DEPTH"), "{e}");
    let out = bin(&["run", p.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAX_LINEAGE_DEPTH"));
}

#[test]
fn a_chain_at_the_depth_limit_runs_in_the_binary() {
    // Proves the limit is honest: a chain exactly MAX_LINEAGE_DEPTH deep builds and runs in
    // the binary (whose commands run on a 256 MiB stack; the 8 MiB main thread overflowed
    // at about 500 levels).
    let d = dir("chainok");
    let n = usize::try_from(limits::MAX_LINEAGE_DEPTH).unwrap_or(1000) - 1; // count() is one more
    let p = write(
        &d,
        "chainok",
        &chain(n),
        "batch_interval = \"1s\"\nrun_for = \"2s\"",
        "lines.txt",
    );
    let out = bin(&["run", p.to_str().unwrap_or_default()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Time: 2000 ms"));
}

#[test]
fn repl_sessions_are_bounded_at_one_second_and_one_millisecond_batches() {
    // Proves `step 100000` (1.7 GB at 1 s batches, an abort at 4 GB at 1 ms batches) is
    // refused before running a batch, naming the session limit and `--max-batches`, and
    // that Session::set_max_batches raises it.
    for (tag, interval, far) in [("second", "1s", "20000s"), ("milli", "1ms", "20s")] {
        let d = dir(tag);
        let p = write(
            &d,
            tag,
            "lines.print()",
            &format!("batch_interval = \"{interval}\"\nblock_interval = \"{interval}\"\nrun_for = \"{interval}\""),
            "lines.txt",
        );
        let sc = scenario::load(&p).unwrap_or_else(|e| panic!("{e}"));
        let mut s = Session::new(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let before = s.context().trace_len();
        let out = s.execute("step 100000");
        assert!(
            out.contains("over the limit of 2000 batches per session")
                && out.contains("--max-batches"),
            "{out}"
        );
        assert_eq!(s.context().trace_len(), before, "no batch may run");
        let out = s.execute(&format!("run until {far}"));
        assert!(out.contains("per session"), "{out}");
        s.set_max_batches(20);
        let out = s.execute("step 20");
        assert!(!out.contains("per session"), "{out}");
        let out = s.execute("step 1");
        assert!(out.contains("over the limit of 20 batches"), "{out}");
    }
}

#[test]
fn ten_thousand_text_files_are_refused() {
    // Proves a textFileStream of 10,000 files (1.27 GB) is refused at its source, naming
    // MAX_FILE_DROPS.
    let d = dir("files");
    let mut text = String::from(
        "name = \"files\"\ndescription = \"x\"\npipeline = '''\nlogs.print()\n'''\n[context]\nbatch_interval = \"1s\"\n[sources.logs]\ntype = \"textFileStream\"\ndir = \"logs\"\n",
    );
    for i in 0..10_000 {
        text.push_str(&format!(
            "[[sources.logs.files]]\nat = \"{}ms\"\nname = \"f{i}\"\nlines = [\"x\"]\n",
            i % 30_000
        ));
    }
    let p = d.join("files.toml");
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    let e = build_error(&p);
    assert!(
        e.contains("files.toml:8:") && e.contains("MAX_FILE_DROPS"),
        "{e}"
    );
}

#[test]
fn dev_zero_as_a_source_file_is_refused_after_the_limit() {
    // Proves `file = "/dev/zero"` (read without bound) stops after MAX_FILE_BYTES, with an
    // error naming the limit; and a scenario file of /dev/zero likewise.
    let d = dir("zero");
    let p = write(
        &d,
        "zero",
        "lines.print()",
        "batch_interval = \"1s\"",
        "/dev/zero",
    );
    let e = build_error(&p);
    assert!(e.contains("MAX_FILE_BYTES") && e.contains("64 MiB"), "{e}");
    let e = match scenario::load(Path::new("/dev/zero")) {
        Ok(_) => panic!("/dev/zero loaded"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("MAX_SCENARIO_BYTES"), "{e}");
}

#[test]
fn runtime_job_failures_name_the_operator() {
    // Proves a division by zero in mapValues and a non-pair record in join, which failed
    // with no position, now name the operator's file:line:col, in `run` and in the REPL.
    let d = dir("jobs");
    let divz = write(
        &d,
        "divz",
        "words = lines.flatMap(split(\" \"))\npairs = words.map(pair(1))\nbad = pairs.mapValues(v => v / 0)\nbad.print()",
        "batch_interval = \"1s\"\nrun_for = \"3s\"",
        "lines.txt",
    );
    let out = bin(&["run", divz.to_str().unwrap_or_default()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("divz.toml:6:13: / by zero"), "{err}");
    let join = write(
        &d,
        "join",
        "words = lines.flatMap(split(\" \"))\npairs = words.map(pair(1))\nbad = words.join(pairs)\nbad.print()",
        "batch_interval = \"1s\"\nrun_for = \"3s\"",
        "lines.txt",
    );
    let out = bin(&["run", join.to_str().unwrap_or_default()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("(at ") && err.contains("join.toml:6:13)"),
        "{err}"
    );
    let sc = scenario::load(&join).unwrap_or_else(|e| panic!("{e}"));
    let mut s = Session::new(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let out = s.execute("step");
    assert!(out.contains("join.toml:6:13"), "{out}");
}

/// Deep input is refused with a positioned error naming the limit, where it used to
/// overflow the stack: parentheses around a query, around an expression, a run of
/// prefix operators, and the same in a `functions` text and a `groupByKey` lambda.
#[test]
fn structured_parsers_refuse_deep_nesting() {
    // On a 64 MiB stack (`stream-sim` runs on 256 MiB, main.rs `STACK_BYTES`): a debug
    // build needs more than a test thread's 2 MiB for 200 levels.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(structured_deep_nesting_body)
        .unwrap()
        .join()
        .unwrap();
}

fn structured_deep_nesting_body() {
    let s = vec![(
        "words".to_string(),
        Schema {
            fields: vec![
                Field::new("time", DataType::Timestamp),
                Field::new("word", DataType::String),
            ],
        },
    )];
    let fns = Functions::default();
    let cat = Catalog {
        streams: &s,
        statics: &[],
        functions: &fns,
    };
    let n = 100_000;
    let deep_query = format!("{}words{}", "(".repeat(n), ")".repeat(n));
    let (at, msg) = parse_query(&deep_query, &cat).unwrap_err();
    assert!(
        msg.contains("nested too deeply") && msg.contains("200"),
        "{msg}"
    );
    assert!(at <= 200, "{at}");
    let deep_expr = format!(
        "words.where({}$\"word\"{} === \"a\")",
        "(".repeat(n),
        ")".repeat(n)
    );
    let (_, msg) = parse_query(&deep_expr, &cat).unwrap_err();
    assert!(msg.contains("nested too deeply"), "{msg}");
    let nots = format!("words.where({}($\"word\" === \"a\"))", "!".repeat(n));
    let (_, msg) = parse_query(&nots, &cat).unwrap_err();
    assert!(msg.contains("prefix operator"), "{msg}");
    let body = format!("def f(x: Long): Long = {}x{}", "(".repeat(n), ")".repeat(n));
    let (_, msg) = scala_fn::parse_functions(&body, 0).unwrap_err();
    assert!(msg.contains("nested too deeply"), "{msg}");
    let ty = format!(
        "def f(x: {}Long{}): Long = x",
        "Seq[".repeat(n),
        "]".repeat(n)
    );
    let (_, msg) = scala_fn::parse_functions(&ty, 0).unwrap_err();
    assert!(msg.contains("nested too deeply"), "{msg}");
    let minus = format!("def f(x: Long): Long = {}x", "- ".repeat(n));
    let (_, msg) = scala_fn::parse_functions(&minus, 0).unwrap_err();
    assert!(msg.contains("prefix operator"), "{msg}");
    let key = format!(
        "r => {}r.getAs[String](\"word\"){}",
        "(".repeat(n),
        ")".repeat(n)
    );
    let (_, msg) = parse_key_fn(&key, 0).unwrap_err();
    assert!(msg.contains("nested too deeply"), "{msg}");
}
