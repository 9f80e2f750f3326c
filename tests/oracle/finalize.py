#!/usr/bin/env python3
"""Merge Spark's answers (raw scala_oracle.py --out file) into the cases written by make_cases.py.

    python3 tests/oracle/finalize.py CASES_IN.json RESULTS.json > tests/oracle/cases.json
    python3 tests/oracle/finalize.py --runner-copy tests/oracle/cases.json > /tmp/cases-runner.json

--runner-copy rewrites "expect_error" (a message here) to the exception class, which is what
scala_oracle.py compares, so the final file can be re-checked on Spark.
"""
import json
import re
import sys

CONFIRMED = "spark 3.5.3 scala oracle"


def err_info(e):
    """(message, class) Spark gave; for a failed task the root cause of 'Job aborted ...'."""
    msg, cls = e["message"], e["class"]
    if msg.startswith("Job aborted due to stage failure") and e.get("causes"):
        root = e["causes"][-1]
        cls, _, msg = root.partition(": ")
    return msg.splitlines()[0], cls


def err_time(e):
    m = re.search(r"time (\d+) ms", e.get("message") or "")
    return int(m.group(1)) if m else None


def main():
    if sys.argv[1] == "--runner-copy":
        cases = json.load(open(sys.argv[2]))
        for c in cases:
            if "expect_error" in c:
                c["expect_error"] = c["error_class"]
        dump(cases)
        return
    cases = json.load(open(sys.argv[1]))
    results = json.load(open(sys.argv[2]))["results"]
    by_idx = {}
    for r in results:
        idx = int(r["id"].split("|")[0][1:])
        kind = r["id"].split("|")[-1]
        by_idx.setdefault(idx, {})[kind] = r
    out = []
    for i, c in enumerate(cases):
        c = dict(c)
        want_error = c.pop("_error", False)
        c.pop("expected", None)
        rows = by_idx.get(i, {})
        plain = rows.get("plain")
        if plain is None or plain["status"] == "SKIP":
            c["not_run"] = plain["reason"] if plain else "no result"
            out.append(c)
            continue
        e = plain.get("construct_error") or plain.get("runner_error") or plain.get("error")
        outs = plain.get("outputs", [])
        if e:
            msg, cls = err_info(e)
            t = err_time(e)
            if plain.get("construct_error"):
                c["error_when"] = "building the DStream"
            elif plain.get("runner_error"):
                c["error_when"] = "ssc.start()"
            else:
                c["error_when"] = "running"
                if t is None:  # failed task: the first output time that is missing
                    step = c["batch_ms"]
                    seen = {o["time_ms"] for o in outs}
                    t = step
                    while t in seen:
                        t += step
                c["error_at_ms"] = t
                outs = [o for o in outs if o["time_ms"] < t]
            c["expect_error"] = msg
            c["error_class"] = e["class"]
            if cls != e["class"]:
                c["error_root_cause_class"] = cls
            if not want_error:
                print("UNEXPECTED ERROR in %r: %s" % (c["name"], msg), file=sys.stderr)
        elif want_error:
            print("EXPECTED AN ERROR in %r, got none" % c["name"], file=sys.stderr)
        if plain.get("timed_out"):
            print("TIMED OUT: %r" % c["name"], file=sys.stderr)
        c["expected"] = [o["records"] for o in outs]
        c["expected_partitions"] = [o["num_partitions"] for o in outs]
        c["expected_times_ms"] = [o["time_ms"] for o in outs]
        rs = rows.get("restart")
        if c.get("checkpoint_restart") and rs:
            cr = dict(c["checkpoint_restart"])
            cr["expected_before_restart"] = [o["records"] for o in rs.get("before", [])]
            cr["expected_after_restart"] = [o["records"] for o in rs.get("after", [])]
            cr["times_ms_before_restart"] = [o["time_ms"] for o in rs.get("before", [])]
            cr["times_ms_after_restart"] = [o["time_ms"] for o in rs.get("after", [])]
            for k in ("error_before", "error_after", "runner_error"):
                if rs.get(k):
                    print("RESTART ERROR in %r: %s" % (c["name"], rs[k]["message"][:200]), file=sys.stderr)
            c["checkpoint_restart"] = cr
        c["confirmed"] = CONFIRMED
        out.append(c)
    dump(out)


def dump(cases):
    """One key per line, values compact: readable diffs."""
    parts = []
    for c in cases:
        parts.append("{\n" + ",\n".join("  %s: %s" % (json.dumps(k), json.dumps(v, ensure_ascii=False))
                                         for k, v in c.items()) + "\n}")
    sys.stdout.write("[\n" + ",\n".join(parts) + "\n]\n")


if __name__ == "__main__":
    main()
