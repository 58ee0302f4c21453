#!/usr/bin/env bash
# A Debian 12 guest booted under `systemd-nspawn -b` with a private
# network, ringbind installed from the package (check_deb.sh builds it),
# and guest_test.sh run in it by systemd after boot: both unit modes, the
# procedures of deploy/README.md word for word, reload/restart/KILL, the
# watchdog over a minute, rpc.statd and rpc.mountd registrations, metrics,
# journald priorities, systemd-analyze security (issue 18).
# The guest's root file system is made by mmdebstrap from the apt sources
# this machine uses, once, and cached in BUILD_DIR/nspawn/guest-*.tar
# (about 70 s to make); each run extracts a fresh copy. A run takes about
# 2.5 minutes (the watchdog part waits 65 s).
# Usage: check_nspawn.sh SOURCE_DIR BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skipped (not root, no systemd-nspawn or
# mmdebstrap, no package, or nspawn cannot boot a guest here).
set -euo pipefail
src=$(readlink -f "${1:?usage: check_nspawn.sh SOURCE_DIR BUILD_DIR}")
build=$(readlink -f "${2:?usage: check_nspawn.sh SOURCE_DIR BUILD_DIR}")
dir=$build/nspawn
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (systemd-nspawn)"; exit 77; }
for t in systemd-nspawn mmdebstrap; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found (apt-get install systemd-container mmdebstrap)"; exit 77; }
done
deb=$(ls "$build"/deb/ringbind_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
	bash "$src/tests/deploy/check_deb.sh" "$src" "$build" >/dev/null 2>&1 || true
	deb=$(ls "$build"/deb/ringbind_*.deb 2>/dev/null | head -1 || true)
fi
[ -n "$deb" ] || { echo "SKIP: no ringbind .deb (deploy_deb could not build it)"; exit 77; }

# The guest: systemd, rpcbind and nfs-utils (the units ringbind must work
# with), rpcinfo, curl, and the package's runtime libraries (the guest has
# no network: dpkg -i, not apt).
libs=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g' | grep -v '^systemd' | paste -sd, -)
pkgs="systemd,systemd-sysv,dbus,rpcbind,nfs-common,nfs-kernel-server,iproute2,curl,procps,$libs"
key=$(printf '%s %s' "$pkgs" "$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | sha256sum)" | sha256sum | cut -c1-12)
tar=$dir/guest-$key.tar
mkdir -p "$dir"
if [ ! -s "$tar" ]; then
	rm -f "$dir"/guest-*.tar
	t0=$(date +%s)
	if ! timeout 400 mmdebstrap --variant=minbase --include="$pkgs" bookworm "$dir/new-guest.tar" >"$dir/mmdebstrap.log" 2>&1; then
		rm -f "$dir/new-guest.tar"
		echo "SKIP: mmdebstrap could not make a Debian 12 guest (no apt sources?):"
		tail -5 "$dir/mmdebstrap.log" | sed 's/^/  | /'
		exit 77
	fi
	mv "$dir/new-guest.tar" "$tar"
	echo "ok: guest made by mmdebstrap in $(($(date +%s) - t0)) s (cached: $tar)"
fi
root=$dir/root
rm -rf "$root" "$dir/results"
mkdir -p "$root" "$dir/results"
tar -C "$root" -xf "$tar"
cp "$deb" "$root/root/ringbind.deb"
mkdir -p "$root/root/src/deploy"
cp -r "$src/deploy/." "$root/root/src/deploy/"
cp "$src/tests/deploy/nspawn/guest_test.sh" "$root/root/guest_test.sh"
cat >"$root/etc/systemd/system/rb-guest-test.service" <<'U'
[Unit]
Description=ringbind guest test (tests/deploy/nspawn)
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/bash /root/guest_test.sh /results
ExecStopPost=/bin/systemctl poweroff --no-block
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=220
[Install]
WantedBy=multi-user.target
U
ln -s ../rb-guest-test.service "$root/etc/systemd/system/multi-user.target.wants/rb-guest-test.service"
echo "ringbind-guest" >"$root/etc/hostname"

t0=$(date +%s)
st=0
timeout 260 systemd-nspawn -q -D "$root" -b --private-network --register=no --keep-unit \
	--bind="$dir/results:/results" -M "rbguest$$" >"$dir/console.log" 2>&1 </dev/null || st=$?
echo "guest ran $(($(date +%s) - t0)) s (nspawn exit $st)"
if [ ! -s "$dir/results/result" ]; then
	if grep -q "Failed to\|cannot\|not supported" "$dir/console.log" && ! grep -q "Reached target" "$dir/console.log"; then
		echo "SKIP: systemd-nspawn could not boot the guest here:"
		tail -5 "$dir/console.log" | sed 's/^/  | /'
		exit 77
	fi
	echo "FAIL: the guest wrote no result (console: $dir/console.log):"
	grep -v '^\s*$' "$dir/console.log" | tail -30 | sed 's/^/  | /'
	exit 1
fi
cat "$dir/results/result"
rm -rf "$root"
grep -q '^guest: all checks passed' "$dir/results/result"
