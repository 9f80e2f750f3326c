#!/usr/bin/env python3
"""Regenerates tests/fixtures/structured/*.json: Structured Streaming cases run on real
Apache Spark 3.5.3 (PySpark), micro-batch by micro-batch.

Run with the oracle venv (see /work/shared/oracle/README.md):

    ~/.cache/stream-sim-oracle/venv/bin/python scripts/oracle-structured.py [NAME_FILTER]

Each case is a query text (PySpark spelling, which stream-sim's query parser also reads),
an output mode, Spark confs, and for each source a schema and *steps*: the rows of step k are
written as one JSON file into the source's directory (a file source with
maxFilesPerTrigger = 1), then `processAllAvailable()` runs the data micro-batch and any
no-data micro-batch the watermark calls for. foreachBatch collects each micro-batch's rows;
`recentProgress` gives its watermark, input rows and state operator figures. Analysis errors
are recorded as the exception's message. All cases run in one JVM.

tests/structured_oracle.rs replays every fixture in the simulator (tests never need Spark).
"""
import json
import os
import shutil
import sys
import tempfile
import datetime

from pyspark.sql import SparkSession, Row
import pyspark.sql.functions as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "structured")

W = "time timestamp, word string"
GUIDE = [
    [["2013-01-01 12:07:00", "dog"], ["2013-01-01 12:08:00", "owl"]],
    [["2013-01-01 12:14:00", "dog"], ["2013-01-01 12:09:00", "cat"]],
    [["2013-01-01 12:15:00", "cat"], ["2013-01-01 12:08:00", "dog"],
     ["2013-01-01 12:13:00", "owl"], ["2013-01-01 12:21:00", "owl"]],
    [["2013-01-01 12:04:00", "donkey"], ["2013-01-01 12:17:00", "owl"]],
]
GUIDE_Q = ('words.withWatermark("time", "10 minutes")'
           '.groupBy(window(col("time"), "10 minutes", "5 minutes"), col("word")).count()')
V = "time timestamp, key string, value bigint"
VALS = [
    [["2013-01-01 10:01:00", "a", 1], ["2013-01-01 10:02:00", "b", 2], ["2013-01-01 10:03:00", "a", 3]],
    [["2013-01-01 10:12:00", "a", 4], ["2013-01-01 10:04:00", "b", 5]],
    [["2013-01-01 10:25:00", "b", 6], ["2013-01-01 10:05:00", "a", 7], ["2013-01-01 10:14:00", "a", 8]],
    [["2013-01-01 10:40:00", "a", 9], ["2013-01-01 10:22:00", "b", 10], ["2013-01-01 10:09:00", "b", 11]],
]
VALS_NULL = [
    [["2013-01-01 10:01:00", "a", None], ["2013-01-01 10:02:00", None, 2], ["2013-01-01 10:03:00", "a", 3]],
    [["2013-01-01 10:31:00", "a", None], ["2013-01-01 10:04:00", "b", 5]],
]
L = "ltime timestamp, lkey string, lval bigint"
R = "rtime timestamp, rkey string, rval bigint"
LEFT = [
    [["2013-01-01 10:00:00", "a", 1], ["2013-01-01 10:05:00", "b", 2]],
    [["2013-01-01 10:20:00", "c", 3]],
    [["2013-01-01 10:40:00", "d", 4]],
    [["2013-01-01 11:10:00", "e", 5]],
]
RIGHT = [
    [["2013-01-01 10:02:00", "a", 10]],
    [["2013-01-01 10:09:00", "b", 20], ["2013-01-01 10:50:00", "c", 30]],
    [["2013-01-01 10:45:00", "d", 40]],
    [["2013-01-01 11:30:00", "e", 50]],
]
RANGE = ('(col("lkey") == col("rkey")) & (col("rtime") >= col("ltime")) & '
         '(col("rtime") <= col("ltime") + expr("interval 10 minutes"))')
LW = 'left.withWatermark("ltime", "10 minutes")'
RW = 'right.withWatermark("rtime", "20 minutes")'
STATIC = {"labels": {"schema": "skey string, label string",
                     "rows": [["a", "alpha"], ["b", "beta"], ["z", "zeta"]]}}


def case(name, query, mode, sources, conf=None, statics=None, note=""):
    return {"name": name, "query": query, "output_mode": mode, "conf": conf or {},
            "sources": sources, "statics": statics or {}, "note": note}


def words(steps=GUIDE):
    return {"words": {"schema": W, "steps": steps}}


def vals(steps=VALS):
    return {"events": {"schema": V, "steps": steps}}


def lr(left=LEFT, right=RIGHT):
    return {"left": {"schema": L, "steps": left}, "right": {"schema": R, "steps": right}}


CASES = [
    case("guide_append", GUIDE_Q, "append", words(), note="the programming guide's watermark example, append mode"),
    case("guide_update", GUIDE_Q, "update", words(), note="the programming guide's watermark example, update mode"),
    case("guide_complete", GUIDE_Q, "complete", words()),
    case("guide_no_data_batches_off", GUIDE_Q, "append", words(),
         conf={"spark.sql.streaming.noDataMicroBatches.enabled": "false"}),
    case("guide_no_watermark_update",
         'words.groupBy(window(col("time"), "10 minutes", "5 minutes"), col("word")).count()', "update", words()),
    case("error_append_without_watermark",
         'words.groupBy(window(col("time"), "10 minutes", "5 minutes"), col("word")).count()', "append", words()),
    case("error_complete_without_aggregation", 'words.select(col("word"))', "complete", words()),
    case("error_append_watermark_not_a_key",
         'words.withWatermark("time", "10 minutes").groupBy(col("word")).count()', "append", words()),
    case("watermark_not_a_key_update",
         'words.withWatermark("time", "10 minutes").groupBy(col("word")).count()', "update", words()),
    case("error_watermark_on_string", 'words.withWatermark("word", "10 minutes")', "append", words()),
    case("error_window_on_string", 'words.groupBy(window(col("word"), "10 minutes")).count()', "update", words()),
    case("error_unresolved_column", 'words.select(col("wrd"))', "append", words()),
    case("tumbling_append",
         'events.withWatermark("time", "5 minutes").groupBy(window(col("time"), "10 minutes")).count()',
         "append", vals()),
    case("tumbling_update_aggs",
         'events.withWatermark("time", "5 minutes").groupBy(window(col("time"), "10 minutes"), col("key"))'
         '.agg(count("*").alias("n"), sum("value"), avg("value"), min("value"), max("value"))',
         "update", vals()),
    case("tumbling_complete_aggs",
         'events.groupBy(col("key")).agg(sum("value").alias("total"), avg("value"))', "complete", vals()),
    case("watermark_zero_delay",
         'events.withWatermark("time", "0 seconds").groupBy(window(col("time"), "10 minutes")).count()',
         "append", vals()),
    case("watermark_long_delay",
         'events.withWatermark("time", "1 hour").groupBy(window(col("time"), "10 minutes")).count()',
         "append", vals()),
    case("sliding_15_5_update",
         'events.withWatermark("time", "10 minutes").groupBy(window(col("time"), "15 minutes", "5 minutes")).agg(sum("value"))',
         "update", vals()),
    case("window_with_start_offset",
         'events.withWatermark("time", "5 minutes").groupBy(window(col("time"), "10 minutes", "10 minutes", "3 minutes")).count()',
         "append", vals()),
    case("group_by_timestamp_key",
         'events.withWatermark("time", "5 minutes").groupBy(col("time")).count()', "append", vals()),
    case("stateless_select_where",
         'events.where(col("value") > 3).select(col("key"), (col("value") * 2).alias("double"))', "append", vals()),
    case("stateless_with_column_update",
         'events.withColumn("big", col("value") >= 5).withColumn("k", upper(col("key")))', "update", vals()),
    case("filter_then_window",
         'events.withWatermark("time", "5 minutes").where(col("key") == "a")'
         '.groupBy(window(col("time"), "10 minutes")).agg(max("value"))', "append", vals()),
    case("nulls_in_aggregates",
         'events.withWatermark("time", "5 minutes").groupBy(window(col("time"), "10 minutes"), col("key"))'
         '.agg(count("value"), count("*"), sum("value"))', "update", vals(VALS_NULL)),
    case("unparsable_event_time",
         'events.withWatermark("time", "5 minutes").groupBy(window(col("time"), "10 minutes")).count()', "update",
         vals([[["2013-01-01 10:01:00", "a", 1], ["not a time", "b", 2]],
               [["2013-01-01 10:30:00", "a", 3], ["2013-01-01 10:31:00", "c", 4]]])),
    case("event_exactly_at_watermark",
         'events.withWatermark("time", "10 minutes").groupBy(window(col("time"), "5 minutes")).count()', "append",
         vals([[["2013-01-01 10:20:00", "a", 1]], [["2013-01-01 10:30:00", "a", 2]],
               [["2013-01-01 10:10:00", "a", 3], ["2013-01-01 10:09:59", "b", 4], ["2013-01-01 10:14:59", "c", 5]],
               [["2013-01-01 10:15:00", "a", 6], ["2013-01-01 10:40:00", "a", 7]],
               [["2013-01-01 10:19:00", "a", 8]]])),
    case("late_rows_update_mode",
         'events.withWatermark("time", "5 minutes").groupBy(window(col("time"), "10 minutes")).count()', "update",
         vals([[["2013-01-01 10:01:00", "a", 1]], [["2013-01-01 10:30:00", "a", 2]],
               [["2013-01-01 10:41:00", "a", 3]], [["2013-01-01 10:02:00", "a", 4], ["2013-01-01 10:31:00", "b", 5]],
               [["2013-01-01 10:03:00", "a", 6], ["2013-01-01 10:44:00", "b", 7]]])),
    case("complete_mode_keeps_late_rows",
         'events.withWatermark("time", "5 minutes").groupBy(window(col("time"), "10 minutes")).count()', "complete",
         vals([[["2013-01-01 10:01:00", "a", 1]], [["2013-01-01 10:30:00", "a", 2]],
               [["2013-01-01 10:41:00", "a", 3]], [["2013-01-01 10:02:00", "a", 4]]])),
    case("dedup_without_watermark", 'events.dropDuplicates(["key"])', "append", vals()),
    case("dedup_key_with_watermark", 'events.withWatermark("time", "10 minutes").dropDuplicates(["key"])',
         "append", vals()),
    case("dedup_key_and_time_with_watermark",
         'events.withWatermark("time", "10 minutes").dropDuplicates(["key", "time"])', "append",
         vals([[["2013-01-01 10:01:00", "a", 1], ["2013-01-01 10:01:00", "a", 2]],
               [["2013-01-01 10:01:00", "a", 3], ["2013-01-01 10:30:00", "b", 4]],
               [["2013-01-01 10:01:00", "a", 5], ["2013-01-01 10:30:00", "b", 6], ["2013-01-01 10:25:00", "c", 7]]])),
    case("dedup_update_mode", 'events.withWatermark("time", "10 minutes").dropDuplicates(["key", "time"])',
         "update", vals()),
    case("error_dedup_complete", 'events.dropDuplicates(["key"])', "complete", vals()),
    case("stream_static_inner", 'events.join(labels, col("key") == col("skey"))', "append", vals(), statics=STATIC),
    case("stream_static_left_outer", 'events.join(labels, col("key") == col("skey"), "left_outer")', "append",
         vals(), statics=STATIC),
    case("error_stream_static_full_outer", 'events.join(labels, col("key") == col("skey"), "full_outer")', "append",
         vals(), statics=STATIC),
    case("error_static_left_outer_stream", 'labels.join(events, col("key") == col("skey"), "left_outer")', "append",
         vals(), statics=STATIC),
    case("stream_stream_inner_no_watermark", 'left.join(right, col("lkey") == col("rkey"))', "append", lr()),
    case("stream_stream_inner_range", f'{LW}.join({RW}, {RANGE})', "append", lr()),
    case("stream_stream_left_outer_range", f'{LW}.join({RW}, {RANGE}, "left_outer")', "append", lr()),
    case("stream_stream_right_outer_range", f'{LW}.join({RW}, {RANGE}, "right_outer")', "append", lr()),
    case("error_stream_stream_outer_without_watermark",
         'left.join(right, col("lkey") == col("rkey"), "left_outer")', "append", lr()),
    case("error_stream_stream_update", f'{LW}.join({RW}, {RANGE})', "update", lr()),
    case("multiple_watermarks_min", f'{LW}.join({RW}, {RANGE})', "append", lr(),
         conf={"spark.sql.streaming.multipleWatermarkPolicy": "min"}),
    case("multiple_watermarks_max", f'{LW}.join({RW}, {RANGE})', "append", lr(),
         conf={"spark.sql.streaming.multipleWatermarkPolicy": "max"}),
    case("multiple_watermarks_one_side_silent", f'{LW}.join({RW}, {RANGE}, "left_outer")', "append",
         lr(right=[[["2013-01-01 10:02:00", "a", 10]], [], [], []])),
]

# Session windows (session_window, Spark 3.2+): a session of a key closes after a gap with no
# event; a row bridging two stored sessions merges them; a session ends at the last event + gap.
SESS = [
    [["2013-01-01 10:00:00", "a", 1], ["2013-01-01 10:03:00", "a", 2], ["2013-01-01 10:01:00", "b", 3],
     ["2013-01-01 10:20:00", "a", 4], ["2013-01-01 10:00:00", "c", 5], ["2013-01-01 10:05:00", "c", 6]],
    [["2013-01-01 10:06:00", "a", 7], ["2013-01-01 10:14:00", "a", 8], ["2013-01-01 10:22:00", "b", 9]],
    [["2013-01-01 10:17:00", "a", 10], ["2013-01-01 10:02:00", "a", 11], ["2013-01-01 10:45:00", "b", 12]],
    [["2013-01-01 10:31:00", "a", 13], ["2013-01-01 10:48:00", "b", 14], ["2013-01-01 11:10:00", "b", 15]],
]
SW = 'events.withWatermark("time", "10 minutes").groupBy(session_window(col("time"), "5 minutes"), col("key"))'
SESSION_CASES = [
    case("session_append_count", SW + ".count()", "append", vals(SESS),
         note="session windows with a 5-minute gap, append: a session is emitted when the watermark passes its end"),
    case("session_update_aggs", SW + '.agg(count("*").alias("n"), sum("value"), avg("value"))', "update",
         vals(SESS)),
    case("session_complete", SW + '.agg(sum("value"))', "complete", vals(SESS)),
    case("session_no_key_append",
         'events.withWatermark("time", "10 minutes").groupBy(session_window(col("time"), "5 minutes")).count()',
         "append", vals(SESS)),
    case("session_guide_words_update",
         'words.withWatermark("time", "10 minutes").groupBy(session_window(col("time"), "3 minutes"), col("word")).count()',
         "update", words()),
    case("session_long_gap_append",
         'events.withWatermark("time", "5 minutes").groupBy(session_window(col("time"), "10 minutes"), col("key"))'
         '.agg(max("value"))', "append", vals()),
    case("session_append_aggs", SW + '.agg(count("*").alias("n"), sum("value"), avg("value"), min("time"))',
         "append", vals(SESS)),
    case("session_complete_without_watermark",
         'events.groupBy(session_window(col("time"), "5 minutes"), col("key")).count()', "complete", vals(SESS)),
    case("session_error_append_without_watermark",
         'events.groupBy(session_window(col("time"), "5 minutes"), col("key")).count()', "append", vals(SESS)),
]
CASES += SESSION_CASES


def to_json(v):
    if isinstance(v, datetime.datetime):
        s = v.strftime("%Y-%m-%d %H:%M:%S")
        if v.microsecond:
            s += ".%03d" % (v.microsecond // 1000)
        return s
    if isinstance(v, Row):
        d = v.asDict()
        return {k: to_json(x) for k, x in d.items()}
    return v


def run(spark, c):
    d = tempfile.mkdtemp(prefix="ss-oracle-")
    try:
        env = {k: getattr(F, k) for k in dir(F) if not k.startswith("_")}
        for name, s in c["sources"].items():
            os.makedirs(os.path.join(d, name))
            env[name] = (spark.readStream.schema(s["schema"]).option("maxFilesPerTrigger", 1)
                         .option("timestampFormat", "yyyy-MM-dd HH:mm:ss").json(os.path.join(d, name)))
        for name, s in c["statics"].items():
            env[name] = spark.createDataFrame(s["rows"], s["schema"])
        for k, v in c["conf"].items():
            spark.conf.set(k, v)
        try:
            df = eval("(" + c["query"] + ")", env)
            got = {}

            def fe(bdf, bid):
                got[bid] = sorted(([to_json(x) for x in r] for r in bdf.collect()), key=json.dumps)

            q = (df.writeStream.outputMode(c["output_mode"]).foreachBatch(fe)
                 .option("checkpointLocation", os.path.join(d, "checkpoint")).start())
        except Exception as e:  # AnalysisException and friends
            return {"error": str(e).split("\n")[0], "error_class": type(e).__name__}
        try:
            steps = max(len(s["steps"]) for s in c["sources"].values())
            for k in range(steps):
                for name, s in c["sources"].items():
                    rows = s["steps"][k] if k < len(s["steps"]) else []
                    if not rows:
                        continue
                    cols = [f.split()[0] for f in s["schema"].split(",")]
                    tmp = os.path.join(d, "tmp-%s-%04d.json" % (name, k))
                    with open(tmp, "w") as f:
                        for r in rows:
                            f.write(json.dumps(dict(zip(cols, r))) + "\n")
                    os.rename(tmp, os.path.join(d, name, "%04d.json" % k))
                try:
                    q.processAllAvailable()
                except Exception as e:  # a failed query: record Spark's message
                    return {"error": str(e).split("\n")[0], "error_class": type(e).__name__, "runtime": True}
            progress = [p if isinstance(p, dict) else json.loads(p.json) for p in q.recentProgress]
        finally:
            q.stop()
        batches = []
        for p in progress:
            bid = p["batchId"]
            batches.append({
                "batch_id": bid,
                "num_input_rows": p["numInputRows"],
                "watermark": p.get("eventTime", {}).get("watermark"),
                "rows": got.get(bid, []),
                "state": [{"numRowsTotal": o["numRowsTotal"], "numRowsUpdated": o["numRowsUpdated"],
                           "numRowsDroppedByWatermark": o.get("numRowsDroppedByWatermark", 0)}
                          for o in p.get("stateOperators", [])],
            })
        return {"batches": batches}
    finally:
        for k in c["conf"]:
            spark.conf.unset(k)
        shutil.rmtree(d, ignore_errors=True)


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    start = only[len("from:"):] if only.startswith("from:") else None
    if start:
        only = ""
    spark = (SparkSession.builder.master("local[2]").appName("stream-sim-structured-oracle")
             .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    os.makedirs(OUT, exist_ok=True)
    for c in CASES:
        if start and c["name"] != start:
            continue
        start = None
        if only not in c["name"]:
            continue
        expected = run(spark, c)
        c = dict(c, spark=spark.version, expected=expected)
        with open(os.path.join(OUT, c["name"] + ".json"), "w") as f:
            json.dump(c, f, indent=1)
            f.write("\n")
        print(c["name"], "error: " + expected["error"] if "error" in expected else
              "%d batches" % len(expected["batches"]), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
