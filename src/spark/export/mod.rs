//! `stream-sim export SCENARIO --to scala|pyspark [--out DIR] [--verify]`: a scenario as a
//! runnable Spark Streaming program.
//!
//! The program holds the scenario's pipeline, operator for operator (the table in
//! [`pipeline`], rendered by [`scala`] and [`pyspark`]), and two ways to run it:
//!
//! - **on a cluster** (`spark-submit`): the sources are Spark's (`socketTextStream` fed by the
//!   replay server `replay_server.py`, which sends the scenario's lines at their arrival
//!   times; `KafkaUtils.createDirectStream`; `textFileStream`);
//! - **locally on a manual clock** (`--local DATA_DIR`): `spark.streaming.clock =
//!   org.apache.spark.util.ManualClock`, advanced one batch interval at a time and waiting for
//!   each batch to complete, as Spark's `TestSuiteBase` and /work/shared/oracle's runners do.
//!   Each batch's input is the records the simulator's receiver put in that batch, partition
//!   by partition (`data/<source>.batches`), so the run is deterministic and comparable.
//!
//! What Spark has no knob for (fault schedules, the cost model, the sink's kind) is left out
//! and listed ([`Export::left_out`]), in the README and on stderr. A scenario of another model,
//! a simulator-only operator (the sketches) or a source Spark lacks (`csvEventStream`) is an
//! error naming it.
//!
//! [`verify`] runs the program on local Spark and compares it with the simulator batch by
//! batch.

pub mod pipeline;
pub mod plan;
pub mod pyspark;
pub mod scala;
pub mod types;
pub mod verify;

pub use plan::{
    escape, object_name, prepare, Batch, Inputs, OutputInfo, Plan, SimRun, SourceInfo,
    MAX_DRAIN_BATCHES, MAX_EXPORT_RECORDS, OUTPUT_OPS,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which Spark API the program is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Scala (the reference API; `spark-shell` / sbt + `spark-submit`).
    Scala,
    /// PySpark (`pyspark.streaming`).
    PySpark,
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Target, String> {
        match s {
            "scala" => Ok(Target::Scala),
            "pyspark" | "python" => Ok(Target::PySpark),
            other => Err(format!(
                "--to {other}: the targets are `scala` and `pyspark`"
            )),
        }
    }
}

/// The files of an exported program, by path relative to the output directory.
#[derive(Clone, Debug)]
pub struct Export {
    /// Path -> content.
    pub files: BTreeMap<String, String>,
    /// The program's own source files (what stdout shows without --out), in order.
    pub main_files: Vec<String>,
    /// What was left out, one sentence each (also in the README).
    pub left_out: Vec<String>,
}

/// The `data/<source>.batches` file: for each batch time of the run, `batch <ms> <partitions>`
/// (or `batch <ms> none` when the source had no RDD), then `<partition>\t<record>` lines.
fn batches_file(plan: &Plan, source: &str) -> String {
    let bi = plan.scenario.batch_interval.ms();
    let mut out = format!(
        "# stream-sim export: the records of source `{source}` per batch, partition by partition, as the simulator's receiver cut them\n"
    );
    let empty = BTreeMap::new();
    let m = plan.sim.inputs.get(source).unwrap_or(&empty);
    for k in 1..=plan.num_batches {
        let t = k * bi;
        match m.get(&t) {
            None => out.push_str(&format!("batch {t} none\n")),
            Some(parts) => {
                out.push_str(&format!("batch {t} {}\n", parts.len()));
                for (p, recs) in parts.iter().enumerate() {
                    for r in recs {
                        out.push_str(&format!("{p}\t{}\n", escape(r)));
                    }
                }
            }
        }
    }
    out
}

/// The `data/<source>.timed` file the replay server reads: `<arrival ms>\t<line>`.
fn timed_file(s: &SourceInfo) -> String {
    let mut out = String::new();
    for (t, l) in &s.timed {
        out.push_str(&format!("{t}\t{}\n", escape(l)));
    }
    out
}

/// Writes the program for `plan` in `target`.
///
/// # Errors
/// An operator or function with no translation, with its position.
pub fn export(plan: &Plan, target: Target) -> Result<Export, String> {
    let mut files = BTreeMap::new();
    let main_files = match target {
        Target::Scala => scala::write(plan, &mut files)?,
        Target::PySpark => pyspark::write(plan, &mut files)?,
    };
    for s in &plan.sources {
        files.insert(
            format!("data/{}.batches", s.name),
            batches_file(plan, &s.name),
        );
        if !s.timed.is_empty() {
            files.insert(format!("data/{}.timed", s.name), timed_file(s));
        }
    }
    if plan.sources.iter().any(|s| s.kind == "socketTextStream") {
        files.insert("replay_server.py".into(), REPLAY_SERVER.into());
    }
    files.insert("README.md".into(), readme(plan, target));
    Ok(Export {
        files,
        main_files,
        left_out: plan.left_out.clone(),
    })
}

/// Writes an export's files under `dir`.
///
/// # Errors
/// A file that cannot be written.
pub fn write_dir(export: &Export, dir: &Path) -> Result<(), String> {
    for (rel, text) in &export.files {
        let p: PathBuf = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// The replay server a socket source becomes: it sends a source's lines at their arrival
/// times (ms after a client connects), like `nc -lk 9999` typed by the scenario.
pub const REPLAY_SERVER: &str = r##"#!/usr/bin/env python3
"""Replays a stream-sim source over TCP, as `nc -lk PORT` would: each line of
data/SOURCE.timed ("<arrival ms>\t<line>") is sent at its arrival time after a client
(Spark's socket receiver) connects. Usage: replay_server.py data/lines.timed [PORT]"""
import socket
import sys
import time


def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def main():
    path = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 9999
    lines = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            ms, _, text = raw.rstrip("\n").partition("\t")
            lines.append((int(ms), unescape(text)))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(1)
    print("replaying %d lines of %s on port %d; waiting for Spark's receiver" % (len(lines), path, port))
    conn, _ = srv.accept()
    start = time.monotonic()
    for ms, text in lines:
        delay = start + ms / 1000.0 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        conn.sendall((text + "\n").encode("utf-8"))
    print("done; keeping the connection open (Ctrl-C to stop)")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
"##;

fn readme(plan: &Plan, target: Target) -> String {
    let sc = &plan.scenario;
    let name = &format!("streamsim.{}.{}", scala::package(plan), plan.object_name);
    let file = &plan.object_name;
    let mut r = format!(
        "# {} as a Spark Streaming program\n\nWritten by `stream-sim export {} --to {}` from `{}`.\n\n{}\n\n",
        sc.name,
        sc.name,
        match target {
            Target::Scala => "scala",
            Target::PySpark => "pyspark",
        },
        sc.path.display(),
        sc.description
    );
    r.push_str(&format!(
        "Batch interval {} ms; the scenario runs {} batches ({} ms).\n\n## Files\n\n",
        sc.batch_interval.ms(),
        plan.num_batches,
        sc.run_for.ms()
    ));
    match target {
        Target::Scala => r.push_str(&format!(
            "- `{file}.scala`: the pipeline (`{name}.pipeline`) and the local run on a manual clock (`{name}.runLocal`).\n- `{file}Cluster.scala`: `main` for `spark-submit`, with Spark's own sources.\n- `build.sbt`: builds the jar.\n"
        )),
        Target::PySpark => r.push_str(&format!(
            "- `{}.py`: the pipeline, the local run on a manual clock (`--local`) and the cluster run.\n",
            sc.name.replace('-', "_")
        )),
    }
    r.push_str("- `data/<source>.batches`: each batch's input records, partition by partition, as the simulator's receiver cut them (the local run replays them).\n");
    if plan.sources.iter().any(|s| !s.timed.is_empty()) {
        r.push_str("- `data/<source>.timed`: every line with its arrival time in ms (the replay server sends them).\n");
    }
    if plan.sources.iter().any(|s| s.kind == "socketTextStream") {
        r.push_str("- `replay_server.py`: a socket source as a server: `python3 replay_server.py data/<source>.timed 9999` sends the lines at their arrival times, like `nc -lk 9999`.\n");
    }
    r.push_str("\n## Run it on a cluster\n\n");
    let socket_args: Vec<String> = plan
        .sources
        .iter()
        .filter(|s| s.kind == "socketTextStream")
        .enumerate()
        .map(|(i, s)| {
            format!(
                "# python3 replay_server.py data/{}.timed {}",
                s.name,
                9999 + i
            )
        })
        .collect();
    if !socket_args.is_empty() {
        r.push_str(&format!(
            "Start the replay server(s) first, on a host the executors reach:\n\n```sh\n{}\n```\n\n",
            socket_args.join("\n").replace("# ", "")
        ));
    }
    let kafka = plan.sources.iter().any(|s| s.kind == "kafkaDirectStream");
    if kafka {
        r.push_str("A Kafka source reads the topic named after the source (`events`): load it first, e.g. `cut -f2- data/events.timed | kafka-console-producer.sh --bootstrap-server HOST:9092 --topic events`.\n\n");
    }
    match target {
        Target::Scala => r.push_str(&format!(
            "```sh\nsbt package\nspark-submit --class {name}Cluster --master spark://MASTER:7077{} target/scala-2.12/{}_2.12-0.1.jar HOST 9999 hdfs:///checkpoints/{}\n```\n\nArguments: the host and first port of the socket sources (or the Kafka bootstrap servers), and the checkpoint directory.\n",
            if kafka { " --packages org.apache.spark:spark-streaming-kafka-0-10_2.12:3.5.3" } else { "" },
            sc.name.to_lowercase(),
            sc.name
        )),
        Target::PySpark => r.push_str(&format!(
            "```sh\nspark-submit --master spark://MASTER:7077 {}.py HOST 9999 hdfs:///checkpoints/{}\n```\n",
            sc.name.replace('-', "_"),
            sc.name
        )),
    }
    r.push_str("\n## Run it locally, deterministically\n\nSpark's clock becomes `org.apache.spark.util.ManualClock`, advanced one batch interval at a time; each batch waits for the previous one to complete, and its input is `data/<source>.batches`. The printed output is then the simulator's (`stream-sim run ");
    r.push_str(&sc.name);
    r.push_str("`), batch for batch.\n\n```sh\n");
    match target {
        Target::Scala => r.push_str(&format!(
            "spark-shell --master local[2] --conf spark.streaming.clock=org.apache.spark.util.ManualClock\nscala> :paste -raw {file}.scala\nscala> {name}.runLocal(\"data\", false)\n"
        )),
        Target::PySpark => r.push_str(&format!(
            "python3 {}.py --local data\n",
            sc.name.replace('-', "_")
        )),
    }
    r.push_str(&format!(
        "```\n\n`stream-sim export {} --verify{}` does this and compares every batch with the simulator.\n",
        sc.name,
        if target == Target::PySpark { " --to pyspark" } else { "" }
    ));
    if !plan.conf.is_empty() {
        r.push_str("\n## Spark settings carried over\n\n");
        for (k, v) in &plan.conf {
            r.push_str(&format!("- `{k}` = `{v}`\n"));
        }
    }
    r.push_str("\n## Left out\n\n");
    if plan.left_out.is_empty() {
        r.push_str("Nothing: the scenario uses only Spark features.\n");
    } else {
        for l in &plan.left_out {
            r.push_str(&format!("- {l}\n"));
        }
    }
    if target == Target::PySpark {
        r.push_str("\nPySpark re-implements a few operators in Python: its reduceByKeyAndWindow with an inverse function recomputes the window unless the window is at least 5 slides, so keys at zero vanish where Scala keeps them as `(a,0)`. Scala is the reference.\n");
    }
    r
}

/// `stream-sim export SCENARIO [--to scala|pyspark] [--out DIR]` (without `--verify`):
/// exports one scenario and writes it to `out`, or returns the program's main files as the
/// text to print. Returns that text and the notes for stderr (what was left out, where the
/// files went).
///
/// # Errors
/// Not exactly one scenario, a scenario that cannot be exported (named in the message), or
/// a file that cannot be written.
pub fn write_command(
    names: &[String],
    target: Target,
    out: Option<&Path>,
) -> Result<(String, Vec<String>), String> {
    let [name] = names else {
        return Err("export writes one scenario at a time (several only with --verify)".into());
    };
    let plan = prepare(name)?;
    let mut notes: Vec<String> = plan
        .left_out
        .iter()
        .map(|l| format!("export: left out: {l}"))
        .collect();
    let ex = export(&plan, target)?;
    let mut stdout = String::new();
    match out {
        Some(dir) => {
            write_dir(&ex, dir)?;
            notes.push(format!(
                "wrote {} files to {}",
                ex.files.len(),
                dir.display()
            ));
        }
        None => {
            for f in &ex.main_files {
                if ex.main_files.len() > 1 {
                    stdout.push_str(&format!("// ---- {f}\n"));
                }
                stdout.push_str(ex.files[f].trim_end());
                stdout.push('\n');
            }
        }
    }
    Ok((stdout, notes))
}
