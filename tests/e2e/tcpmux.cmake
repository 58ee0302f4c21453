# The TCPMUX front (RFC 1078, --tcpmux): tests/e2e/t_tcpmux.sh with
# tcpmux_client.c (a mux client: name lines, RPC calls through the mux,
# silent and flooding clients, many connections at once, the cap) and
# tcpmux_service.c (a libtirpc TCP RPC service that registers itself, and
# a plain echo service for static names). Included by tests/CMakeLists.txt
# after e2e.cmake (rb_e2e_helper, rb_e2e_test). Needs libtirpc.
#   ctest -L tcpmux

if(TIRPC_FOUND)
  rb_e2e_helper(rb_e2e_tcpmux_client e2e/tcpmux_client.c)
  target_link_libraries(rb_e2e_tcpmux_client PRIVATE rb_e2e_rpcwire)
  rb_e2e_helper(rb_e2e_tcpmux_service e2e/tcpmux_service.c e2e/tinysvc.c)
  target_link_libraries(rb_e2e_tcpmux_service PRIVATE PkgConfig::TIRPC)
  foreach(_be uring epoll)
    rb_e2e_test(e2e_tcpmux_${_be} tcpmux
      "$<TARGET_FILE:ringbind> -f -w --backend ${_be}" 120 tcpmux concurrency)
  endforeach()
endif()
