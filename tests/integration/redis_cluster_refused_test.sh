#!/usr/bin/env bash
# redis-queue follows no MOVED/ASK redirection, so a Redis Cluster would work
# only while every key happened to sit on one node. A real cluster-mode
# redis-server is refused at start-up with a clear error that points at
# Sentinel; a standalone one on the same config starts.
#   redis_cluster_refused_test.sh SCANORCHD PLUGIN_DIR
set -u
scanorchd=$1 plugins=$2
. "$(dirname "$0")/../support/processes.sh"
# A cluster node also listens on a bus port, by default its port + 10000: that
# one could be anyone's (even a client's source port), so it is claimed too.
free_port cport bport sport mport
export SCANORCH_METRICS_LISTEN=127.0.0.1:$mport  # a worker's listener, off the default port
mkdir -p "$work/cluster"
(cd "$work/cluster" && exec redis-server --port "$cport" --bind 127.0.0.1 --cluster-enabled yes --cluster-port "$bport" \
   --cluster-config-file nodes.conf --save "" --appendonly no --loglevel warning) >"$work/cluster.log" 2>&1 &
cpid=$!
pids+=("$cpid")
# Until it answers (and is ours), with a deadline that holds on a loaded machine (30 s).
wait_for 30 redis_is "$cport" "$cpid"
redis-cli -p "$cport" info cluster | grep -q 'cluster_enabled:1' ||
  { cat "$work/cluster.log"; fail "the test's redis-server is not in cluster mode (or did not start)"; }
start_redis "$sport"
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: lab_1, scanner_type: nessus, url: 'http://127.0.0.1:9', credentials: {username: a, password: b}}
YAML
write_config queue='{use: redis-queue}'  # the URL comes from REDIS_URL
for mode in "api" "worker --scanner lab_1" "all"; do
  # shellcheck disable=SC2086
  out=$(REDIS_URL=redis://127.0.0.1:$cport timeout 20 "$scanorchd" --config "$work/scanorch.yaml" $mode 2>&1); rc=$?
  [ $rc = 1 ] || fail "$mode on a cluster-mode Redis: exit $rc, expected 1: $out"
  echo "$out" | grep -q "Redis at 127.0.0.1:$cport runs in cluster mode (cluster_enabled:1), which redis-queue does not support: use a standalone Redis, with Sentinel" ||
    fail "$mode: the refusal does not say why and what to use: $out"
  echo "ok $mode refuses the cluster: $(echo "$out" | tail -1 | cut -c1-160)..."
done
# The same config on a standalone Redis starts (and the refusal was not about something else).
REDIS_URL=redis://127.0.0.1:$sport "$scanorchd" --config "$work/scanorch.yaml" worker --scanner lab_1 >"$work/ok.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'scanorchd ready' "$work/ok.log" && break; sleep 0.1; done
grep -q 'scanorchd ready' "$work/ok.log" || { cat "$work/ok.log"; fail "a standalone Redis was refused"; }
echo "ok a standalone Redis is accepted"
echo "all cluster refusal checks passed"
