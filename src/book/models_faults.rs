//! Snippets of the sections on what the other models do at their protocol points and
//! under faults (chapters 12 and 13): Flink faults between a barrier and a snapshot and
//! between pre-commit and commit, idle source channels and the watermark, Storm's in-memory
//! state dying with its worker; Structured Streaming's `flatMapGroupsWithState` timeouts,
//! `maxOffsetsPerTrigger` catch-up and executor loss; the Dataflow runner's failures judged
//! per record and its watermark estimators. Each runs a bundled scenario as the text's
//! command (or REPL session) does.

use super::Make;

/// The sections' snippets, by file name.
pub(super) fn snippets() -> Vec<(&'static str, Make)> {
    vec![
        (
            "ch12-flink-after-precommit.txt",
            Box::new(|| {
                rat_repl(
                    "flink-wordcount",
                    &[
                        "fail after-precommit 3",
                        "run until 3s",
                        "checkpoint",
                        "run until 4s",
                        "run until 30s",
                        "ledger",
                    ],
                )
            }),
        ),
        (
            "ch12-flink-after-barrier.txt",
            Box::new(|| {
                rat_repl(
                    "flink-wordcount",
                    &[
                        "fail after-barrier 3 keyed[1]",
                        "run until 3s",
                        "checkpoint",
                        "run until 4s",
                        "run until 30s",
                        "ledger",
                    ],
                )
            }),
        ),
        (
            "ch12-flink-idle.txt",
            Box::new(|| {
                let text = crate::check::flink::run_command(
                    "flink-flights-idle-partition",
                    0,
                    true,
                    false,
                )
                .map_err(|e| e.to_string())?;
                Ok(summary_lines(
                    &text,
                    &["firings", "late", "idle", "verdict"],
                ))
            }),
        ),
        (
            "ch12-storm-lost-state.txt",
            Box::new(|| {
                crate::check::storm::run_command("storm-flights-worker-failure", 0, true, false)
                    .map_err(|e| e.to_string())
            }),
        ),
        (
            "ch13-sessions.txt",
            Box::new(|| structured_batches("flights-sessions", 2, 6, true)),
        ),
        (
            "ch13-session-windows.txt",
            Box::new(|| structured_batches("flights-session-windows", 3, 4, true)),
        ),
        (
            "ch13-catch-up.txt",
            Box::new(|| structured_check("flights-catch-up", true)),
        ),
        (
            "ch13-structured-worker.txt",
            Box::new(|| structured_check("flights-worker-failure", true)),
        ),
        (
            "ch13-dataflow-failures.txt",
            Box::new(|| {
                let mut out = String::new();
                for name in [
                    "flights-dataflow-worker-failure",
                    "flights-dataflow-side-effect",
                    "flights-dataflow-driver-failure",
                ] {
                    let path = crate::scenario::scenarios_dir()
                        .join("dataflow")
                        .join(format!("{name}.toml"));
                    let text = crate::check::dataflow::run_command(&path, None, true)?;
                    out.push_str(&format!("$ stream-sim run {name} --check\n"));
                    let kept = [
                        "failure:",
                        "records (",
                        "check against",
                        "per record",
                        "  record ",
                    ];
                    let mut records = 0;
                    for line in text.lines() {
                        if !kept.iter().any(|k| line.starts_with(k)) {
                            continue;
                        }
                        if line.starts_with("  record ") {
                            records += 1;
                            if records > 2 {
                                continue;
                            }
                        }
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                Ok(out)
            }),
        ),
        (
            "ch13-late-watermarks.txt",
            Box::new(|| {
                let mut s = crate::repl::event_time::EventTimeSession::new("flights-dataflow")?;
                Ok(format!(
                    "> late watermarks\n{}\n",
                    s.execute("late watermarks")
                ))
            }),
        ),
    ]
}

/// A scripted record-at-a-time REPL session: each command after `> `, then its answer.
fn rat_repl(name: &str, commands: &[&str]) -> Result<String, String> {
    let mut s = crate::repl::record_at_a_time::RatSession::new(name, 0)?;
    let mut out = String::new();
    for c in commands {
        out.push_str(&format!("> {c}\n"));
        let answer = s.execute(c);
        if !answer.is_empty() {
            out.push_str(answer.trim_end());
            out.push('\n');
        }
    }
    Ok(out)
}

/// The lines of `text` that contain any of `words` (a run's summary, without its counts).
fn summary_lines(text: &str, words: &[&str]) -> String {
    text.lines()
        .filter(|l| words.iter().any(|w| l.contains(w)))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// What `stream-sim run NAME` prints for a bundled Structured Streaming scenario, cut to the
/// first `batches` micro-batches that wrote rows (at most `rows` rows each), then (with
/// `summary`) the summary line, whose window figures speak of windowed aggregations.
fn structured_batches(
    name: &str,
    batches: usize,
    rows: usize,
    summary: bool,
) -> Result<String, String> {
    let path = crate::scenario::scenarios_dir()
        .join("structured")
        .join(format!("{name}.toml"));
    let sc = crate::scenario::structured::load(&path).map_err(|e| e.to_string())?;
    let out = crate::check::structured::run_command(&sc, None, false, false, None)?;
    // A batch: a dashed line, `Batch: N`, a dashed line, then a table whose header sits
    // between two `+---` borders and whose rows end at a third.
    let mut kept = String::new();
    let mut shown = 0;
    for block in out
        .stdout
        .split("-------------------------------------------\nBatch: ")
    {
        let Some((number, table)) = block.split_once('\n') else {
            continue;
        };
        let lines: Vec<&str> = table
            .lines()
            .filter(|l| l.starts_with(['|', '+']))
            .collect();
        // Borders at 0, 2 and the end: rows are those after the second border.
        if lines.len() <= 4 || shown == batches {
            continue;
        }
        shown += 1;
        kept.push_str(&format!("Batch: {number}\n"));
        for l in lines.iter().take(3) {
            kept.push_str(&format!("{l}\n"));
        }
        let body = &lines[3..lines.len() - 1];
        for l in body.iter().take(rows) {
            kept.push_str(&format!("{l}\n"));
        }
        if body.len() > rows {
            kept.push_str(&format!("... ({} more rows)\n", body.len() - rows));
        }
        kept.push_str(&format!("{}\n\n", lines[lines.len() - 1]));
    }
    if summary {
        kept.push_str(&out.stderr);
    }
    Ok(kept)
}

/// `stream-sim run NAME [--check]` for a bundled Structured Streaming scenario: the summary
/// (stderr) and, with `check`, the verdict; the console sink's batches are left out.
fn structured_check(name: &str, check: bool) -> Result<String, String> {
    let path = crate::scenario::scenarios_dir()
        .join("structured")
        .join(format!("{name}.toml"));
    let sc = crate::scenario::structured::load(&path).map_err(|e| e.to_string())?;
    let out = crate::check::structured::run_command(&sc, None, false, check, None)?;
    Ok(out.stderr)
}
