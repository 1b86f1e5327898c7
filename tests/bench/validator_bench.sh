#!/usr/bin/env bash
# Validator throughput and memory against xmlwf (expat alone: the ceiling for
# an expat-based parser), on the same file in one run.
#   tests/bench/validator_bench.sh [BUILD_DIR] [HOSTS] [ITEMS]
# Targets (issue 4): >= 0.8x xmlwf's throughput; peak RSS < 32 MB whatever the size.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/default}
hosts=${2:-2000}
items=${3:-100}
work=$build/bench
mkdir -p "$work"
cfg=$work/validator-bench.yaml
printf 'plugin_dir: %s\nplugins:\n  validator: {use: nessus-validator}\n' "$build/lib/scanorch/plugins" >"$cfg"

measure() {  # measure RUNS CMD... -> "median_seconds max_rss_kb" (wall time to the microsecond)
  local runs=$1; shift
  local times=() best_m=0
  for _ in $(seq 1 "$runs"); do
    local t0=$EPOCHREALTIME
    /usr/bin/time -o "$work/time.out" -f "%M" "$@" >/dev/null 2>&1 || true
    local t1=$EPOCHREALTIME
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b-a}')")
    local m; m=$(tail -1 "$work/time.out")
    [ "$m" -gt "$best_m" ] && best_m=$m
  done
  echo "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') $best_m"
}

report() {  # report FILE
  local file=$1
  local mb
  mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN{printf "%.1f", b/1048576}')
  cat "$file" >/dev/null  # warm the page cache so both read from memory
  read -r xt xm < <(measure 5 xmlwf "$file")
  read -r vt vm < <(measure 5 "$build/bin/scanorchctl" --config "$cfg" validate "$file" --scan-type trusted_basic --json)
  awk -v f="$(basename "$file")" -v mb="$mb" -v xt="$xt" -v xm="$xm" -v vt="$vt" -v vm="$vm" 'BEGIN{
    printf "%-34s %8.1f MB | xmlwf %6.3f s %7.1f MB/s rss %6.1f MB | validate %6.3f s %7.1f MB/s rss %6.1f MB | ratio %.2f\n",
      f, mb, xt, mb/xt, xm/1024, vt, mb/vt, vm/1024, xt/vt }'
}

echo "== validator benchmark ($(nproc) cores, $(date -u +%FT%TZ))"
for spec in "$((hosts / 10)):$items" "$hosts:$items"; do
  h=${spec%:*}; i=${spec#*:}
  f=$work/bench-${h}x${i}.nessus
  [ -f "$f" ] || python3 "$root/tests/bench/gen_nessus.py" "$f" --hosts "$h" --items "$i" --auth mixed
  report "$f"
done
