"""Helpers for the inetd-mode and socket-activation tests (issue 5): test_inetd*.py.

Self-contained (does not rely on conftest.py): a raw HTTP reader over any socket, sites (docroot +
config) in tmp_path, httpd started with a socket on fd 0 ("nowait" and "wait" styles), with
inherited listening sockets (LISTEN_FDS/LISTEN_PID), stand-alone for comparison, and a real xinetd
running httpd per connection. Every process started here is stopped by its own PID.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import Client, Response
from programs import program

HTTPD_BIN = os.environ.get("HTTPD_BIN") or str(
    Path(__file__).resolve().parents[2] / ".build" / "debug" / "httpd"
)
REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
SERVER = "httpd/0.1.0"
TIMEOUT = 5.0

IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"
)
ETAG = re.compile(r'^"[^"\s]+"$')
LISTENING = re.compile(rb"listening on http://(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)/")
# combined format: client - - [date] "request" status bytes "referer" "user-agent"
ACCESS_LINE = re.compile(
    r'^(?P<client>\S+) - - \[(?P<date>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) '
    r'(?P<bytes>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$'
)
REASONS = {200: "OK", 206: "Partial Content", 301: "Moved Permanently", 304: "Not Modified",
           400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           501: "Not Implemented"}


def error_body(code: int) -> bytes:
    """The built-in error page for CODE."""
    title = f"{code} {REASONS[code]}"
    return (f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n"
            f"<body><h1>{title}</h1></body></html>\n").encode()


def http_date(ts: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(ts))


def wait_until(predicate, timeout: float, interval: float = 0.02):
    """Poll PREDICATE until it returns a true value (returned) or TIMEOUT passes (returns None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def free_port() -> int:
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listener(backlog: int = 16) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 with a kernel-chosen port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    s.listen(backlog)
    return s


def connection_refused(port: int) -> bool:
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((HOST, port))
    except ConnectionRefusedError:
        return True
    finally:
        s.close()
    return False


# --------------------------------------------------------------------------------------------
# Raw HTTP over a socket
# --------------------------------------------------------------------------------------------


class Conn(Client):
    """The client end of one connection (TCP or AF_UNIX): conftest's raw client on a given socket."""

    def __init__(self, sock: socket.socket, timeout: float = TIMEOUT):
        self.sock, self.buf, self.eof, self.timeout = sock, b"", False, timeout

    @classmethod
    def connect(cls, port: int, host: str = HOST, timeout: float = TIMEOUT) -> "Conn":
        return cls(socket.create_connection((host, port), timeout=timeout), timeout)


def exchange(conn: Conn, raw: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send RAW, half-close, and return every byte the server sends until it closes."""
    conn.send(raw)
    conn.shutdown_write()
    return conn.read_to_eof(timeout)


def without_date(raw: bytes) -> bytes:
    """RAW with the value of every Date header line replaced (the only field allowed to differ)."""
    return re.sub(rb"\r\nDate: [^\r\n]*\r\n", b"\r\nDate: *\r\n", raw)


def assert_head_start(resp: Response, status: int):
    """Status line, then Date (IMF-fixdate) and Server as the first two fields."""
    assert resp.status_line == f"HTTP/1.1 {status} {REASONS[status]}"
    assert resp.names[:2] == ["Date", "Server"], resp.headers
    assert IMF_FIXDATE.match(resp.headers[0][1]), resp.headers[0][1]
    assert resp.headers[1][1] == SERVER


def assert_file_response(resp: Response, path: Path, content_type: str, head: bool = False):
    """The exact 200 response for the static file PATH (keep-alive: no Connection field)."""
    data = path.read_bytes()
    assert_head_start(resp, 200)
    assert resp.names == ["Date", "Server", "Content-Type", "Last-Modified", "ETag",
                          "Accept-Ranges", "Content-Length"], resp.headers
    assert resp["Content-Type"] == content_type
    assert resp["Last-Modified"] == http_date(path.stat().st_mtime)
    assert ETAG.match(resp["ETag"]), resp["ETag"]
    assert resp["Accept-Ranges"] == "bytes"
    assert resp["Content-Length"] == str(len(data))
    assert resp.body == (b"" if head else data)


def assert_error(resp: Response, status: int, closes: bool = False):
    """The exact built-in error page for STATUS."""
    assert_head_start(resp, status)
    body = error_body(status)
    names = ["Date", "Server", "Content-Type", "Content-Length"] + (["Connection"] if closes else [])
    assert resp.names == names, resp.headers
    assert resp["Content-Type"] == "text/html; charset=utf-8"
    assert resp["Content-Length"] == str(len(body))
    if closes:
        assert resp["Connection"] == "close"
    assert resp.body == body


# --------------------------------------------------------------------------------------------
# Sites: a docroot and a config file
# --------------------------------------------------------------------------------------------

BINARY = bytes(range(256)) * 64 + b"\r\n\r\nHTTP/1.1 200 OK\r\n\x00end"  # 16 KiB + tail


@dataclass
class Site:
    dir: Path
    root: Path
    conf: Path
    access_log: Path
    error_log: Path
    pid_file: Path
    files: dict = field(default_factory=dict)

    def access_lines(self) -> list[re.Match]:
        if not self.access_log.exists():
            return []
        lines = self.access_log.read_text().splitlines()
        matches = [ACCESS_LINE.match(line) for line in lines]
        assert all(matches), f"malformed access log lines: {lines}"
        return matches


DEFAULT_FILES = {
    "index.html": b"<!DOCTYPE html>\n<title>inetd</title>\n<p>served by httpd --inetd</p>\n",
    "a.txt": b"alpha\n",
    "b.txt": b"bravo bravo\n",
    "c.txt": b"charlie charlie charlie\n",
    "blob.bin": BINARY,
    "dir/index.html": b"<p>dir</p>\n",
}


def make_site(base: Path, name: str = "site", conf_lines=(), files=None) -> Site:
    """A site under BASE/NAME: www/ with FILES, logs/, and httpd.conf with absolute log paths.

    The config sets a PidFile (inetd mode must never create it), an ErrorLog and an AccessLog
    file, and a Listen line on a free port (which inetd mode and socket activation must not bind).
    """
    d = base / name
    root = d / "www"
    (d / "logs").mkdir(parents=True)
    root.mkdir()
    files = dict(DEFAULT_FILES if files is None else files)
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
    site = Site(d, root, d / "httpd.conf", d / "logs" / "access.log", d / "logs" / "error.log",
                d / "logs" / "httpd.pid", files)
    lines = [
        f"DocumentRoot {root}",
        f"Listen {HOST}:{free_port()}",
        f"PidFile {site.pid_file}",
        f"ErrorLog {site.error_log}",
        f"AccessLog {site.access_log} combined",
        "LogLevel info",
        "TypesConfig builtin",
        *conf_lines,
    ]
    site.conf.write_text("\n".join(lines) + "\n")
    return site


# --------------------------------------------------------------------------------------------
# httpd processes
# --------------------------------------------------------------------------------------------


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """SIGTERM PROC (by its PID) if it still runs and reap it; SIGKILL after TIMEOUT."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"pid {proc.pid} did not exit within {timeout}s of SIGTERM")
    return proc.returncode


def exit_within(proc: subprocess.Popen, timeout: float) -> int:
    """PROC's exit status, asserting it exits on its own within TIMEOUT seconds."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"httpd (pid {proc.pid}) still running after {timeout}s")


class Procs:
    """Every process a test starts; all are stopped by PID at teardown."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []
        self.files = []

    def add(self, proc: subprocess.Popen) -> subprocess.Popen:
        self.procs.append(proc)
        return proc

    def cleanup(self):
        for p in self.procs:
            try:
                stop(p, 5)
            except AssertionError:
                pass
        for f in self.files:
            f.close()


def spawn_on_fd0(procs: Procs, site: Site, sock: socket.socket, args=(), stderr=None,
                 flag: str = "--inetd", stdout=None) -> subprocess.Popen:
    """httpd FLAG -f CONF with SOCK as fd 0 and (unless STDOUT) fd 1, as inetd starts it."""
    cmd = [HTTPD_BIN, flag, "-f", str(site.conf)]
    for a in args:
        cmd += ["-c", a]
    return procs.add(subprocess.Popen(
        cmd, stdin=sock.fileno(), stdout=sock.fileno() if stdout is None else stdout,
        stderr=subprocess.DEVNULL if stderr is None else stderr, cwd=str(site.dir)))


def socketpair_child(procs: Procs, site: Site, args=(), **kw) -> tuple[Conn, subprocess.Popen]:
    """httpd --inetd with one end of an AF_UNIX socketpair on fd 0/1; the other end is returned."""
    ours, theirs = socket.socketpair()
    try:
        proc = spawn_on_fd0(procs, site, theirs, args, **kw)
    finally:
        theirs.close()
    return Conn(ours), proc


def tcp_child(procs: Procs, site: Site, args=(), **kw) -> tuple[Conn, subprocess.Popen]:
    """httpd --inetd with an accepted TCP connection (127.0.0.1) on fd 0/1, like inetd "nowait"."""
    ls = listener()
    client = socket.create_connection(ls.getsockname(), timeout=TIMEOUT)
    accepted, _ = ls.accept()
    ls.close()
    try:
        proc = spawn_on_fd0(procs, site, accepted, args, **kw)
    finally:
        accepted.close()
    return Conn(client), proc


def high_fd(sock: socket.socket) -> int:
    """A close-on-exec duplicate of SOCK numbered 10 or more (so dup2 onto 3, 4 is never a no-op)."""
    return fcntl.fcntl(sock.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)


def spawn_activated(procs: Procs, site: Site, socks: list[socket.socket], listen_pid: str = "$$",
                    args=(), log: Path | None = None) -> subprocess.Popen:
    """httpd -F -f CONF with SOCKS as fds 3, 4, ... and LISTEN_FDS=len(SOCKS), LISTEN_PID=LISTEN_PID
    ("$$": httpd's own PID, since the shell execs httpd). Its stderr goes to LOG."""
    highs = [high_fd(s) for s in socks]

    def preexec():
        for i, fd in enumerate(highs):
            os.dup2(fd, 3 + i)  # dup2 clears close-on-exec on the target

    script = f'LISTEN_PID={listen_pid} LISTEN_FDS={len(socks)} exec "$0" "$@"'
    cmd = ["sh", "-c", script, HTTPD_BIN, "-F", "-f", str(site.conf), "-c", "ErrorLog stderr"]
    for a in args:
        cmd += ["-c", a]
    out = open(log or site.dir / "stderr.log", "wb")
    procs.files.append(out)
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                close_fds=False, preexec_fn=preexec, cwd=str(site.dir))
    finally:
        for fd in highs:
            os.close(fd)
    return procs.add(proc)


def spawn_standalone(procs: Procs, site: Site, args=()) -> tuple[subprocess.Popen, int]:
    """httpd -F -f CONF -c "Listen 127.0.0.1:0"; returns the process and the port it reports."""
    log = site.dir / "standalone.log"
    out = open(log, "wb")
    procs.files.append(out)
    # A -c Listen replaces the file's Listen lines; the PID file is left to the inetd tests.
    cmd = [HTTPD_BIN, "-F", "-f", str(site.conf), "-c", "ErrorLog stderr", "-c", "PidFile off"]
    for a in args:
        cmd += ["-c", a]
    cmd += ["-c", f"Listen {HOST}:0"]
    proc = procs.add(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                      cwd=str(site.dir)))
    found = wait_until(lambda: LISTENING.findall(log.read_bytes()) or proc.poll() is not None, 10)
    assert found and proc.poll() is None, f"stand-alone httpd did not start: {log.read_text()}"
    return proc, int(found[-1][1])


# --------------------------------------------------------------------------------------------
# Processes in /proc
# --------------------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """PIDs whose parent is PID (zombies included)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def exe_of(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return "?"


def tcp_listening(port: int) -> bool:
    """True when something listens on 127.0.0.1:PORT (from /proc/net/tcp)."""
    want = f"0100007F:{port:04X}"
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(line.split()[1] == want and line.split()[3] == "0A" for line in lines)


# --------------------------------------------------------------------------------------------
# xinetd
# --------------------------------------------------------------------------------------------


def xinetd_service(port: int, conf: Path, name: str = "httpdtest") -> str:
    user = pwd.getpwuid(os.geteuid()).pw_name
    return f"""service {name}
{{
    type            = UNLISTED
    socket_type     = stream
    protocol        = tcp
    wait            = no
    user            = {user}
    server          = {HTTPD_BIN}
    server_args     = --inetd -f {conf}
    bind            = {HOST}
    port            = {port}
    instances       = 200
    per_source      = UNLIMITED
    cps             = 10000 1
    disable         = no
}}
"""


class Xinetd:
    """A real xinetd (-dontfork) with its own config file in DIR, on a free loopback port."""

    def __init__(self, dir: Path, config_text: str | None = None, conf: Path | None = None,
                 port: int | None = None):
        self.dir = dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.log = dir / "xinetd.log"
        self.pidfile = dir / "xinetd.pid"
        self.conf = dir / "xinetd.conf"
        if config_text is None:
            assert conf is not None
            config_text = (f"defaults\n{{\n    log_type = FILE {self.log}\n}}\n\n"
                           + xinetd_service(self.port, conf))
        self.conf.write_text(config_text)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> "Xinetd":
        self.out = open(self.dir / "xinetd.stderr", "wb")
        self.proc = subprocess.Popen(
            [program("xinetd"), "-dontfork", "-stayalive", "-f", str(self.conf), "-pidfile",
             str(self.pidfile)],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out, cwd=str(self.dir))
        ok = wait_until(lambda: tcp_listening(self.port) or self.proc.poll() is not None, timeout)
        if not ok or self.proc.poll() is not None:
            self.stop()
            raise AssertionError(f"xinetd did not listen on {self.port}: "
                                 f"{(self.dir / 'xinetd.stderr').read_text()}")
        return self

    def connect(self) -> Conn:
        return Conn.connect(self.port)

    def children(self) -> list[int]:
        assert self.proc is not None
        return children_of(self.proc.pid)

    def wait_no_children(self, timeout: float = 5.0) -> bool:
        return wait_until(lambda: not self.children(), timeout) is not None or not self.children()

    def stop(self) -> int | None:
        """SIGTERM xinetd by its PID; any httpd child still running is stopped by PID too."""
        if self.proc is None:
            return None
        leftovers = self.children()
        rc = stop(self.proc)
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.out.close()
        return rc


# --------------------------------------------------------------------------------------------
# Fixtures (imported by the test modules)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def procs():
    """Every process the test starts; each is stopped by its PID at teardown."""
    p = Procs()
    yield p
    p.cleanup()
