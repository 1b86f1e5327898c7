#!/usr/bin/env python3
"""The emulator's route table from outside, against a real nessus-emulator:
a path no route knows is 404, a known path asked with another method is 405
with Allow, path parameters have their types ({id:int}, {token:hex}), and a
route's access (open, session, scan control) still decides 401 and 412.

    emulator_routes_test.py NESSUS_EMULATOR
"""
import http.client
import json
import re
import subprocess
import sys

FAILURES = []


def start(binary, *args):
    proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--user", "admin:adminpw", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not m:
        proc.kill()
        sys.exit(f"FAIL: nessus-emulator did not start: {line!r}")
    return proc, int(m.group(1))


def call(port, method, path, body=None, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Cookie"] = "token=" + token
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        data = json.loads(data) if data else None
    except ValueError:
        pass
    return r.status, r.getheader("Allow"), data


def expect(what, got, status, allow=None, error=None):
    st, al, body = got
    problems = []
    if st != status:
        problems.append(f"status {st}, expected {status}")
    if al != allow:
        problems.append(f"Allow {al!r}, expected {allow!r}")
    if error is not None and (not isinstance(body, dict) or body.get("error") != error):
        problems.append(f"body {body!r}, expected error {error!r}")
    if problems:
        FAILURES.append(f"{what}: " + "; ".join(problems))
    print(("ok   " if not problems else "FAIL ") + what)


def login(port):
    st, _, body = call(port, "POST", "/session", json.dumps({"username": "admin", "password": "adminpw"}))
    if st != 200:
        sys.exit(f"FAIL: login answered {st}: {body!r}")
    return body["token"]


def main(binary):
    proc, port = start(binary)
    try:
        t = login(port)
        nf = "The requested resource was not found: "
        expect("unknown path, no session: 404", call(port, "GET", "/nope"), 404, error=nf + "GET /nope")
        expect("unknown path with a session: 404", call(port, "GET", "/nope", token=t), 404, error=nf + "GET /nope")
        expect("trailing slash is another path", call(port, "GET", "/scans/", token=t), 404, error=nf + "GET /scans/")
        expect("{id:int} refuses letters", call(port, "GET", "/scans/abc", token=t), 404, error=nf + "GET /scans/abc")
        expect("{token:hex} refuses upper case", call(port, "GET", "/tokens/ABC/status", token=t), 404,
               error=nf + "GET /tokens/ABC/status")
        expect("known shape, unknown scan", call(port, "GET", "/scans/12345", token=t), 404, error="Scan does not exist.")
        expect("an id beyond int is an unknown scan", call(port, "GET", "/scans/99999999999999999999", token=t), 404,
               error="Scan does not exist.")
        expect("PUT /scans/{id}: 405", call(port, "PUT", "/scans/5", "{}", token=t), 405, allow="GET, DELETE",
               error="Method not allowed")
        expect("PATCH /session: 405 with its three methods", call(port, "PATCH", "/session", token=t), 405,
               allow="POST, DELETE, GET", error="Method not allowed")
        expect("GET on a POST-only action: 405", call(port, "GET", "/scans/5/launch", token=t), 405, allow="POST")
        expect("POST /emulator/stats: 405", call(port, "POST", "/emulator/stats"), 405, allow="GET")
        expect("session route without a session: 401", call(port, "GET", "/scans"), 401, error="Invalid Credentials")
        expect("open route without a session: 200", call(port, "GET", "/server/status"), 200)
        st, _, body = call(port, "GET", "/emulator/stats")
        if body.get("unknown_scan_requests") != 4:  # /scans/, /scans/abc, /scans/12345, the big id
            FAILURES.append(f"unknown_scan_requests is {body.get('unknown_scan_requests')}, expected 4")
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    proc, port = start(binary, "--licence-gate")
    try:
        t = login(port)
        expect("scan control behind --licence-gate: 412", call(port, "POST", "/scans", "{}", token=t), 412,
               error="API is not available")
        expect("reading is not scan control: 200", call(port, "GET", "/scans", token=t), 200)
        expect("405 comes before the gate", call(port, "GET", "/scans/5/stop", token=t), 405, allow="POST")
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    if FAILURES:
        print("\n".join(["", "FAILED:"] + FAILURES))
        return 1
    print("route table behaves as documented")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
