#!/usr/bin/env python3
"""TCP listeners on 127.0.0.1 for nmap to find: each PORT[:BANNER] accepts,
sends BANNER (if any) and closes, so nmap -sV finishes at once. Prints
"ready" once every port listens; runs until killed.
  listeners.py 20121:SSH-2.0-OpenSSH_9.2p1 20122 ..."""
import socket
import sys
import threading
import time


def serve(sock, banner):
    while True:
        conn, _ = sock.accept()
        try:
            if banner:
                conn.sendall(banner.encode() + b"\r\n")
        except OSError:
            pass
        conn.close()


for spec in sys.argv[1:]:
    port, _, banner = spec.partition(":")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen(16)
    threading.Thread(target=serve, args=(s, banner), daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
