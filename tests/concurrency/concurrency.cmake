# Concurrency tests: readers against a churning writer. Meant for the TSan
# build (-DRB_SANITIZE=thread); they also pass, faster, without it.
rb_test(test_registry_churn concurrency/test_registry_churn.c)
set_tests_properties(test_registry_churn PROPERTIES
  TIMEOUT 60
  LABELS concurrency
  # Any TSan report fails the run: TSan exits with 66 when it reported
  # anything. Every report is printed, not only the first.
  ENVIRONMENT "TSAN_OPTIONS=second_deadlock_stack=1 exitcode=66")
# The stale scan's housekeeping thread reading the registry while its
# writer churns (net/control/stale.h).
rb_test(test_stale_churn concurrency/test_stale_churn.c)
target_link_libraries(test_stale_churn PRIVATE rb_net_control)
set_tests_properties(test_stale_churn PROPERTIES
  TIMEOUT 60
  LABELS concurrency
  ENVIRONMENT "TSAN_OPTIONS=second_deadlock_stack=1 exitcode=66")
