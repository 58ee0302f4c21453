# Checks of the source itself. Included from tests/CMakeLists.txt.
#
# function_length: no function in core/ or registry/ over 100 lines
#   (scripts/function_length.py; issue 19). net/ joins once its long
#   functions are split.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME function_length
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/function_length.py
      --max 100 ${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/registry)
  set_tests_properties(function_length PROPERTIES LABELS lint)
endif()
