#!/usr/bin/env bash
# Runs the test suite several times in a row to catch the tests that pass only
# by timing luck, and the ones that leave a process running behind them.
#
#   scripts/repeat-tests.sh [-n RUNS] [-p PRESET | -b BUILD_DIR] [-- CTEST_ARGS...]
#
#   -n RUNS       how many runs (default 10)
#   -p PRESET     ctest --preset PRESET -j2 from the source tree (default: default)
#   -b BUILD_DIR  ctest --test-dir BUILD_DIR -j2 --output-on-failure instead
#   CTEST_ARGS    passed on to every run, e.g. -- -R '^(Orchestration|LifecycleFaults)\.'
#
# Stops at the first failing run and keeps its log (the passing runs' logs are
# deleted); prints each run's duration and the total. A run also fails when a
# process the tests started (redis-server, postgres, nessus-emulator,
# scanorchd, scanorchctl, the node MCP client, anything) is still running
# REPEAT_GRACE seconds (default 5) after ctest returned; each is named with
# its command line and left running for a look. Each run's ctest is the child
# of a subreaper, so a server that detached itself from its test (pg_ctl
# start, a child of a killed test) still counts, and no process someone else
# runs on the machine does.
set -uo pipefail

runs=10 preset=default build_dir=
while getopts 'n:p:b:h' opt; do
  case $opt in
    n) runs=$OPTARG ;;
    p) preset=$OPTARG ;;
    b) build_dir=$OPTARG ;;
    h) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [-n RUNS] [-p PRESET | -b BUILD_DIR] [-- CTEST_ARGS...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "-n: '$runs' is not a positive number of runs" >&2; exit 2; }
grace=${REPEAT_GRACE:-5}
[[ $grace =~ ^[0-9]+$ ]] || { echo "REPEAT_GRACE: '$grace' is not a number of seconds" >&2; exit 2; }

if [ -n "$build_dir" ]; then
  [ -f "$build_dir/CTestTestfile.cmake" ] || { echo "-b: $build_dir is not a configured build directory" >&2; exit 2; }
  build_dir=$(cd "$build_dir" && pwd)
  cd "$(dirname "$0")/.." || exit 2
  ctest_cmd=(ctest --test-dir "$build_dir" -j2 --output-on-failure "$@")
else
  cd "$(dirname "$0")/.." || exit 2
  [ -f "build/$preset/CTestTestfile.cmake" ] ||
    { echo "-p: no build in build/$preset; run cmake --preset $preset && cmake --build --preset $preset first" >&2; exit 2; }
  ctest_cmd=(ctest --preset "$preset" -j2 "$@")
fi

# Runs COMMAND as the child of a subreaper (prctl PR_SET_CHILD_SUBREAPER):
# whatever COMMAND's processes leave behind is re-parented here rather than
# to init, so "left behind" is exactly this process's remaining descendants.
# It reaps them as they exit (a zombie would look alive to a test's kill -0),
# waits up to GRACE seconds after COMMAND for the last ones to go, and writes
# each survivor as "PID NAME: COMMAND LINE" to LEFT_FILE. Exit: COMMAND's.
#   python3 -c "$reaper" GRACE LEFT_FILE COMMAND...
reaper='
import ctypes, os, signal, sys, time
grace, left_file, cmd = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit("repeat-tests: cannot become a subreaper: " + os.strerror(ctypes.get_errno()))
child = os.fork()
if child == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
signal.signal(signal.SIGINT, signal.SIG_IGN)  # on Ctrl-C ctest stops its tests; then report what is left
rc = None
while rc is None:
    pid, status = os.wait()
    if pid == child:
        rc = os.waitstatus_to_exitcode(status)

def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return None

def descendants():
    kids = {}
    for d in os.listdir("/proc"):
        stat = read("/proc/" + d + "/stat") if d.isdigit() else None
        if stat is None:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            kids.setdefault(int(fields[1]), []).append(int(d))
    out, todo = [], list(kids.get(os.getpid(), []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return sorted(out)

deadline = time.monotonic() + grace
while True:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    left = descendants()
    if not left or time.monotonic() >= deadline:
        break
    time.sleep(0.2)
with open(left_file, "w") as f:
    for p in left:
        name = (read("/proc/%d/comm" % p) or "?").strip()
        line = " ".join((read("/proc/%d/cmdline" % p) or "").split("\0")).strip()
        f.write("%d %s: %s\n" % (p, name, line))
sys.exit(rc if rc >= 0 else 128 - rc)
'

logs=$(mktemp -d "${TMPDIR:-/tmp}/scanorch-repeat.XXXXXX")
echo "repeat-tests: $runs run(s) of: ${ctest_cmd[*]}"
total_start=$SECONDS
for ((run = 1; run <= runs; run++)); do
  log=$logs/run-$run.log
  start=$SECONDS
  python3 -c "$reaper" "$grace" "$log.left" "${ctest_cmd[@]}" >"$log" 2>&1
  rc=$?
  took=$((SECONDS - start))
  left=$(cat "$log.left" 2>/dev/null)
  rm -f "$log.left"
  if [ "$rc" -ne 0 ] || [ -n "$left" ]; then
    printf 'run %d/%d: FAILED after %d s' "$run" "$runs" "$took"
    [ "$rc" -ne 0 ] && printf ' (ctest exit %d)' "$rc"
    echo
    [ "$rc" -ne 0 ] && grep -E '^\s+[0-9]+ - |tests failed out of|^repeat-tests:' "$log"
    if [ -n "$left" ]; then
      while IFS= read -r l; do echo "  left behind: pid $l"; done <<<"$left" | tee -a "$log"
    fi
    echo "repeat-tests: log of the failing run kept: $log"
    echo "repeat-tests: $((run - 1)) run(s) passed before it; total $((SECONDS - total_start)) s"
    exit 1
  fi
  echo "run $run/$runs: passed in $took s ($(grep -Eo 'tests failed out of [0-9]+' "$log" | grep -Eo '[0-9]+$') tests)"
  rm -f "$log"
done
rmdir "$logs"
echo "repeat-tests: all $runs run(s) passed, none left a process behind; total $((SECONDS - total_start)) s"
