#!/usr/bin/env bash
# The scale-out processes must share one queue. With the environment a
# compose file sets (REDIS_URL, no QUEUE_BACKEND) `api` and `worker` both use
# that Redis, and a scan submitted to the one runs in the other. Without a
# shared backend, `api` and `worker` refuse to start and name the fix, while
# `all` (one process) still runs on the in-memory queue.
#   shared_queue_test.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3
. "$(dirname "$0")/../support/processes.sh"
free_port rport; free_port hport; free_port mport
export SCANORCH_METRICS_LISTEN=127.0.0.1:$mport  # a worker's listener, off the default port
start_redis "$rport"
start_emulator emu "$emulator" --user admin:adminpw --scan-seconds 1 --export-seconds 0.1
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: lab_1, scanner_type: nessus, url: '$emulator_url', credentials: {username: admin, password: adminpw}}
YAML
# The shipped config's choice: memory-queue, named explicitly.
write_config listen="$hport"
api=http://127.0.0.1:$hport

expect_refusal() {  # MODE ARGS... — exit 1, naming the mode, the plugin and the fix
  local out rc
  out=$(timeout 20 "$scanorchd" --config "$work/scanorch.yaml" "$@" 2>&1); rc=$?
  [ $rc = 1 ] || fail "scanorchd $* on memory-queue: exit $rc, expected 1: $out"
  echo "$out" | grep -q "'$1' mode meets the .* processes only through the queue, but 'memory-queue' keeps its queue inside this one process" ||
    fail "scanorchd $*: no word of the unshared queue: $out"
  echo "$out" | grep -q "QUEUE_BACKEND=redis and REDIS_URL=redis://" || fail "scanorchd $*: the fix is not named: $out"
  echo "ok scanorchd $* refuses memory-queue"
}
expect_refusal api
expect_refusal worker --scanner lab_1
# QUEUE_BACKEND=memory is an explicit choice REDIS_URL does not override, and still refused.
QUEUE_BACKEND=memory REDIS_URL=redis://127.0.0.1:$rport expect_refusal api

# REDIS_URL alone: both processes on that Redis; the worker runs the API's scan.
export REDIS_URL=redis://127.0.0.1:$rport
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$api" api
grep -q "queue: redis-queue" "$work/scanorchd.log" || fail "api with REDIS_URL is not on redis-queue: $(grep 'queue:' "$work/scanorchd.log")"
mv "$work/scanorchd.log" "$work/api.log"
out=$(curl -s -X POST "$api/tools/run_untrusted_scan" -d '{"targets":"192.0.2.10","name":"shared"}')
id=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])') || fail "submit: $out"
[ "$(redis-cli -p "$rport" --scan --pattern 'nessus:task:*' | grep -c .)" -ge 1 ] || fail "the task is not in Redis"
echo "ok api with REDIS_URL alone queues in Redis"
"$scanorchd" --config "$work/scanorch.yaml" worker --scanner lab_1 >"$work/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  st=$(curl -s -X POST "$api/tools/get_scan_status" -d "{\"task_id\":\"$id\"}")
  echo "$st" | grep -qE '"status":"(completed|failed)"' && break
  sleep 0.2
done
echo "$st" | grep -q '"status":"completed"' || { tail -20 "$work/worker.log"; fail "the worker did not run the API's scan: $st"; }
echo "ok the worker (REDIS_URL alone) ran the scan the api queued"
unset REDIS_URL

# One process needs no shared queue.
free_port hport2
sed -i "s/127.0.0.1:$hport/127.0.0.1:$hport2/" "$work/scanorch.yaml"
"$scanorchd" --config "$work/scanorch.yaml" all >"$work/all.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'scanorchd ready' "$work/all.log" && break; sleep 0.1; done
grep -q 'scanorchd ready' "$work/all.log" || { cat "$work/all.log"; fail "all on memory-queue did not start"; }
echo "ok all runs on memory-queue"
echo "all shared queue checks passed"
