#!/usr/bin/env python3
"""arch_map: every file and function ARCHITECTURE.md names exists.

    tests/arch/check_map.py SOURCE_DIR [DOC]

DOC (default SOURCE_DIR/ARCHITECTURE.md) is read for `path:function` pairs
(path under core/, registry/, net/, tests/, scripts/ or bench/, ending .c or
.h): the file must exist and define the function (a line that starts its
definition: the name followed by "(" at the start of a declaration, and a
"{" before any ";"). Every other such path it names must exist. Exit 1 with
one line per dangling name; 0 when all are found. No root, well under 1 s.
"""

import os
import re
import sys

PATH = r"(?:core|registry|net|tests|scripts|bench)/[A-Za-z0-9_./-]+\.(?:c|h|py|sh|cmake)"
PAIR = re.compile(r"(" + PATH + r"):([A-Za-z_][A-Za-z0-9_]*)")
ALONE = re.compile(r"(?<![A-Za-z0-9_/])(" + PATH + r")(?![A-Za-z0-9_:])")


def defines(text, func):
    """Whether C source text defines func (not merely declares or calls it)."""
    start = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_ \t\*]*[\s\*])?" + re.escape(func) + r"\s*\(",
                       re.M)
    for m in start.finditer(text):
        rest = text[m.end():]
        brace, semi = rest.find("{"), rest.find(";")
        if brace >= 0 and (semi < 0 or brace < semi):
            return True
    return False


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: tests/arch/check_map.py SOURCE_DIR [DOC]", file=sys.stderr)
        return 2
    src = argv[1]
    doc = argv[2] if len(argv) == 3 else os.path.join(src, "ARCHITECTURE.md")
    with open(doc, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    bad, pairs, cache = [], 0, {}
    for n, line in enumerate(lines, 1):
        for m in PAIR.finditer(line):
            path, func = m.group(1), m.group(2)
            pairs += 1
            full = os.path.join(src, path)
            if not os.path.isfile(full):
                bad.append("%s:%d: %s: no such file" % (doc, n, path))
                continue
            if full not in cache:
                with open(full, encoding="utf-8", errors="replace") as fh:
                    cache[full] = fh.read()
            if not defines(cache[full], func):
                bad.append("%s:%d: %s defines no function %s" % (doc, n, path, func))
        for m in ALONE.finditer(PAIR.sub("", line)):
            if not os.path.exists(os.path.join(src, m.group(1))):
                bad.append("%s:%d: %s: no such file" % (doc, n, m.group(1)))
    if pairs == 0:
        bad.append("%s: names no file:function at all (is this the map?)" % doc)
    for b in bad:
        print("map: " + b)
    if bad:
        return 1
    print("map: %d file:function names, all found" % pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
