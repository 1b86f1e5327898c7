#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build,
# and run `scanorchd all` on the embedded queue from a private work folder
# (build/quickstart). Uses every default plugin that is built; a local
# nessus-emulator stands in for a licensed scanner when it is available.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
cmake --preset default >/dev/null
# Only what this script runs: the programs, the emulator and the plugins of a
# single-machine setup (not the tests; ./scripts/test.sh builds those).
cmake --build --preset default --target scanorchd scanorchctl nessus-emulator \
    memory-queue capacity-router nessus-validator nessus http

bin=$root/build/default/bin
plugins=$root/build/default/lib/scanorch/plugins
work=$root/build/quickstart
mkdir -p "$work/data"

echo "== plugins"
"$bin/scanorchd" plugins --plugin-dir "$plugins" || true

have() { [ -f "$plugins/libscanorch-$1.so" ]; }
{
  echo "# Written by scripts/quickstart.sh"
  echo "plugin_dir: $plugins"
  echo "data_dir: $work/data"
  echo "scanners_file: scanners.yaml"
  echo "scope: [127.0.0.0/8, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24]"
  echo "logging: {level: info, format: text}"
  echo "plugins:"
  echo "  queue: {use: memory-queue}"
  echo "  router: {use: capacity-router}"
  echo "  validator: {use: nessus-validator}"
  if have http; then echo "  frontend: {use: http, config: {listen: \"127.0.0.1:${SCANORCH_PORT:-8836}\"}}"
  else echo "  frontend: {use: none}"; fi
} >"$work/scanorch.yaml"

if have nessus && [ -x "$bin/nessus-emulator" ]; then
  cp config/quickstart/scanners.yaml "$work/scanners.yaml"
  "$bin/nessus-emulator" --listen "127.0.0.1:${EMULATOR_PORT:-8834}" --user admin:quickstart \
      --target-account scanuser:scanpass --scan-seconds 10 >"$work/emulator.log" 2>&1 &
  emulator=$!
else
  echo "scanners: []" >"$work/scanners.yaml"
  echo "(no nessus plugin or emulator built yet: starting with an empty scanner pool)"
fi

echo "== starting scanorchd all (config: $work/scanorch.yaml); Ctrl-C stops it"
"$bin/scanorchd" --config "$work/scanorch.yaml" all &
daemon=$!
trap 'kill $daemon ${emulator:-} 2>/dev/null || true; wait 2>/dev/null' EXIT INT TERM
port=${SCANORCH_PORT:-8836}
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
cat <<TXT

scanorch is running. Start a scan against the local emulator (it never contacts the target):

  curl -s -X POST http://127.0.0.1:$port/tools/run_trusted_scan \\
       -d '{"targets":"192.0.2.10","name":"first scan","ssh_username":"scanuser","ssh_password":"scanpass"}'

then poll it with the task_id it returns:

  curl -s -X POST http://127.0.0.1:$port/tools/get_scan_status -d '{"task_id":"<task_id>"}'

MCP clients: http://127.0.0.1:$port/mcp   metrics: http://127.0.0.1:$port/metrics
TXT
wait $daemon
