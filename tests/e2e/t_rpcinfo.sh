# rpcinfo (libtirpc's client, as an administrator uses it) against the
# server: every query mode over every transport, registrations made over the
# local socket by root and by other uids, and rpcinfo -d.

P=536871169   # 0x20000101
Q=536871170   # 0x20000102

# stat_col SECTION ROW COL: from the last output (rpcinfo -m), the value in
# the named column of the first value row after header ROW in section SECTION.
stat_col() {
	awk -v sec="$1" -v hdr="$2" -v col="$3" '
		index($0, sec) == 1 { insec = 1; next }
		insec && $1 == hdr { for (i = 1; i <= NF; i++) if ($i == col) c = i; getline; print $c; exit }
	' "$E2E_OUT"
}

t_main() {
	command -v rpcinfo >/dev/null || skip "rpcinfo (package rpcbind) is not installed"
	srv_start || return

	local mode
	mode=$(stat -c %a /run/rpcbind.sock 2>/dev/null)
	if [ "$mode" = 666 ]; then pass "/run/rpcbind.sock is mode 0666"
	else fail "/run/rpcbind.sock mode is '$mode', expected 666"; fi

	run_check "rpcinfo -p 127.0.0.1" rpcinfo -p 127.0.0.1
	for v in 2 3 4; do
		for p in tcp udp; do
			expect "rpcinfo -p: 100000 v$v $p 111" "^ +100000 +$v +$p +111 +portmapper *$"
		done
	done

	run_check "rpcinfo -s" rpcinfo -s
	expect "rpcinfo -s: portmapper line" "^ +100000 +2,3,4 +[a-z0-9,]+ +portmapper +superuser *$"
	local nids
	nids=$(awk '$1 == 100000 { print $3 }' "$E2E_OUT" | tr ',' '\n' | sort | tr '\n' ' ')
	if [ "$nids" = "local tcp tcp6 udp udp6 " ]; then pass "rpcinfo -s: netids local,tcp,tcp6,udp,udp6"
	else fail "rpcinfo -s: netids of 100000 are '$nids', expected local tcp tcp6 udp udp6"; fi

	# Plain rpcinfo talks to the local socket; this is rpcbind's self-registration.
	run_check "rpcinfo (local socket)" rpcinfo
	for l in "4 tcp6 ::.0.111" "3 tcp6 ::.0.111" "4 udp6 ::.0.111" "3 udp6 ::.0.111" \
		"4 tcp 0.0.0.0.0.111" "3 tcp 0.0.0.0.0.111" "2 tcp 0.0.0.0.0.111" \
		"4 udp 0.0.0.0.0.111" "3 udp 0.0.0.0.0.111" "2 udp 0.0.0.0.0.111" \
		"4 local /run/rpcbind.sock" "3 local /run/rpcbind.sock"; do
		set -- $l
		expect "rpcinfo: self-registration v$1 $2 $3" "^ +100000 +$1 +$2 +$3 +portmapper +superuser *$"
	done
	if [ "$(grep -c '^ *100000 ' "$E2E_OUT")" -eq 12 ]; then pass "rpcinfo: exactly 12 self-registrations"
	else fail "rpcinfo: $(grep -c '^ *100000 ' "$E2E_OUT") lines of 100000, expected 12"; fi

	run_check "rpcinfo -l 127.0.0.1 100000 4" rpcinfo -l 127.0.0.1 100000 4
	expect "rpcinfo -l: tcp entry" "^ +100000 +4 +inet/tcp/cots_ord +127\.0\.0\.1\.0\.111 +portmapper"
	expect "rpcinfo -l: udp entry" "^ +100000 +4 +inet/udp/clts +127\.0\.0\.1\.0\.111 +portmapper"

	local t
	for t in udp tcp; do
		for v in 2 3 4; do
			run_check "rpcinfo -T $t 127.0.0.1 100000 $v" rpcinfo -T $t 127.0.0.1 100000 $v
			expect "rpcinfo -T $t v$v: ready" "^program 100000 version $v ready and waiting$"
		done
	done
	run_check "rpcinfo -T udp6 ::1 100000 4" rpcinfo -T udp6 ::1 100000 4
	expect "rpcinfo -T udp6: ready" "^program 100000 version 4 ready and waiting$"
	run_check "rpcinfo -T tcp6 ::1 100000 3" rpcinfo -T tcp6 ::1 100000 3
	expect "rpcinfo -T tcp6: ready" "^program 100000 version 3 ready and waiting$"
	run_check "rpcinfo -T local 127.0.0.1 100000 4" rpcinfo -T local 127.0.0.1 100000 4
	expect "rpcinfo -T local: ready" "^program 100000 version 4 ready and waiting$"
	run_check "rpcinfo -u 127.0.0.1 100000 2" rpcinfo -u 127.0.0.1 100000 2
	expect "rpcinfo -u: ready" "^program 100000 version 2 ready and waiting$"
	run_check "rpcinfo -t 127.0.0.1 100000 (all versions)" rpcinfo -t 127.0.0.1 100000
	for v in 2 3 4; do expect "rpcinfo -t: v$v ready" "^program 100000 version $v ready and waiting$"; done
	run_check "rpcinfo -u ::1 100000 2" rpcinfo -u ::1 100000 2
	run_check "rpcinfo -a 127.0.0.1.0.111 -T udp 100000 3" rpcinfo -a 127.0.0.1.0.111 -T udp 100000 3
	expect "rpcinfo -a udp: ready" "^program 100000 version 3 ready and waiting$"
	run_check "rpcinfo -a 127.0.0.1.0.111 -T tcp 100000 4" rpcinfo -a 127.0.0.1.0.111 -T tcp 100000 4
	run_check "rpcinfo -a ::1.0.111 -T udp6 100000 4" rpcinfo -a ::1.0.111 -T udp6 100000 4
	run_check "rpcinfo -a /run/rpcbind.sock -T local 100000 3" rpcinfo -a /run/rpcbind.sock -T local 100000 3

	run_quiet rpcinfo -T udp 127.0.0.1 100000 5
	expect "rpcinfo for version 5: mismatch 2..4" "version 5 is not available|low version = 2, high version = 4"
	run_quiet rpcinfo -T udp 127.0.0.1 536873369 1
	expect "rpcinfo for an unregistered program fails" "not available|unknown service|not registered"

	# Registrations over the local socket: owner from the peer's uid.
	expect_result "v3 SET over local as root" "SUCCESS:00000001" local 100000/3/1 rpcb:$P,1,udp,0.0.0.0.4.1,someone
	expect_result "v3 SET over local as 65534" "SUCCESS:00000001" local,uid=65534 100000/3/1 rpcb:$P,2,tcp,0.0.0.0.4.2,superuser
	expect_result "v4 SET over local as root" "SUCCESS:00000001" local 100000/4/1 rpcb:$P,2,udp,0.0.0.0.4.2,
	expect_result "v3 SET over local as 1234" "SUCCESS:00000001" local,uid=1234 100000/3/1 rpcb:$P,3,tcp,0.0.0.0.4.3,
	expect_result "v2 SET over udp from an unprivileged port" "SUCCESS:00000001" udp 100000/2/1 pmap:$Q,1,17,2000
	expect_result "v2 SET over udp from port 700" "SUCCESS:00000001" udp,sport=700 100000/2/1 pmap:$Q,2,6,2001

	run_check "rpcinfo after registrations" rpcinfo
	expect "registered by root: owner superuser" "^ +$P +1 +udp +0\.0\.0\.0\.4\.1 +- +superuser *$"
	expect "registered by uid 65534: owner 65534" "^ +$P +2 +tcp +0\.0\.0\.0\.4\.2 +- +65534 *$"
	expect "v4 SET by root" "^ +$P +2 +udp +0\.0\.0\.0\.4\.2 +- +superuser *$"
	expect "registered by uid 1234: owner 1234" "^ +$P +3 +tcp +0\.0\.0\.0\.4\.3 +- +1234 *$"
	expect "PMAP SET from high port: owner unknown" "^ +$Q +1 +udp +0\.0\.0\.0\.7\.208 +- +unknown *$"
	expect "PMAP SET from port 700: owner superuser" "^ +$Q +2 +tcp +0\.0\.0\.0\.7\.209 +- +superuser *$"

	run_check "rpcinfo -p after registrations" rpcinfo -p 127.0.0.1
	expect "rpcinfo -p: v3-registered udp entry" "^ +$P +1 +udp +1025 *$"
	expect "rpcinfo -p: v3-registered tcp entry" "^ +$P +3 +tcp +1027 *$"
	expect "rpcinfo -p: PMAP-registered entry" "^ +$Q +1 +udp +2000 *$"

	run_check "rpcinfo -s after registrations" rpcinfo -s
	expect "rpcinfo -s: $P" "^ +$P +[123],[123],[123] +(tcp,udp|udp,tcp) +- +"

	run_check "rpcinfo -l 127.0.0.1 $P 2" rpcinfo -l 127.0.0.1 $P 2
	expect "rpcinfo -l: merged udp address" "^ +$P +2 +inet/udp/clts +127\.0\.0\.1\.4\.2 "
	expect "rpcinfo -l: merged tcp address" "^ +$P +2 +inet/tcp/cots_ord +127\.0\.0\.1\.4\.2 "

	# rpcinfo -d: root deletes anything; uid 65534 cannot delete 1234's.
	run_check "rpcinfo -d $P 1" rpcinfo -d $P 1
	run_check "rpcinfo -d -T tcp $P 2 (owned by 65534, root deletes)" rpcinfo -d -T tcp $P 2
	if command -v setpriv >/dev/null; then
		run_quiet setpriv --reuid=65534 --regid=65534 --clear-groups rpcinfo -d $P 3
		expect "uid 65534 cannot delete uid 1234's registration" "Could not delete"
		run_check "uid 1234 deletes its own registration" \
			setpriv --reuid=1234 --regid=1234 --clear-groups rpcinfo -d $P 3
	fi
	run_check "rpcinfo after rpcinfo -d" rpcinfo
	expect_not "rpcinfo -d: $P v1 gone" "^ +$P +1 "
	expect_not "rpcinfo -d -T tcp: $P v2 tcp gone" "^ +$P +2 +tcp "
	expect "rpcinfo -d -T tcp: $P v2 udp kept" "^ +$P +2 +udp "
	expect_not "rpcinfo -d by the owner: $P v3 gone" "^ +$P +3 "
	run_check "rpcinfo -d $Q 1 (owner unknown)" rpcinfo -d $Q 1
	run_quiet rpcinfo -p 127.0.0.1
	expect_not "rpcinfo -p: $Q v1 gone" "^ +$Q +1 "

	# GETSTAT: counters move by what we send.
	run_check "rpcinfo -m" rpcinfo -m
	expect "rpcinfo -m: PORTMAP section" "^PORTMAP \(version 2\) statistics"
	expect "rpcinfo -m: RPCBIND v3 section" "^RPCBIND \(version 3\) statistics"
	expect "rpcinfo -m: RPCBIND v4 section" "^RPCBIND \(version 4\) statistics"
	local n2 g4 n2b g4b
	n2=$(stat_col "PORTMAP" NULL NULL)
	g4=$(stat_col "RPCBIND (version 4)" VERADDR GETSTAT)
	for _ in 1 2 3; do rawcall -t 500 udp 100000/2/0 >/dev/null; done
	run_check "rpcinfo -m again" rpcinfo -m
	n2b=$(stat_col "PORTMAP" NULL NULL)
	g4b=$(stat_col "RPCBIND (version 4)" VERADDR GETSTAT)
	if [ -n "$n2" ] && [ "$n2b" = $((n2 + 3)) ]; then pass "GETSTAT: v2 NULL count +3 ($n2 -> $n2b)"
	else fail "GETSTAT: v2 NULL count '$n2' -> '$n2b', expected +3"; fi
	if [ -n "$g4" ] && [ "$g4b" = $((g4 + 1)) ]; then pass "GETSTAT: GETSTAT count +1 ($g4 -> $g4b)"
	else fail "GETSTAT: GETSTAT count '$g4' -> '$g4b', expected +1"; fi

	if is_ringbind; then
		expect_result "NULL over the abstract socket @/run/rpcbind.sock" "SUCCESS:" abstract 100000/4/0
		expect_result "SET over the abstract socket" "SUCCESS:00000001" abstract 100000/4/1 rpcb:$P,7,udp,0.0.0.0.4.7,
		run_quiet rpcinfo
		expect "abstract-socket SET: owner superuser" "^ +$P +7 +udp +0\.0\.0\.0\.4\.7 +- +superuser *$"
	fi
	srv_check_alive "after rpcinfo"
	srv_stop

	# -i: SET/UNSET from any host (here 127.0.0.2, which is not loopback
	# for the port mapper); without it, AUTH_ERROR TOOWEAK (5).
	srv_start -i || return
	expect_result "-i: v3 SET from 127.0.0.2" "SUCCESS:00000001" udp,src=127.0.0.2 100000/3/1 rpcb:$P,1,udp,0.0.0.0.4.1,
	expect_result "-i: v2 SET from 127.0.0.2" "SUCCESS:00000001" udp,src=127.0.0.2 100000/2/1 pmap:$Q,1,6,3000
	run_quiet rpcinfo
	expect "-i: SET from 127.0.0.2 has owner unknown" "^ +$P +1 +udp +0\.0\.0\.0\.4\.1 +- +unknown *$"
	expect_result "-i: v3 UNSET from 127.0.0.2" "SUCCESS:00000001" udp,src=127.0.0.2 100000/3/2 rpcb:$P,1,udp,,
	# SIGINT ends the server as SIGTERM does
	srv_stop INT

	srv_start || return
	expect_result "without -i: v3 SET from 127.0.0.2 is AUTH_ERROR TOOWEAK" "AUTH_ERROR:5" udp,src=127.0.0.2 100000/3/1 rpcb:$P,1,udp,0.0.0.0.4.1,
	srv_stop

	if is_ringbind; then
		# --port: every listener and the self-registration on that port
		srv_start --port 1111 || return
		expect_result "--port 1111: UDP NULL" "SUCCESS:" -p 1111 udp 100000/2/0
		expect_result "--port 1111: TCP6 NULL" "SUCCESS:" -p 1111 tcp6 100000/4/0
		expect_result "--port 1111: GETPORT of itself is 1111" "SUCCESS:00000457" -p 1111 udp 100000/2/3 pmap:100000,2,17,0
		expect_result "--port 1111: GETADDR of itself" "SUCCESS:0000000e3132372e302e302e312e342e38370000" -p 1111 udp 100000/3/3 rpcb:100000,3,,,
		expect_result "--port 1111: nothing on 111" "ERROR:*" -p 111 -t 300 tcp 100000/2/0
		expect_result "--port 1111: the local socket still serves" "SUCCESS:" local 100000/4/0
		srv_stop
	fi
}
