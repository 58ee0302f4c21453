#!/usr/bin/env python3
"""Lists the C functions longer than --max lines (default 100) in the given
folders (recursively), and exits 1 when there is one.

A function is what the project's style makes of one: its body opens with
"{" alone at the start of a line and closes with "}" alone at the start of
a line; its length counts both brace lines. The name reported is that of
the nearest line above the "{" that starts with a letter (the signature's
first line).

    scripts/function_length.py [--max N] DIR...
"""
import argparse
import os
import re
import sys


def functions(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    start = None
    for i, line in enumerate(lines):
        if line == "{":
            start = i
        elif line == "}" and start is not None:
            j = start - 1
            while j > 0 and not re.match(r"[A-Za-z_]", lines[j]):
                j -= 1
            yield j + 1, i - start + 1, lines[j].strip()
            start = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max", type=int, default=100)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    over, seen = 0, 0
    for d in a.dirs:
        for root, _, files in os.walk(d):
            for name in sorted(files):
                if not name.endswith(".c"):
                    continue
                path = os.path.join(root, name)
                for line, n, sig in functions(path):
                    seen += 1
                    if n > a.max:
                        print("%s:%d: %d lines: %s" % (path, line, n, sig))
                        over += 1
    if seen == 0:
        print("no functions found under %s" % " ".join(a.dirs))
        return 1
    print("%d functions, %d over %d lines" % (seen, over, a.max))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
