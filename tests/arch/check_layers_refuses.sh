#!/bin/sh
# arch_layers_refuses: scripts/check_layers.py can fail. In a scratch copy
# of core/, registry/ and net/ it must pass as is, then refuse each planted
# violation: a transport file including the assembly's header (a room
# above), a feature including the control thread's (a sibling), a core file
# including the registry's, a file in no room, and a CMake library linking
# a room above it. Each plant goes into a fresh copy. No root; about 1 s.
set -eu
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
src=${1:?usage: check_layers_refuses.sh SOURCE_DIR}
script="$src/scripts/check_layers.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fresh() {
	rm -rf "$tmp/t"
	mkdir -p "$tmp/t"
	cp -r "$src/core" "$src/registry" "$src/net" "$tmp/t/"
}

fresh
if ! python3 "$script" "$tmp/t" >"$tmp/out"; then
	cat "$tmp/out"
	echo "FAIL: the unchanged copy is refused"
	exit 1
fi

# refuses FILE LINE WHAT: FILE with LINE added must fail, naming FILE.
refuses() {
	fresh
	printf '%s\n' "$2" >>"$tmp/t/$1"
	if python3 "$script" "$tmp/t" >"$tmp/out"; then
		echo "FAIL: $3 ($1: $2) was accepted"
		exit 1
	fi
	if ! grep -q "$1" "$tmp/out"; then
		cat "$tmp/out"
		echo "FAIL: $3: the refusal does not name $1"
		exit 1
	fi
	echo "ok: refused $3"
}

refuses net/transport/serve.c '#include "net/daemon/daemon.h"' "an include of a room above"
refuses net/features/forward.c '#include "net/control/control.h"' "an include of a sibling room"
refuses core/xdr.c '#include "registry/store/registry.h"' "core including registry"
refuses net/ops/metrics.c '#include "net/daemon/daemon.h"' "ops including the assembly"

fresh
printf '#include "net/base/log.h"\n' >"$tmp/t/net/stray.c"
if python3 "$script" "$tmp/t" >"$tmp/out" || ! grep -q 'net/stray.c: in no room' "$tmp/out"; then
	cat "$tmp/out"
	echo "FAIL: a file in no room was accepted"
	exit 1
fi
echo "ok: refused a file in no room"

refuses net/CMakeLists.txt 'target_link_libraries(rb_net_transport PUBLIC rb_net_features)' \
	"a library linking a room above"
echo "PASS"
