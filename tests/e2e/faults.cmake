# Faults injected into the daemon (tests/e2e/faultshim.c, LD_PRELOAD): a
# worker's lost wake-up, failing epoll_ctl. The shim is built without the
# sanitizers (it is preloaded ahead of them; the test tells ASan so).
add_library(rb_e2e_faultshim MODULE e2e/faultshim.c)
set_target_properties(rb_e2e_faultshim PROPERTIES
  PREFIX "" OUTPUT_NAME rb_e2e_faultshim
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/e2e)
target_compile_options(rb_e2e_faultshim PRIVATE -O2 -Wall -Wextra)
target_link_libraries(rb_e2e_faultshim PRIVATE dl)
foreach(_be uring epoll)
  rb_e2e_test(e2e_faults_${_be} faults "$<TARGET_FILE:ringbind> -f -w --backend ${_be}" 60)
  # Lookups racing SETs whose commits fail (full file system, failing
  # fdatasync): nothing visible before it is durable.
  rb_e2e_test(e2e_visible_${_be} visible "$<TARGET_FILE:ringbind> -f -w --backend ${_be}" 60)
  # The stale scan slowed (its /proc/net reads held 3 s each) while
  # SET/UNSET keep being answered: the scan is not the control thread's.
  rb_e2e_test(e2e_stalescan_${_be} stalescan "$<TARGET_FILE:ringbind> -f -w --backend ${_be}" 60)
endforeach()
# Large replies in fragments, as a client sees them (tests/e2e/dumpclient.py).
foreach(_be uring epoll)
  rb_e2e_test(e2e_stream_${_be} stream "$<TARGET_FILE:ringbind> -f -w --backend ${_be}" 120)
endforeach()
