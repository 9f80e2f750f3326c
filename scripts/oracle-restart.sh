#!/bin/sh
# Regenerates tests/fixtures/restart/cases.json from real Spark (see scripts/oracle-restart.py).
# Needs the oracle venv (../shared/oracle/setup.sh); one spark-shell for all cases, the clock
# moved one batch at a time (see scripts/oracle-restart.py).
#
#   sh scripts/oracle-restart.sh                 every case
#   sh scripts/oracle-restart.sh updateStateByKey  only the cases whose name contains this;
#                                                the others keep their recorded answers
#
# Each phase may take up to 120 s: the first cases of a cold JVM on a busy machine are slow,
# and a phase cut short by its timeout records a truncated run (scala_oracle.py's default is
# 20 s, which cut the first case short on a 2-core machine).
set -eu
cd "$(dirname "$0")/.."
tmp="${TMPDIR:-/tmp}/stream-sim-restart.$$"
mkdir -p "$tmp"
python3 scripts/oracle-restart.py cases > "$tmp/cases-in.json"
VENV="${STREAM_SIM_ORACLE_VENV:-$HOME/.cache/stream-sim-oracle/venv}"
SPARK_HOME="$("$VENV/bin/python" -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME
only=""
[ $# -gt 0 ] && only="--only=$1"
python3 scripts/oracle-restart.py run "$tmp/cases-in.json" --spark-home "$SPARK_HOME" \
    --timeout-ms 120000 $only --out "$tmp/results.json" || true
python3 tests/oracle/finalize.py "$tmp/cases-in.json" "$tmp/results.json" > "$tmp/cases.json"
if [ -n "$only" ]; then
    python3 scripts/oracle-restart.py merge tests/fixtures/restart/cases.json "$tmp/cases.json" "$1" \
        > "$tmp/merged.json"
    mv "$tmp/merged.json" tests/fixtures/restart/cases.json
else
    mv "$tmp/cases.json" tests/fixtures/restart/cases.json
fi
rm -rf "$tmp"
echo "wrote tests/fixtures/restart/cases.json"
