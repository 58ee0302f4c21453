#!/usr/bin/env python3
"""The rooms of the house and the direction they may depend in.

Every .c and .h file under core/, registry/ and net/ belongs to the room
whose path is the longest prefix of its own. A file may include a header of
its own room or of a room on a LOWER layer; never one of a higher layer, nor
one of a sibling (another room on the same layer). The CMake libraries follow
the same table: a room's library may link only libraries of rooms below it.

    scripts/check_layers.py [SOURCE_DIR]

Exit status 0 when everything holds, 1 with one line per violation (file,
line, what it includes, and why that is refused), 2 on a usage error.
Run at configure time (CMakeLists.txt) and as the ctest test arch_layers;
arch_layers_refuses shows it failing on a planted violation.

To split a room, add a line: a sub-room's path is longer than its parent's,
so its files leave the parent; its layer may be fractional to fit between
existing ones, as registry's rooms do: store and stats (siblings, 1.1) below
format (1.2) below procs (1.3), all above core and below net. registry/
itself (1.4) holds no source, only rb_registry, the interface that names the
four rooms for the links that want the whole registry.
"""

import os
import re
import sys

# path prefix          layer  CMake library (or -)
ROOMS = """
core/                  0      rb_core
registry/store/        1.1    rb_store
registry/stats/        1.1    rb_stats
registry/format/       1.2    rb_format
registry/procs/        1.3    rb_procs
registry/              1.4    rb_registry
net/base/              2      rb_net_base
net/transport/         3      rb_net_transport
net/features/          4      rb_net_features
net/control/           4      rb_net_control
net/ops/               5      rb_net_ops
net/daemon/            6      rb_net_daemon
"""

# Folders whose files must each be in a room.
CHECKED = ("core/", "registry/", "net/")

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
LINK = re.compile(r"target_link_libraries\s*\(\s*([A-Za-z0-9_]+)([^)]*)\)", re.S)


def parse_rooms():
    rooms = []
    for line in ROOMS.strip().splitlines():
        path, layer, lib = line.split()
        rooms.append((path, float(layer), None if lib == "-" else lib))
    return rooms


def room_of(path, rooms):
    best = None
    for r in rooms:
        if path.startswith(r[0]) and (best is None or len(r[0]) > len(best[0])):
            best = r
    return best


def allowed(frm, to):
    """May room frm depend on room to?"""
    return frm[0] == to[0] or to[1] < frm[1]


def why(frm, to):
    if to[1] == frm[1]:
        return "a sibling room (same layer %g)" % frm[1]
    return "a room above it (layer %g > %g)" % (to[1], frm[1])


def check_includes(src, rooms):
    bad = []
    for top in CHECKED:
        for dirpath, _, files in os.walk(os.path.join(src, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                full = os.path.join(dirpath, f)
                rel = os.path.relpath(full, src)
                frm = room_of(rel, rooms)
                if frm is None:
                    bad.append("%s: in no room of scripts/check_layers.py (add it to one)" % rel)
                    continue
                with open(full, encoding="utf-8", errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        inc = m.group(1)
                        to = room_of(inc, rooms)
                        if to is None:
                            continue  # system, generated (version.h) or local
                        if not allowed(frm, to):
                            bad.append("%s:%d: includes %s: room %s may not use %s, %s"
                                       % (rel, n, inc, frm[0], to[0], why(frm, to)))
    return bad


def check_links(src, rooms):
    bad = []
    by_lib = {r[2]: r for r in rooms if r[2]}
    for top in CHECKED:
        for dirpath, _, files in os.walk(os.path.join(src, top)):
            if "CMakeLists.txt" not in files:
                continue
            full = os.path.join(dirpath, "CMakeLists.txt")
            rel = os.path.relpath(full, src)
            with open(full, encoding="utf-8") as fh:
                text = re.sub(r"#[^\n]*", "", fh.read())
            for m in LINK.finditer(text):
                frm = by_lib.get(m.group(1))
                if frm is None:
                    continue  # an executable, an alias: the assembly's business
                for dep in m.group(2).split():
                    to = by_lib.get(dep)
                    if to is not None and not allowed(frm, to):
                        bad.append("%s: %s links %s: room %s may not use %s, %s"
                                   % (rel, m.group(1), dep, frm[0], to[0], why(frm, to)))
    return bad


def main(argv):
    if len(argv) > 2:
        print("usage: scripts/check_layers.py [SOURCE_DIR]", file=sys.stderr)
        return 2
    src = argv[1] if len(argv) == 2 else os.path.join(os.path.dirname(__file__), "..")
    rooms = parse_rooms()
    bad = check_includes(src, rooms) + check_links(src, rooms)
    for b in bad:
        print("layers: " + b)
    if bad:
        print("layers: %d violation(s) of the rooms' direction (ARCHITECTURE.md)" % len(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
