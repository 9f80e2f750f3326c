#!/usr/bin/env bash
# Builds the course book with mdBook and checks the built site: every chapter listed in
# SUMMARY.md has its page, no {{#include}} was left unexpanded, and every relative link and
# image in the built HTML points to an existing file (and anchor).
#
# mdBook is installed with cargo into a cache directory when missing (a fresh machine needs
# only Rust and Python 3). With STREAM_SIM_BROWSER=1, headless Chromium (Debian's
# `chromium`, installed with apt-get if missing) also renders every page: no console error,
# every image loaded; then checks that ch06's generated table rendered and takes a
# screenshot (STREAM_SIM_SCREENSHOT, default book/build/ch06-failures.png). The site check
# refuses empty output boxes.
#
# The generated snippets themselves are checked by `cargo test --test book`
# (`stream-sim book --check`).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
MDBOOK_VERSION=0.4.52
root=${MDBOOK_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-sim/mdbook-$MDBOOK_VERSION}
mdbook=$root/bin/mdbook

if [ ! -x "$mdbook" ]; then
    echo "check.sh: installing mdbook $MDBOOK_VERSION into $root (a few minutes, once)"
    # --locked: the versions mdbook was released with; no watch/serve features (not needed
    # to build, and they halve the compile time).
    cargo install mdbook --locked --version "$MDBOOK_VERSION" \
        --no-default-features --features search --root "$root"
fi

rm -rf "$here/build"
log=$(mktemp)
"$mdbook" build "$here" 2>&1 | tee "$log"
# mdBook reports a failed {{#include}} as an error but still exits 0.
if grep -q "\[ERROR\]" "$log"; then
    echo "check.sh: mdbook reported errors" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
python3 "$here/check_site.py" "$here/build" "$here/src/SUMMARY.md"

if [ "${STREAM_SIM_BROWSER:-0}" = 1 ]; then
    browser=$(command -v chromium || command -v chromium-browser || true)
    if [ -z "$browser" ]; then
        echo "check.sh: installing chromium with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
        browser=$(command -v chromium)
    fi
    profile=$(mktemp -d)
    trap 'rm -rf "$profile"' EXIT
    flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
        --disable-component-update --disable-sync --no-first-run
        --user-data-dir="$profile" --enable-logging=stderr --v=0
        --virtual-time-budget=5000)
    # Every chapter: rendered after its scripts ran, with no console error and every image
    # loaded (theme/check-images.js counts broken ones into <body data-broken-images>).
    rendered=0
    for page in "$here"/build/*.html; do
        case "$(basename "$page")" in print.html|404.html|toc.html) continue ;; esac
        errlog=$(mktemp)
        dom=$("$browser" "${flags[@]}" --dump-dom "file://$page" 2>"$errlog")
        if grep -E "CONSOLE|Uncaught" "$errlog" | grep -qiE "error|uncaught|failed"; then
            echo "check.sh: console errors in $page:" >&2
            grep -E "CONSOLE|Uncaught" "$errlog" >&2
            rm -f "$errlog"
            exit 1
        fi
        rm -f "$errlog"
        if ! grep -qF 'data-broken-images="0"' <<<"$dom"; then
            echo "check.sh: $page: an image did not load (or the page's scripts did not run)" >&2
            exit 1
        fi
        rendered=$((rendered + 1))
    done
    echo "check.sh: chromium rendered $rendered pages: no console errors, every image loaded"
    page=$here/build/ch06-failures.html
    shot=${STREAM_SIM_SCREENSHOT:-$here/build/ch06-failures.png}
    # The DOM after the page's scripts ran: the measured table must be there, as a table.
    dom=$("$browser" "${flags[@]}" --dump-dom "file://$page" 2>/dev/null)
    for want in "<table>" "Kafka direct + idempotent sink" "reliable receiver, WAL"; do
        if ! grep -qF "$want" <<<"$dom"; then
            echo "check.sh: $page rendered in chromium lacks: $want" >&2
            exit 1
        fi
    done
    rm -f "$shot"
    "$browser" "${flags[@]}" --screenshot="$shot" --window-size=1200,900 \
        "file://$page" 2>/dev/null || true
    if [ ! -s "$shot" ]; then
        echo "check.sh: chromium wrote no screenshot to $shot" >&2
        exit 1
    fi
    echo "check.sh: chromium rendered $page; screenshot $shot"
fi
echo "check.sh: book OK"
