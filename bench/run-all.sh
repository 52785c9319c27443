#!/usr/bin/env bash
# Builds Herd and runs the benchmarks one after the other, with short settings (a few minutes
# in all) unless --full is given (the scripts' own defaults: planner-scale alone takes minutes,
# most of them in crm_simulate).
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
  run dist/bench/resource-failover.js
  run dist/bench/planner-scale.js
else
  run dist/bench/state-writes.js --clients 16 --seconds 3
  run dist/bench/failover.js --runs 2 --etcd-runs 1
  run dist/bench/detection.js --rounds 3 --hog-seconds 10
  run dist/bench/resource-failover.js --runs 2
  run dist/bench/planner-scale.js --nodes 200 --resources 2000 --runs 1
fi
