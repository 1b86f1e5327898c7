#!/usr/bin/env bash
# A pool of many scanner instances, simulated: SCANNERS instances of SLOTS
# slots each, served by nessus-emulator processes (PER_EMULATOR instances
# each, one emulator's --max-running = its instances' slots), `scanorchd all`
# on a Redis queue, SCANS untrusted scans of SCAN_SECONDS submitted over ONE
# keep-alive connection. Everything on loopback, in a temp dir, stopped at exit.
#   tests/bench/scale_bench.sh [BUILD_DIR]
# Parameters (environment): SCANNERS=200 SLOTS=5 SCANS=3000 SCAN_SECONDS=5
#   PER_EMULATOR=200  POLL_MS=1000 (workers.poll_interval_ms: how soon a
#   finished scan is noticed)  SUBMIT_ONLY=1 (measure the submissions, then
#   stop: for a baseline whose scans would take hours)  MODE=api (run
#   `scanorchd api`, the front end alone, as a multi-host API process: the
#   submissions routed over the whole pool with no scan starting beside them
#   on these 2 cores; implies SUBMIT_ONLY=1)  WARM=N (first N scans run to
#   their end unmeasured: a process's first scans also pay its one-time
#   costs, a thread per slot, a login and connections per scanner; N at
#   least the slots warms every one. The figures below are the run after it,
#   except peak slots in use, which counts the warm-up's too)  IDLE_SECONDS=5 (the
#   idle-pool measurement before the run; 0 skips it)  STORE_DIR=DIR (where
#   scanorchd's data_dir, the task store, lives; default the temp dir. Every
#   task record write is fsynced: STORE_DIR=/dev/shm shows what is left
#   without the disk's fsync latency. On an ext4 mounted without a journal,
#   as some VMs' root file systems are, each new inode is looked for past
#   every inode deleted in the last minutes: a run started within about six
#   minutes of another's cleanup (3,000 directories and exports) pays up to
#   1 ms of kernel CPU per scan more, and seems slower than it is. Compare
#   builds on tmpfs there, or wait between runs)  STORE_YAML='{use: ..., config: {...}}'
#   (the store plugin slot; default: the shipped default, sqlite-store)
#   KEEP_ALIVE=S (the nessus plugin's keep_alive option; 0 = a connection per
#   request; default: the plugin's)  PROGRESS_WRITE_MS=MS (workers.progress_write_ms;
#   0 = record every change of a scan's progress; default: scanorchd's)
#   CANCEL_CHECK_MS=MS (workers.cancel_check_ms; default: scanorchd's, 5000)
# Prints: wall time against the ideal (waves x scan time), submissions/s,
# scanorchd CPU per scan and peak RSS, Redis CPU, Redis commands per scan by
# command (INFO commandstats: commands run inside a script are counted too,
# under their own names), peak slots in use (the emulators' peak_running).
# Targets (issue 16, 200 x 5 slots, 3000 scans of 5 s, 2 cores): wall <= 1.5x
# ideal, >= 1000 submissions/s (>= 0.5x a one-scanner pool), <= 20 Redis
# round trips per scan (the MONITOR count; the commandstats count also holds
# what the scripts ran), <= 5 ms scanorchd CPU per scan.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build/default}" && pwd)
SCANNERS=${SCANNERS:-200} SLOTS=${SLOTS:-5} SCANS=${SCANS:-3000} SCAN_SECONDS=${SCAN_SECONDS:-5}
PER_EMULATOR=${PER_EMULATOR:-200} POLL_MS=${POLL_MS:-1000} SUBMIT_ONLY=${SUBMIT_ONLY:-0}
IDLE_SECONDS=${IDLE_SECONDS:-5} MODE=${MODE:-all} WARM=${WARM:-0}
case $MODE in all) ;; api) SUBMIT_ONLY=1 ;; *) echo "scale_bench: MODE is 'all' or 'api', not '$MODE'" >&2; exit 2 ;; esac
case $WARM in ''|*[!0-9]*) echo "scale_bench: WARM is a number of scans, not '$WARM'" >&2; exit 2 ;; esac
# The interpreter itself, found once: a version manager's python3 is often
# a shell script that finds it at every start, which cost a tenth of a
# core-second per start, on the cores this measures.
python3=$(python3 -c 'import sys; print(sys.executable)')
[ -x "$python3" ] || { echo "scale_bench: no Python interpreter found (python3 answered '$python3')" >&2; exit 2; }
# Only where the shell runs it: env, timeout or exec would find the shim.
python3() { "$python3" "$@"; }
. "$root/tests/support/processes.sh"
[ $(( PER_EMULATOR * SLOTS )) -le 1000 ] ||
  fail "PER_EMULATOR x SLOTS is $(( PER_EMULATOR * SLOTS )); one nessus-emulator runs at most 1000 scans at once: lower PER_EMULATOR"
if [ -n "${STORE_DIR:-}" ]; then
  data=$(mktemp -d "$STORE_DIR/scale-bench.XXXXXX")
  trap 'cleanup; rm -rf "$data"' EXIT
else
  data=$work/data
fi
free_port rport hport
start_redis "$rport"
rcli() { redis-cli -p "$rport" "$@"; }

emulators=$(( (SCANNERS + PER_EMULATOR - 1) / PER_EMULATOR ))
emu_urls=() emu_pids=()
for e in $(seq 1 "$emulators"); do
  n=$(( e < emulators ? PER_EMULATOR : SCANNERS - (emulators - 1) * PER_EMULATOR ))
  # Small exports (3 filler items) and a short export: the benchmark is about
  # the orchestration, not about moving .nessus files.
  # A thread per open connection (Poco's server): one per slot, as each
  # running scan may hold a kept-alive connection, and some to spare.
  start_emulator "emu$e" "$build/bin/nessus-emulator" --user admin:adminpw --scan-seconds "$SCAN_SECONDS" \
    --max-running $(( n * SLOTS )) --extra-items 3 --export-seconds 0.1 --threads $(( n * SLOTS + 64 ))
  emu_urls+=("$emulator_url")
  emu_pids+=("${pids[-1]}")
done
{
  echo "scanners:"
  for i in $(seq 1 "$SCANNERS"); do
    url=${emu_urls[$(( (i - 1) / PER_EMULATOR ))]}
    # /vs/s$i: a server of its own on the emulator, which lists only its own
    # scans to the worker's board (GET /scans), as separate servers would.
    echo "  - {instance_id: s$i, scanner_type: nessus, url: '$url/vs/s$i', max_concurrent_scans: $SLOTS," \
         "credentials: {username: admin, password: adminpw}, options: {export_poll_ms: 100${KEEP_ALIVE:+, keep_alive: $KEEP_ALIVE}}}"
  done
} >"$work/scanners.yaml"
cat >"$work/scanorch.yaml" <<YAML
plugin_dir: $build/lib/scanorch/plugins
data_dir: $data
scanners_file: scanners.yaml
scope: [192.0.2.0/24]
workers: {poll_interval_ms: $POLL_MS${PROGRESS_WRITE_MS:+, progress_write_ms: $PROGRESS_WRITE_MS}${CANCEL_CHECK_MS:+, cancel_check_ms: $CANCEL_CHECK_MS}}
logging: {level: info}  # as shipped; start_scanorchd waits for its "serving at" line
plugins:
  queue: {use: redis-queue, config: {url: "redis://127.0.0.1:$rport"}}
  frontend: {use: http, config: {listen: "127.0.0.1:$hport"}}
${STORE_YAML:+  store: $STORE_YAML}
YAML
base=http://127.0.0.1:$hport
start_scanorchd "$build/bin/scanorchd" "$work/scanorch.yaml" "$base" "$MODE"
spid=${pids[-1]}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
emu_ticks() { local t=0 p; for p in "${emu_pids[@]}"; do t=$(( t + $(cpu_ticks "$p") )); done; echo "$t"; }
# The machine's busy ticks (all processes, both cores): what the emulators,
# Redis and the submitting client take from scanorchd here.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
redis_cpu() { rcli INFO cpu | awk -F: '/^used_cpu_(sys|user):/ {s += $2} END {printf "%.3f", s}'; }
redis_cmds() { rcli INFO stats | awk -F: '/^total_commands_processed:/ {print $2+0}'; }
hz=$(getconf CLK_TCK)

echo "scale_bench: scanorchd $MODE, $SCANNERS scanners x $SLOTS slots on $emulators emulator(s), $SCANS scans of ${SCAN_SECONDS}s," \
     "workers poll every ${POLL_MS} ms${CANCEL_CHECK_MS:+ and check for a cancel every $CANCEL_CHECK_MS ms}, task store in $(df --output=fstype "$data" | tail -1) $data"
sleep 2  # workers start and block
if [ "$IDLE_SECONDS" -gt 0 ]; then
  c0=$(cpu_ticks "$spid"); r0=$(redis_cpu); n0=$(redis_cmds)
  sleep "$IDLE_SECONDS"
  c1=$(cpu_ticks "$spid"); r1=$(redis_cpu); n1=$(redis_cmds)
  python3 - "$IDLE_SECONDS" "$hz" "$c0" "$c1" "$r0" "$r1" "$n0" "$n1" <<'PY'
import sys
secs, hz, c0, c1, r0, r1, n0, n1 = (float(x) for x in sys.argv[1:])
print(f"idle pool ({secs:.0f} s): scanorchd CPU {100 * (c1 - c0) / hz / secs:.1f}%, "
      f"Redis CPU {100 * (r1 - r0) / secs:.1f}%, Redis {(n1 - n0 - 3) / secs:.0f} commands/s")
PY
fi

# The emulators' counters (exports, requests, connections) before the measured run.
emu_counts() {
  local u e=0 n=0 k=0 a b c
  for u in "${emu_urls[@]}"; do
    read -r a b c < <(curl -s --max-time 10 "$u/emulator/stats" |
      python3 -c 'import json,sys; d = json.load(sys.stdin); print(d["exports"], d["requests_served"], d["connections_accepted"])')
    e=$(( e + a )) n=$(( n + b )) k=$(( k + c ))
  done
  echo "$e $n $k"
}
if [ "$WARM" -gt 0 ]; then
  [ "$MODE" = all ] || fail "WARM needs MODE=all: its scans must run"
  python3 "$root/tests/support/submit_scans.py" "$hport" "$WARM" >/dev/null
  warm_deadline=$(( SECONDS + 60 + 4 * WARM * SCAN_SECONDS / (SCANNERS * SLOTS) + 10 * SCAN_SECONDS ))
  # Tasks in a status, from the task store (a finishing task holds no slot
  # but is still running there).
  tasks_in() {
    curl -s --max-time 10 -X POST -d "{\"status\": \"$1\", \"limit\": 1}" "$base/tools/list_tasks" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'
  }
  # Exported is not ended: a scan exported late may still be validating,
  # and one handed back or reclaimed meanwhile is queued again.
  until [ "$(emu_counts | cut -d' ' -f1)" -ge "$WARM" ] && [ "$(tasks_in running)" = 0 ] &&
    [ "$(tasks_in queued)" = 0 ]; do
    [ "$SECONDS" -lt "$warm_deadline" ] || fail "the $WARM warm-up scans did not finish in time"
    sleep 0.5
  done
  echo "warmed up: $WARM scans ran to their end before the measured run"
fi
read -r base_exports base_requests base_connections < <(emu_counts)
rcli CONFIG RESETSTAT >/dev/null
# Round trips: MONITOR marks the commands a script ran ("[0 lua]") apart from
# those a client sent, which INFO commandstats does not. It costs Redis some
# CPU of its own (ROUND_TRIPS=0 leaves it out).
if [ "${ROUND_TRIPS:-1}" = 1 ]; then
  redis-cli -p "$rport" MONITOR >"$work/monitor.log" &
  monitor_pid=$!
  pids+=("$monitor_pid")
  sleep 0.2
fi
c0=$(cpu_ticks "$spid"); r0=$(redis_cpu); e0=$(emu_ticks); b0=$(busy_ticks)
# One keep-alive connection; the reply of each submission is read before the next.
python3 "$root/tests/support/submit_scans.py" "$hport" "$SCANS" --times >"$work/submit.out"
read -r t_start t_submitted lat_p50 lat_p99 lat_max <"$work/submit.out"
c_sub=$(cpu_ticks "$spid")

polls=0
if [ "$SUBMIT_ONLY" != 1 ]; then
  # One waiting process for the whole run: a loop of curl and python3 every
  # 0.2 s took a tenth of the 2 cores from the system it measures. The
  # emulators' counters first (no Redis traffic), then get_queue_status
  # and the task store until nothing is queued, running or finishing (a
  # task whose scan ended holds no slot); its few polls are counted below.
  deadline=$(( 60 + 4 * SCANS * SCAN_SECONDS / (SCANNERS * SLOTS) + 10 * SCAN_SECONDS ))
  polls=$(python3 - "$hport" "$(( SCANS + base_exports ))" "$deadline" "${emu_urls[@]}" <<'PY'
import http.client, json, sys, time, urllib.parse
port, scans, deadline = int(sys.argv[1]), int(sys.argv[2]), time.monotonic() + int(sys.argv[3])
emus = [urllib.parse.urlsplit(u) for u in sys.argv[4:]]
def get(host, port, method, path, body=None):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request(method, path, body, {"Content-Type": "application/json"} if body else {})
    return json.loads(c.getresponse().read())
def exports():
    return sum(get(u.hostname, u.port, "GET", "/emulator/stats")["exports"] for u in emus)
while (n := exports()) < scans:
    if time.monotonic() > deadline:
        sys.exit(f"only {n} of {scans} scans were exported in time")
    time.sleep(0.2)
polls = 0
def unfinished(status):  # from the task store: a finishing task holds no slot
    return get("127.0.0.1", port, "POST", "/tools/list_tasks", json.dumps({"status": status, "limit": 1}))["count"]
while True:
    polls += 1
    d = get("127.0.0.1", port, "POST", "/tools/get_queue_status", "{}")
    if (d.get("global", 0) + sum(s.get("queued", 0) + s.get("running", 0) for s in d.get("scanners", [])) == 0
            and unfinished("running") + unfinished("queued") == 0):
        break
    if time.monotonic() > deadline:
        sys.exit(f"tasks still queued or running: {d}")
    time.sleep(0.1)
print(polls)
PY
  ) || fail "the run did not finish"
fi
t_end=$(python3 -c 'import time; print(time.monotonic())')
c1=$(cpu_ticks "$spid"); r1=$(redis_cpu); e1=$(emu_ticks); b1=$(busy_ticks)
rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$spid/status")
rcli INFO commandstats >"$work/commandstats"
if [ -n "${monitor_pid:-}" ]; then
  kill "$monitor_pid" 2>/dev/null || true
  wait "$monitor_pid" 2>/dev/null || true
  awk '/^\+?[0-9.]+ \[/ { if ($0 ~ / lua\] /) next; split($0, f, "\""); n[toupper(f[2])]++ }
       END { for (c in n) print c, n[c] }' "$work/monitor.log" >"$work/roundtrips"
  rm -f "$work/monitor.log"
fi
peak=0 requests=0 connections=0
for u in "${emu_urls[@]}"; do
  read -r p n k < <(curl -s "$u/emulator/stats" |
    python3 -c 'import json,sys; d = json.load(sys.stdin); print(d["peak_running"], d["requests_served"], d["connections_accepted"])')
  peak=$(( peak + p )) requests=$(( requests + n )) connections=$(( connections + k ))
done
requests=$(( requests - base_requests )) connections=$(( connections - base_connections ))

python3 - <<PY
import os, re, math
scans, scanners, slots, secs = $SCANS, $SCANNERS, $SLOTS, $SCAN_SECONDS
t0, tsub, tend = $t_start, $t_submitted, $t_end
hz = $hz
cpu_all = ($c1 - $c0) / hz
cpu_sub = ($c_sub - $c0) / hz
redis_cpu = $r1 - $r0
stats = {}
for line in open("$work/commandstats"):
    m = re.match(r"cmdstat_(\S+):calls=(\d+)", line)
    if m and m.group(1) not in ("info", "config|resetstat"):
        stats[m.group(1)] = int(m.group(2))
total = sum(stats.values())
print(f"submissions: {scans / (tsub - t0):.0f}/s ({tsub - t0:.2f} s for {scans}); "
      f"scanorchd CPU while submitting {1000 * cpu_sub / scans:.2f} ms per scan")
print(f"submission round trip (p50 / p99 / max): $lat_p50 / $lat_p99 / $lat_max ms")
if $SUBMIT_ONLY != 1:
    waves = math.ceil(scans / (scanners * slots))
    ideal = waves * secs
    print(f"wall: {tend - t0:.1f} s, ideal {ideal:.0f} s ({waves} waves x {secs} s): {(tend - t0) / ideal:.2f}x")
    print(f"peak slots in use: {$peak} of {scanners * slots} (emulators' peak_running, summed"
          f"{', the warm-up included' if $WARM else ''})")
    print(f"scanner requests per scan: {$requests / scans:.1f} (the emulators' requests_served, logins included), "
          f"connections per scan: {$connections / scans:.2f}")
print(f"scanorchd CPU: {1000 * cpu_all / scans:.2f} ms per scan ({cpu_all:.1f} s); peak RSS {$rss / 1024:.0f} MB")
print(f"Redis CPU: {redis_cpu:.1f} s ({1000 * redis_cpu / scans:.2f} ms per scan)")
emu_cpu, busy = ($e1 - $e0) / hz, ($b1 - $b0) / hz
print(f"emulator CPU: {1000 * emu_cpu / scans:.2f} ms per scan; the machine, all processes: "
      f"{1000 * busy / scans:.2f} ms per scan ({100 * busy / (tend - t0) / (os.cpu_count() or 1):.0f}% of {os.cpu_count()} CPUs)")
print(f"Redis commands per scan: {total / scans:.1f} (incl. {$polls} get_queue_status polls at the end)")
for name, calls in sorted(stats.items(), key=lambda kv: -kv[1]):
    print(f"  {name:<16} {calls / scans:8.2f}")
import os, sqlite3, json
db = "$data/store.sqlite"
if os.path.exists(db) and $SUBMIT_ONLY != 1:
    # Where a scan's time went, from the task records: queued (submitted to
    # claimed), run (claimed to finished) beyond the scan's own seconds.
    con = sqlite3.connect(db)
    # The measured run's tasks: the warm-up's ended before it began.
    kept = sorted(((json.loads(d), r) for d, r in con.execute("SELECT document, revision FROM tasks")),
                  key=lambda dr: dr[0]["created_at"])[$WARM:]
    rows = [d for d, _ in kept]
    # A row's revision counts its writes: 1 for the submission, +1 for each update.
    revs = sum(r for _, r in kept)
    print(f"task record writes per scan: {revs / len(rows):.2f} (durable; findings batches not counted)")
    def pct(v, p): return sorted(v)[min(len(v) - 1, int(p * len(v)))]
    wait = [(r["started_at"] - r["created_at"]) / 1000 for r in rows if r["started_at"]]
    run = [(r["completed_at"] - r["started_at"]) / 1000 - secs for r in rows if r["started_at"] and r["completed_at"]]
    if wait and run:
        print(f"per scan (p50 / p90 / max): queued {pct(wait, .5):.2f} / {pct(wait, .9):.2f} / {max(wait):.2f} s; "
              f"run beyond the scan's {secs} s {pct(run, .5):.2f} / {pct(run, .9):.2f} / {max(run):.2f} s")
        # Where the wall time went: how late the last scans were submitted
        # and started, and how busy the slots were over the whole run.
        first = min(r["created_at"] for r in rows)
        last = lambda k: (max(r[k] for r in rows if r[k]) - first) / 1000
        busy = sum(r["completed_at"] - r["started_at"] for r in rows if r["started_at"] and r["completed_at"]) / 1000
        print(f"timeline (s after the first submission): last submitted {last('created_at'):.1f}, "
              f"last started {last('started_at'):.1f}, last completed {last('completed_at'):.1f}; "
              f"slots busy {100 * busy / (scanners * slots * last('completed_at')):.0f}% of that time")
import os
if os.path.exists("$work/roundtrips"):
    rt = {}
    for line in open("$work/roundtrips"):
        c, n = line.split()
        if c not in ("INFO", "CONFIG", "MONITOR"):
            rt[c] = int(n)
    print(f"Redis round trips per scan: {sum(rt.values()) / scans:.1f} (commands clients sent; MONITOR)")
    for name, calls in sorted(rt.items(), key=lambda kv: -kv[1]):
        print(f"  {name.lower():<16} {calls / scans:8.2f}")
PY
