#!/usr/bin/env python3
"""bench/availability.py: what the resident model costs and buys in availability, measured on loopback.

Each part runs under wrk load (-t2 -c32, keep-alive, then a new connection per request with
-H 'Connection: close') while a probe opens a fresh connection every PROBE_INTERVAL s and asks for the
1 KiB file:

  crash    kill -9 at a fixed moment (KILL_AT s into the run) of
             master-w1  the daemon with its master, WorkerProcesses 1: the worker
             master-w2  the same with WorkerProcesses 2: the worker holding more client connections
             single     httpd as one process, as the daemon was before the master: `systemd-socket-activate
                        -l 127.0.0.1:PORT httpd -F -f CONF` (socket activation keeps httpd one process, and the
                        listening socket is its own: it closes when the process dies); restarted 100 ms
                        (RESTART_SEC) after it died, as systemd's Restart=on-failure with its default
                        RestartSec=100ms would
             inetd      httpd --inetd under xinetd: one httpd --inetd child
  upgrade  replacing the binary under load, while a download of DOWNLOAD_MIB MiB at DOWNLOAD_RATE_MIB MiB/s
           (curl --limit-rate, started with the load) is in flight and must arrive whole:
             master-upgrade  UPGRADES x (a fresh copy of the binary renamed over the path the daemon was
                             started from, then `httpd -s upgrade`)
             stop-start      what an upgrade was without the master: `httpd -s stop`, wait for the daemon to
                             exit, start it again; once per load without the download, then once more with
                             keep-alive and the download in flight (stop-start-download)
             inetd-rename    RENAMES x a fresh copy renamed over the path xinetd execs
  memory   RSS, PSS and USS (Private_Clean + Private_Dirty, /proc/PID/smaps_rollup) and threads
           (/proc/PID/task) of the master and its worker (WorkerProcesses 1), idle after start and after
           MEMORY_LOAD s of keep-alive load; the same for the single process. The master must have 1 thread.

Per run: wrk's requests, socket errors (connect/read/write/timeout) and non-2xx responses; from the probe:
the gap (time from the event until a probe connection opened after it, and after the last probe that
failed after it, gets a 200; for several events the largest), the connection attempts refused, the other
probe failures, and the longest time without a 200.

Writes RESULTS_DIR/availability.md, availability.tsv and availability-meta.tsv (machine, load, versions,
commands, configurations). Run it with `make bench-availability` (installs what is missing, builds the
release binary) or directly: bench/availability.py. Settings (environment): HTTPD_BIN (default
.build/release/httpd), RESULTS_DIR (bench/results), PARTS ("memory crash upgrade"), MODES ("keepalive
close"), KILL_AT (2 s), AFTER (4 s after the kill), UPGRADES (10), RENAMES (10), EVENT_PAUSE (0.5 s
between upgrades or renames), LEAD (1 s of load before the first upgrade), TAIL (1.5 s after the last),
MEMORY_LOAD (10 s), PROBE_INTERVAL (0.01 s), RESTART_SEC (0.1 s), WRK_TIMEOUT (5 s), DOWNLOAD_MIB (24),
DOWNLOAD_RATE_MIB (3).

Every process it starts is stopped by PID on exit (Ctrl-C and SIGTERM included), only processes whose
command line names this run's temporary folder; loopback only; temporary files in a mktemp folder. It
exits 1 when a set-up step fails (a tool missing, a server that does not start or serves other bytes),
and 3 after writing the results when a check on httpd failed (the master has more than one thread, an
upgrade failed, a worker was not replaced): the report says which.
"""

from __future__ import annotations

import errno
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
NAME = "availability"


def env_float(name: str, default: float) -> float:
    v = os.environ.get(name, "")
    if v == "":
        return default
    try:
        f = float(v)
    except ValueError:
        die(f"{name} must be a number (got {v!r})")
    if f < 0:
        die(f"{name} must not be negative")
    return f


def die(msg: str):
    raise SetupError(msg)


def note(msg: str):
    print(f"{NAME}: {msg}", file=sys.stderr, flush=True)


class SetupError(Exception):
    pass


THREADS = 2
CONNECTIONS = 32
KILL_AT = AFTER = UPGRADES = RENAMES = EVENT_PAUSE = LEAD = TAIL = MEMORY_LOAD = 0.0
PROBE_INTERVAL = RESTART_SEC = WRK_TIMEOUT = 0.0
DOWNLOAD_MIB = DOWNLOAD_RATE_MIB = 0.0
PARTS: list[str] = []
MODES: list[str] = []


def read_settings():
    global KILL_AT, AFTER, UPGRADES, RENAMES, EVENT_PAUSE, LEAD, TAIL, MEMORY_LOAD
    global PROBE_INTERVAL, RESTART_SEC, WRK_TIMEOUT, PARTS, MODES, DOWNLOAD_MIB, DOWNLOAD_RATE_MIB
    KILL_AT = env_float("KILL_AT", 2.0)
    AFTER = env_float("AFTER", 4.0)
    UPGRADES = int(env_float("UPGRADES", 10))
    RENAMES = int(env_float("RENAMES", 10))
    EVENT_PAUSE = env_float("EVENT_PAUSE", 0.5)
    LEAD = env_float("LEAD", 1.0)
    TAIL = env_float("TAIL", 1.5)
    MEMORY_LOAD = env_float("MEMORY_LOAD", 10)
    PROBE_INTERVAL = env_float("PROBE_INTERVAL", 0.01)
    RESTART_SEC = env_float("RESTART_SEC", 0.1)
    WRK_TIMEOUT = env_float("WRK_TIMEOUT", 5)
    DOWNLOAD_MIB = int(env_float("DOWNLOAD_MIB", 24))
    DOWNLOAD_RATE_MIB = int(env_float("DOWNLOAD_RATE_MIB", 3))
    if DOWNLOAD_RATE_MIB < 1:
        die("DOWNLOAD_RATE_MIB must be at least 1")
    PARTS = os.environ.get("PARTS", "memory crash upgrade").split()
    MODES = os.environ.get("MODES", "keepalive close").split()
    for p in PARTS:
        if p not in ("memory", "crash", "upgrade"):
            die(f"unknown part {p!r} in PARTS (memory crash upgrade)")
    for m in MODES:
        if m not in ("keepalive", "close"):
            die(f"unknown mode {m!r} in MODES (keepalive close)")
    if not PARTS or not MODES:
        die("PARTS and MODES must not be empty")


# --- processes ------------------------------------------------------------------------------------------

def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return s[s.rindex(")") + 2:].split()


def alive(pid: int) -> bool:
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


def wait_gone(pid: int, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.005)
    return not alive(pid)


def children(pid: int) -> list[int]:
    """PID's children that are not zombies."""
    kids: list[int] = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{t}/children") as f:
                    kids += [int(x) for x in f.read().split()]
            except FileNotFoundError:
                pass
    except FileNotFoundError:
        return []
    return sorted(k for k in set(kids) if alive(k))


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for c in children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def cpu_ticks(pid: int) -> int:
    st = proc_stat(pid)
    return int(st[11]) + int(st[12]) if st else 0


def start_ticks(pid: int) -> int:
    st = proc_stat(pid)
    return int(st[19]) if st else 0


def threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except FileNotFoundError:
        return 0


def socket_inodes(pid: int) -> set[str]:
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:"):
                out.add(link)
    except FileNotFoundError:
        pass
    return out


def client_connections(pid: int, listeners: set[str]) -> int:
    """The sockets PID holds other than the listening ones (LISTENERS: the master's sockets, or the socket
    systemd-socket-activate passed): its client connections. (Not from /proc/net/tcp: with the TIME_WAIT
    entries of the connection-per-request runs that file takes seconds to read.)"""
    return len(socket_inodes(pid) - listeners)


def memory(pid: int) -> dict[str, int]:
    """RSS, PSS and USS (Private_Clean + Private_Dirty) in KiB from /proc/PID/smaps_rollup, and threads."""
    v: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "kB":
                v[parts[0].rstrip(":")] = int(parts[1])
    return {"rss_kib": v["Rss"], "pss_kib": v["Pss"], "uss_kib": v["Private_Clean"] + v["Private_Dirty"],
            "threads": threads(pid)}


# --- the probe ------------------------------------------------------------------------------------------

REQUEST = b"GET /1k.html HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
FILE_SIZE = 1024


def probe_once(port: int, timeout: float) -> str:
    """One fresh connection, one GET of the 1 KiB file: 'ok', 'refused', or what went wrong."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        try:
            s.connect((HOST, port))
        except ConnectionRefusedError:
            return "refused"
        except socket.timeout:
            return "connect-timeout"
        except OSError as e:
            return "connect-" + errno.errorcode.get(e.errno or 0, str(e.errno))
        data = b""
        try:
            s.sendall(REQUEST)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            return "timeout"
        except ConnectionResetError:
            return "reset"
        except OSError as e:
            return errno.errorcode.get(e.errno or 0, str(e.errno)).lower()
    finally:
        s.close()
    if not data:
        return "empty"
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    if not m:
        return "garbage"
    if m.group(1) != b"200":
        return "status-" + m.group(1).decode()
    if len(data.partition(b"\r\n\r\n")[2]) != FILE_SIZE:
        return "short"
    return "ok"


class Prober(threading.Thread):
    """A fresh connection every PROBE_INTERVAL s (at once after wake()); records (start, end, outcome)."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port = port
        self.records: list[tuple[float, float, str]] = []
        self.halt = threading.Event()
        self.woken = threading.Event()

    def run(self):
        while not self.halt.is_set():
            t0 = time.monotonic()
            out = probe_once(self.port, 3.0)
            self.records.append((t0, time.monotonic(), out))
            self.woken.wait(PROBE_INTERVAL)
            self.woken.clear()

    def wake(self):
        self.woken.set()

    def stop(self):
        self.halt.set()
        self.woken.set()
        self.join(10)


def probe_figures(records, events: list[float], t_start: float, t_end: float) -> dict:
    recs = sorted(r for r in records if t_start <= r[0] <= t_end)
    gaps = []
    for i, te in enumerate(events):
        # after the event (and before the next one): the last probe that failed, and the first 200 of a probe
        # started after it (a probe that starts just after `-s stop` may still be served by the stopping daemon)
        nxt = events[i + 1] if i + 1 < len(events) else t_end
        failed = [r[0] for r in recs if te <= r[0] < nxt and r[2] != "ok"]
        since = max(failed) if failed else te
        g = next((r[1] - te for r in recs if r[0] >= since and (r[0] > since or not failed) and r[2] == "ok"), None)
        gaps.append(g)
    oks = [r[1] for r in recs if r[2] == "ok"]
    longest = 0.0
    prev = t_start
    for t in oks:
        longest = max(longest, t - prev)
        prev = t
    longest = max(longest, t_end - prev)
    failures: dict[str, int] = {}
    for r in recs:
        if r[2] not in ("ok", "refused"):
            failures[r[2]] = failures.get(r[2], 0) + 1
    return {
        "gaps": gaps,
        "gap_ms": (None if not gaps or any(g is None for g in gaps) else max(gaps) * 1000),
        "probes": len(recs),
        "probes_ok": len(oks),
        "probes_refused": sum(1 for r in recs if r[2] == "refused"),
        "probes_failed": sum(failures.values()),
        "probe_failures": ", ".join(f"{k} {v}" for k, v in sorted(failures.items())) or "-",
        "longest_no_200_ms": longest * 1000,
    }


# --- wrk ------------------------------------------------------------------------------------------------

def wrk_argv(port: int, mode: str, seconds: float) -> list[str]:
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{int(seconds)}s", "--timeout", f"{int(WRK_TIMEOUT)}s",
            "--latency"]
    if mode == "close":
        argv += ["-H", "Connection: close"]
    return argv + [f"http://{HOST}:{port}/1k.html"]


def to_ms(v: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", v)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def parse_wrk(out: str) -> dict:
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(s|m|ms),", out, re.M)
    if not m:
        raise SetupError(f"no result from wrk:\n{out}")
    secs = float(m.group(2)) * {"s": 1, "m": 60, "ms": 0.001}[m.group(3)]
    r = {"requests": int(m.group(1)), "wrk_seconds": secs, "rps": int(m.group(1)) / secs if secs else 0.0,
         "err_connect": 0, "err_read": 0, "err_write": 0, "err_timeout": 0, "non2xx": 0,
         "p99_ms": float("nan"), "max_ms": float("nan")}
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r.update(err_connect=int(m.group(1)), err_read=int(m.group(2)), err_write=int(m.group(3)),
                 err_timeout=int(m.group(4)))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"^\s*99%\s+(\S+)", out, re.M)
    if m:
        r["p99_ms"] = to_ms(m.group(1))
    m = re.search(r"^\s*Latency\s+\S+\s+\S+\s+(\S+)", out, re.M)
    if m:
        r["max_ms"] = to_ms(m.group(1))
    return r


# --- the run --------------------------------------------------------------------------------------------

class Bench:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix=f"{NAME}.", dir=os.environ.get("TMPDIR") or None)
        self.popens: list[subprocess.Popen] = []
        self.masters: set[int] = set()        # every daemon master seen (upgrades make new ones)
        self.meta: list[tuple[str, str]] = []
        self.rows: list[dict] = []
        self.mem_rows: list[dict] = []
        self.problems: list[str] = []
        self.logs: dict[str, str] = {}
        self.commands: list[tuple[str, str]] = []
        self.www = os.path.join(self.tmp, "www")
        os.makedirs(self.www)
        s = "<!doctype html>\n<title>bench</title>\n<p>"
        while len(s) < FILE_SIZE - 1:
            s += "lorem ipsum dolor sit amet "
        with open(os.path.join(self.www, "1k.html"), "w") as f:
            f.write(s[:FILE_SIZE - 1] + "\n")
        # the download in flight during the upgrades (random bytes, compared whole afterwards)
        with open(os.path.join(self.www, "big.bin"), "wb") as f:
            f.write(os.urandom(DOWNLOAD_MIB * 1024 * 1024))

    # ---- bookkeeping
    def ours(self, pid: int) -> bool:
        return self.tmp in cmdline(pid)

    def kill(self, pid: int, sig: int) -> bool:
        """Signal PID if it is a live process of this run (its command line names the temporary folder)."""
        if alive(pid) and self.ours(pid):
            try:
                os.kill(pid, sig)
                return True
            except ProcessLookupError:
                return False
        return False

    def popen(self, argv: list[str], **kw) -> subprocess.Popen:
        p = subprocess.Popen(argv, **kw)
        self.popens.append(p)
        return p

    def stop_popen(self, p: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 5):
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        if p in self.popens:
            self.popens.remove(p)

    def stop_master(self, master: int):
        """SIGTERM to a daemon master (a graceful stop of it and its workers), then SIGKILL to what is left."""
        kids = descendants(master)
        if self.kill(master, signal.SIGTERM) and not wait_gone(master, 10):
            note(f"master {master} still runs 10 s after SIGTERM; SIGKILL")
            self.kill(master, signal.SIGKILL)
            wait_gone(master, 5)
        for k in kids:
            if not wait_gone(k, 5):
                self.kill(k, signal.SIGKILL)
        self.masters.discard(master)

    def cleanup(self):
        for m in sorted(self.masters):
            self.stop_master(m)
        for p in list(reversed(self.popens)):
            kids = descendants(p.pid)
            self.stop_popen(p)
            for k in kids:
                if not wait_gone(k, 3):
                    self.kill(k, signal.SIGKILL)
        # anything of this run still there (found by PID: its command line names this run's folder)
        left = [int(d) for d in os.listdir("/proc") if d.isdigit() and int(d) != os.getpid()
                and alive(int(d)) and self.ours(int(d))]
        for pid in left:
            note(f"PID {pid} ({cmdline(pid)[:80]}) was still running; SIGKILL")
            self.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def add_meta(self, key: str, value):
        self.meta.append((key, str(value)))

    def cmd(self, label: str, argv: list[str] | str):
        c = argv if isinstance(argv, str) else shlex.join(argv)
        self.commands.append((label, c))
        self.add_meta(f"cmd:{label}", c)

    # ---- configurations
    def httpd_conf(self, name: str, port: int | None, workers: int | None, inetd: bool = False) -> str:
        lines = []
        if port:
            lines.append(f"Listen {HOST}:{port}")
        lines += [f"DocumentRoot {self.www}", "LogLevel notice", f"ErrorLog {self.tmp}/{name}-error.log",
                  "AccessLog off", "KeepAlive on", "MaxKeepAliveRequests 0", "MaxConnectionsPerClient 0"]
        lines.append("PidFile off" if (inetd or workers is None) else f"PidFile {self.tmp}/{name}.pid")
        if workers:
            lines.append(f"WorkerProcesses {workers}")
        path = os.path.join(self.tmp, f"{name}.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([HTTPD_BIN, "-t", "-f", path], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            die(f"httpd rejects {path}: {r.stdout}{r.stderr}")
        self.add_meta(f"conf:{name}.conf", "\n".join(lines))
        return path

    def install(self, name: str) -> str:
        """A copy of the binary at TMP/NAME/httpd: what an upgrade or a rename replaces."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "httpd")
        shutil.copy2(HTTPD_BIN, path)
        return path

    @staticmethod
    def replace_binary(path: str):
        """A freshly copied file renamed over PATH (a new inode, as an installer does)."""
        shutil.copy2(HTTPD_BIN, path + ".new")
        os.rename(path + ".new", path)

    def error_log(self, name: str) -> str:
        try:
            with open(f"{self.tmp}/{name}-error.log", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_serving(self, port: int, what: str, timeout: float = 30):
        end = time.monotonic() + timeout
        last = ""
        while time.monotonic() < end:
            last = probe_once(port, 2.0)
            if last == "ok":
                return
            time.sleep(0.02)
        die(f"{what} does not serve on port {port} within {timeout:.0f} s (last probe: {last})")

    def verify(self, port: int, what: str):
        """curl: 200 and exactly the file's bytes, and a second request on the same connection."""
        out = os.path.join(self.tmp, "got")
        url = f"http://{HOST}:{port}/1k.html"
        r = subprocess.run(["curl", "-sv", "--max-time", "10", "-o", out, "-o", out, url, url],
                           capture_output=True, text=True, timeout=20)
        with open(os.path.join(self.www, "1k.html"), "rb") as a, open(out, "rb") as b:
            same = a.read() == b.read()
        if r.returncode != 0 or not same:
            die(f"{what}: curl {url} failed or got other bytes: {r.stderr[-500:]}")
        if not re.search(r"re-?using existing connection", r.stderr, re.I):
            die(f"{what}: a second request did not reuse the connection (no keep-alive)")

    # ---- services
    def daemon_start(self, name: str, binary: str, conf: str) -> int:
        argv = [binary, "-f", conf]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=90, cwd=self.tmp)
        if r.returncode != 0:
            die(f"{name}: {shlex.join(argv)} exited {r.returncode}: {r.stdout}{r.stderr}")
        with open(f"{self.tmp}/{name}.pid") as f:
            master = int(f.read())
        self.masters.add(master)
        return master

    def daemon_master(self, name: str) -> int:
        with open(f"{self.tmp}/{name}.pid") as f:
            return int(f.read())

    def workers_of(self, master: int, n: int, timeout: float = 10) -> list[int]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            w = [c for c in children(master) if self.ours(c)]
            if len(w) == n:
                return w
            time.sleep(0.01)
        die(f"master {master} does not have {n} worker(s): {children(master)}")

    def xinetd_start(self, name: str, port: int, server: str, conf: str) -> subprocess.Popen:
        xconf = os.path.join(self.tmp, f"xinetd-{name}.conf")
        user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        text = f"""defaults
{{
    log_type        = FILE {self.tmp}/xinetd-{name}-service.log
    log_on_success  =
    log_on_failure  = HOST
    instances       = UNLIMITED
    per_source      = UNLIMITED
    cps             = 1000000 1
}}
service bench-{name}
{{
    type            = UNLISTED
    socket_type     = stream
    protocol        = tcp
    wait            = no
    user            = {user}
    server          = {server}
    server_args     = --inetd -f {conf}
    bind            = {HOST}
    port            = {port}
    instances       = UNLIMITED
    per_source      = UNLIMITED
    cps             = 1000000 1
    flags           = NOLIBWRAP
    disable         = no
}}
"""
        with open(xconf, "w") as f:
            f.write(text)
        self.add_meta(f"conf:xinetd-{name}.conf", text.strip())
        argv = [XINETD_BIN, "-dontfork", "-f", xconf, "-pidfile", f"{self.tmp}/xinetd-{name}.pid",
                "-filelog", f"{self.tmp}/xinetd-{name}.log"]
        self.cmd(f"xinetd:{name}", argv)
        err = open(os.path.join(self.tmp, f"xinetd-{name}-stderr.log"), "wb")
        p = self.popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        self.wait_serving(port, f"xinetd ({name})")
        return p

    # ---- one measured run
    def measured(self, part: str, case: str, mode: str, port: int, act, max_seconds: float,
                 download: bool = False) -> dict:
        """wrk (mode) and the probe against PORT while act(t_start, prober) performs the events; act returns
        (event times, detail text). With DOWNLOAD, a rate-limited download of big.bin (curl) runs from the start
        and must arrive whole. One row."""
        argv = wrk_argv(port, mode, max_seconds + 30)
        self.cmd(f"wrk:{mode}", argv)
        out_path = os.path.join(self.tmp, f"wrk-{case}-{mode}.txt")
        out = open(out_path, "w")
        note(f"{part} {case} {mode}: running")
        prober = Prober(port)
        dl = None
        if download:
            # (the rate in bytes: this curl ignores a suffix such as 2M)
            dl_argv = ["curl", "-s", "--max-time", "60", "--limit-rate", str(DOWNLOAD_RATE_MIB * 1048576), "-o",
                       os.path.join(self.tmp, "big.got"), "-w", "%{http_code} %{size_download} %{time_total}",
                       f"http://{HOST}:{port}/big.bin"]
            self.cmd("download", dl_argv)
            dl = self.popen(dl_argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        w = self.popen(argv, stdout=out, stderr=subprocess.STDOUT)
        t_start = time.monotonic()
        prober.start()
        try:
            events, detail = act(t_start, prober)
        finally:
            t_end = time.monotonic()
            self.stop_popen(w, signal.SIGINT, 30)
            prober.stop()
            out.close()
        dl_text = "-"
        if dl is not None:
            try:
                got, _ = dl.communicate(timeout=70)
            finally:
                self.stop_popen(dl)
            with open(os.path.join(self.www, "big.bin"), "rb") as a, open(os.path.join(self.tmp, "big.got"), "rb") as g:
                whole = a.read() == g.read()
            parts = got.split()
            if dl.returncode == 0 and whole and parts and parts[0] == "200":
                dl_text = f"complete ({DOWNLOAD_MIB} MiB in {float(parts[2]):.1f} s)"
            else:
                dl_text = f"FAILED (curl exit {dl.returncode}, {got.strip()}, bytes {'equal' if whole else 'differ'})"
            os.remove(os.path.join(self.tmp, "big.got"))
        with open(out_path) as f:
            text = f.read()
        if w.returncode not in (0, -signal.SIGINT):
            die(f"wrk exited {w.returncode}: {text}")
        row = {"part": part, "case": case, "mode": mode, "events": len(events), "detail": detail, "download": dl_text}
        row.update(parse_wrk(text))
        pf = probe_figures(prober.records, events, t_start, t_end)
        row.update(pf)
        if events and pf["gap_ms"] is None:
            self.problems.append(f"{part} {case} {mode}: no probe got a 200 after an event (up to the end of the run)")
        self.expect(row)
        self.rows.append(row)
        note(f"{part} {case} {mode}: {row['requests']} requests, errors connect {row['err_connect']} read "
             f"{row['err_read']} write {row['err_write']} timeout {row['err_timeout']}, non-2xx {row['non2xx']}; "
             f"gap {fmt_ms(pf['gap_ms'])} ms, probes refused {pf['probes_refused']}, other failures "
             f"{pf['probe_failures']}; download {dl_text}; {detail}")
        return row

    def expect(self, row: dict):
        """What the issue promises for this case (none for the single process and stop + start, which refuse
        connections by design): row['expected'] says it, row['met'] whether the run met it."""
        case = row["case"]
        errs = row["err_connect"] + row["err_read"] + row["err_write"] + row["err_timeout"]
        if case in ("master-upgrade", "inetd-rename"):
            row["expected"] = ("0 socket errors, 0 non-2xx, no probe refused or failed, the download in flight "
                               "complete")
            row["met"] = (errs == 0 and row["non2xx"] == 0 and row["probes_refused"] == 0 and row["probes_failed"] == 0
                          and row["download"].startswith("complete"))
        elif case in ("master-w1", "master-w2"):
            row["expected"] = (f"nothing refused (0 refused probes, 0 wrk connect or write errors); only requests in flight "
                               f"on the killed worker lost (at most {CONNECTIONS} wrk read errors, at most 1 probe); "
                               f"0 non-2xx")
            row["met"] = (row["probes_refused"] == 0 and row["err_connect"] == 0 and row["err_write"] == 0
                          and row["err_timeout"] == 0 and row["err_read"] <= CONNECTIONS and row["probes_failed"] <= 1
                          and row["non2xx"] == 0)
        elif case == "inetd":
            row["expected"] = "one connection lost (at most 1 wrk error or failed probe), nothing refused, 0 non-2xx"
            row["met"] = errs + row["probes_failed"] <= 1 and row["probes_refused"] == 0 and row["non2xx"] == 0
        else:
            row["expected"], row["met"] = "-", None
        if row["met"] is False:
            self.problems.append(f"{row['part']} {case} {row['mode']}: expected {row['expected']}; got wrk errors connect "
                                 f"{row['err_connect']} read {row['err_read']} write {row['err_write']} timeout "
                                 f"{row['err_timeout']}, non-2xx {row['non2xx']}, probes refused {row['probes_refused']}, "
                                 f"failed {row['probe_failures']}, download {row['download']}")

    @staticmethod
    def sleep_until(t: float):
        d = t - time.monotonic()
        if d > 0:
            time.sleep(d)

    # ---- parts
    def memory_sample(self, label: str, pid: int, when: str, ticks: int | None = None):
        m = memory(pid)
        row = {"part": "memory", "case": label, "mode": when, "pid": pid, **m,
               "cpu_ticks": ticks if ticks is not None else "-"}
        self.mem_rows.append(row)
        note(f"memory {label} {when}: RSS {m['rss_kib']} KiB, PSS {m['pss_kib']} KiB, USS {m['uss_kib']} KiB, "
             f"{m['threads']} thread(s)")
        if label == "master" and m["threads"] != 1:
            self.problems.append(f"the master (pid {pid}) has {m['threads']} threads {when}; it must have 1")

    def memory_under_load(self, port: int, procs: list[tuple[str, int]]):
        """Idle figures, MEMORY_LOAD s of keep-alive load, figures again (with each process's CPU meanwhile)."""
        time.sleep(1)
        for label, pid in procs:
            self.memory_sample(label, pid, "idle")
        before = {pid: cpu_ticks(pid) for _, pid in procs}
        argv = wrk_argv(port, "keepalive", MEMORY_LOAD)
        self.cmd("wrk:memory", argv)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=MEMORY_LOAD + 60)
        parse_wrk(r.stdout)
        time.sleep(0.5)
        for label, pid in procs:
            self.memory_sample(label, pid, f"after {MEMORY_LOAD:g} s of load", cpu_ticks(pid) - before[pid])

    def crash_master(self, workers: int, port: int):
        case = f"master-w{workers}"
        conf = self.httpd_conf(case, port, workers)
        self.cmd(f"start:{case}", [HTTPD_BIN, "-f", conf])
        master = self.daemon_start(case, HTTPD_BIN, conf)
        self.workers_of(master, workers)
        self.wait_serving(port, case)
        self.verify(port, case)
        if workers == 1 and "memory" in PARTS:
            self.memory_under_load(port, [("master", master), ("worker", self.workers_of(master, 1)[0])])
        if "crash" in PARTS:
            for mode in MODES:
                def act(t0, prober, mode=mode):
                    ws = self.workers_of(master, workers)
                    self.sleep_until(t0 + KILL_AT)
                    listeners = socket_inodes(master)
                    held = {w: client_connections(w, listeners) for w in ws}
                    # the worker holding the most client connections (the kernel does not spread a burst of
                    # keep-alive connections evenly over workers that share one listening socket)
                    victim = max(ws, key=lambda w: (held[w], -w))
                    te = time.monotonic()
                    if not self.kill(victim, signal.SIGKILL):
                        die(f"{case}: could not kill worker {victim}")
                    prober.wake()
                    wait_gone(victim, 5)
                    # the master forks a replacement: how long until it has its workers again
                    replaced = None
                    end = te + AFTER
                    while time.monotonic() < end:
                        now = [c for c in children(master) if self.ours(c)]
                        if len(now) == workers and victim not in now:
                            replaced = time.monotonic() - te
                            break
                        time.sleep(0.002)
                    self.sleep_until(te + AFTER)
                    now = [c for c in children(master) if self.ours(c)]
                    conns = ", ".join(f"{'the killed ' if w == victim else ''}{w}: {n}" for w, n in held.items())
                    detail = (f"kill -9 at {te - t0:.2f} s of worker {victim} (of {len(ws)}; client connections "
                              f"held just before: "
                              f"{conns}); a new worker within "
                              f"{fmt_ms(None if replaced is None else replaced * 1000)} ms; master {master} "
                              f"{'unchanged' if alive(master) else 'GONE'}; workers now {now}")
                    if replaced is None or not alive(master):
                        self.problems.append(f"crash {case} {mode}: the worker was not replaced ({detail})")
                    if f"worker pid {victim} killed by signal SIGKILL; starting a new worker" not in self.error_log(case):
                        self.problems.append(f"crash {case} {mode}: no 'worker pid {victim} killed by signal SIGKILL' "
                                             "line in the master's error log")
                    return [te], detail
                self.measured("crash", case, mode, port, act, KILL_AT + AFTER)
            self.master_threads(master, case)
        self.stop_master(master)
        self.logs[case] = self.error_log(case)

    def master_threads(self, master: int, case: str):
        n = threads(master)
        self.add_meta(f"master_threads:{case}", n)
        if n != 1:
            self.problems.append(f"{case}: the master (pid {master}) has {n} threads; it must have 1")

    def crash_single(self, port: int):
        case = "single"
        conf = self.httpd_conf(case, port, None)
        ssa = shutil.which("systemd-socket-activate")
        argv = [ssa, "-l", f"{HOST}:{port}", HTTPD_BIN, "-F", "-f", conf]
        self.cmd(f"start:{case}", argv)
        log = open(os.path.join(self.tmp, "single-stderr.log"), "ab")
        state = {"proc": None, "stopping": False, "deaths": [], "restarts": [], "listeners": set()}
        lock = threading.Lock()

        def launch():
            p = self.popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            state["proc"] = p
            return p

        def supervise():
            # systemd's Restart=on-failure, RestartSec=100ms: a process that died of a signal or with a
            # status other than 0 is started again RESTART_SEC after it died.
            while True:
                p = state["proc"]
                rc = p.wait()
                with lock:
                    if state["stopping"]:
                        return
                    state["deaths"].append((time.monotonic(), rc))
                    if p in self.popens:
                        self.popens.remove(p)
                if rc == 0:
                    return
                time.sleep(RESTART_SEC)
                with lock:
                    if state["stopping"]:
                        return
                    launch()
                    state["restarts"].append(time.monotonic())

        def one_process(what: str) -> str:
            p = state["proc"]
            pid = p.pid
            e = exe(pid)
            kids = children(pid)
            if os.path.realpath(e) != os.path.realpath(HTTPD_BIN) or kids:
                die(f"single: {what}: pid {pid} is {e!r} with children {kids}: not one httpd process")
            return f"one process (pid {pid}, {threads(pid)} threads, no child)"

        launch()
        sup = threading.Thread(target=supervise, daemon=True)
        sup.start()
        try:
            self.wait_serving(port, case)
            self.verify(port, case)
            self.add_meta("single:started", one_process("after start"))
            # the listening socket: fd 3, as systemd-socket-activate passes it (LISTEN_FDS=1)
            state["listeners"] = {os.readlink(f"/proc/{state['proc'].pid}/fd/3")}
            if "memory" in PARTS:
                self.memory_under_load(port, [("single process", state["proc"].pid)])
            if "crash" in PARTS:
                for mode in MODES:
                    def act(t0, prober):
                        victim = state["proc"].pid
                        one_process("before the kill")
                        state["listeners"] = {os.readlink(f"/proc/{victim}/fd/3")}
                        n_restarts = len(state["restarts"])
                        self.sleep_until(t0 + KILL_AT)
                        held = client_connections(victim, state["listeners"])
                        te = time.monotonic()
                        os.kill(victim, signal.SIGKILL)   # our own child (Popen), the one process
                        prober.wake()
                        self.sleep_until(te + AFTER)
                        if len(state["restarts"]) != n_restarts + 1:
                            die(f"single: not restarted after the kill (restarts {state['restarts']})")
                        died = state["deaths"][-1][0] - te
                        restarted = state["restarts"][-1] - te
                        detail = (f"kill -9 at {te - t0:.2f} s of the one process {victim} (holding {held} client "
                                  f"connections); it was gone after {died * 1000:.0f} ms, "
                                  f"started again after {restarted * 1000:.0f} ms; {one_process('after the restart')}")
                        return [te], detail
                    self.measured("crash", case, mode, port, act, KILL_AT + AFTER)
        finally:
            with lock:
                state["stopping"] = True
                p = state["proc"]
            if p is not None:
                self.stop_popen(p)
            sup.join(5)
            log.close()
        self.logs[case] = self.error_log(case)

    def inetd_children(self, xinetd: subprocess.Popen) -> list[int]:
        return [c for c in children(xinetd.pid) if self.ours(c)]

    def crash_inetd(self, port: int):
        case = "inetd"
        conf = self.httpd_conf(case, None, None, inetd=True)
        x = self.xinetd_start(case, port, HTTPD_BIN, conf)
        self.verify(port, case)
        for mode in MODES:
            def act(t0, prober):
                self.sleep_until(t0 + KILL_AT)
                victim = None
                for _ in range(200):
                    kids = self.inetd_children(x)
                    # the oldest child: with keep-alive, one of wrk's connections
                    kids.sort(key=start_ticks)
                    for k in kids:
                        if self.kill(k, signal.SIGKILL):
                            victim = k
                            break
                    if victim:
                        break
                    time.sleep(0.001)
                te = time.monotonic()
                prober.wake()
                if victim is None:
                    die("inetd: no httpd --inetd child to kill")
                n = len(self.inetd_children(x))
                self.sleep_until(te + AFTER)
                return [te], f"kill -9 at {te - t0:.2f} s of httpd --inetd pid {victim} ({n} httpd processes then)"
            self.measured("crash", case, mode, port, act, KILL_AT + AFTER)
        self.stop_popen(x)
        self.logs[case] = self.error_log(case)

    def upgrade_master(self, port: int):
        case = "master-upgrade"
        binary = self.install("master-upgrade-bin")
        conf = self.httpd_conf(case, port, 1)
        self.cmd(f"start:{case}", [binary, "-f", conf])
        self.cmd(f"upgrade:{case}", f"cp {HTTPD_BIN} {binary}.new && mv {binary}.new {binary} && "
                                    f"{binary} -f {conf} -s upgrade")
        self.daemon_start(case, binary, conf)
        self.wait_serving(port, case)
        self.verify(port, case)
        pat = re.compile(r"httpd: upgraded: the new master \(pid (\d+)\) serves; the old one \(pid (\d+)\) "
                         r"finishes its connections\n")
        for mode in MODES:
            def act(t0, prober):
                self.sleep_until(t0 + LEAD)
                events, took, failed, masters = [], [], [], [self.daemon_master(case)]
                for i in range(int(UPGRADES)):
                    self.replace_binary(binary)
                    te = time.monotonic()
                    r = subprocess.run([binary, "-f", conf, "-s", "upgrade"], capture_output=True, text=True,
                                       timeout=120, cwd=self.tmp)
                    took.append(time.monotonic() - te)
                    events.append(te)
                    m = pat.fullmatch(r.stdout)
                    if r.returncode != 0 or not m:
                        failed.append(f"upgrade {i + 1}: exit {r.returncode}: {r.stdout}{r.stderr}".strip())
                    else:
                        self.masters.add(int(m.group(1)))
                        masters.append(int(m.group(1)))
                    prober.wake()
                    time.sleep(EVENT_PAUSE)
                # the old masters have gone once their workers drained
                old_left = [m for m in masters[:-1] if not wait_gone(m, 10)]
                for m in masters[:-1]:
                    if not alive(m):
                        self.masters.discard(m)
                self.sleep_until(time.monotonic() + TAIL)
                detail = (f"{len(events)} x `httpd -s upgrade` ({len(events) - len(failed)} succeeded), each "
                          f"{statistics.median(took) * 1000:.0f} ms (median; max {max(took) * 1000:.0f} ms) from the "
                          f"command to its exit 0; masters {masters[0]} → … → {masters[-1]}")
                if failed:
                    self.problems.append(f"upgrade {case} {mode}: " + "; ".join(failed))
                if old_left:
                    self.problems.append(f"upgrade {case} {mode}: old masters {old_left} still run 10 s later")
                self.master_threads(masters[-1], f"{case}-{mode}-last")
                return events, detail
            self.measured("upgrade", case, mode, port, act, LEAD + UPGRADES * (EVENT_PAUSE + 2) + TAIL + 20, download=True)
        self.stop_master(self.daemon_master(case))
        self.logs[case] = self.error_log(case)

    def stop_start(self, port: int):
        case = "stop-start"
        conf = self.httpd_conf(case, port, 1)
        self.cmd(f"start:{case}", [HTTPD_BIN, "-f", conf])
        self.cmd(f"stop:{case}", [HTTPD_BIN, "-f", conf, "-s", "stop"])
        self.daemon_start(case, HTTPD_BIN, conf)
        self.wait_serving(port, case)
        self.verify(port, case)
        # each load without a long response in flight, then keep-alive with the download in flight: `-s stop`
        # lets responses in flight finish (up to ShutdownTimeout), and the PID file lock keeps a new daemon from
        # starting before the old one has exited
        for mode, download in [(m, False) for m in MODES] + [("keepalive", True)]:
            def act(t0, prober):
                master = self.daemon_master(case)
                self.sleep_until(t0 + KILL_AT)
                te = time.monotonic()
                r = subprocess.run([HTTPD_BIN, "-f", conf, "-s", "stop"], capture_output=True, text=True, timeout=30)
                if r.returncode != 0:
                    die(f"stop-start: -s stop exited {r.returncode}: {r.stdout}{r.stderr}")
                if not wait_gone(master, 40):
                    die(f"stop-start: the daemon (master {master}) did not exit within 40 s of -s stop")
                self.masters.discard(master)
                t_gone = time.monotonic()
                new = self.daemon_start(case, HTTPD_BIN, conf)
                t_up = time.monotonic()
                self.sleep_until(max(te + AFTER, t_up + TAIL))
                return [te], (f"`-s stop`: the daemon (master {master}) exited after {(t_gone - te) * 1000:.0f} ms; "
                              f"`httpd -f` returned (new master {new} serving) after {(t_up - te) * 1000:.0f} ms")
            self.measured("upgrade", case + ("-download" if download else ""), mode, port, act, KILL_AT + AFTER + 40,
                          download=download)
        self.stop_master(self.daemon_master(case))
        self.logs[case] = self.error_log(case)

    def inetd_rename(self, port: int):
        case = "inetd-rename"
        binary = self.install("inetd-bin")
        conf = self.httpd_conf(case, None, None, inetd=True)
        self.cmd(f"rename:{case}", f"cp {HTTPD_BIN} {binary}.new && mv {binary}.new {binary}")
        x = self.xinetd_start(case, port, binary, conf)
        self.verify(port, case)
        for mode in MODES:
            def act(t0, prober):
                self.sleep_until(t0 + LEAD)
                events = []
                for _ in range(int(RENAMES)):
                    self.replace_binary(binary)
                    events.append(time.monotonic())
                    prober.wake()
                    time.sleep(EVENT_PAUSE)
                self.sleep_until(time.monotonic() + TAIL)
                kids = self.inetd_children(x)
                old = sum(1 for k in kids if exe(k).endswith(" (deleted)"))
                return events, (f"{len(events)} renames of a fresh copy over {os.path.basename(binary)}; at the end "
                                f"{len(kids)} httpd --inetd processes, {old} of them still running a replaced binary")
            self.measured("upgrade", case, mode, port, act, LEAD + RENAMES * EVENT_PAUSE + TAIL + 10, download=True)
        self.stop_popen(x)
        self.logs[case] = self.error_log(case)


# --- results --------------------------------------------------------------------------------------------

COLUMNS = ["part", "case", "mode", "events", "requests", "wrk_seconds", "rps", "p99_ms", "max_ms", "err_connect",
           "err_read", "err_write", "err_timeout", "non2xx", "gap_ms", "probes", "probes_ok", "probes_refused",
           "probes_failed", "probe_failures", "longest_no_200_ms", "download", "met", "pid", "rss_kib", "pss_kib",
           "uss_kib", "threads",
           "cpu_ticks", "detail"]


def fmt_ms(v) -> str:
    if v is None or v == "-":
        return "-"
    if isinstance(v, float) and v != v:
        return "-"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return "-" if v != v else f"{v:.3f}".rstrip("0").rstrip(".")
    s = str(v).replace("\t", " ").replace("\n", " ")
    return s if s != "" else "-"


def mib(kib) -> str:
    return f"{kib / 1024:.1f}"


def case_text(case: str) -> str:
    return {
        "master-w1": "daemon, master + 1 worker: kill -9 of the worker",
        "master-w2": "daemon, master + 2 workers: kill -9 of the worker with more connections",
        "single": f"one process, no master (socket-activated, restarted after {RESTART_SEC * 1000:g} ms): kill -9",
        "inetd": "inetd mode under xinetd: kill -9 of one `httpd --inetd`",
        "master-upgrade": f"daemon with master: {UPGRADES:g} × `httpd -s upgrade`",
        "stop-start": "stop + start (`-s stop`, wait for the exit, start)",
        "stop-start-download": "stop + start with the download in flight",
        "inetd-rename": f"inetd mode: {RENAMES:g} × a new binary renamed over the path xinetd execs",
    }.get(case, case)


def write_results(b: Bench, meta_path: str, tsv_path: str, md_path: str, argv_line: str):
    with open(meta_path, "w") as f:
        f.write("key\tvalue\n")
        for k, v in b.meta:
            v = v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            f.write(f"{k}\t{v}\n")
    with open(tsv_path, "w") as f:
        f.write("\t".join(COLUMNS) + "\n")
        for r in b.rows + b.mem_rows:
            f.write("\t".join(cell(r.get(c)) for c in COLUMNS) + "\n")
    m = dict(b.meta)
    L: list[str] = []
    L.append("# Availability: crashes and upgrades\n")
    L.append(f"Generated by `{argv_line}` on {m.get('date')}: httpd commit {m.get('commit')}, "
             f"{m.get('nproc')} CPUs ({m.get('cpu_model')}), {m.get('uname_srm')}, "
             f"{int(m.get('mem_total_kib', '0')) // 1024} MiB of memory. Load average at the start "
             f"{m.get('load_start')}, at the end {m.get('load_end')}; {m.get('busy_start')} ({m.get('top_start')}). The "
             f"machine is shared: other work ran meanwhile and request rates vary with it; errors and gaps are the "
             f"figures that matter.\n")
    L.append(f"Load: `wrk -t{THREADS} -c{CONNECTIONS} --timeout {WRK_TIMEOUT:g}s --latency` on a 1 KiB file, "
             "keep-alive (`keepalive`) or with `-H 'Connection: close'` (`close`: a new connection per request). "
             f"Probe: a fresh connection every {PROBE_INTERVAL * 1000:g} ms (at once after each event), one "
             "`GET /1k.html` with `Connection: close`. **gap**: from the event (the kill, the `-s upgrade`, the "
             "`-s stop`, the rename) until a probe connection opened after it (and after the last probe that failed "
             "after it) got its 200, with several events the largest; **refused**: probe connection attempts refused "
             "(ECONNREFUSED); **other**: probe failures "
             "otherwise (reset, timeout, empty); **longest without a 200**: the longest stretch of the run in which no "
             "probe completed with a 200. wrk reports a connection refused during its non-blocking connect as a "
             "*write* (or read) error, not as a *connect* error: in these tables refused connections show up there "
             "and in the probe's count.\n")

    def load_table(part: str, title: str):
        rows = [r for r in b.rows if r["part"] == part]
        if not rows:
            return
        L.append(f"## {title}\n")
        dl = any(r["download"] != "-" for r in rows)
        L.append("| case | load | requests | req/s | p99 ms | socket errors connect / read / write / timeout | "
                 "non-2xx | gap ms | probes refused / all | probes failed otherwise | longest without a 200, ms | "
                 + ("download in flight | " if dl else "") + "as promised |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|" + ("---|" if dl else "") + "---|")
        for r in rows:
            L.append(f"| {case_text(r['case'])} | {r['mode']} | {r['requests']} | {r['rps']:.0f} | "
                     f"{fmt_ms(r['p99_ms'])} | {r['err_connect']} / {r['err_read']} / {r['err_write']} / "
                     f"{r['err_timeout']} | {r['non2xx']} | {fmt_ms(r['gap_ms'])} | {r['probes_refused']} / "
                     f"{r['probes']} | {r['probe_failures']} | {fmt_ms(r['longest_no_200_ms'])} | "
                     + (f"{r['download']} | " if dl else "")
                     + f"{ {True: 'yes', False: '**NO**', None: '-'}[r['met']] } |")
        L.append("")
        if dl:
            L.append(f"Download in flight: `curl --limit-rate {DOWNLOAD_RATE_MIB * 1048576}` ({DOWNLOAD_RATE_MIB} MiB/s) "
                     f"of a {DOWNLOAD_MIB} MiB file, started with the load, compared byte for byte with the file "
                     "afterwards.\n")
        for r in rows:
            L.append(f"- {r['case']}, {r['mode']}: {r['detail']}.")
        L.append("")
        promised: dict[str, list[str]] = {}
        for r in rows:
            if r["expected"] != "-" and r["case"] not in promised.get(r["expected"], []):
                promised.setdefault(r["expected"], []).append(r["case"])
        if promised:
            L.append("*As promised*: " + "; ".join(f"{' and '.join(f'`{c}`' for c in cs)}: {e}"
                                                   for e, cs in promised.items())
                     + ". The other cases refuse connections by design.\n")

    load_table("crash", "Crash: kill -9 under load")
    load_table("upgrade", "Replacing the binary under load")
    if b.mem_rows:
        L.append("## Memory\n")
        L.append("| process | when | RSS MiB | PSS MiB | USS MiB | threads | CPU during the load, ticks |")
        L.append("|---|---|---:|---:|---:|---:|---:|")
        for r in b.mem_rows:
            L.append(f"| {r['case']} (pid {r['pid']}) | {r['mode']} | {mib(r['rss_kib'])} | {mib(r['pss_kib'])} | "
                     f"{mib(r['uss_kib'])} | {r['threads']} | {r['cpu_ticks']} |")
        L.append("")
        def pss(case, when):
            return next((r["pss_kib"] for r in b.mem_rows if r["case"] == case and r["mode"].startswith(when)), None)
        for when in ("idle", "after"):
            mp, wp, sp = pss("master", when), pss("worker", when), pss("single process", when)
            if mp is not None and wp is not None:
                L.append(f"- {'idle' if when == 'idle' else 'after the load'}: master + worker PSS "
                         f"{mib(mp + wp)} MiB" + (f", the single process's {mib(sp)} MiB" if sp is not None else ""))
        L.append("")
        L.append(f"USS = Private_Clean + Private_Dirty of /proc/PID/smaps_rollup (what exiting would free); threads "
                 f"from /proc/PID/task; CPU ticks of {m.get('clk_tck')} per second. The master and worker are those of "
                 f"`master-w1`; the single process is `single`'s.\n")
    L.append("## Checks\n")
    if b.problems:
        L.append("**Failed:**\n")
        L += [f"- {p}" for p in b.problems]
    else:
        L.append("All passed: every case met what is promised above (*as promised*), every killed worker was "
                 "replaced by its master (error log line `worker pid N killed by "
                 "signal SIGKILL; starting a new worker`), the master kept its PID and had exactly 1 thread, every "
                 "upgrade exited 0, the old masters exited, the single process was one process before and after "
                 "its restart.")
    L.append("")
    L.append("## Machine and load\n")
    for k in ("date", "commit", "nproc", "cpu_model", "mem_total_kib", "uname_srm", "load_start", "busy_start",
              "top_start", "load_end", "busy_end", "top_end", "seconds"):
        if k in m:
            v = m[k].replace("\n", "; ")
            L.append(f"- {k}: {v}")
    for k, v in b.meta:
        if k.startswith("version:") or k.startswith("setting:"):
            L.append(f"- {k}: {v}")
    L.append("")
    L.append("## Commands\n")
    L.append("```")
    L.append(f"{argv_line}")
    seen = set()
    for label, c in b.commands:
        if (label, c) in seen:
            continue
        seen.add((label, c))
        L.append(f"# {label}\n{c}")
    L.append("```\n")
    L.append("## Configurations\n")
    for k, v in b.meta:
        if k.startswith("conf:"):
            L.append(f"`{k[5:]}`:\n\n```\n{v}\n```\n")
    L.append("## Error logs\n")
    for case, text in b.logs.items():
        lines = [x for x in text.splitlines() if "running as root" not in x]
        if lines:
            L.append(f"`{case}` ({len(lines)} lines; `running as root` warnings left out):\n\n```")
            L += lines[:40]
            if len(lines) > 40:
                L.append(f"... {len(lines) - 40} more")
            L.append("```\n")
    with open(md_path, "w") as f:
        f.write("\n".join(L).rstrip() + "\n")


def machine_meta(b: Bench):
    def sh(*argv) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10, cwd=ROOT).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"
    commit = sh("git", "rev-parse", "--short", "HEAD") or "unknown"
    if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "Sources", "Package.swift"], cwd=ROOT).returncode != 0:
        commit += " (with uncommitted changes in Sources/)"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = next(line.split()[1] for line in f if line.startswith("MemTotal:"))
    b.add_meta("script", "bench/availability.py")
    b.add_meta("date", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    b.add_meta("date_day", time.strftime("%Y-%m-%d", time.gmtime()))
    b.add_meta("commit", commit)
    b.add_meta("nproc", os.cpu_count())
    b.add_meta("cpu_model", cpu)
    b.add_meta("mem_total_kib", mem)
    b.add_meta("uname_srm", sh("uname", "-srm"))
    b.add_meta("uname_sr", sh("uname", "-sr"))
    b.add_meta("clk_tck", os.sysconf("SC_CLK_TCK"))
    b.add_meta("tmp", b.tmp)
    b.add_meta("version:httpd", sh(HTTPD_BIN, "-v"))
    b.add_meta("bin:httpd", HTTPD_BIN)
    b.add_meta("version:wrk", sh("wrk", "-v").splitlines()[0] if sh("wrk", "-v") else "?")
    xv = subprocess.run([XINETD_BIN, "-version"], capture_output=True, text=True, timeout=10)
    b.add_meta("version:xinetd", (xv.stdout + xv.stderr).strip().splitlines()[0] if (xv.stdout + xv.stderr).strip() else "?")
    b.add_meta("version:systemd-socket-activate", sh("systemd-socket-activate", "--version").splitlines()[0])
    b.add_meta("version:curl", sh("curl", "--version").splitlines()[0])
    b.add_meta("version:python", sys.version.split()[0])
    for k, v in (("THREADS", THREADS), ("CONNECTIONS", CONNECTIONS), ("KILL_AT", KILL_AT), ("AFTER", AFTER),
                 ("UPGRADES", UPGRADES), ("RENAMES", RENAMES), ("EVENT_PAUSE", EVENT_PAUSE), ("LEAD", LEAD),
                 ("TAIL", TAIL), ("MEMORY_LOAD", MEMORY_LOAD), ("PROBE_INTERVAL", PROBE_INTERVAL),
                 ("RESTART_SEC", RESTART_SEC), ("WRK_TIMEOUT", WRK_TIMEOUT), ("DOWNLOAD_MIB", DOWNLOAD_MIB),
                 ("DOWNLOAD_RATE_MIB", DOWNLOAD_RATE_MIB), ("PARTS", " ".join(PARTS)),
                 ("MODES", " ".join(MODES))):
        b.add_meta(f"setting:{k}", f"{v:g}" if isinstance(v, float) else v)


def load_meta(b: Bench, when: str, seconds: float = 1.0):
    """The load average, and what kept the CPUs busy over SECONDS while this script did nothing: the share of
    all CPUs busy (/proc/stat) and the five busiest processes (% of one CPU, /proc/PID/stat)."""
    def cpu():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v[:8])

    def procs():
        out = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        t = f.read()
                except OSError:
                    continue
                st = t[t.rindex(")") + 2:].split()
                out[int(d)] = (t[t.index("(") + 1:t.rindex(")")], int(st[11]) + int(st[12]))
        return out
    with open("/proc/loadavg") as f:
        b.add_meta(f"load_{when}", " ".join(f.read().split()[:3]))
    (i0, t0), p0 = cpu(), procs()
    time.sleep(seconds)
    (i1, t1), p1 = cpu(), procs()
    busy = 1 - (i1 - i0) / max(1, t1 - t0)
    hz = os.sysconf("SC_CLK_TCK")
    top = sorted(((p1[p][1] - p0[p][1], p1[p][0]) for p in p1 if p in p0), reverse=True)[:5]
    b.add_meta(f"busy_{when}", f"{busy * 100:.0f} % of the {os.cpu_count()} CPUs busy over {seconds:g} s, before "
                               f"this script started anything" if when == "start" else
               f"{busy * 100:.0f} % of the {os.cpu_count()} CPUs busy over {seconds:g} s, after this script stopped "
               f"everything")
    b.add_meta(f"top_{when}", ", ".join(f"{name} {ticks * 100 / hz / seconds:.0f} %" for ticks, name in top if ticks > 0)
               or "nothing")


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind((HOST, 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


HTTPD_BIN = XINETD_BIN = ""


def main() -> int:
    global HTTPD_BIN, XINETD_BIN
    os.chdir(ROOT)
    t_begin = time.monotonic()
    read_settings()
    results = os.environ.get("RESULTS_DIR", "bench/results")
    HTTPD_BIN = os.path.abspath(os.environ.get("HTTPD_BIN", ".build/release/httpd"))
    if not os.access(HTTPD_BIN, os.X_OK):
        die(f"{HTTPD_BIN} not found or not executable (make bench-availability builds it)")
    for tool in ("wrk", "curl", "systemd-socket-activate", "ps"):
        if not shutil.which(tool):
            die(f"{tool} not found (scripts/install-deps.sh bench installs it)")
    XINETD_BIN = shutil.which("xinetd") or ("/usr/sbin/xinetd" if os.access("/usr/sbin/xinetd", os.X_OK) else "")
    if not XINETD_BIN:
        die("xinetd not found (scripts/install-deps.sh bench installs it)")
    env_settings = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in
                            ("PARTS", "MODES", "KILL_AT", "AFTER", "UPGRADES", "RENAMES", "EVENT_PAUSE", "LEAD", "TAIL",
                             "MEMORY_LOAD", "PROBE_INTERVAL", "RESTART_SEC", "WRK_TIMEOUT", "DOWNLOAD_MIB",
                             "DOWNLOAD_RATE_MIB", "HTTPD_BIN", "RESULTS_DIR")
                            if k in os.environ)
    argv_line = (env_settings + " " if env_settings else "") + "bench/availability.py"

    b = Bench()

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    def on_alarm(_signum, _frame):
        raise SetupError("the run took more than 15 minutes")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(900)
    try:
        machine_meta(b)
        load_meta(b, "start")
        ports = free_ports(7)
        if "memory" in PARTS or "crash" in PARTS:
            b.crash_master(1, ports[0])
            b.crash_single(ports[2])
        if "crash" in PARTS:
            b.crash_master(2, ports[1])
            b.crash_inetd(ports[3])
            # the order of the table: w1, w2, single, inetd
            order = {"master-w1": 0, "master-w2": 1, "single": 2, "inetd": 3}
            b.rows.sort(key=lambda r: (order.get(r["case"], 9), MODES.index(r["mode"])))
        if "upgrade" in PARTS:
            b.upgrade_master(ports[4])
            b.stop_start(ports[5])
            b.inetd_rename(ports[6])
        load_meta(b, "end")
        b.add_meta("seconds", f"{time.monotonic() - t_begin:.0f}")
        os.makedirs(results, exist_ok=True)
        staged = []
        for fname in ("availability-meta.tsv", "availability.tsv", "availability.md"):
            staged.append((os.path.join(b.tmp, fname), os.path.join(results, fname)))
        write_results(b, staged[0][0], staged[1][0], staged[2][0], argv_line)
        for src, dst in staged:
            shutil.copyfile(src, dst + ".tmp")
            os.replace(dst + ".tmp", dst)
        note(f"wrote {results}/availability.md, availability.tsv, availability-meta.tsv "
             f"in {time.monotonic() - t_begin:.0f} s")
        if b.problems:
            note("CHECKS FAILED:\n  " + "\n  ".join(b.problems))
            return 3
        return 0
    except SetupError as e:
        note(f"error: {e}")
        return 1
    finally:
        signal.alarm(0)
        b.cleanup()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SetupError as e:
        note(f"error: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
