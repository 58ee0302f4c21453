# Fuzz targets and their corpora.
#
# Every configuration builds replay_<target> (the target's entry point
# driven by replay_main.c over tests/corpus/<target>) and registers it as
# the ctest fuzz_replay_<target>, so the corpus is a regression suite in
# the normal, ASan/UBSan and TSan builds alike.
#
# With -DRB_FUZZ=ON and clang, fuzz_<target> is also built as a libFuzzer
# binary. It links its own copy of core/ and registry/ compiled with
# -fsanitize=fuzzer-no-link,address,undefined (coverage and ASan inside the
# code under test), so rb_core and the registry rooms themselves, and every other
# executable of that build, stay uninstrumented and link normally.
#   cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DRB_FUZZ=ON
#   build-fuzz/tests/fuzz_handle -max_total_time=60 tests/corpus/fuzz_handle
# (run it on a scratch copy of the corpus to keep new inputs out of git).
# Paths are relative to tests/.

set(RB_FUZZ_TARGETS fuzz_handle fuzz_record fuzz_uaddr)
# The persistence formats (journal, snapshot, rpcbind warm-start files).
list(APPEND RB_FUZZ_TARGETS fuzz_state)
# TCPMUX: the name line, names, /etc/rpc text, replies (core/tcpmux_proto.h).
list(APPEND RB_FUZZ_TARGETS fuzz_tcpmux)

foreach(t IN LISTS RB_FUZZ_TARGETS)
  add_executable(replay_${t} fuzz/${t}.c fuzz/fuzz_common.c fuzz/replay_main.c)
  rb_target_defaults(replay_${t})
  target_include_directories(replay_${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(replay_${t} PRIVATE rb_registry)
  add_test(NAME fuzz_replay_${t}
           COMMAND replay_${t} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${t})
endforeach()

# Writes the seed corpora (tests/corpus/*); run by hand, not by ctest:
#   gen_corpus tests/corpus
add_executable(gen_corpus fuzz/gen_corpus.c)
rb_target_defaults(gen_corpus)
# fuzz_state's seeds: gen_corpus_state tests/corpus tests/data
add_executable(gen_corpus_state fuzz/gen_corpus_state.c)
rb_target_defaults(gen_corpus_state)
target_link_libraries(gen_corpus_state PRIVATE rb_registry)

if(RB_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(WARNING "RB_FUZZ needs clang (libFuzzer); fuzz_* targets skipped")
  else()
    set(_rb_fuzz_flags -fsanitize=fuzzer-no-link,address,undefined
        -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    set(_rb_fuzz_srcs)
    foreach(lib rb_core rb_store rb_stats rb_format rb_procs)
      get_target_property(_srcs ${lib} SOURCES)
      get_target_property(_dir ${lib} SOURCE_DIR)
      foreach(s IN LISTS _srcs)
        if(IS_ABSOLUTE "${s}")
          list(APPEND _rb_fuzz_srcs "${s}")
        else()
          list(APPEND _rb_fuzz_srcs "${_dir}/${s}")
        endif()
      endforeach()
    endforeach()
    add_library(rb_fuzz_code STATIC ${_rb_fuzz_srcs})
    rb_target_defaults(rb_fuzz_code)
    target_compile_options(rb_fuzz_code PRIVATE ${_rb_fuzz_flags})
    target_include_directories(rb_fuzz_code PUBLIC ${PROJECT_SOURCE_DIR}
                               ${CMAKE_BINARY_DIR}/generated)
    target_link_libraries(rb_fuzz_code PUBLIC PkgConfig::CK Threads::Threads)

    foreach(t IN LISTS RB_FUZZ_TARGETS)
      add_executable(${t} fuzz/${t}.c fuzz/fuzz_common.c)
      rb_target_defaults(${t})
      target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
      target_compile_options(${t} PRIVATE
        -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
        -fno-sanitize-recover=undefined)
      target_link_options(${t} PRIVATE -fsanitize=fuzzer,address,undefined)
      target_link_libraries(${t} PRIVATE rb_fuzz_code)
    endforeach()
  endif()
endif()
