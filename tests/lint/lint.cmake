# Checks of the source itself. Included from tests/CMakeLists.txt.
#
# room_link_<room> (built, not run): see below.
# function_length: no function in core/, registry/ or net/ over 100 lines
#   (scripts/function_length.py; issue 19); function_length_refuses shows
#   it failing on a planted 101-line function.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME function_length
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/function_length.py
      --max 100 ${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/registry
      ${PROJECT_SOURCE_DIR}/net)
  set_tests_properties(function_length PROPERTIES LABELS lint)
  add_test(NAME function_length_refuses
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/function_length_refuses.sh
      ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/function_length.py)
  set_tests_properties(function_length_refuses PROPERTIES LABELS lint)
endif()

# room_link_<room>: registry/'s rooms (registry/CMakeLists.txt) each linked
# whole against only the rooms below it; the build fails on an upward call.
foreach(_room store stats format procs)
  add_executable(room_link_${_room} lint/room_main.c)
  rb_target_defaults(room_link_${_room})
  get_target_property(_below rb_${_room} INTERFACE_LINK_LIBRARIES)
  target_link_libraries(room_link_${_room} PRIVATE
    "$<LINK_LIBRARY:WHOLE_ARCHIVE,rb_${_room}>" ${_below})
endforeach()
