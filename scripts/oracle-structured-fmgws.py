#!/usr/bin/env python3
"""Regenerates tests/fixtures/structured/fmgws_*.json: flatMapGroupsWithState and
mapGroupsWithState cases run on real Apache Spark 3.5.3 through spark-shell (Scala is the
reference: the user function is the scenario's own Scala text), micro-batch by micro-batch.

Run with the oracle venv's Spark (see /work/shared/oracle/README.md):

    ~/.cache/stream-sim-oracle/venv/bin/python scripts/oracle-structured-fmgws.py [NAME_FILTER]

Each case is a Scala `functions` text (the defs), a query text (Scala), an output mode and, for
the source `events`, a schema and *steps*: the rows of step k are written as one JSON file into
the source's directory (a file source with maxFilesPerTrigger = 1), then
`processAllAvailable()` runs the data micro-batch and any no-data micro-batch the watermark
calls for (event-time timeouts fire in those). foreachBatch collects each micro-batch's rows;
`recentProgress` gives its watermark, input rows and state operator figures. Analysis errors
and run-time failures are recorded as the exception's (root cause's) class and message. All
cases run in ONE spark-shell (one JVM); timestamps in UTC.

The fixtures have the format of scripts/oracle-structured.py's plus "functions", so
tests/structured_oracle.rs replays them with the others (tests never need Spark).
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "structured")
VENV = os.environ.get("STREAM_SIM_ORACLE_VENV", os.path.expanduser("~/.cache/stream-sim-oracle/venv"))

V = "time timestamp, key string, value bigint"
STEPS = [
    [["2013-01-01 10:01:00", "a", 1], ["2013-01-01 10:02:00", "b", 2], ["2013-01-01 10:03:00", "a", 3]],
    [["2013-01-01 10:12:00", "a", 4], ["2013-01-01 10:04:00", "b", 5]],
    [["2013-01-01 10:25:00", "b", 6], ["2013-01-01 10:05:00", "a", 7], ["2013-01-01 10:14:00", "a", 8]],
    [["2013-01-01 10:40:00", "c", 9], ["2013-01-01 10:22:00", "b", 10], ["2013-01-01 10:09:00", "b", 11]],
    [["2013-01-01 11:30:00", "c", 12]],
]

# Running count and sum per key; emits the key's totals at every call (update mode) and a
# final row when it times out 10 minutes (event time) after its latest event.
COUNT_TIMEOUT = '''
def counts(key: String, rows: Iterator[Row], state: GroupState[(Long, Long, Long)]): Iterator[(String, Long, Long, String)] = {
  if (state.hasTimedOut) {
    val (n, total, latest) = state.get
    state.remove()
    Iterator((key, n, total, "timed out"))
  } else {
    val seq = rows.toSeq
    val old = state.getOption.getOrElse((0L, 0L, 0L))
    val latest = math.max(old._3, seq.map(_.getAs[java.sql.Timestamp]("time").getTime).max)
    val s = (old._1 + seq.size, old._2 + seq.map(_.getAs[Long]("value")).sum, latest)
    state.update(s)
    state.setTimeoutTimestamp(math.max(latest + 10 * 60 * 1000L, state.getCurrentWatermarkMs()))
    Iterator((key, s._1, s._2, "updated"))
  }
}
'''

# Sessions with a 10-minute gap, written once when they close (append mode).
SESSIONS = '''
def sessions(key: String, rows: Iterator[Row], state: GroupState[(Long, Long, Long)]): Iterator[(String, java.sql.Timestamp, java.sql.Timestamp, Long)] = {
  val gap = 10 * 60 * 1000L
  if (state.hasTimedOut) {
    val (first, last, n) = state.get
    state.remove()
    Iterator((key, new java.sql.Timestamp(first), new java.sql.Timestamp(last), n))
  } else {
    val times = rows.map(_.getAs[java.sql.Timestamp]("time").getTime).toSeq.sorted
    val (first, last, n) = state.getOption.getOrElse((times.head, times.head, 0L))
    val s = (math.min(first, times.head), math.max(last, times.last), n + times.size)
    state.update(s)
    state.setTimeoutTimestamp(s._2, "10 minutes")
    Iterator.empty
  }
}
'''

# No timeout: a running sum; the state is removed once it reaches 3 rows.
RUNNING = '''
def running(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long, Boolean)] = {
  val n = state.getOption.getOrElse(0L) + rows.size
  if (n >= 3) {
    state.remove()
    Iterator((key, n, true))
  } else {
    state.update(n)
    Iterator((key, n, false))
  }
}
'''

MAPPED = '''
def latest(key: String, rows: Iterator[Row], state: GroupState[Long]): (String, Long, Long) = {
  val vs = rows.map(r => r.getAs[Long]("value")).toSeq
  val n = state.getOption.getOrElse(0L) + vs.size
  state.update(n)
  (key, n, vs.max)
}
'''

# The timeout is set to the latest event time itself: it fires only once the watermark is
# strictly past it (timeoutTimestamp < watermark).
EXACT = '''
def exact(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long)] = {
  if (state.hasTimedOut) {
    val t = state.get
    state.remove()
    Iterator((key, t))
  } else {
    val t = math.max(state.getOption.getOrElse(0L), rows.map(_.getAs[java.sql.Timestamp]("time").getTime).max)
    state.update(t)
    state.setTimeoutTimestamp(math.max(t, state.getCurrentWatermarkMs()))
    Iterator.empty
  }
}
'''

# Sets a timeout an hour before its rows: fine in batch 0 (watermark 0), Spark's
# IllegalArgumentException once the watermark is past it.
TOO_EARLY = '''
def early(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long)] = {
  if (state.hasTimedOut) {
    state.remove()
    Iterator.empty
  } else {
    val t = rows.map(_.getAs[java.sql.Timestamp]("time").getTime).min - 60 * 60 * 1000L
    state.update(t)
    state.setTimeoutTimestamp(t)
    Iterator((key, t))
  }
}
'''

EMPTY_MIN = '''
def emptyMin(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long)] = {
  val t = rows.map(_.getAs[java.sql.Timestamp]("time").getTime).min
  state.update(t)
  state.setTimeoutTimestamp(t)
  Iterator((key, t))
}
'''

DURATION = '''
def dur(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long)] = {
  state.update(rows.size.toLong)
  state.setTimeoutDuration("1 minute")
  Iterator((key, state.get))
}
'''

NO_WM = '''
def wm(key: String, rows: Iterator[Row], state: GroupState[Long]): Iterator[(String, Long)] = {
  state.update(state.getCurrentWatermarkMs())
  Iterator((key, rows.size.toLong))
}
'''

KEY = 'groupByKey(r => r.getAs[String]("key"))'
WM = 'events.withWatermark("time", "5 minutes")'


def case(name, functions, query, mode, steps=STEPS, note=""):
    return {"name": name, "functions": functions.strip() + "\n", "query": query, "output_mode": mode,
            "conf": {}, "sources": {"events": {"schema": V, "steps": steps}}, "statics": {}, "note": note}


CASES = [
    case("fmgws_update_event_timeout", COUNT_TIMEOUT,
         WM + "." + KEY + ".flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.EventTimeTimeout)(counts)",
         "update", note="running totals per key; timeouts fire in the no-data batches after the watermark moves"),
    case("fmgws_append_sessions", SESSIONS,
         WM + "." + KEY + ".flatMapGroupsWithState(OutputMode.Append, GroupStateTimeout.EventTimeTimeout)(sessions)",
         "append", note="10-minute gap sessions written once, when the watermark passes last + gap"),
    case("fmgws_late_rows_dropped", SESSIONS,
         'events.withWatermark("time", "0 seconds").' + KEY
         + ".flatMapGroupsWithState(OutputMode.Append, GroupStateTimeout.EventTimeTimeout)(sessions)",
         "append", note="a 0-second watermark: rows at or below the previous batch's watermark are dropped"),
    case("fmgws_no_timeout_remove", RUNNING,
         "events." + KEY + ".flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.NoTimeout)(running)",
         "update", note="no watermark, no timeout; remove() at 3 rows"),
    case("fmgws_no_timeout_with_watermark", RUNNING,
         WM + "." + KEY + ".flatMapGroupsWithState(OutputMode.Append, GroupStateTimeout.NoTimeout)(running)",
         "append", note="with NoTimeout late rows are not dropped"),
    case("mgws_map_update", MAPPED,
         "events." + KEY + ".mapGroupsWithState(GroupStateTimeout.NoTimeout)(latest)", "update",
         note="mapGroupsWithState: one row per key with data"),
    case("fmgws_timeout_strictly_below_watermark", EXACT,
         'events.withWatermark("time", "0 seconds").' + KEY
         + ".flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.EventTimeTimeout)(exact)",
         "update", steps=[[["2013-01-01 10:00:00", "a", 1]], [["2013-01-01 10:05:00", "b", 2]],
                          [["2013-01-01 10:05:00", "c", 3]], [["2013-01-01 10:06:00", "d", 4]]]),
    case("fmgws_error_event_timeout_without_watermark", SESSIONS,
         "events." + KEY + ".flatMapGroupsWithState(OutputMode.Append, GroupStateTimeout.EventTimeTimeout)(sessions)",
         "append"),
    case("fmgws_error_update_in_append_mode", COUNT_TIMEOUT,
         WM + "." + KEY + ".flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.EventTimeTimeout)(counts)",
         "append"),
    case("fmgws_error_append_in_update_mode", SESSIONS,
         WM + "." + KEY + ".flatMapGroupsWithState(OutputMode.Append, GroupStateTimeout.EventTimeTimeout)(sessions)",
         "update"),
    case("mgws_error_append_mode", MAPPED,
         "events." + KEY + ".mapGroupsWithState(GroupStateTimeout.NoTimeout)(latest)", "append"),
    case("fmgws_error_update_with_aggregation", RUNNING,
         "events." + KEY + ".flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.NoTimeout)(running)"
         '.groupBy("_3").count()', "update"),
    case("fmgws_error_timeout_below_watermark", TOO_EARLY,
         WM + "." + KEY + ".flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.EventTimeTimeout)(early)",
         "update", note="run-time IllegalArgumentException in batch 2"),
    case("fmgws_error_empty_min_on_timeout", EMPTY_MIN,
         WM + "." + KEY + ".flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.EventTimeTimeout)(emptyMin)",
         "update", note="a timeout call has no rows: rows.min throws, as in Scala"),
    case("fmgws_error_duration_without_processing_timeout", DURATION,
         WM + "." + KEY + ".flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.EventTimeTimeout)(dur)",
         "update", note="run-time UnsupportedOperationException"),
    case("fmgws_error_watermark_not_defined", NO_WM,
         "events." + KEY + ".flatMapGroupsWithState(OutputMode.Update, GroupStateTimeout.NoTimeout)(wm)",
         "update", note="getCurrentWatermarkMs without withWatermark"),
]


def scala_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


PRELUDE = r'''
import org.apache.spark.sql._
import org.apache.spark.sql.streaming._
import spark.implicits._
spark.sparkContext.setLogLevel("ERROR")
spark.conf.set("spark.sql.shuffle.partitions", "2")
spark.conf.set("spark.sql.session.timeZone", "UTC")
object OracleIO {
  def write(path: String, text: String): Unit = {
    val w = new java.io.PrintWriter(path, "UTF-8"); try w.write(text) finally w.close()
  }
  def q(s: String): String = "\"" + s.flatMap {
    case '"' => "\\\""; case '\\' => "\\\\"; case '\n' => "\\n"; case '\r' => ""; case '\t' => "\\t"; case c => c.toString
  } + "\""
  def root(e: Throwable): Throwable = {
    var t = e
    while (t.getCause != null && t.getCause != t) t = t.getCause
    t
  }
  def err(e: Throwable): String = {
    val r = root(e)
    val msg = r match {
      case a: AnalysisException => a.getMessage
      case o => o.getClass.getSimpleName + ": " + o.getMessage
    }
    "{\"error\": " + q(msg.split("\n")(0)) + ", \"error_class\": " + q(r.getClass.getSimpleName) + "}"
  }
}
'''

CASE = r'''
// ---- case %(name)s
{
  val dir = %(dir)s
  val events = spark.readStream.schema(%(schema)s).option("maxFilesPerTrigger", 1)
    .option("timestampFormat", "yyyy-MM-dd HH:mm:ss").json(dir + "/events")
%(functions)s
  val got = new java.util.concurrent.ConcurrentHashMap[Long, String]()
  val result: String = try {
    val df = (%(query)s).toDF()
    val fe: (DataFrame, Long) => Unit = (b, id) => {
      val cols = b.schema.fieldNames
      got.put(id, b.toJSON.collect().mkString("[", ",", "]") + "<<COLS>>" + cols.mkString(","))
    }
    val q = df.writeStream.outputMode(%(mode)s).option("checkpointLocation", dir + "/checkpoint").foreachBatch(fe).start()
    try {
      var failure: String = null
      for (k <- 0 until %(steps)d if failure == null) {
        val src = new java.io.File(dir + "/steps/" + k + ".json")
        if (src.exists) src.renameTo(new java.io.File(dir + "/events/" + k + ".json"))
        try q.processAllAvailable() catch { case e: Throwable => failure = OracleIO.err(e) }
      }
      if (failure != null) failure.dropRight(1) + ", \"runtime\": true}"
      else {
        val progress = q.recentProgress.map(_.json).mkString("[", ",", "]")
        val batches = got.keySet.toArray.map(_.asInstanceOf[Long]).sorted
          .map(id => OracleIO.q(id.toString) + ": " + OracleIO.q(got.get(id))).mkString("{", ",", "}")
        "{\"progress\": " + progress + ", \"sink\": " + batches + "}"
      }
    } finally q.stop()
  } catch { case e: Throwable => OracleIO.err(e) }
  OracleIO.write(dir + "/result.json", result)
}
'''


def iso_to_cell(v):
    if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] == "T":
        d = datetime.datetime.strptime(v[:19], "%Y-%m-%dT%H:%M:%S")
        s = d.strftime("%Y-%m-%d %H:%M:%S")
        ms = v[20:23] if len(v) > 20 and v[19] == "." else "000"
        if ms != "000":
            s += "." + ms
        return s
    return v


def convert(raw):
    if "error" in raw:
        return raw
    sink = raw["sink"]
    batches = []
    for p in raw["progress"]:
        bid = p["batchId"]
        rows = []
        if str(bid) in sink:
            text, cols = sink[str(bid)].split("<<COLS>>")
            cols = cols.split(",") if cols else []
            for obj in json.loads(text):
                rows.append([iso_to_cell(obj.get(c)) for c in cols])
        rows.sort(key=json.dumps)
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "watermark": p.get("eventTime", {}).get("watermark"),
            "rows": rows,
            "state": [{"numRowsTotal": o["numRowsTotal"], "numRowsUpdated": o["numRowsUpdated"],
                       "numRowsDroppedByWatermark": o.get("numRowsDroppedByWatermark", 0)}
                      for o in p.get("stateOperators", [])],
        })
    return {"batches": batches}


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    cases = [c for c in CASES if only in c["name"]]
    work = tempfile.mkdtemp(prefix="fmgws-oracle-")
    parts = [PRELUDE]
    for c in cases:
        d = os.path.join(work, c["name"])
        os.makedirs(os.path.join(d, "events"))
        os.makedirs(os.path.join(d, "steps"))
        cols = [f.split()[0] for f in V.split(",")]
        steps = c["sources"]["events"]["steps"]
        for k, rows in enumerate(steps):
            with open(os.path.join(d, "steps", "%d.json" % k), "w") as f:
                for r in rows:
                    f.write(json.dumps(dict(zip(cols, r))) + "\n")
        parts.append(CASE % {
            "name": c["name"], "dir": scala_str(d), "schema": scala_str(V),
            "functions": "\n".join("  " + l for l in c["functions"].splitlines()),
            "query": c["query"], "mode": scala_str(c["output_mode"]), "steps": len(steps)})
    parts.append("\nSystem.exit(0)\n")
    script = os.path.join(work, "cases.scala")
    with open(script, "w") as f:
        f.write("".join(parts))
    spark_home = subprocess.check_output(
        [os.path.join(VENV, "bin", "python"), "-c", "import pyspark, os; print(os.path.dirname(pyspark.__file__))"],
        text=True).strip()
    log = os.path.join(work, "spark-shell.log")
    with open(log, "w") as lf:
        subprocess.run([os.path.join(spark_home, "bin", "spark-shell"), "--master", "local[2]",
                        "--conf", "spark.ui.enabled=false",
                        "--driver-java-options", "-Duser.timezone=UTC", "-i", script],
                       stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT,
                       env=dict(os.environ, SPARK_HOME=spark_home), timeout=1800)
    os.makedirs(OUT, exist_ok=True)
    missing = 0
    for c in cases:
        res = os.path.join(work, c["name"], "result.json")
        if not os.path.exists(res):
            print(c["name"], "NO RESULT (did the case compile? see", log + ")", flush=True)
            missing += 1
            continue
        with open(res) as f:
            expected = convert(json.load(f))
        out = dict(c, spark="3.5.3", expected=expected)
        with open(os.path.join(OUT, c["name"] + ".json"), "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")
        print(c["name"], "error: " + expected["error"] if "error" in expected else
              "%d batches" % len(expected["batches"]), flush=True)
    if missing:
        print("kept", work)
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
