#!/usr/bin/env bash
# Run the four server benchmarks one after the other (about 10-12 minutes in all) and print where the results
# are. Each starts its own server on a free port of 127.0.0.1 with a database in a fresh temporary directory,
# bounds its load in count and time, and stops everything it started. See docs/benchmarks.md.
#
#   bash bench/run_all.sh            # all four
#   bash bench/run_all.sh issue_http restart   # some of them
#
# Needs: the virtualenv (make setup) and wrk (apt-get install -y wrk; installed here when missing and root).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "no virtualenv: run 'make setup' first" >&2; exit 1; }

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
    else
        echo "wrk is missing: sudo apt-get install -y wrk" >&2; exit 1
    fi
fi
if ! "$PY" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("websockets") is None)'; then
    echo "the virtualenv lacks websockets" >&2; exit 1
fi

echo "open files: soft $(ulimit -Sn), hard $(ulimit -Hn) (the benchmarks raise their own soft limit to the hard one)"
benchmarks=("$@")
[ ${#benchmarks[@]} -gt 0 ] || benchmarks=(issue_http call_to_screen idle_connections restart)
failed=0
for name in "${benchmarks[@]}"; do
    echo
    echo "=== $name ==="
    # Each benchmark is bounded on its own (about 3 minutes); this is a last guard.
    extra=()
    [ "$name" = issue_http ] && extra=(--profile)
    timeout --signal=INT 420 "$PY" "bench/$name.py" "${extra[@]}" || { echo "$name failed ($?)" >&2; failed=1; }
done
echo
echo "results: bench/results/*.json"
exit $failed
