#!/usr/bin/env python3
"""Replays the recorded Nessus exchanges (nessus_exchanges.json) against a
real nessus-emulator process, field by field: every integration test trusts
the emulator, so it must answer as Nessus was recorded answering.

    emulator_contract_test.py NESSUS_EMULATOR [EXCHANGES_JSON]
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

DEADLINE_S = 30  # for any one 'until' step


def start(binary, args):
    proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    m = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    if not m:
        proc.kill()
        sys.exit(f"FAIL: nessus-emulator did not start: {line!r}")
    return proc, m.group(1)


def call(base, step, saved):
    path = step["path"].format(**saved)
    data = json.dumps(step["json"]).encode() if "json" in step else None
    req = urllib.request.Request(base + path, data=data, method=step["method"])
    if data is not None:
        req.add_header("Content-Type", "application/json")
    auth = step.get("auth", "session")
    if auth == "session":
        req.add_header("X-Cookie", "token=" + saved["token"])
    elif auth == "bogus":
        req.add_header("X-Cookie", "token=0123456789abcdef0123456789abcdef")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def value_at(body, path):
    v = body
    for part in filter(None, path.split(".")):
        if isinstance(v, list):
            v = v[int(part)]
        elif isinstance(v, dict) and part in v:
            v = v[part]
        else:
            raise KeyError(path)
    return v


TYPES = {"string": str, "array": list, "object": dict, "null": type(None)}


def check(body, checks, saved):
    """The first broken expectation, or None."""
    for path, spec in checks.items():
        try:
            v = value_at(body, path)
        except (KeyError, IndexError, ValueError):
            return f"'{path}' is missing"
        t = spec.get("type")
        if t == "int" and not (isinstance(v, int) and not isinstance(v, bool)):
            return f"'{path}' is {v!r}, not an integer"
        if t in TYPES and not isinstance(v, TYPES[t]):
            return f"'{path}' is {v!r}, not {t}"
        if "equals" in spec and v != spec["equals"]:
            return f"'{path}' is {v!r}, expected {spec['equals']!r}"
        if "prefix" in spec and not (isinstance(v, str) and v.startswith(spec["prefix"])):
            return f"'{path}' is {v!r}, expected to start with {spec['prefix']!r}"
        if "same_as" in spec and v != saved[spec["same_as"]]:
            return f"'{path}' is {v!r}, expected {spec['same_as']} = {saved[spec['same_as']]!r}"
        if "keys" in spec:
            missing = [k for k in spec["keys"] if not isinstance(v, dict) or k not in v]
            if missing:
                return f"'{path or 'the body'}' lacks {missing}"
    return None


def run(binary, data):
    failures = 0
    for seq in data["sequences"]:
        proc, base = start(binary, data["servers"][seq["server"]])
        saved = {}
        try:
            for step in seq["steps"]:
                label = f"{seq['name']}: {step['name']} ({step['method']} {step['path']})"
                end = time.monotonic() + DEADLINE_S
                while True:
                    status, raw = call(base, step, saved)
                    body = None
                    try:
                        body = json.loads(raw) if raw else None
                    except ValueError:
                        pass
                    waiting = step.get("until")
                    if not waiting or (body is not None and check(body, waiting, saved) is None) or time.monotonic() > end:
                        break
                    time.sleep(0.2)
                problem = None
                if status != step["status"]:
                    problem = f"HTTP {status}, expected {step['status']}: {raw[:200]!r}"
                elif waiting and check(body, waiting, saved):
                    problem = f"not within {DEADLINE_S} s: " + check(body, waiting, saved)
                elif "raw_contains" in step and step["raw_contains"].encode() not in raw:
                    problem = f"the body lacks {step['raw_contains']!r}: {raw[:200]!r}"
                elif step.get("body") is not None:
                    problem = "the body is not JSON" if body is None and step["body"] else check(body or {}, step["body"], saved)
                if problem:
                    failures += 1
                    print(f"FAIL {label}: {problem}")
                    if "save" in step:
                        break  # later steps need what this one should have given
                    continue
                for name, path in step.get("save", {}).items():
                    saved[name] = value_at(body, path)
                print(f"ok   {label}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return failures


if __name__ == "__main__":
    exchanges = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "nessus_exchanges.json")
    with open(exchanges) as f:
        failed = run(sys.argv[1], json.load(f))
    print(f"{failed} exchange(s) differ from the recordings" if failed else "the emulator answers as recorded")
    sys.exit(1 if failed else 0)
