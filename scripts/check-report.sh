#!/usr/bin/env bash
# Checks `stream-sim report` in a real headless browser: writes the report of a scenario
# with a driver failure (driver-failure-wal) and of one that never processes a batch
# (starvation), loads each in headless Chromium (Debian's `chromium`, installed with apt-get
# if missing, as book/check.sh does), and fails when the page logs a console error, when its
# script did not mark it ready (every chart rendered: `data-ready="1"` on <body>), when an
# expected section is missing, or when no screenshot was written.
#
# Usage: scripts/check-report.sh [OUT_DIR]   (default: target/report-check)
# STREAM_SIM_BIN names a built binary (default: cargo build, then target/debug/stream-sim).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/report-check}
mkdir -p "$out"
bin=${STREAM_SIM_BIN:-}
if [ -z "$bin" ]; then
    (cd "$root" && cargo build --quiet)
    bin=$root/target/debug/stream-sim
fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "check-report.sh: installing chromium with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    browser=$(command -v chromium)
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run
    --user-data-dir="$profile")

check() {
    local scenario=$1
    shift
    local page=$out/$scenario.html shot=$out/$scenario.png log=$out/$scenario.console.log
    (cd "$root" && "$bin" report "$scenario" --out "$page" >/dev/null)
    # The console: Chromium logs each console message (and uncaught exception) to stderr
    # with --enable-logging, as `INFO:CONSOLE(..)` whatever its level; the page logs
    # nothing when all is well (its script calls console.error only on a missing chart),
    # so any console line is a failure.
    dom=$("$browser" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom \
        "file://$page" 2>"$log")
    if grep -qE ":CONSOLE|Uncaught" "$log"; then
        echo "check-report.sh: $page logged console errors:" >&2
        grep -E ":CONSOLE|Uncaught" "$log" >&2
        exit 1
    fi
    if ! grep -qF 'data-ready="1"' <<<"$dom"; then
        echo "check-report.sh: $page did not mark itself ready (a chart did not render)" >&2
        exit 1
    fi
    for want in "Streaming Statistics" "Active Batches" "Completed Batches" \
        "Batches That Never Ran" "DStream Graph" "Timeline" "$@"; do
        if ! grep -qF "$want" <<<"$dom"; then
            echo "check-report.sh: $page rendered in chromium lacks: $want" >&2
            exit 1
        fi
    done
    rm -f "$shot"
    "$browser" "${flags[@]}" --screenshot="$shot" --window-size=1300,2400 \
        "file://$page" 2>/dev/null || true
    if [ ! -s "$shot" ]; then
        echo "check-report.sh: chromium wrote no screenshot to $shot" >&2
        exit 1
    fi
    echo "check-report.sh: chromium rendered $page; screenshot $shot"
}

check driver-failure-wal "the driver failed" "(re-run)"
check starvation "no free core"
echo "check-report.sh: report OK"
