#!/bin/sh
# arch_map_refuses: tests/arch/check_map.py can fail. A copy of
# ARCHITECTURE.md with one dangling name added at a time must be refused,
# the refusal naming it: a function that exists nowhere, one named in a file
# that only calls it, one that is only declared (a header's prototype), a
# file that does not exist. No root; well under 1 s.
set -eu
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
src=${1:?usage: check_map_refuses.sh SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 "$src/tests/arch/check_map.py" "$src" >/dev/null || {
	echo "FAIL: the map itself is refused"
	exit 1
}
refuses() {
	cp "$src/ARCHITECTURE.md" "$tmp/map.md"
	printf '\n`%s` \n' "$1" >>"$tmp/map.md"
	if python3 "$src/tests/arch/check_map.py" "$src" "$tmp/map.md" >"$tmp/out"; then
		echo "FAIL: $2 ($1) was accepted"
		exit 1
	fi
	grep -q "$3" "$tmp/out" || {
		cat "$tmp/out"
		echo "FAIL: $2: the refusal does not name $3"
		exit 1
	}
	echo "ok: refused $2"
}
refuses 'net/transport/worker.c:rb_no_such_function' "a function that exists nowhere" rb_no_such_function
refuses 'net/transport/serve.c:rb_handle_call_ex' "a function the file only calls" rb_handle_call_ex
refuses 'net/transport/worker.h:rb_worker_tick' "a function the file only declares" rb_worker_tick
refuses 'net/transport/nowhere.c:rb_worker_tick' "a file that does not exist" nowhere.c
refuses 'net/nowhere/gone.c' "a path alone that does not exist" gone.c
echo PASS
