#!/usr/bin/env bash
# Records what Scala 2.12.18 and Spark 3.5.3 (the jars of the PySpark package) compute for the
# hash codes, XORShiftRandom starts and Set/Map orders that src/value.rs (murmur3) and
# src/models/dstream/ops.rs (repartition_start) transcribe: compiles
# scripts/spark-diff-hashes.scala with the bundled scala-compiler and writes its output to
# tests/fixtures/spark-diff/scala-hashes.txt. No SparkContext is started (a few seconds
# after a compile of about a minute). Needs the venv of /work/shared/oracle/setup.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
VENV="${STREAM_SIM_ORACLE_VENV:-$HOME/.cache/stream-sim-oracle/venv}"
JARS="$("$VENV/bin/python" -c 'import pyspark, os; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
CP="$(ls "$JARS"/*.jar | tr '\n' ':')"
SC="$(ls "$JARS"/scala-compiler-2.12.*.jar):$(ls "$JARS"/scala-library-2.12.*.jar):$(ls "$JARS"/scala-reflect-2.12.*.jar)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
java -cp "$SC" scala.tools.nsc.Main -classpath "$CP" -d "$out" "$here/spark-diff-hashes.scala"
java -cp "$out:$CP" org.apache.spark.murmurcheck.Hashes > "$here/../tests/fixtures/spark-diff/scala-hashes.txt"
echo "wrote tests/fixtures/spark-diff/scala-hashes.txt"
