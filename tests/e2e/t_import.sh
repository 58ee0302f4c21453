# Taking over from rpcbind (ringbind only). On a first start (no state of
# its own) ringbind imports rpcbind's warm-start files: the real files of
# tests/data/rpcbind-warmstart (written by Debian's rpcbind as _rpc, mode
# 0600), program 100000 left out, the files deleted afterwards, and never
# again once it has a state. Hostile files (a symbolic link, a FIFO, a
# directory, group-writable, owned by nobody, cut short, a string length of
# 2^31-1, over 16 MiB, one bad file beside a good one) are refused with a
# log line, and the daemon starts anyway, empty. Then a real migration:
# Debian's rpcbind -w takes registrations, writes its files on SIGTERM, and
# ringbind starts with the same registrations.

. "$E2E_DIR/durable_lib.sh"

FIX=$E2E_DIR/../data/rpcbind-warmstart

# What the fixtures hold, besides program 100000 (see their README).
fixture_registry() {
	sort <<'EOF'
100003 3 tcp 0.0.0.0.8.1 superuser
100003 3 udp 0.0.0.0.8.1 superuser
100003 4 tcp6 ::.8.1 superuser
100005 3 udp6 ::1.156.64 superuser
100021 4 local /run/lockd.sock superuser
100024 1 udp 127.0.0.1.3.232 superuser
100099 1 udp 0.0.0.0.8.1 superuser
100099 1 tcp 0.0.0.0.8.2 superuser
200000 2 tcp 0.0.0.0.0.111 superuser
300019 1 tcp 127.0.0.1.4.1 65534
EOF
}

# put_fixtures DIR [OWNER]: the two files, mode 0600, owned by OWNER
# (default _rpc where it exists, else root).
put_fixtures() {
	local owner=${2:-}
	[ -n "$owner" ] || { getent passwd _rpc >/dev/null && owner=_rpc || owner=root; }
	mkdir -p "$1"
	cp "$FIX/rpcbind.xdr" "$FIX/portmap.xdr" "$1/"
	chown "$owner" "$1/rpcbind.xdr" "$1/portmap.xdr"
	chmod 0600 "$1/rpcbind.xdr" "$1/portmap.xdr"
}

# hostile NAME eval 'SETUP': a fresh state and an import directory prepared
# by SETUP (evaluated with $h the directory); the import must be refused
# with a log line, the daemon must start and hold nothing but its own.
hostile() {
	local name=$1 st
	shift
	h=$E2E_TMP/h.$name
	st=$E2E_TMP/hstate.$name
	mkdir -p "$st"
	put_fixtures "$h"
	"$@" || { fail "$name: setting up"; return; }
	d_start --state-dir "$st" --import-rpcbind "$h" || return
	d_log_has "$name: refused with a log line" "not importing rpcbind's state from $h: .+"
	note "$(grep "not importing" "$D_ERR" | sed 's/^ringbind: //')"
	d_dump "$E2E_TMP/h.$name.dump"
	if [ ! -s "$E2E_TMP/h.$name.dump" ]; then pass "$name: nothing imported"
	else fail "$name: registrations imported:"; sed 's/^/  /' "$E2E_TMP/h.$name.dump" | head; fi
	expect_result "$name: SET works" SUCCESS:00000001 local 100000/3/1 "rpcb:536870999,1,tcp,0.0.0.0.1.1,x"
	d_stop
}

t_main() {
	d_ringbind_only || return
	[ -f "$FIX/rpcbind.xdr" ] || { fail "fixtures missing: $FIX"; return; }
	local st=$E2E_TMP/istate want=$E2E_TMP/fixture.want h
	fixture_registry >"$want"

	# 1. The real files in /run/rpcbind, as rpcbind leaves them.
	put_fixtures /run/rpcbind
	mkdir -p "$st"
	d_start --state-dir "$st" || return
	d_log_has "import logged" "imported 10 registrations from rpcbind's warm-start files in /run/rpcbind \\([0-9]+ of its own skipped, 0 refused\)"
	d_dump "$E2E_TMP/imported"
	d_same "imported: rpcbind's registrations" "$want" "$E2E_TMP/imported"
	churn dump >"$E2E_TMP/imported.all" 2>&1
	local self
	self=$(awk '$1 == 100000' "$E2E_TMP/imported.all" | wc -l)
	[ "$self" = 12 ] && pass "imported: program 100000 only the daemon's own 12" ||
		fail "imported: $self entries of program 100000 (12 expected)"
	if [ -e /run/rpcbind/rpcbind.xdr ] || [ -e /run/rpcbind/portmap.xdr ]; then
		fail "imported files not deleted: $(ls /run/rpcbind)"
	else
		pass "imported files deleted"
	fi
	expect_result "imported: GETPORT 100003 v3 udp" SUCCESS:00000801 udp 100000/2/3 "pmap:100003,3,17,0"
	expect_result "imported: uid 65534 owns 300019" SUCCESS:00000001 local,uid=65534 100000/3/2 "rpcb:300019,1,tcp,,x"
	d_stop

	# 2. Never imported again once there is a state: files put back are
	# ignored (300019 stays removed).
	put_fixtures /run/rpcbind
	d_start --state-dir "$st" || return
	d_dump "$E2E_TMP/second"
	grep -v '^300019 ' "$want" >"$E2E_TMP/second.want"
	d_same "second start: the saved state, no second import" "$E2E_TMP/second.want" "$E2E_TMP/second"
	if grep -q 'imported' "$D_ERR"; then fail "second start imported again: $(grep imported "$D_ERR")"
	else pass "second start: no import"; fi
	d_stop
	rm -f /run/rpcbind/*.xdr

	# 3. Owned by root, through --import-rpcbind.
	h=$E2E_TMP/asroot
	put_fixtures "$h" root
	mkdir -p "$E2E_TMP/rstate"
	d_start --state-dir "$E2E_TMP/rstate" --import-rpcbind "$h" || return
	d_dump "$E2E_TMP/asroot.dump"
	d_same "files owned by root imported" "$want" "$E2E_TMP/asroot.dump"
	d_stop

	# 4. Hostile files.
	local size cut
	size=$(stat -c %s "$FIX/rpcbind.xdr")
	cut=$((1 + RANDOM % (size - 1)))
	hostile symlink eval 'mv "$h/rpcbind.xdr" "$h/real.xdr" && ln -s real.xdr "$h/rpcbind.xdr"'
	hostile fifo eval 'rm "$h/rpcbind.xdr" && mkfifo -m 0600 "$h/rpcbind.xdr"'
	hostile directory eval 'rm "$h/rpcbind.xdr" && mkdir -m 0700 "$h/rpcbind.xdr"'
	hostile group-writable eval 'chmod 0660 "$h/rpcbind.xdr"'
	hostile other-writable eval 'chmod 0602 "$h/rpcbind.xdr"'
	hostile owned-by-nobody eval 'chown nobody "$h/rpcbind.xdr"' 
	note "truncated: cut at byte $cut of $size"
	hostile truncated eval 'truncate -s '"$cut"' "$h/rpcbind.xdr"'
	# the first entry's netid length (offset 12) claims 2^31-1 bytes
	hostile huge-length eval 'printf "\177\377\377\377" | dd of="$h/rpcbind.xdr" bs=1 seek=12 conv=notrunc status=none'
	# 65,537 entries (RB_WARM_ENTRIES_MAX is 65,536), each well formed
	hostile too-many-entries eval 'perl -e '"'"'print pack("N4a4N2", 1, 0x30000000 + $_, 1, 3, "tcp", 0, 0) for 1 .. 65537; print pack("N", 0)'"'"' >"$h/rpcbind.xdr"'
	hostile trailing-bytes eval 'printf "\0\0\0\0" >>"$h/rpcbind.xdr"'
	hostile over-16MiB eval 'truncate -s 17M "$h/rpcbind.xdr"'
	hostile bad-portmap-beside-good eval 'chmod 0660 "$h/portmap.xdr"' 

	# 5. Migration from Debian's rpcbind.
	local rpcbind=/usr/sbin/rpcbind
	if [ ! -x "$rpcbind" ]; then
		note "SKIP migration: $rpcbind is not installed"
		return
	fi
	rm -rf /run/rpcbind/*
	E2E_SRV_CMD="$rpcbind -f -w"
	srv_start || { E2E_SRV_CMD=""; return; }
	local P=536880001 # 0x20002381
	expect_result "rpcbind: v3 SET local udp" SUCCESS:00000001 local 100000/3/1 "rpcb:$P,1,udp,0.0.0.0.8.1,x"
	expect_result "rpcbind: v3 SET local tcp6" SUCCESS:00000001 local 100000/3/1 "rpcb:$P,2,tcp6,::.8.2,x"
	expect_result "rpcbind: v4 SET local local" SUCCESS:00000001 local 100000/4/1 "rpcb:$((P + 1)),1,local,/run/x.sock,x"
	expect_result "rpcbind: v3 SET as uid 65534" SUCCESS:00000001 local,uid=65534 100000/3/1 "rpcb:$((P + 2)),1,tcp,127.0.0.1.4.1,x"
	expect_result "rpcbind: PMAP SET udp from port 700" SUCCESS:00000001 udp,sport=700 100000/2/1 "pmap:$((P + 3)),1,17,2049"
	expect_result "rpcbind: PMAP SET tcp from port 700" SUCCESS:00000001 udp,sport=700 100000/2/1 "pmap:$((P + 3)),1,6,2050"
	expect_result "rpcbind: v3 SET udp6" SUCCESS:00000001 local 100000/3/1 "rpcb:$((P + 4)),3,udp6,::1.3.3,x"
	d_dump "$E2E_TMP/rpcbind.dump"
	srv_stop
	E2E_SRV_CMD=""
	if [ -s /run/rpcbind/rpcbind.xdr ] && [ -s /run/rpcbind/portmap.xdr ]; then
		pass "rpcbind wrote its warm-start files ($(stat -c '%n %s bytes %U %a' /run/rpcbind/*.xdr | tr '\n' ' '))"
	else
		fail "rpcbind left no warm-start files: $(ls -la /run/rpcbind)"
		return
	fi
	mkdir -p "$E2E_TMP/mstate"
	d_start --state-dir "$E2E_TMP/mstate" || return
	d_log_has "migration: import logged" "imported [0-9]+ registrations from rpcbind's warm-start files"
	d_dump "$E2E_TMP/migrated.dump"
	d_same "migration: ringbind holds rpcbind's registrations" "$E2E_TMP/rpcbind.dump" "$E2E_TMP/migrated.dump"
	d_stop
	d_start --state-dir "$E2E_TMP/mstate" || return
	d_dump "$E2E_TMP/migrated2.dump"
	d_same "migration: kept across a restart" "$E2E_TMP/rpcbind.dump" "$E2E_TMP/migrated2.dump"
	d_stop
}
