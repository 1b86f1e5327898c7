#!/usr/bin/env bash
# `systemd-analyze verify` over the packaged units; any message fails (the
# tool exits 0 on unknown keys and bad values, and only warns).
#   verify_units.sh UNIT_DIR SCANORCHD
# ExecStart names /usr/bin/scanorchd, which verify requires to exist: the
# copies checked here point at the built binary instead. Exit 77 (skipped)
# when systemd-analyze is missing or cannot run here.
set -u
units=$1 scanorchd=$2
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: systemd-analyze not installed (apt-get install systemd)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! systemd-analyze verify --help >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze verify cannot run here"; exit 77
fi
for f in "$units"/*.service; do
  sed "s|/usr/bin/scanorchd|$scanorchd|g" "$f" >"$work/$(basename "$f")"
done
# A template is verified through an instance, as systemd would load it.
names=()
for f in "$work"/*.service; do
  n=$(basename "$f")
  case "$n" in
    *@.service) names+=("$work/${n%@.service}@nessus_prod_1.service") ;;
    *) names+=("$f") ;;
  esac
done
[ ${#names[@]} -ge 3 ] || { echo "FAIL: expected 3 units in $units, found ${#names[@]}"; exit 1; }
status=0
for u in "${names[@]}"; do
  out=$(cd "$work" && systemd-analyze verify "$u" 2>&1)
  rc=$?
  if [ $rc -ne 0 ] || [ -n "$out" ]; then
    echo "FAIL: $(basename "$u") (exit $rc):"; echo "$out"; status=1
  else
    echo "ok $(basename "$u")"
  fi
done
# The hardening and limits every unit must keep.
for f in "$units"/*.service; do
  for key in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/scanorch PrivateTmp=yes \
             ProtectHome=yes CapabilityBoundingSet= Restart=always User=scanorch MemoryMax= CPUQuota= TimeoutStopSec=; do
    grep -q "^$key" "$f" || { echo "FAIL: $(basename "$f") lacks $key"; status=1; }
  done
done
exit $status
