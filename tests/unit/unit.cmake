# Unit tests (no root needed unless said): core/ (golden bytes, limits, libtirpc
# as an oracle), registry/ and the net/ parts that run without a daemon.
# Paths are relative to tests/.
rb_test(test_xdr unit/test_xdr.c)
rb_test(test_record unit/test_record.c)
rb_test(test_config unit/test_config.c)
# TCPMUX (RFC 1078): the name line, names, /etc/rpc, replies.
rb_test(test_tcpmux unit/test_tcpmux.c)
rb_test(test_config_file unit/test_config_file.c)
rb_test(test_reqstats unit/test_reqstats.c)

# These two compare against libtirpc (xdr_callmsg, taddr2uaddr).
rb_test(test_rpc_msg unit/test_rpc_msg.c)
target_link_libraries(test_rpc_msg PRIVATE PkgConfig::TIRPC)
rb_test(test_uaddr unit/test_uaddr.c)
target_link_libraries(test_uaddr PRIVATE PkgConfig::TIRPC)

# Persistence: formats (pure) and file I/O. Fixtures in tests/data.
rb_test(test_journal unit/test_journal.c)
target_compile_definitions(test_journal PRIVATE
  RB_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
rb_test(test_persist unit/test_persist.c)
target_link_libraries(test_persist PRIVATE rb_net_control)
target_compile_definitions(test_persist PRIVATE
  RB_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
# SET/UNSET through net/control/durable.c: visibility only after the commit, PMAP
# v2 UNSET all or nothing, compaction of a small journal (about 1 s).
rb_test(test_durable unit/test_durable.c)
target_link_libraries(test_durable PRIVATE rb_net_control)
# The ENOSPC variant needs a 64 KiB tmpfs in a private mount namespace
# (root or CAP_SYS_ADMIN); elsewhere it reports a skip.
add_test(NAME test_persist_enospc COMMAND test_persist enospc)
set_tests_properties(test_persist_enospc PROPERTIES SKIP_RETURN_CODE 77)

# Owner-port check: sock_diag against real sockets of root and of uid 65534
# (that part needs root). 77: sock_diag unavailable here.
rb_test(test_sockdiag unit/test_sockdiag.c)
target_link_libraries(test_sockdiag PRIVATE rb_net_control)
set_tests_properties(test_sockdiag PROPERTIES SKIP_RETURN_CODE 77)

# UDP reply batches (net/transport/udp_batch.c) over loopback sockets.
rb_test(test_udp_batch unit/test_udp_batch.c)
target_link_libraries(test_udp_batch PRIVATE rb_net_transport)

# The registry's keyed table at 200,000 keys: lookups, misses, netid case,
# removal with a rebuild (registry.c keeps hash tags in its pointers).
rb_test(test_registry unit/test_registry.c)
# The lookup prefetch: ck_hs's slot view, which calls arm it, the
# RB_PREFETCH_MIN_ENTRIES threshold, and replies unchanged by it.
rb_test(test_prefetch unit/test_prefetch.c)
target_link_libraries(test_prefetch PRIVATE rb_golden)

# Thread ownership (net/base/owner.h): another thread entering an owned
# object aborts; a worker's entry point does so where the build checks
# ownership (Debug, sanitizers). < 1 s.
rb_test(test_owner unit/test_owner.c)
target_link_libraries(test_owner PRIVATE rb_net_transport)

# The sentence that says why io_uring is not used (issue 18).
rb_test(test_uring_refusal unit/test_uring_refusal.c)
target_link_libraries(test_uring_refusal PRIVATE rb_net_transport)

# The call header dispatch hands back to the transport (issue 19: a
# datagram decoded once) gives the labels and fields the call's bytes give.
rb_test(test_call_head unit/test_call_head.c)
# --help generated from the option table: every option, its real default.
rb_test(test_config_usage unit/test_config_usage.c)

# Unit tests of net/ pieces that only e2e tests reached before (issue 19):
# the mailbox's rings (one thread pair too, hence the label: run it under
# TSan), and serve's stream framing (records, fragments, the record limit,
# headers split across reads). Under a second each.
rb_test(test_mailbox unit/test_mailbox.c)
target_link_libraries(test_mailbox PRIVATE rb_net_transport)
set_tests_properties(test_mailbox PROPERTIES
  LABELS concurrency
  ENVIRONMENT "TSAN_OPTIONS=second_deadlock_stack=1 exitcode=66")
rb_test(test_serve_stream unit/test_serve_stream.c)
target_link_libraries(test_serve_stream PRIVATE rb_net_transport)
# The slot numbers of a connection table (net/base/slots.c).
rb_test(test_slots unit/test_slots.c)
target_link_libraries(test_slots PRIVATE rb_net_base)
