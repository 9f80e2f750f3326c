//! The PySpark writer: a scenario as a `pyspark.streaming` program (Spark 3.5), with Python
//! lambdas for the scenario's functions, a local run on `ManualClock` (as
//! /work/shared/oracle/spark_oracle.py runs PySpark) and a cluster run.
//!
//! PySpark's argument orders follow `python/pyspark/streaming/dstream.py`: durations in
//! seconds, `transform(func(rdd))`, `transformWith(func, other)`, `reduceByKeyAndWindow(func,
//! invFunc, windowDuration, slideDuration, numPartitions, filterFunc)`, `pprint(num)`.

use super::pipeline::{builtin, Arg, Call};
use super::plan::{pipeline_body, Lang, Plan};
use super::types::Ty;
use crate::scenario::ast::{BinOp, Expr, ExprKind, Literal, UnOp};
use crate::sim::Duration;
use std::collections::BTreeMap;

fn seconds(d: Duration) -> String {
    let ms = d.ms();
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        format!("{}", ms as f64 / 1000.0)
    }
}

fn string_lit(s: &str) -> String {
    super::scala::string_lit(s)
}

fn prec(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
        BinOp::Add | BinOp::Sub => 5,
        BinOp::Mul | BinOp::Div | BinOp::Rem => 6,
    }
}

fn expr(e: &Expr) -> Result<String, String> {
    Ok(match &e.kind {
        ExprKind::Lit(l) => match l {
            Literal::Int(i) => i.to_string(),
            Literal::Float(x) => format!("{x:?}"),
            Literal::Str(s) => string_lit(s),
            Literal::Bool(true) => "True".into(),
            Literal::Bool(false) => "False".into(),
            Literal::Null | Literal::None => "None".into(),
            Literal::Duration(d) => seconds(*d),
        },
        ExprKind::Var(_) | ExprKind::Call { .. } if builtin(e).is_some() => builtin_fn(e, 1)?,
        ExprKind::Var(n) => n.clone(),
        ExprKind::Tuple(items) if items.len() == 1 => format!("({},)", list(items)?),
        ExprKind::Tuple(items) => format!("({})", list(items)?),
        ExprKind::Call { func, args } => match (func.name.as_str(), args.as_slice()) {
            ("Some", [x]) => expr(x)?,
            ("List" | "Seq" | "Array", _) => format!("[{}]", list(args)?),
            ("Set", _) => format!("set([{}])", list(args)?),
            (other, _) => return Err(format!("`{other}(...)` has no PySpark translation")),
        },
        ExprKind::Method { recv, name, args } => {
            let r = operand(recv)?;
            let a: Vec<String> = match args {
                Some(a) => a.iter().map(expr).collect::<Result<_, _>>()?,
                None => Vec::new(),
            };
            let a0 = a.first().cloned().unwrap_or_default();
            match name.name.as_str() {
                "_1" => format!("{r}[0]"),
                "_2" => format!("{r}[1]"),
                "_3" => format!("{r}[2]"),
                "length" | "size" => format!("len({r})"),
                "toLowerCase" => format!("{r}.lower()"),
                "toUpperCase" => format!("{r}.upper()"),
                "trim" => format!("{r}.strip()"),
                "contains" => format!("({a0} in {r})"),
                "startsWith" => format!("{r}.startswith({a0})"),
                "endsWith" => format!("{r}.endswith({a0})"),
                "isEmpty" => format!("(len({r}) == 0)"),
                "nonEmpty" => format!("(len({r}) > 0)"),
                "split" => format!("java_split({r}, {a0})"),
                "toInt" | "toLong" => format!("int({r})"),
                "toDouble" => format!("float({r})"),
                "toString" => format!("scala_str({r})"),
                "sum" => format!("sum({r})"),
                "max" if a.is_empty() => format!("max({r})"),
                "min" if a.is_empty() => format!("min({r})"),
                "swap" => format!("({r}[1], {r}[0])"),
                "getOrElse" => format!("({r} if {r} is not None else {a0})"),
                "isDefined" => format!("({r} is not None)"),
                "get" => r,
                "mkString" => format!(
                    "{}.join(scala_str(v) for v in {r})",
                    if a0.is_empty() {
                        "\"\"".to_string()
                    } else {
                        a0
                    }
                ),
                "toList" | "toSeq" => format!("list({r})"),
                "sorted" => format!("sorted({r})"),
                "head" => format!("list({r})[0]"),
                "abs" => format!("abs({r})"),
                _ => match args {
                    // RDD methods keep their names (map, filter, sortBy, join, ...)
                    Some(_) => format!("{r}.{}({})", name.name, a.join(", ")),
                    None => format!("{r}.{}()", name.name),
                },
            }
        }
        ExprKind::Lambda { params, body } => {
            let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            format!("lambda {}: {}", names.join(", "), expr(body)?)
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let p = prec(*op);
            let side = |x: &Expr, right: bool| -> Result<String, String> {
                Ok(match &x.kind {
                    ExprKind::Binary { op: o, .. } if prec(*o) < p || (right && prec(*o) == p) => {
                        format!("({})", expr(x)?)
                    }
                    ExprKind::If { .. } | ExprKind::Lambda { .. } => format!("({})", expr(x)?),
                    _ => expr(x)?,
                })
            };
            let (l, r) = (side(lhs, false)?, side(rhs, true)?);
            let is_str = |x: &Expr| matches!(x.kind, ExprKind::Lit(Literal::Str(_)));
            match op {
                BinOp::Or => format!("{l} or {r}"),
                BinOp::And => format!("{l} and {r}"),
                BinOp::Div => format!("sdiv({}, {})", expr(lhs)?, expr(rhs)?),
                BinOp::Rem => format!("srem({}, {})", expr(lhs)?, expr(rhs)?),
                BinOp::Add if is_str(lhs) || is_str(rhs) => {
                    format!("scala_str({}) + scala_str({})", expr(lhs)?, expr(rhs)?)
                }
                _ => format!("{l} {} {r}", op.symbol()),
            }
        }
        ExprKind::Unary { op, expr: x } => match op {
            UnOp::Not => format!("not {}", operand(x)?),
            UnOp::Neg => format!("-{}", operand(x)?),
        },
        ExprKind::If { cond, then_, else_ } => format!(
            "({} if {} else {})",
            expr(then_)?,
            expr(cond)?,
            expr(else_)?
        ),
    })
}

fn operand(e: &Expr) -> Result<String, String> {
    match &e.kind {
        ExprKind::Binary { .. } | ExprKind::Lambda { .. } | ExprKind::Unary { .. } => {
            Ok(format!("({})", expr(e)?))
        }
        _ => expr(e),
    }
}

fn list(items: &[Expr]) -> Result<String, String> {
    Ok(items
        .iter()
        .map(expr)
        .collect::<Result<Vec<_>, _>>()?
        .join(", "))
}

/// A built-in as a Python lambda; `arity` is how many parameters the operator passes.
fn builtin_fn(f: &Expr, arity: usize) -> Result<String, String> {
    let (name, args) = builtin(f).ok_or("not a built-in")?;
    let c = match args.first() {
        Some(a) => expr(a)?,
        None => String::new(),
    };
    Ok(match (name, arity) {
        ("sum", 2) => "lambda a, b: a + b".into(),
        ("sub", _) => "lambda a, b: a - b".into(),
        ("max", 2) => "lambda a, b: a if a > b else b".into(),
        ("min", 2) => "lambda a, b: a if a < b else b".into(),
        ("runningSum", _) => "lambda values, state: sum(values) + (state or 0)".into(),
        ("runningCount", _) => "lambda values, state: (state or 0) + len(values)".into(),
        ("runningAvg", _) => {
            "lambda values, state: ((state or (0, 0))[0] + sum(values), (state or (0, 0))[1] + len(values))".into()
        }
        ("split", _) => format!("lambda x: java_split(x, {c})"),
        ("words", _) => "lambda x: x.split()".into(),
        ("pair", _) => format!("lambda x: (x, {c})"),
        ("pair1", _) => "lambda x: (x, 1)".into(),
        ("identity", _) => "lambda x: x".into(),
        ("toLower", _) => "lambda x: x.lower()".into(),
        ("toUpper", _) => "lambda x: x.upper()".into(),
        ("trim", _) => "lambda x: x.strip()".into(),
        ("swap", _) => "lambda x: (x[1], x[0])".into(),
        ("key", _) => "lambda x: x[0]".into(),
        ("value", _) => "lambda x: x[1]".into(),
        ("contains", _) => format!("lambda x: {c} in x"),
        ("startsWith", _) => format!("lambda x: x.startswith({c})"),
        ("endsWith", _) => format!("lambda x: x.endswith({c})"),
        ("equals", _) => format!("lambda x: x == {c}"),
        ("length", _) => "lambda x: len(x)".into(),
        ("sum", _) => "lambda x: sum(x)".into(),
        ("max", _) => "lambda x: max(x)".into(),
        ("min", _) => "lambda x: min(x)".into(),
        (other, _) => return Err(format!("the built-in `{other}` has no PySpark translation")),
    })
}

fn func(f: &Expr, params: &[Ty]) -> Result<String, String> {
    if builtin(f).is_some() {
        return builtin_fn(f, params.len());
    }
    expr(f)
}

struct Py;

impl Lang for Py {
    fn call(&self, recv: &str, call: &Call) -> Result<String, String> {
        let op = call.op;
        let mut funcs = Vec::new();
        let mut durs = Vec::new();
        let mut ints = Vec::new();
        let mut streams = Vec::new();
        let mut strs = Vec::new();
        let mut initial = None;
        for a in &call.args {
            match a {
                Arg::Func { f, params } => {
                    if let ExprKind::Lambda { params: names, .. } = &f.kind {
                        if op == "updateStateByKey" && names.len() == 4 {
                            return Err("PySpark's updateStateByKey has no time-aware form (Scala's (Time, K, Seq[V], Option[S]) => Option[S]); export this scenario to Scala".into());
                        }
                        if op == "transform" && names.len() == 2 {
                            return Err("`transform((rdd, time) => ...)`: PySpark passes (time, rdd); export to Scala".into());
                        }
                    }
                    if op == "mapPartitions" {
                        funcs.push(format!("lambda it: ({})(list(it))", func(f, params)?));
                    } else {
                        funcs.push(func(f, params)?)
                    }
                }
                Arg::Dur(d) => durs.push(seconds(*d)),
                Arg::Int(i) => ints.push(i.to_string()),
                Arg::Str(s) => strs.push(string_lit(s)),
                Arg::Stream(code, _) => streams.push(code.clone()),
                Arg::Initial(items) => {
                    initial = Some(format!("ssc.sparkContext.parallelize([{}])", list(items)?))
                }
            }
        }
        let n = ints.first().cloned();
        let none = || "None".to_string();
        Ok(match op {
            "reduceByKeyAndWindow" => {
                let (f, inv, filt) = match funcs.len() {
                    1 => (funcs[0].clone(), none(), none()),
                    2 if matches!(call.args.iter().filter(|a| matches!(a, Arg::Func { .. })).nth(1), Some(Arg::Func { f, .. }) if matches!(&f.kind, ExprKind::Lambda { params, .. } if params.len() == 1)) => {
                        (funcs[0].clone(), none(), funcs[1].clone())
                    }
                    2 => (funcs[0].clone(), funcs[1].clone(), none()),
                    _ => (funcs[0].clone(), funcs[1].clone(), funcs[2].clone()),
                };
                format!(
                    "{recv}.reduceByKeyAndWindow({f}, {inv}, {}, {}, {}, {filt})",
                    durs.first().cloned().unwrap_or_else(none),
                    durs.get(1).cloned().unwrap_or_else(none),
                    n.unwrap_or_else(none)
                )
            }
            "reduceByWindow" => format!(
                "{recv}.reduceByWindow({}, {}, {}, {})",
                funcs[0],
                funcs.get(1).cloned().unwrap_or_else(none),
                durs.first().cloned().unwrap_or_else(none),
                durs.get(1).cloned().unwrap_or_else(none)
            ),
            "updateStateByKey" => {
                let mut a = vec![funcs[0].clone()];
                if n.is_some() || initial.is_some() {
                    a.push(n.unwrap_or_else(none));
                }
                if let Some(i) = initial {
                    a.push(i);
                }
                format!("{recv}.updateStateByKey({})", a.join(", "))
            }
            "transformWith" => {
                format!("{recv}.transformWith({}, {})", funcs[0], streams.join(", "))
            }
            "print" => format!("{recv}.pprint({})", n.unwrap_or_default()),
            "checkpoint" => format!("{recv}.checkpoint({})", durs.join(", ")),
            _ => {
                let mut a = Vec::new();
                a.extend(streams);
                a.extend(funcs);
                a.extend(durs);
                a.extend(ints);
                a.extend(strs);
                format!("{recv}.{op}({})", a.join(", "))
            }
        })
    }
}

/// Writes `<name>.py` into `files`; returns its name.
///
/// # Errors
/// An operator or function with no PySpark translation, with its position.
pub fn write(plan: &Plan, files: &mut BTreeMap<String, String>) -> Result<Vec<String>, String> {
    let sc = &plan.scenario;
    if plan.sources.iter().any(|s| s.kind == "kafkaDirectStream") {
        return Err(format!(
            "{}: a kafkaDirectStream source: PySpark 3.x has no Kafka DStream (pyspark.streaming.kafka was removed in Spark 3.0); export to Scala",
            sc.path.display()
        ));
    }
    let body = pipeline_body(plan, &Py, "", &|name, args| {
        let a = args.map(list).transpose()?.unwrap_or_default();
        Ok(if name == "print" {
            format!("pprint({a})")
        } else {
            format!("{name}({a})")
        })
    })?;
    let names: Vec<String> = plan.sources.iter().map(|s| s.name.clone()).collect();
    let mut cluster_inputs = Vec::new();
    let mut port = 0;
    for s in &plan.sources {
        cluster_inputs.push(match s.kind {
            "socketTextStream" => {
                port += 1;
                format!(
                    "    {} = ssc.socketTextStream(host, first_port + {})",
                    s.name,
                    port - 1
                )
            }
            "textFileStream" => format!("    {} = ssc.textFileStream(sys.argv[4])", s.name),
            _ => format!("    {} = replay(ssc, \"data/{}.batches\")", s.name, s.name),
        });
    }
    let conf: String = plan
        .conf
        .iter()
        .map(|(k, v)| format!(".set({}, {})", string_lit(k), string_lit(v)))
        .collect();
    let program = PY_PROGRAM
        .replace("{header}", &super::scala::header(plan, "#"))
        .replace("{batch_ms}", &sc.batch_interval.ms().to_string())
        .replace("{num_batches}", &plan.num_batches.to_string())
        .replace("{params}", &names.join(", "))
        .replace("{body}", &body.join("\n"))
        .replace(
            "{local_inputs}",
            &plan
                .sources
                .iter()
                .map(|s| {
                    format!(
                        "    {} = replay(ssc, os.path.join(data_dir, \"{}.batches\"))",
                        s.name, s.name
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .replace("{cluster_inputs}", &cluster_inputs.join("\n"))
        .replace(
            "{checkpoint}",
            if sc.checkpoint.is_some() {
                "    ssc.checkpoint(checkpoint_dir)\n"
            } else {
                ""
            },
        )
        .replace("{conf}", &conf)
        .replace("{app}", &string_lit(&sc.name));
    let main = format!("{}.py", sc.name.replace('-', "_"));
    files.insert(main.clone(), program);
    Ok(vec![main])
}

const PY_PROGRAM: &str = r##"{header}
import os
import sys
import tempfile
import time

from pyspark import SparkConf, SparkContext
from pyspark.streaming import StreamingContext
from pyspark.streaming.listener import StreamingListener

BATCH_INTERVAL_MS = {batch_ms}
NUM_BATCHES = {num_batches}
VERIFY = False


def java_split(s, sep):
    """Java's String.split with a literal separator: trailing empty strings removed."""
    parts = list(s) if sep == "" else s.split(sep)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


def sdiv(a, b):
    """Scala's division: integer division truncates toward zero."""
    return int(a / b) if isinstance(a, int) and isinstance(b, int) else a / b


def srem(a, b):
    """Scala's remainder: the sign of the dividend."""
    return a - b * sdiv(a, b) if isinstance(a, int) and isinstance(b, int) else a % b


def scala_str(v):
    """A value as Scala's toString prints it: (a,1), true, None."""
    if isinstance(v, tuple):
        return "(" + ",".join(scala_str(x) for x in v) + ")"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "List(" + ", ".join(scala_str(x) for x in v) + ")"
    if v is None:
        return "null"
    if hasattr(v, "__iter__") and not isinstance(v, str):
        return "CompactBuffer(" + ", ".join(scala_str(x) for x in v) + ")"
    return str(v)


def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def capture(stream, output):
    """With --verify, every record of an output's batch, partition by partition, on stdout."""
    if not VERIFY:
        return

    def emit(t, rdd):
        parts = rdd.glom().collect()
        ms = int(round(t.timestamp() * 1000))
        lines = ["@@stream-sim out %d %d %d" % (output, ms, len(parts))]
        for i, p in enumerate(parts):
            lines += ["@@stream-sim rec %d %d %d %s" % (output, ms, i, esc(scala_str(r))) for r in p]
        print("\n".join(lines), flush=True)
    stream.foreachRDD(emit)


def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"t": "\t", "n": "\n", "r": "\r"}.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def replay(ssc, path):
    """A source replayed from a .batches file, one RDD per batch with the simulator's partitions."""
    batches = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            if line.startswith("batch "):
                n = line.split(" ")[2]
                batches.append(None if n == "none" else [[] for _ in range(int(n))])
            else:
                p, _, rec = line.partition("\t")
                batches[-1][int(p)].append(unescape(rec))
    sc = ssc.sparkContext
    rdds = [sc.emptyRDD() if not b else sc.parallelize(b, len(b)).flatMap(lambda p: p) for b in batches]
    return ssc.queueStream(rdds, oneAtATime=True, default=sc.emptyRDD())


def pipeline(ssc, {params}):
    """The scenario's pipeline, operator for operator."""
{body}


class Done(StreamingListener):
    def __init__(self):
        self.last = 0

    def onBatchCompleted(self, batchCompleted):
        self.last = max(self.last, batchCompleted.batchInfo().batchTime().milliseconds())


def run_local(data_dir, verify):
    """Runs on a manual clock, one batch at a time, each batch's input from DATA_DIR."""
    global VERIFY
    VERIFY = verify
    conf = (SparkConf().setMaster("local[2]").setAppName({app}).set("spark.ui.enabled", "false")
            .set("spark.streaming.clock", "org.apache.spark.util.ManualClock"){conf})
    sc = SparkContext.getOrCreate(conf)
    sc.setLogLevel("ERROR")
    checkpoint_dir = tempfile.mkdtemp(prefix="stream-sim-checkpoint")
    ssc = StreamingContext(sc, BATCH_INTERVAL_MS / 1000.0)
{checkpoint}{local_inputs}
    pipeline(ssc, {params})
    done = Done()
    ssc.addStreamingListener(done)
    ssc.start()
    clock = ssc._jssc.ssc().scheduler().clock()
    try:
        for k in range(1, NUM_BATCHES + 1):
            clock.advance(BATCH_INTERVAL_MS)
            deadline = time.time() + 120
            while done.last < k * BATCH_INTERVAL_MS and time.time() < deadline:
                time.sleep(0.005)
            if done.last < k * BATCH_INTERVAL_MS:
                raise SystemExit("batch %d ms did not complete in 120 s" % (k * BATCH_INTERVAL_MS))
    finally:
        ssc.stop(stopSparkContext=True, stopGraceFully=False)
    if verify:
        print("@@stream-sim end", flush=True)


def run_cluster(host, first_port, checkpoint_dir):
    conf = SparkConf().setAppName({app}){conf}
    sc = SparkContext(conf=conf)
    ssc = StreamingContext(sc, BATCH_INTERVAL_MS / 1000.0)
{checkpoint}{cluster_inputs}
    pipeline(ssc, {params})
    ssc.start()
    ssc.awaitTermination()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--local":
        run_local(sys.argv[2], "--verify" in sys.argv)
    elif len(sys.argv) >= 4:
        run_cluster(sys.argv[1], int(sys.argv[2]), sys.argv[3])
    else:
        print("usage: %s --local DATA_DIR [--verify] | HOST FIRST_PORT CHECKPOINT_DIR [TEXT_DIR]" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
"##;
