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
pub mod pyspark;
pub mod scala;
pub mod types;
pub mod verify;

use crate::scenario::ast::{Expr, ExprKind, Ident, Program, Span, Statement};
use crate::scenario::spec::{Scenario, SourceKind};
use crate::scenario::{self, RunOptions};
use crate::sim::{Duration, Time};
use crate::value::Value;
use pipeline::{classify, Call};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use types::Ty;

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

/// The most records of input a program's data files may hold (the `.batches` files are read
/// whole by the driver): 2,000,000.
pub const MAX_EXPORT_RECORDS: usize = 2_000_000;

/// A source as the program sees it.
#[derive(Clone, Debug)]
pub struct SourceInfo {
    /// The stream's name.
    pub name: String,
    /// `socketTextStream`, `kafkaDirectStream`, `queueStream` or `textFileStream`.
    pub kind: &'static str,
    /// Kafka topic partitions (kafkaDirectStream).
    pub partitions: usize,
    /// Every record with its arrival time (ms) up to the run's end (socket and Kafka).
    pub timed: Vec<(u64, String)>,
}

/// One output operation: its index (1-based, program order), the stream it prints and the
/// call as written.
#[derive(Clone, Debug)]
pub struct OutputInfo {
    /// 1-based, in program order (Spark runs output operations in this order).
    pub index: usize,
    /// The stream variable.
    pub stream: String,
    /// `print(10)` or `saveAsTextFiles("out/counts")`, as written.
    pub text: String,
    /// `file:line:col`.
    pub at: String,
}

/// One batch of a stream as both sides print it: its time, partition count and every
/// record's printed text, partition by partition.
pub type Batch = (u64, Vec<Vec<String>>);

/// What the simulator computed, fault-free: each source's batches (`None`: no RDD) and each
/// output's batches.
#[derive(Clone, Debug, Default)]
pub struct SimRun {
    /// Per source, per batch time, the records per partition.
    pub inputs: BTreeMap<String, BTreeMap<u64, Vec<Vec<String>>>>,
    /// Per output (index order), its batches.
    pub outputs: Vec<Vec<Batch>>,
}

/// A scenario ready to export: the program with every output's stream named, the sources,
/// the outputs, what is left out, and the simulator's run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario (program rewritten so every output prints a named stream).
    pub scenario: Scenario,
    /// The scenario's name, as a program name (`Wordcount`).
    pub object_name: String,
    /// The sources in name order.
    pub sources: Vec<SourceInfo>,
    /// The outputs in program order.
    pub outputs: Vec<OutputInfo>,
    /// What the program leaves out, one sentence each.
    pub left_out: Vec<String>,
    /// Spark settings carried over (`spark.streaming.receiver.maxRate`, ...).
    pub conf: Vec<(String, String)>,
    /// Batches the run covers.
    pub num_batches: u64,
    /// The simulator's fault-free run.
    pub sim: SimRun,
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

/// The language a writer renders calls in.
pub(crate) trait Lang {
    /// The code of operator call `call` on the stream whose code is `recv`.
    fn call(&self, recv: &str, call: &Call) -> Result<String, String>;
}

/// `file:line:col` of a span in the scenario.
pub(crate) fn at(sc: &Scenario, span: Span) -> String {
    format!("{}:{}:{}", sc.path.display(), span.line, span.col)
}

/// The code of a stream expression in `lang`, and its element type.
pub(crate) fn stream_code(
    sc: &Scenario,
    e: &Expr,
    env: &BTreeMap<String, Ty>,
    lang: &dyn Lang,
) -> Result<(String, Ty), String> {
    match &e.kind {
        ExprKind::Var(n) => match env.get(n) {
            Some(t) => Ok((n.clone(), t.clone())),
            None if sc.datasets.contains_key(n) => Err(format!(
                "{}: the dataset `{n}` is not exported (a static RDD the program would have to ship and parse); use a queueStream or a join inside the pipeline instead",
                at(sc, e.span)
            )),
            None => Err(format!("{}: `{n}` is not a stream", at(sc, e.span))),
        },
        ExprKind::Method { recv, name, args } => {
            let (code, t) = stream_code(sc, recv, env, lang)?;
            let empty = Vec::new();
            let args = args.as_ref().unwrap_or(&empty);
            let mut other = |a: &Expr| -> Result<Option<(String, Ty)>, String> {
                match &a.kind {
                    ExprKind::Var(n) if env.contains_key(n) => {
                        Ok(Some((n.clone(), env[n].clone())))
                    }
                    ExprKind::Method { .. } => stream_code(sc, a, env, lang).map(Some),
                    _ => Ok(None),
                }
            };
            let call = classify(&name.name, args, &t, name.span, &mut other)
                .map_err(|m| format!("{}: {m}", at(sc, name.span)))?;
            let text = lang
                .call(&code, &call)
                .map_err(|m| format!("{}: {m}", at(sc, name.span)))?;
            Ok((text, call.out_ty))
        }
        _ => Err(format!(
            "{}: this expression is not a stream Spark can build",
            at(sc, e.span)
        )),
    }
}

/// The output operations Spark has (`foreachRDD` bodies are not part of the language).
pub const OUTPUT_OPS: &[&str] = &["print", "saveAsTextFiles"];

/// A program name from a scenario name: `book-windows` -> `BookWindows`.
pub fn object_name(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut cs = part.chars();
        if let Some(c) = cs.next() {
            out.push(c.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Scenario");
    }
    out
}

/// Reads a scenario for export.
///
/// # Errors
/// Another model's scenario, a source Spark lacks, a program that fails in the simulator.
pub fn prepare(name_or_path: &str) -> Result<Plan, String> {
    let path = scenario::resolve(name_or_path).map_err(|e| e.to_string())?;
    let text = scenario::read_text(&path).map_err(|e| e.to_string())?;
    if let Ok(t) = toml::from_str::<toml::Table>(&text) {
        if let Some(m) = t.get("model").and_then(|m| m.as_str()) {
            if m != "dstream" {
                return Err(format!(
                    "{}: model = \"{m}\": export writes Spark Streaming (DStream) programs; a {m} scenario has no DStream pipeline to export",
                    path.display()
                ));
            }
        }
    }
    let mut sc = scenario::load(&path).map_err(|e| e.to_string())?;
    let (program, outputs) = name_outputs(&sc)?;
    sc.program = program;
    let mut sources = Vec::new();
    let end = Time::ZERO.plus(sc.run_for);
    for s in &sc.sources {
        let timed = |r: &crate::io::sources::TimedRecords| -> Vec<(u64, String)> {
            r.iter()
                .filter(|(t, _)| *t <= end)
                .map(|(t, v)| (t.ms(), v.to_string()))
                .collect()
        };
        let (kind, partitions, timed) = match &s.kind {
            SourceKind::Socket { records, .. } => ("socketTextStream", 0, timed(records)),
            SourceKind::KafkaDirect {
                records,
                partitions,
            } => ("kafkaDirectStream", *partitions, timed(records)),
            SourceKind::Queue { .. } | SourceKind::Batches { .. } => ("queueStream", 0, vec![]),
            SourceKind::Files { .. } => ("textFileStream", 0, vec![]),
            SourceKind::Csv { .. } => {
                return Err(format!(
                    "{}:{}:{}: source `{}` is a csvEventStream, the simulator's replay of CSV rows by event time: Spark Streaming has no such source, so the scenario cannot be exported",
                    sc.path.display(), s.span.line, s.span.col, s.name
                ))
            }
        };
        sources.push(SourceInfo {
            name: s.name.clone(),
            kind,
            partitions,
            timed,
        });
    }
    let left_out = left_out(&sc);
    let conf = carried_conf(&sc);
    let num_batches = sc.run_for.ms() / sc.batch_interval.ms().max(1);
    let mut plan = Plan {
        object_name: object_name(&sc.name),
        scenario: sc,
        sources,
        outputs,
        left_out,
        conf,
        num_batches,
        sim: SimRun::default(),
    };
    plan.sim = simulate(&plan)?;
    Ok(plan)
}

/// The program with every output operation's receiver a named stream (`lines.count().print()`
/// becomes `output1 = lines.count()` then `output1.print()`), and the outputs.
fn name_outputs(sc: &Scenario) -> Result<(Program, Vec<OutputInfo>), String> {
    let taken: std::collections::BTreeSet<String> = sc
        .program
        .statements
        .iter()
        .filter_map(|s| s.target.as_ref().map(|t| t.name.clone()))
        .chain(sc.sources.iter().map(|s| s.name.clone()))
        .collect();
    let mut statements = Vec::new();
    let mut outputs = Vec::new();
    for st in &sc.program.statements {
        let ExprKind::Method { recv, name, args } = &st.expr.kind else {
            statements.push(st.clone());
            continue;
        };
        if !OUTPUT_OPS.contains(&name.name.as_str()) {
            if name.name == "foreachRDD" {
                return Err(format!("{}: foreachRDD is not exported", at(sc, name.span)));
            }
            statements.push(st.clone());
            continue;
        }
        let index = outputs.len() + 1;
        let stream = match &recv.kind {
            ExprKind::Var(n) => n.clone(),
            _ => {
                let mut n = format!("output{index}");
                while taken.contains(&n) {
                    n.push('_');
                }
                statements.push(Statement {
                    target: Some(Ident {
                        name: n.clone(),
                        span: recv.span,
                    }),
                    expr: (**recv).clone(),
                    span: st.span,
                });
                n
            }
        };
        let call = Expr {
            kind: ExprKind::Method {
                recv: Box::new(Expr {
                    kind: ExprKind::Var(stream.clone()),
                    span: recv.span,
                }),
                name: name.clone(),
                args: args.clone(),
            },
            span: st.expr.span,
        };
        let text = crate::scenario::parse::unparse(&call);
        statements.push(Statement {
            target: None,
            expr: call,
            span: st.span,
        });
        outputs.push(OutputInfo {
            index,
            stream,
            text,
            at: at(sc, name.span),
        });
    }
    Ok((Program { statements }, outputs))
}

/// What the exported program leaves out, one sentence each.
fn left_out(sc: &Scenario) -> Vec<String> {
    let c = &sc.cluster;
    let d = crate::cluster::ClusterConfig::default();
    let mut out = Vec::new();
    if !c.faults.faults.is_empty() {
        out.push(format!(
            "the fault schedule ({} fault line(s)): Spark has no fault injection; kill executors or the driver by hand to try it",
            c.faults.faults.len()
        ));
    }
    if c.random_faults.is_some() {
        out.push("the random fault rates: a simulator knob".into());
    }
    if c.expect.is_some() {
        out.push(
            "`expect` (the guarantee the checker asserts): the simulator's checker, not Spark's"
                .into(),
        );
    }
    if format!("{:?}", c.sink) != format!("{:?}", d.sink) {
        out.push(format!(
            "the sink kind ({:?}): the simulator's model of an output store; print() is kept",
            c.sink
        ));
    }
    if format!("{:?}", c.cost) != format!("{:?}", d.cost) {
        out.push(
            "the cost model (time per record, stragglers): Spark takes the time it takes".into(),
        );
    }
    if (c.workers, c.cores_per_worker, c.replication)
        != (d.workers, d.cores_per_worker, d.replication)
        || c.wal != d.wal
    {
        out.push(format!(
            "the cluster's shape ({} workers x {} cores, replication {}, WAL {}): set these with spark-submit (--num-executors, --executor-cores) and spark.streaming.receiver.writeAheadLog.enable",
            c.workers, c.cores_per_worker, c.replication, c.wal
        ));
    }
    if !c.disabled.is_empty() {
        out.push("disabled mechanisms: a simulator knob".into());
    }
    out
}

/// The `[conf]` settings the program sets on its SparkConf, under Spark's names.
fn carried_conf(sc: &Scenario) -> Vec<(String, String)> {
    let c = &sc.cluster.conf;
    let mut out = Vec::new();
    if let Some(r) = c.receiver_max_rate {
        out.push(("spark.streaming.receiver.maxRate".into(), r.to_string()));
    }
    if c.backpressure {
        out.push(("spark.streaming.backpressure.enabled".into(), "true".into()));
    }
    if let Some(r) = c.initial_rate {
        out.push((
            "spark.streaming.backpressure.initialRate".into(),
            r.to_string(),
        ));
    }
    if let Some(r) = c.kafka_max_rate_per_partition {
        out.push((
            "spark.streaming.kafka.maxRatePerPartition".into(),
            r.to_string(),
        ));
    }
    out
}

/// Runs the scenario in the simulator without its faults, recording each source's batches
/// and each output's batches.
fn simulate(plan: &Plan) -> Result<SimRun, String> {
    let mut sc = plan.scenario.clone();
    sc.cluster.faults = Default::default();
    sc.cluster.random_faults = None;
    let (built, _) = sc
        .build_graph(&RunOptions::default())
        .map_err(|e| e.to_string())?;
    let inputs: Rc<RefCell<BTreeMap<String, BTreeMap<u64, Vec<Vec<String>>>>>> = Rc::default();
    let bad: Rc<RefCell<Option<String>>> = Rc::default();
    let count: Rc<RefCell<usize>> = Rc::default();
    for s in &plan.sources {
        let Some(stream) = built.streams.get(&s.name) else {
            continue;
        };
        let (sink, bad, name, count) = (
            Rc::clone(&inputs),
            Rc::clone(&bad),
            s.name.clone(),
            Rc::clone(&count),
        );
        stream
            .foreach_rdd(move |rdd, t| {
                let mut parts = Vec::new();
                for p in rdd.partitions() {
                    let mut recs = Vec::new();
                    for v in p.iter() {
                        match v {
                            Value::Str(s) => recs.push(s.to_string()),
                            other => {
                                bad.borrow_mut().get_or_insert(format!(
                                    "source `{name}` holds {other}, not a line of text: the exported program reads text sources only"
                                ));
                            }
                        }
                    }
                    *count.borrow_mut() += recs.len();
                    parts.push(recs);
                }
                sink.borrow_mut()
                    .entry(name.clone())
                    .or_default()
                    .insert(t.ms(), parts);
            })
            .map_err(|e| e.to_string())?;
    }
    let outputs: Rc<RefCell<Vec<Vec<Batch>>>> =
        Rc::new(RefCell::new(vec![Vec::new(); plan.outputs.len()]));
    for o in &plan.outputs {
        let stream = built
            .streams
            .get(&o.stream)
            .ok_or_else(|| format!("{}: no stream `{}`", o.at, o.stream))?;
        let sink = Rc::clone(&outputs);
        let i = o.index - 1;
        stream
            .foreach_rdd(move |rdd, t| {
                let parts = rdd
                    .partitions()
                    .iter()
                    .map(|p| p.iter().map(|v| v.to_string()).collect())
                    .collect();
                sink.borrow_mut()[i].push((t.ms(), parts));
            })
            .map_err(|e| e.to_string())?;
    }
    built.ssc.start().map_err(|e| e.to_string())?;
    let end = Time::ZERO.plus(Duration::from_ms(
        plan.num_batches * plan.scenario.batch_interval.ms(),
    ));
    built.ssc.run_until(end).map_err(|e| {
        format!(
            "the simulator failed on the fault-free run: {}",
            built.locate(&e)
        )
    })?;
    if let Some(msg) = bad.borrow().clone() {
        return Err(msg);
    }
    if *count.borrow() > MAX_EXPORT_RECORDS {
        return Err(format!(
            "the run's input holds {} records, over MAX_EXPORT_RECORDS ({MAX_EXPORT_RECORDS}): shorten run_for",
            count.borrow()
        ));
    }
    let inputs = inputs.borrow().clone();
    let outputs = outputs.borrow().clone();
    Ok(SimRun { inputs, outputs })
}

/// Escapes a record for the data and capture files: `\` `\t` `\n` `\r` as two characters.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
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
