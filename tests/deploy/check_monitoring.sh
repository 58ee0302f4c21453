#!/usr/bin/env bash
# The example alert rules and Grafana dashboard against a real scrape
# (issue 18): a daemon in a private network and mount namespace serves a
# few calls, its /metrics is saved, and check_monitoring.py runs promtool
# (check rules, test rules, every dashboard query parsed) and checks that
# every metric they name is in that scrape. About 3 s.
# Usage: check_monitoring.sh SOURCE_DIR RINGBIND
# Exit: 0 pass, 1 fail, 77 skipped (not root, no unshare, curl or promtool).
set -euo pipefail
src=${1:?usage: check_monitoring.sh SOURCE_DIR RINGBIND}
bin=$(readlink -f "${2:?usage: check_monitoring.sh SOURCE_DIR RINGBIND}")

if [ "${RB_MON_INNER:-}" = 1 ]; then
	ip link set lo up
	mount -t tmpfs -o mode=0755 tmpfs /run
	: >/run/empty.conf
	"$bin" -f --config /run/empty.conf --state-dir /run/ringbind >/run/log 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		curl -sf -o /dev/null http://127.0.0.1:9111/readyz && break
		sleep 0.1
	done
	command -v rpcinfo >/dev/null && rpcinfo -p 127.0.0.1 >/dev/null 2>&1 || true
	curl -s --max-time 5 http://127.0.0.1:9111/metrics >"$RB_MON_OUT"
	kill "$pid"
	wait "$pid" || true
	exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespaces)"; exit 77; }
for t in unshare curl promtool python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
RB_MON_INNER=1 RB_MON_OUT=$tmp/metrics unshare -mn bash "$0" "$src" "$bin"
[ -s "$tmp/metrics" ] || { echo "FAIL: no scrape"; exit 1; }
echo "scrape: $(grep -vc '^#' "$tmp/metrics") samples"
python3 "$src/tests/deploy/check_monitoring.py" --source "$src" --scrape "$tmp/metrics"
