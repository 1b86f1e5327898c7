#!/usr/bin/env bash
# get_scan_status over REST and over MCP with wrk, at 50 and 200 connections,
# in front of scanorchd all on the Redis queue (all on loopback).
#   tests/bench/frontend_bench.sh [BUILD_DIR] [SECONDS]
# HTTP_THREADS=N sets the front end's `threads` (default: its own default, 16);
# VERBOSE=1 prints wrk's whole report.
# "cpu/req" is scanorchd's own CPU time (user + system) per answered request:
# on a machine shared with other work, req/s follows what the others leave
# free, while the CPU a request costs does not.
# Target (issue 6): p99 under 10 ms at 200 connections on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build/default}" && pwd)
secs=${2:-10}
. "$root/tests/support/processes.sh"
free_port rport; free_port hport
start_redis "$rport"
# One scan runs for the whole benchmark (its record changes as the worker
# polls it); a second waits behind it, so each of its answers asks Redis for
# its queue position.
start_emulator emu "$build/bin/nessus-emulator" --user admin:adminpw --scan-seconds 3600
emu=$emulator_url
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: bench, scanner_type: nessus, url: '$emu', max_concurrent_scans: 1, credentials: {username: admin, password: adminpw}}
YAML
plugins=$build/lib/scanorch/plugins
write_config redis="$rport" workers='{poll_interval_ms: 1000}' logging='{level: warn}' \
  frontend="{use: http, config: {listen: \"127.0.0.1:$hport\"${HTTP_THREADS:+, threads: $HTTP_THREADS}}}"
# Warnings only (a log line per request would be what is measured), so the
# start is awaited on /health rather than on the "serving at" line.
"$build/bin/scanorchd" --config "$work/scanorch.yaml" all >>"$work/scanorchd.log" 2>&1 &
pids+=($!)
daemon=$!
# utime + stime of the daemon, in clock ticks (fields 14 and 15 after the command name).
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$daemon/stat"; }
healthy() { curl -fs "http://127.0.0.1:$hport/health" >/dev/null 2>&1; }
wait_for 15 healthy || fail "scanorchd did not answer at http://127.0.0.1:$hport/health"
base=http://127.0.0.1:$hport
submit() { curl -s -X POST "$base/tools/run_untrusted_scan" -d "{\"targets\":\"192.0.2.$1\",\"name\":\"bench $1\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])'; }
status() { curl -s -X POST "$base/tools/get_scan_status" -d "{\"task_id\":\"$1\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
running=$(submit 1)
for _ in $(seq 1 100); do [ "$(status "$running")" = running ] && break; sleep 0.1; done
[ "$(status "$running")" = running ] || fail "the benchmark's first scan did not start"
queued=$(submit 2)
[ "$(status "$queued")" = queued ] || fail "the benchmark's second scan is not queued"
sid=$(curl -s -D - -o /dev/null -X POST "$base/mcp" -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"wrk","version":"1"}}}' \
  | awk -F': ' 'tolower($1)=="mcp-session-id" {print $2}' | tr -d '\r')
for state in running queued; do
  task=${!state}
  cat >"$work/rest-$state.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"task_id":"$task"}'
wrk.headers["Content-Type"] = "application/json"
LUA
  cat >"$work/mcp-$state.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_scan_status","arguments":{"task_id":"$task"}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = "$sid"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
LUA
done
echo "== front end benchmark ($(nproc) cores, ${secs}s each, Redis queue, $(date -u +%FT%TZ))"
for state in running queued; do
  for c in 50 200; do
    for kind in rest mcp; do
      path=$([ $kind = rest ] && echo /tools/get_scan_status || echo /mcp)
      before=$(cpu_ticks)
      out=$(wrk -t2 -c"$c" -d"${secs}s" --timeout 2s --latency -s "$work/$kind-$state.lua" "$base$path")
      ticks=$(( $(cpu_ticks) - before ))
      [ -n "${VERBOSE:-}" ] && echo "$out"
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      p99=$(echo "$out" | awk '$1=="99%" {print $2}')
      reqs=$(echo "$out" | awk '/requests in/ {print $1}')
      cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$reqs" 'BEGIN {printf "%.1f", n ? t * 1e6 / hz / n : 0}')
      errs=$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ' || true)
      printf '%-4s %-7s task %3d connections: %9s req/s  p99 %8s  cpu/req %6s us  %s\n' "$kind" "$state" "$c" "$rps" "$p99" "$cpu" "$errs"
    done
  done
done
[ "$(status "$running")" = running ] && [ "$(status "$queued")" = queued ] || fail "the tasks changed state during the benchmark"
