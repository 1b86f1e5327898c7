#!/usr/bin/env bash
# The design document's "Verification Tests", run as written against
# scanorchd all on Redis with two emulated scanners (the one change: its
# example target, a private-range address, becomes the documentation address
# 192.0.2.1, since tests never name private-range addresses).
#   design_verification.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3
. "$(dirname "$0")/../support/processes.sh"
free_port rport; free_port hport
start_redis "$rport"
emulator_args=(--user admin:adminpw --target-account scan:scanpw --scan-seconds 3 --export-seconds 0.1 --max-running 10)
start_emulator emu1 "$emulator" "${emulator_args[@]}"; e1=$emulator_url
start_emulator emu2 "$emulator" "${emulator_args[@]}"; e2=$emulator_url
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: nessus_prod_1, scanner_type: nessus, url: '$e1', max_concurrent_scans: 2, credentials: {username: admin, password: adminpw}}
  - {instance_id: nessus_prod_2, scanner_type: nessus, url: '$e2', max_concurrent_scans: 3, credentials: {username: admin, password: adminpw}}
YAML
write_config redis="$rport" listen="$hport"
base=http://127.0.0.1:$hport
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$base" all
rcli() { redis-cli -p "$rport" "$@"; }

# 2. Submit scan with specific scanner
out=$(curl -s -X POST $base/tools/run_untrusted_scan -d '{"targets":"192.0.2.1","name":"Test","scanner_instance":"nessus_prod_2"}')
echo "$out" | grep -q '"scanner_instance":"nessus_prod_2"' || fail "2. named scanner: $out"
echo "ok 2. submitted to nessus_prod_2"

# 5. Check queue routing, while three scans wait for nessus_prod_1 (capacity 2)
for i in 1 2 3; do curl -s -X POST $base/tools/run_untrusted_scan -d "{\"targets\":\"192.0.2.1$i\",\"name\":\"r$i\",\"scanner_instance\":\"nessus_prod_1\"}" >/dev/null; done
routed() {
  running=$(rcli SMEMBERS nessus:scanners:nessus_prod_1:running | grep -c .)
  queued=$(rcli LLEN nessus:queue:nessus:nessus_prod_1)
  global=$(rcli LLEN nessus:queue:global)
  [ "$running" = 2 ] && [ "$queued" = 1 ] && [ "$global" = 0 ]
}
wait_for 20 routed || fail "5. routing: running=$running queued=$queued global=$global"
echo "ok 5. redis: nessus:scanners:nessus_prod_1:running has 2, nessus:queue:nessus:nessus_prod_1 has 1, global 0"

# 3. Check per-scanner metrics, changing as scans run (the core refreshes its gauges every 5 s)
active() {
  m=$(curl -s $base/metrics | grep scanner_active_scans)
  echo "$m" | grep -q "nessus_scanner_active_scans{scanner_instance=\"nessus_prod_1\"} $1\$"
}
wait_for 20 active 2 || fail "3. metrics while running: $m"
echo "ok 3. $(echo "$m" | tr '\n' ' ')"

# 4. Trusted scan with bad credentials fails with an auth error
bad=$(curl -s -X POST $base/tools/run_trusted_scan -d '{"targets":"192.0.2.40","name":"bad","ssh_username":"scan","ssh_password":"wrong","scanner_instance":"nessus_prod_2"}')
id=$(echo "$bad" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])')
for _ in $(seq 1 100); do
  st=$(curl -s -X POST $base/tools/get_scan_status -d "{\"task_id\":\"$id\"}")
  echo "$st" | grep -qE '"status":"(failed|completed)"' && break
  sleep 0.2
done
echo "$st" | grep -q '"status":"failed"' && echo "$st" | grep -q '"authentication_status":"failed"' || fail "4. auth failure: $st"
echo "ok 4. bad credentials: failed, authentication_status failed"

# Everything drains; the gauges come back down.
drained() { [ "$(rcli SCARD nessus:scanners:nessus_prod_1:running)" = 0 ] && [ "$(rcli LLEN nessus:queue:nessus:nessus_prod_1)" = 0 ]; }
wait_for 30 drained || fail "3. the scans on nessus_prod_1 did not drain"
wait_for 20 active 0 || fail "3. metrics after the scans: $m"
echo "ok 3. after: $(echo "$m" | grep nessus_prod_1)"
# With the queue backend down: not ready, and scans are refused with 503, nothing queued.
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null
ready=$(curl -s -o /dev/null -w '%{http_code}' $base/ready)
submit=$(curl -s -o /dev/null -w '%{http_code}' -X POST $base/tools/run_untrusted_scan -d '{"targets":"192.0.2.9","name":"down"}')
[ "$ready" = 503 ] && [ "$submit" = 503 ] || fail "queue down: /ready $ready, submit $submit"
[ "$(curl -s -o /dev/null -w '%{http_code}' $base/health)" = 200 ] || fail "liveness must not depend on Redis"
echo "ok Redis down: /ready 503, submit 503, /health 200"
echo "all design verification commands passed"
