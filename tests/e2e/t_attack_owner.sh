# Attack suite, a local unprivileged user (ringbind only): SET over the
# AF_LOCAL socket as uid 65534 / 65533 (rawcall local,uid=N; the owner is
# the uid) against --owner-quota, --port-policy and --max-registrations.
# Claiming a port the user does not hold is t_ownerport.sh's; here
# --check-owner-port is off so that it never decides. Each attack framed by
# the server's RSS and a NULL over UDP and TCP (attack_lib.sh).
. "$E2E_DIR/attack_lib.sh"

# uaddr PORT [HOST]: the universal address of HOST (0.0.0.0) and PORT.
uaddr() { echo "${2:-0.0.0.0}.$(($1 / 256)).$(($1 % 256))"; }

# set_as WHO PROG ADDR [NETID]: a v3 SET over the local socket, as uid WHO
# (or as root for WHO=root); prints the result column.
set_as() {
	local who=$1 tr=local
	[ "$who" = root ] || tr="local,uid=$who"
	rawcall "$tr" 100000/3/1 "rpcb:$2,1,${4:-udp},$3,x" | awk '{print $2}'
}

# expect_set NAME WANT WHO PROG ADDR [NETID]
expect_set() {
	local name=$1 want=$2 got
	shift 2
	got=$(set_as "$@")
	if [ "$got" = "$want" ]; then pass "$name"
	else fail "$name: SET $* : expected $want, got $got"; fi
}

# expect_log NAME ERE: the server's stderr has a line matching ERE (bounded wait).
expect_log() {
	if wait_for 2000 grep -Eq -- "$2" "$E2E_SRV_ERR"; then
		pass "$1"
	else
		fail "$1: no line matching /$2/ in the server's stderr:"
		tail -5 "$E2E_SRV_ERR" | sed 's/^/  | /'
	fi
}

T=SUCCESS:00000001
F=SUCCESS:00000000

t_main() {
	atk_need || return
	local i got
	srv_start --owner-quota 5 --check-owner-port off || return

	attack_begin "uid 65534 over its quota (--owner-quota 5)"
	for i in 1 2 3 4 5; do
		expect_set "uid 65534: SET $i of 5 (port $((40000 + i))) is TRUE" $T 65534 $((400300 + i)) "$(uaddr $((40000 + i)))"
	done
	expect_set "uid 65534: the 6th SET is FALSE (quota)" $F 65534 400306 "$(uaddr 40006)"
	expect_log "the refusal is logged" 'refused SET 400306 1 udp .* from local uid 65534 \(owner 65534\): .*quota'
	expect_set "uid 65534: a 7th, over tcp, is FALSE too" $F 65534 400307 "$(uaddr 40007)" tcp
	got=$(rawcall local,uid=65534 100000/2/1 pmap:400308,1,17,40008 | awk '{print $2}')
	if [ "$got" = $F ]; then pass "uid 65534: a PMAP v2 SET over the quota is FALSE"
	else fail "uid 65534: a PMAP v2 SET over the quota: expected $F, got $got"; fi
	expect_result "the refused program is not registered" 'SUCCESS:00000000' udp 100000/2/3 pmap:400306,1,17,0
	expect_result "uid 65534 removes one of its own" $T local,uid=65534 100000/3/2 rpcb:400301,1,udp,,
	expect_set "uid 65534: below the quota again, a SET is TRUE" $T 65534 400306 "$(uaddr 40006)"
	expect_set "uid 65534: and the next one FALSE" $F 65534 400309 "$(uaddr 40009)"
	# root (superuser) is not limited by the quota
	local root_ok=0
	for i in $(seq 1 10); do
		[ "$(set_as root $((400400 + i)) "$(uaddr $((41000 + i)))")" = $T ] && root_ok=$((root_ok + 1))
	done
	if [ $root_ok -eq 10 ]; then pass "root: 10 of 10 SETs TRUE (the quota is not root's)"
	else fail "root: $root_ok of 10 SETs TRUE with --owner-quota 5"; fi
	attack_end 1024 "a few registrations"

	attack_begin "uid 65533 claims system ports (--port-policy strict)"
	expect_set "uid 65533: port 80 is FALSE" $F 65533 400501 "$(uaddr 80)"
	expect_log "the refusal is logged" 'refused SET 400501 1 udp 0\.0\.0\.0\.0\.80 from local uid 65533 \(owner 65533\): .*below 1024'
	expect_set "uid 65533: port 1023 over tcp is FALSE" $F 65533 400502 "$(uaddr 1023)" tcp
	expect_set "uid 65533: port 80 over udp6 is FALSE" $F 65533 400503 "::.0.80" udp6
	got=$(rawcall local,uid=65533 100000/2/1 pmap:400504,1,6,111 | awk '{print $2}')
	if [ "$got" = $F ]; then pass "uid 65533: PMAP v2 SET of port 111 is FALSE"
	else fail "uid 65533: PMAP v2 SET of port 111: expected $F, got $got"; fi
	expect_set "uid 65533: port 0 is FALSE" $F 65533 400505 "$(uaddr 0)"
	expect_log "the refusal is logged" 'refused SET 400505 1 udp .* from local uid 65533 \(owner 65533\): .*port 0'
	expect_set "uid 65533: a malformed address (\"hello\") is FALSE" $F 65533 400506 hello
	expect_set "uid 65533: a malformed address (port part 300) is FALSE" $F 65533 400507 0.0.0.0.300.1
	expect_set "uid 65533: port 1024 is TRUE" $T 65533 400508 "$(uaddr 1024)"
	expect_result "the port-80 claim is not registered" 'SUCCESS:00000000' udp 100000/2/3 pmap:400501,1,17,0
	expect_set "root: port 80 is TRUE" $T root 400509 "$(uaddr 80)"
	attack_end 1024 "a few registrations"
	srv_stop

	srv_start --port-policy off --check-owner-port off || return
	attack_begin "--port-policy off"
	expect_set "--port-policy off: uid 65533, port 80 is TRUE" $T 65533 400601 "$(uaddr 80)"
	expect_set "--port-policy off: uid 65533, port 0 is TRUE" $T 65533 400602 "$(uaddr 0)"
	# Not a policy matter: an address with no port under udp would be
	# stored and then hidden from GETPORT and DUMP, so it is refused
	# whatever the policy (as for root).
	expect_set "--port-policy off: uid 65533, \"hello\" under udp is still FALSE" $F 65533 400603 hello
	attack_end 1024 "a few registrations"
	srv_stop

	# --max-registrations: the whole registry, root included
	srv_start --max-registrations 24 --check-owner-port off || return
	attack_begin "root fills the registry (--max-registrations 24)"
	local first_false=0
	for i in $(seq 1 30); do
		got=$(set_as root $((400700 + i)) "$(uaddr $((42000 + i)))")
		if [ "$got" != $T ]; then first_false=$i; break; fi
	done
	if [ "$first_false" -gt 1 ]; then
		pass "root: SET $first_false is FALSE, the registry is full"
		expect_log "the refusal is logged" "refused SET $((400700 + first_false)) .*registry is full"
		expect_set "a further SET is FALSE" $F root 400799 "$(uaddr 42099)"
		expect_result "root removes one" $T local 100000/3/2 rpcb:400701,1,udp,,
		expect_set "below the cap again, a SET is TRUE" $T root 400799 "$(uaddr 42099)"
	else
		fail "root: SET $first_false (of 30) was the first FALSE with --max-registrations 24"
	fi
	attack_end 1024 "24 registrations"
	srv_stop
}
