#!/usr/bin/env python3
"""Submits untrusted scans back to back over one keep-alive connection.

    submit_scans.py PORT COUNT [--times]

Scan i (from 0) targets 192.0.2.(i % 254 + 1). Each reply is read before the
next request, so the submissions go as fast as scanorchd answers them: one
process and one connection, not a process per request, whose start-up on a
loaded machine can take longer than the scans it is meant to overlap.
Prints each task id on a line of its own; with --times, one line "T0 T1"
instead (monotonic seconds around the whole run). Exits non-zero, naming
the submission, at the first answer other than 200.
"""
import http.client
import json
import sys
import time


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    times = "--times" in sys.argv[3:]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    ids = []
    t0 = time.monotonic()
    for i in range(count):
        body = json.dumps({"targets": f"192.0.2.{i % 254 + 1}", "name": f"scale {i}"})
        conn.request("POST", "/tools/run_untrusted_scan", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            sys.exit(f"submission {i} answered {r.status}: {data[:300]!r}")
        if not times:
            ids.append(json.loads(data)["task_id"])
    t1 = time.monotonic()
    print(f"{t0} {t1}" if times else "\n".join(ids))


if __name__ == "__main__":
    main()
