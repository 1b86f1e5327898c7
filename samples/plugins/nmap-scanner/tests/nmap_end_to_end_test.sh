#!/usr/bin/env bash
# The nmap sample end to end through `scanorchd all` and MCP: the test opens
# three TCP ports on 127.0.0.1 and configures an nmap scanner for exactly
# those ports (-p, -Pn: nothing else is probed, no other address), next to a
# nessus-emulator scanner in the same pool. A scan routed to each by
# scanner_instance completes, each export is checked by its own validator,
# and get_scan_results / search_findings give one finding per opened port
# for nmap, and the Nessus results, unchanged, for the other.
#   nmap_end_to_end_test.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR NMAP_PLUGIN_DIR NMAP
# Exits 77 (CTest: skipped) when nmap is not installed.
set -u
scanorchd=$1 emulator=$2 default_plugins=$3 nmap_plugins=$4 nmap=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "$nmap" ] || [ ! -x "$nmap" ]; then
  echo "SKIP: nmap is not installed (apt-get install nmap; scripts/install-deps.sh installs it)"
  exit 77
fi
. "$here/../../../../tests/support/processes.sh"

# One plugin directory: the default plugins and the sample's two.
plugins=$work/plugins
mkdir -p "$plugins"
ln -s "$default_plugins"/*.so "$plugins"/
ln -s "$nmap_plugins"/libscanorch-nmap.so "$nmap_plugins"/libscanorch-nmap-validator.so "$plugins"/

free_port p1 p2 p3 hport
python3 "$here/listeners.py" "$p1:SSH-2.0-OpenSSH_9.2p1" "$p2" "$p3" >"$work/listeners.log" 2>&1 &
pids+=($!)
wait_for 10 grep -q ready "$work/listeners.log" || fail "listeners did not start: $(cat "$work/listeners.log")"
start_emulator emu "$emulator" --user admin:adminpw --scan-seconds 1 --export-seconds 0.1

cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: nmap_local, scanner_type: nmap, url: 'http://localhost', max_concurrent_scans: 1,
     zones: ['127.0.0.1/32'], validator: nmap-validator,
     options: {ports: '$p1,$p2,$p3', host_discovery: false, timing: 4}}
  - {instance_id: nessus_emu, scanner_type: nessus, url: '$emulator_url', credentials: {username: admin, password: adminpw},
     options: {export_poll_ms: 100}}
YAML
write_config listen="$hport" scope="['127.0.0.1/32', '192.0.2.0/24']"
endpoint=http://127.0.0.1:$hport
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$endpoint" all

mcp() { python3 "$here/mcp_call.py" "$endpoint/mcp" "$@"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# run_scan SCANNER TARGETS — submits an untrusted scan there, waits for it
# to end and sets task_id; fails unless it completed.
run_scan() {
  local out st
  out=$(mcp run_untrusted_scan "{\"targets\":\"$2\",\"name\":\"e2e $1\",\"scanner_instance\":\"$1\"}") || fail "submit to $1: $out"
  task_id=$(echo "$out" | field task_id) || fail "submit to $1: $out"
  for _ in $(seq 1 300); do
    st=$(mcp get_scan_status "{\"task_id\":\"$task_id\"}") || fail "get_scan_status: $st"
    echo "$st" | grep -qE '"status": "(completed|failed)"' && break
    sleep 0.3
  done
  echo "$st" | grep -q '"status": "completed"' || fail "the scan on $1 did not complete: $st"
  [ "$(echo "$st" | field scanner_instance)" = "$1" ] || fail "the scan ran on another scanner than $1: $st"
  echo "ok scan $task_id on $1 completed"
}

# --- nmap: exactly the three opened ports, as findings
run_scan nmap_local 127.0.0.1
nmap_task=$task_id
results=$(mcp get_scan_results "{\"task_id\":\"$nmap_task\",\"page_size\":100,\"schema_profile\":\"full\"}") ||
  fail "get_scan_results: $results"
python3 - "$results" "$p1" "$p2" "$p3" <<'PY' || fail "nmap results: $results"
import json, sys
page, opened = json.loads(sys.argv[1]), {sys.argv[2], sys.argv[3], sys.argv[4]}
found = page["findings"]
ports = sorted(f["port"] for f in found)
assert len(found) == 3 and set(ports) == opened, f"ports {ports}, opened {sorted(opened)}"
for f in found:
    assert f["host"] == "127.0.0.1" and f["protocol"] == "tcp" and f["severity"] == 0, f
    assert int(f["plugin_id"]) >= 10**12 and f["plugin_name"].startswith("nmap service detection: "), f
ssh = [f for f in found if f["port"] == sys.argv[2]][0]
assert ssh["service"] == "ssh" and "OpenSSH 9.2p1" in ssh["plugin_output"], ssh
print("ok get_scan_results: one finding per opened port:", ", ".join(f'{f["port"]}/{f["service"]}' for f in found))
PY
ssh_id=$(echo "$results" | python3 -c 'import json,sys; print([f["plugin_id"] for f in json.load(sys.stdin)["findings"] if f["service"]=="ssh"][0])')
hits=$(mcp search_findings '{"host":"127.0.0.1"}') || fail "search_findings: $hits"
python3 - "$hits" "$nmap_task" "$p1" "$p2" "$p3" <<'PY' || fail "search by host: $hits"
import json, sys
hits = json.loads(sys.argv[1])["findings"]
assert all(h["task_id"] == sys.argv[2] for h in hits), hits
assert sorted(h["port"] for h in hits) == sorted(sys.argv[3:6]), hits
print(f"ok search_findings host 127.0.0.1: {len(hits)} findings, all of task {sys.argv[2]}")
PY
hits=$(mcp search_findings "{\"plugin_id\":\"$ssh_id\"}") || fail "search_findings: $hits"
[ "$(echo "$hits" | python3 -c 'import json,sys; print([h["port"] for h in json.load(sys.stdin)["findings"]])')" = "['$p1']" ] ||
  fail "search by the ssh plugin id $ssh_id: $hits"
echo "ok search_findings plugin_id $ssh_id: the ssh port only"

# What nmap was told: exactly the opened ports, no ping, and 127.0.0.1 alone.
export_file=$(grep -rl '<nmaprun' "$work/data" | head -1)
[ -n "$export_file" ] || fail "no nmap export under $work/data"
args=$(python3 -c 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().get("args"))' "$export_file")
case "$args" in
  *" -p $p1,$p2,$p3 -Pn -n "*" 127.0.0.1") echo "ok nmap ran as: $args" ;;
  *) fail "nmap was not restricted to the opened ports and 127.0.0.1: $args" ;;
esac

# --- the Nessus scanner of the same pool, unchanged beside it
run_scan nessus_emu 192.0.2.10
results=$(mcp get_scan_results "{\"task_id\":\"$task_id\",\"page_size\":100}") || fail "get_scan_results: $results"
python3 - "$results" <<'PY' || fail "nessus results: $results"
import json, sys
found = json.loads(sys.argv[1])["findings"]
assert found and all(f["host"] == "192.0.2.10" and int(f["plugin_id"]) < 10**12 for f in found), found
print(f"ok nessus results beside nmap: {len(found)} findings on 192.0.2.10")
PY
grep -q "validat.*nessus_emu\|nessus_emu.*validat" "$work/scanorchd.log" && fail "the nessus export was refused: $(grep nessus_emu "$work/scanorchd.log" | tail -3)"

# nmap never logs in: a trusted scan routed to it fails, saying why.
out=$(mcp run_trusted_scan '{"targets":"127.0.0.1","name":"trusted","scanner_instance":"nmap_local","ssh_username":"u","ssh_password":"p"}') ||
  fail "submit trusted: $out"
task_id=$(echo "$out" | field task_id)
for _ in $(seq 1 100); do
  st=$(mcp get_scan_status "{\"task_id\":\"$task_id\"}")
  echo "$st" | grep -qE '"status": "(completed|failed)"' && break
  sleep 0.3
done
echo "$st" | grep -q 'use run_untrusted_scan' || fail "a trusted scan on nmap did not fail with the reason: $st"
echo "ok a trusted scan on nmap fails: $(echo "$st" | field error)"
echo "all nmap end-to-end checks passed"
