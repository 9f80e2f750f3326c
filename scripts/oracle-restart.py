#!/usr/bin/env python3
"""Recovery against real Spark (issue 10): every stateful DStream operator, with the driver
restarted from its checkpoint after a varied number of batches, run on real Spark 3.5.3
(Scala API, spark-shell) by /work/shared/oracle/scala_oracle.py's `checkpoint_restart`
(CheckpointSuite style: run k batches, wait for the checkpoint of batch k, stop, recover with
`new StreamingContext(checkpointDir, sc)`, run to the end). Spark's outputs before and after
the restart become tests/fixtures/restart/cases.json, which tests/restart_oracle.rs replays in
the simulator (driver killed at batch k, restarted from the checkpoint).

`run` drives scala_oracle.py with one change to its restart phases: the shared harness moves
Spark's ManualClock k batches at once (`clock.setTime(k * batch)`), so the job generator
queues k batches in a burst and the checkpoint of batch k still lists the earlier ones as
pending (`Checkpoint.pendingTimes`); stopping then makes `JobGenerator.restart` re-run them,
which is not "the driver died after batch k". Here the clock moves one batch at a time, as
CheckpointSuite's `advanceTimeWithRealDelay` does, and each batch is waited for before the
next: a batch with an output job until the listener saw it complete (`onBatchCompleted`), a
batch without one (a window's slide skips it: `JobScheduler.submitJobSet` logs "No jobs added"
and only the generation checkpoint is written) until its checkpoint file exists. The phase
ends once the last batch's checkpoint files are written (both `checkpoint-T` and
`checkpoint-T.bk` when it had a job, the second being the write after its completion that no
longer lists it as pending).

    python3 scripts/oracle-restart.py cases > /tmp/restart-cases-in.json
    python3 scripts/oracle-restart.py run /tmp/restart-cases-in.json --out /tmp/restart-results.json
    python3 tests/oracle/finalize.py /tmp/restart-cases-in.json /tmp/restart-results.json \
        > tests/fixtures/restart/cases.json

or `sh scripts/oracle-restart.sh`, which does the three steps.
"""
import json
import os
import sys

ORACLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "oracle")

# scala_oracle.py's runPhase moves the clock in one jump; these replace that line and the wait
# for the last checkpoint (see the module doc).
JUMP = "    if (setTime) clock.setTime(targetMs) else clock.advance(targetMs)\n"
STEP = """    if (setTime) {
      // one batch at a time, each finished before the next (CheckpointSuite.advanceTimeWithRealDelay)
      val bms = ssc.graph.batchDuration.milliseconds
      val stepDeadline = now + timeoutMs
      var t = (clock.getTimeMillis() / bms) * bms + bms
      while (t <= targetMs && now < stepDeadline) {
        clock.setTime(t)
        def batchDone: Boolean =
          if (t % outSlideMs == 0) tracker.lastCompleted >= t
          else ckptDir == null || new File(ckptDir, "checkpoint-" + t).exists
        while (!batchDone && now < stepDeadline) {
          try ssc.awaitTerminationOrTimeout(10) catch { case e: Throwable => }
        }
        t += bms
      }
    } else clock.advance(targetMs)
"""
LAST_CKPT = 'def ok = Set("checkpoint-" + t, "checkpoint-" + t + ".bk").forall(f => new File(ckptDir, f).exists)'
LAST_CKPT_STEP = ('def ok = (if (t % outSlideMs == 0) Set("checkpoint-" + t, "checkpoint-" + t + ".bk") '
                  'else Set("checkpoint-" + t)).forall(f => new File(ckptDir, f).exists)')


def run(argv):
    """scala_oracle.py's main with the restart phases stepped one batch at a time."""
    sys.path.insert(0, os.path.abspath(ORACLE))
    import scala_oracle
    common = scala_oracle.COMMON_SCALA
    for old, new in ((JUMP, STEP), (LAST_CKPT, LAST_CKPT_STEP)):
        if common.count(old) != 1:
            sys.exit("scala_oracle.py changed: cannot find %r to patch" % old.strip())
        common = common.replace(old, new)
    scala_oracle.COMMON_SCALA = common
    sys.argv = ["scala_oracle.py"] + argv
    scala_oracle.main()

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


def merge(recorded, fresh, only):
    """The recorded fixtures with the cases whose name contains `only` taken from `fresh`."""
    new = {c["name"]: c for c in json.load(open(fresh)) if only in c["name"]}
    out = [new.get(c["name"], c) for c in json.load(open(recorded))]
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
    import finalize
    finalize.dump(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["cases"]:
        print(json.dumps(cases(), indent=1))
    elif sys.argv[1:2] == ["merge"] and len(sys.argv) == 5:
        merge(*sys.argv[2:5])
    elif sys.argv[1:2] == ["run"]:
        run(sys.argv[2:])
    else:
        sys.exit(__doc__)
