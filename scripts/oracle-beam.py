#!/usr/bin/env python3
"""Records Apache Beam's panes for the Dataflow model's oracle cases.

Runs every case of CASES on Beam Python's DirectRunner in streaming mode with a TestStream,
all in this one Python process, and writes tests/fixtures/dataflow/<case>.json: the
pipeline text, the TestStream events and every pane the final transform received (key,
window, value, timestamp, timing, index, nonspeculative index, is_first, is_last, and the
TestClock's processing time when the pane reached the recorder). Error cases record the
exception Beam raised while building the pipeline.

Usage (the venv of ../shared/oracle, apache-beam 2.61.0):
    ~/.cache/stream-sim-oracle/beam-venv/bin/python scripts/oracle-beam.py [case-name ...]

tests/dataflow.rs replays each fixture in the simulator without Beam.

The pipeline text is the stream-sim scenario syntax, which is a subset of Python with Beam
Python's names, so this script evaluates each stage with eval() in a namespace of Beam's
classes; durations are seconds, as Beam Python takes them.
"""
import json
import os
import sys
import tempfile

import apache_beam as beam
import apache_beam.runners.direct.clock as beam_clock
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.transforms import trigger as tr
from apache_beam.transforms import window as win
from apache_beam.transforms.combiners import CountCombineFn, MeanCombineFn, Top
from apache_beam.utils.timestamp import Duration

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "dataflow")

# The TestClock the DirectRunner makes: remembered so the recorder can read processing time.
_orig_init = beam_clock.TestClock.__init__


def _init(self, *a, **k):
    _orig_init(self, *a, **k)
    beam_clock._STREAM_SIM_CLOCK = self


beam_clock.TestClock.__init__ = _init

# Beam 2.61's executor reports a stalled pipeline as a tuple (exception, None, None), which
# `raise` turns into "TypeError: exceptions must derive from BaseException"; unwrap it so
# the fixture records Beam's own message ("Monitor task detected a pipeline stall.").
from apache_beam.runners.direct import executor as _executor

_Visible = _executor._ExecutorServiceParallelExecutor._VisibleExecutorUpdate
_orig_visible_init = _Visible.__init__


def _visible_init(self, exception=None):
    if isinstance(exception, tuple):
        exception = exception[0]
    _orig_visible_init(self, exception)


_Visible.__init__ = _visible_init

NAMESPACE = {
    "WindowInto": beam.WindowInto,
    "FixedWindows": win.FixedWindows,
    "SlidingWindows": win.SlidingWindows,
    "Sessions": win.Sessions,
    "GlobalWindows": win.GlobalWindows,
    "AfterWatermark": tr.AfterWatermark,
    "AfterProcessingTime": tr.AfterProcessingTime,
    "AfterCount": tr.AfterCount,
    "Repeatedly": tr.Repeatedly,
    "AfterAny": tr.AfterAny,
    "AfterAll": tr.AfterAll,
    "AfterEach": tr.AfterEach,
    "DefaultTrigger": tr.DefaultTrigger,
    "AccumulationMode": tr.AccumulationMode,
    "DISCARDING": tr.AccumulationMode.DISCARDING,
    "ACCUMULATING": tr.AccumulationMode.ACCUMULATING,
    "CombinePerKey": beam.CombinePerKey,
    "GroupByKey": beam.GroupByKey,
    "CountCombineFn": CountCombineFn,
    "MeanCombineFn": MeanCombineFn,
    "Top": Top,
    "Duration": Duration,
    "sum": sum,
    "max": max,
    "min": min,
}


class Record(beam.DoFn):
    def __init__(self, path):
        self.path = path

    def process(self, kv, w=beam.DoFn.WindowParam, ts=beam.DoFn.TimestampParam,
                pane=beam.DoFn.PaneInfoParam):
        clock = getattr(beam_clock, "_STREAM_SIM_CLOCK", None)
        if isinstance(w, win.GlobalWindow):
            window = "global"
        else:
            window = [w.start.micros // 1000, w.end.micros // 1000]
        value = kv[1]
        if not isinstance(value, (int, float, str)):
            value = list(value)
        rec = {
            "key": kv[0],
            "window": window,
            "value": value,
            "timestamp": ts.micros // 1000,
            "timing": {0: "EARLY", 1: "ON_TIME", 2: "LATE", 3: "UNKNOWN"}[pane.timing],
            "index": pane.index,
            "nonspeculative_index": pane.nonspeculative_index,
            "is_first": pane.is_first,
            "is_last": pane.is_last,
            "processing_time_ms": int(round(clock.time() * 1000)) if clock else None,
        }
        with open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")


def split_stages(text):
    """Splits `src | A(...) | B(...)` on top-level bars."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "|" and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def build_stream(events):
    s = TestStream()
    for ev in events:
        kind = ev[0]
        if kind == "add":
            s = s.add_elements([
                beam.window.TimestampedValue((k, v), t) for (k, v, t) in ev[1]
            ])
        elif kind == "wm":
            s = s.advance_watermark_to(ev[1])
        elif kind == "pt":
            s = s.advance_processing_time(ev[1])
        elif kind == "inf":
            s = s.advance_watermark_to_infinity()
        else:
            raise ValueError(kind)
    return s


def run_case(case):
    stages = split_stages(case["pipeline"])
    fd, path = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    result = {k: case[k] for k in ("name", "description", "pipeline", "events")}
    if case.get("allow_unsafe_triggers"):
        result["allow_unsafe_triggers"] = True
    result["beam_version"] = beam.__version__
    try:
        opts = PipelineOptions(allow_unsafe_triggers=case.get("allow_unsafe_triggers", False))
        opts.view_as(StandardOptions).streaming = True
        with beam.Pipeline(options=opts) as p:
            pc = p | build_stream(case["events"])
            for st in stages[1:]:
                pc = pc | eval(st, dict(NAMESPACE))
            pc | beam.ParDo(Record(path))
        result["error"] = None
    except Exception as e:  # the case records Beam's own message
        result["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        # Panes emitted before a failure are recorded too.
        with open(path) as f:
            result["panes"] = [json.loads(line) for line in f]
        os.unlink(path)
    return result


def ev_time(hms):
    """Event time `12:01:26` on 1970-01-01, in seconds."""
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s


def to(state, hms):
    """Processing time relative to 12:00:00 (the book's BASE_TIME), as an advance."""
    t = ev_time(hms) - ev_time("12:00:00")
    d = t - state[0]
    state[0] = t
    return ["pt", d]


def team_stream(watermark, extra_six=False, start_clock_at_base=False):
    """createStream of the Streaming Systems book's BeamModelTest (Akidau, "Streaming
    102"'s team scores): nine scores of TeamX over 12:00-12:08 event time, arriving between
    12:05 and 12:09 processing time, under a perfect or a heuristic watermark."""
    st = [0]
    sc = lambda v, t: ["TeamX", v, ev_time(t)]
    ev = [["wm", ev_time("12:00:00")]]
    if start_clock_at_base:
        ev.append(["pt", ev_time("12:00:00")])
    ev += [to(st, "12:04:59"), ["add", [sc(5, "12:00:26")]],
           to(st, "12:05:39"), ["add", [sc(7, "12:02:24")]],
           to(st, "12:06:00")]
    if watermark == "heuristic":
        ev.append(["wm", ev_time("12:02:00")])
    ev += [to(st, "12:06:13"), ["add", [sc(3, "12:03:39")]],
           to(st, "12:06:39"), ["add", [sc(4, "12:04:19")]]]
    if extra_six:
        ev.append(["add", [sc(6, "12:00:53")]])
    ev += [to(st, "12:07:06"), ["add", [sc(8, "12:03:06")]],
           to(st, "12:07:19"), ["add", [sc(3, "12:06:39")]],
           to(st, "12:07:30")]
    if watermark == "heuristic":
        ev += [["wm", ev_time("12:04:00")], to(st, "12:07:40"), ["wm", ev_time("12:06:00")]]
    ev += [to(st, "12:08:19"), ["add", [sc(9, "12:01:25")]], to(st, "12:08:39")]
    if watermark == "perfect":
        ev.append(["wm", ev_time("12:02:00")])
    ev += [["add", [sc(8, "12:07:26")]], to(st, "12:09:00"), ["add", [sc(1, "12:07:46")]]]
    if watermark == "perfect":
        ev += [["wm", ev_time("12:04:00")], to(st, "12:09:10"), ["wm", ev_time("12:06:00")],
               to(st, "12:09:20"), ["wm", ev_time("12:08:00")]]
    ev.append(to(st, "12:09:30"))
    if watermark == "heuristic":
        ev.append(["wm", ev_time("12:08:00")])
    ev.append(["inf"])
    return ev


def drain(events, seconds=600):
    """Advances processing time before the final watermark, so that pending
    processing-time timers fire: Beam Python's DirectRunner does not finish while one is
    pending on its TestClock."""
    assert events[-1] == ["inf"]
    return events[:-1] + [["pt", seconds], ["inf"]]


def multi_key():
    """Three keys, out of order, over 0-60 s event time; watermark lags."""
    return [
        ["wm", 0],
        ["add", [["a", 1, 1], ["b", 10, 2], ["a", 2, 12]]],
        ["pt", 5],
        ["add", [["c", 100, 25], ["a", 3, 7]]],
        ["pt", 5],
        ["wm", 10],
        ["add", [["b", 20, 14], ["a", 4, 3]]],
        ["pt", 5],
        ["wm", 20],
        ["add", [["a", 5, 15], ["c", 200, 41]]],
        ["pt", 10],
        ["wm", 35],
        ["add", [["b", 30, 5], ["c", 300, 33], ["a", 6, 44]]],
        ["pt", 10],
        ["wm", 50],
        ["add", [["a", 7, 22]]],
        ["pt", 10],
        ["wm", 70],
        ["add", [["a", 8, 58]]],
        ["pt", 10],
        ["inf"],
    ]


def sessions_stream():
    """Two users' clicks with gaps; sessions of 10 s merge as late clicks fill gaps."""
    return [
        ["wm", 0],
        ["add", [["u1", 1, 1], ["u2", 1, 2]]],
        ["pt", 3],
        ["add", [["u1", 1, 30]]],
        ["pt", 3],
        ["add", [["u1", 1, 8], ["u2", 1, 40]]],
        ["pt", 3],
        ["wm", 15],
        ["pt", 3],
        ["add", [["u1", 1, 20]]],
        ["pt", 3],
        ["add", [["u1", 1, 14]]],
        ["pt", 3],
        ["wm", 45],
        ["add", [["u2", 1, 45], ["u1", 1, 35]]],
        ["pt", 3],
        ["wm", 60],
        ["add", [["u2", 1, 50]]],
        ["pt", 3],
        ["inf"],
    ]


FIXED2 = "FixedWindows(120)"
EARLY_LATE = "AfterWatermark(early=AfterProcessingTime(60), late=AfterCount(1))"


def team(name, desc, stage, events):
    return {"name": name, "description": desc,
            "pipeline": "scores | %s | CombinePerKey(sum)" % stage, "events": events}


CASES = [
    team("team-default-perfect", "Example 2-6 left: watermark trigger, perfect watermark.",
         "WindowInto(%s)" % FIXED2, team_stream("perfect")),
    team("team-default-heuristic", "Example 2-6 right: watermark trigger, heuristic watermark (the 9 is dropped).",
         "WindowInto(%s)" % FIXED2, team_stream("heuristic")),
    team("team-per-record", "Example 2-3: Repeatedly(AfterCount(1)), accumulating.",
         "WindowInto(%s, trigger=Repeatedly(AfterCount(1)), accumulation_mode=ACCUMULATING, allowed_lateness=86400000)" % FIXED2,
         team_stream("perfect")),
    team("team-unaligned-delay", "Example 2-5: Repeatedly(AfterProcessingTime(120)), accumulating.",
         "WindowInto(%s, trigger=Repeatedly(AfterProcessingTime(120)), accumulation_mode=ACCUMULATING, allowed_lateness=86400000)" % FIXED2,
         drain(team_stream("perfect"))),
    team("team-early-late-perfect-accumulating", "Example 2-7 left: early/on-time/late, perfect watermark, accumulating.",
         "WindowInto(%s, trigger=%s, accumulation_mode=ACCUMULATING, allowed_lateness=86400000)" % (FIXED2, EARLY_LATE),
         team_stream("perfect")),
    team("team-early-late-heuristic-accumulating", "Example 2-7 right (Streaming 102): early/on-time/late, heuristic watermark, accumulating.",
         "WindowInto(%s, trigger=%s, accumulation_mode=ACCUMULATING, allowed_lateness=86400000)" % (FIXED2, EARLY_LATE),
         team_stream("heuristic")),
    team("team-early-late-heuristic-discarding", "Example 2-9 (Streaming 102): early/on-time/late, heuristic watermark, discarding.",
         "WindowInto(%s, trigger=%s, accumulation_mode=DISCARDING, allowed_lateness=86400000)" % (FIXED2, EARLY_LATE),
         team_stream("heuristic")),
    team("team-early-late-perfect-discarding", "Early/on-time/late, perfect watermark, discarding.",
         "WindowInto(%s, trigger=%s, accumulation_mode=DISCARDING, allowed_lateness=86400000)" % (FIXED2, EARLY_LATE),
         team_stream("perfect")),
    team("team-allowed-lateness", "Example 2-8: allowed lateness of 2 minutes, heuristic watermark, with the extra 6 (dropped).",
         "WindowInto(%s, trigger=%s, accumulation_mode=ACCUMULATING, allowed_lateness=120)" % (FIXED2, EARLY_LATE),
         team_stream("heuristic", extra_six=True)),
    team("team-allowed-lateness-discarding", "Allowed lateness of 2 minutes, discarding.",
         "WindowInto(%s, trigger=%s, accumulation_mode=DISCARDING, allowed_lateness=120)" % (FIXED2, EARLY_LATE),
         team_stream("heuristic", extra_six=True)),
    team("team-zero-lateness", "No allowed lateness: late data dropped, late firings never happen.",
         "WindowInto(%s, trigger=%s, accumulation_mode=ACCUMULATING)" % (FIXED2, EARLY_LATE),
         team_stream("heuristic")),
    team("team-sessions", "Example 4-3: sessions with a 1-minute gap, early/late, heuristic watermark, accumulating.",
         "WindowInto(Sessions(60), trigger=%s, accumulation_mode=ACCUMULATING, allowed_lateness=86400000)" % EARLY_LATE,
         team_stream("heuristic")),
    team("team-sessions-discarding", "Sessions with a 1-minute gap, early/late, discarding.",
         "WindowInto(Sessions(60), trigger=%s, accumulation_mode=DISCARDING, allowed_lateness=86400000)" % EARLY_LATE,
         team_stream("heuristic")),
    team("team-sliding", "Sliding windows of 2 minutes every minute, early/late.",
         "WindowInto(SlidingWindows(120, 60), trigger=%s, accumulation_mode=ACCUMULATING, allowed_lateness=86400000)" % EARLY_LATE,
         team_stream("heuristic")),
    team("team-early-only", "Early firings only, no lateness.",
         "WindowInto(%s, trigger=AfterWatermark(early=AfterProcessingTime(30)), accumulation_mode=ACCUMULATING)" % FIXED2,
         team_stream("heuristic")),
    team("team-late-count2", "Late firings every second late element.",
         "WindowInto(%s, trigger=AfterWatermark(late=AfterCount(2)), accumulation_mode=DISCARDING, allowed_lateness=86400000)" % FIXED2,
         team_stream("heuristic", extra_six=True)),
    team("team-clock-at-base", "Processing time starts at 12:00 like event time: Beam Python passes a processing-time timer's time where the watermark goes, so early firings past the window's end count as on time.",
         "WindowInto(%s, trigger=%s, accumulation_mode=ACCUMULATING, allowed_lateness=86400000)" % (FIXED2, EARLY_LATE),
         team_stream("heuristic", start_clock_at_base=True)),
    team("team-global-count", "Global window, Repeatedly(AfterCount(3)), accumulating.",
         "WindowInto(GlobalWindows(), trigger=Repeatedly(AfterCount(3)), accumulation_mode=ACCUMULATING)",
         team_stream("heuristic")),
    team("team-after-any", "AfterAny(AfterCount(2), AfterProcessingTime(60)) repeated, discarding.",
         "WindowInto(%s, trigger=Repeatedly(AfterAny(AfterCount(2), AfterProcessingTime(60))), accumulation_mode=DISCARDING, allowed_lateness=86400000)" % FIXED2,
         drain(team_stream("heuristic"))),
    team("team-after-all", "AfterAll(AfterCount(2), AfterProcessingTime(30)) repeated, accumulating.",
         "WindowInto(%s, trigger=Repeatedly(AfterAll(AfterCount(2), AfterProcessingTime(30))), accumulation_mode=ACCUMULATING, allowed_lateness=86400000)" % FIXED2,
         drain(team_stream("perfect"))),
    team("team-after-each", "AfterEach(AfterCount(1), AfterCount(2)) repeated, discarding.",
         "WindowInto(%s, trigger=Repeatedly(AfterEach(AfterCount(1), AfterCount(2))), accumulation_mode=DISCARDING, allowed_lateness=86400000)" % FIXED2,
         team_stream("perfect")),
    {"name": "keys-fixed-default", "description": "Three keys, fixed 10 s windows, default trigger.",
     "pipeline": "events | WindowInto(FixedWindows(10)) | CombinePerKey(sum)", "events": multi_key()},
    {"name": "keys-fixed-groupbykey", "description": "GroupByKey: the pane's values.",
     "pipeline": "events | WindowInto(FixedWindows(10), trigger=AfterWatermark(late=AfterCount(1)), accumulation_mode=ACCUMULATING, allowed_lateness=30) | GroupByKey()", "events": multi_key()},
    {"name": "keys-fixed-count", "description": "Count per key with early firings every 5 s.",
     "pipeline": "events | WindowInto(FixedWindows(20), trigger=AfterWatermark(early=AfterProcessingTime(5), late=AfterCount(1)), accumulation_mode=ACCUMULATING, allowed_lateness=20) | CombinePerKey(CountCombineFn())", "events": multi_key()},
    {"name": "keys-fixed-mean", "description": "Mean per key, discarding, late firings.",
     "pipeline": "events | WindowInto(FixedWindows(20), trigger=AfterWatermark(late=AfterCount(1)), accumulation_mode=DISCARDING, allowed_lateness=20) | CombinePerKey(MeanCombineFn())", "events": multi_key()},
    {"name": "keys-fixed-max", "description": "Max per key, default trigger, allowed lateness 15 s.",
     "pipeline": "events | WindowInto(FixedWindows(10), allowed_lateness=15) | CombinePerKey(max)", "events": multi_key()},
    {"name": "keys-sliding-default", "description": "Sliding 20 s every 10 s, default trigger.",
     "pipeline": "events | WindowInto(SlidingWindows(20, 10)) | CombinePerKey(sum)", "events": multi_key()},
    {"name": "keys-sliding-offset", "description": "Sliding 30 s every 10 s, offset 5 s, per-element firings.",
     "pipeline": "events | WindowInto(SlidingWindows(30, 10, 5), trigger=Repeatedly(AfterCount(1)), accumulation_mode=ACCUMULATING, allowed_lateness=100) | CombinePerKey(sum)", "events": multi_key()},
    {"name": "keys-fixed-offset", "description": "Fixed 15 s windows offset by 5 s.",
     "pipeline": "events | WindowInto(FixedWindows(15, 5), trigger=AfterWatermark(early=AfterCount(2)), accumulation_mode=DISCARDING) | CombinePerKey(sum)", "events": multi_key()},
    {"name": "keys-processing-time", "description": "Repeatedly(AfterProcessingTime(7)): processing-time micro-batches.",
     "pipeline": "events | WindowInto(FixedWindows(30), trigger=Repeatedly(AfterProcessingTime(7)), accumulation_mode=DISCARDING, allowed_lateness=60) | CombinePerKey(sum)", "events": drain(multi_key())},
    {"name": "keys-default-lateness", "description": "Default trigger with allowed lateness: every late element refires the window.",
     "pipeline": "events | WindowInto(FixedWindows(10), allowed_lateness=30) | CombinePerKey(sum)", "events": multi_key()},
    {"name": "sessions-default", "description": "Sessions of 10 s, default trigger.",
     "pipeline": "clicks | WindowInto(Sessions(10)) | CombinePerKey(sum)", "events": sessions_stream()},
    {"name": "sessions-early-late", "description": "Sessions of 10 s, early every 4 s, late per element, accumulating.",
     "pipeline": "clicks | WindowInto(Sessions(10), trigger=AfterWatermark(early=AfterProcessingTime(4), late=AfterCount(1)), accumulation_mode=ACCUMULATING, allowed_lateness=100) | CombinePerKey(sum)", "events": sessions_stream()},
    {"name": "sessions-per-element", "description": "Sessions of 10 s, Repeatedly(AfterCount(1)), discarding.",
     "pipeline": "clicks | WindowInto(Sessions(10), trigger=Repeatedly(AfterCount(1)), accumulation_mode=DISCARDING, allowed_lateness=100) | CombinePerKey(sum)", "events": sessions_stream()},
    {"name": "sessions-groupbykey", "description": "Sessions of 10 s, GroupByKey, late firings.",
     "pipeline": "clicks | WindowInto(Sessions(10), trigger=AfterWatermark(late=AfterCount(1)), accumulation_mode=ACCUMULATING, allowed_lateness=100) | GroupByKey()", "events": sessions_stream()},
    {"name": "unsafe-after-count", "description": "AfterCount(2) alone may finish: GroupByKey refuses it.",
     "pipeline": "events | WindowInto(FixedWindows(10), trigger=AfterCount(2), accumulation_mode=DISCARDING) | GroupByKey()", "events": multi_key()},
    {"name": "unsafe-allowed", "description": "AfterCount(2) alone with --allow_unsafe_triggers: the window fires once, later data is dropped.",
     "pipeline": "events | WindowInto(FixedWindows(60), trigger=AfterCount(2), accumulation_mode=DISCARDING) | GroupByKey()", "events": multi_key(),
     "allow_unsafe_triggers": True},
    {"name": "no-accumulation-mode", "description": "A non-default trigger without accumulation_mode.",
     "pipeline": "events | WindowInto(FixedWindows(10), trigger=AfterCount(1)) | CombinePerKey(sum)", "events": multi_key()},
    {"name": "bad-after-count", "description": "AfterCount(0).",
     "pipeline": "events | WindowInto(FixedWindows(10), trigger=Repeatedly(AfterCount(0)), accumulation_mode=DISCARDING) | CombinePerKey(sum)", "events": multi_key()},
    {"name": "bad-fixed-size", "description": "FixedWindows(0).",
     "pipeline": "events | WindowInto(FixedWindows(0)) | CombinePerKey(sum)", "events": multi_key()},
    {"name": "global-default-unbounded", "description": "Global window and default trigger on an unbounded input.",
     "pipeline": "events | WindowInto(GlobalWindows()) | CombinePerKey(sum)", "events": multi_key()},
]


CASE_TIMEOUT_S = 120


def main():
    import threading
    import time
    wanted = set(sys.argv[1:])
    current = {"name": None, "since": time.time()}

    def watchdog():
        # A case that does not finish (a processing-time timer pending on the TestClock)
        # is recorded as such; the script restarts itself for the cases after it.
        while True:
            time.sleep(2)
            if current["name"] and time.time() - current["since"] > CASE_TIMEOUT_S:
                case = next(c for c in CASES if c["name"] == current["name"])
                r = {k: case[k] for k in ("name", "description", "pipeline", "events")}
                r.update(beam_version=beam.__version__, panes=[],
                         error="TIMEOUT: the DirectRunner did not finish within %d s" % CASE_TIMEOUT_S)
                with open(os.path.join(OUT_DIR, case["name"] + ".json"), "w") as f:
                    json.dump(r, f, indent=1, sort_keys=True)
                    f.write("\n")
                print("%-45s TIMEOUT" % case["name"], flush=True)
                names = [c["name"] for c in CASES]
                rest = names[names.index(case["name"]) + 1:]
                if wanted:
                    rest = [n for n in rest if n in wanted]
                if not rest:
                    os._exit(0)
                os.execv(sys.executable, [sys.executable, os.path.abspath(__file__)] + rest)

    threading.Thread(target=watchdog, daemon=True).start()
    os.makedirs(OUT_DIR, exist_ok=True)
    for case in CASES:
        if wanted and case["name"] not in wanted:
            continue
        current.update(name=case["name"], since=time.time())
        r = run_case(case)
        with open(os.path.join(OUT_DIR, case["name"] + ".json"), "w") as f:
            json.dump(r, f, indent=1, sort_keys=True)
            f.write("\n")
        print("%-45s %s" % (case["name"], r["error"] or "%d panes" % len(r["panes"])), flush=True)


if __name__ == "__main__":
    main()
