//! The Scala writer: a scenario as a Spark Streaming program in the programming guide's
//! Scala (Spark 3.5, Scala 2.12), with typed function parameters where Spark's overloaded
//! operators need them (`reduceByKeyAndWindow((a: Int, b: Int) => a + b, ...)`, as
//! `PairDStreamFunctions.scala`'s overloads require), a local run on
//! `org.apache.spark.util.ManualClock` and a `main` for `spark-submit`.

use super::pipeline::{builtin, Arg, Call};
use super::plan::{pipeline_body, Lang, Plan};
use super::types::Ty;
use crate::scenario::ast::{BinOp, Expr, ExprKind, Literal, UnOp};
use crate::sim::Duration;
use std::collections::BTreeMap;

/// Scala's spelling of a duration: `Seconds(30)`, `Milliseconds(500)`, `Minutes(2)`.
pub fn duration(d: Duration) -> String {
    let ms = d.ms();
    if ms > 0 && ms.is_multiple_of(60_000) {
        format!("Minutes({})", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("Seconds({})", ms / 1000)
    } else {
        format!("Milliseconds({ms})")
    }
}

/// A Scala string literal.
pub fn string_lit(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn prec(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Eq | BinOp::Ne => 3,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
        BinOp::Add | BinOp::Sub => 5,
        BinOp::Mul | BinOp::Div | BinOp::Rem => 6,
    }
}

/// Prints expressions as Scala; `time_vars` are a time-aware function's `Time` parameters,
/// used as numbers in the scenario language (`time / 1000`), `time.milliseconds` in Scala.
struct Printer<'a> {
    time_vars: &'a [String],
}

impl Printer<'_> {
    fn expr(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Lit(l) => match l {
                Literal::Int(i) if i32::try_from(*i).is_ok() => i.to_string(),
                Literal::Int(i) => format!("{i}L"),
                Literal::Float(x) => {
                    let s = format!("{x:?}");
                    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN")
                    {
                        s
                    } else {
                        format!("{s}.0")
                    }
                }
                Literal::Str(s) => string_lit(s),
                Literal::Bool(b) => b.to_string(),
                Literal::Null => "null".into(),
                Literal::None => "None".into(),
                Literal::Duration(d) => duration(*d),
            },
            ExprKind::Var(n) if self.time_vars.contains(n) => format!("{n}.milliseconds"),
            ExprKind::Var(n) => match builtin(e) {
                Some(_) => builtin_fn(e, &[], false).unwrap_or_else(|_| n.clone()),
                None => n.clone(),
            },
            ExprKind::Tuple(items) => format!("({})", self.list(items)),
            ExprKind::Call { func, args } => match builtin(e) {
                Some(_) => builtin_fn(e, &[], false)
                    .unwrap_or_else(|_| format!("{}({})", func.name, self.list(args))),
                None => format!("{}({})", func.name, self.list(args)),
            },
            ExprKind::Method { recv, name, args } => {
                let r = self.operand(recv);
                match args {
                    None => format!("{r}.{}", name.name),
                    Some(a) => format!("{r}.{}({})", name.name, self.list(a)),
                }
            }
            ExprKind::Lambda { params, body } => {
                let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                let head = if names.len() == 1 {
                    names[0].to_string()
                } else {
                    format!("({})", names.join(", "))
                };
                format!("{head} => {}", self.expr(body))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let p = prec(*op);
                let side = |x: &Expr, right: bool| match &x.kind {
                    ExprKind::Binary { op: o, .. } if prec(*o) < p || (right && prec(*o) == p) => {
                        format!("({})", self.expr(x))
                    }
                    ExprKind::If { .. } | ExprKind::Lambda { .. } => {
                        format!("({})", self.expr(x))
                    }
                    _ => self.expr(x),
                };
                format!("{} {} {}", side(lhs, false), op.symbol(), side(rhs, true))
            }
            ExprKind::Unary { op, expr } => {
                let s = match op {
                    UnOp::Not => "!",
                    UnOp::Neg => "-",
                };
                format!("{s}{}", self.operand(expr))
            }
            ExprKind::If { cond, then_, else_ } => format!(
                "if ({}) {} else {}",
                self.expr(cond),
                self.expr(then_),
                self.expr(else_)
            ),
        }
    }

    fn operand(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Binary { .. }
            | ExprKind::If { .. }
            | ExprKind::Lambda { .. }
            | ExprKind::Unary { .. } => format!("({})", self.expr(e)),
            _ => self.expr(e),
        }
    }

    fn list(&self, items: &[Expr]) -> String {
        items
            .iter()
            .map(|i| self.expr(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The zero of a numeric type as a Scala literal.
fn zero(t: &Ty) -> &'static str {
    match t {
        Ty::Long => "0L",
        Ty::Double => "0.0",
        _ => "0",
    }
}

/// A separator for Java's `String.split` (a regex): quoted when it has regex syntax.
fn split_arg(sep: &Expr) -> String {
    match &sep.kind {
        ExprKind::Lit(Literal::Str(s)) if s.chars().any(|c| "\\^$.|?*+()[]{}".contains(c)) => {
            format!("java.util.regex.Pattern.quote({})", string_lit(s))
        }
        _ => Printer { time_vars: &[] }.expr(sep),
    }
}

/// A built-in function as a Scala lambda, with typed parameters when `typed` and known.
fn builtin_fn(f: &Expr, params: &[Ty], typed: bool) -> Result<String, String> {
    let (name, args) = builtin(f).ok_or("not a built-in")?;
    let p = Printer { time_vars: &[] };
    let c = args.first().map(|a| p.expr(a)).unwrap_or_default();
    let head = |names: &[&str]| -> String {
        let tys: Option<Vec<String>> = params.iter().map(Ty::scala).collect();
        match tys {
            Some(t) if typed && t.len() == names.len() => format!(
                "({})",
                names
                    .iter()
                    .zip(t)
                    .map(|(n, t)| format!("{n}: {t}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ if names.len() == 1 => names[0].to_string(),
            _ => format!("({})", names.join(", ")),
        }
    };
    let two = matches!(name, "sub" | "runningSum" | "runningCount" | "runningAvg")
        || (matches!(name, "sum" | "max" | "min") && params.len() != 1);
    if two {
        let v = params.first().map(|t| t.elem()).unwrap_or(Ty::Unknown);
        let body = match name {
            "sum" => "a + b".to_string(),
            "sub" => "a - b".to_string(),
            "max" => "if (a > b) a else b".to_string(),
            "min" => "if (a < b) a else b".to_string(),
            "runningSum" => format!("Some(values.sum + state.getOrElse({}))", zero(&v)),
            "runningCount" => "Some(state.getOrElse(0) + values.size)".to_string(),
            _ => format!(
                "Some((state.map(_._1).getOrElse({}) + values.sum, state.map(_._2).getOrElse(0) + values.size))",
                zero(&v)
            ),
        };
        let names: &[&str] = if name.starts_with("running") {
            &["values", "state"]
        } else {
            &["a", "b"]
        };
        return Ok(format!("{} => {body}", head(names)));
    }
    let body = match name {
        "split" => format!("x.split({})", args.first().map(split_arg).unwrap_or(c)),
        "words" => "x.split(\"\\\\s+\").filter(_.nonEmpty)".to_string(),
        "pair" => format!("(x, {c})"),
        "pair1" => "(x, 1)".to_string(),
        "identity" => "x".to_string(),
        "toLower" => "x.toLowerCase".to_string(),
        "toUpper" => "x.toUpperCase".to_string(),
        "trim" => "x.trim".to_string(),
        "swap" => "x.swap".to_string(),
        "key" => "x._1".to_string(),
        "value" => "x._2".to_string(),
        "contains" => format!("x.contains({c})"),
        "startsWith" => format!("x.startsWith({c})"),
        "endsWith" => format!("x.endsWith({c})"),
        "equals" => format!("x == {c}"),
        "length" => "x.length".to_string(),
        "sum" => "x.sum".to_string(),
        "max" => "x.max".to_string(),
        "min" => "x.min".to_string(),
        other => return Err(format!("the built-in `{other}` has no Scala translation")),
    };
    Ok(format!("{} => {body}", head(&["x"])))
}

/// A function argument as Scala: typed parameters when `typed` (the operator is overloaded).
fn func(f: &Expr, params: &[Ty], typed: bool) -> Result<String, String> {
    if let ExprKind::Lambda {
        params: names,
        body,
    } = &f.kind
    {
        let time_vars: Vec<String> = names
            .iter()
            .zip(params)
            .filter(|(_, t)| **t == Ty::Time)
            .map(|(n, _)| n.name.clone())
            .collect();
        let p = Printer {
            time_vars: &time_vars,
        };
        let body = p.expr(body);
        if !typed {
            let head = if names.len() == 1 {
                names[0].name.clone()
            } else {
                format!(
                    "({})",
                    names
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Ok(format!("{head} => {body}"));
        }
        let mut typed_names = Vec::new();
        for (n, t) in names.iter().zip(params) {
            let s = t.scala().ok_or_else(|| {
                format!(
                    "cannot tell the type of the parameter `{}` (Scala needs it here, the operator being overloaded); write the pipeline so its value types follow from the source",
                    n.name
                )
            })?;
            typed_names.push(format!("{}: {s}", n.name));
        }
        return Ok(format!("({}) => {body}", typed_names.join(", ")));
    }
    builtin_fn(f, params, typed)
}

/// The Scala writer's rendering of operator calls.
struct Scala;

impl Lang for Scala {
    fn call(&self, recv: &str, call: &Call) -> Result<String, String> {
        let op = call.op;
        let typed = matches!(
            op,
            "reduceByWindow"
                | "reduceByKeyAndWindow"
                | "updateStateByKey"
                | "transform"
                | "transformWith"
        );
        let mut args = Vec::new();
        let mut n_partitions = None;
        let mut initial = None;
        let mut four = false;
        for a in &call.args {
            match a {
                Arg::Func { f, params } => {
                    if let ExprKind::Lambda { params: names, .. } = &f.kind {
                        four = names.len() == 4;
                    }
                    args.push(func(f, params, typed)?)
                }
                Arg::Dur(d) => args.push(duration(*d)),
                Arg::Int(i) => {
                    n_partitions = Some(*i);
                    args.push(i.to_string())
                }
                Arg::Str(s) => args.push(string_lit(s)),
                Arg::Stream(code, _) => args.push(code.clone()),
                Arg::Initial(items) => {
                    let p = Printer { time_vars: &[] };
                    let k = call.recv_ty.field(0).scala();
                    let s = call.out_ty.field(1).scala();
                    let ty = match (k, s) {
                        (Some(k), Some(s)) => format!("[({k}, {s})]"),
                        _ => String::new(),
                    };
                    initial = Some(format!(
                        "ssc.sparkContext.parallelize(Seq{ty}({}))",
                        p.list(items)
                    ));
                }
            }
        }
        if op == "updateStateByKey" {
            let s = call.out_ty.field(1).scala().ok_or(
                "cannot tell the state's type of updateStateByKey (Scala needs updateStateByKey[S]); return Some(...) of a typed value",
            )?;
            let f = args.first().cloned().unwrap_or_default();
            let part = format!(
                "new HashPartitioner({})",
                n_partitions
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "ssc.sparkContext.defaultParallelism".into())
            );
            return Ok(if four {
                let init = initial
                    .map(|i| format!("Some({i})"))
                    .unwrap_or_else(|| "None".into());
                format!("{recv}.updateStateByKey[{s}]({f}, {part}, true, {init})")
            } else if let Some(i) = initial {
                format!("{recv}.updateStateByKey[{s}]({f}, {part}, {i})")
            } else if let Some(n) = n_partitions {
                format!("{recv}.updateStateByKey[{s}]({f}, {n})")
            } else {
                format!("{recv}.updateStateByKey[{s}]({f})")
            });
        }
        if op == "transformWith" {
            // Scala's transformWith(other, f): the other stream first, as written
            return Ok(format!("{recv}.transformWith({})", args.join(", ")));
        }
        Ok(format!("{recv}.{op}({})", args.join(", ")))
    }
}

/// Writes `<Name>.scala`, `<Name>Cluster.scala` and `build.sbt` into `files`; returns the
/// program files' names.
///
/// # Errors
/// An operator or function with no Scala translation, with its position.
pub fn write(plan: &Plan, files: &mut BTreeMap<String, String>) -> Result<Vec<String>, String> {
    let sc = &plan.scenario;
    let name = &plan.object_name;
    let body = pipeline_body(plan, &Scala, "val ", &|name, args| {
        let p = Printer { time_vars: &[] };
        Ok(format!(
            "{name}({})",
            args.map(|a| p.list(a)).unwrap_or_default()
        ))
    })?;
    let params: Vec<String> = plan
        .sources
        .iter()
        .map(|s| format!("{}: DStream[String]", s.name))
        .collect();
    let args: Vec<String> = plan.sources.iter().map(|s| s.name.clone()).collect();
    let local_inputs: Vec<String> = plan
        .sources
        .iter()
        .map(|s| {
            format!(
                "    val {} = new Replay(ssc, Replay.read(dataDir + \"/{}.batches\"))",
                s.name, s.name
            )
        })
        .collect();
    let conf: String = plan
        .conf
        .iter()
        .map(|(k, v)| format!("\n      .set({}, {})", string_lit(k), string_lit(v)))
        .collect();
    let checkpoint = sc
        .checkpoint
        .as_ref()
        .map(|_| "    ssc.checkpoint(checkpointDir)\n".to_string())
        .unwrap_or_default();
    let program = SCALA_PROGRAM
        .replace("{header}", &header(plan, "//"))
        .replace("{pkg}", &package(plan))
        .replace("{Name}", name)
        .replace("{batch_ms}", &sc.batch_interval.ms().to_string())
        .replace("{num_batches}", &plan.num_batches.to_string())
        .replace("{params}", &params.join(", "))
        .replace("{args}", &args.join(", "))
        .replace("{body}", &body.join("\n"))
        .replace("{local_inputs}", &local_inputs.join("\n"))
        .replace("{checkpoint}", &checkpoint)
        .replace("{conf}", &conf);
    let mut cluster_inputs = Vec::new();
    let mut port = 0;
    for s in &plan.sources {
        cluster_inputs.push(match s.kind {
            "socketTextStream" => {
                port += 1;
                format!(
                    "    val {} = ssc.socketTextStream(host, firstPort + {})",
                    s.name,
                    port - 1
                )
            }
            "kafkaDirectStream" => format!(
                "    val {} = KafkaUtils.createDirectStream[String, String](ssc, LocationStrategies.PreferConsistent,\n      ConsumerStrategies.Subscribe[String, String](Seq({}), Map[String, Object](\n        \"bootstrap.servers\" -> s\"$host:$firstPort\", \"key.deserializer\" -> classOf[StringDeserializer],\n        \"value.deserializer\" -> classOf[StringDeserializer], \"group.id\" -> {}, \"auto.offset.reset\" -> \"earliest\"))).map(_.value)",
                s.name,
                string_lit(&s.name),
                string_lit(&format!("stream-sim-{}", sc.name))
            ),
            "textFileStream" => format!("    val {} = ssc.textFileStream(args(3))", s.name),
            _ => format!(
                "    // a queueStream cannot be checkpointed: its batches are replayed from the data file\n    val {} = new Replay(ssc, Replay.read(\"data/{}.batches\"))",
                s.name, s.name
            ),
        });
    }
    let kafka = plan.sources.iter().any(|s| s.kind == "kafkaDirectStream");
    let cluster = SCALA_CLUSTER
        .replace("{header}", &header(plan, "//"))
        .replace("{pkg}", &package(plan))
        .replace("{Name}", name)
        .replace(
            "{kafka_imports}",
            if kafka {
                "import org.apache.kafka.common.serialization.StringDeserializer\nimport org.apache.spark.streaming.kafka010._\n"
            } else {
                ""
            },
        )
        .replace("{cluster_inputs}", &cluster_inputs.join("\n"))
        .replace("{args}", &args.join(", "))
        .replace("{checkpoint}", &checkpoint)
        .replace("{conf}", &conf)
        .replace("{app}", &string_lit(&sc.name));
    let sbt = format!(
        "name := \"{}\"\nversion := \"0.1\"\nscalaVersion := \"2.12.18\"\nlibraryDependencies ++= Seq(\n  \"org.apache.spark\" %% \"spark-streaming\" % \"3.5.3\" % \"provided\"{}\n)\n",
        sc.name.to_lowercase(),
        if kafka {
            ",\n  \"org.apache.spark\" %% \"spark-streaming-kafka-0-10\" % \"3.5.3\""
        } else {
            ""
        }
    );
    let main = format!("{name}.scala");
    let cl = format!("{name}Cluster.scala");
    files.insert(main.clone(), program);
    files.insert(cl.clone(), cluster);
    files.insert("build.sbt".into(), sbt);
    Ok(vec![main, cl])
}

/// The Scala package of a scenario's program: `streamsim.<name in lower case letters and
/// digits>` (one package per program, so that several load into one spark-shell).
pub fn package(plan: &Plan) -> String {
    let p: String = plan
        .scenario
        .name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if p.is_empty() || p.starts_with(|c: char| c.is_ascii_digit()) {
        format!("s{p}")
    } else {
        p
    }
}

/// The comment at the top of a program file.
pub(super) fn header(plan: &Plan, c: &str) -> String {
    let sc = &plan.scenario;
    let mut h = format!(
        "{c} {} as a Spark Streaming program, written by `stream-sim export` from {}.\n",
        sc.name,
        sc.path.display()
    );
    for line in sc.description.lines() {
        h.push_str(&format!("{c} {line}\n"));
    }
    if !plan.left_out.is_empty() {
        h.push_str(&format!("{c}\n{c} Left out (Spark has no equivalent):\n"));
        for l in &plan.left_out {
            h.push_str(&format!("{c} - {l}\n"));
        }
    }
    h
}

const SCALA_PROGRAM: &str = r##"{header}
package streamsim.{pkg}

import java.util.concurrent.atomic.AtomicLong
import scala.io.Source
import org.apache.spark.{HashPartitioner, SparkConf, SparkContext}
import org.apache.spark.rdd.RDD
import org.apache.spark.streaming._
import org.apache.spark.streaming.dstream.{DStream, InputDStream}
import org.apache.spark.streaming.scheduler.{StreamingListener, StreamingListenerBatchCompleted}

/** A source replayed from a data file: batch time (ms) -> the records of each partition, or
  * None for a batch without an RDD. Serializable, so the context can be checkpointed. */
class Replay(ssc_ : StreamingContext, batches: Map[Long, Option[Seq[Seq[String]]]])
    extends InputDStream[String](ssc_) {
  def start(): Unit = {}
  def stop(): Unit = {}
  def compute(validTime: Time): Option[RDD[String]] =
    batches.getOrElse(validTime.milliseconds, Some(Seq.empty[Seq[String]])).map { parts =>
      if (parts.isEmpty) context.sparkContext.emptyRDD[String]
      else context.sparkContext.parallelize(parts, parts.size).flatMap(p => p)
    }
}

object Replay {
  def unescape(s: String): String = {
    val b = new StringBuilder
    var i = 0
    while (i < s.length) {
      if (s(i) == '\\' && i + 1 < s.length) {
        b += (s(i + 1) match { case 't' => '\t'; case 'n' => '\n'; case 'r' => '\r'; case c => c })
        i += 2
      } else { b += s(i); i += 1 }
    }
    b.toString
  }

  /** Reads a .batches file: `batch <ms> <partitions>|none`, then `<partition>\t<record>`. */
  def read(path: String): Map[Long, Option[Seq[Seq[String]]]] = {
    val out = scala.collection.mutable.LinkedHashMap[Long, Option[Array[scala.collection.mutable.ArrayBuffer[String]]]]()
    var current = 0L
    val src = Source.fromFile(path, "UTF-8")
    try {
      for (line <- src.getLines() if !line.startsWith("#")) {
        if (line.startsWith("batch ")) {
          val f = line.split(" ")
          current = f(1).toLong
          out(current) = if (f(2) == "none") None else Some(Array.fill(f(2).toInt)(scala.collection.mutable.ArrayBuffer[String]()))
        } else {
          val tab = line.indexOf('\t')
          out(current).get(line.substring(0, tab).toInt) += unescape(line.substring(tab + 1))
        }
      }
    } finally src.close()
    out.map { case (t, p) => t -> p.map(_.toSeq.map(_.toSeq)) }.toMap
  }
}

object {Name} {
  val batchIntervalMs = {batch_ms}L
  val numBatches = {num_batches}
  @volatile var verify = false

  /** With --verify, every record of an output's batch, partition by partition, on stdout. */
  def show(x: Any): String = x match {
    case a: Array[_] => a.map(show).mkString("Array(", ", ", ")")
    case t: Product if t.productPrefix.startsWith("Tuple") => t.productIterator.map(show).mkString("(", ",", ")")
    case o => String.valueOf(o)
  }
  def esc(s: String): String = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
  def capture[T](s: DStream[T], output: Int): Unit = if (verify) {
    s.foreachRDD { (rdd: RDD[T], time: Time) =>
      val parts = rdd.glom().collect()
      val b = new StringBuilder(s"@@stream-sim out $output ${time.milliseconds} ${parts.length}\n")
      for ((p, i) <- parts.zipWithIndex; r <- p) b ++= s"@@stream-sim rec $output ${time.milliseconds} $i ${esc(show(r))}\n"
      print(b.toString)
    }
  }

  /** The scenario's pipeline, operator for operator. */
  def pipeline(ssc: StreamingContext, {params}): Unit = {
{body}
  }

  /** Runs the pipeline on a manual clock, one batch at a time, each batch's input read from
    * DATA_DIR/<source>.batches. In spark-shell started with
    * --conf spark.streaming.clock=org.apache.spark.util.ManualClock. */
  def runLocal(dataDir: String, verifyRun: Boolean): Unit = {
    verify = verifyRun
    val conf = new SparkConf().setMaster("local[2]").setAppName("{Name}")
      .set("spark.streaming.clock", "org.apache.spark.util.ManualClock"){conf}
    val sc = SparkContext.getOrCreate(conf)
    require(sc.getConf.get("spark.streaming.clock", "") == "org.apache.spark.util.ManualClock",
      "start spark-shell with --conf spark.streaming.clock=org.apache.spark.util.ManualClock")
    conf.getOption("spark.default.parallelism").foreach { p =>
      require(sc.defaultParallelism == p.toInt, s"start spark-shell with --conf spark.default.parallelism=$p")
    }
    val checkpointDir = java.nio.file.Files.createTempDirectory("stream-sim-checkpoint").toString
    val ssc = new StreamingContext(sc, Milliseconds(batchIntervalMs))
{checkpoint}{local_inputs}
    pipeline(ssc, {args})
    val done = new AtomicLong(0L)
    ssc.addStreamingListener(new StreamingListener {
      override def onBatchCompleted(b: StreamingListenerBatchCompleted): Unit =
        done.accumulateAndGet(b.batchInfo.batchTime.milliseconds, (a: Long, x: Long) => math.max(a, x))
    })
    ssc.start()
    // The ManualClock is private[spark]: reached by reflection, as PySpark's tests reach it.
    val scheduler = ssc.getClass.getMethod("scheduler").invoke(ssc)
    val clock = scheduler.getClass.getMethod("clock").invoke(scheduler)
    val advance = clock.getClass.getMethod("advance", classOf[Long])
    try {
      for (k <- 1 to numBatches) {
        advance.invoke(clock, java.lang.Long.valueOf(batchIntervalMs))
        val deadline = System.currentTimeMillis + 120000
        while (done.get < k * batchIntervalMs && System.currentTimeMillis < deadline) Thread.sleep(5)
        if (done.get < k * batchIntervalMs) sys.error(s"batch ${k * batchIntervalMs} ms did not complete in 120 s")
      }
    } finally ssc.stop(stopSparkContext = false, stopGracefully = false)
    if (verify) println("@@stream-sim end")
  }
}
"##;

const SCALA_CLUSTER: &str = r##"{header}
package streamsim.{pkg}

import org.apache.spark.{HashPartitioner, SparkConf}
import org.apache.spark.streaming._
{kafka_imports}
/** Runs the pipeline on a cluster with Spark's own sources:
  * spark-submit --class {Name}Cluster JAR HOST FIRST_PORT CHECKPOINT_DIR [TEXT_DIR] */
object {Name}Cluster {
  def main(args: Array[String]): Unit = {
    if (args.length < 3) {
      System.err.println("usage: {Name}Cluster HOST FIRST_PORT CHECKPOINT_DIR [TEXT_DIR]")
      sys.exit(2)
    }
    val (host, firstPort, checkpointDir) = (args(0), args(1).toInt, args(2))
    val conf = new SparkConf().setAppName({app}){conf}
    val ssc = new StreamingContext(conf, Milliseconds({Name}.batchIntervalMs))
{checkpoint}{cluster_inputs}
    {Name}.pipeline(ssc, {args})
    ssc.start()
    ssc.awaitTermination()
  }
}
"##;
