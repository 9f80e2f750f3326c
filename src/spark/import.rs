//! `stream-sim import`: a Spark Streaming program (Scala, the guide's style) to a scenario.
//!
//! Follows `StreamingContext.scala` of Spark 3.5 for the context-level calls: `new
//! StreamingContext(conf, batchDuration)`, `ssc.checkpoint(directory)`,
//! `ssc.socketTextStream(hostname, port[, storageLevel])`, `ssc.textFileStream(directory)`,
//! `ssc.start()`, `ssc.awaitTermination()`. The `object`/`def main` wrapper, `package` and
//! `import` lines, `SparkConf` and the guide examples' argument checks are read and
//! skipped. The DStream operations are kept as written (the scenario parser reads the
//! guide's Scala) and printed back in the pipeline language.

use crate::scenario::ast::{Expr, ExprKind, Literal, Span, Statement};
use crate::scenario::operators::OPERATORS;
use crate::scenario::parse::{parse_program, unparse};
use crate::sim::Duration;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// Options of the import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The text replayed by socket and file sources (a path written into the scenario).
    pub data: String,
    /// Lines per second of a socket source.
    pub rate: f64,
    /// How long the scenario runs.
    pub run_for: Duration,
}

/// An error of the import, already `Prog.scala:line:col: message`.
pub type ImportError = String;

fn at(file: &str, s: Span, msg: impl std::fmt::Display) -> ImportError {
    format!("{file}:{}:{}: {msg}", s.line, s.col)
}

/// Blanks (with spaces, so positions stay) the lines the import skips: `package`, the
/// `object ... {` and `def main(...) {` wrappers and their closing braces, the examples'
/// `if (args.length < N) { ... }` checks, `StreamingExamples.setStreamingLogLevels()`,
/// `System.exit(..)`, `ssc.start()` and `ssc.awaitTermination()`.
fn strip(text: &str) -> String {
    let blank = |l: &str| " ".repeat(l.chars().count());
    let mut out = Vec::new();
    let mut wrappers = 0usize;
    let mut skip_depth: Option<i32> = None;
    for line in text.lines() {
        let t = line.split("//").next().unwrap_or(line).trim();
        if let Some(d) = skip_depth.as_mut() {
            *d += t.matches('{').count() as i32 - t.matches('}').count() as i32;
            if *d <= 0 {
                skip_depth = None;
            }
            out.push(blank(line));
            continue;
        }
        let is_wrapper =
            (t.starts_with("object ") || t.starts_with("def main")) && t.ends_with('{');
        if is_wrapper {
            wrappers += 1;
            out.push(blank(line));
        } else if t.starts_with("if (args.length") {
            let d = t.matches('{').count() as i32 - t.matches('}').count() as i32;
            if d > 0 {
                skip_depth = Some(d);
            }
            out.push(blank(line));
        } else if t.starts_with("package ")
            || t.starts_with("StreamingExamples.")
            || t.starts_with("System.exit")
            || t.ends_with(".start()")
            || t.ends_with(".awaitTermination()")
            || t.contains(".awaitTerminationOrTimeout(")
        {
            out.push(blank(line));
        } else {
            out.push(line.to_string());
        }
    }
    // the wrappers' closing braces: the last `wrappers` lines that are a lone `}`
    for l in out.iter_mut().rev() {
        if wrappers == 0 {
            break;
        }
        if l.trim() == "}" {
            *l = blank(l);
            wrappers -= 1;
        }
    }
    out.join("\n")
}

fn string_arg(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Lit(Literal::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The method name and arguments of `recv.name(args)` when `recv` is the variable `ctx`.
fn context_call<'a>(e: &'a Expr, ctx: &str) -> Option<(&'a str, &'a [Expr], Span)> {
    match &e.kind {
        ExprKind::Method {
            recv,
            name,
            args: Some(args),
        } if matches!(&recv.kind, ExprKind::Var(v) if v == ctx) => {
            Some((name.name.as_str(), args.as_slice(), name.span))
        }
        _ => None,
    }
}

/// The root of a method chain (`SparkConf` of `new SparkConf().setMaster(..)`).
fn chain_root(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Method { recv, .. } => chain_root(recv),
        _ => e,
    }
}

/// Every method name called on a stream in `e` that is not an operator we model.
fn unknown_methods(e: &Expr, streams: &BTreeSet<String>, out: &mut Vec<(String, Span)>) {
    if let ExprKind::Method { recv, name, args } = &e.kind {
        let on_stream = match &chain_root(recv).kind {
            ExprKind::Var(v) => streams.contains(v),
            _ => false,
        };
        if on_stream && !OPERATORS.iter().any(|(n, _)| *n == name.name) && name.name != "foreachRDD"
        {
            out.push((name.name.clone(), name.span));
        }
        unknown_methods(recv, streams, out);
        for a in args.iter().flatten() {
            if !matches!(a.kind, ExprKind::Lambda { .. }) {
                unknown_methods(a, streams, out);
            }
        }
    }
}

/// Reads a Spark Streaming program and returns the scenario's TOML text.
///
/// `file` names the program in messages (`Prog.scala:line:col: ...`).
///
/// # Errors
/// A syntax error, a program without `new StreamingContext(conf, batchDuration)`, a source
/// other than socketTextStream or textFileStream (a queueStream's queue is filled at run
/// time, so its contents cannot be read from the program), or an operation stream-sim does
/// not model (`mapWithState`, `foreachRDD`, ...), each at its position in the file.
pub fn import_scala(file: &str, text: &str, opts: &ImportOptions) -> Result<String, ImportError> {
    let stripped = strip(text);
    let program = parse_program(&stripped).map_err(|e| at(file, e.span, &e.message))?;
    let mut ctx_name: Option<String> = None;
    let mut batch: Option<Duration> = None;
    let mut checkpoint: Option<String> = None;
    let mut sources: Vec<(String, String)> = Vec::new();
    let mut streams: BTreeSet<String> = BTreeSet::new();
    let mut pipeline: Vec<Statement> = Vec::new();
    for st in program.statements {
        let e = &st.expr;
        // new StreamingContext(conf, Seconds(1))
        if let ExprKind::Call { func, args } = &chain_root(e).kind {
            match func.name.as_str() {
                "StreamingContext" => {
                    let d = args.iter().find_map(|a| match &a.kind {
                        ExprKind::Lit(Literal::Duration(d)) => Some(*d),
                        _ => None,
                    });
                    let Some(d) = d else {
                        return Err(at(
                            file,
                            func.span,
                            "new StreamingContext(conf, batchDuration): the batch duration must be \
                             written as Seconds(n), Milliseconds(n) or Minutes(n)",
                        ));
                    };
                    batch = Some(d);
                    ctx_name = st.target.as_ref().map(|t| t.name.clone());
                    continue;
                }
                "SparkConf" | "SparkContext" => continue,
                _ => {}
            }
        }
        if let Some(ctx) = &ctx_name {
            if let Some((name, args, span)) = context_call(e, ctx) {
                match name {
                    "checkpoint" => {
                        checkpoint = args.first().and_then(string_arg);
                        continue;
                    }
                    "socketTextStream" | "textFileStream" => {
                        let Some(t) = &st.target else {
                            return Err(at(file, span, format!("the stream of {name} needs a name: `val lines = {ctx}.{name}(...)`")));
                        };
                        streams.insert(t.name.clone());
                        sources.push((t.name.clone(), name.to_string()));
                        continue;
                    }
                    "queueStream" => {
                        return Err(at(
                            file,
                            span,
                            "queueStream: the queue's RDDs are added at run time, so the import \
                             cannot read them; write them as `[sources.NAME] type = \"queueStream\"` \
                             with `batches = [[...], ...]` in the scenario",
                        ))
                    }
                    "sparkContext" | "remember" | "start" | "awaitTermination"
                    | "awaitTerminationOrTimeout" | "stop" => continue,
                    other => {
                        return Err(at(
                            file,
                            span,
                            format!(
                                "`{ctx}.{other}` is not modelled by stream-sim's import; \
                                 supported: socketTextStream, textFileStream, checkpoint, \
                                 union, transform, start, awaitTermination"
                            ),
                        ))
                    }
                }
            }
        }
        let mut bad = Vec::new();
        unknown_methods(e, &streams, &mut bad);
        if let Some((m, s)) = bad.first() {
            return Err(at(
                file,
                *s,
                format!(
                    "`{m}` is not an operation stream-sim models; supported: {}",
                    OPERATORS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if let Some(t) = &st.target {
            streams.insert(t.name.clone());
        }
        // ssc.union(...) / ssc.transform(...) were rewritten onto the streams by the parser
        pipeline.push(st);
    }
    let Some(batch) = batch else {
        return Err(format!(
            "{file}: no `new StreamingContext(conf, Seconds(n))`: the import needs the batch interval"
        ));
    };
    if sources.is_empty() {
        return Err(format!(
            "{file}: no input stream: the import reads ssc.socketTextStream(host, port) and \
             ssc.textFileStream(directory)"
        ));
    }
    let stem = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("imported")
        .to_string();
    let mut out = String::new();
    let _ = writeln!(out, "# Imported from {file} by `stream-sim import`.");
    let _ = writeln!(out, "name = {:?}", stem);
    let _ = writeln!(
        out,
        "description = {:?}",
        format!("{stem}, imported from the Spark Streaming program {file}")
    );
    out.push_str("\npipeline = '''\n");
    for st in &pipeline {
        if let Some(t) = &st.target {
            let _ = write!(out, "{} = ", t.name);
        }
        let _ = writeln!(out, "{}", unparse(&st.expr));
    }
    out.push_str("'''\n\n[context]\n");
    let _ = writeln!(out, "batch_interval = {:?}", batch.to_string());
    if let Some(c) = &checkpoint {
        let _ = writeln!(out, "checkpoint = {c:?}");
    }
    let _ = writeln!(out, "run_for = {:?}", opts.run_for.to_string());
    for (name, kind) in &sources {
        let _ = writeln!(out, "\n[sources.{name}]");
        if kind == "socketTextStream" {
            let _ = writeln!(out, "type = \"socketTextStream\"");
            let _ = writeln!(
                out,
                "# the lines the socket sends, replayed like `nc -lk` at `rate` lines a second"
            );
            let _ = writeln!(out, "file = {:?}", opts.data);
            let _ = writeln!(out, "rate = {}", opts.rate);
        } else {
            let _ = writeln!(out, "type = \"textFileStream\"");
            let _ = writeln!(out, "dir = \"in\"");
            let _ = writeln!(
                out,
                "# files dropped into the directory: one at the first batch"
            );
            let _ = writeln!(out, "[[sources.{name}.files]]");
            let _ = writeln!(
                out,
                "at = {:?}",
                Duration::from_ms(batch.ms() / 2).to_string()
            );
            let _ = writeln!(out, "name = \"part-0.txt\"");
            let _ = writeln!(out, "file = {:?}", opts.data);
        }
    }
    Ok(out)
}
