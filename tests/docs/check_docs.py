#!/usr/bin/env python3
"""The commands in the guides, checked against the programs.

Every ```sh block in README.md and docs/*.md is read:
- each `scanorchd` / `scanorchctl` invocation in it must use commands and
  options that the program's own `--help` lists (at the depth it names:
  `scanorchctl dlq retry --help` for `scanorchctl dlq retry ID`);
- a block preceded by `<!-- doc-test: run -->` is run, in order with the
  document's other such blocks, in one bash shell (set -euo pipefail)
  against a scanorchd it starts here with an emulated scanner; the documented
  address 127.0.0.1:8836 is replaced by the test's own port, and
  SCANORCH_TOKEN, SCANORCH_CONFIG and PATH point at the test's daemon;
- a ```json block preceded by `<!-- doc-test: answer -->` shows what the run
  block before it prints: it must hold as many JSON values as the block
  printed, each with the same top-level keys.

usage: check_docs.py SOURCE_DIR BIN_DIR PLUGIN_DIR
"""
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC, BIN, PLUGINS = sys.argv[1:4]
DOCS = [os.path.join(SRC, "README.md")] + sorted(
    os.path.join(SRC, "docs", f) for f in os.listdir(os.path.join(SRC, "docs")) if f.endswith(".md"))
PROGRAMS = ("scanorchd", "scanorchctl")
failures = []


def fail(where, what):
    failures.append(f"{where}: {what}")
    print(f"FAIL {where}: {what}")


def blocks(path):
    """(line, info, text, marker) for every fenced block; marker is the doc-test comment just before it."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out, i, marker = [], 0, None
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*$", lines[i])
        if m and m.group(1):
            start, info, body = i + 1, m.group(1), []
            i += 1
            while i < len(lines) and lines[i] != "```":
                body.append(lines[i])
                i += 1
            out.append((start, info, "\n".join(body), marker))
            marker = None
        else:
            mm = re.match(r"^<!-- doc-test: (run|answer) -->$", lines[i].strip())
            if mm:
                marker = mm.group(1)
            elif lines[i].strip():
                marker = None
        i += 1
    return out


# --- invocations against --help ------------------------------------------

help_cache = {}


def help_of(prog, path):
    key = (prog, tuple(path))
    if key not in help_cache:
        r = subprocess.run([os.path.join(BIN, prog), *path, "--help"], capture_output=True, text=True, timeout=30)
        help_cache[key] = (r.returncode, r.stdout + r.stderr)
    return help_cache[key]


def commands_of(text):
    """Each simple command of a shell snippet, as a token list (operators,
    redirections and parentheses end a command)."""
    text = re.sub(r"\\\n", " ", text)
    for line in text.split("\n"):
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        lex.commenters = "#"
        try:
            tokens = list(lex)
        except ValueError:
            continue  # a line of a multi-line string
        cmd = []
        for t in tokens + [";"]:
            if re.fullmatch(r"[();<>|&]+", t):
                if re.fullmatch(r"[<>]+", t) and cmd and cmd[-1].isdigit():
                    cmd.pop()  # 2>/dev/null: the fd is no argument
                if cmd:
                    yield cmd
                cmd = []
            else:
                cmd.append(t)


def check_invocation(where, cmd):
    while cmd and (re.match(r"^[A-Z_][A-Z0-9_]*=", cmd[0]) or cmd[0] in ("sudo", "exec", "time")):
        cmd = cmd[1:]
        if cmd and cmd[0] in ("-u",):
            cmd = cmd[2:]
    if cmd and cmd[0] in ("sh", "bash") and "-c" in cmd[:-1]:  # sudo sh -c '...; scanorchctl ...'
        return any([check_invocation(where, sub) for sub in commands_of(cmd[cmd.index("-c") + 1])])
    if not cmd or os.path.basename(cmd[0]) not in PROGRAMS:
        return False
    prog, path, args = os.path.basename(cmd[0]), [], cmd[1:]
    rc, text = help_of(prog, path)
    if rc != 0:
        fail(where, f"`{prog} --help` exits {rc}")
        return True
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-"):
            name = a.split("=", 1)[0]
            if name.startswith("--"):
                ok = re.search(r"(^|[\s,\[])" + re.escape(name) + r"([=\s\],]|$)", text, re.M)
            else:
                ok = re.search(r"(^|[\s,\[])" + re.escape(name) + r"[A-Z=\s,]", text, re.M)
            if not ok:
                fail(where, f"`{' '.join(cmd)}`: option {name} is not in `{prog} {' '.join(path)} --help`")
            takes_value = re.search(re.escape(name) + r"=[A-Z]", text) and "=" not in a
            i += 2 if takes_value else 1
            continue
        section = re.search(r"^Commands:\n((?:.+\n?)+)", text, re.M)  # to the blank line; wrapped lines have no indent
        known = re.findall(r"^  (\S+)", section.group(1), re.M) if section else []
        if a in known:
            path.append(a)
            rc, text = help_of(prog, path)
            if rc != 0:
                fail(where, f"`{prog} {' '.join(path)} --help` exits {rc}")
                return True
        elif section and not path_has_positional(prog, path):
            fail(where, f"`{' '.join(cmd)}`: '{a}' is not a command of `{prog} {' '.join(path)}` ({', '.join(known)})")
            return True
        elif prog == "scanorchd" and not path and a not in ("all", "api", "worker", "plugins"):
            fail(where, f"`{' '.join(cmd)}`: '{a}' is not a scanorchd mode")
        i += 1
    return True


def path_has_positional(prog, path):
    # A command that lists sub-commands takes no free argument at that level.
    return False


# --- the daemon the run blocks talk to -------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, seconds, what):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return
        time.sleep(0.1)
    raise SystemExit(f"FAIL: {what}")


work = tempfile.mkdtemp(prefix="scanorch-docs-")
procs = []


def stop_all(*_):
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(work, ignore_errors=True)


def start_env():
    emu_log = open(os.path.join(work, "emulator.log"), "w")
    emu = subprocess.Popen([os.path.join(BIN, "nessus-emulator"), "--listen", "127.0.0.1:0", "--user", "admin:adminpw",
                            "--target-account", "svc_scan:scan-pass-2024", "--scan-seconds", "1",
                            "--export-seconds", "0.1"], stdout=emu_log, stderr=subprocess.STDOUT)
    procs.append(emu)
    url = []

    def emulator_up():
        m = re.search(r"http://127\.0\.0\.1:\d+", open(os.path.join(work, "emulator.log")).read())
        if m:
            url.append(m.group(0))
        return bool(m)
    wait_for(emulator_up, 10, "the emulator did not start")
    port = free_port()
    token = "docs-test-token-0123456789abcdef"
    with open(os.path.join(work, "scanners.yaml"), "w") as f:
        f.write("scanners:\n  - {instance_id: nessus_1, scanner_type: nessus, url: '%s', max_concurrent_scans: 4,"
                " credentials: {username: admin, password: adminpw}, zones: [192.0.2.0/24]}\n" % url[0])
    with open(os.path.join(work, "scanorch.yaml"), "w") as f:
        f.write(f"""plugin_dir: {PLUGINS}
data_dir: {work}/data
scanners_file: scanners.yaml
scope: [192.0.2.0/24]
workers: {{poll_interval_ms: 200}}
plugins:
  queue: {{use: memory-queue}}
  frontend:
    use: http
    config:
      listen: "127.0.0.1:{port}"
      clients:
        docs: {{token: "{token}"}}
""")
    log = open(os.path.join(work, "scanorchd.log"), "w")
    d = subprocess.Popen([os.path.join(BIN, "scanorchd"), "--config", os.path.join(work, "scanorch.yaml"), "all"],
                         stdout=log, stderr=subprocess.STDOUT)
    procs.append(d)

    def healthy():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).status == 200
        except Exception:
            return False
    wait_for(healthy, 15, "scanorchd did not answer /health")
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], SCANORCH_TOKEN=token,
               SCANORCH_CONFIG=os.path.join(work, "scanorch.yaml"))
    return port, env


def json_values(text):
    dec, i, out = json.JSONDecoder(), 0, []
    text = text.strip()
    while i < len(text):
        v, j = dec.raw_decode(text, i)
        out.append(v)
        i = j
        while i < len(text) and text[i].isspace():
            i += 1
    return out


def run_document(path, doc_blocks, port, env):
    """The document's run blocks in one bash, in order, so a block may use the
    variables an earlier one set (TASK=...); each block's output to its own file."""
    rel = os.path.relpath(path, SRC)
    d = tempfile.mkdtemp(dir=work)
    script, runs = ["set -euo pipefail"], []
    for line, info, text, marker in doc_blocks:
        if marker == "run":
            n = len(runs)
            runs.append(line)
            body = text.replace("127.0.0.1:8836", f"127.0.0.1:{port}")
            script.append(f"echo {n} >{d}/current\n{{\n{body}\n}} >{d}/out.{n} 2>{d}/err.{n}")
    script.append(f"echo done >{d}/current")
    r = subprocess.run(["bash", "-c", "\n".join(script)], env=env, capture_output=True, text=True, timeout=300, cwd=d)
    reached = open(f"{d}/current").read().strip() if os.path.exists(f"{d}/current") else "0"
    outputs = {}
    for n, line in enumerate(runs):
        where = f"{rel}:{line}"
        if reached != "done" and n == int(reached):
            err = open(f"{d}/err.{n}").read() if os.path.exists(f"{d}/err.{n}") else r.stderr
            out = open(f"{d}/out.{n}").read() if os.path.exists(f"{d}/out.{n}") else ""
            fail(where, f"exit {r.returncode}\n--- stdout\n{out}\n--- stderr\n{err}")
            break
        outputs[line] = open(f"{d}/out.{n}").read()
        print(f"ok {where}: ran")
        if os.environ.get("DOCS_TEST_SHOW"):  # to refresh the answers shown in the docs
            print(outputs[line])
    last_output = None
    for line, info, text, marker in doc_blocks:
        where = f"{rel}:{line}"
        if marker == "run":
            last_output = outputs.get(line)
        elif marker == "answer":
            if last_output is None:
                fail(where, "an answer block with no (successful) run block before it")
                continue
            try:
                shown, printed = json_values(text), json_values(last_output)
            except ValueError as e:
                fail(where, f"not JSON ({e}); the command printed:\n{last_output}")
                continue
            if len(shown) != len(printed):
                fail(where, f"shows {len(shown)} JSON value(s), the command printed {len(printed)}")
            for a, b in zip(shown, printed):
                if isinstance(a, dict) and isinstance(b, dict) and set(a) != set(b):
                    fail(where, f"keys differ from the live answer: only in the doc {sorted(set(a) - set(b))}, "
                                f"only in the answer {sorted(set(b) - set(a))}")
            print(f"ok {where}: the answer shown has the live answer's keys")
            last_output = None


def main():
    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(1)))
    invocations, runs = 0, 0
    parsed = {p: blocks(p) for p in DOCS}
    for path, bl in parsed.items():
        rel = os.path.relpath(path, SRC)
        for line, info, text, marker in bl:
            if info in ("sh", "bash"):
                for cmd in commands_of(text):
                    invocations += check_invocation(f"{rel}:{line}", cmd)
            if marker == "run":
                runs += 1
                if info not in ("sh", "bash"):
                    fail(f"{rel}:{line}", "a run marker on a block that is not sh")
    print(f"checked {invocations} scanorchd/scanorchctl invocations against --help")
    if invocations < 10 or runs < 5:
        fail("docs", f"too little to check ({invocations} invocations, {runs} run blocks): did the markers change?")
    try:
        port, env = start_env()
        for path, bl in parsed.items():
            if any(m in ("run", "answer") for _, _, _, m in bl):
                run_document(path, bl, port, env)
    finally:
        stop_all()
    print(f"{runs} run blocks; {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


main()
