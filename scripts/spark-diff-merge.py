#!/usr/bin/env python3
"""Merges the differential fuzzer's Spark results (the full run and the re-run of the cases
that did not compile) and writes them as fixtures: DIR/cases-NNN.json, 100 cases a file.
Usage: spark-diff-merge.py OUT.json [REDO-OUT.json ...] DIR"""
import json
import os
import sys

*ins, d = sys.argv[1:]
cases = json.load(open(ins[0]))
by = {c["name"]: c for c in cases}
for f in ins[1:]:
    for c in json.load(open(f)):
        by[c["name"]] = c  # the re-run's case (its Scala may have been corrected)
cases = [by[c["name"]] for c in cases]
for c in cases:
    c.pop("_ops", None)
os.makedirs(d, exist_ok=True)
for old in os.listdir(d):
    if old.startswith("cases-") and old.endswith(".json"):
        os.remove(os.path.join(d, old))
for i in range(0, len(cases), 100):
    with open(os.path.join(d, "cases-%03d.json" % (i // 100)), "w") as f:
        json.dump(cases[i:i + 100], f, indent=1)
ran = sum(1 for c in cases if "outputs" in c["spark"] or "construct_error" in c["spark"])
print("wrote %d cases (%d ran on Spark) to %s" % (len(cases), ran, d))
