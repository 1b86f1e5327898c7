#!/usr/bin/env python3
"""Submits untrusted scans back to back over one keep-alive connection.

    submit_scans.py PORT COUNT [--times]

Scan i (from 0) targets 192.0.2.(i % 254 + 1). Each reply is read before the
next request, so the submissions go as fast as scanorchd answers them: one
process and one connection, not a process per request, whose start-up on a
loaded machine can take longer than the scans it is meant to overlap.
Prints each task id on a line of its own; with --times, one line
"T0 T1 P50 P99 MAX" instead: monotonic seconds around the whole run, then
the percentiles of one submission's round trip, in ms (a few long stalls
and a uniformly slow path give the same rate, and call for different
fixes). Exits non-zero, naming
the submission, at the first answer other than 200.

HTTP/1.1 is spoken on a plain socket: http.client parses each reply's
headers with the email package, which took 0.3 ms of CPU per request, as
much as scanorchd's own work on a submission and on the same cores the
benchmarks measure. The replies are read by their Content-Length, which
scanorchd's front end always sends.
"""
import json
import socket
import sys
import time

MAX_HEAD = 64 * 1024  # a reply's status line and headers
MAX_BODY = 16 * 1024 * 1024


class Connection:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        try:
            self.sock.sendall(head + body)
        except OSError as e:
            sys.exit(f"cannot send to the server: {e}")
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            if len(self.buf) > MAX_HEAD:
                sys.exit(f"a reply's headers run past {MAX_HEAD} bytes: {self.buf[:200]!r}")
            self._fill()
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        self.buf = self.buf[end + 4:]
        status = int(lines[0].split(" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value) if value.strip().isdigit() else -1
        if length is None:
            sys.exit(f"a reply without Content-Length: {lines[0]!r}")
        if not 0 <= length <= MAX_BODY:
            sys.exit(f"a reply with a Content-Length that is not 0 to {MAX_BODY}: {lines[0]!r}")
        while len(self.buf) < length:
            self._fill()
        data, self.buf = self.buf[:length], self.buf[length:]
        return status, data

    def _fill(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except OSError as e:  # a timeout too: no answer within 60 s
            sys.exit(f"no reply from the server: {e}")
        if not chunk:
            sys.exit("the server closed the connection")
        self.buf += chunk


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    times = "--times" in sys.argv[3:]
    conn = Connection(port)
    ids = []
    took = []
    t0 = time.monotonic()
    for i in range(count):
        body = json.dumps({"targets": f"192.0.2.{i % 254 + 1}", "name": f"scale {i}"}).encode()
        sent = time.monotonic()
        status, data = conn.post("/tools/run_untrusted_scan", body)
        took.append(time.monotonic() - sent)
        if status != 200:
            sys.exit(f"submission {i} answered {status}: {data[:300]!r}")
        if not times:
            ids.append(json.loads(data)["task_id"])
    t1 = time.monotonic()
    if times:
        took.sort()
        pct = lambda p: 1000 * took[min(len(took) - 1, int(p * len(took)))] if took else 0.0
        print(f"{t0} {t1} {pct(0.5):.3f} {pct(0.99):.3f} {1000 * took[-1] if took else 0.0:.3f}")
    else:
        print("\n".join(ids))


if __name__ == "__main__":
    main()
