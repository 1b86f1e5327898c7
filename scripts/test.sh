#!/usr/bin/env bash
# Builds scanorch and runs every test: the one command for newcomers and CI.
#   scripts/test.sh            installs missing Debian packages, then the `default` workflow
#   PRESET=asan scripts/test.sh   the same under AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The official MCP SDK client for the end-to-end test, exactly as locked.
(cd tests/mcp-client && npm ci --no-audit --no-fund --loglevel=error)
cmake --workflow --preset "${PRESET:-default}"
