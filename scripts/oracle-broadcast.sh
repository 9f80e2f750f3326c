#!/bin/sh
# Regenerates tests/fixtures/broadcast/spark-3.5.3.txt: a broadcast variable after the driver's
# recovery from a checkpoint, on real Spark 3.5.3 (see scripts/oracle-broadcast/BroadcastRecovery.scala).
# Needs the oracle venv (../shared/oracle/setup.sh). Two JVMs per variant (the driver dies, a new
# one recovers), one variant at a time; about two minutes in all.
#
#   sh scripts/oracle-broadcast.sh              the three variants (captured, captured-late, singleton)
#   sh scripts/oracle-broadcast.sh singleton    only these (the fixture then holds only them)
set -eu
cd "$(dirname "$0")/.."
VENV="${STREAM_SIM_ORACLE_VENV:-$HOME/.cache/stream-sim-oracle/venv}"
SPARK_HOME="$("$VENV/bin/python" -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME
tmp="${TMPDIR:-/tmp}/stream-sim-broadcast.$$"
mkdir -p "$tmp"
java -cp "$SPARK_HOME/jars/*" scala.tools.nsc.Main -usejavacp -classpath "$SPARK_HOME/jars/*" \
    -d "$tmp/oracle.jar" scripts/oracle-broadcast/BroadcastRecovery.scala
out=tests/fixtures/broadcast/spark-3.5.3.txt
mkdir -p tests/fixtures/broadcast
echo "# stream-sim: written by scripts/oracle-broadcast.sh on Spark 3.5.3; lines starting ORACLE are the program's" > "$out.tmp"
for variant in ${*:-captured captured-late singleton}; do
    for phase in first recover; do
        echo "## $variant $phase" >> "$out.tmp"
        "$SPARK_HOME/bin/spark-submit" --master 'local[2]' --class BroadcastRecovery \
            --conf spark.ui.enabled=false "$tmp/oracle.jar" "$phase" "$variant" "$tmp/ckpt-$variant" \
            2> "$tmp/$variant-$phase.err" | grep '^ORACLE' | sed -E 's/^ORACLE batch [0-9]+ /ORACLE batch /' >> "$out.tmp" || true
        grep -E '^(Caused by: )?[A-Za-z.]+(Exception|Error): ' "$tmp/$variant-$phase.err" | sort -u | head -5 \
            | sed 's/^/STDERR /' >> "$out.tmp" || true
    done
done
mv "$out.tmp" "$out"
rm -rf "$tmp"
echo "wrote $out"
