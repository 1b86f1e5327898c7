#!/usr/bin/env bash
# scanorchd as an operator runs it: starts from a config file, loads and
# instantiates the configured plugins, reports ready, and exits 0 on SIGTERM
# and on SIGINT; start-up errors are one clear line and exit 1 (usage: 2).
#   daemon_lifecycle_test.sh SCANORCHD PLUGIN_DIR
set -u
scanorchd=$1 plugins=$2
. "$(dirname "$0")/../support/processes.sh"

cat >"$work/scanners.yaml" <<'YAML'
scanners:
  - instance_id: lab_1
    scanner_type: nessus
    url: http://127.0.0.1:9
    credentials: {username: admin, password: "${SCANNER_PW:-t0ps3cret}"}
YAML
write_config logging='{level: debug, format: json}' router='{use: capacity-router}'

gone() { ! kill -0 "$pid" 2>/dev/null; }
for sig in TERM INT; do
  "$scanorchd" --config "$work/scanorch.yaml" all >"$work/out.$sig" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_for 10 grep -q 'scanorchd ready' "$work/out.$sig" || { cat "$work/out.$sig"; kill -9 $pid; fail "not ready within 10 s"; }
  kill -$sig $pid
  wait_for 10 gone || { kill -9 $pid; fail "still running 10 s after SIG$sig"; }
  wait $pid; rc=$?
  [ $rc -eq 0 ] || { cat "$work/out.$sig"; fail "exit $rc after SIG$sig, expected 0"; }
  grep -q '"msg":"scanorchd stopped"' "$work/out.$sig" || fail "no JSON 'stopped' line after SIG$sig"
  grep -q "\[plugin:nessus:lab_1\] scanner 'lab_1' at http://127.0.0.1:9" "$work/out.$sig" || fail "plugin log line missing"
  grep -q 'worker for scanner .lab_1. started' "$work/out.$sig" || fail "no worker started"
  grep -q 't0ps3cret' "$work/out.$sig" && fail "a secret config value was logged"
done
echo "ok: ready, clean exit on SIGTERM and SIGINT, JSON logs, secrets redacted"

expect() {  # expect EXIT REGEX -- ARGS...
  local want=$1 regex=$2; shift 3
  out=$("$scanorchd" "$@" 2>&1); rc=$?
  [ $rc -eq "$want" ] || fail "scanorchd $*: exit $rc, expected $want: $out"
  echo "$out" | grep -Eq -- "$regex" || fail "scanorchd $*: output does not match '$regex': $out"
  echo "ok: scanorchd $* -> $rc"
}
expect 2 "worker mode needs --scanner ID or SCANNER_INSTANCE_ID" -- --config "$work/scanorch.yaml" worker
expect 1 "scanner 'ghost' is not in .*scanners.yaml \(configured: lab_1\)" -- --config "$work/scanorch.yaml" worker --scanner ghost
expect 2 "unknown mode 'serve'" -- --config "$work/scanorch.yaml" serve
expect 1 "scanorch.yaml: no such file" -- --config "$work/missing/scanorch.yaml" api

write_config logging='{level: debug, format: json}' router='{use: round-robin}'
expect 1 "plugins.router.use: plugin 'round-robin' is not in .* \(loaded: .*capacity-router" -- --config "$work/scanorch.yaml" api
write_config logging='{level: debug, format: json}' router='{use: capacity-router, config: {colour: blue}}'
line=$(grep -n '^  router:' "$work/scanorch.yaml" | cut -d: -f1)  # the error names the key's line
expect 1 "scanorch.yaml:$line: plugins.router.config.colour: unknown key for plugin 'capacity-router' \(valid: none\)" -- --config "$work/scanorch.yaml" api
# A scanner's own validator (scanners.yaml `validator:`) must be a
# validator plugin of the directory: either mistake stops the start, named.
cat >"$work/scanners.yaml" <<'YAML'
scanners:
  - {instance_id: lab_1, scanner_type: nessus, url: http://127.0.0.1:9, credentials: {username: a, password: b}, validator: no-such}
YAML
write_config
expect 1 "scanners.yaml:2: scanner 'lab_1' validator: plugin 'no-such' is not in $plugins" -- --config "$work/scanorch.yaml" worker --scanner lab_1
sed -i 's/validator: no-such/validator: memory-queue/' "$work/scanners.yaml"
expect 1 "scanners.yaml:2: scanner 'lab_1' validator: .*plugin 'memory-queue' is a queue, but a validator is needed here" -- --config "$work/scanorch.yaml" worker --scanner lab_1
echo "all daemon lifecycle checks passed"
