#!/usr/bin/env bash
# A trusted scan scaled out: an API and a worker process sharing one Redis
# and SCANORCH_CREDENTIAL_KEY. The scan logs in with its SSH password; then
# the password is looked for everywhere scanorch keeps or shows anything —
# every Redis key and value (an uncompressed dump of the whole database),
# both processes' debug-level logs, both /metrics and every file under
# data_dir — and must be nowhere. A worker with another key fails the next
# trusted scan with the "cannot be opened" reason instead of running it.
#   credential_secrecy_test.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3
. "$(dirname "$0")/../support/processes.sh"
# A password that appears nowhere by chance.
password="Pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
free_port rport hport mport
start_redis "$rport"
start_emulator emu "$emulator" --user admin:adminpw --target-account "scan:$password" --scan-seconds 1 --export-seconds 0.1
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: lab_1, scanner_type: nessus, url: '$emulator_url', max_concurrent_scans: 2, credentials: {username: admin, password: adminpw}}
YAML
write_config redis="$rport" listen="$hport" logging='{level: debug}' \
  workers="{poll_interval_ms: 200, metrics_listen: '127.0.0.1:$mport'}"
api=http://127.0.0.1:$hport wm=http://127.0.0.1:$mport
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$api" api

# wait_status ID — waits (60 s) until the task ends; its last status in $st.
wait_status() {
  ended() {
    st=$(curl -s -X POST "$api/tools/get_scan_status" -d "{\"task_id\":\"$1\"}")
    echo "$st" | grep -qE '"status":"(completed|failed|cancelled)"'
  }
  wait_for 60 ended "$1" || fail "task $1 did not end: $st"
}
submit() {  # NAME — a trusted scan of 192.0.2.10 logging in as scan/$password; its task id
  local out
  out=$(curl -s -X POST "$api/tools/run_trusted_scan" \
    -d "{\"targets\":\"192.0.2.10\",\"name\":\"$1\",\"ssh_username\":\"scan\",\"ssh_password\":\"$password\"}")
  echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])' || fail "submit $1: $out"
}

# redis_audit WHEN — every Redis key and value, as one uncompressed dump (long
# strings would otherwise be LZF-compressed and could hide a match).
redis_audit() {
  redis-cli -p "$rport" config set rdbcompression no >/dev/null
  redis-cli -p "$rport" --rdb "$work/redis.rdb" >/dev/null 2>&1 || fail "could not dump Redis"
  grep -qaF "$password" "$work/redis.rdb" && fail "the password is in Redis ($1)"
  echo "ok Redis $1: $(redis-cli -p "$rport" dbsize) keys, the password in none"
}

# Queued before any worker runs: the task, with its sealed credentials, waits in Redis.
id=$(submit secrecy)
redis_audit "while the task is queued"
grep -qa "$id" "$work/redis.rdb" || fail "the Redis dump does not hold the queued task: the audit would see nothing"

start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$wm" worker --scanner lab_1
worker_pid=${pids[-1]}
wait_status "$id"
echo "$st" | grep -q '"status":"completed"' && echo "$st" | grep -q '"authentication_status":"success"' ||
  fail "the trusted scan did not log in through the worker: $st"
echo "ok the worker opened the API's sealed credentials and the scan logged in"
redis_audit "after the scan"

grep -q '^[0-9T:.-]* debug ' "$work/scanorchd.log" || fail "the logs are not at debug level: the audit would miss what debug shows"
grep -qF "$password" "$work/scanorchd.log" && fail "the password is in a log: $(grep -F "$password" "$work/scanorchd.log" | head -3)"
echo "ok logs: $(wc -l <"$work/scanorchd.log") lines at debug level, the password in none"

for url in "$api" "$wm"; do
  m=$(curl -s "$url/metrics")
  [ -n "$m" ] || fail "no /metrics at $url"
  echo "$m" | grep -qF "$password" && fail "the password is in $url/metrics"
done
echo "ok /metrics of the API and the worker: no password"

grep -qaF "$id" "$work/data"/store.sqlite* || fail "the task is not in the store under data_dir: the audit would see nothing"
grep -rlaF "$password" "$work/data" && fail "the password is in a file under data_dir (above)"
echo "ok data_dir: $(find "$work/data" -type f | wc -l) files, the password in none"

# A worker with another key cannot open the next task's credentials: the task
# fails with the reason, and no scan is created for it.
kill "$worker_pid"; wait "$worker_pid" 2>/dev/null
before=$(curl -s "$emulator_url/emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scans_created"])')
SCANORCH_CREDENTIAL_KEY=0000000000000000000000000000000000000000000000000000000000000001 \
  start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$wm" worker --scanner lab_1
id2=$(submit wrong-key)
wait_status "$id2"
echo "$st" | grep -q '"status":"failed"' && echo "$st" | grep -q 'cannot be opened' ||
  fail "a worker with the wrong key: $st"
after=$(curl -s "$emulator_url/emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scans_created"])')
[ "$after" = "$before" ] || fail "a scan was created without its credentials ($before -> $after)"
echo "ok a worker with another key fails the task: $(echo "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["error"])')"
echo "all credential secrecy checks passed"
