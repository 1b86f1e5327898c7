#!/usr/bin/env bash
# Installs every Debian 12 package scanorch needs to build, test and run.
# One list, used by README.md and .ci/run, so they cannot drift.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev                       # Boost.DLL (header-only in 1.74), Boost.Asio
  libpoco-dev                        # Net, NetSSL, Crypto, JSON, Util, XML
  libhiredis-dev libyaml-cpp-dev prometheus-cpp-dev
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libssl-dev
  redis-server redis-tools           # integration tests start their own on loopback
  libsqlite3-dev                     # sqlite-store
  libpq-dev postgresql               # postgres-store; the store contract starts its own server (initdb, pg_ctl)
  expat                              # xmlwf, the validator benchmark's ceiling
  openssl                            # the TLS tests make their own CA
  curl                               # the quick start's first request
  prometheus                         # promtool: the monitoring test checks the scrape config and alert rules
  python3 python3-yaml jq            # the monitoring and docs tests (the guides' commands use jq)
  nmap                               # the nmap-scanner sample's tests run it against 127.0.0.1
  file rpm cpio patchelf             # CPack: .deb shlibdeps, rpmbuild, the rpm's bundled libraries
  lintian                            # packaging tests: the .debs are lintian clean
  systemd                            # packaging tests: systemd-analyze verify of the units
  clang-format clang-tidy            # scripts/check-style.sh, run by .ci/run on changed files
)

# Node.js + npm run the official MCP SDK test client. Any Node >= 18 with npm
# will do (NodeSource's nodejs bundles npm and conflicts with Debian's npm).
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
