# Measurements (ringbind only; not part of ctest, run by hand):
#
#   tests/e2e/run.sh perf --bin build/tests/e2e --server "build/ringbind -f" --limit 300
#
# SET/UNSET per second with every answer durable (group commit), over the
# local socket (RPCBIND v3, applied by the control thread) and UDP (PMAP v2,
# through a worker's mailbox): one call at a time (one fdatasync each) and
# pipelined (many calls per commit); with the state on tmpfs and on a disk
# (/var/tmp, or E2E_PERF_DISK). Then the time from start to READY=1 with
# 100,000 registrations to restore (E2E_PERF_REGS), after SIGTERM and after
# SIGKILL. Every figure is one "PERF:" line.

. "$E2E_DIR/durable_lib.sh"

perf_bench() { # LABEL ARGS...
	local label=$1
	shift
	if timeout 120 "$E2E_BIN/rb_e2e_churn" bench "$@" >"$E2E_TMP/bench.out" 2>&1; then
		echo "PERF: $label: $(cat "$E2E_TMP/bench.out")"
	else
		fail "bench $label: $(cat "$E2E_TMP/bench.out")"
	fi
}

perf_dir() { # LABEL STATE_DIR
	local label=$1 st=$2 n=${E2E_PERF_REGS:-100000}
	d_start --state-dir "$st" --cold || return
	perf_bench "$label, local, 1 call at a time" -T local -c 1 -w 1 -n 4000
	perf_bench "$label, udp, 1 call at a time" -T udp -c 1 -w 1 -n 4000
	perf_bench "$label, local, 1 connection x 64 in flight" -T local -c 1 -w 64 -n 100000
	perf_bench "$label, local, 4 connections x 64 in flight" -T local -c 4 -w 64 -n 200000
	perf_bench "$label, udp, 4 sockets x 64 in flight" -T udp -c 4 -w 64 -n 200000
	if timeout 200 "$E2E_BIN/rb_e2e_churn" load -n "$n" -w 512 >"$E2E_TMP/load.out" 2>&1; then
		echo "PERF: $label: $(cat "$E2E_TMP/load.out")"
	else
		fail "load $label: $(cat "$E2E_TMP/load.out")"
		return
	fi
	note "state: $(ls -l "$st" | awk 'NR > 1 {printf "%s %s, ", $9, $5}')"
	d_stop
	d_start --state-dir "$st" || return
	echo "PERF: $label: start to READY with $n registrations after SIGTERM: $D_READY_MS ms ($(grep -o 'restored.*' "$D_ERR"))"
	d_kill
	d_start --state-dir "$st" || return
	echo "PERF: $label: start to READY with $n registrations after SIGKILL: $D_READY_MS ms ($(grep -o 'restored.*' "$D_ERR"))"
	d_dump "$E2E_TMP/perf.dump"
	[ "$(wc -l <"$E2E_TMP/perf.dump")" = "$n" ] && pass "$label: $n registrations restored" ||
		fail "$label: $(wc -l <"$E2E_TMP/perf.dump") registrations restored, $n expected"
	d_stop
}

t_main() {
	d_ringbind_only || return
	mkdir -p /run/ringbind-perf
	perf_dir "tmpfs" /run/ringbind-perf
	local disk
	disk=$(mktemp -d "${E2E_PERF_DISK:-/var/tmp}/rb-perf.XXXXXX") || { fail "mktemp"; return; }
	note "disk: $disk on $(df -T "$disk" | awk 'NR == 2 {print $1 " (" $2 ")"}')"
	perf_dir "disk" "$disk"
	rm -rf "$disk"
}
