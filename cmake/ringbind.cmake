# Per-target compile settings: warnings and sanitizers are applied to our own
# targets only (never through global CMAKE_C_FLAGS), so third-party code and
# try_compile checks are unaffected.

set(RB_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla -Wformat=2
    -Wno-unused-parameter)

function(rb_target_defaults tgt)
  get_target_property(_type ${tgt} TYPE)
  target_compile_options(${tgt} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:${RB_WARNINGS}>
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
  if(RB_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
  target_include_directories(${tgt} PRIVATE ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
  # RB_ASSERT_OWNER (net/base/owner.h): checked in debug and sanitizer
  # builds, compiled out in release ones.
  if(RB_SANITIZE OR CMAKE_BUILD_TYPE STREQUAL "Debug")
    target_compile_definitions(${tgt} PRIVATE RB_CHECK_OWNER=1)
  endif()
  if(RB_SANITIZE)
    target_compile_options(${tgt} PRIVATE -fsanitize=${RB_SANITIZE}
      -fno-omit-frame-pointer -fno-sanitize-recover=all)
    if(NOT _type STREQUAL "STATIC_LIBRARY" AND NOT _type STREQUAL "OBJECT_LIBRARY")
      target_link_options(${tgt} PRIVATE -fsanitize=${RB_SANITIZE})
    endif()
    if(RB_SANITIZE MATCHES "thread")
      # Concurrency Kit's inline atomics become compiler builtins, which
      # TSan understands; its inline assembly would be invisible to it.
      target_compile_definitions(${tgt} PRIVATE CK_USE_CC_BUILTINS=1 RB_TSAN=1)
    endif()
  endif()
endfunction()
