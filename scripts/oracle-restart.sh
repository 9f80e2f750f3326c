#!/bin/sh
# Regenerates tests/fixtures/restart/cases.json from real Spark (see scripts/oracle-restart.py).
# Needs the oracle venv (../shared/oracle/setup.sh); one spark-shell for all cases.
set -eu
cd "$(dirname "$0")/.."
tmp="${TMPDIR:-/tmp}/stream-sim-restart.$$"
mkdir -p "$tmp"
python3 scripts/oracle-restart.py cases > "$tmp/cases-in.json"
../shared/oracle/run-scala "$tmp/cases-in.json" --out "$tmp/results.json" || true
python3 tests/oracle/finalize.py "$tmp/cases-in.json" "$tmp/results.json" > tests/fixtures/restart/cases.json
rm -rf "$tmp"
echo "wrote tests/fixtures/restart/cases.json"
