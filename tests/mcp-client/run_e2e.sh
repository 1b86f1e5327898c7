#!/usr/bin/env bash
# Starts a nessus-emulator and `scanorchd all` (memory queue, http front end
# on a free loopback port), runs the official MCP SDK client against /mcp,
# and stops everything.
#   run_e2e.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../support/processes.sh"
[ -d "$here/node_modules/@modelcontextprotocol/sdk" ] || { echo "FAIL: run 'npm ci' in $here first (scripts/test.sh does)"; exit 1; }

start_emulator emulator "$emulator" --user admin:adminpw --target-account scan:scanpw --scan-seconds 1 --export-seconds 0.1
emu_url=$emulator_url
free_port hport
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: local_emulator, scanner_type: nessus, url: '$emu_url', credentials: {username: admin, password: adminpw},
     options: {export_poll_ms: 100}}
YAML
write_config listen="$hport"
endpoint=http://127.0.0.1:$hport
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$endpoint" all
echo "scanorchd at $endpoint/mcp, emulator at $emu_url"
timeout 120 node "$here/e2e.mjs" "$endpoint/mcp"
rc=$?
[ $rc -eq 0 ] || { echo "--- scanorchd.log"; tail -40 "$work/scanorchd.log"; }
exit $rc
