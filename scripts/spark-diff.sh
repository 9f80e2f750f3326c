#!/usr/bin/env bash
# Regenerates the differential fuzzer's fixtures (tests/fixtures/spark-diff/cases-*.json) on
# real Spark Streaming 3.5.3: generates the seeded cases, runs them all in one spark-shell
# (many cases per compiled file), runs again one by one the cases whose file did not compile,
# and writes the fixtures in files of 100 cases. About 40 minutes on 2 loaded cores.
# Usage: scripts/spark-diff.sh [SEED] [COUNT]     (needs the venv of /work/shared/oracle/setup.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seed="${1:-1}"; count="${2:-1100}"
work="${SPARK_DIFF_WORK:-/tmp/spark-diff}"
mkdir -p "$work"
python3 "$root/scripts/spark-diff-gen.py" --seed "$seed" --count "$count" > "$work/cases.json"
python3 "$root/scripts/spark-diff-run.py" "$work/cases.json" "$work/out.json" --workdir "$work/run" --group 25
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
out = json.load(open(work + "/out.json"))
redo = [c for c in out if "outputs" not in c["spark"] and "construct_error" not in c["spark"]]
json.dump(redo, open(work + "/redo.json", "w"))
print("%d cases to run again one by one" % len(redo))
PY
python3 "$root/scripts/spark-diff-run.py" "$work/redo.json" "$work/redo-out.json" --workdir "$work/redo" --group 1
python3 "$root/scripts/spark-diff-merge.py" "$work/out.json" "$work/redo-out.json" "$root/tests/fixtures/spark-diff"
