# Nothing is visible before it is durable, and the state's health is told
# truthfully (issue 15 items 1 and 5; ringbind only). Lookup loops
# (rb_e2e_peek: 2 threads of UDP GETPORTs on the program being SET) run while
# every SET is answered FALSE because its commit fails:
#  (a) the state on a full 256 KiB tmpfs;
#  (b) every fdatasync failing after 5 ms (tests/e2e/faultshim.c), which
#      holds each failing commit open long enough for a lookup to look.
# No lookup may ever return a mapping whose SET was answered FALSE, and none
# is registered afterwards. Meanwhile ringbind_state_writable is 0, /readyz
# says SET/UNSET are refused, and the log said so once; when the fault is
# gone, SETs are TRUE and visible, and all three say so. About 10 s.

. "$E2E_DIR/durable_lib.sh"

M=127.0.0.1:9117

metric() { curl -s --max-time 5 "http://$M/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v }'; }

# health WHAT WANT: ringbind_state_writable and /readyz's body agree with WANT
# (1 writable, 0 not).
health() {
	local w ready
	w=$(metric ringbind_state_writable)
	ready=$(curl -s --max-time 5 "http://$M/readyz")
	if [ "$2" = 1 ] && [ "$w" = 1 ] && [ "$ready" = ready ]; then
		pass "$1: ringbind_state_writable 1, /readyz '$ready'"
	elif [ "$2" = 0 ] && [ "$w" = 0 ] && echo "$ready" | grep -q "SET/UNSET answered FALSE"; then
		pass "$1: ringbind_state_writable 0, /readyz '$ready'"
	else
		fail "$1: ringbind_state_writable '$w', /readyz '$ready' (want writable=$2)"
	fi
}

t_main() {
	d_ringbind_only || return
	command -v curl >/dev/null || skip "needs curl (the metrics endpoint)"
	[ -x "$E2E_BIN/rb_e2e_peek" ] || { fail "helper rb_e2e_peek missing"; return; }
	local shim=$E2E_BIN/rb_e2e_faultshim.so
	[ -f "$shim" ] || { fail "$shim missing"; return; }
	# Preloaded ahead of an ASan runtime: tell it that this is on purpose.
	local asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

	# (a) A full file system.
	local full=$E2E_TMP/full
	mkdir -p "$full"
	mount -t tmpfs -o size=256k,mode=0700 tmpfs "$full" || skip "cannot mount a tmpfs here"
	mkdir -m 0700 "$full/state"
	d_start --state-dir "$full/state" --metrics $M || return
	health "before" 1
	dd if=/dev/zero of="$full/filler" bs=4k >/dev/null 2>&1
	run_check "full file system: no lookup returned a mapping whose SET was answered FALSE" \
		"$E2E_BIN/rb_e2e_peek" -n 1000 -r 2 -t 15000
	sed 's/^/  /' "$E2E_OUT"
	expect "full file system: SETs answered FALSE" ' [1-9][0-9]* FALSE'
	health "full file system" 0
	rm -f "$full/filler"
	run_check "space again: SETs TRUE, visible" "$E2E_BIN/rb_e2e_peek" -n 50 -r 1 -o 10000 -t 10000
	expect "space again: every SET TRUE" '50 SETs \(50 TRUE, 0 FALSE\)'
	health "space again" 1
	d_log_has "full: logged" "cannot write state"
	d_log_has "space again: logged" "writable again"
	d_stop

	# (b) Every fdatasync fails, 5 ms late.
	local flag=$E2E_TMP/syncfail
	mkdir -m 0700 "$E2E_TMP/st2"
	ASAN_OPTIONS=$asan LD_PRELOAD=$shim RB_FAULT_SYNC_FLAG=$flag RB_FAULT_SYNC_MS=5 \
		d_start --state-dir "$E2E_TMP/st2" --metrics $M || return
	: >"$flag"
	run_check "failing fdatasync: no lookup returned a mapping whose SET was answered FALSE" \
		"$E2E_BIN/rb_e2e_peek" -n 300 -r 2 -o 20000 -t 15000
	sed 's/^/  /' "$E2E_OUT"
	expect "failing fdatasync: every SET FALSE" '300 SETs \(0 TRUE, 300 FALSE\)'
	health "failing fdatasync" 0
	rm -f "$flag"
	run_check "fdatasync works again: SETs TRUE, visible" "$E2E_BIN/rb_e2e_peek" -n 50 -r 1 -o 30000 -t 10000
	expect "fdatasync works again: every SET TRUE" '50 SETs \(50 TRUE, 0 FALSE\)'
	health "fdatasync works again" 1
	d_stop
}
