# End-to-end tests: the real daemon and real clients, each test inside its own
# network and mount namespaces (tests/e2e/run.sh). Needs root; a test exits
# 77 (skipped) where namespaces cannot be made. Paths are relative to tests/.
#
# Every test runs against ringbind on both backends; the *_rpcbind variants
# run the same test against Debian's rpcbind (label e2e_ref), which proves
# the harness and shows where the reference itself stands.
#   ctest -L e2e            everything
#   ctest -L e2e -LE e2e_ref   ringbind only

set(RB_E2E_DIR ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
set(RB_E2E_RPCBIND "/usr/sbin/rpcbind -f -w" CACHE STRING
    "Reference server command line for the end-to-end tests")

# The helpers share rpcwire.c (raw RPC calls: XDR words, call headers, reply
# decoding, record marking, bounded socket I/O) and verdict.c (PASS/FAIL
# lines), each a small library built once; the two libtirpc test services
# also compile in tinysvc.c (their common part).
add_library(rb_e2e_rpcwire STATIC e2e/rpcwire.c)
rb_target_defaults(rb_e2e_rpcwire)
add_library(rb_e2e_verdict STATIC e2e/verdict.c)
rb_target_defaults(rb_e2e_verdict)

function(rb_e2e_helper name)
  add_executable(${name} ${ARGN})
  rb_target_defaults(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/e2e)
endfunction()

rb_e2e_helper(rb_e2e_rawcall e2e/rawcall.c)
target_link_libraries(rb_e2e_rawcall PRIVATE rb_e2e_rpcwire)
rb_e2e_helper(rb_e2e_notify e2e/notify.c)
rb_e2e_helper(rb_e2e_stress e2e/stress.c)
target_link_libraries(rb_e2e_stress PRIVATE rb_e2e_rpcwire rb_e2e_verdict)
rb_e2e_helper(rb_e2e_holdport e2e/holdport.c)
if(TIRPC_FOUND)
  rb_e2e_helper(rb_e2e_rpcb_client e2e/rpcb_client.c)
  target_link_libraries(rb_e2e_rpcb_client PRIVATE rb_e2e_rpcwire rb_e2e_verdict)
  target_link_libraries(rb_e2e_rpcb_client PRIVATE PkgConfig::TIRPC)
endif()

# rb_e2e_test(NAME TEST SERVER_COMMAND LIMIT_S [LABELS...])
function(rb_e2e_test name test server limit)
  math(EXPR _timeout "${limit} + 30")
  set(_labels e2e ${ARGN})
  add_test(NAME ${name}
    COMMAND bash ${RB_E2E_DIR}/run.sh ${test}
      --bin $<TARGET_FILE_DIR:rb_e2e_rawcall>
      --server "${server}"
      --ref "${RB_E2E_RPCBIND}"
      --limit ${limit})
  set_tests_properties(${name} PROPERTIES
    SKIP_RETURN_CODE 77
    LABELS "${_labels}"
    TIMEOUT ${_timeout})
endfunction()

set(_rb "$<TARGET_FILE:ringbind> -f -w")
foreach(_be uring epoll)
  # Label "concurrency": CI also runs these against the TSan build, so the
  # daemon's own threads (workers, control thread, mailboxes) are checked.
  # These register, as non-root uids, ports that nothing holds (as rpcbind
  # allows): the owner-port check has its own test (t_ownerport.sh).
  set(_rbn "${_rb} --backend ${_be} --check-owner-port off")
  rb_e2e_test(e2e_rpcinfo_${_be}   rpcinfo   "${_rbn}" 60 concurrency)
  if(TIRPC_FOUND)
    rb_e2e_test(e2e_client_${_be}  client    "${_rbn}" 60 concurrency)
  endif()
  rb_e2e_test(e2e_nfs_${_be}       nfs       "${_rb} --backend ${_be}" 90)
  rb_e2e_test(e2e_nfskernel_${_be} nfskernel "${_rb} --backend ${_be}" 60)
  # The differential test runs two servers one after the other: 2 x 60 s.
  rb_e2e_test(e2e_diff_${_be}      diff      "${_rbn}" 130)
  rb_e2e_test(e2e_robust_${_be}    robust    "${_rb} --backend ${_be}" 120 concurrency)
  rb_e2e_test(e2e_stale_${_be}     stale     "${_rb} --backend ${_be}" 40)
  # Operations: metrics/health endpoint, config file, SIGHUP reload
  # (concurrency: the reload hands a configuration to running workers).
  rb_e2e_test(e2e_ops_${_be}       ops       "${_rb} --backend ${_be}" 60 concurrency)
  rb_e2e_test(e2e_systemd_${_be}   systemd   "${_rb} --backend ${_be}" 40)
  # Per-worker sockets, direct and socket-activated: wake-ups per call,
  # each worker's share, steering, a restart, the shared fallback (13-21 s
  # here; needs ringbind-load, so RB_BENCH=ON; skipped otherwise).
  rb_e2e_test(e2e_scaling_${_be}   scaling   "${_rb} --backend ${_be}" 90)
endforeach()

# Registration inventory in /metrics (issue 18): one backend is enough,
# the series are rendered by the control thread. About 5 s.
rb_e2e_test(e2e_inventory inventory "${_rb}" 40 deploy)

# The same tests against the reference (not robust: rpcbind is known to fail
# parts of it). e2e_diff_rpcbind compares rpcbind with itself: the harness
# must find no difference but the ones the table annotates.
rb_e2e_test(e2e_rpcinfo_rpcbind rpcinfo "${RB_E2E_RPCBIND}" 60 e2e_ref)
if(TIRPC_FOUND)
  rb_e2e_test(e2e_client_rpcbind client "${RB_E2E_RPCBIND}" 60 e2e_ref)
endif()
rb_e2e_test(e2e_nfs_rpcbind     nfs     "${RB_E2E_RPCBIND}" 90 e2e_ref)
rb_e2e_test(e2e_diff_rpcbind    diff    "${RB_E2E_RPCBIND}" 130 e2e_ref)

# The seeded differential test (t_diffseed.sh: ~20,000 random calls, rpcbind
# then ringbind, every difference in diff_allow.txt and README's list). One
# backend: the procedures it compares are the same code on both. Against
# rpcbind itself every reply must be identical.
rb_e2e_test(e2e_diffseed_epoll  diffseed "${_rb} --backend epoll --check-owner-port off" 240)
rb_e2e_test(e2e_diffseed_rpcbind diffseed "${RB_E2E_RPCBIND}" 240 e2e_ref)

# Persistence (ringbind only): tests/e2e/durable_lib.sh and the t_* below,
# with rb_e2e_churn (SET/UNSET churn with a log and a model, DUMP, verify,
# pipelined bench and load).
rb_e2e_helper(rb_e2e_churn e2e/churn.c)
target_link_libraries(rb_e2e_churn PRIVATE rb_e2e_rpcwire)
target_link_libraries(rb_e2e_churn PRIVATE Threads::Threads)
# rb_e2e_peek: lookups racing SETs whose commits fail (t_visible.sh).
rb_e2e_helper(rb_e2e_peek e2e/peek.c)
target_link_libraries(rb_e2e_peek PRIVATE rb_e2e_rpcwire Threads::Threads)
foreach(_be uring epoll)
  # >= 100 SIGKILLs at random moments under SET/UNSET churn (60 s budget).
  rb_e2e_test(e2e_kill_${_be}      kill      "${_rb} --backend ${_be}" 150 concurrency)
  rb_e2e_test(e2e_durable_${_be}   durable   "${_rb} --backend ${_be}" 60)
  # 60 s was 52-55 s under ASan+UBSan on the shared 2-vCPU VM.
  rb_e2e_test(e2e_statefull_${_be} statefull "${_rb} --backend ${_be}" 90)
  rb_e2e_test(e2e_import_${_be}    import    "${_rb} --backend ${_be}" 90)
  rb_e2e_test(e2e_corrupt_${_be}   corrupt   "${_rb} --backend ${_be}" 90)
  # A small, full or read-only state file system (issue 15 items 2-4).
  rb_e2e_test(e2e_stateroom_${_be} stateroom "${_rb} --backend ${_be}" 60)
  # 140,000 registrations: the workers' lookup prefetch and the huge-page
  # arena, with every reply of a load over all of them validated.
  rb_e2e_test(e2e_large_${_be}     large     "${_rb} --backend ${_be}" 60)
endforeach()
