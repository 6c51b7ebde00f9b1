#!/usr/bin/env bash
# Checks the monitoring and service files in deploy/: the Prometheus alert
# rules and scrape configuration (promtool check), the rules' unit tests
# (promtool test rules), the Grafana dashboard (valid JSON, a datasource
# input, every query valid PromQL) and the systemd units (systemd-analyze
# verify, where any warning fails). Installs Debian's prometheus (promtool),
# systemd and jq when they are missing. That every metric the rules and the
# dashboard name is really exported is deploy/metrics_test.go's job.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v jq >/dev/null 2>&1 || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
	echo "check-monitoring: installing ${need[*]}" >&2
	command -v apt-get >/dev/null 2>&1 || { echo "check-monitoring: apt-get is unavailable; install ${need[*]} by hand" >&2; exit 1; }
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "check-monitoring: installing needs root: sudo apt-get install -y ${need[*]}" >&2; exit 1; }
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq >&2
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== Prometheus rules and configuration"
promtool check rules deploy/prometheus/medchain-alerts.yml
promtool check config deploy/prometheus/prometheus.yml
(cd deploy/prometheus && promtool test rules medchain-alerts.test.yml)

echo "== Grafana dashboard"
dash=deploy/grafana/medchain-hospital.json
jq -e '.schemaVersion >= 36 and (.__inputs | map(.name) | index("DS_PROMETHEUS")) != null and (.panels | length) > 0' "$dash" >/dev/null ||
	{ echo "check-monitoring: $dash is not a dashboard with a DS_PROMETHEUS input and panels" >&2; exit 1; }
# Every panel query must parse as PromQL: promtool checks them as recording rules.
{
	echo "groups:"
	echo "  - name: dashboard"
	echo "    rules:"
	jq -r '[.panels[] | .targets[]? | .expr] | to_entries[] | "      - record: dashboard_query_\(.key)\n        expr: \(.value | @json)"' "$dash"
} >"$tmp/dashboard-queries.yml"
promtool check rules "$tmp/dashboard-queries.yml"

echo "== systemd units"
# verify insists that ExecStart's binary exists: check copies whose binaries
# are stubs in a temporary directory.
mkdir -p "$tmp/bin" "$tmp/units"
for b in cosmovisor medchaind; do
	printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/$b"
	chmod +x "$tmp/bin/$b"
done
units=()
for u in deploy/systemd/*.service; do
	grep -q '^ExecStart=/usr/local/bin/' "$u" || { echo "check-monitoring: $u: ExecStart is not under /usr/local/bin" >&2; exit 1; }
	sed "s|^ExecStart=/usr/local/bin/|ExecStart=$tmp/bin/|" "$u" >"$tmp/units/$(basename "$u")"
	units+=("$tmp/units/$(basename "$u")")
done
# Unknown keys and bad values are only warnings to systemd: any output fails.
if ! out=$(systemd-analyze verify --man=no "${units[@]}" 2>&1) || [ -n "$out" ]; then
	echo "$out" | sed "s|$tmp/units/|deploy/systemd/|g" >&2
	echo "check-monitoring: systemd-analyze verify failed" >&2
	exit 1
fi
echo "  SUCCESS: ${#units[@]} units verified"
