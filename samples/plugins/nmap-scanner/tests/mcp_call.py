#!/usr/bin/env python3
"""Calls one MCP tool over scanorch's Streamable HTTP endpoint, as an MCP
client does: initialize, notifications/initialized, tools/call, then DELETE
of the session. Prints the call's structuredContent as JSON; exits 1 (with
the text) when the tool reports an error.
  mcp_call.py http://127.0.0.1:PORT/mcp TOOL '{"arg": ...}'"""
import json
import sys
import urllib.request

PROTOCOL = "2025-11-25"


def post(url, body, session=None):
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if session:
        headers.update({"Mcp-Session-Id": session, "MCP-Protocol-Version": PROTOCOL})
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
        sid = r.headers.get("Mcp-Session-Id")
        if r.headers.get("Content-Type", "").startswith("text/event-stream"):
            data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
            text = data[-1] if data else ""
    return (json.loads(text) if text.strip() else None), sid


def main():
    url, tool, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3] if len(sys.argv) > 3 else "{}")
    init, session = post(url, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                               "params": {"protocolVersion": PROTOCOL, "capabilities": {},
                                          "clientInfo": {"name": "nmap-e2e", "version": "1"}}})
    if not session or "result" not in init:
        sys.exit(f"initialize failed: {init}")
    try:
        post(url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
        reply, _ = post(url, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                              "params": {"name": tool, "arguments": args}}, session)
    finally:
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE", headers={
            "Mcp-Session-Id": session, "MCP-Protocol-Version": PROTOCOL}), timeout=10).close()
    if "error" in reply:
        sys.exit(f"{tool}: JSON-RPC error {reply['error']}")
    result = reply["result"]
    if result.get("isError"):
        print(result["content"][0]["text"])
        sys.exit(1)
    print(json.dumps(result["structuredContent"]))


main()
