# Sourced by the shell tests and benchmarks that run real processes: a scratch
# folder ($work), every process they start stopped on exit, and helpers that
# start redis-server, a nessus-emulator or scanorchd on loopback and wait until
# each answers. Needs bash, python3 (free ports) and curl. SCANORCH_KEEP_WORK=1
# keeps the scratch folder (logs, data dirs) for a look after a failure.
work=$(mktemp -d)
pids=()
pg_stop=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ ${#pg_stop[@]} -gt 0 ] && "${pg_stop[@]}" >/dev/null 2>&1
  if [ -n "${SCANORCH_KEEP_WORK:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Says why (with the daemon's last lines) and stops the script.
fail() { echo "FAIL: $*"; tail -30 "$work/scanorchd.log" 2>/dev/null; exit 1; }

# wait_for SECONDS COMMAND... — runs COMMAND every 0.1 s until it succeeds;
# false when SECONDS pass first. For conditions, instead of fixed sleeps.
wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -ge "$end" ] && return 1
    sleep 0.1
  done
}

# free_port VAR... — gives each VAR a free loopback port, claimed by a lock on
# /tmp/scanorch-test-ports/PORT held until this script and its children end.
# The C++ tests claim theirs the same way (tests/support/ports.h), so tests
# running at once never pick the same port, not even while a server on it is
# down for a restart. Servers that can bind port 0 and report theirs should.
port_locks=/tmp/scanorch-test-ports
free_port() {
  mkdir -p "$port_locks" 2>/dev/null && chmod 1777 "$port_locks" 2>/dev/null
  # Locals with names no caller passes in, or printf -v would set them instead.
  local __fp_var __fp_port __fp_fd __fp_lo __fp_hi
  __fp_hi=$(awk '{print $1 - 1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32767)
  [ "${__fp_hi:-0}" -gt 3072 ] || __fp_hi=32767
  __fp_lo=$(( __fp_hi - 11999 )); [ "$__fp_lo" -ge 1024 ] || __fp_lo=1024
  for __fp_var in "$@"; do
    for _ in $(seq 1 200); do
      # Below the ephemeral range, as tests/support/ports.h explains: a port
      # from it can become some client's source port before our server binds.
      __fp_port=$(( __fp_lo + RANDOM % (__fp_hi - __fp_lo + 1) ))
      exec {__fp_fd}>>"$port_locks/$__fp_port" || continue
      if flock -n "$__fp_fd"; then
        if python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1])))' "$__fp_port" 2>/dev/null; then
          printf -v "$__fp_var" '%s' "$__fp_port"; continue 2
        fi
      fi
      exec {__fp_fd}>&-
    done
    fail "no free loopback port that no other test holds"
  done
}

# redis_is PORT PID — true once the server answering on PORT is process PID
# (INFO server's process_id); stops the script if another one answers there,
# so a test never silently shares another test's Redis.
redis_is() {
  local id
  id=$(redis-cli -p "$1" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')
  [ -z "$id" ] && return 1
  [ "$id" = "$2" ] || fail "port $1 is served by another redis-server (pid $id), not the one started here (pid $2)"
}

# start_redis PORT — a throwaway redis-server (no persistence) on 127.0.0.1:PORT.
start_redis() {
  redis-server --port "$1" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_for 10 redis_is "$1" "$pid" || fail "redis-server did not start on port $1"
}

# start_postgres PORT — a throwaway PostgreSQL (Debian's package; fsync off)
# on 127.0.0.1:PORT, superuser `scanorch`, no password (trust); sets
# database_url. As root the server runs as the `postgres` user (initdb
# refuses root). Stopped on exit. "${pg_stop[@]}" crashes it (immediate
# mode: no checkpoint, as a killed server); "${pg_start[@]}" starts it again.
start_postgres() {
  local port=$1 bin=${SCANORCH_POSTGRES_BIN_DIR:-/usr/lib/postgresql/15/bin} dir=$work/pg as=()
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chmod o+x "$work"
    chown postgres "$dir"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U scanorch -A trust -E UTF8 --locale=C --no-sync >"$work/initdb.log" 2>&1 ||
    fail "initdb: $(tail -5 "$work/initdb.log")"
  pg_stop=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop)
  pg_start=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c full_page_writes=off" start)
  "${pg_start[@]}" >/dev/null 2>&1 || fail "PostgreSQL did not start: $(tail -5 "$dir/server.log" 2>/dev/null)"
  database_url="postgresql://scanorch@127.0.0.1:$port/postgres?connect_timeout=5"
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

# start_scanorchd SCANORCHD_BINARY CONFIG BASE_URL ARGS... — waits until BASE_URL/health
# answers and the daemon's log says it is the one serving BASE_URL (front end
# or worker metrics), not some other process on that port. Appends to
# $work/scanorchd.log, so daemons started one after another keep every line.
start_scanorchd() {
  local bin=$1 config=$2 base=$3
  shift 3
  local from=$(($(stat -c %s "$work/scanorchd.log" 2>/dev/null || echo 0) + 1))  # this start's lines only
  "$bin" --config "$config" "$@" >>"$work/scanorchd.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  serves() {
    kill -0 "$pid" 2>/dev/null || fail "scanorchd $* exited at start"
    curl -fs "$base/health" >/dev/null 2>&1 &&
      tail -c "+$from" "$work/scanorchd.log" | grep -qE " at ${base//./\\.}(/metrics)?\$"
  }
  wait_for 15 serves "$@" || fail "scanorchd did not answer at $base/health"
}

# write_config [KEY=VALUE...] — writes $work/scanorch.yaml for the scanners in
# $work/scanners.yaml, data in $work/data and the plugins in $plugins. Each
# KEY=VALUE replaces one part (the value in YAML flow style):
#   redis=PORT       queue: redis-queue on 127.0.0.1:PORT (default: memory-queue)
#   queue=YAML       the queue slot itself (e.g. a Sentinel config)
#   listen=PORT      frontend: http on 127.0.0.1:PORT; frontend=YAML the slot itself
#   scope=YAML       default [192.0.2.0/24]
#   workers=YAML     default {poll_interval_ms: 200}
#   logging=YAML     default {level: info}
#   housekeeping=YAML   default: none given
#   router=YAML      the router slot (default: none given, the host's default)
write_config() {
  local queue='{use: memory-queue}' frontend='{use: none}' scope='[192.0.2.0/24]' workers='{poll_interval_ms: 200}'
  local logging='{level: info}' housekeeping='' router='' kv
  for kv in "$@"; do
    case $kv in
      redis=*) queue="{use: redis-queue, config: {url: \"redis://127.0.0.1:${kv#*=}\"}}" ;;
      queue=*) queue=${kv#*=} ;;
      listen=*) frontend="{use: http, config: {listen: \"127.0.0.1:${kv#*=}\"}}" ;;
      frontend=*) frontend=${kv#*=} ;;
      scope=*) scope=${kv#*=} ;;
      workers=*) workers=${kv#*=} ;;
      logging=*) logging=${kv#*=} ;;
      housekeeping=*) housekeeping=${kv#*=} ;;
      router=*) router=${kv#*=} ;;
      *) fail "write_config: unknown setting '$kv'" ;;
    esac
  done
  {
    echo "plugin_dir: $plugins"
    echo "data_dir: $work/data"
    echo "scanners_file: scanners.yaml"
    echo "scope: $scope"
    echo "workers: $workers"
    echo "logging: $logging"
    [ -n "$housekeeping" ] && echo "housekeeping: $housekeeping"
    echo "plugins:"
    echo "  queue: $queue"
    echo "  frontend: $frontend"
    if [ -n "$router" ]; then echo "  router: $router"; fi
  } >"$work/scanorch.yaml"
}

# API and worker processes of one deployment share the credential key, as in
# production (only `scanorchd all` may make its own). A test key, never a real one.
export SCANORCH_CREDENTIAL_KEY=${SCANORCH_CREDENTIAL_KEY:-5c0a2e7f1b9d4c3a8e6f0b2d4a6c8e1f3b5d7f9a1c3e5b7d9f0a2c4e6b8d0f13}
