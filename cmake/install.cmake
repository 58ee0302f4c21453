# Installation rules: `cmake --install BUILD` (DESTDIR=... to stage).
#
# Include this file at the end of the top-level CMakeLists.txt, after the
# add_subdirectory() calls: install(TARGETS) needs the targets to exist,
# and ringbind-load exists only when bench/ was added (RB_BENCH).
#
# What goes where (GNUInstallDirs, under CMAKE_INSTALL_PREFIX, default
# /usr/local; a distribution package uses -DCMAKE_INSTALL_PREFIX=/usr):
#   sbin/ringbind, bin/ringbind-load (with RB_BENCH)
#   share/man/man8/ringbind.8, share/man/man1/ringbind-load.1
#   <unit dir>/ringbind.service, ringbind.socket
#   <tmpfiles dir>/ringbind.conf, <sysusers dir>/ringbind.conf
#   share/doc/ringbind/examples/ringbind.conf
#   share/ringbind/systemd/rpcbind.service.d/ringbind.conf: the drop-in
#     that runs ringbind as the rpcbind package's rpcbind.service (NFS
#     hosts). Not active where it is installed: deploy/README.md says when
#     to copy it to /etc/systemd/system/rpcbind.service.d/.
# Nothing is written to /etc: /etc/ringbind.conf is the administrator's
# (copy the example; the daemon runs on its defaults without one), and an
# install or upgrade never overwrites it.
#
# The unit directories come from systemd's pkg-config file, with its
# prefix replaced by ours (so /usr/local/lib/systemd/system for
# /usr/local, which systemd also searches), else lib/systemd/system,
# lib/tmpfiles.d and lib/sysusers.d under the prefix. Override with
# -DRB_SYSTEMD_UNIT_DIR=, -DRB_TMPFILES_DIR=, -DRB_SYSUSERS_DIR=.
#
# The units name /usr/sbin/ringbind (so that the files in deploy/ can be
# checked and used as they are); installed, they name
# ${CMAKE_INSTALL_FULL_SBINDIR}/ringbind. Set the prefix when configuring,
# not with `cmake --install --prefix`, or the units name the wrong path.

include(GNUInstallDirs)

if(NOT TARGET ringbind)
  message(FATAL_ERROR "cmake/install.cmake: include it after add_subdirectory(net), "
                      "at the end of the top-level CMakeLists.txt")
endif()

set(RB_SYSTEMD_UNIT_DIR "" CACHE PATH
    "systemd system unit directory (empty: systemd.pc's, under the install prefix)")
set(RB_TMPFILES_DIR "" CACHE PATH
    "tmpfiles.d directory (empty: systemd.pc's, under the install prefix)")
set(RB_SYSUSERS_DIR "" CACHE PATH
    "sysusers.d directory (empty: systemd.pc's, under the install prefix)")

# rb_systemd_dir(OUT VARIABLE FALLBACK): systemd.pc's VARIABLE with its
# prefixes set to ours, or FALLBACK (relative: under the prefix).
function(rb_systemd_dir out var fallback)
  set(dir "")
  if(PKG_CONFIG_EXECUTABLE)
    execute_process(
      COMMAND ${PKG_CONFIG_EXECUTABLE}
        --define-variable=prefix=${CMAKE_INSTALL_PREFIX}
        --define-variable=root_prefix=${CMAKE_INSTALL_PREFIX}
        --define-variable=rootprefix=${CMAKE_INSTALL_PREFIX}
        --variable=${var} systemd
      OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE
      ERROR_QUIET RESULT_VARIABLE r)
    if(NOT r EQUAL 0)
      set(dir "")
    endif()
  endif()
  if("${dir}" STREQUAL "")
    set(dir ${fallback})
  endif()
  set(${out} ${dir} PARENT_SCOPE)
endfunction()

find_package(PkgConfig QUIET)
set(_rb_unit_dir "${RB_SYSTEMD_UNIT_DIR}")
set(_rb_tmpfiles_dir "${RB_TMPFILES_DIR}")
set(_rb_sysusers_dir "${RB_SYSUSERS_DIR}")
if("${_rb_unit_dir}" STREQUAL "")
  rb_systemd_dir(_rb_unit_dir systemdsystemunitdir lib/systemd/system)
endif()
if("${_rb_tmpfiles_dir}" STREQUAL "")
  rb_systemd_dir(_rb_tmpfiles_dir tmpfilesdir lib/tmpfiles.d)
endif()
if("${_rb_sysusers_dir}" STREQUAL "")
  rb_systemd_dir(_rb_sysusers_dir sysusersdir lib/sysusers.d)
endif()

# Programs.
install(TARGETS ringbind DESTINATION ${CMAKE_INSTALL_SBINDIR})
if(TARGET ringbind-load)
  install(TARGETS ringbind-load DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# Man pages.
install(FILES ${PROJECT_SOURCE_DIR}/man/ringbind.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
if(TARGET ringbind-load)
  install(FILES ${PROJECT_SOURCE_DIR}/man/ringbind-load.1
          DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# systemd units and the drop-in, naming the installed binary.
set(_rb_sd ${PROJECT_SOURCE_DIR}/deploy/systemd)
set(_rb_gen ${CMAKE_BINARY_DIR}/deploy/systemd)
foreach(f ringbind.service ringbind.socket rpcbind.service.d/ringbind.conf)
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               ${_rb_sd}/${f})
  file(READ ${_rb_sd}/${f} _rb_text)
  string(REPLACE "/usr/sbin/ringbind" "${CMAKE_INSTALL_FULL_SBINDIR}/ringbind"
         _rb_text "${_rb_text}")
  file(GENERATE OUTPUT ${_rb_gen}/${f} CONTENT "${_rb_text}")
endforeach()
install(FILES ${_rb_gen}/ringbind.service ${_rb_gen}/ringbind.socket
        DESTINATION ${_rb_unit_dir})
install(FILES ${_rb_sd}/ringbind-tmpfiles.conf
        DESTINATION ${_rb_tmpfiles_dir} RENAME ringbind.conf)
install(FILES ${_rb_sd}/ringbind-sysusers.conf
        DESTINATION ${_rb_sysusers_dir} RENAME ringbind.conf)
install(FILES ${_rb_gen}/rpcbind.service.d/ringbind.conf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ringbind/systemd/rpcbind.service.d)

# The example configuration: documentation, never /etc.
install(FILES ${PROJECT_SOURCE_DIR}/examples/ringbind.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

message(STATUS "ringbind install: units in ${_rb_unit_dir}, tmpfiles.d in "
               "${_rb_tmpfiles_dir}, sysusers.d in ${_rb_sysusers_dir}")
