#!/usr/bin/env bash
# Sentinel is the supported way to fail Redis over, so a failover must not
# leave scanorch talking to the old master. A real master, replica and
# Sentinel on loopback; scanorchd all finds the master through the Sentinel
# and runs a scan; `SENTINEL FAILOVER` promotes the replica and turns the old
# master read-only; within seconds new scans are accepted again and run.
#   redis_sentinel_failover_test.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3
. "$(dirname "$0")/../support/processes.sh"
free_port m; free_port r; free_port s; free_port hport
# A replica writes the RDB of its full sync to its directory (the old master
# too, once demoted): keep both in the scratch folder.
mkdir -p "$work/m" "$work/r"
redis-server --port "$m" --bind 127.0.0.1 --dir "$work/m" --save "" --appendonly no --loglevel warning >/dev/null 2>&1 &
mpid=$!
pids+=("$mpid")
redis-server --port "$r" --bind 127.0.0.1 --dir "$work/r" --save "" --appendonly no --loglevel warning --replicaof 127.0.0.1 "$m" >/dev/null 2>&1 &
rpid=$!
pids+=("$rpid")
wait_for 10 redis_is "$m" "$mpid" || fail "the master did not start on port $m"
wait_for 10 redis_is "$r" "$rpid" || fail "the replica did not start on port $r"
cat >"$work/sentinel.conf" <<CONF
port $s
bind 127.0.0.1
dir $work
sentinel monitor mymaster 127.0.0.1 $m 1
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 10000
CONF
redis-server "$work/sentinel.conf" --sentinel >"$work/sentinel.log" 2>&1 &
spid=$!
pids+=("$spid")
wait_for 10 redis_is "$s" "$spid" || fail "the Sentinel did not start on port $s"
for _ in $(seq 1 100); do
  [ "$(redis-cli -p "$r" info replication | tr -d '\r' | grep -c 'master_link_status:up')" = 1 ] &&
    redis-cli -p "$s" sentinel replicas mymaster 2>/dev/null | grep -q "$r" && break
  sleep 0.2
done
redis-cli -p "$s" sentinel replicas mymaster | grep -q "$r" || fail "the Sentinel does not see the replica"
start_emulator emu "$emulator" --user admin:adminpw --scan-seconds 1 --export-seconds 0.1
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: lab_1, scanner_type: nessus, url: '$emulator_url', credentials: {username: admin, password: adminpw}}
YAML
write_config listen="$hport" \
  queue="{use: redis-queue, config: {sentinels: [\"127.0.0.1:$s\"], sentinel_master: mymaster, timeout_ms: 1000}}"
base=http://127.0.0.1:$hport
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$base" all

scan() {  # NAME — submits (retrying while the queue answers 503) and waits until it completes
  local out id st
  for _ in $(seq 1 100); do
    out=$(curl -s -w '\n%{http_code}' -X POST "$base/tools/run_untrusted_scan" -d "{\"targets\":\"192.0.2.10\",\"name\":\"$1\"}")
    [ "$(echo "$out" | tail -1)" = 200 ] && break
    sleep 0.2
  done
  [ "$(echo "$out" | tail -1)" = 200 ] || fail "$1: submissions still refused 20 s later: $out"
  id=$(echo "$out" | head -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])')
  for _ in $(seq 1 150); do
    st=$(curl -s -X POST "$base/tools/get_scan_status" -d "{\"task_id\":\"$id\"}")
    echo "$st" | grep -qE '"status":"(completed|failed)"' && break
    sleep 0.2
  done
  echo "$st" | grep -q '"status":"completed"' || fail "$1 did not complete: $st"
}
scan before
echo "ok a scan ran on the master the Sentinel named (127.0.0.1:$m)"

redis-cli -p "$s" sentinel failover mymaster >/dev/null
for _ in $(seq 1 100); do
  redis-cli -p "$s" sentinel get-master-addr-by-name mymaster | grep -qx "$r" &&
    redis-cli -p "$m" role | head -1 | grep -q slave && break
  sleep 0.2
done
redis-cli -p "$m" role | head -1 | grep -q slave || fail "the failover did not happen (old master: $(redis-cli -p "$m" role | head -1))"
echo "ok failover: 127.0.0.1:$r is master, 127.0.0.1:$m read-only"
scan after
echo "ok after the failover new scans are accepted and run"
echo "all Sentinel failover checks passed"
