#!/usr/bin/env python3
"""Differential fuzzer, Spark half: runs generated cases (scripts/spark-diff-gen.py) on real
Spark Streaming 3.5.3 with the runtime of /work/shared/oracle/scala_oracle.py (its Scala
harness: OracleInputStream = Spark's TestInputStream, a ManualClock, local[2], a checkpoint
directory) in ONE spark-shell, and records per output batch its time, its partition count and
every record's printed text (`String.valueOf(record)`, what `print()` shows), partition by
partition.

Many cases share one compiled Scala file (`--group`, default 25: the compiler's start-up per
`:paste` dominates on a loaded machine); a group that does not compile is retried case by case
with `--group 1` on a later run (`--only-missing`).

Usage: spark-diff-run.py CASES.json OUT.json [--workdir DIR] [--group N] [--oracle DIR]
OUT.json: the cases, each with `spark` = {outputs: [{time_ms, partitions: [[text, ...], ...]}],
error, construct_error} or {compile_error}.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("cases")
ap.add_argument("out")
ap.add_argument("--workdir", default="/tmp/spark-diff-work")
ap.add_argument("--group", type=int, default=25)
ap.add_argument("--timeout-ms", type=int, default=8000)
ap.add_argument("--oracle", default=os.environ.get("STREAM_SIM_ORACLE_DIR", "/work/shared/oracle"))
args = ap.parse_args()
sys.path.insert(0, args.oracle)
import scala_oracle as so  # noqa: E402

OLD = '''"{\\"time_ms\\":" + t + ",\\"partitions\\":" + parts.map(p => p.map(Json.enc).mkString("[", ",", "]")).mkString("[", ",", "]") + "}"'''
NEW = ('''"{\\"time_ms\\":" + t + ",\\"partitions\\":" + parts.map(p => p.map(Json.enc).mkString("[", ",", "]")).mkString("[", ",", "]")'''
       ''' + ",\\"text\\":" + parts.map(p => p.map(x => Json.q(String.valueOf(x))).mkString("[", ",", "]")).mkString("[", ",", "]") + "}"''')
assert OLD in so.COMMON_SCALA, "scala_oracle.py changed: cannot add the printed text"
common = so.COMMON_SCALA.replace(OLD, NEW).replace("PkgName.pkg", '"%s"' % so.PKG)

cases = json.load(open(args.cases))
work = os.path.abspath(args.workdir)
shutil.rmtree(work, ignore_errors=True)
src = os.path.join(work, "src")
ckpt = os.path.join(work, "ckpt")
os.makedirs(src)
os.makedirs(ckpt)
with open(os.path.join(src, "Oracle.scala"), "w") as f:
    f.write(common)
files = [os.path.join(src, "Oracle.scala")]
objects = {}  # case index -> object name
group, gi = [], 0


def flush():
    global group, gi
    if not group:
        return
    path = os.path.join(src, "G%04d.scala" % gi)
    head, bodies = None, []
    for text in group:
        i = text.index("// case:")
        head = head or text[:i]
        bodies.append(text[i:])
    with open(path, "w") as f:
        f.write(head + "\n".join(bodies))
    files.append(path)
    group, gi = [], gi + 1


for i, c in enumerate(cases):
    c = so.norm_case(dict(c), i, "spark-diff")
    v, why = so.note_variant(c)
    if v is None:
        cases[i]["spark"] = {"compile_error": ["not generated: %s" % why]}
        continue
    name = "F%04d" % i
    group.append(so.case_object(name, v[0], v[1], v[2], c))
    objects[i] = (name, c)
    if len(group) >= args.group:
        flush()
flush()

spec = os.path.join(work, "spec.tsv")
with open(spec, "w") as f:
    for i, (name, c) in objects.items():
        f.write("\t".join(["F%04d" % i, name, str(c["batch_ms"]), str(c["_num_batches"]), "0", "0", "0",
                           str(args.timeout_ms)]) + "\n")
out_jsonl = os.path.join(work, "results.jsonl")
script = ['sc.setLogLevel("ERROR")'] + [x for p in files for x in (":paste -raw %s" % p, "Console.flush()")] + [
    '%s.OracleRunner.runAll(sc, "%s", "%s", "%s")' % (so.PKG, spec, out_jsonl, ckpt), "Console.flush()", "System.exit(0)"]
with open(os.path.join(work, "main.scala"), "w") as f:
    f.write("\n".join(script) + "\n")
home = os.environ.get("SPARK_HOME", so.DEFAULT_SPARK_HOME)
cmd = [os.path.join(home, "bin", "spark-shell"), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
       "--conf", "spark.streaming.clock=org.apache.spark.util.ManualClock", "--driver-memory", "2g",
       "-I", os.path.join(work, "main.scala")]
print("%s: %d cases in %d files; spark-shell ..." % (work, len(objects), len(files) - 1), file=sys.stderr)
with open(os.path.join(work, "spark-shell.log"), "w") as logf:
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                   env=dict(os.environ, SPARK_HOME=home), cwd=work, timeout=4 * 3600)
log = open(os.path.join(work, "spark-shell.log"), errors="replace").read()
raw = {}
if os.path.exists(out_jsonl):
    for line in open(out_jsonl):
        if line.strip():
            r = json.loads(line)
            raw[r["id"]] = r
errs = {}
for m in re.finditer(r"^(/\S+\.scala):(\d+): error: (.*)$", log, re.M):
    errs.setdefault(m.group(1), []).append("line %s: %s" % (m.group(2), m.group(3)))


def first_line(e):
    msg = (e.get("message") or "").splitlines()
    return e["class"] + (": " + msg[0] if msg else "")


for i, (name, c) in objects.items():
    r = raw.get("F%04d" % i)
    sp = {}
    if r is None:
        sp["missing"] = True
    elif r.get("class") is None:
        f = os.path.join(src, "G%04d.scala" % (list(objects).index(i) // args.group))
        sp["compile_error"] = errs.get(f, ["did not compile"])[:3]
    else:
        sp["outputs"] = [dict(time_ms=o["time_ms"], partitions=o["text"]) for o in r.get("outputs", [])]
        for k in ("error", "construct_error", "runner_error"):
            if r.get(k):
                sp[k] = first_line(r[k])
                if r[k].get("causes"):
                    sp[k + "_root"] = r[k]["causes"][-1]
        if r.get("timed_out"):
            sp["timed_out"] = True
    cases[i]["spark"] = sp
json.dump(cases, open(args.out, "w"), indent=0)
ok = sum(1 for c in cases if "outputs" in c.get("spark", {}))
print("wrote %s: %d cases, %d ran" % (args.out, len(cases), ok), file=sys.stderr)
