# A damaged state directory (ringbind only). A snapshot replaced by garbage
# with no snapshot.prev: the daemon refuses to start, says why and names
# --cold, exits non-zero; --cold starts it empty. A journal cut at a random
# byte inside a record: the daemon starts with exactly the records before
# the cut (each SET was its own commit, so they are a prefix of the SETs
# made), reports the dropped bytes, keeps them in journal.dropped, and what
# is set afterwards survives a restart. A byte flipped inside a record: the
# same from that record on. A journal header of garbage: set aside, start.

. "$E2E_DIR/durable_lib.sh"

P=536883201 # 0x20003001
N=40


# set_n FROM TO: SETs of P+FROM .. P+TO-1 over the local socket, one call
# (and so one commit) at a time; every uaddr has the same length, so every
# journal record has the same size. Fails unless all are TRUE.
set_n() {
	local i
	for i in $(seq "$1" $(($2 - 1))); do
		echo "s$i local 100000/3/1 rpcb:$((P + i)),1,tcp,0.0.0.0.10.$((100 + i)),x"
	done | rawcall -b >"$E2E_TMP/set.out" 2>&1
	local ok
	ok=$(grep -c ' SUCCESS:00000001 ' "$E2E_TMP/set.out")
	[ "$ok" = $(($2 - $1)) ] && pass "SET $1..$(($2 - 1)): all TRUE" ||
		fail "SET $1..$(($2 - 1)): $ok of $(($2 - $1)) TRUE"
}

# want_prefix K: the registry must hold exactly P+0 .. P+K-1.
want_prefix() {
	local i
	for i in $(seq 0 $(($1 - 1))); do
		echo "$((P + i)) 1 tcp 0.0.0.0.10.$((100 + i)) superuser"
	done | sort >"$E2E_TMP/prefix.want"
	d_dump "$E2E_TMP/prefix.got"
	d_same "$2: the registry is the first $1 SETs" "$E2E_TMP/prefix.want" "$E2E_TMP/prefix.got"
}

# refused_start WHAT ARGS...: the daemon must exit non-zero before READY,
# saying the state is corrupt and naming --cold.
refused_start() {
	local what=$1
	shift
	d_spawn "$@" || return 1
	d_wait_ready
	case $? in
	1)
		[ "$D_RC" != 0 ] && pass "$what: refuses to start (exit status $D_RC)" ||
			fail "$what: exited with status 0 before READY"
		d_log_has "$what: says the state is corrupt and names --cold" "corrupt.*--cold"
		note "$(grep -i corrupt "$D_ERR" | head -2 | sed 's/^ringbind: //')"
		d_sanitizer_check "$D_ERR" "$what"
		;;
	*)
		fail "$what: started anyway"
		sed 's/^/  | /' "$D_ERR" | head
		d_kill
		;;
	esac
}

t_main() {
	d_ringbind_only || return
	local st=$E2E_TMP/cstate

	# A. Snapshot garbage, no snapshot.prev.
	mkdir -p "$st"
	d_start --state-dir "$st" --cold || return # --cold writes an empty snapshot
	set_n 0 10
	d_stop
	if [ -f "$st/snapshot" ]; then pass "a snapshot exists ($(ls "$st" | tr '\n' ' '))"
	else fail "no snapshot after --cold: $(ls "$st" | tr '\n' ' ')"; fi
	head -c 4096 /dev/urandom >"$st/snapshot"
	rm -f "$st/snapshot.prev"
	refused_start "garbage snapshot, no snapshot.prev" --state-dir "$st"
	# Restarted as is (a service manager would): refused again?
	d_spawn --state-dir "$st" || return
	d_wait_ready
	case $? in
	1) pass "second plain start: refused again (status $D_RC)" ;;
	0)
		# Whatever the first start does with this state, a second one
		# with the same state must do the same: starting empty here
		# would serve nothing of what was acknowledged.
		fail "second plain start after a refused one: starts (empty) instead of refusing again: $(grep -h 'state:' "$D_ERR" | sed 's/^ringbind: //')"
		d_stop
		;;
	*) fail "second plain start: no READY and no exit"; d_kill ;;
	esac
	d_start --state-dir "$st" --cold || return
	d_log_has "--cold after a refused start: starts" "cold"
	want_prefix 0 "--cold after a refused start"
	d_stop
	d_start --state-dir "$st" || return
	want_prefix 0 "plain start after --cold"
	d_stop

	# B. Journal cut at a random byte inside a record.
	st=$E2E_TMP/jstate
	mkdir -p "$st"
	d_start --state-dir "$st" || return
	set_n 0 $N
	d_kill
	local size rs k j cut
	size=$(stat -c %s "$st/journal")
	rs=$(((size - 24) / N))
	if [ $((24 + rs * N)) != "$size" ]; then
		fail "journal of $size bytes is not a 24-byte header and $N records of one size"
		return
	fi
	k=$((RANDOM % N))
	j=$((1 + RANDOM % (rs - 1)))
	cut=$((24 + k * rs + j))
	note "journal: $size bytes, $N records of $rs bytes; cut at byte $cut (record $k, $j bytes in)"
	truncate -s "$cut" "$st/journal"
	d_start --state-dir "$st" || return
	d_log_has "cut journal: dropped bytes reported" "journal: .* at offset $((24 + k * rs)), $j bytes dropped"
	want_prefix $k "cut journal"
	if [ "$(stat -c %s "$st/journal.dropped" 2>/dev/null)" = "$j" ]; then
		pass "cut journal: the $j dropped bytes kept in journal.dropped"
	else
		fail "cut journal: journal.dropped: $(ls -la "$st" | grep dropped)"
	fi
	[ "$(stat -c %s "$st/journal")" = $((24 + k * rs)) ] && pass "cut journal: cut back to the last good record" ||
		fail "cut journal: $(stat -c %s "$st/journal") bytes left, $((24 + k * rs)) expected"
	set_n $k $N
	d_kill
	d_start --state-dir "$st" || return
	if grep -q 'dropped' "$D_ERR"; then fail "after the repair: bytes dropped again: $(grep dropped "$D_ERR")"
	else pass "after the repair and SIGKILL: a clean start"; fi
	want_prefix $N "after the repair"
	d_stop

	# C. One byte flipped inside record m: records m.. are dropped.
	local m off b
	m=$((RANDOM % N))
	off=$((24 + m * rs + RANDOM % rs))
	b=$(od -An -tu1 -j "$off" -N1 "$st/journal" | tr -d ' ')
	printf '%b' "\\0$(printf %03o $((b ^ 0x40)))" | dd of="$st/journal" bs=1 seek="$off" conv=notrunc status=none
	size=$(stat -c %s "$st/journal")
	note "journal: byte $off (record $m) flipped"
	d_start --state-dir "$st" || return
	d_log_has "flipped byte: dropped bytes reported" "journal: .* at offset $((24 + m * rs)), $((size - 24 - m * rs)) bytes dropped"
	want_prefix $m "flipped byte"
	d_stop

	# D. Journal header garbage: set aside, start with the snapshot's state
	# (here none: empty).
	head -c 24 /dev/urandom | dd of="$st/journal" conv=notrunc status=none
	d_start --state-dir "$st" || return
	d_log_has "journal header garbage: reported" "journal header unreadable"
	[ -f "$st/journal.corrupt" ] && pass "journal header garbage: kept as journal.corrupt" ||
		fail "journal header garbage: $(ls "$st" | tr '\n' ' ')"
	want_prefix 0 "journal header garbage"
	set_n 0 3
	d_stop
	d_start --state-dir "$st" || return
	want_prefix 3 "after a new journal"
	d_stop
}
