#!/usr/bin/env bash
# cmake --install into a staging folder (DESTDIR): the daemon in sbin, the
# man pages, the units (naming the installed binary), the tmpfiles.d and
# sysusers.d files and the example config land where cmake/install.cmake
# says, and nothing under etc/.
#   check_install.sh BUILD_DIR [with-load|no-load]
# ringbind-load and its man page are installed only when the build has the
# benchmarks (RB_BENCH, off in the sanitizer builds): no-load says so.
set -u
build=$1
load=${2:-with-load}
stage=$(mktemp -d /tmp/rb-install.XXXXXX)
trap 'rm -rf "$stage"' EXIT
fails=0
if ! DESTDIR=$stage cmake --install "$build" >"$stage.log" 2>&1; then
	echo "FAIL: cmake --install:"; sed 's/^/  | /' "$stage.log"; rm -f "$stage.log"; exit 1
fi
rm -f "$stage.log"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
root=$stage$prefix
check() { # check WHAT TEST...
	local what=$1; shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
check "sbin/ringbind installed and runs" test -x "$root/sbin/ringbind"
check "ringbind --version" sh -c "'$root/sbin/ringbind' --version | grep -q '^ringbind '"
check "man page ringbind(8)" test -f "$root/share/man/man8/ringbind.8"
if [ "$load" = with-load ]; then
	check "bin/ringbind-load installed" test -x "$root/bin/ringbind-load"
	check "man page ringbind-load(1)" test -f "$root/share/man/man1/ringbind-load.1"
else
	check "no ringbind-load(1) without ringbind-load" test ! -e "$root/share/man/man1/ringbind-load.1"
fi
check "example config under the documentation" test -f "$root/share/doc/ringbind/examples/ringbind.conf"
unit=$(find "$stage" -name ringbind.service | head -1)
check "ringbind.service installed" test -n "$unit"
check "ringbind.socket installed" test -n "$(find "$stage" -name ringbind.socket | head -1)"
[ -n "$unit" ] && check "the unit names the installed binary" grep -q "^ExecStart=$prefix/sbin/ringbind " "$unit"
check "a tmpfiles.d file" test -n "$(find "$stage" -path '*tmpfiles.d/ringbind.conf' | head -1)"
check "a sysusers.d file" test -n "$(find "$stage" -path '*sysusers.d/ringbind.conf' | head -1)"
check "nothing written under etc/" test -z "$(find "$stage" -path '*/etc/*' | head -1)"
[ $fails -eq 0 ]
