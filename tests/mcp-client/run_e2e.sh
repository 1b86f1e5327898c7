#!/usr/bin/env bash
# Starts a nessus-emulator and `scanorchd all` (memory queue, http front end
# on a free loopback port), runs the official MCP SDK client against /mcp,
# and stops everything.
#   run_e2e.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
[ -d "$here/node_modules/@modelcontextprotocol/sdk" ] || { echo "FAIL: run 'npm ci' in $here first (scripts/test.sh does)"; exit 1; }

"$emulator" --listen 127.0.0.1:0 --user admin:adminpw --target-account scan:scanpw --scan-seconds 1 \
  --export-seconds 0.1 >"$work/emulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do grep -q 'listening on' "$work/emulator.log" && break; sleep 0.1; done
emu_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/emulator.log" | head -1)
[ -n "$emu_url" ] || { cat "$work/emulator.log"; echo "FAIL: emulator did not start"; exit 1; }

cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: local_emulator, scanner_type: nessus, url: '$emu_url', credentials: {username: admin, password: adminpw},
     options: {export_poll_ms: 100}}
YAML
cat >"$work/scanorch.yaml" <<YAML
plugin_dir: $plugins
data_dir: $work/data
scanners_file: scanners.yaml
scope: [192.0.2.0/24]
workers: {poll_interval_ms: 200}
logging: {level: info}
plugins:
  frontend: {use: http, config: {listen: "127.0.0.1:0"}}
YAML
"$scanorchd" --config "$work/scanorch.yaml" all >"$work/scanorchd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'front end serving at' "$work/scanorchd.log" && break; sleep 0.1; done
endpoint=$(grep -o 'front end serving at http://127.0.0.1:[0-9]*' "$work/scanorchd.log" | awk '{print $NF}')
[ -n "$endpoint" ] || { cat "$work/scanorchd.log"; echo "FAIL: scanorchd did not start"; exit 1; }
echo "scanorchd at $endpoint/mcp, emulator at $emu_url"
timeout 120 node "$here/e2e.mjs" "$endpoint/mcp"
rc=$?
[ $rc -eq 0 ] || { echo "--- scanorchd.log"; tail -40 "$work/scanorchd.log"; }
exit $rc
