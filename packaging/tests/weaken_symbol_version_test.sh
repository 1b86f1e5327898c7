#!/usr/bin/env bash
# Proves rpm/weaken_symbol_version.py on the situation it exists for, in
# miniature: a library built against a "new" libfoo that has foo_wait@@FOO_2 and
# foo_wait@FOO_1, run where libfoo only has foo_wait@@FOO_1 (as GCC 12's and RHEL 9's
# libstdc++ differ on condition_variable::wait; FOO_0 plays GLIBCXX_3.4). Unpatched it must fail to
# load; patched it must load and call FOO_1's wait. Needs cc and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v cc >/dev/null || { echo "SKIP: no C compiler"; exit 77; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
mkdir new old
cat >new.map <<'MAP'
FOO_0 { global: foo_base; local: *; };
FOO_1 { global: foo_wait; } FOO_0;
FOO_2 { global: foo_wait; } FOO_1;
MAP
cat >new.c <<'C'
int foo_base(void) { return 0; }
int wait_1(void) { return 1; }
int wait_2(void) { return 2; }
__asm__(".symver wait_1, foo_wait@FOO_1");
__asm__(".symver wait_2, foo_wait@@FOO_2");
C
printf 'FOO_0 { global: foo_base; local: *; };\nFOO_1 { global: foo_wait; } FOO_0;\n' >old.map
printf 'int foo_base(void) { return 0; }\nint foo_wait(void) { return 1; }\n' >old.c
cc -shared -fPIC -o new/libfoo.so.1 -Wl,-soname,libfoo.so.1 -Wl,--version-script,new.map new.c
cc -shared -fPIC -o old/libfoo.so.1 -Wl,-soname,libfoo.so.1 -Wl,--version-script,old.map old.c
# The "bundled" library, linked against the new libfoo.
# It also needs FOO_0 (foo_base), as libspdlog needs GLIBCXX_3.4 besides 3.4.30.
printf 'int foo_wait(void);\nint foo_base(void);\nint call_wait(void) { return foo_base() + foo_wait(); }\n' >user.c
cc -shared -fPIC -o libuser.so user.c new/libfoo.so.1
printf '#include <stdio.h>\nint call_wait(void);\nint main(void) { printf("%%d\\n", call_wait()); return 0; }\n' >main.c
cc -o main main.c -L. -luser -Wl,-rpath,'$ORIGIN' -Wl,-rpath-link,new
[ "$(LD_LIBRARY_PATH=new ./main)" = 2 ] || { echo "FAIL: setup: the new library should give 2"; exit 1; }
if LD_LIBRARY_PATH=old ./main >out.txt 2>&1; then echo "FAIL: unpatched, it loaded on the old library"; exit 1; fi
grep -q "FOO_2' not found" out.txt || { cat out.txt; echo "FAIL: unexpected error"; exit 1; }
python3 "$here/../rpm/weaken_symbol_version.py" libuser.so libfoo.so.1 FOO_2 foo_wait
LD_LIBRARY_PATH=old ./main >out.txt 2>&1 || { cat out.txt; echo "FAIL: patched, it does not load on the old library"; exit 1; }
[ "$(cat out.txt)" = 1 ] || { cat out.txt; echo "FAIL: patched, on the old library: not FOO_1's foo_wait alone, no warning"; exit 1; }
[ "$(LD_LIBRARY_PATH=new ./main)" = 2 ] || { echo "FAIL: patched, it no longer binds the new library's default"; exit 1; }
# A symbol left on the version it weakens is refused.
cc -shared -fPIC -o libuser2.so user.c new/libfoo.so.1
if python3 "$here/../rpm/weaken_symbol_version.py" libuser2.so libfoo.so.1 FOO_2 other_symbol 2>/dev/null; then
  echo "FAIL: patched a library whose other symbols still need FOO_2"; exit 1
fi
echo "ok: unpatched fails on the old library; patched runs on both (old: FOO_1's wait, new: FOO_2's)"
