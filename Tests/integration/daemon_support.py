"""Helpers for the daemon life-cycle tests (test_daemon*.py): independent of conftest.py.

A `Site` is a folder with a config file, a document root and log files; `Site.start()` runs the
real binary as a daemon (no -F) and returns the daemon's PID from its PID file. Every httpd process
whose command line names the site's config is stopped by PID at teardown (SIGTERM, then SIGKILL).

Processes: PID 1 in the test sandbox may not reap orphans, so a daemon that exited can linger as a
zombie. A process counts as gone when /proc/PID is missing or its state is Z; a zombie's exit
status is read from the exit_code field of /proc/PID/stat.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HTTPD_BIN = os.environ.get("HTTPD_BIN") or str(
    Path(__file__).resolve().parents[2] / ".build" / "debug" / "httpd"
)
HOST = "127.0.0.1"

# [Wed Nov 25 14:35:35 2026] [notice] [pid 14536] message
ERROR_LOG_LINE = re.compile(
    r"^\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})\] "
    r"\[(emerg|alert|crit|error|warn|notice|info|debug)\] \[pid (\d+)\] (.*)$"
)
# 25/Nov/2026:14:35:35 +0000
CLF_TIME = r"\d{2}/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}"


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


@dataclass
class ProcStat:
    pid: int
    comm: str
    state: str
    ppid: int
    pgrp: int
    session: int
    tty_nr: int
    exit_code: int | None  # field 52 (waitpid-style status), meaningful for a zombie


def proc_stat(pid: int) -> ProcStat | None:
    """/proc/PID/stat parsed, or None when the process does not exist."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    comm = text[text.index("(") + 1:text.rindex(")")]
    rest = text[text.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); field N is rest[N - 3].
    exit_code = int(rest[52 - 3]) if len(rest) >= 52 - 2 else None
    return ProcStat(pid=pid, comm=comm, state=rest[0], ppid=int(rest[1]), pgrp=int(rest[2]),
                    session=int(rest[3]), tty_nr=int(rest[4]), exit_code=exit_code)


def proc_status(pid: int) -> dict[str, str]:
    """/proc/PID/status as a dict of field -> value text."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        out[name] = value.strip()
    return out


def is_gone(pid: int) -> bool:
    """True when PID does not exist or is a zombie."""
    st = proc_stat(pid)
    return st is None or st.state == "Z"


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_gone(pid):
            return True
        time.sleep(0.02)
    return is_gone(pid)


def exit_status(pid: int) -> int | None:
    """The exit status of a zombie PID (None when it was reaped or still runs)."""
    st = proc_stat(pid)
    if st is None or st.state != "Z" or st.exit_code is None:
        return None
    code = st.exit_code
    if code & 0x7F:  # killed by a signal
        return -(code & 0x7F)
    return (code >> 8) & 0xFF


def processes_with_arg(arg: str) -> list[int]:
    """PIDs of live (non-zombie) processes whose command line contains ARG as one argument."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if arg.encode() in argv and pid != os.getpid() and not is_gone(pid):
            found.append(pid)
    return found


def terminate(pid: int, grace: float = 5.0):
    """SIGTERM, wait up to GRACE seconds, then SIGKILL."""
    if is_gone(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not wait_gone(pid, grace):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        wait_gone(pid, 3.0)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.02):
    """Poll PREDICATE until it returns a truthy value (returned) or TIMEOUT passes (returns it falsy)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def get(port: int, path: str = "/", headers: dict[str, str] | None = None, method: str = "GET",
        timeout: float = 5.0) -> Reply:
    """One request on a new connection (http.client: raises on a short body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, body)
    finally:
        conn.close()


def connection_refused(port: int, timeout: float = 2.0) -> bool:
    """True when a TCP connect to PORT is refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((HOST, port))
    except ConnectionRefusedError:
        return True
    finally:
        s.close()
    return False


def send_head_request(sock: socket.socket, path: str, extra: str = ""):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n".encode())


def read_head(sock: socket.socket, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Read a response head; returns (status, lower-case headers, body bytes already read)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before the response head: {buf!r}")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def read_to_eof(sock: socket.socket, limit: int, timeout: float = 10.0) -> int:
    """Read until EOF, LIMIT bytes or TIMEOUT, whichever comes first; returns the byte count read
    (give the bytes still expected as LIMIT so that a complete body does not wait for EOF)."""
    sock.settimeout(timeout)
    total = 0
    deadline = time.monotonic() + timeout
    while total < limit and time.monotonic() < deadline:
        try:
            chunk = sock.recv(min(1 << 20, limit - total))
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        total += len(chunk)
    return total


class Load:
    """Background load: keep-alive requests on one connection and new-connection requests, in a
    loop, recording every outcome. `stop()` joins; `errors` lists each failure, `bodies` counts
    each distinct body seen."""

    def __init__(self, port: int, path: str, threads: int = 2):
        self.port = port
        self.path = path
        self.errors: list[str] = []
        self.bodies: dict[bytes, int] = {}
        self.count = 0
        self.last_body: bytes | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._keepalive, daemon=True)]
        self._threads += [threading.Thread(target=self._fresh, daemon=True) for _ in range(threads - 1)]

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(10)

    def _record(self, kind: str, status: int | None, body: bytes | None, error: str | None):
        with self._lock:
            self.count += 1
            if error is not None or status != 200:
                self.errors.append(f"{kind}: status {status} error {error}")
            else:
                self.bodies[body] = self.bodies.get(body, 0) + 1
                self.last_body = body

    def _keepalive(self):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            while not self._stop.is_set():
                try:
                    conn.request("GET", self.path)
                    r = conn.getresponse()
                    body = r.read()
                    if r.getheader("Connection", "").lower() == "close":
                        self._record("keep-alive", r.status, body, "server closed the keep-alive connection")
                        conn.close()
                        conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                        continue
                    self._record("keep-alive", r.status, body, None)
                except Exception as e:  # noqa: BLE001 - every failure is a finding
                    self._record("keep-alive", None, None, repr(e))
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
        finally:
            conn.close()

    def _fresh(self):
        while not self._stop.is_set():
            try:
                r = get(self.port, self.path)
                self._record("new-connection", r.status, r.body, None)
            except Exception as e:  # noqa: BLE001
                self._record("new-connection", None, None, repr(e))


# --------------------------------------------------------------------------------------------
# A site: config, document root, logs, and the daemon started from them
# --------------------------------------------------------------------------------------------


@dataclass
class Site:
    dir: Path
    port: int = 0
    root: Path = field(init=False)
    conf: Path = field(init=False)
    logs: Path = field(init=False)
    pid_file: Path = field(init=False)
    error_log: Path = field(init=False)
    access_log: Path = field(init=False)
    extra_pids: list[int] = field(default_factory=list)  # stopped at cleanup too

    def __post_init__(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.root = self.dir / "www"
        self.root.mkdir(exist_ok=True)
        self.logs = self.dir / "logs"
        self.logs.mkdir(exist_ok=True)
        self.conf = self.dir / "httpd.conf"
        self.pid_file = self.logs / "httpd.pid"
        self.error_log = self.logs / "error.log"
        self.access_log = self.logs / "access.log"
        if not self.port:
            self.port = free_port()

    def base_lines(self) -> list[str]:
        """A daemon config using relative paths (relative to the config file's folder)."""
        return [
            f"Listen {HOST}:{self.port}",
            "DocumentRoot www",
            "PidFile logs/httpd.pid",
            "ErrorLog logs/error.log",
            "AccessLog logs/access.log combined",
            "LogLevel info",
        ]

    def write_conf(self, extra: list[str] | None = None, lines: list[str] | None = None) -> Path:
        body = (self.base_lines() if lines is None else lines) + list(extra or [])
        self.conf.write_text("\n".join(body) + "\n")
        return self.conf

    def file(self, rel: str, content: bytes | str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
        return p

    def run(self, *args: str, timeout: float = 15.0) -> subprocess.CompletedProcess:
        """httpd -f CONF ARGS... to completion, output captured as text."""
        return subprocess.run([HTTPD_BIN, "-f", str(self.conf), *args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, cwd=str(self.dir))

    def start(self, *args: str) -> int:
        """Start the daemon; asserts the starter exits 0 with no output; returns the daemon's PID."""
        r = self.run(*args)
        assert r.returncode == 0, f"httpd start failed ({r.returncode}): {r.stderr}"
        assert r.stdout == "" and r.stderr == "", (r.stdout, r.stderr)
        return self.pid()

    def pid(self) -> int:
        text = self.pid_file.read_text()
        assert re.fullmatch(r"[1-9]\d*\n", text), f"PID file content {text!r}"
        return int(text)

    def url_get(self, path: str = "/", **kw) -> Reply:
        return get(self.port, path, **kw)

    def error_text(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def wait_error_log(self, pattern: str, timeout: float = 5.0, count: int = 1) -> re.Match | None:
        """Wait for the COUNT-th match of regex PATTERN in the error log; returns it (or None)."""
        def find():
            ms = list(re.finditer(pattern, self.error_text(), re.M))
            return ms[count - 1] if len(ms) >= count else None
        return wait_until(find, timeout)

    def signal(self, sig: int):
        os.kill(self.pid(), sig)

    def cleanup(self):
        for pid in processes_with_arg(str(self.conf)) + self.extra_pids:
            terminate(pid)


class Sites:
    """Factory of sites under a base folder; stops every daemon of every site at cleanup."""

    def __init__(self, base: Path):
        self.base = base
        self.made: list[Site] = []

    def __call__(self, name: str | None = None, extra: list[str] | None = None,
                 files: dict[str, bytes | str] | None = None, write: bool = True) -> Site:
        site = Site(self.base / (name or f"site{len(self.made) + 1}"))
        self.made.append(site)
        site.file("a.txt", "hello\n")
        for rel, content in (files or {}).items():
            site.file(rel, content)
        if write:
            site.write_conf(extra)
        return site

    def cleanup(self):
        for site in self.made:
            site.cleanup()
