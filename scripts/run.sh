#!/usr/bin/env bash
# Builds ringbind and runs it in the foreground: the README's first command.
# Extra arguments go to the daemon (default: -f -w, as rpcbind's unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
if [ $# -eq 0 ]; then
  set -- -f -w
fi
exec build/ringbind "$@"
