# The house's shape (ARCHITECTURE.md), checked without building or running
# anything of the daemon. Label "arch":  ctest -L arch
# Paths are relative to tests/. Without python3 the checks report a skip.
if(NOT Python3_Interpreter_FOUND)
  set(Python3_EXECUTABLE sh -c "echo 'SKIP: python3 not found'; exit 77" --)
endif()

# No include or link against the rooms' direction (scripts/check_layers.py;
# also run at configure time). < 1 s.
add_test(NAME arch_layers
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/check_layers.py ${PROJECT_SOURCE_DIR})
# The check can fail: planted violations in a scratch copy are refused.
# About 2 s (10 s on a loaded machine).
add_test(NAME arch_layers_refuses
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/arch/check_layers_refuses.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(arch_layers arch_layers_refuses PROPERTIES LABELS arch TIMEOUT 60 SKIP_RETURN_CODE 77)

# ARCHITECTURE.md's map: every file:function it names exists and is
# defined there (tests/arch/check_map.py). < 1 s.
add_test(NAME arch_map
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/arch/check_map.py ${PROJECT_SOURCE_DIR})
# The map check can fail: dangling names planted in a copy are refused. < 1 s.
add_test(NAME arch_map_refuses
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/arch/check_map_refuses.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(arch_map arch_map_refuses PROPERTIES LABELS arch TIMEOUT 60 SKIP_RETURN_CODE 77)

# The libraries themselves: each room's whole library links with only the
# rooms below it (an undefined reference into a room above, say the
# transport calling a feature directly rather than through its hook, fails
# the build). Built with the tests; the test runs the result. < 1 s.
foreach(_room base transport features control ops daemon)
  add_executable(arch_link_${_room} arch/link_room.c)
  rb_target_defaults(arch_link_${_room})
  target_link_libraries(arch_link_${_room} PRIVATE
    "$<LINK_LIBRARY:WHOLE_ARCHIVE,rb_net_${_room}>")
  add_test(NAME arch_link_${_room} COMMAND arch_link_${_room})
  set_tests_properties(arch_link_${_room} PROPERTIES LABELS arch)
endforeach()
