#!/usr/bin/env bash
# packaging/monitoring against the programs: promtool accepts the scrape
# config and the alert rules and the rules' unit tests pass, and every metric
# name that an alert or a dashboard query uses is one a running scanorchd
# exports. A name may be missing before the event that creates its first
# series only if the allow-list below says so and why; after a scan that
# succeeds and a trusted scan that fails to log in, every such name must be
# there too.
#   monitoring_test.sh SCANORCHD NESSUS_EMULATOR PLUGIN_DIR SOURCE_DIR
set -u
scanorchd=$1 emulator=$2 plugins=$3 src=$4
. "$(dirname "$0")/../support/processes.sh"
mon=$src/packaging/monitoring
command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus; scripts/install-deps.sh installs it)"

promtool check config "$mon/prometheus.yml" >"$work/promtool.log" 2>&1 || { cat "$work/promtool.log"; fail "promtool check config"; }
promtool check rules "$mon/scanorch-alerts.yml" >"$work/promtool.log" 2>&1 || { cat "$work/promtool.log"; fail "promtool check rules"; }
(cd "$mon" && promtool test rules scanorch-alerts.test.yml) >"$work/promtool.log" 2>&1 || { cat "$work/promtool.log"; fail "promtool test rules"; }
echo "ok promtool: config, rules and rule tests"

# Names the queries use, from every PromQL expression: alert rules, dashboard
# panels and template variables.
/usr/bin/python3 - "$mon" >"$work/names" <<'PY' || fail "cannot read the queries"
import json, re, sys, yaml
mon = sys.argv[1]
exprs = [r["expr"] for g in yaml.safe_load(open(f"{mon}/scanorch-alerts.yml"))["groups"] for r in g["rules"]]
dash = json.load(open(f"{mon}/grafana-dashboard.json"))
exprs += [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
exprs += [v["query"]["query"] for v in dash["templating"]["list"] if isinstance(v.get("query"), dict)]
keywords = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}
names = set()
for e in exprs:
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', e)      # strings
    e = re.sub(r"\{[^}]*\}", "", e)                 # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)  # label lists
    e = re.sub(r"label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)", r"\1", e)       # Grafana's helper
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?", e):
        word = m.group(0).rstrip("( \t")
        if m.group(1) or word in keywords or re.fullmatch(r"\d+\w*", word):
            continue  # a function call, a keyword, or a number/duration
        names.add(word)
print("\n".join(sorted(names)))
PY
[ "$(grep -c . "$work/names")" -ge 10 ] || fail "too few metric names found in the queries: $(cat "$work/names")"

# Names allowed to be absent, with why. `up` is Prometheus's own.
declare -A generated=([up]="written by Prometheus for each target, not by scanorchd")
# Finished tasks, authentication and validation failures are created at zero
# (per scanner, scan type, status, reason) where a worker runs, so they are
# not here: their first event must be an increase the alerts see.
declare -A after_event=(
  [scanorch_nessus_api_requests_total]="labelled by scanner and HTTP status, and a status is known only once a scanner answers"
  [scanorch_http_requests_total]="labelled by endpoint and status: appears with the first request the front end answers"
)

free_port rport; free_port hport
start_emulator emu "$emulator" --user admin:adminpw --target-account scan:scanpw --scan-seconds 1 --export-seconds 0.1
cat >"$work/scanners.yaml" <<YAML
scanners:
  - {instance_id: lab_1, scanner_type: nessus, url: '$emulator_url', credentials: {username: admin, password: adminpw}}
YAML
write_config listen="$hport"
base=http://127.0.0.1:$hport
start_scanorchd "$scanorchd" "$work/scanorch.yaml" "$base" all

check() {  # PHASE — every name exported, or allowed to be missing in this phase
  local phase=$1 missing=0
  curl -fs "$base/metrics" >"$work/metrics.$phase" || fail "$phase: no /metrics"
  while read -r n; do
    grep -Eq "^$n(\{| )" "$work/metrics.$phase" && continue
    if [ -n "${generated[$n]:-}" ]; then echo "  allowed: $n (${generated[$n]})"; continue; fi
    if [ "$phase" = before ] && [ -n "${after_event[$n]:-}" ]; then echo "  allowed before events: $n (${after_event[$n]})"; continue; fi
    echo "  MISSING ($phase): $n"; missing=1
  done <"$work/names"
  [ $missing = 0 ] || fail "queries use metrics that scanorchd does not export ($phase the scans)"
  echo "ok $phase the scans: $(grep -c . "$work/names") names checked"
}
check before

submit() { curl -s -X POST "$base/tools/$1" -d "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])'; }
good=$(submit run_untrusted_scan '{"targets":"192.0.2.10","name":"ok"}') || fail "submit"
bad=$(submit run_trusted_scan '{"targets":"192.0.2.11","name":"bad login","ssh_username":"scan","ssh_password":"wrong"}') || fail "submit"
for id in "$good" "$bad"; do
  for _ in $(seq 1 150); do
    st=$(curl -s -X POST "$base/tools/get_scan_status" -d "{\"task_id\":\"$id\"}")
    echo "$st" | grep -qE '"status":"(completed|failed)"' && break
    sleep 0.2
  done
  echo "$st" | grep -qE '"status":"(completed|failed)"' || fail "task $id did not finish: $st"
done
check after
echo "all monitoring checks passed"
