# A small, full or read-only state file system (issue 15 items 2, 3, 4;
# ringbind only), each on a 256 KiB tmpfs in the test's mount namespace:
#  2. 5,612 SET/UNSET pairs beside 2 live registrations: every one TRUE (the
#     journal is compacted long before it fills the file system), and what
#     was acknowledged survives a restart;
#  3. a first start on a full file system: the daemon starts and serves,
#     SET is FALSE (and logged) until there is room, then TRUE and kept;
#  4. a restart on a read-only state directory: the saved registrations are
#     served at once, SET is FALSE until the directory is writable again,
#     then TRUE and kept.
# About 10 s.

. "$E2E_DIR/durable_lib.sh"

P=536887297 # 0x20004001
TRUE=SUCCESS:00000001
FALSE=SUCCESS:00000000

ua() { echo "0.0.0.0.$((10 + $1 / 150)).$((100 + $1 % 150))"; } # N -> uaddr
pt() { echo $(((10 + $1 / 150) * 256 + 100 + $1 % 150)); }      # N -> port

set_local() { # N: v3 SET of P+N over the local socket; prints the result
	rawcall local 100000/3/1 "rpcb:$((P + $1)),1,tcp,$(ua "$1"),x" | awk '{print $2}'
}

# getport N: the port GETPORT (v2, UDP) answers for P+N, in decimal.
getport() {
	local r
	r=$(rawcall udp 100000/2/3 "pmap:$((P + $1)),1,6,0" | awk '{print $2}')
	echo $((16#${r#SUCCESS:}))
}

# set_until WHAT N MS: SET P+N until it is TRUE, for at most MS ms.
set_until() {
	local t0 r
	t0=$(now_ms)
	while :; do
		r=$(set_local "$2")
		[ "$r" = "$TRUE" ] && { pass "$1: SET TRUE after $(($(now_ms) - t0)) ms"; return 0; }
		[ $(($(now_ms) - t0)) -gt "$3" ] && break
		sleep 0.2
	done
	fail "$1: SET still answered $r after $3 ms"
	return 1
}

t_main() {
	d_ringbind_only || return
	local fs=$E2E_TMP/fs st i r n
	mkdir -p "$fs"
	mount -t tmpfs -o size=256k,mode=0700 tmpfs "$fs" || skip "cannot mount a tmpfs here"

	# 2. Churn on a small file system.
	st=$fs/small
	mkdir -m 0700 "$st"
	d_start --state-dir "$st" || return
	expect_result "small: SET A0" $TRUE local 100000/3/1 "rpcb:$P,1,tcp,$(ua 0),x"
	expect_result "small: SET A1" $TRUE local 100000/3/1 "rpcb:$((P + 1)),1,tcp,$(ua 1),x"
	# One call at a time (one commit each), SET/UNSET of 4 keys in turn.
	run_quiet "$E2E_BIN/rb_e2e_churn" bench -T local -c 1 -w 1 -n 11220
	note "$(cat "$E2E_OUT")"
	if grep -q 'TRUE 11224, FALSE 0,' "$E2E_OUT"; then
		pass "small: 5,612 SET/UNSET pairs all TRUE"
	else
		fail "small: not every SET/UNSET TRUE"
	fi
	note "state after the churn: $(ls -l "$st" | awk 'NR > 1 {printf "%s %s B, ", $9, $5}')$(df -k "$fs" | awk 'NR == 2 {print $4 " KiB free"}')"
	r=$(stat -c %s "$st/journal")
	[ "$r" -le $((128 * 1024)) ] && pass "small: the journal is $r bytes (compacted)" ||
		fail "small: the journal is $r bytes"
	expect_result "small: SET A3 after the churn" $TRUE local 100000/3/1 "rpcb:$((P + 3)),1,tcp,$(ua 3),x"
	d_kill
	d_start --state-dir "$st" || return
	{ for i in 0 1 3; do echo "$((P + i)) 1 tcp $(ua $i) superuser"; done; } | sort >"$E2E_TMP/small.want"
	d_dump "$E2E_TMP/small.dump"
	d_same "small: after SIGKILL, exactly the acknowledged registrations" "$E2E_TMP/small.want" "$E2E_TMP/small.dump"
	d_stop
	rm -rf "$st"

	# 3. First start on a full file system.
	st=$fs/first
	mkdir -m 0700 "$st"
	dd if=/dev/zero of="$fs/filler" bs=4k >/dev/null 2>&1
	note "file system full: $(df -k "$fs" | awk 'NR == 2 {print $4 " KiB free"}')"
	d_start --state-dir "$st" || return
	pass "full at first start: the daemon starts"
	expect_result "full at first start: NULL answered" SUCCESS: udp 100000/2/0
	expect_result "full at first start: SET FALSE" $FALSE local 100000/3/1 "rpcb:$((P + 10)),1,tcp,$(ua 10),x"
	d_log_has "full at first start: logged" "cannot write state"
	rm -f "$fs/filler"
	set_until "full at first start, then room" 10 3000
	[ "$(getport 10)" = "$(pt 10)" ] && pass "full at first start, then room: GETPORT sees it" ||
		fail "full at first start, then room: GETPORT answers $(getport 10)"
	d_kill
	d_start --state-dir "$st" || return
	[ "$(getport 10)" = "$(pt 10)" ] && pass "full at first start: the SET survives SIGKILL" ||
		fail "full at first start: after SIGKILL GETPORT answers $(getport 10)"
	d_stop

	# 4. Restart on a read-only state directory.
	mount -o remount,ro "$fs" || { fail "remount ro"; return; }
	d_start --state-dir "$st" || { mount -o remount,rw "$fs"; return; }
	r=$(getport 10)
	[ "$r" = "$(pt 10)" ] && pass "read-only: the saved registration is served at once" ||
		fail "read-only: GETPORT of the saved registration answers $r"
	expect_result "read-only: SET FALSE" $FALSE local 100000/3/1 "rpcb:$((P + 11)),1,tcp,$(ua 11),x"
	d_log_has "read-only: logged" "cannot write state"
	mount -o remount,rw "$fs"
	set_until "read-only, then writable" 11 3000
	d_kill
	d_start --state-dir "$st" || return
	{ for i in 10 11; do echo "$((P + i)) 1 tcp $(ua $i) superuser"; done; } | sort >"$E2E_TMP/ro.want"
	d_dump "$E2E_TMP/ro.dump"
	d_same "read-only, then writable: after SIGKILL, both registrations" "$E2E_TMP/ro.want" "$E2E_TMP/ro.dump"
	d_stop
}
