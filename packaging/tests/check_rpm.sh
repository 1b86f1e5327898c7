#!/usr/bin/env bash
# Builds the RPMs from a build tree and checks them against the layout
# packaging/cpack_project.cmake promises for RHEL 9 hosts:
#   - one `scanorch` rpm: binaries, the 8 default plugins, config, units, and
#     the bundled libraries in /usr/lib/scanorch/lib (nothing on the system
#     library path);
#   - Requires only what RHEL 9 has (glibc, libstdc++/libgcc, OpenSSL 3, zlib, expat,
#     shadow-utils, /bin/sh); Provides none of the bundled sonames;
#   - every ELF file with a $ORIGIN-relative RUNPATH that resolves inside the
#     package, and no symbol version newer than RHEL 9 has
#     (check_symbol_versions.sh).
#   check_rpm.sh BUILD_DIR [OUT_DIR]    (OUT_DIR keeps the rpms; default: a temp dir)
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
for t in rpmbuild rpm rpm2cpio cpio patchelf readelf; do
  command -v $t >/dev/null || { echo "SKIP: $t is not installed (scripts/install-deps.sh)"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${2:-$tmp/out}
mkdir -p "$out"
cpack -G RPM --config "$build/CPackConfig.cmake" -B "$out" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; echo "FAIL: cpack -G RPM"; exit 1; }
rpm=$(ls "$out"/scanorch-[0-9]*.rpm)
sdk=$(ls "$out"/scanorch-sdk-*.rpm)
status=0
bad() { echo "FAIL: $*"; status=1; }

files=$(rpm -qlp "$rpm")
for f in /usr/bin/scanorchd /usr/bin/scanorchctl /etc/scanorch/scanorch.yaml /etc/scanorch/scanners.yaml.example \
         /usr/lib/systemd/system/scanorchd.service /usr/lib/systemd/system/scanorchd-api.service \
         /usr/lib/systemd/system/scanorchd-worker@.service /usr/share/doc/scanorch/README.md \
         /usr/lib/scanorch/lib/libPocoFoundation.so.80 /usr/lib/scanorch/lib/libspdlog.so.1.10 \
         /usr/lib/scanorch/lib/libfmt.so.9 /usr/lib/scanorch/lib/libprometheus-cpp-core.so.1.0 \
         /usr/lib/scanorch/lib/libhiredis.so.0.14 /usr/lib/scanorch/lib/libyaml-cpp.so.0.7; do
  grep -qxF "$f" <<<"$files" || bad "$f is not in $(basename "$rpm")"
done
for p in nessus nessus-validator memory-queue redis-queue capacity-router http sqlite-store postgres-store; do
  grep -qxF "/usr/lib/scanorch/plugins/libscanorch-$p.so" <<<"$files" || bad "plugin $p is not in the rpm"
done
# Private libraries only: nothing under a directory ld.so searches by default.
grep -E '^/(usr/)?lib(64)?/[^/]+\.so' <<<"$files" && bad "a library on the system library path"
grep -E '^/(usr/)?lib(64)?/x86_64-linux-gnu' <<<"$files" && bad "a Debian multiarch path"
grep -qE '^/usr/lib/\.build-id' <<<"$files" && bad "build-id links of bundled libraries"
rpm -qp --configfiles "$rpm" | grep -qxF /etc/scanorch/scanorch.yaml || bad "scanorch.yaml is not %config"
rpm -qp --scripts "$rpm" | grep -q useradd || bad "no %post creating the scanorch account"

# Requires: RHEL 9 base only.
allowed='^(rpmlib\(.*|/bin/sh|shadow-utils|config\(scanorch\)|rtld\(GNU_HASH\)|libexpat\.so\.1(\(.*)?|ld-linux-x86-64\.so\.2(\(.*)?|lib(c|m|pthread|dl|rt)\.so\.6(\(.*)?|libstdc\+\+\.so\.6(\(.*)?|libgcc_s\.so\.1(\(.*)?|lib(ssl|crypto)\.so\.3(\(.*)?|libz\.so\.1(\(.*)?)$'
while IFS= read -r req; do
  req=${req%% *}
  [[ "$req" =~ $allowed ]] || bad "requires $req"
done < <(rpm -qp --requires "$rpm")
requires=$(rpm -qp --requires "$rpm")
if rpm -qp --provides "$rpm" | grep -E '\.so'; then bad "provides sonames (bundled copies must stay private)"; fi
rpm -qp --requires "$sdk" | grep -q '\.so' && bad "the sdk rpm requires a library"

# RUNPATHs and symbol versions, on the extracted files.
mkdir "$tmp/root"
(cd "$tmp/root" && rpm2cpio "$rpm" | cpio -idm --quiet)
while IFS= read -r -d '' f; do
  head -c4 "$f" | grep -q $'\x7fELF' || continue
  rp=$(patchelf --print-rpath "$f")
  case "$rp" in '$ORIGIN'*) ;; *) bad "${f#"$tmp/root"} has RUNPATH '$rp', not \$ORIGIN-relative"; continue ;; esac
  dir=$(dirname "$f")
  resolved=$(cd "$dir" && realpath -m "${rp/\$ORIGIN/.}")
  [ "$resolved" = "$tmp/root/usr/lib/scanorch/lib" ] || bad "${f#"$tmp/root"}: RUNPATH $rp leads to ${resolved#"$tmp/root"}"
  for lib in $(readelf -d "$f" | awk '/NEEDED/{gsub(/[][]/, "", $5); print $5}'); do
    if [[ "$lib" =~ $allowed ]]; then
      grep -qF "$lib()(64bit)" <<<"$requires" || bad "${f#"$tmp/root"} needs $lib, which the rpm does not require"
      continue
    fi
    [ -f "$tmp/root/usr/lib/scanorch/lib/$lib" ] || bad "${f#"$tmp/root"} needs $lib, which the rpm does not carry"
  done
done < <(find "$tmp/root" -type f -print0)
bash "$here/check_symbol_versions.sh" "$tmp/root" || status=1
n=$(grep -c '^/usr/lib/scanorch/lib/' <<<"$files" || true)
[ $status -eq 0 ] && echo "ok: $(basename "$rpm") ($(du -k "$rpm" | cut -f1) KiB, $n bundled libraries), $(basename "$sdk")"
exit $status
