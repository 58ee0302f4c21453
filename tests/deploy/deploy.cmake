# Checks of the deployment material (deploy/, man/, examples/), labelled
# "deploy": `ctest -L deploy`. Included from tests/CMakeLists.txt.
#
# deploy_units: systemd-analyze verify on the units and drop-ins, the
#   tmpfiles.d and sysusers.d entries (skipped, 77, without systemd-analyze).
# deploy_manifests: Kubernetes YAML, Dockerfile, example configuration and
#   man pages against each other and against the built binary's --help and
#   option parser (skipped, 77, without python3-yaml). The daemon is never
#   started: every argument vector is checked with a bad last argument.
# deploy_privs: the daemon run under the privileges of the systemd unit,
#   the DaemonSet and the sidecar, each in its own network and mount
#   namespace, must serve (skipped, 77, when not root or without unshare,
#   setpriv, setcap or curl).

add_test(NAME deploy_units
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/deploy/check_units.sh
    ${PROJECT_SOURCE_DIR} $<TARGET_FILE:ringbind>)

add_test(NAME deploy_privs
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/deploy/check_privs.sh
    ${PROJECT_SOURCE_DIR} $<TARGET_FILE:ringbind>)

find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  # bench/ is added after tests/, so ringbind-load is looked up when the
  # build files are generated, not now; without RB_BENCH it is left out.
  add_test(NAME deploy_manifests
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/deploy/check_deploy.py
      --source ${PROJECT_SOURCE_DIR}
      --ringbind $<TARGET_FILE:ringbind>
      $<$<TARGET_EXISTS:ringbind-load>:--load=$<TARGET_FILE:ringbind-load>>)
else()
  add_test(NAME deploy_manifests
    COMMAND sh -c "echo 'SKIP: python3 not found'; exit 77")
endif()

# deploy_install: cmake --install into a staging folder (DESTDIR).
add_test(NAME deploy_install
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/deploy/check_install.sh ${CMAKE_BINARY_DIR}
    $<IF:$<TARGET_EXISTS:ringbind-load>,with-load,no-load>)

set_tests_properties(deploy_units deploy_manifests deploy_privs deploy_install PROPERTIES
  LABELS deploy
  SKIP_RETURN_CODE 77
  TIMEOUT 120)

# deploy_uring_refusal: the daemon under a seccomp filter that refuses
# io_uring_setup (ENOSYS, as podman's default profile), _enter or
# _register must say what refused it (issue 18). About 2 s.
add_executable(seccomp_deny ${PROJECT_SOURCE_DIR}/tests/deploy/seccomp_deny.c)
rb_target_defaults(seccomp_deny)
add_test(NAME deploy_uring_refusal
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/deploy/check_uring_refusal.sh
    $<TARGET_FILE:ringbind> $<TARGET_FILE:seccomp_deny>)
set_tests_properties(deploy_uring_refusal PROPERTIES
  LABELS deploy SKIP_RETURN_CODE 77 TIMEOUT 60)

# deploy_monitoring: deploy/prometheus alert rules (promtool check and test
# rules) and deploy/grafana dashboard (every query parsed by promtool and
# naming only metrics of a real scrape of the daemon). About 3 s.
add_test(NAME deploy_monitoring
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/deploy/check_monitoring.sh
    ${PROJECT_SOURCE_DIR} $<TARGET_FILE:ringbind>)
set_tests_properties(deploy_monitoring PROPERTIES
  LABELS deploy SKIP_RETURN_CODE 77 TIMEOUT 60)

# The heavy deploy tests (package, guest, image, schemas) build and run
# their own binaries, not this build's: a sanitizer build (CI's ASan and
# TSan passes) would only repeat them, minutes each. Not registered there.
if(NOT RB_SANITIZE)
# Where the heavy deploy tests keep what they make once: the .deb (deb/),
# the nspawn guest's root file system (nspawn/), podman's storage with the
# Debian base and the image's layers (podman/), the npm schema packages
# (k8s-schema/). A fresh build tree makes them again (about 7 minutes on
# 2 cores); CI may point this at a directory kept between runs.
set(RB_DEPLOY_CACHE_DIR "${CMAKE_BINARY_DIR}" CACHE PATH
    "cache of the deploy tests (.deb, nspawn guest, podman storage, npm packages)")

# deploy_deb: debian/ built with dpkg-buildpackage -us -uc -b, lintian,
# the package's contents, co-installable with rpcbind (issue 18). About
# 40-90 s on 2 cores; the .deb (BUILD/deb) is reused by deploy_nspawn.
add_test(NAME deploy_deb
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/deploy/check_deb.sh
    ${PROJECT_SOURCE_DIR} ${RB_DEPLOY_CACHE_DIR})
set_tests_properties(deploy_deb PROPERTIES
  LABELS deploy SKIP_RETURN_CODE 77 TIMEOUT 300 RESOURCE_LOCK deb)

# deploy_nspawn: a Debian 12 guest booted by systemd-nspawn -b (private
# network) with the package installed; both unit modes and the procedures
# of deploy/README.md run word for word (issue 18). About 2 minutes (the
# watchdog part waits 65 s), plus about 2.5 minutes once to make the
# guest with mmdebstrap (cached in BUILD/nspawn). Needs root.
add_test(NAME deploy_nspawn
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/deploy/nspawn/check_nspawn.sh
    ${PROJECT_SOURCE_DIR} ${RB_DEPLOY_CACHE_DIR})
set_tests_properties(deploy_nspawn PROPERTIES
  LABELS deploy SKIP_RETURN_CODE 77 TIMEOUT 600 RESOURCE_LOCK deb)

# deploy_podman: the image built and run with rootful podman exactly as
# deploy/README.md's podman-run block says, from a Debian 12 base made by
# mmdebstrap (podman storage private to BUILD/podman); rpcinfo in the
# container's network namespace, with the default seccomp profile and
# without (issue 18). About 3.7 minutes the first time (base, apt-get and
# the build in the image), less with the layers cached. Needs root and
# the network for apt-get inside the build. The block's podman run
# commands run in a network namespace the test makes (ip netns add,
# removed at exit): port 111 is published there (rpcinfo -p 127.0.0.1
# answers through it), never on the host's network: the test checks that
# the host's listeners on port 111 did not change and that none of the
# host's firewall rules names the container.
add_test(NAME deploy_podman
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/deploy/podman/check_podman.sh
    ${PROJECT_SOURCE_DIR} ${RB_DEPLOY_CACHE_DIR})
set_tests_properties(deploy_podman PROPERTIES
  LABELS deploy SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL ON)

# deploy_k8s_schema: the Kubernetes manifests against the API schemas,
# offline (kubernetes-models from the npm registry, installed once into
# BUILD/k8s-schema). About 2 s; 10 s the first time.
add_test(NAME deploy_k8s_schema
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/deploy/k8s/check_k8s_schema.sh
    ${PROJECT_SOURCE_DIR} ${RB_DEPLOY_CACHE_DIR})
set_tests_properties(deploy_k8s_schema PROPERTIES
  LABELS deploy SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()
