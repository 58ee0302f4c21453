#!/usr/bin/env bash
# Builds ringbind and runs the whole test suite: the README's second command.
#   scripts/test.sh            normal build (warnings are errors), every test
#   scripts/test.sh asan       the suite under AddressSanitizer + UBSan
#   scripts/test.sh tsan       the concurrency tests under ThreadSanitizer
#   scripts/test.sh fuzz       libFuzzer targets (clang), a short run each
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)
mode=${1:-default}

case "$mode" in
default)
  cmake -B build -DRB_WERROR=ON >/dev/null
  cmake --build build -j"$jobs"
  ctest --test-dir build --output-on-failure -j"$jobs"
  ;;
asan)
  cmake -B build-asan -DRB_WERROR=ON -DRB_SANITIZE=address,undefined -DRB_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"
  ;;
tsan)
  cmake -B build-tsan -DRB_WERROR=ON -DRB_SANITIZE=thread -DRB_BENCH=OFF >/dev/null
  cmake --build build-tsan -j"$jobs"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan --output-on-failure -L concurrency
  ;;
fuzz)
  CC=clang CXX=clang++ cmake -B build-fuzz -DRB_FUZZ=ON -DRB_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j"$jobs"
  secs=${FUZZ_SECONDS:-30}
  for f in build-fuzz/tests/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    work=$(mktemp -d)
    cp -r "tests/corpus/$name/." "$work/" 2>/dev/null || true
    echo "== $name for ${secs}s"
    "$f" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "$work" 2>&1 | tail -n 12
    rm -rf "$work"
  done
  ;;
*)
  echo "usage: scripts/test.sh [default|asan|tsan|fuzz]" >&2
  exit 2
  ;;
esac
