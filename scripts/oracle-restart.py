#!/usr/bin/env python3
"""Recovery against real Spark (issue 10): every stateful DStream operator, with the driver
restarted from its checkpoint after a varied number of batches, run on real Spark 3.5.3
(Scala API, spark-shell) by /work/shared/oracle/scala_oracle.py's `checkpoint_restart`
(CheckpointSuite style: run k batches, wait for the checkpoint of batch k, stop, recover with
`new StreamingContext(checkpointDir, sc)`, run to the end). Spark's outputs before and after
the restart become tests/fixtures/restart/cases.json, which tests/restart_oracle.rs replays in
the simulator (driver killed at batch k, restarted from the checkpoint).

    python3 scripts/oracle-restart.py cases > /tmp/restart-cases-in.json
    ../shared/oracle/run-scala /tmp/restart-cases-in.json --out /tmp/restart-results.json
    python3 tests/oracle/finalize.py /tmp/restart-cases-in.json /tmp/restart-results.json \
        > tests/fixtures/restart/cases.json

or `sh scripts/oracle-restart.sh`, which does the three steps.
"""
import json
import sys

W = [["a b", "b c"], ["c d"], ["a"], ["a a"], ["b"], [], ["c c d"]]   # words per batch
N = [[1, 2], [3], [], [4, 5, 6], [7], [8], []]                        # numbers per batch


def st(op, **kw):
    d = {"op": op}
    d.update(kw)
    return d


SPLIT_PAIR = [st("flatMap", fn="split"), st("map", fn="pair1")]
OPERATORS = [
    # (name, inputs, pipeline stages, the simulator's pipeline)
    ("updateStateByKey running sum", W, SPLIT_PAIR + [st("updateStateByKey", fn="running_sum")],
     'a.flatMap(split(" ")).map(pair(1)).updateStateByKey(runningSum)'),
    ("reduceByKeyAndWindow with inverse 3s/1s", W,
     SPLIT_PAIR + [st("reduceByKeyAndWindow", fn="sum", inv="sub", window_ms=3000, slide_ms=1000)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKeyAndWindow(sum, sub, 3s, 1s)'),
    ("reduceByKeyAndWindow 3s/1s", W,
     SPLIT_PAIR + [st("reduceByKeyAndWindow", fn="sum", window_ms=3000, slide_ms=1000)],
     'a.flatMap(split(" ")).map(pair(1)).reduceByKeyAndWindow(sum, 3s, 1s)'),
    ("window 3s/1s", N, [st("window", window_ms=3000, slide_ms=1000)], "a.window(3s, 1s)"),
    ("window 2s/2s", N, [st("window", window_ms=2000, slide_ms=2000)], "a.window(2s, 2s)"),
    ("countByWindow 3s/1s", N, [st("countByWindow", window_ms=3000, slide_ms=1000)],
     "a.countByWindow(3s, 1s)"),
    ("countByValueAndWindow 3s/1s", W,
     [st("flatMap", fn="split"), st("countByValueAndWindow", window_ms=3000, slide_ms=1000)],
     'a.flatMap(split(" ")).countByValueAndWindow(3s, 1s)'),
]
RESTART_AFTER = [2, 3, 5]   # batches run before the driver dies


def cases():
    out = []
    for name, inputs, pipeline, sim in OPERATORS:
        for k in RESTART_AFTER:
            out.append({
                "name": "restart after %d: %s" % (k, name),
                "batch_ms": 1000,
                "inputs": inputs,
                "num_batches": len(inputs),
                "pipeline": pipeline,
                "sim": sim,
                "checkpoint_restart": {"num_batches_before_restart": k,
                                       "expected_before_restart": [], "expected_after_restart": []},
            })
    return out


if __name__ == "__main__":
    if sys.argv[1:] != ["cases"]:
        sys.exit(__doc__)
    print(json.dumps(cases(), indent=1))
