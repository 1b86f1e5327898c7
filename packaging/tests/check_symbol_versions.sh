#!/usr/bin/env bash
# Fails if any ELF file under DIR needs a glibc, libstdc++ or C++ ABI symbol
# version newer than a RHEL 9 host has (glibc 2.34, GCC 11's libstdc++:
# GLIBCXX_3.4.29, CXXABI_1.3.13). Libraries shipped in DIR itself are exempt
# from the check of what they provide (a bundled libstdc++ would make the
# GLIBCXX limit moot), but their own needs are checked like the rest.
#   check_symbol_versions.sh DIR
# Limits: GLIBC_MAX, GLIBCXX_MAX, CXXABI_MAX in the environment.
set -euo pipefail
dir=$1
glibc_max=${GLIBC_MAX:-2.34} glibcxx_max=${GLIBCXX_MAX:-3.4.29} cxxabi_max=${CXXABI_MAX:-1.3.13}
newer() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" = "$1" ]; }
shipped=" $(find "$dir" -name '*.so*' -type f -printf '%f ' ) "
status=0 files=0
while IFS= read -r -d '' f; do
  head -c4 "$f" | grep -q $'\x7fELF' || continue
  files=$((files + 1))
  # .gnu.version_r: "File: libc.so.6" lines, then the versions needed from it.
  while read -r lib version; do
    case "$shipped" in *" $lib "*) continue ;; esac
    case "$version" in
      GLIBC_[0-9]*)   v=${version#GLIBC_};   newer "$v" "$glibc_max"   && { echo "FAIL: $f needs $version ($lib) > GLIBC_$glibc_max"; status=1; } ;;
      GLIBCXX_[0-9]*) v=${version#GLIBCXX_}; newer "$v" "$glibcxx_max" && { echo "FAIL: $f needs $version ($lib) > GLIBCXX_$glibcxx_max"; status=1; } ;;
      CXXABI_[0-9]*)  v=${version#CXXABI_};  newer "$v" "$cxxabi_max"  && { echo "FAIL: $f needs $version ($lib) > CXXABI_$cxxabi_max"; status=1; } ;;
    esac
  done < <(readelf -V -W "$f" 2>/dev/null | awk '/Version needs section/{r=1} !r{next}
      /File: /{for (i = 1; i < NF; i++) if ($i == "File:") lib = $(i + 1)}
      /Name: /{for (i = 1; i < NF; i++) if ($i == "Name:") print lib, $(i + 1)}' | sort -u)
done < <(find "$dir" -type f -print0)
[ "$files" -gt 0 ] || { echo "FAIL: no ELF files under $dir"; exit 1; }
[ $status -eq 0 ] && echo "ok: $files ELF files need at most GLIBC_$glibc_max, GLIBCXX_$glibcxx_max, CXXABI_$cxxabi_max"
exit $status
