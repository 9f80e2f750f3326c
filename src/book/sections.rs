//! Snippets of the sections added to the course for issue 17 after the answer keys: the
//! foreachRDD connection patterns (chapter 8), accumulators and broadcast variables after a
//! driver restart (chapter 7), timelines of recovery (chapters 5 to 7), quantiles and
//! windowed sketches (chapter 10) and the event-time chapter (13). Each runs a bundled
//! scenario or an edited copy of one, as the text's command would.

use super::{edited, print_output, print_sc, secs, Make};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The sections' snippets, by file name.
pub(super) fn snippets() -> Vec<(&'static str, Make)> {
    vec![
        (
            "ch08-connections-print.txt",
            Box::new(|| print_output("book-connections", secs(3), None)),
        ),
        ("ch08-connections.md", Box::new(connections_table)),
        (
            "ch08-ex4.txt",
            Box::new(|| {
                let sc = edited(
                    "book-connections",
                    &[("batch_interval = \"1s\"", "batch_interval = \"500ms\"")],
                )?;
                let text = print_sc(sc, secs(3), None)?;
                Ok(text
                    .lines()
                    .filter(|l| l.starts_with("foreachRDD at "))
                    .map(|l| format!("{l}\n"))
                    .collect())
            }),
        ),
        // Timelines of blocks, batches, faults and re-runs (chapters 5 to 7).
        (
            "ch05-timeline.svg",
            Box::new(|| {
                timeline(
                    "book-receivers",
                    "book-receivers: blocks and batches",
                    secs(4),
                )
            }),
        ),
        (
            "ch06-timeline.svg",
            Box::new(|| {
                timeline(
                    "worker-failure",
                    "worker-failure: worker-1 dies at 5.5 s",
                    secs(16),
                )
            }),
        ),
        (
            "ch07-timeline.svg",
            Box::new(|| {
                timeline(
                    "driver-failure-wal",
                    "driver-failure-wal: the driver dies, restarts, re-runs",
                    secs(14),
                )
            }),
        ),
        ("ch07-accumulator.md", Box::new(accumulator_table)),
        // Chapter 10: quantiles and windowed sketches.
        (
            "ch10-flights-quantiles.txt",
            Box::new(|| print_output("flights-quantiles", secs(60), Some(&[60_000]))),
        ),
        (
            "ch10-flights-weighted.txt",
            Box::new(|| print_output("flights-weighted", secs(60), Some(&[60_000]))),
        ),
        (
            "ch10-ex5.txt",
            Box::new(|| {
                print_sc(
                    edited(
                        "flights-quantiles",
                        &[(
                            "List(0.5, 0.99), 15s, 5s, 16)",
                            "List(0.5, 0.99), 15s, 5s, 64)",
                        )],
                    )?,
                    secs(60),
                    Some(&[60_000]),
                )
            }),
        ),
        // Chapter 12's answer key.
        (
            "ch12-ex1.md",
            Box::new(|| super::compare_table("at 8s loss 0.05\nat 10s loss 0")),
        ),
        // Chapter 13: event time.
        (
            "ch13-structured.txt",
            Box::new(|| structured_run("flights-watermark", &[], &[5, 12, 13])),
        ),
        (
            "ch13-dataflow.txt",
            Box::new(|| {
                dataflow_run(
                    "flights-dataflow",
                    &[],
                    Some("[2013-01-01 06:30:00, 2013-01-01 07:00:00): LGA"),
                )
            }),
        ),
        ("ch13-compare.md", Box::new(|| event_time_compare(false))),
        ("ch13-event-time.svg", Box::new(|| event_time_compare(true))),
        (
            "ch13-ex1.txt",
            Box::new(|| {
                structured_run(
                    "flights-watermark",
                    &[("\"30 minutes\"", "\"10 minutes\"")],
                    &[],
                )
            }),
        ),
        (
            "ch13-ex2.txt",
            Box::new(|| {
                structured_run(
                    "flights-watermark",
                    &[("outputMode = \"append\"", "outputMode = \"update\"")],
                    &[12],
                )
            }),
        ),
        (
            "ch13-ex3.txt",
            Box::new(|| {
                dataflow_run(
                    "flights-dataflow",
                    &[("ACCUMULATING", "DISCARDING")],
                    Some("[2013-01-01 06:30:00, 2013-01-01 07:00:00): LGA"),
                )
            }),
        ),
        (
            "ch13-ex5.txt",
            Box::new(|| {
                dataflow_run(
                    "flights-dataflow",
                    &[("estimator = \"heuristic\"", "estimator = \"perfect\"")],
                    None,
                )
            }),
        ),
        (
            "ch13-ex4.txt",
            Box::new(|| {
                dataflow_run(
                    "flights-dataflow",
                    &[("allowed_lateness=2 hours", "allowed_lateness=0")],
                    None,
                )
            }),
        ),
    ]
}

/// The recovery timeline (`plot::recovery_timeline_svg_text`) of a bundled scenario run to
/// `until`.
fn timeline(name: &str, title: &str, until: crate::sim::Time) -> Result<String, String> {
    let sc = super::load(name)?;
    let built = sc.build(&super::options()).map_err(|e| e.to_string())?;
    built
        .run_printing(until, &mut std::io::sink())
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{name}: job failed: {e}"))?;
    let svg =
        crate::plot::recovery_timeline_svg_text(title, &built.ssc.trace(), until.ms(), (960, 360));
    built.ssc.stop();
    svg
}

/// The driver's records-processed accumulator batch by batch through `driver-failure-wal`'s
/// driver restart, beside the checkpointed running total: the accumulator starts again at
/// 0, the state does not.
fn accumulator_table() -> Result<String, String> {
    use crate::models::dstream::Event;
    let name = "driver-failure-wal";
    let until = secs(14);
    let sc = super::load(name)?;
    let built = sc.build(&super::options()).map_err(|e| e.to_string())?;
    let mut printed = Vec::new();
    built
        .run_printing(until, &mut printed)
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{name}: job failed: {e}"))?;
    let mut out = String::from(
        "| when | batch | input records | accumulator after it | what happened |\n|---|---|---|---|---|\n",
    );
    let mut acc = 0u64;
    for e in built.ssc.trace() {
        match e {
            Event::BatchCompleted {
                time,
                input_records,
                total_delay_ms,
                ..
            } => {
                acc += input_records as u64;
                let _ = writeln!(
                    out,
                    "| {} ms | {time} | {input_records} | {acc} | |",
                    time.ms() + total_delay_ms
                );
            }
            Event::DriverKilled { time, .. } => {
                let _ = writeln!(out, "| {} ms | | | {acc} | driver killed |", time.ms());
            }
            Event::DriverRestarted {
                time,
                accumulator_lost,
                rerun,
                ..
            } => {
                acc = 0;
                let _ = writeln!(
                    out,
                    "| {} ms | | | 0 | driver restarted from the checkpoint: `accumulator_lost` = {accumulator_lost}; re-runs {} batches |",
                    time.ms(),
                    rerun.len()
                );
            }
            _ => {}
        }
    }
    let _ = writeln!(
        out,
        "\n(at {until}: `ssc.accumulator()` = {}; the simulator's value)",
        built.ssc.accumulator()
    );
    built.ssc.stop();
    if acc != built.ssc.accumulator() {
        return Err(format!(
            "{name}: the table's accumulator {acc} is not the context's {}",
            built.ssc.accumulator()
        ));
    }
    Ok(out)
}

/// The pool line of `book-connections` and what each of the guide's patterns puts there.
const POOL_LINE: &str = "  val connection = ConnectionPool.getConnection()\n";

/// The guide's four patterns as edits of `book-connections`: name and the edited program
/// lines (the pool is the file as bundled).
fn connection_patterns() -> [(&'static str, Vec<(&'static str, &'static str)>); 4] {
    [
        (
            "per record (`rdd.foreach`)",
            vec![(
                "words.foreachRDD(rdd => rdd.foreachPartition(partitionOfRecords => {\n  val connection = ConnectionPool.getConnection()\n  partitionOfRecords.foreach(record => connection.send(record))\n}))",
                "words.foreachRDD(rdd => rdd.foreach(record => {\n  val connection = createNewConnection()\n  connection.send(record)\n}))",
            )],
        ),
        (
            "per partition (`foreachPartition`)",
            vec![(POOL_LINE, "  val connection = createNewConnection()\n")],
        ),
        ("static pool (`ConnectionPool`)", Vec::new()),
        (
            "made on the driver",
            vec![(
                "words.foreachRDD(rdd => rdd.foreachPartition(partitionOfRecords => {\n  val connection = ConnectionPool.getConnection()\n  partitionOfRecords.foreach(record => connection.send(record))\n}))",
                "words.foreachRDD(rdd => {\n  val connection = createNewConnection()\n  rdd.foreach(record => connection.send(record))\n})",
            )],
        ),
    ]
}

/// Connections opened per batch by each pattern on `book-connections` (3 batches of 4
/// partitions), from the sinks' report lines; the driver's pattern shows its failure.
fn connections_table() -> Result<String, String> {
    let mut out = String::from(
        "| pattern | 1000 ms | 2000 ms | 3000 ms | opened in all |\n|---|---|---|---|---|\n",
    );
    for (name, edits) in connection_patterns() {
        let sc = edited("book-connections", &edits)?;
        let printed = match print_sc(sc, secs(3), None) {
            Ok(text) => text,
            Err(e) => {
                let short = e
                    .split(" (batch")
                    .next()
                    .unwrap_or(&e)
                    .replace("book-connections: job failed: ", "");
                let _ = writeln!(
                    out,
                    "| {name} | job fails: `{}` | - | - | - |",
                    short.trim_start_matches("org.apache.spark.SparkException: ")
                );
                continue;
            }
        };
        let mut cells = Vec::new();
        let mut total = String::new();
        for line in printed.lines().filter(|l| l.starts_with("foreachRDD at ")) {
            let opened = between(line, "records: ", " connections opened")?;
            let reused = between(line, "opened, ", " reused")?;
            cells.push(format!("{opened} opened, {reused} reused"));
            total = between(line, "reused; ", " opened since start")?.to_string();
        }
        let _ = writeln!(out, "| {name} | {} | {total} |", cells.join(" | "));
    }
    Ok(out)
}

/// The text of `line` between `from` and `to`.
fn between<'a>(line: &'a str, from: &str, to: &str) -> Result<&'a str, String> {
    let start = line
        .find(from)
        .ok_or_else(|| format!("no {from:?} in {line:?}"))?
        + from.len();
    let len = line[start..]
        .find(to)
        .ok_or_else(|| format!("no {to:?} in {line:?}"))?;
    Ok(&line[start..start + len])
}

/// A bundled scenario of another model (`scenarios/<folder>/<name>.toml`) with `edits`
/// applied (each `(from, to)` must occur), and the path it is taken to live at (beside the
/// bundled file, so that its data paths resolve; nothing is written there).
fn model_copy(
    folder: &str,
    name: &str,
    edits: &[(&str, &str)],
) -> Result<(String, PathBuf), String> {
    let dir = crate::scenario::scenarios_dir().join(folder);
    let path = dir.join(format!("{name}.toml"));
    let mut text =
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (from, to) in edits {
        if !text.contains(from) {
            return Err(format!(
                "{name}: the edit's text {from:?} is not in the scenario"
            ));
        }
        text = text.replace(from, to);
    }
    let at = if edits.is_empty() {
        path
    } else {
        dir.join("COPY.toml")
    };
    Ok((text, at))
}

/// What `stream-sim run` prints for a Structured Streaming scenario (edited): the console
/// sink's batches numbered `keep` (all when empty), then the summary line.
fn structured_run(name: &str, edits: &[(&str, &str)], keep: &[usize]) -> Result<String, String> {
    let (text, path) = model_copy("structured", name, edits)?;
    let sc = crate::scenario::structured::parse(&text, &path).map_err(|e| e.to_string())?;
    let out = crate::check::structured::run_command(&sc, None, false, false, None)?;
    let mut printed = String::new();
    if !keep.is_empty() {
        // Each batch starts with a dashed line followed by `Batch: N`.
        let lines: Vec<&str> = out.stdout.lines().collect();
        let mut keeping = false;
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("----") {
                if let Some(n) = lines
                    .get(i + 1)
                    .and_then(|l| l.strip_prefix("Batch: "))
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    keeping = keep.contains(&n);
                }
            }
            if keeping {
                printed.push_str(line);
                printed.push('\n');
            }
        }
    }
    Ok(printed + &out.stderr)
}

/// What `stream-sim run` prints for a Dataflow scenario (edited): the panes whose line
/// contains `pane_filter` (all panes with an empty filter... none with `None`), then the
/// summary lines.
fn dataflow_run(
    name: &str,
    edits: &[(&str, &str)],
    pane_filter: Option<&str>,
) -> Result<String, String> {
    let (text, path) = model_copy("dataflow", name, edits)?;
    // The runner reads its file itself: write the copy to a temporary file whose data path
    // is absolute.
    let data = crate::scenario::scenarios_dir().join("data");
    let data = std::fs::canonicalize(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let text = text.replace("\"../data/", &format!("\"{}/", data.display()));
    let tmp = std::env::temp_dir().join(format!(
        "stream-sim-book-{}-{}",
        std::process::id(),
        path.file_name()
            .and_then(|f| f.to_str())
            .unwrap_or("COPY.toml")
    ));
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let out = crate::check::dataflow::run_command(&tmp, None, false);
    let _ = std::fs::remove_file(&tmp);
    let out = out?;
    let mut kept = String::new();
    for line in out.lines() {
        let pane = line.starts_with('[');
        let keep = match (pane, pane_filter) {
            (false, _) => !line.starts_with(name) && !line.starts_with("pipeline:"),
            (true, Some(f)) => line.contains(f),
            (true, None) => false,
        };
        if keep {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    Ok(kept)
}

/// `stream-sim compare --models dstream,structured,dataflow`: its Markdown, and the SVG of
/// `--svg` for EWR's windows.
fn event_time_compare(svg: bool) -> Result<String, String> {
    let models: Vec<String> = crate::check::event_time::EVENT_TIME_MODELS
        .iter()
        .map(|m| m.to_string())
        .collect();
    let c = crate::check::event_time::compare_event_time(&models)?;
    if svg {
        crate::plot::event_time_svg_text(&c, "EWR", (960, 640))
    } else {
        Ok(crate::check::event_time::render(&c))
    }
}
