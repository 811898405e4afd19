"""Shared fixtures and helpers for the httpd integration tests.

Every test starts its own httpd (from $HTTPD_BIN) on 127.0.0.1:0 with a document root and a
config file in tmp_path, and talks raw bytes to it over sockets.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HTTPD_BIN = os.environ.get("HTTPD_BIN") or str(
    Path(__file__).resolve().parents[2] / ".build" / "debug" / "httpd"
)
VERSION = "0.1.0"
SERVER = f"httpd/{VERSION}"

IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"
)
LISTENING = re.compile(rb"listening on http://(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)/")

DEFAULT_TIMEOUT = 5.0

REASONS = {
    100: "Continue", 200: "OK", 206: "Partial Content", 301: "Moved Permanently",
    304: "Not Modified", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 412: "Precondition Failed",
    413: "Content Too Large", 414: "URI Too Long", 416: "Range Not Satisfiable",
    417: "Expectation Failed", 431: "Request Header Fields Too Large",
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
# Responses and the raw client
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

    def json(self):
        return json.loads(self.body)


class ConnectionClosed(Exception):
    pass


class Client:
    """A raw socket client: send exact bytes, read exact responses, supports pipelining."""

    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT,
                 family: int | None = None, rcvbuf: int | None = None):
        if family is None:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
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

    def read_response(self, method: str = "GET", timeout: float | None = None) -> Response:
        """Read one response: head, then a body framed by Content-Length (none for HEAD/1xx/204/304)."""
        head = self.read_until(b"\r\n\r\n", timeout)
        lines = head[:-4].split(b"\r\n")
        status_line = lines[0].decode("latin-1")
        m = re.match(r"^(HTTP/\d\.\d) (\d{3}) (.*)$", status_line)
        assert m, f"bad status line {status_line!r}"
        headers = []
        for line in lines[1:]:
            assert b":" in line, f"bad header line {line!r}"
            name, _, value = line.partition(b":")
            assert name == name.strip() and name, f"bad header name in {line!r}"
            headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
        resp = Response(status_line, m.group(1), int(m.group(2)), m.group(3), headers, b"", head)
        if method == "HEAD" or resp.status < 200 or resp.status in (204, 304):
            return resp
        cl = resp.get_all("Content-Length")
        assert len(cl) == 1, f"expected exactly one Content-Length, got {cl} in {headers}"
        resp.body = self.read_exact(int(cl[0]), timeout)
        return resp

    def read_to_eof(self, timeout: float | None = None) -> bytes:
        """Everything until the server closes (socket.timeout if it does not)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while self._fill(deadline):
            pass
        out, self.buf = self.buf, b""
        return out

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
        if isinstance(raw, str):
            raw = raw.encode("latin-1")
        if method is None:
            method = raw.split(b" ", 1)[0].decode("latin-1")
        self.send(raw)
        return self.read_response(method)

    def get(self, target: str, headers: str = "", method: str = "GET") -> Response:
        return self.request(f"{method} {target} HTTP/1.1\r\nHost: t\r\n{headers}\r\n", method)


# --------------------------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------------------------


class Server:
    def __init__(self, tmp: Path, conf_lines, files, args, name: str, docroot_name: str = "www",
                 write_conf: bool = True):
        self.dir = tmp / name
        self.dir.mkdir(parents=True, exist_ok=False)
        self.root = self.dir / docroot_name
        self.root.mkdir()
        for rel, content in (files or {}).items():
            p = self.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                content = content.encode()
            p.write_bytes(content)
        self.conf = self.dir / "httpd.conf"
        if write_conf:
            lines = [f"DocumentRoot {docroot_name}", "Listen 127.0.0.1:0", "LogLevel info"]
            lines += list(conf_lines or [])
            self.conf.write_text("\n".join(lines) + "\n")
        self.args = list(args or [])
        self.log_path = self.dir / "stderr.log"
        self.out_path = self.dir / "stdout.log"
        self.proc: subprocess.Popen | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.addresses: list[tuple[str, int]] = []

    def start(self, listen: str = "127.0.0.1:0", timeout: float = 10.0, expect_listens: int = 1):
        cmd = [HTTPD_BIN, "-F", "-f", str(self.conf)]
        for a in self.args:
            cmd += ["-c", a]
        if listen:
            cmd += ["-c", f"Listen {listen}"]
        self.log = open(self.log_path, "wb")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=self.log, cwd=str(self.dir))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = LISTENING.findall(self.log_path.read_bytes())
            if len(found) >= expect_listens:
                self.addresses = [(h.decode().strip("[]"), int(p)) for h, p in found]
                self.host, self.port = self.addresses[0]
                return self
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"httpd exited with {self.proc.returncode} before listening: {self.stderr()}")
            time.sleep(0.01)
        raise AssertionError(f"httpd did not report listening within {timeout}s: {self.stderr()}")

    def stderr(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def client(self, **kw) -> Client:
        return Client(self.host, self.port, **kw)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"httpd did not exit within {timeout}s of SIGTERM")
        finally:
            self.log.close()
            self.out.close()
        return rc

    # -- one-shot helpers -------------------------------------------------------------------------
    def request(self, raw: bytes | str, method: str | None = None, timeout: float = DEFAULT_TIMEOUT
                ) -> Response:
        with self.client(timeout=timeout) as c:
            return c.request(raw, method)

    def get(self, target: str, headers: str = "", method: str = "GET") -> Response:
        with self.client() as c:
            return c.get(target, headers, method)


@pytest.fixture
def server(tmp_path):
    """Factory: server(conf_lines=[...], files={...}, args=[...]) -> a started Server.

    At teardown every server gets SIGTERM and must exit with status 0.
    """
    started: list[Server] = []
    counter = [0]

    def make(conf_lines=None, files=None, args=None, listen="127.0.0.1:0", start=True,
             setup=None, expect_listens=1) -> Server:
        counter[0] += 1
        srv = Server(tmp_path, conf_lines, files, args, f"srv{counter[0]}")
        if setup is not None:
            setup(srv.root)
        if start:
            started.append(srv)
            srv.start(listen=listen, expect_listens=expect_listens)
        return srv

    yield make
    failures = []
    for srv in started:
        if srv.proc is None:
            continue
        was_alive = srv.alive()
        rc = srv.stop()
        if not was_alive:
            failures.append(f"httpd died during the test (status {rc}): {srv.stderr()[-2000:]}")
        elif rc != 0:
            failures.append(f"httpd exited with status {rc} after SIGTERM: {srv.stderr()[-2000:]}")
    assert not failures, "\n".join(failures)


def run_httpd(*args, cwd=None, timeout=10.0) -> subprocess.CompletedProcess:
    """Run httpd with ARGS to completion (for the command-line tests)."""
    return subprocess.run([HTTPD_BIN, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          cwd=cwd, timeout=timeout)


def assert_common_head(resp: Response, status: int, server_name: str = SERVER):
    """Status line, then Date (IMF-fixdate) and Server as the first two fields."""
    assert resp.status_line == f"HTTP/1.1 {status} {REASONS[status]}"
    assert resp.names[:2] == ["Date", "Server"], resp.headers
    assert IMF_FIXDATE.match(resp.headers[0][1]), resp.headers[0][1]
    assert resp.headers[1][1] == server_name


def assert_error(resp: Response, status: int, head: bool = False, closes: bool | None = None):
    """The exact built-in error response for STATUS."""
    assert_common_head(resp, status)
    if closes is None:
        closes = status not in KEEP_OPEN_ERRORS
    body = error_body(status)
    assert resp.get("Content-Type") == "text/html; charset=utf-8"
    assert resp.get("Content-Length") == str(len(body))
    if closes:
        assert resp.get("Connection") == "close", resp.headers
        assert resp.names[-1] == "Connection", resp.headers
    else:
        assert resp.get("Connection") is None, resp.headers
        assert resp.names[-1] == "Content-Length", resp.headers
    if not head:
        assert resp.body == body


def bad_request(srv: Server, raw: bytes | str, status: int = 400):
    """Send RAW on a fresh connection; expect the built-in STATUS error, then (if it closes) EOF."""
    with srv.client() as c:
        c.send(raw)
        resp = c.read_response()
        assert_error(resp, status)
        if status not in KEEP_OPEN_ERRORS:
            c.expect_closed()
    return resp


def has_ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False
