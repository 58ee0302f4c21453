#!/usr/bin/env python3
"""Seeded differential test (t_diffseed.sh): a generator of mostly-valid
random port-mapper calls, and the comparison of two runs of them against an
allow-list of deliberate differences (diff_allow.txt).

  diffseed.py gen SEED N                 calls on stdout (rawcall -b syntax)
  diffseed.py compare ALLOW CALLS REF SUT   exit 0 when every difference is
                                         allowed; prints a summary by class
  diffseed.py readme ALLOW README        exit 0 when README's list of
                                         deliberate differences names every
                                         class of ALLOW and no other

Labels carry what the allow-list matches on: "nSEQ.vV.PROC.TRANSPORT.TAG",
TAG "ok" for an ordinary call or the name of the irregularity the generator
put in. Programs: 0x20010000 + 0..7 for ordinary registrations, which every
lookup may ask for; 0x2001f000 + 0..7 for registrations that one side may
refuse (a deliberate difference): only the calls tagged with the class touch
them, and DUMP is compared without them.
"""
import random
import re
import sys

# Few enough (programs x versions x netids looked up) that GETSTAT's table
# of lookup records (RB_STAT_ADDR_FILL, 96 a version) never fills: past it
# ours stops recording (a deliberate difference, [diff:getstat-cap]).
PROGS = [0x20010000 + i for i in range(4)]
VERS = [1, 2, 3]
DIVERGENT_BASE = 0x2001F000
DPROGS = [DIVERGENT_BASE + i for i in range(8)]
NETIDS = ["udp", "tcp", "udp6", "tcp6", "local"]
PROC_NAMES = {
    2: ["null", "set", "unset", "getport", "dump", "callit"],
    3: ["null", "set", "unset", "getaddr", "dump", "callit", "gettime",
        "u2t", "t2u"],
    4: ["null", "set", "unset", "getaddr", "dump", "bcast", "gettime",
        "u2t", "t2u", "getversaddr", "indirect", "getaddrlist", "getstat"],
}


def uaddr(r, netid):
    """A well-formed universal address for netid (wildcard or loopback)."""
    if netid == "local":
        return "/run/svc%d.sock" % r.randrange(8)
    hi, lo = r.randrange(4, 200), r.randrange(256)
    if netid.endswith("6"):
        return "%s.%d.%d" % (r.choice(["::", "::1"]), hi, lo)
    return "%s.%d.%d" % (r.choice(["0.0.0.0", "127.0.0.1"]), hi, lo)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.n = 0
        self.out = []
        self.tail = False

    def emit(self, vers, proc, transport, tag, tokens):
        name = PROC_NAMES[vers][proc] if proc < len(PROC_NAMES[vers]) else "p%d" % proc
        tname = transport.split(",")[0]
        label = "n%d.v%d.%s.%s.%s" % (self.n, vers, name, tname, tag)
        self.out.append("%s %s 100000/%d/%d %s" % (label, transport, vers, proc, tokens))
        self.n += 1

    def transport(self, stream_ok=True, dgram_ok=True):
        r = self.r
        choices = []
        if dgram_ok:
            choices += ["udp"] * 4 + ["udp6"] * 2
        if stream_ok:
            choices += ["tcp"] * 3 + ["tcp6"] + ["local"] * 2
        return r.choice(choices)

    def prog(self):
        r = self.r
        return r.choice(PROGS) if r.random() < 0.9 else 0x20010100

    def one(self):
        r = self.r
        x = r.random()
        vers = r.choice([2, 3, 4, 4])
        if x < 0.20:
            return self.set_unset(vers)
        if x < 0.55:
            return self.lookup(vers)
        if x < 0.62:
            t = self.transport(dgram_ok=r.random() < 0.1)
            return self.emit(vers, 4, t, "ok", "")
        if x < 0.67:
            return self.emit(vers, 0, self.transport(), "ok", "")
        if x < 0.75:
            return self.emit(vers, 6, self.transport(), "ok", "") if vers > 2 else self.lookup(2)
        if x < 0.86:
            return self.convert(vers) if vers > 2 else self.lookup(2)
        if x < 0.88:
            return self.remote(vers)
        if x < 0.91:
            return self.emit(4, 12, self.transport(dgram_ok=False), "ok", "")
        return self.irregular(vers)

    def set_unset(self, vers):
        r = self.r
        unset = r.random() < 0.3
        proc = 2 if unset else 1
        # Callers whose SET both servers accept: root over the local
        # socket, or a reserved port over loopback (owner "superuser").
        # (No TCP from a fixed reserved port: its connections would meet
        # their own TIME_WAIT and fail to connect.)
        t = r.choice(["local", "local", "udp,sport=%d" % r.randrange(600, 1000)])
        if vers == 2:
            prot = r.choice([17, 6])
            port = 0 if unset else r.randrange(1024, 65536)
            return self.emit(2, proc, t, "ok", "pmap:%d,%d,%d,%d" % (
                self.prog(), r.choice(VERS), prot, port))
        netid = r.choice(NETIDS)
        if unset:
            netid = r.choice(NETIDS + [""])
            return self.emit(vers, proc, t, "ok", "rpcb:%d,%d,%s,," % (
                self.prog(), r.choice(VERS), netid))
        return self.emit(vers, proc, t, "ok", "rpcb:%d,%d,%s,%s,x" % (
            self.prog(), r.choice(VERS), netid, uaddr(r, netid)))

    def lookup(self, vers):
        r = self.r
        t = self.transport()
        p, v = self.prog(), r.choice(VERS)
        if vers == 2:
            return self.emit(2, 3, t, "ok", "pmap:%d,%d,%d,0" % (p, v, r.choice([17, 6, 17, 6, 0])))
        proc = 3 if vers == 3 else r.choice([3, 9, 11])
        if proc == 11:
            t = self.transport(dgram_ok=r.random() < 0.3)
        netid = r.choice(NETIDS + [""])
        return self.emit(vers, proc, t, "ok", "rpcb:%d,%d,%s,," % (p, v, netid))

    def convert(self, vers):
        r = self.r
        t = r.choice(["udp", "udp6", "tcp", "tcp6"])
        fam6 = t.endswith("6")
        if r.random() < 0.5:
            if fam6:
                a = r.choice(["::1", "::", "fe80::1", "2001:db8::5"])
            else:
                a = "%d.%d.%d.%d" % tuple(r.randrange(256) for _ in range(4))
            return self.emit(vers, 7, t, "ok", "s:%s.%d.%d" % (a, r.randrange(256), r.randrange(256)))
        if fam6:
            return self.emit(vers, 8, t, "ok", "u:28 o:sin6:%s:%d" % (
                r.choice(["::1", "::", "fe80::1"]), r.randrange(65536)))
        return self.emit(vers, 8, t, "ok", "u:16 o:sin:%d.%d.%d.%d:%d" % (
            tuple(r.randrange(256) for _ in range(4)) + (r.randrange(65536),)))

    def remote(self, vers):
        r = self.r
        # Over UDP only: over a stream both stay silent (a timeout each),
        # but for INDIRECT, which the allow-list covers.
        t = r.choice(["udp", "udp6"]) if r.random() < 0.95 else "tcp"
        # CALLIT and BCAST are silent but for the deny list (a timeout
        # each): fewer of them.
        if vers != 4 and r.random() < 0.7:
            vers = 4
        proc = 10 if vers == 4 and r.random() < 0.8 else 5
        p = self.prog()
        if r.random() < 0.1:
            p = r.choice([100003, 100005, 100000])
        # Both stay silent (CALLIT/BCAST past the deny list): a short
        # wait; rpcbind alone (INDIRECT over TCP): a wait long enough for
        # ours to answer on a loaded machine, and few such calls.
        if proc == 5 and p not in (100003, 100005, 100000):
            t += ",t=15"
        elif t == "tcp":
            t += ",t=200"
        # Procedures 0 and 1 only: the remote-call records, keyed by
        # (prog, vers, proc, netid), stay under RB_STAT_RMT_FILL.
        return self.emit(vers, proc, t, "ok", "u:%d u:%d u:%d o:x:" % (
            p, r.choice(VERS), r.randrange(0, 2)))

    def irregular(self, vers):
        r = self.r
        # Irregular calls whose difference changes what GETSTAT counts
        # (k 4, 5, 6, 8) come only in the last tenth of the run, after the
        # last GETSTAT compared exactly.
        k = r.randrange(9) if self.tail else r.choice([0, 1, 2, 3] * 8 + [7])
        t = self.transport()
        if k == 0:  # a procedure the version lacks
            return self.emit(vers, len(PROC_NAMES[vers]) + r.randrange(3), t, "ok", "")
        if k == 1:  # another program
            n = self.n
            self.out.append("n%d.v%d.prog.%s.ok %s %d/%d/0" % (
                n, vers, t.split(",")[0], t, r.choice([100003, 395183, 7]), vers))
            self.n += 1
            return None
        if k == 2:  # another version
            n = self.n
            self.out.append("n%d.v%d.vers.%s.ok %s 100000/%d/0" % (
                n, vers, t.split(",")[0], t, r.choice([1, 5, 99])))
            self.n += 1
            return None
        if k == 3:  # truncated arguments over a stream (over UDP: stale)
            t = r.choice(["tcp", "local"])
            if vers > 2 and r.random() < 0.3:  # TADDR2UADDR, maxlen 2^32-1
                t = r.choice(["udp", "tcp"])
                return self.emit(vers, 8, t, "maxlen", "u:0xffffffff o:sin:127.0.0.1:%d" % (
                    r.randrange(65536)))
            return self.emit(vers, 3, t, "ok", "u:%d" % self.prog())
        if k == 4:  # truncated arguments over UDP
            return self.emit(vers, 3, "udp", "stale", "u:%d" % self.prog())
        if k == 5:  # a SET of a malformed inet address
            netid = r.choice(["udp", "tcp", "udp6"])
            bad = r.choice(["1.2.3.4.-1.2", "1.2.3.4.300.1", "not-an-address",
                            "1.2.3.4.5", "zz::1.0.1"])
            if vers == 2:
                vers = 3
            return self.emit(vers, 1, "local", "badaddr", "rpcb:%d,%d,%s,%s,x" % (
                r.choice(DPROGS), r.randrange(1, 4), netid, bad))
        if k == 6:  # an unprivileged SET of a port below 1024 (port policy)
            tt = r.choice(["udp", "tcp"])
            return self.emit(2, 1, tt, "portpolicy", "pmap:%d,%d,%d,%d" % (
                r.choice(DPROGS), r.randrange(1, 4), r.choice([17, 6]), r.randrange(0, 1024)))
        if k == 7:  # RPC version other than 2
            n = self.n
            # rpcbind is silent (or closes): a wait long enough for ours
            # to answer on a loaded machine, and few such calls
            self.out.append("n%d.v%d.rpcvers.%s.rpcvers %s,t=200 hdr:%d/100000/%d/0 none none" % (
                n, vers, t.split(",")[0], t, r.choice([1, 3]), vers))
            self.n += 1
            return None
        # a PMAP SET of a port over 65535
        return self.emit(2, 1, "local", "bigport", "pmap:%d,1,17,%d" % (
            r.choice(DPROGS), r.randrange(65536, 1 << 20)))

    def run(self, n):
        # A few well-known ones first, then random calls, a GETSTAT and a
        # DUMP now and then and at the end.
        body = n - n // 10
        while self.n < n:
            if self.n and self.n % 2500 == 0 and not self.tail:
                self.emit(4, 12, "tcp", "ok", "")
                self.emit(3, 4, "tcp", "ok", "")
            if self.n >= body and not self.tail:
                self.emit(4, 12, "local", "ok", "")
                self.tail = True
            self.one()
        self.emit(4, 12, "tcp", "ok", "")
        self.emit(2, 4, "tcp", "ok", "")
        self.emit(4, 4, "local", "ok", "")
        return self.out


# ---- comparison ----

def load_allow(path):
    """Classes: name, label regex, reference regex, ours regex, flags."""
    classes = []
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        f = line.split()
        if len(f) < 4:
            raise SystemExit("diff_allow: bad line: " + line)
        classes.append({"name": f[0], "label": re.compile(f[1] + r"$"),
                        "ref": re.compile(f[2] + r"$"), "rb": re.compile(f[3] + r"$"),
                        "flags": set(f[4].split(",")) if len(f) > 4 else set()})
    return classes


def load_results(path):
    res = {}
    for line in open(path):
        f = line.split()
        if len(f) >= 2:
            res[f[0]] = (f[1], f[2] if len(f) > 2 else "-")
    return res


def words(h):
    return [int(h[i:i + 8], 16) for i in range(0, len(h) - len(h) % 8, 8)]


def dump_without_divergent(h, v2):
    """A DUMP body (hex after the accepted header) without the entries of
    the divergent programs: a list of (more, entry) items."""
    b = bytes.fromhex(h)
    pos, keep = 0, []
    try:
        while True:
            more = int.from_bytes(b[pos:pos + 4], "big")
            pos += 4
            if not more:
                break
            start = pos
            prog = int.from_bytes(b[pos:pos + 4], "big")
            if v2:
                pos += 16
            else:
                pos += 8
                for _ in range(3):
                    n = int.from_bytes(b[pos:pos + 4], "big")
                    pos += 4 + (n + 3) // 4 * 4
            if not DIVERGENT_BASE <= prog < DIVERGENT_BASE + 0x1000:
                keep.append(b[start:pos])
        return b"".join(keep).hex() + "|" + b[pos:].hex()
    except IndexError:
        return "MALFORMED " + h


def same(label, ref, rb):
    """Whether two results are the same after normalising: GETTIME's clock
    (masked), DUMP without the divergent programs."""
    if ref == rb:
        return True
    (rr, rh), (ur, uh) = ref, rb
    if ".gettime." in label and rr.startswith("SUCCESS:") and ur.startswith("SUCCESS:"):
        # The two runs are a minute or more apart: the clock word is
        # masked; it must be a time of this century on both.
        return rh[:-8] == uh[:-8] and len(rr) == len(ur) == 16 and \
            int(rh[-8:], 16) > 1500000000 and int(uh[-8:], 16) > 1500000000
    if ".dump." in label and rr.startswith("SUCCESS:") and ur.startswith("SUCCESS:"):
        v2 = ".v2." in label
        return dump_without_divergent(rr[8:], v2) == dump_without_divergent(ur[8:], v2)
    return False


def compare(allow_path, calls_path, ref_path, sut_path, self_check):
    classes = load_allow(allow_path)
    ref, sut = load_results(ref_path), load_results(sut_path)
    labels = [l.split()[0] for l in open(calls_path) if l.strip() and not l.startswith("#")]
    counts, bad, stateful_seen = {}, 0, False
    for label in labels:
        if label not in ref or label not in sut:
            print("FAIL: %s: no result (%s)" % (label, "reference" if label not in ref else "ours"))
            bad += 1
            continue
        if same(label, ref[label], sut[label]):
            counts["identical"] = counts.get("identical", 0) + 1
            continue
        hit = None
        for c in classes:
            if "after-stateful" in c["flags"] and not stateful_seen:
                continue
            if c["label"].match(label) and c["ref"].match(ref[label][0]) and \
                    c["rb"].match(sut[label][0]):
                hit = c
                break
        if hit is None:
            bad += 1
            if bad <= 20:
                print("FAIL: %s: an unlisted difference\n  rpcbind: %s\n  ours   : %s" % (
                    label, ref[label][0][:300], sut[label][0][:300]))
            elif bad == 21:
                print("FAIL: (more unlisted differences: only the count below)")
            continue
        if "stateful" in hit["flags"]:
            stateful_seen = True
        counts[hit["name"]] = counts.get(hit["name"], 0) + 1
    if self_check and len(counts) > 1:
        print("FAIL: rpcbind against itself differs: %s" % counts)
        bad += 1
    print("differential (seeded): %d calls; %s; %d unlisted" % (
        len(labels), ", ".join("%s %d" % kv for kv in sorted(counts.items())), bad))
    return 1 if bad else 0


def readme_check(allow_path, readme_path):
    names = {c["name"] for c in load_allow(allow_path)}
    text = open(readme_path).read()
    m = re.search(r"^## Where ringbind deliberately differs from rpcbind\n(.*?)^## ", text,
                  re.S | re.M)
    if not m:
        print("FAIL: README has no section 'Where ringbind deliberately differs from rpcbind'")
        return 1
    cited = set(re.findall(r"\[diff:([a-z0-9-]+)\]", m.group(1)))
    rc = 0
    for n in sorted(names - cited):
        print("FAIL: allow-list class %s is not in README's list ([diff:%s])" % (n, n))
        rc = 1
    for n in sorted(cited - names):
        print("FAIL: README cites [diff:%s], which the allow-list lacks" % n)
        rc = 1
    if rc == 0:
        print("PASS: README's list and diff_allow.txt name the same %d classes" % len(names))
    return rc


def main(argv):
    if len(argv) == 4 and argv[1] == "gen":
        sys.stdout.write("\n".join(Gen(int(argv[2])).run(int(argv[3]))) + "\n")
        return 0
    if len(argv) in (6, 7) and argv[1] == "compare":
        return compare(argv[2], argv[3], argv[4], argv[5], len(argv) == 7)
    if len(argv) == 4 and argv[1] == "readme":
        return readme_check(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
