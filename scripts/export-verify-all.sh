#!/usr/bin/env bash
# Runs `stream-sim export --verify` on every bundled scenario (scenarios/*.toml, model dstream)
# on real Spark 3.5.3 -- all programs in ONE spark-shell start -- and records each outcome
# (agree / differ with the first difference / not-exported with the reason) in
# tests/fixtures/export/verify.json, which tests/export.rs checks without Spark.
#
# Needs Spark: SPARK_HOME, or the venv of /work/shared/oracle/setup.sh
# (~/.cache/stream-sim-oracle/venv). Takes a few minutes (one JVM, one program after another).
# Usage: scripts/export-verify-all.sh [--to scala|pyspark] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
to=scala
if [ "${1:-}" = "--to" ]; then to="$2"; shift 2; fi
work="${1:-$(mktemp -d -t stream-sim-export-verify.XXXXXX)}"
cargo build --quiet --bin stream-sim
set +e
./target/debug/stream-sim export --bundled --verify --to "$to" --out "$work" \
  --record tests/fixtures/export/verify.json
rc=$?
set -e
echo "programs and Spark's logs: $work"
# 1 = some scenario differs (recorded, with its first difference); 2 = no Spark
[ "$rc" -le 1 ] || exit "$rc"
