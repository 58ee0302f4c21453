#!/usr/bin/env python3
"""rb_e2e dumpclient: RPCBIND v3 DUMP over one TCP connection, as a client
sees a large reply that the server sends in record fragments.

  dumpclient.py PORT MODE N EXPECT_MIN FRAG_MAX [SECONDS]

MODE:
  serial     N DUMPs one after the other, each read whole before the next
             is sent; all within SECONDS (a fragment that waits for the
             client's delayed ACK costs 40 ms: 100 DUMPs then take 4 s)
  pipeline   N DUMPs in one write, then every reply read
  halfclose  N DUMPs in one write, then shutdown(SHUT_WR): every reply
             must still arrive before the server closes
  slow       one DUMP read fast, then N more on a connection with a 4 KiB
             receive buffer read 4 KiB a millisecond: the server's sends
             stop part way through its fragments again and again (it keeps
             the one it stopped in and makes the rest again later); each
             slow reply must be byte for byte the fast one

  emptyfrags a stream of empty, non-last record fragments (one every 20 ms,
             N bytes of calls never completed): the server must close the
             connection within SECONDS (it counts calls, not bytes, as
             activity: --idle-timeout; and RB_RECORD_FRAGS_MAX)

Each reply must have its xid, in order, hold at least EXPECT_MIN entries,
and come in fragments of at most FRAG_MAX bytes (RB_STREAM_CHUNK less the
4-byte mark). Prints PASS/FAIL lines; loopback only; every wait bounded.
"""
import socket
import struct
import sys
import time


def call(xid):
    # xid, CALL, rpcvers 2, prog 100000, vers 3, proc 4 (DUMP), AUTH_NONE x2
    body = struct.pack(">IIIIIIIIII", xid, 0, 2, 100000, 3, 4, 0, 0, 0, 0)
    return struct.pack(">I", 0x80000000 | len(body)) + body


class Reader:
    def __init__(self, sock, deadline):
        self.s, self.buf, self.deadline = sock, b"", deadline

    def need(self, n):
        while len(self.buf) < n:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply in time")
            self.s.settimeout(left)
            d = self.s.recv(1 << 16)
            if not d:
                raise EOFError("connection closed after %d bytes" % len(self.buf))
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def record(self):
        frags, parts = [], []
        while True:
            (h,) = struct.unpack(">I", self.need(4))
            n = h & 0x7FFFFFFF
            frags.append(n)
            parts.append(self.need(n))
            if h & 0x80000000:
                return b"".join(parts), frags

    def at_eof(self):
        left = self.deadline - time.monotonic()
        self.s.settimeout(max(left, 0.01))
        try:
            return self.buf == b"" and self.s.recv(1) == b""
        except (TimeoutError, socket.timeout):
            return False


def entries(rec, xid):
    xid_r, mtype, rstat, _vf, _vl, astat = struct.unpack(">6I", rec[:24])
    if (xid_r, mtype, rstat, astat) != (xid, 1, 0, 0):
        raise ValueError("reply header %r for xid %d" % ((xid_r, mtype, rstat, astat), xid))
    pos, n = 24, 0

    def opaque(pos):
        (ln,) = struct.unpack(">I", rec[pos:pos + 4])
        return pos + 4 + ((ln + 3) & ~3)

    while True:
        (more,) = struct.unpack(">I", rec[pos:pos + 4])
        pos += 4
        if not more:
            break
        pos += 8
        for _ in range(3):
            pos = opaque(pos)
        n += 1
    if pos != len(rec):
        raise ValueError("%d bytes after the list" % (len(rec) - pos))
    return n


def slow(port, n, expect_min, frag_max, seconds):
    t0 = time.monotonic()
    fast = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    fast.sendall(call(1))
    try:
        want, _ = Reader(fast, t0 + seconds).record()
        entries(want, 1)
    except (OSError, EOFError, TimeoutError, ValueError, struct.error) as e:
        print("FAIL: slow: the reference DUMP: %s" % e)
        return 1
    fast.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(("127.0.0.1", int(port)))

    class SlowReader(Reader):
        def need(self, k):
            while len(self.buf) < k:
                if time.monotonic() > self.deadline:
                    raise TimeoutError("no reply in time")
                self.s.settimeout(max(self.deadline - time.monotonic(), 0.01))
                d = self.s.recv(4096)
                if not d:
                    raise EOFError("connection closed")
                self.buf += d
                time.sleep(0.001)
            out, self.buf = self.buf[:k], self.buf[k:]
            return out

    r = SlowReader(s, t0 + seconds)
    biggest = frags_seen = 0
    try:
        for i in range(n):
            s.sendall(call(1))
            got, frags = r.record()
            frags_seen += len(frags)
            biggest = max(biggest, max(frags))
            if got != want:
                print("FAIL: slow: DUMP %d differs from the fast one (%d vs %d bytes)" % (i, len(got), len(want)))
                return 1
    except (OSError, EOFError, TimeoutError, ValueError, struct.error) as e:
        print("FAIL: slow: %s after %.2f s" % (e, time.monotonic() - t0))
        return 1
    if entries(want, 1) < expect_min or biggest > frag_max:
        print("FAIL: slow: %d entries (want %d+), largest fragment %d (max %d)"
              % (entries(want, 1), expect_min, biggest, frag_max))
        return 1
    print("PASS: slow: %d DUMPs read 4 KiB a millisecond, each the fast DUMP byte for byte"
          " (%d bytes, %d fragments in all, the largest %d)" % (n, len(want), frags_seen, biggest))
    return 0


def emptyfrags(port, seconds):
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    sent = 0
    try:
        while time.monotonic() - t0 < seconds:
            s.sendall(struct.pack(">I", 0))
            sent += 1
            s.settimeout(0.02)
            try:
                if s.recv(4096) == b"":
                    raise ConnectionResetError("closed")
            except (TimeoutError, socket.timeout):
                pass
    except OSError:
        print("PASS: emptyfrags: closed by the server after %d empty fragments in %.2f s (bound %.0f s)"
              % (sent, time.monotonic() - t0, seconds))
        return 0
    print("FAIL: emptyfrags: still open after %d empty fragments in %.0f s" % (sent, seconds))
    return 1


def main():
    port, mode, n, expect_min, frag_max = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 30.0
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    r = Reader(s, t0 + seconds)
    fails, frags_seen, biggest = 0, 0, 0
    if mode == "slow":
        return slow(port, n, expect_min, frag_max, seconds)
    if mode == "emptyfrags":
        return emptyfrags(port, seconds)
    try:
        if mode != "serial":
            s.sendall(b"".join(call(1000 + i) for i in range(n)))
            if mode == "halfclose":
                s.shutdown(socket.SHUT_WR)
        for i in range(n):
            if mode == "serial":
                s.sendall(call(1000 + i))
            rec, frags = r.record()
            frags_seen += len(frags)
            biggest = max(biggest, max(frags))
            got = entries(rec, 1000 + i)
            if got < expect_min:
                print("FAIL: %s: DUMP %d lists %d entries, expected at least %d" % (mode, i, got, expect_min))
                fails += 1
        if mode == "halfclose" and not r.at_eof():
            print("FAIL: halfclose: the server kept the connection open after the last reply")
            fails += 1
    except (OSError, EOFError, TimeoutError, ValueError, struct.error) as e:
        print("FAIL: %s: %s after %.2f s" % (mode, e, time.monotonic() - t0))
        return 1
    took = time.monotonic() - t0
    if biggest > frag_max:
        print("FAIL: %s: a fragment of %d bytes, over %d" % (mode, biggest, frag_max))
        fails += 1
    if not fails:
        print("PASS: %s: %d DUMPs of %d+ entries in %.2f s (bound %.0f s), %d fragments, the largest %d bytes"
              % (mode, n, expect_min, took, seconds, frags_seen, biggest))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
