#!/usr/bin/env bash
# Installs the packages the way users do, in throwaway Debian containers, and
# runs a scan with them. Run by hand (about 5 minutes; apt downloads most of it):
#   packaging/test-packages.sh [BUILD_DIR]      (default build/default, built)
# Needs a Docker engine with the debian:bookworm-slim image, a Debian mirror
# reachable from containers, rpmbuild/cpio/patchelf/lintian (install-deps.sh).
# .deb: `apt-get install ./scanorch_*.deb ./scanorch-plugins_*.deb` into a fresh
#   container (dependencies from the mirror); checks the account, the 0750
#   data directory, the 0600 env file and its key; `scanorchctl config check`
#   and `scanorchd all` from /usr/bin against a nessus-emulator, one trusted
#   scan to completed; `apt-get purge`, then nothing left but /var/lib/scanorch,
#   the account that owns it, and the scanners.yaml the test wrote as an admin.
# .rpm: extracted (rpm2cpio | cpio) into a bare container that has none of the
#   bundled libraries (it gets libexpat1, the one system library the rpm
#   requires that the image lacks); `scanorchd --version`, `scanorchd plugins`,
#   and one trusted scan against the emulator.
# The emulator runs on this host's loopback from BUILD_DIR; containers use the
# host network to reach it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:-$root/build/default}" && pwd)
started=$(date +%s)
log() { echo "[$(($(date +%s) - started))s] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
containers=()
emulator=
cleanup() {
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  [ -n "$emulator" ] && kill "$emulator" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
docker info >/dev/null 2>&1 || fail "no Docker engine answering"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

log "packages from $build"
bash "$here/tests/check_deb.sh" "$build" "$work/deb" || fail "check_deb.sh"
bash "$here/tests/check_rpm.sh" "$build" "$work/rpm" || fail "check_rpm.sh"
ls -l "$work"/deb/*.deb "$work"/rpm/*.rpm | awk '{print "  " $5, $9}'

emu_port=$(free_port)
"$build/bin/nessus-emulator" --listen "127.0.0.1:$emu_port" --user admin:adminpw --target-account scan:scanpw \
  --scan-seconds 2 --export-seconds 0.1 >"$work/emulator.log" 2>&1 &
emulator=$!
for _ in $(seq 1 50); do grep -q listening "$work/emulator.log" && break; sleep 0.1; done
grep -q listening "$work/emulator.log" || fail "emulator did not start: $(cat "$work/emulator.log")"

# In the container: config for the emulator, the config check, and the daemon
# started from /usr/bin as USER (environment from the packaged env file, as
# the systemd units read it). The test's requests come from this host
# (host network), so the containers need no curl.
cat >"$work/start.sh" <<'SH'
set -eu
emu_port=$1 api_port=$2 user=$3
cat >/etc/scanorch/scanners.yaml <<YAML
scanners:
  - {instance_id: emulator, scanner_type: nessus, url: "http://127.0.0.1:$emu_port", credentials: {username: admin, password: adminpw}}
YAML
export SCANORCH_LISTEN=127.0.0.1:$api_port WORKER_POLL_MS=200
scanorchctl config check
if [ -f /etc/scanorch/scanorch.env ]; then set -a; . /etc/scanorch/scanorch.env; set +a; fi
if [ "$user" = root ]; then nohup scanorchd all >/tmp/scanorchd.log 2>&1 &
else nohup setpriv --reuid="$user" --regid="$user" --init-groups scanorchd all >/tmp/scanorchd.log 2>&1 &
fi
echo $! >/tmp/scanorchd.pid
SH

# scan CONTAINER: starts the daemon there, one trusted scan to completed with
# authentication success, stops the daemon.
scan() {
  local c=$1 api_port st id
  api_port=$(free_port)
  docker exec "$c" sh /tmp/start.sh "$emu_port" "$api_port" "$2" || return 1
  local base=http://127.0.0.1:$api_port
  for _ in $(seq 1 100); do curl -fs "$base/health" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "$base/health" >/dev/null || { docker exec "$c" cat /tmp/scanorchd.log; echo "scanorchd did not start"; return 1; }
  id=$(curl -s -X POST "$base/tools/run_trusted_scan" \
        -d '{"targets":"192.0.2.10","name":"package test","ssh_username":"scan","ssh_password":"scanpw"}' |
       python3 -c 'import json,sys; print(json.load(sys.stdin).get("task_id",""))')
  [ -n "$id" ] || { echo "no task id"; return 1; }
  for _ in $(seq 1 150); do
    st=$(curl -s -X POST "$base/tools/get_scan_status" -d "{\"task_id\":\"$id\"}")
    case "$st" in *'"status":"completed"'*|*'"status":"failed"'*) break ;; esac
    sleep 0.2
  done
  echo "$st" | grep -q '"status":"completed"' && echo "$st" | grep -q '"authentication_status":"success"' \
    || { echo "scan: $st"; docker exec "$c" tail -20 /tmp/scanorchd.log; return 1; }
  echo "  scan $id: completed, authentication success"
  docker exec "$c" sh -c 'kill $(cat /tmp/scanorchd.pid)'
}

log ".deb: install into a fresh debian:bookworm-slim"
c=scanorch-debtest-$$; containers+=("$c")
docker run -d --name "$c" --network host -v "$work:/pkg:ro" debian:bookworm-slim sleep 3600 >/dev/null
dx() { docker exec "$c" sh -c "$1"; }
dx 'apt-get update -qq && cd /pkg/deb && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ./scanorch_*.deb ./scanorch-plugins_*.deb >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }' \
  || fail "apt-get install of the .debs"
dx 'getent passwd scanorch | grep -q nologin' || fail "no scanorch system account"
[ "$(dx 'stat -c "%a %U" /var/lib/scanorch')" = "750 scanorch" ] || fail "/var/lib/scanorch: $(dx 'stat -c "%a %U" /var/lib/scanorch')"
[ "$(dx 'stat -c "%a %U" /etc/scanorch/scanorch.env')" = "600 root" ] || fail "scanorch.env is not 0600 root"
dx 'grep -Eq "^SCANORCH_CREDENTIAL_KEY=[0-9a-f]{64}$" /etc/scanorch/scanorch.env' || fail "scanorch.env has no 64-hex key"
key1=$(dx 'grep KEY= /etc/scanorch/scanorch.env')
dx 'DEBIAN_FRONTEND=noninteractive dpkg-reconfigure scanorch >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive dpkg --configure -a' || true
[ "$(dx 'grep KEY= /etc/scanorch/scanorch.env')" = "$key1" ] || fail "reconfiguring replaced the credential key"
log ".deb: account, data dir 0750, env file 0600 with a 64-hex key (kept on reconfigure)"
docker cp "$work/start.sh" "$c:/tmp/start.sh"
scan "$c" scanorch || fail ".deb: scan with the packaged daemon"
log ".deb: config check and a trusted scan to completed with the packaged daemon"
dx 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq scanorch scanorch-plugins >/tmp/purge.log 2>&1' || fail "apt-get purge"
# The admin's own scanners.yaml (written by start.sh) is not the package's to remove.
left=$(dx 'ls -d /etc/scanorch/* /etc/scanorch/.[!.]* /usr/lib/scanorch /usr/bin/scanorchd /usr/bin/scanorchctl /usr/lib/systemd/system/scanorchd* /usr/share/doc/scanorch* 2>/dev/null || true')
[ "$left" = /etc/scanorch/scanners.yaml ] || fail "left after purge: $left"
dx 'test -d /var/lib/scanorch/tasks' || fail "purge removed the task data"
log ".deb: purged; left: $(dx 'ls /var/lib/scanorch | tr "\n" " "')in /var/lib/scanorch, the scanorch account, the admin's scanners.yaml"

log ".rpm: extracted into a bare debian:bookworm-slim"
mkdir "$work/rpmroot"
(cd "$work/rpmroot" && rpm2cpio "$work"/rpm/scanorch-[0-9]*.rpm | cpio -idm --quiet)
c=scanorch-rpmtest-$$; containers+=("$c")
docker run -d --name "$c" --network host debian:bookworm-slim sleep 3600 >/dev/null
# Existing directories (/, /usr, /lib -> usr/lib) keep their modes and links.
tar -C "$work/rpmroot" -c $(ls "$work/rpmroot") | docker exec -i "$c" tar -C / --keep-directory-symlink --no-overwrite-dir -x
docker cp "$work/start.sh" "$c:/tmp/start.sh"
have=$(dx 'ldconfig -p | grep -E "libPoco|libyaml-cpp|libspdlog|libfmt|libprometheus|libhiredis" || true')
[ -z "$have" ] || fail "the bare container already has: $have"
# The rpm requires libexpat.so.1 (a RHEL 9 base library, like OpenSSL and
# zlib, which this image has): installed here as dnf would from the Requires.
dx 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libexpat1 >/dev/null 2>&1' \
  || fail "libexpat1 in the rpm container"
dx 'scanorchd --version' || fail ".rpm: scanorchd --version"
dx 'scanorchd plugins' >"$work/rpm-plugins.txt" || { cat "$work/rpm-plugins.txt"; fail ".rpm: scanorchd plugins"; }
grep -q "8 plugin(s) loaded" "$work/rpm-plugins.txt" || fail ".rpm: $(cat "$work/rpm-plugins.txt")"
dx 'mkdir -p /var/lib/scanorch'
scan "$c" root || fail ".rpm: scan with the extracted daemon"
log ".rpm: --version, 8 plugins loaded, a trusted scan to completed, with only the rpm's own libraries"
log "PASS"
