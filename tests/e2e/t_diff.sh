# Differential test: the calls of diff_calls.txt (every procedure of v2, v3
# and v4, good and bad) go to Debian's rpcbind and to the server under test,
# each fresh in its own namespaces; the replies must be identical byte for
# byte (the xids are the same by construction), except GETTIME's clock and
# the deliberate differences, which diff_calls.txt annotates with what each
# side must answer. With rpcbind as the server under test (a self-check of
# the harness) the @ref expectations apply to both sides.

t_outer() {
	local ref_prog rc1 rc2
	ref_prog=$(srv_prog "$E2E_REF")
	[ -x "$ref_prog" ] || skip "the reference $ref_prog is not installed (package rpcbind)"
	mkdir -p "$E2E_TMP/ref" "$E2E_TMP/sut"
	chmod 755 "$E2E_TMP/ref" "$E2E_TMP/sut"
	echo "== reference: $E2E_REF"
	e2e_spawn_inner diffrun "$E2E_REF" "$E2E_TMP/ref" 60
	rc1=$?
	echo "== under test: $E2E_SERVER"
	e2e_spawn_inner diffrun "$E2E_SERVER" "$E2E_TMP/sut" 60
	rc2=$?
	[ $rc1 -eq 0 ] || echo "FAIL: the reference run failed (status $rc1)"
	[ $rc2 -eq 0 ] || echo "FAIL: the run under test failed (status $rc2)"
	if [ ! -s "$E2E_TMP/ref/calls.out" ] || [ ! -s "$E2E_TMP/sut/calls.out" ]; then
		echo "FAIL: no results to compare"
		return 1
	fi
	local self=0
	is_ringbind || self=1
	awk -v self=$self -v reff="$E2E_TMP/ref/calls.out" -v sutf="$E2E_TMP/sut/calls.out" '
	function hexval(h,   i, v, c) {
		v = 0
		for (i = 1; i <= length(h); i++) {
			c = index("0123456789abcdef", substr(h, i, 1)) - 1
			v = v * 16 + c
		}
		return v
	}
	function glob2re(g,   r, i, c) {
		r = "^"
		for (i = 1; i <= length(g); i++) {
			c = substr(g, i, 1)
			if (c == "*") r = r ".*"
			else if (c == "?") r = r "."
			else if (index("\\.[]()^$+{}|", c)) r = r "\\" c
			else r = r c
		}
		return r "$"
	}
	# GETSTAT body as tokens: one per counter ("v2.c0=...", in order),
	# per lookup record ("v2.addr=prog vers succ fail : netid") and per
	# remote-call record ("v2.rmt=prog vers proc succ fail indirect :
	# netid"), the records in the order listed (newest first, on both).
	function stat_canon(h,   pos, out, v, i, k, cnt, nw, e, len, plen) {
		pos = 1; out = ""
		for (v = 0; v < 3; v++) {
			for (i = 0; i < 15; i++) { out = out " v" (v + 2) ".c" i "=" substr(h, pos, 8); pos += 8 }
			for (k = 0; k < 2; k++) {
				cnt = 0
				while (substr(h, pos, 8) == "00000001" && cnt < 100000) {
					pos += 8; nw = (k == 0) ? 4 : 6; cnt++
					e = substr(h, pos, nw * 8); pos += nw * 8
					len = hexval(substr(h, pos, 8)); pos += 8
					plen = int((len + 3) / 4) * 8
					e = e ":" substr(h, pos, plen); pos += plen
					out = out " v" (v + 2) (k == 0 ? ".addr=" : ".rmt=") e
				}
				if (substr(h, pos, 8) != "00000000") return "MALFORMED at " pos
				pos += 8
			}
		}
		if (pos != length(h) + 1) return "TRAILING at " pos
		return out
	}
	# Prints the tokens of canonical form x missing from y.
	function only_in(tag, x, y,   xa, ya, n, m, i, seen) {
		n = split(x, xa, " "); m = split(y, ya, " ")
		for (i = 1; i <= m; i++) seen[ya[i]]++
		for (i = 1; i <= n; i++) {
			if (seen[xa[i]] > 0) seen[xa[i]]--
			else printf "  only in %s: %s\n", tag, xa[i]
		}
	}
	function show(tag, res,   s) {
		s = res
		if (length(s) > 600) s = substr(s, 1, 600) "...(" length(res) " chars)"
		printf "  %s %s\n", tag, s
	}
	BEGIN {
		while ((getline l < reff) > 0) { split(l, f, " "); refr[f[1]] = f[2]; refh[f[1]] = f[3] }
		while ((getline l < sutf) > 0) { split(l, f, " "); sutr[f[1]] = f[2]; suth[f[1]] = f[3] }
	}
	/^[ \t]*(#|$)/ { next }
	{
		label = $1; call = ""; wref = ""; wrb = ""; tm = 0
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^@ref=/) wref = substr($i, 6)
			else if ($i ~ /^@rb=/) wrb = substr($i, 5)
			else if ($i == "@time") tm = 1
			else if ($i == "@stat") tm = 2
			else call = call " " $i
		}
		if (!(label in refr)) { printf "FAIL: %s: no reference result\n", label; bad++; next }
		if (!(label in sutr)) { printf "FAIL: %s: no result from the server under test\n", label; bad++; next }
		if (self && wref != "") wrb = wref
		if (wref != "" || wrb != "") {
			ok = 1
			if (wref != "" && refr[label] !~ glob2re(wref)) {
				printf "FAIL: %s: reference (rpcbind) answered %s, the table expects %s\n", label, refr[label], wref; ok = 0
			}
			if (wrb != "" && sutr[label] !~ glob2re(wrb)) {
				printf "FAIL: %s: expected difference: want %s, got %s\n   call:%s\n", label, wrb, sutr[label], call
				show("rpcbind :", refr[label]); ok = 0
			}
			if (ok) { printf "PASS: %s (expected difference: rpcbind %s, ours %s)\n", label, substr(refr[label], 1, 40), substr(sutr[label], 1, 40); good++ } else bad++
			next
		}
		a = refh[label]; b = suth[label]
		if (tm == 2) {
			if (refr[label] ~ /^SUCCESS:/ && sutr[label] ~ /^SUCCESS:/) {
				c1 = stat_canon(substr(refr[label], 9)); c2 = stat_canon(substr(sutr[label], 9))
				if (c1 == c2 && a == b && c1 !~ /^(MALFORMED|TRAILING)/) {
					printf "PASS: %s (same counters and records, same order)\n", label; good++; next
				}
			}
			printf "FAIL: %s: GETSTAT differs%s (records: prog vers succ fail : netid; remote calls: prog vers proc succ fail indirect : netid)\n   call:%s\n", label, (c1 != c2 ? "" : " in the order of its records"), call
			if (refr[label] !~ /^SUCCESS:/ || sutr[label] !~ /^SUCCESS:/) { show("rpcbind :", refr[label]); show("ours    :", sutr[label]) }
			only_in("rpcbind", c1, c2); only_in("ours", c2, c1)
			bad++; next
		}
		if (tm) {
			if (refr[label] ~ /^SUCCESS:/ && sutr[label] ~ /^SUCCESS:/ && length(a) == length(b) &&
			    substr(a, 1, length(a) - 8) == substr(b, 1, length(b) - 8)) {
				t1 = hexval(substr(a, length(a) - 7)); t2 = hexval(substr(b, length(b) - 7))
				if (t1 - t2 < 60 && t2 - t1 < 60) { printf "PASS: %s (time %d vs %d)\n", label, t1, t2; good++; next }
			}
			printf "FAIL: %s: GETTIME replies differ beyond the clock\n   call:%s\n", label, call
			show("rpcbind :", refr[label] " " a); show("ours    :", sutr[label] " " b); bad++; next
		}
		if (a == b && refr[label] == sutr[label]) { printf "PASS: %s %s\n", label, substr(refr[label], 1, 60); good++; next }
		printf "FAIL: %s: replies differ\n   call:%s\n", label, call
		show("rpcbind :", refr[label]); show("ours    :", sutr[label])
		if (refr[label] == sutr[label]) { show("rpcbind hex:", a); show("ours hex   :", b) }
		bad++
	}
	END {
		printf "differential: %d identical or as expected, %d failed\n", good, bad
		exit bad > 0
	}' "$E2E_DIR/diff_calls.txt"
	local rc=$?
	[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc -eq 0 ]
}
