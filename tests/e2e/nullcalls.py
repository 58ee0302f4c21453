"""Sends RPC NULL calls (program 100000 v2) to 127.0.0.1:PORT and waits for
their replies (tests/e2e/t_scaling.sh): N datagrams from one UDP socket and
one call on each of C TCP connections, all sent at once, then replies are
collected for at most WAIT seconds. With S, the datagrams go out from S
UDP sockets in turn (so the kernel spreads them over a group's sockets).

  nullcalls.py PORT N C WAIT [S]

Prints "SENT" once everything is sent (connections are accepted by the
kernel even with no daemon running), then "UDP a/N TCP b/C"."""
import select, socket, struct, sys, time

port, n, c, wait = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
nsock = int(sys.argv[5]) if len(sys.argv) > 5 else 1


def call(xid):
    return struct.pack(">10I", xid, 0, 2, 100000, 2, 0, 0, 0, 0, 0)


us = []
for k in range(nsock):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    us.append(u)
for i in range(n):
    us[i % nsock].sendto(call(0x5CA10000 + i), ("127.0.0.1", port))
tcps = []
for i in range(c):
    t = socket.create_connection(("127.0.0.1", port), timeout=5)
    body = call(0x7CA10000 + i)
    t.sendall(struct.pack(">I", 0x80000000 | len(body)) + body)
    t.setblocking(False)
    tcps.append(t)
print("SENT", flush=True)
udp_seen, tcp_seen = set(), set()
end = time.time() + wait
while time.time() < end and (len(udp_seen) < n or len(tcp_seen) < c):
    r, _, _ = select.select(us + tcps, [], [], 0.1)
    for s in r:
        if s in us:
            b = s.recv(4096)
            if len(b) >= 24:
                xid, mtype, stat, _, _, acc = struct.unpack(">6I", b[:24])
                if mtype == 1 and stat == 0 and acc == 0 and xid - 0x5CA10000 < n:
                    udp_seen.add(xid)
        else:
            try:
                b = s.recv(4096)
            except BlockingIOError:
                continue
            if len(b) >= 28:
                xid, mtype, stat, _, _, acc = struct.unpack(">6I", b[4:28])
                if mtype == 1 and stat == 0 and acc == 0 and xid - 0x7CA10000 < c:
                    tcp_seen.add(xid)
print("UDP %d/%d TCP %d/%d" % (len(udp_seen), n, len(tcp_seen), c), flush=True)
