# Unit tests of core/: golden bytes, limits, and libtirpc as an oracle.
# Paths are relative to tests/.
rb_test(test_xdr unit/test_xdr.c)
rb_test(test_record unit/test_record.c)
rb_test(test_config unit/test_config.c)

# These two compare against libtirpc (xdr_callmsg, taddr2uaddr).
rb_test(test_rpc_msg unit/test_rpc_msg.c)
target_link_libraries(test_rpc_msg PRIVATE PkgConfig::TIRPC)
rb_test(test_uaddr unit/test_uaddr.c)
target_link_libraries(test_uaddr PRIVATE PkgConfig::TIRPC)
