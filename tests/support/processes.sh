# Sourced by the shell tests and benchmarks that run real processes: a scratch
# folder ($work), every process they start stopped on exit, and helpers that
# start redis-server, a nessus-emulator or scanorchd on loopback and wait until
# each answers. Needs bash, python3 (free ports) and curl.
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Says why (with the daemon's last lines) and stops the script.
fail() { echo "FAIL: $*"; tail -30 "$work/scanorchd.log" 2>/dev/null; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_redis PORT — a throwaway redis-server (no persistence) on 127.0.0.1:PORT.
start_redis() {
  redis-server --port "$1" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "redis-server did not start on port $1"
}

# start_emulator NAME EMULATOR_BINARY ARGS... — sets emulator_url (log: $work/NAME.log).
start_emulator() {
  local name=$1 bin=$2
  shift 2
  "$bin" --listen 127.0.0.1:0 "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  emulator_url=
  for _ in $(seq 1 50); do
    emulator_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/$name.log" | head -1 || true)
    [ -n "$emulator_url" ] && return 0
    sleep 0.1
  done
  cat "$work/$name.log"
  fail "emulator $name did not start"
}

# start_scanorchd SCANORCHD_BINARY CONFIG BASE_URL ARGS... — waits until BASE_URL/health answers.
start_scanorchd() {
  local bin=$1 config=$2 base=$3
  shift 3
  "$bin" --config "$config" "$@" >"$work/scanorchd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs "$base/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "scanorchd did not answer at $base/health"
}

# API and worker processes of one deployment share the credential key, as in
# production (only `scanorchd all` may make its own). A test key, never a real one.
export SCANORCH_CREDENTIAL_KEY=${SCANORCH_CREDENTIAL_KEY:-5c0a2e7f1b9d4c3a8e6f0b2d4a6c8e1f3b5d7f9a1c3e5b7d9f0a2c4e6b8d0f13}
