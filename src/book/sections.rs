//! Snippets of the sections added to the course for issue 17 after the answer keys: the
//! foreachRDD connection patterns (chapter 8), accumulators and broadcast variables after a
//! driver restart (chapter 7), timelines of recovery (chapters 5 to 7), quantiles and
//! windowed sketches (chapter 10) and the event-time chapter (13). Each runs a bundled
//! scenario or an edited copy of one, as the text's command would.

use super::{edited, load, options, print_output, print_sc, secs, Make};
use crate::scenario::Scenario;
use crate::sim::Time;
use std::fmt::Write as _;

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
    ]
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

#[allow(dead_code)]
fn _uses(_: Scenario, _: Time) {
    let _ = (load, options);
}
