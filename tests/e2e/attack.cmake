# Attack-surface and hardening end-to-end tests (ringbind only). Uses
# rb_e2e_test and the helpers of e2e.cmake (included before this file).
# Paths are relative to tests/.

# -- owner-port check and privilege drop (net/sockdiag.c, net/privs.c) --
set(_rb_h9 "$<TARGET_FILE:ringbind> -f -w")
foreach(_be uring epoll)
  # A non-root AF_LOCAL registrant must hold the port (sock_diag).
  rb_e2e_test(e2e_ownerport_${_be} ownerport "${_rb_h9} --backend ${_be}" 60)
  # -s: bind, then run as _rpc with CAP_DAC_OVERRIDE (+ CAP_IPC_LOCK on
  # io_uring) only; serving, persisting and a clean exit go on.
  rb_e2e_test(e2e_privs_${_be}     privs     "${_rb_h9} --backend ${_be}" 90)
endforeach()
