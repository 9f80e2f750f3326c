//! The course book's generated snippets (`stream-sim book`).
//!
//! Every output, table and trace excerpt shown in `book/` is produced here by running the
//! bundled scenarios (`scenarios/*.toml`, the chapters' own are `scenarios/book-*.toml`) and
//! written to `book/src/generated/`, from where the chapters include them with mdBook's
//! `{{#include generated/NAME.txt}}`. [`run`] with `check = true` regenerates everything in
//! memory and fails when a committed snippet differs, is missing, or is no longer generated:
//! `tests/book.rs` runs that check, so the book cannot silently drift from the simulator.
//!
//! Every snippet is deterministic: fixed seeds, the virtual clock, and (for the measured
//! semantics table) counts that do not depend on the number of threads.

use crate::models::dstream::Event;
use crate::scenario::{self, RunOptions, Scenario};
use crate::sim::{Duration, Time};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod answers;
mod broadcast;
mod models_faults;
mod sections;

/// Seeds per cell of the measured semantics table in the book (`stream-sim semantics`
/// runs 1,000 by default).
pub const SEMANTICS_SEEDS: u64 = 50;

/// The folder the snippets are written to: `book/src/generated/` of this crate.
pub fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/generated")
}

/// Regenerates the book's snippets. With `check`, writes nothing and fails (listing the
/// files) when a committed snippet is out of date, missing, or no longer generated.
///
/// # Errors
/// A scenario that fails to load, build or run; with `check`, the stale snippets.
pub fn run(check: bool) -> Result<String, String> {
    let fresh = generate()?;
    let dir = generated_dir();
    let existing = existing_snippets(&dir);
    if check {
        let mut stale = Vec::new();
        for (name, text) in &fresh {
            match std::fs::read_to_string(dir.join(name)) {
                Ok(old) if old == *text => {}
                Ok(_) => stale.push(format!("{name} differs from a fresh run")),
                Err(_) => stale.push(format!("{name} is missing")),
            }
        }
        for name in existing.iter().filter(|n| !fresh.contains_key(*n)) {
            stale.push(format!("{name} is no longer generated"));
        }
        if stale.is_empty() {
            Ok(format!(
                "book: {} generated snippets in {} are up to date",
                fresh.len(),
                dir.display()
            ))
        } else {
            Err(format!(
                "the book's generated snippets are out of date (run `stream-sim book` and commit book/src/generated/):\n  {}",
                stale.join("\n  ")
            ))
        }
    } else {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut changed = 0;
        for (name, text) in &fresh {
            let path = dir.join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(&path, text)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                changed += 1;
            }
        }
        let mut removed = 0;
        for name in existing.iter().filter(|n| !fresh.contains_key(*n)) {
            std::fs::remove_file(dir.join(name))
                .map_err(|e| format!("cannot remove {name}: {e}"))?;
            removed += 1;
        }
        Ok(format!(
            "book: {} snippets in {} ({changed} written, {removed} removed)",
            fresh.len(),
            dir.display()
        ))
    }
}

/// Names of the snippet files now in `dir`.
fn existing_snippets(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".txt") || n.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every snippet, by file name.
///
/// # Errors
/// A scenario that fails to load, build or run.
pub fn generate() -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (name, make) in snippets() {
        let text = make().map_err(|e| format!("{name}: {e}"))?;
        out.insert(name.to_string(), text);
    }
    Ok(out)
}

type Make = Box<dyn Fn() -> Result<String, String>>;

/// The snippets: file name in `book/src/generated/` and how it is made. Times are virtual
/// seconds; `&[..]` lists the batch times (ms) a printout is cut down to.
fn snippets() -> Vec<(&'static str, Make)> {
    let mut all: Vec<(&'static str, Make)> = vec![
        // Chapter 1: streams as batches.
        (
            "ch01-print.txt",
            Box::new(|| print_output("book-batches", secs(6), None)),
        ),
        (
            "ch01-trace.txt",
            Box::new(|| {
                trace_excerpt(
                    "book-batches",
                    secs(2),
                    &[
                        "context_started",
                        "block_stored",
                        "batch_allocation",
                        "output",
                        "batch_completed",
                    ],
                )
            }),
        ),
        (
            "ch01-repl.txt",
            Box::new(|| repl("book-batches", &["step", "blocks", "show lines"])),
        ),
        // Chapter 2: transformations, the RDD behind every batch, output order.
        (
            "ch02-print.txt",
            Box::new(|| print_output("book-transformations", secs(3), None)),
        ),
        (
            "ch02-repl.txt",
            Box::new(|| {
                repl(
                    "book-transformations",
                    &[
                        "step",
                        "streams",
                        "show words",
                        "show counts",
                        "lineage counts",
                    ],
                )
            }),
        ),
        // Chapter 3: windows.
        (
            "ch03-print.txt",
            Box::new(|| print_output("book-windows", secs(6), Some(&[1_000, 4_000, 6_000]))),
        ),
        (
            "ch03-repl.txt",
            Box::new(|| {
                repl(
                    "book-windows",
                    &["!run until 5s", "window recent", "window incremental"],
                )
            }),
        ),
        (
            "ch03-hashtags.txt",
            Box::new(|| print_output("hashtags", secs(25), Some(&[23_000, 24_000, 25_000]))),
        ),
        // Chapter 4: state.
        (
            "ch04-print.txt",
            Box::new(|| print_output("book-state", secs(4), None)),
        ),
        (
            "ch04-repl.txt",
            Box::new(|| {
                repl(
                    "book-state",
                    &["!run until 3s", "state counts", "state counts cat"],
                )
            }),
        ),
        (
            "ch04-no-checkpoint.txt",
            Box::new(|| without_checkpoint("book-state")),
        ),
        // Chapter 5: receivers, blocks, replication; starvation.
        (
            "ch05-print.txt",
            Box::new(|| print_output("book-receivers", secs(2), None)),
        ),
        (
            "ch05-repl.txt",
            Box::new(|| repl("book-receivers", &["!step 2", "blocks", "show lines"])),
        ),
        (
            "ch05-starvation.txt",
            Box::new(|| print_output("starvation", secs(3), None)),
        ),
        (
            "ch05-starvation-trace.txt",
            Box::new(|| {
                trace_excerpt(
                    "starvation",
                    secs(1),
                    &["block_stored", "batch_not_processed"],
                )
            }),
        ),
        // Chapter 6: failures, and the guide's table measured.
        (
            "ch06-check-worker-failure.txt",
            Box::new(|| check_report("worker-failure")),
        ),
        (
            "ch06-check-worker-failure-no-replication.txt",
            Box::new(|| check_report("worker-failure-no-replication")),
        ),
        (
            "ch06-check-worker-failure-reliable.txt",
            Box::new(|| check_report("worker-failure-reliable")),
        ),
        (
            "ch06-check-driver-failure.txt",
            Box::new(|| check_report("driver-failure")),
        ),
        (
            "ch06-worker-failure-trace.txt",
            Box::new(|| {
                trace_excerpt(
                    "worker-failure",
                    secs(8),
                    &["worker_killed", "receiver_started", "blocks_not_found"],
                )
            }),
        ),
        ("ch06-semantics.md", Box::new(|| semantics(SEMANTICS_SEEDS))),
        // Chapter 7: write-ahead log, checkpoint recovery, lineage.
        (
            "ch07-check-driver-failure-wal.txt",
            Box::new(|| check_report("driver-failure-wal")),
        ),
        (
            "ch07-driver-failure-wal-trace.txt",
            Box::new(|| {
                trace_excerpt(
                    "driver-failure-wal",
                    secs(13),
                    &["driver_killed", "driver_restarted", "warning"],
                )
            }),
        ),
        (
            "ch07-driver-failure-wal-print.txt",
            Box::new(|| {
                print_output(
                    "driver-failure-wal",
                    secs(13),
                    Some(&[5_000, 6_000, 12_000]),
                )
            }),
        ),
        (
            "ch07-lineage.md",
            Box::new(|| lineage_table("lineage-growth", &["often", "rarely"], secs(12))),
        ),
        // Chapter 7a: upgrading application code (`stream-sim upgrade`).
        (
            "ch07a-restart-from-checkpoint.txt",
            Box::new(|| upgrade_snippet(Upgrade::RestartFromCheckpoint, false, Offsets::Latest)),
        ),
        (
            "ch07a-incompatible-classes.txt",
            Box::new(|| upgrade_snippet(Upgrade::RestartFromCheckpoint, true, Offsets::Latest)),
        ),
        (
            "ch07a-parallel.txt",
            Box::new(|| upgrade_snippet(Upgrade::Parallel, false, Offsets::Latest)),
        ),
        (
            "ch07a-graceful-latest.txt",
            Box::new(|| upgrade_snippet(Upgrade::GracefulFreshCheckpoint, false, Offsets::Latest)),
        ),
        (
            "ch07a-graceful-committed.txt",
            Box::new(|| {
                upgrade_snippet(Upgrade::GracefulFreshCheckpoint, false, Offsets::Committed)
            }),
        ),
        // Chapter 8: exactly-once output.
        (
            "ch08-check-kafka-direct.txt",
            Box::new(|| check_report("kafka-direct")),
        ),
        (
            "ch08-kafka-direct-print.txt",
            Box::new(|| print_output("kafka-direct", secs(20), Some(&[6_000, 7_000]))),
        ),
        // Chapter 9: monitoring.
        (
            "ch09-falling-behind.md",
            Box::new(|| metrics_table("falling-behind", secs(10))),
        ),
        (
            "ch09-keeping-up.md",
            Box::new(|| metrics_table("book-keeping-up", secs(10))),
        ),
        (
            "ch09-falling-behind-delays.svg",
            Box::new(|| delays_figure("falling-behind", secs(20))),
        ),
        // Chapter 10: streaming algorithms.
        (
            "ch10-lecture-reservoir.md",
            Box::new(|| Ok(lecture_reservoir_table())),
        ),
        (
            "ch10-flights-sample.txt",
            Box::new(|| print_output("flights-sample", secs(60), Some(&[60_000]))),
        ),
        (
            "ch10-flights-top.txt",
            Box::new(|| print_output("flights-top", secs(60), Some(&[60_000]))),
        ),
        (
            "ch10-flights-distinct.txt",
            Box::new(|| print_output("flights-distinct", secs(60), Some(&[60_000]))),
        ),
        // Chapter 12: the other models.
        (
            "ch12-storm-worker-failure.txt",
            Box::new(|| {
                crate::check::storm::run_command("storm-wordcount-worker-failure", 0, true, false)
                    .map_err(|e| e.to_string())
            }),
        ),
        (
            "ch12-compare-worker.md",
            Box::new(|| compare_table("at 8s kill worker-2")),
        ),
        (
            "ch12-compare-driver.md",
            Box::new(|| compare_table("at 8s kill driver")),
        ),
    ];
    all.extend(answers::snippets());
    all.extend(sections::snippets());
    all.extend(broadcast::snippets());
    all.extend(models_faults::snippets());
    all
}

/// `stream-sim compare --faults FAULTS` as Markdown.
fn compare_table(faults: &str) -> Result<String, String> {
    let plan = crate::cluster::FaultPlan::parse(faults).map_err(|(_, _, m)| m)?;
    let rows = crate::check::compare::compare(&plan, 0)?;
    Ok(crate::check::compare::render(&plan, &rows) + "\n")
}

fn secs(n: u64) -> Time {
    Time::ZERO.plus(Duration::from_secs(n))
}

fn load(name: &str) -> Result<Scenario, String> {
    let path = scenario::resolve(name).map_err(|e| e.to_string())?;
    scenario::load(&path).map_err(|e| e.to_string())
}

/// A bundled scenario's text with `edits` applied (each `(from, to)` replaces every
/// occurrence of `from`, which must be there), parsed as the file `COPY.toml`: an exercise's
/// "edit a copy of the scenario".
///
/// # Errors
/// An edit whose `from` is not in the text, or the copy's parse error.
fn edited(name: &str, edits: &[(&str, &str)]) -> Result<Scenario, String> {
    let mut text = copy_text(name, edits)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let copy = copy_path(name)?;
    scenario::spec::parse_scenario(&text, &copy)
        .map_err(|e| e.to_string().replace(&copy_prefix(&copy), ""))
}

/// Where an edited copy of a bundled scenario is taken to live: beside the bundled file, so
/// that its relative data paths resolve (`scenarios/COPY.toml`; nothing is written there).
fn copy_path(name: &str) -> Result<PathBuf, String> {
    let path = scenario::resolve(name).map_err(|e| e.to_string())?;
    Ok(path
        .parent()
        .map_or_else(|| PathBuf::from("COPY.toml"), |d| d.join("COPY.toml")))
}

/// The folder part of a copy's path as error messages print it, to leave it out.
fn copy_prefix(copy: &Path) -> String {
    copy.parent()
        .map(|d| format!("{}/", d.display()))
        .unwrap_or_default()
}

/// The edited text of a bundled scenario (see [`edited`]).
fn copy_text(name: &str, edits: &[(&str, &str)]) -> Result<String, String> {
    let path = scenario::resolve(name).map_err(|e| e.to_string())?;
    let mut text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    for (from, to) in edits {
        if !text.contains(from) {
            return Err(format!(
                "{name}: the edit's text {from:?} is not in the scenario"
            ));
        }
        text = text.replace(from, to);
    }
    Ok(text)
}

/// What `stream-sim check COPY.toml` says for a bundled scenario with `edits` applied: the
/// `ok` line, or the error as the command line prints it.
fn check_copy(name: &str, edits: &[(&str, &str)]) -> Result<String, String> {
    let text = copy_text(name, edits)?;
    let copy = copy_path(name)?;
    let result = scenario::spec::parse_scenario(&text, &copy).and_then(|sc| {
        sc.build(&options()).map(|b| {
            b.ssc.stop();
            sc
        })
    });
    Ok(match result {
        Ok(sc) => format!(
            "COPY.toml: ok ({} sources, {} statements)\n",
            sc.sources.len(),
            sc.program.statements.len()
        ),
        Err(e) => format!("stream-sim: {e}\n").replace(&copy_prefix(&copy), ""),
    })
}

use crate::check::upgrade::{StartingOffsets as Offsets, UpgradePath as Upgrade};

/// What `stream-sim upgrade upgrade-old upgrade-new --at 10s --path PATH [--classes
/// incompatible] [--starting-offsets OFFSETS]` prints (chapter 7a).
fn upgrade_snippet(path: Upgrade, incompatible: bool, offsets: Offsets) -> Result<String, String> {
    use crate::check::upgrade::{upgrade, Classes, UpgradeOptions};
    let (old, new) = (load("upgrade-old")?, load("upgrade-new")?);
    let opts = UpgradeOptions {
        path,
        at: secs(10),
        overlap: old.batch_interval * 5,
        redeploy: old.cluster.driver_restart_delay,
        classes: if incompatible {
            Classes::Incompatible
        } else {
            Classes::Compatible
        },
        starting_offsets: offsets,
        seed: 0,
    };
    Ok(upgrade(&old, &new, &opts)?.text + "\n")
}

/// Seed 0, the command line's default, so `stream-sim run NAME` reproduces every snippet.
fn options() -> RunOptions {
    RunOptions {
        seed: 0,
        output_dir: std::env::temp_dir().join(format!("stream-sim-book-{}", std::process::id())),
    }
}

/// What `stream-sim run NAME --until UNTIL` prints; with `keep`, only the
/// printouts of those batch times (in ms).
fn print_output(name: &str, until: Time, keep: Option<&[u64]>) -> Result<String, String> {
    print_sc(load(name)?, until, keep)
}

/// What `stream-sim run COPY.toml --until UNTIL` prints for a loaded (maybe edited) scenario.
fn print_sc(sc: Scenario, until: Time, keep: Option<&[u64]>) -> Result<String, String> {
    print_seeded(sc, 0, until, keep)
}

/// [`print_sc`] with `--seed SEED`.
fn print_seeded(
    sc: Scenario,
    seed: u64,
    until: Time,
    keep: Option<&[u64]>,
) -> Result<String, String> {
    let name = sc.name.clone();
    let built = sc
        .build(&RunOptions { seed, ..options() })
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    built
        .run_printing(until, &mut buf)
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{name}: job failed: {e}"))?;
    built.ssc.stop();
    let text = String::from_utf8(buf).map_err(|e| e.to_string())?;
    let Some(keep) = keep else {
        return Ok(text);
    };
    // Split into printouts: each starts with a dashed line followed by `Time: N ms`.
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut keeping = false;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("----") {
            if let Some(next) = lines.get(i + 1) {
                if let Some(ms) = next
                    .strip_prefix("Time: ")
                    .and_then(|r| r.strip_suffix(" ms"))
                    .and_then(|r| r.parse::<u64>().ok())
                {
                    keeping = keep.contains(&ms);
                }
            }
        }
        if keeping {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// A REPL session on a scenario (seed 0): each command after the prompt, then its output
/// (a command written `!cmd` runs, but its output is left out).
fn repl(name: &str, commands: &[&str]) -> Result<String, String> {
    repl_sc(load(name)?, commands)
}

/// [`repl`] on a loaded (maybe edited) scenario.
fn repl_sc(sc: Scenario, commands: &[&str]) -> Result<String, String> {
    let mut session = crate::repl::Session::new(&sc, &options())?;
    let mut out = String::new();
    for cmd in commands {
        // A leading `!` runs the command but leaves its output out of the snippet.
        let (cmd, quiet) = match cmd.strip_prefix('!') {
            Some(c) => (c, true),
            None => (*cmd, false),
        };
        let _ = writeln!(out, "{}{cmd}", session.prompt());
        let text = session.execute(cmd);
        if quiet {
            out.push_str("(output left out)\n");
            continue;
        }
        out.push_str(&text);
        if !text.ends_with('\n') && !text.is_empty() {
            out.push('\n');
        }
    }
    Ok(out)
}

/// The trace's events of the given kinds up to `until` (inclusive), one JSON object a line,
/// as `stream-sim run NAME --trace FILE` writes them.
fn trace_excerpt(name: &str, until: Time, kinds: &[&str]) -> Result<String, String> {
    trace_sc(load(name)?, until, kinds)
}

/// [`trace_excerpt`] on a loaded (maybe edited) scenario.
fn trace_sc(sc: Scenario, until: Time, kinds: &[&str]) -> Result<String, String> {
    let name = sc.name.clone();
    let built = sc.build(&options()).map_err(|e| e.to_string())?;
    built
        .run_printing(until, &mut std::io::sink())
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{name}: job failed: {e}"))?;
    let mut out = String::new();
    for e in built.ssc.trace() {
        if e.time() > until {
            continue;
        }
        let json = e.to_json();
        if kinds
            .iter()
            .any(|k| json.contains(&format!("\"event\":\"{k}\"")))
        {
            out.push_str(&json);
            out.push('\n');
        }
    }
    built.ssc.stop();
    Ok(out)
}

/// The delays chart of `plot delays` (src/plot.rs) for a scenario run to `until`, as SVG.
fn delays_figure(name: &str, until: Time) -> Result<String, String> {
    let sc = load(name)?;
    let built = sc.build(&options()).map_err(|e| e.to_string())?;
    built
        .run_printing(until, &mut std::io::sink())
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{name}: job failed: {e}"))?;
    let (points, failures) = crate::plot::from_trace(&built.ssc.trace());
    let path =
        std::env::temp_dir().join(format!("stream-sim-book-{}-{name}.svg", std::process::id()));
    crate::plot::delays_svg(&path, &points, sc.batch_interval.ms(), &failures)?;
    let svg = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = std::fs::remove_file(&path);
    built.ssc.stop();
    Ok(svg)
}

/// What `stream-sim run NAME --check` writes to standard error.
fn check_report(name: &str) -> Result<String, String> {
    check_report_sc(load(name)?)
}

/// [`check_report`] on a loaded (maybe edited) scenario.
fn check_report_sc(sc: Scenario) -> Result<String, String> {
    let built = sc.build(&options()).map_err(|e| e.to_string())?;
    let end = built.default_until;
    built.ssc.stop();
    let report = crate::check::verify(&sc, &options(), end)?;
    let faults: Vec<String> = report
        .faults
        .faults
        .iter()
        .map(|(t, f)| format!("at {t} {f}"))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "faults: {}",
        if faults.is_empty() {
            "none".into()
        } else {
            faults.join(", ")
        }
    );
    let _ = writeln!(out, "{}", report.verdict);
    let _ = writeln!(out, "{}", report.outputs);
    for c in &report.causes {
        let _ = writeln!(out, "  {c}");
    }
    Ok(out)
}

/// The error `stream-sim check` gives for the scenario with its checkpoint line removed.
fn without_checkpoint(name: &str) -> Result<String, String> {
    let path = scenario::resolve(name).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let edited: String = text
        .lines()
        .filter(|l| !l.starts_with("checkpoint = "))
        .map(|l| format!("{l}\n"))
        .collect();
    let shown = PathBuf::from(format!("{name}-no-checkpoint.toml"));
    let result = scenario::spec::parse_scenario(&edited, &shown)
        .and_then(|sc| sc.build(&options()).map(|b| b.ssc.stop()));
    match result {
        Ok(()) => Err(format!(
            "{name} without its checkpoint line started; the book expects an error"
        )),
        Err(e) => Ok(format!("stream-sim: {e}\n")),
    }
}

/// The measured fault-tolerance table with `seeds` seeds per cell.
fn semantics(seeds: u64) -> Result<String, String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let cells = crate::check::semantics_table(seeds, threads, &|| {})?;
    Ok(crate::check::render_table(&cells, seeds))
}

/// A markdown table of the lineage depth of some streams' RDDs per batch, `*` where the RDD
/// was checkpointed.
fn lineage_table(name: &str, streams: &[&str], until: Time) -> Result<String, String> {
    let sc = load(name)?;
    let built = sc.build(&options()).map_err(|e| e.to_string())?;
    built
        .run_printing(until, &mut std::io::sink())
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{name}: job failed: {e}"))?;
    let mut rows: BTreeMap<Time, Vec<String>> = BTreeMap::new();
    for e in built.ssc.trace() {
        if let Event::RddComputed {
            time,
            stream,
            checkpointed,
            lineage_depth,
            ..
        } = e
        {
            if let Some(i) = streams.iter().position(|s| *s == stream) {
                let row = rows
                    .entry(time)
                    .or_insert_with(|| vec![String::new(); streams.len()]);
                row[i] = format!("{lineage_depth}{}", if checkpointed { " *" } else { "" });
            }
        }
    }
    built.ssc.stop();
    let mut out = format!(
        "| batch | {} |\n|---|{}\n",
        streams.join(" | "),
        "---|".repeat(streams.len())
    );
    for (t, row) in rows.iter().filter(|(t, _)| **t <= until) {
        let _ = writeln!(out, "| {t} | {} |", row.join(" | "));
    }
    Ok(out)
}

/// A markdown table of the StreamingListener figures of each completed batch up to `until`.
fn metrics_table(name: &str, until: Time) -> Result<String, String> {
    metrics_sc(load(name)?, until)
}

/// [`metrics_table`] on a loaded (maybe edited) scenario.
fn metrics_sc(sc: Scenario, until: Time) -> Result<String, String> {
    let name = sc.name.clone();
    let built = sc.build(&options()).map_err(|e| e.to_string())?;
    built
        .run_printing(until, &mut std::io::sink())
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{name}: job failed: {e}"))?;
    let mut out = String::from(
        "| batch | input records | scheduling delay | processing time | total delay |\n|---|---|---|---|---|\n",
    );
    for e in built.ssc.trace() {
        if let Event::BatchCompleted {
            time,
            input_records,
            scheduling_delay_ms,
            processing_time_ms,
            total_delay_ms,
        } = e
        {
            let _ = writeln!(
                out,
                "| {time} | {input_records} | {scheduling_delay_ms} ms | {processing_time_ms} ms | {total_delay_ms} ms |"
            );
        }
    }
    built.ssc.stop();
    Ok(out)
}

/// How often each index of 8 inputs lands in a sample of 3: the lecture's reservoir code
/// (with its off-by-one) against the fixed one (Algorithm R), over 20,000 seeds.
fn lecture_reservoir_table() -> String {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use stream_algorithms::lecture::{reservoir_sample, reservoir_sample_fixed};
    const N: usize = 8;
    const K: usize = 3;
    const RUNS: u64 = 20_000;
    let inputs: Vec<usize> = (0..N).collect();
    let mut lecture = [0u64; N];
    let mut fixed = [0u64; N];
    for seed in 0..RUNS {
        for i in reservoir_sample(&inputs, K, &mut ChaCha8Rng::seed_from_u64(seed)) {
            lecture[i] += 1;
        }
        for i in reservoir_sample_fixed(&inputs, K, &mut ChaCha8Rng::seed_from_u64(seed)) {
            fixed[i] += 1;
        }
    }
    let mut out = String::from(
        "| index | lecture's code | fixed (Algorithm R) | exact, lecture | exact, fixed |\n|---|---|---|---|---|\n",
    );
    for i in 0..N {
        let exact_lecture = if i < K {
            format!("{}/{N} = {:.3}", K + 1, (K + 1) as f64 / N as f64)
        } else if i == K {
            "0".to_string()
        } else {
            format!("{K}/{N} = {:.3}", K as f64 / N as f64)
        };
        let _ = writeln!(
            out,
            "| {i} | {:.3} | {:.3} | {exact_lecture} | {K}/{N} = {:.3} |",
            lecture[i] as f64 / RUNS as f64,
            fixed[i] as f64 / RUNS as f64,
            K as f64 / N as f64
        );
    }
    let _ = writeln!(
        out,
        "\n(inclusion frequency of each index of {N} inputs in a sample of k = {K}, over {RUNS} seeds)"
    );
    out
}
