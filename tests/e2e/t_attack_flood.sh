# Attack suite, floods (ringbind only): the rpcbomb x 20,000, random bytes
# on TCP, a record header claiming 2^31-1 bytes, 100,000 distinct unknown
# programs. One server, default options; every attack bounded, framed by
# the server's RSS before and after and a NULL over UDP and TCP
# (attack_lib.sh; the load is rb_e2e_attack, attack_tool.c).
. "$E2E_DIR/attack_lib.sh"

t_main() {
	atk_need || return
	srv_start || return

	# CVE-2017-8779: 60-byte datagrams whose r_addr claims 1,000,000 bytes.
	# Nothing may be allocated per call (measured: 0-4 kB after the warm-up
	# of attack_begin); 1 MiB is 52 bytes a call, far below the 20 GB the
	# bombs ask for.
	attack_begin "rpcbomb x 20,000"
	atk 60 rpcbomb 20000
	attack_end 1024 "no allocation per call: 52 bytes a call would pass it"

	# 8 connections x 1 MiB of /dev/urandom: each dropped at its first bad
	# record header; the buffers of 8 connections are at most 8 x 9,000
	# bytes (1 MiB bound; measured 30-120 kB).
	attack_begin "random bytes on TCP"
	atk 30 tcprandom 8 1024
	attack_end 1024 "8 short-lived connections"

	# A header claiming 2^31-1 bytes (over RB_RECORD_MAX): dropped at once,
	# nothing buffered (1 MiB bound; measured 0-110 kB).
	attack_begin "record header 0x7fffffff"
	atk 30 bighdr 20
	attack_end 1024 "nothing buffered"

	# 100,000 lookups of distinct unregistered programs (GETPORT, v3 and v4
	# GETADDR): GETSTAT keeps at most RB_STAT_ADDR_MAX records per version,
	# so neither its size nor the per-request cost (the server's CPU time a
	# lookup, over 3 x 2,000 before and after; the round trip is shown too)
	# may grow (RSS: 2 MiB bound; measured 150-280 kB).
	attack_begin "100,000 distinct unknown programs"
	atk 60 unknown 100000
	attack_end 2048 "GETSTAT records are capped: 21 bytes a lookup would pass it"

	srv_stop
}
