#!/usr/bin/env bash
# Word count through real Spark 3.5 (Scala, local[2]) beside `stream-sim bench`, on the same
# machine and the same lines (the bundled fortune texts, repeated REPEAT times), for the
# issue-15 figure "at least 10x real Spark local[2]".
#
# Spark side: spark-shell --master local[2] runs, per 2,000-line batch (what the bench's
# receiver delivers per 1 s batch), flatMap(_.split(" ")).map((_, 1L)).reduceByKey(_ + _)
# over an RDD of 2 partitions, and counts the words of the result, as the DStream word count
# does per batch; one warm-up pass, then ROUNDS timed passes (wall clock inside the JVM, so the
# ~15 s start-up is not counted). Engine side: `stream-sim bench --repeat REPEAT` (figure 1).
# Both print min / median / max in M words/s; the ratio uses the medians.
#
# Needs real Spark: the oracle venv of ../shared/oracle/setup.sh (STREAM_SIM_ORACLE_VENV,
# default ~/.cache/stream-sim-oracle/venv) or SPARK_HOME. Without either it says so and exits 0
# (skipped): nothing in the project's build or tests needs Spark.
#
# Usage: scripts/spark-side-by-side.sh [REPEAT (default 5)] [ROUNDS (default 5)]
set -euo pipefail
REPEAT="${1:-5}"
ROUNDS="${2:-5}"
case "$REPEAT$ROUNDS" in *[!0-9]*) echo "usage: $0 [REPEAT] [ROUNDS] (positive integers)" >&2; exit 2;; esac
if [ "$REPEAT" -lt 1 ] || [ "$REPEAT" -gt 100 ] || [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt 50 ]; then
  echo "REPEAT must be 1..100 and ROUNDS 1..50" >&2; exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
lines="$root/scenarios/data/fortunes/lines.txt"

VENV="${STREAM_SIM_ORACLE_VENV:-$HOME/.cache/stream-sim-oracle/venv}"
if [ -z "${SPARK_HOME:-}" ]; then
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pyspark' 2>/dev/null; then
    SPARK_HOME="$("$VENV/bin/python" -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')"
  else
    echo "skipped: no real Spark (no oracle venv at $VENV, see ../shared/oracle/setup.sh; SPARK_HOME not set)"
    exit 0
  fi
fi
shell="$SPARK_HOME/bin/spark-shell"
if [ ! -x "$shell" ]; then
  echo "skipped: $shell not found (SPARK_HOME=$SPARK_HOME)"
  exit 0
fi
export SPARK_HOME

# Engine first (release build).
(cd "$root" && CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --release -q)
engine_out="$(STREAM_SIM_BENCH_SKIP_REPL=1 "$root/target/release/stream-sim" bench --repeat "$REPEAT")"
engine_line="$(printf '%s\n' "$engine_out" | grep 'whole engine')"
# "whole engine : MIN / MEDIAN / MAX M words/s ..."
engine_median="$(printf '%s\n' "$engine_line" | sed -E 's/.*: *([0-9.]+) \/ ([0-9.]+) \/ ([0-9.]+) M.*/\2/')"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/wc.scala" <<SCALA
import scala.io.Source
val base = Source.fromFile("$lines").getLines().toVector
val lines = Vector.fill($REPEAT)(base).flatten
val batches = lines.grouped(2000).toVector
def pass(): (Double, Long) = {
  val t0 = System.nanoTime()
  var words = 0L
  for (b <- batches) {
    val counts = sc.parallelize(b, 2).flatMap(_.split(" ")).map((_, 1L)).reduceByKey(_ + _)
    words += counts.map(_._2).fold(0L)(_ + _)
  }
  ((System.nanoTime() - t0) / 1e9, words)
}
pass() // warm-up
val rates = (1 to $ROUNDS).map { _ => val (s, w) = pass(); w / s / 1e6 }.sorted
println(f"SPARK_RESULT \${rates.head}%.3f \${rates(rates.size / 2)}%.3f \${rates.last}%.3f")
System.exit(0)
SCALA
spark_out="$("$shell" --master 'local[2]' --conf spark.ui.enabled=false -i "$tmp/wc.scala" < /dev/null 2>/dev/null | grep '^SPARK_RESULT' || true)"
if [ -z "$spark_out" ]; then
  echo "spark-shell produced no result (SPARK_HOME=$SPARK_HOME)" >&2
  exit 1
fi
read -r _ smin smed smax <<<"$spark_out"
echo "word count over the fortune texts x$REPEAT (min / median / max over $ROUNDS rounds, M words/s)"
echo "real Spark local[2]: $smin / $smed / $smax"
echo "stream-sim         : $(printf '%s\n' "$engine_line" | sed -E 's/.*: *([0-9.]+ \/ [0-9.]+ \/ [0-9.]+) M.*/\1/')"
awk -v e="$engine_median" -v s="$smed" 'BEGIN { if (s > 0) printf "ratio (medians)    : %.1fx real Spark (target >= 10x)\n", e / s }'
