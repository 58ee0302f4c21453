#!/usr/bin/env bash
# Installs, with apt-get, whatever of ringbind's build and test dependencies
# (Debian 12 packages) is missing. Does nothing when all are present.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config
  liburing-dev libck-dev libjemalloc-dev libinih-dev  # the daemon
  libbenchmark-dev                          # bench/ (google-benchmark)
  libtirpc-dev rpcbind                      # tests: libtirpc as an XDR oracle, rpcbind as the reference
  gnuplot-nox python3-jsonschema            # bench/load: plot.sh draws results, check_result.py validates them
  clang libclang-rt-14-dev                  # libFuzzer targets
  iproute2 util-linux                       # network namespaces for end-to-end tests
  nfs-common nfs-kernel-server              # e2e: rpc.statd, rpc.mountd, showmount, exportfs as clients
  curl prometheus                           # e2e: the metrics endpoint (curl), promtool checks it
  systemd python3 python3-yaml libcap2-bin  # systemd-analyze verify, systemd-socket-activate; deploy/ checks (setcap)
  dpkg-dev debhelper lintian               # deploy_deb: the Debian package
  systemd-container mmdebstrap podman runc  # deploy_nspawn, deploy_podman: a booted guest, the image
  nodejs                                    # deploy_k8s_schema: node and npm (the API schemas are npm packages)
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# rpcbind is only a reference for the tests: keep its service from being
# started (it would take port 111) by installing a temporary policy-rc.d.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
