#!/usr/bin/env python3
"""Differential fuzzer, generator half: seeded random DStream pipelines, each written twice --
as a stream-sim scenario program (`sim`, our pipeline language) and as a Spark Streaming
program (`pipeline_note`, Scala source of `(s: DStream[T]) => ...`, run verbatim by
/work/shared/oracle/scala_oracle.py) -- over every operator and form: partitioned inputs,
batches with no RDD (None), union and transformWith, joins and cogroup, initial and time-aware
updateStateByKey state, numPartitions arguments, glom and mapPartitions, non-commutative
functions (string concatenation, subtraction), and windows with every valid length and slide.

Usage: spark-diff-gen.py [--seed 1] [--count 1100] > cases.json
Deterministic: the same seed gives the same cases (Python's random.Random(seed)).
"""
import argparse
import json
import random
import re

# A type is ('int', 'Int'|'Long') | ('str',) | ('pair', K, V) | ('opaque', scala_type).
INT = ("int", "Int")
LONG = ("int", "Long")
STR = ("str",)


def pair(k, v):
    return ("pair", k, v)


def scala_type(t):
    if t[0] == "int":
        return t[1]
    if t[0] == "str":
        return "String"
    if t[0] == "pair":
        return "(%s, %s)" % (scala_type(t[1]), scala_type(t[2]))
    return t[1]


def zero(t):
    return "0L" if t == LONG else "0"


WORDS = ["a", "b", "c", "d", "spark", "flink", "x"]


def gen_value(r, t):
    if t[0] == "int":
        return r.randint(0, 9)
    if t[0] == "str":
        return r.choice(WORDS)
    return [gen_value(r, t[1]), gen_value(r, t[2])]


def gen_inputs(r, t, n, allow_none):
    out = []
    for _ in range(n):
        if allow_none and r.random() < 0.12:
            out.append(None)
        else:
            out.append([gen_value(r, t) for _ in range(r.choice([0, 1, 2, 3, 4, 5, 6]))])
    return out


class Gen:
    def __init__(self, r, batch_ms):
        self.r = r
        self.batch_ms = batch_ms
        self.sim = []     # statements of our program
        self.scala = []   # val lines of the Scala body
        self.n = 0
        self.stateful = False

    def dur(self, k):
        ms = k * self.batch_ms
        sim = ("%ds" % (ms // 1000)) if ms % 1000 == 0 else ("%dms" % ms)
        return sim, "Milliseconds(%d)" % ms

    def bind(self, sim_expr, scala_expr):
        self.n += 1
        name = "v%d" % self.n
        self.sim.append("%s = %s" % (name, sim_expr))
        self.scala.append("val %s = %s" % (name, scala_expr))
        return name


def step(g, cur, t, slide, b):
    """One random operator applied to stream `cur` of type t whose slide is `slide` batches.
    b: (name, type) of the second input or None. Returns (sim, scala, new type, new slide)."""
    r = g.r
    ops = []
    if t[0] == "int":
        k, c, m = r.choice([1, 2, 3]), r.choice([0, 1, -1]), r.choice([2, 3, 4])
        ops += [
            ("map x => x * %d + %d" % (k, c), lambda: (".map(x => x * %d + %d)" % (k, c),) * 2 + (t, slide)),
            ("filter", lambda: (".filter(x => x %% %d == %d)" % (m, r.randrange(m)),) * 2 + (t, slide)),
            ("flatMap", lambda: (".flatMap(x => List(x, x + 1))", ".flatMap(x => Seq(x, x + 1))", t, slide)),
            ("map to str-key pair", lambda: ('.map(x => ("k" + (x %% %d), x))' % m,) * 2 + (pair(STR, t), slide)),
            ("map to int-key pair", lambda: (".map(x => (x %% %d, 1))" % m,) * 2 + (pair(INT, INT), slide)),
            ("toString", lambda: (".map(x => x.toString)",) * 2 + (STR, slide)),
            ("mapPartitions sum", lambda: (".mapPartitions(p => List(p.sum))", ".mapPartitions(it => Iterator(it.sum))", t, slide)),
            ("reduce sum", lambda: (".reduce(sum)", ".reduce(_ + _)", t, slide)),
            ("reduce max", lambda: (".reduce(max)", ".reduce((a, b) => if (a > b) a else b)", t, slide)),
            ("reduce sub", lambda: (".reduce((a, b) => a - b)",) * 2 + (t, slide)),
        ]
        w1, s1 = win(r, slide)
        if w1 % s1 == 0:
            ops.append(("reduceByWindow inv", lambda: (".reduceByWindow(sum, sub, %s, %s)" % (g.dur(w1)[0], g.dur(s1)[0]),
                                                       ".reduceByWindow((x: %s, y: %s) => x + y, (x: %s, y: %s) => x - y, %s, %s)" % ((scala_type(t),) * 4 + (g.dur(w1)[1], g.dur(s1)[1])), t, s1)))
        ops.append(("reduceByWindow", lambda: (".reduceByWindow(sum, %s, %s)" % (g.dur(w1)[0], g.dur(s1)[0]),
                                               ".reduceByWindow((x: %s, y: %s) => x + y, %s, %s)" % ((scala_type(t),) * 2 + (g.dur(w1)[1], g.dur(s1)[1])), t, s1)))
    if t[0] == "pair":
        return "(%s, %s)" % (scala_type(t[1]), scala_type(t[2]))
    return t[1]


def zero(t):
    return "0L" if t == LONG else "0"


WORDS = ["a", "b", "c", "d", "spark", "flink", "x"]


def gen_value(r, t):
    if t[0] == "int":
        return r.randint(0, 9)
    if t[0] == "str":
        return r.choice(WORDS)
    return [gen_value(r, t[1]), gen_value(r, t[2])]


def gen_inputs(r, t, n2, allow_none):
    out = []
    for _ in range(n2):
        if allow_none and r.random() < 0.12:
            out.append(None)
        else:
            out.append([gen_value(r, t) for _ in range(r.choice([0, 1, 2, 3, 4, 5, 6]))])
    return out


class Gen:
    def __init__(self, r, batch_ms):
        self.r = r
        self.batch_ms = batch_ms
        self.sim = []     # statements of our program
        self.scala = []   # val lines of the Scala body
        self.n2 = 0
        self.stateful = False

    def dur(self, k):
        ms = k * self.batch_ms
        sim = ("%ds" % (ms // 1000)) if ms % 1000 == 0 else ("%dms" % ms)
        return sim, "Milliseconds(%d)" % ms

    def bind(self, sim_expr, scala_expr):
        self.n2 += 1
        name = "v%d" % self.n2
        self.sim.append("%s = %s" % (name, sim_expr))
        self.scala.append("val %s = %s" % (name, scala_expr))
        return name


def step(g, cur, t, slide, b):
    """One random operator applied to stream `cur` of type t whose slide is `slide` batches.
    b: (name, type) of the second input or None. Returns (sim, scala, new type, new slide)."""
    r = g.r
    ops = []
    if t[0] == "int":
        k, c, m = r.choice([1, 2, 3]), r.choice([0, 1, -1]), r.choice([2, 3, 4])
        ops += [
            ("map x => x * %d + %d" % (k, c), lambda: (".map(x => x * %d + %d)" % (k, c),) * 2 + (t, slide)),
            ("filter", lambda: (".filter(x => x %% %d == %d)" % (m, r.randrange(m)),) * 2 + (t, slide)),
            ("flatMap", lambda: (".flatMap(x => List(x, x + 1))", ".flatMap(x => Seq(x, x + 1))", t, slide)),
            ("map to str-key pair", lambda: ('.map(x => ("k" + (x %% %d), x))' % m,) * 2 + (pair(STR, t), slide)),
            ("map to int-key pair", lambda: (".map(x => (x %% %d, 1))" % m,) * 2 + (pair(INT, INT), slide)),
            ("toString", lambda: (".map(x => x.toString)",) * 2 + (STR, slide)),
            ("mapPartitions sum", lambda: (".mapPartitions(p => List(p.sum))", ".mapPartitions(it => Iterator(it.sum))", t, slide)),
            ("reduce sum", lambda: (".reduce(sum)", ".reduce(_ + _)", t, slide)),
            ("reduce max", lambda: (".reduce(max)", ".reduce((a, b) => if (a > b) a else b)", t, slide)),
            ("reduce sub", lambda: (".reduce((a, b) => a - b)",) * 2 + (t, slide)),
        ]
        w2, s2 = win(r, slide)
        if w2 % s2 == 0:
            ops.append(("reduceByWindow inv", lambda: (".reduceByWindow(sum, sub, %s, %s)" % (g.dur(w2)[0], g.dur(s2)[0]),
                                                       ".reduceByWindow((x: %s, y: %s) => x + y, (x: %s, y: %s) => x - y, %s, %s)" % ((scala_type(t),) * 4 + (g.dur(w2)[1], g.dur(s2)[1])), t, s2)))
        ops.append(("reduceByWindow", lambda: (".reduceByWindow(sum, %s, %s)" % (g.dur(w2)[0], g.dur(s2)[0]),
                                               ".reduceByWindow((x: %s, y: %s) => x + y, %s, %s)" % ((scala_type(t),) * 2 + (g.dur(w2)[1], g.dur(s2)[1])), t, s2)))
    if t[0] == "str":
        ops += [
            ("length", lambda: (".map(x => x.length)",) * 2 + (INT, slide)),
            ("pair(1)", lambda: (".map(pair(1))", ".map(x => (x, 1))", pair(STR, INT), slide)),
            ("pair upper", lambda: (".map(x => (x.toUpperCase, x))",) * 2 + (pair(STR, STR), slide)),
            ("filter startsWith", lambda: ('.filter(x => x.startsWith("%s"))' % r.choice("abcsfx"),) * 2 + (t, slide)),
            ("mapPartitions mkString", lambda: ('.mapPartitions(p => List(p.mkString("|")))', '.mapPartitions(it => Iterator(it.mkString("|")))', t, slide)),
            ("reduce concat", lambda: (".reduce((a, b) => a + b)",) * 2 + (t, slide)),
        ]
    if t[0] == "pair":
        kt, vt = t[1], t[2]
        n2 = r.choice([1, 2, 3, 4])
        nsim2, nsc2 = (", %d" % n2, ", %d" % n2) if r.random() < 0.4 else ("", "")
        if vt[0] == "int":
            ops += [
                ("mapValues", lambda: (".mapValues(v => v * 2)",) * 2 + (t, slide)),
                ("flatMapValues", lambda: (".flatMapValues(v => List(v, v + 10))", ".flatMapValues(v => Seq(v, v + 10))", t, slide)),
                ("reduceByKey sum", lambda: (".reduceByKey(sum%s)" % nsim2, ".reduceByKey(_ + _%s)" % nsc2, t, slide)),
                ("reduceByKey sub", lambda: (".reduceByKey((a, b) => a - b%s)" % nsim2, ".reduceByKey((a, b) => a - b%s)" % nsc2, t, slide)),
                ("values toString", lambda: (".mapValues(v => v.toString)",) * 2 + (pair(kt, STR), slide)),
            ]
            z = zero(vt)
            st = scala_type(vt)
            kst = scala_type(kt)
            upd = [
                ("(values, state) => Some(values.sum + state.getOrElse(0))",
                 "(values: Seq[%s], state: Option[%s]) => Some(values.sum + state.getOrElse(%s))" % (st, st, z)),
                ("(values, state) => if (values.isEmpty) None else Some(values.sum + state.getOrElse(0))",
                 "(values: Seq[%s], state: Option[%s]) => if (values.isEmpty) None else Some(values.sum + state.getOrElse(%s))" % (st, st, z)),
                ("(values, state) => if (values.sum + state.getOrElse(0) > 6) None else Some(values.sum + state.getOrElse(0))",
                 "(values: Seq[%s], state: Option[%s]) => if (values.sum + state.getOrElse(%s) > 6) None else Some(values.sum + state.getOrElse(%s))" % (st, st, z, z)),
            ]
            us, uc = r.choice(upd)
            form = r.choice(["plain", "plain", "n2", "initial", "time"])
            if form == "plain":
                ops.append(("updateStateByKey", lambda: (".updateStateByKey(%s)" % us, ".updateStateByKey[%s](%s)" % (st, uc), t, slide)))
            elif form == "n2":
                ops.append(("updateStateByKey n2", lambda: (".updateStateByKey(%s, %d)" % (us, n2), ".updateStateByKey[%s](%s, %d)" % (st, uc, n2), t, slide)))
            elif form == "initial":
                keys = ["k0", "k1", "a", "b", "zz"] if kt == STR else [0, 1, 2, 7]
                init = [(k, r.randint(1, 9)) for k in r.sample(keys, 2)]
                def lit(k):
                    return '"%s"' % k if isinstance(k, str) else str(k)
                ssim = "parallelize(List(%s))" % ", ".join("(%s, %d)" % (lit(k), v) for k, v in init)
                sscala = "s.context.sparkContext.makeRDD(Seq[(%s, %s)](%s))" % (kst, st, ", ".join(
                    "(%s, %d%s)" % (lit(k), v, "L" if vt == LONG else "") for k, v in init))
                ops.append(("updateStateByKey initial", lambda: (".updateStateByKey(%s, %s)" % (us, ssim),
                            ".updateStateByKey[%s](%s, new HashPartitioner(s.context.sparkContext.defaultParallelism), %s)" % (st, uc, sscala), t, slide)))
            else:
                ops.append(("updateStateByKey time", lambda: (
                    ".updateStateByKey((time, key, values, state) => if (values.nonEmpty) Some(time / 1000 + values.sum + state.getOrElse(0)) else state)",
                    ".updateStateByKey[Long]((time: Time, key: %s, values: Seq[%s], state: Option[Long]) => if (values.nonEmpty) Some(time.milliseconds / 1000 + values.sum + state.getOrElse(0L)) else state, new HashPartitioner(s.context.sparkContext.defaultParallelism), true, None)" % (kst, st),
                    pair(kt, LONG), slide)))
            w2, s2 = win(r, slide)
            ops.append(("reduceByKeyAndWindow", lambda: (".reduceByKeyAndWindow(sum, %s, %s%s)" % (g.dur(w2)[0], g.dur(s2)[0], nsim2),
                        ".reduceByKeyAndWindow((x: %s, y: %s) => x + y, %s, %s%s)" % ((scala_type(vt),) * 2 + (g.dur(w2)[1], g.dur(s2)[1], nsc2)), t, s2)))
            if w2 % s2 == 0:
                filt = r.random() < 0.3
                if filt:
                    ops.append(("reduceByKeyAndWindow inv filter", lambda: (
                        ".reduceByKeyAndWindow(sum, sub, %s, %s, %d, kv => kv._2 > 0)" % (g.dur(w2)[0], g.dur(s2)[0], n2),
                        ".reduceByKeyAndWindow((x: %s, y: %s) => x + y, (x: %s, y: %s) => x - y, %s, %s, %d, (kv: %s) => kv._2 > 0)" % ((scala_type(vt),) * 4 + (g.dur(w2)[1], g.dur(s2)[1], n2, scala_type(t))),
                        t, s2)))
                else:
                    ops.append(("reduceByKeyAndWindow inv", lambda: (
                        ".reduceByKeyAndWindow(sum, sub, %s, %s%s)" % (g.dur(w2)[0], g.dur(s2)[0], nsim2),
                        ".reduceByKeyAndWindow((x: %s, y: %s) => x + y, (x: %s, y: %s) => x - y, %s, %s%s)" % ((scala_type(vt),) * 4 + (g.dur(w2)[1], g.dur(s2)[1], nsc2)), t, s2)))
        if vt[0] == "str":
            ops += [
                ("reduceByKey concat", lambda: (".reduceByKey((a, b) => a + b%s)" % nsim2, ".reduceByKey((a: String, b: String) => a + b%s)" % nsc2, t, slide)),
                ("values length", lambda: (".mapValues(v => v.length)",) * 2 + (pair(kt, INT), slide)),
            ]
        ops += [
            ("groupByKey size", lambda: (".groupByKey(%s).mapValues(vs => vs.size)" % nsim2[2:], ".groupByKey(%s).mapValues(_.size)" % nsc2[2:], pair(kt, INT), slide)),
            ("groupByKey raw", lambda: (".groupByKey(%s)" % nsim2[2:], ".groupByKey(%s)" % nsc2[2:], ("opaque", "(%s, Iterable[%s])" % (scala_type(kt), scala_type(vt))), slide)),
            ("groupByKey sorted", lambda: ('.groupByKey(%s).mapValues(vs => vs.toList.sorted.mkString(","))' % nsim2[2:], '.groupByKey(%s).mapValues(_.toList.sorted.mkString(","))' % nsc2[2:], pair(kt, STR), slide)),
            ("keys", lambda: (".map(kv => kv._1)", ".map(_._1)", kt, slide)),
            ("values", lambda: (".map(kv => kv._2)", ".map(_._2)", vt, slide)),
            ("swap", lambda: (".map(kv => kv.swap)", ".map(_.swap)", pair(vt, kt), slide)),
        ]
        w3, s3 = win(r, slide)
        ops.append(("groupByKeyAndWindow", lambda: (".groupByKeyAndWindow(%s, %s%s).mapValues(vs => vs.size)" % (g.dur(w3)[0], g.dur(s3)[0], nsim2),
                    ".groupByKeyAndWindow(%s, %s%s).mapValues(_.size)" % (g.dur(w3)[1], g.dur(s3)[1], nsc2), pair(kt, INT), s3)))
        if b is not None and b[1][0] == "pair" and b[1][1] == kt and slide == 1:
            bt = b[1]
            res = ("opaque", "(%s, (%s, %s))" % (scala_type(kt), scala_type(vt), scala_type(bt[2])))
            jn = r.choice(["join", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin", "cogroup"])
            ops.append(("b " + jn, lambda: (".%s(b%s)" % (jn, nsim2), ".%s(b%s)" % (jn, nsc2), res, slide)))
            ops.append(("transformWith join", lambda: (".transformWith(b, (r1, r2) => r1.join(r2))",
                        ".transformWith(b, (r1: RDD[%s], r2: RDD[%s]) => r1.join(r2))" % (scala_type(t), scala_type(bt)), res, slide)))
    # any type
    n_specific = len(ops)
    n4 = r.choice([1, 2, 3, 5])
    ops += [
        ("repartition", lambda: (".repartition(%d)" % n4,) * 2 + (t, slide)),
        ("count", lambda: (".count()",) * 2 + (LONG, slide)),
        ("glom size", lambda: (".glom().map(p => p.size)", ".glom().map(_.size)", INT, slide)),
        ("transform map", lambda: (".transform(rdd => rdd.map(x => x.toString))", ".transform((rdd: RDD[%s]) => rdd.map(_.toString))" % scala_type(t), STR, slide)),
    ]
    if t[0] != "opaque":
        nn = r.choice([1, 2, 3])
        nsim4, nsc4 = (str(nn), str(nn)) if r.random() < 0.4 else ("", "")
        ops += [
            ("countByValue", lambda: (".countByValue(%s)" % nsim4, ".countByValue(%s)" % nsc4, pair(t, LONG), slide)),
            ("transform distinct", lambda: (".transform(rdd => rdd.distinct())", ".transform((rdd: RDD[%s]) => rdd.distinct())" % scala_type(t), t, slide)),
            ("glom mkString", lambda: ('.glom().map(p => p.mkString(","))', '.glom().map(_.mkString(","))', STR, slide)),
        ]
        w4, s4 = win(r, slide)
        ops.append(("window", lambda: (".window(%s, %s)" % (g.dur(w4)[0], g.dur(s4)[0]), ".window(%s, %s)" % (g.dur(w4)[1], g.dur(s4)[1]), t, s4)))
        ops.append(("window1", lambda: (".window(%s)" % g.dur(w4)[0], ".window(%s)" % g.dur(w4)[1], t, slide)))
        if w4 % s4 == 0:
            ops.append(("countByWindow", lambda: (".countByWindow(%s, %s)" % (g.dur(w4)[0], g.dur(s4)[0]), ".countByWindow(%s, %s)" % (g.dur(w4)[1], g.dur(s4)[1]), LONG, s4)))
            ops.append(("countByValueAndWindow", lambda: (".countByValueAndWindow(%s, %s%s)" % (g.dur(w4)[0], g.dur(s4)[0], (", " + nsim4) if nsim4 else ""),
                        ".countByValueAndWindow(%s, %s%s)" % (g.dur(w4)[1], g.dur(s4)[1], (", " + nsc4) if nsc4 else ""), pair(t, LONG), s4)))
        if b is not None and b[1] == t and slide == 1:
            ops.append(("union b", lambda: (".union(b)",) * 2 + (t, slide)))
            st4 = scala_type(t)
            ops.append(("transformWith union", lambda: (".transformWith(b, (r1, r2) => r1.union(r2))",
                        ".transformWith(b, (r1: RDD[%s], r2: RDD[%s]) => r1.union(r2))" % (st4, st4), t, slide)))
        ops.append(("self union", None))
    if n_specific and r.random() < 0.65:
        name, f = r.choice(ops[:n_specific])
    else:
        name, f = r.choice(ops[n_specific:])
    if f is None:  # self union: needs a name for the current stream
        cur_name = cur
        if t[0] == "int":
            sim_o, sc_o = ".map(x => x + 100)", ".map(x => x + 100)"
        else:
            sim_o, sc_o = ".filter(x => x != x)", ".filter(x => x != x)"
            sim_o, sc_o = ".repartition(1)", ".repartition(1)"
        return name, ".union(%s%s)" % (cur_name, sim_o), ".union(%s%s)" % (cur_name, sc_o), t, slide
    res = f()
    return (name,) + res


def win(r, slide):
    """A window length and slide (in batches), multiples of the parent's slide: every valid
    pair with window and slide up to 4 parent slides is reachable."""
    w = slide * r.choice([1, 2, 3, 4])
    s = slide * r.choice([1, 1, 2, 3, 4])
    return w, s


def make_case(r, idx):
    batch_ms = r.choice([1000, 1000, 1000, 500])
    t = r.choice([INT, INT, STR, pair(STR, INT), pair(STR, INT), pair(INT, INT)])
    nb = r.randint(4, 8)
    allow_none = r.random() < 0.1
    inputs = gen_inputs(r, t, nb - r.randint(0, 2), allow_none)
    if not any(bt for bt in inputs if bt):
        inputs[0] = [gen_value(r, t)]
    parts = r.choice([1, 2, 2, 3, 4])
    two = r.random() < 0.35
    b = None
    case = dict(name="fuzz-%04d" % idx, batch_ms=batch_ms, num_batches=nb, partitions=parts)
    case["inputs"] = inputs
    if two:
        bt = t if r.random() < 0.6 or t[0] != "pair" else pair(t[1], STR)
        inputs2 = gen_inputs(r, bt, nb, False)
        if not any(x for x in inputs2 if x):
            inputs2[0] = [gen_value(r, bt)]
        case["inputs2"] = inputs2
        b = ("b", bt)
    g = Gen(r, batch_ms)
    slide = 1
    sim_chain, scala_chain = "a", "$A"
    ops = []
    for _ in range(r.randint(1, 4)):
        name, s_sim, s_sc, t2, slide2 = step(g, None, t, slide, b)
        if name == "self union":
            cur = g.bind(sim_chain, scala_chain)
            other = ".map(x => x + 100)" if t[0] == "int" else ".repartition(1)"
            sim_chain = "%s.union(%s%s)" % (cur, cur, other)
            scala_chain = "%s.union(%s%s)" % (cur, cur, other)
        else:
            sim_chain += s_sim
            scala_chain += s_sc
        ops.append(name)
        t, slide = t2, slide2
        if t[0] == "opaque" and r.random() < 0.5:
            break
    A, B = ("s1", "s2") if two else ("s", "b")
    scala = "; ".join(g.scala + [scala_chain]).replace("$A", A).replace("s.context.", A + ".context.")
    scala = re.sub(r"\bb\b(?=[,)])", B, scala) if two else scala
    if two:
        note = "{ %s }" % scala
    else:
        note = "(s: DStream[%s]) => { %s }" % (scala_type(case_type0(case)), scala)
    case["pipeline_note"] = note
    case["sim"] = "\n".join(g.sim + ["out = %s" % sim_chain])
    case["ops"] = ops
    return case


def case_type0(case):
    v = next(x for bt in case["inputs"] if bt for x in bt)
    if isinstance(v, int):
        return INT
    if isinstance(v, str):
        return STR
    return pair(INT if isinstance(v[0], int) else STR, INT if isinstance(v[1], int) else STR)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1100)
    a = ap.parse_args()
    r = random.Random(a.seed)
    print(json.dumps([make_case(r, i) for i in range(a.count)], indent=0))


if __name__ == "__main__":
    main()
