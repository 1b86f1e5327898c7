#!/usr/bin/env bash
# get_scan_status over REST and over MCP with wrk, at 50 and 200 connections,
# in front of scanorchd all on the Redis queue (all on loopback).
#   tests/bench/frontend_bench.sh [BUILD_DIR] [SECONDS]
# Target (issue 6): p99 under 10 ms at 200 connections on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build/default}" && pwd)
secs=${2:-10}
. "$root/tests/support/processes.sh"
rport=$(free_port); hport=$(free_port)
start_redis "$rport"
start_emulator emu "$build/bin/nessus-emulator" --user admin:adminpw --scan-seconds 1
emu=$emulator_url
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: bench, scanner_type: nessus, url: '$emu', credentials: {username: admin, password: adminpw}}
YAML
cat >"$work/scanorch.yaml" <<YAML
plugin_dir: $build/lib/scanorch/plugins
data_dir: $work/data
scanners_file: scanners.yaml
scope: [192.0.2.0/24]
logging: {level: warn}
plugins:
  queue: {use: redis-queue, config: {url: "redis://127.0.0.1:$rport"}}
  frontend: {use: http, config: {listen: "127.0.0.1:$hport", threads: 256}}
YAML
start_scanorchd "$build/bin/scanorchd" "$work/scanorch.yaml" "http://127.0.0.1:$hport" all
base=http://127.0.0.1:$hport
task=$(curl -s -X POST "$base/tools/run_untrusted_scan" -d '{"targets":"192.0.2.1","name":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])')
sid=$(curl -s -D - -o /dev/null -X POST "$base/mcp" -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"wrk","version":"1"}}}' \
  | awk -F': ' 'tolower($1)=="mcp-session-id" {print $2}' | tr -d '\r')
cat >"$work/rest.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"task_id":"$task"}'
wrk.headers["Content-Type"] = "application/json"
LUA
cat >"$work/mcp.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_scan_status","arguments":{"task_id":"$task"}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = "$sid"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
LUA
echo "== front end benchmark ($(nproc) cores, ${secs}s each, Redis queue, $(date -u +%FT%TZ))"
for c in 50 200; do
  for kind in rest mcp; do
    path=$([ $kind = rest ] && echo /tools/get_scan_status || echo /mcp)
    out=$(wrk -t2 -c"$c" -d"${secs}s" --timeout 2s --latency -s "$work/$kind.lua" "$base$path")
    [ -n "${VERBOSE:-}" ] && echo "$out"
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    errs=$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ' || true)
    printf '%-4s %3d connections: %9s req/s  p99 %8s  %s\n' "$kind" "$c" "$rps" "$p99" "$errs"
  done
done
