# A damaged state directory (ringbind only). A snapshot replaced by garbage
# with no snapshot.prev: the daemon starts, replays the journal, says what
# was dropped and compacts a clean snapshot; --cold starts it empty. A journal cut at a random
# byte inside a record: the daemon starts with exactly the records before
# the cut (each SET was its own commit, so they are a prefix of the SETs
# made), reports the dropped bytes, keeps them in journal.dropped, and what
# is set afterwards survives a restart. A byte flipped inside a record: the
# same from that record on. A journal header of garbage: set aside, start.

. "$E2E_DIR/durable_lib.sh"

P=536883201 # 0x20003001
N=40


# ua I: registration I's address; every one has the same length (parts
# 10..13 and 100..199: a part over 255 is refused as malformed).
ua() { echo "0.0.0.0.$((10 + $1 / 100)).$((100 + $1 % 100))"; }

# set_n FROM TO: SETs of P+FROM .. P+TO-1 over the local socket, one call
# (and so one commit) at a time; every uaddr has the same length, so every
# journal record has the same size. Fails unless all are TRUE.
set_n() {
	local i
	for i in $(seq "$1" $(($2 - 1))); do
		echo "s$i local 100000/3/1 rpcb:$((P + i)),1,tcp,$(ua $i),x"
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
		echo "$((P + i)) 1 tcp $(ua $i) superuser"
	done | sort >"$E2E_TMP/prefix.want"
	d_dump "$E2E_TMP/prefix.got"
	d_same "$2: the registry is the first $1 SETs" "$E2E_TMP/prefix.want" "$E2E_TMP/prefix.got"
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
	# Nothing whole to fall back on: the daemon starts anyway (a port
	# mapper that does not start loses everything), keeps every record
	# that verifies (none of random bytes), replays the journal (the 10
	# SETs made after --cold) and says what was dropped.
	d_start --state-dir "$st" || return
	d_log_has "garbage snapshot, no snapshot.prev: says what was dropped" \
		"snapshot damaged .*salvaged 0 records that verify.*4056 bytes"
	want_prefix 10 "garbage snapshot, no snapshot.prev: started, the journal replayed"
	d_stop
	if [ -f "$st/snapshot.corrupt" ]; then pass "the damaged snapshot is kept as snapshot.corrupt"
	else fail "no snapshot.corrupt: $(ls "$st" | tr '\n' ' ')"; fi
	# The salvage owed a clean snapshot (compacted at once): the next
	# start finds nothing damaged.
	d_start --state-dir "$st" || return
	if grep -q "damaged" "$D_ERR"; then fail "second start after a salvage: still damaged: $(grep damaged "$D_ERR")"
	else pass "second start after a salvage: a clean snapshot"; fi
	want_prefix 10 "second start after a salvage"
	d_stop
	d_start --state-dir "$st" --cold || return
	d_log_has "--cold after a salvage: starts" "cold"
	want_prefix 0 "--cold after a salvage"
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

	# E. One byte flipped in the body of a snapshot that has a journal
	# after it and a snapshot.prev before it (issue 15 item 6): every
	# record that verifies is kept and the journal replayed, instead of
	# falling back to snapshot.prev and losing the journal. 300 SETs, then
	# pipelined SET/UNSET churn (its keys end unset) until two compactions
	# made snapshot.prev, then 20 SETs that only the journal holds.
	st=$E2E_TMP/sstate
	mkdir -p "$st"
	d_start --state-dir "$st" || return
	set_n 0 300
	local round=0
	while [ $round -lt 6 ] && [ ! -f "$st/snapshot.prev" ]; do
		round=$((round + 1))
		run_quiet "$E2E_BIN/rb_e2e_churn" bench -T local -c 1 -w 16 -n 4000 || break
	done
	[ -f "$st/snapshot.prev" ] && pass "snapshot.prev after $round churn rounds" ||
		{ fail "no snapshot.prev after $round churn rounds: $(ls "$st" | tr '\n' ' ')"; d_stop; return; }
	set_n 300 320
	d_stop
	size=$(stat -c %s "$st/snapshot")
	off=$((40 + (size - 40) / 2))
	b=$(od -An -tu1 -j "$off" -N1 "$st/snapshot" | tr -d ' ')
	printf '%b' "\\0$(printf %03o $((b ^ 0x40)))" | dd of="$st/snapshot" bs=1 seek="$off" conv=notrunc status=none
	note "snapshot: $size bytes, byte $off flipped"
	d_start --state-dir "$st" || return
	d_log_has "flipped snapshot byte: what was dropped is reported" \
		"snapshot damaged \(body checksum mismatch\): salvaged [0-9]+ records that verify, 1 lost"
	note "$(grep 'snapshot damaged' "$D_ERR" | sed 's/^ringbind: //')"
	for i in $(seq 0 319); do
		echo "$((P + i)) 1 tcp $(ua $i) superuser"
	done | sort >"$E2E_TMP/salvage.want"
	d_dump "$E2E_TMP/salvage.got"
	local missing extra
	missing=$(comm -23 "$E2E_TMP/salvage.want" "$E2E_TMP/salvage.got")
	extra=$(comm -13 "$E2E_TMP/salvage.want" "$E2E_TMP/salvage.got")
	if [ -n "$extra" ]; then
		fail "flipped snapshot byte: registrations nobody made: $extra"
	elif [ -z "$missing" ]; then
		pass "flipped snapshot byte: all 320 registrations (the damaged record was one the journal removed)"
	elif [ "$(echo "$missing" | wc -l)" = 1 ]; then
		# Named unless the flip hit the record's length word.
		if grep -q "probably $(echo "$missing" | awk '{print $1 " " $2 " " $3}')" "$D_ERR"; then
			pass "flipped snapshot byte: 319 of 320 registrations, the one lost named in the log ($missing)"
		else
			pass "flipped snapshot byte: 319 of 320 registrations ($missing lost; its framing was hit)"
		fi
	else
		fail "flipped snapshot byte: missing $(echo "$missing" | wc -l): $(echo "$missing" | head -3 | tr '\n' ';')"
	fi
	d_stop
}
