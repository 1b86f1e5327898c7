#!/usr/bin/env bash
# Checks C/C++ style: clang-format (.clang-format) and clang-tidy (.clang-tidy).
#
#   scripts/check-style.sh                 the files changed against the base (see --base)
#   scripts/check-style.sh --all           every tracked C/C++ file
#   scripts/check-style.sh --fix           rewrite the files with clang-format, then check
#   scripts/check-style.sh --base REF      compare with REF instead of the default base
#   scripts/check-style.sh --build DIR     compile_commands.json for clang-tidy (default build/default)
#   scripts/check-style.sh --jobs N        clang-tidy processes at once (default 1)
#   scripts/check-style.sh --no-tidy       clang-format only (no build needed)
#   scripts/check-style.sh --repo DIR      check that git checkout (default: the one holding this script)
#   scripts/check-style.sh [opts] FILE...  just these files
#
# Default base: the merge-base with origin/main; on main itself (merge-base is
# HEAD), or with no origin/main, HEAD~1 -- so CI on main checks the last commit.
# Changed = tracked files differing from the base in the working tree, plus
# untracked ones. Exit 0: clean; 1: findings (each names its file); 2: could
# not check (bad option, no compile_commands.json, missing tool).
set -uo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "check-style: $*" >&2; exit 2; }

repo="$(cd "$(dirname "$0")/.." && pwd -P)"
base="" all=0 fix=0 tidy=1 jobs=1 build="" files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all) all=1 ;;
    --fix) fix=1 ;;
    --no-tidy) tidy=0 ;;
    --base) [ $# -ge 2 ] || die "--base needs a git ref"; base="$2"; shift ;;
    --build) [ $# -ge 2 ] || die "--build needs a directory"; build="$(cd "$2" 2>/dev/null && pwd || echo "$2")"; shift ;;
    --jobs|-j) [ $# -ge 2 ] || die "--jobs needs a number"; jobs="$2"; shift ;;
    --repo) [ $# -ge 2 ] || die "--repo needs a directory"; repo="$(cd "$2" && pwd -P)" || die "no directory '$2'"; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) files+=("$(realpath -m "$1")") ;;   # made relative to the checkout below
  esac
  shift
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive number, got '$jobs'"
[ "$all" = 1 ] && [ -n "$base" ] && die "--all and --base exclude each other"
cd "$repo" || die "cannot enter '$repo'"
git rev-parse --git-dir >/dev/null 2>&1 || die "'$repo' is not a git checkout"
command -v clang-format >/dev/null || die "clang-format not found (scripts/install-deps.sh installs it)"
if [ "$tidy" = 1 ]; then
  command -v clang-tidy >/dev/null || die "clang-tidy not found (scripts/install-deps.sh installs it)"
  build="${build:-build/default}"
  db="$(cd "$build" 2>/dev/null && pwd)/compile_commands.json"
  [ -f "$db" ] || die "no compile_commands.json in '$build': configure first (cmake --preset default), or pass --build DIR or --no-tidy"
fi

is_cxx() { [[ "$1" =~ \.(c|cc|cpp|cxx|h|hh|hpp|hxx)$ ]]; }
is_header() { [[ "$1" =~ \.(h|hh|hpp|hxx)$ ]]; }

# Which files.
if [ ${#files[@]} -gt 0 ]; then
  for i in "${!files[@]}"; do files[$i]="$(realpath -m --relative-to="$repo" "${files[$i]}")"; done
  what="${#files[@]} named file(s)"
elif [ "$all" = 1 ]; then
  mapfile -t files < <(git ls-files)
  what="every tracked file"
else
  if [ -z "$base" ]; then
    if git rev-parse -q --verify origin/main >/dev/null; then
      base="$(git merge-base HEAD origin/main)" || die "no merge-base of HEAD and origin/main"
      [ "$base" = "$(git rev-parse HEAD)" ] && base="HEAD~1"
    else
      base="HEAD~1"
    fi
  fi
  if git rev-parse -q --verify "$base^{commit}" >/dev/null; then
    what="changed against $base ($(git rev-parse --short "$base^{commit}"))"
    mapfile -t files < <({ git diff --name-only --diff-filter=ACMR "$base" --; git ls-files --others --exclude-standard; } | sort -u)
  elif [ "$base" = "HEAD~1" ] && ! git rev-parse -q --verify HEAD~1 >/dev/null; then
    what="every tracked file (HEAD has no parent to compare with)"   # the first commit, or a depth-1 clone
    mapfile -t files < <(git ls-files)
  else
    die "unknown base '$base'"
  fi
fi
checked=()
for f in "${files[@]}"; do
  is_cxx "$f" && [ -f "$f" ] && checked+=("$f")
done
echo "check-style: ${#checked[@]} C/C++ file(s), $what"
[ ${#checked[@]} -eq 0 ] && exit 0

findings=0 bad_files=()
note_bad() { findings=$((findings + 1)); bad_files+=("$1"); }

# clang-format: the file must equal what clang-format makes of it.
if [ "$fix" = 1 ]; then
  clang-format -i --style=file "${checked[@]}" || die "clang-format -i failed"
  echo "check-style: formatted ${#checked[@]} file(s) in place"
fi
for f in "${checked[@]}"; do
  if ! out="$(clang-format --dry-run -Werror --style=file "$f" 2>&1)"; then
    n="$(grep -c 'code should be clang-formatted' <<<"$out")"
    echo "FORMAT $f: $n line(s) differ from .clang-format (scripts/check-style.sh --fix $f rewrites it):"
    diff -u --label "$f" --label "$f (clang-format)" "$f" <(clang-format --style=file "$f") | sed -n '3,42p' | sed 's/^/    /'
    note_bad "$f"
  fi
done

# clang-tidy: on each changed source in the compile database; a changed header
# through one source that includes it (its findings show via the header filter).
if [ "$tidy" = 1 ]; then
  # The compile database as clang sees it: GCC-only flags that clang refuses
  # (-fno-gnu-unique, set for the plugins) are dropped from a copy.
  tmp="$(mktemp -d)" || die "mktemp failed"
  trap 'rm -rf "$tmp"' EXIT
  python3 - "$db" "$tmp/compile_commands.json" <<'PY' || die "cannot read $db"
import json, sys
gcc_only = {"-fno-gnu-unique"}
db = json.load(open(sys.argv[1]))
for e in db:
    if "command" in e:
        e["command"] = " ".join(a for a in e["command"].split(" ") if a not in gcc_only)
    if "arguments" in e:
        e["arguments"] = [a for a in e["arguments"] if a not in gcc_only]
json.dump(db, open(sys.argv[2], "w"))
PY
  mapfile -t db_files < <(python3 -c 'import json,sys; print("\n".join(sorted({e["file"] for e in json.load(open(sys.argv[1]))})))' "$db")
  in_db() { printf '%s\n' "${db_files[@]}" | grep -qxF "$1"; }
  units=()
  for f in "${checked[@]}"; do
    abs="$repo/$f"
    # A change that only reformats (the file is what clang-format makes of the
    # base's version) adds nothing for tidy to find: the whole-tree reformat
    # stays cheap in CI.
    if [ -n "$base" ] && [ "$fix" = 0 ] && git cat-file -e "$base:$f" 2>/dev/null &&
       cmp -s "$f" <(git show "$base:$f" | clang-format --style=file --assume-filename="$f"); then
      echo "tidy: $f only changed its format since $base, not checked"
      continue
    fi
    if ! is_header "$f"; then
      if in_db "$abs"; then units+=("$abs"); else echo "tidy: $f is not in $build/compile_commands.json (not built in this preset), not checked"; fi
      continue
    fi
    name="$(basename "$f")" via=""
    for u in "${db_files[@]}"; do
      case "$u" in "$repo"/*) ;; *) continue ;; esac
      if grep -qE "^#include [\"<]([^\">]*/)?$name[\">]" "$u" 2>/dev/null; then via="$u"; break; fi
    done
    if [ -n "$via" ]; then units+=("$via"); else echo "tidy: no source in the build includes $f, not checked"; fi
  done
  mapfile -t units < <(printf '%s\n' "${units[@]}" | sed '/^$/d' | sort -u)
  # Our headers: the top-level dirs git tracks (not build/, not /usr), and top-level headers.
  esc() { sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$1"; }
  dirs="$(git ls-files | grep / | cut -d/ -f1 | sort -u | grep -vx build | while read -r d; do esc "$d"; done | paste -sd'|')"
  filter="^$(esc "$repo")/(${dirs:+($dirs)/|}[^/]*\.(h|hh|hpp|hxx)$)"
  if [ ${#units[@]} -gt 0 ]; then
    echo "check-style: clang-tidy on ${#units[@]} source(s), $jobs at a time"
    out="$(printf '%s\0' "${units[@]}" |
      xargs -0 -n1 -P "$jobs" clang-tidy -p "$tmp" --quiet --header-filter="$filter" 2>&1)"
    # One line per finding (a header's show up once per source that includes it).
    mapfile -t hits < <(grep -E '^[^ ].*:[0-9]+:[0-9]+: (error|warning): ' <<<"$out" | sort -u)
    for h in "${hits[@]}"; do
      rel="${h#"$repo"/}"
      echo "TIDY   $rel"
      note_bad "${rel%%:*}"
    done
    # A source that does not compile, or a crash, with no finding line to show.
    if [ ${#hits[@]} -eq 0 ] && grep -qE '^(Error|error:)' <<<"$out"; then
      echo "$out" | grep -vE 'warnings? generated|^Suppressed|NOLINT|-header-filter' | sed 's/^/    /'
      note_bad "(clang-tidy)"
    fi
  fi
fi

if [ "$findings" -gt 0 ]; then
  n_files="$(printf '%s\n' "${bad_files[@]}" | sort -u | wc -l)"
  echo "check-style: FAILED, $findings finding(s) in $n_files file(s): $(printf '%s\n' "${bad_files[@]}" | sort -u | paste -sd' ')"
  exit 1
fi
echo "check-style: clean"
