#!/usr/bin/env python3
"""Checks the deployment material against itself and against the binary.

    check_deploy.py --source DIR --ringbind BIN [--load BIN]

- Every YAML document under deploy/kubernetes parses, and names its kind.
- The DaemonSet: hostNetwork, priorityClassName system-node-critical,
  liveness on /healthz and readiness on /readyz at the metrics port, every
  capability dropped but NET_BIND_SERVICE, the host's /run at /run.
- The ServiceMonitor: an endpoint on a named port of the Service it
  selects, path /metrics; that Service selects the DaemonSet's pods.
- The sidecar example: ringbind and another container share /run through
  an emptyDir.
- Every option the Dockerfile's ENTRYPOINT/CMD, the manifests and the
  systemd units pass to ringbind is in `ringbind --help`, and the real
  parser accepts each argument vector whole (run with an invalid --port 0
  appended, so that the daemon never starts: the error must be about that
  last argument).
- examples/ringbind.conf names every option, and only options; with its
  settings uncommented the daemon's own loader accepts every line (again
  with a bad last line, so that it never starts).
- man/ringbind.8 documents every option of --help and names no other;
  the same for man/ringbind-load.1 and ringbind-load --help (with --load).
- The Dockerfile: both stages on debian:12-slim, a non-root USER, and the
  runtime stage installs the package of every shared library the binary
  links (where dpkg can tell).

Exit 0 when all pass, 1 with one line per failure, 77 when PyYAML is
missing (python3-yaml on Debian).
"""

import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("SKIP: PyYAML not installed (Debian: apt-get install python3-yaml)")
    sys.exit(77)

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg)


def ok(msg):
    print("ok: " + msg)


# ---------------------------------------------------------------- the binary

def help_text(binary):
    r = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        raise SystemExit("FAIL: %s --help exited %d" % (binary, r.returncode))
    return r.stdout


def help_options(text):
    """{'--name': takes_value} and {'-x': takes_value} from a --help text.

    An option followed by one space and a word takes a value (its
    metavariable: "--port N", "-h, --host ADDR"); two spaces or more start
    the description."""
    longs, shorts = {}, {}
    for line in text.splitlines():
        m = re.match(r"^\s+(?:(-[a-zA-Z]), )?(--[a-z][a-z0-9-]*)( [^ ])?", line)
        if not m:
            continue
        takes = m.group(3) is not None
        longs[m.group(2)] = takes
        if m.group(1):
            shorts[m.group(1)] = takes
    return longs, shorts


def flags_in(argv, longs, shorts, where):
    """Each option in argv must be one of --help's."""
    bad = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            if name not in longs:
                bad.append(name)
            elif longs[name] and "=" not in a:
                i += 1  # its value
        elif a.startswith("-") and len(a) > 1:
            for k, c in enumerate(a[1:]):
                if "-" + c not in shorts:
                    bad.append("-" + c)
                    break
                if shorts["-" + c]:
                    if k == len(a) - 2:
                        i += 1  # "-h ADDR"; else "-hADDR"
                    break
        else:
            bad.append("stray argument %r" % a)
    if bad:
        fail("%s: not options of ringbind --help: %s" % (where, ", ".join(bad)))
    return not bad


def parser_accepts(binary, argv, where):
    """Runs ringbind ARGV --port 0: the parser reads the arguments in
    order and stops at the first bad one, so the error must be about the
    appended --port 0 (which no version accepts), and the daemon never
    starts. Exit status 2 is a configuration error."""
    cmd = [binary] + argv + ["--port", "0"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        fail("%s: ringbind did not stop on a bad last argument (it ran: %s)"
             % (where, " ".join(cmd)))
        return
    err = r.stderr.strip()
    if r.returncode == 2 and "--port: expected" in err and "'0'" in err:
        ok("%s: ringbind's parser accepts %s" % (where, " ".join(argv)))
    else:
        fail("%s: ringbind rejects %s: %s (exit %d)" % (where, " ".join(argv), err, r.returncode))


def check_argv(binary, longs, shorts, argv, where):
    if flags_in(argv, longs, shorts, where):
        parser_accepts(binary, argv, where)


# ---------------------------------------------------------------- Kubernetes

def load_yaml(path):
    try:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        fail("%s: does not parse: %s" % (path, e))
        return []
    for n, d in enumerate(docs):
        if not isinstance(d, dict) or not d.get("apiVersion") or not d.get("kind") \
                or not (d.get("metadata") or {}).get("name"):
            fail("%s: document %d lacks apiVersion, kind or metadata.name" % (path, n + 1))
    return docs


def pod_spec(doc):
    if doc["kind"] == "Pod":
        return doc.get("spec") or {}
    return ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def pod_labels(doc):
    if doc["kind"] == "Pod":
        return (doc.get("metadata") or {}).get("labels") or {}
    return (((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def all_containers(spec):
    return (spec.get("initContainers") or []) + (spec.get("containers") or [])


def is_ringbind(c):
    return "ringbind" in str(c.get("image", "")).split("/")[-1]


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def expand_env(argv, container):
    """$(VAR) as the kubelet expands it, with an example value for each
    variable the container defines."""
    sample = {"HOST_IP": "192.0.2.1", "POD_IP": "192.0.2.2"}
    names = {e["name"] for e in container.get("env") or []}
    out = []
    for a in argv:
        for v in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", a):
            if v not in names:
                fail("container %s: $(%s) in its arguments is not in its env"
                     % (container.get("name"), v))
            a = a.replace("$(%s)" % v, sample.get(v, "192.0.2.9"))
        out.append(a)
    return out


def probe_path(c, probe):
    p = (c.get(probe) or {}).get("httpGet") or {}
    return p.get("path"), p.get("port")


def port_named(c, name_or_number):
    for p in c.get("ports") or []:
        if name_or_number in (p.get("name"), p.get("containerPort")):
            return p
    return None


# Directories of the node that other services write in: never a hostPath.
SHARED_HOST_DIRS = {"/", "/run", "/var/run", "/var", "/var/lib", "/etc", "/dev", "/proc",
                    "/sys", "/run/systemd", "/run/containerd", "/run/lock", "/tmp"}
DAEMONSET_RUN_DIR = "/run/ringbind-pod"


def check_daemonset(ds, path):
    spec = pod_spec(ds)
    where = "%s: DaemonSet %s" % (path, ds["metadata"]["name"])
    before = len(FAILS)
    if spec.get("hostNetwork") is not True:
        fail(where + ": hostNetwork is not true")
    if spec.get("priorityClassName") != "system-node-critical":
        fail(where + ": priorityClassName is not system-node-critical")
    rb = [c for c in spec.get("containers") or [] if is_ringbind(c)]
    if len(rb) != 1:
        fail(where + ": expected one ringbind container, found %d" % len(rb))
        return
    c = rb[0]
    for probe, want in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        p, port = probe_path(c, probe)
        if p != want:
            fail("%s: %s httpGet path is %r, want %r" % (where, probe, p, want))
        mp = port_named(c, port) if port is not None else None
        if not mp or mp.get("containerPort") != 9111:
            fail("%s: %s port %r is not the metrics port 9111" % (where, probe, port))
    sc = c.get("securityContext") or {}
    caps = sc.get("capabilities") or {}
    if caps.get("drop") != ["ALL"]:
        fail(where + ": capabilities.drop is %r, want [ALL]" % caps.get("drop"))
    if caps.get("add") != ["NET_BIND_SERVICE"]:
        fail(where + ": capabilities.add is %r, want only NET_BIND_SERVICE" % caps.get("add"))
    if sc.get("allowPrivilegeEscalation") is not False:
        fail(where + ": allowPrivilegeEscalation is not false")
    if sc.get("readOnlyRootFilesystem") is not True:
        fail(where + ": readOnlyRootFilesystem is not true")
    if sc.get("privileged"):
        fail(where + ": privileged")
    # Issue 18, fix 4: the node's whole /run (containerd's socket,
    # systemd's private socket) must not be mounted; one dedicated
    # directory is, at /run, and the node's tmpfiles.d entry publishes its
    # socket as /run/rpcbind.sock.
    host = {v["name"]: v["hostPath"].get("path").rstrip("/") or "/"
            for v in spec.get("volumes") or [] if v.get("hostPath")}
    for name, hp in host.items():
        if hp in SHARED_HOST_DIRS or not hp.startswith("/run/"):
            fail("%s: hostPath %s (volume %s) is shared with the node's other services;"
                 " mount a directory of ringbind's own" % (where, hp, name))
    mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts") or []}
    run_dir = host.get(mounts.get("/run"))
    if run_dir != DAEMONSET_RUN_DIR:
        fail("%s: /run is %r, want the node's dedicated %s" % (where, run_dir, DAEMONSET_RUN_DIR))
    tmpfiles = os.path.join(os.path.dirname(path), "ringbind-node-tmpfiles.conf")
    links = {}
    if os.path.exists(tmpfiles):
        for line in open(tmpfiles):
            f = line.split()
            if f and f[0].startswith("L") and len(f) >= 7:
                links[f[1]] = f[6]
    if links.get("/run/rpcbind.sock") != DAEMONSET_RUN_DIR + "/rpcbind.sock":
        fail("%s: ringbind-node-tmpfiles.conf does not link /run/rpcbind.sock to %s/rpcbind.sock"
             % (where, DAEMONSET_RUN_DIR))
    if len(FAILS) == before:
        ok(where + ": host network, node-critical, probes, capabilities, a dedicated /run"
           " published as /run/rpcbind.sock")
    return pod_labels(ds)


def check_servicemonitor(docs, path, ds_labels):
    services = [d for d in docs if d["kind"] == "Service"]
    for sm in (d for d in docs if d["kind"] == "ServiceMonitor"):
        where = "%s: ServiceMonitor %s" % (path, sm["metadata"]["name"])
        spec = sm.get("spec") or {}
        sel = (spec.get("selector") or {}).get("matchLabels") or {}
        eps = spec.get("endpoints") or []
        if not eps:
            fail(where + ": no endpoints")
        svc = [s for s in services if selects(sel, (s.get("metadata") or {}).get("labels") or {})]
        if len(svc) != 1:
            fail(where + ": selects %d Services in this file, want 1" % len(svc))
            continue
        svc = svc[0]
        names = {p.get("name") for p in (svc.get("spec") or {}).get("ports") or []}
        for ep in eps:
            if ep.get("path") != "/metrics":
                fail(where + ": endpoint path is %r, want /metrics" % ep.get("path"))
            if not ep.get("port") or ep.get("port") not in names:
                fail(where + ": endpoint port %r is not a port of Service %s"
                     % (ep.get("port"), svc["metadata"]["name"]))
        if ds_labels is not None and not selects((svc.get("spec") or {}).get("selector"), ds_labels):
            fail(where + ": Service %s does not select the DaemonSet's pods" % svc["metadata"]["name"])
        ok(where + ": scrapes /metrics on Service %s" % svc["metadata"]["name"])


def check_sidecar(docs, path):
    pods = [d for d in docs if d["kind"] in ("Pod", "Deployment", "StatefulSet")]
    found = False
    for d in pods:
        spec = pod_spec(d)
        empty = {v["name"] for v in spec.get("volumes") or [] if "emptyDir" in v}
        cs = all_containers(spec)
        rb = [c for c in cs if is_ringbind(c)]
        others = [c for c in cs if not is_ringbind(c)]

        def run_vol(c):
            for m in c.get("volumeMounts") or []:
                if m.get("mountPath") == "/run" and m.get("name") in empty:
                    return m["name"]
            return None
        for c in rb:
            v = run_vol(c)
            if v and any(run_vol(o) == v for o in others):
                found = True
    if found:
        ok(path + ": ringbind shares /run (emptyDir) with the server container")
    else:
        fail(path + ": no ringbind container sharing an emptyDir /run with another container")


def k8s_argvs(docs, path):
    """(where, argv, container) for each ringbind container."""
    out = []
    for d in docs:
        if d["kind"] not in ("Pod", "DaemonSet", "Deployment", "StatefulSet"):
            continue
        for c in all_containers(pod_spec(d)):
            if is_ringbind(c):
                cmd = c.get("command") or []
                argv = (cmd[1:] if cmd else []) + [str(a) for a in c.get("args") or []]
                out.append(("%s: %s %s container %s" % (path, d["kind"], d["metadata"]["name"],
                                                          c.get("name")), argv, c))
    return out


# ---------------------------------------------------------------- Dockerfile

def dockerfile(path):
    """Stages as [(from, [(instruction, text)])], continuation lines joined."""
    stages, lines, cur = [], [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not cur and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.endswith("\\"):
                cur += line[:-1] + " "
                continue
            lines.append(cur + line)
            cur = ""
    for line in lines:
        ins, _, rest = line.strip().partition(" ")
        ins = ins.upper()
        if ins == "FROM":
            stages.append((rest.split()[0], []))
        elif stages:
            stages[-1][1].append((ins, rest.strip()))
    return stages


def check_dockerfile(path, binary, longs, shorts):
    stages = dockerfile(path)
    if len(stages) < 2:
        fail(path + ": want a build stage and a runtime stage")
        return
    for image, _ in stages:
        if image != "debian:12-slim":
            fail("%s: stage FROM %s, want debian:12-slim" % (path, image))
    final = stages[-1][1]
    users = [t for i, t in final if i == "USER"]
    if not users or users[-1].split(":")[0] in ("0", "root"):
        fail(path + ": the runtime stage does not end as a non-root USER")
    exec_form = {}
    for ins in ("ENTRYPOINT", "CMD"):
        texts = [t for i, t in final if i == ins]
        if not texts:
            continue
        try:
            exec_form[ins] = json.loads(texts[-1])
        except ValueError:
            fail("%s: %s is not in exec (JSON) form" % (path, ins))
            return
    ep = exec_form.get("ENTRYPOINT") or []
    if not ep or not ep[0].endswith("/ringbind"):
        fail(path + ": ENTRYPOINT does not run ringbind")
        return
    check_argv(binary, longs, shorts, ep[1:] + (exec_form.get("CMD") or []),
               path + ": ENTRYPOINT + CMD")
    ok(path + ": debian:12-slim stages, non-root USER %s" % users[-1])

    # The runtime stage installs the package of each library the binary
    # links (sanitizer runtimes aside: an ASan build links them).
    runtime_apt = " ".join(t for i, t in final if i == "RUN")
    try:
        ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        print("note: no ldd: runtime packages not checked")
        return
    base = re.compile(r"^(linux-vdso|ld-linux|libc\.|libm\.|libpthread|libdl|librt|libstdc\+\+"
                      r"|libgcc_s|lib(a|ub|t|l)san)")
    for m in re.finditer(r"^\s*(\S+) => (\S+)", ldd, re.M):
        name, lib = m.groups()
        if base.match(name):
            continue
        try:
            r = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True,
                               text=True, timeout=10)
        except OSError:
            print("note: no dpkg: runtime packages not checked")
            return
        if r.returncode != 0:
            print("note: %s: no Debian package owns it, not checked" % name)
            continue
        pkg = r.stdout.split(":")[0].strip()
        if re.search(r"(^|\s)%s(\s|$)" % re.escape(pkg), runtime_apt):
            ok("%s: runtime stage installs %s (%s)" % (path, pkg, name))
        else:
            fail("%s: the binary links %s (package %s), which the runtime stage does not install"
                 % (path, name, pkg))


# ---------------------------------------------------------------- systemd

def check_units(src, binary, longs, shorts):
    for unit in ("deploy/systemd/ringbind.service", "deploy/systemd/rpcbind.service.d/ringbind.conf"):
        path = os.path.join(src, unit)
        for line in open(path):
            if line.startswith("ExecStart=/"):
                words = shlex.split(line.strip()[len("ExecStart="):])
                argv = [w for w in words[1:] if not w.startswith("$")]
                check_argv(binary, longs, shorts, argv, unit + ": ExecStart")


# ---------------------------------------------------------------- example config

SETTING = re.compile(r"^#?([A-Za-z][A-Za-z0-9_-]*)\s*=")


def check_example(src, binary, longs):
    path = os.path.join(src, "examples/ringbind.conf")
    keys = set()
    lines = open(path).read().splitlines()
    for n, line in enumerate(lines, 1):
        m = SETTING.match(line)
        if m:
            k = "--" + m.group(1).lower().replace("_", "-")
            if k not in longs or k == "--config":
                fail("%s:%d: %s is not a configuration file option" % (path, n, m.group(1)))
            keys.add(k)
    missing = set(longs) - keys - {"--config", "--help", "--version"}
    if missing:
        fail("%s: options missing from the example: %s" % (path, ", ".join(sorted(missing))))
    else:
        ok("%s: every option is there (%d), and only options" % (path, len(keys)))

    # Uncomment every setting and let the daemon's loader read the file,
    # with one bad line last: the error must name that line.
    text = [re.sub(r"^#(?=[A-Za-z][A-Za-z0-9_-]*\s*=)", "", l) for l in lines]
    text.append("port = 0")
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("\n".join(text) + "\n")
        tmp = f.name
    try:
        r = subprocess.run([binary, "--config", tmp], capture_output=True, text=True, timeout=10)
        want = "%s:%d: port = 0" % (tmp, len(text))
        if r.returncode == 2 and want in r.stderr:
            ok("%s: ringbind's loader accepts every setting uncommented" % path)
        else:
            fail("%s uncommented: %s (exit %d)" % (path, r.stderr.strip().replace(tmp, "<copy>"),
                                                  r.returncode))
    except subprocess.TimeoutExpired:
        fail("%s: ringbind did not stop on a bad last line" % path)
    finally:
        os.unlink(tmp)


# ---------------------------------------------------------------- man pages

def check_man(page, longs, extra_ok=()):
    text = open(page).read()
    # Option names as troff writes them: \-\-state\-dir
    named = {"--" + m.replace("\\-", "-")
             for m in re.findall(r"\\-\\-([a-z](?:[a-z0-9]|\\-(?=[a-z0-9]))*)", text)}
    unknown = named - set(longs) - set(extra_ok)
    if unknown:
        fail("%s: names options that --help does not list: %s" % (page, ", ".join(sorted(unknown))))
    missing = set(longs) - named
    if missing:
        fail("%s: does not document %s" % (page, ", ".join(sorted(missing))))
    if not unknown and not missing:
        ok("%s: documents the %d options of --help" % (page, len(longs)))


# ---------------------------------------------------------------- main

def readme_block(text, marker):
    """The first ```sh block after <!-- MARKER ... -->, as its lines."""
    i = text.find("<!-- " + marker)
    if i < 0:
        return None
    m = re.search(r"```sh\n(.*?)```", text[i:], re.S)
    return m.group(1).splitlines() if m else None


def check_procedures(src):
    """Issue 18, fixes 2, 3 and 6: what deploy/README.md tells an
    administrator to run (the nspawn and podman tests run the same blocks
    word for word)."""
    before = len(FAILS)
    readme = open(os.path.join(src, "deploy/README.md")).read()
    sw = readme_block(readme, "switch-as-rpcbind")
    if sw is None:
        fail("deploy/README.md: no switch-as-rpcbind block")
    else:
        for line in sw:
            # rpc-statd has Requires=rpcbind.socket: stopping (or
            # restarting) the socket stops rpc.statd for good.
            if re.search(r"systemctl\s+(stop|restart|try-restart|disable|mask)\b.*rpcbind\.socket", line):
                fail("deploy/README.md switch-as-rpcbind: %r stops rpcbind.socket, and rpc-statd"
                     " with it" % line.strip())
    prep = readme_block(readme, "node-prepare")
    if prep is None or not any(re.search(r"systemctl mask --now rpcbind\.socket rpcbind\.service", l)
                               for l in prep):
        fail("deploy/README.md node-prepare: rpcbind.socket and rpcbind.service must be masked")
    for name in ("deploy/README.md", "deploy/kubernetes/daemonset.yaml"):
        for n, line in enumerate(open(os.path.join(src, name)), 1):
            if re.search(r"disable --now rpcbind", line):
                fail("%s:%d: disables rpcbind's units without masking them: %s"
                     % (name, n, line.strip()))
    podman = readme_block(readme, "podman-run")
    if podman is None:
        fail("deploy/README.md: no podman-run block")
    elif re.search(r"--tmpfs \S*(uid|gid)=", "\n".join(podman)):
        fail("deploy/README.md podman-run: podman rejects uid=/gid= in --tmpfs")
    # The Dockerfile's header command is the README's first docker run
    # (a port mapper in the container's namespace), word for word, and
    # never called the host's port mapper.
    head = []
    for line in open(os.path.join(src, "deploy/docker/Dockerfile")):
        if not line.startswith("#"):
            break
        head.append(line[1:].strip())
    htext = " ".join(head)
    m = re.search(r"(docker run .*?ringbind)(?= Its| \S+:)", htext)
    rm = re.search(r"```sh\n(docker run -d --name ringbind --cap-drop.*?)```", readme, re.S)
    norm = lambda t: " ".join(t.replace("\\", " ").split())
    if not m or not rm or norm(m.group(1)) != norm(rm.group(1)):
        fail("deploy/docker/Dockerfile: the header's docker run is not the README's: %r"
             % (m.group(1) if m else None))
    if "host's port mapper" in htext and "not the host's port mapper" not in htext:
        fail("deploy/docker/Dockerfile: the header calls its command the host's port mapper")
    if len(FAILS) == before:
        ok("deploy/README.md procedures: the switch leaves rpcbind.socket (and rpc-statd) alone;"
           " nodes mask rpcbind; podman's --tmpfs; the Dockerfile header")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True, help="the repository root")
    ap.add_argument("--ringbind", required=True, help="the built ringbind binary")
    ap.add_argument("--load", help="the built ringbind-load binary (optional)")
    args = ap.parse_args([a for a in sys.argv[1:] if a])  # CMake may pass ""

    src, binary = os.path.abspath(args.source), os.path.abspath(args.ringbind)
    load = os.path.abspath(args.load) if args.load else None
    os.chdir(src)  # paths in messages are relative to the repository root
    src = ""
    longs, shorts = help_options(help_text(binary))
    if len(longs) < 20 or "--state-dir" not in longs or "-w" not in shorts:
        raise SystemExit("FAIL: could not read the options from %s --help" % binary)

    kdir = os.path.join(src, "deploy/kubernetes")
    ds_labels = None
    for path in sorted(glob.glob(os.path.join(kdir, "*.yaml"))):
        docs = load_yaml(path)
        name = os.path.relpath(path, src)
        if docs:
            ok("%s: %d document(s) parse (%s)" % (name, len(docs), ", ".join(d["kind"] for d in docs)))
        for ds in (d for d in docs if d["kind"] == "DaemonSet"):
            ds_labels = check_daemonset(ds, name)
        for where, argv, c in k8s_argvs(docs, name):
            check_argv(binary, longs, shorts, expand_env(argv, c), where)
    for need in ("daemonset.yaml", "servicemonitor.yaml", "sidecar.yaml"):
        if not os.path.exists(os.path.join(kdir, need)):
            fail("deploy/kubernetes/%s is missing" % need)
    if os.path.exists(os.path.join(kdir, "servicemonitor.yaml")):
        check_servicemonitor(load_yaml(os.path.join(kdir, "servicemonitor.yaml")),
                             "deploy/kubernetes/servicemonitor.yaml", ds_labels)
    if os.path.exists(os.path.join(kdir, "sidecar.yaml")):
        check_sidecar(load_yaml(os.path.join(kdir, "sidecar.yaml")), "deploy/kubernetes/sidecar.yaml")

    check_dockerfile(os.path.join(src, "deploy/docker/Dockerfile"), binary, longs, shorts)
    check_procedures(src)
    check_units(src, binary, longs, shorts)
    check_example(src, binary, longs)
    check_man(os.path.join(src, "man/ringbind.8"), longs)
    if load:
        lh = subprocess.run([load, "--help"], capture_output=True, text=True, timeout=10)
        llongs, _ = help_options(lh.stdout + lh.stderr)
        if len(llongs) < 10:
            fail("could not read the options from %s --help" % load)
        else:
            check_man(os.path.join(src, "man/ringbind-load.1"), llongs, extra_ok=("--help",))
    else:
        print("note: no --load: man/ringbind-load.1 not checked against ringbind-load --help")

    if FAILS:
        print("deploy manifests: %d failure(s)" % len(FAILS))
        return 1
    print("deploy manifests: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
