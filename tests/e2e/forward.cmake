# Remote calls (ringbind -r): CALLIT/BCAST/INDIRECT forwarded to a real UDP
# RPC service (tests/e2e/t_callit.sh with fwd_service.c behind the daemon and
# fwd_client.c in front of it). Included by tests/CMakeLists.txt after
# e2e.cmake (rb_e2e_helper, rb_e2e_test). Needs libtirpc (the service
# registers and serves through it).
#   ctest -L forward

if(TIRPC_FOUND)
  rb_e2e_helper(rb_e2e_fwd_service e2e/fwd_service.c e2e/tinysvc.c)
  target_link_libraries(rb_e2e_fwd_service PRIVATE rb_e2e_rpcwire)
  target_link_libraries(rb_e2e_fwd_service PRIVATE PkgConfig::TIRPC)
  rb_e2e_helper(rb_e2e_fwd_client e2e/fwd_client.c)
  target_link_libraries(rb_e2e_fwd_client PRIVATE rb_e2e_rpcwire)
  target_link_libraries(rb_e2e_fwd_client PRIVATE PkgConfig::TIRPC)
  foreach(_be uring epoll)
    rb_e2e_test(e2e_callit_${_be} callit
      "$<TARGET_FILE:ringbind> -f -w --backend ${_be}" 150 forward concurrency)
  endforeach()
  # The same test against Debian's rpcbind -r (label e2e_ref): the
  # reference's own behaviour, with the checks where ringbind deliberately
  # differs reported as notes.
  rb_e2e_test(e2e_callit_rpcbind callit "${RB_E2E_RPCBIND}" 150 e2e_ref forward)
endif()
