#!/bin/sh
# function_length.py must refuse a function of 101 lines and pass one of
# 100 (the limit is inclusive), so the function_length test can fail.
# usage: function_length_refuses.sh PYTHON SCRIPT
set -u
py=$1 script=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
# body_of N: a function whose body spans N lines, its two brace lines
# included (what the script counts).
body_of() {
	echo "int f$1(void)"
	echo "{"
	i=0
	while [ $i -lt $(($1 - 2)) ]; do echo "	(void)0;"; i=$((i + 1)); done
	echo "}"
}
mkdir "$dir/ok" "$dir/long"
body_of 100 >"$dir/ok/a.c"
body_of 101 >"$dir/long/a.c"
"$py" "$script" --max 100 "$dir/ok" >"$dir/out.ok" 2>&1 ||
	{ echo "FAIL: a 100-line function refused:"; cat "$dir/out.ok"; exit 1; }
if "$py" "$script" --max 100 "$dir/long" >"$dir/out.long" 2>&1; then
	echo "FAIL: a 101-line function passed:"; cat "$dir/out.long"; exit 1
fi
grep -q 'f101' "$dir/out.long" || { echo "FAIL: the report does not name f101:"; cat "$dir/out.long"; exit 1; }
echo "ok: 100 lines pass, 101 refused and named"
