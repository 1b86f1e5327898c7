#!/usr/bin/env bash
# Claim-and-complete cycles per second through the redis-queue plugin, against
# redis-benchmark's single-operation rate at the same concurrency, one run,
# one redis-server on a free loopback port.
#   tests/bench/queue_bench.sh [BUILD_DIR] [THREADS] [TASKS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/default}
threads=${2:-8}
tasks=${3:-20000}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "== queue benchmark ($(nproc) cores, $threads connections, $tasks tasks, $(date -u +%FT%TZ))"
ours=$("$build/bin/queue_bench" "$build/lib/scanorch/plugins/libscanorch-redis-queue.so" \
  "{\"url\":\"redis://127.0.0.1:$port\",\"key_prefix\":\"bench\"}" "$threads" "$tasks")
echo "redis-queue: $ours"
rb=$(redis-benchmark -p "$port" -c "$threads" -n "$((tasks * 5))" -t set,lpop -q 2>/dev/null | tr '\r' '\n' \
     | grep -oE '^(SET|LPOP): [0-9.]+ requests per second')
echo "redis-benchmark (same connections):"; echo "$rb" | sed 's/^/  /'
cycles=$(echo "$ours" | awk '{print $(NF-1)}')
single=$(echo "$rb" | awk '/^SET/ {print $2}')
awk -v c="$cycles" -v s="$single" 'BEGIN{printf "ratio: %.2f claim+complete cycles per single SET (each cycle is 2 scripted round trips)\n", c/s}'
