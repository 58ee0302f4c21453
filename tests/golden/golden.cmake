# Golden-byte tests of the procedure handlers (registry/procs/dispatch.h) and the
# XDR of the port mapper's structures, with libtirpc as an oracle.
#
# Their shared code is built once into rb_golden: golden_util.c (the byte
# builder and reader, the transports, the engine driver) and
# golden_exchange.c (calls with the replies they must get, and the checks
# that more than one test makes).
add_library(rb_golden STATIC golden/golden_util.c golden/golden_exchange.c)
rb_target_defaults(rb_golden)
target_include_directories(rb_golden PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(rb_golden PUBLIC rb_registry)

foreach(_g pmap rpcb3 rpcb4 errors policy forward stream)
  rb_test(test_golden_${_g} golden/test_${_g}.c)
  target_link_libraries(test_golden_${_g} PRIVATE rb_golden)
endforeach()
if(TIRPC_FOUND AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_tirpc.c)
  rb_test(test_golden_tirpc golden/test_tirpc.c)
  target_link_libraries(test_golden_tirpc PRIVATE rb_golden PkgConfig::TIRPC)
endif()
