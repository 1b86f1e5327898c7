#!/usr/bin/env bash
# scripts/check-style.sh against a throwaway git repo with the project's own
# .clang-format and .clang-tidy: a badly formatted file, a clang-tidy finding
# in a source and one in a changed header each fail it, naming the file; a
# file left alone since the base is not checked; a clean file passes.
#   style_check_test.sh SOURCE_DIR
set -euo pipefail
src="$(cd "${1:?usage: style_check_test.sh SOURCE_DIR}" && pwd)"
check="$src/scripts/check-style.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
r="$work/repo"
mkdir "$r"
cp "$src/.clang-format" "$src/.clang-tidy" "$r/"
cd "$r"
git init -q
commit() { git add -A && git -c user.name=test -c user.email=test@example.invalid commit -qm "$1"; }

fail() { echo "FAIL: $*"; echo "--- output:"; cat "$work/out"; exit 1; }
# run EXPECTED_RC ARGS...: check-style's exit code must be EXPECTED_RC.
run() {
  local want="$1"; shift
  set +e; bash "$check" --repo "$r" "$@" >"$work/out" 2>&1; local rc=$?; set -e
  [ "$rc" = "$want" ] || fail "check-style $* exited $rc, expected $want"
}
has() { grep -qE -- "$1" "$work/out" || fail "no line matching '$1'"; }
hasnt() { ! grep -qE -- "$1" "$work/out" || fail "a line matches '$1'"; }

# The base commit: a clean source, a source and the header it includes, and a badly formatted
# file that later commits do not touch.
cat > clean.cpp <<'CPP'
#include <string>

std::string twice(int x) { return std::to_string(2 * x); }
CPP
cat > uses_widget.cpp <<'CPP'
#include "widget.h"

int area(const Widget& w) { return w.size() * w.size(); }
CPP
cat > widget.h <<'CPP'
#pragma once

class Widget {
public:
    explicit Widget(int size) : size_(size) {}
    int size() const { return size_; }

private:
    int size_;
};
CPP
printf 'int   old_bad( ){return 1;}\n' > old_bad.cpp
commit base

# The change: a new badly formatted file, a new source with a use after move,
# and the header gains an implicit converting constructor.
printf '#include <string>\nint  bad_format(int a,int b){ return a+b; }\n' > bad_format.cpp
cat > bad_tidy.cpp <<'CPP'
#include <string>
#include <utility>

std::string reuse(std::string s) {
    std::string t = std::move(s);
    return s + t;
}
CPP
sed -i 's/    int size() const/    Widget(double size) : size_(static_cast<int>(size)) {}\n    int size() const/' widget.h
commit change

# A compile database, as CMake would write it.
python3 - "$r" > compile_commands.json <<'PY'
import json, sys
r = sys.argv[1]
print(json.dumps([{"directory": r, "file": f"{r}/{f}", "command": f"c++ -std=c++20 -Wall -fno-gnu-unique -c {r}/{f} -o {f}.o"}
                  for f in ("clean.cpp", "uses_widget.cpp", "old_bad.cpp", "bad_format.cpp", "bad_tidy.cpp")]))
PY

echo "== changed files (base HEAD~1: no origin/main here)"
run 1 --build "$r"
has '^FORMAT bad_format\.cpp: '
has '^TIDY   bad_tidy\.cpp:6:12: .*\[bugprone-use-after-move'
has '^TIDY   widget\.h:[0-9]+:[0-9]+: .*\[google-explicit-constructor'
hasnt 'old_bad\.cpp'
hasnt '^(FORMAT|TIDY) +clean\.cpp'
has 'FAILED, 3 finding\(s\) in 3 file\(s\)'

echo "== --all also finds the file nobody touched"
run 1 --build "$r" --all --no-tidy
has '^FORMAT old_bad\.cpp: '
has '^FORMAT bad_format\.cpp: '

echo "== --base HEAD: nothing changed since"
run 0 --build "$r" --base HEAD
has '^check-style: 0 C/C\+\+ file'

echo "== a clean file passes both checks"
run 0 --build "$r" clean.cpp
has '^check-style: clean'

echo "== --fix formats; then the format check passes"
run 0 --no-tidy --fix bad_format.cpp
has 'formatted 1 file'
run 0 --no-tidy bad_format.cpp

echo "== a change that only reformats is not tidied again"
commit fixed
run 0 --build "$r" bad_format.cpp
has '^TIDY|^check-style: clean'
hasnt 'only changed its format'
run 0 --build "$r" --base HEAD~1 bad_format.cpp
has 'bad_format\.cpp only changed its format since HEAD~1, not checked'

echo "== bad input is refused with a reason"
run 2 --jobs zero
has "--jobs wants a positive number, got 'zero'"
run 2 --build "$work/nowhere"
has 'no compile_commands.json'
echo "PASS"
