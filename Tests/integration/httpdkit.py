"""httpdkit: the one kit of the httpd integration tests -- ports and polling, the raw HTTP client and
its Response, exact-response assertions, the monitoring formats, and launching httpd in every mode
(foreground, daemon, inetd on fd 0 / socketpair / TCP, socket-activated, under xinetd).

conftest.py holds only the pytest fixtures built on it; the test_*.py files hold only their checks.
Every process started here is stopped by its own PID, every server listens on loopback only.
"""

from __future__ import annotations

import fcntl
import json
import os
import grp
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# --------------------------------------------------------------------------------------------
# Constants: the binary, the wire and log formats
# --------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
HTTPD_BIN = os.environ.get("HTTPD_BIN") or str(REPO / ".build" / "debug" / "httpd")
HOST = "127.0.0.1"
VERSION = "0.1.0"
SERVER = f"httpd/{VERSION}"
TIMEOUT = 5.0  # default socket and start-up wait, in seconds

IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"
)
ETAG = re.compile(r'^"[^"\s]+"$')
LISTENING = re.compile(rb"listening on https?://(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)/")
# combined format: client - - [date] "request" status bytes "referer" "user-agent"
ACCESS_LINE = re.compile(
    r'^(?P<client>\S+) - - \[(?P<date>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) '
    r'(?P<bytes>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$'
)
# [Wed Nov 25 14:35:35 2026] [notice] [pid 14536] message
ERROR_LOG_LINE = re.compile(
    r"^\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})\] "
    r"\[(emerg|alert|crit|error|warn|notice|info|debug)\] \[pid (\d+)\] (.*)$"
)
# 25/Nov/2026:14:35:35 +0000
CLF_TIME = r"\d{2}/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}"

REASONS = {
    100: "Continue", 200: "OK", 206: "Partial Content", 301: "Moved Permanently", 302: "Found",
    303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 412: "Precondition Failed",
    413: "Content Too Large", 414: "URI Too Long", 416: "Range Not Satisfiable",
    417: "Expectation Failed", 421: "Misdirected Request", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 505: "HTTP Version Not Supported",
}
# Statuses after which the connection stays open; every other 4xx/5xx closes it.
KEEP_OPEN_ERRORS = {403, 404, 405, 412, 416, 501}


def error_body(code: int) -> bytes:
    """The built-in error page for CODE."""
    title = f"{code} {REASONS[code]}"
    return (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n"
        f"<body><h1>{title}</h1></body></html>\n"
    ).encode()


def http_date(ts: float) -> str:
    """IMF-fixdate for a POSIX timestamp."""
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(ts))


# --------------------------------------------------------------------------------------------
# Ports and polling
# --------------------------------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A TCP port on HOST that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def listener(backlog: int = 16) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 with a kernel-chosen port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    s.listen(backlog)
    return s


def connection_refused(port: int, host: str = HOST, timeout: float = 2.0) -> bool:
    """True when a TCP connect to HOST:PORT is refused (False when it is accepted).

    A reset during connect counts as refused: the listener closed while the handshake was queued on it."""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    finally:
        s.close()
    return False


def tcp_listening(port: int) -> bool:
    """True when something listens on 127.0.0.1:PORT (from /proc/net/tcp, without connecting)."""
    want = f"0100007F:{port:04X}"
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(line.split()[1] == want and line.split()[3] == "0A" for line in lines)


def has_ipv6_loopback() -> bool:
    """True when ::1 can be bound on this machine."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def wait_until(predicate, timeout: float, interval: float = 0.02):
    """Poll PREDICATE until it returns a true value, which is returned; None once TIMEOUT has passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def wait_for(fetch, ok, timeout: float = 3.0, interval: float = 0.05):
    """Call FETCH until OK(its result) or TIMEOUT passes; returns the last result either way (for
    the caller's assertion to show it)."""
    last = []

    def attempt():
        last[:] = [fetch()]
        return ok(last[0])

    wait_until(attempt, timeout, interval)
    return last[0]


def wait_lines(path: Path, n: int, timeout: float) -> list[bytes]:
    """Wait until PATH holds at least N complete lines; returns its lines (bytes) either way."""
    def lines():
        data = path.read_bytes() if path.exists() else b""
        return data.count(b"\n") >= n and data.splitlines()
    return wait_until(lines, timeout) or (path.read_bytes().splitlines() if path.exists() else [])


# --------------------------------------------------------------------------------------------
# The raw client and its response
# --------------------------------------------------------------------------------------------


@dataclass
class Response:
    status_line: str
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    raw_head: bytes = b""

    def get(self, name: str, default=None):
        """The value of the single field NAME (case-insensitive); asserts it is not repeated."""
        values = self.get_all(name)
        assert len(values) <= 1, f"field {name} repeated: {values}"
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        return [v for (n, v) in self.headers if n.lower() == name.lower()]

    def has(self, name: str) -> bool:
        return bool(self.get_all(name))

    @property
    def names(self) -> list[str]:
        return [n for (n, _) in self.headers]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        assert value is not None, f"missing field {name} in {self.headers}"
        return value

    @property
    def raw(self) -> bytes:
        """The response as received: head and body."""
        return self.raw_head + self.body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


class ConnectionClosed(Exception):
    pass


def _head_fields(headers) -> str:
    """Header lines from a dict ({name: value}) or from text that is already CRLF-terminated."""
    if isinstance(headers, dict):
        return "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return headers or ""


class Client:
    """A raw socket client: send exact bytes, read exact responses, supports pipelining.

    Every response read must be HTTP/1.1 with a well-formed head and exactly one Content-Length
    (or, only where the caller allows it, a chunked body from another server)."""

    def __init__(self, host: str, port: int, timeout: float = TIMEOUT,
                 family: int | None = None, rcvbuf: int | None = None, source: str | None = None):
        if family is None:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source is not None:
            sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.connect((host, port))
        self._adopt(sock, timeout)

    @classmethod
    def on(cls, sock: socket.socket, timeout: float = TIMEOUT) -> "Client":
        """A client on an already connected socket (TCP or AF_UNIX)."""
        c = cls.__new__(cls)
        sock.settimeout(timeout)
        c._adopt(sock, timeout)
        return c

    def _adopt(self, sock: socket.socket, timeout: float):
        self.sock = sock
        self.buf = b""
        self.eof = False
        self.timeout = timeout

    # -- sending ------------------------------------------------------------------------------
    def send(self, data: bytes | str):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- receiving ----------------------------------------------------------------------------
    def _fill(self, deadline: float) -> bool:
        """Read more bytes into the buffer; False on EOF. Raises socket.timeout at the deadline."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out waiting for the server")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_until(self, marker: bytes, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (timeout or self.timeout)
        while marker not in self.buf:
            if not self._fill(deadline):
                raise ConnectionClosed(f"closed before {marker!r}; have {self.buf!r}")
        idx = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:idx], self.buf[idx:]
        return out

    def read_exact(self, n: int, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (timeout or self.timeout)
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise ConnectionClosed(f"closed after {len(self.buf)} of {n} body bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self, timeout: float | None = None) -> Response:
        """Read one response head (status line and fields); its body stays unread."""
        head = self.read_until(b"\r\n\r\n", timeout)
        lines = head[:-4].split(b"\r\n")
        status_line = lines[0].decode("latin-1")
        m = re.match(r"^(HTTP/1\.1) (\d{3}) (.*)$", status_line)
        assert m, f"bad status line {status_line!r}"
        headers = []
        for line in lines[1:]:
            assert b":" in line, f"bad header line {line!r}"
            name, _, value = line.partition(b":")
            assert name == name.strip() and name, f"bad header name in {line!r}"
            headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
        return Response(status_line, m.group(1), int(m.group(2)), m.group(3), headers, b"", head)

    def read_response(self, method: str = "GET", timeout: float | None = None,
                      chunked: bool = False) -> Response:
        """Read one response: head, then a body framed by Content-Length (none for HEAD/1xx/204/304).
        CHUNKED allows a chunked body instead (other servers than httpd, e.g. Go's)."""
        resp = self.read_head(timeout)
        if method == "HEAD" or resp.status < 200 or resp.status in (204, 304):
            return resp
        if chunked and (resp.get("Transfer-Encoding") or "").lower() == "chunked":
            resp.body = self._read_chunked(timeout)
            return resp
        cl = resp.get_all("Content-Length")
        assert len(cl) == 1, f"expected exactly one Content-Length, got {cl} in {resp.headers}"
        resp.body = self.read_exact(int(cl[0]), timeout)
        return resp

    def _read_chunked(self, timeout: float | None) -> bytes:
        body = b""
        while True:
            size_line = self.read_until(b"\r\n", timeout)
            size = int(size_line[:-2].split(b";")[0], 16)
            data = self.read_exact(size + 2, timeout)  # no trailers expected after the last chunk
            if size == 0:
                return body
            body += data[:size]

    def read_to_eof(self, timeout: float | None = None) -> bytes:
        """Everything until the server closes (socket.timeout if it does not)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while self._fill(deadline):
            pass
        out, self.buf = self.buf, b""
        return out

    def discard(self, limit: int, timeout: float = 10.0) -> int:
        """Read and drop bytes (those already buffered first) until EOF, LIMIT bytes or TIMEOUT,
        whichever comes first; returns how many (for downloads too big to keep). Give the bytes
        still expected as LIMIT so that a complete body does not wait for EOF."""
        total = min(len(self.buf), limit)
        self.buf = self.buf[total:]
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while total < limit and time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(min(1 << 20, limit - total))
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            total += len(chunk)
        return total

    def expect_closed(self, timeout: float = 3.0) -> bytes:
        """Assert the server closes the connection within TIMEOUT with no further bytes."""
        try:
            extra = self.read_to_eof(timeout)
        except socket.timeout:
            raise AssertionError(f"connection still open after {timeout}s (extra: {self.buf!r})")
        assert extra == b"", f"unexpected bytes before close: {extra!r}"
        return extra

    def expect_open(self, wait: float = 0.3):
        """Assert the connection is still open and silent for WAIT seconds."""
        r, _, _ = select.select([self.sock], [], [], wait)
        if r:
            try:
                data = self.sock.recv(65536, socket.MSG_PEEK)
            except ConnectionResetError:
                data = b""
            assert data, "server closed the connection"
            raise AssertionError(f"unexpected bytes from server: {data!r}")

    def is_closed(self, timeout: float = 3.0) -> bool:
        try:
            self.expect_closed(timeout)
            return True
        except AssertionError:
            return False

    # -- convenience --------------------------------------------------------------------------
    def request(self, raw: bytes | str, method: str | None = None) -> Response:
        """Send the exact bytes RAW and read one response (framed for RAW's method)."""
        if isinstance(raw, str):
            raw = raw.encode("latin-1")
        if method is None:
            method = raw.split(b" ", 1)[0].decode("latin-1")
        self.send(raw)
        return self.read_response(method)

    def get(self, target: str, headers: str | dict = "", method: str = "GET", close: bool = False,
            chunked: bool = False) -> Response:
        """METHOD TARGET HTTP/1.1 with `Host: t`, HEADERS (CRLF-terminated text or a dict) and, when
        CLOSE, `Connection: close`; returns the response."""
        fields = _head_fields(headers) + ("Connection: close\r\n" if close else "")
        self.send(f"{method} {target} HTTP/1.1\r\nHost: t\r\n{fields}\r\n")
        return self.read_response(method, chunked=chunked)


def fetch(port: int, target: str = "/", method: str = "GET", headers: str | dict = "",
          host: str = HOST, source: str | None = None, chunked: bool = False) -> Response:
    """One request with `Connection: close` on a fresh connection (from SOURCE when given)."""
    with Client(host, port, source=source) as c:
        return c.get(target, headers, method, close=True, chunked=chunked)


def request_closing(port: int, raw: bytes, host: str = HOST) -> Response:
    """Send RAW (one request the server answers and then closes) on a fresh connection; returns
    the response and asserts the server then closes with no byte more."""
    with Client(host, port) as c:
        resp = c.request(raw)
        c.expect_closed()
    return resp


def exchange(conn: Client, raw: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send RAW, half-close, and return every byte the server sends until it closes."""
    conn.send(raw)
    conn.shutdown_write()
    return conn.read_to_eof(timeout)


def without_date(raw: bytes) -> bytes:
    """RAW with the value of every Date header line replaced (the only field allowed to differ)."""
    return re.sub(rb"\r\nDate: [^\r\n]*\r\n", b"\r\nDate: *\r\n", raw)


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
        conn: Client | None = None
        try:
            while not self._stop.is_set():
                try:
                    if conn is None:
                        conn = Client(HOST, self.port)
                    r = conn.get(self.path)
                    if (r.get("Connection") or "").lower() == "close":
                        self._record("keep-alive", r.status, r.body, "server closed the keep-alive connection")
                        conn.close()
                        conn = None
                        continue
                    self._record("keep-alive", r.status, r.body, None)
                except Exception as e:  # noqa: BLE001 - every failure is a finding
                    self._record("keep-alive", None, None, repr(e))
                    if conn is not None:
                        conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    def _fresh(self):
        while not self._stop.is_set():
            try:
                r = fetch(self.port, self.path)
                self._record("new-connection", r.status, r.body, None)
            except Exception as e:  # noqa: BLE001
                self._record("new-connection", None, None, repr(e))


# --------------------------------------------------------------------------------------------
# Assertions on responses
# --------------------------------------------------------------------------------------------


def assert_common_head(resp: Response, status: int, server_name: str = SERVER):
    """Status line, then Date (IMF-fixdate) and Server as the first two fields."""
    assert resp.status_line == f"HTTP/1.1 {status} {REASONS[status]}"
    assert resp.names[:2] == ["Date", "Server"], resp.headers
    assert IMF_FIXDATE.match(resp.headers[0][1]), resp.headers[0][1]
    assert resp.headers[1][1] == server_name


def assert_error(resp: Response, status: int, head: bool = False, closes: bool | None = None,
                 fields: tuple[str, ...] = ()):
    """The exact built-in error response for STATUS: the fields are exactly Date, Server,
    Content-Type, FIELDS (the error's own, e.g. Allow), Content-Length and, when it closes,
    Connection: close (by default every status but KEEP_OPEN_ERRORS closes); the body is the
    built-in page (none for HEAD)."""
    assert_common_head(resp, status)
    if closes is None:
        closes = status not in KEEP_OPEN_ERRORS
    body = error_body(status)
    names = ["Date", "Server", "Content-Type", *fields, "Content-Length"] + (["Connection"] if closes else [])
    assert resp.names == names, resp.headers
    assert resp["Content-Type"] == "text/html; charset=utf-8"
    assert resp["Content-Length"] == str(len(body))
    if closes:
        assert resp["Connection"] == "close", resp.headers
    if not head:
        assert resp.body == body


def bad_request(srv: "Server", raw: bytes | str, status: int = 400, **kw) -> Response:
    """Send RAW on a fresh connection; expect the built-in STATUS error, then (if it closes) EOF."""
    with srv.client() as c:
        c.send(raw)
        resp = c.read_response()
        assert_error(resp, status, **kw)
        if status not in KEEP_OPEN_ERRORS:
            c.expect_closed()
    return resp


def assert_file_response(resp: Response, path: Path, content_type: str, head: bool = False):
    """The exact 200 response for the static file PATH (keep-alive: no Connection field)."""
    data = path.read_bytes()
    assert_common_head(resp, 200)
    assert resp.names == ["Date", "Server", "Content-Type", "Last-Modified", "ETag",
                          "Accept-Ranges", "Content-Length"], resp.headers
    assert resp["Content-Type"] == content_type
    assert resp["Last-Modified"] == http_date(path.stat().st_mtime)
    assert ETAG.match(resp["ETag"]), resp["ETag"]
    assert resp["Accept-Ranges"] == "bytes"
    assert resp["Content-Length"] == str(len(data))
    assert resp.body == (b"" if head else data)


# --------------------------------------------------------------------------------------------
# Monitoring formats: /server-status?auto and the Prometheus text format
# --------------------------------------------------------------------------------------------

# `?auto` keys, in the order Apache 2.4's mod_status prints them.
AUTO_KEYS = [
    "ServerVersion", "ServerMPM", "CurrentTime", "RestartTime", "ParentServerConfigGeneration",
    "ParentServerMPMGeneration", "ServerUptimeSeconds", "ServerUptime", "Load1", "Load5", "Load15",
    "Total Accesses", "Total kBytes", "Total Duration", "CPUUser", "CPUSystem", "CPUChildrenUser",
    "CPUChildrenSystem", "CPULoad", "Uptime", "ReqPerSec", "BytesPerSec", "BytesPerReq", "DurationPerReq",
    "BusyWorkers", "GracefulWorkers", "IdleWorkers", "Processes", "Stopping", "ConnsTotal",
    "ConnsAsyncWriting", "ConnsAsyncKeepAlive", "ConnsAsyncClosing", "Scoreboard",
]


def parse_auto(text: str) -> list[tuple[str, str]]:
    """The `Key: value` lines of a `?auto` body (after the first `localhost` line), in order."""
    lines = text.split("\n")
    assert lines[0] == "localhost", lines[:2]
    assert text.endswith("\n"), repr(text[-20:])
    pairs = []
    for line in lines[1:-1]:
        key, sep, value = line.partition(": ")
        assert sep, f"not a 'Key: value' line: {line!r}"
        pairs.append((key, value))
    return pairs


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass
class Exposition:
    types: dict[str, str] = field(default_factory=dict)
    helps: dict[str, str] = field(default_factory=dict)
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def values(self, name: str) -> list[tuple[dict[str, str], float]]:
        return [(labels, v) for n, labels, v in self.samples if n == name]

    def value(self, name: str, **labels: str) -> float:
        """The value of the one sample NAME{LABELS} (exactly those labels)."""
        found = [v for n, l, v in self.samples if n == name and l == labels]
        assert len(found) == 1, f"{name}{labels}: {found}"
        return found[0]


def parse_exposition(text: str) -> Exposition:
    """Parses the Prometheus text format 0.0.4 (asserting every line is well formed)."""
    out = Exposition()
    assert text.endswith("\n")
    for line in text.split("\n")[:-1]:
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            out.types[name] = kind
        elif line.startswith("# HELP "):
            _, _, name, help_text = line.split(" ", 3)
            out.helps[name] = help_text
        else:
            m = SAMPLE.match(line)
            assert m, f"bad sample line: {line!r}"
            labels = dict(LABEL.findall(m.group(2) or ""))
            out.samples.append((m.group(1), labels, float(m.group(3))))
    return out


# --------------------------------------------------------------------------------------------
# Launching: programs and processes
# --------------------------------------------------------------------------------------------


def program(name: str) -> str:
    """The path of the external program NAME on PATH (or in /usr/sbin). `make test` installs every
    one (scripts/install-deps.sh test), so a missing one fails the test, never skips it."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} is not installed: run `make test` (scripts/install-deps.sh test installs it)")
    return path


def run_httpd(*args, cwd=None, timeout: float = 10.0, stdin=subprocess.DEVNULL,
              text: bool = False) -> subprocess.CompletedProcess:
    """Run httpd with ARGS to completion, output captured (bytes, or str when TEXT)."""
    return subprocess.run([HTTPD_BIN, *map(str, args)], stdin=stdin, capture_output=True,
                          cwd=cwd, timeout=timeout, text=text)


# PID 1 in the test sandbox may not reap orphans, so a daemon that exited can linger as a zombie.
# A process counts as gone when /proc/PID is missing or its state is Z; a zombie's exit status is
# read from the exit_code field of /proc/PID/stat.


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
    """True once PID is gone (see is_gone), False if it still runs after TIMEOUT."""
    return wait_until(lambda: is_gone(pid), timeout) is not None


def exit_status(pid: int) -> int | None:
    """The exit status of a zombie PID (None when it was reaped or still runs)."""
    st = proc_stat(pid)
    if st is None or st.state != "Z" or st.exit_code is None:
        return None
    code = st.exit_code
    if code & 0x7F:  # killed by a signal
        return -(code & 0x7F)
    return (code >> 8) & 0xFF


def children_of(pid: int) -> list[int]:
    """PIDs of the live (non-zombie) children of PID."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_stat(int(entry))
            if st is not None and st.ppid == pid and st.state != "Z":
                found.append(int(entry))
    return sorted(found)


def daemon_processes(master: int) -> list[int]:
    """The daemon's master PID followed by its worker(s): what runs for one stand-alone daemon."""
    return [master, *children_of(master)]


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


def terminate(pid: int, grace: float = 5.0):
    """SIGTERM PID (not our child), wait up to GRACE seconds, then SIGKILL."""
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


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """SIGTERM our child PROC (by its PID) if it still runs and reap it; SIGKILL after TIMEOUT."""
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
    """Every process (and log file) a test starts; all are stopped by PID at cleanup."""

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


# --------------------------------------------------------------------------------------------
# Launching: httpd in the foreground (-F)
# --------------------------------------------------------------------------------------------

INDEX_BODY = b"<!DOCTYPE html>\n<html><body>monitoring test index</body></html>\n"


class Server:
    """httpd -F -f DIR/httpd.conf [-c ARG]... [-c Listen L]... run from DIR, stderr in DIR/LOG_NAME.

    LINES, when given, are written as the config file; FILES go into the document root. `start()`
    waits for the `listening on` lines and records `addresses`, `host` and `port`.
    """

    def __init__(self, dir: Path, lines: list[str] | None = None, files: dict | None = None,
                 args=(), docroot: str = "www", log_name: str = "stderr.log"):
        self.dir = dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.root = self.dir / docroot
        self.root.mkdir(exist_ok=True)
        for rel, content in (files or {}).items():
            p = self.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(content.encode() if isinstance(content, str) else content)
        self.conf = self.dir / "httpd.conf"
        if lines is not None:
            self.conf.write_text("\n".join(lines) + "\n")
        self.args = list(args or [])
        self.log_path = self.dir / log_name
        self.out_path = self.dir / (Path(log_name).stem + ".stdout")
        self.proc: subprocess.Popen | None = None
        self.ended = False  # the test stopped or reaped the process itself
        self.host = HOST
        self.port = 0
        self.addresses: list[tuple[str, int]] = []

    def start(self, listen: str | list[str] | None = "127.0.0.1:0", timeout: float = 10.0,
              expect_listens: int | None = None, preexec=None) -> "Server":
        """Start httpd with a -c Listen per LISTEN address (none: the config's) and wait until it
        reports EXPECT_LISTENS listeners (default: one per LISTEN address, at least one)."""
        listens = [listen] if isinstance(listen, str) else list(listen or [])
        cmd = [HTTPD_BIN, "-F", "-f", str(self.conf)]
        for a in self.args:
            cmd += ["-c", a]
        for address in listens:
            cmd += ["-c", f"Listen {address}"]
        expect = expect_listens or max(1, len(listens))
        self.log = open(self.log_path, "wb")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=self.log, cwd=str(self.dir), preexec_fn=preexec)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = LISTENING.findall(self.log_path.read_bytes())
            if len(found) >= expect:
                self.addresses = [(h.decode().strip("[]"), int(p)) for h, p in found]
                self.host, self.port = self.addresses[0]
                return self
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"httpd exited with {self.proc.returncode} before listening: {self.stderr()}")
            time.sleep(0.01)
        raise AssertionError(f"httpd did not report listening within {timeout}s: {self.stderr()}")

    @property
    def ports(self) -> list[int]:
        return [p for _, p in self.addresses]

    @property
    def pid(self) -> int:
        """The PID of the process started: the master (with -F too), which forks the worker that serves."""
        return self.proc.pid

    @property
    def worker_pid(self) -> int:
        """The PID of the master's one worker, the process that serves (and that /server-status describes)."""
        workers = wait_until(lambda: children_of(self.proc.pid) or None, 2.0)
        assert workers and len(workers) == 1, f"master {self.proc.pid} has workers {workers}"
        return workers[0]

    def stderr(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int):
        os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = TIMEOUT) -> int:
        """The exit status of a process that exits on its own (subprocess.TimeoutExpired if not)."""
        rc = self.proc.wait(timeout)
        self.ended = True
        self._close_logs()
        return rc

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM (if still running), then the exit status; SIGKILL and fail after TIMEOUT."""
        assert self.proc is not None
        self.ended = True
        try:
            return stop(self.proc, timeout)
        finally:
            self._close_logs()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.ended = True
        self._close_logs()

    def _close_logs(self):
        for f in (getattr(self, "log", None), getattr(self, "out", None)):
            if f is not None:
                f.close()

    # -- requests on fresh connections ---------------------------------------------------------
    def client(self, **kw) -> Client:
        return Client(self.host, self.port, **kw)

    def request(self, raw: bytes | str, method: str | None = None, timeout: float = TIMEOUT
                ) -> Response:
        with self.client(timeout=timeout) as c:
            return c.request(raw, method)

    def get(self, target: str, headers: str | dict = "", method: str = "GET") -> Response:
        """One keep-alive request (no Connection field sent); the client then closes."""
        with self.client() as c:
            return c.get(target, headers, method)

    def fetch(self, target: str, method: str = "GET", host: str | None = None, **kw) -> Response:
        """One request with `Connection: close` (see fetch())."""
        return fetch(self.port, target, method, host=host or self.host, **kw)

    def status_json(self, path: str = "/server-status") -> dict:
        r = self.fetch(path + "?format=json")
        assert r.status == 200, r.status_line
        return r.json()

    def status_auto(self, path: str = "/server-status") -> dict[str, str]:
        r = self.fetch(path + "?auto")
        assert r.status == 200, r.status_line
        return dict(parse_auto(r.text))

    def metrics(self, path: str = "/metrics") -> Exposition:
        r = self.fetch(path)
        assert r.status == 200, r.status_line
        return parse_exposition(r.text)


def stop_servers(servers: list[Server]) -> list[str]:
    """Teardown of started servers: each one still running gets SIGTERM and must exit 0; one that
    ended without the test stopping it is a failure too. Returns the failures."""
    failures = []
    for srv in servers:
        if srv.proc is None or srv.ended:
            continue
        if not srv.alive():
            rc = srv.stop()
            failures.append(f"httpd died during the test (status {rc}): {srv.stderr()[-2000:]}")
            continue
        try:
            rc = srv.stop()
        except AssertionError as e:
            failures.append(str(e))
            continue
        if rc != 0:
            failures.append(f"httpd exited with status {rc} after SIGTERM: {srv.stderr()[-2000:]}")
    return failures


# --------------------------------------------------------------------------------------------
# Launching: sites (config + document root + logs) and httpd as a daemon
# --------------------------------------------------------------------------------------------


@dataclass
class Site:
    """A folder with httpd.conf, www/ and logs/ (PID file, error and access log), and a free port."""
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
        return run_httpd("-f", self.conf, *args, cwd=str(self.dir), timeout=timeout, text=True)

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

    def fetch(self, path: str = "/", **kw) -> Response:
        return fetch(self.port, path, **kw)

    def error_text(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def wait_error_log(self, pattern: str, timeout: float = 5.0, count: int = 1) -> re.Match | None:
        """Wait for the COUNT-th match of regex PATTERN in the error log; returns it (or None)."""
        def find():
            ms = list(re.finditer(pattern, self.error_text(), re.M))
            return ms[count - 1] if len(ms) >= count else None
        return wait_until(find, timeout)

    def access_lines(self) -> list[re.Match]:
        """The access log's combined lines, each asserted well formed."""
        if not self.access_log.exists():
            return []
        lines = self.access_log.read_text().splitlines()
        matches = [ACCESS_LINE.match(line) for line in lines]
        assert all(matches), f"malformed access log lines: {lines}"
        return matches

    def cleanup(self):
        """Stop (by PID) every httpd whose command line names this config, and EXTRA_PIDS."""
        for pid in processes_with_arg(str(self.conf)) + self.extra_pids:
            terminate(pid)


class Sites:
    """Factory of daemon sites under a base folder (each with www/a.txt = `hello\\n`); stops every
    daemon of every site at cleanup."""

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


BINARY = bytes(range(256)) * 64 + b"\r\n\r\nHTTP/1.1 200 OK\r\n\x00end"  # 16 KiB + tail

DEFAULT_FILES = {
    "index.html": b"<!DOCTYPE html>\n<title>inetd</title>\n<p>served by httpd --inetd</p>\n",
    "a.txt": b"alpha\n",
    "b.txt": b"bravo bravo\n",
    "c.txt": b"charlie charlie charlie\n",
    "blob.bin": BINARY,
    "dir/index.html": b"<p>dir</p>\n",
}


def make_site(base: Path, name: str = "site", conf_lines=(), files=None) -> Site:
    """A site for inetd and socket activation under BASE/NAME: www/ with FILES (DEFAULT_FILES by
    default) and httpd.conf with absolute paths. The config sets a PidFile (inetd mode must never
    create it), an ErrorLog and an AccessLog file, and a Listen line on a free port (which inetd
    mode and socket activation must not bind)."""
    assert not (base / name).exists(), base / name
    site = Site(base / name)
    for rel, content in (DEFAULT_FILES if files is None else files).items():
        site.file(rel, content)
    site.write_conf(lines=[
        f"DocumentRoot {site.root}",
        f"Listen {HOST}:{site.port}",
        f"PidFile {site.pid_file}",
        f"ErrorLog {site.error_log}",
        f"AccessLog {site.access_log} combined",
        "LogLevel info",
        "TypesConfig builtin",
        *conf_lines,
    ])
    return site


# --------------------------------------------------------------------------------------------
# Launching: inetd mode, inherited listening sockets, stand-alone twin
# --------------------------------------------------------------------------------------------


def spawn_inetd(procs: Procs, site: Site, sock: socket.socket, args=(), stderr=None,
                flag: str = "--inetd", stdout=None) -> subprocess.Popen:
    """httpd FLAG -f CONF with SOCK as fd 0 and (unless STDOUT) fd 1, as inetd starts it; stderr
    goes to /dev/null unless STDERR."""
    cmd = [HTTPD_BIN, flag, "-f", str(site.conf)]
    for a in args:
        cmd += ["-c", a]
    return procs.add(subprocess.Popen(
        cmd, stdin=sock.fileno(), stdout=sock.fileno() if stdout is None else stdout,
        stderr=subprocess.DEVNULL if stderr is None else stderr, cwd=str(site.dir)))


def socketpair_child(procs: Procs, site: Site, args=(), **kw) -> tuple[Client, subprocess.Popen]:
    """httpd --inetd with one end of an AF_UNIX socketpair on fd 0/1; the other end is returned."""
    ours, theirs = socket.socketpair()
    try:
        proc = spawn_inetd(procs, site, theirs, args, **kw)
    finally:
        theirs.close()
    return Client.on(ours), proc


def tcp_child(procs: Procs, site: Site, args=(), **kw) -> tuple[Client, subprocess.Popen]:
    """httpd --inetd with an accepted TCP connection (127.0.0.1) on fd 0/1, like inetd "nowait"."""
    ls = listener()
    client = socket.create_connection(ls.getsockname(), timeout=TIMEOUT)
    accepted, _ = ls.accept()
    ls.close()
    try:
        proc = spawn_inetd(procs, site, accepted, args, **kw)
    finally:
        accepted.close()
    return Client.on(client), proc


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


def wait_for_log(path: Path, text: str, proc: subprocess.Popen, timeout: float = 10.0):
    """Wait until PATH contains TEXT, asserting PROC keeps running meanwhile."""
    found = wait_until(lambda: text in path.read_text() or proc.poll() is not None, timeout)
    assert found and proc.poll() is None, f"httpd did not log {text!r}: {path.read_text()}"


def spawn_standalone(site: Site, args=()) -> Server:
    """The stand-alone twin of an inetd site: httpd -F -f CONF -c "ErrorLog stderr" -c "PidFile
    off" ARGS -c "Listen 127.0.0.1:0" (a -c Listen replaces the file's Listen lines; the PID file
    is left to the inetd tests), started; stop it with its stop()."""
    return Server(site.dir, args=["ErrorLog stderr", "PidFile off", *args],
                  log_name="standalone.log").start()


# --------------------------------------------------------------------------------------------
# Launching: httpd under a real xinetd
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

    def connect(self) -> Client:
        return Client(HOST, self.port)

    def children(self) -> list[int]:
        assert self.proc is not None
        return children_of(self.proc.pid)

    def wait_no_children(self, timeout: float = 5.0) -> bool:
        return wait_until(lambda: not self.children(), timeout) is not None

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
# Crashes under load: wrk, the listening socket's inode, a new worker's first answer
# --------------------------------------------------------------------------------------------

WRK_REQUESTS = re.compile(r"^  (\d+) requests in [0-9.]+[a-z]+, [0-9.]+[KMGT]?B read$", re.M)
WRK_SOCKET_ERRORS = re.compile(r"^  Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)$", re.M)
WRK_NON_2XX = re.compile(r"^  Non-2xx or 3xx responses: (\d+)$", re.M)


@dataclass
class WrkResult:
    """What one wrk run reports: requests completed, its socket errors (each 0 when wrk prints no `Socket
    errors` line) and its responses with a status above 399 (`Non-2xx or 3xx responses`)."""
    requests: int
    connect: int
    read: int
    write: int
    timeout: int
    non_2xx: int
    text: str


def parse_wrk(text: str) -> WrkResult:
    """wrk 4's summary, each line matched exactly (one `requests in` line; at most one of the others)."""
    requests = WRK_REQUESTS.findall(text)
    errors = WRK_SOCKET_ERRORS.findall(text)
    non_2xx = WRK_NON_2XX.findall(text)
    assert len(requests) == 1 and len(errors) <= 1 and len(non_2xx) <= 1, text
    connect, read, write, timeout = map(int, errors[0]) if errors else (0, 0, 0, 0)
    return WrkResult(int(requests[0]), connect, read, write, timeout, int(non_2xx[0]) if non_2xx else 0, text)


class Wrk:
    """wrk -tTHREADS -cCONNECTIONS -dSECONDSs on http://127.0.0.1:PORT/PATH (with `Connection: close` when CLOSE: a
    new connection per request; `Host: HOST` when given), running in the background from `start()`; `result()` waits for its summary.
    Stopped by its PID if the test ends first. A missing wrk fails the test (`make test` installs it)."""

    def __init__(self, port: int, path: str = "/a.txt", seconds: int = 4, threads: int = 2, connections: int = 16,
                 close: bool = False, host: str | None = None):
        self.path = program("wrk")
        self.connections = connections
        self.seconds = seconds
        self.cmd = [self.path, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"http://{HOST}:{port}{path}"]
        if close:
            self.cmd += ["-H", "Connection: close"]
        if host is not None:
            self.cmd += ["-H", f"Host: {host}"]
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Wrk":
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def elapsed(self) -> float:
        """Seconds since wrk was started."""
        return time.monotonic() - self.started

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def result(self) -> WrkResult:
        """Waits for wrk to finish (its duration plus 10 s at most); asserts status 0; its summary."""
        assert self.proc is not None
        out, _ = self.proc.communicate(timeout=self.seconds + 10)
        assert self.proc.returncode == 0, out
        return parse_wrk(out)


def listening_inode(port: int) -> int:
    """The inode of the socket listening on 127.0.0.1:PORT, from `ss` (sock_diag: the listening sockets only;
    /proc/net/tcp lists every TIME_WAIT socket too, and takes seconds to read after a run of wrk with a connection
    per request); asserts there is exactly one."""
    out = subprocess.run([program("ss"), "-Hlnte", f"sport = :{port}"], capture_output=True, text=True,
                         timeout=10).stdout
    found = re.findall(rf"^LISTEN +\d+ +\d+ +127\.0\.0\.1:{port} +0\.0\.0\.0:\* +ino:(\d+) ", out, re.M)
    assert len(found) == 1 and len(out.splitlines()) == 1, f"listeners on {port}: {out!r}"
    return int(found[0])


def socket_inodes_of(pid: int) -> set[int]:
    """The inodes of the sockets among PID's descriptors (/proc/PID/fd links `socket:[N]`)."""
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(int(target[len("socket:["):-1]))
    return found


def live_children(pid: int) -> list[int]:
    """PIDs of PID's children that are not zombies."""
    return [p for p in children_of(pid) if not is_gone(p)]


def first_answer_from_new_worker(port: int, old: set[int], since: float, timeout: float) -> tuple[float, dict] | None:
    """(seconds from SINCE, a time.monotonic(), status JSON) once /server-status?format=json, asked on a new
    connection every 5 ms, is answered by a process not in OLD (the dead worker and any that serve on); None
    once TIMEOUT seconds from SINCE have passed. A connection the dying worker took fails and is retried; one
    waiting in the listen backlog is answered by the new worker, its wait counted."""
    while time.monotonic() - since < timeout:
        try:
            with Client(HOST, port, timeout=0.5) as c:
                r = c.get("/server-status?format=json", close=True)
            if r.status == 200 and r.json()["pid"] not in old:
                return time.monotonic() - since, r.json()
        except (OSError, ConnectionClosed):
            pass
        time.sleep(0.005)
    return None


def get_closing(port: int, path: str = "/a.txt", timeout: float = 3.0) -> tuple[int, bytes]:
    """GET PATH on a new connection with `Connection: close` (so that the kernel may hand it to any worker):
    (status, body); ConnectionError when it closes without a response."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head:
        raise ConnectionError("closed without a response")
    return int(head.split()[1]), body


def nobody_ids() -> tuple[int, int, str]:
    """(uid of nobody, gid of the group the tests use, that group's name); skips the test when there is none."""
    try:
        uid = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no user nobody")
    for name in ("nogroup", "nobody"):
        try:
            return uid, grp.getgrnam(name).gr_gid, name
        except KeyError:
            continue
    pytest.skip("no group nogroup/nobody")
