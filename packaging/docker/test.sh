#!/usr/bin/env bash
# End-to-end test of the container deployment, run by hand (not by CI: it
# builds the image from source, 15-40 minutes on 2 cores; about 4 minutes
# with Docker's layer cache warm). Needs a Docker engine that can build
# `FROM debian:bookworm-slim` and reach a Debian mirror, `docker compose` or
# docker-compose, curl, openssl and python3.
#   packaging/docker/test.sh
# 1. builds the scanorch image, its nessus-emulator target, a Debian Redis
#    image and the PostgreSQL image of postgres.Dockerfile (no registry needed);
# 2. brings up compose.yml (Redis, PostgreSQL, API, two workers) plus
#    test/compose.test.yml (an HTTPS emulator both scanners point at), with
#    generated secrets;
# 3. checks health checks, resource limits, the loopback-only publication,
#    that every scanorch process uses postgres-store and that no volume is
#    shared between them;
# 4. runs a trusted scan through the published API to `completed` with
#    authentication `success`, and finds it completed in PostgreSQL;
# 5. SIGKILLs a worker's process mid-scan, sees Docker restart the container
#    and the task finish, its scan created once on the scanner; the exports
#    are in the workers' own volumes and no data dir holds a database;
# 6. tears it all down (containers, network, volumes; images are kept for
#    the next run's cache: SCANORCH_TEST_RMI=1 removes them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
started=$(date +%s)
work=$(mktemp -d)
project=scanorchtest$$
tag=test
log() { echo "[$(($(date +%s) - started))s] $*"; }

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose --compatibility)   # v1 applies `deploy:` limits only with this
else
  echo "test.sh: neither 'docker compose' nor docker-compose is installed" >&2; exit 2
fi
docker info >/dev/null 2>&1 || { echo "test.sh: no Docker engine answering" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
emu_port=$(free_port)
dc() { "${compose[@]}" -p "$project" --env-file "$work/env" -f "$here/compose.yml" -f "$here/test/compose.test.yml" "$@"; }
cid() { dc ps -q "$1" 2>/dev/null; }

cleanup() {
  rc=$?
  if [ $rc -ne 0 ] && [ -f "$work/env" ]; then
    echo "---- container logs (last 40 lines each)"; dc logs --no-color --tail 40 2>&1 || true
  fi
  [ -f "$work/env" ] && { dc down -v --remove-orphans >/dev/null 2>&1 || true; }
  if [ "${SCANORCH_TEST_RMI:-0}" = 1 ]; then
    docker rmi "scanorch:$tag" "scanorch-nessus-emulator:$tag" "scanorch-test-redis:$tag" "scanorch-test-postgres:$tag" \
      >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  log "$( [ $rc -eq 0 ] && echo PASS || echo FAIL ) (torn down)"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

log "building images (log: $work/build.log)"
docker build -f "$root/packaging/docker/Dockerfile" -t "scanorch:$tag" "$root" >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; fail "docker build (scanorch)"; }
docker build -f "$root/packaging/docker/Dockerfile" --target nessus-emulator -t "scanorch-nessus-emulator:$tag" "$root" \
  >>"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "docker build (nessus-emulator)"; }
docker build -f "$here/test/redis.Dockerfile" -t "scanorch-test-redis:$tag" "$here/test" >>"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; fail "docker build (redis)"; }
docker build -f "$here/postgres.Dockerfile" -t "scanorch-test-postgres:$tag" "$here" >>"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; fail "docker build (postgres)"; }
size=$(docker image inspect -f '{{.Size}}' "scanorch:$tag")
log "image scanorch:$tag: $((size / 1024 / 1024)) MiB"
docker run --rm --entrypoint sh "scanorch:$tag" -c 'command -v gcc g++ cc c++ ld as make' \
  && fail "the runtime image has a compiler or build tool"
[ "$(docker run --rm --entrypoint id "scanorch:$tag" -u)" != 0 ] || fail "the image runs as root"
docker run --rm "scanorch:$tag" plugins >"$work/plugins.txt" || { cat "$work/plugins.txt"; fail "scanorchd plugins in the image"; }
# Each shipped plugin by name on its own line, not only a count.
for p in capacity-router http memory-queue nessus-validator nessus postgres-store redis-queue sqlite-store; do
  grep -Eq "^[a-z]+ +$p +" "$work/plugins.txt" || { cat "$work/plugins.txt"; fail "plugin $p is not in the image"; }
done
grep -q "8 plugin(s) loaded" "$work/plugins.txt" || { cat "$work/plugins.txt"; fail "expected the 8 shipped plugins"; }

log "secrets, certificates and config in $work"
certs=$work/certs config=$work/config
mkdir -p "$certs" "$config"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=scanorch test CA" \
  -keyout "$certs/ca.key" -out "$certs/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=nessus-emulator" -keyout "$certs/server.key" -out "$certs/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:nessus-emulator,IP:127.0.0.1\n' >"$certs/san.ext"
openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial -days 2 \
  -extfile "$certs/san.ext" -out "$certs/server.pem" 2>/dev/null
cp "$here/config/scanorch.yaml" "$here/config/scanners.yaml" "$config/"
cp "$certs/ca.pem" "$config/nessus-ca.pem"
# The containers' users (not this one's) read these: test-only keys.
chmod 755 "$work" "$certs" "$config"; chmod 644 "$certs"/* "$config"/*
token=$(openssl rand -hex 24)
cat >"$work/env" <<ENV
SCANORCH_CREDENTIAL_KEY=$(openssl rand -hex 32)
SCANORCH_ADMIN_TOKEN=$token
REDIS_PASSWORD=$(openssl rand -hex 24)
POSTGRES_PASSWORD=$(openssl rand -hex 24)
NESSUS_URL_1=https://nessus-emulator:8834
NESSUS_USERNAME_1=admin
NESSUS_PASSWORD_1=$(openssl rand -hex 12)
NESSUS_URL_2=https://nessus-emulator:8834
NESSUS_ACCESS_KEY_2=$(openssl rand -hex 16)
NESSUS_SECRET_KEY_2=$(openssl rand -hex 16)
NESSUS_CA_FILE=/etc/scanorch/nessus-ca.pem
WORKER_POLL_MS=1000
WORKER_LEASE_MS=10000
SCANORCH_IMAGE=scanorch:$tag
EMULATOR_IMAGE=scanorch-nessus-emulator:$tag
REDIS_IMAGE=scanorch-test-redis:$tag
POSTGRES_IMAGE=scanorch-test-postgres:$tag
SCANORCH_ENV_FILE=$work/env
SCANORCH_CONFIG_DIR=$config
SCANORCH_PUBLISH=127.0.0.1:$api_port
TEST_CERT_DIR=$certs
TEST_EMULATOR_PORT=$emu_port
TEST_TARGET_ACCOUNT=scan:scanpw
TEST_SCAN_SECONDS=20
ENV

log "compose up (${compose[*]})"
dc up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "compose up"; }
base=http://127.0.0.1:$api_port
for _ in $(seq 1 120); do curl -fs "$base/health" >/dev/null 2>&1 && break; sleep 1; done
curl -fs "$base/health" >/dev/null || fail "the API did not answer at $base/health"
log "API up at $base"

# Published on loopback only.
port_binding=$(docker port "$(cid api)" 8836/tcp)
case "$port_binding" in 127.0.0.1:*) ;; *) fail "API published as '$port_binding', not on loopback only" ;; esac
# Resource limits as compose.yml sets them.
limits() { docker inspect -f '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}' "$(cid "$1")"; }
[ "$(limits redis)" = "500000000 536870912" ] || fail "redis limits: $(limits redis)"
[ "$(limits postgres)" = "1000000000 1073741824" ] || fail "postgres limits: $(limits postgres)"
[ "$(docker inspect -f '{{.HostConfig.MemoryReservation}}' "$(cid worker-nessus-prod-2)")" = 1073741824 ] \
  || fail "worker memory reservation"
[ "$(limits api)" = "1000000000 1073741824" ] || fail "api limits: $(limits api)"
[ "$(limits worker-nessus-prod-1)" = "2000000000 2147483648" ] || fail "worker limits: $(limits worker-nessus-prod-1)"
[ "$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$(cid worker-nessus-prod-2)")" = always ] || fail "restart policy"
[ "$(docker inspect -f '{{.Config.User}}' "$(cid api)")" = scanorch ] || fail "api not running as scanorch"
log "published on $port_binding; limits redis 0.5/512M, postgres 1/1G, api 1/1G, workers 2/2G; restart always"

# State is shared through Redis and PostgreSQL only: every scanorch process
# says which store serves it, and no two of them mount the same volume.
scanorch_services=(api worker-nessus-prod-1 worker-nessus-prod-2)
# grep -c reads to the end: grep -q would leave `dc logs` a broken pipe (pipefail).
uses() { [ "$(dc logs --no-color "$1" 2>&1 | grep -c "tasks and findings in store 'postgres-store'")" -ge 1 ]; }
for s in "${scanorch_services[@]}"; do
  for _ in $(seq 1 30); do uses "$s" && break; sleep 1; done
  uses "$s" || fail "$s does not use postgres-store"
done
volumes() { docker inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{"\n"}}{{end}}{{end}}' "$(cid "$1")"; }
shared=$(for s in "${scanorch_services[@]}"; do volumes "$s" | sed "/^$/d" | sort -u; done | sort | uniq -d)
[ -z "$shared" ] || fail "volumes shared between scanorch containers: $shared"
log "api and workers on postgres-store, each with its own volume"
pg() { docker exec "$(cid postgres)" psql -h /tmp -U postgres -d scanorch -Atc "$1"; }

# Without a token: 401. With it: the tools.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/tools/list_scanners" -d '{}')
[ "$code" = 401 ] || fail "no token gave $code, not 401"
call() { curl -s -X POST -H "Authorization: Bearer $token" "$base/tools/$1" -d "$2"; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get(sys.argv[1]) or "")' "$1"; }

wait_done() {  # TASK_ID SECONDS -> prints the final status JSON
  local st
  for _ in $(seq 1 "$2"); do
    st=$(call get_scan_status "{\"task_id\":\"$1\"}")
    case "$(echo "$st" | field status)" in completed|failed) echo "$st"; return 0 ;; esac
    sleep 1
  done
  echo "$st"
}

log "trusted scan on nessus_prod_1"
out=$(call run_trusted_scan '{"targets":"192.0.2.10","name":"compose trusted","ssh_username":"scan","ssh_password":"scanpw","scanner_instance":"nessus_prod_1"}')
id=$(echo "$out" | field task_id)
[ -n "$id" ] || fail "run_trusted_scan: $out"
st=$(wait_done "$id" 120)
[ "$(echo "$st" | field status)" = completed ] && [ "$(echo "$st" | field authentication_status)" = success ] \
  || fail "trusted scan: $st"
[ "$(pg "SELECT status FROM scanorch.tasks WHERE task_id = '$id'")" = completed ] \
  || fail "task $id is not completed in PostgreSQL: '$(pg "SELECT status FROM scanorch.tasks WHERE task_id = '$id'")'"
log "task $id completed, authentication success, and so recorded in PostgreSQL"

log "trusted scan on nessus_prod_2 (API keys); its worker is killed mid-scan"
out=$(call run_trusted_scan '{"targets":"192.0.2.20","name":"survives a crash","ssh_username":"scan","ssh_password":"scanpw","scanner_instance":"nessus_prod_2"}')
id=$(echo "$out" | field task_id)
[ -n "$id" ] || fail "run_trusted_scan: $out"
for _ in $(seq 1 60); do
  [ "$(call get_scan_status "{\"task_id\":\"$id\"}" | field phase)" = scanning ] && break
  sleep 1
done
[ "$(call get_scan_status "{\"task_id\":\"$id\"}" | field phase)" = scanning ] || fail "task never reached scanning"
created_before=$(curl -s --cacert "$certs/ca.pem" "https://127.0.0.1:$emu_port/emulator/stats" | field scans_created)
worker=$(cid worker-nessus-prod-2)
pid=$(docker inspect -f '{{.State.Pid}}' "$worker")
kill -KILL "$pid"     # a crash, not `docker kill`/`stop`: Docker restarts it
log "killed worker process $pid while the task was scanning"
for _ in $(seq 1 60); do
  [ "$(docker inspect -f '{{.RestartCount}} {{.State.Running}}' "$worker")" = "1 true" ] && break
  sleep 1
done
[ "$(docker inspect -f '{{.RestartCount}} {{.State.Running}}' "$worker")" = "1 true" ] \
  || fail "worker not restarted: $(docker inspect -f '{{.RestartCount}} {{.State.Status}}' "$worker")"
log "Docker restarted the worker"
st=$(wait_done "$id" 180)
[ "$(echo "$st" | field status)" = completed ] && [ "$(echo "$st" | field authentication_status)" = success ] \
  || fail "task after the worker's restart: $st"
created_after=$(curl -s --cacert "$certs/ca.pem" "https://127.0.0.1:$emu_port/emulator/stats" | field scans_created)
[ "$created_before" = "$created_after" ] || fail "the scan was created again after the restart ($created_before -> $created_after)"
log "task $id completed after the restart, authentication success, its scan created once ($created_after scans in all)"

for s in "${scanorch_services[@]}"; do
  db=$(docker exec "$(cid "$s")" find /var/lib/scanorch -name 'store.sqlite*' || true)
  [ -z "$db" ] || fail "$s keeps a database in its data dir: $db"
done
for s in worker-nessus-prod-1 worker-nessus-prod-2; do
  n=$(docker exec "$(cid "$s")" find /var/lib/scanorch/exports -name '*.nessus' 2>/dev/null | wc -l || true)
  [ "$n" -ge 1 ] || fail "$s holds no export in its own volume"
done
[ -z "$(docker exec "$(cid api)" find /var/lib/scanorch -name '*.nessus' || true)" ] || fail "the API container holds exports"
log "exports on the workers that made them; no data dir holds a database"

log "health checks"
for _ in $(seq 1 90); do
  h=$(docker inspect -f '{{.State.Health.Status}}' "$(cid api)")
  [ "$h" = healthy ] && break
  sleep 1
done
[ "$h" = healthy ] || fail "api container health: $h"
h=$(docker inspect -f '{{.State.Health.Status}}' "$(cid worker-nessus-prod-1)")
[ "$h" = healthy ] || fail "worker container health: $h"
log "api and worker containers healthy"
