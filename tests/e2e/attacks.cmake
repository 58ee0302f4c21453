# Attack-surface and hardening end-to-end tests (ringbind only). The attack
# suite (rpcbind is known to fail several of these): tests/e2e/t_attack_*.sh
# with rb_e2e_attack (attack_tool.c) and the shared shell functions of
# attack_lib.sh. Included by tests/CMakeLists.txt
# after e2e.cmake (rb_e2e_helper, rb_e2e_test). Label "attack":
#   ctest -L attack
#
#   flood   rpcbomb x 20,000; random bytes on TCP; a record header claiming
#           2^31-1 bytes; 100,000 distinct unknown programs
#   conns   10,000 idle TCP connections vs UDP latency; --max-conn 100;
#           a pipelining client that never reads
#   remote  a non-local source (a veth pair to a second namespace,
#           198.18.0.0/15): the amplification bound, SET/UNSET refused,
#           --trusted-net, --udp-refuse drop, -i, response-rate limiting
#   owner   a local unprivileged user: --owner-quota, --port-policy
#   budget  bounded work per client: non-reading DUMP pipeliners against
#           a 20,000 / 100,000 registry (RSS, memory per connection, UDP
#           loss and p99 on the same worker), loopback and remote
#   fdlimit RLIMIT_NOFILE 1024 and 3,000 clients: no spin, the pause
#           counted and logged, serving again once descriptors free up

# -- hardening: owner-port check and privilege drop (net/control/sockdiag.c,
# net/base/privs.c); no "attack" label (they were tests/e2e/attack.cmake) --
set(_rb_h9 "$<TARGET_FILE:ringbind> -f -w")
foreach(_be uring epoll)
  # A non-root AF_LOCAL registrant must hold the port (sock_diag).
  rb_e2e_test(e2e_ownerport_${_be} ownerport "${_rb_h9} --backend ${_be}" 60)
  # -s: bind, then run as _rpc with CAP_DAC_OVERRIDE (+ CAP_IPC_LOCK on
  # io_uring) only; serving, persisting and a clean exit go on.
  rb_e2e_test(e2e_privs_${_be}     privs     "${_rb_h9} --backend ${_be}" 90)
endforeach()

# -- the attack suite --
rb_e2e_helper(rb_e2e_attack e2e/attack_tool.c)
target_link_libraries(rb_e2e_attack PRIVATE rb_e2e_rpcwire rb_e2e_verdict Threads::Threads)

foreach(_be uring epoll)
  set(_srv "$<TARGET_FILE:ringbind> -f -w --backend ${_be}")
  rb_e2e_test(e2e_attack_flood_${_be}  attack_flood  "${_srv}" 90 attack)
  rb_e2e_test(e2e_attack_conns_${_be}  attack_conns  "${_srv}" 90 attack)
  rb_e2e_test(e2e_attack_remote_${_be} attack_remote "${_srv}" 60 attack)
  rb_e2e_test(e2e_attack_owner_${_be}  attack_owner  "${_srv}" 40 attack)
  # Bounded work per client: 20,000 and 100,000 registrations, 10 and
  # 2,000 connections pipelining DUMPs that never read, from loopback and
  # from a second namespace, against RSS, UDP loss and p99; then the
  # descriptor limit (ulimit -n 1024, 3,000 clients): no spin, recovery.
  rb_e2e_test(e2e_attack_budget_${_be}  attack_budget  "${_srv}" 300 attack)
  # Its latency bound compares the flood with the same client a moment
  # before: another test on the other core (ctest -j2) makes that noise,
  # not the server's (a 10-connection flood's p99 went from 0.1 to 3 ms).
  set_tests_properties(e2e_attack_budget_${_be} PROPERTIES RUN_SERIAL TRUE)
  rb_e2e_test(e2e_attack_fdlimit_${_be} attack_fdlimit "${_srv}" 90 attack)
endforeach()
