#!/usr/bin/env bash
# The store plugins at scale, side by side in one run: indexing a large scan's
# findings, paging them (p50/p99 per page), searching, and list_tasks over a
# store of many tasks. PostgreSQL is a server of the benchmark's own (Debian's
# package, loopback, fsync off like the contract suite's: compare the shapes,
# not the absolute write rates, with a production server).
#   tests/bench/store_bench.sh [BUILD_DIR] [FINDINGS] [TASKS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/default}
findings=${2:-100000}
tasks=${3:-100000}
echo "== store benchmark ($(nproc) cores, $(date -u +%FT%TZ))"
for backend in sqlite postgres; do
  "$build/bin/store_bench" "$backend" "$build/lib/scanorch/plugins" "$findings" "$tasks"
done
