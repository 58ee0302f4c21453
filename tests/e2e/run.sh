#!/bin/bash
# End-to-end test driver: runs one test (tests/e2e/t_NAME.sh) against a real
# port mapper, inside a private network namespace and a private mount
# namespace with a tmpfs over /run, so that port 111 and /run/rpcbind.sock
# never meet the host's or another test's.
#
#   run.sh NAME --bin DIR --server "CMD ARGS" [--ref "CMD ARGS"] [--limit S]
#
#   --bin     the folder holding the helpers built by e2e.cmake (rb_e2e_*)
#   --server  the server command line, e.g. "build/ringbind -f -w --backend
#             uring" or "/usr/sbin/rpcbind -f -w"; ringbind (recognised by its
#             file name) also gets --state-dir in the test's temporary folder
#   --ref     the reference server (differential test), default rpcbind
#   --limit   seconds the test may run, in all (default 100)
#
# E2E_KEEP=1 in the environment keeps the temporary folder (server stderr,
# outputs) for a look afterwards.
#
# Exit status: 0 pass, 1 fail, 77 skip (not root, no namespaces, a needed
# program missing). Every PASS/FAIL/SKIP is one line on stdout.
set -u

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
. "$E2E_DIR/lib.sh"

if [ "${1:-}" = "--inner" ]; then
	shift
	e2e_parse_args "$@"
	e2e_inner
	exit $?
fi

e2e_parse_args "$@"
e2e_outer
