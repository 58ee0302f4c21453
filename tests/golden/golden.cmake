# Golden-byte tests of the procedure handlers (registry/dispatch.h) and the
# XDR of the port mapper's structures, with libtirpc as an oracle.
foreach(_g pmap rpcb3 rpcb4 errors policy forward)
  rb_test(test_golden_${_g} golden/test_${_g}.c golden/golden_util.c)
endforeach()
if(TIRPC_FOUND AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_tirpc.c)
  rb_test(test_golden_tirpc golden/test_tirpc.c golden/golden_util.c)
  target_link_libraries(test_golden_tirpc PRIVATE PkgConfig::TIRPC)
endif()
