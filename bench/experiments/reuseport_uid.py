import socket, os, sys, subprocess
R=socket.SO_REUSEPORT
def mk(t, reuse, port=111):
    s=socket.socket(socket.AF_INET, t)
    if reuse: s.setsockopt(socket.SOL_SOCKET, R, 1)
    s.bind(("0.0.0.0",port))
    if t==socket.SOCK_STREAM: s.listen(16)
    return s
def tryjoin(t, port=111, uid=None):
    code=f"""
import socket,os
{'os.setresuid(%d,%d,%d)'%(uid,uid,uid) if uid is not None else ''}
s=socket.socket(socket.AF_INET,{int(t)}); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEPORT,1)
try:
    s.bind(('0.0.0.0',{port}))
    {'s.listen(4)' if t==socket.SOCK_STREAM else 'pass'}
    print('joined')
except OSError as e: print('refused', e.strerror)
"""
    return subprocess.run([sys.executable,'-c',code],capture_output=True,text=True).stdout.strip()
for P in (111, 40111):
 print("port", P)
 for t,name in ((socket.SOCK_DGRAM,'udp'),(socket.SOCK_STREAM,'tcp')):
     a=mk(t, False, P)
     print(name, "passed socket without SO_REUSEPORT, root joins:", tryjoin(t,P))
     a.setsockopt(socket.SOL_SOCKET, R, 1)
     print(name, "after SO_REUSEPORT set late on it, root joins:", tryjoin(t,P))
     print(name, "after SO_REUSEPORT set late, uid 65534 joins:", tryjoin(t,P,uid=65534))
     a.close()
     b=mk(t, True, P+1)
     print(name, "bound with SO_REUSEPORT by root (ReusePort=yes), root joins:", tryjoin(t,P+1))
     print(name, "bound with SO_REUSEPORT by root, uid 65534 joins:", tryjoin(t,P+1,uid=65534))
     b.close()
