//! A scenario read for export: its program with every output's stream named, its sources,
//! what Spark lacks (left out), the Spark settings carried over, and the simulator's
//! fault-free run that gives each batch's input and the outputs `--verify` compares.

use super::pipeline::{classify, Call};
use super::types::Ty;
use crate::scenario::ast::{Expr, ExprKind, Ident, Program, Span, Statement};
use crate::scenario::spec::{Scenario, SourceKind};
use crate::scenario::{self, RunOptions};
use crate::sim::{Duration, Time};
use crate::value::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The most records of input a program's data files may hold (the `.batches` files are read
/// whole by the driver): 2,000,000.
pub const MAX_EXPORT_RECORDS: usize = 2_000_000;

/// How many batch intervals past the run's end the simulator may run to complete the
/// batches it generated before the end (a scenario that falls behind): 10,000.
pub const MAX_DRAIN_BATCHES: u64 = 10_000;

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

/// Per source, per batch time, the records per partition.
pub type Inputs = BTreeMap<String, BTreeMap<u64, Vec<Vec<String>>>>;

/// What the simulator computed, fault-free: each source's batches (`None`: no RDD) and each
/// output's batches.
#[derive(Clone, Debug, Default)]
pub struct SimRun {
    /// Per source, per batch time, the records per partition.
    pub inputs: Inputs,
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

/// The language a writer renders calls in.
pub trait Lang {
    /// The code of operator call `call` on the stream whose code is `recv`.
    fn call(&self, recv: &str, call: &Call) -> Result<String, String>;
}

/// Writes an output operation's call (`print(..)`, `saveAsTextFiles(..)`) in one language
/// from its name and its arguments (`None` without parentheses).
pub type OutputCall = dyn Fn(&str, Option<&[Expr]>) -> Result<String, String>;

/// The program's pipeline, one line per statement of the scenario (indented 4): each
/// stream defined (`bind` is Scala's `val ` or Python's nothing before the name), and each
/// output operation, written by `output` from its name and arguments, followed by the
/// harness's `capture(stream, n)` that records the n-th output's batches for `--verify`.
///
/// # Errors
/// An operator or function with no translation in `lang`, with its position.
pub fn pipeline_body(
    plan: &Plan,
    lang: &dyn Lang,
    bind: &str,
    output: &OutputCall,
) -> Result<Vec<String>, String> {
    let sc = &plan.scenario;
    let mut env: BTreeMap<String, Ty> = plan
        .sources
        .iter()
        .map(|s| (s.name.clone(), Ty::Str))
        .collect();
    let mut body = Vec::new();
    let mut outputs_seen = 0;
    for st in &sc.program.statements {
        if let ExprKind::Method {
            recv,
            name: m,
            args,
        } = &st.expr.kind
        {
            if OUTPUT_OPS.contains(&m.name.as_str()) {
                let (code, _) = stream_code(sc, recv, &env, lang)?;
                let call = output(&m.name, args.as_deref())?;
                outputs_seen += 1;
                body.push(format!("    {code}.{call}"));
                body.push(format!("    capture({code}, {outputs_seen})"));
                continue;
            }
        }
        let (code, t) = stream_code(sc, &st.expr, &env, lang)?;
        match &st.target {
            Some(n) => {
                body.push(format!("    {bind}{} = {code}", n.name));
                env.insert(n.name.clone(), t);
            }
            None => body.push(format!("    {code}")),
        }
    }
    Ok(body)
}

/// `file:line:col` of a span in the scenario.
pub fn at(sc: &Scenario, span: Span) -> String {
    format!("{}:{}:{}", sc.path.display(), span.line, span.col)
}

/// The code of a stream expression in `lang`, and its element type.
pub fn stream_code(
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
/// Why a broadcast statement (`x = sc.broadcast(v)`, `object X { ... }`) is not exported, if
/// `e` is one: what the scenario shows is the driver's recovery from a checkpoint, and the
/// exported program runs in one JVM on a ManualClock without a driver restart.
fn broadcast_statement(e: &Expr) -> Option<&'static str> {
    let singleton = matches!(&e.kind, ExprKind::Call { func, .. }
        if func.name == crate::scenario::parse::LAZY_SINGLETON);
    let broadcast = matches!(&e.kind, ExprKind::Method { name, .. } if name.name == "broadcast");
    (singleton || broadcast).then_some(
        "broadcast variables are not exported: what they show is a driver's restart from \
         the checkpoint, which the exported program (one JVM, no restart) cannot do; \
         scripts/oracle-broadcast.sh runs the same pipeline on Spark in two JVMs",
    )
}

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
        if let Some(why) = broadcast_statement(&st.expr) {
            return Err(format!("{}: {why}", at(sc, st.span)));
        }
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
    if sc.default_parallelism != 2 {
        out.push((
            "spark.default.parallelism".into(),
            sc.default_parallelism.to_string(),
        ));
    }
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
    let inputs: Rc<RefCell<Inputs>> = Rc::default();
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
    // A scenario that falls behind (its cost model) has batches generated and not yet run at
    // `end`: run on until the last batch up to `end` has completed, then keep only those.
    let bi = plan.scenario.batch_interval.ms().max(1);
    let mut drained = 0;
    while built.ssc.pending_times().first().is_some_and(|t| *t <= end)
        && drained < MAX_DRAIN_BATCHES
    {
        let next = built.ssc.now().plus(Duration::from_ms(bi));
        built.ssc.run_until(next).map_err(|e| {
            format!(
                "the simulator failed on the fault-free run: {}",
                built.locate(&e)
            )
        })?;
        drained += 1;
    }
    if drained >= MAX_DRAIN_BATCHES {
        return Err(format!(
            "the simulator's fault-free run never completes batch {} ms (not within MAX_DRAIN_BATCHES = {MAX_DRAIN_BATCHES} more batch intervals): the scenario's cluster never runs its batches (receivers holding every core?), so there is no output to export or compare",
            end.ms()
        ));
    }
    if let Some(msg) = bad.borrow().clone() {
        return Err(msg);
    }
    if *count.borrow() > MAX_EXPORT_RECORDS {
        return Err(format!(
            "the run's input holds {} records, over MAX_EXPORT_RECORDS ({MAX_EXPORT_RECORDS}): shorten run_for",
            count.borrow()
        ));
    }
    let mut inputs = inputs.borrow().clone();
    for m in inputs.values_mut() {
        m.retain(|t, _| *t <= end.ms());
    }
    let mut outputs = outputs.borrow().clone();
    for o in &mut outputs {
        o.retain(|(t, _)| *t <= end.ms());
    }
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
