#!/usr/bin/env bash
# A `scanorchd worker` is scraped on its own: in the one-worker-per-scanner
# deployment the counters only a worker increments (finished tasks, scanner
# API requests, authentication failures) live in that process. An API and a
# worker share a real Redis; a scan submitted to the API runs in the worker,
# and the worker's own /metrics shows it finished. A second worker on the
# same port stops at start-up naming the fix; `off` serves nothing.
#   worker_metrics_test.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3
. "$(dirname "$0")/../support/processes.sh"
free_port rport; free_port hport; free_port mport
start_redis "$rport"
start_emulator emu "$emulator" --user admin:adminpw --target-account scan:scanpw --scan-seconds 1 --export-seconds 0.1
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: lab_1, scanner_type: nessus, url: '$emulator_url', max_concurrent_scans: 2, credentials: {username: admin, password: adminpw}}
YAML
write_config redis="$rport" listen="$hport"
api=http://127.0.0.1:$hport
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$api" api
mv "$work/scanorchd.log" "$work/api.log"

# The worker, its listener moved off the default port by the environment.
SCANORCH_METRICS_LISTEN=127.0.0.1:$mport start_scanorchd "$scanorchd" "$work/scanorch.yaml" "http://127.0.0.1:$mport" \
  worker --scanner lab_1
wm=http://127.0.0.1:$mport
grep -q "worker metrics at $wm/metrics" "$work/scanorchd.log" || fail "the worker does not log where it serves metrics"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$wm/ready")" = 200 ] || fail "worker /ready is not 200 with Redis up"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$wm/tools")" = 404 ] || fail "the worker listener must serve nothing but metrics and health"
echo "ok worker serves /health and /ready at $wm"

out=$(curl -s -X POST "$api/tools/run_untrusted_scan" -d '{"targets":"192.0.2.10","name":"metrics"}')
id=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])') || fail "submit: $out"
for _ in $(seq 1 150); do
  st=$(curl -s -X POST "$api/tools/get_scan_status" -d "{\"task_id\":\"$id\"}")
  echo "$st" | grep -qE '"status":"(completed|failed)"' && break
  sleep 0.2
done
echo "$st" | grep -q '"status":"completed"' || fail "the scan did not complete: $st"
echo "ok scan $id completed in the worker"

m=$(curl -s "$wm/metrics")
echo "$m" | grep -q '^scanorch_tasks_finished_total{scanner_instance="lab_1",status="completed"} 1$' ||
  fail "worker /metrics has no finished task for lab_1: $(echo "$m" | grep scanorch_tasks_finished_total)"
echo "$m" | grep -Eq '^scanorch_nessus_api_requests_total\{.*scanner="lab_1".*\} [1-9]' ||
  fail "worker /metrics has no scanner API requests: $(echo "$m" | grep api_requests)"
echo "$m" | grep -q '^nessus_scanner_capacity{scanner_instance="lab_1"} 2$' ||
  fail "worker /metrics does not refresh the pool gauges: $(echo "$m" | grep nessus_scanner_capacity)"
echo "ok worker /metrics: $(echo "$m" | grep '^scanorch_tasks_finished_total')"
# The API process never saw the task finish: only the worker can report it.
curl -s "$api/metrics" | grep -q '^scanorch_tasks_finished_total{' && fail "the API reports a counter only the worker can know"

# A second worker on the same port: start-up fails, naming the key and the fix.
out=$(SCANORCH_METRICS_LISTEN=127.0.0.1:$mport timeout 20 "$scanorchd" --config "$work/scanorch.yaml" worker --scanner lab_1 2>&1)
rc=$?
[ $rc = 1 ] || fail "a second worker on a taken port: exit $rc, expected 1: $out"
echo "$out" | grep -q "workers.metrics_listen: cannot listen on 127.0.0.1:$mport.*SCANORCH_METRICS_LISTEN" ||
  fail "a taken port is not named with its fix: $out"
echo "ok a taken port stops the second worker: $(echo "$out" | tail -1)"

# A bad value is a config error; off runs the worker without a listener.
out=$(SCANORCH_METRICS_LISTEN=9465 "$scanorchd" --config "$work/scanorch.yaml" worker --scanner lab_1 2>&1)
echo "$out" | grep -q "SCANORCH_METRICS_LISTEN: '9465' is not HOST:PORT or off" || fail "bad listen value: $out"
SCANORCH_METRICS_LISTEN=off "$scanorchd" --config "$work/scanorch.yaml" worker --scanner lab_1 >"$work/off.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'scanorchd ready' "$work/off.log" && break; sleep 0.1; done
grep -q 'worker metrics listener is off' "$work/off.log" || { cat "$work/off.log"; fail "off: no word that the worker is not scraped"; }
echo "ok off: the worker runs without a listener and says so"
echo "all worker metrics checks passed"
