#!/usr/bin/env bash
# TTL housekeeping as the daemons run it: an API and a worker process on one
# Redis and one data_dir, both running the housekeeping loop (interval 1 s,
# TTL 1 s), one pass at a time under the lock they share. Finished tasks
# nobody read are removed with their files, each counted once in
# ttl_deletions_total across the two processes; a task still running stays.
#   ttl_housekeeping_test.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3
. "$(dirname "$0")/../support/processes.sh"
free_port rport hport mport sport
start_redis "$rport"
start_emulator fast "$emulator" --user admin:adminpw --scan-seconds 0.5 --export-seconds 0.1; fast=$emulator_url
start_emulator slow "$emulator" --user admin:adminpw --scan-seconds 300 --export-seconds 0.1; slow=$emulator_url
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: fast, scanner_type: nessus, url: '$fast', max_concurrent_scans: 3, credentials: {username: admin, password: adminpw}}
  - {instance_id: slow, scanner_type: nessus, url: '$slow', max_concurrent_scans: 1, credentials: {username: admin, password: adminpw}}
YAML
write_config redis="$rport" listen="$hport" housekeeping='{ttl_seconds: 1, interval_seconds: 1}' \
  workers="{poll_interval_ms: 200, metrics_listen: '127.0.0.1:$mport'}"
api=http://127.0.0.1:$hport wm=http://127.0.0.1:$mport
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$api" api
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$wm" worker --scanner fast
SCANORCH_METRICS_LISTEN=127.0.0.1:$sport "$scanorchd" --config "$work/scanorch.yaml" worker --scanner slow >>"$work/slow.log" 2>&1 &
pids+=($!)

submit() {  # NAME SCANNER — its task id
  local out
  out=$(curl -s -X POST "$api/tools/run_untrusted_scan" -d "{\"targets\":\"192.0.2.20\",\"name\":\"$1\",\"scanner_instance\":\"$2\"}")
  echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])' || fail "submit $1: $out"
}
status_code() { curl -s -o /dev/null -w '%{http_code}' -X POST "$api/tools/get_scan_status" -d "{\"task_id\":\"$1\"}"; }
status() { curl -s -X POST "$api/tools/get_scan_status" -d "{\"task_id\":\"$1\"}"; }

running=$(submit long slow)
ids=()
for i in 1 2 3; do ids+=("$(submit "short-$i" fast)"); done
is_running() { status "$running" | grep -q '"status":"running"'; }
wait_for 30 is_running || fail "the long scan did not start: $(status "$running")"

# Each short task finishes, then goes within a few passes of the loop (it
# wakes every 5 s): not found, its export on the worker gone.
all_gone() {
  local id
  for id in "${ids[@]}"; do
    [ "$(status_code "$id")" = 404 ] && [ ! -e "$work/data/exports/$id" ] || return 1
  done
}
wait_for 60 all_gone || fail "finished tasks were not removed by the TTL: $(for id in "${ids[@]}"; do status "$id"; echo; done)"
# They did run to their end first (the emulator's journal), not vanish unrun.
done_scans=$(curl -s "$fast/emulator/scans" | python3 -c 'import json,sys
print(sum(1 for s in json.load(sys.stdin)["scans"] if s["name"].startswith("short-") and s["status"] == "completed"))')
[ "$done_scans" = "${#ids[@]}" ] || fail "only $done_scans of ${#ids[@]} short scans completed on the scanner"
echo "ok the TTL removed ${#ids[@]} finished tasks and their files"

counter() { curl -s "$1/metrics" | awk '/^ttl_deletions_total /{print $2+0}'; }
# Three processes run housekeeping (the API and both workers), one pass at a
# time: whichever removed a task counts it, as it removes it.
sm=http://127.0.0.1:$sport
counted() {
  a=$(counter "$api") w=$(counter "$wm") s=$(counter "$sm")
  [ -n "$a" ] && [ -n "$w" ] && [ -n "$s" ] && [ "$((a + w + s))" -ge "${#ids[@]}" ]
}
wait_for 10 counted || fail "ttl_deletions_total: api '$a' + workers '$w' + '$s', expected ${#ids[@]}"
sleep 2  # two more passes: a removal counted twice would show now
a=$(counter "$api") w=$(counter "$wm") s=$(counter "$sm")
[ "$((a + w + s))" = "${#ids[@]}" ] ||
  fail "ttl_deletions_total: api $a + workers $w + $s, expected ${#ids[@]} (each removal counted once)"
echo "ok ttl_deletions_total: api $a + workers $w + $s = ${#ids[@]}"

status "$running" | grep -q '"status":"running"' || fail "an unfinished task must outlive the TTL: $(status "$running")"
echo "ok the running task is untouched"
echo "all TTL housekeeping checks passed"
