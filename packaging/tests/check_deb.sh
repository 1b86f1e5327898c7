#!/usr/bin/env bash
# Builds the .debs from a build tree, checks their contents and dependencies,
# and runs lintian on them: any error or warning fails, except the tags
# listed (and explained) in packaging/debian/lintian-accepted.txt.
#   check_deb.sh BUILD_DIR [OUT_DIR]    (OUT_DIR keeps the packages)
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
for t in dpkg-deb dpkg-shlibdeps lintian; do
  command -v $t >/dev/null || { echo "SKIP: $t is not installed (scripts/install-deps.sh)"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${2:-$tmp/out}
mkdir -p "$out"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; echo "FAIL: cpack -G DEB"; exit 1; }
daemon=$(ls "$out"/scanorch_*.deb) plugins=$(ls "$out"/scanorch-plugins_*.deb) sdk=$(ls "$out"/scanorch-sdk_*.deb)
status=0
bad() { echo "FAIL: $*"; status=1; }

field() { dpkg-deb -f "$1" "$2"; }
depends=$(field "$daemon" Depends)
for d in scanorch-plugins libpocofoundation80 libyaml-cpp0.7 libspdlog1.10 libprometheus-cpp-core1.0 libssl3 passwd; do
  grep -q "\b$d\b" <<<"$depends" || bad "scanorch does not depend on $d: $depends"
done
grep -q "libhiredis" <<<"$(field "$plugins" Depends)" || bad "scanorch-plugins does not depend on libhiredis"
[ "$(field "$sdk" Architecture)" = all ] || bad "scanorch-sdk is not Architecture: all"
contents=$(dpkg-deb -c "$daemon" | awk '{print $6}')
for f in ./usr/bin/scanorchd ./usr/bin/scanorchctl ./etc/scanorch/scanorch.yaml \
         ./usr/lib/systemd/system/scanorchd.service ./usr/lib/systemd/system/scanorchd-api.service \
         ./usr/lib/systemd/system/scanorchd-worker@.service ./usr/share/doc/scanorch/copyright; do
  grep -qxF "$f" <<<"$contents" || bad "$f is not in $(basename "$daemon")"
done
plugin_files=$(dpkg-deb -c "$plugins" | awk '{print $6}')
for p in nessus nessus-validator memory-queue redis-queue capacity-router http sqlite-store postgres-store; do
  grep -qxF "./usr/lib/scanorch/plugins/libscanorch-$p.so" <<<"$plugin_files" || bad "plugin $p is not in scanorch-plugins"
done
dpkg-deb -e "$daemon" "$tmp/control"
for f in postinst prerm postrm conffiles; do [ -f "$tmp/control/$f" ] || bad "no $f in the control archive"; done
grep -qxF /etc/scanorch/scanorch.yaml "$tmp/control/conffiles" || bad "scanorch.yaml is not a conffile"

# lintian: errors and warnings fail unless accepted with a reason.
accepted=$(awk '!/^#/ && NF {print $1}' "$here/../debian/lintian-accepted.txt" | paste -sd, -)
suppress=()
[ -n "$accepted" ] && suppress=(--suppress-tags "$accepted")
lintian --no-tag-display-limit "${suppress[@]}" "$daemon" "$plugins" "$sdk" >"$tmp/lintian.txt" 2>&1 || true
if grep -E '^[EW]: ' "$tmp/lintian.txt"; then bad "lintian errors or warnings (above)"; fi
grep -E '^[IP]: ' "$tmp/lintian.txt" | sed 's/^/  lintian note: /' || true
[ $status -eq 0 ] && echo "ok: $(basename "$daemon") $(du -k "$daemon" | cut -f1) KiB, $(basename "$plugins") $(du -k "$plugins" | cut -f1) KiB, $(basename "$sdk") $(du -k "$sdk" | cut -f1) KiB; lintian clean but for packaging/debian/lintian-accepted.txt"
exit $status
