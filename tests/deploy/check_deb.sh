#!/usr/bin/env bash
# The Debian package (issue 18): debian/ built by `dpkg-buildpackage -us
# -uc -b` from a copy of the sources in BUILD_DIR/deb, lintian clean (its
# overrides in debian/ each say why), and the .deb holds the binary, the
# man pages, the units, the tmpfiles.d and sysusers.d files, the rpcbind
# drop-in and ringbind-portmapper, shares no path with the rpcbind
# package, and apt accepts it beside rpcbind (a simulated install).
# The nspawn test installs it for real. About 90 s on 2 cores (a release
# build of the daemon); the .deb is reused while no source changed.
# Usage: check_deb.sh SOURCE_DIR BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skipped (no dpkg-buildpackage, dh or lintian).
set -euo pipefail
src=$(readlink -f "${1:?usage: check_deb.sh SOURCE_DIR BUILD_DIR}")
out=$(readlink -f "${2:?usage: check_deb.sh SOURCE_DIR BUILD_DIR}")/deb
for t in dpkg-buildpackage dh lintian dpkg-deb; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found (apt-get install dpkg-dev debhelper lintian)"; exit 77; }
done
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# A copy of the sources without build trees or VCS data; rebuilt only when
# their checksum changed (the nspawn test reuses the .deb).
mkdir -p "$out"
sum=$(cd "$src" && find . -path ./.git -prune -o -path './build*' -prune -o -type f -print0 |
	sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
deb=$(ls "$out"/ringbind_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ] || [ "$(cat "$out/sum" 2>/dev/null)" != "$sum" ]; then
	rm -rf "$out" && mkdir -p "$out/src"
	(cd "$src" && tar --exclude=./.git --exclude='./build*' -cf - .) | tar -C "$out/src" -xf -
	t0=$(date +%s)
	if ! (cd "$out/src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
		echo "FAIL: dpkg-buildpackage:"; tail -30 "$out/build.log" | sed 's/^/  | /'
		exit 1
	fi
	echo "$sum" >"$out/sum"
	ok "dpkg-buildpackage -us -uc -b in $(($(date +%s) - t0)) s"
	deb=$(ls "$out"/ringbind_*_"$(dpkg --print-architecture)".deb | head -1)
else
	ok "sources unchanged: $(basename "$deb") reused"
fi

# lintian: no error or warning; overrides only in debian/ (each justified).
lint=$(lintian --fail-on error,warning --display-info "$deb" 2>&1 | grep -v 'running with root privileges') && lst=0 || lst=$?
if [ "$lst" -eq 0 ] && ! grep -qE '^[EW]:' <<<"$lint"; then
	ok "lintian: no error or warning ($(printf '%s\n' "$lint" | grep -c '^[IP]:' || true) info tags)"
else
	fail "lintian (exit $lst):"; printf '%s\n' "$lint" | sed 's/^/  | /'
fi
printf '%s\n' "$lint" | grep -E '^[IP]:' | sed 's/^/  lintian: /' || true

files=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/sbin/ringbind /usr/sbin/ringbind-portmapper /usr/share/man/man8/ringbind.8.gz \
	/usr/share/man/man8/ringbind-portmapper.8.gz /lib/systemd/system/ringbind.service \
	/lib/systemd/system/ringbind.socket /usr/lib/tmpfiles.d/ringbind.conf \
	/usr/lib/sysusers.d/ringbind.conf \
	/usr/share/ringbind/systemd/rpcbind.service.d/ringbind.conf \
	/usr/share/doc/ringbind/examples/ringbind.conf; do
	grep -qx "$f" <<<"$files" || fail "the package lacks $f"
done
grep -q '^/etc/' <<<"$files" && fail "the package ships files in /etc"
if dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/lib/sysusers.d/ringbind.conf | grep '^u *_rpc *-:nogroup' >/dev/null; then
	ok "sysusers.d: debian/ringbind.sysusers (_rpc in nogroup, as rpcbind makes it)"
else
	fail "sysusers.d/ringbind.conf is not debian/ringbind.sysusers"
fi
if dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/ringbind.service | grep '^ExecStart=/usr/sbin/ringbind ' >/dev/null; then
	ok "the unit runs /usr/sbin/ringbind"
else
	fail "ringbind.service does not run /usr/sbin/ringbind"
fi
if dpkg-deb -I "$deb" postinst 2>/dev/null | grep 'deb-systemd-invoke start' >/dev/null; then
	fail "postinst starts a unit (it must start nothing beside rpcbind)"
fi
# Beside rpcbind: no shared path, and apt would install both.
if dpkg -L rpcbind >/dev/null 2>&1; then
	both=$(comm -12 <(printf '%s\n' "$files" | grep -v '/$' | sort) <(dpkg -L rpcbind | sort))
	[ -z "$both" ] || fail "paths shared with the rpcbind package: $both"
	if [ "$(id -u)" -eq 0 ]; then
		if sim=$(apt-get -s -o Debug::NoLocking=1 install "$deb" 2>&1) &&
		   ! grep -q '^Remv rpcbind' <<<"$sim"; then
			ok "apt-get -s install: accepted beside rpcbind ($(printf '%s\n' "$sim" | grep -c '^Inst') to install, nothing removed)"
		else
			fail "apt-get -s install:"; printf '%s\n' "$sim" | tail -5 | sed 's/^/  | /'
		fi
	fi
else
	echo "note: rpcbind not installed here: co-installation checked in the nspawn test only"
fi
[ "$fails" -eq 0 ] || { echo "deb: $fails failure(s)"; exit 1; }
echo "deb: $(basename "$deb") passes"
