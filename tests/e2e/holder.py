"""A stand-in for pid 1 across a restart (tests/e2e/t_scaling.sh): binds UDP
and TCP 127.0.0.1:PORT (without SO_REUSEPORT, as systemd-socket-activate
does), passes them to the daemon (LISTEN_FDS), and keeps them while no
daemon runs, as systemd keeps a socket unit's sockets.

  holder.py DIR PORT CMD...   (HOLDER_UID=N: the sockets made as uid N)

Steps, each started by a file appearing in DIR (bounded: 30 s each):
  prints "UP1 PID", waits for DIR/stop1, stops the daemon (SIGTERM, waits
  for it), prints "DOWN", waits for DIR/start2, starts it again, prints
  "UP2 PID", waits for DIR/stop2, stops it, prints "END"."""
import os, signal, socket, sys, time

d, port, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# HOLDER_UID: create the sockets as that user (a socket whose SO_REUSEPORT
# group the daemon, as root, cannot join).
as_uid = int(os.environ.get("HOLDER_UID", "-1"))
socks = []
for t in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
    if as_uid >= 0:
        os.seteuid(as_uid)
    s = socket.socket(socket.AF_INET, t)
    if as_uid >= 0:
        os.seteuid(0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    if t == socket.SOCK_STREAM:
        s.listen(64)
    socks.append(s)
high = [os.dup(s.fileno()) for s in socks]  # above 3..4: dup2 below cannot clobber them


def spawn():
    pid = os.fork()
    if pid == 0:
        for i, fd in enumerate(high):
            os.dup2(fd, 3 + i)
        os.environ["LISTEN_PID"] = str(os.getpid())
        os.environ["LISTEN_FDS"] = str(len(high))
        os.execvp(cmd[0], cmd)
    return pid


def wait_file(name):
    end = time.time() + 30
    while not os.path.exists(os.path.join(d, name)):
        if time.time() > end:
            raise SystemExit("holder: no %s in 30 s" % name)
        time.sleep(0.02)


def stop(pid):
    os.kill(pid, signal.SIGTERM)
    end = time.time() + 10
    while time.time() < end:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


pid = spawn()
print("UP1", pid, flush=True)
wait_file("stop1")
stop(pid)
print("DOWN", flush=True)
wait_file("start2")
pid = spawn()
print("UP2", pid, flush=True)
wait_file("stop2")
stop(pid)
print("END", flush=True)
