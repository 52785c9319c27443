#!/usr/bin/env bash
# Builds Herd and runs the three benchmarks one after the other, with short settings (about
# 2 minutes in all) unless --full is given (the scripts' own defaults: about 5 minutes).
# Each benchmark starts its own test cluster on 127.0.0.1 and stops every process it started.
# The figures are printed, never asserted: the exit status only says whether each script ran.
set -euo pipefail
cd "$(dirname "$0")/.."

full=no
if [ "${1:-}" = "--full" ]; then full=yes; fi

npx tsc -p .

run() {
  echo "== $*"
  node --enable-source-maps "$@"
  echo
}

if [ "$full" = yes ]; then
  run dist/bench/state-writes.js
  run dist/bench/failover.js
  run dist/bench/detection.js
else
  run dist/bench/state-writes.js --clients 16 --seconds 3
  run dist/bench/failover.js --runs 2 --etcd-runs 1
  run dist/bench/detection.js --rounds 3 --hog-seconds 10
fi
