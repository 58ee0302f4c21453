# Attack suite, connections (ringbind only): 10,000 idle TCP connections
# while UDP lookups keep their latency; --max-conn 100 (the 101st accepted
# and closed at once, no spin); a client that pipelines DUMPs and never
# reads (--max-unsent 65536 --blocked-timeout 1000). Each attack bounded,
# framed by the server's RSS and a NULL over UDP and TCP (attack_lib.sh).
. "$E2E_DIR/attack_lib.sh"

ATK_IDLE=10000

t_main() {
	atk_need || return

	# 10,000 connections need 10,000 descriptors in the server and in the
	# client: where the limit this test inherited is lower, raise it for
	# this shell, and so for both (to 32768, or else the soft limit to the
	# hard one: raising the hard limit needs CAP_SYS_RESOURCE).
	local nofile need=$((ATK_IDLE + 2048))
	nofile=$(ulimit -n)
	if [ "$nofile" != unlimited ] && [ "$nofile" -lt $need ]; then
		ulimit -n 32768 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
		if [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $need ]; then
			note "RLIMIT_NOFILE raised from $nofile to $(ulimit -n) for the server and the client"
		else
			skip "RLIMIT_NOFILE is $nofile (hard $(ulimit -Hn)) and cannot be raised to $need"
		fi
	fi

	# The default caps: --max-conn 16384 in all, --max-conn-per-worker
	# 16384 (RB_CONFIG_CONN_PER_WORKER, core/config.h; also its maximum),
	# one worker per CPU. The kernel spreads connections over the workers'
	# listeners (SO_REUSEPORT); four workers, whatever this host's CPU
	# count, so the spread is the same on every host.
	srv_start --workers 4 || return
	note "server RLIMIT_NOFILE: $(awk '/^Max open files/ { print $4 }' "/proc/$E2E_SRV_PID/limits")"
	attack_begin "$ATK_IDLE idle TCP connections"
	atk 80 idle $ATK_IDLE
	# Connection state (a slot in the worker's table) is kept for reuse
	# after the close: bounded per connection, 4 KiB each (measured 1.0-1.7
	# KiB, normal and ASan builds).
	attack_end $((ATK_IDLE * 4)) "4 KiB per connection, kept for reuse"
	srv_stop

	srv_start --max-conn 100 || return
	attack_begin "--max-conn 100: 200 connections over the cap"
	atk 40 maxconn 100 200
	attack_end 2048 "100 connections held"
	srv_stop

	srv_start --max-unsent 65536 --blocked-timeout 1000 || return
	attack_begin "a client that pipelines DUMPs and never reads"
	# blocked 1,000 ms + the 250 ms timer tick, with room for a loaded host
	atk 30 pipeline 2500
	attack_end 4096 "--max-unsent 64 KiB, plus one read's worth of replies"
	srv_stop
}
