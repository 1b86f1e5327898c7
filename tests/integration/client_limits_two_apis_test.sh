#!/usr/bin/env bash
# A client's scope and scan cap hold across API processes: two `scanorchd api`
# on one Redis, one worker. Each API refuses a target outside the client's
# scope (inside the global one), and a client whose scope is empty may scan
# nothing. A capped client's submissions, raced through both APIs at once,
# never run more than its cap at the same time on the scanner.
#   client_limits_two_apis_test.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3
. "$(dirname "$0")/../support/processes.sh"
free_port rport h1 h2 mport
start_redis "$rport"
start_emulator emu "$emulator" --user admin:adminpw --scan-seconds 3 --export-seconds 0.1 --max-running 50
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: lab_1, scanner_type: nessus, url: '$emulator_url', max_concurrent_scans: 10, credentials: {username: admin, password: adminpw}}
YAML
capped=capped-token-0123456789abcdef nobody=nobody-token-0123456789abcdef
clients="clients: {capped: {token: $capped, scope: [192.0.2.0/25], max_concurrent_scans: 2}, nobody: {token: $nobody, scope: []}}"
write_config redis="$rport" workers="{poll_interval_ms: 200, metrics_listen: '127.0.0.1:$mport'}" \
  frontend="{use: http, config: {listen: '127.0.0.1:$h1', $clients}}"
cp "$work/scanorch.yaml" "$work/api1.yaml"
sed "s/127.0.0.1:$h1/127.0.0.1:$h2/" "$work/api1.yaml" >"$work/api2.yaml"
a1=http://127.0.0.1:$h1 a2=http://127.0.0.1:$h2
start_scanorchd "$scanorchd" "$work/api1.yaml" "$a1" api
start_scanorchd "$scanorchd" "$work/api2.yaml" "$a2" api
start_scanorchd "$scanorchd" "$work/api1.yaml" "http://127.0.0.1:$mport" worker --scanner lab_1

post() {  # BASE TOKEN TARGET NAME — prints "CODE BODY"
  curl -s -w ' %{http_code}' -X POST "$1/tools/run_untrusted_scan" -H "Authorization: Bearer $2" \
    -d "{\"targets\":\"$3\",\"name\":\"$4\"}"
}
for api in "$a1" "$a2"; do
  out=$(post "$api" "$capped" 192.0.2.200 outside)
  case $out in *"192.0.2.200 is outside the scope of client 'capped'"*" 422") ;; *) fail "$api: outside the client's scope: $out" ;; esac
  out=$(post "$api" "$nobody" 192.0.2.5 nothing)
  case $out in *"outside the scope of client 'nobody'"*" 422") ;; *) fail "$api: an empty scope must refuse all: $out" ;; esac
done
echo "ok both APIs refuse targets outside a client's scope, and everything for an empty scope"

# Eight submissions at once, alternating between the APIs.
for i in $(seq 1 8); do
  api=$a1; [ $((i % 2)) = 0 ] && api=$a2
  post "$api" "$capped" "192.0.2.$i" "race-$i" >"$work/race-$i.out" &
done
wait_race() { for i in $(seq 1 8); do [ -s "$work/race-$i.out" ] || return 1; done; }
wait_for 30 wait_race || fail "the racing submissions did not all get an answer"
accepted=$(grep -l ' 200$' "$work"/race-*.out | wc -l)
refused=$(grep -l ' 429$' "$work"/race-*.out | wc -l)
[ $((accepted + refused)) = 8 ] || fail "every submission is accepted or refused at the cap: $(cat "$work"/race-*.out)"
[ "$accepted" -ge 2 ] || fail "at least the cap's worth must be accepted ($accepted)"
echo "ok racing submissions: $accepted accepted, $refused refused at the cap"

# Until every accepted one ended; the scanner never ran more than 2 at once.
ids=$(grep -h ' 200$' "$work"/race-*.out | python3 -c 'import json,sys
for line in sys.stdin: print(json.loads(line.rsplit(" ", 1)[0])["task_id"])')
all_done() {
  local id
  for id in $ids; do
    curl -s -X POST "$a1/tools/get_scan_status" -H "Authorization: Bearer $capped" -d "{\"task_id\":\"$id\"}" |
      grep -q '"status":"completed"' || return 1
  done
}
wait_for 90 all_done || fail "not every accepted scan completed"
peak=$(curl -s "$emulator_url/emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["peak_running"])')
created=$(curl -s "$emulator_url/emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scans_created"])')
[ "$created" = "$accepted" ] || fail "one scan per accepted task: $created scans for $accepted tasks"
[ "$peak" -le 2 ] || fail "the scanner ran $peak of the capped client's scans at once (cap 2)"
echo "ok all $accepted completed, at most $peak running at once (cap 2)"
echo "all client limit checks passed"
