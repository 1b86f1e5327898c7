#!/usr/bin/env bash
# Scale-out with no shared filesystem: one `scanorchd api` and two
# `scanorchd worker`, each with a data dir of its own, sharing only Redis
# (queues) and PostgreSQL (tasks and findings, via DATABASE_URL). Scans
# complete on both scanners; the API process, which never saw an export,
# pages their findings and lists them; scanorchctl on a fourth data dir reads
# the same record. Nothing of the store is written to any data dir.
#   scale_out_test.sh SCANORCHD SCANORCHCTL NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 ctl=$2 emulator=$3 plugins=$4
. "$(dirname "$0")/../support/processes.sh"
free_port rport pgport h1 m1 m2
start_redis "$rport"
start_postgres "$pgport"
export DATABASE_URL=$database_url
start_emulator emu "$emulator" --user admin:adminpw --scan-seconds 1 --export-seconds 0.1 --max-running 50
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: lab_1, scanner_type: nessus, url: '$emulator_url', max_concurrent_scans: 2, credentials: {username: admin, password: adminpw}}
  - {instance_id: lab_2, scanner_type: nessus, url: '$emulator_url', max_concurrent_scans: 2, credentials: {username: admin, password: adminpw}}
YAML
write_config redis="$rport" listen="$h1" workers="{poll_interval_ms: 200, metrics_listen: '127.0.0.1:$m1'}"
for who in api w1 w2 ctl; do
  sed "s|^data_dir: .*|data_dir: $work/$who|" "$work/scanorch.yaml" >"$work/$who.yaml"
done
sed -i "s|127.0.0.1:$m1|127.0.0.1:$m2|" "$work/w2.yaml"
api=http://127.0.0.1:$h1
start_scanorchd "$scanorchd" "$work/api.yaml" "$api" api
start_scanorchd "$scanorchd" "$work/w1.yaml" "http://127.0.0.1:$m1" worker --scanner lab_1
start_scanorchd "$scanorchd" "$work/w2.yaml" "http://127.0.0.1:$m2" worker --scanner lab_2
[ "$(grep -c "tasks and findings in store 'postgres-store'" "$work/scanorchd.log")" = 3 ] ||
  fail "not every process uses postgres-store: $(grep 'tasks and findings in store' "$work/scanorchd.log")"

# All six from one process, back to back (192.0.2.1 to .6): they must
# overlap the scans (1 s each) to fill both scanners. A curl and a python3
# per submission took longer than a scan on a loaded machine, and every
# scan then found both scanners idle and went to the first.
mapfile -t ids < <(python3 "$(dirname "$0")/../support/submit_scans.py" "$h1" 6)
[ "${#ids[@]}" = 6 ] || fail "6 submissions gave ${#ids[@]} task ids"
status() { curl -s -X POST "$api/tools/get_scan_status" -d "{\"task_id\":\"$1\"}"; }
all_done() {
  local id
  for id in "${ids[@]}"; do status "$id" | grep -q '"status":"completed"' || return 1; done
}
wait_for 90 all_done || fail "not every scan completed: $(for id in "${ids[@]}"; do status "$id"; echo; done)"
ran_on=$(for id in "${ids[@]}"; do status "$id"; echo; done | python3 -c 'import json,sys
print(" ".join(sorted({json.loads(l)["scanner_instance"] for l in sys.stdin if l.strip()})))')
[ "$ran_on" = "lab_1 lab_2" ] || fail "the scans ran on '$ran_on', not on both workers"
echo "ok 6 scans completed through one API and two workers ($ran_on)"

# Findings, paged from the API process (which has no export of any of them).
[ -z "$(ls -A "$work/api/exports" 2>/dev/null)" ] || fail "the API process holds exports: $(ls "$work/api/exports")"
for id in "${ids[@]}"; do
  total=0 cursor=""
  for _ in $(seq 1 100); do
    page=$(curl -s -X POST "$api/tools/get_scan_results" \
      -d "{\"task_id\":\"$id\",\"page_size\":7${cursor:+,\"cursor\":\"$cursor\"}}")
    n=$(echo "$page" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))') || fail "results of $id: $page"
    total=$((total + n))
    cursor=$(echo "$page" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("next_cursor") or "")')
    [ -z "$cursor" ] && break
  done
  expected=$(status "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["results_summary"]["total_vulnerabilities"])')
  items=$(curl -s -X POST "$api/tools/get_scan_results" -d "{\"task_id\":\"$id\",\"page_size\":1}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["total_findings"])')
  [ "$total" -gt 0 ] && [ "$total" = "$items" ] || fail "task $id: paged $total findings, the index says $items"
done
echo "ok every task's findings paged from the API, page by page, each once"

listed=$(curl -s -X POST "$api/tools/list_tasks" -d '{"limit":100}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
[ "$listed" = 6 ] || fail "list_tasks shows $listed tasks, not 6"
shown=$("$ctl" --config "$work/ctl.yaml" task show "${ids[0]}" --json) || fail "scanorchctl task show: $shown"
echo "$shown" | python3 -c 'import json,sys; t=json.load(sys.stdin); assert t["status"]=="completed" and t["validation_stats"]["report_items"]>0' ||
  fail "scanorchctl task show --json: $shown"
echo "ok list_tasks and scanorchctl (a fourth data dir) read the same store"

for who in api w1 w2 ctl; do
  found=$(find "$work/$who" -name 'store.sqlite*' 2>/dev/null)
  [ -z "$found" ] || fail "a local database in $who's data dir: $found"
done
exports=$(find "$work/w1/exports" "$work/w2/exports" -name '*.nessus' | wc -l)
[ "$exports" -ge 6 ] || fail "the workers keep $exports exports, expected 6"
echo "ok no data dir holds a database; the exports stay on the workers that made them"

# PostgreSQL crashes and comes back while scans are running: the processes
# ride it out (transient errors, hand-backs), every task completes, and no
# task gets a second scan on the scanner. The crash comes once every scan
# runs, so their 1 s scans end inside the 3 s outage: a run writes nothing
# between its scan id and its findings when the export is quick, and the
# findings' writes meet the outage, retried (and said in the log) until the
# store is back.
created_before=$(curl -s "$emulator_url/emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scans_created"])')
ids=()
for i in 7 8 9 10; do
  out=$(curl -s -X POST "$api/tools/run_untrusted_scan" -d "{\"targets\":\"192.0.2.$i\",\"name\":\"outage-$i\"}")
  id=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])') || fail "submit $i: $out"
  ids+=("$id")
done
all_running() {
  local id
  for id in "${ids[@]}"; do status "$id" | grep -qE '"status":"(running|completed)"' || return 1; done
}
wait_for 30 all_running || fail "the outage's scans did not start: $(for id in "${ids[@]}"; do status "$id"; echo; done)"
"${pg_stop[@]}" >/dev/null 2>&1 || fail "could not stop PostgreSQL"
sleep 3  # the outage itself: scans claimed and running meanwhile meet a store that is gone
"${pg_start[@]}" >/dev/null 2>&1 || fail "PostgreSQL did not come back"
wait_for 120 all_done || fail "not every scan completed after the outage: $(for id in "${ids[@]}"; do status "$id"; echo; done)"
grep -qE "lost the PostgreSQL connection|cannot connect to PostgreSQL" "$work/scanorchd.log" ||
  fail "no process met the outage (the scans ended before it?)"
for base in "$api" "http://127.0.0.1:$m1" "http://127.0.0.1:$m2"; do
  curl -sf -o /dev/null "$base/health" || fail "$base stopped answering after the outage"
done
created_after=$(curl -s "$emulator_url/emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scans_created"])')
[ $((created_after - created_before)) = 4 ] ||
  fail "$((created_after - created_before)) scans created for the 4 tasks submitted around the outage"
echo "ok a PostgreSQL crash mid-run: 4 more scans completed, one scan each, every process alive"
echo "all scale-out checks passed"
