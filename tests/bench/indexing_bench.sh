#!/usr/bin/env bash
# Indexing findings while validating, side by side in one run on the same
# export: (a) validate only, (b) validate + emit into a null sink, (c) into
# sqlite-store, (d) into postgres-store (a server of the benchmark's own:
# loopback, fsync off like the contract suite's). Each mode is its own
# process, so the peak RSS is the mode's (the PostgreSQL server's is not in d).
#   tests/bench/indexing_bench.sh [BUILD_DIR] [HOSTS] [ITEMS] [RUNS]
# Target (issue 13): c and d at most 2x a; memory bounded whatever the size.
# SQLITE_CONFIG (JSON) overrides sqlite-store's defaults, e.g. '{"synchronous":"full"}'.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/default}
hosts=${2:-2000}
items=${3:-100}
runs=${4:-3}
work=$build/bench
mkdir -p "$work"
file=$work/bench-${hosts}x${items}-ok.nessus
[ -f "$file" ] || python3 "$root/tests/bench/gen_nessus.py" "$file" --hosts "$hosts" --items "$items" --auth ok
cat "$file" >/dev/null  # warm the page cache: every mode reads from memory
mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN{printf "%.1f", b/1048576}')
bin=$build/bin/indexing_bench
plugins=$build/lib/scanorch/plugins
echo "== indexing benchmark ($(nproc) cores, $(date -u +%FT%TZ)): $(basename "$file"), $mb MB, median of $runs"
out=$work/indexing.out
: >"$out"
"$bin" validate "$file" "$plugins" "$runs" >>"$out"
"$bin" null "$file" "$plugins" "$runs" >>"$out"
"$bin" sqlite "$file" "$plugins" "$runs" "${SQLITE_CONFIG:-}" >>"$out"
"$bin" postgres "$file" "$plugins" "$runs" >>"$out"
# cpu: this process's user + system time (not the PostgreSQL server's), the
# steadier figure when other work shares the cores.
awk -v mb="$mb" 'NR==1{base=$2; cbase=$5}
  {printf "  %-9s wall %7.3f s x%5.2f | cpu %7.3f s x%5.2f | %7.1f MB/s %9.0f findings/s | peak RSS %6.1f MB\n",
     $1, $2, $2/base, $5, $5/cbase, mb/$2, ($3 > 0 ? $3/$2 : 0), $4/1024}' "$out"
